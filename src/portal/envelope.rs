//! The response envelope (partner-api.md 1.3) and the success check (10.6).

use serde_json::Value;

use super::error::{snippet, PortalError};

/// A successful answer: HTTP 2xx and `code == "success"`.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub request_id: Option<String>,
    pub result: Value,
}

/// The request ID of any body that is a JSON object, for logs.
pub fn request_id_of(body: &Value) -> Option<String> {
    match body.get("requestId")? {
        Value::String(id) if !id.is_empty() => Some(id.clone()),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

/// Parses a body. Success is HTTP 2xx **and** `code == "success"`; anything else is an error
/// that carries the status, the code, the detail message and the request ID.
pub fn parse(endpoint: &str, status: u16, body: &[u8]) -> Result<Reply, PortalError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| PortalError::NotJson {
        endpoint: endpoint.to_owned(),
        status,
        snippet: snippet(body),
    })?;
    interpret(endpoint, status, value)
}

/// The success check on a body that is already JSON.
pub fn interpret(endpoint: &str, status: u16, value: Value) -> Result<Reply, PortalError> {
    let Value::Object(mut map) = value else {
        return Err(PortalError::Shape {
            endpoint: endpoint.to_owned(),
            status,
            detail: "the body is JSON but not an object with a `code`".to_owned(),
            request_id: None,
        });
    };
    let request_id = request_id_of(&Value::Object(map.clone()));
    let code = match map.get("code") {
        Some(Value::String(code)) => Some(code.clone()),
        Some(Value::Number(code)) => Some(code.to_string()),
        _ => None,
    };
    let detail = match map.get("detailMessage") {
        Some(Value::String(detail)) => detail.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let ok_status = (200..300).contains(&status);
    match code {
        Some(code) if code == "success" && ok_status => Ok(Reply {
            status,
            request_id,
            result: map.remove("result").unwrap_or(Value::Null),
        }),
        Some(code) => Err(PortalError::Rejected {
            endpoint: endpoint.to_owned(),
            status,
            code,
            detail,
            request_id,
            credentials: false,
        }),
        None if !ok_status => Err(PortalError::Rejected {
            endpoint: endpoint.to_owned(),
            status,
            code: "(none)".to_owned(),
            detail,
            request_id,
            credentials: false,
        }),
        None => Err(PortalError::Shape {
            endpoint: endpoint.to_owned(),
            status,
            detail: "the envelope has no `code` member".to_owned(),
            request_id,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn success_needs_both_2xx_and_the_success_code() {
        let body = br#"{"code":"success","detailMessage":"","requestId":"r1","result":{"a":1},"status":200}"#;
        let reply = parse("GET /x", 200, body).unwrap();
        assert_eq!(reply.request_id.as_deref(), Some("r1"));
        assert_eq!(reply.result["a"], 1);

        let err = parse("GET /x", 500, body).unwrap_err();
        assert!(matches!(err, PortalError::Rejected { status: 500, .. }));
    }

    #[test]
    fn a_rejection_carries_code_detail_and_request_id() {
        let body = br#"{"code":"parameter_validation_failed","detailMessage":"billingId must not be null","requestId":"5a1d","result":{"field":"billingId"},"status":400}"#;
        let err = parse("POST /order", 400, body).unwrap_err();
        assert_eq!(err.portal_code(), Some("parameter_validation_failed"));
        assert_eq!(err.request_id(), Some("5a1d"));
        assert_eq!(err.http_status(), Some(400));
        assert!(err.to_string().contains("billingId must not be null"));
        // The same rejection with HTTP 200 is still a rejection.
        assert!(parse("POST /order", 200, body).is_err());
    }

    #[test]
    fn html_pages_and_empty_bodies_are_not_json() {
        let err = parse(
            "GET /x",
            502,
            b"<html>\n<head><title>502 Bad Gateway</title></head></html>",
        )
        .unwrap_err();
        assert!(matches!(err, PortalError::NotJson { status: 502, .. }));
        assert!(err.to_string().contains("<html>"));
        assert!(parse("GET /x", 200, b"").is_err());
        assert!(parse("GET /x", 200, b"[1,2]").is_err());
        assert!(parse("GET /x", 200, b"{\"result\":1}").is_err());
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
