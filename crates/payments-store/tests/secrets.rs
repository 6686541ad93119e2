//! No password from a connection URL appears in a store's `Debug` or in its errors. Needs no
//! server: the pools and connections point at a closed port.
#![cfg(any(feature = "postgres", feature = "redis"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

const PASSWORD: &str = "hunter2-very-secret";

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_stores_never_show_the_password() {
    use std::time::Duration;

    use payments_core::nonce::NonceSource;
    use payments_core::seen::SeenStore;
    use payments_store::postgres::{PostgresNonceCounter, PostgresSeenStore};
    use payments_store::sqlx::postgres::PgPoolOptions;

    let url = format!("postgres://shop:{PASSWORD}@127.0.0.1:1/shop");
    let pool =
        PgPoolOptions::new().acquire_timeout(Duration::from_secs(2)).connect_lazy(&url).unwrap();
    let store = PostgresSeenStore::new(pool.clone());
    let counter = PostgresNonceCounter::new(pool, "fk").unwrap();
    for shown in [format!("{store:?}"), format!("{counter:?}")] {
        assert!(!shown.contains(PASSWORD), "{shown}");
    }
    let error = store.claim("k").await.unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("PostgreSQL seen-store: claim failed"), "{shown}");
    assert!(!shown.contains(PASSWORD), "{shown}");
    let error = counter.next_nonce().await.unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(PASSWORD), "{shown}");
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_stores_never_show_the_password() {
    use std::time::Duration;

    use payments_core::nonce::NonceSource;
    use payments_core::seen::SeenStore;
    use payments_store::redis::{RedisNonceCounter, RedisSeenStore};
    use payments_store::redis_client::Client;
    use payments_store::redis_client::aio::{ConnectionManager, ConnectionManagerConfig};

    let client = Client::open(format!("redis://:{PASSWORD}@127.0.0.1:1/")).unwrap();
    let config = ConnectionManagerConfig::new()
        .set_number_of_retries(0)
        .set_connection_timeout(Some(Duration::from_secs(1)));
    let manager = ConnectionManager::new_lazy_with_config(client, config).unwrap();
    let store = RedisSeenStore::new(manager.clone());
    let counter = RedisNonceCounter::new(manager, "payments:nonce:fk").unwrap();
    for shown in [format!("{store:?}"), format!("{counter:?}")] {
        assert!(!shown.contains(PASSWORD), "{shown}");
    }
    let error = store.claim("k").await.unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("Redis seen-store: claim failed"), "{shown}");
    assert!(!shown.contains(PASSWORD), "{shown}");
    let error = counter.next_nonce().await.unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(PASSWORD), "{shown}");
}
