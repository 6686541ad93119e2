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

    /// Whether the gateway may have received the request. When it may, an operation that
    /// creates something (a payment, a payout) must be resolved by a status query, never by
    /// sending it again.
    pub fn request_may_have_arrived(&self) -> bool {
        !matches!(self, Self::Connect(_) | Self::Config(_))
    }
}
