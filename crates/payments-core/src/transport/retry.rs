//! The retry decision, as a pure function.
//!
//! Only requests marked safe to repeat are retried; creating a payment or a payout never is.
//! Backoff is exponential with jitter, and a `Retry-After` header from the gateway wins over
//! the computed backoff (or stops the retries when it asks for too long a wait).

use std::time::Duration;
#[cfg(feature = "client")]
use std::time::SystemTime;

use http::StatusCode;

use super::TransportErrorKind;

/// How many times, and how patiently, safe requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in total, the first included; `1` disables retries.
    pub max_attempts: u32,
    /// The backoff before the first retry; it doubles with each retry.
    pub initial_backoff: Duration,
    /// The longest computed backoff.
    pub max_backoff: Duration,
    /// The longest `Retry-After` that is honoured; a longer one stops the retries.
    pub max_retry_after: Duration,
}

/// What happened on one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A response arrived with this status and, perhaps, a `Retry-After`.
    Response {
        /// The HTTP status.
        status: StatusCode,
        /// The parsed `Retry-After` header.
        retry_after: Option<Duration>,
    },
    /// No response arrived.
    Failed(TransportErrorKind),
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send again after this delay.
    Retry(Duration),
    /// Return what we have.
    Stop,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::standard()
    }
}

impl RetryPolicy {
    /// Three attempts, 200 ms initial backoff, at most 5 s between attempts, `Retry-After`
    /// honoured up to 30 s.
    pub const fn standard() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }

    /// One attempt, no retries.
    pub const fn disabled() -> Self {
        Self { max_attempts: 1, ..Self::standard() }
    }

    /// Sets the total number of attempts (at least one).
    #[must_use]
    pub const fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = if max_attempts == 0 { 1 } else { max_attempts };
        self
    }

    /// Sets the initial and the maximum backoff.
    #[must_use]
    pub const fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// Sets the longest `Retry-After` that is honoured.
    #[must_use]
    pub const fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Decides what to do after attempt number `attempt` (1 for the first) ended in
    /// `outcome`. `jitter` is any random number; the same inputs always give the same answer.
    ///
    /// ```
    /// use std::time::Duration;
    /// use http::StatusCode;
    /// use payments_core::transport::{Decision, Outcome, RetryPolicy};
    ///
    /// let policy = RetryPolicy::standard();
    /// let busy = Outcome::Response {
    ///     status: StatusCode::SERVICE_UNAVAILABLE,
    ///     retry_after: Some(Duration::from_secs(2)),
    /// };
    /// // A read is retried after the wait the gateway asked for...
    /// assert_eq!(policy.decide(1, true, busy, 0), Decision::Retry(Duration::from_secs(2)));
    /// // ...a payment creation never is.
    /// assert_eq!(policy.decide(1, false, busy, 0), Decision::Stop);
    /// ```
    pub fn decide(
        &self,
        attempt: u32,
        safe_to_repeat: bool,
        outcome: Outcome,
        jitter: u64,
    ) -> Decision {
        if !safe_to_repeat || attempt >= self.max_attempts {
            return Decision::Stop;
        }
        match outcome {
            Outcome::Response { status, retry_after } => {
                if !is_retryable_status(status.as_u16()) {
                    return Decision::Stop;
                }
                match retry_after {
                    Some(wait) if wait > self.max_retry_after => Decision::Stop,
                    Some(wait) => Decision::Retry(wait),
                    None => Decision::Retry(self.backoff(attempt, jitter)),
                }
            }
            Outcome::Failed(kind) if kind.is_transient() => {
                Decision::Retry(self.backoff(attempt, jitter))
            }
            Outcome::Failed(_) => Decision::Stop,
        }
    }

    /// The backoff after attempt `attempt`: `initial * 2^(attempt-1)`, capped at
    /// `max_backoff`, of which the upper half is random ("equal jitter"), so that clients that
    /// failed together do not retry together.
    pub fn backoff(&self, attempt: u32, jitter: u64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(30);
        let uncapped = self.initial_backoff.saturating_mul(1_u32 << exponent);
        let capped = uncapped.min(self.max_backoff);
        let millis = u64::try_from(capped.as_millis()).unwrap_or(u64::MAX);
        let half = millis / 2;
        let spread = millis - half;
        let random = jitter.checked_rem(spread.saturating_add(1)).unwrap_or(0);
        Duration::from_millis(half.saturating_add(random))
    }
}

/// Whether an HTTP status means "try again later": 408, 425, 429, 500, 502, 503, 504.
///
/// This is the one list of transient statuses: [`RetryPolicy::decide`] retries safe requests
/// on them, and [`Error::is_retryable`](crate::Error::is_retryable) reports them.
///
/// ```
/// use payments_core::transport::is_retryable_status;
///
/// assert!(is_retryable_status(503));
/// assert!(is_retryable_status(429));
/// assert!(!is_retryable_status(501), "not implemented will not change by waiting");
/// assert!(!is_retryable_status(400));
/// ```
pub const fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 425 | 429 | 500 | 502 | 503 | 504)
}

/// Parses a `Retry-After` value: delay seconds (`"120"`) or an HTTP date, relative to `now`.
/// A date in the past means "now" (zero). Anything else is `None`.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use payments_core::transport::parse_retry_after;
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
/// assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(
///     parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now),
///     Some(Duration::from_secs(10))
/// );
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
#[cfg(feature = "client")]
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy::standard();

    fn status(code: u16) -> Outcome {
        Outcome::Response { status: StatusCode::from_u16(code).unwrap(), retry_after: None }
    }

    #[test]
    fn unsafe_requests_are_never_retried() {
        for outcome in [
            status(500),
            status(503),
            status(429),
            Outcome::Failed(TransportErrorKind::Timeout),
            Outcome::Failed(TransportErrorKind::Connect),
        ] {
            assert_eq!(POLICY.decide(1, false, outcome, 7), Decision::Stop, "{outcome:?}");
        }
    }

    #[test]
    fn safe_requests_retry_on_transient_failures_only() {
        for code in [408, 425, 429, 500, 502, 503, 504] {
            assert!(
                matches!(POLICY.decide(1, true, status(code), 0), Decision::Retry(_)),
                "{code}"
            );
        }
        for code in [200, 201, 301, 400, 401, 403, 404, 409, 422, 501, 505] {
            assert_eq!(POLICY.decide(1, true, status(code), 0), Decision::Stop, "{code}");
        }
        for kind in
            [TransportErrorKind::Connect, TransportErrorKind::Timeout, TransportErrorKind::Other]
        {
            assert!(matches!(POLICY.decide(1, true, Outcome::Failed(kind), 0), Decision::Retry(_)));
        }
        for kind in [TransportErrorKind::BodyTooLarge, TransportErrorKind::Config] {
            assert_eq!(POLICY.decide(1, true, Outcome::Failed(kind), 0), Decision::Stop);
        }
    }

    #[test]
    fn stops_after_max_attempts() {
        assert!(matches!(POLICY.decide(2, true, status(503), 0), Decision::Retry(_)));
        assert_eq!(POLICY.decide(3, true, status(503), 0), Decision::Stop);
        assert_eq!(RetryPolicy::disabled().decide(1, true, status(503), 0), Decision::Stop);
        assert_eq!(POLICY.with_max_attempts(0).max_attempts, 1);
    }

    #[test]
    fn retry_after_wins_and_is_bounded() {
        let wait = |secs| Outcome::Response {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(POLICY.decide(1, true, wait(0), 999), Decision::Retry(Duration::ZERO));
        assert_eq!(POLICY.decide(1, true, wait(30), 999), Decision::Retry(Duration::from_secs(30)));
        assert_eq!(POLICY.decide(1, true, wait(31), 999), Decision::Stop);
        // Retry-After on a non-retryable status changes nothing.
        let teapot = Outcome::Response {
            status: StatusCode::BAD_REQUEST,
            retry_after: Some(Duration::from_secs(1)),
        };
        assert_eq!(POLICY.decide(1, true, teapot, 0), Decision::Stop);
    }

    #[test]
    fn backoff_doubles_with_equal_jitter_and_caps() {
        // attempt 1: 200 ms, half fixed -> [100, 200]
        assert_eq!(POLICY.backoff(1, 0), Duration::from_millis(100));
        assert_eq!(POLICY.backoff(1, 100), Duration::from_millis(200));
        assert_eq!(POLICY.backoff(1, 101), Duration::from_millis(100));
        // attempt 2: 400 ms -> [200, 400]
        assert_eq!(POLICY.backoff(2, 0), Duration::from_millis(200));
        assert_eq!(POLICY.backoff(2, 200), Duration::from_millis(400));
        // capped at 5 s -> [2.5 s, 5 s], also for absurd attempt numbers
        for attempt in [6, 31, 1000, u32::MAX] {
            let delay = POLICY.backoff(attempt, u64::MAX);
            assert!(delay >= Duration::from_millis(2500) && delay <= Duration::from_secs(5));
        }
    }

    #[test]
    fn backoff_stays_within_bounds_for_any_jitter() {
        for jitter in [0, 1, 17, 12345, u64::MAX] {
            for attempt in 1..8 {
                let delay = POLICY.backoff(attempt, jitter);
                assert!(delay <= POLICY.max_backoff, "{attempt} {jitter} {delay:?}");
                assert!(delay >= Duration::from_millis(100));
            }
        }
    }

    #[cfg(feature = "client")]
    #[test]
    fn retry_after_parsing() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_490);
        assert_eq!(parse_retry_after(" 5 ", now), Some(Duration::from_secs(5)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::ZERO));
        for bad in ["", "-1", "1.5", "99999999999999999999999", "tomorrow"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
    }
}
