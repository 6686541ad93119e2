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
//! The trait and the sources live in [`payments_core::nonce`] (shared by every gateway and by
//! the `payments-store` crate) and are re-exported here, so `freekassa::nonce::*` paths keep
//! working.
//!
//! # Several processes or servers
//!
//! A process-wide counter cannot order requests from two processes: their clocks and their
//! request timings interleave. Deployments with more than one instance signing for the same
//! shop must share **one counter**: the `payments-store` crate has one on PostgreSQL and one
//! on Redis (`PostgresNonceCounter`, `RedisNonceCounter`), each issuing
//! `max(previous + 1, now in nanoseconds)` atomically, so switching to them never goes back.
//! Plug it (or your own, seeded at or above [`now_nanos`]) in with one line,
//! `client.with_nonce_source(Arc::new(my_counter))`:
//!
//! ```
//! # #[cfg(feature = "client")] {
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
//! let client = freekassa::Client::new(freekassa::Config::new(777).with_api_key("key"))?
//!     .with_nonce_source(Arc::new(shared));
//! # }
//! # Ok::<(), freekassa::Error>(())
//! ```
//!
//! Without one, an instance whose clock lags another's draws nonces below the ones already
//! accepted and keeps being refused.
//!
//! Even with one counter, requests that leave in one order can arrive in another. The client
//! keeps its own requests in order (one at a time, each drawing its nonce when its turn
//! comes), and a request refused for its nonce, which Freekassa did not carry out, is signed
//! again with a fresh nonce and re-sent, creations included, up to
//! `freekassa::MAX_NONCE_RESENDS` times (see `Error::is_nonce_refusal`). Against the sandbox,
//! two processes of 20 tasks each lose no call this way
//! (`crates/payments-sandbox/tests/freekassa_nonces.rs`).

#[cfg(feature = "async")]
pub use payments_core::nonce::NonceSource;
pub use payments_core::nonce::{NonceError, ProcessNonce, now_nanos};
