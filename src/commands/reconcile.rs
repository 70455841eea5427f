//! `linkus orders reconcile [--not-placed ENTRY]`: settle journal entries whose outcome was
//! unknown or still open, by looking the orders up (CLI.md section 1).

use std::collections::HashSet;

use anyhow::Result;
use serde::Serialize;
use yeastar_partner::{
    Client, Order, OrderState, OrderStatus, SubscriptionCheck, LINKUS_PRODUCT_ID,
};

use crate::cli::ReconcileArgs;
use crate::commands::orders::collect_orders;
use crate::context::{same_portal_key, Context};
use crate::error::{usage, ExitStatus, Failure, Kind};
use crate::guard::parse_time_ms;
use crate::journal::{self, Contents, Entry, Intent, Journal, Outcome, State};
use crate::lock::{LockDir, SnLock};
use crate::order::Ledger;
use crate::prompt;
use crate::team::{self, TeamEntry, TeamJournal};
use std::sync::Arc;
use yeastar_partner::Id;

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

async fn search(ctx: &Context, client: &Client, since_ms: u64) -> Result<Search> {
    let listing = collect_orders(client, 100, |orders| {
        orders
            .iter()
            .filter_map(Order::created_ms)
            .min()
            .is_some_and(|oldest| oldest < since_ms)
    })
    .await?;
    crate::commands::orders::warn_missing_fields(ctx, &listing.orders);
    Ok(Search {
        orders: listing.orders,
        complete: listing.complete,
    })
}

/// The earliest order for the intent's SN (and operation, where the list says) placed after
/// it and not already attributed to another entry.
fn match_order<'a>(
    orders: &'a [Order],
    intent: &Intent,
    taken: &HashSet<String>,
) -> Option<&'a Order> {
    let since = parse_time_ms(&intent.time)
        .unwrap_or(0)
        .saturating_sub(CLOCK_SKEW_MS);
    orders
        .iter()
        .rev()
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

/// An entry of the team journal as an intent of the local journal's shape, and its state.
pub fn team_intent(entry: &TeamEntry, base_url: &str) -> (Intent, State) {
    let id = |text: &Option<String>| Id(text.as_deref().and_then(|t| t.parse().ok()).unwrap_or(0));
    let state = match entry.state.as_str() {
        "open" => State::Open {
            order_no: entry.order_no.clone().unwrap_or_default(),
            status: entry.outcome.clone().unwrap_or_default(),
        },
        _ => State::Unknown,
    };
    (
        Intent {
            id: entry.id.clone(),
            time: entry.created_at.clone(),
            profile: entry.profile.clone().unwrap_or_default(),
            base_url: base_url.to_owned(),
            sn: entry.sn.clone(),
            operation: yeastar_partner::Operation::parse(&entry.operation)
                .unwrap_or(yeastar_partner::Operation::Purchase),
            plan_id: id(&entry.plan_id),
            plan_name: entry.plan_name.clone().unwrap_or_default(),
            billing_contact_id: Id(0),
            years: entry.years.and_then(|y| u8::try_from(y).ok()).unwrap_or(1),
            po_number: entry.po_number.clone(),
            list_total: None,
            pid: entry.pid.and_then(|pid| u32::try_from(pid).ok()),
        },
        state,
    )
}

/// The team journal's unsettled entries for this portal, when one is set; a database that
/// cannot be reached is a warning (the local journal is still reconciled).
async fn team_entries(ctx: &Context) -> Result<(Option<Arc<TeamJournal>>, Vec<TeamEntry>)> {
    let Some(team) = ctx.team_journal()? else {
        return Ok((None, Vec::new()));
    };
    match team.unsettled(Some(&ctx.portal_label())).await {
        Ok(entries) => Ok((Some(team), entries)),
        Err(error) => {
            ctx.out.warn(&format!(
                "could not read the team journal ({}): {error}; only this machine's journal is reconciled.",
                crate::redact::scrub(team.shown())
            ));
            Ok((None, Vec::new()))
        }
    }
}

/// Writes what reconcile found to the team journal too; a failure is a warning.
async fn settle_in_team(ctx: &Context, team: &TeamJournal, rows: &[Row]) {
    for row in rows {
        let (Some(entry), Some(status)) = (&row.entry, &row.order_status) else {
            continue;
        };
        if !matches!(row.status, "settled" | "open") {
            continue;
        }
        let outcome = journal::outcome_of(&OrderStatus::new(status));
        let result = team
            .settle(&team::Settle {
                id: entry,
                outcome: &outcome,
                order_no: row.order_no.as_deref(),
                order_status: Some(status),
                request_id: None,
            })
            .await;
        if let Err(error) = result {
            ctx.out.warn(&format!(
                "could not write entry {entry}'s outcome to the team journal ({error}); `linkus team sync` writes it later."
            ));
        }
    }
}

pub async fn run(ctx: &Context, args: ReconcileArgs) -> Result<ExitStatus> {
    if let Some(entry) = &args.not_placed {
        return not_placed(ctx, entry, args.yes).await;
    }
    let contents = Journal::new(ctx.dirs.journal_file()).read()?;
    let portal = ctx.portal_label();
    let (team, team_entries) = team_entries(ctx).await?;
    let mut pending: Vec<(Intent, State)> = contents
        .intents()
        .into_iter()
        .filter(|(_, state)| matches!(state, State::Unknown | State::Open { .. }))
        .collect();
    // Entries of other machines (or of this one, whose outcome only the team journal lacks).
    let mut made_by: std::collections::HashMap<String, String> = Default::default();
    for entry in &team_entries {
        made_by.insert(entry.id.clone(), entry.who());
        if !pending.iter().any(|(intent, _)| intent.id == entry.id)
            && !contents
                .intents()
                .iter()
                .any(|(intent, _)| intent.id == entry.id)
        {
            let mut found = team_intent(entry, &portal);
            found.0.profile = ctx.profile().to_owned();
            pending.push(found);
        }
    }
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
    if let Some(team) = &team {
        settle_in_team(ctx, team, &rows).await;
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
    match match_order(&search.orders, intent, taken) {
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
                        (Some(no), Some(s)) if r.note.is_empty() => format!("order {no}, {s}"),
                        (Some(no), Some(s)) => format!("order {no}, {s}; {}", r.note),
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
    let local = contents
        .intents()
        .into_iter()
        .find(|(i, _)| i.id == entry.trim());
    // The team journal's entry of that ID, from any machine.
    let team = ctx.team_journal()?;
    let mut team_entry: Option<TeamEntry> = None;
    if let Some(team) = &team {
        match team.entry(entry.trim()).await {
            Ok(found) => team_entry = found,
            Err(error) if local.is_some() => ctx.out.warn(&format!(
                "could not read the team journal ({error}); the entry is marked in this machine's journal only, and `linkus team sync` writes it there later."
            )),
            Err(error) => return Err(crate::commands::team::failed(team, error)),
        }
    }
    let made_by = team_entry
        .as_ref()
        .map(|e| format!(", made by {}", e.who()))
        .unwrap_or_default();
    let (intent, state) = match (local, &team_entry) {
        (Some(found), _) => found,
        (None, Some(found)) if found.is_unsettled() => {
            let mut intent = team_intent(found, &ctx.portal_label());
            intent.0.profile = ctx.profile().to_owned();
            intent
        }
        (None, Some(found)) => {
            return Err(usage(format!(
                "Team journal entry {entry} is not unknown (it is {}); only an unknown entry can be marked as not placed.",
                found.state.replace('_', " ")
            )))
        }
        (None, None) => {
            return Err(Failure::usage(format!("The journal has no entry {entry:?}."))
                .hint("`linkus orders reconcile` lists the entries whose outcome is unknown, with their IDs.")
                .into())
        }
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
    if let Some(order) = match_order(&found.orders, &intent, &taken_orders(&contents)) {
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
    if let (Some(team), Some(_)) = (&team, &team_entry) {
        let written = team
            .settle(&team::Settle {
                id: &intent.id,
                outcome: journal::NOT_PLACED,
                order_no: None,
                order_status: None,
                request_id: None,
            })
            .await;
        if let Err(error) = written {
            ctx.out.warn(&format!(
                "could not mark the entry in the team journal ({error}): other machines stay blocked on SN {} until `linkus team sync` writes it.",
                intent.sn
            ));
        }
    }
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
