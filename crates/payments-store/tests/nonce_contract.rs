//! The shared nonce counter, one test body run against every source: the in-process one and
//! the PostgreSQL and Redis counters (the real servers of `cargo xtask stores`), each drawn
//! from two independent connections by 20 tasks each.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::collections::HashSet;
use std::sync::Arc;

use payments_core::nonce::{NonceSource, ProcessNonce, now_nanos};
use support::Harness;
use tokio::sync::Barrier;

mod support;

for_every_store!(
    values_strictly_increase_across_connections_and_tasks,
    switching_from_the_process_source_never_goes_back,
    a_counter_above_the_clock_goes_on_from_its_value,
);

async fn values_strictly_increase_across_connections_and_tasks(harness: Harness) {
    const TASKS_PER_CONNECTION: usize = 20;
    const DRAWS: usize = 10;
    let sources = harness.nonces("race");
    let barrier = Arc::new(Barrier::new(2 * TASKS_PER_CONNECTION));
    let tasks: Vec<_> = (0..2 * TASKS_PER_CONNECTION)
        .map(|task| {
            let source: Arc<dyn NonceSource> = sources[task % 2].clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let mut drawn = Vec::with_capacity(DRAWS);
                for _ in 0..DRAWS {
                    let before = now_nanos();
                    let nonce = source.next_nonce().await.unwrap();
                    assert!(nonce >= before, "{nonce} is below the clock read before ({before})");
                    drawn.push(nonce);
                }
                drawn
            })
        })
        .collect();
    let mut all = HashSet::new();
    let mut highest = 0;
    for task in tasks {
        let drawn = task.await.unwrap();
        // Each task sees its own draws strictly increasing...
        assert!(drawn.windows(2).all(|pair| pair[0] < pair[1]), "{}: {drawn:?}", harness.name);
        for nonce in drawn {
            // ...and no value is ever issued twice, whichever connection drew it.
            assert!(all.insert(nonce), "{}: {nonce} issued twice", harness.name);
            highest = highest.max(nonce);
        }
    }
    assert_eq!(all.len(), 2 * TASKS_PER_CONNECTION * DRAWS);
    // A draw after all of them is above every one.
    for source in &sources {
        let later = source.next_nonce().await.unwrap();
        assert!(later > highest, "{}: {later} after {highest}", harness.name);
        highest = later;
    }
}

async fn switching_from_the_process_source_never_goes_back(harness: Harness) {
    let [shared, _] = harness.nonces("switch");
    for _ in 0..100 {
        let process = ProcessNonce.next().unwrap();
        let next = shared.next_nonce().await.unwrap();
        assert!(next > process, "{}: {next} after the process source's {process}", harness.name);
    }
}

async fn a_counter_above_the_clock_goes_on_from_its_value(harness: Harness) {
    // Far above the clock and past 2^53, where a double (Lua's number) would round.
    let high = 9_000_000_000_000_000_001_u64;
    if !harness.set_nonce("high", &high.to_string()).await {
        return; // The in-process source has no shared value to set.
    }
    let [a, b] = harness.nonces("high");
    assert_eq!(a.next_nonce().await.unwrap(), high + 1, "{}", harness.name);
    assert_eq!(b.next_nonce().await.unwrap(), high + 2, "{}", harness.name);
    assert_eq!(a.next_nonce().await.unwrap(), high + 3, "{}", harness.name);
}
