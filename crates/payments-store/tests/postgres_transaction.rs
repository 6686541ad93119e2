//! `PostgresSeenStore::complete_in`: the mark that commits with the shop's own writes, or
//! not at all (against the real server of `cargo xtask stores`).
#![cfg(feature = "postgres")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::time::Duration;

use payments_core::seen::{Claim, Lease, SeenLimits, SeenStore, Settle};
use payments_store::postgres::{PostgresSeenStore, Schema, migrate};
use payments_store::sqlx::{self, AssertSqlSafe, PgPool};

mod support;

const KEY: &str = "v1|feennex|3:A-1|paid";

/// Two stores on independent pools sharing one fresh schema (with an `orders` table standing
/// for the shop's own), or `None` when skipped.
async fn stores(test: &str, lease: Duration) -> Option<([PostgresSeenStore; 2], String)> {
    let url = support::server_url(support::POSTGRES_URL, &format!("postgres::{test}"))?;
    let random = Lease::random().unwrap().to_string();
    let name = format!("tx_{}", &random[..12]);
    let pools = [PgPool::connect(&url).await.unwrap(), PgPool::connect(&url).await.unwrap()];
    let schema = Schema::named(&name).unwrap();
    migrate(&pools[0], &schema).await.unwrap();
    sqlx::query(AssertSqlSafe(format!("CREATE TABLE \"{name}\".orders (id text PRIMARY KEY)")))
        .execute(&pools[0])
        .await
        .unwrap();
    let limits = SeenLimits::default().lease(lease);
    let stores = pools
        .map(|pool| PostgresSeenStore::new(pool).with_schema(schema.clone()).with_limits(limits));
    Some((stores, name))
}

async fn orders(store: &PostgresSeenStore, schema: &str) -> i64 {
    sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM \"{schema}\".orders")))
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn state(store: &PostgresSeenStore, schema: &str) -> String {
    sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT state FROM \"{schema}\".payments_seen WHERE key = $1"
    )))
    .bind(KEY)
    .fetch_one(store.pool())
    .await
    .unwrap()
}

/// Writes the shop's order row in `transaction`.
async fn write_order(transaction: &mut sqlx::PgConnection, schema: &str) {
    sqlx::query(AssertSqlSafe(format!("INSERT INTO \"{schema}\".orders (id) VALUES ('A-1')")))
        .execute(transaction)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_mark_and_the_writes_commit_together() {
    let Some(([store, other], schema)) =
        stores("the_mark_and_the_writes_commit_together", Duration::from_secs(60)).await
    else {
        return;
    };
    let lease = store.claim(KEY).await.unwrap().lease().unwrap();
    let mut transaction = store.pool().begin().await.unwrap();
    write_order(&mut transaction, &schema).await;
    assert_eq!(store.complete_in(&mut transaction, KEY, &lease).await.unwrap(), Settle::Settled);
    // Not visible before the commit: another connection still reads the claim in progress
    // (a claim would wait for the row lock: `a_takeover_waits_for_the_transaction_...`).
    assert_eq!(state(&other, &schema).await, "in_progress");
    assert_eq!(orders(&other, &schema).await, 0);
    transaction.commit().await.unwrap();
    assert_eq!(other.claim(KEY).await.unwrap(), Claim::Done);
    assert_eq!(orders(&other, &schema).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rollback_leaves_neither_the_writes_nor_the_mark() {
    let lease_time = Duration::from_secs(2);
    let Some(([store, other], schema)) =
        stores("a_rollback_leaves_neither_the_writes_nor_the_mark", lease_time).await
    else {
        return;
    };
    let lease = store.claim(KEY).await.unwrap().lease().unwrap();
    let mut transaction = store.pool().begin().await.unwrap();
    write_order(&mut transaction, &schema).await;
    assert_eq!(store.complete_in(&mut transaction, KEY, &lease).await.unwrap(), Settle::Settled);
    // What a process killed before its commit amounts to.
    drop(transaction);
    assert_eq!(other.claim(KEY).await.unwrap(), Claim::InProgress, "the lease still holds");
    tokio::time::sleep(lease_time + Duration::from_millis(100)).await;
    let again = other.claim(KEY).await.unwrap();
    assert!(again.is_new(), "after the lease the redelivery takes the key: {again:?}");
    assert_eq!(orders(&other, &schema).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lease_taken_over_is_lost_and_changes_nothing() {
    let lease_time = Duration::from_secs(2);
    let Some(([store, other], schema)) =
        stores("a_lease_taken_over_is_lost_and_changes_nothing", lease_time).await
    else {
        return;
    };
    let first = store.claim(KEY).await.unwrap().lease().unwrap();
    tokio::time::sleep(lease_time + Duration::from_millis(100)).await;
    let second = other.claim(KEY).await.unwrap().lease().unwrap();
    let mut transaction = store.pool().begin().await.unwrap();
    assert_eq!(store.complete_in(&mut transaction, KEY, &first).await.unwrap(), Settle::Lost);
    transaction.rollback().await.unwrap();
    // The new holder's claim is intact: still in progress, and it completes.
    assert_eq!(store.claim(KEY).await.unwrap(), Claim::InProgress);
    let mut transaction = other.pool().begin().await.unwrap();
    write_order(&mut transaction, &schema).await;
    assert_eq!(other.complete_in(&mut transaction, KEY, &second).await.unwrap(), Settle::Settled);
    transaction.commit().await.unwrap();
    assert_eq!(store.claim(KEY).await.unwrap(), Claim::Done);
    assert_eq!(orders(&store, &schema).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_lease_still_held_completes() {
    let lease_time = Duration::from_millis(200);
    let Some(([store, other], _)) =
        stores("an_expired_lease_still_held_completes", lease_time).await
    else {
        return;
    };
    let lease = store.claim(KEY).await.unwrap().lease().unwrap();
    tokio::time::sleep(lease_time + Duration::from_millis(100)).await;
    let mut transaction = store.pool().begin().await.unwrap();
    assert_eq!(store.complete_in(&mut transaction, KEY, &lease).await.unwrap(), Settle::Settled);
    transaction.commit().await.unwrap();
    assert_eq!(other.claim(KEY).await.unwrap(), Claim::Done);
}

/// The race that matters: a lease ran out while its handler worked, and a redelivery claims
/// the key while the handler's transaction is marking it done. The claim must wait for that
/// transaction: after a commit it never takes the key; after a rollback it does.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_takeover_waits_for_the_transaction_marking_the_key() {
    let lease_time = Duration::from_millis(200);
    let Some(([store, other], _)) =
        stores("a_takeover_waits_for_the_transaction_marking_the_key", lease_time).await
    else {
        return;
    };
    let other = std::sync::Arc::new(other);
    for commit in [true, false] {
        let key = format!("{KEY}|{commit}");
        let lease = store.claim(&key).await.unwrap().lease().unwrap();
        tokio::time::sleep(lease_time + Duration::from_millis(100)).await;
        let mut transaction = store.pool().begin().await.unwrap();
        assert_eq!(
            store.complete_in(&mut transaction, &key, &lease).await.unwrap(),
            Settle::Settled
        );
        let claim = tokio::spawn({
            let (other, key) = (other.clone(), key.clone());
            async move { other.claim(&key).await.unwrap() }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!claim.is_finished(), "the claim waits for the row lock");
        if commit {
            transaction.commit().await.unwrap();
            let claim = claim.await.unwrap();
            assert!(!claim.is_new(), "a committed key is never taken over: {claim:?}");
            assert_eq!(other.claim(&key).await.unwrap(), Claim::Done);
        } else {
            transaction.rollback().await.unwrap();
            let claim = claim.await.unwrap();
            assert!(claim.is_new(), "a rolled back expired claim is taken over: {claim:?}");
        }
    }
}
