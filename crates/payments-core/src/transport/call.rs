//! Sending a request with the retry policy, inside a tracing span.

use std::time::{Instant, SystemTime};

use tracing::Instrument;
use tracing::field::Empty;

use super::{Decision, HttpRequest, HttpResponse, Outcome, RetryPolicy, Transport, TransportError};

/// Sends `request`, retrying only when it is safe to repeat and the policy says so.
///
/// The call runs inside a `gateway_call` span with the fields `gateway`, `endpoint`, `method`,
/// `http.status`, `attempts` and `duration_ms`. Neither the body nor any header value is
/// recorded, so no secret, signature key or card number reaches the logs.
///
/// After the last attempt, the last response is returned whatever its status (the gateway
/// crate reads its error body), or the last transport error.
///
/// # Errors
///
/// The [`TransportError`] of the last attempt when no response arrived.
pub async fn execute(
    transport: &dyn Transport,
    request: &HttpRequest,
    policy: &RetryPolicy,
) -> Result<HttpResponse, TransportError> {
    let span = tracing::info_span!(
        "gateway_call",
        gateway = request.gateway.as_str(),
        endpoint = request.endpoint,
        method = request.method.as_str(),
        http.status = Empty,
        attempts = Empty,
        duration_ms = Empty,
    );
    let started = Instant::now();
    let result = run(transport, request, policy, &span).instrument(span.clone()).await;
    let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    span.record("duration_ms", elapsed);
    result
}

async fn run(
    transport: &dyn Transport,
    request: &HttpRequest,
    policy: &RetryPolicy,
    span: &tracing::Span,
) -> Result<HttpResponse, TransportError> {
    let mut attempt: u32 = 1;
    loop {
        span.record("attempts", attempt);
        let result = transport.send(request).await;
        let outcome = match &result {
            Ok(response) => {
                span.record("http.status", response.status.as_u16());
                let retry_after = response
                    .headers
                    .get(http::header::RETRY_AFTER)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| super::parse_retry_after(value, SystemTime::now()));
                Outcome::Response { status: response.status, retry_after }
            }
            Err(error) => Outcome::Failed(error.kind()),
        };
        match policy.decide(attempt, request.safe_to_repeat, outcome, fastrand::u64(..)) {
            Decision::Stop => return result,
            Decision::Retry(delay) => {
                tracing::debug!(
                    attempt,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    "retrying"
                );
                tokio::time::sleep(delay).await;
                attempt = attempt.saturating_add(1);
            }
        }
    }
}
