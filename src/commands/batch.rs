//! `purchase | renew | switch --from FILE`: many orders from one file, resumably (CLI.md
//! section 1, "Batch").
//!
//! The flow, top to bottom in [`run`]: read the file (a file that cannot be used costs
//! nothing); check every row like a single order, 16 at a time, sending nothing that costs
//! money; show the batch's summary and total; one confirmation; then the orders, `--jobs` at
//! a time, each under every rule of a single order (its SN's lock, the journal read again
//! just before it). Once any order's outcome is unknown, or the portal fails, no new order
//! is started. Running the same command again resumes: rows already bought are reported as
//! such and not bought again.

pub mod input;
mod report;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context as _, Result};
use futures_util::{FutureExt, StreamExt};
use tokio::sync::OnceCell;
use yeastar_partner::{
    BillingContact, Client, Error as PortalError, Operation, OrderOutcome, OrderState, Phase,
    PriceList, LINKUS_PRODUCT_ID,
};

use crate::cli::OrderArgs;
use crate::commands::purchase::{self, choose, Catalog, Choice};
use crate::context::Context;
use crate::error::{classify, diagnose, ExitStatus, Failure, Kind};
use crate::guard::Block;
use crate::journal::Contents;
use crate::lock::LockDir;
use crate::order::{self, Ledger};
use crate::prompt::{self, Progress};
use crate::quote::{self, Offerings};
use input::{Invalid, Row};

/// The account's billing contacts, asked for once and awaited by every row.
type Contacts<'a> = futures_util::future::Shared<
    futures_util::future::BoxFuture<'a, Result<Arc<Vec<BillingContact>>, PortalError>>,
>;

/// Rows checked at once in the check phase.
const CHECKS_AT_ONCE: usize = 16;

/// What the check phase decided for a row.
pub enum Verdict {
    Buy(Box<Choice>),
    /// Bought earlier (the journal says so): reported, not bought again.
    Already {
        order_no: Option<String>,
    },
    Refused {
        kind: Kind,
        message: String,
    },
}

/// A row and its verdict.
pub struct Checked {
    pub row: Row,
    pub verdict: Verdict,
}

/// How a row ended.
#[derive(Clone)]
pub struct RowResult {
    /// The row's place in the file: results are printed in the file's order.
    pub index: usize,
    pub line: usize,
    pub columns: Vec<(String, serde_json::Value)>,
    pub sn: String,
    /// `bought`, `already bought`, `pending`, `failed`, `refused`, `blocked`, `not sent`,
    /// `unknown` or `invalid`.
    pub outcome: &'static str,
    pub order_no: Option<String>,
    pub order_status: Option<String>,
    pub message: String,
    /// `None` for a row that ended well (bought or already bought).
    pub kind: Option<Kind>,
}

pub async fn run(
    ctx: &Context,
    operation: Operation,
    args: OrderArgs,
    file: PathBuf,
) -> Result<ExitStatus> {
    let text = read(&file)?;
    let parsed = input::parse(&text).map_err(|error| {
        Failure::usage(format!(
            "{} cannot be used: {error}; nothing was sent.",
            shown(&file)
        ))
    })?;
    if !parsed.invalid.is_empty() && !args.batch.skip_invalid {
        return Err(invalid_rows(&file, &parsed.invalid).into());
    }
    if parsed.rows.is_empty() {
        return Err(Failure::usage(format!(
            "{} has no usable rows; nothing was sent.",
            shown(&file)
        ))
        .into());
    }
    if !ctx.interactive() && !args.common.yes && !args.common.dry_run {
        return Err(Failure::usage(format!(
            "Prompts are off ({}), so a batch needs --yes to order (or --dry-run to look).",
            ctx.prompts_off_reason()
        ))
        .into());
    }

    // A value that neither the flags nor any row give would refuse every row: said once,
    // before anything is asked of the portal.
    let everywhere = |column: fn(&Row) -> bool| parsed.rows.iter().all(column);
    let mut missing = Vec::new();
    if operation != Operation::Renew && args.plan.is_none() && everywhere(|r| r.plan.is_none()) {
        missing.push("--plan (or a `plan` column)");
    }
    if args.billing_contact.is_none() && everywhere(|r| r.billing_contact.is_none()) {
        missing.push("--billing-contact (or a `billing_contact` column)");
    }
    if operation == Operation::Purchase && args.years.is_none() && everywhere(|r| r.years.is_none())
    {
        missing.push("--years (or a `years` column)");
    }
    if !missing.is_empty() {
        return Err(Failure::usage(format!(
            "No row of {} says it, so the batch needs {}; nothing was sent.",
            shown(&file),
            missing.join(" and ")
        ))
        .hint(
            "`linkus billing-contacts` lists the contacts and `linkus products --sn SN` the plans.",
        )
        .into());
    }

    let client = ctx.client()?;
    let locks = LockDir::locate()?;
    let checked = check_all(ctx, &client, &locks, operation, &args, parsed.rows).await?;
    let results: Vec<RowResult> = parsed.invalid.iter().map(invalid_result).collect();

    report::summary(ctx, operation, &file, &checked, &parsed.invalid);
    if let Some(cap) = &args.common.max_total {
        let (totals, unknown) = report::totals(&checked);
        quote::check_cap(cap, &totals, unknown)?;
    }
    if args.common.dry_run {
        report::dry_run(ctx, &checked, &parsed.invalid)?;
        return Ok(ExitStatus::Success);
    }
    let to_buy = checked
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Buy(_)))
        .count();
    if to_buy > 0 && !args.common.yes {
        let question = format!(
            "Place {to_buy} order{}?",
            if to_buy == 1 { "" } else { "s" }
        );
        if !prompt::confirm(&question, false).await? {
            ctx.out.status("Declined; nothing was bought.");
            return Ok(ExitStatus::Failed(Kind::Cancelled));
        }
    }
    // A signal during the orders still prints every row: those ended, the rest as they are.
    let done = Arc::new(Mutex::new(results));
    ctx.on_interrupt(Some(report::interrupted(
        &checked,
        done.clone(),
        parsed.header.clone(),
        args.batch.results.clone(),
    )));
    buy_all(
        ctx,
        &client,
        &locks,
        operation,
        checked,
        args.batch.jobs,
        &done,
    )
    .await;
    ctx.on_interrupt(None);
    let mut results = std::mem::take(&mut *done.lock().unwrap_or_else(PoisonError::into_inner));
    results.sort_by_key(|r| r.index);
    report::results(ctx, &parsed.header, &results, args.batch.results.as_deref())?;
    Ok(exit_status(&results))
}

/// The file's text, or stdin's for `-`.
fn read(file: &Path) -> Result<String> {
    let bytes = if file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .context("could not read the rows from stdin")?;
        bytes
    } else {
        std::fs::read(file)
            .map_err(|e| Failure::usage(format!("Could not read {}: {e}", file.display())))?
    };
    String::from_utf8(bytes)
        .map_err(|_| Failure::usage(format!("{} is not UTF-8 text.", shown(file))).into())
}

fn shown(file: &Path) -> String {
    if file.as_os_str() == "-" {
        "stdin".to_owned()
    } else {
        file.display().to_string()
    }
}

fn invalid_rows(file: &Path, invalid: &[Invalid]) -> Failure {
    let lines: Vec<String> = invalid
        .iter()
        .map(|i| format!("line {}: {}", i.line, i.reason))
        .collect();
    Failure::usage(format!(
        "{} has {} row{} that cannot be used; nothing was sent.\n{}",
        shown(file),
        invalid.len(),
        if invalid.len() == 1 { "" } else { "s" },
        lines.join("\n")
    ))
    .hint("Fix them, or add --skip-invalid to order for the other rows and leave these out.")
}

fn invalid_result(invalid: &Invalid) -> RowResult {
    RowResult {
        index: invalid.index,
        line: invalid.line,
        sn: input_sn(&invalid.columns),
        columns: invalid.columns.clone(),
        outcome: "invalid",
        order_no: None,
        order_status: None,
        message: invalid.reason.clone(),
        kind: Some(Kind::Usage),
    }
}

fn input_sn(columns: &[(String, serde_json::Value)]) -> String {
    columns
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("sn") || name.eq_ignore_ascii_case("productNo"))
        .and_then(|(_, value)| match value {
            serde_json::Value::String(text) => Some(text.clone()),
            serde_json::Value::Number(number) => Some(number.to_string()),
            _ => None,
        })
        .unwrap_or_default()
}

/// The check phase: every row resolved and checked like a single order, 16 at a time.
async fn check_all(
    ctx: &Context,
    client: &Client,
    locks: &LockDir,
    operation: Operation,
    args: &OrderArgs,
    rows: Vec<Row>,
) -> Result<Vec<Checked>> {
    let offerings = Offerings::new(&ctx.dirs.cache);
    let remembered = offerings.get(&ctx.portal_label(), LINKUS_PRODUCT_ID);
    let prices: OnceCell<Option<PriceList>> = OnceCell::new();
    // The journal once for the whole batch, by SN: not once per row.
    let journal = Ledger::new(ctx, None, "").read_journal()?.by_sn();
    // Contacts and (with a remembered offering) the price are asked for alongside the first
    // rows, not before them: no round trip of their own. Shared, so that they are asked once.
    let contacts = client
        .billing_contacts()
        .map(|listed| listed.map(Arc::new))
        .boxed()
        .shared();
    let price = async {
        if let Some(offering) = &remembered {
            let _ = prices.get_or_init(|| fetch_prices(client, offering)).await;
        }
    };
    let shared = async {
        let ((), _) = tokio::join!(price, contacts.clone());
    };
    let progress = Progress::start(
        crate::commands::purchase::spinner_allowed(ctx),
        rows.len() as u64,
        "rows checked",
    );
    let total = rows.len();
    let rows = futures_util::stream::iter(rows)
        .map(|row| {
            let contacts = contacts.clone();
            let prices = &prices;
            let progress = &progress;
            let offerings = &offerings;
            let journal = journal.get(&row.sn.to_ascii_uppercase());
            async move {
                let verdict = check_row(
                    ctx, client, locks, operation, args, &row, journal, contacts, prices, offerings,
                )
                .await;
                progress.advance("rows checked");
                Checked { row, verdict }
            }
        })
        .buffered(CHECKS_AT_ONCE)
        .collect::<Vec<Checked>>();
    let ((), checked) = tokio::join!(shared, rows);
    drop(progress);
    // Rows checked without contacts are moot: the batch stops here, as one purchase would.
    contacts
        .await
        .context("Could not list the billing contacts")?;
    debug_assert_eq!(checked.len(), total);
    Ok(checked)
}

async fn fetch_prices(client: &Client, offering: &str) -> Option<PriceList> {
    client
        .prices(LINKUS_PRODUCT_ID, offering, "annually")
        .await
        .ok()
}

fn refused(kind: Kind, message: impl Into<String>) -> Verdict {
    Verdict::Refused {
        kind,
        message: message.into(),
    }
}

fn refused_by(error: &anyhow::Error) -> Verdict {
    let report = diagnose(error);
    // A portal's refusal says it best in its own words: "The PBX … is not eligible …
    // (product_not_eligible)"; the row already names the SN.
    if let Some(PortalError::Rejected { message, code, .. }) = error.downcast_ref::<PortalError>() {
        if !message.trim().is_empty() {
            return refused(
                report.kind,
                crate::output::clean(&format!("{} ({code})", message.trim())),
            );
        }
    }
    let mut message = report.message;
    for cause in report.causes {
        message.push_str(": ");
        message.push_str(&cause);
    }
    refused(report.kind, message)
}

fn blocked(block: Block) -> Verdict {
    match block {
        // Resuming: bought by an earlier run, reported and not bought again.
        Block::Recent { order_no, .. } => Verdict::Already { order_no },
        other => refused(Kind::Blocked, other.failure(None).message),
    }
}

#[allow(clippy::too_many_arguments)]
async fn check_row(
    ctx: &Context,
    client: &Client,
    locks: &LockDir,
    operation: Operation,
    args: &OrderArgs,
    row: &Row,
    journal: Option<&Contents>,
    contacts: Contacts<'_>,
    prices: &OnceCell<Option<PriceList>>,
    offerings: &Offerings,
) -> Verdict {
    let sn = &row.sn;
    let now = ctx.clock.now_ms();
    let ledger = Ledger::new(ctx, Some(locks), sn);
    let mut history = ledger.history_from(journal, &ctx.portal_label(), sn);
    if let Some(block) = history.block(operation, now, None, None) {
        return blocked(block);
    }
    let (offer, subscription, looked_up, contacts) = tokio::join!(
        client.offer(LINKUS_PRODUCT_ID, sn),
        client.subscription(LINKUS_PRODUCT_ID, sn),
        order::look_up_open(ctx, client, &ledger, &mut history),
        contacts,
    );
    let Ok(contacts) = contacts else {
        return refused(Kind::Network, "the billing contacts could not be listed");
    };
    if let Some(block) = history.block(operation, now, None, Some(&looked_up)) {
        return blocked(block);
    }
    let offer = match offer {
        Ok(offer) => Some(offer),
        Err(_) if operation == Operation::Renew => None,
        Err(error) => {
            return refused_by(
                &anyhow::Error::from(error)
                    .context(format!("Could not list the plans for SN {sn}")),
            )
        }
    };
    let subscription = match subscription {
        Ok(check) => Some(check),
        // As for one purchase: if the check cannot be done, the portal decides.
        Err(_) if operation == Operation::Purchase => None,
        Err(error) => {
            return refused_by(
                &anyhow::Error::from(error)
                    .context(format!("Could not read the subscription of SN {sn}")),
            )
        }
    };
    if let Some(offering) = offer.as_ref().and_then(|o| o.offering_id.clone()) {
        offerings.remember(&ctx.portal_label(), LINKUS_PRODUCT_ID, &offering);
        let _ = prices.get_or_init(|| fetch_prices(client, &offering)).await;
    }
    let catalog = Catalog {
        plans: offer
            .map(|o| {
                o.plans
                    .into_iter()
                    .filter(yeastar_partner::Plan::is_purchasable)
                    .collect()
            })
            .unwrap_or_default(),
        contacts: contacts.to_vec(),
        subscription,
        prices: prices.get().cloned().flatten(),
        looked_up,
    };
    if let Some(already) = resumed(operation, &history, &catalog, now) {
        return already;
    }
    if let Err(failure) = purchase::refuse_what_cannot_be_ordered(operation, sn, &catalog, now) {
        return refused(failure.kind, failure.message);
    }
    let row_args = row_args(operation, args, row);
    if let Some(missing) = missing_value(operation, &row_args) {
        return refused(Kind::Usage, missing);
    }
    match choose::choose(ctx, operation, &row_args, sn.clone(), &catalog).await {
        Ok(choice) => Verdict::Buy(Box::new(choice)),
        Err(error) => refused_by(&error),
    }
}

/// A row whose order an earlier run already placed, older than a day but still in force: a
/// purchase whose subscription is current, a switch whose plan is the one asked for.
fn resumed(
    operation: Operation,
    history: &crate::guard::History,
    catalog: &Catalog,
    now: u64,
) -> Option<Verdict> {
    let (intent, order_no) = history.last_success(operation)?;
    let current = catalog.current()?;
    let in_force = match operation {
        Operation::Purchase => current.is_current(now),
        Operation::Switch => current.plan_id == Some(intent.plan_id),
        // Every renewal leaves a current subscription: only the 24-hour rule applies.
        Operation::Renew => false,
    };
    in_force.then(|| Verdict::Already {
        order_no: order_no.map(str::to_owned),
    })
}

/// The row's values, with the command-line flags for what it leaves empty.
fn row_args(operation: Operation, args: &OrderArgs, row: &Row) -> OrderArgs {
    let mut row_args = args.clone();
    row_args.sn = Some(row.sn.clone());
    row_args.plan = row.plan.clone().or_else(|| args.plan.clone());
    row_args.billing_contact = row
        .billing_contact
        .clone()
        .or_else(|| args.billing_contact.clone());
    row_args.years = row
        .years
        .or(args.years)
        .or((operation == Operation::Renew).then_some(1));
    row_args.po_number = row.po_number.clone().or_else(|| args.po_number.clone());
    row_args
}

/// A value a row needs and neither it nor the flags give (no prompts in a batch).
fn missing_value(operation: Operation, args: &OrderArgs) -> Option<String> {
    let mut missing = Vec::new();
    if operation != Operation::Renew && args.plan.is_none() {
        missing.push("a plan (a `plan` column or --plan)");
    }
    if args.billing_contact.is_none() {
        missing.push("a billing contact (a `billing_contact` column or --billing-contact)");
    }
    if operation == Operation::Purchase && args.years.is_none() {
        missing.push("years (a `years` column or --years)");
    }
    (!missing.is_empty()).then(|| format!("needs {}", missing.join(" and ")))
}

/// The buy phase: `jobs` orders at a time, each under every rule of a single order; no new
/// order once one's outcome is unknown or the portal fails. Each row's result goes to `done`
/// as it ends.
async fn buy_all(
    ctx: &Context,
    client: &Client,
    locks: &LockDir,
    operation: Operation,
    checked: Vec<Checked>,
    jobs: u8,
    done: &Mutex<Vec<RowResult>>,
) {
    let stop = AtomicBool::new(false);
    let to_buy = checked
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Buy(_)))
        .count();
    let progress = Progress::start(
        crate::commands::purchase::spinner_allowed(ctx),
        to_buy as u64,
        "ordered",
    );
    let stop = &stop;
    let progress = &progress;
    // Rows done of the total, and how many of them were bought and failed.
    let tally = &std::sync::Mutex::new((0usize, 0usize));
    futures_util::stream::iter(checked)
        .map(|checked| async move {
            let Checked { row, verdict } = checked;
            let result = match verdict {
                Verdict::Buy(choice) => {
                    let result = buy_row(ctx, client, locks, operation, &row, *choice, stop).await;
                    let message = match tally.lock() {
                        Ok(mut tally) => {
                            if result.kind.is_none() {
                                tally.0 += 1;
                            } else {
                                tally.1 += 1;
                            }
                            format!("rows: {} bought, {} failed", tally.0, tally.1)
                        }
                        Err(_) => "rows".to_owned(),
                    };
                    progress.advance(&message);
                    if !progress.is_shown() {
                        report::row_line(ctx, &result);
                    }
                    result
                }
                Verdict::Already { order_no } => result(
                    &row,
                    "already bought",
                    order_no,
                    Some("succeed".to_owned()),
                    "bought by an earlier run".to_owned(),
                    None,
                ),
                Verdict::Refused { kind, message } => {
                    let outcome = if kind == Kind::Blocked {
                        "blocked"
                    } else {
                        "refused"
                    };
                    result(&row, outcome, None, None, message, Some(kind))
                }
            };
            if let Ok(mut done) = done.lock() {
                done.push(result);
            }
        })
        .buffer_unordered(usize::from(jobs.max(1)))
        .collect::<Vec<()>>()
        .await;
}

pub(crate) fn result(
    row: &Row,
    outcome: &'static str,
    order_no: Option<String>,
    order_status: Option<String>,
    message: String,
    kind: Option<Kind>,
) -> RowResult {
    RowResult {
        index: row.index,
        line: row.line,
        columns: row.columns.clone(),
        sn: row.sn.clone(),
        outcome,
        order_no,
        order_status,
        message,
        kind,
    }
}

/// A failure of the portal itself (5xx, a timeout, no connection): no new order is started.
fn portal_failed(error: &PortalError) -> bool {
    error.status().is_some_and(|s| s >= 500)
        || matches!(
            error,
            PortalError::Transport {
                phase: Phase::Timeout | Phase::Connect,
                ..
            }
        )
}

async fn buy_row(
    ctx: &Context,
    client: &Client,
    locks: &LockDir,
    operation: Operation,
    row: &Row,
    choice: Choice,
    stop: &AtomicBool,
) -> RowResult {
    if stop.load(Ordering::SeqCst) {
        return result(
            row,
            "not sent",
            None,
            None,
            "not started: an earlier order's outcome is unknown, or the portal failed".to_owned(),
            Some(Kind::Network),
        );
    }
    let lock = match locks.lock(
        &ctx.portal_key(),
        &row.sn,
        &format!("linkus {} --from", operation.name()),
        &ctx.now_rfc3339(),
    ) {
        Ok(lock) => lock,
        Err(error) => {
            let report = diagnose(&error);
            return result(
                row,
                "blocked",
                None,
                None,
                report.message,
                Some(report.kind),
            );
        }
    };
    let body = match choice.request().body() {
        Ok(body) => body,
        Err(error) => {
            return result(
                row,
                "not sent",
                None,
                None,
                error.to_string(),
                Some(Kind::Internal),
            )
        }
    };
    let intent = choice.intent(ctx);
    let ledger = Ledger::new(ctx, Some(locks), &row.sn);
    let placed = match order::place(ctx, client, &lock, &ledger, intent, body, None).await {
        Ok(placed) => placed,
        Err(error) => {
            let report = diagnose(&error);
            let outcome = if report.kind == Kind::Blocked {
                "blocked"
            } else {
                "not sent"
            };
            return result(row, outcome, None, None, report.message, Some(report.kind));
        }
    };
    let mut message = placed
        .unrecorded
        .as_ref()
        .map(|unrecorded| format!("{}; ", unrecorded.warning(&row.sn)))
        .unwrap_or_default();
    match placed.outcome {
        OrderOutcome::Created(created) => {
            let status = created.status.as_ref().map(|s| s.as_str().to_owned());
            let (outcome, kind) = match created.state() {
                OrderState::Succeeded => ("bought", None),
                OrderState::Open => {
                    message.push_str("created, not paid: pay it in the Partner Portal (Orders & Billing > Orders)");
                    ("pending", Some(Kind::OrderIncomplete))
                }
                OrderState::Failed => {
                    message.push_str("created but it did not go through");
                    ("failed", Some(Kind::Rejected))
                }
            };
            result(row, outcome, Some(created.order_no), status, message, kind)
        }
        OrderOutcome::Rejected(error) => {
            if portal_failed(&error) {
                stop.store(true, Ordering::SeqCst);
            }
            message.push_str(&error.to_string());
            result(
                row,
                "refused",
                None,
                None,
                message,
                Some(classify(&error).0),
            )
        }
        OrderOutcome::NotSent(error) => {
            if portal_failed(&error) {
                stop.store(true, Ordering::SeqCst);
            }
            message.push_str(&format!("{error}; nothing was bought"));
            result(
                row,
                "not sent",
                None,
                None,
                message,
                Some(classify(&error).0),
            )
        }
        OrderOutcome::Unknown(error) => {
            stop.store(true, Ordering::SeqCst);
            message.push_str(&format!(
                "sent, no definitive answer ({error}): check with `linkus orders reconcile` before ordering again"
            ));
            result(
                row,
                "unknown",
                None,
                None,
                message,
                Some(Kind::OrderUnknown),
            )
        }
    }
}

/// 0 when every row ended bought or already bought; else the most serious row's code.
fn exit_status(results: &[RowResult]) -> ExitStatus {
    results
        .iter()
        .filter_map(|r| r.kind)
        .max_by_key(|kind| kind.severity())
        .map(ExitStatus::Failed)
        .unwrap_or(ExitStatus::Success)
}
