//! Remembering which notifications were processed, so a delivery repeated by the gateway (or
//! by an attacker replaying a genuine one) never marks an order paid twice.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

/// What the store says about a notification key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Not seen: the caller now owns it and must call [`SeenStore::complete`] or
    /// [`SeenStore::release`].
    New,
    /// Another delivery of it is being processed right now.
    InProgress,
    /// Already processed successfully.
    Done,
}

/// A store of processed notification keys. The in-memory default serves one process; several
/// instances behind a load balancer need a shared one (a database table with a unique key, a
/// Redis `SET NX`), plugged in through this trait.
#[async_trait]
pub trait SeenStore: Send + Sync + std::fmt::Debug {
    /// Atomically claims `key` unless it is done or in progress.
    ///
    /// # Errors
    ///
    /// A store failure; the delivery is then refused with a 5xx so the gateway retries.
    async fn claim(&self, key: &str) -> Result<Claim, StoreError>;

    /// Marks a claimed key as processed.
    ///
    /// # Errors
    ///
    /// A store failure.
    async fn complete(&self, key: &str) -> Result<(), StoreError>;

    /// Gives a claimed key back after a failure, so a later delivery is processed.
    ///
    /// # Errors
    ///
    /// A store failure.
    async fn release(&self, key: &str) -> Result<(), StoreError>;
}

/// A failure of the store itself.
#[derive(Debug, thiserror::Error)]
#[error("seen-store failure: {0}")]
pub struct StoreError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// How long, and how many, notification keys the [`InMemorySeenStore`] keeps.
///
/// The defaults cover every gateway's redelivery schedule many times over: Fena retries for
/// 3.5 minutes (3 tries, 30/60/120 s apart); Feennex and Freekassa do not publish theirs, and
/// Freekassa repeats until it reads `YES`, which takes hours at most, not weeks.
///
/// ```
/// use std::time::Duration;
/// use payments::seen::{InMemorySeenStore, SeenLimits};
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
    /// How long a claim may stay in progress (default 60 s). This is the last resort for a
    /// claim whose handler never settled (a process stopped mid-way): after it, the next
    /// delivery is processed. A handler must finish within it, or a redelivery may run
    /// beside it.
    pub lease: Duration,
    /// The most keys kept (default 100,000, about 7 MB allocated up front: 32 bytes a
    /// key in the map, 24 in the claim order); past it the key
    /// claimed first is forgotten first (the first of its shard: above 1,024 keys they are
    /// spread over up to 16 shards).
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
}

/// The most shards: enough that two cores rarely wait on each other.
const MAX_SHARDS: usize = 16;
/// Keys per shard before another shard is added, so a small store is one exact FIFO.
const KEYS_PER_SHARD: usize = 1024;

/// A key as stored: 128 bits of two independently keyed SipHashes of the de-dup key. Held
/// inline, so the store allocates nothing per claim once it is full; two distinct keys meet
/// with a chance of about 2^-128 per pair, and the hash keys are random per process, so a
/// sender cannot aim for a collision.
type Digest = (u64, u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    InProgress,
    Done,
}

/// What the store holds for a key: 16 bytes, so a full default store stays a few megabytes
/// and mostly in cache.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// When the lease (in progress) or the retention (done) ends, in milliseconds since the
    /// store was made.
    until: u64,
    /// Which entry of the claim order is this key's: older entries for it are stale.
    seq: u32,
    state: State,
}

/// One shard: the keys, and the order they were claimed in (oldest first) for eviction.
/// Both are allocated at their full size up front and never grow past it, so no claim pays
/// for a rehash.
#[derive(Debug)]
struct Shard {
    keys: HashMap<Digest, Slot>,
    order: VecDeque<(Digest, u32)>,
    capacity: usize,
    next_seq: u32,
}

impl Shard {
    fn new(capacity: usize) -> Self {
        Self {
            keys: HashMap::with_capacity(capacity),
            order: VecDeque::with_capacity(order_limit(capacity)),
            capacity,
            next_seq: 0,
        }
    }

    fn is_live(&self, (digest, seq): (Digest, u32)) -> bool {
        self.keys.get(&digest).is_some_and(|slot| slot.seq == seq)
    }

    /// Drops the oldest entries that are stale or expired, at most a few per call.
    fn drop_expired_oldest(&mut self, now: u64) {
        for _ in 0..4 {
            let Some(&(digest, seq)) = self.order.front() else { return };
            match self.keys.get(&digest) {
                Some(slot) if slot.seq == seq && slot.until > now => return,
                Some(slot) if slot.seq == seq => {
                    self.keys.remove(&digest);
                }
                _ => {}
            }
            self.order.pop_front();
        }
    }

    /// Makes room for one more key by forgetting the oldest live one.
    fn evict_oldest(&mut self) {
        while let Some(item) = self.order.pop_front() {
            if self.is_live(item) {
                self.keys.remove(&item.0);
                return;
            }
        }
    }

    /// Sets `digest` as a new entry at the young end of the claim order.
    fn insert(&mut self, digest: Digest, state: State, until: u64) {
        if !self.keys.contains_key(&digest) && self.keys.len() >= self.capacity {
            self.evict_oldest();
        }
        let seq = self.next_seq;
        self.next_seq = seq.wrapping_add(1);
        self.keys.insert(digest, Slot { until, seq, state });
        // Released and re-claimed keys leave stale entries behind; once they fill the room
        // kept for them they are swept in one pass, so the order never outgrows its allocation.
        if self.order.len() >= order_limit(self.capacity) {
            let keys = &self.keys;
            self.order
                .retain(|(digest, seq)| keys.get(digest).is_some_and(|slot| slot.seq == *seq));
        }
        self.order.push_back((digest, seq));
    }

    fn claim(&mut self, digest: Digest, now: u64, lease: u64) -> Claim {
        self.drop_expired_oldest(now);
        match self.keys.get(&digest) {
            Some(slot) if slot.until > now && slot.state == State::Done => Claim::Done,
            Some(slot) if slot.until > now => Claim::InProgress,
            // Never seen, expired, or a claim whose lease ran out: this delivery owns it.
            _ => {
                self.insert(digest, State::InProgress, now.saturating_add(lease));
                Claim::New
            }
        }
    }

    fn complete(&mut self, digest: Digest, now: u64, retention: u64) {
        let until = now.saturating_add(retention);
        match self.keys.get_mut(&digest) {
            // Kept at its place in the claim order: the oldest claimed is forgotten first.
            Some(slot) => *slot = Slot { until, state: State::Done, ..*slot },
            None => self.insert(digest, State::Done, until),
        }
    }

    fn release(&mut self, digest: Digest) {
        if self.keys.get(&digest).is_some_and(|slot| slot.state == State::InProgress) {
            self.keys.remove(&digest);
        }
    }
}

/// How long a shard's claim order may get, stale entries included: a quarter more than its
/// capacity.
fn order_limit(capacity: usize) -> usize {
    capacity.saturating_add(capacity / 4)
}

/// The in-memory [`SeenStore`]: fine for one process; forgets everything on restart.
///
/// Bounded by [`SeenLimits`]: processed keys expire after the retention period, claims after
/// the lease, and past the capacity the key claimed first is forgotten first. Keys are spread
/// over shards, each allocated for its full share up front, so a claim costs about the same
/// with ten keys or with a hundred thousand: no map grows as keys are added (heavy churn can
/// make a full map rebuild its table once, bounded by the capacity), and a full store
/// allocates nothing per claim.
#[derive(Debug)]
pub struct InMemorySeenStore {
    shards: Box<[Mutex<Shard>]>,
    hashers: (RandomState, RandomState),
    epoch: Instant,
    limits: SeenLimits,
}

impl Default for InMemorySeenStore {
    fn default() -> Self {
        Self::new()
    }
}

impl InMemorySeenStore {
    /// An empty store with the default [`SeenLimits`].
    pub fn new() -> Self {
        Self::with_limits(SeenLimits::default())
    }

    /// An empty store with these limits (a capacity of 0 is taken as 1).
    pub fn with_limits(limits: SeenLimits) -> Self {
        let capacity = limits.capacity.max(1);
        let count = capacity.div_ceil(KEYS_PER_SHARD).clamp(1, MAX_SHARDS);
        // Shard capacities add up to exactly `capacity`, so the store never holds more.
        let shards = (0..count)
            .map(|index| {
                let share = capacity / count + usize::from(index < capacity % count);
                Mutex::new(Shard::new(share))
            })
            .collect();
        Self {
            shards,
            hashers: (RandomState::new(), RandomState::new()),
            epoch: Instant::now(),
            limits: SeenLimits { capacity, ..limits },
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> SeenLimits {
        self.limits
    }

    /// How many keys are held now (done, in progress, or expired and not yet dropped).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|shard| shard.lock().map_or(0, |shard| shard.keys.len())).sum()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn with_shard<T>(
        &self,
        key: &str,
        f: impl FnOnce(&mut Shard, Digest) -> T,
    ) -> Result<T, StoreError> {
        let digest = (self.hashers.0.hash_one(key), self.hashers.1.hash_one(key));
        // The modulo is taken in u64: on a 32-bit target a u64 does not fit a usize, and every
        // key would otherwise land in one shard.
        let shards = u64::try_from(self.shards.len()).unwrap_or(u64::MAX);
        let index = usize::try_from(digest.1 % shards).unwrap_or_default();
        let shard =
            self.shards.get(index).ok_or_else(|| StoreError("no shard for the key".into()))?;
        let mut shard = shard.lock().map_err(|_| StoreError("store lock poisoned".into()))?;
        Ok(f(&mut shard, digest))
    }

    /// `instant` in milliseconds since the store was made.
    fn millis(&self, instant: Instant) -> u64 {
        millis(instant.saturating_duration_since(self.epoch))
    }

    fn claim_at(&self, key: &str, now: Instant) -> Result<Claim, StoreError> {
        let (now, lease) = (self.millis(now), millis(self.limits.lease));
        self.with_shard(key, |shard, digest| shard.claim(digest, now, lease))
    }

    fn complete_at(&self, key: &str, now: Instant) -> Result<(), StoreError> {
        let (now, retention) = (self.millis(now), millis(self.limits.retention));
        self.with_shard(key, |shard, digest| shard.complete(digest, now, retention))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[async_trait]
impl SeenStore for InMemorySeenStore {
    async fn claim(&self, key: &str) -> Result<Claim, StoreError> {
        self.claim_at(key, Instant::now())
    }

    async fn complete(&self, key: &str) -> Result<(), StoreError> {
        self.complete_at(key, Instant::now())
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        self.with_shard(key, |shard, digest| shard.release(digest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn claim_complete_release() {
        let store = InMemorySeenStore::new();
        assert_eq!(store.claim("a").await.unwrap(), Claim::New);
        assert_eq!(store.claim("a").await.unwrap(), Claim::InProgress);
        store.release("a").await.unwrap();
        assert_eq!(store.claim("a").await.unwrap(), Claim::New);
        store.complete("a").await.unwrap();
        assert_eq!(store.claim("a").await.unwrap(), Claim::Done);
        store.release("a").await.unwrap();
        assert_eq!(
            store.claim("a").await.unwrap(),
            Claim::Done,
            "release never forgets a done key"
        );
    }

    #[test]
    fn a_claim_expires_after_its_lease_and_a_done_key_after_its_retention() {
        let limits = SeenLimits::default()
            .lease(Duration::from_secs(60))
            .retention(Duration::from_secs(600));
        let store = InMemorySeenStore::with_limits(limits);
        let start = Instant::now();
        assert_eq!(store.claim_at("a", start).unwrap(), Claim::New);
        let within_lease = start + Duration::from_secs(59);
        assert_eq!(store.claim_at("a", within_lease).unwrap(), Claim::InProgress);
        let after_lease = start + Duration::from_secs(60);
        assert_eq!(store.claim_at("a", after_lease).unwrap(), Claim::New, "lease ran out");

        store.complete_at("a", after_lease).unwrap();
        let within_retention = after_lease + Duration::from_secs(599);
        assert_eq!(store.claim_at("a", within_retention).unwrap(), Claim::Done);
        let after_retention = after_lease + Duration::from_secs(600);
        assert_eq!(store.claim_at("a", after_retention).unwrap(), Claim::New, "forgotten");
    }

    #[test]
    fn expired_keys_are_dropped_from_the_old_end() {
        let store = InMemorySeenStore::with_limits(
            SeenLimits::default().capacity(4).retention(Duration::from_secs(1)),
        );
        let start = Instant::now();
        store.complete_at("a", start).unwrap();
        assert_eq!(store.len(), 1);
        // "b" is another key: claiming it drops the expired "a" first.
        assert_eq!(store.claim_at("b", start + Duration::from_secs(2)).unwrap(), Claim::New);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn the_key_claimed_first_is_forgotten_first() {
        let store = InMemorySeenStore::with_limits(SeenLimits::default().capacity(3));
        let now = Instant::now();
        for key in ["a", "b", "c"] {
            assert_eq!(store.claim_at(key, now).unwrap(), Claim::New);
        }
        // Completing "a" last does not make it younger: it was claimed first.
        for key in ["c", "b", "a"] {
            store.complete_at(key, now).unwrap();
        }
        assert_eq!(store.claim_at("d", now).unwrap(), Claim::New);
        assert_eq!(store.len(), 3);
        assert_eq!(store.claim_at("b", now).unwrap(), Claim::Done);
        assert_eq!(store.claim_at("c", now).unwrap(), Claim::Done);
        assert_eq!(store.claim_at("d", now).unwrap(), Claim::InProgress);
        assert_eq!(store.claim_at("a", now).unwrap(), Claim::New, "a was forgotten");
    }

    #[tokio::test]
    async fn released_keys_never_push_live_keys_out() {
        let store = InMemorySeenStore::with_limits(SeenLimits::default().capacity(2));
        store.claim("a").await.unwrap();
        store.complete("a").await.unwrap();
        // A notification whose handler keeps failing: claimed and released again and again.
        for _ in 0..100 {
            assert_eq!(store.claim("x").await.unwrap(), Claim::New);
            store.release("x").await.unwrap();
        }
        assert_eq!(store.claim("a").await.unwrap(), Claim::Done);
        let shard = store.shards.first().unwrap().lock().unwrap();
        assert!(shard.order.len() <= order_limit(2), "{} entries", shard.order.len());
        assert_eq!(shard.keys.len(), 1);
    }

    #[test]
    fn shard_capacities_add_up_to_the_capacity() {
        for capacity in [0, 1, 5, 16, 17, 100, 100_003] {
            let store = InMemorySeenStore::with_limits(SeenLimits::default().capacity(capacity));
            let total: usize = store.shards.iter().map(|s| s.lock().unwrap().capacity).sum();
            assert_eq!(total, capacity.max(1), "capacity {capacity}");
        }
    }
}
