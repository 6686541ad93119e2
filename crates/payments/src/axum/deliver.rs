//! One delivery: read, verify, claim, run the handler in its own task, answer.

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
use payments_core::{Error, WebhookError};

use super::in_flight::Running;
use super::{Handler, InFlight, OnRefused, Refusal};
use crate::seen::{Claim, Lease, SeenStore, Settle};

/// What a gateway's route needs.
pub(super) struct Route {
    pub(super) verifier: Arc<dyn WebhookVerifier>,
    pub(super) handler: Handler,
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
    /// The handler succeeded but the store could not mark the key processed.
    StoreFailed,
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
        Ok(Settled::StoreFailed | Settled::Stopped) | Err(_) => {
            plain(StatusCode::SERVICE_UNAVAILABLE, "try again later")
        }
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
    // Once the shutdown grace ran out no handler starts; one that is running races the stop.
    // The handler is polled first, so one that finishes at once never waits on the stop.
    let outcome = if route.in_flight.is_stopped() {
        None
    } else {
        let handler = pin!(AssertUnwindSafe((route.handler)(notification)).catch_unwind());
        match select(handler, pin!(route.in_flight.stopped())).await {
            Either::Left((outcome, _)) => Some(outcome),
            Either::Right(((), _)) => None,
        }
    };
    let settled = match outcome {
        Some(Ok(Ok(()))) => match route.store.complete(&key, &lease).await {
            Ok(Settle::Lost) => {
                // Another instance took the key over after this lease ran out: its handler
                // runs (or ran) too. The lease must outlast the handler.
                tracing::error!(
                    %gateway,
                    %key,
                    "webhook handler outlived its lease and another delivery took the \
                     notification over: the handler may run twice; raise the store's lease"
                );
                return Settled::CompletedLeaseLost;
            }
            Ok(_) => return Settled::Completed,
            Err(error) => {
                // The order was handled; the gateway will deliver again and the handler must
                // then see it as done in the shop's own records.
                tracing::error!(%gateway, %error, "webhook store failed after handling");
                return Settled::StoreFailed;
            }
        },
        Some(Ok(Err(error))) => {
            tracing::error!(%gateway, %error, "webhook handler failed");
            Settled::HandlerFailed
        }
        Some(Err(_panic)) => {
            tracing::error!(%gateway, "webhook handler panicked");
            Settled::HandlerFailed
        }
        None => {
            tracing::warn!(%gateway, "webhook handler stopped at shutdown");
            Settled::Stopped
        }
    };
    match route.store.release(&key, &lease).await {
        Ok(Settle::Lost) => tracing::warn!(
            %gateway,
            %key,
            "webhook claim not released: its lease ran out and another delivery holds the \
             notification (or completed it)"
        ),
        Ok(_) => {}
        Err(error) => tracing::error!(%gateway, %error, "webhook store failed to release"),
    }
    settled
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
