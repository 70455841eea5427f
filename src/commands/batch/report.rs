//! What a batch shows: the summary before the confirmation, the dry run, a line per row while
//! ordering, and the results (stdout, and `--results FILE` as CSV).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Result;
use serde::ser::{Error as _, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;
use yeastar_partner::{Money, Operation};

use super::input::{Invalid, Row};
use super::{Checked, RowResult, Verdict};
use crate::commands::order_flow::summary::request_json;
use crate::error::Failure;
use crate::output::{clean, Output};

/// Rows listed by name in the summary; the rest are counted.
const LISTED: usize = 50;

/// The list-price total per currency of the rows to buy, and whether any price is unknown.
pub fn totals(checked: &[Checked]) -> (Vec<Money>, bool) {
    let mut totals: Vec<Money> = Vec::new();
    let mut unknown = false;
    for checked in checked {
        let Verdict::Buy(choice) = &checked.verdict else {
            continue;
        };
        match choice.quote.total() {
            Some(total) => unknown |= !add_to(&mut totals, &total),
            None => unknown = true,
        }
    }
    (totals, unknown)
}

/// Adds `money` to the sum of its currency (a new one for a new currency); false when the
/// sum would overflow.
fn add_to(sums: &mut Vec<Money>, money: &Money) -> bool {
    match sums.iter_mut().find(|sum| sum.currency == money.currency) {
        Some(sum) => match sum.checked_add(money) {
            Some(added) => {
                *sum = added;
                true
            }
            None => false,
        },
        None => {
            sums.push(money.clone());
            true
        }
    }
}

/// The batch's summary on stderr: the rows to buy, those refused and why, the total.
pub fn summary(
    out: &Output,
    operation: Operation,
    source: &str,
    checked: &[Checked],
    skipped: &[Invalid],
    automatic: usize,
) {
    if out.is_quiet() {
        return;
    }
    let buy: Vec<&Checked> = checked
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Buy(_)))
        .collect();
    let already = checked
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Already { .. }))
        .count();
    let mut refused: Vec<(usize, String, String)> = checked
        .iter()
        .filter_map(|c| match &c.verdict {
            Verdict::Refused { message, .. } => {
                Some((c.row.line, c.row.sn.clone(), message.clone()))
            }
            _ => None,
        })
        .collect();
    refused.sort_by_key(|(line, ..)| *line);
    let style = &out.style;
    let mut text = format!(
        "\n{} {} for {} row{} of {}\n",
        style.bold("Batch:"),
        operation.name(),
        checked.len() + skipped.len() + automatic,
        if checked.len() + skipped.len() + automatic == 1 {
            ""
        } else {
            "s"
        },
        source
    );
    let (_, already_word) = super::done_words(operation);
    let mut already_label = already_word.to_owned();
    already_label[..1].make_ascii_uppercase();
    text.push_str(&format!("  {:<17}{}\n", "To order", buy.len()));
    text.push_str(&format!("  {already_label:<17}{already}\n"));
    text.push_str(&format!("  {:<17}{}\n", "Refused", refused.len()));
    if !skipped.is_empty() {
        text.push_str(&format!("  {:<17}{}\n", "Skipped", skipped.len()));
    }
    if automatic > 0 {
        text.push_str(&format!(
            "  {:<17}{automatic} (not renewed; --include-auto-renew renews them)\n",
            "Renew by itself"
        ));
    }
    if !buy.is_empty() {
        text.push_str("\nTo order:\n");
        for checked in buy.iter().take(LISTED) {
            let Verdict::Buy(choice) = &checked.verdict else {
                continue;
            };
            text.push_str(&format!(
                "  line {:<5} SN {:<16} {}, {} year{}, {}\n",
                checked.row.line,
                checked.row.sn,
                choice.plan.plan_name,
                choice.years,
                if choice.years == 1 { "" } else { "s" },
                choice
                    .quote
                    .total()
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "price unknown".to_owned())
            ));
        }
        if buy.len() > LISTED {
            text.push_str(&format!(
                "  … and {} more (every row is in the results)\n",
                buy.len() - LISTED
            ));
        }
    }
    if !refused.is_empty() {
        text.push_str("\nRefused:\n");
        for (line, sn, why) in refused.iter().take(LISTED) {
            text.push_str(&format!("  line {line:<5} SN {sn:<16} {why}\n"));
        }
        if refused.len() > LISTED {
            text.push_str(&format!("  … and {} more\n", refused.len() - LISTED));
        }
    }
    if !skipped.is_empty() {
        text.push_str("\nSkipped (--skip-invalid):\n");
        for invalid in skipped.iter().take(LISTED) {
            text.push_str(&format!(
                "  line {:<5} SN {:<16} {}\n",
                invalid.line,
                super::input_sn(&invalid.columns),
                invalid.reason
            ));
        }
        if skipped.len() > LISTED {
            text.push_str(&format!("  … and {} more\n", skipped.len() - LISTED));
        }
    }
    let (sums, unknown) = totals(checked);
    let total = if sums.is_empty() {
        "nothing".to_owned()
    } else {
        sums.iter()
            .map(Money::to_string)
            .collect::<Vec<_>>()
            .join(" + ")
    };
    text.push_str(&format!(
        "\nTotal: {total} at list price{}; the amount charged may differ.\n\n",
        if unknown {
            ", and rows whose price is unknown"
        } else {
            ""
        }
    ));
    crate::output::stderr(&clean(&text));
}

/// A dry run's row as JSON: what would be sent, or why not.
fn dry_row(operation: Operation, checked: &Checked) -> Result<Value> {
    let row = &checked.row;
    Ok(match &checked.verdict {
        Verdict::Buy(choice) => {
            let request = choice.request()?;
            let body = request.body();
            serde_json::json!({
                "line": row.line, "sn": row.sn, "outcome": "would order",
                "request": request_json(&request),
                "requestBody": String::from_utf8_lossy(&body),
                "total": choice.quote.total_out(),
            })
        }
        Verdict::Already { order_no } => serde_json::json!({
            "line": row.line, "sn": row.sn, "outcome": super::done_words(operation).1, "orderNo": order_no,
        }),
        Verdict::Refused { message, .. } => serde_json::json!({
            "line": row.line, "sn": row.sn, "outcome": "refused", "message": message,
        }),
    })
}

/// The `--results` file, opened before anything is sent (a path that cannot be written is a
/// usage error) and written at the end; a write that fails then is a warning, never a change
/// of the exit code or a row's outcome lost.
pub struct ResultsFile {
    path: PathBuf,
    file: Mutex<Option<std::fs::File>>,
}

impl ResultsFile {
    /// Opens `path` for writing. A dry run writes no results: the file is only checked, and
    /// left as it was (removed again if the check created it).
    pub fn open(path: &Path, dry_run: bool) -> Result<Self, Failure> {
        let existed = path.exists();
        let opened = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| {
                Failure::usage(format!(
                    "The results file {} cannot be written: {e}; nothing was sent.",
                    path.display()
                ))
                .hint("Give --results a path in a folder that exists and that you can write to.")
            })?;
        let file = if dry_run {
            drop(opened);
            if !existed {
                let _ = std::fs::remove_file(path);
            }
            None
        } else {
            Some(opened)
        };
        Ok(ResultsFile {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    /// Writes the results; a failure is a warning on stderr.
    pub fn write(&self, header: &[String], results: &[RowResult]) {
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(file) = file.as_mut() else {
            return;
        };
        if let Err(error) = write_csv(file, header, results) {
            crate::output::warn(&format!(
                "the results could not be written to {} ({error:#}); every row's outcome is on stdout above and in the journal.",
                self.path.display()
            ));
        }
    }
}

/// Every row of a dry run in line order, each built as it is written: a file of ten thousand
/// rows is never held as JSON all at once.
struct DryRows<'a> {
    operation: Operation,
    checked: &'a [Checked],
    invalid: &'a [Invalid],
}

impl DryRows<'_> {
    /// Checked and invalid rows are each in line order: merged, one value at a time.
    fn each(&self) -> impl Iterator<Item = Result<Value>> + '_ {
        let mut checked = self.checked.iter().peekable();
        let mut invalid = self.invalid.iter().peekable();
        std::iter::from_fn(move || {
            let take_checked = match (checked.peek(), invalid.peek()) {
                (Some(c), Some(i)) => c.row.index < i.index,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => return None,
            };
            Some(if take_checked {
                dry_row(self.operation, checked.next()?)
            } else {
                let invalid = invalid.next()?;
                Ok(serde_json::json!({
                    "line": invalid.line, "sn": super::input_sn(&invalid.columns),
                    "outcome": "skipped", "message": invalid.reason,
                }))
            })
        })
    }
}

impl Serialize for DryRows<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.checked.len() + self.invalid.len()))?;
        for row in self.each() {
            seq.serialize_element(&row.map_err(|e| S::Error::custom(format!("{e:#}")))?)?;
        }
        seq.end()
    }
}

/// `--dry-run`: every row with the body it would send.
pub fn dry_run(
    out: &Output,
    operation: Operation,
    checked: &[Checked],
    invalid: &[Invalid],
) -> Result<()> {
    let rows = DryRows {
        operation,
        checked,
        invalid,
    };
    if out.is_json() {
        out.json(&rows)?;
        return Ok(());
    }
    out.status("Dry run: nothing was bought. These bodies would be sent:");
    let mut text = String::new();
    for value in rows.each() {
        let value = value?;
        let detail = match value.get("requestBody").and_then(Value::as_str) {
            Some(body) => body.to_owned(),
            None => format!(
                "{}: {}",
                value["outcome"].as_str().unwrap_or(""),
                value
                    .get("message")
                    .or(value.get("orderNo"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
            ),
        };
        text.push_str(&format!(
            "line {}\t{}\t{detail}\n",
            value["line"],
            value["sn"].as_str().unwrap_or("")
        ));
    }
    out.print(&text)?;
    Ok(())
}

/// What an interrupted batch prints: the rows that ended, then each other row as unknown
/// (its order was on the wire) or not sent.
pub fn interrupted(
    checked: &[Checked],
    done: Arc<Mutex<Vec<RowResult>>>,
    header: Vec<String>,
    file: Option<Arc<ResultsFile>>,
) -> crate::context::InterruptReport {
    let rows: Vec<Row> = checked.iter().map(|c| c.row.clone()).collect();
    Box::new(move |ctx, kind, in_flight| {
        let mut results = std::mem::take(&mut *done.lock().unwrap_or_else(PoisonError::into_inner));
        let ended: HashSet<usize> = results.iter().map(|r| r.index).collect();
        for row in rows.iter().filter(|row| !ended.contains(&row.index)) {
            let on_the_wire = in_flight.iter().any(|sn| sn.eq_ignore_ascii_case(&row.sn));
            let (outcome, message) = if on_the_wire {
                ("unknown", "interrupted while its order was being sent: check with `linkus orders reconcile` before ordering again")
            } else {
                ("not sent", "not started: the run was interrupted")
            };
            results.push(super::buy::result(
                row,
                outcome,
                None,
                None,
                message.to_owned(),
                Some(kind),
            ));
        }
        results.sort_by_key(|r| r.index);
        // Best effort: the signal's exit code and the journal say the rest.
        let _ = self::results(&ctx.out, &header, &results, file.as_deref());
        true
    })
}

/// A sum of money with its thousands grouped: `4,800.00 USD`.
fn grouped(money: &Money) -> String {
    let text = money.to_string();
    let (number, currency) = text.split_once(' ').unwrap_or((&text, ""));
    let (sign, digits) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let mut out = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    let fraction = if fraction.is_empty() {
        String::new()
    } else {
        format!(".{fraction}")
    };
    format!("{sign}{out}{fraction} {currency}")
        .trim_end()
        .to_owned()
}

/// The tally that ends a batch, one line on stderr: `40 renewed, 0 failed, 2 skipped: 4,800.00
/// USD`. "Failed" counts every row that did not end well, by outcome in parentheses.
pub fn tally_line(operation: Operation, results: &[RowResult]) -> String {
    let (done, already) = super::done_words(operation);
    let count = |outcome: &str| results.iter().filter(|r| r.outcome == outcome).count();
    let mut failed: Vec<(&str, usize)> = Vec::new();
    for result in results.iter().filter(|r| r.kind.is_some()) {
        match failed.iter_mut().find(|(o, _)| *o == result.outcome) {
            Some(entry) => entry.1 += 1,
            None => failed.push((result.outcome, 1)),
        }
    }
    let failed_count: usize = failed.iter().map(|(_, n)| n).sum();
    let mut parts = vec![format!("{} {done}", count(done))];
    if count(already) > 0 {
        parts.push(format!("{} {already}", count(already)));
    }
    parts.push(if failed.is_empty() {
        "0 failed".to_owned()
    } else {
        format!(
            "{failed_count} failed ({})",
            failed
                .iter()
                .map(|(outcome, n)| format!("{n} {outcome}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    if count("skipped") > 0 {
        parts.push(format!("{} skipped", count("skipped")));
    }
    let automatic = count(super::expiring::RENEWS_AUTOMATICALLY);
    if automatic > 0 {
        parts.push(format!("{automatic} renew automatically"));
    }
    let mut sums: Vec<Money> = Vec::new();
    let mut unpriced = 0;
    for result in results.iter().filter(|r| r.outcome == done) {
        match &result.spent {
            Some(spent) if add_to(&mut sums, spent) => {}
            _ => unpriced += 1,
        }
    }
    let mut spent: Vec<String> = sums.iter().map(grouped).collect();
    if unpriced > 0 {
        spent.push(format!(
            "{unpriced} order{} at a price not known",
            if unpriced == 1 { "" } else { "s" }
        ));
    }
    let spent = if spent.is_empty() {
        "nothing spent".to_owned()
    } else {
        spent.join(" + ")
    };
    format!("{}: {spent}", parts.join(", "))
}

/// The tally line on stderr (even with `--quiet`: a CI log's one line to read).
pub fn tally(operation: Operation, results: &[RowResult]) {
    crate::output::stderr(&format!("{}\n", tally_line(operation, results)));
}

/// One line on stderr for a row as it ends, when no progress bar is shown.
pub fn row_line(out: &Output, result: &RowResult) {
    let order = result
        .order_no
        .as_deref()
        .map(|n| format!(", order {n}"))
        .unwrap_or_default();
    let message = if result.message.is_empty() {
        String::new()
    } else {
        format!(": {}", result.message)
    };
    out.status(&format!(
        "line {} SN {}: {}{order}{message}",
        result.line, result.sn, result.outcome
    ));
}

/// A row's result as our JSON shows it: the input columns in the file's order, then
/// outcome, orderNo, orderStatus, message.
struct JsonRow<'a>(&'a RowResult);

impl Serialize for JsonRow<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let result = self.0;
        let ours = ["outcome", "orderNo", "orderStatus", "message"];
        let mut map = serializer.serialize_map(None)?;
        for (name, value) in result
            .columns
            .iter()
            .filter(|(name, _)| !ours.contains(&name.as_str()))
        {
            map.serialize_entry(name, value)?;
        }
        map.serialize_entry("outcome", result.outcome)?;
        map.serialize_entry("orderNo", &result.order_no)?;
        map.serialize_entry("orderStatus", &result.order_status)?;
        map.serialize_entry("message", &result.message)?;
        map.end()
    }
}

/// The results as a JSON array, each row built as it is written.
struct JsonRows<'a>(&'a [RowResult]);

impl Serialize for JsonRows<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(JsonRow))
    }
}

fn cell(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// The results: a table (or JSON array) on stdout, and the CSV file of `--results`.
pub fn results(
    out: &Output,
    header: &[String],
    results: &[RowResult],
    file: Option<&ResultsFile>,
) -> Result<()> {
    if let Some(file) = file {
        file.write(header, results);
    }
    let printed = if out.is_json() {
        out.json(&JsonRows(results))
    } else if out.is_quiet() {
        out.lines(results.iter().filter_map(|r| r.order_no.as_deref()))
    } else {
        let rows = results
            .iter()
            .map(|r| {
                vec![
                    r.line.to_string(),
                    r.sn.clone(),
                    r.outcome.to_owned(),
                    r.order_no.clone().unwrap_or_default(),
                    r.order_status.clone().unwrap_or_default(),
                    r.message.clone(),
                ]
            })
            .collect();
        out.print(&out.table(
            &["Line", "SN", "Outcome", "Order number", "Status", "Message"],
            rows,
        ))
    };
    if let Err(error) = printed {
        // Orders exist: their numbers must reach the user even when stdout is gone.
        let placed: Vec<String> = results
            .iter()
            .filter_map(|r| {
                r.order_no
                    .as_ref()
                    .map(|n| format!("SN {} order {n} ({})", r.sn, r.outcome))
            })
            .collect();
        crate::output::stderr(&format!(
            "The results could not be written to stdout ({error}). Orders: {}\n",
            if placed.is_empty() {
                "none".to_owned()
            } else {
                placed.join(", ")
            }
        ));
    }
    Ok(())
}

/// A value a spreadsheet would run as a formula, made text with a leading `'`.
fn defused(value: String) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value
    }
}

fn write_csv(file: &mut std::fs::File, header: &[String], results: &[RowResult]) -> Result<()> {
    use std::io::{Seek, Write};
    file.set_len(0)?;
    file.rewind()?;
    let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(&mut *file));
    let mut columns: Vec<String> = header.to_vec();
    columns.extend(["outcome", "orderNo", "orderStatus", "message"].map(str::to_owned));
    writer.write_record(&columns)?;
    for result in results {
        let mut record: Vec<String> = header
            .iter()
            .map(|name| {
                defused(cell(
                    result
                        .columns
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| v),
                ))
            })
            .collect();
        record.push(result.outcome.to_owned());
        record.push(defused(result.order_no.clone().unwrap_or_default()));
        record.push(defused(result.order_status.clone().unwrap_or_default()));
        record.push(defused(result.message.clone()));
        writer.write_record(&record)?;
    }
    writer
        .into_inner()
        .map_err(|e| anyhow::anyhow!("{}", e.error()))?
        .flush()?;
    file.sync_all()?;
    Ok(())
}
