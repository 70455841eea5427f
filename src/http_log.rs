//! `-v`: one line per HTTP request and answer on stderr, each naming its method and URL so that
//! concurrent requests can be paired; `-vv` adds the bodies. Secrets are redacted by key and
//! scrubbed by value.

use std::sync::Arc;
use std::time::Duration;

use yeastar_partner::{Exchange, Observer, SentRequest};

use crate::output::log_line;
use crate::redact::{self, redact_form, redact_json, without_userinfo};

/// Writes the `-v` log.
pub struct HttpLog {
    pub verbosity: u8,
}

/// A body as it may be shown: JSON and forms redacted by key, the rest cut short
/// (`snippet`: the client's cleaned start of the body).
pub fn loggable_body(bytes: &[u8], snippet: impl FnOnce() -> String) -> String {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(value) => redact_json(&value).to_string(),
        Err(_) => {
            let text = String::from_utf8_lossy(bytes);
            if text.contains('=') && !text.contains(' ') && !text.trim_start().starts_with('<') {
                redact_form(&text)
            } else {
                snippet()
            }
        }
    }
}

fn line(method: yeastar_partner::Method, url: &url::Url) -> String {
    format!("{method} {}", without_userinfo(url))
}

impl Observer for HttpLog {
    fn request(&self, request: &SentRequest<'_>) {
        if self.verbosity == 0 {
            return;
        }
        log_line(&redact::scrub(&format!(
            "> {}",
            line(*request.method, request.url)
        )));
        if self.verbosity >= 2 {
            if let Some(body) = request.body {
                log_line(&redact::scrub(&format!(
                    "> {}",
                    loggable_body(body, || request.body_snippet())
                )));
            }
        }
    }

    fn exchange(&self, exchange: &Exchange<'_>) {
        if self.verbosity == 0 {
            return;
        }
        let what = line(*exchange.request.method, exchange.request.url);
        let ms = exchange.elapsed.as_millis();
        match exchange.response {
            Ok(response) => {
                let request_id = response
                    .request_id()
                    .map(|id| format!(" requestId={id}"))
                    .unwrap_or_default();
                log_line(&redact::scrub(&format!(
                    "< {} {what} ({ms} ms){request_id}",
                    response.status
                )));
                if self.verbosity >= 2 {
                    log_line(&redact::scrub(&format!(
                        "< {}",
                        loggable_body(&response.body, || response.snippet())
                    )));
                }
            }
            Err(error) => log_line(&redact::scrub(&format!("< {what} ({ms} ms): {error}"))),
        }
    }

    fn retry(&self, endpoint: &str, next_attempt: u32, attempts: u32, delay: Duration) {
        if self.verbosity > 0 {
            log_line(&format!(
                "  retrying {endpoint} in {} ms (attempt {next_attempt} of {attempts})",
                delay.as_millis()
            ));
        }
    }
}

/// Several observers as one.
pub struct Observers(pub Vec<Arc<dyn Observer>>);

impl Observer for Observers {
    fn request(&self, request: &SentRequest<'_>) {
        for observer in &self.0 {
            observer.request(request);
        }
    }

    fn exchange(&self, exchange: &Exchange<'_>) {
        for observer in &self.0 {
            observer.exchange(exchange);
        }
    }

    fn retry(&self, endpoint: &str, next_attempt: u32, attempts: u32, delay: Duration) {
        for observer in &self.0 {
            observer.retry(endpoint, next_attempt, attempts, delay);
        }
    }
}
