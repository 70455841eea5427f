//! How requests that are safe to repeat are retried, and the pause every request takes when
//! the portal says it is asked too often.

use std::time::{Duration, SystemTime};

/// How reads are retried. Delays are settings so that tests never sleep through them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// How many times a request is sent at most (the first time included).
    pub attempts: u32,
    /// The first backoff delay; each further one doubles.
    pub base_delay: Duration,
    /// The longest single wait, also the longest `Retry-After` that is honoured.
    pub max_delay: Duration,
    /// The longest time spent on one request, all attempts and waits included.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(300),
            max_delay: Duration::from_secs(10),
            budget: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`, or `None` when the portal asks for more than
    /// `max_delay` (retrying earlier than asked would only be refused again).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        match retry_after {
            Some(asked) if asked > self.max_delay => None,
            Some(asked) => Some(asked),
            None => {
                let backoff = self
                    .base_delay
                    .saturating_mul(1 << attempt.saturating_sub(1).min(16));
                // Up to 25% jitter, so that many clients do not retry in step.
                let jitter = backoff.mul_f64(fastrand::f64() * 0.25);
                Some((backoff + jitter).min(self.max_delay))
            }
        }
    }
}

/// `Retry-After` as delta-seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Whether a status is worth another try for a request that is safe to repeat.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// When the portal said "too many requests", every request of this client waits until the
/// time it asked for: many concurrent requests slow down together instead of each being
/// refused in turn.
#[derive(Default)]
pub(crate) struct Throttle {
    until: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Throttle {
    pub(crate) async fn wait(&self) {
        let until = self.until.lock().ok().and_then(|until| *until);
        if let Some(until) = until {
            tokio::time::sleep_until(until).await;
        }
    }

    pub(crate) fn pause(&self, delay: Duration) {
        if let Ok(mut until) = self.until.lock() {
            let end = tokio::time::Instant::now() + delay;
            if until.is_none_or(|current| current < end) {
                *until = Some(end);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_honoured_as_seconds_or_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("soon", now), None);

        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        // Asking for more than we wait is an answer, not a retry.
        assert_eq!(policy.delay(1, Some(Duration::from_secs(600))), None);
    }

    #[test]
    fn backoff_doubles_within_bounds() {
        let policy = RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            budget: Duration::from_secs(5),
        };
        let first = policy.delay(1, None).unwrap();
        let second = policy.delay(2, None).unwrap();
        assert!(first >= Duration::from_millis(100) && first <= Duration::from_millis(125));
        assert!(second >= Duration::from_millis(200) && second <= Duration::from_millis(250));
        assert_eq!(policy.delay(10, None), Some(Duration::from_millis(1000)));
    }
}
