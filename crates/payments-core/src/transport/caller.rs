//! What every gateway client sends its requests through.

use std::future::Future;
use std::sync::Arc;

use super::{ClientOptions, HttpRequest, HttpResponse, RetryPolicy, Transport, TransportError};

/// A transport with the retry policy for reads: what every gateway's client sends through,
/// built from the same [`ClientOptions`] (which the façade's `AnyGateway::with_options`
/// passes on to the client it builds).
///
/// ```
/// use std::time::Duration;
/// use payments_core::transport::{Caller, ClientOptions, RetryPolicy};
///
/// let caller = Caller::new(
///     &ClientOptions::default()
///         .timeout(Duration::from_secs(10))
///         .retry_policy(RetryPolicy::standard().with_max_attempts(2)),
/// )?;
/// assert_eq!(caller.retry().max_attempts, 2);
/// # Ok::<(), payments_core::transport::TransportError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Caller {
    transport: Arc<dyn Transport>,
    retry: RetryPolicy,
}

impl Caller {
    /// The transport of `options` (or a reqwest one built with its HTTP settings) and its
    /// retry policy.
    ///
    /// # Errors
    ///
    /// When the HTTP client cannot be built (no TLS backend).
    pub fn new(options: &ClientOptions) -> Result<Self, TransportError> {
        Ok(Self { transport: options.build_transport()?, retry: options.retry() })
    }

    /// The retry policy for reads.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Sends `request` with the retry policy (reads only; see [`super::execute`]).
    ///
    /// # Errors
    ///
    /// The transport error of the last attempt when no response arrived.
    pub async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        super::execute(self.transport.as_ref(), request, &self.retry).await
    }

    /// [`Caller::send`] with another policy for this one call (a gateway's pacing rule).
    ///
    /// # Errors
    ///
    /// As [`Caller::send`].
    pub async fn send_with(
        &self,
        request: &HttpRequest,
        retry: &RetryPolicy,
    ) -> Result<HttpResponse, TransportError> {
        super::execute(self.transport.as_ref(), request, retry).await
    }

    /// Sends a request that is prepared again before every attempt (see
    /// [`super::execute_prepared`]), and returns what the last attempt sent with what came back.
    ///
    /// # Errors
    ///
    /// `prepare`'s error, at once.
    pub async fn send_prepared<P, E, F, Fut>(
        &self,
        prepare: F,
    ) -> Result<(P, Result<HttpResponse, TransportError>), E>
    where
        P: AsRef<HttpRequest>,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<P, E>>,
    {
        super::execute_prepared(self.transport.as_ref(), &self.retry, prepare).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use async_trait::async_trait;
    use http::StatusCode;
    use url::Url;

    use super::*;
    use crate::GatewayId;

    /// Answers 503 to every request and records when each one came.
    #[derive(Debug, Default)]
    struct Busy(Mutex<Vec<tokio::time::Instant>>);

    #[async_trait]
    impl Transport for Busy {
        async fn send(&self, _: &HttpRequest) -> Result<HttpResponse, TransportError> {
            self.0.lock().unwrap().push(tokio::time::Instant::now());
            Ok(HttpResponse::new(StatusCode::SERVICE_UNAVAILABLE, "busy"))
        }
    }

    fn read() -> HttpRequest {
        let url = Url::parse("http://127.0.0.1:9/balance").unwrap();
        HttpRequest::get(GatewayId::Feennex, "balance", url)
    }

    fn fast(attempts: u32) -> RetryPolicy {
        RetryPolicy::standard()
            .with_max_attempts(attempts)
            .with_backoff(Duration::from_millis(1), Duration::from_millis(1))
    }

    #[tokio::test(start_paused = true)]
    async fn send_uses_the_options_transport_and_policy() {
        let busy = Arc::new(Busy::default());
        let options = ClientOptions::default().transport(busy.clone()).retry_policy(fast(2));
        let caller = Caller::new(&options).unwrap();
        assert_eq!(caller.retry().max_attempts, 2);
        let answer = caller.send(&read()).await.unwrap();
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.0.lock().unwrap().len(), 2, "a read is retried as the policy says");
    }

    #[tokio::test(start_paused = true)]
    async fn send_with_uses_the_policy_of_the_call() {
        let busy = Arc::new(Busy::default());
        let caller = Caller::new(&ClientOptions::default().transport(busy.clone())).unwrap();
        let pace = fast(3).with_backoff(Duration::from_secs(20), Duration::from_secs(20));
        caller.send_with(&read(), &pace).await.unwrap();
        let times = busy.0.lock().unwrap().clone();
        assert_eq!(times.len(), 3);
        for pair in times.windows(2) {
            assert!(pair[1] - pair[0] >= Duration::from_secs(10), "{:?}", pair[1] - pair[0]);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_creation_is_sent_once() {
        let busy = Arc::new(Busy::default());
        let caller = Caller::new(&ClientOptions::default().transport(busy.clone())).unwrap();
        let mut create = read();
        create.safe_to_repeat = false;
        caller.send(&create).await.unwrap();
        assert_eq!(busy.0.lock().unwrap().len(), 1);
    }
}
