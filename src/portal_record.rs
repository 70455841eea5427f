//! The portal's order list as a record every machine shares (CLI.md section 3, "The portal's
//! order list is a record every machine shares"; partner-api.md 10.11): one of the stores of
//! [`crate::records`], read-only, its orders judged by the one decision,
//! [`crate::guard::decide`], beside the local records'.
//!
//! The local records (the journal, the lock folder's record) protect the runs of one machine;
//! an order placed from another machine, a CI runner whose files are gone, or the portal's own
//! pages is only in the portal's list. Before an order the list is read newest first back to
//! [`OPEN_WINDOW_MS`] by the portal's clock ([`PortalList::read`]), and the SN's orders in it
//! become earlier orders ([`PortalList::earlier_for`]) tagged [`Source::Portal`]:
//!
//! - only Linkus orders count (an order whose product cannot be told counts), and an open one
//!   only within 7 days; an item without an SN in the window is looked up (Get Order Details);
//! - the operation of a recent success is the list's or Get Order Details'; where neither
//!   says, it counts as any operation; in a batch a success of another operation blocks too;
//! - a creation time that cannot be read, lies before 2015 or more than 5 minutes in the
//!   portal's future is not a possible time: it blocks (fail closed);
//! - orders the local records already know (by number) are theirs to judge, not counted twice.

use crate::portal_clock::EpochClock as _;
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, StreamExt};
use yeastar_partner::{Client, CreatedAt, Operation, Order, OrderHistory, OrderState};

use crate::error::{Failure, Kind};
use crate::guard::{Clock, Earlier, Look, Source, Stamp, Status};
use crate::journal::{Entry, Intent};
use crate::output::Output;
use crate::records::{Check, Claim, Store};

/// How far back an open order is looked for.
pub const OPEN_WINDOW_MS: u64 = 7 * 24 * 3600 * 1000;

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
    /// `createTime` as listed, for messages about a time that cannot be read.
    pub create_time: Option<u64>,
    /// The operation, where the list or Get Order Details says.
    pub operation: Option<Operation>,
}

impl Listed {
    pub fn of(order: &Order, now_ms: u64) -> Option<Listed> {
        let order_no = order
            .order_no
            .as_deref()
            .map(str::to_owned)
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
            created: CreatedAt::of(order, crate::portal_clock::from_ms(now_ms)),
            create_time: order.create_time,
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
        self.linkus != Some(false)
            && self.created.is_since(crate::portal_clock::from_ms(
                now_ms.saturating_sub(OPEN_WINDOW_MS),
            ))
    }

    /// A success inside the 24 hours.
    fn recent_success(&self, now_ms: u64) -> bool {
        self.standing() == Standing::Succeeded
            && self.created.is_since(crate::portal_clock::from_ms(
                now_ms.saturating_sub(crate::guard::RECENT_MS),
            ))
    }

    /// The order as the guard's earlier order.
    pub fn earlier(&self) -> Earlier {
        let status = match self.standing() {
            Standing::Open => Status::Open {
                status: self
                    .status
                    .clone()
                    .unwrap_or_else(|| "(no status)".to_owned()),
                // The list was just read: it is the fresh look.
                look: Look::StillOpen,
            },
            Standing::Succeeded => Status::Succeeded,
            Standing::Closed => Status::Closed,
        };
        let (at, at_text) = match self.created {
            CreatedAt::At(at) => (
                Stamp::At {
                    ms: crate::portal_clock::epoch_ms(at),
                    clock: Clock::Portal,
                },
                crate::portal_clock::rfc3339(crate::portal_clock::epoch_ms(at)),
            ),
            CreatedAt::Unreadable => (
                Stamp::Unreadable,
                match self.create_time {
                    Some(raw) => format!("createTime {raw}"),
                    None => "no createTime".to_owned(),
                },
            ),
        };
        Earlier {
            source: Source::Portal,
            entry: None,
            order_no: Some(self.order_no.clone()),
            operation: self.operation,
            plan_id: None,
            status,
            at,
            at_text,
            host: None,
            user: None,
            pid: None,
        }
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
            .order_history(|now| {
                crate::portal_clock::from_ms(
                    crate::portal_clock::epoch_ms(now).saturating_sub(OPEN_WINDOW_MS),
                )
            })
            .await?;
        let now = crate::portal_clock::epoch_ms(history.portal_now(client.clock().now()));
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
        look_up_details(client, &mut listed, ask.iter().copied()).await;
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

    /// The SN's orders in the list as the guard's earlier orders (oldest first), at the
    /// portal's time now. The operation of a recent success that the list does not name is
    /// looked up first (Get Order Details, concurrently). For a batch row, a recent success of
    /// another operation counts as any operation: it blocks the row (CLI.md section 3).
    pub async fn earlier_for(
        &self,
        client: &Client,
        sn: &str,
        operation: Operation,
        local_now_ms: u64,
        batch_row: bool,
    ) -> Vec<Earlier> {
        let now = crate::portal_clock::epoch_ms(
            self.history
                .portal_now(crate::portal_clock::from_ms(local_now_ms)),
        );
        let mut mine = of_sn(&self.listed, sn, now);
        let wanted: Vec<usize> = mine
            .iter()
            .enumerate()
            .filter(|(_, order)| order.operation.is_none() && order.recent_success(now))
            .map(|(index, _)| index)
            .take(LOOKUPS)
            .collect();
        look_up_details(client, &mut mine, wanted).await;
        as_earlier(&mine, operation, now, batch_row)
    }

    /// How old the read is, by this machine's clock.
    pub fn age_ms(&self, local_now_ms: u64) -> u64 {
        local_now_ms.saturating_sub(crate::portal_clock::epoch_ms(self.history.local_time))
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
        if let Some(skew) = self.history.skew() {
            let span = u64::try_from(skew.span().as_millis()).unwrap_or(u64::MAX);
            if span > 5 * 60 * 1000 {
                warnings.push(format!(
                    "this machine's clock is {} {} the portal's (its Date header); portal times are compared with the portal's clock.",
                    span_text(span),
                    if matches!(skew, yeastar_partner::Skew::Ahead(_)) { "ahead of" } else { "behind" }
                ));
            }
        }
        warnings
    }
}

/// The listed orders (newest first) that count for the SN at the portal's time `now`.
fn of_sn(listed: &[Listed], sn: &str, now: u64) -> Vec<Listed> {
    listed
        .iter()
        .filter(|order| order.is_for(sn) && order.counts(now))
        .cloned()
        .collect()
}

/// The SN's listed orders as the guard's earlier orders, oldest first. For a batch row, a
/// recent success of another operation counts as any operation: it blocks the row.
fn as_earlier(mine: &[Listed], operation: Operation, now: u64, batch_row: bool) -> Vec<Earlier> {
    mine.iter()
        .rev()
        .map(|order| {
            let mut earlier = order.earlier();
            if batch_row
                && order.recent_success(now)
                && order.operation.is_some_and(|done| done != operation)
            {
                earlier.operation = None;
            }
            earlier
        })
        .collect()
}

/// "12 min", "2 h".
fn span_text(ms: u64) -> String {
    let minutes = ms / 60_000;
    if minutes < 60 {
        format!("{} min", minutes.max(1))
    } else {
        format!("{} h", (minutes + 30) / 60)
    }
}

/// Looks these orders up (Get Order Details, a few at once) and fills in what the list left
/// out; an order that cannot be looked up stays as the list gave it.
async fn look_up_details(
    client: &Client,
    orders: &mut [Listed],
    indices: impl IntoIterator<Item = usize>,
) {
    let asked: Vec<(usize, String)> = indices
        .into_iter()
        .map(|index| (index, orders[index].order_no.clone()))
        .collect();
    let found: Vec<(usize, Option<yeastar_partner::OrderDetails>)> = futures_util::stream::iter(
        asked,
    )
    .map(|(index, order_no)| async move { (index, client.order_details(&order_no).await.ok()) })
    .buffer_unordered(LOOKUPS_AT_ONCE)
    .collect()
    .await;
    for (index, details) in found {
        if let Some(details) = details {
            fill(&mut orders[index], &details);
        }
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

/// A list that cannot be read stops the order: nothing sent, exit 6 (a refused token keeps
/// its own kind, 4).
pub fn unreadable(error: yeastar_partner::Error) -> anyhow::Error {
    if Kind::from(&error) == Kind::Auth {
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
pub async fn read_for_order(out: &Output, client: &Client) -> anyhow::Result<PortalList> {
    let list = PortalList::read(client).await.map_err(unreadable)?;
    for warning in list.warnings() {
        out.warn(&warning);
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
        out: &Output,
        clock: &dyn yeastar_partner::Clock,
        client: &Client,
    ) -> anyhow::Result<std::sync::Arc<PortalList>> {
        let mut list = self.list.lock().await;
        if list.age_ms(clock.now_ms()) >= fresh_ms() {
            *list = std::sync::Arc::new(read_for_order(out, client).await?);
        }
        Ok(list.clone())
    }
}

/// The portal's order list as a store of earlier orders: read-only, required (a list that
/// cannot be read stops the order before this store is asked), its orders those of one read
/// for the SN ([`PortalList::earlier_for`]).
pub struct PortalStore {
    earlier: Vec<Earlier>,
}

impl PortalStore {
    pub fn new(earlier: Vec<Earlier>) -> Self {
        PortalStore { earlier }
    }
}

impl Store for PortalStore {
    fn source(&self) -> Source {
        Source::Portal
    }

    fn required(&self) -> bool {
        true
    }

    fn read(&self) -> BoxFuture<'_, anyhow::Result<Vec<Earlier>>> {
        async move { Ok(self.earlier.clone()) }.boxed()
    }

    fn claim<'a>(
        &'a self,
        _intent: &'a Intent,
        check: &'a Check<'a>,
    ) -> BoxFuture<'a, anyhow::Result<Claim>> {
        async move {
            Ok(match check(&self.earlier) {
                Ok(()) => Claim::Checked,
                Err(failure) => Claim::Refused(Box::new(failure)),
            })
        }
        .boxed()
    }

    /// The portal records its own orders.
    fn settle<'a>(&'a self, _entry: &'a Entry) -> BoxFuture<'a, anyhow::Result<()>> {
        async move { Ok(()) }.boxed()
    }

    fn records_outcomes(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::{decide, Ask, Decision, Now, Pass, Why};

    const NOW: u64 = 1_795_000_000_000;
    const HOUR: u64 = 3600 * 1000;
    const SN: &str = "369471667338";

    fn listed(no: &str, status: &str, age_ms: u64, operation: Option<Operation>) -> Listed {
        Listed {
            order_no: no.to_owned(),
            sn: Some(SN.to_owned()),
            linkus: Some(true),
            status: Some(status.to_owned()),
            created: CreatedAt::At(crate::portal_clock::from_ms(NOW - age_ms)),
            create_time: Some(NOW - age_ms),
            operation,
        }
    }

    /// The SN's orders as `earlier_for` gives them (without its look-ups), judged by the guard
    /// with the portal's clock at NOW and this machine's an hour ahead.
    fn judge(
        list: &[Listed],
        sn: &str,
        operation: Operation,
        again: &[&str],
        batch_row: bool,
    ) -> Decision {
        let again: Vec<String> = again.iter().map(|a| (*a).to_owned()).collect();
        let earlier = as_earlier(&of_sn(list, sn, NOW), operation, NOW, batch_row);
        decide(
            &earlier,
            &Ask {
                sn,
                operation,
                now: Now {
                    local_ms: NOW + HOUR,
                    portal_ms: Some(NOW),
                },
                again: &again,
                pass: Pass::Final,
                batch_row,
            },
        )
    }

    fn single(list: &[Listed], operation: Operation, again: &[&str]) -> Decision {
        judge(list, SN, operation, again, false)
    }

    fn batch(list: &[Listed], operation: Operation) -> Decision {
        judge(list, SN, operation, &[], true)
    }

    fn blocked_by(decision: &Decision) -> Option<&str> {
        match decision {
            Decision::Blocked(block) => block.earlier.order_no.as_deref(),
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
        assert_eq!(single(&old, Operation::Renew, &[]), Decision::Clear);
    }

    #[test]
    fn a_success_blocks_the_same_operation_for_24_hours_by_the_portals_clock_unless_named() {
        let list = [listed("LR9", "succeed", 23 * HOUR, Some(Operation::Renew))];
        // This machine's clock (an hour ahead) would make it 24 hours old.
        assert_eq!(
            blocked_by(&single(&list, Operation::Renew, &[])),
            Some("LR9")
        );
        assert_eq!(single(&list, Operation::Switch, &[]), Decision::Clear);
        assert_eq!(single(&list, Operation::Renew, &["lr9"]), Decision::Clear);
        assert_eq!(
            single(&list, Operation::Renew, &["LR1", "LR9"]),
            Decision::Clear
        );
        assert!(single(&list, Operation::Renew, &["LR1"]) != Decision::Clear);
        let old = [listed("LR9", "succeed", 30 * HOUR, Some(Operation::Renew))];
        assert_eq!(single(&old, Operation::Renew, &[]), Decision::Clear);
    }

    #[test]
    fn a_success_whose_operation_nothing_gives_blocks_every_operation() {
        let list = [listed("LR9", "succeed", HOUR, None)];
        for operation in [Operation::Purchase, Operation::Renew, Operation::Switch] {
            assert_eq!(blocked_by(&single(&list, operation, &[])), Some("LR9"));
            assert_eq!(blocked_by(&batch(&list, operation)), Some("LR9"));
        }
        assert_eq!(single(&list, Operation::Renew, &["LR9"]), Decision::Clear);
    }

    #[test]
    fn in_a_batch_the_same_operation_is_already_done_and_another_blocks() {
        let list = [listed("LR9", "succeed", HOUR, Some(Operation::Renew))];
        match batch(&list, Operation::Renew) {
            Decision::Already(earlier) => assert_eq!(earlier.order_no.as_deref(), Some("LR9")),
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
    fn failures_refunds_other_products_and_other_sns_do_not_count() {
        for status in ["failed", "invalid", "cancelled", "refunded"] {
            let list = [listed("LR1", status, HOUR, None)];
            assert_eq!(single(&list, Operation::Purchase, &[]), Decision::Clear);
        }
        let mut other_product = listed("LR1", "pending", HOUR, None);
        other_product.linkus = Some(false);
        assert_eq!(
            single(&[other_product], Operation::Purchase, &[]),
            Decision::Clear
        );
        let mut unknown_product = listed("LR1", "pending", HOUR, None);
        unknown_product.linkus = None;
        assert!(single(&[unknown_product], Operation::Purchase, &[]) != Decision::Clear);
        let mut other_sn = listed("LR1", "pending", HOUR, None);
        other_sn.sn = Some("OTHER".into());
        assert_eq!(
            single(&[other_sn], Operation::Purchase, &[]),
            Decision::Clear
        );
        // SNs compare without case.
        let mut lower = listed("LR1", "pending", HOUR, None);
        lower.sn = Some("ab12".to_owned());
        assert!(judge(&[lower], " AB12 ", Operation::Purchase, &[], false) != Decision::Clear);
    }

    #[test]
    fn an_order_a_local_record_knows_is_not_counted_twice() {
        // The journal knows LR1 as a renewal that succeeded; the portal does not say which
        // operation it was. The journal's word stands: a switch goes through.
        let portal = listed("LR1", "succeed", HOUR, None).earlier();
        let journal = Earlier {
            source: Source::Journal,
            entry: Some("e1".into()),
            operation: Some(Operation::Renew),
            at: Stamp::At {
                ms: NOW + HOUR - HOUR,
                clock: Clock::Local,
            },
            ..portal.clone()
        };
        let ask = |operation| Ask {
            sn: SN,
            operation,
            now: Now {
                local_ms: NOW + HOUR,
                portal_ms: Some(NOW),
            },
            again: &[],
            pass: Pass::Final,
            batch_row: false,
        };
        let both = [journal, portal.clone()];
        assert_eq!(decide(&both, &ask(Operation::Switch)), Decision::Clear);
        assert!(blocked_by(&decide(&[portal], &ask(Operation::Switch))).is_some());
    }

    #[test]
    fn a_time_that_cannot_be_read_blocks() {
        let mut odd = listed("LR5", "succeed", 0, Some(Operation::Renew));
        odd.created = CreatedAt::Unreadable;
        odd.create_time = Some(1_400_000_000);
        let Decision::Blocked(block) = single(&[odd], Operation::Renew, &[]) else {
            panic!()
        };
        assert_eq!(block.why, Why::Unreadable);
        let failure = block.failure(&[]);
        assert!(
            failure.message.contains("createTime 1400000000"),
            "{}",
            failure.message
        );
    }

    #[test]
    fn the_block_names_the_order_its_age_and_the_portal() {
        let list = [listed(
            "LR9",
            "succeed",
            3 * HOUR + 5,
            Some(Operation::Renew),
        )];
        let Decision::Blocked(block) = single(&list, Operation::Renew, &["LR1"]) else {
            panic!()
        };
        let failure = block.failure(&["LR1".to_owned()]);
        assert_eq!(failure.kind, Kind::Blocked);
        assert!(
            failure.message.contains("3 h ago")
                && failure.message.contains("order LR9")
                && failure.message.contains("the portal's order list"),
            "{}",
            failure.message
        );
        let hints = failure.hints.join(" ");
        assert!(hints.contains("--again LR1 does not name"), "{hints}");
        assert!(hints.contains("`--again LR9`"), "{hints}");
        let blocked_by = failure.blocked_by.unwrap();
        assert_eq!(blocked_by.order_no.as_deref(), Some("LR9"));
        let open = [listed("LR7", "pending", 12 * 60_000, None)];
        let Decision::Blocked(block) = single(&open, Operation::Purchase, &[]) else {
            panic!()
        };
        let message = block.failure(&[]).message;
        assert!(
            message.contains("order LR7")
                && message.contains("12 min ago")
                && message.contains("pending"),
            "{message}"
        );
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
        assert_eq!(
            listed.created,
            CreatedAt::At(crate::portal_clock::from_ms(NOW - HOUR))
        );
        assert_eq!(listed.operation, Some(Operation::Renew));
        assert_eq!(listed.linkus, Some(true));
        assert_eq!(listed.standing(), Standing::Succeeded);
        let nameless: Order =
            serde_json::from_value(serde_json::json!({"orderStatus": "x"})).unwrap();
        assert_eq!(Listed::of(&nameless, NOW), None);
    }
}
