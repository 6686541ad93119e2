//! Errors shared by every gateway.
//!
//! Gateway crates have their own error types with the gateway's codes; the provider-agnostic
//! API (the [`gateway`](crate::gateway) traits) reports [`Error`], which keeps the gateway's
//! error as its source.

use crate::GatewayId;
use crate::amount_text::AmountTextError;
use crate::money::MoneyError;
use crate::signature::CanonicalError;
use crate::transport::TransportError;

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
    /// The gateway answered with an error, or with something we could not read. The source is
    /// the gateway crate's own error, with its code, message and raw body.
    #[error("{gateway}: {source}")]
    Gateway {
        /// The gateway.
        gateway: GatewayId,
        /// The gateway crate's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
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
}
