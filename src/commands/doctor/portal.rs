//! The checks that ask the portal, read-only: a token, TLS trust, the clock against the
//! portal's `Date` header, and each read endpoint `linkus` relies on, field by field. No order
//! is ever sent from here.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::value::RawValue;
use url::Url;
use yeastar_partner::paths::{
    CONTACTS_PATH, ORDERS_PATH, PLANS_PATH, PRICE_PATH, PRODUCTS_PATH, PRODUCT_DETAILS_PATH,
};
use yeastar_partner::{
    amount_from_json, list_items, BillingContact, Client, Error as PortalError, Exchange, Id,
    Observer, Order, Plan, Reply, Request, Subscription, LINKUS_PRODUCT_ID,
};

use super::shapes::{self, check_items, list_in, member, Findings};
use super::{setup, Checks};
use crate::config::Credentials;
use crate::context::Context;
use crate::error::{classify, Kind};
use crate::output::{clip, format_date_ms};
use crate::redact::scrub;

/// Remembers the last `Date` header the portal sent, with when it arrived here.
#[derive(Default)]
pub struct DateWatch {
    seen: Mutex<Option<(SystemTime, SystemTime)>>,
    answered: Mutex<bool>,
}

impl Observer for DateWatch {
    fn exchange(&self, exchange: &Exchange<'_>) {
        let Ok(response) = exchange.response else {
            return;
        };
        if let Ok(mut answered) = self.answered.lock() {
            *answered = true;
        }
        let date = response
            .headers
            .get("date")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| httpdate::parse_http_date(value).ok());
        if let (Some(date), Ok(mut seen)) = (date, self.seen.lock()) {
            *seen = Some((date, exchange.started_at + exchange.elapsed));
        }
    }
}

const SHAPE_HINT: &str = "linkus cannot use this answer as it is, and trying again will not change it: send us a capture (see the end of this report).";
const LESS_HINT: &str =
    "linkus works with this answer, showing less; if the portal names these fields differently, send us a capture.";

/// The names of the checks that need a token, for when there is none.
fn portal_checks(sn: Option<&str>) -> Vec<&'static str> {
    let mut names = vec!["billing contacts", "product list", "order list"];
    if sn.is_some() {
        names.extend(["plans", "product details", "price"]);
    }
    names
}

pub async fn run(
    ctx: &Context,
    credentials: Option<Credentials>,
    url: Option<&Url>,
    sn: Option<&str>,
    checks: &mut Checks,
) {
    let (Some(credentials), Some(url)) = (credentials, url) else {
        for name in ["token"].into_iter().chain(portal_checks(sn)) {
            checks.skip(name, "not checked: no credentials or no portal address");
        }
        return;
    };
    let watch = Arc::new(DateWatch::default());
    let client = match ctx.client_observed(&credentials, Some(watch.clone())) {
        Ok(client) => client,
        Err(error) => {
            checks.fail(
                "token",
                Kind::Config,
                format!("{error:#}"),
                "Check --base-url (LINKUS_BASE_URL).",
            );
            return;
        }
    };

    // A new token with the client credentials: a cached one would prove nothing about them.
    // It replaces the cached token, as `auth login` does, so the cache keeps the newest.
    let started = Instant::now();
    let token = client.verify_credentials().await;
    let ms = started.elapsed().as_millis();
    let certificate = matches!(&token, Err(PortalError::Certificate { .. }));
    match &token {
        Ok(token) => {
            let minutes = token.expires_at.saturating_sub(token.obtained_at) / 60;
            let account = token
                .account()
                .map(|account| format!(", account {account}"))
                .unwrap_or_default();
            checks.pass(
                "token",
                format!("a new access token in {ms} ms, valid for {minutes} min{account}"),
            );
        }
        Err(error) if certificate => checks.fail(
            "token",
            Kind::Network,
            shown(error),
            "See the TLS check below.",
        ),
        Err(error) => failed_read(checks, "token", error),
    }
    if url.scheme() == "https" && !ctx.global.sandbox {
        match &token {
            Err(error) if certificate => {
                let (_, hints) = classify(error);
                checks.fail(
                    "TLS",
                    Kind::Network,
                    format!(
                        "{}; certificates come from {}",
                        shown(error),
                        setup::trust_store()
                    ),
                    hints.join(" "),
                );
            }
            Err(error) if error.status().is_none() => {
                checks.skip("TLS", "not checked: no connection to the portal");
            }
            _ => checks.pass(
                "TLS",
                format!(
                    "the portal's certificate is trusted (from {})",
                    setup::trust_store()
                ),
            ),
        }
    }
    clock(&watch, checks);
    if token.is_err() {
        for name in portal_checks(sn) {
            checks.skip(name, "not checked: no access token");
        }
        return;
    }

    contacts(&client, checks).await;
    let products = Request::get(PRODUCTS_PATH).query("productId", LINKUS_PRODUCT_ID);
    page(
        &client,
        checks,
        "product list",
        products,
        ("PBX", "PBXs"),
        shapes::PRODUCT,
        |reply, list| reply.decode_list::<Subscription>(list).err(),
    )
    .await;
    let orders = Request::get(ORDERS_PATH);
    page(
        &client,
        checks,
        "order list",
        orders,
        ("order", "orders"),
        shapes::ORDER,
        |reply, list| reply.decode_list::<Order>(list).err(),
    )
    .await;
    if let Some(sn) = sn {
        let offer = plans(&client, sn, checks).await;
        details(&client, sn, checks).await;
        price(&client, sn, offer, checks).await;
    }
}

/// An error as one line of sensible length, secrets scrubbed: a portal message of 500 lines
/// does not become a report of 500 lines.
fn shown(error: &PortalError) -> String {
    let text = clip(&scrub(&error.to_string()));
    let mut line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 300 {
        line = line.chars().take(300).collect::<String>() + "…";
    }
    line
}

/// A read that failed: the kind and hints every command would give, except that a shape
/// problem points at the capture rather than at `doctor` itself.
fn failed_read(checks: &mut Checks, name: &'static str, error: &PortalError) {
    let (kind, hints) = classify(error);
    let hint = match error {
        PortalError::Shape { .. } | PortalError::TooLarge { .. } => SHAPE_HINT.to_owned(),
        _ => hints.join(" "),
    };
    let mut detail = shown(error);
    if let Some(request_id) = error.request_id() {
        detail.push_str(&format!("; requestId {request_id}"));
    }
    checks.fail(name, kind, detail, hint);
}

fn clock(watch: &DateWatch, checks: &mut Checks) {
    let seen = watch.seen.lock().ok().and_then(|seen| *seen);
    let answered = watch.answered.lock().is_ok_and(|answered| *answered);
    let Some((date, arrived)) = seen else {
        if answered {
            checks.warn(
                "clock",
                "the portal's answers carry no Date header, so the clock was not compared",
                "Keep this machine's clock right (NTP): token expiry and dates depend on it.",
            );
        } else {
            checks.skip("clock", "not checked: no answer from the portal");
        }
        return;
    };
    // `Date` has whole seconds: the portal's time was within the second after it.
    let portal = date + Duration::from_millis(500);
    let (ahead, by) = match arrived.duration_since(portal) {
        Ok(by) => (true, by),
        Err(error) => (false, error.duration()),
    };
    let secs = by.as_secs_f64().round() as u64;
    let detail = if secs <= 1 {
        "this machine's clock agrees with the portal's Date header (within 1 s)".to_owned()
    } else {
        format!(
            "this machine's clock is {secs} s {} the portal's Date header",
            if ahead { "ahead of" } else { "behind" }
        )
    };
    let fix = "Set the clock right (on Linux `timedatectl set-ntp true`): token expiry, days left and the journal's 24-hour rule read it.";
    if secs > 300 {
        checks.fail("clock", Kind::Config, detail, fix);
    } else if secs > 60 {
        checks.warn("clock", detail, fix);
    } else {
        checks.pass("clock", detail);
    }
}

async fn read(client: &Client, request: Request) -> (String, Result<Reply, PortalError>, u128) {
    let endpoint = request.endpoint();
    let started = Instant::now();
    let reply = client.read(request).await;
    (endpoint, reply, started.elapsed().as_millis())
}

/// Says what the fields looked like: a failure for a field `linkus` needs (or one the
/// client's own decoding refuses), a warning for one it can do without.
fn verdict(
    checks: &mut Checks,
    name: &'static str,
    answered: String,
    findings: Findings,
    decoding: Option<PortalError>,
) {
    let mut detail = answered;
    let summary = findings.summary();
    if !summary.is_empty() {
        detail.push_str("; ");
        detail.push_str(&summary);
    }
    if !findings.failures.is_empty() {
        checks.fail(name, Kind::Network, detail, SHAPE_HINT);
    } else if let Some(error) = decoding {
        detail.push_str(&format!("; linkus cannot read it: {}", shown(&error)));
        checks.fail(name, Kind::Network, detail, SHAPE_HINT);
    } else if !findings.warnings.is_empty() {
        checks.warn(name, detail, LESS_HINT);
    } else {
        checks.pass(name, detail);
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    match n {
        0 => format!("no {many}"),
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

async fn contacts(client: &Client, checks: &mut Checks) {
    let name = "billing contacts";
    let (endpoint, reply, ms) = read(client, Request::get(CONTACTS_PATH)).await;
    let reply = match reply {
        Ok(reply) => reply,
        Err(error) => return failed_read(checks, name, &error),
    };
    let text = reply.result.get().trim();
    if !matches!(text.as_bytes().first(), Some(b'[' | b'{' | b'n')) {
        return checks.fail(
            name,
            Kind::Network,
            format!("{endpoint} answered in {ms} ms, but its `result` is not a list of contacts"),
            SHAPE_HINT,
        );
    }
    let items = list_items(&reply.result).unwrap_or_default();
    let answered = format!(
        "{endpoint} answered in {ms} ms: {}",
        count(items.len(), "contact", "contacts")
    );
    if items.is_empty() {
        return checks.warn(
            name,
            answered,
            "Add a billing contact in the Partner Portal: every order needs one.",
        );
    }
    let findings = check_items(&items, shapes::CONTACT);
    let decoding = reply.decode_list::<BillingContact>(&reply.result).err();
    verdict(checks, name, answered, findings, decoding);
}

/// The first page of a paged list, its own fields and its items'.
async fn page(
    client: &Client,
    checks: &mut Checks,
    name: &'static str,
    request: Request,
    (one, many): (&str, &str),
    fields: &[shapes::Field],
    decode: impl Fn(&Reply, &RawValue) -> Option<PortalError>,
) {
    let request = request.query("pageNo", 1).query("pageSize", 20);
    let (endpoint, reply, ms) = read(client, request).await;
    let reply = match reply {
        Ok(reply) => reply,
        Err(error) => return failed_read(checks, name, &error),
    };
    let items = match list_in(&reply.result, shapes::PAGE_LIST) {
        Ok(items) => items,
        Err(problem) => {
            return checks.fail(
                name,
                Kind::Network,
                format!("{endpoint} answered in {ms} ms, but {problem}"),
                SHAPE_HINT,
            )
        }
    };
    let answered = format!(
        "{endpoint} answered in {ms} ms: {} on the first page",
        count(items.len(), one, many)
    );
    let mut findings = check_items(std::slice::from_ref(&reply.result), shapes::PAGE);
    if items.is_empty() {
        let detail = format!("{answered}, so no fields to check");
        return verdict(checks, name, detail, findings, None);
    }
    findings.merge(check_items(&items, fields));
    let decoding =
        member(reply.result.get(), shapes::PAGE_LIST).and_then(|(_, list)| decode(&reply, &list));
    verdict(checks, name, answered, findings, decoding);
}

/// What the plans said, for the price check.
pub struct OfferSeen {
    offering: Option<String>,
    /// `None` when the plans could not be read.
    plans: Option<Vec<Plan>>,
}

async fn plans(client: &Client, sn: &str, checks: &mut Checks) -> Option<OfferSeen> {
    let name = "plans";
    let request = Request::get(PLANS_PATH)
        .query("productId", LINKUS_PRODUCT_ID)
        .query("productNo", sn);
    let (endpoint, reply, ms) = read(client, request).await;
    let reply = match reply {
        Ok(reply) => reply,
        Err(error) => {
            failed_read(checks, name, &error);
            return None;
        }
    };
    let items = match list_in(&reply.result, &["planList", "plans"]) {
        Ok(items) => items,
        Err(problem) => {
            checks.fail(
                name,
                Kind::Network,
                format!("{endpoint} answered in {ms} ms, but {problem}"),
                SHAPE_HINT,
            );
            return None;
        }
    };
    let answered = format!(
        "{endpoint} answered in {ms} ms: {} for SN {sn}",
        count(items.len(), "plan", "plans")
    );
    let mut findings = check_items(std::slice::from_ref(&reply.result), shapes::OFFER);
    let offering = member(reply.result.get(), &["offeringId"]).and_then(|(_, raw)| {
        let first = if raw.get().trim_start().starts_with('[') {
            list_items(&raw).ok()?.into_iter().next()?
        } else {
            raw
        };
        serde_json::from_str::<Id>(first.get())
            .map(|id| id.to_string())
            .or_else(|_| serde_json::from_str::<String>(first.get()))
            .ok()
            .filter(|offering| !offering.trim().is_empty())
    });
    if items.is_empty() {
        checks.warn(
            name,
            format!("{answered}: nothing can be bought for it"),
            "Check the SN, and that the PBX is eligible (Pro needs recent firmware).",
        );
        return Some(OfferSeen {
            offering,
            plans: Some(Vec::new()),
        });
    }
    findings.merge(check_items(&items, shapes::PLAN));
    let decoded = member(reply.result.get(), &["planList", "plans"])
        .map(|(_, list)| reply.decode_list::<Plan>(&list));
    let (plans, decoding) = match decoded {
        Some(Ok(plans)) => (Some(plans), None),
        Some(Err(error)) => (None, Some(error)),
        None => (None, None),
    };
    verdict(checks, name, answered, findings, decoding);
    Some(OfferSeen { offering, plans })
}

async fn details(client: &Client, sn: &str, checks: &mut Checks) {
    let name = "product details";
    let request = Request::get(PRODUCT_DETAILS_PATH)
        .query("productNo", sn)
        .query("productId", LINKUS_PRODUCT_ID);
    let (endpoint, reply, ms) = read(client, request).await;
    let answered = format!("{endpoint} answered in {ms} ms");
    let reply = match reply {
        Ok(reply) => reply,
        Err(PortalError::Rejected { status: 404, code, .. }) if code == "product_not_found" => {
            return checks.pass(
                name,
                format!("{answered}: SN {sn} has no Linkus Cloud Service (product_not_found)"),
            )
        }
        Err(error) if error.is_missing_endpoint() => {
            return checks.warn(
                name,
                format!("{endpoint} is not available here (HTTP 404 without the portal's envelope)"),
                "linkus then looks the SN up in the product list instead, which takes longer on large accounts.",
            )
        }
        Err(error) => return failed_read(checks, name, &error),
    };
    let text = reply.result.get().trim();
    if text == "null" {
        return checks.pass(
            name,
            format!("{answered}: no subscription (`result` is null)"),
        );
    }
    if !text.starts_with('{') {
        return checks.fail(
            name,
            Kind::Network,
            format!("{answered}, but its `result` is not an object"),
            SHAPE_HINT,
        );
    }
    let one = std::slice::from_ref(&reply.result);
    let plan = check_items(one, shapes::SUBSCRIPTION_PLAN);
    let decoding = reply.decode::<Subscription>();
    if !plan.warnings.is_empty() && decoding.is_ok() {
        return checks.pass(
            name,
            format!("{answered}: it names no plan, so linkus reads SN {sn} as without Linkus Cloud Service"),
        );
    }
    let findings = check_items(one, shapes::SUBSCRIPTION);
    let mut answered = answered;
    if let Ok(subscription) = &decoding {
        let plan = subscription
            .plan_name
            .clone()
            .or_else(|| subscription.plan_id.map(|id| format!("plan {id}")))
            .unwrap_or_default();
        let until = subscription
            .expires_ms
            .map(|ms| format!(" until {}", format_date_ms(ms)))
            .unwrap_or_default();
        answered.push_str(&format!(": SN {sn} has {plan}{until}"));
    }
    let mut all = plan;
    all.warnings.clear();
    all.merge(findings);
    verdict(checks, name, answered, all, decoding.err());
}

async fn price(client: &Client, sn: &str, offer: Option<OfferSeen>, checks: &mut Checks) {
    let name = "price";
    let Some(offer) = offer else {
        return checks.skip(name, "not checked: it needs the plans' offeringId");
    };
    let Some(offering) = offer.offering.as_deref() else {
        return checks.warn(
            name,
            "not checked: the plans answer has no offeringId",
            "Prices show as unknown, and --max-total refuses every order.",
        );
    };
    let request = Request::get(PRICE_PATH)
        .query("productId", LINKUS_PRODUCT_ID)
        .query("billingCycle", "annually")
        .query("offeringId", offering);
    let (endpoint, reply, ms) = read(client, request).await;
    let reply = match reply {
        Ok(reply) => reply,
        Err(error) => return failed_read(checks, name, &error),
    };
    let items = match list_in(&reply.result, &["planList", "plans"]) {
        Ok(items) => items,
        Err(problem) => {
            return checks.fail(
                name,
                Kind::Network,
                format!("{endpoint} answered in {ms} ms, but {problem}"),
                SHAPE_HINT,
            )
        }
    };
    let mut findings = check_items(&items, shapes::PRICE);
    let mut answered = format!(
        "{endpoint} answered in {ms} ms: {} for offering {offering}",
        count(items.len(), "price", "prices"),
    );
    if let Some(plans) = &offer.plans {
        let priced: Vec<String> = plans
            .iter()
            .filter_map(|plan| price_of(&items, plan))
            .collect();
        answered.push_str(&format!(
            ", a price for {} of {} plans of SN {sn}{}",
            priced.len(),
            plans.len(),
            priced
                .first()
                .map(|p| format!(" (e.g. {p} a year)"))
                .unwrap_or_default()
        ));
        if findings.failures.is_empty() && !plans.is_empty() {
            if priced.is_empty() {
                findings.failures.push(
                    "no price names a plan of the plans answer (by planId or planName)".to_owned(),
                );
            } else if priced.len() < plans.len() {
                findings
                    .warnings
                    .push("some plans have no price (shown as unknown)".to_owned());
            }
        }
    }
    verdict(checks, name, answered, findings, None);
}

/// The price of a plan in the price list, as the client matches it: by ID, else by name.
fn price_of(items: &[Box<RawValue>], plan: &Plan) -> Option<String> {
    let field = |item: &RawValue, names: &[&str]| member(item.get(), names).map(|(_, raw)| raw);
    let by_id = items.iter().find(|item| {
        field(item, &["planId", "pricingPlanId", "serviceId", "id"])
            .and_then(|raw| serde_json::from_str::<Id>(raw.get()).ok())
            == Some(plan.plan_id)
    });
    let by_name = || {
        items.iter().find(|item| {
            field(item, &["planName", "name"])
                .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
                .is_some_and(|name| name.trim().eq_ignore_ascii_case(plan.plan_name.trim()))
        })
    };
    let item = by_id.or_else(by_name)?;
    let amount = field(
        item,
        &["price", "amount", "unitPrice", "originalPrice", "listPrice"],
    )
    .and_then(|raw| amount_from_json(&raw))?;
    let currency = field(item, &["currency", "currencyCode"])
        .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
        .unwrap_or_default();
    Some(format!("{amount} {currency}").trim().to_owned())
}
