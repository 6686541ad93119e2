//! Nonces for API v1 requests.
//!
//! Freekassa wants every request's `nonce` to be greater than the last one it accepted for
//! the shop, and keeps that last value. Two consequences decide the design:
//!
//! - **Order across everything that signs for the shop.** Parallel requests, several worker
//!   processes and several servers must all draw from one strictly increasing sequence.
//! - **Never a smaller scale.** Once a large nonce has been accepted, smaller ones fail
//!   forever. Older libraries used Unix seconds (about 1.7 × 10^9), milliseconds (10^12) or
//!   microseconds (10^15); the default here is nanoseconds since the epoch (about 1.7 × 10^18),
//!   above all of them, so a shop switching to this SDK never hits "nonce too small", and it
//!   still fits a signed 64-bit integer until the year 2262.
//!
//! [`ProcessNonce`], the default, is one counter for the whole process: each value is
//! `max(now in nanoseconds, previous + 1)`, taken with a single atomic update, so values are
//! unique and strictly increasing in the order they are issued, across threads, tasks and
//! clients.
//!
//! # Several processes or servers
//!
//! A process-wide counter cannot order requests from two processes: their clocks and their
//! request timings interleave. Deployments with more than one instance signing for the same
//! shop must share **one counter** (a Redis `INCR`, a database sequence) seeded at or above
//! [`now_nanos`], and plug it in with one line,
//! `client.with_nonce_source(Arc::new(my_counter))`:
//!
//! ```
//! use std::sync::Arc;
//! use freekassa::nonce::{NonceError, NonceSource};
//!
//! /// A counter shared by every instance (here a stand-in for `INCR fk:nonce` in Redis or
//! /// `nextval('fk_nonce')` in PostgreSQL, seeded with `freekassa::nonce::now_nanos()`).
//! #[derive(Debug)]
//! struct SharedCounter(std::sync::atomic::AtomicU64);
//!
//! #[async_trait::async_trait]
//! impl NonceSource for SharedCounter {
//!     async fn next_nonce(&self) -> Result<u64, NonceError> {
//!         Ok(self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1)
//!     }
//! }
//!
//! let shared = SharedCounter(freekassa::nonce::now_nanos().into());
//! # #[cfg(feature = "client")] {
//! let client = freekassa::Client::new(freekassa::Config::new(777).with_api_key("key"))?
//!     .with_nonce_source(Arc::new(shared));
//! # }
//! # Ok::<(), freekassa::Error>(())
//! ```
//!
//! Even with one counter, requests that leave in one order can arrive in another; a request
//! refused for its nonce is safe to sign again with a fresh one, which is what the client does
//! for reads. Creating an order or a payout is never re-sent (see
//! [`Client::create_order`](crate::Client)).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

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

/// Where API requests get their nonces.
///
/// Implementations must return values greater than any value they returned before, to every
/// caller that shares them, and should stay above [`now_nanos`] so that switching sources
/// never goes back.
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
/// nonce issued in this process (by any client).
///
/// ```
/// use freekassa::nonce::ProcessNonce;
///
/// let first = ProcessNonce.next()?;
/// let second = ProcessNonce.next()?;
/// assert!(second > first);
/// assert!(first > 1_700_000_000_000_000_000); // nanoseconds, not ms or µs
/// # Ok::<(), freekassa::nonce::NonceError>(())
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

#[async_trait]
impl NonceSource for ProcessNonce {
    async fn next_nonce(&self) -> Result<u64, NonceError> {
        self.next()
    }
}

/// Nanoseconds since the Unix epoch (0 if the clock is before it; saturating in 2554).
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
