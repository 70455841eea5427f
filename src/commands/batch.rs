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

mod buy;
mod check;
pub mod expiring;

use buy::buy_all;
use check::check_all;
pub mod input;
mod report;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context as _, Result};
use yeastar_partner::Operation;

use crate::cli::OrderArgs;
use crate::commands::order_flow::Choice;
use crate::context::{Context, Settings};
use crate::error::{ExitStatus, Failure, Kind};
use crate::lock::LockDir;
use crate::output::Output;
use crate::prompt;
use crate::quote;
use input::{FileError, Invalid, Row};

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
    /// `bought` (`renewed`, `switched`), `already bought` (...), `pending`, `failed`,
    /// `refused`, `blocked`, `not sent`, `unknown` or `skipped`.
    pub outcome: &'static str,
    pub order_no: Option<String>,
    pub order_status: Option<String>,
    pub message: String,
    /// `None` for a row that ended well (bought or already bought) or was skipped.
    pub kind: Option<Kind>,
    /// The list price of a row bought, for the tally.
    pub spent: Option<yeastar_partner::Money>,
}

pub async fn run(
    ctx: &Context,
    operation: Operation,
    args: OrderArgs,
    file: PathBuf,
) -> Result<ExitStatus> {
    let text = read(&file)?;
    let parsed = match input::parse(&text) {
        Ok(parsed) => parsed,
        // A night with nothing to renew is not an error.
        Err(FileError::Empty | FileError::NoRows) => {
            return nothing_to_do(&ctx.out, &shown(&file), args.batch.results.as_deref())
        }
        Err(error) => {
            return Err(Failure::usage(format!(
                "{} cannot be used: {error}; nothing was sent.",
                shown(&file)
            ))
            .into())
        }
    };
    run_rows(ctx, operation, args, &shown(&file), parsed, Vec::new()).await
}

/// The batch over rows already read: `--from FILE`, or the listing of `renew
/// --expiring-within`.
pub async fn run_rows(
    ctx: &Context,
    operation: Operation,
    args: OrderArgs,
    source: &str,
    parsed: input::Parsed,
    preset: Vec<RowResult>,
) -> Result<ExitStatus> {
    let skip_invalid = args.batch.skip_invalid;
    if !parsed.invalid.is_empty() && !skip_invalid {
        return Err(invalid_rows(source, "cannot be used", &parsed.invalid).into());
    }
    if parsed.rows.is_empty() && parsed.invalid.is_empty() && preset.is_empty() {
        return nothing_to_do(&ctx.out, source, args.batch.results.as_deref());
    }
    // Opened before anything is sent: outcomes are never bought into a file that cannot hold
    // them.
    let results_file = match &args.batch.results {
        Some(path) => Some(Arc::new(report::ResultsFile::open(
            path,
            args.common.dry_run,
        )?)),
        None => None,
    };
    refuse_without_yes(&ctx.settings, &args)?;

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
    if !missing.is_empty() && !parsed.rows.is_empty() {
        return Err(Failure::usage(format!(
            "No row of {source} says it, so the batch needs {}; nothing was sent.",
            missing.join(" and ")
        ))
        .hint(
            "`linkus billing-contacts` lists the contacts and `linkus products --sn SN` the plans.",
        )
        .into());
    }

    let client = ctx.client()?;
    let locks = LockDir::locate()?;
    // The team journal's connections for the orders are opened while the check phase waits
    // on the portal, not by the first orders.
    let warm = async {
        match ctx.team_journal() {
            Ok(Some(team)) if !args.common.dry_run => team.warm(usize::from(args.batch.jobs)).await,
            _ => {}
        }
    };
    let (checked, ()) = futures_util::future::join(
        check_all(ctx, &client, &locks, operation, &args, parsed.rows),
        warm,
    )
    .await;
    let (checked, listed) = checked?;
    // A value that matches nothing (a plan name with a typo, an unknown contact, years the
    // plan does not allow) makes its row invalid, as a bad value in the file does: a usage
    // error for the whole file, never a refusal after other rows were bought.
    let (checked, unmatched): (Vec<Checked>, Vec<Checked>) = checked.into_iter().partition(|c| {
        !matches!(
            c.verdict,
            Verdict::Refused {
                kind: Kind::Usage,
                ..
            }
        )
    });
    let unmatched: Vec<Invalid> = unmatched.into_iter().map(unmatched_row).collect();
    if !unmatched.is_empty() && !skip_invalid {
        return Err(invalid_rows(source, "match nothing", &unmatched).into());
    }
    let mut skipped = parsed.invalid;
    skipped.extend(unmatched);
    skipped.sort_by_key(|i| i.index);
    let automatic = preset.len();
    let mut results: Vec<RowResult> = skipped.iter().map(skipped_result).collect();
    results.extend(preset);

    report::summary(&ctx.out, operation, source, &checked, &skipped, automatic);
    if let Some(cap) = &args.common.max_total {
        let (totals, unknown) = report::totals(&checked);
        quote::check_cap(cap, &totals, unknown)?;
    }
    if args.common.dry_run {
        report::dry_run(&ctx.out, operation, &checked, &skipped)?;
        // As the real run would end if every order it would send succeeded.
        return Ok(exit_status(checked.iter().filter_map(
            |c| match c.verdict {
                Verdict::Refused { kind, .. } => Some(kind),
                _ => None,
            },
        )));
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
            // As a single purchase: a plain line (the error object with --json), exit 3.
            return Err(
                Failure::new(Kind::Cancelled, "Declined; nothing was bought.")
                    .plain()
                    .into(),
            );
        }
    }
    // A signal during the orders still prints every row: those ended, the rest as they are.
    let done = Arc::new(Mutex::new(results));
    ctx.orders.on_interrupt(Some(report::interrupted(
        &checked,
        done.clone(),
        parsed.header.clone(),
        results_file.clone(),
    )));
    buy_all(
        ctx,
        &client,
        &locks,
        operation,
        checked,
        args.batch.jobs,
        &args.common.again,
        &done,
        &listed,
    )
    .await;
    ctx.orders.on_interrupt(None);
    let mut results = std::mem::take(&mut *done.lock().unwrap_or_else(PoisonError::into_inner));
    results.sort_by_key(|r| r.index);
    report::results(&ctx.out, &parsed.header, &results, results_file.as_deref())?;
    report::tally(operation, &results);
    Ok(exit_status(results.iter().filter_map(|r| r.kind)))
}

/// Without prompts, a batch orders only with `--yes` (or looks with `--dry-run`).
fn refuse_without_yes(settings: &Settings, args: &OrderArgs) -> Result<(), Failure> {
    if settings.interactive() || args.common.yes || args.common.dry_run {
        return Ok(());
    }
    Err(Failure::usage(format!(
        "Prompts are off ({}), so a batch needs --yes to order (or --dry-run to look).",
        settings.prompts_off_reason()
    )))
}

/// No rows: "nothing to do", exit 0, `[]` with `--json` (and a results file with its header).
fn nothing_to_do(out: &Output, source: &str, results: Option<&Path>) -> Result<ExitStatus> {
    out.status(&format!("{source} has no rows: nothing to do."));
    ended_without_orders(out, results, &["sn".to_owned()], Vec::new())
}

/// A run with no row to order: the rows decided without the portal (none, or those that renew
/// automatically) as results, and exit 0.
pub fn ended_without_orders(
    out: &Output,
    results_path: Option<&Path>,
    header: &[String],
    results: Vec<RowResult>,
) -> Result<ExitStatus> {
    let file = match results_path {
        Some(path) => Some(report::ResultsFile::open(path, false)?),
        None => None,
    };
    report::results(out, header, &results, file.as_ref())?;
    Ok(ExitStatus::Success)
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

fn invalid_rows(source: &str, what: &str, invalid: &[Invalid]) -> Failure {
    let lines: Vec<String> = invalid
        .iter()
        .map(|i| format!("line {}: {}", i.line, i.reason))
        .collect();
    let (rows, verb) = if invalid.len() == 1 {
        ("row", what.replacen("match ", "matches ", 1))
    } else {
        ("rows", what.to_owned())
    };
    Failure::usage(format!(
        "{source} has {} {rows} that {verb}; nothing was sent.\n{}",
        invalid.len(),
        lines.join("\n")
    ))
    .hint("Fix them, or add --skip-invalid to order for the other rows and leave these out.")
}

/// A row whose value matched nothing in the check phase, as an invalid row of the file.
fn unmatched_row(checked: Checked) -> Invalid {
    let reason = match checked.verdict {
        Verdict::Refused { message, .. } => message,
        _ => String::new(),
    };
    Invalid {
        index: checked.row.index,
        line: checked.row.line,
        reason: format!("SN {}: {reason}", checked.row.sn),
        columns: checked.row.columns,
    }
}

/// A row `--skip-invalid` left out: reported, and no change to the exit code.
fn skipped_result(invalid: &Invalid) -> RowResult {
    RowResult {
        index: invalid.index,
        line: invalid.line,
        sn: input_sn(&invalid.columns),
        columns: invalid.columns.clone(),
        outcome: "skipped",
        order_no: None,
        order_status: None,
        message: invalid.reason.clone(),
        kind: None,
        spent: None,
    }
}

/// The words of a row that ended well, for the operation: `renewed`, `already renewed`.
pub fn done_words(operation: Operation) -> (&'static str, &'static str) {
    match operation {
        Operation::Purchase => ("bought", "already bought"),
        Operation::Renew => ("renewed", "already renewed"),
        Operation::Switch => ("switched", "already switched"),
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

/// 0 when every row ended bought or already bought; else the most serious row's code.
fn exit_status(kinds: impl Iterator<Item = Kind>) -> ExitStatus {
    kinds
        .max_by_key(|kind| kind.severity())
        .map(ExitStatus::Failed)
        .unwrap_or(ExitStatus::Success)
}
