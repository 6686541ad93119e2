//! The seen-store and the nonce counter on Redis, through the redis crate's tokio
//! [`ConnectionManager`] (which reconnects by itself).
//!
//! # Key layout
//!
//! | key | value | expiry |
//! |---|---|---|
//! | `<prefix><de-dup key>` (default prefix `payments:seen:`) | the lease token (32 hex digits) while in progress; `done` once processed | the lease (`PX`) while in progress; the retention once done |
//! | the counter's key (e.g. `payments:nonce:freekassa:777`) | the last nonce issued, in decimal | none |
//!
//! - A claim is `SET <key> <token> NX PX <lease>`: only one caller can create the key. When
//!   it exists, a `GET` tells `done` from a token (a key that vanished in between counts as in
//!   progress: the caller answers 409 and the gateway delivers again).
//! - Completion and release are Lua scripts that read the value and change it in one atomic
//!   step, only if it is still this lease's token (completion also when the key is gone:
//!   nobody holds it). A lease that ran out was deleted by Redis, so a new claim may hold the
//!   key; the scripts then leave it alone ([`Settle::Lost`]).
//! - Redis expires keys by itself, so [`SeenStore::purge`] has nothing to do and returns 0.
//!
//! Leases and retention use the Redis server's clock. Needs Redis 3.2 or later (the nonce
//! script writes after `TIME`, with `redis.replicate_commands()`) or Valkey, as one node or
//! behind Sentinel: the store takes a single-node `ConnectionManager`, so a cluster's
//! redirections are errors (503, the gateway retries), not followed.
//!
//! # What Redis must be configured for
//!
//! - **Persistence**: `appendonly yes` with `appendfsync always`. With the default
//!   `everysec`, a Redis crash forgets up to a second of processed keys, and their
//!   notifications reach the handler again.
//! - **No eviction**: `maxmemory-policy noeviction`. Every key here has a TTL, so the
//!   `volatile-*` policies evict them, and `volatile-ttl` evicts live leases first, which lets
//!   a second delivery run beside the first.
//! - **No failover promises**: replication is asynchronous, so a failover can lose claims and
//!   completions the old primary acknowledged. For exactly-once effects across failures, use
//!   PostgreSQL and the transactional router.
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use payments_store::redis::{RedisNonceCounter, RedisSeenStore};
//! use payments_store::redis_client::{Client, aio::ConnectionManager};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let manager = ConnectionManager::new(Client::open("redis://127.0.0.1/")?).await?;
//! let seen = RedisSeenStore::new(manager.clone()).with_prefix("shop:seen:")?;
//! let nonces = RedisNonceCounter::new(manager, "shop:nonce:freekassa:777")?;
//! // WebhookRouter::new(handler).store(Arc::new(seen));
//! // freekassa::Client::new(config)?.with_nonce_source(Arc::new(nonces));
//! # let _ = (Arc::new(seen), Arc::new(nonces));
//! # Ok(())
//! # }
//! ```

use std::fmt;

use ::redis::Script;
use ::redis::aio::ConnectionManager;
use async_trait::async_trait;
use payments_core::nonce::{NonceError, NonceSource};
use payments_core::seen::{Claim, Lease, SeenLimits, SeenStore, Settle, StoreError};

use crate::{NonceStoreError, check_counter_name};

const SEEN: &str = "Redis seen-store";
const NONCE: &str = "Redis nonce counter";

/// The default key prefix of [`RedisSeenStore`].
///
/// ```
/// assert_eq!(payments_store::redis::DEFAULT_PREFIX, "payments:seen:");
/// ```
pub const DEFAULT_PREFIX: &str = "payments:seen:";

/// The value of a processed key. Lease tokens are 32 hex digits, so they never equal it.
const DONE: &str = "done";

/// KEYS[1] the key, ARGV[1] the lease token, ARGV[2] the done marker, ARGV[3] the retention
/// in ms. Done if the token holds the key or nobody does (it expired or was released).
const COMPLETE: &str = r"
local value = redis.call('GET', KEYS[1])
if value == ARGV[1] or not value then
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
    return 1
end
return 0
";

/// KEYS[1] the key, ARGV[1] the lease token. Freed if the token holds it; already free is
/// settled too; held by another claim or done is lost.
const RELEASE: &str = r"
local value = redis.call('GET', KEYS[1])
if value == ARGV[1] then
    redis.call('DEL', KEYS[1])
    return 1
end
if not value then
    return 1
end
return 0
";

/// KEYS[1] the counter. Returns, as a decimal string, `max(previous + 1, now in ns)` with now
/// from `TIME` rounded up to the next microsecond. Lua numbers are doubles (exact only up to
/// 2^53), so nothing near 10^18 is computed with them: now is built as text, compared with
/// the previous value as text of the same length, and `INCR` does the 64-bit `+ 1`.
const NEXT_NONCE: &str = r"
redis.replicate_commands()
local time = redis.call('TIME')
local seconds, micros = tonumber(time[1]), tonumber(time[2]) + 1
if micros >= 1000000 then
    seconds, micros = seconds + 1, micros - 1000000
end
local now = string.format('%d%06d000', seconds, micros)
local previous = redis.call('GET', KEYS[1])
if previous and not string.match(previous, '^[1-9]%d*$') then
    return redis.error_reply('the nonce counter holds ' .. string.sub(previous, 1, 40) .. ', not a positive integer')
end
if not previous or #previous < #now or (#previous == #now and previous < now) then
    redis.call('SET', KEYS[1], now)
    return now
end
redis.call('INCR', KEYS[1])
return redis.call('GET', KEYS[1])
";

/// The [`SeenStore`] on Redis: one key per de-dup key, expiring by itself.
///
/// ```no_run
/// use std::time::Duration;
/// use payments_core::seen::{Claim, SeenLimits, SeenStore, Settle};
/// use payments_store::redis::RedisSeenStore;
/// use payments_store::redis_client::{Client, aio::ConnectionManager};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let manager = ConnectionManager::new(Client::open("redis://127.0.0.1/")?).await?;
/// let store = RedisSeenStore::new(manager)
///     .with_limits(SeenLimits::default().retention(Duration::from_secs(30 * 24 * 3600)));
/// if let Claim::New(lease) = store.claim("v1|freekassa|2:42|paid").await? {
///     // ... handle it, then:
///     assert_eq!(store.complete("v1|freekassa|2:42|paid", &lease).await?, Settle::Settled);
/// }
/// # Ok(())
/// # }
/// ```
pub struct RedisSeenStore {
    connection: ConnectionManager,
    prefix: String,
    limits: SeenLimits,
    complete: Script,
    release: Script,
}

impl fmt::Debug for RedisSeenStore {
    // The connection's settings may hold a password: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSeenStore")
            .field("prefix", &self.prefix)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl RedisSeenStore {
    /// A store on `connection` with keys under [`DEFAULT_PREFIX`] and the default
    /// [`SeenLimits`] (60 s lease, 90 days' retention; the capacity is not used).
    pub fn new(connection: ConnectionManager) -> Self {
        Self {
            connection,
            prefix: DEFAULT_PREFIX.to_owned(),
            limits: SeenLimits::default(),
            complete: Script::new(COMPLETE),
            release: Script::new(RELEASE),
        }
    }

    /// Puts the keys under `prefix` (e.g. `shop:seen:`; it may be empty).
    ///
    /// ```no_run
    /// # fn run(manager: payments_store::redis_client::aio::ConnectionManager) -> Result<(), payments_core::seen::StoreError> {
    /// let store = payments_store::redis::RedisSeenStore::new(manager).with_prefix("shop:seen:")?;
    /// assert_eq!(store.redis_key("k"), "shop:seen:k");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`StoreError::Config`] for a prefix over 200 bytes.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Result<Self, StoreError> {
        let prefix = prefix.into();
        if prefix.len() > 200 {
            return Err(StoreError::Config {
                store: SEEN,
                setting: "prefix",
                reason: format!("{} bytes, at most 200", prefix.len()),
            });
        }
        self.prefix = prefix;
        Ok(self)
    }

    /// Uses these lease and retention periods.
    #[must_use]
    pub fn with_limits(mut self, limits: SeenLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits in force.
    ///
    /// ```no_run
    /// # fn run(manager: payments_store::redis_client::aio::ConnectionManager) {
    /// let store = payments_store::redis::RedisSeenStore::new(manager);
    /// assert_eq!(store.limits().lease, std::time::Duration::from_secs(60));
    /// # }
    /// ```
    pub fn limits(&self) -> SeenLimits {
        self.limits
    }

    /// The Redis key of a de-dup key.
    ///
    /// ```no_run
    /// # async fn run(manager: payments_store::redis_client::aio::ConnectionManager) {
    /// let store = payments_store::redis::RedisSeenStore::new(manager);
    /// assert_eq!(store.redis_key("v1|fena|1:7|paid"), "payments:seen:v1|fena|1:7|paid");
    /// # }
    /// ```
    pub fn redis_key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

#[async_trait]
impl SeenStore for RedisSeenStore {
    async fn claim(&self, key: &str) -> Result<Claim, StoreError> {
        let lease = Lease::random()?;
        let redis_key = self.redis_key(key);
        let mut connection = self.connection.clone();
        let set: Option<String> = ::redis::cmd("SET")
            .arg(&redis_key)
            .arg(lease.to_string())
            .arg("NX")
            .arg("PX")
            .arg(self.limits.lease_millis())
            .query_async(&mut connection)
            .await
            .map_err(|error| StoreError::backend(SEEN, "claim", error))?;
        if set.is_some() {
            return Ok(Claim::New(lease));
        }
        let value: Option<String> = ::redis::cmd("GET")
            .arg(&redis_key)
            .query_async(&mut connection)
            .await
            .map_err(|error| StoreError::backend(SEEN, "claim", error))?;
        Ok(match value.as_deref() {
            Some(DONE) => Claim::Done,
            // Another claim's token, or gone since the SET: in progress either way.
            _ => Claim::InProgress,
        })
    }

    async fn complete(&self, key: &str, lease: &Lease) -> Result<Settle, StoreError> {
        let mut connection = self.connection.clone();
        let done: i64 = self
            .complete
            .key(self.redis_key(key))
            .arg(lease.to_string())
            .arg(DONE)
            .arg(self.limits.retention_millis())
            .invoke_async(&mut connection)
            .await
            .map_err(|error| StoreError::backend(SEEN, "complete", error))?;
        settle(done, "complete")
    }

    async fn release(&self, key: &str, lease: &Lease) -> Result<Settle, StoreError> {
        let mut connection = self.connection.clone();
        let released: i64 = self
            .release
            .key(self.redis_key(key))
            .arg(lease.to_string())
            .invoke_async(&mut connection)
            .await
            .map_err(|error| StoreError::backend(SEEN, "release", error))?;
        settle(released, "release")
    }

    async fn purge(&self) -> Result<u64, StoreError> {
        // Redis deletes expired keys by itself.
        Ok(0)
    }
}

/// A script's 1 or 0 as a [`Settle`].
fn settle(answer: i64, operation: &'static str) -> Result<Settle, StoreError> {
    match answer {
        1 => Ok(Settle::Settled),
        0 => Ok(Settle::Lost),
        other => Err(StoreError::Unexpected {
            store: SEEN,
            operation,
            detail: format!("the script returned {other}, expected 0 or 1"),
        }),
    }
}

/// A shared nonce counter on Redis: one key holding the last value issued.
///
/// Each draw is one Lua script that sets the key to `max(previous + 1, now in nanoseconds)`
/// and returns it, with now from the server's `TIME`, rounded up to the next microsecond so it
/// is never below any instance's reading taken before. Scripts run one at a time, so values
/// are strictly increasing across every instance; and since every source issues at least the
/// time in nanoseconds, switching from the in-process
/// [`ProcessNonce`](payments_core::nonce::ProcessNonce) never goes back.
///
/// ```no_run
/// use payments_core::nonce::NonceSource;
/// use payments_store::redis::RedisNonceCounter;
/// use payments_store::redis_client::{Client, aio::ConnectionManager};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let manager = ConnectionManager::new(Client::open("redis://127.0.0.1/")?).await?;
/// let counter = RedisNonceCounter::new(manager, "payments:nonce:freekassa:777")?;
/// let first = counter.next_nonce().await?;
/// assert!(counter.next_nonce().await? > first);
/// # Ok(())
/// # }
/// ```
pub struct RedisNonceCounter {
    connection: ConnectionManager,
    key: String,
    script: Script,
}

impl fmt::Debug for RedisNonceCounter {
    // The connection's settings may hold a password: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisNonceCounter").field("key", &self.key).finish_non_exhaustive()
    }
}

impl RedisNonceCounter {
    /// The counter at Redis key `key` (one per account the nonces are for, e.g.
    /// `payments:nonce:freekassa:<shop id>`).
    ///
    /// # Errors
    ///
    /// [`StoreError::Config`] for an empty key or one over 200 bytes.
    pub fn new(connection: ConnectionManager, key: &str) -> Result<Self, StoreError> {
        check_counter_name(NONCE, key)?;
        Ok(Self { connection, key: key.to_owned(), script: Script::new(NEXT_NONCE) })
    }
}

#[async_trait]
impl NonceSource for RedisNonceCounter {
    async fn next_nonce(&self) -> Result<u64, NonceError> {
        let mut connection = self.connection.clone();
        let value: String = self
            .script
            .key(&self.key)
            .invoke_async(&mut connection)
            .await
            .map_err(|error| NonceStoreError::backend(NONCE, error))?;
        value.parse().map_err(|_| NonceStoreError::unexpected(NONCE, &value))
    }
}
