//! Sending a request with the retry policy, inside a tracing span.

use std::convert::Infallible;
use std::future::Future;
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
    let prepare = || std::future::ready(Ok::<_, Infallible>(request));
    match execute_prepared(transport, policy, prepare).await {
        Ok((_, result)) => result,
        Err(never) => match never {},
    }
}

/// [`execute`] for a request that must be prepared again for every attempt: `prepare` runs
/// before each one (Freekassa draws a fresh nonce and signs again, since a nonce it has seen
/// is refused). The one retry loop of every gateway: same policy, same span, same
/// `Retry-After` handling.
///
/// Returns what the last attempt sent with what came back, so the caller can read the
/// response against the request it answers. Each prepared value is dropped before the wait
/// that follows its attempt, so it may hold a lock for the duration of its attempt.
///
/// ```
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use payments_core::transport::{HttpRequest, RetryPolicy, Transport, execute_prepared};
/// # let transport: &dyn Transport = todo!();
/// # let sign_with = |nonce: u64| -> Result<HttpRequest, std::io::Error> { todo!() };
/// let mut nonce = 0;
/// let (sent, answer) = execute_prepared(transport, &RetryPolicy::standard(), || {
///     nonce += 1;
///     std::future::ready(sign_with(nonce))
/// })
/// .await?;
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// `prepare`'s error, at once: nothing more is sent. A transport failure is not an error
/// here: it is the second half of the pair, as in [`execute`].
pub async fn execute_prepared<P, E, F, Fut>(
    transport: &dyn Transport,
    policy: &RetryPolicy,
    mut prepare: F,
) -> Result<(P, Result<HttpResponse, TransportError>), E>
where
    P: AsRef<HttpRequest>,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<P, E>>,
{
    let first = prepare().await?;
    let request = first.as_ref();
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
    let result = run(transport, policy, first, prepare, &span).instrument(span.clone()).await;
    let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    span.record("duration_ms", elapsed);
    result
}

/// The attempts: `prepared` is the first; `prepare` makes each later one.
async fn run<P, E, F, Fut>(
    transport: &dyn Transport,
    policy: &RetryPolicy,
    mut prepared: P,
    mut prepare: F,
    span: &tracing::Span,
) -> Result<(P, Result<HttpResponse, TransportError>), E>
where
    P: AsRef<HttpRequest>,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<P, E>>,
{
    let mut attempt: u32 = 1;
    loop {
        span.record("attempts", attempt);
        let request = prepared.as_ref();
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
            Decision::Stop => return Ok((prepared, result)),
            Decision::Retry(delay) => {
                tracing::debug!(
                    attempt,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    "retrying"
                );
                // What the attempt held is given back before the wait, not after the next
                // attempt is prepared (Freekassa's client holds its send lane in it).
                drop(prepared);
                tokio::time::sleep(delay).await;
                attempt = attempt.saturating_add(1);
                prepared = prepare().await?;
            }
        }
    }
}
