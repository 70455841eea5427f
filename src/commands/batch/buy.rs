//! The buy phase: the orders, `--jobs` at a time, each under every rule of a single order.

use crate::portal_clock::EpochClock as _;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use yeastar_partner::{Client, Error as PortalError, Operation, OrderOutcome, OrderState, Phase};

use super::input::Row;
use super::{report, Checked, RowResult, Verdict};
use crate::commands::order_flow::Choice;
use crate::context::Context;
use crate::error::{diagnose, Kind};
use crate::guard::{self, Ask, Decision, Earlier, Pass};
use crate::lock::LockDir;
use crate::order;
use crate::portal_record::{PortalStore, SharedList};
use crate::prompt::Progress;
use crate::records::{Records, Source};

/// The buy phase: `jobs` orders at a time, each under every rule of a single order; no new
/// order once one's outcome is unknown or the portal fails. Each row's result goes to `done`
/// as it ends.
#[allow(clippy::too_many_arguments)]
pub(super) async fn buy_all(
    ctx: &Context,
    client: &Client,
    locks: &LockDir,
    operation: Operation,
    checked: Vec<Checked>,
    jobs: u8,
    again: &[String],
    done: &Mutex<Vec<RowResult>>,
    listed: &SharedList,
) {
    let to_buy = checked
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Buy(_)))
        .count();
    let progress = Progress::start(
        crate::commands::order_flow::spinner_allowed(&ctx.settings, &ctx.out),
        to_buy as u64,
        "ordered",
    );
    let progress = &progress;
    // Rows done of the total, and how many of them were bought and failed.
    let tally = &std::sync::Mutex::new((0usize, 0usize));
    futures_util::stream::iter(checked)
        .map(|checked| async move {
            let Checked { row, verdict } = checked;
            let result = match verdict {
                Verdict::Buy(choice) => {
                    let result =
                        buy_row(ctx, client, locks, operation, &row, *choice, again, listed).await;
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
                        report::row_line(&ctx.out, &result);
                    }
                    result
                }
                Verdict::Already { order_no } => result(
                    &row,
                    super::done_words(operation).1,
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

/// A row whose order was never sent because the batch stopped.
fn not_started(row: &Row) -> RowResult {
    result(
        row,
        "not sent",
        None,
        None,
        "not started: an earlier order's outcome is unknown, or the portal failed".to_owned(),
        Some(Kind::Network),
    )
}

/// The row's earlier orders in the portal's list (read again if stale), or the row's result
/// when they, with the local records', stop its order: `already ...` for a success of its
/// operation, `blocked` otherwise.
async fn check_portal(
    ctx: &Context,
    client: &Client,
    operation: Operation,
    row: &Row,
    records: &Records,
    listed: &SharedList,
    again: &[String],
) -> Result<Vec<Earlier>, Box<RowResult>> {
    let list = match listed.fresh(&ctx.out, ctx.clock.as_ref(), client).await {
        Ok(list) => list,
        Err(error) => {
            // No list, no new order: for this row or any other.
            client.hold_orders();
            return Err(Box::new(failed(row, |_| "not sent", &error)));
        }
    };
    let portal = list
        .earlier_for(client, &row.sn, operation, ctx.clock.now_ms(), true)
        .await;
    // place() reads the local records again under their locks and says why it cannot.
    let local = records.read().await.unwrap_or_default();
    let ask = Ask {
        batch_row: true,
        ..order::ask(ctx, &row.sn, operation, again, Pass::Final)
    };
    match guard::decide(&[local.as_slice(), portal.as_slice()].concat(), &ask) {
        Decision::Already(earlier) if earlier.source == Source::Portal => Err(Box::new(result(
            row,
            super::done_words(operation).1,
            earlier.order_no,
            Some("succeed".to_owned()),
            "done from elsewhere, as the portal's order list shows".to_owned(),
            None,
        ))),
        // Anything else is for the claim in place() to say, under the records' locks.
        _ => Ok(portal),
    }
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
        spent: None,
    }
}

/// A row that ended on an error before its order had an answer: the error's message and
/// kind, under the outcome `outcome` names for that kind.
fn failed(row: &Row, outcome: fn(Kind) -> &'static str, error: &anyhow::Error) -> RowResult {
    let report = diagnose(error);
    result(
        row,
        outcome(report.kind),
        None,
        None,
        report.message,
        Some(report.kind),
    )
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

#[allow(clippy::too_many_arguments)]
async fn buy_row(
    ctx: &Context,
    client: &Client,
    locks: &LockDir,
    operation: Operation,
    row: &Row,
    choice: Choice,
    again: &[String],
    listed: &SharedList,
) -> RowResult {
    // Looked at here, before the lock, and by the client again immediately before the order
    // is written (a row waiting on its way out when another's outcome became unknown).
    if client.orders_held() {
        return not_started(row);
    }
    let lock = match locks
        .lock(
            &ctx.settings.portal_key(),
            &row.sn,
            &format!("linkus {} --from", operation.name()),
            &ctx.now_rfc3339(),
        )
        .await
    {
        Ok(lock) => lock,
        Err(error) => return failed(row, |_| "blocked", &error),
    };
    let body = match choice.request().map(|request| request.body()) {
        Ok(body) => body,
        Err(error) => return failed(row, |_| "not sent", &error),
    };
    let mut records = order::records(ctx, Some(locks), &row.sn);
    // The portal's list once more (read again if the last read is older than 30 s: another
    // machine may have ordered for the SN since the check phase), as one of the records.
    match check_portal(ctx, client, operation, row, &records, listed, again).await {
        Ok(portal) => records.push(Arc::new(PortalStore::new(portal))),
        Err(result) => return *result,
    }
    let intent = choice.intent(ctx);
    let spent = choice.quote.total();
    let placed = match order::place(ctx, client, &lock, &records, intent, body, again).await {
        Ok(placed) => placed,
        Err(error) => {
            let outcome = |kind| {
                if kind == Kind::Blocked {
                    "blocked"
                } else {
                    "not sent"
                }
            };
            return failed(row, outcome, &error);
        }
    };
    let mut message = placed
        .unrecorded_warning()
        .map(|warning| format!("{warning}; "))
        .unwrap_or_default();
    match placed.outcome {
        OrderOutcome::Created(created) => {
            let status = created.status.as_ref().map(|s| s.as_str().to_owned());
            let (outcome, kind) = match created.state() {
                OrderState::Succeeded => {
                    // Nothing follows the warning, if there is one.
                    message.truncate(message.trim_end_matches("; ").len());
                    (super::done_words(operation).0, None)
                }
                OrderState::Open => {
                    message.push_str("created, not paid: pay it in the Partner Portal (Orders & Billing > Orders)");
                    ("pending", Some(Kind::OrderIncomplete))
                }
                OrderState::Failed => {
                    message.push_str("created but it did not go through");
                    ("failed", Some(Kind::Rejected))
                }
            };
            let mut ended = result(
                row,
                outcome,
                Some(created.order_no.to_string()),
                status,
                message,
                kind,
            );
            if kind.is_none() {
                ended.spent = spent;
            }
            ended
        }
        OrderOutcome::Rejected(error) => {
            if portal_failed(&error) {
                client.hold_orders();
            }
            message.push_str(&error.to_string());
            result(
                row,
                "refused",
                None,
                None,
                message,
                Some(Kind::from(&error)),
            )
        }
        OrderOutcome::NotSent(error) if error.is_held_order() && message.is_empty() => {
            not_started(row)
        }
        OrderOutcome::NotSent(error) => {
            if portal_failed(&error) {
                client.hold_orders();
            }
            message.push_str(&format!("{error}; nothing was bought"));
            result(
                row,
                "not sent",
                None,
                None,
                message,
                Some(Kind::from(&error)),
            )
        }
        OrderOutcome::Unknown(error) => {
            client.hold_orders();
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
