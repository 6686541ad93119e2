//! [`InMemorySeenStore`]: one process's seen-store, bounded in time and size.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{Claim, Lease, SeenLimits, SeenStore, Settle, StoreError};

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

/// What the store holds for a key: 32 bytes, so a full default store stays a few megabytes
/// and mostly in cache.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// When the lease (in progress) or the retention (done) ends, in milliseconds since the
    /// store was made.
    until: u64,
    /// The lease of the claim that took the key last.
    lease: Lease,
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
    fn insert(&mut self, digest: Digest, state: State, until: u64, lease: Lease) {
        if !self.keys.contains_key(&digest) && self.keys.len() >= self.capacity {
            self.evict_oldest();
        }
        let seq = self.next_seq;
        self.next_seq = seq.wrapping_add(1);
        self.keys.insert(digest, Slot { until, lease, seq, state });
        // Released and re-claimed keys leave stale entries behind; once they fill the room
        // kept for them they are swept in one pass, so the order never outgrows its allocation.
        if self.order.len() >= order_limit(self.capacity) {
            let keys = &self.keys;
            self.order
                .retain(|(digest, seq)| keys.get(digest).is_some_and(|slot| slot.seq == *seq));
        }
        self.order.push_back((digest, seq));
    }

    fn claim(&mut self, digest: Digest, now: u64, lease_ms: u64, lease: Lease) -> Claim {
        self.drop_expired_oldest(now);
        match self.keys.get(&digest) {
            Some(slot) if slot.until > now && slot.state == State::Done => Claim::Done,
            Some(slot) if slot.until > now => Claim::InProgress,
            // Never seen, expired, or a claim whose lease ran out: this delivery takes it.
            _ => {
                self.insert(digest, State::InProgress, now.saturating_add(lease_ms), lease);
                Claim::New(lease)
            }
        }
    }

    fn complete(&mut self, digest: Digest, now: u64, retention: u64, lease: Lease) -> Settle {
        let until = now.saturating_add(retention);
        match self.keys.get_mut(&digest) {
            // Done already, or held by another claim's live lease.
            Some(slot)
                if slot.until > now && (slot.state == State::Done || slot.lease != lease) =>
            {
                Settle::Lost
            }
            // Held by this lease (even past its end), or free: kept at its place in the claim
            // order, so the oldest claimed is forgotten first.
            Some(slot) => {
                *slot = Slot { until, state: State::Done, ..*slot };
                Settle::Settled
            }
            None => {
                self.insert(digest, State::Done, until, lease);
                Settle::Settled
            }
        }
    }

    fn release(&mut self, digest: Digest, now: u64, lease: Lease) -> Settle {
        match self.keys.get(&digest) {
            Some(slot) if slot.state == State::InProgress && slot.lease == lease => {
                self.keys.remove(&digest);
                Settle::Settled
            }
            Some(slot) if slot.until > now => Settle::Lost,
            // Free already: nothing to give back.
            _ => Settle::Settled,
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
        let shard = self.shards.get(index).ok_or_else(|| StoreError::Unexpected {
            store: "in-memory seen-store",
            operation: "find the key's shard",
            detail: format!("no shard {index} of {}", self.shards.len()),
        })?;
        let mut shard = shard.lock().map_err(|_| StoreError::Poisoned)?;
        Ok(f(&mut shard, digest))
    }

    /// `instant` in milliseconds since the store was made.
    fn millis(&self, instant: Instant) -> u64 {
        millis(instant.saturating_duration_since(self.epoch))
    }

    fn claim_at(&self, key: &str, now: Instant) -> Result<Claim, StoreError> {
        let lease = Lease::random()?;
        let (now, lease_ms) = (self.millis(now), millis(self.limits.lease));
        self.with_shard(key, |shard, digest| shard.claim(digest, now, lease_ms, lease))
    }

    fn complete_at(&self, key: &str, lease: Lease, now: Instant) -> Result<Settle, StoreError> {
        let (now, retention) = (self.millis(now), millis(self.limits.retention));
        self.with_shard(key, |shard, digest| shard.complete(digest, now, retention, lease))
    }

    fn release_at(&self, key: &str, lease: Lease, now: Instant) -> Result<Settle, StoreError> {
        let now = self.millis(now);
        self.with_shard(key, |shard, digest| shard.release(digest, now, lease))
    }

    fn purge_at(&self, now: Instant) -> Result<u64, StoreError> {
        let now = self.millis(now);
        let mut removed = 0_u64;
        for shard in &self.shards {
            let mut shard = shard.lock().map_err(|_| StoreError::Poisoned)?;
            let before = shard.keys.len();
            shard.keys.retain(|_, slot| slot.until > now);
            let keys = &shard.keys;
            let live = |(digest, seq): &(Digest, u32)| {
                keys.get(digest).is_some_and(|slot| slot.seq == *seq)
            };
            let order = shard.order.iter().copied().filter(live).collect();
            shard.order = order;
            removed = removed.saturating_add(
                u64::try_from(before.saturating_sub(shard.keys.len())).unwrap_or(u64::MAX),
            );
        }
        Ok(removed)
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

    async fn complete(&self, key: &str, lease: &Lease) -> Result<Settle, StoreError> {
        self.complete_at(key, *lease, Instant::now())
    }

    async fn release(&self, key: &str, lease: &Lease) -> Result<Settle, StoreError> {
        self.release_at(key, *lease, Instant::now())
    }

    async fn purge(&self) -> Result<u64, StoreError> {
        self.purge_at(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(claim: Claim) -> Lease {
        claim.lease().unwrap_or_else(|| panic!("expected a new claim, got {claim:?}"))
    }

    #[tokio::test]
    async fn claim_complete_release() {
        let store = InMemorySeenStore::new();
        let first = new(store.claim("a").await.unwrap());
        assert_eq!(store.claim("a").await.unwrap(), Claim::InProgress);
        assert_eq!(store.release("a", &first).await.unwrap(), Settle::Settled);
        let second = new(store.claim("a").await.unwrap());
        assert_ne!(first, second, "every claim has its own lease");
        assert_eq!(
            store.complete("a", &first).await.unwrap(),
            Settle::Lost,
            "not first's any more"
        );
        assert_eq!(store.complete("a", &second).await.unwrap(), Settle::Settled);
        assert_eq!(store.claim("a").await.unwrap(), Claim::Done);
        assert_eq!(store.release("a", &second).await.unwrap(), Settle::Lost);
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
        let first = new(store.claim_at("a", start).unwrap());
        let within_lease = start + Duration::from_secs(59);
        assert_eq!(store.claim_at("a", within_lease).unwrap(), Claim::InProgress);
        let after_lease = start + Duration::from_secs(60);
        let second = new(store.claim_at("a", after_lease).unwrap());
        // The first holder's lease was taken over: it can settle nothing.
        assert_eq!(store.complete_at("a", first, after_lease).unwrap(), Settle::Lost);
        assert_eq!(store.release_at("a", first, after_lease).unwrap(), Settle::Lost);
        assert_eq!(store.claim_at("a", after_lease).unwrap(), Claim::InProgress);

        assert_eq!(store.complete_at("a", second, after_lease).unwrap(), Settle::Settled);
        let within_retention = after_lease + Duration::from_secs(599);
        assert_eq!(store.claim_at("a", within_retention).unwrap(), Claim::Done);
        let after_retention = after_lease + Duration::from_secs(600);
        assert!(store.claim_at("a", after_retention).unwrap().is_new(), "forgotten");
    }

    #[test]
    fn a_lease_that_ran_out_untaken_still_completes() {
        let store =
            InMemorySeenStore::with_limits(SeenLimits::default().lease(Duration::from_secs(1)));
        let start = Instant::now();
        let lease = new(store.claim_at("a", start).unwrap());
        let late = start + Duration::from_secs(5);
        assert_eq!(store.complete_at("a", lease, late).unwrap(), Settle::Settled);
        assert_eq!(store.claim_at("a", late).unwrap(), Claim::Done);
        // And releasing a key nobody holds has nothing to give back.
        let other = new(store.claim_at("b", start).unwrap());
        assert_eq!(store.release_at("b", other, late).unwrap(), Settle::Settled);
    }

    #[test]
    fn purge_removes_what_expired_and_keeps_the_rest() {
        // One shard (capacity up to 1,024), so the claims' order is known: the live "old" at
        // its front keeps claims from dropping the expired "stuck" behind it.
        let store = InMemorySeenStore::with_limits(
            SeenLimits::default()
                .capacity(100)
                .lease(Duration::from_secs(10))
                .retention(Duration::from_secs(100)),
        );
        let start = Instant::now();
        let old = new(store.claim_at("old", start).unwrap());
        store.complete_at("old", old, start).unwrap();
        new(store.claim_at("stuck", start).unwrap());
        let later = start + Duration::from_secs(50);
        let fresh = new(store.claim_at("fresh", later).unwrap());
        store.complete_at("fresh", fresh, later).unwrap();
        assert_eq!(store.purge_at(later).unwrap(), 1, "only the stuck claim's lease ended");
        assert_eq!(store.purge_at(start + Duration::from_secs(120)).unwrap(), 1, "old");
        assert_eq!(store.len(), 1);
        assert_eq!(store.claim_at("fresh", start + Duration::from_secs(120)).unwrap(), Claim::Done);
    }

    #[test]
    fn expired_keys_are_dropped_from_the_old_end() {
        let store = InMemorySeenStore::with_limits(
            SeenLimits::default().capacity(4).retention(Duration::from_secs(1)),
        );
        let start = Instant::now();
        store.complete_at("a", Lease::from_bytes([1; 16]), start).unwrap();
        assert_eq!(store.len(), 1);
        // "b" is another key: claiming it drops the expired "a" first.
        assert!(store.claim_at("b", start + Duration::from_secs(2)).unwrap().is_new());
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn the_key_claimed_first_is_forgotten_first() {
        let store = InMemorySeenStore::with_limits(SeenLimits::default().capacity(3));
        let now = Instant::now();
        let leases: Vec<_> =
            ["a", "b", "c"].iter().map(|key| new(store.claim_at(key, now).unwrap())).collect();
        // Completing "a" last does not make it younger: it was claimed first.
        for (key, lease) in ["a", "b", "c"].iter().zip(&leases).rev() {
            assert_eq!(store.complete_at(key, *lease, now).unwrap(), Settle::Settled);
        }
        assert!(store.claim_at("d", now).unwrap().is_new());
        assert_eq!(store.len(), 3);
        assert_eq!(store.claim_at("b", now).unwrap(), Claim::Done);
        assert_eq!(store.claim_at("c", now).unwrap(), Claim::Done);
        assert_eq!(store.claim_at("d", now).unwrap(), Claim::InProgress);
        assert!(store.claim_at("a", now).unwrap().is_new(), "a was forgotten");
    }

    #[tokio::test]
    async fn released_keys_never_push_live_keys_out() {
        let store = InMemorySeenStore::with_limits(SeenLimits::default().capacity(2));
        let lease = new(store.claim("a").await.unwrap());
        store.complete("a", &lease).await.unwrap();
        // A notification whose handler keeps failing: claimed and released again and again.
        for _ in 0..100 {
            let lease = new(store.claim("x").await.unwrap());
            assert_eq!(store.release("x", &lease).await.unwrap(), Settle::Settled);
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

    #[test]
    fn a_slot_is_32_bytes() {
        assert_eq!(std::mem::size_of::<Slot>(), 32);
    }
}
