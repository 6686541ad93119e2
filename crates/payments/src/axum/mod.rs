//! Webhook endpoints for axum: one route per gateway that verifies, de-duplicates, calls your
//! handler, and only then answers what the gateway expects.
//!
//! | what happens | answer |
//! |---|---|
//! | verified, handler succeeded (or already processed before) | the gateway's ack (`YES`, `OK`, 200) |
//! | forged, malformed, wrong shop, wrong amount format | 400 (403 for a refused source address, 413 for a too large body or too many fields); the handler is not called |
//! | handler failed or panicked | 500; the notification is not marked processed, so a redelivery is handled |
//! | the same notification is being handled by a concurrent delivery | 409; the gateway delivers again later |
//! | the seen-store or a confirming API call failed, or the server is shutting down | 503 |
//! | the body or the whole request took too long ([`serve`]) | 408 |
//!
//! The handler runs in a task of its own, which settles the notification's claim in the
//! seen-store (processed after success, released after a failure or a panic) whatever
//! happens to the request: a gateway that hangs up on a slow handler, or a request timeout,
//! does not leave the notification stuck "in progress", and its redelivery is answered from
//! the store. [`InFlight::settle`] lets those tasks finish at shutdown.
//!
//! Every refusal is logged at `warn` with the gateway, the answer, the verifier's whole reason
//! (a secret word swapped, an amount re-formatted on the way) and a few fields as received
//! (order id, amount: [`Refusal`]); [`WebhookRouter::on_refused`] lets the shop count or alert
//! on them. The sender only gets a generic answer.
//!
//! On PostgreSQL, use `TransactionalRouter` (features `axum` and `postgres`): the recommended
//! setup. Its handler gets the database transaction in which the notification is marked
//! processed, so the shop's own writes (the order marked paid) and that mark commit together
//! or not at all: a process killed mid-handler leaves nothing behind, and a handler that
//! outlived its lease cannot commit beside the delivery that took it over. With
//! [`WebhookRouter`] the handler's effect and the mark are two steps: a crash or a store
//! outage between them runs the handler again on the next delivery, so it must find the order
//! already paid in the shop's own records.
//!
//! Serve the routes with [`serve`]: it reads headers and bodies under deadlines, caps the
//! open connections and stops gracefully. `axum::serve` has none of these, so a sender that
//! stalls keeps its connection for ever.
//!
//! ```no_run
//! use std::time::Duration;
//! use payments::{AnyGateway, GatewayConfig};
//! use payments::axum::{ServeOptions, WebhookRouter, serve};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let gateway = AnyGateway::from_config(&GatewayConfig::from_env()?)?;
//! let webhooks = WebhookRouter::new(|notification: payments::notification::Notification| async move {
//!     // Look the order up, check notification.money against it, mark it paid.
//!     println!("{} is {:?}", notification.order_id, notification.status);
//!     Ok::<(), std::io::Error>(())
//! })
//! .gateway(&gateway);
//! let in_flight = webhooks.in_flight();
//! let app = ::axum::Router::new().nest("/webhooks", webhooks.into_router()); // POST /webhooks/feennex ...
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! let stop = async { tokio::signal::ctrl_c().await.unwrap_or_default() };
//! serve(listener, app, ServeOptions::default(), stop).await?;
//! in_flight.settle(Duration::from_secs(20)).await;
//! # Ok(())
//! # }
//! ```

mod deliver;
mod in_flight;
mod refusal;
mod serve;
#[cfg(feature = "postgres")]
mod transactional;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use ::axum::Router;
use ::axum::routing::get;
use payments_core::gateway::WebhookVerifier;
use payments_core::notification::Notification;

pub use self::in_flight::InFlight;
pub use self::refusal::Refusal;
pub use self::serve::{ServeOptions, serve};
#[cfg(feature = "postgres")]
pub use self::transactional::{TransactionalRouter, WebhookTransaction};
use crate::any_gateway::AnyGateway;
use crate::seen::{InMemorySeenStore, SeenStore};

/// The largest webhook body read by default.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// An error from the user's handler.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

type BoxFuture = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send>>;
type Handler = Arc<dyn Fn(Notification) -> BoxFuture + Send + Sync>;
type OnRefused = Arc<dyn Fn(&Refusal<'_>) + Send + Sync>;

/// What a route runs for a notification it claimed.
#[derive(Clone)]
enum Work {
    /// The handler; the router then marks the key done in the store.
    Plain(Handler),
    /// The handler in a transaction in which the router marks the key done.
    #[cfg(feature = "postgres")]
    Transactional(Arc<transactional::Transactional>),
}

/// Builds the webhook [`Router`].
///
/// On PostgreSQL, `TransactionalRouter` (features `axum` and `postgres`) is the recommended
/// variant: its handler writes in the transaction that marks the notification processed, so
/// the shop's writes and the mark commit together or not at all.
pub struct WebhookRouter {
    work: Work,
    store: Arc<dyn SeenStore>,
    max_body_bytes: usize,
    verifiers: Vec<Arc<dyn WebhookVerifier>>,
    in_flight: InFlight,
    on_refused: Option<OnRefused>,
}

impl std::fmt::Debug for WebhookRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let gateways: Vec<_> = self.verifiers.iter().map(|v| v.gateway()).collect();
        f.debug_struct("WebhookRouter")
            .field("gateways", &gateways)
            .field("store", &self.store)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("in_flight", &self.in_flight)
            .field("on_refused", &self.on_refused.is_some())
            .finish_non_exhaustive()
    }
}

impl WebhookRouter {
    /// A router that calls `handler` once per verified, not yet processed notification.
    pub fn new<F, Fut, E>(handler: F) -> Self
    where
        F: Fn(Notification) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<HandlerError>,
    {
        let handler = Arc::new(handler);
        let handler: Handler = Arc::new(move |notification| {
            let handler = handler.clone();
            Box::pin(async move { handler(notification).await.map_err(Into::into) })
        });
        Self::with_work(Work::Plain(handler))
    }

    /// A router running `work`, with the defaults.
    fn with_work(work: Work) -> Self {
        Self {
            work,
            store: Arc::new(InMemorySeenStore::new()),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            verifiers: Vec::new(),
            in_flight: InFlight::default(),
            on_refused: None,
        }
    }

    /// Adds a route `/<gateway name>` for a configured gateway.
    #[must_use]
    pub fn gateway(self, gateway: &AnyGateway) -> Self {
        self.verifier(gateway.webhook_verifier())
    }

    /// Adds a route `/<gateway name>` for any webhook verifier.
    ///
    /// A later verifier for the same gateway replaces the earlier one (one route per gateway).
    #[must_use]
    pub fn verifier(mut self, verifier: Arc<dyn WebhookVerifier>) -> Self {
        self.verifiers.retain(|known| known.gateway() != verifier.gateway());
        self.verifiers.push(verifier);
        self
    }

    /// Uses another store of processed notifications (shared by all instances of the shop).
    /// The default is an [`InMemorySeenStore`] with its default limits.
    #[must_use]
    pub fn store(mut self, store: Arc<dyn SeenStore>) -> Self {
        self.store = store;
        self
    }

    /// Changes the body size limit.
    #[must_use]
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Calls `observe` for every refused delivery (forged, malformed, from a refused address,
    /// or not confirmable), with the whole reason, which the sender never sees. Every refusal
    /// is also logged at `warn`; this is for counting and alerting (a wrong secret word shows
    /// up as a run of signature refusals).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use payments::axum::{Refusal, WebhookRouter};
    ///
    /// let refused = Arc::new(AtomicUsize::new(0));
    /// let counter = refused.clone();
    /// let webhooks = WebhookRouter::new(|_| async { Ok::<(), std::io::Error>(()) })
    ///     .on_refused(move |refusal: &Refusal<'_>| {
    ///         counter.fetch_add(1, Ordering::Relaxed);
    ///         eprintln!("{} refused: {}", refusal.gateway, refusal.error);
    ///     });
    /// # drop(webhooks);
    /// ```
    #[must_use]
    pub fn on_refused(mut self, observe: impl Fn(&Refusal<'_>) + Send + Sync + 'static) -> Self {
        self.on_refused = Some(Arc::new(observe));
        self
    }

    /// The handlers this router runs, to let them finish at shutdown
    /// ([`InFlight::settle`]). Take it before [`WebhookRouter::into_router`].
    pub fn in_flight(&self) -> InFlight {
        self.in_flight.clone()
    }

    /// The router, with `GET` and `POST` on `/<gateway name>` for each gateway.
    pub fn into_router(self) -> Router {
        let mut router = Router::new();
        for verifier in self.verifiers {
            let path = format!("/{}", verifier.gateway());
            let route = Arc::new(deliver::Route {
                verifier,
                work: self.work.clone(),
                store: self.store.clone(),
                max_body_bytes: self.max_body_bytes,
                in_flight: self.in_flight.clone(),
                on_refused: self.on_refused.clone(),
            });
            router =
                router.route(&path, get(deliver::deliver).post(deliver::deliver).with_state(route));
        }
        router
    }
}
