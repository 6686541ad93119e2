//! Shared state for the payments SDK on the engines shops already run, so several instances
//! (and restarts) share one truth:
//!
//! | | seen-store ([`SeenStore`]) | nonce counter ([`NonceSource`]) |
//! |---|---|---|
//! | feature `postgres` (sqlx `PgPool`) | [`postgres::PostgresSeenStore`] | [`postgres::PostgresNonceCounter`] |
//! | feature `redis` (redis `ConnectionManager`) | [`redis::RedisSeenStore`] | [`redis::RedisNonceCounter`] |
//!
//! - The **seen-store** remembers which webhook notifications were processed (the contract is
//!   [`payments_core::seen`]): a claim holds its key with a lease (60 s by default) that
//!   another instance may take over once it runs out; completion and release act only for the
//!   lease that holds the key; processed keys are kept for a retention period (90 days by
//!   default). Plug it into the webhook router with `WebhookRouter::store(Arc::new(store))`;
//!   on PostgreSQL, [`postgres::PostgresSeenStore::complete_in`] marks a key done inside the
//!   shop's own transaction, which is what the façade's `TransactionalRouter` (the
//!   recommended setup) builds on.
//! - The **nonce counter** issues `max(previous + 1, now in nanoseconds)` atomically, taken
//!   from the database's clock, so every instance signing for one shop draws from one
//!   strictly increasing sequence, and switching from the in-process source never goes back.
//!   Plug it into Freekassa's client with `Client::with_nonce_source(Arc::new(counter))`.
//!
//! No feature is on by default; the crate depends only on `payments-core` and the engine's
//! client. The engines' crates are re-exported ([`sqlx`], [`redis_client`]) so the pool or
//! connection you build has the type these stores take.
//!
//! ```
//! use std::sync::Arc;
//! use payments_core::seen::{InMemorySeenStore, SeenStore};
//!
//! // Every store is a `SeenStore`: pick one at start-up.
//! let store: Arc<dyn SeenStore> = Arc::new(InMemorySeenStore::new());
//! # #[cfg(feature = "postgres")]
//! # fn shared(pool: payments_store::sqlx::PgPool) -> Arc<dyn SeenStore> {
//! #     Arc::new(payments_store::postgres::PostgresSeenStore::new(pool))
//! # }
//! # drop(store);
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "redis")]
pub mod redis;

/// The redis crate these stores are built on (named so it does not clash with [`redis`]).
#[cfg(feature = "redis")]
pub use ::redis as redis_client;
pub use payments_core::nonce::{NonceError, NonceSource};
pub use payments_core::seen::{Claim, Lease, SeenLimits, SeenStore, Settle, StoreError};
/// The sqlx crate these stores are built on.
#[cfg(feature = "postgres")]
pub use sqlx;

/// Why a shared nonce counter could not issue a value: the source of
/// [`NonceError::Source`].
///
/// ```
/// use payments_store::NonceStoreError;
///
/// let error = NonceStoreError::Unexpected { store: "my counter", answer: "-1".into() };
/// assert_eq!(error.to_string(), "my counter: the counter answered -1, not a nonce");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NonceStoreError {
    /// The engine failed or could not be reached.
    #[error("{store}: drawing a nonce failed: {source}")]
    Backend {
        /// Which counter, e.g. `"Redis nonce counter"`.
        store: &'static str,
        /// The engine's error.
        #[source]
        source: payments_core::seen::BoxError,
    },
    /// The engine answered something that is not a nonce.
    #[error("{store}: the counter answered {answer}, not a nonce")]
    Unexpected {
        /// Which counter.
        store: &'static str,
        /// What it answered (at most 40 characters of it).
        answer: String,
    },
}

impl NonceStoreError {
    /// A [`NonceStoreError::Backend`] as a [`NonceError`].
    #[cfg(any(feature = "postgres", feature = "redis"))]
    fn backend(
        store: &'static str,
        source: impl Into<payments_core::seen::BoxError>,
    ) -> NonceError {
        NonceError::Source(Box::new(Self::Backend { store, source: source.into() }))
    }

    /// A [`NonceStoreError::Unexpected`] as a [`NonceError`].
    #[cfg(any(feature = "postgres", feature = "redis"))]
    fn unexpected(store: &'static str, answer: &str) -> NonceError {
        let answer = answer.chars().take(40).collect();
        NonceError::Source(Box::new(Self::Unexpected { store, answer }))
    }

    /// A negative counter value as a [`NonceError`].
    #[cfg(feature = "postgres")]
    fn negative(store: &'static str, value: i64) -> NonceError {
        Self::unexpected(store, &value.to_string())
    }
}

/// Checks a counter's name or key: 1 to 200 bytes.
#[cfg(any(feature = "postgres", feature = "redis"))]
fn check_counter_name(store: &'static str, name: &str) -> Result<(), StoreError> {
    if name.is_empty() || name.len() > 200 {
        return Err(StoreError::Config {
            store,
            setting: "counter name",
            reason: format!("{} bytes, expected 1 to 200", name.len()),
        });
    }
    Ok(())
}
