//! The read endpoints `linkus` relies on, each asked once and checked field by field:
//! billing contacts, the first page of the product and order lists, and for `--sn` the plans,
//! the product details and the price.

use std::time::Instant;

use crate::paths::{
    CONTACTS_PATH, ORDERS_PATH, PLANS_PATH, PRICE_PATH, PRODUCTS_PATH, PRODUCT_DETAILS_PATH,
};
use serde_json::value::RawValue;

use crate::rawjson::{json, raw};
use yeastar_partner::{
    BillingContact, Client, Error as PortalError, Order, Plan, PlanId, Reply, Request,
    Subscription, LINKUS_PRODUCT_ID,
};

use super::portal::{failed_read, shown, LESS_HINT, SHAPE_HINT};
use super::shapes::{self, check_items, list_in, member, Findings};
use super::Checks;
use crate::error::Kind;
use crate::output::format_date_ms;

/// Every endpoint check, in the order of the report.
pub async fn check_all(client: &Client, sn: Option<&str>, checks: &mut Checks) {
    contacts(client, checks).await;
    let products = Request::get(PRODUCTS_PATH).query("productId", LINKUS_PRODUCT_ID);
    page(
        client,
        checks,
        "product list",
        products,
        ("PBX", "PBXs"),
        shapes::PRODUCT,
        |reply, list| reply.decode_list::<Subscription>(&json(list)).err(),
    )
    .await;
    let orders = Request::get(ORDERS_PATH);
    page(
        client,
        checks,
        "order list",
        orders,
        ("order", "orders"),
        shapes::ORDER,
        |reply, list| reply.decode_list::<Order>(&json(list)).err(),
    )
    .await;
    if let Some(sn) = sn {
        let offer = plans(client, sn, checks).await;
        details(client, sn, checks).await;
        price(client, sn, offer, checks).await;
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
    let items: Vec<Box<RawValue>> = reply
        .result
        .items()
        .unwrap_or_default()
        .iter()
        .map(raw)
        .collect();
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
    let items = match list_in(&raw(&reply.result), shapes::PAGE_LIST) {
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
    let mut findings = check_items(&[raw(&reply.result)], shapes::PAGE);
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
    let items = match list_in(&raw(&reply.result), &["planList", "plans"]) {
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
    let mut findings = check_items(&[raw(&reply.result)], shapes::OFFER);
    let offering = member(reply.result.get(), &["offeringId"]).and_then(|(_, raw)| {
        let first = if raw.get().trim_start().starts_with('[') {
            json(&raw)
                .items()
                .ok()?
                .into_iter()
                .next()
                .map(|first| crate::rawjson::raw(&first))?
        } else {
            raw
        };
        serde_json::from_str::<PlanId>(first.get())
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
        .map(|(_, list)| reply.decode_list::<Plan>(&json(&list)));
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
    let one = &[raw(&reply.result)];
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
            .expires
            .map(crate::portal_clock::epoch_ms)
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
    let items = match list_in(&raw(&reply.result), &["planList", "plans"]) {
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
            .and_then(|raw| serde_json::from_str::<PlanId>(raw.get()).ok())
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
    .and_then(|raw| json(&raw).as_amount())?;
    let currency = field(item, &["currency", "currencyCode"])
        .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
        .unwrap_or_default();
    Some(format!("{amount} {currency}").trim().to_owned())
}
