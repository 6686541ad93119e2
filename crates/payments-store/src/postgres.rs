//! The seen-store and the nonce counter on PostgreSQL, through a sqlx [`PgPool`].
//!
//! # Schema
//!
//! [`migrate`] (or [`PostgresSeenStore::migrate`] / [`PostgresNonceCounter::migrate`]) creates,
//! in the [`Schema`] chosen (by default the connection's `search_path`, usually `public`):
//!
//! ```sql
//! CREATE TABLE payments_store_migrations (   -- which steps ran: version, description, when
//!     version integer PRIMARY KEY, description text NOT NULL,
//!     applied_at timestamptz NOT NULL DEFAULT now());
//! CREATE TABLE payments_seen (               -- one row per de-dup key
//!     key          text PRIMARY KEY,
//!     state        text NOT NULL CHECK (state IN ('in_progress', 'done')),
//!     token        text,                     -- the lease token while in progress
//!     expires_at   timestamptz NOT NULL,     -- lease end (in progress) or retention end (done)
//!     claimed_at   timestamptz NOT NULL,
//!     completed_at timestamptz);
//! CREATE INDEX payments_seen_expires_at ON payments_seen (expires_at);
//! CREATE TABLE payments_nonce (              -- one row per counter
//!     name text PRIMARY KEY, value bigint NOT NULL CHECK (value > 0));
//! ```
//!
//! Migrations are versioned steps recorded in `payments_store_migrations`, applied in one
//! transaction under a PostgreSQL advisory lock, so instances starting together apply each
//! step once and a second run does nothing. It is a table of our own rather than sqlx's
//! migrator: that one keeps a single `_sqlx_migrations` history per database and refuses to
//! run when it finds versions it does not know, so it would collide with the shop's own sqlx
//! migrations.
//!
//! # Timeouts
//!
//! A transaction that marked a key (the transactional router's) holds the key's row lock until
//! it commits; if its connection is lost before the commit arrives, PostgreSQL keeps it open,
//! and every claim of that key waits. Set `idle_in_transaction_session_timeout` (e.g. `30s`)
//! for the role the pool uses, and a `lock_timeout` on its connections (sqlx:
//! `PgConnectOptions::options([("lock_timeout", "5s")])`), so such a claim fails (503, the
//! gateway retries) instead of waiting.
//!
//! # Time
//!
//! Leases, retention and nonces use the database's clock (`now()`, `clock_timestamp()`), never
//! the instances' clocks, so instances with skewed clocks still agree.
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use payments_store::postgres::{PostgresNonceCounter, PostgresSeenStore};
//! use payments_store::sqlx::PgPool;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let pool = PgPool::connect("postgres://shop@localhost/shop").await?;
//! let seen = PostgresSeenStore::new(pool.clone());
//! seen.migrate().await?; // once at start-up; safe to run from every instance
//! let nonces = PostgresNonceCounter::new(pool, "freekassa:777")?;
//! // WebhookRouter::new(handler).store(Arc::new(seen));
//! // freekassa::Client::new(config)?.with_nonce_source(Arc::new(nonces));
//! # let _ = (Arc::new(seen), Arc::new(nonces));
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use payments_core::nonce::{NonceError, NonceSource};
use payments_core::seen::{Claim, Lease, SeenLimits, SeenStore, Settle, StoreError};
use sqlx::{AssertSqlSafe, PgConnection, PgPool, Row as _};

use crate::{NonceStoreError, check_counter_name};

const SEEN: &str = "PostgreSQL seen-store";
const NONCE: &str = "PostgreSQL nonce counter";
const MIGRATE: &str = "PostgreSQL store migration";

/// The advisory lock taken while migrating: "payments" in ASCII, as a 64-bit key.
const MIGRATION_LOCK: i64 = 0x7061_796d_656e_7473;

/// The schema the tables live in.
///
/// ```
/// use payments_store::postgres::Schema;
///
/// assert!(Schema::named("payments").is_ok());
/// assert!(Schema::named("payments; DROP TABLE orders").is_err());
/// let default = Schema::search_path(); // unqualified names: the connection's search_path
/// # drop(default);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema(Option<String>);

impl Schema {
    /// Unqualified table names, found through the connection's `search_path` (usually
    /// `public`). [`migrate`] then creates no schema.
    pub fn search_path() -> Self {
        Self(None)
    }

    /// A schema of this name, created by [`migrate`] if missing. The name is an identifier of
    /// ASCII letters, digits and `_`, not starting with a digit, at most 63 bytes; it is used
    /// quoted, so its case is kept.
    ///
    /// # Errors
    ///
    /// [`StoreError::Config`] for any other name.
    pub fn named(name: &str) -> Result<Self, StoreError> {
        let valid = !name.is_empty()
            && name.len() <= 63
            && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
            && !name.starts_with(|first: char| first.is_ascii_digit());
        if valid {
            Ok(Self(Some(name.to_owned())))
        } else {
            Err(StoreError::Config {
                store: MIGRATE,
                setting: "schema",
                reason: "an identifier of ASCII letters, digits and '_', not starting with a \
                         digit, at most 63 bytes"
                    .into(),
            })
        }
    }

    /// `table` qualified by this schema, ready for SQL text.
    fn table(&self, table: &str) -> String {
        match &self.0 {
            Some(schema) => format!("\"{schema}\".{table}"),
            None => table.to_owned(),
        }
    }
}

/// One migration step: its version, what it does, its statements (`{schema}` is replaced by
/// the schema prefix).
struct Step {
    version: i32,
    description: &'static str,
    statements: &'static [&'static str],
}

/// Every step, oldest first. A released step is never edited: changes are new steps.
const STEPS: &[Step] = &[Step {
    version: 1,
    description: "seen-store and nonce counter tables",
    statements: &[
        "CREATE TABLE IF NOT EXISTS {schema}payments_seen (
            key          text PRIMARY KEY,
            state        text NOT NULL CHECK (state IN ('in_progress', 'done')),
            token        text,
            expires_at   timestamptz NOT NULL,
            claimed_at   timestamptz NOT NULL,
            completed_at timestamptz)",
        "CREATE INDEX IF NOT EXISTS payments_seen_expires_at ON {schema}payments_seen (expires_at)",
        "CREATE TABLE IF NOT EXISTS {schema}payments_nonce (
            name  text PRIMARY KEY,
            value bigint NOT NULL CHECK (value > 0))",
    ],
}];

/// Creates or upgrades the store's tables in `schema`; returns how many steps it applied (0
/// when the schema is up to date).
///
/// Idempotent and safe to run from several instances at once: the steps run in one
/// transaction under an advisory lock, and each is recorded in `payments_store_migrations`.
///
/// ```no_run
/// # async fn run(pool: payments_store::sqlx::PgPool) -> Result<(), payments_core::seen::StoreError> {
/// use payments_store::postgres::{Schema, migrate};
///
/// let applied = migrate(&pool, &Schema::named("payments")?).await?;
/// println!("{applied} migration steps applied");
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// [`StoreError::Backend`] when a statement fails (no step is then recorded).
pub async fn migrate(pool: &PgPool, schema: &Schema) -> Result<usize, StoreError> {
    let failed = |operation| move |error| StoreError::backend(MIGRATE, operation, error);
    let prefix = schema.table("");
    let history = schema.table("payments_store_migrations");
    let mut transaction = pool.begin().await.map_err(failed("begin"))?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *transaction)
        .await
        .map_err(failed("take the migration lock"))?;
    if let Some(name) = &schema.0 {
        let create = format!("CREATE SCHEMA IF NOT EXISTS \"{name}\"");
        sqlx::query(AssertSqlSafe(create))
            .execute(&mut *transaction)
            .await
            .map_err(failed("create the schema"))?;
    }
    let create_history = format!(
        "CREATE TABLE IF NOT EXISTS {history} (
            version     integer PRIMARY KEY,
            description text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now())"
    );
    sqlx::query(AssertSqlSafe(create_history))
        .execute(&mut *transaction)
        .await
        .map_err(failed("create the migration table"))?;
    let current: Option<i32> =
        sqlx::query_scalar(AssertSqlSafe(format!("SELECT max(version) FROM {history}")))
            .fetch_one(&mut *transaction)
            .await
            .map_err(failed("read the schema version"))?;
    let current = current.unwrap_or(0);
    let mut applied = 0;
    for step in STEPS.iter().filter(|step| step.version > current) {
        for statement in step.statements {
            sqlx::query(AssertSqlSafe(statement.replace("{schema}", &prefix)))
                .execute(&mut *transaction)
                .await
                .map_err(failed("apply a step"))?;
        }
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {history} (version, description) VALUES ($1, $2)"
        )))
        .bind(step.version)
        .bind(step.description)
        .execute(&mut *transaction)
        .await
        .map_err(failed("record a step"))?;
        applied += 1;
    }
    transaction.commit().await.map_err(failed("commit"))?;
    Ok(applied)
}

/// The latest schema version this crate knows.
///
/// ```
/// assert_eq!(payments_store::postgres::SCHEMA_VERSION, 1);
/// ```
pub const SCHEMA_VERSION: i32 = 1;

/// The statements of a seen-store, built once for its schema.
struct SeenSql {
    claim: Arc<str>,
    complete: Arc<str>,
    complete_in: Arc<str>,
    release: Arc<str>,
    purge: Arc<str>,
}

impl SeenSql {
    fn new(schema: &Schema) -> Self {
        let seen = schema.table("payments_seen");
        // One statement: insert the key, or take over a row whose lease (or retention) has
        // ended. ON CONFLICT DO UPDATE locks the conflicting row, so of concurrent claims
        // exactly one inserts or takes over. The outer SELECT reads the statement's snapshot
        // (before the insert) only to tell a done key from one in progress when not claimed.
        let claim = format!(
            "WITH claimed AS (
                INSERT INTO {seen} AS s (key, state, token, expires_at, claimed_at)
                VALUES ($1, 'in_progress', $2, now() + $3::bigint * interval '1 millisecond', now())
                ON CONFLICT (key) DO UPDATE
                    SET state = 'in_progress', token = EXCLUDED.token,
                        expires_at = EXCLUDED.expires_at, claimed_at = EXCLUDED.claimed_at,
                        completed_at = NULL
                    WHERE s.expires_at <= now()
                RETURNING 1)
            SELECT EXISTS (SELECT 1 FROM claimed) AS claimed,
                   EXISTS (SELECT 1 FROM {seen}
                           WHERE key = $1 AND state = 'done' AND expires_at > now()) AS done"
        );
        // Done if this lease holds the key (even past its end) or no live claim does.
        let complete = format!(
            "INSERT INTO {seen} AS s (key, state, token, expires_at, claimed_at, completed_at)
             VALUES ($1, 'done', NULL, now() + $3::bigint * interval '1 millisecond', now(), now())
             ON CONFLICT (key) DO UPDATE
                 SET state = 'done', token = NULL, expires_at = EXCLUDED.expires_at,
                     completed_at = EXCLUDED.completed_at
                 WHERE (s.state = 'in_progress' AND s.token = $2) OR s.expires_at <= now()"
        );
        // Inside the caller's transaction: done only if this lease still holds the key, expired
        // or not. The UPDATE locks the row until the transaction ends, so a claim taking it
        // over waits for the commit (then finds it done) or the rollback (then takes it).
        // `statement_timestamp()`: `now()` would be when the transaction began.
        let complete_in = format!(
            "UPDATE {seen}
             SET state = 'done', token = NULL, completed_at = statement_timestamp(),
                 expires_at = statement_timestamp() + $3::bigint * interval '1 millisecond'
             WHERE key = $1 AND state = 'in_progress' AND token = $2"
        );
        // Delete the row this lease holds; otherwise say whether a live row of another claim
        // (or a done one) is there.
        let release = format!(
            "WITH released AS (
                DELETE FROM {seen} WHERE key = $1 AND state = 'in_progress' AND token = $2
                RETURNING 1)
            SELECT EXISTS (SELECT 1 FROM released) AS released,
                   EXISTS (SELECT 1 FROM {seen} WHERE key = $1 AND expires_at > now()) AS held"
        );
        let purge = format!("DELETE FROM {seen} WHERE expires_at <= now()");
        Self {
            claim: claim.into(),
            complete: complete.into(),
            complete_in: complete_in.into(),
            release: release.into(),
            purge: purge.into(),
        }
    }
}

/// The [`SeenStore`] on PostgreSQL: one row per key in `payments_seen`, shared by every
/// instance using the database.
///
/// ```no_run
/// use std::time::Duration;
/// use payments_core::seen::{Claim, SeenLimits, SeenStore, Settle};
/// use payments_store::postgres::{PostgresSeenStore, Schema};
///
/// # async fn run(pool: payments_store::sqlx::PgPool) -> Result<(), Box<dyn std::error::Error>> {
/// let store = PostgresSeenStore::new(pool)
///     .with_schema(Schema::named("payments")?)
///     .with_limits(SeenLimits::default().lease(Duration::from_secs(120)));
/// store.migrate().await?;
/// if let Claim::New(lease) = store.claim("v1|fena|4:A-17|paid").await? {
///     // ... handle it, then:
///     assert_eq!(store.complete("v1|fena|4:A-17|paid", &lease).await?, Settle::Settled);
/// }
/// # Ok(())
/// # }
/// ```
pub struct PostgresSeenStore {
    pool: PgPool,
    schema: Schema,
    limits: SeenLimits,
    sql: SeenSql,
}

impl fmt::Debug for PostgresSeenStore {
    // The pool's options hold the connection password: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresSeenStore")
            .field("schema", &self.schema)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl PostgresSeenStore {
    /// A store on `pool`, with the tables in the connection's `search_path` and the default
    /// [`SeenLimits`] (60 s lease, 90 days' retention; the capacity is not used).
    pub fn new(pool: PgPool) -> Self {
        let schema = Schema::search_path();
        Self { sql: SeenSql::new(&schema), pool, schema, limits: SeenLimits::default() }
    }

    /// Uses the tables in `schema`.
    #[must_use]
    pub fn with_schema(mut self, schema: Schema) -> Self {
        self.sql = SeenSql::new(&schema);
        self.schema = schema;
        self
    }

    /// Uses these lease and retention periods.
    #[must_use]
    pub fn with_limits(mut self, limits: SeenLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits in force.
    ///
    /// ```no_run
    /// # fn run(pool: payments_store::sqlx::PgPool) {
    /// let store = payments_store::postgres::PostgresSeenStore::new(pool);
    /// assert_eq!(store.limits().retention, std::time::Duration::from_secs(90 * 24 * 3600));
    /// # }
    /// ```
    pub fn limits(&self) -> SeenLimits {
        self.limits
    }

    /// The one statement a claim issues (`$1` the key, `$2` the lease token, `$3` the lease in
    /// milliseconds): for a DBA's review, and for the benchmark that times a claim against
    /// the bare statement.
    ///
    /// ```no_run
    /// # fn run(pool: payments_store::sqlx::PgPool) {
    /// let store = payments_store::postgres::PostgresSeenStore::new(pool);
    /// assert!(store.claim_statement().contains("ON CONFLICT (key) DO UPDATE"));
    /// # }
    /// ```
    pub fn claim_statement(&self) -> &str {
        &self.sql.claim
    }

    /// Creates or upgrades the tables ([`migrate`] on this store's pool and schema).
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] when a statement fails.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        migrate(&self.pool, &self.schema).await
    }

    /// The pool the store runs on: a transaction begun on it sees the store's table, so
    /// [`PostgresSeenStore::complete_in`] can mark a key done in it.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Marks `key` done inside the caller's transaction on `connection`, if `lease` still
    /// holds it; the mark takes effect when that transaction commits, together with whatever
    /// else it wrote, and vanishes if it rolls back.
    ///
    /// This is how a shop's own writes (the order marked paid) and the seen-store's mark
    /// commit together or not at all: claim with [`SeenStore::claim`], begin a transaction on
    /// [`PostgresSeenStore::pool`] (the connection must be to the store's database), write,
    /// call this, and commit only on [`Settle::Settled`]. A process killed before the commit
    /// leaves neither the writes nor the mark; its lease runs out and the redelivery does the
    /// work once. `payments::axum::TransactionalRouter` does all of this for a webhook route.
    ///
    /// Stricter than [`SeenStore::complete`]: it returns [`Settle::Lost`] unless the key's row
    /// is still in progress under `lease` (expired or not), so also when the expired claim was
    /// purged. Then roll back: another delivery holds the key or will do the work. The
    /// statement locks the key's row until the transaction ends, so a delivery taking the
    /// key over waits for the outcome (it then finds the key done, or takes it after a
    /// rollback).
    ///
    /// ```no_run
    /// use payments_core::seen::{Claim, SeenStore, Settle};
    /// use payments_store::postgres::PostgresSeenStore;
    ///
    /// # async fn run(store: PostgresSeenStore) -> Result<(), Box<dyn std::error::Error>> {
    /// let key = "v1|feennex|3:A-1|paid";
    /// if let Claim::New(lease) = store.claim(key).await? {
    ///     let mut transaction = store.pool().begin().await?;
    ///     sqlx::query("UPDATE orders SET paid_at = now() WHERE id = $1 AND paid_at IS NULL")
    ///         .bind("A-1")
    ///         .execute(&mut *transaction)
    ///         .await?;
    ///     match store.complete_in(&mut transaction, key, &lease).await? {
    ///         Settle::Settled => transaction.commit().await?,
    ///         _ => transaction.rollback().await?, // the lease was lost: not ours to write
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// # use payments_store::sqlx;
    /// ```
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] when the statement fails (the transaction is then aborted:
    /// roll it back).
    pub async fn complete_in(
        &self,
        connection: &mut PgConnection,
        key: &str,
        lease: &Lease,
    ) -> Result<Settle, StoreError> {
        let done = sqlx::query(AssertSqlSafe(self.sql.complete_in.clone()))
            .bind(key)
            .bind(lease.to_string())
            .bind(bigint(self.limits.retention_millis()))
            .execute(connection)
            .await
            .map_err(|error| StoreError::backend(SEEN, "complete in a transaction", error))?;
        Ok(if done.rows_affected() == 1 { Settle::Settled } else { Settle::Lost })
    }
}

/// Milliseconds as PostgreSQL's `bigint` (the limits keep them far below `i64::MAX`).
fn bigint(millis: u64) -> i64 {
    i64::try_from(millis).unwrap_or(i64::MAX)
}

#[async_trait]
impl SeenStore for PostgresSeenStore {
    async fn claim(&self, key: &str) -> Result<Claim, StoreError> {
        let lease = Lease::random()?;
        let row = sqlx::query(AssertSqlSafe(self.sql.claim.clone()))
            .bind(key)
            .bind(lease.to_string())
            .bind(bigint(self.limits.lease_millis()))
            .fetch_one(&self.pool)
            .await
            .map_err(|error| StoreError::backend(SEEN, "claim", error))?;
        let (claimed, done): (bool, bool) = (
            row.try_get("claimed").map_err(|error| StoreError::backend(SEEN, "claim", error))?,
            row.try_get("done").map_err(|error| StoreError::backend(SEEN, "claim", error))?,
        );
        Ok(match (claimed, done) {
            (true, _) => Claim::New(lease),
            (false, true) => Claim::Done,
            // A live claim, or one that appeared after this statement's snapshot.
            (false, false) => Claim::InProgress,
        })
    }

    async fn complete(&self, key: &str, lease: &Lease) -> Result<Settle, StoreError> {
        let done = sqlx::query(AssertSqlSafe(self.sql.complete.clone()))
            .bind(key)
            .bind(lease.to_string())
            .bind(bigint(self.limits.retention_millis()))
            .execute(&self.pool)
            .await
            .map_err(|error| StoreError::backend(SEEN, "complete", error))?;
        Ok(if done.rows_affected() == 1 { Settle::Settled } else { Settle::Lost })
    }

    async fn release(&self, key: &str, lease: &Lease) -> Result<Settle, StoreError> {
        let row = sqlx::query(AssertSqlSafe(self.sql.release.clone()))
            .bind(key)
            .bind(lease.to_string())
            .fetch_one(&self.pool)
            .await
            .map_err(|error| StoreError::backend(SEEN, "release", error))?;
        let (released, held): (bool, bool) = (
            row.try_get("released").map_err(|error| StoreError::backend(SEEN, "release", error))?,
            row.try_get("held").map_err(|error| StoreError::backend(SEEN, "release", error))?,
        );
        // Not ours: lost if a live row (another claim, or done) is there, settled if free.
        Ok(if released || !held { Settle::Settled } else { Settle::Lost })
    }

    async fn purge(&self) -> Result<u64, StoreError> {
        let purged = sqlx::query(AssertSqlSafe(self.sql.purge.clone()))
            .execute(&self.pool)
            .await
            .map_err(|error| StoreError::backend(SEEN, "purge", error))?;
        Ok(purged.rows_affected())
    }
}

/// A shared nonce counter on PostgreSQL: one row of `payments_nonce` per counter name.
///
/// Each draw is one statement that sets the row to
/// `GREATEST(value + 1, now in nanoseconds)` and returns it, with now from the database's
/// clock (`clock_timestamp()`, microseconds, rounded up to the next microsecond so it is
/// never below any instance's reading taken before). The row lock orders concurrent draws, so
/// values are strictly increasing across every instance; and since every source issues at
/// least the time in nanoseconds, switching from the in-process
/// [`ProcessNonce`](payments_core::nonce::ProcessNonce) never goes back.
///
/// A row rather than a sequence: a sequence cannot take `max(previous + 1, now)` in one step
/// (`setval` and `nextval` are two), so it would need seeding and could fall behind a clock
/// that others follow.
///
/// ```no_run
/// use payments_core::nonce::NonceSource;
/// use payments_store::postgres::PostgresNonceCounter;
///
/// # async fn run(pool: payments_store::sqlx::PgPool) -> Result<(), Box<dyn std::error::Error>> {
/// let counter = PostgresNonceCounter::new(pool, "freekassa:777")?;
/// counter.migrate().await?;
/// let first = counter.next_nonce().await?;
/// assert!(counter.next_nonce().await? > first);
/// # Ok(())
/// # }
/// ```
pub struct PostgresNonceCounter {
    pool: PgPool,
    schema: Schema,
    name: String,
    next: Arc<str>,
}

impl fmt::Debug for PostgresNonceCounter {
    // The pool's options hold the connection password: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresNonceCounter")
            .field("schema", &self.schema)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl PostgresNonceCounter {
    /// The counter `name` (one per account the nonces are for, e.g. `freekassa:<shop id>`) on
    /// `pool`, with the tables in the connection's `search_path`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Config`] for an empty name or one over 200 bytes.
    pub fn new(pool: PgPool, name: &str) -> Result<Self, StoreError> {
        check_counter_name(NONCE, name)?;
        let schema = Schema::search_path();
        Ok(Self { next: Self::sql(&schema), pool, schema, name: name.to_owned() })
    }

    /// Uses the tables in `schema`.
    #[must_use]
    pub fn with_schema(mut self, schema: Schema) -> Self {
        self.next = Self::sql(&schema);
        self.schema = schema;
        self
    }

    /// Creates or upgrades the tables ([`migrate`] on this counter's pool and schema).
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] when a statement fails.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        migrate(&self.pool, &self.schema).await
    }

    fn sql(schema: &Schema) -> Arc<str> {
        let nonce = schema.table("payments_nonce");
        // The database's clock in whole microseconds plus one, in nanoseconds: strictly above
        // the true time, whatever the sub-microsecond part.
        format!(
            "WITH now_ns AS (
                SELECT (floor(extract(epoch FROM clock_timestamp()) * 1000000)::bigint + 1)
                       * 1000 AS value)
            INSERT INTO {nonce} AS n (name, value) SELECT $1, value FROM now_ns
            ON CONFLICT (name) DO UPDATE SET value = GREATEST(n.value + 1, EXCLUDED.value)
            RETURNING n.value"
        )
        .into()
    }
}

#[async_trait]
impl NonceSource for PostgresNonceCounter {
    async fn next_nonce(&self) -> Result<u64, NonceError> {
        let value: i64 = sqlx::query_scalar(AssertSqlSafe(self.next.clone()))
            .bind(&self.name)
            .fetch_one(&self.pool)
            .await
            .map_err(|error| NonceStoreError::backend(NONCE, error))?;
        u64::try_from(value).map_err(|_| NonceStoreError::negative(NONCE, value))
    }
}
