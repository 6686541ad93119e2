//! A claim through each store against the bare statement the store issues, from the same
//! client in the same run: PostgreSQL's claim statement run with sqlx on the same pool, and
//! Redis's `SET key token NX PX lease` on the same connection manager. The difference is what
//! the store adds (the lease token, the key, reading the answer).
//!
//! `cargo xtask bench` starts the servers and runs this; by hand, set
//! `PAYMENTS_TEST_POSTGRES_URL` and `PAYMENTS_TEST_REDIS_URL` (a store without its URL is
//! skipped) and run `cargo bench -p payments-store --all-features --bench claims`.
//!
//! The machine is shared and noisy, so each `paired_*_x1000` bench alternates the store's
//! claim and the bare statement inside every sample and reports the ratio of their summed
//! times, times 1000, as nanoseconds (`1.05 µs` means 1.05x).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_arithmetic,
    clippy::print_stderr,
    reason = "benchmark harness"
)]

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use payments_core::seen::{Claim, SeenStore};
use payments_store::postgres::{PostgresSeenStore, Schema};
use payments_store::redis::RedisSeenStore;
use payments_store::redis_client as redis;
use payments_store::sqlx;
use tokio::runtime::Runtime;

/// Keys are never reused: every claim is of a new key, as a first delivery's is.
static NEXT: AtomicU64 = AtomicU64::new(0);

fn key(run: u64) -> String {
    format!("v1|bench|{run}|{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn url(var: &str) -> Option<String> {
    let url = std::env::var(var).ok().filter(|url| !url.is_empty());
    if url.is_none() {
        eprintln!("skipped: {var} is not set; `cargo xtask bench` starts the servers");
    }
    url
}

/// Times `ours` and `raw` alternately, `iterations` rounds, and returns the ratio of their
/// summed times as a duration of ratio x 1000 ns per iteration.
fn paired<O, R>(
    runtime: &Runtime,
    iterations: u64,
    ours: impl Fn() -> O,
    raw: impl Fn() -> R,
) -> Duration
where
    O: Future<Output = ()>,
    R: Future<Output = ()>,
{
    let (mut ours_time, mut raw_time) = (Duration::ZERO, Duration::ZERO);
    for round in 0..iterations {
        for ours_now in [round % 2 == 0, round % 2 == 1] {
            let started = Instant::now();
            if ours_now {
                runtime.block_on(ours());
                ours_time += started.elapsed();
            } else {
                runtime.block_on(raw());
                raw_time += started.elapsed();
            }
        }
    }
    let ratio = ours_time.as_secs_f64() / raw_time.as_secs_f64().max(f64::MIN_POSITIVE);
    Duration::from_secs_f64(ratio * 1e-6 * iterations as f64)
}

fn postgres(c: &mut Criterion, runtime: &Runtime) {
    let Some(url) = url("PAYMENTS_TEST_POSTGRES_URL") else { return };
    let run = u64::from(std::process::id());
    let (store, pool) = runtime.block_on(async {
        let pool =
            sqlx::postgres::PgPoolOptions::new().max_connections(4).connect(&url).await.unwrap();
        let schema = Schema::named(&format!("bench_claims_{run}")).unwrap();
        let store = PostgresSeenStore::new(pool.clone()).with_schema(schema);
        store.migrate().await.unwrap();
        (store, pool)
    });
    let statement = store.claim_statement().to_owned();
    let lease_ms = i64::try_from(store.limits().lease.as_millis()).unwrap();
    let ours = || async {
        assert!(matches!(store.claim(&key(run)).await.unwrap(), Claim::New(_)));
    };
    let raw = || async {
        let row = sqlx::query(sqlx::AssertSqlSafe(statement.clone()))
            .bind(key(run))
            .bind("0123456789abcdef0123456789abcdef")
            .bind(lease_ms)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(sqlx::Row::get::<bool, _>(&row, "claimed"));
    };
    let mut group = c.benchmark_group("store_claim_postgres");
    group.bench_function("claim", |b| b.iter(|| runtime.block_on(ours())));
    group.bench_function("raw_statement", |b| b.iter(|| runtime.block_on(raw())));
    group.bench_function("paired_claim_x1000", |b| {
        b.iter_custom(|iterations| paired(runtime, iterations, ours, raw));
    });
    group.finish();
    runtime.block_on(async {
        let drop = format!("DROP SCHEMA bench_claims_{run} CASCADE");
        sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&pool).await.unwrap();
    });
}

fn redis(c: &mut Criterion, runtime: &Runtime) {
    let Some(url) = url("PAYMENTS_TEST_REDIS_URL") else { return };
    let run = u64::from(std::process::id());
    let connection = runtime.block_on(async {
        let client = redis::Client::open(url.as_str()).unwrap();
        redis::aio::ConnectionManager::new(client).await.unwrap()
    });
    let prefix = format!("bench:claims:{run}:");
    let store = RedisSeenStore::new(connection.clone()).with_prefix(prefix.clone()).unwrap();
    let lease_ms = u64::try_from(store.limits().lease.as_millis()).unwrap();
    let ours = || async {
        assert!(matches!(store.claim(&key(run)).await.unwrap(), Claim::New(_)));
    };
    let raw = || async {
        let mut connection = connection.clone();
        let set: Option<String> = redis::cmd("SET")
            .arg(format!("{prefix}{}", key(run)))
            .arg("0123456789abcdef0123456789abcdef")
            .arg("NX")
            .arg("PX")
            .arg(lease_ms)
            .query_async(&mut connection)
            .await
            .unwrap();
        assert!(set.is_some());
    };
    let mut group = c.benchmark_group("store_claim_redis");
    group.bench_function("claim", |b| b.iter(|| runtime.block_on(ours())));
    group.bench_function("raw_set_nx_px", |b| b.iter(|| runtime.block_on(raw())));
    group.bench_function("paired_claim_x1000", |b| {
        b.iter_custom(|iterations| paired(runtime, iterations, ours, raw));
    });
    group.finish();
}

fn claims(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    postgres(c, &runtime);
    redis(c, &runtime);
}

criterion_group!(benches, claims);
criterion_main!(benches);
