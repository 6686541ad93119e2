//! What every gateway client sends its requests through.

use std::future::Future;
use std::sync::Arc;

use super::{ClientOptions, HttpRequest, HttpResponse, RetryPolicy, Transport, TransportError};

/// A transport with the retry policy for reads: the one caller of every gateway's client
/// and of the façade's `AnyGateway`, built from the same [`ClientOptions`].
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
