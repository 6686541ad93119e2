//! Transport failures.

/// A boxed error source.
type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// No complete response was received.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The connection could not be made; the request was not sent.
    #[error("could not connect")]
    Connect(#[source] Source),
    /// No complete response in time. The gateway may still have received and processed the
    /// request.
    #[error("timed out")]
    Timeout(#[source] Source),
    /// The response body is larger than the configured limit.
    #[error("response body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The transport could not be built (bad TLS or proxy settings).
    #[error("transport configuration: {0}")]
    Config(#[source] Source),
    /// Any other failure while sending or receiving (a reset connection, a broken body).
    #[error("request failed")]
    Other(#[source] Source),
}

/// The kind of a [`TransportError`], for retry decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// See [`TransportError::Connect`].
    Connect,
    /// See [`TransportError::Timeout`].
    Timeout,
    /// See [`TransportError::BodyTooLarge`].
    BodyTooLarge,
    /// See [`TransportError::Config`].
    Config,
    /// See [`TransportError::Other`].
    Other,
}

impl TransportError {
    /// The kind of failure.
    pub fn kind(&self) -> TransportErrorKind {
        match self {
            Self::Connect(_) => TransportErrorKind::Connect,
            Self::Timeout(_) => TransportErrorKind::Timeout,
            Self::BodyTooLarge { .. } => TransportErrorKind::BodyTooLarge,
            Self::Config(_) => TransportErrorKind::Config,
            Self::Other(_) => TransportErrorKind::Other,
        }
    }

    /// Whether the gateway may have received the request (see
    /// [`TransportErrorKind::request_may_have_arrived`]). When it may, an operation that
    /// creates something (a payment, a payout) must be resolved by a status query, never by
    /// sending it again.
    pub fn request_may_have_arrived(&self) -> bool {
        self.kind().request_may_have_arrived()
    }
}

impl TransportErrorKind {
    /// Whether the gateway may have received the request: always, except when no connection
    /// was made or the transport could not be built. A timeout, a reset connection or a body
    /// too large to read all come after the request may have left.
    pub const fn request_may_have_arrived(self) -> bool {
        !matches!(self, Self::Connect | Self::Config)
    }

    /// Whether the failure is transient, so that a request safe to repeat may be sent again:
    /// a failed connection, a timeout, a reset or broken connection. A body over the limit or
    /// a transport that cannot be built will fail the same way again.
    ///
    /// [`RetryPolicy::decide`](super::RetryPolicy::decide) retries on exactly these.
    pub const fn is_transient(self) -> bool {
        matches!(self, Self::Connect | Self::Timeout | Self::Other)
    }
}
