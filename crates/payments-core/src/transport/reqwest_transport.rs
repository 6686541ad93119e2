//! The default transport: reqwest, with timeouts, a user agent, connection reuse and a cap on
//! response size.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use super::{HttpRequest, HttpResponse, Transport, TransportError};

/// Settings of [`ReqwestTransport`].
///
/// What they cost per call, against a `reqwest::Client::new()` (the `feennex` client bench,
/// part `paired_reqwest_sdk_settings_x1000`): the whole-request timeout arms a tokio timer
/// for every request and wraps the response body to keep it running (about 1,400
/// instructions a call); the `User-Agent` header (and the `Accept` header the gateway
/// crates add) are bytes more to write and for the server to parse. Both are kept: a payment
/// call must not hang, and gateways log who called.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportConfig {
    /// Limit for the whole request, response body included.
    pub timeout: Duration,
    /// Limit for establishing the connection.
    pub connect_timeout: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// The largest response body accepted; a larger one is an error, not an allocation.
    pub max_response_bytes: usize,
    /// How long an idle pooled connection is kept for reuse.
    pub pool_idle_timeout: Duration,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            user_agent: concat!("payments-sdk/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_response_bytes: 2 * 1024 * 1024,
            pool_idle_timeout: Duration::from_secs(90),
        }
    }
}

impl TransportConfig {
    /// Sets the whole-request timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the connect timeout.
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the `User-Agent`.
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sets the response size limit.
    #[must_use]
    pub fn with_max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }
}

/// A [`Transport`] over one shared `reqwest::Client`, so connections are pooled and reused.
/// Cloning it is cheap and shares the pool.
///
/// ```no_run
/// use payments_core::transport::{ReqwestTransport, TransportConfig};
/// use std::time::Duration;
///
/// let transport = ReqwestTransport::new(&TransportConfig::default().with_timeout(Duration::from_secs(10)))?;
/// # Ok::<(), payments_core::transport::TransportError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    max_response_bytes: usize,
}

impl ReqwestTransport {
    /// Builds a transport from `config`.
    ///
    /// # Errors
    ///
    /// [`TransportError::Config`] when reqwest cannot build the client (TLS set-up).
    pub fn new(config: &TransportConfig) -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(config.user_agent.clone())
            .pool_idle_timeout(config.pool_idle_timeout)
            .build()
            .map_err(|error| TransportError::Config(Box::new(error)))?;
        Ok(Self { client, max_response_bytes: config.max_response_bytes })
    }

    /// Uses a client the caller built (their proxy, TLS or middleware settings).
    pub fn from_client(client: reqwest::Client, max_response_bytes: usize) -> Self {
        Self { client, max_response_bytes }
    }
}

#[async_trait]
impl Transport for ReqwestTransport {
    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        // Built whole rather than through `RequestBuilder`, whose `headers` re-inserts every
        // header one by one into a map of its own; the body is shared, not copied.
        let mut outgoing =
            reqwest::Request::new(request.method.clone(), url::Url::clone(&request.url));
        *outgoing.headers_mut() = request.all_headers();
        *outgoing.body_mut() = Some(request.body.clone().into());
        let mut response = self.client.execute(outgoing).await.map_err(classify)?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let limit = self.max_response_bytes;
        if response.content_length().is_some_and(|length| length > limit as u64) {
            return Err(TransportError::BodyTooLarge { limit });
        }
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut received_bytes = 0_usize;
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            received_bytes = received_bytes.saturating_add(chunk.len());
            if received_bytes > limit {
                return Err(TransportError::BodyTooLarge { limit });
            }
            chunks.push(chunk);
        }
        // A small answer usually arrives as one chunk: it is kept as received, not copied.
        let body = match chunks.as_slice() {
            [only] => only.clone(),
            _ => Bytes::from(chunks.concat()),
        };
        let mut received = HttpResponse::new(status, body);
        received.headers = headers;
        Ok(received)
    }
}

fn classify(error: reqwest::Error) -> TransportError {
    if error.is_timeout() {
        TransportError::Timeout(Box::new(error))
    } else if error.is_connect() {
        TransportError::Connect(Box::new(error))
    } else {
        TransportError::Other(Box::new(error))
    }
}
