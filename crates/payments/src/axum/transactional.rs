//! The webhook router whose handler writes in the transaction that marks the notification
//! processed, on PostgreSQL: [`TransactionalRouter`].

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::Arc;

use ::axum::Router;
use payments_core::gateway::WebhookVerifier;
use payments_core::notification::Notification;
use payments_store::postgres::PostgresSeenStore;
use payments_store::sqlx::{PgConnection, Postgres, Transaction};

use super::{HandlerError, InFlight, Refusal, WebhookRouter, Work};
use crate::any_gateway::AnyGateway;

type BoxFuture = Pin<Box<dyn Future<Output = Result<WebhookTransaction, HandlerError>> + Send>>;

/// The handler of a [`TransactionalRouter`], boxed.
pub(super) type TransactionalHandler =
    Arc<dyn Fn(Notification, WebhookTransaction) -> BoxFuture + Send + Sync>;

/// What a transactional route runs: the store whose key it marks done, and the handler.
pub(super) struct Transactional {
    pub(super) store: Arc<PostgresSeenStore>,
    pub(super) handler: TransactionalHandler,
}

/// The database transaction a [`TransactionalRouter`] handler writes in.
///
/// It dereferences to a [`PgConnection`], so it runs queries as a sqlx transaction does:
/// `sqlx::query(..).execute(&mut *transaction)`. The router begins it on the store's pool
/// and, after the handler gives it back, marks the notification processed in it and commits;
/// the handler cannot commit or roll it back itself (savepoints work:
/// `sqlx::Connection::begin(&mut *transaction)`).
pub struct WebhookTransaction(Transaction<'static, Postgres>);

impl std::fmt::Debug for WebhookTransaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookTransaction").finish_non_exhaustive()
    }
}

impl WebhookTransaction {
    /// The transaction, for the router to mark the key and commit.
    pub(super) fn into_inner(self) -> Transaction<'static, Postgres> {
        self.0
    }
}

impl Deref for WebhookTransaction {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        &self.0
    }
}

impl DerefMut for WebhookTransaction {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.0
    }
}

impl Transactional {
    /// Begins the handler's transaction on the store's pool.
    pub(super) async fn begin(&self) -> Result<WebhookTransaction, payments_store::sqlx::Error> {
        Ok(WebhookTransaction(self.store.pool().begin().await?))
    }
}

/// Builds the webhook [`Router`] for the recommended setup on PostgreSQL: the handler gets the
/// database transaction in which the notification is marked processed, so the shop's own
/// writes (the order marked paid) and that mark commit together, or not at all.
///
/// For each verified notification the router claims its key in the [`PostgresSeenStore`]
/// (autocommit), begins a transaction on the store's pool and passes it to the handler with
/// the notification. The handler writes in it and gives it back; then:
///
/// | what happens | the transaction | the key | answer |
/// |---|---|---|---|
/// | handler succeeded, its lease still holds the key | marked done in it, committed | done | the gateway's ack |
/// | handler succeeded, but its lease ran out and another delivery took the key | rolled back | the other delivery's | 503: that delivery does the work |
/// | handler failed, panicked, or was stopped at shutdown | rolled back | released | 500 (503 when stopped) |
/// | the commit (or the mark) failed | rolled back (the commit's outcome is left to the database) | released if not done | 503 |
///
/// A process killed anywhere before the commit leaves nothing behind: PostgreSQL rolls the
/// transaction back when the connection drops, the key stays "in progress" until its lease
/// runs out (60 s by default: [`SeenLimits::lease`](crate::seen::SeenLimits::lease)), and the
/// gateway's next delivery after that runs the handler once. Delivered twice, the work is
/// done once, even when a handler outlives its lease: only the transaction holding the lease
/// can commit.
///
/// The shop's tables must be in the store's database (the transaction is on the store's
/// pool). Everything else is as in [`WebhookRouter`]: verification, refusals, 409 for a
/// notification being handled, [`InFlight`], [`serve`](super::serve).
///
/// ```no_run
/// use std::sync::Arc;
/// use payments::axum::{ServeOptions, TransactionalRouter, WebhookTransaction, serve};
/// use payments::notification::Notification;
/// use payments::payment::PaymentStatus;
/// use payments::store::postgres::PostgresSeenStore;
/// use payments::store::sqlx::{self, PgPool};
/// use payments::{AnyGateway, GatewayConfig};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = PgPool::connect("postgres://shop@localhost/shop").await?;
/// let store = PostgresSeenStore::new(pool);
/// store.migrate().await?;
/// let gateway = AnyGateway::from_config(&GatewayConfig::from_env()?)?;
///
/// let webhooks = TransactionalRouter::new(
///     store,
///     |notification: Notification, mut transaction: WebhookTransaction| async move {
///         if notification.status == PaymentStatus::Paid {
///             // Check notification.money against the order first.
///             sqlx::query("UPDATE orders SET paid_at = now() WHERE id = $1")
///                 .bind(notification.order_id.as_str())
///                 .execute(&mut *transaction)
///                 .await?;
///         }
///         Ok::<_, sqlx::Error>(transaction) // the router marks it processed and commits
///     },
/// )
/// .gateway(&gateway);
/// let in_flight = webhooks.in_flight();
/// let app = ::axum::Router::new().nest("/webhooks", webhooks.into_router());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let stop = async { tokio::signal::ctrl_c().await.unwrap_or_default() };
/// serve(listener, app, ServeOptions::default(), stop).await?;
/// in_flight.settle(std::time::Duration::from_secs(20)).await;
/// # Ok(())
/// # }
/// ```
pub struct TransactionalRouter {
    inner: WebhookRouter,
}

impl std::fmt::Debug for TransactionalRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TransactionalRouter").field(&self.inner).finish()
    }
}

impl TransactionalRouter {
    /// A router that claims notifications in `store` and calls `handler` once per verified,
    /// not yet processed notification, with a transaction begun on the store's pool. The
    /// handler gives the transaction back to have its writes committed with the mark, or
    /// returns an error to have them rolled back.
    pub fn new<F, Fut, E>(store: impl Into<Arc<PostgresSeenStore>>, handler: F) -> Self
    where
        F: Fn(Notification, WebhookTransaction) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<WebhookTransaction, E>> + Send + 'static,
        E: Into<HandlerError>,
    {
        let store = store.into();
        let handler = Arc::new(handler);
        let handler: TransactionalHandler = Arc::new(move |notification, transaction| {
            let handler = handler.clone();
            Box::pin(async move { handler(notification, transaction).await.map_err(Into::into) })
        });
        let mut inner = WebhookRouter::with_work(Work::Transactional(Arc::new(Transactional {
            store: store.clone(),
            handler,
        })));
        inner.store = store;
        Self { inner }
    }

    /// Adds a route `/<gateway name>` for a configured gateway
    /// ([`WebhookRouter::gateway`]).
    #[must_use]
    pub fn gateway(self, gateway: &AnyGateway) -> Self {
        Self { inner: self.inner.gateway(gateway) }
    }

    /// Adds a route `/<gateway name>` for any webhook verifier
    /// ([`WebhookRouter::verifier`]).
    #[must_use]
    pub fn verifier(self, verifier: Arc<dyn WebhookVerifier>) -> Self {
        Self { inner: self.inner.verifier(verifier) }
    }

    /// Changes the body size limit ([`WebhookRouter::max_body_bytes`]).
    #[must_use]
    pub fn max_body_bytes(self, limit: usize) -> Self {
        Self { inner: self.inner.max_body_bytes(limit) }
    }

    /// Calls `observe` for every refused delivery ([`WebhookRouter::on_refused`]).
    #[must_use]
    pub fn on_refused(self, observe: impl Fn(&Refusal<'_>) + Send + Sync + 'static) -> Self {
        Self { inner: self.inner.on_refused(observe) }
    }

    /// The handlers this router runs, to let them finish at shutdown
    /// ([`WebhookRouter::in_flight`]).
    pub fn in_flight(&self) -> InFlight {
        self.inner.in_flight()
    }

    /// The router, with `GET` and `POST` on `/<gateway name>` for each gateway.
    pub fn into_router(self) -> Router {
        self.inner.into_router()
    }
}
