//! `linkus api METHOD PATH`: one authenticated request to any portal path, like `gh api`. A
//! request to the order path goes through the same lock and journal as `purchase`.

use crate::portal_clock::EpochClock as _;
use std::io::Read;

use crate::paths::ORDER_PATH;
use anyhow::{Context as _, Result};
use yeastar_partner::{
    BillingContactId, Body, Method, Operation, OrderOutcome, OrderState, PlanId, RawResponse,
    Request, Resend,
};

use crate::cli::{ApiArgs, HttpMethod};
use crate::context::Context;
use crate::error::{ExitStatus, Failure, Kind};
use crate::guard::Pass;
use crate::journal::{self, Intent};
use crate::lock::LockDir;
use crate::order;
use crate::output::Output;
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
    let typed = args.path.as_str();
    if has_blank_or_control(typed) {
        return Err(blank_or_control(typed).into());
    }
    if !typed.starts_with('/') || typed.contains("://") {
        return Err(Failure::usage(format!(
            "{typed:?} is not an API path; it starts with '/', as in /order/openapi/order/v1/page."
        ))
        .into());
    }
    let method = match args.method {
        HttpMethod::Get => Method::Get,
        HttpMethod::Post => Method::Post,
        HttpMethod::Put => Method::Put,
        HttpMethod::Patch => Method::Patch,
        HttpMethod::Delete => Method::Delete,
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

    let (query, body) = if method == Method::Get {
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

    // The URL exactly as it will be sent, and the path that sends it: what is an order is
    // decided on that, never on the text typed.
    let (url, path) = sent_url(&ctx.base_url()?, typed)?;
    let path = path.as_str();
    let body_names_an_operation = match &body {
        Body::Json(bytes) => names_an_operation(bytes),
        _ => false,
    };
    if method != Method::Get && (is_order_url(&url) || body_names_an_operation) {
        let bytes = match body {
            Body::Json(bytes) => bytes,
            _ => Vec::new(),
        };
        let call = yeastar_partner::OrderCall::new(method, path, bytes);
        return order(ctx, call, &args.again).await;
    }
    if !args.again.is_empty() {
        return Err(Failure::usage(
            "--again names an earlier order to order again after; this request is not an order.",
        )
        .into());
    }

    let resend = if method == Method::Get {
        Resend::Idempotent
    } else {
        Resend::OnlyIfNotSent
    };
    let mut request = Request::new(method, path);
    request.query = query;
    request.body = body;
    request.resend = resend;
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
    print_body(&ctx.out, &response);
    let parsed = if (300..400).contains(&response.status) {
        Err(yeastar_partner::Error::Redirect {
            endpoint: endpoint.clone(),
            status: response.status,
            location: response.location(),
        })
    } else {
        response.reply(&endpoint)
    };
    match parsed {
        Ok(_) => Ok(ExitStatus::Success),
        Err(error) => {
            let failure = Failure::from(&error);
            // A request that may change something and got a 5xx or a 3xx (which is not a
            // refusal) may or may not have taken effect.
            let processed = response.status >= 500 || (300..400).contains(&response.status);
            let kind = if resend == Resend::OnlyIfNotSent && processed {
                Kind::OrderUnknown
            } else {
                failure.kind
            };
            let failure = Failure { kind, ..failure };
            crate::error::report(&ctx.out, failure);
            Ok(ExitStatus::Failed(kind))
        }
    }
}

/// The portal's own body, digit for digit, with every known secret scrubbed (a portal that
/// echoes the Authorization header must not print the token).
fn print_body(out: &Output, response: &RawResponse) {
    let text = redact::scrub(&pretty(&String::from_utf8_lossy(&response.body)));
    let printed = if out.jq.is_some() {
        out.json_text(&text)
    } else {
        out.print(&text)
    };
    if let Err(error) = printed {
        crate::output::warn(&format!("could not write the answer to stdout: {error}"));
    }
}

fn has_blank_or_control(text: &str) -> bool {
    text.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn blank_or_control(typed: &str) -> Failure {
    Failure::usage(format!(
        "{typed:?} has whitespace or control characters (typed or percent-encoded), which no API path has; nothing was sent."
    ))
}

/// The URL a request for the typed path goes to, built by the same function the client
/// sends with, and the path (below the base URL's) that the client turns into exactly that
/// URL again. A path that climbs above the base URL's own path, or hides whitespace or control
/// characters behind `%`, is refused.
fn sent_url(base: &url::Url, typed: &str) -> Result<(url::Url, String), Failure> {
    let invalid =
        |why: String| Failure::usage(format!("{typed:?} is not a usable API path: {why}."));
    let mut url = yeastar_partner::url_for(base, typed).map_err(|e| invalid(e.to_string()))?;
    // A fragment never leaves the machine.
    url.set_fragment(None);
    if has_blank_or_control(&decoded(url.path())) {
        return Err(blank_or_control(typed));
    }
    let prefix = base.path().trim_end_matches('/');
    let below = url
        .path()
        .strip_prefix(prefix)
        .filter(|rest| rest.starts_with('/'))
        .ok_or_else(|| invalid(format!("it leads out of the base URL's path {prefix}")))?;
    let mut path = below.to_owned();
    if let Some(query) = url.query() {
        path.push('?');
        path.push_str(query);
    }
    match yeastar_partner::url_for(base, &path) {
        Ok(again) if again == url => Ok((url, path)),
        _ => Err(invalid("it does not read the same twice".to_owned())),
    }
}

/// Percent-decoded as a server decodes a path (`%2F` included).
fn decoded(path: &str) -> String {
    percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned()
}

/// Whether a URL reaches Create an Order on a server that decodes `%XX` (`%2F` too), takes
/// `\` for `/`, resolves `.` and `..`, merges `//`, drops `;` parameters and a trailing slash,
/// and ignores case; below any path prefix. Generous on purpose: a false "order" only adds
/// the guard.
fn is_order_url(url: &url::Url) -> bool {
    let path = decoded(url.path()).replace('\\', "/");
    let mut segments: Vec<String> = Vec::new();
    for segment in path.split('/') {
        let segment = segment.split(';').next().unwrap_or_default();
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            // Upper then lower case: `ſ` and `ı` match `s` and `i`, as in Java's
            // equalsIgnoreCase.
            _ => segments.push(segment.to_uppercase().to_lowercase()),
        }
    }
    let order: Vec<&str> = ORDER_PATH.split('/').filter(|s| !s.is_empty()).collect();
    segments.len() >= order.len()
        && segments[segments.len() - order.len()..]
            .iter()
            .zip(&order)
            .all(|(segment, expected)| segment == expected)
}

/// Whether a JSON body has an `operationType`: any request that names one is an order.
fn names_an_operation(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .is_ok_and(|value| value.get("operationType").is_some())
}

/// An order sent through `api`: its SN is the body's `productNo`, and it is locked, checked
/// against the journal and journaled like any other order.
async fn order(
    ctx: &Context,
    call: yeastar_partner::OrderCall,
    again: &[String],
) -> Result<ExitStatus> {
    let body = &call.body;
    let parsed: serde_json::Value = serde_json::from_slice(body).map_err(|_| {
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
    // An operation linkus does not know (or none) is checked as every operation.
    let named = parsed
        .get("operationType")
        .and_then(|v| v.as_str())
        .and_then(Operation::parse);
    let operation = named.unwrap_or(Operation::Purchase);
    let checked: Vec<Operation> = match named {
        Some(operation) => vec![operation],
        None => journal::EVERY_OPERATION.to_vec(),
    };
    let id_of = |value: Option<&serde_json::Value>| {
        value
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            })
            .unwrap_or(0)
    };
    let service = parsed.get("serviceList").and_then(|list| list.get(0));
    let locks = LockDir::locate()?;
    let lock = locks
        .lock(
            &ctx.settings.portal_key(),
            &sn,
            "linkus api",
            &ctx.now_rfc3339(),
        )
        .await?;
    let mut records = order::records(ctx, Some(&locks), &sn);
    let client = ctx.client()?;
    let mut earlier = records.read().await?;
    for operation in &checked {
        order::check(
            &earlier,
            &order::ask(ctx, &sn, *operation, again, Pass::BeforeLookUps),
        )?;
    }
    // The portal's own list (orders placed from other machines) with the look-ups.
    let ((), listed) = tokio::join!(
        order::look_up_open(ctx, &client, &records, &mut earlier),
        crate::portal_record::read_for_order(&ctx.out, &client),
    );
    let portal = listed?
        .earlier_for(&client, &sn, operation, ctx.clock.now_ms(), false)
        .await;
    let all = [earlier.as_slice(), portal.as_slice()].concat();
    for operation in &checked {
        order::check(&all, &order::ask(ctx, &sn, *operation, again, Pass::Final))?;
    }
    records.push(std::sync::Arc::new(crate::portal_record::PortalStore::new(
        portal,
    )));
    let intent = Intent {
        id: journal::new_id(),
        time: ctx.now_rfc3339(),
        profile: ctx.settings.profile().to_owned(),
        base_url: ctx.settings.portal_label(),
        sn: sn.clone(),
        operation,
        any_operation: named.is_none(),
        plan_id: PlanId::new(id_of(service.and_then(|s| s.get("serviceId")))),
        plan_name: "(sent with linkus api)".to_owned(),
        billing_contact_id: BillingContactId::new(id_of(parsed.get("billingId"))),
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
    let placed = order::place(ctx, &client, &lock, &records, intent, call, again).await?;
    if let Some(response) = &placed.response {
        print_body(&ctx.out, response);
    }
    placed.warn_unrecorded(&ctx.out);
    match placed.outcome {
        OrderOutcome::Created(created) => Ok(match created.state() {
            OrderState::Succeeded => ExitStatus::Success,
            OrderState::Open => ExitStatus::Failed(Kind::OrderIncomplete),
            OrderState::Failed => ExitStatus::Failed(Kind::Rejected),
        }),
        OrderOutcome::Rejected(error) | OrderOutcome::NotSent(error)
            if placed.response.is_none() =>
        {
            let context = order::not_sent(&sn, &error);
            Err(anyhow::Error::from(error).context(context))
        }
        OrderOutcome::Rejected(error) | OrderOutcome::NotSent(error) => {
            let kind = Kind::from(&error);
            crate::error::report(
                &ctx.out,
                Failure::new(kind, format!("{error}; nothing was bought.")).about(&error),
            );
            Ok(ExitStatus::Failed(kind))
        }
        OrderOutcome::Unknown(error) => {
            crate::error::report(&ctx.out, order::unknown(&sn, &placed.intent.time, &error));
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

    fn sent(typed: &str) -> (url::Url, String) {
        let base = url::Url::parse("https://portal.example.com").unwrap();
        sent_url(&base, typed).unwrap_or_else(|e| panic!("{typed:?}: {e}"))
    }

    #[test]
    fn the_order_path_is_recognised_however_written() {
        for typed in [
            "/order/openapi/order/v1/save",
            "/order/openapi/order/v1/save/",
            "/Order/OpenAPI/order/v1/save?x=1",
            "//order/openapi/order/v1/save",
            "/order/openapi/order/v1/x/../save",
            "/order/./openapi/order/v1/save",
            "/order/openapi/order/v1/x/%2e%2E/save",
            "/order/openapi/order/v1/x/.%2e/save",
            "/order/openapi/order/v1/%73ave",
            "/order%2Fopenapi%2Forder%2Fv1%2Fsave",
            "/order/openapi/order/v1/x%2F..%2Fsave",
            "/order/openapi/order/v1/save;jsessionid=1",
            "/order;a=b/openapi/order/v1/save;",
            "/order\\openapi\\order\\v1\\save",
            "/order/openapi/order/v1/save%5C",
            "/order//openapi/order/v1//save",
            "/prefix/order/openapi/order/v1/save",
            "/order/openapi/order/v1/save#frag",
            "/order/openapı/order/v1/ſave",
            "/order/openap%C4%B1/order/v1/%C5%BFave",
        ] {
            let (url, _) = sent(typed);
            assert!(is_order_url(&url), "{typed:?} as {url}");
        }
        for typed in [
            "/order/openapi/order/v1/page",
            "/order/openapi/order/v1/save/x",
            "/order/openapi/order/v1/save/..",
            "/order/openapi/order/v1/savex",
            "/order/openapi/order/v1/save%2Fx",
            "/order/openapi/order/v1/get/LR1",
        ] {
            let (url, _) = sent(typed);
            assert!(!is_order_url(&url), "{typed:?} as {url}");
        }
    }

    #[test]
    fn the_path_sent_reads_back_as_the_url_decided_on() {
        let base = url::Url::parse("https://portal.example.com/api/").unwrap();
        let (url, path) = sent_url(&base, "//x/../order/./save?a=b#f").unwrap();
        assert_eq!(
            url.as_str(),
            "https://portal.example.com/api/order/save?a=b"
        );
        assert_eq!(path, "/order/save?a=b");
        assert!(sent_url(&base, "/../order/openapi/order/v1/save").is_err());
        assert!(sent_url(&base, "/x/%09").is_err());
        assert!(sent_url(&base, "/x/%C2%A0").is_err());
        // `/.//order` is the URL path `//order`, which no path below the base reproduces (the
        // client drops leading slashes): refused rather than sent elsewhere than decided.
        assert!(sent_url(&base, "/.//order/openapi/order/v1/save").is_err());
    }

    #[test]
    fn a_body_with_an_operation_type_is_an_order() {
        assert!(names_an_operation(br#"{"operationType":"renew_plan"}"#));
        assert!(names_an_operation(br#"{"operationType":null}"#));
        assert!(!names_an_operation(br#"{"productNo":"1"}"#));
        assert!(!names_an_operation(b"[1]"));
        assert!(!names_an_operation(b"not json"));
    }
}
