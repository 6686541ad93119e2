//! Where "now" comes from: payment links carry `iat`/`exp`, and webhook tokens are checked
//! against the current time, so both take the core's injectable clock
//! ([`payments_core::clock`]). This module adds the conversions JWTs need.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use payments_core::clock::{Clock, FixedClock, SystemClock};

/// A clock stopped at `seconds` after the Unix epoch (for tests and reproducible tokens).
///
/// ```
/// let clock = fena::clock::at_unix(1_700_000_000);
/// assert_eq!(fena::clock::unix_seconds(&clock), 1_700_000_000);
/// ```
pub fn at_unix(seconds: u64) -> FixedClock {
    FixedClock(UNIX_EPOCH + Duration::from_secs(seconds))
}

/// The clock's time as whole seconds since the Unix epoch (negative before it), as JWT
/// `NumericDate` values are written.
pub fn unix_seconds(clock: &dyn Clock) -> i64 {
    seconds_since_epoch(clock.now())
}

fn seconds_since_epoch(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn before_the_epoch_is_negative() {
        assert_eq!(seconds_since_epoch(UNIX_EPOCH - Duration::from_secs(5)), -5);
        assert_eq!(seconds_since_epoch(UNIX_EPOCH), 0);
    }
}
