//! Passing the portal's JSON through without losing a digit: rewritten from its text, never
//! through a float, with 64-bit IDs as strings *by field* (CLI.md section 5).

use serde_json::value::RawValue;
use yeastar_partner::{Json, JsonError};

/// The members of a JSON object, in order, each value as its raw text: the client's
/// [`Json::members`], as serde_json's raw values for the readers here.
pub fn object_members(text: &str) -> Result<Vec<(String, Box<RawValue>)>, JsonError> {
    let members = Json::parse(text)?.members()?;
    Ok(members
        .into_iter()
        .map(|(name, value)| (name, raw(&value)))
        .collect())
}

/// The client's JSON (always valid) as serde_json's raw value, for the readers here.
pub fn raw(json: &Json) -> Box<RawValue> {
    // Written as the text it holds, which is not checked again.
    serde_json::value::to_raw_value(json).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

/// A raw value (always valid) as the client's JSON, to read it as the client does.
pub fn json(raw: &RawValue) -> Json {
    Json::parse(raw.get()).unwrap_or_default()
}

/// Fields that hold 64-bit IDs: always strings in our output, even when the number is small.
const ID_FIELDS: [&str; 12] = [
    "id",
    "orderId",
    "planId",
    "serviceId",
    "billingId",
    "billingContactId",
    "connectionPlanId",
    "pricingPlanId",
    "pricingServiceId",
    "currentPlanId",
    "targetPlanId",
    "instanceProductId",
];

/// Small enumerations: numbers everywhere, even where the portal sends a string.
const ENUM_FIELDS: [&str; 1] = ["productId"];

/// The JSON text with ID fields as strings and enumerations as numbers; every other number
/// exactly as the portal wrote it.
pub fn with_ids_as_strings(raw: &RawValue) -> String {
    let mut out = String::with_capacity(raw.get().len() + 64);
    write_value(raw, None, &mut out);
    out
}

fn write_value(raw: &RawValue, key: Option<&str>, out: &mut String) {
    let text = raw.get().trim();
    match text.as_bytes().first() {
        Some(b'{') => match object_members(text) {
            Ok(members) => {
                out.push('{');
                for (index, (name, value)) in members.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::Value::String(name.clone()).to_string());
                    out.push(':');
                    write_value(value, Some(name), out);
                }
                out.push('}');
            }
            Err(_) => out.push_str(text),
        },
        Some(b'[') => match serde_json::from_str::<Vec<Box<RawValue>>>(text) {
            Ok(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    write_value(item, key, out);
                }
                out.push(']');
            }
            Err(_) => out.push_str(text),
        },
        Some(b'-' | b'0'..=b'9') if key.is_some_and(|k| ID_FIELDS.contains(&k)) => {
            out.push('"');
            out.push_str(text);
            out.push('"');
        }
        Some(b'"') if key.is_some_and(|k| ENUM_FIELDS.contains(&k)) => {
            let inner: String = serde_json::from_str(text).unwrap_or_default();
            if !inner.is_empty() && inner.len() < 10 && inner.bytes().all(|b| b.is_ascii_digit()) {
                out.push_str(inner.trim_start_matches('0').max("0"));
            } else {
                out.push_str(text);
            }
        }
        _ => out.push_str(text),
    }
}

/// Indents JSON text without parsing its numbers, so that they come out digit for digit.
/// Anything that is not JSON is returned as it came.
pub fn pretty(text: &str) -> String {
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
        return text.to_owned();
    }
    jsonxf::pretty_print(text).unwrap_or_else(|_| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(json: &str) -> String {
        with_ids_as_strings(&RawValue::from_string(json.to_owned()).unwrap())
    }

    #[test]
    fn ids_become_strings_by_field_and_digits_survive() {
        let out = rewrite(
            r#"{"basicInformation":{"productId":"9","productNo":"369471667338"},
                "orderInformation":{"id":3206190457467703296,"planId":5,"amount":240.10,"big":123456789012345678901234567890},
                "orderSummary":{"productId":9,"planId":"3048918321840570368"}}"#,
        );
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["basicInformation"]["productId"], 9);
        assert_eq!(value["orderSummary"]["productId"], 9);
        assert_eq!(value["orderInformation"]["id"], "3206190457467703296");
        assert_eq!(value["orderInformation"]["planId"], "5");
        assert_eq!(value["orderSummary"]["planId"], "3048918321840570368");
        assert!(out.contains("240.10"), "{out}");
        assert!(out.contains("123456789012345678901234567890"), "{out}");
    }

    #[test]
    fn pretty_printing_keeps_numbers_digit_for_digit() {
        let text =
            pretty(r#"{"id":3206190457467703296,"big":123456789012345678901234567890,"f":1.10}"#);
        assert!(text.contains("3206190457467703296"));
        assert!(text.contains("123456789012345678901234567890"));
        assert!(text.contains("1.10"));
        assert_eq!(pretty("<html>"), "<html>");
    }
}
