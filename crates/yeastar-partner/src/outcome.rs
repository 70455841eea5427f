//! What became of an order request: the one place that reads an order answer.
//!
//! The rules (CLI.md section 3): an answer that carries an order number created that order,
//! whatever its HTTP status or `code`; a 429 without one was not processed; a request that
//! never reached a live connection was not sent; a definite refusal placed nothing; anything
//! else after the request may have left the machine (a timeout, a reset, a 5xx, a success
//! without an order number, an unreadable body) leaves the outcome unknown.

use serde::Deserialize;

use crate::envelope::{self, request_id_of};
use crate::error::Error;
use crate::ids::lenient_opt_string;
use crate::model::{OrderState, OrderStatus};
use crate::transport::RawResponse;

/// An order the portal created.
#[derive(Debug, Clone)]
pub struct CreatedOrder {
    pub order_no: String,
    /// `None` when the answer gave no status.
    pub status: Option<OrderStatus>,
    pub instance_id: Option<String>,
    pub product_no: Option<String>,
    pub transaction_no: Option<String>,
    pub request_id: Option<String>,
    pub http_status: u16,
    /// The portal's `code` and `detailMessage` when they were not `success` (an order created
    /// with a complaint, such as `payment_required`).
    pub code: Option<String>,
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

/// The fate of one order request.
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
        .filter(|n| !n.is_empty())?;
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
        if (300..400).contains(&status) {
            return OrderOutcome::NotSent(Error::Redirect {
                endpoint: endpoint.to_owned(),
                status,
                location: response.location(),
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
    use reqwest::header::HeaderMap;

    const ENDPOINT: &str = "POST /order/openapi/order/v1/save";

    fn answer(status: u16, body: &str) -> Result<RawResponse, Error> {
        Ok(RawResponse {
            status,
            headers: HeaderMap::new(),
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
        assert!(matches!(
            decide(301, ""),
            OrderOutcome::NotSent(Error::Redirect { .. })
        ));
    }
}
