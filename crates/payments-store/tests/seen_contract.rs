//! The seen-store contract, one test body run against every store: in memory, PostgreSQL and
//! Redis (the real servers of `cargo xtask stores`). Each store is used through two instances
//! on independent connections, the way two servers behind a load balancer share it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::sync::Arc;
use std::time::Duration;

use payments_core::seen::{Claim, Lease, SeenLimits, SeenStore, Settle};
use support::Harness;
use tokio::sync::Barrier;

mod support;

for_every_store!(
    claim_complete_release,
    done_is_done,
    in_progress_is_refused,
    an_expired_lease_is_taken_over,
    a_stale_lease_cannot_settle_the_new_holders_claim,
    a_lease_that_ran_out_untaken_still_completes,
    purge_removes_old_done_keys_and_expired_leases,
    fifty_concurrent_claims_of_one_key_make_one_new,
);

/// A lease short enough to wait out, long enough that the few calls made while it must hold
/// finish well within it even on a loaded machine.
const SHORT: Duration = Duration::from_secs(3);
/// Waits out [`SHORT`].
const PAST_SHORT: Duration = Duration::from_millis(3600);

#[track_caller]
fn new(claim: Claim) -> Lease {
    claim.lease().unwrap_or_else(|| panic!("expected a new claim, got {claim:?}"))
}

async fn claim_complete_release(harness: Harness) {
    let [a, b] = harness.stores(SeenLimits::default());
    let first = new(a.claim("k").await.unwrap());
    assert_eq!(b.claim("k").await.unwrap(), Claim::InProgress);
    assert_eq!(a.release("k", &first).await.unwrap(), Settle::Settled);
    let second = new(b.claim("k").await.unwrap());
    assert_ne!(first, second, "every claim has its own lease");
    assert_eq!(a.claim("k").await.unwrap(), Claim::InProgress);
    assert_eq!(b.complete("k", &second).await.unwrap(), Settle::Settled);
    assert_eq!(a.claim("k").await.unwrap(), Claim::Done);
    // Keys are independent.
    assert!(a.claim("other").await.unwrap().is_new());
}

async fn done_is_done(harness: Harness) {
    let [a, b] = harness.stores(SeenLimits::default());
    let lease = new(a.claim("k").await.unwrap());
    assert_eq!(a.complete("k", &lease).await.unwrap(), Settle::Settled);
    for store in [&a, &b] {
        assert_eq!(store.claim("k").await.unwrap(), Claim::Done);
    }
    // Neither a release nor a second completion undoes it.
    assert_eq!(b.release("k", &lease).await.unwrap(), Settle::Lost);
    assert_eq!(b.complete("k", &lease).await.unwrap(), Settle::Lost);
    let stranger = Lease::random().unwrap();
    assert_eq!(b.release("k", &stranger).await.unwrap(), Settle::Lost);
    assert_eq!(b.complete("k", &stranger).await.unwrap(), Settle::Lost);
    assert_eq!(b.claim("k").await.unwrap(), Claim::Done);
}

async fn in_progress_is_refused(harness: Harness) {
    let [a, b] = harness.stores(SeenLimits::default());
    let lease = new(a.claim("k").await.unwrap());
    for store in [&a, &b, &a] {
        assert_eq!(store.claim("k").await.unwrap(), Claim::InProgress);
    }
    // Another lease can neither complete nor release it.
    let stranger = Lease::random().unwrap();
    assert_eq!(b.complete("k", &stranger).await.unwrap(), Settle::Lost);
    assert_eq!(b.release("k", &stranger).await.unwrap(), Settle::Lost);
    assert_eq!(b.claim("k").await.unwrap(), Claim::InProgress);
    assert_eq!(a.complete("k", &lease).await.unwrap(), Settle::Settled);
    assert_eq!(b.claim("k").await.unwrap(), Claim::Done);
}

async fn an_expired_lease_is_taken_over(harness: Harness) {
    let [a, b] = harness.stores(SeenLimits::default().lease(SHORT));
    let crashed = new(a.claim("k").await.unwrap());
    assert_eq!(b.claim("k").await.unwrap(), Claim::InProgress);
    // The instance holding it never settles (it died); its lease runs out.
    tokio::time::sleep(PAST_SHORT).await;
    let taken = new(b.claim("k").await.unwrap());
    assert_ne!(taken, crashed);
    assert_eq!(a.claim("k").await.unwrap(), Claim::InProgress);
    assert_eq!(b.complete("k", &taken).await.unwrap(), Settle::Settled);
    assert_eq!(a.claim("k").await.unwrap(), Claim::Done);
}

async fn a_stale_lease_cannot_settle_the_new_holders_claim(harness: Harness) {
    let [a, b] = harness.stores(SeenLimits::default().lease(SHORT));
    let slow = new(a.claim("k").await.unwrap());
    let failed = new(a.claim("j").await.unwrap());
    tokio::time::sleep(PAST_SHORT).await;
    let holder = new(b.claim("k").await.unwrap());
    let other = new(b.claim("j").await.unwrap());
    // The slow instance finishes after its lease was taken over: it changes nothing.
    assert_eq!(a.complete("k", &slow).await.unwrap(), Settle::Lost);
    assert_eq!(a.release("k", &slow).await.unwrap(), Settle::Lost);
    assert_eq!(a.release("j", &failed).await.unwrap(), Settle::Lost);
    assert_eq!(a.complete("j", &failed).await.unwrap(), Settle::Lost);
    for key in ["k", "j"] {
        assert_eq!(a.claim(key).await.unwrap(), Claim::InProgress, "{key} still held");
    }
    // The new holders settle as usual.
    assert_eq!(b.complete("k", &holder).await.unwrap(), Settle::Settled);
    assert_eq!(b.release("j", &other).await.unwrap(), Settle::Settled);
    assert_eq!(a.claim("k").await.unwrap(), Claim::Done);
    assert!(a.claim("j").await.unwrap().is_new(), "released by its holder");
}

async fn a_lease_that_ran_out_untaken_still_completes(harness: Harness) {
    let [a, b] = harness.stores(SeenLimits::default().lease(SHORT));
    let slow = new(a.claim("k").await.unwrap());
    let failed = new(a.claim("j").await.unwrap());
    tokio::time::sleep(PAST_SHORT).await;
    // Nobody took them over: the work done is recorded, and a release has nothing to free.
    assert_eq!(a.complete("k", &slow).await.unwrap(), Settle::Settled);
    assert_eq!(a.release("j", &failed).await.unwrap(), Settle::Settled);
    assert_eq!(b.claim("k").await.unwrap(), Claim::Done);
    assert!(b.claim("j").await.unwrap().is_new());
}

async fn purge_removes_old_done_keys_and_expired_leases(harness: Harness) {
    let retention = SHORT;
    let [a, b] = harness.stores(SeenLimits::default().lease(SHORT).retention(retention));
    let old = new(a.claim("old").await.unwrap());
    assert_eq!(a.complete("old", &old).await.unwrap(), Settle::Settled);
    new(a.claim("stuck").await.unwrap());
    tokio::time::sleep(PAST_SHORT).await;
    let fresh = new(b.claim("fresh").await.unwrap());
    assert_eq!(b.complete("fresh", &fresh).await.unwrap(), Settle::Settled);
    // The old done key and the stuck claim have expired.
    let purged = b.purge().await.unwrap();
    match harness.purge_count(2) {
        Some(expected) => assert_eq!(purged, expected, "{}", harness.name),
        None => assert!(purged <= 2, "{}: {purged}", harness.name),
    }
    assert_eq!(harness.entries().await, 1, "{}: only the fresh key is left", harness.name);
    assert_eq!(b.purge().await.unwrap(), 0, "nothing more to purge");
    assert_eq!(a.claim("fresh").await.unwrap(), Claim::Done);
    assert!(a.claim("old").await.unwrap().is_new(), "past its retention");
}

async fn fifty_concurrent_claims_of_one_key_make_one_new(harness: Harness) {
    const TASKS: usize = 50;
    let stores = harness.stores(SeenLimits::default());
    for round in 0..3 {
        let key = format!("race-{round}");
        let barrier = Arc::new(Barrier::new(TASKS));
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                // Half the tasks on each instance.
                let store: Arc<dyn SeenStore> = stores[task % 2].clone();
                let (barrier, key) = (barrier.clone(), key.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.claim(&key).await.unwrap()
                })
            })
            .collect();
        let mut claims = Vec::with_capacity(TASKS);
        for task in tasks {
            claims.push(task.await.unwrap());
        }
        let winners: Vec<Lease> = claims.iter().filter_map(Claim::lease).collect();
        assert_eq!(winners.len(), 1, "{}: round {round}: {claims:?}", harness.name);
        assert!(claims.iter().all(|claim| claim.is_new() || *claim == Claim::InProgress));
        assert_eq!(stores[1].complete(&key, &winners[0]).await.unwrap(), Settle::Settled);
        assert_eq!(stores[0].claim(&key).await.unwrap(), Claim::Done);
    }
}
