//! Secrets that cannot leak by accident.
//!
//! [`Secret`] has no `Display` and no `Serialize`, and its `Debug` prints `(redacted)`, so a
//! secret can only reach a file or the wire through an explicit [`Secret::expose`]. As a second
//! line of defence, every secret that is created is remembered, and [`scrub`] replaces any of
//! them in text that is about to be printed (HTTP logs, error messages).

use std::sync::{Mutex, OnceLock};

use serde_json::Value;

pub const REDACTED: &str = "(redacted)";

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        remember(&value);
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REDACTED)
    }
}

fn known() -> &'static Mutex<Vec<String>> {
    static KNOWN: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    KNOWN.get_or_init(Default::default)
}

fn remember(value: &str) {
    // Short values would redact ordinary words; no real credential is this short.
    if value.len() < 6 {
        return;
    }
    if let Ok(mut known) = known().lock() {
        if !known.iter().any(|k| k == value) {
            known.push(value.to_owned());
        }
    }
}

/// Replaces every secret this process has seen with `(redacted)`.
pub fn scrub(text: &str) -> String {
    let Ok(known) = known().lock() else {
        return text.to_owned();
    };
    let mut text = text.to_owned();
    for secret in known.iter() {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), REDACTED);
        }
    }
    text
}

/// Whether a JSON key or form field names something secret.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["token", "secret", "password", "authorization"]
        .iter()
        .any(|word| key.contains(word))
}

/// A copy of a JSON value with the values of secret-looking keys replaced.
pub fn redact_json(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let value = if is_secret_key(key) && !value.is_null() {
                        Value::String(REDACTED.to_owned())
                    } else {
                        redact_json(value)
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        other => other.clone(),
    }
}

/// A form-encoded body with the values of secret fields replaced.
pub fn redact_form(body: &str) -> String {
    body.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if is_secret_key(key) => format!("{key}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("s3cr3t-value-123");
        assert_eq!(format!("{secret:?}"), "(redacted)");
        assert_eq!(format!("{:?}", Some(secret.clone())), "Some((redacted))");
    }

    #[test]
    fn scrub_removes_known_secrets_from_text() {
        let _secret = Secret::new("another-secret-456");
        assert_eq!(
            scrub("token=another-secret-456; ok"),
            "token=(redacted); ok"
        );
    }

    #[test]
    fn json_and_form_bodies_are_redacted_by_key() {
        let body = serde_json::json!({"result": {"token": "abc", "refreshToken": "def", "expiresIn": "1800"}});
        let redacted = redact_json(&body);
        assert_eq!(redacted["result"]["token"], "(redacted)");
        assert_eq!(redacted["result"]["refreshToken"], "(redacted)");
        assert_eq!(redacted["result"]["expiresIn"], "1800");
        assert_eq!(
            redact_form("client_id=a&client_secret=b&grant_type=pp_credentials"),
            "client_id=a&client_secret=(redacted)&grant_type=pp_credentials"
        );
    }
}
