//! The portal's clock, read from the `Date` header of its answers (CLI.md section 3,
//! "Clocks"): times that come from the portal are compared with it, never with the local
//! clock, which may be minutes fast or slow.

use std::sync::Mutex;
use std::time::SystemTime;

use yeastar_partner::{Exchange, Observer};

/// The difference between the portal's clock and the local one, from the last answer that
/// carried a `Date` header.
#[derive(Debug, Default)]
pub struct PortalClock {
    /// Portal time minus local time, in milliseconds.
    offset_ms: Mutex<Option<i64>>,
}

impl PortalClock {
    /// Notes a `Date` header that arrived at `arrived` by the local clock.
    pub fn saw(&self, date: SystemTime, arrived: SystemTime) {
        let offset = ms(date) - ms(arrived);
        if let Ok(mut slot) = self.offset_ms.lock() {
            *slot = Some(offset);
        }
    }

    /// Portal time minus local time, once an answer has said.
    pub fn offset_ms(&self) -> Option<i64> {
        self.offset_ms.lock().ok().and_then(|slot| *slot)
    }

    /// The portal's time when the local clock says `local_ms`, once an answer has said.
    pub fn portal_ms(&self, local_ms: u64) -> Option<u64> {
        self.offset_ms().map(|offset| shift(local_ms, offset))
    }
}

/// `at` moved by `offset` milliseconds, clamped to what a u64 holds.
pub fn shift(at: u64, offset: i64) -> u64 {
    if offset >= 0 {
        at.saturating_add(offset.unsigned_abs())
    } else {
        at.saturating_sub(offset.unsigned_abs())
    }
}

fn ms(time: SystemTime) -> i64 {
    i64::try_from(epoch_ms(time)).unwrap_or(i64::MAX)
}

/// Milliseconds since the Unix epoch (0 before it): linkus counts time in these; the client
/// crate speaks `SystemTime`.
pub fn epoch_ms(time: SystemTime) -> u64 {
    time.duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Seconds since the Unix epoch (0 before it).
pub fn epoch_secs(time: SystemTime) -> u64 {
    time.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The instant `ms` milliseconds after the Unix epoch.
pub fn from_ms(ms: u64) -> SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms)
}

/// Milliseconds since the epoch as RFC 3339 with milliseconds (UTC), as the records write
/// times.
pub fn rfc3339(ms: u64) -> String {
    humantime::format_rfc3339_millis(from_ms(ms)).to_string()
}

/// A portal time given as a number (`createTime`): epoch milliseconds, or seconds below
/// 10^11, read by the client's own rule (CLI.md section 3).
pub fn portal_number_ms(value: u64) -> Option<u64> {
    yeastar_partner::Json::parse(&value.to_string())
        .ok()
        .and_then(|json| json.as_time())
        .map(epoch_ms)
}

/// The client's clocks in linkus's units.
pub trait EpochClock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

impl<C: yeastar_partner::Clock + ?Sized> EpochClock for C {
    fn now_ms(&self) -> u64 {
        epoch_ms(self.now())
    }
}

impl Observer for PortalClock {
    fn exchange(&self, exchange: &Exchange<'_>) {
        let Ok(response) = exchange.response else {
            return;
        };
        let date = response
            .headers
            .get("date")
            .and_then(|value| httpdate::parse_http_date(value).ok());
        if let Some(date) = date {
            self.saw(date, exchange.started_at + exchange.elapsed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn a_local_clock_ten_minutes_fast_is_taken_back_to_the_portals() {
        let clock = PortalClock::default();
        assert_eq!(clock.portal_ms(1_000), None);
        let portal = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        clock.saw(portal, portal + Duration::from_secs(600));
        let local_now = 1_800_000_600_000;
        assert_eq!(clock.portal_ms(local_now), Some(1_800_000_000_000));
    }

    #[test]
    fn shifts_never_overflow() {
        assert_eq!(shift(u64::MAX, i64::MAX), u64::MAX);
        assert_eq!(shift(5, i64::MIN), 0);
        assert_eq!(shift(5, -3), 2);
    }
}
