//! The default nonce: unique and strictly increasing in issue order under heavy concurrency,
//! and on a scale above the seconds, milliseconds and microseconds of older libraries.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::time::{SystemTime, UNIX_EPOCH};

#[cfg(feature = "async")]
use freekassa::nonce::NonceSource;
use freekassa::nonce::{ProcessNonce, now_nanos};

#[test]
fn many_threads_get_unique_values_strictly_increasing_in_issue_order() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 40;
    const PER_ROUND: usize = 50;
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut rounds: Vec<Vec<u64>> = Vec::with_capacity(ROUNDS);
                for _ in 0..ROUNDS {
                    // Every thread starts the round together, so draws really race.
                    barrier.wait();
                    rounds.push((0..PER_ROUND).map(|_| ProcessNonce.next().unwrap()).collect());
                    barrier.wait();
                }
                rounds
            })
        })
        .collect();
    let per_thread: Vec<Vec<Vec<u64>>> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    let mut seen = HashSet::new();
    for thread in &per_thread {
        let flat: Vec<u64> = thread.iter().flatten().copied().collect();
        // In the order one thread issued them: strictly increasing.
        assert!(flat.windows(2).all(|pair| pair[0] < pair[1]), "not increasing within a thread");
        for value in flat {
            assert!(seen.insert(value), "nonce {value} issued twice");
        }
    }
    assert_eq!(seen.len(), THREADS * ROUNDS * PER_ROUND);
    // Across threads: everything issued after a barrier is greater than everything issued
    // before it, whichever thread drew it.
    for round in 1..ROUNDS {
        let before = per_thread.iter().flat_map(|t| t[round - 1].iter()).max().unwrap();
        let after = per_thread.iter().flat_map(|t| t[round].iter()).min().unwrap();
        assert!(after > before, "round {round}: {after} <= {before}");
    }
}

#[cfg(feature = "async")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_tasks_through_the_trait() {
    let source: Arc<dyn NonceSource> = Arc::new(ProcessNonce);
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let source = Arc::clone(&source);
            tokio::spawn(async move {
                let mut drawn = Vec::with_capacity(100);
                for _ in 0..100 {
                    drawn.push(source.next_nonce().await.unwrap());
                }
                drawn
            })
        })
        .collect();
    let mut all = HashSet::new();
    for task in tasks {
        let drawn = task.await.unwrap();
        assert!(drawn.windows(2).all(|pair| pair[0] < pair[1]));
        for value in drawn {
            assert!(all.insert(value), "nonce {value} issued twice");
        }
    }
    assert_eq!(all.len(), 6400);
}

#[test]
fn above_seconds_milliseconds_and_microseconds_taken_at_the_same_moment() {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let nanos_before = now_nanos();
    let nonce = ProcessNonce.next().unwrap();
    let seconds = now.as_secs();
    let millis = u64::try_from(now.as_millis()).unwrap();
    let micros = u64::try_from(now.as_micros()).unwrap();
    assert!(nonce > seconds && nonce > millis && nonce > micros, "{nonce}");
    // Nanoseconds: a thousand times the microseconds.
    assert!(nonce >= nanos_before, "{nonce} < {nanos_before}");
    assert!(nonce / 1000 >= micros, "{nonce} is not on the nanosecond scale");
    // And it still fits the signed 64-bit integer PHP reads JSON numbers into.
    assert!(i64::try_from(nonce).is_ok());
}
