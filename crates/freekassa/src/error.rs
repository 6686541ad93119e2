//! Errors of the Freekassa crate.

use payments_core::transport::TransportError;
use payments_core::{GatewayId, InputError};

use crate::nonce::NonceError;
use crate::webhook::NotificationError;

/// Everything that can go wrong talking to Freekassa.
///
/// Gateway errors keep the endpoint, Freekassa's message and the HTTP status; bodies are kept
/// bounded. No variant ever holds a secret word or the API key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input refused before anything was sent.
    #[error("invalid input: {0}")]
    Input(#[from] InputError),
    /// No nonce could be drawn; nothing was sent.
    #[error("no nonce: {0}")]
    Nonce(#[from] NonceError),
    /// The request could not be sent or no complete response arrived. For `orders/create`
    /// and `withdrawals/create` the outcome is then unknown when
    /// [`TransportError::request_may_have_arrived`] says so: look the order up by its
    /// `paymentId` before creating it again.
    #[error("{endpoint}: transport error: {source}")]
    Transport {
        /// The endpoint.
        endpoint: &'static str,
        /// The transport failure.
        #[source]
        source: TransportError,
    },
    /// Freekassa answered `{"type": "error", "message": ...}`, with HTTP 400 (bad request), 401
    /// (signature, API key or nonce refused) or even 200.
    #[error("{endpoint}: Freekassa error (HTTP {http_status}): {message}")]
    Api {
        /// The endpoint.
        endpoint: &'static str,
        /// Freekassa's message (`"Wrong signature"`, `"Merchant not activated"`).
        message: String,
        /// The HTTP status it came with.
        http_status: u16,
    },
    /// The response is not Freekassa's JSON (a proxy error page, an outage).
    #[error("{endpoint}: unexpected HTTP {http_status} response: {body}")]
    Http {
        /// The endpoint.
        endpoint: &'static str,
        /// The HTTP status.
        http_status: u16,
        /// The start of the body.
        body: String,
    },
    /// The response is JSON but not in the documented shape.
    #[error("{endpoint}: cannot read the response at {path}: {source}")]
    Decode {
        /// The endpoint.
        endpoint: &'static str,
        /// The JSON path that failed (`orders[0].amount`).
        path: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
        /// The start of the body.
        body: String,
    },
    /// No order or payout with the shop's `paymentId` was found.
    #[error("{endpoint}: nothing found for paymentId {payment_id:?}")]
    NotFound {
        /// The endpoint searched.
        endpoint: &'static str,
        /// The shop's id that was looked for.
        payment_id: String,
    },
    /// The response contradicts the request (another order than the one asked for).
    #[error("{endpoint}: response {field} is {received:?}, we asked for {expected:?}")]
    Integrity {
        /// The endpoint.
        endpoint: &'static str,
        /// The field that differs.
        field: &'static str,
        /// What we asked for.
        expected: String,
        /// What came back.
        received: String,
    },
    /// A notification was refused.
    #[error("notification refused: {0}")]
    Notification(#[from] NotificationError),
}

impl Error {
    /// Whether an operation that creates something (an order, a payout) may have happened
    /// although an error came back: a transport error after the request may have left.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Self::Transport { source, .. } => source.request_may_have_arrived(),
            Self::Http { http_status, .. } => *http_status >= 500,
            _ => false,
        }
    }

    /// Converts into the provider-agnostic error, keeping this one as the source.
    pub fn into_core(self) -> payments_core::Error {
        let gateway = GatewayId::Freekassa;
        match self {
            Self::Input(source) => payments_core::Error::Input { gateway, source },
            Self::Transport { source, .. } => payments_core::Error::Transport { gateway, source },
            Self::Notification(source) => {
                payments_core::Error::Webhook { gateway, source: source.to_webhook_error() }
            }
            other => payments_core::Error::Gateway { gateway, source: Box::new(other) },
        }
    }
}

impl From<Error> for payments_core::Error {
    fn from(error: Error) -> Self {
        error.into_core()
    }
}
