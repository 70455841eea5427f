//! The one source of "now", so that token expiry and every rule that depends on time can be
//! tested with a clock that is set, not waited for.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the time comes from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// Seconds since the Unix epoch by `clock`.
#[cfg(test)]
pub(crate) fn now_secs(clock: &dyn Clock) -> u64 {
    epoch_secs(clock.now())
}

/// Milliseconds since the Unix epoch by `clock`.
pub(crate) fn now_ms(clock: &dyn Clock) -> u64 {
    epoch_ms(clock.now())
}

/// The instant this many seconds after the Unix epoch.
pub(crate) fn from_secs(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// The instant this many milliseconds after the Unix epoch.
pub(crate) fn from_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// Serializes an optional instant as epoch milliseconds (a JSON number), as before.
pub(crate) fn opt_as_ms<S: serde::Serializer>(
    time: &Option<SystemTime>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => serializer.serialize_some(&epoch_ms(*time)),
        None => serializer.serialize_none(),
    }
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that stands still until it is moved: for tests.
#[derive(Debug)]
pub struct ManualClock(Mutex<SystemTime>);

impl ManualClock {
    /// A clock stopped at `time`.
    pub fn at(time: SystemTime) -> Self {
        ManualClock(Mutex::new(time))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut now) = self.0.lock() {
            *now += by;
        }
    }

    /// Sets the clock to `time`.
    pub fn set(&self, time: SystemTime) {
        if let Ok(mut now) = self.0.lock() {
            *now = time;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        self.0.lock().map(|now| *now).unwrap_or(UNIX_EPOCH)
    }
}

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn epoch_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch (0 before it).
pub(crate) fn epoch_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Portal times are epoch milliseconds; values below 10^11 are taken as seconds (CLI.md
/// section 3: no time in seconds reaches 10^11 before the year 5138, and none in milliseconds
/// is below it after 1973).
pub(crate) fn portal_time_ms(value: u64) -> u64 {
    if value < 100_000_000_000 {
        value.saturating_mul(1000)
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::at(from_secs(1_000));
        assert_eq!(now_secs(&clock), 1_000);
        clock.advance(Duration::from_secs(5));
        assert_eq!(now_ms(&clock), 1_005_000);
    }

    #[test]
    fn portal_times_in_seconds_or_milliseconds() {
        assert_eq!(portal_time_ms(1_700_000_000), 1_700_000_000_000);
        assert_eq!(portal_time_ms(1_700_000_000_123), 1_700_000_000_123);
        assert_eq!(portal_time_ms(99_999_999_999), 99_999_999_999_000);
        assert_eq!(portal_time_ms(100_000_000_000), 100_000_000_000);
    }
}
