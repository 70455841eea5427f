//! Query Order List read as a record of earlier orders (CLI.md section 3, "The portal's order
//! list is a record every machine shares"; partner-api.md 10.11).
//!
//! The list takes no filter, so it is read newest first back to a window start that the caller
//! derives from the **portal's** clock (its `Date` header): the first page says what time it
//! is at the portal and how many orders there are; the further pages the window needs are then
//! asked for concurrently, up to a cap. Paging stops early only on a page that is itself
//! sorted newest first and reaches past the window start; a list that is not sorted is read on
//! to the cap.

use futures_util::StreamExt;

use crate::client::Client;
use std::time::{Duration, SystemTime};

use crate::clock::{epoch_ms, from_ms, now_ms, portal_time_ms};
use crate::error::Error;
use crate::model::{Order, Page};

/// Orders asked for per page (the portal's answer says what it used, and that is believed).
pub const HISTORY_PAGE_SIZE: u64 = 100;

/// The most orders read: past it, the read says it is partial.
pub const HISTORY_CAP: u64 = 2000;

/// Further pages asked for at once: enough for the cap at 100 orders a page in one wave.
const PAGES_AT_ONCE: usize = 20;

/// The earliest time an order can have (1 January 2015, UTC): an earlier `createTime` is read
/// as a time that cannot be trusted.
pub(crate) const EARLIEST_MS: u64 = 1_420_070_400_000;

/// How far in the portal's future an order's time may lie before it cannot be trusted.
pub(crate) const FUTURE_SLACK_MS: u64 = 5 * 60 * 1000;

/// An order's creation time as the list gives it, read by the contract's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreatedAt {
    /// When, by the portal's clock.
    At(SystemTime),
    /// Missing, before 2015, or more than 5 minutes in the portal's future: counts as recent.
    Unreadable,
}

impl CreatedAt {
    /// `createTime` (seconds below 10^11, else milliseconds), judged against the portal's
    /// time `now`.
    pub fn of(order: &Order, now: SystemTime) -> CreatedAt {
        let now_ms = epoch_ms(now);
        match created_ms(order) {
            Some(ms) if ms >= EARLIEST_MS && ms <= now_ms.saturating_add(FUTURE_SLACK_MS) => {
                CreatedAt::At(from_ms(ms))
            }
            _ => CreatedAt::Unreadable,
        }
    }

    /// How long ago, by the portal's clock `now`: `None` for a time that cannot be read.
    pub fn age(self, now: SystemTime) -> Option<Duration> {
        match self {
            CreatedAt::At(at) => Some(now.duration_since(at).unwrap_or_default()),
            CreatedAt::Unreadable => None,
        }
    }

    /// Whether the order was created at or after `since`; a time that cannot be read is
    /// always inside (fail closed).
    pub fn is_since(self, since: SystemTime) -> bool {
        match self {
            CreatedAt::At(at) => at >= since,
            CreatedAt::Unreadable => true,
        }
    }
}

/// How far this machine's clock is from the portal's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skew {
    /// This machine's clock is ahead of the portal's by this much (or equal).
    Ahead(Duration),
    /// This machine's clock is behind the portal's by this much.
    Behind(Duration),
}

impl Skew {
    /// How far apart the clocks are, either way.
    pub fn span(self) -> Duration {
        match self {
            Skew::Ahead(span) | Skew::Behind(span) => span,
        }
    }
}

/// The portal's order list, newest first, as far back as a window start.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OrderHistory {
    /// The orders read, in the order the pages listed them.
    pub orders: Vec<Order>,
    /// The portal's time when the first page was answered (its `Date` header); `None` when
    /// the answer had no `Date` header.
    pub portal_time: Option<SystemTime>,
    /// This machine's clock at the same moment.
    pub local_time: SystemTime,
    /// The window start asked for, by the portal's clock.
    pub since: SystemTime,
    /// Pages read.
    pub pages: u64,
    /// The page size the portal used.
    pub page_size: u64,
    /// Orders in the whole list, where the portal says.
    pub total: Option<u64>,
    /// The read stopped at [`HISTORY_CAP`] before it reached the window start.
    pub capped: bool,
    /// A page after the first that could not be read, for a caller that takes a partial list
    /// ([`Client::order_history_partial`]); the orders before it are kept.
    pub unread: Option<Error>,
}

impl OrderHistory {
    /// The portal's time now, from the `Date` of the first page and how long ago that was on
    /// this machine's clock; this machine's time when the portal sent no `Date`.
    pub fn portal_now(&self, local_now: SystemTime) -> SystemTime {
        match self.portal_time {
            Some(portal) => {
                portal
                    + local_now
                        .duration_since(self.local_time)
                        .unwrap_or_default()
            }
            None => local_now,
        }
    }

    /// How far this machine's clock is from the portal's, when the portal sent its time.
    pub fn skew(&self) -> Option<Skew> {
        let portal = self.portal_time?;
        Some(match self.local_time.duration_since(portal) {
            Ok(ahead) => Skew::Ahead(ahead),
            Err(behind) => Skew::Behind(behind.duration()),
        })
    }

    /// Whether the read reached back to the window start.
    pub fn is_complete(&self) -> bool {
        !self.capped && self.unread.is_none()
    }
}

/// An order's `createTime` in epoch milliseconds (seconds below 10^11), unchecked.
fn created_ms(order: &Order) -> Option<u64> {
    order.create_time.map(portal_time_ms)
}

/// Whether a page is sorted newest first by the times that can be read.
fn newest_first(orders: &[Order]) -> bool {
    let times: Vec<u64> = orders.iter().filter_map(created_ms).collect();
    times.windows(2).all(|pair| pair[0] >= pair[1])
}

/// Whether paging may stop after `page`: it is sorted newest first, continues the pages before
/// it in that order (`previous_oldest`), and its oldest order lies before the window start.
fn reaches_back(page: &[Order], previous_oldest: Option<u64>, since_ms: u64) -> bool {
    let Some(first) = page.first() else {
        return true;
    };
    let continues = match (previous_oldest, created_ms(first)) {
        (Some(before), Some(first)) => first <= before,
        _ => true,
    };
    newest_first(page)
        && continues
        && oldest(page).is_some_and(|ms| ms >= EARLIEST_MS && ms < since_ms)
}

/// The time of a page's last (by the portal's order, oldest) order, when it can be read.
fn oldest(page: &[Order]) -> Option<u64> {
    page.last().and_then(created_ms)
}

impl Client {
    /// Reads Query Order List newest first back to `since(portal now)` (by the portal's
    /// clock), at most [`HISTORY_CAP`] orders. One request when one page covers the
    /// window; otherwise the first page says how many pages there are and how far back one
    /// page reaches, and the pages the window needs are asked for concurrently. A page that
    /// cannot be read fails the whole read: a record read in part is not a record.
    pub async fn order_history(
        &self,
        since: impl FnOnce(SystemTime) -> SystemTime,
    ) -> Result<OrderHistory, Error> {
        self.order_history_capped(since, HISTORY_CAP).await
    }

    /// [`Client::order_history`] with another cap (in orders).
    pub async fn order_history_capped(
        &self,
        since: impl FnOnce(SystemTime) -> SystemTime,
        cap: u64,
    ) -> Result<OrderHistory, Error> {
        let history = self.read_history(since, cap).await?;
        match history.unread {
            Some(error) => Err(error),
            None => Ok(history),
        }
    }

    /// Like [`Client::order_history`], but a page after the first that cannot be read ends the
    /// read there ([`OrderHistory::unread`]) instead of failing it: for a search that is
    /// worth something in part (`orders reconcile`), never for a check before an order.
    pub async fn order_history_partial(
        &self,
        since: impl FnOnce(SystemTime) -> SystemTime,
    ) -> Result<OrderHistory, Error> {
        self.read_history(since, HISTORY_CAP).await
    }

    async fn read_history(
        &self,
        since: impl FnOnce(SystemTime) -> SystemTime,
        cap: u64,
    ) -> Result<OrderHistory, Error> {
        let (first, date) = self.orders_page_dated(1, HISTORY_PAGE_SIZE).await?;
        let local_ms = now_ms(self.clock().as_ref());
        let portal_ms = date.map(epoch_ms);
        let now_ms = portal_ms.unwrap_or(local_ms);
        let since_ms = epoch_ms(since(from_ms(now_ms)));
        let page_size = first
            .page_size
            .filter(|size| *size > 0)
            .unwrap_or(HISTORY_PAGE_SIZE);
        let max_pages = cap.div_ceil(page_size).max(1);
        let known_pages = match first.total {
            Some(total) => Some(total.div_ceil(page_size).max(1)),
            None if first.total_pages > 1 => Some(first.total_pages),
            // Neither a total nor a page count: a full page may have more behind it.
            None => None,
        };
        let last_page = |page: &Page<Order>| page.items.len() < page_size as usize;
        let mut history = OrderHistory {
            orders: Vec::new(),
            portal_time: portal_ms.map(from_ms),
            local_time: from_ms(local_ms),
            since: from_ms(since_ms),
            pages: 1,
            page_size,
            total: first.total,
            capped: false,
            unread: None,
        };
        let mut done = first.items.is_empty()
            || reaches_back(&first.items, None, since_ms)
            || known_pages.map_or(last_page(&first), |pages| pages <= 1);
        let mut previous_oldest = oldest(&first.items);
        // How far back one page reached: the pages the window needs, by that pace.
        let pace = previous_oldest
            .filter(|oldest| *oldest >= EARLIEST_MS && *oldest < now_ms)
            .map(|oldest| now_ms - oldest);
        history.orders = first.items;
        let mut next = 2;
        while !done {
            let end = known_pages.unwrap_or(u64::MAX).min(max_pages);
            if next > end {
                history.capped = known_pages.is_none_or(|pages| pages > max_pages);
                break;
            }
            let wanted = match pace {
                Some(pace) => now_ms
                    .saturating_sub(since_ms)
                    .div_ceil(pace.max(1))
                    .saturating_add(1),
                None => end,
            };
            let batch_end = end.min(next.saturating_add(wanted.max(1)) - 1).max(next);
            let pages: Vec<Result<Page<Order>, Error>> =
                futures_util::stream::iter(next..=batch_end)
                    .map(|page_no| self.orders_page(page_no, page_size))
                    .buffered(PAGES_AT_ONCE)
                    .collect()
                    .await;
            for page in pages {
                let page = match page {
                    Ok(page) => page,
                    Err(error) => {
                        history.unread = Some(error);
                        return Ok(history);
                    }
                };
                history.pages += 1;
                next += 1;
                let reached = page.items.is_empty()
                    || reaches_back(&page.items, previous_oldest, since_ms)
                    || (known_pages.is_none() && last_page(&page));
                previous_oldest = oldest(&page.items).or(previous_oldest);
                history.orders.extend(page.items);
                if reached {
                    done = true;
                    break;
                }
            }
            if !done && next > known_pages.unwrap_or(u64::MAX) {
                done = true;
            }
        }
        Ok(history)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(create_time: Option<u64>) -> Order {
        serde_json::from_value(serde_json::json!({ "createTime": create_time })).unwrap()
    }

    const NOW: u64 = 1_795_000_000_000;

    #[test]
    fn creation_times_in_seconds_or_milliseconds_and_untrusted_ones() {
        let now = from_ms(NOW);
        let at = |t: Option<u64>| CreatedAt::of(&order(t), now);
        let at_ms = |ms: u64| CreatedAt::At(from_ms(ms));
        assert_eq!(at(Some(1_794_999_000)), at_ms(1_794_999_000_000));
        assert_eq!(at(Some(1_794_999_000_123)), at_ms(1_794_999_000_123));
        // Before 2015, in the future by more than 5 minutes, or missing: cannot be trusted.
        assert_eq!(at(Some(1_400_000_000_000)), CreatedAt::Unreadable);
        assert_eq!(at(Some(1_400_000_000)), CreatedAt::Unreadable);
        assert_eq!(at(Some(NOW + FUTURE_SLACK_MS + 1)), CreatedAt::Unreadable);
        assert_eq!(
            at(Some(NOW + FUTURE_SLACK_MS)),
            at_ms(NOW + FUTURE_SLACK_MS)
        );
        assert_eq!(at(None), CreatedAt::Unreadable);
        assert_eq!(at(Some(99_999_999_999)), CreatedAt::Unreadable);
        assert!(CreatedAt::Unreadable.is_since(now));
        assert!(at_ms(NOW).is_since(now));
        assert!(!at_ms(NOW - 1).is_since(now));
        assert_eq!(CreatedAt::Unreadable.age(now), None);
        assert_eq!(at_ms(NOW - 5).age(now), Some(Duration::from_millis(5)));
        assert_eq!(at_ms(NOW + 5).age(now), Some(Duration::ZERO));
    }

    #[test]
    fn paging_stops_only_on_a_sorted_page_that_reaches_back() {
        let page =
            |times: &[u64]| -> Vec<Order> { times.iter().map(|t| order(Some(*t))).collect() };
        let since = NOW - 1000;
        assert!(reaches_back(
            &page(&[NOW, NOW - 500, NOW - 2000]),
            None,
            since
        ));
        assert!(!reaches_back(&page(&[NOW, NOW - 500]), None, since));
        // Not sorted newest first: read on.
        assert!(!reaches_back(
            &page(&[NOW - 2000, NOW, NOW - 3000]),
            None,
            since
        ));
        // Sorted, but newer than the page before it: read on.
        assert!(!reaches_back(
            &page(&[NOW, NOW - 3000]),
            Some(NOW - 100),
            since
        ));
        assert!(reaches_back(
            &page(&[NOW - 200, NOW - 3000]),
            Some(NOW - 100),
            since
        ));
        // The oldest order's time cannot be read: read on.
        assert!(!reaches_back(&[order(Some(NOW)), order(None)], None, since));
        assert!(reaches_back(&[], None, since));
    }

    #[test]
    fn the_portal_clock_moves_on_with_the_local_one() {
        let history = OrderHistory {
            orders: Vec::new(),
            portal_time: Some(from_ms(NOW)),
            local_time: from_ms(NOW + 600_000),
            since: from_ms(0),
            pages: 1,
            page_size: 100,
            total: None,
            capped: false,
            unread: None,
        };
        assert_eq!(
            history.portal_now(from_ms(NOW + 600_000 + 30_000)),
            from_ms(NOW + 30_000)
        );
        assert_eq!(history.skew(), Some(Skew::Ahead(Duration::from_secs(600))));
        let behind = OrderHistory {
            local_time: from_ms(NOW - 1_000),
            ..history.clone()
        };
        assert_eq!(behind.skew(), Some(Skew::Behind(Duration::from_secs(1))));
        let no_date = OrderHistory {
            portal_time: None,
            ..history
        };
        assert_eq!(no_date.portal_now(from_ms(NOW)), from_ms(NOW));
        assert_eq!(no_date.skew(), None);
    }
}
