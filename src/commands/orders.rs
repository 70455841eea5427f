//! `linkus orders list | show | reconcile`.

use std::collections::HashSet;

use anyhow::{Context as _, Result};
use serde::Serialize;
use serde_json::Value;

use crate::cli::{OrdersListArgs, OrdersShowArgs};
use crate::context::Context;
use crate::error::{Failure, Kind};
use crate::journal::{self, Entry, Intent, Journal, Outcome};
use crate::output::format_ms;
use crate::portal::types::Order;
use crate::portal::{Id, Portal};

/// The most pages any listing reads, so that a misbehaving portal cannot keep us paging.
const MAX_PAGES: u64 = 50;

/// An order in our own output: IDs as strings, times as RFC 3339 too.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderOut<'a> {
    id: Option<Id>,
    order_no: Option<&'a str>,
    order_status: Option<&'a str>,
    product_no: Option<&'a str>,
    po_number: Option<&'a str>,
    currency_code: Option<&'a str>,
    create_time: Option<u64>,
    created_at: Option<String>,
}

impl<'a> From<&'a Order> for OrderOut<'a> {
    fn from(order: &'a Order) -> Self {
        OrderOut {
            id: order.id,
            order_no: order.order_no.as_deref(),
            order_status: order.order_status.as_deref(),
            product_no: order.product_no.as_deref(),
            po_number: order.po_number.as_deref(),
            currency_code: order.currency_code.as_deref(),
            create_time: order.created_ms(),
            created_at: order.created_ms().map(format_ms),
        }
    }
}

fn matches_sn(order: &Order, sn: &str) -> bool {
    order
        .product_no
        .as_deref()
        .is_some_and(|no| no.trim().eq_ignore_ascii_case(sn))
}

/// Reads pages, newest first, until `enough` says stop or the pages run out.
async fn collect_orders(
    portal: &Portal,
    page_size: u64,
    mut enough: impl FnMut(&[Order]) -> bool,
) -> Result<Vec<Order>> {
    let mut orders: Vec<Order> = Vec::new();
    let mut page_no = 1;
    loop {
        let (page, total_pages) = portal
            .orders_page(page_no, page_size)
            .await
            .context("Could not list the orders")?;
        let empty = page.is_empty();
        orders.extend(page);
        if empty || page_no >= total_pages || page_no >= MAX_PAGES || enough(&orders) {
            break;
        }
        page_no += 1;
    }
    // Newest first, whatever order the pages came in.
    orders.sort_by_key(|order| std::cmp::Reverse(order.created_ms().unwrap_or(0)));
    Ok(orders)
}

pub async fn list(ctx: &Context, args: OrdersListArgs) -> Result<()> {
    let portal = ctx.portal()?;
    let limit = args.limit as usize;
    let sn = args.sn.as_deref();
    let page_size = if sn.is_some() {
        100
    } else {
        args.limit.min(100)
    };
    let orders = collect_orders(&portal, page_size, |orders| {
        orders
            .iter()
            .filter(|o| sn.is_none_or(|sn| matches_sn(o, sn)))
            .count()
            >= limit
    })
    .await?;
    let shown: Vec<&Order> = orders
        .iter()
        .filter(|o| sn.is_none_or(|sn| matches_sn(o, sn)))
        .take(limit)
        .collect();
    if ctx.out.is_json() {
        let out: Vec<OrderOut> = shown.iter().map(|o| OrderOut::from(*o)).collect();
        ctx.out.json(&out)?;
    } else if ctx.out.is_quiet() {
        ctx.out
            .lines(shown.iter().filter_map(|o| o.order_no.as_deref()))?;
    } else if shown.is_empty() {
        ctx.out.status(&match sn {
            Some(sn) => format!("No orders for SN {sn}."),
            None => "No orders.".to_owned(),
        });
    } else {
        let rows = shown
            .iter()
            .map(|o| {
                vec![
                    o.order_no.clone().unwrap_or_default(),
                    o.order_status.clone().unwrap_or_default(),
                    o.product_no.clone().unwrap_or_default(),
                    o.created_ms().map(format_ms).unwrap_or_default(),
                    o.po_number.clone().unwrap_or_default(),
                ]
            })
            .collect();
        ctx.out.print(&ctx.out.table(
            &["Order number", "Status", "SN", "Created", "PO number"],
            rows,
        ))?;
    }
    Ok(())
}

/// Integers that a double cannot hold become strings, so that IDs survive any JSON reader.
pub fn stringify_big_integers(value: Value) -> Value {
    const SAFE: u64 = 1 << 53;
    match value {
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) if u > SAFE => Value::String(u.to_string()),
            (None, Some(i)) if i.unsigned_abs() > SAFE => Value::String(i.to_string()),
            _ => Value::Number(n),
        },
        Value::Array(items) => {
            Value::Array(items.into_iter().map(stringify_big_integers).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, stringify_big_integers(v)))
                .collect(),
        ),
        other => other,
    }
}

pub async fn show(ctx: &Context, args: OrdersShowArgs) -> Result<()> {
    let order = args.order.trim();
    if order.is_empty() || !order.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Failure::usage(format!(
            "{order:?} is not an order number or order ID (letters and digits only)."
        ))
        .into());
    }
    let portal = ctx.portal()?;
    let reply = portal
        .order_details(order)
        .await
        .with_context(|| format!("Could not get order {order}"))?;
    let details = stringify_big_integers(reply.result);
    if ctx.out.is_json() {
        ctx.out.json(&details)?;
        return Ok(());
    }
    let information = details.get("orderInformation").unwrap_or(&details);
    if ctx.out.is_quiet() {
        let status = information
            .get("orderStatus")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        ctx.out.print(status)?;
        return Ok(());
    }
    let mut text = String::new();
    let sections = [
        ("Order", "orderInformation"),
        ("Product", "basicInformation"),
        ("Billing", "billingInformation"),
        ("Summary", "orderSummary"),
    ];
    let mut any = false;
    for (title, key) in sections {
        if let Some(Value::Object(fields)) = details.get(key) {
            any = true;
            text.push_str(&format!("{title}\n"));
            text.push_str(&fields_text(fields));
        }
    }
    if !any {
        if let Value::Object(fields) = &details {
            text.push_str(&fields_text(fields));
        }
    }
    ctx.out.print(&text)?;
    Ok(())
}

fn fields_text(fields: &serde_json::Map<String, Value>) -> String {
    fields
        .iter()
        .filter_map(|(key, value)| {
            let shown = match value {
                Value::String(s) if !s.is_empty() => s.clone(),
                Value::Number(n) if key.to_lowercase().contains("time") => n
                    .as_u64()
                    .map(|t| format_ms(crate::portal::types::epoch_ms(t)))?,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some(format!("  {key:<22}{shown}\n"))
        })
        .collect()
}

/// How one unsettled journal entry came out.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Reconciliation {
    id: String,
    time: String,
    sn: String,
    plan_name: String,
    years: u8,
    settled: bool,
    order_no: Option<String>,
    order_status: Option<String>,
}

/// Orders are matched to an intent when placed for its SN no earlier than this before it.
const CLOCK_SKEW_MS: u64 = 5 * 60 * 1000;

fn parse_time_ms(text: &str) -> Option<u64> {
    humantime::parse_rfc3339_weak(text)
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_millis() as u64)
}

pub async fn reconcile(ctx: &Context) -> Result<()> {
    let journal = Journal::new(ctx.dirs.journal_file());
    let (entries, unreadable) = journal.read()?;
    if unreadable > 0 {
        ctx.out.warn(&format!(
            "{unreadable} line(s) of {} could not be read and were skipped.",
            journal.path().display()
        ));
    }
    let portal_label = ctx.portal_label();
    let (mine, others): (Vec<Intent>, Vec<Intent>) = journal::unsettled(&entries)
        .into_iter()
        .partition(|i| i.base_url == portal_label && i.profile == ctx.profile());
    if !others.is_empty() {
        ctx.out.status(&format!(
            "{} unsettled entr{} for other portals or profiles left alone (run reconcile with their --profile or --sandbox).",
            others.len(),
            if others.len() == 1 { "y" } else { "ies" }
        ));
    }
    if mine.is_empty() {
        if ctx.out.is_json() {
            ctx.out.json(&Vec::<Reconciliation>::new())?;
        } else {
            ctx.out
                .status("Nothing to reconcile: every order in the journal has a known outcome.");
        }
        return Ok(());
    }

    // Orders already attributed to an intent are not attributed again.
    let mut taken: HashSet<String> = entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Outcome(o) | Entry::Reconciled(o) => o.order_no.clone(),
            Entry::Intent(_) => None,
        })
        .collect();
    let oldest_ms = mine
        .iter()
        .filter_map(|i| parse_time_ms(&i.time))
        .min()
        .unwrap_or(0)
        .saturating_sub(CLOCK_SKEW_MS);
    let portal = ctx.portal()?;
    let orders = collect_orders(&portal, 100, |orders| {
        orders
            .iter()
            .filter_map(Order::created_ms)
            .min()
            .is_some_and(|oldest| oldest < oldest_ms)
    })
    .await?;

    let mut results = Vec::new();
    for intent in mine {
        let since = parse_time_ms(&intent.time)
            .unwrap_or(0)
            .saturating_sub(CLOCK_SKEW_MS);
        // The earliest order for the SN after the intent is the one it placed.
        let found = orders
            .iter()
            .rev()
            .filter(|o| matches_sn(o, &intent.sn))
            .filter(|o| o.created_ms().is_some_and(|t| t >= since))
            .find(|o| o.order_no.as_ref().is_some_and(|no| !taken.contains(no)));
        let settled = match found {
            Some(order) => {
                let order_no = order.order_no.clone().unwrap_or_default();
                taken.insert(order_no.clone());
                let status = order
                    .order_status
                    .clone()
                    .unwrap_or_else(|| "unknown".to_owned());
                journal.append(&Entry::Reconciled(Outcome {
                    id: intent.id.clone(),
                    time: journal::now_rfc3339(),
                    outcome: journal::outcome_of(&status),
                    order_no: Some(order_no.clone()),
                    order_status: Some(status.clone()),
                    request_id: None,
                }))?;
                Some((order_no, status))
            }
            None => None,
        };
        results.push(Reconciliation {
            settled: settled.is_some(),
            order_no: settled.as_ref().map(|(no, _)| no.clone()),
            order_status: settled.map(|(_, status)| status),
            id: intent.id,
            time: intent.time,
            sn: intent.sn,
            plan_name: intent.plan_name,
            years: intent.years,
        });
    }

    let unknown = results.iter().filter(|r| !r.settled).count();
    if ctx.out.is_json() {
        ctx.out.json(&results)?;
    } else if ctx.out.is_quiet() {
        ctx.out
            .lines(results.iter().filter_map(|r| r.order_no.as_deref()))?;
    } else {
        let text: String = results
            .iter()
            .map(|r| match (&r.order_no, &r.order_status) {
                (Some(no), Some(status)) => format!(
                    "settled        SN {} ({}, {} yr) sent {}: order {no}, {status}\n",
                    r.sn, r.plan_name, r.years, r.time
                ),
                _ => format!(
                    "still unknown  SN {} ({}, {} yr) sent {}: no order found for it yet\n",
                    r.sn, r.plan_name, r.years, r.time
                ),
            })
            .collect();
        ctx.out.print(&text)?;
    }
    if unknown > 0 {
        let mut failure = Failure::new(
            Kind::OrderUnknown,
            format!("{unknown} order(s) still have no known outcome."),
        )
        .hint("If the portal shows no order for the SN after a while, the order was not placed; check Orders & Billing > Orders in the Partner Portal.");
        failure.stdout_written = true;
        return Err(failure.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_integers_become_strings_and_small_ones_stay() {
        let value = serde_json::json!({"id": 3206190457467703296u64, "n": 9, "list": [-9007199254740993i64]});
        let out = stringify_big_integers(value);
        assert_eq!(out["id"], "3206190457467703296");
        assert_eq!(out["n"], 9);
        assert_eq!(out["list"][0], "-9007199254740993");
    }
}
