//! `--capture DIR` (`LINKUS_CAPTURE`): every HTTP exchange of the run written to DIR as one
//! JSON file, for a bug report (CLI.md section 2).
//!
//! A partner must be able to attach these files without leaking anything, and we must still
//! see the shape of each answer. So secrets (the client secret, tokens, `Authorization`,
//! cookies) become `"(redacted)"`, and personal values become placeholders of the same JSON
//! type: a string `"(personal data)"` (an e-mail `"user@example.invalid"`, an empty string
//! stays empty), a number `0`; `true`, `false` and `null` stay. Personal values are those
//! under the keys of [`scrub::is_personal_key`], and wherever they appear again in free text (a
//! `detailMessage` that repeats a contact's name), as are e-mail addresses anywhere. Every
//! other number is kept digit for digit: bodies are rewritten from their text, never parsed
//! into floats.

mod scrub;

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use anyhow::{Context as _, Result};
use serde::Serialize;
use serde_json::value::RawValue;
use yeastar_partner::{Exchange, Observer};

use crate::files;
use scrub::{collect_personal, Scrubber};

/// Writes the capture files.
pub struct Capture {
    dir: PathBuf,
    quiet: bool,
    counter: AtomicU64,
    announced: AtomicBool,
    warned: AtomicBool,
    /// Personal values seen so far in this run, replaced wherever they appear again.
    personal: Mutex<Vec<String>>,
}

impl Capture {
    /// The folder is created (mode 0700) if missing; one that cannot be written is refused
    /// before anything is sent.
    pub fn new(dir: &Path, quiet: bool) -> Result<Self> {
        files::ensure_private_dir(dir)?;
        tempfile::Builder::new()
            .prefix(".linkus-capture-")
            .tempfile_in(dir)
            .with_context(|| format!("cannot write in {}", dir.display()))?;
        Ok(Capture {
            dir: dir.to_path_buf(),
            quiet,
            counter: AtomicU64::new(0),
            announced: AtomicBool::new(false),
            warned: AtomicBool::new(false),
            personal: Mutex::new(Vec::new()),
        })
    }

    /// The JSON text of one exchange, redacted.
    pub fn record(&self, exchange: &Exchange<'_>) -> String {
        let request = &exchange.request;
        let mut seen = Vec::new();
        if let Some(body) = request.body {
            collect_personal(body, &mut seen);
        }
        if let Ok(response) = exchange.response {
            collect_personal(&response.body, &mut seen);
        }
        let scrubber = self.scrubber(seen);
        let record = Record {
            linkus: env!("CARGO_PKG_VERSION"),
            started_at: humantime::format_rfc3339_millis(exchange.started_at).to_string(),
            elapsed_ms: u64::try_from(exchange.elapsed.as_millis()).unwrap_or(u64::MAX),
            request: RequestRecord {
                method: request.method.to_string(),
                url: scrubber.url(request.url),
                headers: scrubber.headers(
                    request
                        .headers
                        .iter()
                        .map(|(name, value)| (name.to_owned(), value.to_vec())),
                ),
                body: scrubber.body(request.body.unwrap_or_default()),
            },
            response: exchange.response.ok().map(|response| ResponseRecord {
                status: response.status,
                headers: scrubber.headers(
                    response
                        .headers
                        .iter()
                        .map(|(name, value)| (name.to_owned(), value.to_vec())),
                ),
                body: scrubber.body(&response.body),
            }),
            error: exchange
                .response
                .err()
                .map(|error| scrubber.text(&error.to_string())),
            note: "Written by linkus --capture: secrets are \"(redacted)\"; personal values are placeholders of the same JSON type.",
        };
        let text = serde_json::to_string(&record).unwrap_or_default();
        crate::rawjson::pretty(&text)
    }

    /// A scrubber that knows every personal value seen in this run, `seen` included.
    fn scrubber(&self, seen: Vec<String>) -> Scrubber {
        let Ok(mut known) = self.personal.lock() else {
            return Scrubber { personal: seen };
        };
        for value in seen {
            if !known.contains(&value) {
                known.push(value);
            }
        }
        // Longest first, so that a value containing another is replaced whole.
        known.sort_by_key(|value| std::cmp::Reverse(value.len()));
        Scrubber {
            personal: known.clone(),
        }
    }

    /// Writes one file, named so that two processes never collide: the time, the process ID
    /// and a counter; an existing name is never overwritten.
    fn write(&self, exchange: &Exchange<'_>, text: &str) -> std::io::Result<PathBuf> {
        let stamp: String = humantime::format_rfc3339_millis(exchange.started_at)
            .to_string()
            .chars()
            .filter(|c| !matches!(c, '-' | ':'))
            .collect();
        let what: String = exchange
            .request
            .url
            .path_segments()
            .and_then(|mut segments| segments.next_back())
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
            .take(40)
            .collect();
        let mut last_error = None;
        for _ in 0..100 {
            let number = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
            let path = self.dir.join(format!(
                "{stamp}-{}-{number:04}-{}-{what}.json",
                std::process::id(),
                exchange.request.method
            ));
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            match options.open(&path) {
                Ok(mut file) => {
                    file.write_all(text.as_bytes())?;
                    file.write_all(b"\n")?;
                    return Ok(path);
                }
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    last_error = Some(error);
                }
                Err(error) => return Err(error),
            }
        }
        Err(last_error.unwrap_or_else(|| std::io::Error::other("no free file name")))
    }
}

impl Observer for Capture {
    fn exchange(&self, exchange: &Exchange<'_>) {
        let text = self.record(exchange);
        match self.write(exchange, &text) {
            Ok(_) => {
                if !self.quiet && !self.announced.swap(true, Ordering::SeqCst) {
                    crate::output::log_line(&format!(
                        "Capture: writing each HTTP exchange to {} (secrets and personal data replaced).",
                        self.dir.display()
                    ));
                }
            }
            Err(error) => {
                if !self.warned.swap(true, Ordering::SeqCst) {
                    crate::output::warn(&format!(
                        "could not write a capture file in {}: {error}",
                        self.dir.display()
                    ));
                }
            }
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    linkus: &'static str,
    started_at: String,
    elapsed_ms: u64,
    request: RequestRecord,
    response: Option<ResponseRecord>,
    error: Option<String>,
    note: &'static str,
}

#[derive(Serialize)]
struct RequestRecord {
    method: String,
    url: String,
    headers: BTreeMap<String, String>,
    body: Box<RawValue>,
}

#[derive(Serialize)]
struct ResponseRecord {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Box<RawValue>,
}
