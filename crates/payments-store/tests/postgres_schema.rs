//! The PostgreSQL migration: versioned, idempotent, safe to run from several instances at
//! once (against the real server of `cargo xtask stores`).
#![cfg(feature = "postgres")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use payments_store::postgres::{PostgresSeenStore, SCHEMA_VERSION, Schema, migrate};
use payments_store::sqlx::{self, AssertSqlSafe, PgPool};

mod support;

async fn pool(test: &str) -> Option<PgPool> {
    let url = support::server_url(support::POSTGRES_URL, &format!("postgres::{test}"))?;
    Some(PgPool::connect(&url).await.unwrap())
}

fn fresh_schema(test: &str) -> String {
    let random = payments_core::seen::Lease::random().unwrap().to_string();
    format!("m_{test}_{}", &random[..12])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrating_twice_applies_each_step_once() {
    let Some(pool) = pool("migrating_twice_applies_each_step_once").await else { return };
    let name = fresh_schema("twice");
    let schema = Schema::named(&name).unwrap();
    assert_eq!(migrate(&pool, &schema).await.unwrap(), 1);
    assert_eq!(migrate(&pool, &schema).await.unwrap(), 0);
    let store = PostgresSeenStore::new(pool.clone()).with_schema(schema);
    assert_eq!(store.migrate().await.unwrap(), 0);
    let versions: Vec<i32> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT version FROM \"{name}\".payments_store_migrations ORDER BY version"
    )))
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(versions, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_migrating_at_once_apply_each_step_once() {
    let Some(pool) = pool("instances_migrating_at_once_apply_each_step_once").await else {
        return;
    };
    let name = fresh_schema("at_once");
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (pool, name) = (pool.clone(), name.clone());
            tokio::spawn(async move { migrate(&pool, &Schema::named(&name).unwrap()).await })
        })
        .collect();
    let mut applied = 0;
    for task in tasks {
        applied += task.await.unwrap().unwrap();
    }
    assert_eq!(applied, 1, "one instance applied the step, the others found it done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_key_is_the_primary_key() {
    let Some(pool) = pool("the_key_is_the_primary_key").await else { return };
    let name = fresh_schema("pk");
    migrate(&pool, &Schema::named(&name).unwrap()).await.unwrap();
    let primary: Vec<String> = sqlx::query_scalar(
        "SELECT a.attname::text FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
         WHERE i.indrelid = ($1 || '.payments_seen')::regclass AND i.indisprimary",
    )
    .bind(format!("\"{name}\""))
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(primary, ["key"]);
}

#[test]
fn schema_names_are_identifiers_only() {
    for good in ["payments", "Shop_2", "_x"] {
        assert!(Schema::named(good).is_ok(), "{good}");
    }
    for bad in ["", "2shop", "a b", "a\"b", "a;b", "é", &"x".repeat(64)] {
        assert!(Schema::named(bad).is_err(), "{bad:?}");
    }
}
