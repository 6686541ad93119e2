//! Errors of the Freekassa crate.

use payments_core::response::CallError;
use payments_core::{
    ErrorKind, GatewayError, GatewayErrorKind, GatewayId, InputError, SharedFailure,
};

use crate::nonce::NonceError;
use crate::webhook::NotificationError;

/// The answers that mean "this nonce is not above the last one accepted", exactly as they
/// come, which [`Error::is_nonce_refusal`] recognises.
///
/// Freekassa does not publish its wording for a stale nonce, and no public client or report
/// quotes it (the provider notes, §4.3): the one answer known is the sandbox's. Until the
/// gateway's own wording is confirmed and added here, a stale nonce at the real gateway is
/// an ordinary error, and creations are not re-sent on it.
pub const NONCE_REFUSALS: &[&str] = &["Wrong nonce: it must be greater than the last one"];

/// Everything that can go wrong talking to Freekassa.
///
/// Gateway errors keep the endpoint, Freekassa's message and the HTTP status; bodies are kept
/// bounded. No variant ever holds a secret word or the API key.
///
/// What to do next is answered by [`GatewayError`] (in scope with
/// `use freekassa::GatewayError`): [`outcome_unknown`](GatewayError::outcome_unknown) is true
/// when an order or payout may have been created although an error came back (a transport
/// error after the request may have left, any page that is not Freekassa's JSON, an
/// unreadable or contradicting answer). Before creating it again, look it up by its
/// `paymentId` (`Client::find_order`, `Client::find_withdrawal`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input refused before anything was sent.
    #[error("invalid input: {0}")]
    Input(#[from] InputError),
    /// No nonce could be drawn; nothing was sent.
    #[error("no nonce: {0}")]
    Nonce(#[from] NonceError),
    /// No usable answer: none arrived, or it was not Freekassa's JSON, could not be read, or
    /// contradicts the request. For `orders/create` and `withdrawals/create` the outcome is
    /// then unknown when [`GatewayError::outcome_unknown`](crate::GatewayError::outcome_unknown) says so: look the order up by its
    /// `paymentId` before creating it again.
    #[error("{endpoint}: {source}")]
    Call {
        /// The endpoint.
        endpoint: &'static str,
        /// What went wrong, in the terms every gateway shares.
        #[source]
        source: CallError,
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
    /// No order or payout with the shop's `paymentId` was found.
    #[error("{endpoint}: nothing found for paymentId {payment_id:?}")]
    NotFound {
        /// The endpoint searched.
        endpoint: &'static str,
        /// The shop's id that was looked for.
        payment_id: String,
    },
    /// A notification was refused.
    #[error("notification refused: {0}")]
    Notification(#[from] NotificationError),
}

impl Error {
    /// Whether Freekassa refused the request for its nonce: an error answer (HTTP 400 or 401)
    /// whose message is exactly one of [`NONCE_REFUSALS`]. Freekassa checks the nonce before
    /// it does anything, so such a request was not carried out and may be signed again with a
    /// fresh nonce and re-sent, even an order or payout creation; the client does so a bounded
    /// number of times. Any other answer, one that merely mentions the nonce included, is
    /// never re-sent.
    ///
    /// ```
    /// let refusal = |message: &str| freekassa::Error::Api {
    ///     endpoint: "orders/create",
    ///     message: message.to_owned(),
    ///     http_status: 400,
    /// };
    /// assert!(refusal("Wrong nonce: it must be greater than the last one").is_nonce_refusal());
    /// assert!(!refusal("nonce is required").is_nonce_refusal());
    /// assert!(!refusal("Wrong signature").is_nonce_refusal());
    /// ```
    pub fn is_nonce_refusal(&self) -> bool {
        match self {
            Self::Api { message, http_status: 400 | 401, .. } => {
                NONCE_REFUSALS.contains(&message.trim())
            }
            _ => false,
        }
    }
}

impl GatewayError for Error {
    const GATEWAY: GatewayId = GatewayId::Freekassa;

    /// The kind of error in the terms every gateway shares; it decides
    /// [`outcome_unknown`](GatewayError::outcome_unknown) and [`is_retryable`](GatewayError::is_retryable)
    /// by the rule in [`payments_core::error`], and [`GatewayError::into_core`] carries it.
    ///
    /// Freekassa's `{"type": "error"}` answers carry no code, only a message, and are
    /// refusals of the request: they count as final (unless they come with a 5xx, which the
    /// rule treats as unknown). A drawn nonce that failed means nothing was sent.
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(_) => ErrorKind::Input,
            Self::Nonce(_) => GatewayErrorKind::NotSent.into(),
            Self::Call { source, .. } => source.kind(),
            Self::Api { http_status, .. } => {
                GatewayErrorKind::Refused { http_status: *http_status, is_final: true }.into()
            }
            Self::NotFound { .. } => GatewayErrorKind::NotFound.into(),
            Self::Notification(_) => ErrorKind::Webhook,
        }
    }

    fn into_shared(self) -> Result<SharedFailure, Self> {
        match self {
            Self::Input(source) => Ok(SharedFailure::Input(source)),
            Self::Call { source: CallError::Transport(source), .. } => {
                Ok(SharedFailure::Transport(source))
            }
            Self::Notification(source) => Ok(SharedFailure::Webhook(source.to_webhook_error())),
            other => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nonce::NonceError;

    #[test]
    fn refusals_are_final_pages_are_not() {
        let api = |http_status| Error::Api { endpoint: "x", message: String::new(), http_status };
        assert!(!api(400).outcome_unknown() && !api(400).is_retryable());
        assert!(!api(200).outcome_unknown());
        assert!(api(500).outcome_unknown() && api(500).is_retryable());
        let page = Error::Call {
            endpoint: "x",
            source: CallError::Http { http_status: 404, body: String::new() },
        };
        assert!(page.outcome_unknown() && !page.is_retryable());
        assert!(!Error::Nonce(NonceError::Exhausted).outcome_unknown());
    }
}
