//! Errors of the Freekassa crate.

use payments_core::transport::TransportError;
use payments_core::{ErrorKind, GatewayErrorKind, GatewayId, InputError};

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
    /// The kind of error in the terms every gateway shares; it decides
    /// [`outcome_unknown`](Self::outcome_unknown) and [`is_retryable`](Self::is_retryable)
    /// by the rule in [`payments_core::error`], and [`Error::into_core`] carries it.
    ///
    /// Freekassa's `{"type": "error"}` answers carry no code, only a message, and are
    /// refusals of the request: they count as final (unless they come with a 5xx, which the
    /// rule treats as unknown). A drawn nonce that failed means nothing was sent.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(_) => ErrorKind::Input,
            Self::Nonce(_) => GatewayErrorKind::NotSent.into(),
            Self::Transport { source, .. } => ErrorKind::Transport(source.kind()),
            Self::Api { http_status, .. } => {
                GatewayErrorKind::Refused { http_status: *http_status, is_final: true }.into()
            }
            Self::Http { http_status, .. } => {
                GatewayErrorKind::Http { status: *http_status }.into()
            }
            Self::Decode { .. } => GatewayErrorKind::Decode.into(),
            Self::NotFound { .. } => GatewayErrorKind::NotFound.into(),
            Self::Integrity { .. } => GatewayErrorKind::Integrity.into(),
            Self::Notification(_) => ErrorKind::Webhook,
        }
    }

    /// Whether an operation that creates something (an order, a payout) may have happened
    /// although an error came back: a transport error after the request may have left, an
    /// answer that is not Freekassa's (any HTTP error page), an unreadable or contradicting
    /// answer. Look the order or payout up by its `paymentId` before creating it again.
    ///
    /// The same answer as [`payments_core::Error::outcome_unknown`] for this error converted.
    pub fn outcome_unknown(&self) -> bool {
        self.kind().outcome_unknown()
    }

    /// Whether the failure is transient (no connection, a timeout, a reset, HTTP 408, 425,
    /// 429, 500, 502, 503, 504), so that a read may be sent again.
    ///
    /// The same answer as [`payments_core::Error::is_retryable`] for this error converted.
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// Converts into the provider-agnostic error, keeping this one as the source and its
    /// [`kind`](Self::kind), so both answer every question alike.
    pub fn into_core(self) -> payments_core::Error {
        let gateway = GatewayId::Freekassa;
        match (self.kind(), self) {
            (_, Self::Input(source)) => payments_core::Error::Input { gateway, source },
            (_, Self::Transport { source, .. }) => {
                payments_core::Error::Transport { gateway, source }
            }
            (_, Self::Notification(source)) => {
                payments_core::Error::Webhook { gateway, source: source.to_webhook_error() }
            }
            (ErrorKind::Gateway(kind), other) => {
                payments_core::Error::Gateway { gateway, kind, source: Box::new(other) }
            }
            // `kind` gives every other variant a gateway kind (tested below); should a new one
            // be missed, it is still not lost, and reads as an unreadable answer.
            (_, other) => payments_core::Error::Gateway {
                gateway,
                kind: GatewayErrorKind::Decode,
                source: Box::new(other),
            },
        }
    }
}

impl From<Error> for payments_core::Error {
    fn from(error: Error) -> Self {
        error.into_core()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nonce::NonceError;

    #[test]
    fn the_core_error_keeps_the_kind_and_the_source() {
        let errors = [
            Error::Input(InputError::field("amount", "x")),
            Error::Nonce(NonceError::Exhausted),
            Error::Api { endpoint: "x", message: "Wrong signature".into(), http_status: 401 },
            Error::Api { endpoint: "x", message: "busy".into(), http_status: 503 },
            Error::Http { endpoint: "x", http_status: 404, body: String::new() },
            Error::Decode {
                endpoint: "x",
                path: ".".into(),
                source: serde_json::from_str::<u8>("x").unwrap_err(),
                body: String::new(),
            },
            Error::NotFound { endpoint: "x", payment_id: "o-1".into() },
            Error::Integrity {
                endpoint: "x",
                field: "paymentId",
                expected: "a".into(),
                received: "b".into(),
            },
        ];
        for error in errors {
            let (kind, text) = (error.kind(), error.to_string());
            let (unknown, retryable) = (error.outcome_unknown(), error.is_retryable());
            let core = error.into_core();
            assert_eq!(core.kind(), kind, "{text}");
            assert_eq!((core.outcome_unknown(), core.is_retryable()), (unknown, retryable));
            assert_eq!(core.gateway(), GatewayId::Freekassa);
            if let payments_core::Error::Gateway { source, .. } = &core {
                assert!(source.downcast_ref::<Error>().is_some(), "{text}: source kept");
            }
        }
    }

    #[test]
    fn refusals_are_final_pages_are_not() {
        let api = |http_status| Error::Api { endpoint: "x", message: String::new(), http_status };
        assert!(!api(400).outcome_unknown() && !api(400).is_retryable());
        assert!(!api(200).outcome_unknown());
        assert!(api(500).outcome_unknown() && api(500).is_retryable());
        let page = Error::Http { endpoint: "x", http_status: 404, body: String::new() };
        assert!(page.outcome_unknown() && !page.is_retryable());
        assert!(!Error::Nonce(NonceError::Exhausted).outcome_unknown());
    }
}
