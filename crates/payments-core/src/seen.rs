//! Remembering which notifications were processed, so a delivery repeated by the gateway (or
//! by an attacker replaying a genuine one) never marks an order paid twice.
//!
//! A [`SeenStore`] holds one entry per de-dup key
//! ([`Notification::dedup_key`](crate::notification::Notification::dedup_key)):
//!
//! - [`SeenStore::claim`] takes a key that is free, giving back a [`Lease`]: a token unique to
//!   that claim. The claim holds the key for [`SeenLimits::lease`] (default 60 s); after that
//!   the next claim may take it over, so a process that died mid-handler never blocks a
//!   notification for ever.
//! - [`SeenStore::complete`] marks the key done for [`SeenLimits::retention`] (default 90
//!   days), and [`SeenStore::release`] frees it after a failure. Both act only for the lease
//!   that holds the key: an instance whose lease ran out and was taken over gets
//!   [`Settle::Lost`] and changes nothing, so it can never settle the new holder's claim.
//! - [`SeenStore::purge`] removes entries whose lease or retention has ended.
//!
//! [`InMemorySeenStore`] serves one process. Several instances (or restarts) need a shared
//! store: the `payments-store` crate has them on PostgreSQL and Redis.
//!
//! ```
//! use payments_core::seen::{Claim, InMemorySeenStore, SeenStore, Settle};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), payments_core::seen::StoreError> {
//! let store = InMemorySeenStore::new();
//! let key = "v1|feennex|3:A-1|paid";
//! match store.claim(key).await? {
//!     Claim::New(lease) => {
//!         // ... mark the order paid, then:
//!         assert_eq!(store.complete(key, &lease).await?, Settle::Settled);
//!     }
//!     Claim::Done => { /* processed before: answer the gateway's ack */ }
//!     _ => { /* being processed elsewhere: answer 409, the gateway delivers again */ }
//! }
//! assert_eq!(store.claim(key).await?, Claim::Done);
//! # Ok(())
//! # }
//! //! ```

mod in_memory;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;

pub use self::in_memory::InMemorySeenStore;

/// A boxed error from a store's engine, kept as the source of a [`StoreError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The token of one claim: 128 random bits, written as 32 lowercase hex digits.
///
/// Each [`Claim::New`] carries a fresh one; [`SeenStore::complete`] and
/// [`SeenStore::release`] take it back, and act only while it is the token that holds the key.
/// It is not a secret (anyone who can read the store sees it), only unique.
///
/// ```
/// use payments_core::seen::Lease;
///
/// let lease = Lease::random()?;
/// let text = lease.to_string();
/// assert_eq!(text.len(), 32);
/// assert_eq!(text.parse::<Lease>()?, lease);
/// assert_ne!(Lease::random()?, lease);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lease([u8; 16]);

impl Lease {
    /// A new token from the operating system's random source.
    ///
    /// # Errors
    ///
    /// [`StoreError::Random`] when the random source fails (it does not once the system has
    /// booted).
    pub fn random() -> Result<Self, StoreError> {
        let mut bytes = [0; 16];
        getrandom::fill(&mut bytes).map_err(|error| StoreError::Random(Box::new(error)))?;
        Ok(Self(bytes))
    }

    /// The token with these bytes (for stores that keep it as bytes, and tests).
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The token's bytes.
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0
    }
}

impl fmt::Display for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lease({self})")
    }
}

/// A text that is not 32 hex digits, given to [`Lease::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a lease token is 32 hex digits, got {length} characters{}", if *.hex { "" } else { " (not all hex)" })]
pub struct LeaseParseError {
    length: usize,
    hex: bool,
}

impl FromStr for Lease {
    type Err = LeaseParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || LeaseParseError {
            length: text.chars().count(),
            hex: text.bytes().all(|byte| byte.is_ascii_hexdigit()),
        };
        if text.len() != 32 {
            return Err(error());
        }
        let mut bytes = [0; 16];
        for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
            let digits = std::str::from_utf8(pair).map_err(|_| error())?;
            // `from_str_radix` accepts a leading sign; two hex digits never have one.
            if !digits.bytes().all(|digit| digit.is_ascii_hexdigit()) {
                return Err(error());
            }
            *byte = u8::from_str_radix(digits, 16).map_err(|_| error())?;
        }
        Ok(Self(bytes))
    }
}

/// What the store says about a notification key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// Free (never seen, released, or its lease or retention ran out): the caller now holds it
    /// with this lease, and must call [`SeenStore::complete`] or [`SeenStore::release`] with
    /// it.
    New(Lease),
    /// Another delivery of it holds a live lease: it is being processed right now.
    InProgress,
    /// Already processed successfully (within the retention period).
    Done,
}

impl Claim {
    /// The lease of a [`Claim::New`].
    pub fn lease(&self) -> Option<Lease> {
        match self {
            Self::New(lease) => Some(*lease),
            Self::InProgress | Self::Done => None,
        }
    }

    /// Whether this claim took the key.
    pub fn is_new(&self) -> bool {
        matches!(self, Self::New(_))
    }
}

/// What [`SeenStore::complete`] or [`SeenStore::release`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Settle {
    /// Done as asked: `complete` marked the key done, `release` left it free.
    ///
    /// `complete` also marks a key done that no claim holds any more (its lease ran out and
    /// nobody took it over): the work was done and nobody else is doing it. `release` of such a
    /// key has nothing to give back and says `Settled` too.
    Settled,
    /// Another claim holds the key (this lease ran out and was taken over), or it is already
    /// done: nothing was changed. After a `complete`, the handler may run (or have run) a
    /// second time for the other claim: the lease is shorter than the handler takes.
    Lost,
}

/// A store of processed notification keys.
///
/// Implementations must make each method atomic with respect to every other caller sharing
/// the store (other tasks, processes, servers): of any number of concurrent claims of a free
/// key, exactly one is [`Claim::New`].
#[async_trait]
pub trait SeenStore: Send + Sync + fmt::Debug {
    /// Claims `key` unless another lease holds it or it is done.
    ///
    /// # Errors
    ///
    /// A store failure; the delivery is then refused with a 5xx so the gateway retries.
    async fn claim(&self, key: &str) -> Result<Claim, StoreError>;

    /// Marks `key` done for the retention period, if `lease` still holds it (or no claim
    /// does); otherwise changes nothing and returns [`Settle::Lost`].
    ///
    /// # Errors
    ///
    /// A store failure.
    async fn complete(&self, key: &str, lease: &Lease) -> Result<Settle, StoreError>;

    /// Frees `key` after a failure, so a later delivery is processed, if `lease` still holds
    /// it; a done key, or one another claim holds, is left as it is ([`Settle::Lost`]).
    ///
    /// # Errors
    ///
    /// A store failure.
    async fn release(&self, key: &str, lease: &Lease) -> Result<Settle, StoreError>;

    /// Removes the done keys whose retention ended and the claims whose lease ended, and
    /// returns how many it removed. Expired entries already count as free, so this only
    /// reclaims space; stores that expire entries by themselves (Redis) return 0.
    ///
    /// # Errors
    ///
    /// A store failure.
    async fn purge(&self) -> Result<u64, StoreError>;
}

/// A failure of the store itself. It names the store and the operation; the engine's error is
/// kept as the source. No variant holds a connection URL or a password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store's engine failed or could not be reached.
    #[error("{store}: {operation} failed: {source}")]
    Backend {
        /// Which store, e.g. `"PostgreSQL seen-store"`.
        store: &'static str,
        /// What it was doing, e.g. `"claim"`.
        operation: &'static str,
        /// The engine's error.
        #[source]
        source: BoxError,
    },
    /// The engine answered something the store does not understand.
    #[error("{store}: {operation}: unexpected answer: {detail}")]
    Unexpected {
        /// Which store.
        store: &'static str,
        /// What it was doing.
        operation: &'static str,
        /// What was wrong with the answer.
        detail: String,
    },
    /// A setting of the store is not valid.
    #[error("{store}: {setting} is not valid: {reason}")]
    Config {
        /// Which store.
        store: &'static str,
        /// Which setting.
        setting: &'static str,
        /// Why.
        reason: String,
    },
    /// No lease token could be drawn from the operating system's random source.
    #[error("no lease token: the system random source failed: {0}")]
    Random(#[source] BoxError),
    /// The in-memory store's lock is poisoned: a thread panicked while holding it.
    #[error("in-memory seen-store: lock poisoned")]
    Poisoned,
}

impl StoreError {
    /// A [`StoreError::Backend`], for implementations.
    ///
    /// ```
    /// use payments_core::seen::StoreError;
    ///
    /// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    /// let error = StoreError::backend("my store", "claim", io);
    /// assert_eq!(error.to_string(), "my store: claim failed: refused");
    /// ```
    pub fn backend(
        store: &'static str,
        operation: &'static str,
        source: impl Into<BoxError>,
    ) -> Self {
        Self::Backend { store, operation, source: source.into() }
    }
}

/// How long claims and processed keys are kept, and (in memory) how many.
///
/// The defaults cover every gateway's redelivery schedule many times over: Fena retries for
/// 3.5 minutes (3 tries, 30/60/120 s apart); Feennex and Freekassa do not publish theirs, and
/// Freekassa repeats until it reads `YES`, which takes hours at most, not weeks.
///
/// ```
/// use std::time::Duration;
/// use payments_core::seen::{InMemorySeenStore, SeenLimits};
///
/// let store = InMemorySeenStore::with_limits(
///     SeenLimits::default().capacity(10_000).retention(Duration::from_secs(7 * 24 * 3600)),
/// );
/// # drop(store);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SeenLimits {
    /// How long a processed key is remembered (default 90 days). A delivery of it after that
    /// reaches the handler again, which then finds the order already paid in the shop's own
    /// records.
    pub retention: Duration,
    /// How long a claim holds its key (default 60 s). This is the last resort for a claim
    /// whose handler never settled (a process stopped mid-way): after it, the next delivery
    /// is processed. A handler must finish within it, or a redelivery may run beside it (in
    /// another process: one process never runs a key twice at once).
    pub lease: Duration,
    /// The most keys kept by [`InMemorySeenStore`] (default 100,000, about 9 MB allocated up
    /// front: 48 bytes a key in the map, 24 in the claim order); past it the key claimed first
    /// is forgotten first (the first of its shard: above 1,024 keys they are spread over up to
    /// 16 shards). Shared stores are bounded by the retention and [`SeenStore::purge`] instead.
    pub capacity: usize,
}

impl Default for SeenLimits {
    fn default() -> Self {
        Self {
            retention: Duration::from_secs(90 * 24 * 3600),
            lease: Duration::from_secs(60),
            capacity: 100_000,
        }
    }
}

impl SeenLimits {
    /// Sets [`SeenLimits::retention`].
    #[must_use]
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// Sets [`SeenLimits::lease`].
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Sets [`SeenLimits::capacity`] (at least 1).
    #[must_use]
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// [`SeenLimits::lease`] in whole milliseconds, at least 1 and at most 100 years (what
    /// shared stores send: Redis refuses an expiry of 0, PostgreSQL an interval past its
    /// range).
    pub fn lease_millis(&self) -> u64 {
        store_millis(self.lease)
    }

    /// [`SeenLimits::retention`] in whole milliseconds, at least 1 and at most 100 years.
    pub fn retention_millis(&self) -> u64 {
        store_millis(self.retention)
    }
}

/// 100 years of 365.25 days, in milliseconds: "for ever" for a webhook key.
const MAX_STORE_MILLIS: u64 = 3_155_760_000_000;

/// `duration` in whole milliseconds, within 1 ..= [`MAX_STORE_MILLIS`].
fn store_millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX).clamp(1, MAX_STORE_MILLIS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_print_and_parse_as_32_hex_digits() {
        let lease = Lease::from_bytes([0xab; 16]);
        assert_eq!(lease.to_string(), "ab".repeat(16));
        assert_eq!(format!("{lease:?}"), format!("Lease({})", "ab".repeat(16)));
        assert_eq!("AB".repeat(16).parse::<Lease>().unwrap(), lease);
        for bad in ["", "ab", &"ab".repeat(17), &format!("+{}", "a".repeat(31)), &"zz".repeat(16)] {
            assert!(bad.parse::<Lease>().is_err(), "{bad:?}");
        }
        let error = "zz".repeat(16).parse::<Lease>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "a lease token is 32 hex digits, got 32 characters (not all hex)"
        );
    }

    #[test]
    fn random_leases_differ() {
        let leases: std::collections::HashSet<Lease> =
            (0..1000).map(|_| Lease::random().unwrap()).collect();
        assert_eq!(leases.len(), 1000);
    }

    #[test]
    fn durations_are_sent_in_whole_milliseconds_of_at_least_one() {
        let limits = SeenLimits::default().lease(Duration::ZERO).retention(Duration::MAX);
        assert_eq!(limits.lease_millis(), 1);
        assert_eq!(limits.retention_millis(), MAX_STORE_MILLIS);
        assert_eq!(SeenLimits::default().lease_millis(), 60_000);
    }
}
