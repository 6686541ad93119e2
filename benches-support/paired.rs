//! Paired measurement: two operations alternated inside every criterion sample, reported as
//! the ratio of their summed times, times 1000, as nanoseconds (`1.08 µs` means 1.08x).
//!
//! On a shared, loaded machine separate medians drift between benchmarks; alternating small
//! batches of both makes load changes hit both sides alike. `cargo xtask bench` reads the
//! `paired_*_x1000` figures this way. Included by path, as `alloc_count.rs`.
#![allow(dead_code, reason = "each benchmark uses the parts it needs")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Bencher;

/// Calls per batch: enough that reading the clock is noise next to a batch.
const BATCH: u64 = 16;

/// Times `ours` against `raw`, alternating batches (each side first every other round).
#[allow(
    clippy::float_arithmetic,
    clippy::cast_precision_loss,
    reason = "a ratio of measured times, never money"
)]
pub fn paired<R, O, RT, OT>(b: &mut Bencher<'_>, mut raw: R, mut ours: O)
where
    R: FnMut() -> RT,
    O: FnMut() -> OT,
{
    b.iter_custom(|iterations| {
        let (mut raw_time, mut ours_time) = (Duration::ZERO, Duration::ZERO);
        for round in 0..iterations.div_ceil(BATCH) {
            for ours_now in [round % 2 == 0, round % 2 == 1] {
                let started = Instant::now();
                for _ in 0..BATCH {
                    if ours_now {
                        black_box(ours());
                    } else {
                        black_box(raw());
                    }
                }
                if ours_now {
                    ours_time += started.elapsed();
                } else {
                    raw_time += started.elapsed();
                }
            }
        }
        let ratio = ours_time.as_secs_f64() / raw_time.as_secs_f64().max(f64::MIN_POSITIVE);
        // criterion divides by `iterations`: scale so that the figure reads ratio x 1000 ns.
        Duration::from_secs_f64(ratio * 1e-6 * iterations as f64)
    });
}
