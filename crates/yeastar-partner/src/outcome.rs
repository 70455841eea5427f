//! What became of an order request: the one place that reads an order answer.
//!
//! The rules (CLI.md section 3): an answer that carries an order number created that order,
//! whatever its HTTP status or `code`; a 429 without one was not processed; a request that
//! never reached a live connection was not sent; a definite refusal placed nothing; anything
//! else after the request may have left the machine (a timeout, a reset, a 5xx, a 3xx, a
//! success without an order number, an unreadable body) leaves the outcome unknown. A 3xx
//! whose `Location` points at Get Order Details names the order it created.

use serde::Deserialize;

use crate::envelope::{self, request_id_of};
use crate::error::Error;
use crate::ids::{lenient_opt_string, OrderNo};
use crate::model::{OrderState, OrderStatus};
use crate::paths::ORDER_DETAILS_PATH;
use crate::transport::RawResponse;

/// An order the portal created.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CreatedOrder {
    /// The order number (`orderNo`).
    pub order_no: OrderNo,
    /// `None` when the answer gave no status.
    pub status: Option<OrderStatus>,
    /// The subscription instance the order created, when the answer named it.
    pub instance_id: Option<String>,
    /// The PBX's serial number, when the answer named it.
    pub product_no: Option<String>,
    /// The payment transaction's number, when the answer named it.
    pub transaction_no: Option<String>,
    /// The portal's `requestId` of the answer.
    pub request_id: Option<String>,
    /// The HTTP status of the answer.
    pub http_status: u16,
    /// The portal's `code` and `detailMessage` when they were not `success` (an order created
    /// with a complaint, such as `payment_required`).
    pub code: Option<String>,
    /// The portal's `detailMessage` (see `code`).
    pub message: Option<String>,
}

impl CreatedOrder {
    /// Succeeded, open, or failed; an order without a status is open.
    pub fn state(&self) -> OrderState {
        self.status
            .as_ref()
            .map(OrderStatus::state)
            .unwrap_or(OrderState::Open)
    }
}

/// Where and how an order request goes: `POST` to the order path with a body (what a `Vec<u8>`
/// becomes), or any method and path that the caller has decided is an order (`linkus api`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OrderCall {
    /// The HTTP method (`POST`).
    pub method: crate::transport::Method,
    /// The path the order is sent to.
    pub path: String,
    /// The exact bytes of the body.
    pub body: Vec<u8>,
}

impl OrderCall {
    /// An order sent with `method` to `path` (below the base URL) with this body: for a caller
    /// that has decided a request is an order (`linkus api`). [`From<Vec<u8>>`] is the usual
    /// `POST` to Create an Order.
    pub fn new(method: crate::transport::Method, path: impl Into<String>, body: Vec<u8>) -> Self {
        OrderCall {
            method,
            path: path.into(),
            body,
        }
    }
}

impl From<Vec<u8>> for OrderCall {
    fn from(body: Vec<u8>) -> Self {
        OrderCall::new(
            crate::transport::Method::Post,
            crate::paths::ORDER_PATH,
            body,
        )
    }
}

/// The fate of one order request.
///
/// Deliberately exhaustive (not `#[non_exhaustive]`), as are [`crate::OrderState`],
/// [`crate::Operation`] and [`crate::SubscriptionCheck`]: a caller that spends money must
/// handle every outcome, so a new one is a breaking change the compiler points out.
#[derive(Debug)]
pub enum OrderOutcome {
    /// The portal created the order: it gave an order number.
    Created(CreatedOrder),
    /// The portal answered that it did not place the order.
    Rejected(Error),
    /// The order was not sent, or was not processed (429): nothing was bought.
    NotSent(Error),
    /// The order was sent and no definitive answer came back: it may or may not exist.
    Unknown(Error),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderAnswer {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    detail_message: Option<String>,
    #[serde(default)]
    result: Option<OrderResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderResult {
    #[serde(default, deserialize_with = "lenient_opt_string")]
    order_no: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    order_status: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    instance_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    product_no: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt_string")]
    transaction_no: Option<String>,
}

/// An order number in the answer, wherever the envelope's status or code stands.
fn created(response: &RawResponse) -> Option<CreatedOrder> {
    let answer: OrderAnswer = serde_json::from_slice(&response.body).ok()?;
    let result = answer.result?;
    let order_no = result
        .order_no
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .map(OrderNo::from_portal)?;
    let code = match answer.code {
        Some(serde_json::Value::String(code)) => Some(code),
        Some(serde_json::Value::Number(code)) => Some(code.to_string()),
        _ => None,
    }
    .filter(|code| code != "success");
    Some(CreatedOrder {
        order_no,
        status: result
            .order_status
            .filter(|s| !s.trim().is_empty())
            .map(OrderStatus::new),
        instance_id: result.instance_id,
        product_no: result.product_no,
        transaction_no: result.transaction_no,
        request_id: request_id_of(&response.body),
        http_status: response.status,
        message: code
            .as_ref()
            .and(answer.detail_message)
            .filter(|m| !m.trim().is_empty()),
        code,
    })
}

/// The order number that ends a `Location` pointing at Get Order Details
/// (`…/order/openapi/order/v1/get/LR…`, absolute or relative, below any path prefix).
fn order_no_in_location(location: &str) -> Option<String> {
    let base = url::Url::parse("http://portal.invalid/").ok()?;
    let url = base.join(location.trim()).ok()?;
    let mut segments: Vec<&str> = url.path_segments()?.collect();
    if segments.last() == Some(&"") {
        segments.pop();
    }
    let (order_no, head) = segments.split_last()?;
    let details: Vec<&str> = ORDER_DETAILS_PATH
        .trim_start_matches('/')
        .split('/')
        .collect();
    let at_details = head.len() >= details.len()
        && head[head.len() - details.len()..]
            .iter()
            .zip(&details)
            .all(|(segment, expected)| segment.eq_ignore_ascii_case(expected));
    let is_number =
        (1..=64).contains(&order_no.len()) && order_no.bytes().all(|b| b.is_ascii_alphanumeric());
    (at_details && is_number).then(|| (*order_no).to_owned())
}

impl OrderOutcome {
    /// Decides what an answer (or a failure to get one) means for an order.
    pub fn decide(endpoint: &str, sent: Result<RawResponse, Error>) -> OrderOutcome {
        let response = match sent {
            Ok(response) => response,
            Err(error) if error.never_sent() => return OrderOutcome::NotSent(error),
            Err(error) => return OrderOutcome::Unknown(error),
        };
        if let Some(order) = created(&response) {
            return OrderOutcome::Created(order);
        }
        let status = response.status;
        // A redirect is not a refusal: something processed the request (never followed).
        if (300..400).contains(&status) {
            let location = response.location();
            if let Some(order_no) = location.as_deref().and_then(order_no_in_location) {
                return OrderOutcome::Created(CreatedOrder {
                    order_no: OrderNo::from_portal(order_no),
                    status: None,
                    instance_id: None,
                    product_no: None,
                    transaction_no: None,
                    request_id: request_id_of(&response.body),
                    http_status: status,
                    code: None,
                    message: None,
                });
            }
            return OrderOutcome::Unknown(Error::Redirect {
                endpoint: endpoint.to_owned(),
                status,
                location,
            });
        }
        let parsed = envelope::parse(endpoint, status, &response.body);
        // A 429 says the request was not processed, whoever sent it and whatever the body.
        if status == 429 {
            return OrderOutcome::NotSent(match parsed {
                Err(error) => error,
                Ok(_) => Error::Rejected {
                    endpoint: endpoint.to_owned(),
                    status,
                    code: "(none)".to_owned(),
                    message: "too many requests".to_owned(),
                    request_id: request_id_of(&response.body),
                    credentials: false,
                },
            });
        }
        match parsed {
            // A server error does not prove that the order was not placed.
            Err(error) if status >= 500 => OrderOutcome::Unknown(error),
            // A refusal names a reason; "success" with a 4xx and no order number names none.
            Err(error @ Error::Rejected { .. }) if error.code() != Some("success") => {
                OrderOutcome::Rejected(error)
            }
            Err(error) => OrderOutcome::Unknown(error),
            Ok(reply) => OrderOutcome::Unknown(
                reply.shape("the portal said success but gave no order number"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Phase;
    use crate::transport::Headers;

    const ENDPOINT: &str = "POST /order/openapi/order/v1/save";

    fn answer(status: u16, body: &str) -> Result<RawResponse, Error> {
        Ok(RawResponse {
            status,
            headers: Headers::new(),
            body: body.to_owned().into(),
            retry_after: None,
        })
    }

    fn decide(status: u16, body: &str) -> OrderOutcome {
        OrderOutcome::decide(ENDPOINT, answer(status, body))
    }

    fn created_body(code: &str, status: &str) -> String {
        format!(
            r#"{{"code":"{code}","detailMessage":"pay first","requestId":"r1","result":{{"orderNo":"LR1","orderStatus":"{status}"}}}}"#
        )
    }

    #[test]
    fn an_order_number_means_created_whatever_the_status_or_code() {
        for (http, code) in [
            (200, "success"),
            (400, "success"),
            (402, "payment_required"),
            (429, "x"),
            (500, "internal_error"),
            (503, "success"),
        ] {
            match decide(http, &created_body(code, "pending")) {
                OrderOutcome::Created(order) => {
                    assert_eq!(order.order_no, "LR1");
                    assert_eq!(order.state(), OrderState::Open);
                    assert_eq!(order.http_status, http);
                    assert_eq!(order.request_id.as_deref(), Some("r1"));
                    if code != "success" {
                        assert_eq!(order.code.as_deref(), Some(code));
                        assert_eq!(order.message.as_deref(), Some("pay first"));
                    }
                }
                other => panic!("HTTP {http} {code}: {other:?}"),
            }
        }
        let OrderOutcome::Created(order) =
            decide(200, r#"{"code":"success","result":{"orderNo":"LR2"}}"#)
        else {
            panic!("created");
        };
        assert_eq!(order.status, None);
        assert_eq!(order.state(), OrderState::Open);
        // A numeric `code` is the portal's complaint too.
        let OrderOutcome::Created(order) = decide(
            402,
            r#"{"code":40201,"detailMessage":"pay first","result":{"orderNo":"LR3"}}"#,
        ) else {
            panic!("created");
        };
        assert_eq!(order.code.as_deref(), Some("40201"));
        assert_eq!(order.message.as_deref(), Some("pay first"));
    }

    /// CLI.md section 3: `failed`, `invalid`, `cancelled` or `refunded` is exit 5 with the
    /// number shown; `succeed` 0; anything else (or none) 8.
    #[test]
    fn a_refunded_order_is_created_and_failed_not_open() {
        for (status, state) in [
            ("succeed", OrderState::Succeeded),
            ("failed", OrderState::Failed),
            ("invalid", OrderState::Failed),
            ("cancelled", OrderState::Failed),
            ("refunded", OrderState::Failed),
            ("REFUNDED", OrderState::Failed),
            ("pending", OrderState::Open),
            ("on_hold", OrderState::Open),
        ] {
            let OrderOutcome::Created(order) = decide(200, &created_body("success", status)) else {
                panic!("{status}: created");
            };
            assert_eq!(order.order_no, "LR1");
            assert_eq!(order.state(), state, "{status}");
        }
    }

    #[test]
    fn a_refunded_order_is_final_without_service_like_failed() {
        for status in ["refunded", "REFUNDED", "failed", "invalid", "cancelled"] {
            let OrderOutcome::Created(order) = decide(200, &created_body("success", status)) else {
                panic!("{status}: created");
            };
            assert_eq!(order.state(), OrderState::Failed, "{status}");
        }
    }

    #[test]
    fn a_429_without_an_order_number_was_not_processed() {
        for body in [
            "",
            "<html>slow down</html>",
            r#"{"code":"too_many_requests","detailMessage":"slow"}"#,
        ] {
            assert!(
                matches!(decide(429, body), OrderOutcome::NotSent(_)),
                "{body:?}"
            );
        }
    }

    #[test]
    fn server_errors_and_silent_successes_are_unknown() {
        assert!(matches!(
            decide(500, r#"{"code":"internal_error"}"#),
            OrderOutcome::Unknown(_)
        ));
        assert!(matches!(
            decide(502, "<html>bad gateway</html>"),
            OrderOutcome::Unknown(_)
        ));
        assert!(matches!(
            decide(200, r#"{"code":"success","result":{}}"#),
            OrderOutcome::Unknown(_)
        ));
        assert!(matches!(
            decide(200, "{truncated"),
            OrderOutcome::Unknown(_)
        ));
        assert!(matches!(
            decide(400, r#"{"code":"success","result":null}"#),
            OrderOutcome::Unknown(_)
        ));
    }

    #[test]
    fn a_refusal_without_an_order_number_is_rejected() {
        let OrderOutcome::Rejected(error) = decide(
            400,
            r#"{"code":"product_not_eligible","detailMessage":"no","requestId":"r9"}"#,
        ) else {
            panic!("rejected");
        };
        assert_eq!(error.code(), Some("product_not_eligible"));
        assert_eq!(error.request_id(), Some("r9"));
        assert!(matches!(
            decide(200, r#"{"code":"product_not_eligible"}"#),
            OrderOutcome::Rejected(_)
        ));
    }

    #[test]
    fn transport_failures_split_on_whether_the_order_left() {
        let failure = |phase| {
            OrderOutcome::decide(
                ENDPOINT,
                Err(Error::Transport {
                    endpoint: ENDPOINT.into(),
                    phase,
                    message: "x".into(),
                }),
            )
        };
        assert!(matches!(failure(Phase::Connect), OrderOutcome::NotSent(_)));
        assert!(matches!(failure(Phase::Timeout), OrderOutcome::Unknown(_)));
        assert!(matches!(failure(Phase::Broken), OrderOutcome::Unknown(_)));
    }

    fn redirected(status: u16, location: Option<&str>, body: &str) -> OrderOutcome {
        let mut headers = Headers::new();
        if let Some(location) = location {
            headers.insert("location", location);
        }
        OrderOutcome::decide(
            ENDPOINT,
            Ok(RawResponse {
                status,
                headers,
                body: body.to_owned().into(),
                retry_after: None,
            }),
        )
    }

    /// CLI.md section 3, "A redirect is not a refusal": never "not sent".
    #[test]
    fn a_redirect_is_unknown_unless_it_names_the_order() {
        for status in [300, 301, 302, 303, 304, 307, 308, 399] {
            for location in [
                None,
                Some("https://partner.example.com/login"),
                Some("/order/openapi/order/v1/save"),
                Some("/order/openapi/order/v1/get/"),
                Some("/order/openapi/order/v1/page/LR1"),
                Some("/other/v1/get/LR1"),
                Some("/order/openapi/order/v1/get/LR 1"),
                Some("/order/openapi/order/v1/get/LR%2F1"),
                Some("https://x/order/openapi/order/v1/get/../page/LR1"),
            ] {
                let OrderOutcome::Unknown(Error::Redirect {
                    status: said,
                    location: named,
                    ..
                }) = redirected(status, location, "")
                else {
                    panic!("{status} {location:?}: not unknown");
                };
                assert_eq!(said, status);
                assert_eq!(named.as_deref(), location);
            }
        }
    }

    #[test]
    fn a_redirect_to_get_order_details_created_that_order() {
        for location in [
            "https://openapi.partner.yeastar.com/order/openapi/order/v1/get/LR3206190457467703296",
            "/order/openapi/order/v1/get/LR3206190457467703296",
            "/order/openapi/order/v1/get/LR3206190457467703296/",
            "/prefix/Order/OpenAPI/order/v1/GET/LR3206190457467703296?x=1",
        ] {
            for status in [301, 302, 303, 307, 308] {
                let OrderOutcome::Created(order) = redirected(status, Some(location), "") else {
                    panic!("{status} {location}: not created");
                };
                assert_eq!(order.order_no, "LR3206190457467703296");
                assert_eq!(order.status, None);
                assert_eq!(order.state(), OrderState::Open);
                assert_eq!(order.http_status, status);
            }
        }
        // An order number in the body wins, whatever the Location.
        let OrderOutcome::Created(order) = redirected(
            302,
            Some("https://partner.example.com/login"),
            &created_body("success", "succeed"),
        ) else {
            panic!("created");
        };
        assert_eq!(order.order_no, "LR1");
        assert_eq!(order.state(), OrderState::Succeeded);
    }
}
