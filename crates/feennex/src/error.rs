//! Errors of the Feennex crate.

use payments_core::response::CallError;
use payments_core::{
    ErrorKind, GatewayError, GatewayErrorKind, GatewayId, InputError, SharedFailure, WebhookError,
};

use crate::model::ErrorCode;

/// Everything that can go wrong talking to Feennex.
///
/// Gateway errors keep the code, the message and (bounded) the raw body. No variant ever holds
/// the secret key.
///
/// What to do next is answered by [`GatewayError`] (in scope with `use feennex::GatewayError`):
/// [`outcome_unknown`](GatewayError::outcome_unknown) is true when the request may have been
/// carried out although no clear refusal came back (a timeout, a dropped connection, a page
/// that is not Feennex's answer, an unreadable success response, or an error code not
/// documented as final). Before creating a payout again, ask `Client::resolve_withdraw` or
/// `Client::resolve_transfer`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input refused before anything was sent.
    #[error("invalid input: {0}")]
    Input(#[from] InputError),
    /// No usable answer: none arrived, or it was not Feennex's envelope, could not be read, or
    /// contradicts the request.
    #[error("{endpoint}: {source}")]
    Call {
        /// The endpoint.
        endpoint: &'static str,
        /// What went wrong, in the terms every gateway shares.
        #[source]
        source: CallError,
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
}

impl GatewayError for Error {
    const GATEWAY: GatewayId = GatewayId::Feennex;

    /// The kind of error in the terms every gateway shares; it decides
    /// [`outcome_unknown`](GatewayError::outcome_unknown) and [`is_retryable`](GatewayError::is_retryable)
    /// by the rule in [`payments_core::error`], and [`GatewayError::into_core`] carries it.
    ///
    /// An error code counts as a final refusal when Feennex documents it as fatal
    /// ([`ErrorCode::is_final`], codes 1 to 8); any other code, unknown ones included, leaves
    /// the operation open. A rejected signature is a final refusal: Feennex cannot have acted
    /// on a request it could not authenticate.
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(_) => ErrorKind::Input,
            Self::Call { source, .. } => source.kind(),
            Self::Webhook(_) => ErrorKind::Webhook,
            Self::Api { code, http_status, .. } => {
                GatewayErrorKind::Refused { http_status: *http_status, is_final: code.is_final() }
                    .into()
            }
            Self::SignatureRejected { http_status, .. } => {
                GatewayErrorKind::Refused { http_status: *http_status, is_final: true }.into()
            }
        }
    }

    fn into_shared(self) -> Result<SharedFailure, Self> {
        match self {
            Self::Input(source) => Ok(SharedFailure::Input(source)),
            Self::Call { source: CallError::Transport(source), .. } => {
                Ok(SharedFailure::Transport(source))
            }
            Self::Webhook(source) => Ok(SharedFailure::Webhook(source)),
            other => Err(other),
        }
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
        let proxy = Error::Call {
            endpoint: "withdraw/create",
            source: CallError::Http { http_status: 429, body: String::new() },
        };
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
}
