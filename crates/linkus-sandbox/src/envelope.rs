//! A request as the portal sees it, and its answer in the portal's envelope (partner-api.md
//! 1.3): `code`, `detailMessage`, `requestId`, `result`, `status`.

use std::time::Duration;

use serde_json::{json, Value};

/// A parsed request.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    pub method: &'a str,
    /// The path without the query string.
    pub path: &'a str,
    /// The query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

impl Call<'_> {
    /// The first value of a query parameter.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// What the portal answers: an HTTP status, the envelope, and how long to hold it back.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    /// Wait this long before answering (the `0504` serial numbers).
    pub delay: Duration,
}

impl Answer {
    /// The `detailMessage` of a refusal.
    pub fn detail(&self) -> String {
        self.body["detailMessage"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

pub(crate) fn answer(status: u16, code: &str, detail: &str, result: Value) -> Answer {
    Answer {
        status,
        body: json!({
            "code": code,
            "detailMessage": detail,
            "requestId": format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)),
            "result": result,
            "status": status,
        }),
        delay: Duration::ZERO,
    }
}

pub(crate) fn ok(result: Value) -> Answer {
    answer(200, "success", "", result)
}

/// A `parameter_validation_failed` answer that names the field.
pub(crate) fn invalid(field: &str, detail: &str) -> Answer {
    answer(
        400,
        "parameter_validation_failed",
        detail,
        json!({"field": field, "tag": "invalid"}),
    )
}
