//! Webhook endpoints for axum: one route per gateway that verifies, de-duplicates, calls your
//! handler, and only then answers what the gateway expects.
//!
//! | what happens | answer |
//! |---|---|
//! | verified, handler succeeded (or already processed before) | the gateway's ack (`YES`, `OK`, 200) |
//! | forged, malformed, wrong shop, wrong amount format | 400 (403 for a refused source address, 413 for a too large body); the handler is not called |
//! | handler failed | 500; the notification is not marked processed, so a redelivery is handled |
//! | the same notification is being handled by a concurrent delivery | 409; the gateway delivers again later |
//! | the seen-store or a confirming API call failed | 503 |
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use payments::{AnyGateway, GatewayConfig};
//! use payments::axum::WebhookRouter;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let gateway = AnyGateway::from_config(&GatewayConfig::from_env()?)?;
//! let webhooks = WebhookRouter::new(|notification: payments::notification::Notification| async move {
//!     // Look the order up, check notification.money against it, mark it paid.
//!     println!("{} is {:?}", notification.order_id, notification.status);
//!     Ok::<(), std::io::Error>(())
//! })
//! .gateway(&gateway)
//! .into_router();
//! let app = ::axum::Router::new().nest("/webhooks", webhooks); // POST /webhooks/feennex ...
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! ::axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await?;
//! # Ok(())
//! # }
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use ::axum::Router;
use ::axum::body::Body;
use ::axum::extract::{ConnectInfo, Request, State};
use ::axum::response::{IntoResponse, Response};
use ::axum::routing::get;
use http::{HeaderValue, StatusCode, header};
use payments_core::gateway::WebhookVerifier;
use payments_core::notification::Notification;
use payments_core::webhook::{WebhookAck, WebhookRequest};
use payments_core::{Error, WebhookError};

use crate::any_gateway::AnyGateway;
use crate::seen::{Claim, InMemorySeenStore, SeenStore};

/// The largest webhook body read by default.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// An error from the user's handler.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

type BoxFuture = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send>>;
type Handler = Arc<dyn Fn(Notification) -> BoxFuture + Send + Sync>;

/// Builds the webhook [`Router`].
pub struct WebhookRouter {
    handler: Handler,
    store: Arc<dyn SeenStore>,
    max_body_bytes: usize,
    verifiers: Vec<Arc<dyn WebhookVerifier>>,
}

impl std::fmt::Debug for WebhookRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let gateways: Vec<_> = self.verifiers.iter().map(|v| v.gateway()).collect();
        f.debug_struct("WebhookRouter")
            .field("gateways", &gateways)
            .field("store", &self.store)
            .field("max_body_bytes", &self.max_body_bytes)
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
        Self {
            handler,
            store: Arc::new(InMemorySeenStore::new()),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            verifiers: Vec::new(),
        }
    }

    /// Adds a route `/<gateway name>` for a configured gateway.
    #[must_use]
    pub fn gateway(self, gateway: &AnyGateway) -> Self {
        self.verifier(gateway.webhook_verifier())
    }

    /// Adds a route `/<gateway name>` for any webhook verifier.
    ///
    #[must_use]
    /// A later verifier for the same gateway replaces the earlier one (one route per gateway).
    pub fn verifier(mut self, verifier: Arc<dyn WebhookVerifier>) -> Self {
        self.verifiers.retain(|known| known.gateway() != verifier.gateway());
        self.verifiers.push(verifier);
        self
    }

    /// Uses another store of processed notifications (shared by all instances of the shop).
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

    /// The router, with `GET` and `POST` on `/<gateway name>` for each gateway.
    pub fn into_router(self) -> Router {
        let mut router = Router::new();
        for verifier in self.verifiers {
            let path = format!("/{}", verifier.gateway());
            let route = Arc::new(Route {
                verifier,
                handler: self.handler.clone(),
                store: self.store.clone(),
                max_body_bytes: self.max_body_bytes,
            });
            router = router.route(&path, get(handle).post(handle).with_state(route));
        }
        router
    }
}

struct Route {
    verifier: Arc<dyn WebhookVerifier>,
    handler: Handler,
    store: Arc<dyn SeenStore>,
    max_body_bytes: usize,
}

async fn handle(State(route): State<Arc<Route>>, request: Request) -> Response {
    let gateway = route.verifier.gateway();
    let (parts, body) = request.into_parts();
    let Ok(bytes) = ::axum::body::to_bytes(body, route.max_body_bytes).await else {
        tracing::warn!(%gateway, "webhook refused: body too large");
        return plain(StatusCode::PAYLOAD_TOO_LARGE, "body too large");
    };
    let mut webhook = WebhookRequest::new(parts.method, bytes);
    webhook.headers = parts.headers;
    webhook.query = parts.uri.query().map(str::to_owned);
    webhook.peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0);

    let notification = match route.verifier.verify(&webhook).await {
        Ok(notification) => notification,
        Err(Error::Webhook { source, .. }) => {
            tracing::warn!(%gateway, reason = %source, "webhook refused");
            return plain(rejection_status(&source), "refused");
        }
        Err(other) => {
            tracing::warn!(%gateway, error = %other, "webhook could not be confirmed");
            return plain(StatusCode::SERVICE_UNAVAILABLE, "try again later");
        }
    };

    let key = notification.dedup_key();
    match route.store.claim(&key).await {
        Ok(Claim::New) => {}
        Ok(Claim::Done) => return ack(&route.verifier.ack()),
        Ok(Claim::InProgress) => return plain(StatusCode::CONFLICT, "being processed"),
        Err(error) => {
            tracing::error!(%gateway, %error, "webhook store failed");
            return plain(StatusCode::SERVICE_UNAVAILABLE, "try again later");
        }
    }
    // The handler runs in its own task: a panic in it, or the gateway dropping the connection
    // mid-way, still ends here, and the claim is released rather than left in progress.
    let handler = route.handler.clone();
    let outcome = match tokio::spawn(async move { handler(notification).await }).await {
        Ok(result) => result,
        Err(join_error) => Err(HandlerError::from(format!("handler panicked: {join_error}"))),
    };
    match outcome {
        Ok(()) => match route.store.complete(&key).await {
            Ok(()) => ack(&route.verifier.ack()),
            Err(error) => {
                // The order was handled; the gateway will deliver again and the handler must
                // then see it as done in the shop's own records.
                tracing::error!(%gateway, %error, "webhook store failed after handling");
                plain(StatusCode::SERVICE_UNAVAILABLE, "try again later")
            }
        },
        Err(error) => {
            tracing::error!(%gateway, %error, "webhook handler failed");
            if let Err(error) = route.store.release(&key).await {
                tracing::error!(%gateway, %error, "webhook store failed to release");
            }
            plain(StatusCode::INTERNAL_SERVER_ERROR, "handler failed")
        }
    }
}

fn rejection_status(error: &WebhookError) -> StatusCode {
    match error {
        WebhookError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        WebhookError::ForbiddenSource(_) => StatusCode::FORBIDDEN,
        _ => StatusCode::BAD_REQUEST,
    }
}

fn ack(ack: &WebhookAck) -> Response {
    let mut response = Response::new(Body::from(ack.body));
    *response.status_mut() = ack.status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ack.content_type));
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, text).into_response()
}
