//! Errors of the Feennex crate.

use payments_core::transport::TransportError;
use payments_core::{ErrorKind, GatewayErrorKind, GatewayId, InputError, WebhookError};

use crate::model::ErrorCode;

/// Everything that can go wrong talking to Feennex.
///
/// Gateway errors keep the code, the message and (bounded) the raw body. No variant ever holds
/// the secret key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input refused before anything was sent.
    #[error("invalid input: {0}")]
    Input(#[from] InputError),
    /// The request could not be sent or no complete response arrived.
    #[error("{endpoint}: transport error: {source}")]
    Transport {
        /// The endpoint.
        endpoint: &'static str,
        /// The transport failure.
        #[source]
        source: TransportError,
    },
    /// Feennex answered `result: false` with an error code.
    #[error("{endpoint}: Feennex error {code}: {message}")]
    Api {
        /// The endpoint.
        endpoint: &'static str,
        /// The error code.
        code: ErrorCode,
        /// Feennex's message.
        message: String,
        /// The HTTP status it came with (usually 200).
        http_status: u16,
    },
    /// Feennex rejected the signature (error 10). Both strings are shown: if they are equal
    /// the secret key is wrong; if not, the difference shows which field was signed wrongly.
    #[error(
        "{endpoint}: Feennex rejected the signature; Feennex signed {server_string:?}, we signed {our_string:?}{hint}",
        hint = if server_string == our_string { " (same string: check the secret key)" } else { "" }
    )]
    SignatureRejected {
        /// The endpoint.
        endpoint: &'static str,
        /// The string Feennex says it signed.
        server_string: String,
        /// The string we signed.
        our_string: String,
        /// The HTTP status it came with (usually 200).
        http_status: u16,
    },
    /// The response is not the Feennex JSON envelope (a proxy error page, an outage).
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
        /// The JSON path that failed (`data.shop_amount`).
        path: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
        /// The start of the body.
        body: String,
    },
    /// The response contradicts the request (another amount, currency, order or shop).
    #[error("{endpoint}: response {field} is {received}, we asked for {expected}")]
    Integrity {
        /// The endpoint.
        endpoint: &'static str,
        /// The field that differs.
        field: &'static str,
        /// What we sent.
        expected: String,
        /// What came back.
        received: String,
    },
    /// A callback was refused.
    #[error("callback refused: {0}")]
    Webhook(#[from] WebhookError),
}

impl Error {
    /// The Feennex error code, for [`Error::Api`] and [`Error::SignatureRejected`].
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Api { code, .. } => Some(*code),
            Self::SignatureRejected { .. } => Some(ErrorCode::IncorrectRequestParam),
            _ => None,
        }
    }

    /// The kind of error in the terms every gateway shares; it decides
    /// [`outcome_unknown`](Self::outcome_unknown) and [`is_retryable`](Self::is_retryable)
    /// by the rule in [`payments_core::error`], and [`Error::into_core`] carries it.
    ///
    /// An error code counts as a final refusal when Feennex documents it as fatal
    /// ([`ErrorCode::is_final`], codes 1 to 8); any other code, unknown ones included, leaves
    /// the operation open. A rejected signature is a final refusal: Feennex cannot have acted
    /// on a request it could not authenticate.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(_) => ErrorKind::Input,
            Self::Transport { source, .. } => ErrorKind::Transport(source.kind()),
            Self::Webhook(_) => ErrorKind::Webhook,
            Self::Api { code, http_status, .. } => {
                GatewayErrorKind::Refused { http_status: *http_status, is_final: code.is_final() }
                    .into()
            }
            Self::SignatureRejected { http_status, .. } => {
                GatewayErrorKind::Refused { http_status: *http_status, is_final: true }.into()
            }
            // Not Feennex's envelope: a proxy's page, whatever its status.
            Self::Http { http_status, .. } => {
                GatewayErrorKind::Http { status: *http_status }.into()
            }
            Self::Decode { .. } => GatewayErrorKind::Decode.into(),
            Self::Integrity { .. } => GatewayErrorKind::Integrity.into(),
        }
    }

    /// Whether the request may have been carried out even though no clear refusal came back
    /// (a timeout, a dropped connection, a page that is not Feennex's answer, an unreadable
    /// success response, or an error code not documented as final). For a payment or
    /// payout, look it up by its id before creating it again.
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
        let gateway = GatewayId::Feennex;
        match (self.kind(), self) {
            (_, Self::Input(source)) => payments_core::Error::Input { gateway, source },
            (_, Self::Transport { source, .. }) => {
                payments_core::Error::Transport { gateway, source }
            }
            (_, Self::Webhook(source)) => payments_core::Error::Webhook { gateway, source },
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

    fn api(code: i64) -> Error {
        Error::Api {
            endpoint: "withdraw/create",
            code: ErrorCode::from_code(code),
            message: String::new(),
            http_status: 200,
        }
    }

    #[test]
    fn only_final_refusals_settle_the_outcome() {
        assert!(!api(6).outcome_unknown(), "not unique: refused for good");
        assert!(!api(1).outcome_unknown());
        assert!(api(9).outcome_unknown(), "insufficient balance is not documented as final");
        assert!(api(99).outcome_unknown(), "an unknown code leaves the payout open");
        let proxy =
            Error::Http { endpoint: "withdraw/create", http_status: 429, body: String::new() };
        assert!(proxy.outcome_unknown());
        assert!(!Error::Input(InputError::field("amount", "x")).outcome_unknown());
        let signature = Error::SignatureRejected {
            endpoint: "withdraw/create",
            server_string: "a".into(),
            our_string: "b".into(),
            http_status: 200,
        };
        assert!(!signature.outcome_unknown(), "an unauthenticated request is not carried out");
    }

    #[test]
    fn the_core_error_keeps_the_kind_and_the_source() {
        let decode = || Error::Decode {
            endpoint: "x",
            path: "data".into(),
            source: serde_json::from_str::<u8>("x").unwrap_err(),
            body: String::new(),
        };
        let errors = [
            Error::Input(InputError::field("amount", "x")),
            Error::Webhook(WebhookError::BadSignature),
            api(6),
            api(11),
            Error::SignatureRejected {
                endpoint: "x",
                server_string: String::new(),
                our_string: String::new(),
                http_status: 200,
            },
            Error::Http { endpoint: "x", http_status: 502, body: String::new() },
            decode(),
            Error::Integrity {
                endpoint: "x",
                field: "amount",
                expected: "1".into(),
                received: "2".into(),
            },
        ];
        for error in errors {
            let (kind, text) = (error.kind(), error.to_string());
            let (unknown, retryable) = (error.outcome_unknown(), error.is_retryable());
            let core = error.into_core();
            assert_eq!(core.kind(), kind, "{text}");
            assert_eq!((core.outcome_unknown(), core.is_retryable()), (unknown, retryable));
            assert_eq!(core.gateway(), GatewayId::Feennex);
            if let payments_core::Error::Gateway { source, .. } = &core {
                assert!(source.downcast_ref::<Error>().is_some(), "{text}: source kept");
            }
        }
    }
}
