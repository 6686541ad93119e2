//! Errors of the Fena crate.

use payments_core::transport::TransportError;
use payments_core::{ErrorKind, GatewayErrorKind, GatewayId, InputError, WebhookError};

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
    /// The request could not be sent or no complete response arrived.
    #[error("{endpoint}: transport error: {source}")]
    Transport {
        /// The endpoint.
        endpoint: &'static str,
        /// The transport failure.
        #[source]
        source: TransportError,
    },
    /// Fena answered with an error status, or with an error body under HTTP 2xx.
    #[error("{endpoint}: Fena error (HTTP {http_status}): {}", message.as_deref().unwrap_or("no message"))]
    Api {
        /// The endpoint.
        endpoint: &'static str,
        /// The HTTP status.
        http_status: u16,
        /// Fena's `message`, when the body has one.
        message: Option<String>,
        /// The start of the body.
        body: String,
    },
    /// The response is not in the documented shape.
    #[error("{endpoint}: cannot read the response at {path}: {source}")]
    Decode {
        /// The endpoint.
        endpoint: &'static str,
        /// The JSON path that failed (`data.amount`).
        path: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
        /// The start of the body.
        body: String,
    },
    /// The response, or the payment fetched to confirm a webhook, contradicts what we asked
    /// for or stored (another id, reference or amount).
    #[error("{endpoint}: {field} is {received}, expected {expected}")]
    Integrity {
        /// The endpoint.
        endpoint: &'static str,
        /// The field that differs.
        field: &'static str,
        /// What we asked for or stored.
        expected: String,
        /// What came back.
        received: String,
    },
}

impl Error {
    /// The kind of error in the terms every gateway shares; it decides
    /// [`outcome_unknown`](Self::outcome_unknown) and [`is_retryable`](Self::is_retryable)
    /// by the rule in [`payments_core::error`], and [`Error::into_core`] carries it.
    ///
    /// [`Error::Api`] is a refusal (final: Fena documents no retryable error codes) when Fena
    /// said something: a 2xx with an error body, or an error status with Fena's `message`.
    /// An error status with no message is a page that is not Fena's answer (a proxy's 502).
    /// A link that could not be signed was never sent.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(_) => ErrorKind::Input,
            Self::Signing(_) => GatewayErrorKind::NotSent.into(),
            Self::Token(_) | Self::Webhook(_) => ErrorKind::Webhook,
            Self::Transport { source, .. } => ErrorKind::Transport(source.kind()),
            Self::Api { http_status, message, .. } => {
                let status = *http_status;
                if message.is_none() && !(200..300).contains(&status) {
                    GatewayErrorKind::Http { status }.into()
                } else {
                    GatewayErrorKind::Refused { http_status: status, is_final: true }.into()
                }
            }
            Self::Decode { .. } => GatewayErrorKind::Decode.into(),
            Self::Integrity { .. } => GatewayErrorKind::Integrity.into(),
        }
    }

    /// Whether the operation (a Toolkit payment) may have happened although an error came
    /// back: a transport error after the request may have left, an answer that is not Fena's,
    /// a 5xx, an unreadable or contradicting answer. Look the payment up before creating it
    /// again.
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
    /// [`kind`](Self::kind), so both answer every question alike. A refused webhook token
    /// becomes [`payments_core::Error::Webhook`] with its provider-agnostic reason.
    pub fn into_core(self) -> payments_core::Error {
        let gateway = GatewayId::Fena;
        match (self.kind(), self) {
            (_, Self::Input(source)) => payments_core::Error::Input { gateway, source },
            (_, Self::Transport { source, .. }) => {
                payments_core::Error::Transport { gateway, source }
            }
            (_, Self::Webhook(source)) => payments_core::Error::Webhook { gateway, source },
            (_, Self::Token(token)) => {
                payments_core::Error::Webhook { gateway, source: token.to_webhook_error() }
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

    fn api(http_status: u16, message: Option<&str>) -> Error {
        Error::Api {
            endpoint: "x",
            http_status,
            message: message.map(str::to_owned),
            body: String::new(),
        }
    }

    #[test]
    fn the_core_error_keeps_the_kind_and_the_source() {
        let errors = [
            Error::Input(InputError::field("amount", "x")),
            Error::Token(TokenError::BadSignature),
            Error::Webhook(WebhookError::BadSignature),
            api(400, Some("Bad request")),
            api(200, None),
            api(502, None),
            api(503, Some("down")),
            Error::Decode {
                endpoint: "x",
                path: ".".into(),
                source: serde_json::from_str::<u8>("x").unwrap_err(),
                body: String::new(),
            },
            Error::Integrity {
                endpoint: "x",
                field: "id",
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
            assert_eq!(core.gateway(), GatewayId::Fena);
            if let payments_core::Error::Gateway { source, .. } = &core {
                assert!(source.downcast_ref::<Error>().is_some(), "{text}: source kept");
            }
        }
    }

    #[test]
    fn fena_refusals_are_final_pages_are_not() {
        assert!(!api(400, Some("Bad request")).outcome_unknown());
        assert!(!api(200, None).outcome_unknown(), "created: false is a refusal");
        assert_eq!(api(404, None).kind(), GatewayErrorKind::Http { status: 404 }.into());
        assert!(api(404, None).outcome_unknown());
        assert!(api(502, None).outcome_unknown() && api(502, None).is_retryable());
        assert!(api(503, Some("down")).outcome_unknown(), "a 5xx is never a final answer");
        assert!(!api(401, Some("Unauthorized")).is_retryable());
    }
}
