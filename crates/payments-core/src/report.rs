//! Results and requests of the capability traits other than taking a payment.

use rust_decimal::Decimal;

use crate::money::{Currency, Money};
use crate::payment::{OrderId, PaymentStatus};

/// The state of a payment as a gateway reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentReport {
    /// The shop's order id.
    pub order_id: String,
    /// The gateway's id for the payment.
    pub gateway_payment_id: Option<String>,
    /// The state.
    pub status: PaymentStatus,
    /// The amount the gateway reports, when it does.
    pub money: Option<Money>,
}

impl PaymentReport {
    /// A report with the given fields.
    pub fn new(
        order_id: impl Into<String>,
        gateway_payment_id: Option<String>,
        status: PaymentStatus,
        money: Option<Money>,
    ) -> Self {
        Self { order_id: order_id.into(), gateway_payment_id, status, money }
    }
}

/// A payout to make. `Debug` masks the destination's card or account number.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PayoutRequest {
    /// The shop's unique id for the payout; the gateway refuses a second payout with it.
    pub payout_id: OrderId,
    /// How much to pay.
    pub money: Money,
    /// The recipient: wallet, card or account number, in the gateway's format.
    pub destination: String,
    /// The gateway's payout method (a Feennex payway, a Freekassa method id).
    pub method: Option<String>,
}

impl std::fmt::Debug for PayoutRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayoutRequest")
            .field("payout_id", &self.payout_id)
            .field("money", &self.money)
            .field("destination", &crate::mask::mask_numbers(&self.destination))
            .field("method", &self.method)
            .finish()
    }
}

impl PayoutRequest {
    /// A payout of `money` to `destination` under the shop's `payout_id`.
    pub fn new(payout_id: OrderId, money: Money, destination: impl Into<String>) -> Self {
        Self { payout_id, money, destination: destination.into(), method: None }
    }

    /// Chooses the payout method.
    #[must_use]
    pub fn with_method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }
}

/// The state of a payout.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PayoutStatus {
    /// Accepted, not finished.
    Pending,
    /// Paid out.
    Succeeded,
    /// Refused or failed; the money is back on the shop's balance.
    Failed,
    /// A status this SDK does not know, with the gateway's own text.
    Unknown(String),
}

impl PayoutStatus {
    /// Whether the status can no longer change.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

/// A payout as the gateway reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PayoutReport {
    /// The shop's payout id.
    pub payout_id: String,
    /// The gateway's id for it.
    pub gateway_payout_id: Option<String>,
    /// Its state.
    pub status: PayoutStatus,
}

impl PayoutReport {
    /// A report with the given fields.
    pub fn new(
        payout_id: impl Into<String>,
        gateway_payout_id: Option<String>,
        status: PayoutStatus,
    ) -> Self {
        Self { payout_id: payout_id.into(), gateway_payout_id, status }
    }
}

/// A refund to make.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefundRequest {
    /// The order whose payment is refunded.
    pub order_id: OrderId,
    /// The gateway's id of the payment, when the gateway needs it.
    pub gateway_payment_id: Option<String>,
    /// How much to refund; `None` refunds everything.
    pub money: Option<Money>,
}

impl RefundRequest {
    /// A full refund of the payment for `order_id`.
    pub fn full(order_id: OrderId) -> Self {
        Self { order_id, gateway_payment_id: None, money: None }
    }
}

/// A refund as the gateway reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefundReport {
    /// The gateway's id for the refund.
    pub gateway_refund_id: Option<String>,
    /// Whether the refund is done or still processing.
    pub status: PayoutStatus,
}

impl RefundReport {
    /// A report with the given fields.
    pub fn new(gateway_refund_id: Option<String>, status: PayoutStatus) -> Self {
        Self { gateway_refund_id, status }
    }
}

/// A balance in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Balance {
    /// The currency.
    pub currency: Currency,
    /// What can be paid out now.
    pub available: Decimal,
    /// What is held or frozen (payouts in progress, payments under review).
    pub held: Decimal,
}

impl Balance {
    /// A balance with the given fields.
    pub fn new(currency: Currency, available: Decimal, held: Decimal) -> Self {
        Self { currency, available, held }
    }
}
