//! A counting global allocator for the benchmarks: how many heap allocations one operation
//! makes, on the path requests really take.
//!
//! Included by path (`#[path = ".../benches-support/alloc_count.rs"] mod alloc_count;`) into
//! each benchmark that reports allocations. `per_op` runs the operation once to warm up (lazy
//! statics, thread-locals), then `RUNS` times, and divides. The figure is written next to
//! criterion's results (`<target>/criterion/allocations/<group>.<bench>.txt`), where
//! `cargo xtask bench` reads it, and printed.
#![allow(dead_code, reason = "each benchmark uses the parts it needs")]

use std::io::Write as _;
use std::path::PathBuf;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

/// The system allocator, counting (`stats_alloc`: a maintained wrapper, so no unsafe code of
/// ours).
#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

const RUNS: u64 = 1000;

/// Allocations (`alloc` and `realloc` calls) per call of `operation` (its result dropped each time), averaged over
/// 1000 calls after one warm-up call.
pub fn per_op<T>(mut operation: impl FnMut() -> T) -> f64 {
    drop(std::hint::black_box(operation()));
    let region = Region::new(GLOBAL);
    for _ in 0..RUNS {
        drop(std::hint::black_box(operation()));
    }
    let change = region.change();
    #[allow(
        clippy::cast_precision_loss,
        clippy::float_arithmetic,
        reason = "a count averaged, never money"
    )]
    let per_op = (change.allocations + change.reallocations) as f64 / RUNS as f64;
    per_op
}

/// Counts the allocations of `operation`, prints them and records them for `cargo xtask
/// bench` under `group` and `bench` (the criterion names of the same operation).
pub fn record<T>(group: &str, bench: &str, operation: impl FnMut() -> T) {
    let count = per_op(operation);
    let _ = writeln!(std::io::stdout(), "{group}/{bench}: {count} allocations per operation");
    if let Some(dir) = output_dir() {
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(format!("{group}.{bench}.txt")), format!("{count}\n"));
    }
}

/// `<target>/criterion/allocations`: `CRITERION_HOME` if set, else from the benchmark's own
/// path (`<target>/release/deps/<bench>-<hash>`).
fn output_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(PathBuf::from(home).join("allocations"));
    }
    let exe = std::env::current_exe().ok()?;
    Some(exe.ancestors().nth(3)?.join("criterion").join("allocations"))
}
