//! `TransactionalRouter` against a real PostgreSQL (`cargo xtask stores`): the handler's writes
//! and the notification's mark commit together, or neither does.
#![cfg(all(feature = "axum", feature = "feennex", feature = "postgres"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    reason = "a failing test should fail loudly"
)]

mod instances;
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use payments::axum::{TransactionalRouter, WebhookTransaction};
use payments::notification::Notification;
use payments::seen::SeenLimits;
use payments::store::postgres::PostgresSeenStore;
use payments::store::sqlx::{self, AssertSqlSafe, PgPool};

const ORDER: &str = "A-1";

/// A store on a schema of the test's own (with the shop's `orders` table), or `None` when
/// skipped.
async fn store(test: &str, lease: Duration) -> Option<(Arc<PostgresSeenStore>, PgPool)> {
    let url = instances::server_url(instances::POSTGRES_URL, test)?;
    let schema = format!("router_{}", instances::random_part());
    let pool = PgPool::connect(&url).await.unwrap();
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\""))).execute(&pool).await.unwrap();
    sqlx::query(AssertSqlSafe(format!(
        "CREATE TABLE \"{schema}\".orders (id text NOT NULL, paid text NOT NULL)"
    )))
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let pool =
        PgPool::connect(&format!("{url}?options=-c%20search_path%3D{schema}")).await.unwrap();
    let store =
        PostgresSeenStore::new(pool.clone()).with_limits(SeenLimits::default().lease(lease));
    store.migrate().await.unwrap();
    Some((Arc::new(store), pool))
}

/// Records the payment in the handler's transaction.
async fn pay(
    notification: &Notification,
    transaction: &mut WebhookTransaction,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO orders (id, paid) VALUES ($1, $2)")
        .bind(&notification.order_id)
        .bind(notification.money.to_string())
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

async fn paid(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM orders").fetch_one(pool).await.unwrap()
}

/// The key's state in the seen-store: `done`, `in_progress`, or `None` (free).
async fn state(pool: &PgPool) -> Option<String> {
    sqlx::query_scalar("SELECT state FROM payments_seen WHERE key = $1")
        .bind(format!("v1|feennex|{}:{ORDER}|paid", ORDER.len()))
        .fetch_optional(pool)
        .await
        .unwrap()
}

async fn deliver(router: &axum::Router) -> StatusCode {
    let request = support::post("/feennex", support::feennex_callback(ORDER));
    support::send(router, request).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_handlers_writes_commit_with_the_mark() {
    let test = "the_handlers_writes_commit_with_the_mark";
    let Some((store, pool)) = store(test, Duration::from_secs(60)).await else { return };
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let router = TransactionalRouter::new(store, move |notification, mut transaction| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move {
            pay(&notification, &mut transaction).await?;
            Ok::<_, sqlx::Error>(transaction)
        }
    })
    .gateway(&support::feennex())
    .into_router();
    assert_eq!(deliver(&router).await, StatusCode::OK);
    assert_eq!((paid(&pool).await, state(&pool).await.as_deref()), (1, Some("done")));
    assert_eq!(deliver(&router).await, StatusCode::OK, "a redelivery is acknowledged");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "without running the handler again");
    assert_eq!(paid(&pool).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_handler_leaves_neither_its_writes_nor_the_claim() {
    let test = "a_failing_handler_leaves_neither_its_writes_nor_the_claim";
    let Some((store, pool)) = store(test, Duration::from_secs(60)).await else { return };
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let router = TransactionalRouter::new(store, move |notification, mut transaction| {
        let call = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            pay(&notification, &mut transaction).await?;
            match call {
                0 => Err("the shop's check failed after its write".into()),
                1 => panic!("the handler panics after its write"),
                _ => Ok::<_, payments::axum::HandlerError>(transaction),
            }
        }
    })
    .gateway(&support::feennex())
    .into_router();
    for (attempt, expected) in ["failed", "panicked"].into_iter().enumerate() {
        assert_eq!(deliver(&router).await, StatusCode::INTERNAL_SERVER_ERROR, "{expected}");
        assert_eq!(paid(&pool).await, 0, "the write of the run that {expected} is rolled back");
        assert_eq!(state(&pool).await, None, "the claim is released");
        assert_eq!(calls.load(Ordering::SeqCst), attempt + 1);
    }
    assert_eq!(deliver(&router).await, StatusCode::OK, "the redelivery is handled");
    assert_eq!((paid(&pool).await, state(&pool).await.as_deref()), (1, Some("done")));
}

/// Two instances: the first one's handler outlives its lease; the second takes the
/// notification over and records the payment; the first one's writes are rolled back and it
/// answers 503. With `WebhookRouter` both runs would have taken effect.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_handler_that_outlived_its_lease_is_rolled_back() {
    let test = "a_handler_that_outlived_its_lease_is_rolled_back";
    // Long enough that a stalled machine does not let the first claim's lease run out before
    // the first handler even starts.
    let lease = Duration::from_secs(1);
    let Some((store, pool)) = store(test, lease).await else { return };
    let router = |slow: Duration| {
        TransactionalRouter::new(store.clone(), move |notification, mut transaction| async move {
            pay(&notification, &mut transaction).await?;
            tokio::time::sleep(slow).await;
            Ok::<_, sqlx::Error>(transaction)
        })
        .gateway(&support::feennex())
        .into_router()
    };
    let (first, second) = (router(lease * 3), router(Duration::ZERO));
    let slow = tokio::spawn(async move { deliver(&first).await });
    tokio::time::sleep(lease + Duration::from_millis(500)).await;
    assert_eq!(deliver(&second).await, StatusCode::OK, "the second instance takes it over");
    assert_eq!(slow.await.unwrap(), StatusCode::SERVICE_UNAVAILABLE, "the first one lost it");
    assert_eq!((paid(&pool).await, state(&pool).await.as_deref()), (1, Some("done")));
}
