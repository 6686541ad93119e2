//! One harness for every store: each test gets a store of its own (a PostgreSQL schema, a
//! Redis key prefix, a fresh in-memory store), seen through two independent connections, so
//! the tests run in parallel and the same test body runs against every store.
//!
//! The servers come from `PAYMENTS_TEST_POSTGRES_URL` and `PAYMENTS_TEST_REDIS_URL`
//! (`cargo xtask stores` starts both and sets them). Without a URL the test is skipped with a
//! line on stderr, unless `PAYMENTS_STORES_REQUIRED=1`, where it fails.
#![allow(dead_code, reason = "each test file uses part of the harness")]
#![cfg_attr(
    not(all(feature = "postgres", feature = "redis")),
    allow(unused_variables, reason = "some arguments are only read by a server's arm")
)]

use std::io::Write as _;
use std::sync::{Arc, Mutex};

use payments_core::nonce::{NonceSource, ProcessNonce};
use payments_core::seen::{InMemorySeenStore, Lease, SeenLimits, SeenStore};
#[cfg(feature = "redis")]
use payments_store::redis_client as redis;
#[cfg(feature = "postgres")]
use payments_store::sqlx;

/// The environment variable naming PostgreSQL's URL.
pub const POSTGRES_URL: &str = "PAYMENTS_TEST_POSTGRES_URL";
/// The environment variable naming Redis's URL.
pub const REDIS_URL: &str = "PAYMENTS_TEST_REDIS_URL";
/// Set to 1 where every store test must run (CI, `cargo xtask stores`).
pub const REQUIRED: &str = "PAYMENTS_STORES_REQUIRED";

/// The server URL in `var`, or `None` after saying on stderr that `test` is skipped.
///
/// # Panics
///
/// When the URL is missing and [`REQUIRED`] is 1: there the test must run.
pub fn server_url(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var(REQUIRED).is_ok_and(|value| value == "1") => {
            panic!("{test}: {var} is not set, and {REQUIRED}=1 says store tests must run")
        }
        _ => {
            // Straight to the process's stderr: the test harness captures `eprintln!` of
            // passing tests, and this line must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "skipped {test}: {var} is not set; run `cargo xtask stores` to run them"
            );
            None
        }
    }
}

/// A name for this test's schema or prefix: the test's name, made an identifier, and a
/// random part so reruns against one server never meet.
fn unique(test: &str) -> String {
    let clean: String = test
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect();
    let random = Lease::random().unwrap().to_string();
    // PostgreSQL identifiers are at most 63 bytes.
    format!("t_{}_{}", &clean[..clean.len().min(40)], &random[..12])
}

/// Which store a harness serves.
pub enum Kind {
    /// [`InMemorySeenStore`] and [`ProcessNonce`]; the two "instances" share one store.
    Memory { store: Mutex<Option<Arc<InMemorySeenStore>>> },
    /// Two pools on one database, the tables in the test's own schema.
    #[cfg(feature = "postgres")]
    Postgres { pools: [sqlx::PgPool; 2], schema: String },
    /// Two connection managers on one server, the keys under the test's own prefix.
    #[cfg(feature = "redis")]
    Redis { connections: [redis::aio::ConnectionManager; 2], prefix: String },
}

/// A store of one kind for one test.
pub struct Harness {
    /// The test, as `<store>::<test>`.
    pub name: String,
    /// The store.
    pub kind: Kind,
}

impl Harness {
    /// The in-memory store.
    pub fn memory(test: &str) -> Self {
        Self { name: format!("memory::{test}"), kind: Kind::Memory { store: Mutex::new(None) } }
    }

    /// PostgreSQL, or `None` when skipped.
    #[cfg(feature = "postgres")]
    pub async fn postgres(test: &str) -> Option<Self> {
        use payments_store::postgres::{Schema, migrate};

        let name = format!("postgres::{test}");
        let url = server_url(POSTGRES_URL, &name)?;
        let connect = || async {
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(10)
                .connect(&url)
                .await
                .unwrap_or_else(|error| panic!("{name}: cannot connect to PostgreSQL: {error}"))
        };
        let pools = [connect().await, connect().await];
        let schema = unique(test);
        assert_eq!(migrate(&pools[0], &Schema::named(&schema).unwrap()).await.unwrap(), 1);
        Some(Self { name, kind: Kind::Postgres { pools, schema } })
    }

    /// Redis, or `None` when skipped.
    #[cfg(feature = "redis")]
    pub async fn redis(test: &str) -> Option<Self> {
        let name = format!("redis::{test}");
        let url = server_url(REDIS_URL, &name)?;
        let connect = || async {
            let client = redis::Client::open(url.as_str()).unwrap();
            redis::aio::ConnectionManager::new(client)
                .await
                .unwrap_or_else(|error| panic!("{name}: cannot connect to Redis: {error}"))
        };
        let connections = [connect().await, connect().await];
        let prefix = format!("{}:", unique(test));
        Some(Self { name, kind: Kind::Redis { connections, prefix } })
    }

    /// Two instances of the store with `limits`, on independent connections, sharing one
    /// truth. Call it once per test (the in-memory store keeps the first limits).
    pub fn stores(&self, limits: SeenLimits) -> [Arc<dyn SeenStore>; 2] {
        match &self.kind {
            Kind::Memory { store } => {
                let mut store = store.lock().unwrap();
                let store =
                    store.get_or_insert_with(|| Arc::new(InMemorySeenStore::with_limits(limits)));
                [store.clone(), store.clone()]
            }
            #[cfg(feature = "postgres")]
            Kind::Postgres { pools, schema } => pools.clone().map(|pool| {
                let schema = payments_store::postgres::Schema::named(schema).unwrap();
                Arc::new(
                    payments_store::postgres::PostgresSeenStore::new(pool)
                        .with_schema(schema)
                        .with_limits(limits),
                ) as Arc<dyn SeenStore>
            }),
            #[cfg(feature = "redis")]
            Kind::Redis { connections, prefix } => connections.clone().map(|connection| {
                Arc::new(
                    payments_store::redis::RedisSeenStore::new(connection)
                        .with_prefix(format!("{prefix}seen:"))
                        .unwrap()
                        .with_limits(limits),
                ) as Arc<dyn SeenStore>
            }),
        }
    }

    /// What `purge` returns when `expired` entries have expired: exactly that many
    /// (PostgreSQL), 0 (Redis deletes expired keys by itself), or `None` for at most that many
    /// (the in-memory store drops a few expired keys at each claim).
    pub fn purge_count(&self, expired: u64) -> Option<u64> {
        match &self.kind {
            Kind::Memory { .. } => None,
            #[cfg(feature = "postgres")]
            Kind::Postgres { .. } => Some(expired),
            #[cfg(feature = "redis")]
            Kind::Redis { .. } => Some(0),
        }
    }

    /// How many seen-store entries the store holds now, expired ones not yet removed included
    /// (Redis never shows expired keys).
    pub async fn entries(&self) -> u64 {
        match &self.kind {
            Kind::Memory { store } => {
                let store = store.lock().unwrap().clone().unwrap();
                u64::try_from(store.len()).unwrap()
            }
            #[cfg(feature = "postgres")]
            Kind::Postgres { pools, schema } => {
                let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT count(*) FROM \"{schema}\".payments_seen"
                )))
                .fetch_one(&pools[0])
                .await
                .unwrap();
                u64::try_from(count).unwrap()
            }
            #[cfg(feature = "redis")]
            Kind::Redis { connections, prefix } => {
                let keys: Vec<String> = redis::cmd("KEYS")
                    .arg(format!("{prefix}seen:*"))
                    .query_async(&mut connections[0].clone())
                    .await
                    .unwrap();
                u64::try_from(keys.len()).unwrap()
            }
        }
    }

    /// Two nonce sources of the counter `name`, on independent connections.
    pub fn nonces(&self, name: &str) -> [Arc<dyn NonceSource>; 2] {
        match &self.kind {
            Kind::Memory { .. } => [Arc::new(ProcessNonce), Arc::new(ProcessNonce)],
            #[cfg(feature = "postgres")]
            Kind::Postgres { pools, schema } => pools.clone().map(|pool| {
                let schema = payments_store::postgres::Schema::named(schema).unwrap();
                Arc::new(
                    payments_store::postgres::PostgresNonceCounter::new(pool, name)
                        .unwrap()
                        .with_schema(schema),
                ) as Arc<dyn NonceSource>
            }),
            #[cfg(feature = "redis")]
            Kind::Redis { connections, prefix } => connections.clone().map(|connection| {
                Arc::new(
                    payments_store::redis::RedisNonceCounter::new(
                        connection,
                        &format!("{prefix}nonce:{name}"),
                    )
                    .unwrap(),
                ) as Arc<dyn NonceSource>
            }),
        }
    }

    /// Sets the counter `name` to `value` behind the sources' back; `false` for the
    /// in-process source, which has no place to set.
    pub async fn set_nonce(&self, name: &str, value: &str) -> bool {
        match &self.kind {
            Kind::Memory { .. } => false,
            #[cfg(feature = "postgres")]
            Kind::Postgres { pools, schema } => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO \"{schema}\".payments_nonce (name, value) VALUES ($1, $2::bigint)
                     ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value"
                )))
                .bind(name)
                .bind(value)
                .execute(&pools[0])
                .await
                .unwrap();
                true
            }
            #[cfg(feature = "redis")]
            Kind::Redis { connections, prefix } => {
                let () = redis::cmd("SET")
                    .arg(format!("{prefix}nonce:{name}"))
                    .arg(value)
                    .query_async(&mut connections[0].clone())
                    .await
                    .unwrap();
                true
            }
        }
    }
}

/// Makes one `#[tokio::test]` per store for each generic test body `fn(Harness)`.
#[macro_export]
macro_rules! for_every_store {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::$case(super::support::Harness::memory(stringify!($case))).await;
                }
            )*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    if let Some(harness) =
                        super::support::Harness::postgres(stringify!($case)).await
                    {
                        super::$case(harness).await;
                    }
                }
            )*
        }
        #[cfg(feature = "redis")]
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    if let Some(harness) = super::support::Harness::redis(stringify!($case)).await
                    {
                        super::$case(harness).await;
                    }
                }
            )*
        }
    };
}
