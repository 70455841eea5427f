//! The portal's order list as a record every machine shares (CLI.md section 3, "The portal's
//! order list is a record every machine shares"; partner-api.md 10.11).
//!
//! The local records (the journal, the lock folder's record) protect the runs of one machine;
//! an order placed from another machine, a CI runner whose files are gone, or the portal's own
//! pages is only in the portal's list. Before an order the list is read newest first back to
//! [`OPEN_WINDOW_MS`] by the portal's clock ([`PortalList::read`]), and [`decide`] says, for
//! one SN and operation, whether it blocks:
//!
//! - an order still open (any status that is not final) placed in the last 7 days blocks;
//! - an order that succeeded in the last 24 hours blocks when it was of the same operation
//!   (Get Order Details says which), or when nothing says which, unless `--again` names it;
//! - in a batch, a success of the row's own operation is "already done" (exit 0 for the row),
//!   and a success of another operation blocks;
//! - only Linkus orders count (an order whose product cannot be told counts); orders that the
//!   local records already know are theirs to judge, not counted twice; a creation time that
//!   cannot be read, lies before 2015 or more than 5 minutes in the portal's future counts as
//!   recent.

use std::collections::HashSet;

use futures_util::StreamExt;
use yeastar_partner::{Client, CreatedAt, Operation, Order, OrderHistory, OrderState};

use crate::context::Context;
use crate::error::{BlockedBy, Failure, Kind};

/// How far back an open order is looked for.
pub const OPEN_WINDOW_MS: u64 = 7 * 24 * 3600 * 1000;

/// How long a success blocks another order for the SN.
pub const SUCCESS_WINDOW_MS: u64 = 24 * 3600 * 1000;

/// A read older than this is read again before an order is sent.
pub const FRESH_MS: u64 = 30_000;

/// [`FRESH_MS`], or `LINKUS_HISTORY_FRESH_MS` for tests that cannot wait 30 seconds.
pub fn fresh_ms() -> u64 {
    std::env::var("LINKUS_HISTORY_FRESH_MS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(FRESH_MS)
}

/// At most this many orders without an SN are looked up one by one in one read.
const LOOKUPS: usize = 200;

/// Look-ups asked for at once.
const LOOKUPS_AT_ONCE: usize = 16;

/// What a listed order is, as the rules read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Not final: pending, a status never seen before, or none.
    Open,
    Succeeded,
    /// Failed, invalid, cancelled or refunded: it neither blocks nor counts as done.
    Closed,
}

/// One order of the portal's list.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// The order number (its ID when the list gives no number).
    pub order_no: String,
    pub sn: Option<String>,
    /// `Some(false)` only when the list says it is for another product.
    pub linkus: Option<bool>,
    pub status: Option<String>,
    pub created: CreatedAt,
    /// The operation, where the list or Get Order Details says.
    pub operation: Option<Operation>,
}

impl Listed {
    pub fn of(order: &Order, now_ms: u64) -> Option<Listed> {
        let order_no = order
            .order_no
            .clone()
            .or_else(|| order.id.map(|id| id.to_string()))?;
        Some(Listed {
            order_no,
            sn: order
                .product_no
                .as_deref()
                .map(str::trim)
                .filter(|sn| !sn.is_empty())
                .map(str::to_owned),
            linkus: order.is_linkus(),
            status: order.order_status.clone(),
            created: CreatedAt::of(order, now_ms),
            operation: order.operation_type.as_deref().and_then(Operation::parse),
        })
    }

    pub fn standing(&self) -> Standing {
        let Some(status) = self.status.as_deref().map(str::trim) else {
            return Standing::Open;
        };
        if status.eq_ignore_ascii_case("refunded") {
            return Standing::Closed;
        }
        match yeastar_partner::OrderStatus::new(status).state() {
            OrderState::Succeeded => Standing::Succeeded,
            OrderState::Failed => Standing::Closed,
            OrderState::Open => Standing::Open,
        }
    }

    fn is_for(&self, sn: &str) -> bool {
        self.sn
            .as_deref()
            .is_some_and(|listed| listed.eq_ignore_ascii_case(sn.trim()))
    }

    /// Whether the order counts at all: Linkus (or product unknown), inside the open window.
    fn counts(&self, now_ms: u64) -> bool {
        self.linkus != Some(false) && self.created.is_since(now_ms.saturating_sub(OPEN_WINDOW_MS))
    }

    /// A success inside the 24 hours.
    fn recent_success(&self, now_ms: u64) -> bool {
        self.standing() == Standing::Succeeded
            && self
                .created
                .is_since(now_ms.saturating_sub(SUCCESS_WINDOW_MS))
    }
}

/// An order of the list that decides, with what the message needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub sn: String,
    pub order_no: String,
    pub status: String,
    pub standing: Standing,
    pub operation: Option<Operation>,
    /// By the portal's clock; `None` when the time cannot be read.
    pub age_ms: Option<u64>,
}

/// What the list says about an order for one SN and operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Clear,
    Blocked(Found),
    /// A batch row whose operation already succeeded in the last 24 hours.
    Already(Found),
}

/// The rules of the module's comment, for `sn` and `operation` at the portal's time `now_ms`.
/// `again` holds the `--again` order numbers, `known` the order numbers the local records
/// already know, `batch` whether this is a batch row.
pub fn decide(
    listed: &[Listed],
    sn: &str,
    operation: Operation,
    now_ms: u64,
    again: &[String],
    known: &HashSet<String>,
    batch: bool,
) -> Verdict {
    let named = |order_no: &str| {
        again
            .iter()
            .any(|a| a.trim().eq_ignore_ascii_case(order_no))
    };
    let found = |order: &Listed| Found {
        sn: sn.trim().to_owned(),
        order_no: order.order_no.clone(),
        status: order
            .status
            .clone()
            .unwrap_or_else(|| "(no status)".to_owned()),
        standing: order.standing(),
        operation: order.operation,
        age_ms: order.created.age_ms(now_ms),
    };
    let mut already = None;
    let candidates = listed
        .iter()
        .filter(|order| order.is_for(sn) && order.counts(now_ms))
        .filter(|order| !known.contains(&order.order_no));
    for order in candidates {
        match order.standing() {
            Standing::Open => return Verdict::Blocked(found(order)),
            Standing::Succeeded if order.recent_success(now_ms) && !named(&order.order_no) => {
                match (order.operation, batch) {
                    (Some(done), true) if done == operation => {
                        already.get_or_insert_with(|| found(order));
                    }
                    (Some(done), false) if done != operation => {}
                    _ => return Verdict::Blocked(found(order)),
                }
            }
            Standing::Succeeded | Standing::Closed => {}
        }
    }
    match already {
        Some(found) => Verdict::Already(found),
        None => Verdict::Clear,
    }
}

/// "12 min", "5 h", "3 d".
pub fn age_text(age_ms: u64) -> String {
    let minutes = age_ms / 60_000;
    match minutes {
        0..=59 => format!("{} min", minutes.max(1)),
        // Rounded: the portal's `Date` is to the second, so an order placed 3 hours ago may
        // read as 2 h 59 min 59 s.
        60..=2849 => format!("{} h", (minutes + 30) / 60),
        _ => format!("{} d", (minutes + 12 * 60) / (24 * 60)),
    }
}

impl Found {
    /// "3 h ago", or what stands for a time that cannot be read.
    pub fn ago(&self) -> String {
        match self.age_ms {
            Some(age) => format!("{} ago", age_text(age)),
            None => "at a time that cannot be read (counted as recent)".to_owned(),
        }
    }

    /// Exit 9, naming the order and its age by the portal's clock.
    pub fn failure(&self, again: &[String]) -> Failure {
        let Found {
            sn,
            order_no,
            status,
            ..
        } = self;
        let ago = self.ago();
        let mut failure = match self.standing {
            Standing::Open => Failure::new(
                Kind::Blocked,
                format!(
                    "The portal lists order {order_no} for SN {sn}, placed {ago} by the portal's clock and still {status}; nothing was sent."
                ),
            )
            .hint("It may have been placed from another machine or the portal's own pages: finish or cancel it in the Partner Portal (Orders & Billing > Orders) before ordering again.")
            .hint(format!(
                "`linkus orders show {order_no} --wait` waits until it is no longer open."
            )),
            Standing::Succeeded | Standing::Closed => {
                let what = match self.operation {
                    Some(operation) => format!("a {}", operation.name()),
                    None => "an order (the portal does not say whether a purchase, renewal or switch)".to_owned(),
                };
                let mut failure = Failure::new(
                    Kind::Blocked,
                    format!(
                        "SN {sn} already had {what} that succeeded {ago} by the portal's clock: order {order_no}, in the portal's order list. Nothing was sent."
                    ),
                );
                if !again.is_empty() {
                    failure = failure.hint(format!(
                        "--again {} does not name that order.",
                        again.join(", --again ")
                    ));
                }
                failure.hint(format!(
                    "If you mean to order again for this PBX, run the same command with `--again {order_no}`."
                ))
            }
        };
        failure.blocked_by = Some(BlockedBy {
            entry: None,
            order_no: Some(order_no.clone()),
            source: Some("portal"),
            pid: None,
            age: self.age_ms.map(age_text),
        });
        failure
    }
}

/// The portal's order list as read for the rules, with the orders' SNs filled in from Get
/// Order Details where the list left them out.
#[derive(Debug, Clone)]
pub struct PortalList {
    pub history: OrderHistory,
    pub listed: Vec<Listed>,
    /// Orders inside the window whose SN could not be told, even by Get Order Details.
    pub unknown_sn: Vec<String>,
}

impl PortalList {
    /// Reads the list back to 7 days before the portal's time, then looks up (concurrently)
    /// the Linkus orders inside that window whose SN the list does not give.
    pub async fn read(client: &Client) -> Result<PortalList, yeastar_partner::Error> {
        let history = client
            .order_history(|now| now.saturating_sub(OPEN_WINDOW_MS))
            .await?;
        let now = history.now_ms(client.clock().now_ms());
        let mut listed: Vec<Listed> = history
            .orders
            .iter()
            .filter_map(|order| Listed::of(order, now))
            .collect();
        let nameless: Vec<usize> = listed
            .iter()
            .enumerate()
            .filter(|(_, order)| order.sn.is_none() && order.counts(now))
            .map(|(index, _)| index)
            .collect();
        let (ask, left) = nameless.split_at(nameless.len().min(LOOKUPS));
        let found: Vec<(usize, Option<yeastar_partner::OrderDetails>)> =
            futures_util::stream::iter(ask.iter().copied())
                .map(|index| {
                    let order_no = listed[index].order_no.clone();
                    async move { (index, client.order_details(&order_no).await.ok()) }
                })
                .buffer_unordered(LOOKUPS_AT_ONCE)
                .collect()
                .await;
        for (index, details) in found {
            if let Some(details) = details {
                fill(&mut listed[index], &details);
            }
        }
        let unknown_sn = ask
            .iter()
            .chain(left.iter())
            .filter(|index| listed[**index].sn.is_none() && listed[**index].linkus != Some(false))
            .map(|index| listed[*index].order_no.clone())
            .collect();
        Ok(PortalList {
            history,
            listed,
            unknown_sn,
        })
    }

    /// The rules for one SN at the portal's time now. The operation of a recent success of
    /// this SN that the list does not name is looked up first (Get Order Details,
    /// concurrently): a success of another operation does not block a single order.
    #[allow(clippy::too_many_arguments)]
    pub async fn check_sn(
        &self,
        client: &Client,
        sn: &str,
        operation: Operation,
        local_now_ms: u64,
        again: &[String],
        known: &HashSet<String>,
        batch: bool,
    ) -> Verdict {
        let now = self.history.now_ms(local_now_ms);
        let mut mine: Vec<Listed> = self
            .listed
            .iter()
            .filter(|order| order.is_for(sn) && order.counts(now))
            .cloned()
            .collect();
        let wanted: Vec<usize> = mine
            .iter()
            .enumerate()
            .filter(|(_, order)| {
                order.operation.is_none()
                    && order.recent_success(now)
                    && !known.contains(&order.order_no)
            })
            .map(|(index, _)| index)
            .take(LOOKUPS)
            .collect();
        let found: Vec<(usize, Option<yeastar_partner::OrderDetails>)> =
            futures_util::stream::iter(wanted)
                .map(|index| {
                    let order_no = mine[index].order_no.clone();
                    async move { (index, client.order_details(&order_no).await.ok()) }
                })
                .buffer_unordered(LOOKUPS_AT_ONCE)
                .collect()
                .await;
        for (index, details) in found {
            if let Some(details) = details {
                fill(&mut mine[index], &details);
            }
        }
        decide(&mine, sn, operation, now, again, known, batch)
    }

    /// How old the read is, by this machine's clock.
    pub fn age_ms(&self, local_now_ms: u64) -> u64 {
        local_now_ms.saturating_sub(self.history.local_ms)
    }

    /// The warnings a run prints about this read: a partial read, orders whose SN could not
    /// be told, a clock that disagrees with the portal's.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.history.capped {
            warnings.push(format!(
                "the portal's order list has more than {} orders in the last 7 days; only the newest {} were checked for earlier orders of the SN (the check was partial).",
                yeastar_partner::HISTORY_CAP,
                self.history.orders.len()
            ));
        }
        if !self.unknown_sn.is_empty() {
            warnings.push(format!(
                "{} order{} in the portal's list ({}) could not be told apart by SN, even with Get Order Details, so they were not checked against this PBX. `linkus doctor` reports the list's shape.",
                self.unknown_sn.len(),
                if self.unknown_sn.len() == 1 { "" } else { "s" },
                self.unknown_sn.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        if let Some(skew) = self.history.skew_ms() {
            if skew.unsigned_abs() > 5 * 60 * 1000 {
                warnings.push(format!(
                    "this machine's clock is {} {} the portal's (its Date header); portal times are compared with the portal's clock.",
                    age_text(skew.unsigned_abs()),
                    if skew > 0 { "ahead of" } else { "behind" }
                ));
            }
        }
        warnings
    }
}

/// What Get Order Details adds to a listed order.
fn fill(order: &mut Listed, details: &yeastar_partner::OrderDetails) {
    if order.sn.is_none() {
        order.sn = details
            .product_no
            .as_deref()
            .map(str::trim)
            .filter(|sn| !sn.is_empty())
            .map(str::to_owned);
    }
    if order.linkus.is_none() {
        order.linkus = yeastar_partner::product_is_linkus(details.product_id.as_deref());
    }
    if order.operation.is_none() {
        order.operation = details.operation_type.as_deref().and_then(Operation::parse);
    }
}

/// The order numbers the local records already know for an SN: theirs to judge.
pub fn known_in(history: &crate::guard::History) -> HashSet<String> {
    history
        .orders
        .iter()
        .filter_map(|(_, state)| match state {
            crate::journal::State::Succeeded { order_no } => order_no.clone(),
            crate::journal::State::Open { order_no, .. } => Some(order_no.clone()),
            _ => None,
        })
        .collect()
}

/// The `--again` order numbers as a list.
pub fn again_list(again: Option<&str>) -> Vec<String> {
    again.into_iter().map(str::to_owned).collect()
}

/// A list that cannot be read stops the order: nothing sent, exit 6 (a refused token keeps
/// its own kind, 4).
pub fn unreadable(error: yeastar_partner::Error) -> anyhow::Error {
    let (kind, _) = crate::error::classify(&error);
    if kind == Kind::Auth {
        return anyhow::Error::from(error).context("Could not read the portal's order list");
    }
    Failure::new(
        Kind::Network,
        format!(
            "Could not read the portal's order list, which every order is checked against for orders placed from other machines, so nothing was sent: {error}"
        ),
    )
    .about(&error)
    .hint("Run the command again when the portal answers; nothing was bought.")
    .into()
}

/// Reads the list before an order and says what a user should know about the read.
pub async fn read_for_order(ctx: &Context, client: &Client) -> anyhow::Result<PortalList> {
    let list = PortalList::read(client).await.map_err(unreadable)?;
    for warning in list.warnings() {
        ctx.out.warn(&warning);
    }
    Ok(list)
}

/// The list shared by the rows of a batch: read once, read again when an order is about to be
/// sent on a read older than [`FRESH_MS`] (one re-read for all rows).
pub struct SharedList {
    list: tokio::sync::Mutex<std::sync::Arc<PortalList>>,
}

impl SharedList {
    pub fn new(list: PortalList) -> Self {
        SharedList {
            list: tokio::sync::Mutex::new(std::sync::Arc::new(list)),
        }
    }

    /// The list, read again first when the last read is older than [`fresh_ms`].
    pub async fn fresh(
        &self,
        ctx: &Context,
        client: &Client,
    ) -> anyhow::Result<std::sync::Arc<PortalList>> {
        let mut list = self.list.lock().await;
        if list.age_ms(ctx.clock.now_ms()) >= fresh_ms() {
            *list = std::sync::Arc::new(read_for_order(ctx, client).await?);
        }
        Ok(list.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_795_000_000_000;
    const HOUR: u64 = 3600 * 1000;
    const SN: &str = "369471667338";

    fn listed(no: &str, status: &str, age_ms: u64, operation: Option<Operation>) -> Listed {
        Listed {
            order_no: no.to_owned(),
            sn: Some(SN.to_owned()),
            linkus: Some(true),
            status: Some(status.to_owned()),
            created: CreatedAt::At(NOW - age_ms),
            operation,
        }
    }

    fn single(list: &[Listed], operation: Operation, again: &[&str]) -> Verdict {
        let again: Vec<String> = again.iter().map(|a| (*a).to_owned()).collect();
        decide(list, SN, operation, NOW, &again, &HashSet::new(), false)
    }

    fn batch(list: &[Listed], operation: Operation) -> Verdict {
        decide(list, SN, operation, NOW, &[], &HashSet::new(), true)
    }

    fn blocked_by(verdict: &Verdict) -> Option<&str> {
        match verdict {
            Verdict::Blocked(found) => Some(found.order_no.as_str()),
            _ => None,
        }
    }

    #[test]
    fn an_open_order_blocks_every_operation_for_seven_days() {
        for status in ["pending", "confirming", "", "PENDING"] {
            let list = [listed("LR1", status, 6 * 24 * HOUR, None)];
            for operation in [Operation::Purchase, Operation::Renew, Operation::Switch] {
                assert_eq!(blocked_by(&single(&list, operation, &[])), Some("LR1"));
                assert_eq!(blocked_by(&batch(&list, operation)), Some("LR1"));
            }
            // --again names successes, not orders still open.
            assert_eq!(
                blocked_by(&single(&list, Operation::Renew, &["LR1"])),
                Some("LR1")
            );
        }
        let mut no_status = listed("LR2", "x", HOUR, None);
        no_status.status = None;
        assert_eq!(
            blocked_by(&single(&[no_status], Operation::Renew, &[])),
            Some("LR2")
        );
        let old = [listed("LR1", "pending", 7 * 24 * HOUR + 1, None)];
        assert_eq!(single(&old, Operation::Renew, &[]), Verdict::Clear);
    }

    #[test]
    fn a_success_blocks_the_same_operation_for_24_hours_unless_named() {
        let list = [listed("LR9", "succeed", 23 * HOUR, Some(Operation::Renew))];
        assert_eq!(
            blocked_by(&single(&list, Operation::Renew, &[])),
            Some("LR9")
        );
        assert_eq!(single(&list, Operation::Switch, &[]), Verdict::Clear);
        assert_eq!(single(&list, Operation::Renew, &["lr9"]), Verdict::Clear);
        assert_eq!(
            single(&list, Operation::Renew, &["LR1", "LR9"]),
            Verdict::Clear
        );
        assert!(single(&list, Operation::Renew, &["LR1"]) != Verdict::Clear);
        let old = [listed("LR9", "succeed", 30 * HOUR, Some(Operation::Renew))];
        assert_eq!(single(&old, Operation::Renew, &[]), Verdict::Clear);
    }

    #[test]
    fn a_success_whose_operation_nothing_gives_blocks_every_operation() {
        let list = [listed("LR9", "succeed", HOUR, None)];
        for operation in [Operation::Purchase, Operation::Renew, Operation::Switch] {
            assert_eq!(blocked_by(&single(&list, operation, &[])), Some("LR9"));
            assert_eq!(blocked_by(&batch(&list, operation)), Some("LR9"));
        }
        assert_eq!(single(&list, Operation::Renew, &["LR9"]), Verdict::Clear);
    }

    #[test]
    fn in_a_batch_the_same_operation_is_already_done_and_another_blocks() {
        let list = [listed("LR9", "succeed", HOUR, Some(Operation::Renew))];
        match batch(&list, Operation::Renew) {
            Verdict::Already(found) => assert_eq!(found.order_no, "LR9"),
            other => panic!("{other:?}"),
        }
        assert_eq!(blocked_by(&batch(&list, Operation::Switch)), Some("LR9"));
        // An open order beside it blocks, whatever the order of the list.
        let both = [
            listed("LR9", "succeed", HOUR, Some(Operation::Renew)),
            listed("LR8", "pending", 2 * HOUR, Some(Operation::Renew)),
        ];
        assert_eq!(blocked_by(&batch(&both, Operation::Renew)), Some("LR8"));
    }

    #[test]
    fn failures_refunds_other_products_other_sns_and_known_orders_do_not_count() {
        for status in ["failed", "invalid", "cancelled", "refunded"] {
            let list = [listed("LR1", status, HOUR, None)];
            assert_eq!(single(&list, Operation::Purchase, &[]), Verdict::Clear);
        }
        let mut other_product = listed("LR1", "pending", HOUR, None);
        other_product.linkus = Some(false);
        assert_eq!(
            single(&[other_product], Operation::Purchase, &[]),
            Verdict::Clear
        );
        let mut unknown_product = listed("LR1", "pending", HOUR, None);
        unknown_product.linkus = None;
        assert!(single(&[unknown_product], Operation::Purchase, &[]) != Verdict::Clear);
        let mut other_sn = listed("LR1", "pending", HOUR, None);
        other_sn.sn = Some("OTHER".into());
        assert_eq!(
            single(&[other_sn], Operation::Purchase, &[]),
            Verdict::Clear
        );
        // SNs compare without case.
        let mut lower = listed("LR1", "pending", HOUR, None);
        lower.sn = Some("ab12".to_owned());
        let verdict = decide(
            &[lower],
            " AB12 ",
            Operation::Purchase,
            NOW,
            &[],
            &HashSet::new(),
            false,
        );
        assert!(verdict != Verdict::Clear);
        let known = HashSet::from(["LR1".to_owned()]);
        let list = [listed("LR1", "pending", HOUR, None)];
        assert_eq!(
            decide(&list, SN, Operation::Renew, NOW, &[], &known, false),
            Verdict::Clear
        );
    }

    #[test]
    fn a_time_that_cannot_be_read_counts_as_recent() {
        let mut odd = listed("LR5", "succeed", 0, Some(Operation::Renew));
        odd.created = CreatedAt::Unreadable;
        let verdict = single(&[odd], Operation::Renew, &[]);
        let Verdict::Blocked(found) = verdict else {
            panic!("{verdict:?}")
        };
        assert_eq!(found.age_ms, None);
        let failure = found.failure(&[]);
        assert!(
            failure.message.contains("cannot be read"),
            "{}",
            failure.message
        );
    }

    #[test]
    fn the_block_names_the_order_and_its_age_by_the_portals_clock() {
        let list = [listed(
            "LR9",
            "succeed",
            3 * HOUR + 5,
            Some(Operation::Renew),
        )];
        let Verdict::Blocked(found) = single(&list, Operation::Renew, &["LR1"]) else {
            panic!()
        };
        let failure = found.failure(&["LR1".to_owned()]);
        assert_eq!(failure.kind, Kind::Blocked);
        assert!(
            failure.message.contains(
                "already had a renew that succeeded 3 h ago by the portal's clock: order LR9"
            ),
            "{}",
            failure.message
        );
        let hints = failure.hints.join(" ");
        assert!(hints.contains("--again LR1 does not name"), "{hints}");
        assert!(hints.contains("`--again LR9`"), "{hints}");
        assert_eq!(failure.blocked_by.unwrap().order_no.as_deref(), Some("LR9"));
        let open = [listed("LR7", "pending", 12 * 60_000, None)];
        let Verdict::Blocked(found) = single(&open, Operation::Purchase, &[]) else {
            panic!()
        };
        let message = found.failure(&[]).message;
        assert!(
            message.contains("order LR7")
                && message.contains("12 min ago")
                && message.contains("pending"),
            "{message}"
        );
    }

    #[test]
    fn ages_read_naturally() {
        assert_eq!(age_text(0), "1 min");
        assert_eq!(age_text(59 * 60_000), "59 min");
        assert_eq!(age_text(HOUR), "1 h");
        assert_eq!(age_text(47 * HOUR), "47 h");
        assert_eq!(age_text(72 * HOUR), "3 d");
    }

    #[test]
    fn listed_orders_are_read_leniently() {
        let order: Order = serde_json::from_value(serde_json::json!({
            "id": "3206190457467703296", "orderStatus": "succeed",
            "createTime": (NOW - HOUR) / 1000, "productNo": " 369471667338 ",
            "productId": 9, "operationType": "renew_plan"
        }))
        .unwrap();
        let listed = Listed::of(&order, NOW).unwrap();
        assert_eq!(listed.order_no, "3206190457467703296");
        assert_eq!(listed.sn.as_deref(), Some(SN));
        assert_eq!(listed.created, CreatedAt::At(NOW - HOUR));
        assert_eq!(listed.operation, Some(Operation::Renew));
        assert_eq!(listed.linkus, Some(true));
        assert_eq!(listed.standing(), Standing::Succeeded);
        let nameless: Order =
            serde_json::from_value(serde_json::json!({"orderStatus": "x"})).unwrap();
        assert_eq!(Listed::of(&nameless, NOW), None);
    }
}
