//! The order journal, `orders.jsonl` in the data folder (CLI.md section 6).
//!
//! Before an order request is sent, an `intent` line is written and flushed to disk; after it,
//! an `outcome` line. If the process dies or the answer is lost in between, the intent stays
//! without a definitive outcome, and `linkus orders reconcile` settles it later by looking the
//! order up. Each line is one `write` to a file opened in append mode, so lines of concurrent
//! processes never interleave. Nothing secret is ever written here.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use crate::error::{Failure, Kind};
use crate::portal::Id;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    pub id: String,
    pub time: String,
    pub profile: String,
    pub base_url: String,
    pub sn: String,
    pub plan_id: Id,
    pub plan_name: String,
    pub billing_contact_id: Id,
    pub years: u8,
    pub po_number: Option<String>,
}

/// What became of an intent. `outcome` is `succeed`, `pending` (or another open status),
/// `failed`, `rejected`, `not_sent` or `unknown`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub id: String,
    pub time: String,
    pub outcome: String,
    pub order_no: Option<String>,
    pub order_status: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum Entry {
    Intent(Intent),
    Outcome(Outcome),
    /// Found later by `orders reconcile`.
    Reconciled(Outcome),
}

pub const UNKNOWN: &str = "unknown";

/// The outcome recorded for an order with this status: `succeed`, `failed`, or the open
/// status itself (`pending`, …).
pub fn outcome_of(status: &str) -> String {
    use crate::portal::types::{settlement, Settlement};
    match settlement(status) {
        Settlement::Succeeded => "succeed".to_owned(),
        Settlement::Failed => "failed".to_owned(),
        Settlement::Open => status.to_owned(),
    }
}

pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

pub fn new_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

pub struct Journal {
    path: PathBuf,
}

impl Journal {
    pub fn new(path: PathBuf) -> Self {
        Journal { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line in one write and flushes it to disk.
    pub fn append(&self, entry: &Entry) -> Result<()> {
        let mut line = serde_json::to_vec(entry)?;
        line.push(b'\n');
        if let Some(dir) = self.path.parent() {
            crate::files::ensure_private_dir(dir)?;
        }
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(&self.path)
            .with_context(|| format!("could not open the order journal {}", self.path.display()))?;
        file.write_all(&line)
            .and_then(|()| file.sync_data())
            .with_context(|| format!("could not write the order journal {}", self.path.display()))
    }

    /// Every readable entry, in order, and the number of lines that could not be read.
    pub fn read(&self) -> Result<(Vec<Entry>, usize)> {
        let Some(bytes) = crate::files::read_optional(&self.path)? else {
            return Ok((Vec::new(), 0));
        };
        Ok(parse(&bytes))
    }

    /// Intents whose outcome is not known: no outcome line, or `unknown`, and not reconciled.
    pub fn unsettled(&self) -> Result<(Vec<Intent>, usize)> {
        let (entries, unreadable) = self.read()?;
        Ok((unsettled(&entries), unreadable))
    }
}

/// Parses journal text leniently: a torn or foreign line is counted, not fatal.
pub fn parse(bytes: &[u8]) -> (Vec<Entry>, usize) {
    let mut entries = Vec::new();
    let mut unreadable = 0;
    for line in bytes.split(|b| *b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Entry>(line) {
            Ok(entry) => entries.push(entry),
            Err(_) => unreadable += 1,
        }
    }
    (entries, unreadable)
}

pub fn unsettled(entries: &[Entry]) -> Vec<Intent> {
    entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Intent(intent) => Some(intent),
            _ => None,
        })
        .filter(|intent| {
            let settled = entries.iter().any(|entry| match entry {
                Entry::Outcome(outcome) => outcome.id == intent.id && outcome.outcome != UNKNOWN,
                Entry::Reconciled(outcome) => outcome.id == intent.id,
                Entry::Intent(_) => false,
            });
            !settled
        })
        .cloned()
        .collect()
}

/// The order request that is on the wire right now, for Ctrl-C.
struct InFlight {
    journal: PathBuf,
    id: String,
    sn: String,
}

static IN_FLIGHT: Mutex<Option<InFlight>> = Mutex::new(None);

/// Marks an order request as on the wire. It is cleared only by [`clear_in_flight`], never on
/// drop: when Ctrl-C cancels the purchase, the request is dropped before the interruption is
/// reported, and the report must still know that an order was on its way.
pub fn mark_in_flight(journal: &Journal, id: &str, sn: &str) {
    if let Ok(mut slot) = IN_FLIGHT.lock() {
        *slot = Some(InFlight {
            journal: journal.path.clone(),
            id: id.to_owned(),
            sn: sn.to_owned(),
        });
    }
}

/// The order request came back, one way or another.
pub fn clear_in_flight() {
    if let Ok(mut slot) = IN_FLIGHT.lock() {
        *slot = None;
    }
}

/// The error for Ctrl-C. If an order was on the wire, its outcome is recorded as unknown and
/// the message says how to check.
pub fn interrupted() -> anyhow::Error {
    let in_flight = IN_FLIGHT.lock().ok().and_then(|mut slot| slot.take());
    let Some(in_flight) = in_flight else {
        return Failure::new(Kind::Interrupted, "Interrupted; nothing was bought.").into();
    };
    let _ = Journal::new(in_flight.journal).append(&Entry::Outcome(Outcome {
        id: in_flight.id,
        time: now_rfc3339(),
        outcome: UNKNOWN.to_owned(),
        order_no: None,
        order_status: None,
        request_id: None,
    }));
    Failure::new(
        Kind::Interrupted,
        format!(
            "Interrupted while the order for SN {} was being sent, at {}; its outcome is unknown.",
            in_flight.sn,
            now_rfc3339()
        ),
    )
    .hint(format!(
        "Check with `linkus orders list --sn {}` (or `linkus orders reconcile`) before you try again.",
        in_flight.sn
    ))
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn intent(id: &str) -> Intent {
        Intent {
            id: id.to_owned(),
            time: now_rfc3339(),
            profile: "default".to_owned(),
            base_url: "sandbox".to_owned(),
            sn: "369471667338".to_owned(),
            plan_id: Id(3048918321840570368),
            plan_name: "Linkus Cloud Service".to_owned(),
            billing_contact_id: Id(3197218168379846218),
            years: 1,
            po_number: None,
        }
    }

    fn outcome(id: &str, outcome: &str) -> Outcome {
        Outcome {
            id: id.to_owned(),
            time: now_rfc3339(),
            outcome: outcome.to_owned(),
            order_no: None,
            order_status: None,
            request_id: None,
        }
    }

    #[test]
    fn lines_round_trip_with_ids_as_strings() {
        let temp = tempfile::tempdir().unwrap();
        let journal = Journal::new(temp.path().join("orders.jsonl"));
        journal.append(&Entry::Intent(intent("a"))).unwrap();
        journal
            .append(&Entry::Outcome(outcome("a", "succeed")))
            .unwrap();
        let text = std::fs::read_to_string(journal.path()).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains(r#""planId":"3048918321840570368""#), "{text}");
        let (entries, unreadable) = journal.read().unwrap();
        assert_eq!(unreadable, 0);
        assert_eq!(entries[0], Entry::Intent(intent_with_time(&entries[0])));
    }

    fn intent_with_time(entry: &Entry) -> Intent {
        match entry {
            Entry::Intent(i) => i.clone(),
            _ => panic!("not an intent"),
        }
    }

    #[test]
    fn unknown_and_missing_outcomes_are_unsettled_until_reconciled() {
        let entries = vec![
            Entry::Intent(intent("a")),
            Entry::Outcome(outcome("a", "succeed")),
            Entry::Intent(intent("b")),
            Entry::Outcome(outcome("b", UNKNOWN)),
            Entry::Intent(intent("c")),
            Entry::Intent(intent("d")),
            Entry::Outcome(outcome("d", UNKNOWN)),
            Entry::Reconciled(outcome("d", "succeed")),
        ];
        let ids: Vec<_> = unsettled(&entries).into_iter().map(|i| i.id).collect();
        assert_eq!(ids, vec!["b", "c"]);
    }

    #[test]
    fn concurrent_appends_never_interleave() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("orders.jsonl");
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let journal = Journal::new(path);
                    for i in 0..50 {
                        let mut entry = intent(&format!("{w}-{i}"));
                        entry.po_number = Some("x".repeat(2000));
                        journal.append(&Entry::Intent(entry)).unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        let (entries, unreadable) = Journal::new(path).read().unwrap();
        assert_eq!(unreadable, 0);
        assert_eq!(entries.len(), 200);
    }

    proptest! {
        #[test]
        fn the_journal_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn the_journal_reader_never_panics_on_jsonish_lines(lines in proptest::collection::vec(
            r#"\{("event":"(intent|outcome|reconciled)"|"id":"[a-z]{0,3}"|"planId":("[0-9]{0,22}"|[0-9]{0,22}|-?[0-9.e]{1,8})|"years":[0-9]{1,4}|,){0,8}\}?"#, 0..20)) {
            let text = lines.join("\n");
            let _ = parse(text.as_bytes());
        }
    }
}
