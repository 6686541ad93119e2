//! Nonces: a strictly increasing counter shared by everything that signs for one account.
//!
//! Some gateways (Freekassa's API v1) want every request's nonce to be greater than the last
//! one they accepted for the shop, and keep that last value. Two consequences decide the
//! design:
//!
//! - **Order across everything that signs for the shop.** Parallel requests, several worker
//!   processes and several servers must all draw from one strictly increasing sequence.
//! - **Never a smaller scale.** Once a large nonce has been accepted, smaller ones fail
//!   forever. Older libraries used Unix seconds (about 1.7 × 10^9), milliseconds (10^12) or
//!   microseconds (10^15); every source here issues at least nanoseconds since the epoch
//!   ([`now_nanos`], about 1.7 × 10^18), above all of them, and still fits a signed 64-bit
//!   integer until the year 2262.
//!
//! Every [`NonceSource`] issues `max(previous + 1, now in nanoseconds)`, so switching from
//! one to another (the in-process [`ProcessNonce`] to a shared counter of the
//! `payments-store` crate, on PostgreSQL or Redis) never goes back.
//!
//! The [`NonceSource`] trait needs the `async` feature (on with `client`); without it,
//! [`ProcessNonce::next`] issues the same values.
//!
//! ```
//! # #[cfg(not(feature = "async"))]
//! # fn main() {}
//! # #[cfg(feature = "async")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), payments_core::nonce::NonceError> {
//! use payments_core::nonce::{NonceSource, ProcessNonce, now_nanos};
//!
//! let before = now_nanos();
//! let first = ProcessNonce.next_nonce().await?;
//! let second = ProcessNonce.next_nonce().await?;
//! assert!(before <= first && first < second);
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "async")]
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

#[cfg(feature = "async")]
use async_trait::async_trait;

/// Why no nonce could be drawn.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NonceError {
    /// The counter reached the largest value it can hold.
    #[error("the nonce counter is exhausted")]
    Exhausted,
    /// A shared counter could not be reached or failed.
    #[error("nonce source failed: {0}")]
    Source(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

/// Where requests get their nonces: a strictly increasing counter.
///
/// Implementations must return values greater than any value they returned before, to every
/// caller that shares them, and should stay at or above [`now_nanos`] so that switching
/// sources never goes back.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use payments_core::nonce::{NonceError, NonceSource, now_nanos};
///
/// /// A counter for one process (use `payments-store`'s shared ones across processes).
/// #[derive(Debug, Default)]
/// struct Counter(AtomicU64);
///
/// #[async_trait::async_trait]
/// impl NonceSource for Counter {
///     async fn next_nonce(&self) -> Result<u64, NonceError> {
///         let now = now_nanos();
///         let mut issued = 0;
///         self.0
///             .fetch_update(Ordering::AcqRel, Ordering::Acquire, |last| {
///                 issued = last.checked_add(1)?.max(now);
///                 Some(issued)
///             })
///             .map_err(|_| NonceError::Exhausted)?;
///         Ok(issued)
///     }
/// }
/// ```
#[cfg(feature = "async")]
#[async_trait]
pub trait NonceSource: Send + Sync + fmt::Debug {
    /// The next nonce.
    ///
    /// # Errors
    ///
    /// [`NonceError`] when no value can be issued.
    async fn next_nonce(&self) -> Result<u64, NonceError>;
}

/// The last nonce issued in this process.
static LAST: AtomicU64 = AtomicU64::new(0);

/// The default nonce source: nanoseconds since the epoch, guarded to be greater than the last
/// nonce issued in this process (by any client of any gateway).
///
/// One counter for the whole process: each value is `max(now in nanoseconds, previous + 1)`,
/// taken with a single atomic update, so values are unique and strictly increasing in the
/// order they are issued, across threads, tasks and clients. It cannot order two processes:
/// several instances signing for one shop need a shared counter.
///
/// ```
/// use payments_core::nonce::ProcessNonce;
///
/// let first = ProcessNonce.next()?;
/// let second = ProcessNonce.next()?;
/// assert!(second > first);
/// assert!(first > 1_700_000_000_000_000_000); // nanoseconds, not ms or µs
/// # Ok::<(), payments_core::nonce::NonceError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessNonce;

impl ProcessNonce {
    /// The next nonce, without `async`.
    ///
    /// # Errors
    ///
    /// [`NonceError::Exhausted`] when the previous value was `u64::MAX`.
    pub fn next(self) -> Result<u64, NonceError> {
        let now = now_nanos();
        let mut issued = 0;
        LAST.fetch_update(Ordering::AcqRel, Ordering::Acquire, |last| {
            issued = last.checked_add(1)?.max(now);
            Some(issued)
        })
        .map_err(|_| NonceError::Exhausted)?;
        Ok(issued)
    }
}

#[cfg(feature = "async")]
#[async_trait]
impl NonceSource for ProcessNonce {
    async fn next_nonce(&self) -> Result<u64, NonceError> {
        self.next()
    }
}

/// Nanoseconds since the Unix epoch (0 if the clock is before it; saturating in 2554).
///
/// ```
/// assert!(payments_core::nonce::now_nanos() > 1_700_000_000_000_000_000);
/// ```
pub fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_increase_even_when_the_clock_does_not() {
        let mut previous = ProcessNonce.next().unwrap();
        for _ in 0..10_000 {
            let next = ProcessNonce.next().unwrap();
            assert!(next > previous);
            previous = next;
        }
    }
}
