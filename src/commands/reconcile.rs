//! `linkus orders reconcile [--not-placed ENTRY]`: settle journal entries whose outcome was
//! unknown or still open, by looking the orders up (CLI.md section 1).

use std::collections::HashSet;

use anyhow::{Context as _, Result};
use serde::Serialize;
use yeastar_partner::{
    Client, Order, OrderState, OrderStatus, SubscriptionCheck, LINKUS_PRODUCT_ID,
};

use crate::cli::ReconcileArgs;
use crate::context::{same_portal_key, Context};
use crate::error::{usage, ExitStatus, Failure, Kind};
use crate::guard::parse_time_ms;
use crate::journal::{self, Contents, Entry, Intent, Journal, Outcome, State};
use crate::lock::{LockDir, SnLock};
use crate::order::Ledger;
use crate::prompt;

/// Orders are matched to an intent when placed for its SN no earlier than this before it.
const CLOCK_SKEW_MS: u64 = 5 * 60 * 1000;

/// One line of the report.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    entry: Option<String>,
    sn: Option<String>,
    time: Option<String>,
    /// `settled`, `open`, `unknown`, `not_placed` or `damaged`.
    status: &'static str,
    order_no: Option<String>,
    order_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip)]
    note: String,
}

/// The orders the portal lists, whether the list reached back far enough, and how far this
/// machine's clock is ahead of the portal's (its `Date` header): entries carry local times,
/// orders the portal's (CLI.md section 3, "Clocks").
struct Search {
    orders: Vec<Order>,
    complete: bool,
    skew_ms: i64,
}

impl Search {
    /// A local time on the portal's clock.
    fn portal_time(&self, local_ms: u64) -> u64 {
        to_portal(local_ms, self.skew_ms)
    }
}

fn to_portal(local_ms: u64, skew_ms: i64) -> u64 {
    u64::try_from(i128::from(local_ms) - i128::from(skew_ms)).unwrap_or(0)
}

/// The portal's order list back to `since_ms` (a local time, already less the 5 minutes'
/// margin) on the portal's clock, at most 2,000 orders.
async fn search(ctx: &Context, client: &Client, since_ms: u64) -> Result<Search> {
    let history = client
        .order_history_partial(|portal_now| {
            let skew = i128::from(client.clock().now_ms()) - i128::from(portal_now);
            to_portal(since_ms, i64::try_from(skew).unwrap_or(0))
        })
        .await
        .context("Could not list the orders")?;
    crate::commands::orders::warn_missing_fields(ctx, &history.orders);
    Ok(Search {
        complete: history.is_complete(),
        skew_ms: history.skew_ms().unwrap_or(0),
        orders: history.orders,
    })
}

/// The earliest order for the intent's SN (and operation, where the list says) placed after
/// it (by the portal's clock, less 5 minutes) and not already attributed to another entry.
fn match_order<'a>(
    search: &'a Search,
    intent: &Intent,
    taken: &HashSet<String>,
) -> Option<&'a Order> {
    let since = search.portal_time(
        parse_time_ms(&intent.time)
            .unwrap_or(0)
            .saturating_sub(CLOCK_SKEW_MS),
    );
    let mut orders: Vec<&Order> = search.orders.iter().collect();
    // Oldest first, whatever order the pages came in.
    orders.sort_by_key(|order| order.created_ms().unwrap_or(0));
    orders
        .into_iter()
        .filter(|o| o.is_for(&intent.sn))
        .filter(|o| o.created_ms().is_some_and(|t| t >= since))
        .filter(|o| {
            o.operation_type
                .as_deref()
                .and_then(yeastar_partner::Operation::parse)
                .is_none_or(|op| op == intent.operation)
        })
        .find(|o| o.order_no.as_ref().is_some_and(|no| !taken.contains(no)))
}

fn taken_orders(contents: &Contents) -> HashSet<String> {
    contents
        .entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Outcome(o) | Entry::Reconciled(o) => o.order_no.clone(),
            Entry::Intent(_) => None,
        })
        .collect()
}

fn reconciled(
    intent: &Intent,
    now: String,
    outcome: String,
    order_no: Option<String>,
    status: Option<String>,
) -> Entry {
    Entry::Reconciled(Outcome {
        id: intent.id.clone(),
        time: now,
        outcome,
        order_no,
        order_status: status,
        request_id: None,
    })
}

pub async fn run(ctx: &Context, args: ReconcileArgs) -> Result<ExitStatus> {
    if let Some(entry) = &args.not_placed {
        return not_placed(ctx, entry, args.yes).await;
    }
    let contents = Journal::new(ctx.dirs.journal_file()).read()?;
    let portal = ctx.portal_label();
    let pending: Vec<(Intent, State)> = contents
        .intents()
        .into_iter()
        .filter(|(_, state)| matches!(state, State::Unknown | State::Open { .. }))
        .collect();
    let (mine, others): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(i, _)| {
        same_portal_key(&i.base_url) == same_portal_key(&portal) && i.profile == ctx.profile()
    });
    if !others.is_empty() {
        ctx.out.status(&format!(
            "{} unsettled entr{} for other portals or profiles left alone (run reconcile with their --profile, --base-url or --sandbox).",
            others.len(),
            if others.len() == 1 { "y" } else { "ies" }
        ));
    }
    let mut rows: Vec<Row> = Vec::new();
    if !mine.is_empty() {
        let client = ctx.client()?;
        let locks = LockDir::locate()?;
        let mut taken = taken_orders(&contents);
        let unknown: Vec<&Intent> = mine
            .iter()
            .filter(|(_, s)| *s == State::Unknown)
            .map(|(i, _)| i)
            .collect();
        let oldest = unknown
            .iter()
            .filter_map(|i| parse_time_ms(&i.time))
            .min()
            .unwrap_or(u64::MAX)
            .saturating_sub(CLOCK_SKEW_MS);
        let found = if unknown.is_empty() {
            None
        } else {
            Some(search(ctx, &client, oldest).await)
        };
        for (intent, state) in &mine {
            // A run still waiting on this SN's order holds its lock: leave the entry to it.
            let lock = match locks.lock(
                &ctx.portal_key(),
                &intent.sn,
                "linkus orders reconcile",
                &ctx.now_rfc3339(),
            ) {
                Ok(lock) => lock,
                Err(_) => {
                    rows.push(row(
                        intent,
                        "unknown",
                        None,
                        None,
                        "another linkus is ordering for this SN now; run reconcile again after it"
                            .to_owned(),
                    ));
                    continue;
                }
            };
            let ledger = Ledger::new(ctx, Some(&locks), &intent.sn);
            rows.push(match state {
                State::Open { order_no, status } => {
                    look_again(ctx, &client, &ledger, intent, order_no, status).await
                }
                _ => match &found {
                    Some(Ok(search)) => settle_unknown(ctx, &ledger, intent, search, &mut taken),
                    Some(Err(error)) => row(
                        intent,
                        "unknown",
                        None,
                        None,
                        format!("could not search the orders ({error:#})"),
                    ),
                    None => row(intent, "unknown", None, None, String::new()),
                },
            });
            drop::<SnLock>(lock);
        }
    }
    for damaged in &contents.damaged {
        rows.push(Row {
            entry: None,
            sn: None,
            time: None,
            status: "damaged",
            order_no: None,
            order_status: None,
            line: Some(damaged.line),
            note: format!("line {} cannot be read: {}", damaged.line, damaged.text),
        });
    }
    print(ctx, &rows)?;
    let unknown = rows.iter().filter(|r| r.status == "unknown").count();
    let open = rows.iter().filter(|r| r.status == "open").count();
    if unknown > 0 {
        ctx.out.report(
            Failure::new(Kind::OrderUnknown, if unknown == 1 { "1 order still has no known outcome.".to_owned() } else { format!("{unknown} orders still have no known outcome.") })
                .hint("If the portal shows no order for the SN (Orders & Billing > Orders), mark the entry with `linkus orders reconcile --not-placed ENTRY`."),
        );
        return Ok(ExitStatus::Failed(Kind::OrderUnknown));
    }
    if open > 0 {
        ctx.out.report(
            Failure::new(Kind::OrderIncomplete, if open == 1 { "1 order is still open (not paid or not complete).".to_owned() } else { format!("{open} orders are still open (not paid or not complete).") })
                .hint("Pay or cancel them in the Partner Portal (Orders & Billing > Orders); reconcile looks them up again next time."),
        );
        return Ok(ExitStatus::Failed(Kind::OrderIncomplete));
    }
    if rows.iter().all(|r| r.status == "damaged") && !ctx.out.is_json() {
        ctx.out
            .status("Nothing to reconcile: every order in the journal has a known outcome.");
    }
    Ok(ExitStatus::Success)
}

fn row(
    intent: &Intent,
    status: &'static str,
    order_no: Option<String>,
    order_status: Option<String>,
    note: String,
) -> Row {
    Row {
        entry: Some(intent.id.clone()),
        sn: Some(intent.sn.clone()),
        time: Some(intent.time.clone()),
        status,
        order_no,
        order_status,
        line: None,
        note,
    }
}

/// The status an order's state gives a report row.
fn status_word(status: &OrderStatus) -> &'static str {
    match status.state() {
        OrderState::Open if !status.as_str().eq_ignore_ascii_case("refunded") => "open",
        _ => "settled",
    }
}

async fn look_again(
    ctx: &Context,
    client: &Client,
    ledger: &Ledger,
    intent: &Intent,
    order_no: &str,
    was: &str,
) -> Row {
    match client.order_details(order_no).await {
        Ok(details) => match details.status {
            Some(status) => {
                if !status.as_str().eq_ignore_ascii_case(was) {
                    ledger.settle(intent, &status, &ctx.now_rfc3339(), order_no);
                }
                row(
                    intent,
                    status_word(&status),
                    Some(order_no.to_owned()),
                    Some(status.as_str().to_owned()),
                    String::new(),
                )
            }
            None => row(
                intent,
                "open",
                Some(order_no.to_owned()),
                Some(was.to_owned()),
                "the portal gave no status".to_owned(),
            ),
        },
        Err(error) => row(
            intent,
            "open",
            Some(order_no.to_owned()),
            Some(was.to_owned()),
            format!("could not look it up now ({error})"),
        ),
    }
}

fn settle_unknown(
    ctx: &Context,
    ledger: &Ledger,
    intent: &Intent,
    search: &Search,
    taken: &mut HashSet<String>,
) -> Row {
    match match_order(search, intent, taken) {
        Some(order) => {
            let order_no = order.order_no.clone().unwrap_or_default();
            taken.insert(order_no.clone());
            let status = order
                .status()
                .unwrap_or_else(|| OrderStatus::new("unknown"));
            let _ = ledger.write(&reconciled(
                intent,
                ctx.now_rfc3339(),
                journal::outcome_of(&status),
                Some(order_no.clone()),
                Some(status.as_str().to_owned()),
            ));
            row(
                intent,
                status_word(&status),
                Some(order_no),
                Some(status.as_str().to_owned()),
                String::new(),
            )
        }
        None if !search.complete => row(
            intent,
            "unknown",
            None,
            None,
            "could not search all orders".to_owned(),
        ),
        None => row(
            intent,
            "unknown",
            None,
            None,
            "no order found for it yet".to_owned(),
        ),
    }
}

fn print(ctx: &Context, rows: &[Row]) -> Result<()> {
    if ctx.out.is_json() {
        ctx.out.json(&rows)?;
    } else if ctx.out.is_quiet() {
        ctx.out
            .lines(rows.iter().filter_map(|r| r.order_no.as_deref()))?;
    } else if !rows.is_empty() {
        let text: String = rows
            .iter()
            .map(|r| match r.status {
                "damaged" => format!("damaged        {}\n", r.note),
                status => {
                    let found = match (&r.order_no, &r.order_status) {
                        (Some(no), Some(s)) => format!("order {no}, {s}"),
                        _ => r.note.clone(),
                    };
                    let word = if status == "unknown" {
                        "still unknown"
                    } else {
                        status
                    };
                    format!(
                        "{word:<15}entry {} SN {} sent {}: {found}\n",
                        r.entry.as_deref().unwrap_or(""),
                        r.sn.as_deref().unwrap_or(""),
                        r.time.as_deref().unwrap_or("")
                    )
                }
            })
            .collect();
        ctx.out.print(&text)?;
    }
    Ok(())
}

/// `--not-placed ENTRY`: the user checked the portal; one more search, then the mark.
async fn not_placed(ctx: &Context, entry: &str, yes: bool) -> Result<ExitStatus> {
    let contents = Journal::new(ctx.dirs.journal_file()).read()?;
    let Some((intent, state)) = contents
        .intents()
        .into_iter()
        .find(|(i, _)| i.id == entry.trim())
    else {
        return Err(Failure::usage(format!("The journal has no entry {entry:?}."))
            .hint("`linkus orders reconcile` lists the entries whose outcome is unknown, with their IDs.")
            .into());
    };
    if state != State::Unknown {
        return Err(usage(format!(
            "Entry {entry} is not unknown ({state:?}); only an unknown entry can be marked as not placed."
        )));
    }
    if !yes {
        if !ctx.interactive() {
            return Err(Failure::usage(format!(
                "Prompts are off ({}), so marking an entry as not placed needs --yes.",
                ctx.prompts_off_reason()
            ))
            .into());
        }
        ctx.out.status(&format!(
            "Entry {} ({} for SN {}, sent {}) will be recorded as never placed, which allows a new order for the SN.",
            intent.id,
            intent.operation.name(),
            intent.sn,
            intent.time
        ));
        if !prompt::confirm(
            "Have you checked that the Partner Portal shows no such order?",
            false,
        )
        .await?
        {
            ctx.out.status("Nothing was changed.");
            return Ok(ExitStatus::Failed(Kind::Cancelled));
        }
    }
    let locks = LockDir::locate()?;
    let _lock = locks.lock(
        &ctx.portal_key(),
        &intent.sn,
        "linkus orders reconcile --not-placed",
        &ctx.now_rfc3339(),
    )?;
    let client = ctx.client()?;
    let since = parse_time_ms(&intent.time)
        .unwrap_or(0)
        .saturating_sub(CLOCK_SKEW_MS);
    let (found, subscription) = tokio::join!(
        search(ctx, &client, since),
        client.subscription(LINKUS_PRODUCT_ID, &intent.sn)
    );
    let found = found?;
    let refuse = |why: String| -> Result<ExitStatus> {
        Err(Failure::new(
            Kind::Blocked,
            format!("Entry {} was not marked: {why}.", intent.id),
        )
        .hint("`linkus orders reconcile` records what the portal shows.")
        .into())
    };
    if let Some(order) = match_order(&found, &intent, &taken_orders(&contents)) {
        return refuse(format!(
            "the portal has order {} for SN {} since then",
            order.order_no.as_deref().unwrap_or("(no number)"),
            intent.sn
        ));
    }
    if !found.complete {
        return refuse("linkus could not search all orders".to_owned());
    }
    if intent.operation == yeastar_partner::Operation::Purchase {
        match subscription {
            Ok(SubscriptionCheck::Subscribed(s)) if s.is_current(ctx.clock.now_ms()) => {
                return refuse(format!(
                    "SN {} has Linkus Cloud Service now, so the purchase may have gone through",
                    intent.sn
                ));
            }
            Err(error) => {
                return refuse(format!(
                    "linkus could not check the SN's subscription ({error})"
                ))
            }
            _ => {}
        }
    }
    let ledger = Ledger::new(ctx, Some(&locks), &intent.sn);
    ledger
        .write(&reconciled(
            &intent,
            ctx.now_rfc3339(),
            journal::NOT_PLACED.to_owned(),
            None,
            None,
        ))
        .map_err(|unrecorded| {
            anyhow::anyhow!("could not write the journal: {}", unrecorded.problem)
        })?;
    let row = row(
        &intent,
        "not_placed",
        None,
        None,
        "marked as never placed".to_owned(),
    );
    if ctx.out.is_json() {
        ctx.out.json(&[row])?;
    } else {
        ctx.out.status(&format!(
            "Entry {} for SN {} is recorded as never placed; the SN can be ordered for again.",
            intent.id, intent.sn
        ));
    }
    Ok(ExitStatus::Success)
}
