//! `linkus orders reconcile [--not-placed ENTRY]`: settle journal entries whose outcome was
//! unknown or still open, by looking the orders up (CLI.md section 1).

use crate::output::Output;
use crate::portal_clock::EpochClock as _;
use crate::portal_clock::PortalClock;
use std::collections::HashSet;
use yeastar_partner::Clock;

use anyhow::{Context as _, Result};
use serde::Serialize;
use yeastar_partner::{
    Client, Order, OrderState, OrderStatus, SubscriptionCheck, LINKUS_PRODUCT_ID,
};

use crate::cli::ReconcileArgs;
use crate::context::{Context, Settings};
use crate::error::{ExitStatus, Failure, Kind};
use crate::guard::{parse_time_ms, Stamp, FUTURE_MS};
use crate::journal::{Contents, Entry, Intent, Outcome, Recorded, State, Word};
use crate::lock::{LockDir, SnLock};
use crate::order;
use crate::portal_key;
use crate::prompt;
use crate::records::{self, Records, Source};
use crate::team::TeamEntry;

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

/// The orders the portal lists, and whether the list reached back far enough.
struct Search {
    orders: Vec<Order>,
    complete: bool,
}

/// The orders listed back to the earliest of `intents` (by the portal's clock, known once
/// the first page has answered), at most 2,000 (CLI.md section 3): past them, or past a page
/// that cannot be read, the search is incomplete ("could not search all orders").
async fn search(
    out: &Output,
    portal_clock: &PortalClock,
    client: &Client,
    intents: &[&Intent],
) -> Result<Search> {
    let history = client
        .order_history_partial(|_| {
            crate::portal_clock::from_ms(
                intents
                    .iter()
                    .map(|i| since_ms(portal_clock, i))
                    .min()
                    .unwrap_or(0),
            )
        })
        .await
        .context("Could not list the orders")?;
    let complete = history.is_complete();
    let mut orders = history.orders;
    crate::commands::orders::newest_first(&mut orders);
    crate::commands::orders::warn_missing_fields(out, &orders);
    Ok(Search { orders, complete })
}

/// Orders placed from this moment on, by the portal's clock, may be the intent's: its time by
/// the portal's clock (recorded with it, or its local time moved by the difference between
/// the clocks now), whichever is earlier, less 5 minutes. A time that cannot be read
/// searches everything (fail closed).
fn since_ms(portal_clock: &PortalClock, intent: &Intent) -> u64 {
    let recorded = intent.portal_time.as_deref().and_then(parse_time_ms);
    let moved =
        parse_time_ms(&intent.time).map(|local| portal_clock.portal_ms(local).unwrap_or(local));
    let at = match (recorded, moved) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => 0,
    };
    at.saturating_sub(CLOCK_SKEW_MS)
}

/// The earliest order for the intent's SN (and operation, where the list and the intent say)
/// placed after `since` (by the portal's clock) and not already attributed to another entry.
fn match_order<'a>(
    orders: &'a [Order],
    intent: &Intent,
    since: u64,
    taken: &HashSet<String>,
) -> Option<&'a Order> {
    orders
        .iter()
        .rev()
        .filter(|o| o.is_for(&intent.sn))
        .filter(|o| {
            o.created()
                .map(crate::portal_clock::epoch_ms)
                .is_some_and(|t| t >= since)
        })
        .filter(|o| {
            o.operation_type
                .as_deref()
                .and_then(yeastar_partner::Operation::parse)
                .is_none_or(|op| intent.checked_as().contains(&op))
        })
        .find(|o| o.order_no.as_deref().is_some_and(|no| !taken.contains(no)))
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
    outcome: Word,
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
    let contents = order::read_journal(&ctx.settings)?;
    let portal = portal_key::normalise(&ctx.settings.portal_label());
    let recorded = contents.intents();
    // The team journal's entries from other machines (and this one's that only it holds),
    // settled here like this machine's own; each row names who made it.
    let team_entries = team_unsettled(ctx).await?;
    let made_by: std::collections::HashMap<String, String> = team_entries
        .iter()
        .map(|e| (e.id.clone(), e.who()))
        .collect();
    let team_only: Vec<Recorded> = team_entries
        .iter()
        .filter(|e| !recorded.iter().any(|r| r.intent.id == e.id))
        .map(|e| team_recorded(&ctx.settings, e))
        .collect();
    let pending: Vec<&Recorded> = recorded
        .iter()
        .chain(team_only.iter())
        .filter(|r| r.state.unsettled())
        .collect();
    let (mine, others): (Vec<&Recorded>, Vec<&Recorded>) = pending.into_iter().partition(|r| {
        portal_key::normalise(&r.intent.base_url) == portal
            && r.intent.profile == ctx.settings.profile()
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
            .filter(|r| matches!(r.state, State::Unknown | State::InFlight))
            .map(|r| &r.intent)
            .collect();
        let found = if unknown.is_empty() {
            None
        } else {
            Some(search(&ctx.out, &ctx.portal.clock, &client, &unknown).await)
        };
        for r in &mine {
            let intent = &r.intent;
            // A run still waiting on this SN's order holds its lock: leave the entry to it.
            let lock = match locks
                .lock(
                    &ctx.settings.portal_key(),
                    &intent.sn,
                    "linkus orders reconcile",
                    &ctx.now_rfc3339(),
                )
                .await
            {
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
            let records = order::records(ctx, Some(&locks), &intent.sn);
            rows.push(match &r.state {
                State::Open { order_no, status } => {
                    look_again(ctx, &client, &records, intent, order_no, status).await
                }
                _ => match &found {
                    Some(Ok(search)) => {
                        settle_unknown(ctx, &records, intent, search, &mut taken).await
                    }
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
    // Entries whose time cannot be read, or lies in the future, block their SN: named here.
    let now = ctx.clock.now_ms();
    for r in recorded.iter().filter(|r| {
        portal_key::normalise(&r.intent.base_url) == portal
            && r.intent.profile == ctx.settings.profile()
    }) {
        if let Some(problem) = time_problem(&r.intent, now) {
            let release = match &r.state {
                State::Succeeded { order_no } => format!(
                    "`--again {}` orders again on purpose",
                    order_no.as_deref().unwrap_or(&r.intent.id)
                ),
                _ => format!(
                    "`linkus orders reconcile --not-placed {}` releases it once the portal shows no such order",
                    r.intent.id
                ),
            };
            rows.push(Row {
                entry: Some(r.intent.id.clone()),
                sn: Some(r.intent.sn.clone()),
                time: Some(r.intent.time.clone()),
                status: "damaged",
                order_no: None,
                order_status: None,
                line: None,
                note: format!(
                    "entry {} for SN {}: {problem}, so it blocks the SN; {release}",
                    r.intent.id, r.intent.sn
                ),
            });
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
    for row in &mut rows {
        if let Some(who) = row.entry.as_ref().and_then(|id| made_by.get(id)) {
            row.note = if row.note.is_empty() {
                format!("team journal entry made by {who}")
            } else {
                format!("{} (team journal entry made by {who})", row.note)
            };
        }
    }
    print(&ctx.out, ctx.clock.as_ref(), &rows)?;
    let unknown = rows.iter().filter(|r| r.status == "unknown").count();
    let open = rows.iter().filter(|r| r.status == "open").count();
    if unknown > 0 {
        crate::error::report(&ctx.out,
            Failure::new(Kind::OrderUnknown, if unknown == 1 { "1 order still has no known outcome.".to_owned() } else { format!("{unknown} orders still have no known outcome.") })
                .hint("If the portal shows no order for the SN (Orders & Billing > Orders), mark the entry with `linkus orders reconcile --not-placed ENTRY`."),
        );
        return Ok(ExitStatus::Failed(Kind::OrderUnknown));
    }
    if open > 0 {
        crate::error::report(&ctx.out,
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

/// What is wrong with an intent's time, if anything: it cannot be read, or lies more than 5
/// minutes in the future.
fn time_problem(intent: &Intent, now: u64) -> Option<String> {
    match records::stamp_of(intent) {
        Stamp::Unreadable => Some(format!("its time {:?} cannot be read", intent.time)),
        Stamp::At { ms, .. } if ms > now.saturating_add(FUTURE_MS) => {
            Some(format!("its time {:?} lies in the future", intent.time))
        }
        Stamp::At { .. } => None,
    }
}

/// The status an order's state gives a report row.
fn status_word(status: &OrderStatus) -> &'static str {
    match status.state() {
        OrderState::Open => "open",
        _ => "settled",
    }
}

async fn look_again(
    ctx: &Context,
    client: &Client,
    records: &Records,
    intent: &Intent,
    order_no: &str,
    was: &str,
) -> Row {
    match client.order_details(order_no).await {
        Ok(details) => match details.status {
            Some(status) => {
                if !status.as_str().eq_ignore_ascii_case(was) {
                    order::settle_looked_up(ctx, records, &intent.id, &status, order_no).await;
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

async fn settle_unknown(
    ctx: &Context,
    records: &Records,
    intent: &Intent,
    search: &Search,
    taken: &mut HashSet<String>,
) -> Row {
    match match_order(
        &search.orders,
        intent,
        since_ms(&ctx.portal.clock, intent),
        taken,
    ) {
        Some(order) => {
            let order_no = order.order_no.as_deref().unwrap_or_default().to_owned();
            taken.insert(order_no.clone());
            let status = order
                .status()
                .unwrap_or_else(|| OrderStatus::new("unknown"));
            if let Err(unrecorded) = records
                .settle(&reconciled(
                    intent,
                    ctx.now_rfc3339(),
                    Word::of(&status),
                    Some(order_no.clone()),
                    Some(status.as_str().to_owned()),
                ))
                .await
            {
                ctx.out.warn(&unrecorded.warning(&intent.sn));
            }
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

fn print(out: &Output, clock: &dyn Clock, rows: &[Row]) -> Result<()> {
    if out.is_json() {
        out.json(&rows)?;
    } else if out.is_quiet() {
        out.lines(rows.iter().filter_map(|r| r.order_no.as_deref()))?;
    } else if !rows.is_empty() {
        let text: String = rows
            .iter()
            .map(|r| match r.status {
                "damaged" => format!("damaged        {}\n", r.note),
                status => {
                    let found = match (&r.order_no, &r.order_status) {
                        (Some(no), Some(s)) if r.note.is_empty() => format!("order {no}, {s}"),
                        (Some(no), Some(s)) => format!("order {no}, {s}; {}", r.note),
                        _ => r.note.clone(),
                    };
                    let word = if status == "unknown" {
                        "still unknown"
                    } else {
                        status
                    };
                    // A person at a terminal reads "3 h ago"; a script, the time.
                    let time = r.time.as_deref().unwrap_or("");
                    let sent = match crate::guard::parse_time_ms(time) {
                        Some(ms) if out.stdout_is_terminal => {
                            crate::output::ago(ms, clock.now_ms())
                        }
                        _ => time.to_owned(),
                    };
                    format!(
                        "{word:<15}entry {} SN {} sent {sent}: {found}\n",
                        r.entry.as_deref().unwrap_or(""),
                        r.sn.as_deref().unwrap_or(""),
                    )
                }
            })
            .collect();
        out.print(&text)?;
    }
    Ok(())
}

/// `--not-placed ENTRY`: the user checked the portal; under the SN's lock, the records read
/// again and one more search (by the portal's clock), then the mark.
async fn not_placed(ctx: &Context, entry: &str, yes: bool) -> Result<ExitStatus> {
    let contents = order::read_journal(&ctx.settings)?;
    // The team journal's entry of that ID, from any machine.
    let team = ctx.team_journal()?;
    let mut team_entry: Option<TeamEntry> = None;
    if let Some(team) = &team {
        match team.entry(entry.trim()).await {
            Ok(found) => team_entry = found,
            Err(error) => ctx.out.warn(&format!(
                "could not read the team journal ({error}); `linkus team sync` writes the mark there later."
            )),
        }
    }
    let made_by = team_entry
        .as_ref()
        .map(|e| format!(", made by {}", e.who()))
        .unwrap_or_default();
    let team_only = find(&contents, entry).is_none();
    let Some(first) = find(&contents, entry).or_else(|| {
        team_entry
            .as_ref()
            .filter(|e| e.is_unsettled())
            .map(|e| team_recorded(&ctx.settings, e))
    }) else {
        return Err(Failure::usage(format!("The journal has no entry {entry:?}."))
            .hint("`linkus orders reconcile` lists the entries whose outcome is unknown, with their IDs.")
            .into());
    };
    unknown_or_refuse(entry, &first.state)?;
    let intent = first.intent;
    if !yes {
        if !ctx.settings.interactive() {
            return Err(Failure::usage(format!(
                "Prompts are off ({}), so marking an entry as not placed needs --yes.",
                ctx.settings.prompts_off_reason()
            ))
            .into());
        }
        ctx.out.status(&format!(
            "Entry {} ({} for SN {}, sent {}{made_by}) will be recorded as never placed, which allows a new order for the SN.",
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
    let _lock = locks
        .lock(
            &ctx.settings.portal_key(),
            &intent.sn,
            "linkus orders reconcile --not-placed",
            &ctx.now_rfc3339(),
        )
        .await?;
    // Under the lock, both records again: a run may have settled the entry since.
    let mut contents = order::read_journal(&ctx.settings)?;
    if let Ok(record) = locks.record(&ctx.settings.portal_key(), &intent.sn).read() {
        contents.merge(record);
    }
    let refuse = |why: String| -> Result<ExitStatus> {
        Err(Failure::new(
            Kind::Blocked,
            format!("Entry {} was not marked: {why}.", intent.id),
        )
        .hint("`linkus orders reconcile` records what the portal shows.")
        .into())
    };
    if !team_only {
        let Some(now) = find(&contents, &intent.id) else {
            return refuse("it is no longer in the journal".to_owned());
        };
        unknown_or_refuse(entry, &now.state)?;
        if let Some(pid) = records::earlier_of(Source::Journal, &now).pid {
            return refuse(format!(
                "its run (pid {pid}) is still going and may be waiting for the portal's answer"
            ));
        }
    }
    let client = ctx.client()?;
    let searched = [&intent];
    let (found, subscription) = tokio::join!(
        search(&ctx.out, &ctx.portal.clock, &client, &searched),
        client.subscription(LINKUS_PRODUCT_ID, &intent.sn)
    );
    let found = found?;
    // The portal's clock is known now: the search's answers carried it.
    let since = since_ms(&ctx.portal.clock, &intent);
    if let Some(order) = match_order(&found.orders, &intent, since, &taken_orders(&contents)) {
        return refuse(format!(
            "the portal has order {} for SN {} since then",
            order.order_no.as_deref().unwrap_or("(no number)"),
            intent.sn
        ));
    }
    if !found.complete {
        return refuse("linkus could not search all orders".to_owned());
    }
    if intent
        .checked_as()
        .contains(&yeastar_partner::Operation::Purchase)
    {
        match subscription {
            Ok(SubscriptionCheck::Subscribed(s)) if s.is_current(ctx.clock.now()) => {
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
    order::records(ctx, Some(&locks), &intent.sn)
        .settle(&reconciled(
            &intent,
            ctx.now_rfc3339(),
            Word::NotPlaced,
            None,
            None,
        ))
        .await
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
            "Entry {} for SN {}{made_by} is recorded as never placed; the SN can be ordered for again.",
            intent.id, intent.sn
        ));
    }
    Ok(ExitStatus::Success)
}

/// An entry of the team journal as a record of this machine's journal would hold it.
pub fn team_recorded(settings: &Settings, entry: &TeamEntry) -> Recorded {
    let id = |text: &Option<String>| {
        yeastar_partner::PlanId::new(text.as_deref().and_then(|t| t.parse().ok()).unwrap_or(0))
    };
    let state = match entry.state.as_str() {
        "open" => State::Open {
            order_no: entry.order_no.clone().unwrap_or_default(),
            status: entry.outcome.clone().unwrap_or_default(),
        },
        "in_flight" => State::InFlight,
        _ => State::Unknown,
    };
    let operation = yeastar_partner::Operation::parse(&entry.operation);
    Recorded {
        intent: Intent {
            id: entry.id.clone(),
            time: entry.created_at.clone(),
            portal_time: None,
            profile: settings.profile().to_owned(),
            base_url: settings.portal_label(),
            sn: entry.sn.clone(),
            operation: operation.unwrap_or(yeastar_partner::Operation::Purchase),
            any_operation: operation.is_none(),
            plan_id: id(&entry.plan_id),
            plan_name: entry.plan_name.clone().unwrap_or_default(),
            billing_contact_id: yeastar_partner::BillingContactId::new(0),
            years: entry.years.and_then(|y| u8::try_from(y).ok()).unwrap_or(1),
            po_number: entry.po_number.clone(),
            list_total: None,
            pid: None,
            host: entry.host.clone(),
            user: entry.user.clone(),
        },
        state,
    }
}

/// The team journal's unsettled entries for this portal, when one is set; a database that
/// cannot be read is a warning (this machine's journal is still reconciled).
async fn team_unsettled(ctx: &Context) -> Result<Vec<TeamEntry>> {
    let Some(team) = ctx.team_journal()? else {
        return Ok(Vec::new());
    };
    match team.unsettled(Some(&ctx.settings.portal_label())).await {
        Ok(entries) => Ok(entries),
        Err(error) => {
            ctx.out.warn(&format!(
                "could not read the team journal ({}): {error}; only this machine's journal is reconciled.",
                team.shown()
            ));
            Ok(Vec::new())
        }
    }
}

fn find(contents: &Contents, entry: &str) -> Option<Recorded> {
    contents
        .intents()
        .into_iter()
        .find(|r| r.intent.id == entry.trim())
}

/// Only an entry without a known outcome (unknown, or an intent with no outcome at all) can
/// be marked as never placed.
fn unknown_or_refuse(entry: &str, state: &State) -> Result<()> {
    match state {
        State::Unknown | State::InFlight => Ok(()),
        other => {
            let mut failure = Failure::usage(format!(
                "Entry {entry} is not unknown: {}. Only an entry whose outcome is unknown can be marked as not placed.",
                describe(other)
            ));
            if let State::Open { order_no, .. } = other {
                failure = failure.hint(format!(
                    "Pay or cancel order {order_no} in the Partner Portal (Orders & Billing > Orders); `linkus orders show {order_no} --wait` waits for it."
                ));
            }
            Err(failure.into())
        }
    }
}

/// Where an entry stands, in words for a person (never the enum's debug text).
fn describe(state: &State) -> String {
    match state {
        State::InFlight => "its run wrote no outcome yet".to_owned(),
        State::Unknown => "its outcome is unknown".to_owned(),
        State::Open { order_no, status } => {
            format!("it created order {order_no}, which is still {status}")
        }
        State::Succeeded {
            order_no: Some(order_no),
        } => format!("it succeeded, order {order_no}"),
        State::Succeeded { order_no: None } => "it succeeded".to_owned(),
        State::Closed { outcome } => format!("it ended: {}", outcome.as_str().replace('_', " ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_intent_of_an_operation_linkus_does_not_know_matches_an_order_of_any_operation() {
        let renewal: Order = serde_json::from_value(serde_json::json!({
            "orderNo": "LR1", "orderStatus": "succeed", "createTime": 1_795_000_000_000u64,
            "productNo": "369471667338", "productId": 9, "operationType": "renew_plan"
        }))
        .unwrap();
        let orders = [renewal];
        let mut intent = crate::journal::tests::intent("a");
        assert!(match_order(&orders, &intent, 0, &HashSet::new()).is_none());
        intent.any_operation = true;
        let found = match_order(&orders, &intent, 0, &HashSet::new());
        assert_eq!(found.and_then(|o| o.order_no.as_deref()), Some("LR1"));
    }
}
