//! One delivery: read, verify, claim, run the handler in its own task, answer.

use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Arc;

use ::axum::body::Body;
use ::axum::extract::{ConnectInfo, Request, State};
use ::axum::response::{IntoResponse, Response};
use futures_util::FutureExt as _;
use futures_util::future::{Either, select};
use http::{HeaderValue, StatusCode, header};
use payments_core::gateway::WebhookVerifier;
use payments_core::notification::Notification;
use payments_core::webhook::{WebhookAck, WebhookRequest};
use payments_core::{Error, GatewayId, WebhookError};

use super::in_flight::Running;
#[cfg(feature = "postgres")]
use super::transactional::Transactional;
use super::{HandlerError, InFlight, OnRefused, Refusal, Work};
use crate::seen::{Claim, Lease, SeenStore, Settle};

/// What a gateway's route needs.
pub(super) struct Route {
    pub(super) verifier: Arc<dyn WebhookVerifier>,
    pub(super) work: Work,
    pub(super) store: Arc<dyn SeenStore>,
    pub(super) max_body_bytes: usize,
    pub(super) in_flight: InFlight,
    pub(super) on_refused: Option<OnRefused>,
}

impl Route {
    /// Logs and reports a refused delivery, then gives the sender's generic answer.
    fn refuse(
        &self,
        status: StatusCode,
        error: &Error,
        webhook: Option<&WebhookRequest>,
        peer: Option<SocketAddr>,
        answer: &'static str,
    ) -> Response {
        let key_fields =
            webhook.map(|webhook| self.verifier.key_fields(webhook)).unwrap_or_default();
        let refusal = Refusal {
            gateway: self.verifier.gateway(),
            status,
            error,
            peer,
            key_fields: &key_fields,
        };
        refusal.log();
        if let Some(observe) = &self.on_refused {
            observe(&refusal);
        }
        plain(status, answer)
    }
}

/// How a handler's run ended, once its claim was settled.
enum Settled {
    /// The handler succeeded and the key is marked processed.
    Completed,
    /// The handler succeeded, but its lease had run out and another delivery holds the key
    /// (or completed it): the key was left to that claim. The work is done, so the gateway
    /// gets its ack.
    CompletedLeaseLost,
    /// The handler failed or panicked; the key was released for a redelivery.
    HandlerFailed,
    /// The handler succeeded but the store could not mark the key processed (or, in a
    /// transaction, the transaction could not be begun or committed).
    StoreFailed,
    /// The handler's writes were rolled back because its lease had run out and another
    /// delivery holds the key (transactional routes): that delivery does the work.
    #[cfg(feature = "postgres")]
    RolledBackLeaseLost,
    /// The shutdown grace ran out before the handler finished; the key was released.
    Stopped,
}

pub(super) async fn deliver(State(route): State<Arc<Route>>, request: Request) -> Response {
    let gateway = route.verifier.gateway();
    let (parts, body) = request.into_parts();
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
    let bytes = match ::axum::body::to_bytes(body, route.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(error) => {
            let (status, reason) = if is_timeout(&error) {
                (StatusCode::REQUEST_TIMEOUT, "body not received within the body read timeout")
            } else {
                (StatusCode::PAYLOAD_TOO_LARGE, "body larger than the limit or cut off")
            };
            let error = Error::Webhook { gateway, source: WebhookError::Malformed(reason.into()) };
            return route.refuse(status, &error, None, peer, "refused");
        }
    };
    let mut webhook = WebhookRequest::new(parts.method, bytes);
    webhook.headers = parts.headers;
    webhook.query = parts.uri.query().map(str::to_owned);
    webhook.peer = peer;

    let notification = match route.verifier.verify(&webhook).await {
        Ok(notification) => notification,
        Err(error) => {
            let (status, answer) = match &error {
                Error::Webhook { source, .. } => (rejection_status(source), "refused"),
                _ => (StatusCode::SERVICE_UNAVAILABLE, "try again later"),
            };
            return route.refuse(status, &error, Some(&webhook), peer, answer);
        }
    };

    let key = notification.dedup_key();
    // A handler for this key already runs here (it may have outlived the store's lease).
    let Some(running) = route.in_flight.enter(&key) else {
        return plain(StatusCode::CONFLICT, "being processed");
    };
    let lease = match route.store.claim(&key).await {
        Ok(Claim::New(lease)) => lease,
        Ok(Claim::Done) => return ack(&route.verifier.ack()),
        // In progress elsewhere (or a claim answer this version does not know): the gateway
        // delivers again later.
        Ok(_) => return plain(StatusCode::CONFLICT, "being processed"),
        Err(error) => {
            tracing::error!(%gateway, %error, "webhook store failed");
            return plain(StatusCode::SERVICE_UNAVAILABLE, "try again later");
        }
    };
    // From here the claim is the task's to settle. This future may be dropped at any await
    // (the gateway hangs up, a request timeout fires); the task goes on regardless.
    let task =
        route.in_flight.spawn(run_and_settle(route.clone(), key, lease, notification, running));
    match task.await {
        Ok(Settled::Completed | Settled::CompletedLeaseLost) => ack(&route.verifier.ack()),
        Ok(Settled::HandlerFailed) => plain(StatusCode::INTERNAL_SERVER_ERROR, "handler failed"),
        #[cfg(feature = "postgres")]
        Ok(Settled::RolledBackLeaseLost) => {
            plain(StatusCode::SERVICE_UNAVAILABLE, "try again later")
        }
        Ok(Settled::StoreFailed | Settled::Stopped) | Err(_) => {
            plain(StatusCode::SERVICE_UNAVAILABLE, "try again later")
        }
    }
}

/// Why a handler's run ended without success.
enum Failure {
    /// The handler returned an error.
    Failed(HandlerError),
    /// The handler panicked.
    Panicked,
    /// The shutdown grace ran out before it finished (or started).
    Stopped,
}

impl Failure {
    /// Logs the failure and says what to answer.
    fn settled(self, gateway: GatewayId) -> Settled {
        match self {
            Self::Failed(error) => {
                tracing::error!(%gateway, %error, "webhook handler failed");
                Settled::HandlerFailed
            }
            Self::Panicked => {
                tracing::error!(%gateway, "webhook handler panicked");
                Settled::HandlerFailed
            }
            Self::Stopped => {
                tracing::warn!(%gateway, "webhook handler stopped at shutdown");
                Settled::Stopped
            }
        }
    }
}

/// Runs `handler` unless the shutdown grace ran out, racing it against that stop; a panic is
/// caught. A handler stopped or panicking is dropped here, with all it owned.
async fn run_handler<T>(
    in_flight: &InFlight,
    handler: impl Future<Output = Result<T, HandlerError>>,
) -> Result<T, Failure> {
    // Once the shutdown grace ran out no handler starts; one that is running races the stop.
    // The handler is polled first, so one that finishes at once never waits on the stop.
    if in_flight.is_stopped() {
        return Err(Failure::Stopped);
    }
    let handler = pin!(AssertUnwindSafe(handler).catch_unwind());
    match select(handler, pin!(in_flight.stopped())).await {
        Either::Left((Ok(Ok(value)), _)) => Ok(value),
        Either::Left((Ok(Err(error)), _)) => Err(Failure::Failed(error)),
        Either::Left((Err(_panic), _)) => Err(Failure::Panicked),
        Either::Right(((), _)) => Err(Failure::Stopped),
    }
}

/// Runs the handler, then marks the key processed (success) or releases it (failure, panic,
/// or stopped at shutdown), so no outcome leaves it in progress. Both act only for `lease`:
/// a lease that ran out and was taken over by another instance is logged, and the other
/// claim is left alone.
///
/// `_running` marks the key as running in this process until the task ends.
async fn run_and_settle(
    route: Arc<Route>,
    key: String,
    lease: Lease,
    notification: Notification,
    _running: Running,
) -> Settled {
    let gateway = route.verifier.gateway();
    let settled = match &route.work {
        Work::Plain(handler) => match run_handler(&route.in_flight, handler(notification)).await {
            Ok(()) => return complete(&route, &key, &lease).await,
            Err(failure) => failure.settled(gateway),
        },
        #[cfg(feature = "postgres")]
        Work::Transactional(work) => {
            match in_transaction(&route, work, &key, &lease, notification).await {
                Ok(settled) => return settled,
                Err(settled) => settled,
            }
        }
    };
    release(&route, &key, &lease).await;
    settled
}

/// Marks the key processed after a plain handler succeeded.
async fn complete(route: &Route, key: &str, lease: &Lease) -> Settled {
    let gateway = route.verifier.gateway();
    match route.store.complete(key, lease).await {
        Ok(Settle::Lost) => {
            // Another instance took the key over after this lease ran out: its handler runs
            // (or ran) too. The lease must outlast the handler.
            tracing::error!(
                %gateway,
                %key,
                "webhook handler outlived its lease and another delivery took the notification \
                 over: the handler may run twice; raise the store's lease"
            );
            Settled::CompletedLeaseLost
        }
        Ok(_) => Settled::Completed,
        Err(error) => {
            // The order was handled; the gateway will deliver again and the handler must then
            // see it as done in the shop's own records.
            tracing::error!(%gateway, %error, "webhook store failed after handling");
            Settled::StoreFailed
        }
    }
}

/// Runs a transactional handler in a transaction begun on the store's pool, marks the key
/// processed in it and commits. `Ok` when the claim is settled (done, or left to the delivery
/// that took it over), `Err` with what to answer when it must be released: the handler
/// failed, or the transaction could not be begun, marked or committed. The transaction is
/// rolled back on every path but the commit.
#[cfg(feature = "postgres")]
async fn in_transaction(
    route: &Route,
    work: &Transactional,
    key: &str,
    lease: &Lease,
    notification: Notification,
) -> Result<Settled, Settled> {
    let gateway = route.verifier.gateway();
    let store_failed = |operation: &'static str, error: &dyn std::error::Error| {
        tracing::error!(%gateway, %error, "webhook transaction: {operation} failed");
        Settled::StoreFailed
    };
    let transaction = work.begin().await.map_err(|error| store_failed("begin", &error))?;
    let transaction = run_handler(&route.in_flight, (work.handler)(notification, transaction))
        .await
        .map_err(|failure| failure.settled(gateway))?;
    let mut transaction = transaction.into_inner();
    match work.store.complete_in(&mut transaction, key, lease).await {
        Ok(Settle::Settled) => {}
        Ok(_) => {
            // Another delivery took the key over after this lease ran out: it does the work,
            // so these writes must not land.
            tracing::error!(
                %gateway,
                %key,
                "webhook handler outlived its lease and another delivery took the notification \
                 over: its writes are rolled back; raise the store's lease"
            );
            if let Err(error) = transaction.rollback().await {
                tracing::warn!(%gateway, %error, "webhook transaction: rollback failed");
            }
            return Ok(Settled::RolledBackLeaseLost);
        }
        Err(error) => {
            let settled = store_failed("marking the key done", &error);
            // Rolled back before the release, which must not wait on this transaction.
            if let Err(error) = transaction.rollback().await {
                tracing::warn!(%gateway, %error, "webhook transaction: rollback failed");
            }
            return Err(settled);
        }
    }
    // A failed commit may still have committed (the answer was lost): the release that
    // follows acts only on a key still in progress under this lease, so it never undoes it.
    transaction.commit().await.map_err(|error| store_failed("commit", &error))?;
    Ok(Settled::Completed)
}

/// Releases the claim after a failure, so a redelivery is processed.
async fn release(route: &Route, key: &str, lease: &Lease) {
    let gateway = route.verifier.gateway();
    match route.store.release(key, lease).await {
        Ok(Settle::Lost) => tracing::warn!(
            %gateway,
            %key,
            "webhook claim not released: its lease ran out and another delivery holds the \
             notification (or completed it)"
        ),
        Ok(_) => {}
        Err(error) => tracing::error!(%gateway, %error, "webhook store failed to release"),
    }
}

/// Whether reading the body failed on tower-http's body read timeout.
fn is_timeout(error: &::axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        source = current.source();
    }
    false
}

fn rejection_status(error: &WebhookError) -> StatusCode {
    match error {
        WebhookError::TooLarge { .. }
        | WebhookError::TooManyFields { .. }
        | WebhookError::FieldTooLong { .. } => StatusCode::PAYLOAD_TOO_LARGE,
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
