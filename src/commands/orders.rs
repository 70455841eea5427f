//! `linkus orders list | show`.

use crate::portal_clock::EpochClock as _;
use std::time::Duration;
use yeastar_partner::Clock;

use anyhow::{Context as _, Result};
use serde::Serialize;
use serde_json::value::RawValue;
use yeastar_partner::{Client, Order, OrderDetails, OrderId, OrderState};

use crate::cli::{OrdersListArgs, OrdersShowArgs};
use crate::context::Context;
use crate::error::{ExitStatus, Failure, Kind};
use crate::journal::{Contents, Entry, Intent, Journal};
use crate::output::{clean, format_ms, Output};
use crate::rawjson;

/// The most pages any listing reads, so that a misbehaving portal cannot keep us paging.
pub const MAX_PAGES: u64 = 50;

/// An order in our own output: IDs as strings, times as RFC 3339 too.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderOut<'a> {
    id: Option<OrderId>,
    order_no: Option<&'a str>,
    order_status: Option<&'a str>,
    product_no: Option<&'a str>,
    plan_name: Option<&'a str>,
    years: Option<u8>,
    amount: Option<String>,
    currency_code: Option<&'a str>,
    po_number: Option<&'a str>,
    create_time: Option<u64>,
    created_at: Option<String>,
    /// Who placed it (`user@host`), from the team journal; only when one is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    ordered_by: Option<Option<String>>,
}

impl<'a> From<&'a Order> for OrderOut<'a> {
    fn from(order: &'a Order) -> Self {
        OrderOut {
            id: order.id,
            order_no: order.order_no.as_deref(),
            order_status: order.order_status.as_deref(),
            product_no: order.product_no.as_deref(),
            plan_name: order.plan_name.as_deref(),
            years: order.multi_cycle,
            amount: order.amount.map(|a| a.to_string()),
            currency_code: order.currency_code.as_deref(),
            po_number: order.po_number.as_deref(),
            create_time: order.created().map(crate::portal_clock::epoch_ms),
            created_at: order
                .created()
                .map(crate::portal_clock::epoch_ms)
                .map(format_ms),
            ordered_by: None,
        }
    }
}

/// The orders read, and whether every page that could hold a wanted order was read.
pub struct Listing {
    pub orders: Vec<Order>,
    pub complete: bool,
}

/// Warns when no order of a listing has a field that `linkus` matches orders by: a portal
/// that names it differently would leave every order unmatched, silently.
pub fn warn_missing_fields(out: &Output, orders: &[Order]) {
    if orders.is_empty() {
        return;
    }
    type Has = fn(&Order) -> bool;
    let checks: [(&str, Has); 4] = [
        ("orderNo", |o| o.order_no.is_some()),
        ("orderStatus", |o| o.order_status.is_some()),
        ("createTime", |o| {
            o.created().map(crate::portal_clock::epoch_ms).is_some()
        }),
        ("productNo", |o| o.product_no.is_some()),
    ];
    let missing: Vec<&str> = checks
        .iter()
        .filter(|(_, has)| !orders.iter().any(has))
        .map(|(name, _)| *name)
        .collect();
    if !missing.is_empty() {
        out.warn(&format!(
            "GET {} lists orders without `{}`, so they cannot be matched to SNs and journal entries. `linkus doctor` checks each answer, and --capture DIR records them for a report.",
            crate::paths::ORDERS_PATH,
            missing.join("`, `")
        ));
    }
}

/// Reads pages, newest first, until `enough` says stop or the pages run out. A page that
/// fails after the first ends the listing as incomplete rather than failing it.
pub async fn collect_orders(
    client: &Client,
    page_size: u64,
    mut enough: impl FnMut(&[Order]) -> bool,
) -> Result<Listing> {
    let mut orders: Vec<Order> = Vec::new();
    let mut page_no = 1;
    let complete = loop {
        let page = match client.orders_page(page_no, page_size).await {
            Ok(page) => page,
            Err(error) if page_no == 1 => {
                return Err(anyhow::Error::from(error).context("Could not list the orders"))
            }
            Err(_) => break false,
        };
        let empty = page.items.is_empty();
        orders.extend(page.items);
        if empty || page_no >= page.total_pages || enough(&orders) {
            break true;
        }
        if page_no >= MAX_PAGES {
            break false;
        }
        page_no += 1;
    };
    newest_first(&mut orders);
    Ok(Listing { orders, complete })
}

/// Newest first, whatever order the pages came in; orders without a time last.
pub(crate) fn newest_first(orders: &mut [Order]) {
    orders.sort_by_key(|order| {
        std::cmp::Reverse(
            order
                .created()
                .map(crate::portal_clock::epoch_ms)
                .unwrap_or(0),
        )
    });
}

/// What the journal knows of an order, to fill columns the order list leaves empty.
fn journal_facts(contents: &Contents, order_no: &str) -> Option<Intent> {
    let id = contents.entries.iter().find_map(|entry| match entry {
        Entry::Outcome(o) | Entry::Reconciled(o) if o.order_no.as_deref() == Some(order_no) => {
            Some(o.id.clone())
        }
        _ => None,
    })?;
    contents.entries.iter().find_map(|entry| match entry {
        Entry::Intent(intent) if intent.id == id => Some(intent.clone()),
        _ => None,
    })
}

/// The filters of `orders list`, applied on our side: the portal's list takes none.
struct Filters<'a> {
    sn: Option<&'a str>,
    /// Lower-case statuses; `open` is every status that is not final.
    statuses: Vec<String>,
    /// The earliest creation time kept, epoch milliseconds.
    since_ms: Option<u64>,
    po: Option<&'a str>,
}

impl Filters<'_> {
    fn keep(&self, order: &Order) -> bool {
        self.sn.is_none_or(|sn| order.is_for(sn))
            && self
                .po
                .is_none_or(|po| order.po_number.as_deref().map(str::trim) == Some(po.trim()))
            && self.since_ms.is_none_or(|since| {
                order
                    .created()
                    .map(crate::portal_clock::epoch_ms)
                    .is_some_and(|ms| ms >= since)
            })
            && (self.statuses.is_empty()
                || order.status().is_some_and(|status| {
                    self.statuses.iter().any(|wanted| {
                        (wanted == "open" && status.state() == OrderState::Open)
                            || status.as_str().trim().eq_ignore_ascii_case(wanted)
                    })
                }))
    }

    fn any(&self) -> bool {
        self.sn.is_some()
            || !self.statuses.is_empty()
            || self.since_ms.is_some()
            || self.po.is_some()
    }
}

pub async fn list(ctx: &Context, args: OrdersListArgs) -> Result<ExitStatus> {
    let client = ctx.client()?;
    let limit = args
        .limit
        .0
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
        .unwrap_or(usize::MAX);
    // `--since` counts back by the portal's clock (its `Date` header, known once it has
    // answered), as every time from the portal is compared (CLI.md section 3, "Clocks").
    let cutoff = || {
        let now = crate::order::now(ctx.clock.as_ref(), &ctx.portal.clock);
        let now_ms = now.portal_ms.unwrap_or(now.local_ms);
        args.since.map(|since| since.cutoff_ms(now_ms))
    };
    let mut filters = Filters {
        sn: args.sn.as_deref(),
        statuses: args
            .status
            .iter()
            .map(|s| s.trim().to_ascii_lowercase())
            .collect(),
        since_ms: cutoff(),
        po: args.po.as_deref(),
    };
    let page_size = match args.limit.0 {
        Some(n) if !filters.any() => n.min(100),
        _ => 100,
    };
    // Newest first: paging stops once enough orders match, or once a page reaches back past
    // --since (every later page is older still).
    let listing = collect_orders(&client, page_size, |orders| {
        filters.since_ms = cutoff();
        orders.iter().filter(|o| filters.keep(o)).count() >= limit
            || filters.since_ms.is_some_and(|since| {
                orders
                    .iter()
                    .filter_map(|o| o.created().map(crate::portal_clock::epoch_ms))
                    .min()
                    .is_some_and(|oldest| oldest < since)
            })
    })
    .await?;
    filters.since_ms = cutoff();
    warn_missing_fields(&ctx.out, &listing.orders);
    let shown: Vec<&Order> = listing
        .orders
        .iter()
        .filter(|o| filters.keep(o))
        .take(limit)
        .collect();
    if !listing.complete && shown.len() < limit {
        ctx.out.warn(&format!(
            "only the newest {MAX_PAGES} pages of orders (or those the portal answered) were read; older orders are not shown."
        ));
    }
    let ordered_by = ordered_by(ctx, &shown).await?;
    let who = |order: &Order| -> Option<String> {
        let by = ordered_by.as_ref()?;
        order.order_no.as_deref().and_then(|no| by.get(no).cloned())
    };
    // What this machine's journal knows of each order shown: the plan, years and PO number
    // where the portal's list leaves them out.
    let facts: Vec<Option<Intent>> = if ctx.out.is_quiet() || shown.is_empty() {
        Vec::new()
    } else {
        let journal = Journal::new(ctx.settings.dirs.journal_file())
            .read()
            .unwrap_or_default();
        shown
            .iter()
            .map(|o| {
                o.order_no
                    .as_deref()
                    .and_then(|no| journal_facts(&journal, no))
            })
            .collect()
    };
    if ctx.out.is_json() {
        let out: Vec<OrderOut> = shown
            .iter()
            .zip(&facts)
            .map(|(o, facts)| {
                let mut out = OrderOut::from(*o);
                if let Some(facts) = facts {
                    out.plan_name = out.plan_name.or(Some(facts.plan_name.as_str()));
                    out.years = out.years.or(Some(facts.years));
                    out.po_number = out.po_number.or(facts.po_number.as_deref());
                }
                if ordered_by.is_some() {
                    out.ordered_by = Some(who(o));
                }
                out
            })
            .collect();
        ctx.out.json(&out)?;
    } else if ctx.out.is_quiet() {
        ctx.out
            .lines(shown.iter().filter_map(|o| o.order_no.as_deref()))?;
    } else if shown.is_empty() {
        let others =
            !filters.statuses.is_empty() || filters.since_ms.is_some() || filters.po.is_some();
        ctx.out.status(&match (filters.sn, others) {
            (Some(sn), true) => format!("No orders for SN {sn} match."),
            (Some(sn), false) => format!("No orders for SN {sn}."),
            (None, true) => "No orders match.".to_owned(),
            (None, false) => "No orders.".to_owned(),
        });
    } else {
        let rows = shown
            .iter()
            .zip(facts)
            .map(|(o, facts)| {
                // The list's own amount; else the list price this run quoted, marked as such.
                let amount = o
                    .amount
                    .map(|amount| match &o.currency_code {
                        Some(currency) => format!("{amount} {currency}"),
                        None => amount.to_string(),
                    })
                    .or_else(|| {
                        facts
                            .as_ref()
                            .and_then(|f| f.list_total.as_ref())
                            .map(|total| format!("{total} (list)"))
                    });
                // A person reads "3 h ago"; a script reads the time.
                let created = o.created().map(crate::portal_clock::epoch_ms).map(|ms| {
                    if ctx.out.stdout_is_terminal {
                        crate::output::ago(ms, ctx.clock.now_ms())
                    } else {
                        format_ms(ms)
                    }
                });
                let mut row = vec![
                    created.unwrap_or_default(),
                    o.order_no.as_deref().unwrap_or_default().to_owned(),
                    o.product_no.clone().unwrap_or_default(),
                    o.plan_name
                        .clone()
                        .or_else(|| facts.as_ref().map(|f| f.plan_name.clone()))
                        .unwrap_or_default(),
                    o.multi_cycle
                        .or(facts.as_ref().map(|f| f.years))
                        .map(|y| y.to_string())
                        .unwrap_or_default(),
                    amount.unwrap_or_default(),
                    o.order_status.clone().unwrap_or_default(),
                    o.po_number
                        .clone()
                        .or_else(|| facts.and_then(|f| f.po_number))
                        .unwrap_or_default(),
                ];
                if ordered_by.is_some() {
                    row.push(crate::output::clean(&who(o).unwrap_or_default()));
                }
                row
            })
            .collect();
        let mut headers = vec![
            "Created",
            "Order number",
            "SN",
            "Plan",
            "Years",
            "Amount",
            "Status",
            "PO number",
        ];
        if ordered_by.is_some() {
            headers.push("Ordered by");
        }
        ctx.out.print(
            &ctx.out
                .table_fit(&headers, rows, &["Years", "PO number", "Amount"]),
        )?;
    }
    Ok(ExitStatus::Success)
}

/// Who placed each listed order, by order number, from the team journal: `None` when no team
/// journal is set; a database that cannot be read is a warning, not a failure.
async fn ordered_by(
    ctx: &Context,
    shown: &[&Order],
) -> Result<Option<std::collections::HashMap<String, String>>> {
    let Some(team) = ctx.team_journal()? else {
        return Ok(None);
    };
    let numbers: Vec<String> = shown
        .iter()
        .filter_map(|o| o.order_no.as_deref().map(str::to_owned))
        .collect();
    match team
        .by_order_numbers(&ctx.settings.portal_label(), &numbers)
        .await
    {
        Ok(entries) => Ok(Some(
            entries
                .into_iter()
                .filter_map(|e| {
                    let who = format!(
                        "{}@{}",
                        e.user.as_deref().unwrap_or("?"),
                        e.host.as_deref().unwrap_or("?")
                    );
                    e.order_no.map(|no| (no, who))
                })
                .collect(),
        )),
        Err(error) => {
            ctx.out.warn(&format!(
                "could not read the team journal ({}): {error}; who placed each order is not shown.",
                team.shown()
            ));
            Ok(Some(Default::default()))
        }
    }
}

/// How often `--wait` looks again; tests shorten it.
fn poll_interval() -> Duration {
    std::env::var("LINKUS_WAIT_POLL_MS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(5))
}

pub async fn show(ctx: &Context, args: OrdersShowArgs) -> Result<ExitStatus> {
    let client = ctx.client()?;
    let order = args.order.as_str();
    let mut details = client
        .order_details(order)
        .await
        .with_context(|| format!("Could not get order {order}"))?;
    if args.wait {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(args.wait_timeout);
        let mut said = false;
        while state(&details) == OrderState::Open && tokio::time::Instant::now() < deadline {
            if !said {
                ctx.out.status(&format!(
                    "Waiting for order {order} ({}) to be paid or to end; up to {} s…",
                    details
                        .status
                        .as_ref()
                        .map(|s| s.as_str())
                        .unwrap_or("no status"),
                    args.wait_timeout
                ));
                said = true;
            }
            tokio::time::sleep(poll_interval().min(deadline - tokio::time::Instant::now())).await;
            // A read that fails while waiting is tried again at the next turn.
            if let Ok(fresh) = client.order_details(order).await {
                details = fresh;
            }
        }
    }
    print_details(&ctx.out, ctx.clock.as_ref(), &details)?;
    if !args.wait {
        return Ok(ExitStatus::Success);
    }
    let status = details
        .status
        .as_ref()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    Ok(match state(&details) {
        OrderState::Succeeded => ExitStatus::Success,
        OrderState::Failed => {
            crate::error::report(
                &ctx.out,
                Failure::new(
                    Kind::Rejected,
                    format!("Order {order} ended {status}: it did not go through."),
                ),
            );
            ExitStatus::Failed(Kind::Rejected)
        }
        OrderState::Open => {
            crate::error::report(&ctx.out,
                Failure::new(Kind::OrderIncomplete, format!("Order {order} is still {status} after {} s.", args.wait_timeout))
                    .hint("Pay it in the Partner Portal (Orders & Billing > Orders), or wait longer with --wait-timeout SECS."),
            );
            ExitStatus::Failed(Kind::OrderIncomplete)
        }
    })
}

fn state(details: &OrderDetails) -> OrderState {
    details
        .status
        .as_ref()
        .map(|s| s.state())
        .unwrap_or(OrderState::Open)
}

fn print_details(out: &Output, clock: &dyn Clock, details: &OrderDetails) -> Result<()> {
    let json = rawjson::with_ids_as_strings(&rawjson::raw(&details.raw));
    if out.is_json() {
        out.json_text(&rawjson::pretty(&json))?;
        return Ok(());
    }
    if out.is_quiet() {
        out.print(
            details
                .status
                .as_ref()
                .map(|s| s.as_str())
                .unwrap_or("unknown"),
        )?;
        return Ok(());
    }
    // Read from the text, so that amounts and IDs are shown exactly as the portal wrote them.
    let members = rawjson::object_members(details.raw.get()).unwrap_or_default();
    let section = |key: &str| {
        members
            .iter()
            .find(|(name, _)| name == key)
            .and_then(|(_, section)| rawjson::object_members(section.get()).ok())
            .unwrap_or_default()
    };
    // The order, its product and its summary repeat each other: one section, each fact once.
    let mut order_fields = section("orderInformation");
    for key in ["basicInformation", "orderSummary"] {
        for (name, value) in section(key) {
            if !order_fields.iter().any(|(known, _)| *known == name) {
                order_fields.push((name, value));
            }
        }
    }
    let billing = section("billingInformation");
    let mut text = String::new();
    if !order_fields.is_empty() {
        let body = order_text(&order_fields, clock);
        if !body.is_empty() {
            text.push_str(&format!("Order\n{body}\n"));
        }
    }
    let body = fields_text(&billing);
    if !body.is_empty() {
        text.push_str(&format!("Billing\n{body}\n"));
    }
    if text.is_empty() {
        text = fields_text(&members);
    }
    out.print(text.trim_end())?;
    Ok(())
}

/// What an order's `operationType` means, in words.
fn operation_words(operation_type: &str) -> Option<&'static str> {
    Some(match yeastar_partner::Operation::parse(operation_type)? {
        yeastar_partner::Operation::Purchase => "new subscription (purchase)",
        yeastar_partner::Operation::Renew => "renewal (renew)",
        yeastar_partner::Operation::Switch => "plan switch (switch)",
    })
}

/// The order's facts in the order a person asks about them: which order and how it stands,
/// what it bought for which PBX, what it cost, then the references; fields linkus does not
/// know follow, as the portal named them.
fn order_text(fields: &[(String, Box<RawValue>)], clock: &dyn Clock) -> String {
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| scalar(v))
    };
    let with_id = |name: Option<String>, id: Option<String>| match (name, id) {
        (Some(name), Some(id)) => Some(format!("{name} ({id})")),
        (name, id) => name.or(id),
    };
    let created = get("createTime").map(|time| match time.parse::<u64>() {
        Ok(t) => {
            let ms = crate::portal_clock::portal_number_ms(t).unwrap_or(t);
            format!(
                "{} ({})",
                format_ms(ms),
                crate::output::ago(ms, clock.now_ms())
            )
        }
        Err(_) => time,
    });
    let amount = get("amount").map(|amount| match get("currencyCode") {
        Some(currency) => format!("{amount} {currency}"),
        None => amount,
    });
    let known: Vec<(&str, Option<String>)> = vec![
        ("Order number", get("orderNo")),
        ("Status", get("orderStatus")),
        (
            "Operation",
            get("operationType").map(|op| operation_words(&op).map_or(op, str::to_owned)),
        ),
        ("PBX SN", get("productNo")),
        // The product only where the plan's name does not already say it.
        (
            "Product",
            with_id(get("productName"), get("productId"))
                .filter(|_| get("planName").is_none() || get("productName") != get("planName")),
        ),
        ("Plan", with_id(get("planName"), get("planId"))),
        ("Years", get("multiCycle")),
        ("Amount", amount),
        ("PO number", get("poNumber")),
        ("Created", created),
        ("Transaction", get("transactionNo")),
        ("Invoice", get("invoiceNo")),
        ("Order ID", get("id")),
    ];
    let used = [
        "orderNo",
        "orderStatus",
        "operationType",
        "productNo",
        "productName",
        "productId",
        "planName",
        "planId",
        "multiCycle",
        "amount",
        "currencyCode",
        "poNumber",
        "createTime",
        "transactionNo",
        "invoiceNo",
        "id",
    ];
    let mut text: String = known
        .into_iter()
        .filter_map(|(label, value)| value.map(|v| format!("  {label:<16}{}\n", clean(&v))))
        .collect();
    let rest: Vec<(String, Box<RawValue>)> = fields
        .iter()
        .filter(|(key, _)| !used.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    text.push_str(&fields_text(&rest));
    text
}

/// A readable label for a field of the portal's order details.
fn label(key: &str) -> String {
    let known = [
        ("orderNo", "Order number"),
        ("orderStatus", "Status"),
        ("id", "Order ID"),
        ("createTime", "Created"),
        ("currencyCode", "Currency"),
        ("productNo", "PBX SN"),
        ("productName", "Product"),
        ("productId", "Product ID"),
        ("planName", "Plan"),
        ("planId", "Plan ID"),
        ("multiCycle", "Years"),
        ("amount", "Amount"),
        ("poNumber", "PO number"),
        ("transactionNo", "Transaction"),
        ("invoiceNo", "Invoice"),
        ("operationType", "Operation"),
        ("emailAddress", "E-mail"),
        ("phoneNumber", "Phone"),
        ("billingContactId", "Contact ID"),
        ("taxNum", "Tax number"),
        ("customReferenceNo", "Reference"),
    ];
    if let Some((_, label)) = known.iter().find(|(k, _)| *k == key) {
        return (*label).to_owned();
    }
    // camelCase → "Camel case"
    let mut words = String::new();
    for (i, c) in key.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            words.push(' ');
            words.extend(c.to_lowercase());
        } else if i == 0 {
            words.extend(c.to_uppercase());
        } else {
            words.push(c);
        }
    }
    words
}

/// A scalar's text: a string unquoted, a number's digits as written, a flag as yes or no.
fn scalar(raw: &RawValue) -> Option<String> {
    let text = raw.get().trim();
    match text.as_bytes().first()? {
        b'"' => serde_json::from_str::<String>(text)
            .ok()
            .filter(|s| !s.trim().is_empty()),
        b't' => Some("yes".to_owned()),
        b'f' => Some("no".to_owned()),
        b'-' | b'0'..=b'9' => Some(text.to_owned()),
        _ => None,
    }
}

fn fields_text(fields: &[(String, Box<RawValue>)]) -> String {
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| scalar(v))
    };
    let name: Vec<String> = ["firstName", "lastName"]
        .iter()
        .filter_map(|k| get(k))
        .collect();
    let address: Vec<String> = ["street", "city", "zipCode", "stateProvince", "country"]
        .iter()
        .filter_map(|k| get(k))
        .collect();
    let mut lines = Vec::new();
    if !name.is_empty() {
        lines.push(("Name".to_owned(), name.join(" ")));
    }
    for (key, value) in fields {
        if [
            "firstName",
            "lastName",
            "street",
            "city",
            "zipCode",
            "stateProvince",
            "country",
        ]
        .contains(&key.as_str())
        {
            continue;
        }
        let Some(shown) = scalar(value) else { continue };
        let shown =
            if key.to_lowercase().ends_with("time") && shown.bytes().all(|b| b.is_ascii_digit()) {
                shown
                    .parse()
                    .map(|t| format_ms(crate::portal_clock::portal_number_ms(t).unwrap_or(t)))
                    .unwrap_or(shown)
            } else {
                shown
            };
        lines.push((label(key), shown));
    }
    if !address.is_empty() {
        lines.push(("Address".to_owned(), address.join(", ")));
    }
    lines
        .iter()
        .map(|(label, value)| format!("  {label:<16}{}\n", clean(value)))
        .collect()
}
