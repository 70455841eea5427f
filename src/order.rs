//! Placing one order under every rule of "Never twice" (CLI.md section 3), and saying what
//! came of it. Used by `purchase`, `renew`, `switch`, each batch row, and `api` to the order
//! path.
//!
//! The journal and the SN's record beside the locks are read before the order ([`Ledger`]);
//! the intent is written and flushed before the request leaves; the outcome after it, and a
//! failure to write it is said, never swallowed.

use std::collections::HashMap;

use anyhow::Result;
use serde::Serialize;
use yeastar_partner::{Client, CreatedOrder, Error as PortalError, OrderOutcome, OrderState};

use crate::context::Context;
use crate::error::{ExitStatus, Failure, Kind};
use crate::guard::{History, LookedUp};
use crate::journal::{self, Contents, Entry, Intent, Journal, Outcome};
use crate::lock::{LockDir, SnLock};
use crate::quote::Quote;
use crate::team;

/// Where an SN's orders are written: the journal in the data folder and the SN's record
/// beside the locks.
#[derive(Clone)]
pub struct Ledger {
    journal: std::path::PathBuf,
    record: Option<std::path::PathBuf>,
}

impl Ledger {
    pub fn new(ctx: &Context, locks: Option<&LockDir>, sn: &str) -> Ledger {
        Ledger {
            journal: ctx.dirs.journal_file(),
            record: locks.map(|locks| locks.record(&ctx.portal_key(), sn).path().to_path_buf()),
        }
    }

    fn journals(&self) -> impl Iterator<Item = Journal> + '_ {
        std::iter::once(Journal::new(self.journal.clone()))
            .chain(self.record.iter().map(|path| Journal::new(path.clone())))
    }

    /// The journal in the data folder; one that cannot be read stops the order.
    pub fn read_journal(&self) -> Result<Contents> {
        let journal = Journal::new(self.journal.clone());
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

    /// Everything both know.
    pub fn read(&self) -> Result<Contents> {
        let mut contents = self.read_journal()?;
        self.merge_record(&mut contents);
        Ok(contents)
    }

    /// Adds the SN's record beside the locks. It is a convenience shared across homes; an
    /// unreadable one is no reason to stop, the journal is still read.
    fn merge_record(&self, contents: &mut Contents) {
        if let Some(record) = &self.record {
            if let Ok(more) = Journal::new(record.clone()).read() {
                contents.merge(more);
            }
        }
    }

    pub fn history(&self, portal: &str, sn: &str) -> Result<History> {
        Ok(History::of(&self.read()?, portal, sn))
    }

    /// The history of the SN from a journal already read (a batch reads it once), with the
    /// SN's record beside the locks.
    pub fn history_from(&self, journal: Option<&Contents>, portal: &str, sn: &str) -> History {
        let mut contents = journal.cloned().unwrap_or_default();
        self.merge_record(&mut contents);
        History::of(&contents, portal, sn)
    }

    /// Writes the intent: to the journal, or the order is not sent; to the record, or a
    /// warning says so.
    pub fn write_intent(&self, ctx: &Context, intent: &Intent) -> Result<()> {
        let entry = Entry::Intent(intent.clone());
        let journal = Journal::new(self.journal.clone());
        journal.append(&entry).map_err(|error| {
            Failure::new(
                Kind::Config,
                format!(
                    "Could not record the order in the journal {}, so it was not sent: {error:#}",
                    journal.path().display()
                ),
            )
            .hint("Make the data folder writable (or set LINKUS_DATA_DIR), then run the command again; nothing was bought.")
        })?;
        if let Some(record) = &self.record {
            if let Err(error) = Journal::new(record.clone()).append(&entry) {
                ctx.out.warn(&format!(
                    "could not note the order beside the locks: {error:#}"
                ));
            }
        }
        Ok(())
    }

    /// Writes a later word about an intent to both; what could not be written, if anything.
    pub fn write(&self, entry: &Entry) -> Result<(), Unrecorded> {
        let mut written = 0;
        let mut problems: Vec<String> = Vec::new();
        for journal in self.journals() {
            match journal.append(entry) {
                Ok(()) => written += 1,
                Err(error) => problems.push(format!("{error:#}")),
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Unrecorded {
                problem: problems.join("; "),
                nowhere: written == 0,
            })
        }
    }

    /// Records what a fresh look at an open order found, once it is no longer open.
    pub fn settle(
        &self,
        intent: &Intent,
        status: &yeastar_partner::OrderStatus,
        now: &str,
        order_no: &str,
    ) {
        let _ = self.write(&Entry::Reconciled(Outcome {
            id: intent.id.clone(),
            time: now.to_owned(),
            outcome: journal::outcome_of(status),
            order_no: Some(order_no.to_owned()),
            order_status: Some(status.as_str().to_owned()),
            request_id: None,
        }));
    }
}

/// Looks the open orders of a history up again, concurrently; records those that are no
/// longer open.
pub async fn look_up_open(
    ctx: &Context,
    client: &Client,
    ledger: &Ledger,
    history: &mut History,
) -> HashMap<String, LookedUp> {
    let open = history.open_orders();
    let lookups =
        futures_util::future::join_all(open.iter().map(|order_no| client.order_details(order_no)))
            .await;
    let mut found = HashMap::new();
    for (order_no, result) in open.into_iter().zip(lookups) {
        let looked = match result {
            Ok(details) => match details.status {
                Some(status) => LookedUp::Status(status),
                None => LookedUp::Failed("the portal gave no status".to_owned()),
            },
            Err(error) => LookedUp::Failed(error.to_string()),
        };
        found.insert(order_no, looked);
    }
    settle_changed(ctx, ledger, history, &found);
    history.apply(&found);
    found
}

fn settle_changed(
    ctx: &Context,
    ledger: &Ledger,
    history: &History,
    found: &HashMap<String, LookedUp>,
) {
    for (intent, state) in &history.orders {
        let journal::State::Open { order_no, status } = state else {
            continue;
        };
        if let Some(LookedUp::Status(now)) = found.get(order_no) {
            if !now.as_str().eq_ignore_ascii_case(status) {
                ledger.settle(intent, now, &ctx.now_rfc3339(), order_no);
            }
        }
    }
}

/// A word about an order that could not be written everywhere.
#[derive(Debug, Clone)]
pub struct Unrecorded {
    pub problem: String,
    /// Written nowhere: the SN stays unknown until reconciled.
    pub nowhere: bool,
}

impl Unrecorded {
    /// What a user is told about an order's outcome that was not recorded.
    pub fn warning(&self, sn: &str) -> String {
        if self.nowhere {
            format!(
                "the outcome of the order for SN {sn} could not be written to the journal ({}); until `linkus orders reconcile` settles it, linkus will treat the SN as unknown.",
                self.problem
            )
        } else {
            format!(
                "the outcome of the order for SN {sn} was recorded in one place but not the other ({}).",
                self.problem
            )
        }
    }
}

/// The order on the wire, for an interruption to journal as unknown.
#[derive(Clone)]
pub struct InFlight {
    pub ledger: Ledger,
    pub entry: String,
    pub sn: String,
    pub sent_at: String,
}

impl InFlight {
    /// Journals the order as unknown and says so: the run was interrupted while it was out.
    pub fn interrupted(self, now: &str) -> String {
        let _ = self.ledger.write(&Entry::Outcome(Outcome {
            id: self.entry.clone(),
            time: now.to_owned(),
            outcome: journal::UNKNOWN.to_owned(),
            order_no: None,
            order_status: None,
            request_id: None,
        }));
        format!(
            "Interrupted while the order for SN {} was being sent (at {}); its outcome is unknown.",
            self.sn, self.sent_at
        )
    }
}

/// What came of one placed order.
pub struct Placed {
    pub intent: Intent,
    pub outcome: OrderOutcome,
    /// The answer as it came, when there was one.
    pub response: Option<yeastar_partner::RawResponse>,
    /// Why the outcome could not be journaled, if it could not.
    pub unrecorded: Option<Unrecorded>,
    /// Why the team journal missed the outcome, if it did.
    pub team_missed: Option<String>,
}

/// Sends one order: reads the ledger once more (another run may have ordered for the SN
/// since the checks), writes the intent, sends, writes the outcome. The caller holds the SN's
/// lock.
pub async fn place(
    ctx: &Context,
    client: &Client,
    _lock: &SnLock,
    ledger: &Ledger,
    intent: Intent,
    body: Vec<u8>,
    again: Option<&str>,
) -> Result<Placed> {
    let history = ledger.history(&intent.base_url, &intent.sn)?;
    history.check(
        intent.operation,
        ctx.clock.now_ms(),
        again,
        Some(&HashMap::new()),
    )?;
    // The team journal's claim comes first: if it cannot be made, nothing local is left
    // behind, and nothing is sent.
    let again_list: Vec<String> = again.map(|a| vec![a.to_owned()]).unwrap_or_default();
    let team = ctx.team_journal()?;
    if let Some(team) = &team {
        catch_up(ctx, team).await;
        claim_team(ctx, team, &intent, &again_list).await?;
    }
    if let Err(error) = ledger.write_intent(ctx, &intent) {
        if let Some(team) = &team {
            let _ = team
                .settle(&team::Settle {
                    id: &intent.id,
                    outcome: journal::NOT_SENT,
                    order_no: None,
                    order_status: None,
                    request_id: None,
                })
                .await;
        }
        return Err(error);
    }

    ctx.order_sent(InFlight {
        ledger: ledger.clone(),
        entry: intent.id.clone(),
        sn: intent.sn.clone(),
        sent_at: intent.time.clone(),
    });
    let (outcome, response) = client.create_order_exchange(body).await;
    ctx.order_landed(&intent.id);

    let (word, order_no, status, request_id) = journal_words(&outcome);
    let unrecorded = ledger
        .write(&Entry::Outcome(Outcome {
            id: intent.id.clone(),
            time: ctx.now_rfc3339(),
            outcome: word,
            order_no,
            order_status: status,
            request_id,
        }))
        .err();
    let team_missed = match &team {
        Some(team) => {
            let statements = team.statements();
            let missed = settle_team(team, &intent, &outcome).await;
            if missed.is_some() {
                // The next order from this machine writes it, if `team sync` has not.
                let _ = std::fs::create_dir_all(&ctx.dirs.data);
                let _ = std::fs::write(missed_marker(ctx), b"");
            }
            if ctx.global.verbose > 0 {
                crate::output::log_line(&format!(
                    "team journal: {} statement(s) after the order for SN {}",
                    team.statements() - statements,
                    intent.sn
                ));
            }
            missed
        }
        None => None,
    };
    Ok(Placed {
        intent,
        outcome,
        response,
        unrecorded,
        team_missed,
    })
}

/// What the journals record for an order's outcome: the word, order number, status and
/// requestId.
fn journal_words(
    outcome: &OrderOutcome,
) -> (String, Option<String>, Option<String>, Option<String>) {
    match outcome {
        OrderOutcome::Created(order) => (
            order
                .status
                .as_ref()
                .map(journal::outcome_of)
                .unwrap_or_else(|| "created".to_owned()),
            Some(order.order_no.clone()),
            order.status.as_ref().map(|s| s.as_str().to_owned()),
            order.request_id.clone(),
        ),
        OrderOutcome::Rejected(error) => (
            journal::REJECTED.to_owned(),
            None,
            None,
            error.request_id().map(str::to_owned),
        ),
        OrderOutcome::NotSent(error) => (
            journal::NOT_SENT.to_owned(),
            None,
            None,
            error.request_id().map(str::to_owned),
        ),
        OrderOutcome::Unknown(error) => (
            journal::UNKNOWN.to_owned(),
            None,
            None,
            error.request_id().map(str::to_owned),
        ),
    }
}

/// The claim in the team journal: the intent written there, or a block (9), or the team
/// journal named as the reason nothing was sent (6).
async fn claim_team(
    ctx: &Context,
    team: &team::TeamJournal,
    intent: &Intent,
    again: &[String],
) -> Result<()> {
    let plan_id = intent.plan_id.to_string();
    let contact = intent.billing_contact_id.to_string();
    let command = team::command_line();
    let request = team::ClaimRequest {
        id: &intent.id,
        portal: &intent.base_url,
        sn: &intent.sn,
        operation: intent.operation.name(),
        again,
        plan_id: Some(&plan_id),
        plan_name: Some(&intent.plan_name),
        years: Some(intent.years),
        billing_contact_id: Some(&contact),
        po_number: intent.po_number.as_deref(),
        profile: &intent.profile,
        command: &command,
        local_time: &intent.time,
    };
    let statements = team.statements();
    let started = std::time::Instant::now();
    let claimed = team.claim(&request).await;
    if ctx.global.verbose > 0 {
        crate::output::log_line(&format!(
            "team journal: {} statement(s) before the order for SN {}, {} ms",
            team.statements() - statements,
            intent.sn,
            started.elapsed().as_millis()
        ));
    }
    match claimed {
        Ok(team::Claim::Claimed) => Ok(()),
        Ok(team::Claim::Blocked(entry)) => {
            Err(team::blocked(&entry, intent.operation.name(), again).into())
        }
        Err(error) => {
            if matches!(error, team::TeamError::InDoubt(_)) {
                // Whether or not the intent was written, the order certainly was not sent:
                // say so there if the database answers now, so that it blocks nobody.
                let _ = team
                    .settle(&team::Settle {
                        id: &intent.id,
                        outcome: journal::NOT_SENT,
                        order_no: None,
                        order_status: None,
                        request_id: None,
                    })
                    .await;
            }
            Err(team::unusable(team, &intent.sn, error).into())
        }
    }
}

/// The file that says an earlier run could not write an outcome to the team journal.
fn missed_marker(ctx: &Context) -> std::path::PathBuf {
    ctx.dirs.data.join("team-journal-missed")
}

/// Writes the outcomes an earlier run of this machine could not (once a run, and only when
/// one was missed); a failure leaves it for later.
async fn catch_up(ctx: &Context, team: &team::TeamJournal) {
    let marker = missed_marker(ctx);
    if !team.first_catch_up() || !marker.exists() {
        return;
    }
    if let Ok((_, written)) = crate::commands::team::push_outcomes(ctx, team).await {
        let _ = std::fs::remove_file(&marker);
        if written > 0 {
            ctx.out.status(&format!(
                "Wrote {written} outcome{} that the team journal had missed.",
                if written == 1 { "" } else { "s" }
            ));
        }
    }
}

/// Writes the outcome to the team journal; why it could not, if it could not.
async fn settle_team(
    team: &team::TeamJournal,
    intent: &Intent,
    outcome: &OrderOutcome,
) -> Option<String> {
    let (word, order_no, status, request_id) = journal_words(outcome);
    let result = team
        .settle(&team::Settle {
            id: &intent.id,
            outcome: &word,
            order_no: order_no.as_deref(),
            order_status: status.as_deref(),
            request_id: request_id.as_deref(),
        })
        .await;
    match result {
        Ok(true) => None,
        Ok(false) => Some("its entry was not found there".to_owned()),
        Err(error) => Some(error.to_string()),
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
    if let Some(unrecorded) = &placed.unrecorded {
        ctx.out.warn(&unrecorded.warning(&sn));
    }
    if let Some(why) = &placed.team_missed {
        ctx.out.warn(&format!(
            "the team journal missed the outcome of the order for SN {sn} ({why}); it is kept in this machine's journal. Run `linkus team sync` once the database is back (the next order from this machine writes it too): until then other machines stay blocked on this SN."
        ));
    }
    match placed.outcome {
        OrderOutcome::Created(order) => created(ctx, &sn, &placed.intent, order, plan_name, quote),
        OrderOutcome::Rejected(error) => Err(anyhow::Error::from(error).context(format!(
            "The portal refused the {} for SN {sn}; nothing was bought",
            placed.intent.operation.name()
        ))),
        OrderOutcome::NotSent(error) => Err(anyhow::Error::from(error).context(format!(
            "The order for SN {sn} was not sent; nothing was bought"
        ))),
        OrderOutcome::Unknown(error) => Err(unknown(&sn, &placed.intent.time, &error).into()),
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
    ctx: &Context,
    sn: &str,
    intent: &Intent,
    order: CreatedOrder,
    plan_name: &str,
    quote: Option<&Quote>,
) -> Result<ExitStatus> {
    let order_no = order.order_no.clone();
    let status = order.status.as_ref().map(|s| s.as_str().to_owned());
    let shown_status = status.as_deref().unwrap_or("unknown");
    let state = order.state();
    let out = OrderOut {
        order_no: &order_no,
        order_status: status.as_deref(),
        instance_id: order.instance_id.as_deref(),
        product_no: order.product_no.as_deref().unwrap_or(sn),
        transaction_no: order.transaction_no.as_deref(),
        request_id: order.request_id.as_deref(),
        total: quote.and_then(Quote::total_out),
    };
    let printed = if ctx.out.is_json() {
        // A failed order's document is the error object, printed at the boundary.
        if state == OrderState::Failed {
            Ok(())
        } else {
            ctx.out.json(&out)
        }
    } else if ctx.out.is_quiet() {
        ctx.out.print(&order_no)
    } else {
        let rows = [
            ("Order number", Some(order_no.as_str())),
            ("Status", Some(shown_status)),
            ("PBX SN", Some(out.product_no)),
            ("Instance ID", out.instance_id),
            ("Transaction", out.transaction_no),
            ("Request ID", out.request_id),
        ];
        let text: String = rows
            .iter()
            .filter_map(|(label, value)| value.map(|v| format!("{label:<14}{v}\n")))
            .collect();
        ctx.out.print(&text)
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
            ctx.out
                .status(&format!("{what}, order {order_no}.{complaint}"));
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
            ctx.out.report(failure);
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
