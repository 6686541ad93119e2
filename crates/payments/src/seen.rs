//! Remembering which notifications were processed, so a delivery repeated by the gateway (or
//! by an attacker replaying a genuine one) never marks an order paid twice.
//!
//! Re-exported from [`payments_core::seen`], where the trait lives so gateway crates and the
//! `payments-store` crate can use it: see there for the contract (claims with a lease, done
//! keys kept for a retention period). Shared stores on PostgreSQL and Redis are
//! `payments::store` with the `postgres` and `redis` features.
//!
//! ```
//! use std::time::Duration;
//! use payments::seen::{InMemorySeenStore, SeenLimits};
//!
//! let store = InMemorySeenStore::with_limits(
//!     SeenLimits::default().capacity(10_000).lease(Duration::from_secs(120)),
//! );
//! # drop(store);
//! ```

pub use payments_core::seen::{
    BoxError, Claim, InMemorySeenStore, Lease, LeaseParseError, SeenLimits, SeenStore, Settle,
    StoreError,
};
