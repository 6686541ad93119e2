//! Errors shared by every gateway.
//!
//! Gateway crates have their own error types with the gateway's codes; the provider-agnostic
//! API (the [`gateway`](crate::gateway) traits) reports [`Error`], which keeps the gateway's
//! error as its source.
//!
//! # One rule for every gateway
//!
//! After any failure two questions matter, and [`ErrorKind`] answers both, once, for every
//! gateway: [`ErrorKind::outcome_unknown`] (may the operation have happened at the gateway?)
//! and [`ErrorKind::is_retryable`] (is the failure transient?). [`Error`] and each gateway
//! crate's own error classify themselves into an [`ErrorKind`] and ask it, so the answer is
//! the same whether a caller holds the gateway crate's error or the provider-agnostic one.
//!
//! | kind | `outcome_unknown` | `is_retryable` |
//! |---|---|---|
//! | [`Input`](ErrorKind::Input), [`Webhook`](ErrorKind::Webhook), [`Unsupported`](ErrorKind::Unsupported) | no | no |
//! | transport [`Connect`](TransportErrorKind::Connect) | no: nothing was sent | yes |
//! | transport [`Timeout`](TransportErrorKind::Timeout), [`Other`](TransportErrorKind::Other) (a reset) | yes | yes |
//! | transport [`BodyTooLarge`](TransportErrorKind::BodyTooLarge) | yes: the gateway answered, we did not read it | no |
//! | transport [`Config`](TransportErrorKind::Config) | no | no |
//! | gateway [`Http`](GatewayErrorKind::Http) (not the gateway's own answer) | yes | for 408, 425, 429, 500, 502, 503, 504 |
//! | gateway [`Refused`](GatewayErrorKind::Refused) | unless final, and for any 5xx | for 408, 425, 429, 500, 502, 503, 504 |
//! | gateway [`Decode`](GatewayErrorKind::Decode), [`Integrity`](GatewayErrorKind::Integrity) | yes | no |
//! | gateway [`NotFound`](GatewayErrorKind::NotFound), [`NotSent`](GatewayErrorKind::NotSent) | no | no |
//!
//! The transient statuses and transport failures are the ones
//! [`RetryPolicy::decide`](crate::transport::RetryPolicy::decide) retries reads on
//! ([`is_retryable_status`], [`TransportErrorKind::is_transient`]); whether a request may have
//! arrived is [`TransportErrorKind::request_may_have_arrived`].

use crate::GatewayId;
use crate::amount_text::AmountTextError;
use crate::money::MoneyError;
use crate::signature::CanonicalError;
use crate::transport::{TransportError, TransportErrorKind, is_retryable_status};

/// Input refused before anything was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The amount is not valid money.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// The amount cannot be written in the gateway's style.
    #[error(transparent)]
    AmountText(#[from] AmountTextError),
    /// The signed fields are not valid (a duplicate key).
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
    /// A field breaks a documented rule.
    #[error("field {field}: {reason}")]
    Field {
        /// The field name as the gateway spells it.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl InputError {
    /// Shorthand for [`InputError::Field`].
    pub fn field(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Field { field, reason: reason.into() }
    }
}

/// Why a webhook (notification, callback) was refused. Every variant means: do not trust it,
/// answer with a 4xx, and never mark an order paid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The signature does not match the received fields.
    #[error("signature does not match")]
    BadSignature,
    /// The signature does not match, and the verifier found why: a secret word swapped with
    /// another, an amount re-formatted on the way, an algorithm that is not allowed. The
    /// diagnosis is for the shop's log; the sender is only told the request was refused.
    #[error("signature does not match: {diagnosis}")]
    BadSignatureDiagnosed {
        /// What the verifier found.
        diagnosis: String,
    },
    /// A field needed for verification is missing.
    #[error("missing field {0}")]
    MissingField(String),
    /// The request cannot be read (bad encoding, wrong content type, bad JSON).
    #[error("malformed request: {0}")]
    Malformed(String),
    /// The body is larger than the configured limit.
    #[error("body larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body has more fields than the limit: refused before any field is decoded.
    #[error("more than {limit} fields")]
    TooManyFields {
        /// The most fields accepted.
        limit: usize,
    },
    /// A field name or value is longer than the limit.
    #[error("a field is longer than {limit} bytes")]
    FieldTooLong {
        /// The most bytes accepted in one name or value.
        limit: usize,
    },
    /// The notification is for another shop or terminal.
    #[error("notification is for merchant {received}, expected {expected}")]
    WrongMerchant {
        /// Our merchant id.
        expected: String,
        /// The id in the notification.
        received: String,
    },
    /// The amount or currency differs from the stored order.
    #[error("{field} is {received}, the order says {expected}")]
    Mismatch {
        /// Which field differs (`amount`, `currency`, `order_id`).
        field: &'static str,
        /// What the order says.
        expected: String,
        /// What the notification says.
        received: String,
    },
    /// The sender's address is not one the gateway sends from.
    #[error("source address {0} is not allowed")]
    ForbiddenSource(String),
    /// The notification is outside its validity window.
    #[error("notification expired or not yet valid: {0}")]
    Expired(String),
}

/// The error of the provider-agnostic API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input refused before anything was sent.
    #[error("{gateway}: invalid input: {source}")]
    Input {
        /// The gateway.
        gateway: GatewayId,
        /// What was wrong.
        #[source]
        source: InputError,
    },
    /// The request could not be sent or its response not received.
    #[error("{gateway}: transport: {source}")]
    Transport {
        /// The gateway.
        gateway: GatewayId,
        /// The transport failure.
        #[source]
        source: TransportError,
    },
    /// A webhook was refused.
    #[error("{gateway}: webhook refused: {source}")]
    Webhook {
        /// The gateway.
        gateway: GatewayId,
        /// Why it was refused.
        #[source]
        source: WebhookError,
    },
    /// The gateway cannot do what was asked (e.g. a GBP-only gateway asked for RUB).
    #[error("{gateway} does not support {capability}")]
    Unsupported {
        /// The gateway.
        gateway: GatewayId,
        /// What it cannot do.
        capability: String,
    },
    /// The gateway answered with an error, or with something we could not read. `kind` says
    /// which, in the same terms for every gateway; the source is the gateway crate's own
    /// error, with its code, message and raw body.
    #[error("{gateway}: {source}")]
    Gateway {
        /// The gateway.
        gateway: GatewayId,
        /// What went wrong, in terms shared by every gateway.
        kind: GatewayErrorKind,
        /// The gateway crate's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

/// What a gateway's answer (or its absence before sending) amounted to, in terms shared by
/// every gateway. Carried by [`Error::Gateway`] next to the gateway crate's own error, so
/// that no caller has to downcast to decide what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GatewayErrorKind {
    /// The gateway refused the request in its own documented error format (an error code or
    /// an error message).
    Refused {
        /// The HTTP status the refusal came with (often 200).
        http_status: u16,
        /// Whether the gateway documents this refusal as final: the operation was not carried
        /// out and the same request will fail the same way. A refusal not documented as
        /// final (an unknown code, a code the gateway lists as non-fatal) leaves the
        /// operation open.
        is_final: bool,
    },
    /// An HTTP response that is not the gateway's answer: a proxy's or load balancer's page,
    /// an empty 5xx, a success status with a page that is not the gateway's format.
    Http {
        /// The HTTP status.
        status: u16,
    },
    /// The response has the gateway's format but could not be read (malformed or truncated
    /// JSON, a field missing or of the wrong type).
    Decode,
    /// The response contradicts the request (another amount, order or shop than asked for).
    Integrity,
    /// A lookup by the shop's own id found nothing.
    NotFound,
    /// The request failed on our side before anything was sent (signing, drawing a nonce).
    NotSent,
}

/// The kind of an [`Error`] (or of a gateway crate's error), which decides
/// [`outcome_unknown`](Self::outcome_unknown) and [`is_retryable`](Self::is_retryable) for
/// every gateway alike. The rule is in the [module documentation](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// See [`Error::Input`].
    Input,
    /// See [`Error::Transport`].
    Transport(TransportErrorKind),
    /// See [`Error::Webhook`].
    Webhook,
    /// See [`Error::Unsupported`].
    Unsupported,
    /// See [`Error::Gateway`].
    Gateway(GatewayErrorKind),
}

impl From<GatewayErrorKind> for ErrorKind {
    fn from(kind: GatewayErrorKind) -> Self {
        Self::Gateway(kind)
    }
}

impl From<TransportErrorKind> for ErrorKind {
    fn from(kind: TransportErrorKind) -> Self {
        Self::Transport(kind)
    }
}

impl ErrorKind {
    /// Whether the operation may have happened at the gateway although an error came back.
    ///
    /// True when the request may have arrived and no clear answer came back: a timeout or a
    /// connection broken after sending, a body too large to read, any response that is not
    /// the gateway's answer (an HTTP error page, a 5xx), a response that could not be read
    /// or contradicts the request, and a refusal the gateway does not document as final (or
    /// that came with a 5xx). False when nothing was sent (bad input, no connection, a local
    /// failure), when the gateway refused for good, for unsupported requests and refused
    /// webhooks.
    ///
    /// For a payment or payout, an unknown outcome means: look it up by the shop's own id
    /// before creating it again, never send it again blindly.
    ///
    /// ```
    /// use payments_core::error::{ErrorKind, GatewayErrorKind};
    /// use payments_core::transport::TransportErrorKind;
    ///
    /// assert!(ErrorKind::Transport(TransportErrorKind::Timeout).outcome_unknown());
    /// assert!(!ErrorKind::Transport(TransportErrorKind::Connect).outcome_unknown());
    /// assert!(ErrorKind::Gateway(GatewayErrorKind::Http { status: 502 }).outcome_unknown());
    /// let refused = |is_final| GatewayErrorKind::Refused { http_status: 200, is_final };
    /// assert!(!ErrorKind::Gateway(refused(true)).outcome_unknown());
    /// assert!(ErrorKind::Gateway(refused(false)).outcome_unknown());
    /// ```
    pub const fn outcome_unknown(self) -> bool {
        match self {
            Self::Input | Self::Webhook | Self::Unsupported => false,
            Self::Transport(kind) => kind.request_may_have_arrived(),
            Self::Gateway(kind) => match kind {
                GatewayErrorKind::Refused { http_status, is_final } => {
                    !is_final || is_server_error(http_status)
                }
                GatewayErrorKind::Http { .. }
                | GatewayErrorKind::Decode
                | GatewayErrorKind::Integrity => true,
                GatewayErrorKind::NotFound | GatewayErrorKind::NotSent => false,
            },
        }
    }

    /// Whether the failure is transient: the same request may succeed if sent again later,
    /// and a read may be sent again safely. True for a failed connection, a timeout, a broken
    /// connection, and HTTP 408, 425, 429, 500, 502, 503, 504 (with or without
    /// `Retry-After`): exactly what [`RetryPolicy`](crate::transport::RetryPolicy) retries
    /// reads on. False for responses that could not be read, refusals, bad input and
    /// everything else.
    ///
    /// A creation (payment, payout) whose [`outcome_unknown`](Self::outcome_unknown) is true
    /// must be looked up before it is sent again, retryable or not.
    ///
    /// ```
    /// use payments_core::error::{ErrorKind, GatewayErrorKind};
    /// use payments_core::transport::TransportErrorKind;
    ///
    /// assert!(ErrorKind::Transport(TransportErrorKind::Connect).is_retryable());
    /// assert!(ErrorKind::Gateway(GatewayErrorKind::Http { status: 503 }).is_retryable());
    /// assert!(!ErrorKind::Gateway(GatewayErrorKind::Decode).is_retryable());
    /// ```
    pub const fn is_retryable(self) -> bool {
        match self {
            Self::Input | Self::Webhook | Self::Unsupported => false,
            Self::Transport(kind) => kind.is_transient(),
            Self::Gateway(kind) => match kind {
                GatewayErrorKind::Refused { http_status: status, .. }
                | GatewayErrorKind::Http { status } => is_retryable_status(status),
                GatewayErrorKind::Decode
                | GatewayErrorKind::Integrity
                | GatewayErrorKind::NotFound
                | GatewayErrorKind::NotSent => false,
            },
        }
    }
}

/// A gateway crate's error: its [`kind`](Self::kind) in the terms every gateway shares, the
/// questions every caller asks after a failure (answered by the one rule of [`ErrorKind`]),
/// and its conversion into the provider-agnostic [`Error`]. Each gateway's `Error`
/// implements it; bring it into scope (`use payments_core::GatewayError;`, also re-exported
/// by each gateway crate) to call its methods.
///
/// The failures [`Error`] holds itself (bad input, no answer, a refused webhook) are split
/// out by [`into_shared`](Self::into_shared); every other error becomes [`Error::Gateway`]
/// with its [`kind`](Self::kind) and itself as the source, so nothing is lost.
///
/// ```
/// use payments_core::GatewayError;
/// # #[derive(Debug, thiserror::Error)]
/// # #[error("refused")]
/// # struct Refused;
/// # impl GatewayError for Refused {
/// #     const GATEWAY: payments_core::GatewayId = payments_core::GatewayId::Fena;
/// #     fn kind(&self) -> payments_core::ErrorKind {
/// #         payments_core::GatewayErrorKind::Refused { http_status: 400, is_final: true }.into()
/// #     }
/// #     fn into_shared(self) -> Result<payments_core::SharedFailure, Self> { Err(self) }
/// # }
/// # let error = Refused;
/// // `error` is any gateway's error: feennex::Error, freekassa::Error, fena::Error.
/// if error.outcome_unknown() {
///     // look the payment or payout up by the shop's own id before creating it again
/// }
/// let core: payments_core::Error = error.into_core();
/// assert!(!core.outcome_unknown());
/// ```
pub trait GatewayError: std::error::Error + Send + Sync + Sized + 'static {
    /// The gateway whose error this is.
    const GATEWAY: GatewayId;

    /// The kind of error, in the terms every gateway shares.
    fn kind(&self) -> ErrorKind;

    /// The failure as one [`Error`] holds itself, or the error unchanged.
    ///
    /// # Errors
    ///
    /// `self`, when it is the gateway's own (a refusal, an unreadable answer).
    fn into_shared(self) -> Result<SharedFailure, Self>;

    /// Whether the operation may have happened although this error came back; see
    /// [`ErrorKind::outcome_unknown`]. For a payment or payout: look it up by the shop's own
    /// id before creating it again (each gateway's `Error` docs say how).
    fn outcome_unknown(&self) -> bool {
        self.kind().outcome_unknown()
    }

    /// Whether the failure is transient, so that a read may be sent again; see
    /// [`ErrorKind::is_retryable`].
    fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// Converts into the provider-agnostic error (as `From` does), keeping this one as the
    /// source and its kind, so both answer every question alike.
    fn into_core(self) -> Error {
        self.into()
    }
}

/// A failure the provider-agnostic [`Error`] holds itself, whichever gateway it came from.
#[derive(Debug)]
#[non_exhaustive]
pub enum SharedFailure {
    /// Input refused before anything was sent.
    Input(InputError),
    /// No complete answer arrived.
    Transport(TransportError),
    /// A webhook was refused.
    Webhook(WebhookError),
}

impl<E: GatewayError> From<E> for Error {
    fn from(error: E) -> Self {
        let gateway = E::GATEWAY;
        match error.into_shared() {
            Ok(SharedFailure::Input(source)) => Self::Input { gateway, source },
            Ok(SharedFailure::Transport(source)) => Self::Transport { gateway, source },
            Ok(SharedFailure::Webhook(source)) => Self::Webhook { gateway, source },
            Err(error) => {
                // A gateway's own error has a gateway kind: a shared failure it failed to
                // split out is a bug of its `into_shared` (tests in debug builds stop here).
                // In release it is still not lost, and reads as an unreadable answer, so the
                // outcome stays unknown.
                let kind = match error.kind() {
                    ErrorKind::Gateway(kind) => kind,
                    other => {
                        debug_assert!(false, "{}: {other:?} was not split out", E::GATEWAY);
                        GatewayErrorKind::Decode
                    }
                };
                Self::Gateway { gateway, kind, source: Box::new(error) }
            }
        }
    }
}

/// 5xx: the gateway failed while handling the request, whatever it says.
const fn is_server_error(status: u16) -> bool {
    status / 100 == 5
}

impl Error {
    /// The gateway the error came from.
    pub fn gateway(&self) -> GatewayId {
        match self {
            Self::Input { gateway, .. }
            | Self::Transport { gateway, .. }
            | Self::Webhook { gateway, .. }
            | Self::Unsupported { gateway, .. }
            | Self::Gateway { gateway, .. } => *gateway,
        }
    }

    /// The kind of error, which decides [`outcome_unknown`](Self::outcome_unknown) and
    /// [`is_retryable`](Self::is_retryable).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Input { .. } => ErrorKind::Input,
            Self::Transport { source, .. } => ErrorKind::Transport(source.kind()),
            Self::Webhook { .. } => ErrorKind::Webhook,
            Self::Unsupported { .. } => ErrorKind::Unsupported,
            Self::Gateway { kind, .. } => ErrorKind::Gateway(*kind),
        }
    }

    /// For [`Error::Gateway`], what the gateway's answer amounted to.
    pub fn gateway_kind(&self) -> Option<GatewayErrorKind> {
        match self {
            Self::Gateway { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// Whether the operation may have happened at the gateway although this error came back;
    /// see [`ErrorKind::outcome_unknown`]. For a payment or payout: look it up by the shop's
    /// own id before creating it again.
    ///
    /// ```
    /// use payments_core::error::GatewayErrorKind;
    /// use payments_core::{Error, GatewayId};
    ///
    /// let proxy_page = Error::Gateway {
    ///     gateway: GatewayId::Feennex,
    ///     kind: GatewayErrorKind::Http { status: 502 },
    ///     source: "502 Bad Gateway".into(),
    /// };
    /// assert!(proxy_page.outcome_unknown());
    /// assert!(proxy_page.is_retryable());
    /// ```
    pub fn outcome_unknown(&self) -> bool {
        self.kind().outcome_unknown()
    }

    /// Whether the failure is transient, so that a read may be sent again; see
    /// [`ErrorKind::is_retryable`].
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }
}

#[cfg(test)]
mod tests {
    mod conversion {
        use super::super::*;

        /// A gateway error with one shared failure and one refusal of its own.
        #[derive(Debug, thiserror::Error)]
        enum Toy {
            #[error("input: {0}")]
            Input(InputError),
            #[error("refused")]
            Refused,
        }

        impl GatewayError for Toy {
            const GATEWAY: GatewayId = GatewayId::Fena;

            fn kind(&self) -> ErrorKind {
                match self {
                    Self::Input(_) => ErrorKind::Input,
                    Self::Refused => {
                        GatewayErrorKind::Refused { http_status: 400, is_final: true }.into()
                    }
                }
            }

            fn into_shared(self) -> Result<SharedFailure, Self> {
                match self {
                    Self::Input(source) => Ok(SharedFailure::Input(source)),
                    other => Err(other),
                }
            }
        }

        #[test]
        fn shared_failures_become_core_variants_and_the_rest_stays_the_source() {
            let input = Error::from(Toy::Input(InputError::field("amount", "x")));
            assert!(matches!(input, Error::Input { gateway: GatewayId::Fena, .. }), "{input:?}");
            let refused = Error::from(Toy::Refused);
            let refused_kind = GatewayErrorKind::Refused { http_status: 400, is_final: true };
            match &refused {
                Error::Gateway { gateway: GatewayId::Fena, kind, source } => {
                    assert_eq!(*kind, refused_kind);
                    assert!(matches!(source.downcast_ref::<Toy>(), Some(Toy::Refused)));
                }
                other => panic!("unexpected {other:?}"),
            }
            assert!(!refused.outcome_unknown() && !refused.is_retryable());
        }
    }

    use http::StatusCode;

    use super::*;
    use crate::transport::{Decision, Outcome, RetryPolicy};

    const TRANSPORT_KINDS: [TransportErrorKind; 5] = [
        TransportErrorKind::Connect,
        TransportErrorKind::Timeout,
        TransportErrorKind::BodyTooLarge,
        TransportErrorKind::Config,
        TransportErrorKind::Other,
    ];

    fn retried(outcome: Outcome) -> bool {
        matches!(RetryPolicy::standard().decide(1, true, outcome, 0), Decision::Retry(_))
    }

    #[test]
    fn retryable_is_what_the_retry_policy_retries() {
        for kind in TRANSPORT_KINDS {
            assert_eq!(
                ErrorKind::Transport(kind).is_retryable(),
                retried(Outcome::Failed(kind)),
                "{kind:?}"
            );
        }
        for code in 100..=599 {
            let status = StatusCode::from_u16(code).unwrap();
            let policy = retried(Outcome::Response { status, retry_after: None });
            assert_eq!(
                ErrorKind::from(GatewayErrorKind::Http { status: code }).is_retryable(),
                policy
            );
            for is_final in [true, false] {
                let refused = GatewayErrorKind::Refused { http_status: code, is_final };
                assert_eq!(ErrorKind::from(refused).is_retryable(), policy, "{code}");
            }
        }
    }

    #[test]
    fn outcome_unknown_follows_whether_the_request_may_have_arrived() {
        for kind in TRANSPORT_KINDS {
            let expected =
                !matches!(kind, TransportErrorKind::Connect | TransportErrorKind::Config);
            assert_eq!(ErrorKind::Transport(kind).outcome_unknown(), expected, "{kind:?}");
        }
    }

    #[test]
    fn refusals_settle_the_outcome_only_when_final_and_not_5xx() {
        let unknown = |http_status, is_final| {
            ErrorKind::from(GatewayErrorKind::Refused { http_status, is_final }).outcome_unknown()
        };
        assert!(!unknown(200, true));
        assert!(!unknown(400, true));
        assert!(!unknown(429, true));
        assert!(unknown(200, false));
        assert!(unknown(500, true));
        assert!(unknown(599, true));
    }

    #[test]
    fn every_gateway_kind_is_answered() {
        let table = [
            (GatewayErrorKind::Http { status: 404 }, true, false),
            (GatewayErrorKind::Http { status: 200 }, true, false),
            (GatewayErrorKind::Http { status: 503 }, true, true),
            (GatewayErrorKind::Decode, true, false),
            (GatewayErrorKind::Integrity, true, false),
            (GatewayErrorKind::NotFound, false, false),
            (GatewayErrorKind::NotSent, false, false),
        ];
        for (kind, unknown, retryable) in table {
            let kind = ErrorKind::from(kind);
            assert_eq!(
                (kind.outcome_unknown(), kind.is_retryable()),
                (unknown, retryable),
                "{kind:?}"
            );
        }
        for kind in [ErrorKind::Input, ErrorKind::Webhook, ErrorKind::Unsupported] {
            assert!(!kind.outcome_unknown() && !kind.is_retryable(), "{kind:?}");
        }
    }

    #[test]
    fn the_error_asks_its_kind() {
        let error = Error::Gateway {
            gateway: GatewayId::Fena,
            kind: GatewayErrorKind::Decode,
            source: "bad".into(),
        };
        assert_eq!(error.kind(), ErrorKind::Gateway(GatewayErrorKind::Decode));
        assert_eq!(error.gateway_kind(), Some(GatewayErrorKind::Decode));
        assert!(error.outcome_unknown() && !error.is_retryable());
        let input = Error::Input { gateway: GatewayId::Fena, source: InputError::field("x", "y") };
        assert_eq!(input.gateway_kind(), None);
        assert!(!input.outcome_unknown() && !input.is_retryable());
    }
}
