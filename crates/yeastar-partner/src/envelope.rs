//! The response envelope (partner-api.md 1.3) and the success check (10.6).
//!
//! The `result` is kept as the JSON text it arrived as ([`RawValue`]) and decoded straight
//! into typed values, so that no number passes through a float on the way: a 19-digit ID or
//! a price keeps every digit.

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{snippet, Error};
use crate::json::Json;

/// A successful answer: HTTP 2xx and `code == "success"`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Reply {
    /// The endpoint that answered, as `GET /path`.
    pub endpoint: String,
    /// The HTTP status.
    pub status: u16,
    /// The portal's `requestId`, when it sent one.
    pub request_id: Option<String>,
    /// The `result` member as it was sent (`null` when absent).
    pub result: Json,
}

impl Reply {
    /// Decodes the `result` into `T`, naming the endpoint and the field when the shape is wrong.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, Error> {
        self.decode_raw(&self.result)
    }

    /// The `result` member's JSON text.
    pub fn result_text(&self) -> &str {
        self.result.get()
    }

    /// Decodes a part of the result (a list item, say) with this reply's context.
    pub fn decode_raw<T: DeserializeOwned>(&self, raw: &Json) -> Result<T, Error> {
        serde_json::from_str(raw.get()).map_err(|error| self.shape(error.to_string()))
    }

    /// Decodes every item of a lenient list (bare, wrapped or single; see [`Json::items`]).
    pub fn decode_list<T: DeserializeOwned>(&self, raw: &Json) -> Result<Vec<T>, Error> {
        list_items(raw.raw())
            .map_err(|error| self.shape(error.to_string()))?
            .iter()
            .enumerate()
            .map(|(index, item)| {
                serde_json::from_str(item.get())
                    .map_err(|error| self.shape(format!("item {}: {error}", index + 1)))
            })
            .collect()
    }

    /// An unexpected-shape error about this reply.
    pub fn shape(&self, detail: impl Into<String>) -> Error {
        Error::shape(&self.endpoint, self.status, self.request_id.clone(), detail)
    }
}

/// The names a wrapped list may hide under (partner-api.md 10.6).
const LIST_KEYS: [&str; 5] = ["results", "list", "records", "data", "items"];

/// The items of a list that may arrive bare (`[...]`), wrapped in an object (`{"results":
/// [...]}`, `list`, `records`, `data`, `items`), as a single object, or as `null` (empty).
pub(crate) fn list_items(raw: &RawValue) -> Result<Vec<Box<RawValue>>, serde_json::Error> {
    let text = raw.get().trim_start();
    match text.as_bytes().first() {
        Some(b'[') => serde_json::from_str(text),
        Some(b'{') => {
            let members: Vec<(String, Box<RawValue>)> = object_members(text)?;
            for key in LIST_KEYS {
                if let Some((_, value)) = members
                    .iter()
                    .find(|(k, v)| k == key && v.get().trim_start().starts_with('['))
                {
                    return serde_json::from_str(value.get());
                }
            }
            Ok(vec![RawValue::from_string(text.to_owned())?])
        }
        Some(b'n') if text.trim_end() == "null" => Ok(Vec::new()),
        _ => Ok(vec![RawValue::from_string(text.to_owned())?]),
    }
}

/// The members of a JSON object, in order, each value as its raw text.
pub(crate) fn object_members(
    text: &str,
) -> Result<Vec<(String, Box<RawValue>)>, serde_json::Error> {
    struct Members;
    impl<'de> serde::de::Visitor<'de> for Members {
        type Value = Vec<(String, Box<RawValue>)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut members = Vec::new();
            while let Some((key, value)) = map.next_entry::<String, Box<RawValue>>()? {
                members.push((key, value));
            }
            Ok(members)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let members = serde::Deserializer::deserialize_map(&mut deserializer, Members)?;
    deserializer.end()?;
    Ok(members)
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    code: Option<&'a RawValue>,
    #[serde(rename = "detailMessage", borrow, default)]
    detail_message: Option<&'a RawValue>,
    #[serde(rename = "requestId", borrow, default)]
    request_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
}

/// A JSON string's text, or a number's digits; `None` for anything else.
fn text_of(raw: Option<&RawValue>) -> Option<String> {
    let raw = raw?.get().trim();
    match raw.as_bytes().first()? {
        b'"' => serde_json::from_str::<String>(raw).ok(),
        b'-' | b'0'..=b'9' => Some(raw.to_owned()),
        _ => None,
    }
}

/// The request ID of any body that is a JSON object, for logs and errors.
pub(crate) fn request_id_of(body: &[u8]) -> Option<String> {
    let envelope: Envelope = serde_json::from_slice(body).ok()?;
    text_of(envelope.request_id).filter(|id| !id.is_empty())
}

/// Parses a body. Success is HTTP 2xx **and** `code == "success"`; anything else is an error
/// that carries the status, the code, the detail message and the request ID.
pub(crate) fn parse(endpoint: &str, status: u16, body: &[u8]) -> Result<Reply, Error> {
    if (300..400).contains(&status) {
        return Err(Error::Redirect {
            endpoint: endpoint.to_owned(),
            status,
            location: None,
        });
    }
    if std::str::from_utf8(body).is_err() || serde_json::from_slice::<IgnoredAny>(body).is_err() {
        return Err(Error::NotJson {
            endpoint: endpoint.to_owned(),
            status,
            snippet: snippet(body),
        });
    }
    let Ok(envelope) = serde_json::from_slice::<Envelope>(body) else {
        return Err(Error::shape(
            endpoint,
            status,
            None,
            "the body is JSON but not an object with a `code`",
        ));
    };
    let request_id = text_of(envelope.request_id).filter(|id| !id.is_empty());
    let code = text_of(envelope.code);
    let message = match envelope.detail_message {
        None => String::new(),
        Some(raw) if raw.get().trim() == "null" => String::new(),
        Some(raw) => text_of(Some(raw)).unwrap_or_else(|| raw.get().to_owned()),
    };
    let ok_status = (200..300).contains(&status);
    match code {
        Some(code) if code == "success" && ok_status => Ok(Reply {
            endpoint: endpoint.to_owned(),
            status,
            request_id,
            result: Json::from_raw(match envelope.result {
                Some(raw) => raw.to_owned(),
                None => RawValue::from_string("null".to_owned())
                    .map_err(|e| Error::shape(endpoint, status, None, e.to_string()))?,
            }),
        }),
        Some(code) => Err(Error::Rejected {
            endpoint: endpoint.to_owned(),
            status,
            code,
            message,
            request_id,
            credentials: false,
        }),
        None if !ok_status => Err(Error::Rejected {
            endpoint: endpoint.to_owned(),
            status,
            code: crate::error::NO_CODE.to_owned(),
            message,
            request_id,
            credentials: false,
        }),
        None => Err(Error::shape(
            endpoint,
            status,
            request_id,
            "the envelope has no `code`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).unwrap()
    }

    #[test]
    fn success_needs_both_2xx_and_the_success_code() {
        let body = br#"{"code":"success","detailMessage":"","requestId":"r1","result":{"a":1},"status":200}"#;
        let reply = parse("GET /x", 200, body).unwrap();
        assert_eq!(reply.request_id.as_deref(), Some("r1"));
        assert_eq!(reply.result.get(), r#"{"a":1}"#);

        let err = parse("GET /x", 500, body).unwrap_err();
        assert!(matches!(err, Error::Rejected { status: 500, .. }));
    }

    #[test]
    fn a_rejection_carries_code_detail_and_request_id() {
        let body = br#"{"code":"parameter_validation_failed","detailMessage":"billingId must not be null","requestId":"5a1d","result":{"field":"billingId"},"status":400}"#;
        let err = parse("POST /order", 400, body).unwrap_err();
        assert_eq!(err.code(), Some("parameter_validation_failed"));
        assert_eq!(err.request_id(), Some("5a1d"));
        assert_eq!(err.status(), Some(400));
        assert_eq!(err.message(), Some("billingId must not be null"));
        assert!(err.to_string().contains("billingId must not be null"));
        // The same rejection with HTTP 200 is still a rejection.
        assert!(parse("POST /order", 200, body).is_err());
    }

    #[test]
    fn html_pages_empty_bodies_and_redirects_are_not_envelopes() {
        let err = parse(
            "GET /x",
            502,
            b"<html>\n<head><title>502 Bad Gateway</title></head></html>",
        )
        .unwrap_err();
        assert!(matches!(err, Error::NotJson { status: 502, .. }));
        assert!(err.to_string().contains("<html>"));
        assert!(parse("GET /x", 404, b"not found")
            .unwrap_err()
            .is_missing_endpoint());
        assert!(parse("GET /x", 200, b"").is_err());
        assert!(parse("GET /x", 200, b"[1,2]").is_err());
        assert!(parse("GET /x", 200, b"{\"result\":1}").is_err());
        assert!(matches!(
            parse("GET /x", 301, b"").unwrap_err(),
            Error::Redirect { status: 301, .. }
        ));
    }

    #[test]
    fn results_keep_every_digit() {
        let body = br#"{"code":"success","requestId":7,"result":{"id":123456789012345678901234567890,"price":120.10}}"#;
        let reply = parse("GET /x", 200, body).unwrap();
        assert_eq!(reply.request_id.as_deref(), Some("7"));
        assert!(reply
            .result
            .get()
            .contains("123456789012345678901234567890"));
        assert!(reply.result.get().contains("120.10"));
    }

    #[test]
    fn lists_may_be_bare_wrapped_single_or_null() {
        let item = r#"{"id":3197218168379846218}"#;
        for shape in [
            format!("[{item}]"),
            format!(r#"{{"results":[{item}],"total":1}}"#),
            format!(r#"{{"list":[{item}]}}"#),
            format!(r#"{{"records":[{item}]}}"#),
            item.to_owned(),
        ] {
            let items = list_items(&raw(&shape)).unwrap();
            assert_eq!(items.len(), 1, "{shape}");
            assert_eq!(items[0].get(), item, "{shape}");
        }
        assert!(list_items(&raw("null")).unwrap().is_empty());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(status in 0u16..1000, body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse("GET /x", status, &body);
        }

        #[test]
        fn arbitrary_json_never_panics(status in 100u16..600, code in ".*", detail in ".*", rid in proptest::option::of(".*")) {
            let body = serde_json::json!({"code": code, "detailMessage": detail, "requestId": rid, "result": null});
            let _ = parse("GET /x", status, body.to_string().as_bytes());
        }
    }
}
