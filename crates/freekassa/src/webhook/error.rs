//! Why a notification was refused.

use std::net::IpAddr;

use payments_core::WebhookError;

/// Why a notification was refused. Every variant means: answer with an error status, and
/// never mark an order paid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotificationError {
    /// The request cannot be read (wrong method or content type, bad encoding, a repeated or
    /// unreadable field).
    #[error("malformed notification: {0}")]
    Malformed(String),
    /// The body is larger than the limit.
    #[error("notification body larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body has more fields, or a longer field, than any notification
    /// ([`payments_core::webhook::MAX_FIELDS`], [`payments_core::webhook::MAX_FIELD_BYTES`]):
    /// refused before any signature work.
    #[error("notification {0}")]
    OverLimit(WebhookError),
    /// A field needed for verification is missing (a request with no fields at all is the
    /// cabinet's "check URL" probe, not a payment).
    #[error("missing field {0}")]
    MissingField(&'static str),
    /// `SIGN` does not match: a wrong secret word 2, or a forgery.
    #[error("SIGN does not match")]
    BadSignature,
    /// `SIGN` was made with secret word 1 (the form's secret) instead of secret word 2: the
    /// two secrets are swapped somewhere.
    #[error("SIGN was made with secret word 1; notifications are signed with secret word 2")]
    SignedWithSecret1,
    /// `SIGN` matches another text of the same amount: something between Freekassa and this
    /// handler re-formatted `AMOUNT` (signatures are over the exact text).
    #[error("AMOUNT arrived as {received:?} but was signed as {signed:?}: it was re-formatted")]
    AmountReformatted {
        /// The amount text received.
        received: String,
        /// The text the signature was made over.
        signed: String,
    },
    /// The notification is for another shop.
    #[error("notification is for MERCHANT_ID {received:?}, this shop is {expected}")]
    WrongMerchant {
        /// This shop's id.
        expected: u64,
        /// The `MERCHANT_ID` received.
        received: String,
    },
    /// The request did not come from an allowed address.
    #[error("source address {ip} is not one Freekassa sends from")]
    ForbiddenSource {
        /// The address the request came from.
        ip: IpAddr,
    },
    /// A peer that is not a trusted proxy sent a forwarded header: it is ignored, and the
    /// request refused (spoofing, or a proxy missing from the trusted list).
    #[error("peer {peer} is not a trusted proxy but sent {header}")]
    UntrustedForwardedHeader {
        /// The connecting peer.
        peer: IpAddr,
        /// The header it sent.
        header: &'static str,
    },
    /// The request has no peer address, so its source cannot be checked.
    #[error("no peer address to check the source against")]
    NoPeerAddress,
    /// The notification is valid but not for this order or amount.
    #[error("{field} is {received}, the order says {expected}")]
    Mismatch {
        /// `order_id` or `amount`.
        field: &'static str,
        /// What the order says.
        expected: String,
        /// What the notification says.
        received: String,
    },
}

impl NotificationError {
    /// The provider-agnostic [`WebhookError`] for this error.
    pub fn to_webhook_error(&self) -> WebhookError {
        match self {
            Self::Malformed(reason) => WebhookError::Malformed(reason.clone()),
            Self::TooLarge { limit } => WebhookError::TooLarge { limit: *limit },
            Self::OverLimit(inner) => inner.clone(),
            Self::MissingField(field) => WebhookError::MissingField((*field).to_owned()),
            Self::BadSignature => WebhookError::BadSignature,
            Self::SignedWithSecret1 | Self::AmountReformatted { .. } => {
                WebhookError::BadSignatureDiagnosed { diagnosis: self.to_string() }
            }
            Self::WrongMerchant { expected, received } => WebhookError::WrongMerchant {
                expected: expected.to_string(),
                received: received.clone(),
            },
            Self::ForbiddenSource { ip } => WebhookError::ForbiddenSource(ip.to_string()),
            Self::UntrustedForwardedHeader { peer, header } => WebhookError::ForbiddenSource(
                format!("{peer} (not a trusted proxy, yet it sent {header})"),
            ),
            Self::NoPeerAddress => WebhookError::ForbiddenSource("unknown".into()),
            Self::Mismatch { field, expected, received } => WebhookError::Mismatch {
                field,
                expected: expected.clone(),
                received: received.clone(),
            },
        }
    }
}
