//! Secrets that cannot leak by accident.
//!
//! [`Secret`] (from the client library) has no `Display` and no `Serialize`, and its `Debug`
//! prints `(redacted)`. As a second line of defence, every secret this process learns (the
//! client secret, tokens, a password inside `--base-url`) is [`remember`]ed, and [`scrub`]
//! replaces any of them in text that is about to be printed or written (HTTP logs, error
//! messages, `linkus api` output, captures).

use std::sync::{Mutex, OnceLock};

use serde_json::Value;
use url::Url;
pub(crate) use yeastar_partner::{Secret, REDACTED};

fn known() -> &'static Mutex<Vec<String>> {
    static KNOWN: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    KNOWN.get_or_init(Default::default)
}

/// Remembers a secret, so that [`scrub`] hides it wherever it appears.
pub(crate) fn remember(value: &str) {
    if value.trim().is_empty() {
        return;
    }
    if let Ok(mut known) = known().lock() {
        if !known.iter().any(|k| k == value) {
            known.push(value.to_owned());
            // Longest first, so that a secret containing another is replaced whole.
            known.sort_by_key(|k| std::cmp::Reverse(k.len()));
        }
    }
}

/// A [`Secret`] that [`scrub`] knows about.
pub(crate) fn secret(value: impl Into<String>) -> Secret {
    let value = value.into();
    remember(&value);
    Secret::new(value)
}

/// Secrets shorter than this are replaced only where they stand as a whole word, so that a
/// five-letter secret does not blank out every word that contains it.
const SHORT: usize = 6;

/// Replaces every secret this process has seen with `(redacted)`, whatever its length.
pub(crate) fn scrub(text: &str) -> String {
    let Ok(known) = known().lock() else {
        return text.to_owned();
    };
    let mut text = text.to_owned();
    for secret in known.iter() {
        if !text.contains(secret.as_str()) {
            continue;
        }
        text = if secret.chars().count() >= SHORT {
            text.replace(secret.as_str(), REDACTED)
        } else {
            replace_word(&text, secret, REDACTED)
        };
    }
    text
}

/// Replaces `word` with `with` where it is not part of a longer run of letters and digits.
pub(crate) fn replace_word(text: &str, word: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + word.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        out.push_str(&rest[..at]);
        if boundary(before) && boundary(after) {
            out.push_str(with);
        } else {
            out.push_str(word);
        }
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

/// Whether a JSON key, form field or header names something secret.
pub(crate) fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["token", "secret", "password", "authorization", "cookie"]
        .iter()
        .any(|word| key.contains(word))
}

/// A copy of a JSON value with the values of secret-looking keys replaced.
pub(crate) fn redact_json(value: &Value) -> Value {
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
pub(crate) fn redact_form(body: &str) -> String {
    body.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if is_secret_key(key) => format!("{key}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A URL without its user name and password, for anything that is shown or written.
pub(crate) fn without_userinfo(url: &Url) -> Url {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_known_secrets_from_text() {
        remember("another-secret-456");
        assert_eq!(
            scrub("token=another-secret-456; ok"),
            "token=(redacted); ok"
        );
    }

    #[test]
    fn short_secrets_are_scrubbed_where_they_stand_alone() {
        remember("k9Zq");
        assert_eq!(
            scrub("client_secret=k9Zq rejected: \"k9Zq\""),
            "client_secret=(redacted) rejected: \"(redacted)\""
        );
        // Inside a longer word it is not the secret.
        assert_eq!(scrub("xk9Zqy"), "xk9Zqy");
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

    #[test]
    fn urls_lose_their_credentials() {
        let url = Url::parse("http://user:Pass@host:8080/x").unwrap();
        assert_eq!(without_userinfo(&url).as_str(), "http://host:8080/x");
    }
}
