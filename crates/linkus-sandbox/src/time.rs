//! Times as the portal writes them: epoch milliseconds, and UTC date-time strings.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(crate) const DAY_MS: u64 = 24 * 3600 * 1000;
/// A subscription year, as the sandbox counts it.
pub(crate) const YEAR_MS: u64 = 365 * DAY_MS;

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `YYYY-MM-DD HH:MM:SS`, UTC, as Get Product Details types `currentPlanExpireDate`.
pub(crate) fn date_time(ms: u64) -> String {
    let time = UNIX_EPOCH + Duration::from_millis(ms);
    humantime::format_rfc3339_seconds(time)
        .to_string()
        .trim_end_matches('Z')
        .replace('T', " ")
}

/// `YYYY-MM-DD`, UTC.
pub(crate) fn date(ms: u64) -> String {
    date_time(ms).chars().take(10).collect()
}

/// The time for log lines: RFC 3339, UTC, to the millisecond.
pub(crate) fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_strings() {
        assert_eq!(date_time(0), "1970-01-01 00:00:00");
        assert_eq!(date_time(86_399_999), "1970-01-01 23:59:59");
        assert_eq!(date(1_700_000_000_000), "2023-11-14");
        assert!(now_rfc3339().ends_with('Z'));
    }
}
