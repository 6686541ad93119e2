//! Errors of the Fena crate.

use payments_core::response::CallError;
use payments_core::{
    ErrorKind, GatewayError, GatewayErrorKind, GatewayId, InputError, SharedFailure, WebhookError,
};

/// Why a webhook token (or the form carrying it) was refused.
///
/// Every variant means: the token proves nothing, answer 4xx, and do not mark the order paid.
/// Each cause has its own variant, so a rejected token says exactly what was wrong. No variant
/// holds the terminal secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The body is larger than the configured limit.
    #[error("webhook body larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The request is not a form POST.
    #[error("webhook request is not a form POST: {0}")]
    NotAFormPost(String),
    /// The form body cannot be decoded (bad encoding, a repeated field).
    #[error("webhook form cannot be read: {0}")]
    Form(#[source] WebhookError),
    /// The form has no `token` field, or it is empty.
    #[error("webhook form has no token field")]
    MissingToken,
    /// The token is not a well-formed JWT.
    #[error("token {part} is malformed: {reason}")]
    Malformed {
        /// `token`, `header`, `payload` or `signature`.
        part: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The header names an algorithm other than HS512 (HS256, `none`, lower-case `hs512`...).
    #[error("token algorithm {alg:?} is not allowed; only HS512 is accepted")]
    AlgorithmNotAllowed {
        /// The `alg` the header names.
        alg: String,
    },
    /// The HMAC-SHA512 signature does not match (tampered token or another secret).
    #[error("token signature does not match")]
    BadSignature,
    /// A required claim is missing.
    #[error("token has no {0} claim")]
    MissingClaim(&'static str),
    /// A claim has the wrong type or format.
    #[error("token claim {claim} is invalid: {reason}")]
    InvalidClaim {
        /// The claim.
        claim: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// `exp` has passed (by more than the leeway).
    #[error("token expired at {exp}; now is {now}, leeway {leeway} s")]
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// Our clock.
        now: i64,
        /// The leeway in seconds.
        leeway: u64,
    },
    /// `iat` is in the future (by more than the leeway).
    #[error("token issued in the future at {iat}; now is {now}, leeway {leeway} s")]
    IssuedInFuture {
        /// The token's `iat`.
        iat: i64,
        /// Our clock.
        now: i64,
        /// The leeway in seconds.
        leeway: u64,
    },
    /// `nbf` is in the future (by more than the leeway).
    #[error("token not valid before {nbf}; now is {now}, leeway {leeway} s")]
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
        /// Our clock.
        now: i64,
        /// The leeway in seconds.
        leeway: u64,
    },
    /// The token is for another terminal.
    #[error("token is for terminal {received:?}, ours is {expected:?}")]
    WrongTerminal {
        /// Our terminal id.
        expected: String,
        /// The `terminal` claim.
        received: String,
    },
    /// `requestAmount` differs from the stored order amount.
    #[error("token requestAmount is {received}, the order is for {expected}")]
    AmountMismatch {
        /// The stored order amount.
        expected: String,
        /// The token's `requestAmount`.
        received: String,
    },
    /// The configured terminal secret is empty, so nothing can be verified (an empty HMAC
    /// key would let anyone forge tokens).
    #[error("the terminal secret is empty; refusing to verify")]
    EmptySecret,
    /// The JWT library refused the token for another reason.
    #[error("token refused: {0}")]
    Jwt(#[source] jsonwebtoken::errors::Error),
}

impl TokenError {
    /// The provider-agnostic webhook error for this refusal.
    pub fn to_webhook_error(&self) -> WebhookError {
        match self {
            Self::BodyTooLarge { limit } => WebhookError::TooLarge { limit: *limit },
            Self::Form(inner) => inner.clone(),
            Self::MissingToken => WebhookError::MissingField("token".to_owned()),
            Self::MissingClaim(claim) => WebhookError::MissingField((*claim).to_owned()),
            Self::BadSignature => WebhookError::BadSignature,
            Self::AlgorithmNotAllowed { .. } | Self::EmptySecret => {
                WebhookError::BadSignatureDiagnosed { diagnosis: self.to_string() }
            }
            Self::Expired { .. } | Self::IssuedInFuture { .. } | Self::NotYetValid { .. } => {
                WebhookError::Expired(self.to_string())
            }
            Self::WrongTerminal { expected, received } => WebhookError::WrongMerchant {
                expected: expected.clone(),
                received: received.clone(),
            },
            Self::AmountMismatch { expected, received } => WebhookError::Mismatch {
                field: "amount",
                expected: expected.clone(),
                received: received.clone(),
            },
            Self::NotAFormPost(_)
            | Self::Malformed { .. }
            | Self::InvalidClaim { .. }
            | Self::Jwt(_) => WebhookError::Malformed(self.to_string()),
        }
    }
}

/// Everything that can go wrong with Fena: payment links, webhooks, the Toolkit API.
///
/// Gateway errors keep the HTTP status, Fena's message and (bounded) the raw body. No variant
/// ever holds the terminal secret or the Toolkit secret key.
///
/// What to do next is answered by [`GatewayError`] (in scope with `use fena::GatewayError`):
/// [`outcome_unknown`](GatewayError::outcome_unknown) is true when a Toolkit payment may have
/// been created although an error came back (a transport error after the request may have
/// left, a page that is not Fena's answer, a 5xx, an unreadable or contradicting answer).
/// Look the payment up before creating another.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input refused before anything was signed or sent.
    #[error("invalid input: {0}")]
    Input(#[from] InputError),
    /// Signing a payment link failed in the JWT library.
    #[error("cannot sign the payment link: {0}")]
    Signing(#[source] jsonwebtoken::errors::Error),
    /// A webhook token was refused.
    #[error("webhook token refused: {0}")]
    Token(#[from] TokenError),
    /// A webhook (other than a token) was refused.
    #[error("webhook refused: {0}")]
    Webhook(#[from] WebhookError),
    /// A Toolkit webhook names an event scope the docs do not describe: refused, never read
    /// as a payment.
    #[error(
        "Toolkit webhook scope {scope:?} is not one the SDK knows (single-payments, recurring-payments, bank-accounts); refused"
    )]
    UnknownWebhookScope {
        /// The scope as sent (at most 64 characters; a non-string scope as its JSON text).
        scope: String,
    },
    /// A Toolkit webhook of a scope that cannot be confirmed here (the façade's
    /// `WebhookVerifier` yields notifications for single payments only).
    #[error("Toolkit webhook scope {scope} is not handled here: {reason}")]
    UnhandledWebhookScope {
        /// The scope.
        scope: &'static str,
        /// Why, and where to handle it instead.
        reason: &'static str,
    },
    /// No usable answer: none arrived, or it was not Fena's, could not be read, or
    /// contradicts what we asked for or stored (the payment fetched to confirm a webhook
    /// included).
    #[error("{endpoint}: {source}")]
    Call {
        /// The endpoint.
        endpoint: &'static str,
        /// What went wrong, in the terms every gateway shares.
        #[source]
        source: CallError,
    },
    /// Fena refused: an error status with Fena's message, or an error body (or
    /// `"created": false`) under HTTP 2xx.
    #[error("{endpoint}: Fena error (HTTP {http_status}): {}", message.as_deref().unwrap_or("no message"))]
    Api {
        /// The endpoint.
        endpoint: &'static str,
        /// The HTTP status.
        http_status: u16,
        /// Fena's `message` (always there with an error status; `"created": false` may come
        /// without one).
        message: Option<String>,
        /// The start of the body.
        body: String,
    },
}

impl GatewayError for Error {
    const GATEWAY: GatewayId = GatewayId::Fena;

    /// The kind of error in the terms every gateway shares; it decides
    /// [`outcome_unknown`](GatewayError::outcome_unknown) and [`is_retryable`](GatewayError::is_retryable)
    /// by the rule in [`payments_core::error`], and [`GatewayError::into_core`] carries it.
    ///
    /// [`Error::Api`] is a refusal (final: Fena documents no retryable error codes, and a 5xx
    /// is never final by the shared rule). An error status with no message is a page that is
    /// not Fena's answer (a proxy's 502): [`CallError::Http`]. A link that could not be signed
    /// was never sent.
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(_) => ErrorKind::Input,
            Self::Signing(_) => GatewayErrorKind::NotSent.into(),
            Self::Token(_)
            | Self::Webhook(_)
            | Self::UnknownWebhookScope { .. }
            | Self::UnhandledWebhookScope { .. } => ErrorKind::Webhook,
            Self::Call { source, .. } => source.kind(),
            Self::Api { http_status, .. } => {
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
            Self::Token(token) => Ok(SharedFailure::Webhook(token.to_webhook_error())),
            Self::UnknownWebhookScope { .. } | Self::UnhandledWebhookScope { .. } => {
                Ok(SharedFailure::Webhook(WebhookError::Malformed(self.to_string())))
            }
            other => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(http_status: u16, message: Option<&str>) -> Error {
        Error::Api {
            endpoint: "x",
            http_status,
            message: message.map(str::to_owned),
            body: String::new(),
        }
    }

    #[test]
    fn fena_refusals_are_final_pages_are_not() {
        assert!(!api(400, Some("Bad request")).outcome_unknown());
        assert!(!api(200, None).outcome_unknown(), "created: false is a refusal");
        assert!(api(503, Some("down")).outcome_unknown(), "a 5xx is never a final answer");
        assert!(!api(401, Some("Unauthorized")).is_retryable());
    }
}
