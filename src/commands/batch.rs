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

use buy::buy_all;
use check::check_all;
pub mod input;
mod report;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context as _, Result};
use yeastar_partner::Operation;

use crate::cli::OrderArgs;
use crate::commands::purchase::Choice;
use crate::context::Context;
use crate::error::{ExitStatus, Failure, Kind};
use crate::lock::LockDir;
use crate::prompt;
use crate::quote;
use input::{Invalid, Row};

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
    let (checked, listed) = check_all(ctx, &client, &locks, operation, &args, parsed.rows).await?;
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
        &args.common.again,
        &done,
        &listed,
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

/// 0 when every row ended bought or already bought; else the most serious row's code.
fn exit_status(results: &[RowResult]) -> ExitStatus {
    results
        .iter()
        .filter_map(|r| r.kind)
        .max_by_key(|kind| kind.severity())
        .map(ExitStatus::Failed)
        .unwrap_or(ExitStatus::Success)
}
