//! Capability traits: what a shop can ask of a gateway without knowing which one it is.
//!
//! Each gateway implements only what it really supports, so asking a gateway for a capability
//! it lacks is a compile error when the type is known. All traits are object-safe
//! (`async-trait`), so a gateway chosen at run time can be held as `Box<dyn CreatePayment>`.
//!
//! Creating a payment or a payout is never retried blindly: after a timeout, ask for the status
//! by the shop's own id ([`QueryPaymentStatus`], [`Payouts::payout_status`]).

use std::fmt;

use async_trait::async_trait;

use crate::error::Error;
use crate::notification::Notification;
use crate::payment::{OrderId, PaymentLink, PaymentRequest};
use crate::report::{
    Balance, PaymentReport, PayoutReport, PayoutRequest, RefundReport, RefundRequest,
};
use crate::webhook::{WebhookAck, WebhookRequest};

/// The gateways this SDK supports.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum GatewayId {
    /// Feennex (wallet and card payments, payouts).
    Feennex,
    /// Freekassa (payment form and API v1).
    Freekassa,
    /// Fena (UK open banking).
    Fena,
}

impl GatewayId {
    /// The lower-case name, as used in configuration and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Feennex => "feennex",
            Self::Freekassa => "freekassa",
            Self::Fena => "fena",
        }
    }
}

impl fmt::Display for GatewayId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that is one gateway.
pub trait Gateway: Send + Sync {
    /// Which gateway this is.
    fn id(&self) -> GatewayId;
}

/// Creates payments: where to send the payer.
#[async_trait]
pub trait CreatePayment: Gateway {
    /// Creates a payment and says where to send the payer.
    ///
    /// Not retried on a timeout; use [`QueryPaymentStatus`] with the same order id to find out
    /// whether it was created.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent, or what the gateway or transport reported.
    async fn create_payment(&self, request: &PaymentRequest) -> Result<PaymentLink, Error>;
}

/// Reads the status of a payment by the shop's order id.
#[async_trait]
pub trait QueryPaymentStatus: Gateway {
    /// The current state of the payment for `order_id`.
    ///
    /// # Errors
    ///
    /// What the gateway or transport reported.
    async fn payment_status(&self, order_id: &OrderId) -> Result<PaymentReport, Error>;
}

/// Pays money out.
#[async_trait]
pub trait Payouts: Gateway {
    /// Creates a payout. Never retried automatically. After any error other than
    /// [`Error::Input`] or [`Error::Unsupported`] (which are raised before anything is sent),
    /// the payout may exist: call [`Payouts::payout_status`] with the same payout id before
    /// trying again, and try again only with that same id.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent, or what the gateway or transport reported.
    async fn create_payout(&self, request: &PayoutRequest) -> Result<PayoutReport, Error>;

    /// The state of the payout the shop created under `payout_id`.
    ///
    /// # Errors
    ///
    /// What the gateway or transport reported.
    async fn payout_status(&self, payout_id: &OrderId) -> Result<PayoutReport, Error>;
}

/// Refunds payments.
#[async_trait]
pub trait Refunds: Gateway {
    /// Refunds all or part of a payment.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent, or what the gateway or transport reported.
    async fn refund(&self, request: &RefundRequest) -> Result<RefundReport, Error>;
}

/// Reads the shop's balances.
#[async_trait]
pub trait Balances: Gateway {
    /// The balance per currency.
    ///
    /// # Errors
    ///
    /// What the gateway or transport reported.
    async fn balances(&self) -> Result<Vec<Balance>, Error>;
}

/// Turns a received webhook into a verified [`Notification`].
#[async_trait]
pub trait WebhookVerifier: Send + Sync {
    /// Which gateway's webhooks this verifies.
    fn gateway(&self) -> GatewayId;

    /// Verifies the request (signature, merchant binding, format) and returns what it says.
    /// Fails closed: anything that is not provably from the gateway is an error.
    ///
    /// # Errors
    ///
    /// [`Error::Webhook`] for a forged or malformed request; gateways whose webhooks must be
    /// confirmed by an API call can also report transport errors.
    async fn verify(&self, request: &WebhookRequest) -> Result<Notification, Error>;

    /// What to answer once the notification was handled.
    fn ack(&self) -> WebhookAck;

    /// A few fields of the request as received, *not verified*, to log beside the reason
    /// when it is refused: the order id, the amount, the status, the gateway's payment id.
    /// Never a secret, a signature or payer data; values are cut to 64 characters. Empty by
    /// default, and for a request that cannot be read.
    fn key_fields(&self, request: &WebhookRequest) -> Vec<(&'static str, String)> {
        let _ = request;
        Vec::new()
    }
}
