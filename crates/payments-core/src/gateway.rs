//! Capability traits: what a shop can ask of a gateway without knowing which one it is.
//!
//! Each gateway implements only what it really supports, so asking a gateway for a capability
//! it lacks is a compile error when the type is known. All traits are object-safe
//! (`async-trait`), so a gateway chosen at run time can be held as `Box<dyn CreatePayment>`.
//! The traits other than [`Gateway`] need the `async` feature (on with `client`);
//! `Subscriptions` also needs `subscriptions`.
//!
//! Creating a payment or a payout is never retried blindly: after a timeout, ask for the status
//! by the shop's own id ([`QueryPaymentStatus`], [`Payouts::payout_status`]).

use std::fmt;

#[cfg(feature = "async")]
use async_trait::async_trait;

#[cfg(feature = "async")]
use crate::error::Error;
#[cfg(feature = "async")]
use crate::notification::Notification;
#[cfg(feature = "async")]
use crate::payment::{OrderId, PaymentCreated, PaymentRequest};
#[cfg(feature = "async")]
use crate::report::{
    Balance, PaymentReport, PayoutReport, PayoutRequest, RefundReport, RefundRequest,
};
#[cfg(all(feature = "async", feature = "subscriptions"))]
use crate::subscription::{Subscription, SubscriptionRequest};
#[cfg(feature = "async")]
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
#[cfg(feature = "async")]
#[async_trait]
pub trait CreatePayment: Gateway {
    /// Creates a payment and says where to send the payer, with the gateway's id of the
    /// payment when creation returned one (store it with the order).
    ///
    /// Not retried on a timeout; use [`QueryPaymentStatus`] to find out whether it was
    /// created.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent, or what the gateway or transport reported.
    async fn create_payment(&self, request: &PaymentRequest) -> Result<PaymentCreated, Error>;
}

/// Reads the status of a payment by the shop's order id.
#[cfg(feature = "async")]
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
#[cfg(feature = "async")]
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
#[cfg(feature = "async")]
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
#[cfg(feature = "async")]
#[async_trait]
pub trait Balances: Gateway {
    /// The balance per currency.
    ///
    /// # Errors
    ///
    /// What the gateway or transport reported.
    async fn balances(&self) -> Result<Vec<Balance>, Error>;
}

/// Recurring payments: create a subscription, read it, cancel it.
///
/// # What the words mean at each gateway
///
/// The same word covers two different things, so read this before relying on it:
///
/// | | Fena (Toolkit `fena::Client`) | Freekassa (`freekassa::Client`, API v1) |
/// |---|---|---|
/// | a *subscription* is | a standing order the payer sets up at their bank; the **bank** then pays on schedule without the shop | a permission, granted by paying the first charge, for the **shop** to charge again: each repeat charge is a new `orders/create` with `recurrent_order_id` that the shop sends |
/// | [`create_subscription`](Subscriptions::create_subscription) | `POST open/payments/recurring/create-and-process`; the payer is sent to the returned link to set the standing order up | `POST orders/create` with `recurrent="Y"`: the first charge, paid now on the returned page |
/// | the id returned | Fena's recurring payment `id` | `recurrent_order.id` |
/// | [`Interval`](crate::subscription::Interval) | week, month, quarter (`three_months`), year; `Day` is unsupported | day, week, month, year; `Quarter` is unsupported |
/// | first charge date | required, at least 6 working days ahead, not a weekend | unsupported: the first charge is now |
/// | number of charges | optional (none: no end) | unsupported (no end is documented) |
/// | description | unsupported (a standing order has none) | required, 10 to 200 characters |
/// | payer | name and e-mail, optional | e-mail, IP address and payment method (`i`) required; phone optional |
/// | [`charge_subscription`](Subscriptions::charge_subscription) | **unsupported**: the payer's bank pays on schedule; each payment is notified by a webhook | `POST orders/create` with `recurrent_order_id` and the charge's own `paymentId`, once the first charge is paid and `next_charge_at` is reached; notified like any order, under the charge's `paymentId` |
/// | each payment's notification | a Toolkit `single-payments` webhook per payment the bank makes, under the standing order's reference; the core [`Notification`] carries Fena's id of that payment as `charge_id`, so each payment is a new event for a seen store although the order id repeats | the order's notification, under the charge's own `paymentId` (the first charge's under the subscription id), handled like any order's |
/// | [`subscription_status`](Subscriptions::subscription_status) | `GET open/payments/recurring/{id}` | **unsupported**: no endpoint is documented (each charge is an order: use [`QueryPaymentStatus`] by its `paymentId`) |
/// | [`cancel_subscription`](Subscriptions::cancel_subscription) | only **before the payer set it up** (draft, sent, overdue, rejected): deletes it in Fena. Once set up, only the payer can cancel it at their bank: [`Error::Unsupported`] | **unsupported**: no endpoint is documented; the shop stops charging by not sending repeat charges |
///
/// Anything a gateway cannot take is refused with [`Error::Unsupported`] naming it, before
/// anything is sent; nothing is silently dropped. Feennex has no subscriptions.
///
/// Status mapping ([`SubscriptionStatus`](crate::subscription::SubscriptionStatus)): Fena's
/// `draft`, `sent`, `overdue` are `AwaitingPayer`; `active`, `warning`, `rejected`,
/// `cancelled`, `completed` map by name. A created Freekassa subscription is `AwaitingPayer`
/// until its first charge is paid (the payment notification says so).
///
/// ```no_run
/// use payments_core::gateway::Subscriptions;
/// use payments_core::payment::{Customer, OrderId};
/// use payments_core::subscription::{Interval, SubscriptionRequest};
/// use payments_core::{Currency, Money};
///
/// # async fn run(gateway: &dyn Subscriptions) -> Result<(), Box<dyn std::error::Error>> {
/// let request = SubscriptionRequest::new(OrderId::new("sub-1")?, Money::parse("299", Currency::RUB)?, Interval::Month)
///     .with_description("VPN subscription")
///     .with_payment_method("36")
///     .with_customer(Customer::default().with_email("user@example.com").with_ip("203.0.113.10".parse()?));
/// let subscription = gateway.create_subscription(&request).await?;
/// println!("send the payer to {:?}", subscription.payer_url);
/// # Ok(())
/// # }
/// ```
#[cfg(all(feature = "async", feature = "subscriptions"))]
#[async_trait]
pub trait Subscriptions: Gateway {
    /// Creates a subscription and says where to send the payer. Never retried: after an
    /// error other than [`Error::Input`] or [`Error::Unsupported`] it may exist.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] or [`Error::Unsupported`] before anything is sent, or what the
    /// gateway or transport reported.
    async fn create_subscription(
        &self,
        request: &SubscriptionRequest,
    ) -> Result<Subscription, Error>;

    /// The subscription `gateway_subscription_id` (the id
    /// [`Subscription::gateway_subscription_id`] carries).
    ///
    /// ```no_run
    /// # use payments_core::gateway::Subscriptions;
    /// # async fn run(gateway: &dyn Subscriptions) -> Result<(), payments_core::Error> {
    /// let subscription = gateway.subscription_status("62b48c5b6ba2cd6a040b20b1").await?;
    /// if subscription.status.is_final() {
    ///     println!("no further charges");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] where the gateway documents no such read (Freekassa), or what
    /// the gateway or transport reported.
    async fn subscription_status(
        &self,
        gateway_subscription_id: &str,
    ) -> Result<Subscription, Error>;

    /// Cancels the subscription `gateway_subscription_id`, where the gateway can.
    ///
    /// ```no_run
    /// # use payments_core::gateway::Subscriptions;
    /// # async fn run(gateway: &dyn Subscriptions) -> Result<(), payments_core::Error> {
    /// match gateway.cancel_subscription("62b48c5b6ba2cd6a040b20b1").await {
    ///     Ok(()) => println!("cancelled"),
    ///     // Fena, once the payer set the standing order up: only the payer can cancel it.
    ///     Err(payments_core::Error::Unsupported { capability, .. }) => println!("{capability}"),
    ///     Err(error) => return Err(error),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] where the gateway cannot (Freekassa always; Fena once the payer
    /// set the standing order up), or what the gateway or transport reported.
    async fn cancel_subscription(&self, gateway_subscription_id: &str) -> Result<(), Error>;

    /// Charges the subscription `gateway_subscription_id` again, where **the shop** charges
    /// (Freekassa): `charge` names the charge's own order id (a new one per charge, which its
    /// notification carries), the amount, and what the gateway needs from the payer (see
    /// the table above). The charge is paid without the payer; its notification, verified
    /// like any other, says whether it was. Never retried: after an error other than
    /// [`Error::Input`] or [`Error::Unsupported`], look the charge up with
    /// [`QueryPaymentStatus::payment_status`] by its order id before charging again.
    ///
    /// ```no_run
    /// # use payments_core::gateway::Subscriptions;
    /// # use payments_core::payment::{Customer, OrderId, PaymentRequest};
    /// # use payments_core::{Currency, Money};
    /// # async fn run(gateway: &dyn Subscriptions) -> Result<(), Box<dyn std::error::Error>> {
    /// let charge = PaymentRequest::new(OrderId::new("sub-1-2")?, Money::parse("299", Currency::RUB)?)
    ///     .with_payment_method("36")
    ///     .with_customer(Customer::default().with_email("user@example.com").with_ip("203.0.113.10".parse()?));
    /// let report = gateway.charge_subscription("91", &charge).await?;
    /// println!("charge {} is {:?}", report.order_id, report.status);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] where the gateway charges on its own (Fena), [`Error::Input`]
    /// before anything is sent, or what the gateway or transport reported.
    async fn charge_subscription(
        &self,
        gateway_subscription_id: &str,
        charge: &PaymentRequest,
    ) -> Result<PaymentReport, Error>;
}

/// Turns a received webhook into a verified [`Notification`].
#[cfg(feature = "async")]
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
