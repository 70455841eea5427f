//! Rewriting one exchange for a capture file: secrets redacted, personal values replaced by
//! placeholders of the same JSON type, every other value as it was written.

use std::collections::BTreeMap;

use crate::rawjson::object_members;
use serde_json::value::RawValue;

use crate::redact::{self, is_secret_key, without_userinfo, REDACTED};

/// What a personal string becomes.
pub const PERSONAL: &str = "(personal data)";
/// What an e-mail address becomes, so that it still reads as one.
pub const EMAIL: &str = "user@example.invalid";
/// A body that is not JSON is kept up to this many bytes.
const MAX_TEXT: usize = 64 * 1024;

/// Keys whose values are personal: names, e-mails, phones, addresses, tax IDs, free text.
/// Compared without case, `_` or `-`. Countries, SNs, IDs and amounts stay: they identify no
/// person and are what a shape problem is usually about.
pub fn is_personal_key(key: &str) -> bool {
    const EXACT: [&str; 24] = [
        "firstname",
        "lastname",
        "fullname",
        "realname",
        "nickname",
        "username",
        "contactname",
        "customername",
        "company",
        "companyname",
        "city",
        "stateprovince",
        "province",
        "zip",
        "zipcode",
        "postcode",
        "postalcode",
        "remark",
        "remarks",
        "taxnum",
        "taxnumber",
        "taxid",
        "vatnumber",
        "ponumber",
    ];
    const PARTS: [&str; 5] = ["email", "phone", "mobile", "address", "street"];
    let key: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    EXACT.contains(&key.as_str()) || PARTS.iter().any(|part| key.contains(part))
}

/// Personal strings under personal keys of a JSON body, to be replaced wherever they appear.
pub fn collect_personal(body: &[u8], found: &mut Vec<String>) {
    let Ok(text) = std::str::from_utf8(body) else {
        return;
    };
    let Ok(raw) = serde_json::from_str::<Box<RawValue>>(text) else {
        return;
    };
    walk_personal(&raw, false, found);
}

fn walk_personal(raw: &RawValue, personal: bool, found: &mut Vec<String>) {
    let text = raw.get().trim();
    match text.as_bytes().first() {
        Some(b'{') => {
            for (key, value) in object_members(text).unwrap_or_default() {
                walk_personal(&value, personal || is_personal_key(&key), found);
            }
        }
        Some(b'[') => {
            let items: Vec<Box<RawValue>> = serde_json::from_str(text).unwrap_or_default();
            for item in &items {
                walk_personal(item, personal, found);
            }
        }
        Some(b'"') if personal => {
            if let Ok(value) = serde_json::from_str::<String>(text) {
                let value = value.trim();
                if value.chars().count() >= 3 {
                    found.push(value.to_owned());
                }
            }
        }
        _ => {}
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Plain,
    Secret,
    Personal,
}

/// Replaces secrets and personal values in one exchange.
pub struct Scrubber {
    pub personal: Vec<String>,
}

impl Scrubber {
    /// Free text: known secrets, known personal values and e-mail addresses replaced.
    pub fn text(&self, text: &str) -> String {
        let mut text = redact::scrub(text);
        for value in &self.personal {
            if text.contains(value.as_str()) {
                text = redact::replace_word(&text, value, PERSONAL);
            }
        }
        replace_emails(&text)
    }

    pub fn url(&self, url: &url::Url) -> String {
        let mut shown = without_userinfo(url);
        if shown.query().is_some() {
            let pairs: Vec<(String, String)> = shown
                .query_pairs()
                .map(|(key, value)| {
                    let value = if is_secret_key(&key) {
                        REDACTED.to_owned()
                    } else if is_personal_key(&key) && !value.is_empty() {
                        PERSONAL.to_owned()
                    } else {
                        value.into_owned()
                    };
                    (key.into_owned(), value)
                })
                .collect();
            shown.query_pairs_mut().clear().extend_pairs(pairs);
        }
        self.text(shown.as_str())
    }

    pub fn headers(
        &self,
        headers: impl Iterator<Item = (String, Vec<u8>)>,
    ) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in headers {
            let name = name.to_ascii_lowercase();
            let value = if is_secret_key(&name) {
                REDACTED.to_owned()
            } else {
                self.text(&String::from_utf8_lossy(&value))
            };
            out.entry(name)
                .and_modify(|existing| {
                    existing.push_str(", ");
                    existing.push_str(&value);
                })
                .or_insert(value);
        }
        out
    }

    /// A body as JSON: JSON bodies rewritten with their shape kept, forms and other text as a
    /// string, nothing as `null`.
    pub fn body(&self, bytes: &[u8]) -> Box<RawValue> {
        let text = if bytes.is_empty() {
            "null".to_owned()
        } else if let Some(json) = std::str::from_utf8(bytes)
            .ok()
            .and_then(|text| serde_json::from_str::<Box<RawValue>>(text).ok())
        {
            let mut out = String::with_capacity(json.get().len());
            self.write_json(&json, Mode::Plain, &mut out);
            out
        } else {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_TEXT)]);
            let looks_like_form =
                text.contains('=') && !text.contains(char::is_whitespace) && !text.starts_with('<');
            let mut shown = if looks_like_form {
                self.form(&text)
            } else {
                self.text(&text)
            };
            if bytes.len() > MAX_TEXT {
                shown.push_str(&format!("… ({} bytes in all)", bytes.len()));
            }
            json_string(&shown)
        };
        RawValue::from_string(text)
            .unwrap_or_else(|_| RawValue::from_string("null".to_owned()).expect("null is JSON"))
    }

    fn form(&self, body: &str) -> String {
        body.split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if is_secret_key(key) => format!("{key}={REDACTED}"),
                Some((key, value)) if is_personal_key(key) && !value.is_empty() => {
                    format!("{key}={PERSONAL}")
                }
                _ => self.text(pair),
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Rewrites JSON text value by value; numbers, `true`, `false` and `null` outside personal
    /// and secret values come out as they were written.
    fn write_json(&self, raw: &RawValue, mode: Mode, out: &mut String) {
        let text = raw.get().trim();
        match text.as_bytes().first() {
            Some(b'{') => match object_members(text) {
                Ok(members) => {
                    out.push('{');
                    for (index, (key, value)) in members.iter().enumerate() {
                        if index > 0 {
                            out.push(',');
                        }
                        out.push_str(&json_string(key));
                        out.push(':');
                        let inner = match mode {
                            Mode::Plain if is_secret_key(key) => Mode::Secret,
                            Mode::Plain if is_personal_key(key) => Mode::Personal,
                            other => other,
                        };
                        self.write_json(value, inner, out);
                    }
                    out.push('}');
                }
                Err(_) => out.push_str("null"),
            },
            Some(b'[') => match serde_json::from_str::<Vec<Box<RawValue>>>(text) {
                Ok(items) => {
                    out.push('[');
                    for (index, item) in items.iter().enumerate() {
                        if index > 0 {
                            out.push(',');
                        }
                        self.write_json(item, mode, out);
                    }
                    out.push(']');
                }
                Err(_) => out.push_str("null"),
            },
            _ if text == "null" => out.push_str("null"),
            _ if mode == Mode::Secret => out.push_str(&json_string(REDACTED)),
            Some(b'"') => {
                let value: String = serde_json::from_str(text).unwrap_or_default();
                let shown = match mode {
                    Mode::Personal if value.is_empty() => String::new(),
                    Mode::Personal if value.contains('@') => EMAIL.to_owned(),
                    Mode::Personal => PERSONAL.to_owned(),
                    _ => self.text(&value),
                };
                out.push_str(&json_string(&shown));
            }
            Some(b'-' | b'0'..=b'9') if mode == Mode::Personal => out.push('0'),
            // A number that is a known secret is written as a redacted string, not cut into.
            Some(b'-' | b'0'..=b'9') if redact::scrub(text) != text => {
                out.push_str(&json_string(REDACTED))
            }
            _ => out.push_str(text),
        }
    }
}

fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// Replaces every e-mail address in free text with [`EMAIL`].
pub fn replace_emails(text: &str) -> String {
    if !text.contains('@') {
        return text.to_owned();
    }
    let is_local = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
    let is_domain = |c: char| c.is_alphanumeric() || matches!(c, '.' | '-');
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < chars.len() {
        if chars[index] != '@' {
            out.push(chars[index]);
            index += 1;
            continue;
        }
        let mut start = index;
        while start > 0 && is_local(chars[start - 1]) {
            start -= 1;
        }
        let mut end = index + 1;
        while end < chars.len() && is_domain(chars[end]) {
            end += 1;
        }
        while end > index + 1 && chars[end - 1] == '.' {
            end -= 1;
        }
        let domain: String = chars[index + 1..end].iter().collect();
        if start < index && domain.contains('.') && !domain.starts_with('.') {
            // The local part is already in `out`: take it back.
            for _ in start..index {
                out.pop();
            }
            out.push_str(EMAIL);
            index = end;
        } else {
            out.push('@');
            index += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(json: &str) -> String {
        let scrubber = Scrubber {
            personal: vec!["Ana Silva".to_owned()],
        };
        let raw = scrubber.body(json.as_bytes());
        raw.get().to_owned()
    }

    #[test]
    fn personal_values_keep_their_type_and_numbers_their_digits() {
        let out = rewrite(
            r#"{"code":"success","result":[{"billingContactId":3197218168379846218,"firstName":"Ana","lastName":"","emailAddress":"billing@example.com","phoneNumber":351210000000,"company":null,"price":120.10,"vip":true,"address":{"street":"Rua 1","country":"PT"}}],"detailMessage":"sent to Ana Silva <ana@example.pt>"}"#,
        );
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        let contact = &value["result"][0];
        assert!(out.contains("3197218168379846218"), "{out}");
        assert!(out.contains("120.10"), "{out}");
        assert_eq!(contact["firstName"], PERSONAL);
        assert_eq!(contact["lastName"], "");
        assert_eq!(contact["emailAddress"], EMAIL);
        assert_eq!(contact["phoneNumber"], 0);
        assert_eq!(contact["company"], serde_json::Value::Null);
        assert_eq!(contact["vip"], true);
        assert_eq!(contact["address"]["street"], PERSONAL);
        assert_eq!(contact["address"]["country"], PERSONAL);
        assert_eq!(
            value["detailMessage"],
            format!("sent to {PERSONAL} <{EMAIL}>")
        );
    }

    #[test]
    fn secrets_are_redacted_by_key_in_json_and_forms() {
        let out = rewrite(r#"{"result":{"token":"abc","refreshToken":"def","expiresIn":"1800"}}"#);
        assert!(!out.contains("abc") && !out.contains("def"), "{out}");
        assert!(out.contains("1800"));
        let form = rewrite("client_id=id&client_secret=xyz&grant_type=pp_credentials");
        assert_eq!(
            form,
            json_string("client_id=id&client_secret=(redacted)&grant_type=pp_credentials")
        );
    }

    #[test]
    fn emails_in_free_text_are_replaced() {
        assert_eq!(
            replace_emails("mail a.b+c@mail.example.com, or x@y."),
            format!("mail {EMAIL}, or x@y.")
        );
        assert_eq!(replace_emails("no @ here"), "no @ here");
    }

    #[test]
    fn personal_keys() {
        for key in [
            "firstName",
            "email",
            "billing_email",
            "phoneNumber",
            "zipCode",
            "taxNum",
            "remark",
            "poNumber",
            "street",
        ] {
            assert!(is_personal_key(key), "{key}");
        }
        for key in [
            "planName",
            "productNo",
            "country",
            "orderStatus",
            "billingContactId",
            "name",
        ] {
            assert!(!is_personal_key(key), "{key}");
        }
    }
}
