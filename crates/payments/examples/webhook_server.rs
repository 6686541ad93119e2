//! A webhook server for every configured gateway, with axum.
//!
//! `PAYMENTS_GATEWAY=feennex PAYMENTS_SHOP_ID=5 PAYMENTS_SECRET=... cargo run -p payments --features axum --example webhook_server`
//!
//! It serves with `payments::axum::serve` (header and body read deadlines, a connection limit)
//! and, on Ctrl-C, stops accepting, lets the handlers running finish, and exits.
//!
//! Several instances share one truth through the store named by `PAYMENTS_STORE_URL`:
//!
//! | `PAYMENTS_STORE_URL` | seen-store | feature |
//! |---|---|---|
//! | unset | in memory, this process only | |
//! | `postgres://user:password@host/db` | PostgreSQL (`payments_seen`, migrated at start) | `postgres` |
//! | `redis://host:port/` | Redis (keys `payments:seen:*`) | `redis` |
//!
//! With `PAYMENTS_ORDERS=1` (PostgreSQL only) it runs the recommended setup,
//! `TransactionalRouter`: the handler records the payment in the tables `orders` and
//! `order_events` (created at start) in the transaction that marks the notification processed,
//! so both commit together or not at all.
//!
//! Other settings: `PAYMENTS_LISTEN` (default `127.0.0.1:8080`; port 0 picks a free one, and
//! the first line printed names it), `PAYMENTS_LEASE_MS` (how long a claim holds a
//! notification; default 60000).
//!
//! Knobs for the multi-process tests (`tests/several_instances.rs`), off by default:
//! `PAYMENTS_HANDLED_LOG` (a file the handler appends `start <order>`, `wrote <order>` and
//! `done <order>` lines to), `PAYMENTS_HANDLER_DELAY_MS` (the handler's work takes this long),
//! `PAYMENTS_HANG_ORDER` (the handler for this order id stops for good after its first
//! write, so the test can kill the process there).
#![allow(clippy::print_stdout, reason = "an example prints what it receives")]

use std::fs::File;
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use payments::axum::{ServeOptions, WebhookRouter, serve};
use payments::notification::Notification;
use payments::payment::PaymentStatus;
use payments::seen::{InMemorySeenStore, SeenLimits, SeenStore};
use payments::{AnyGateway, GatewayConfig};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let gateway = AnyGateway::from_config(&GatewayConfig::from_env()?)?;
    let settings = Settings::from_env()?;
    let probe = Arc::new(Probe::from_env()?);
    let is_postgres =
        |url: &str| url.starts_with("postgres://") || url.starts_with("postgresql://");
    let (routes, in_flight) = match settings.store_url.as_deref() {
        Some(url) if is_postgres(url) => postgres::routes(&gateway, url, &settings, probe).await?,
        _ if settings.orders => return Err("PAYMENTS_ORDERS needs a postgres:// store".into()),
        None => {
            let store = InMemorySeenStore::with_limits(settings.limits);
            plain(&gateway, Arc::new(store), probe)
        }
        Some(url) if url.starts_with("redis://") => {
            let store = redis::store(url, settings.limits).await?;
            plain(&gateway, store, probe)
        }
        // The URL may hold a password: never printed.
        Some(_) => return Err("PAYMENTS_STORE_URL is neither postgres:// nor redis://".into()),
    };
    let app = axum::Router::new().nest("/webhooks", routes);
    let listener = tokio::net::TcpListener::bind(&settings.listen).await?;
    println!("listening on http://{}/webhooks/{}", listener.local_addr()?, gateway.id());
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    serve(listener, app, ServeOptions::default(), ctrl_c).await?;
    let stopped = in_flight.settle(Duration::from_secs(20)).await;
    println!("stopped; {stopped} handlers were cut off and their notifications released");
    Ok(())
}

/// The routes of `WebhookRouter` on `store`: the handler marks the order paid, and the router
/// then marks the notification processed in the store.
fn plain(
    gateway: &AnyGateway,
    store: Arc<dyn SeenStore>,
    probe: Arc<Probe>,
) -> (axum::Router, payments::axum::InFlight) {
    let webhooks = WebhookRouter::new(move |notification: Notification| {
        let probe = probe.clone();
        async move {
            probe.log("start", &notification.order_id)?;
            // Look the order up by notification.order_id, compare notification.money with
            // what it costs, and mark it paid only for PaymentStatus::Paid.
            probe.work(&notification.order_id).await?;
            if notification.status == PaymentStatus::Paid {
                println!("order {} paid: {}", notification.order_id, notification.money);
            }
            probe.log("done", &notification.order_id)?;
            Ok::<(), Error>(())
        }
    })
    .gateway(gateway)
    .store(store);
    let in_flight = webhooks.in_flight();
    (webhooks.into_router(), in_flight)
}

/// The settings of this server (the gateway's come from `GatewayConfig::from_env`).
struct Settings {
    listen: String,
    store_url: Option<String>,
    limits: SeenLimits,
    orders: bool,
}

impl Settings {
    fn from_env() -> Result<Self, Error> {
        let mut limits = SeenLimits::default();
        if let Some(millis) = number("PAYMENTS_LEASE_MS")? {
            limits = limits.lease(Duration::from_millis(millis));
        }
        Ok(Self {
            listen: var("PAYMENTS_LISTEN")?.unwrap_or_else(|| "127.0.0.1:8080".into()),
            store_url: var("PAYMENTS_STORE_URL")?,
            limits,
            orders: var("PAYMENTS_ORDERS")?.is_some_and(|value| value == "1"),
        })
    }
}

/// The handler's test knobs: a log of what it did, how long its work takes, and an order
/// whose handler stops after its first write.
struct Probe {
    log: Option<Mutex<File>>,
    delay: Duration,
    hang_order: Option<String>,
}

impl Probe {
    fn from_env() -> Result<Self, Error> {
        let log = match var("PAYMENTS_HANDLED_LOG")? {
            Some(path) => {
                Some(Mutex::new(File::options().create(true).append(true).open(&path).map_err(
                    |error| format!("PAYMENTS_HANDLED_LOG: cannot open {path}: {error}"),
                )?))
            }
            None => None,
        };
        Ok(Self {
            log,
            delay: Duration::from_millis(number("PAYMENTS_HANDLER_DELAY_MS")?.unwrap_or(0)),
            hang_order: var("PAYMENTS_HANG_ORDER")?,
        })
    }

    /// Appends `<what> <order>` to the log, in one write.
    fn log(&self, what: &str, order: &str) -> Result<(), Error> {
        if let Some(log) = &self.log {
            let mut file = log.lock().map_err(|_| "the handled log's lock is poisoned")?;
            file.write_all(format!("{what} {order}\n").as_bytes())?;
        }
        Ok(())
    }

    /// The handler's work after its first write: it takes the configured delay, and never
    /// ends for the order to hang on (after logging `wrote <order>`).
    async fn work(&self, order: &str) -> Result<(), Error> {
        tokio::time::sleep(self.delay).await;
        if self.hang_order.as_deref() == Some(order) {
            self.log("wrote", order)?;
            std::future::pending::<()>().await;
        }
        Ok(())
    }
}

/// The variable `name`, if set.
fn var(name: &str) -> Result<Option<String>, Error> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!("{name} is not UTF-8").into()),
    }
}

/// The variable `name` as a number of milliseconds, if set.
fn number(name: &str) -> Result<Option<u64>, Error> {
    var(name)?
        .map(|text| text.parse().map_err(|_| format!("{name} is not a number: {text:?}").into()))
        .transpose()
}

#[cfg(feature = "postgres")]
mod postgres {
    //! The PostgreSQL store, and the transactional routes writing the shop's orders.

    use std::sync::Arc;
    use std::time::Duration;

    use payments::AnyGateway;
    use payments::axum::{InFlight, TransactionalRouter, WebhookTransaction};
    use payments::notification::Notification;
    use payments::store::postgres::PostgresSeenStore;
    use payments::store::sqlx::{self, postgres::PgPoolOptions};

    use super::{Error, Probe, Settings};

    /// The shop's tables: one row per paid order, counting the payments recorded for it (1
    /// when every notification was processed once), and one event per payment recorded.
    const TABLES: [&str; 2] = [
        "CREATE TABLE IF NOT EXISTS orders (
            id text PRIMARY KEY, amount text NOT NULL, payments integer NOT NULL)",
        "CREATE TABLE IF NOT EXISTS order_events (
            order_id text NOT NULL, event text NOT NULL, at timestamptz NOT NULL DEFAULT now())",
    ];

    pub async fn routes(
        gateway: &AnyGateway,
        url: &str,
        settings: &Settings,
        probe: Arc<Probe>,
    ) -> Result<(axum::Router, InFlight), Error> {
        // A delivery waits at most 2 s for a connection (the database may be restarting),
        // then gets a 503 and the gateway delivers again.
        let pool = PgPoolOptions::new()
            .max_connections(20)
            .acquire_timeout(Duration::from_secs(2))
            .connect(url)
            .await?;
        let store = PostgresSeenStore::new(pool.clone()).with_limits(settings.limits);
        store.migrate().await?;
        if !settings.orders {
            return Ok(super::plain(gateway, Arc::new(store), probe));
        }
        // Instances starting together create the tables once.
        let mut transaction = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('payments example orders'))")
            .execute(&mut *transaction)
            .await?;
        for table in TABLES {
            sqlx::query(table).execute(&mut *transaction).await?;
        }
        transaction.commit().await?;

        let webhooks = TransactionalRouter::new(
            store,
            move |notification: Notification, mut transaction: WebhookTransaction| {
                let probe = probe.clone();
                async move {
                    let order = notification.order_id.as_str();
                    probe.log("start", order)?;
                    // Compare notification.money with what the order costs first.
                    sqlx::query(
                        "INSERT INTO orders (id, amount, payments) VALUES ($1, $2, 1)
                         ON CONFLICT (id) DO UPDATE SET payments = orders.payments + 1",
                    )
                    .bind(order)
                    .bind(notification.money.to_string())
                    .execute(&mut *transaction)
                    .await?;
                    probe.work(order).await?;
                    sqlx::query("INSERT INTO order_events (order_id, event) VALUES ($1, 'paid')")
                        .bind(order)
                        .execute(&mut *transaction)
                        .await?;
                    probe.log("done", order)?;
                    // The router marks the notification processed in it, then commits.
                    Ok::<_, Error>(transaction)
                }
            },
        )
        .gateway(gateway);
        let in_flight = webhooks.in_flight();
        Ok((webhooks.into_router(), in_flight))
    }
}

#[cfg(not(feature = "postgres"))]
mod postgres {
    use std::sync::Arc;

    use super::{Error, Probe, Settings};

    pub async fn routes(
        _: &payments::AnyGateway,
        _: &str,
        _: &Settings,
        _: Arc<Probe>,
    ) -> Result<(axum::Router, payments::axum::InFlight), Error> {
        Err("a postgres:// store needs the `postgres` feature".into())
    }
}

#[cfg(feature = "redis")]
mod redis {
    //! The Redis store.

    use std::sync::Arc;
    use std::time::Duration;

    use payments::seen::{SeenLimits, SeenStore};
    use payments::store::redis::RedisSeenStore;
    use payments::store::redis_client::Client;
    use payments::store::redis_client::aio::{ConnectionManager, ConnectionManagerConfig};

    use super::Error;

    pub async fn store(url: &str, limits: SeenLimits) -> Result<Arc<dyn SeenStore>, Error> {
        // A delivery waits at most a few seconds on a Redis that is down, then gets a 503.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let manager = ConnectionManager::new_with_config(Client::open(url)?, config).await?;
        Ok(Arc::new(RedisSeenStore::new(manager).with_limits(limits)))
    }
}

#[cfg(not(feature = "redis"))]
mod redis {
    use std::sync::Arc;

    use payments::seen::{SeenLimits, SeenStore};

    use super::Error;

    pub async fn store(_: &str, _: SeenLimits) -> Result<Arc<dyn SeenStore>, Error> {
        Err("a redis:// store needs the `redis` feature".into())
    }
}
