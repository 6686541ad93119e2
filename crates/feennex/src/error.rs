//! Errors of the Feennex crate.

use payments_core::transport::TransportError;
use payments_core::{GatewayId, InputError, WebhookError};

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

    /// Whether the request may have been carried out even though no clear refusal came back
    /// (a timeout, a dropped connection, a page that is not Feennex's answer, an unreadable
    /// success response, or an error code not documented as final). For a payment or
    /// payout, look it up by its id before creating it again.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Self::Transport { source, .. } => source.request_may_have_arrived(),
            // Not Feennex's envelope: a proxy's page, whatever its status, says nothing about
            // whether Feennex acted.
            Self::Http { .. } | Self::Decode { .. } | Self::Integrity { .. } => true,
            // Codes not documented as final leave the operation open: poll before deciding.
            Self::Api { code, .. } => !code.is_final(),
            _ => false,
        }
    }

    /// Converts into the provider-agnostic error, keeping this one as the source.
    pub fn into_core(self) -> payments_core::Error {
        let gateway = GatewayId::Feennex;
        match self {
            Self::Input(source) => payments_core::Error::Input { gateway, source },
            Self::Transport { source, .. } => payments_core::Error::Transport { gateway, source },
            Self::Webhook(source) => payments_core::Error::Webhook { gateway, source },
            other => payments_core::Error::Gateway { gateway, source: Box::new(other) },
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
    }
}
