//! How a gateway client calls its gateway, set once for every gateway.

use std::sync::Arc;
use std::time::Duration;

use super::{ReqwestTransport, RetryPolicy, Transport, TransportConfig, TransportError};

/// The settings every gateway client is built with: the HTTP client's timeouts and user
/// agent (or a ready [`Transport`]), and the [`RetryPolicy`] for reads. Each gateway's
/// `Client::with_options` and the façade's `AnyGateway::with_options` take it; the base URL
/// stays in each gateway's `Config`, checked by [`crate::http_url::base_url`].
///
/// ```
/// use std::time::Duration;
/// use payments_core::transport::{ClientOptions, RetryPolicy};
///
/// let options = ClientOptions::default()
///     .timeout(Duration::from_secs(10))
///     .user_agent("my-shop/1.0")
///     .retry_policy(RetryPolicy::standard().with_max_attempts(2));
/// let transport = options.build_transport()?;
/// # drop(transport);
/// # Ok::<(), payments_core::transport::TransportError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    http: TransportConfig,
    transport: Option<Arc<dyn Transport>>,
    retry: RetryPolicy,
}

impl ClientOptions {
    /// The limit for a whole request, response body included (default 30 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.http.timeout = timeout;
        self
    }

    /// The limit for establishing a connection (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.http.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `payments-sdk/<version>`).
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.http.user_agent = user_agent.into();
        self
    }

    /// The largest response body accepted (default 2 MiB).
    #[must_use]
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.http.max_response_bytes = limit;
        self
    }

    /// Sends through this transport (a shared client, a test double) instead of building
    /// one; the HTTP settings above are then the transport's business.
    #[must_use]
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The retry policy for reads (default [`RetryPolicy::standard`]); creations are never
    /// retried whatever it says.
    #[must_use]
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The retry policy set.
    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// The transport set, or a [`ReqwestTransport`] built with the HTTP settings.
    ///
    /// # Errors
    ///
    /// When the HTTP client cannot be built (no TLS backend).
    pub fn build_transport(&self) -> Result<Arc<dyn Transport>, TransportError> {
        match &self.transport {
            Some(transport) => Ok(transport.clone()),
            None => Ok(Arc::new(ReqwestTransport::new(&self.http)?)),
        }
    }
}
