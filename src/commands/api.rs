//! `linkus api METHOD PATH`: one authenticated request to any portal path, like `gh api`. A
//! request to the order path goes through the same lock and journal as `purchase`.

use std::io::Read;

use anyhow::{Context as _, Result};
use yeastar_partner::paths::ORDER_PATH;
use yeastar_partner::{
    Body, Id, Method, Operation, OrderOutcome, OrderState, RawResponse, Request, Resend,
};

use crate::cli::{ApiArgs, HttpMethod};
use crate::context::Context;
use crate::error::{classify, ExitStatus, Failure, Kind};
use crate::guard::Pass;
use crate::journal::{self, Intent};
use crate::lock::LockDir;
use crate::order;
use crate::rawjson::pretty;
use crate::redact;

/// A `-F` value as JSON text: numbers exactly as typed, `true`, `false`, `null`; anything else
/// a string.
pub fn typed_literal(value: &str) -> String {
    let trimmed = value.trim();
    let is_number = serde_json::from_str::<serde_json::Number>(trimmed).is_ok();
    if is_number || matches!(trimmed, "true" | "false" | "null") {
        trimmed.to_owned()
    } else {
        serde_json::Value::String(value.to_owned()).to_string()
    }
}

fn split_field(field: &str) -> Result<(&str, &str)> {
    match field.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim(), value)),
        _ => Err(Failure::usage(format!("{field:?} is not KEY=VALUE.")).into()),
    }
}

/// The JSON object of the fields, written by hand so that numbers keep every digit.
fn json_body(fields: &[(String, String)]) -> Vec<u8> {
    let members: Vec<String> = fields
        .iter()
        .map(|(key, literal)| format!("{}:{literal}", serde_json::Value::String(key.clone())))
        .collect();
    format!("{{{}}}", members.join(",")).into_bytes()
}

pub async fn run(ctx: &Context, args: ApiArgs) -> Result<ExitStatus> {
    let path = args.path.trim();
    if !path.starts_with('/') || path.contains("://") {
        return Err(Failure::usage(format!(
            "{path:?} is not an API path; it starts with '/', as in /order/openapi/order/v1/page."
        ))
        .into());
    }
    let method = match args.method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Delete => Method::DELETE,
    };
    let mut fields: Vec<(String, String, bool)> = Vec::new();
    for field in &args.fields {
        let (key, value) = split_field(field)?;
        fields.push((key.to_owned(), value.to_owned(), false));
    }
    for field in &args.typed_fields {
        let (key, value) = split_field(field)?;
        fields.push((key.to_owned(), value.to_owned(), true));
    }

    let (query, body) = if method == Method::GET {
        if args.input.is_some() {
            return Err(Failure::usage("--input sends a body, which GET does not have.").into());
        }
        let query = fields
            .into_iter()
            .map(|(k, v, _)| (k, v.trim().to_owned()))
            .collect();
        (query, Body::Empty)
    } else if let Some(input) = &args.input {
        let mut bytes = Vec::new();
        if input.as_os_str() == "-" {
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("could not read the body from stdin")?;
        } else {
            bytes = std::fs::read(input).map_err(|e| {
                Failure::usage(format!("Could not read --input {}: {e}", input.display()))
            })?;
        }
        (Vec::new(), Body::Json(bytes))
    } else if fields.is_empty() {
        (Vec::new(), Body::Empty)
    } else {
        let literals: Vec<(String, String)> = fields
            .into_iter()
            .map(|(key, value, typed)| {
                let literal = if typed {
                    typed_literal(&value)
                } else {
                    serde_json::Value::String(value).to_string()
                };
                (key, literal)
            })
            .collect();
        (Vec::new(), Body::Json(json_body(&literals)))
    };

    if method != Method::GET && is_order_path(path) {
        let bytes = match body {
            Body::Json(bytes) => bytes,
            _ => Vec::new(),
        };
        return order(ctx, bytes).await;
    }

    let resend = if method == Method::GET {
        Resend::Idempotent
    } else {
        Resend::OnlyIfNotSent
    };
    let request = Request {
        method,
        path: path.to_owned(),
        query,
        body,
        resend,
    };
    let endpoint = request.endpoint();
    let client = ctx.client()?;
    let response = match client.send(&request).await {
        Ok(response) => response,
        Err(error)
            if resend == Resend::OnlyIfNotSent
                && !error.never_sent()
                && !error.is_credentials() =>
        {
            let failure = Failure::new(
                Kind::OrderUnknown,
                format!("{endpoint} was sent, but no definitive answer came back; its effect is unknown."),
            )
            .hint("Check the portal before sending it again.");
            return Err(anyhow::Error::from(error).context(failure));
        }
        Err(error) => return Err(error.into()),
    };
    print_body(ctx, &response);
    let parsed = if (300..400).contains(&response.status) {
        Err(yeastar_partner::Error::Redirect {
            endpoint: endpoint.clone(),
            status: response.status,
            location: response.location(),
        })
    } else {
        yeastar_partner::parse_envelope(&endpoint, response.status, &response.body)
    };
    match parsed {
        Ok(_) => Ok(ExitStatus::Success),
        Err(error) => {
            let (kind, hints) = classify(&error);
            // A request that may change something and got a 5xx may or may not have taken effect.
            let kind = if resend == Resend::OnlyIfNotSent && response.status >= 500 {
                Kind::OrderUnknown
            } else {
                kind
            };
            let failure = hints.into_iter().fold(
                Failure::new(kind, error.to_string()).about(&error),
                Failure::hint,
            );
            ctx.out.report(failure);
            Ok(ExitStatus::Failed(kind))
        }
    }
}

/// The portal's own body, digit for digit, with every known secret scrubbed (a portal that
/// echoes the Authorization header must not print the token).
fn print_body(ctx: &Context, response: &RawResponse) {
    let text = redact::scrub(&pretty(&String::from_utf8_lossy(&response.body)));
    if let Err(error) = ctx.out.print(&text) {
        crate::output::warn(&format!("could not write the answer to stdout: {error}"));
    }
}

fn is_order_path(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    path.trim_end_matches('/').eq_ignore_ascii_case(ORDER_PATH)
}

/// An order sent through `api`: its SN is the body's `productNo`, and it is locked, checked
/// against the journal and journaled like any other order.
async fn order(ctx: &Context, body: Vec<u8>) -> Result<ExitStatus> {
    let parsed: serde_json::Value = serde_json::from_slice(&body).map_err(|_| {
        Failure::usage(
            "An order body must be JSON; linkus reads its productNo to guard against paying twice.",
        )
    })?;
    let sn = parsed
        .get("productNo")
        .and_then(|v| v.as_str())
        .ok_or_else(|| Failure::usage("The order body has no productNo (the PBX SN); linkus needs it to guard against paying twice."))?;
    let sn = crate::cli::parse_sn(sn)
        .map_err(|why| Failure::usage(format!("The body's productNo is not an SN: {why}.")))?;
    let operation = parsed
        .get("operationType")
        .and_then(|v| v.as_str())
        .and_then(Operation::parse)
        .unwrap_or(Operation::Purchase);
    let id_of = |value: Option<&serde_json::Value>| {
        value
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            })
            .map(Id)
            .unwrap_or(Id(0))
    };
    let service = parsed.get("serviceList").and_then(|list| list.get(0));
    let locks = LockDir::locate()?;
    let lock = locks.lock(&ctx.portal_key(), &sn, "linkus api", &ctx.now_rfc3339())?;
    let mut records = order::records(ctx, Some(&locks), &sn);
    let client = ctx.client()?;
    let again: &[String] = &[];
    let mut earlier = records.read().await?;
    order::check(
        &earlier,
        &order::ask(ctx, &sn, operation, again, Pass::BeforeLookUps),
    )?;
    // The portal's own list (orders placed from other machines) with the look-ups.
    let ((), listed) = tokio::join!(
        order::look_up_open(ctx, &client, &records, &mut earlier),
        crate::portal_record::read_for_order(ctx, &client),
    );
    let portal = listed?
        .earlier_for(&client, &sn, operation, ctx.clock.now_ms(), false)
        .await;
    order::check(
        &[earlier.as_slice(), portal.as_slice()].concat(),
        &order::ask(ctx, &sn, operation, again, Pass::Final),
    )?;
    records.push(std::sync::Arc::new(crate::portal_record::PortalStore::new(
        portal,
    )));
    let intent = Intent {
        id: journal::new_id(),
        time: ctx.now_rfc3339(),
        profile: ctx.profile().to_owned(),
        base_url: ctx.portal_label(),
        sn: sn.clone(),
        operation,
        plan_id: id_of(service.and_then(|s| s.get("serviceId"))),
        plan_name: "(sent with linkus api)".to_owned(),
        billing_contact_id: id_of(parsed.get("billingId")),
        years: service
            .and_then(|s| s.get("multiCycle"))
            .and_then(|v| v.as_u64())
            .and_then(|v| u8::try_from(v).ok())
            .unwrap_or(0),
        po_number: parsed
            .get("poNumber")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        list_total: None,
        portal_time: None,
        pid: Some(std::process::id()),
        host: None,
        user: None,
    };
    let placed = order::place(ctx, &client, &lock, &records, intent, body, again).await?;
    if let Some(response) = &placed.response {
        print_body(ctx, response);
    }
    if let Some(unrecorded) = &placed.unrecorded {
        ctx.out.warn(&unrecorded.warning(&sn));
    }
    match placed.outcome {
        OrderOutcome::Created(created) => Ok(match created.state() {
            OrderState::Succeeded => ExitStatus::Success,
            OrderState::Open => ExitStatus::Failed(Kind::OrderIncomplete),
            OrderState::Failed => ExitStatus::Failed(Kind::Rejected),
        }),
        OrderOutcome::Rejected(error) | OrderOutcome::NotSent(error)
            if placed.response.is_none() =>
        {
            Err(anyhow::Error::from(error).context(format!(
                "The order for SN {sn} was not sent; nothing was bought"
            )))
        }
        OrderOutcome::Rejected(error) | OrderOutcome::NotSent(error) => {
            let kind = classify(&error).0;
            ctx.out
                .report(Failure::new(kind, format!("{error}; nothing was bought.")).about(&error));
            Ok(ExitStatus::Failed(kind))
        }
        OrderOutcome::Unknown(error) => {
            ctx.out
                .report(order::unknown(&sn, &placed.intent.time, &error));
            Ok(ExitStatus::Failed(Kind::OrderUnknown))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_fields_keep_their_type_and_digits() {
        assert_eq!(typed_literal("3197218168379846218"), "3197218168379846218");
        assert_eq!(
            typed_literal("0.10000000000000000001"),
            "0.10000000000000000001"
        );
        assert_eq!(typed_literal("true"), "true");
        assert_eq!(typed_literal("null"), "null");
        assert_eq!(typed_literal("abc"), "\"abc\"");
        assert_eq!(
            String::from_utf8(json_body(&[(
                "billingId".into(),
                typed_literal("3197218168379846218")
            )]))
            .unwrap(),
            r#"{"billingId":3197218168379846218}"#
        );
    }

    #[test]
    fn the_order_path_is_recognised_however_written() {
        assert!(is_order_path("/order/openapi/order/v1/save"));
        assert!(is_order_path("/order/openapi/order/v1/save/"));
        assert!(is_order_path("/Order/OpenAPI/order/v1/save?x=1"));
        assert!(!is_order_path("/order/openapi/order/v1/page"));
    }
}
