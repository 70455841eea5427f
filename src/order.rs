//! Placing one order under every rule of "Never twice" (CLI.md section 3), and saying what
//! came of it. Used by `purchase`, `renew`, `switch`, each batch row, and `api` to the order
//! path.
//!
//! The run's [`Records`] (the journal, the SN's record beside the locks, and whatever else is
//! configured) are read for the checks; just before the request leaves, each of them claims
//! the order (reads, decides and writes the intent in one step under its own lock); after it,
//! each records the outcome, and a failure to write it is said, never swallowed.

use crate::output::Output;
use crate::portal_clock::EpochClock as _;
use crate::portal_clock::PortalClock;
use std::collections::HashMap;
use std::sync::Arc;
use yeastar_partner::Clock;

use anyhow::Result;
use serde::Serialize;
use yeastar_partner::{
    Client, CreatedOrder, Error as PortalError, OrderOutcome, OrderState, OrderStatus,
};

use crate::context::{Context, Settings};
use crate::error::{ExitStatus, Failure, Kind};
use crate::guard::{Ask, Earlier, Look, Now, Pass, Status};
use crate::journal::{Contents, Entry, Intent, Journal, Outcome, Word};
use crate::lock::{LockDir, SnLock};
use crate::quote::Quote;
use crate::records::{self, InFlight, JournalStore, Records, Source};

/// The records of one SN for this run: the journal in the data folder, then the SN's record
/// beside the locks.
pub fn records(ctx: &Context, locks: Option<&LockDir>, sn: &str) -> Records {
    records_preloaded(ctx, locks, sn, None, None)
}

/// The same, with the journal's lines for the SN already read (a batch reads it once).
pub fn records_preloaded(
    ctx: &Context,
    locks: Option<&LockDir>,
    sn: &str,
    journal: Option<Contents>,
    team_entries: Option<Vec<crate::team::TeamEntry>>,
) -> Records {
    let label = ctx.settings.portal_label();
    let mut records = Records::new();
    let mut store = JournalStore::new(
        Journal::new(ctx.settings.dirs.journal_file()),
        Source::Journal,
        &label,
        sn,
    );
    let batch = journal.is_some();
    if let Some(contents) = journal {
        store = store.preloaded(contents);
    }
    records.push(Arc::new(store));
    if let Some(locks) = locks {
        records.push(Arc::new(JournalStore::new(
            locks.record(&ctx.settings.portal_key(), sn),
            Source::Lock,
            &label,
            sn,
        )));
    }
    // The team journal, when one is set (never for the sandbox); a setting that cannot be
    // used was said when the run resolved it.
    if let Ok(Some(team)) = ctx.team_journal() {
        let store = crate::team::store::TeamStore::new(team, &label, sn, batch);
        records.push(Arc::new(match team_entries {
            Some(entries) => store.preloaded(entries),
            None => store,
        }));
    }
    records
}

/// The journal in the data folder, read whole (the batch's check phase, `orders reconcile`);
/// one that cannot be read stops the command.
pub fn read_journal(settings: &Settings) -> Result<Contents> {
    let journal = Journal::new(settings.dirs.journal_file());
    Ok(journal.read().map_err(|error| {
        Failure::new(
            Kind::Config,
            format!(
                "Could not read the order journal {}, which every order is checked against, so it was not sent: {error:#}",
                journal.path().display()
            ),
        )
        .hint("Make the data folder readable (or set LINKUS_DATA_DIR), then run the command again; nothing was bought.")
    })?)
}

/// "Now" by the local clock and, once the portal has answered, by the portal's.
pub fn now(clock: &dyn Clock, portal_clock: &PortalClock) -> Now {
    let local_ms = clock.now_ms();
    Now {
        local_ms,
        portal_ms: portal_clock.portal_ms(local_ms),
    }
}

/// What to decide on: the SN, the operation, now, `--again`'s order numbers, and the pass.
pub fn ask<'a>(
    ctx: &Context,
    sn: &'a str,
    operation: yeastar_partner::Operation,
    again: &'a [String],
    pass: Pass,
) -> Ask<'a> {
    Ask {
        sn,
        operation,
        now: now(ctx.clock.as_ref(), &ctx.portal.clock),
        again,
        pass,
        batch_row: false,
    }
}

/// The check that needs no network: a block is exit 9.
pub fn check(earlier: &[Earlier], ask: &Ask) -> Result<(), Failure> {
    match crate::guard::decide(earlier, ask) {
        crate::guard::Decision::Blocked(block) => Err(block.failure(ask.again)),
        _ => Ok(()),
    }
}

/// Looks the open orders among `earlier` up again, concurrently; records those whose status
/// changed, and gives each its fresh state.
pub async fn look_up_open(
    ctx: &Context,
    client: &Client,
    records: &Records,
    earlier: &mut [Earlier],
) {
    let mut open: Vec<String> = earlier
        .iter()
        .filter_map(|e| match (&e.status, &e.order_no) {
            (Status::Open { look, .. }, Some(order_no)) if *look == Look::NotYet => {
                Some(order_no.clone())
            }
            _ => None,
        })
        .collect();
    open.sort();
    open.dedup();
    let lookups =
        futures_util::future::join_all(open.iter().map(|order_no| client.order_details(order_no)))
            .await;
    let found: HashMap<String, Result<OrderStatus, String>> = open
        .into_iter()
        .zip(lookups)
        .map(|(order_no, result)| {
            let looked = match result {
                Ok(details) => details
                    .status
                    .ok_or_else(|| "the portal gave no status".to_owned()),
                Err(error) => Err(error.to_string()),
            };
            (order_no, looked)
        })
        .collect();
    let mut settled: Vec<String> = Vec::new();
    for e in earlier.iter_mut() {
        let (Status::Open { status: was, .. }, Some(order_no)) = (&e.status, &e.order_no) else {
            continue;
        };
        let Some(looked) = found.get(order_no) else {
            continue;
        };
        let order_no = order_no.clone();
        let fresh = match looked {
            Err(why) => Status::Open {
                status: was.clone(),
                look: Look::Failed(why.clone()),
            },
            Ok(status) => {
                if !status.as_str().eq_ignore_ascii_case(was) {
                    if let Some(entry) = e.entry.clone().filter(|id| !settled.contains(id)) {
                        settle_looked_up(ctx, records, &entry, status, &order_no).await;
                        settled.push(entry);
                    }
                }
                match status.state() {
                    OrderState::Succeeded => Status::Succeeded,
                    OrderState::Failed => Status::Closed,
                    OrderState::Open => Status::Open {
                        status: status.as_str().to_owned(),
                        look: Look::StillOpen,
                    },
                }
            }
        };
        e.status = fresh;
    }
}

/// Records what a fresh look at an open order found; a failure to write it is said.
pub async fn settle_looked_up(
    ctx: &Context,
    records: &Records,
    entry: &str,
    status: &OrderStatus,
    order_no: &str,
) {
    let word = Entry::Reconciled(Outcome {
        id: entry.to_owned(),
        time: ctx.now_rfc3339(),
        outcome: Word::of(status),
        order_no: Some(order_no.to_owned()),
        order_status: Some(status.as_str().to_owned()),
        request_id: None,
    });
    if let Err(unrecorded) = records.settle(&word).await {
        ctx.out.warn(&format!(
            "order {order_no} is {} now, but that could not be recorded ({}); the next run looks it up again.",
            status.as_str(),
            unrecorded.problem
        ));
    }
}

/// What came of one placed order.
pub struct Placed {
    pub intent: Intent,
    pub outcome: OrderOutcome,
    /// The answer as it came, when there was one.
    pub response: Option<yeastar_partner::RawResponse>,
    /// Why the outcome could not be journaled, if it could not.
    pub unrecorded: Option<records::Unrecorded>,
    /// The team journal missed the outcome.
    pub team_missed: bool,
}

impl Placed {
    /// Says where the outcome could not be written: the team journal (then `linkus team sync`
    /// writes it) or another record.
    pub fn warn_unrecorded(&self, out: &Output) {
        if let Some(warning) = self.unrecorded_warning() {
            out.warn(&warning);
        }
    }

    /// Where the outcome could not be written, for a warning or a batch row's message.
    pub fn unrecorded_warning(&self) -> Option<String> {
        let sn = &self.intent.sn;
        if self.team_missed {
            Some(format!(
                "the team journal missed the outcome of the order for SN {sn}; it is kept in this machine's journal. Run `linkus team sync` once the database is back (the next order from this machine writes it too): until then other machines stay blocked on this SN."
            ))
        } else {
            self.unrecorded
                .as_ref()
                .map(|unrecorded| unrecorded.warning(sn))
        }
    }
}

/// Sends one order: every record claims it first (reads its earlier orders again under its
/// own lock, decides, writes the intent: another run may have ordered for the SN since the
/// checks, even one with another lock folder), then the request, then the outcome. The
/// caller holds the SN's lock.
pub async fn place(
    ctx: &Context,
    client: &Client,
    _lock: &SnLock,
    records: &Records,
    mut intent: Intent,
    order: impl Into<yeastar_partner::OrderCall>,
    again: &[String],
) -> Result<Placed> {
    // The intent carries when (by both clocks), where and by whom it was made.
    let local_ms = ctx.clock.now_ms();
    intent.time = crate::portal_clock::rfc3339(local_ms);
    intent.portal_time = ctx
        .portal
        .clock
        .portal_ms(local_ms)
        .map(crate::portal_clock::rfc3339);
    intent.pid = Some(std::process::id());
    intent.host = records::this_host();
    intent.user = records::this_user();
    let ask = ask(ctx, &intent.sn, intent.operation, again, Pass::Final);
    // A team journal set for this run that cannot be used stops the order here (exit 2 or 6).
    let team = ctx.team_journal()?;
    if let Some(team) = &team {
        team.set_again(again);
        catch_up(&ctx.settings, &ctx.out, team).await;
    }
    let started = std::time::Instant::now();
    records
        .claim(&intent, &ask, &|warning| ctx.out.warn(&warning))
        .await?;
    if let (Some(team), true) = (&team, ctx.settings.global.verbose > 0) {
        crate::output::log_line(&format!(
            "team journal: {} statement(s) before the order for SN {}, {} ms",
            team.statements_of(&intent.id).0,
            intent.sn,
            started.elapsed().as_millis()
        ));
    }

    ctx.orders.sent(InFlight {
        records: records.clone(),
        entry: intent.id.clone(),
        sn: intent.sn.clone(),
        sent_at: intent.time.clone(),
    });
    let (outcome, response) = client.create_order_call(order.into()).await;
    ctx.orders.landed(&intent.id);

    let (word, order_no, status, request_id) = match &outcome {
        OrderOutcome::Created(order) => (
            order
                .status
                .as_ref()
                .map(Word::of)
                .unwrap_or_else(|| Word::Open("created".to_owned())),
            Some(order.order_no.to_string()),
            order.status.as_ref().map(|s| s.as_str().to_owned()),
            order.request_id.clone(),
        ),
        OrderOutcome::Rejected(error) => (
            Word::Rejected,
            None,
            None,
            error.request_id().map(str::to_owned),
        ),
        OrderOutcome::NotSent(error) => (
            Word::NotSent,
            None,
            None,
            error.request_id().map(str::to_owned),
        ),
        OrderOutcome::Unknown(error) => (
            Word::Unknown,
            None,
            None,
            error.request_id().map(str::to_owned),
        ),
    };
    let unrecorded = records
        .settle(&Entry::Outcome(Outcome {
            id: intent.id.clone(),
            time: ctx.now_rfc3339(),
            outcome: word,
            order_no,
            order_status: status,
            request_id,
        }))
        .await
        .err();
    let team_missed = team.as_ref().is_some_and(|t| t.has_missed(&intent.id));
    if team_missed {
        // The next order from this machine writes it, if `team sync` has not.
        let _ = std::fs::create_dir_all(&ctx.settings.dirs.data);
        let _ = std::fs::write(missed_marker(&ctx.settings), b"");
    }
    if let (Some(team), true) = (&team, ctx.settings.global.verbose > 0) {
        crate::output::log_line(&format!(
            "team journal: {} statement(s) after the order for SN {}",
            team.statements_of(&intent.id).1,
            intent.sn
        ));
    }
    Ok(Placed {
        intent,
        outcome,
        response,
        unrecorded,
        team_missed,
    })
}

/// The file that says an earlier run could not write an outcome to the team journal.
fn missed_marker(settings: &Settings) -> std::path::PathBuf {
    settings.dirs.data.join("team-journal-missed")
}

/// Writes the outcomes an earlier run of this machine could not (once a run, and only when
/// one was missed); a failure leaves it for later.
async fn catch_up(settings: &Settings, out: &Output, team: &crate::team::TeamJournal) {
    let marker = missed_marker(settings);
    if !team.first_catch_up() || !marker.exists() {
        return;
    }
    if let Ok((_, written)) = crate::commands::team::push_outcomes(settings, team).await {
        let _ = std::fs::remove_file(&marker);
        if written > 0 {
            out.status(&format!(
                "Wrote {written} outcome{} that the team journal had missed.",
                if written == 1 { "" } else { "s" }
            ));
        }
    }
}

/// The order result on stdout (CLI.md section 5).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderOut<'a> {
    pub order_no: &'a str,
    pub order_status: Option<&'a str>,
    pub instance_id: Option<&'a str>,
    pub product_no: &'a str,
    pub transaction_no: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub total: Option<crate::quote::TotalOut>,
}

/// Says what came of a placed order: the result on stdout, a line on stderr, the exit status.
/// The order number reaches the user even when stdout cannot take it.
pub fn report(
    ctx: &Context,
    placed: Placed,
    plan_name: &str,
    quote: Option<&Quote>,
) -> Result<ExitStatus> {
    let sn = placed.intent.sn.clone();
    placed.warn_unrecorded(&ctx.out);
    match placed.outcome {
        OrderOutcome::Created(order) => {
            created(&ctx.out, &sn, &placed.intent, order, plan_name, quote)
        }
        OrderOutcome::Rejected(error) => Err(anyhow::Error::from(error).context(format!(
            "The portal refused the {} for SN {sn}; nothing was bought",
            placed.intent.operation.name()
        ))),
        OrderOutcome::NotSent(error) => {
            let context = not_sent(&sn, &error);
            Err(anyhow::Error::from(error).context(context))
        }
        OrderOutcome::Unknown(error) => Err(unknown(&sn, &placed.intent.time, &error).into()),
    }
}

/// What an order that took no effect is called: not sent, or refused with its token and not
/// sent again because renewing the token failed.
pub fn not_sent(sn: &str, error: &PortalError) -> String {
    match error {
        PortalError::Renewal { .. } => format!(
            "The order for SN {sn} was not processed: the portal refused the access token and renewing the access token failed; nothing was bought"
        ),
        _ => format!("The order for SN {sn} was not sent; nothing was bought"),
    }
}

/// Exit 7: the order left and no definitive answer came back.
pub fn unknown(sn: &str, sent_at: &str, error: &PortalError) -> Failure {
    Failure::new(
        Kind::OrderUnknown,
        format!(
            "The order for SN {sn} was sent at {sent_at}, but no definitive answer came back ({error}). It may or may not have been placed."
        ),
    )
    .about(error)
    .hint(format!(
        "Do not order again yet: `linkus orders list --sn {sn}` shows whether it was placed, and `linkus orders reconcile` records it."
    ))
}

fn created(
    out: &Output,
    sn: &str,
    intent: &Intent,
    order: CreatedOrder,
    plan_name: &str,
    quote: Option<&Quote>,
) -> Result<ExitStatus> {
    let order_no = order.order_no.to_string();
    let status = order.status.as_ref().map(|s| s.as_str().to_owned());
    let shown_status = status.as_deref().unwrap_or("unknown");
    let state = order.state();
    let document = OrderOut {
        order_no: &order_no,
        order_status: status.as_deref(),
        instance_id: order.instance_id.as_deref(),
        product_no: order.product_no.as_deref().unwrap_or(sn),
        transaction_no: order.transaction_no.as_deref(),
        request_id: order.request_id.as_deref(),
        total: quote.and_then(Quote::total_out),
    };
    let printed = if out.is_json() {
        // A failed order's document is the error object, printed at the boundary.
        if state == OrderState::Failed {
            Ok(())
        } else {
            out.json(&document)
        }
    } else if out.is_quiet() {
        out.essential(&order_no)
    } else {
        let rows = [
            ("Order number", Some(order_no.as_str())),
            ("Status", Some(shown_status)),
            ("PBX SN", Some(document.product_no)),
            ("Instance ID", document.instance_id),
            ("Transaction", document.transaction_no),
            ("Request ID", document.request_id),
        ];
        let text: String = rows
            .iter()
            .filter_map(|(label, value)| value.map(|v| format!("{label:<14}{v}\n")))
            .collect();
        out.print(&text)
    };
    if let Err(error) = printed {
        // A closed pipe or a full disk must not hide an order that exists.
        crate::output::stderr(&format!(
            "Order {order_no} for SN {sn}: {shown_status} (the result could not be written to stdout: {error}).\n"
        ));
    }
    let complaint = order
        .code
        .as_ref()
        .map(|code| {
            format!(
                " The portal said: {} ({code}).",
                order.message.as_deref().unwrap_or("no reason given")
            )
        })
        .unwrap_or_default();
    let operation = intent.operation;
    match state {
        OrderState::Succeeded => {
            let what = match operation {
                yeastar_partner::Operation::Purchase => format!("Bought: {plan_name} for PBX {sn}"),
                yeastar_partner::Operation::Renew => format!(
                    "Renewed: {plan_name} for PBX {sn}, {} more year{}",
                    intent.years,
                    if intent.years == 1 { "" } else { "s" }
                ),
                yeastar_partner::Operation::Switch => format!("Switched: PBX {sn} to {plan_name}"),
            };
            out.status(&format!("{what}, order {order_no}.{complaint}"));
            Ok(ExitStatus::Success)
        }
        OrderState::Open => {
            let mut failure = Failure::new(
                Kind::OrderIncomplete,
                format!("Order {order_no} was created but is {shown_status}: not paid or not complete yet.{complaint}"),
            )
            .hint("Next: pay it in the Partner Portal, Orders & Billing > Orders > Pay Now. Do not order again.")
            .hint(format!("`linkus orders show {order_no} --wait` waits until it is paid."));
            failure.request_id = order.request_id.clone();
            crate::error::report(out, failure);
            Ok(ExitStatus::Failed(Kind::OrderIncomplete))
        }
        OrderState::Failed => {
            let mut failure = Failure::new(
                Kind::Rejected,
                format!("Order {order_no} was created with status {shown_status}: it did not go through.{complaint}"),
            )
            .hint(format!(
                "See why in the Partner Portal (Orders & Billing > Orders) or with `linkus orders show {order_no}`."
            ));
            failure.request_id = order.request_id.clone();
            failure.portal_code = order.code.clone();
            Err(failure.into())
        }
    }
}
