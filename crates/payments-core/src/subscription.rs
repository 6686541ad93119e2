//! Recurring payments: what a shop asks for ([`SubscriptionRequest`]) and what it gets back
//! ([`Subscription`]), used by the [`Subscriptions`](crate::gateway::Subscriptions) trait.
//!
//! The word "subscription" means different things at each gateway; the trait's docs have
//! the table. In short: at **Fena** it is a standing order the payer sets up at their bank,
//! which then pays on its own; at **Freekassa** it is a permission, granted by paying the
//! first charge, for the *shop* to charge again (each repeat charge is a new order the shop
//! creates).

use std::fmt;

use url::Url;

use crate::gateway::GatewayId;
use crate::money::Money;
use crate::payment::{Customer, OrderId};

/// How often a subscription charges.
///
/// ```
/// use payments_core::subscription::Interval;
///
/// assert_eq!(Interval::Month.to_string(), "month");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Interval {
    /// Every day (Freekassa only).
    Day,
    /// Every week.
    Week,
    /// Every month.
    Month,
    /// Every three months (Fena only).
    Quarter,
    /// Every year.
    Year,
}

impl Interval {
    /// The lower-case name.
    ///
    /// ```
    /// assert_eq!(payments_core::subscription::Interval::Quarter.as_str(), "quarter");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Quarter => "quarter",
            Self::Year => "year",
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A calendar date (no time zone): the `time` crate's, re-exported with its months.
///
/// ```
/// use payments_core::subscription::{Date, Month};
///
/// let date = Date::from_calendar_date(2030, Month::January, 7).unwrap();
/// assert_eq!(date.to_string(), "2030-01-07");
/// assert!(Date::from_calendar_date(2030, Month::February, 30).is_err());
/// ```
pub use time::{Date, Month};

/// What a shop asks for: `money` every `interval`, under the shop's own `subscription_id`.
///
/// Fields one gateway needs and another cannot take are refused by the other with
/// [`Error::Unsupported`](crate::Error::Unsupported) before anything is sent, never
/// silently dropped. See the table on [`Subscriptions`](crate::gateway::Subscriptions).
///
/// ```
/// use payments_core::subscription::{Date, Interval, Month, SubscriptionRequest};
/// use payments_core::payment::OrderId;
/// use payments_core::{Currency, Money};
///
/// // A Fena standing order: 9.99 GBP a month, 12 times, the first on 7 January 2030.
/// let request = SubscriptionRequest::new(OrderId::new("sub-0001")?, Money::parse("9.99", Currency::GBP)?, Interval::Month)
///     .with_first_charge_on(Date::from_calendar_date(2030, Month::January, 7).unwrap())
///     .with_number_of_charges(12);
/// assert_eq!(request.number_of_charges, Some(12));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriptionRequest {
    /// The shop's id for the subscription: Fena's `reference` (1 to 12 lower-case letters,
    /// digits, dashes), Freekassa's `paymentId` of the first charge.
    pub subscription_id: OrderId,
    /// The amount of each charge.
    pub money: Money,
    /// How often.
    pub interval: Interval,
    /// The date of the first charge. Fena: required (`recurringPaymentDate`, at least six
    /// working days ahead). Freekassa: the first charge is paid now, so a date is refused.
    pub first_charge_on: Option<Date>,
    /// How many charges in all. Fena: `numberOfPayments` (none: no end). Freekassa documents
    /// no end, so a number is refused.
    pub number_of_charges: Option<u32>,
    /// What it is for. Freekassa: required (`recurrent_description`, 10 to 200 characters).
    /// Fena's standing order has no description, so one is refused.
    pub description: Option<String>,
    /// Who pays. Fena sends the name and e-mail; Freekassa needs the e-mail and the IP
    /// address and sends the phone.
    pub customer: Customer,
    /// The payment method. Freekassa: the payment-system id `i`, required. Fena: refused.
    pub payment_method: Option<String>,
}

impl SubscriptionRequest {
    /// A subscription of `money` every `interval`, with nothing else set.
    ///
    /// ```
    /// use payments_core::subscription::{Interval, SubscriptionRequest};
    /// use payments_core::{payment::OrderId, Currency, Money};
    ///
    /// let request = SubscriptionRequest::new(OrderId::new("sub-1")?, Money::parse("299", Currency::RUB)?, Interval::Month);
    /// assert!(request.description.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(subscription_id: OrderId, money: Money, interval: Interval) -> Self {
        Self {
            subscription_id,
            money,
            interval,
            first_charge_on: None,
            number_of_charges: None,
            description: None,
            customer: Customer::default(),
            payment_method: None,
        }
    }

    /// Sets the date of the first charge (Fena).
    ///
    /// ```
    /// # use payments_core::subscription::{Date, Interval, Month, SubscriptionRequest};
    /// # use payments_core::{payment::OrderId, Currency, Money};
    /// let date = Date::from_calendar_date(2030, Month::January, 7).unwrap();
    /// let request = SubscriptionRequest::new(OrderId::new("s")?, Money::parse("1", Currency::GBP)?, Interval::Week)
    ///     .with_first_charge_on(date);
    /// assert_eq!(request.first_charge_on, Some(date));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_first_charge_on(mut self, date: Date) -> Self {
        self.first_charge_on = Some(date);
        self
    }

    /// Sets how many charges in all (Fena).
    ///
    /// ```
    /// # use payments_core::subscription::{Interval, SubscriptionRequest};
    /// # use payments_core::{payment::OrderId, Currency, Money};
    /// let request = SubscriptionRequest::new(OrderId::new("s")?, Money::parse("1", Currency::GBP)?, Interval::Week)
    ///     .with_number_of_charges(4);
    /// assert_eq!(request.number_of_charges, Some(4));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_number_of_charges(mut self, count: u32) -> Self {
        self.number_of_charges = Some(count);
        self
    }

    /// Sets what it is for (Freekassa).
    ///
    /// ```
    /// # use payments_core::subscription::{Interval, SubscriptionRequest};
    /// # use payments_core::{payment::OrderId, Currency, Money};
    /// let request = SubscriptionRequest::new(OrderId::new("s")?, Money::parse("1", Currency::RUB)?, Interval::Day)
    ///     .with_description("VPN subscription");
    /// assert_eq!(request.description.as_deref(), Some("VPN subscription"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets who pays.
    ///
    /// ```
    /// # use payments_core::subscription::{Interval, SubscriptionRequest};
    /// # use payments_core::{payment::{Customer, OrderId}, Currency, Money};
    /// let request = SubscriptionRequest::new(OrderId::new("s")?, Money::parse("1", Currency::RUB)?, Interval::Day)
    ///     .with_customer(Customer::default().with_email("user@example.com"));
    /// assert_eq!(request.customer.email.as_deref(), Some("user@example.com"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_customer(mut self, customer: Customer) -> Self {
        self.customer = customer;
        self
    }

    /// Sets the payment method (Freekassa's payment-system id `i`).
    ///
    /// ```
    /// # use payments_core::subscription::{Interval, SubscriptionRequest};
    /// # use payments_core::{payment::OrderId, Currency, Money};
    /// let request = SubscriptionRequest::new(OrderId::new("s")?, Money::parse("1", Currency::RUB)?, Interval::Day)
    ///     .with_payment_method("36");
    /// assert_eq!(request.payment_method.as_deref(), Some("36"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_payment_method(mut self, method: impl Into<String>) -> Self {
        self.payment_method = Some(method.into());
        self
    }
}

/// Where a subscription stands, in terms shared by both gateways (the table on
/// [`Subscriptions`](crate::gateway::Subscriptions) says what each gateway's state becomes).
///
/// ```
/// use payments_core::subscription::SubscriptionStatus;
///
/// assert!(SubscriptionStatus::Cancelled.is_final());
/// assert!(!SubscriptionStatus::AwaitingPayer.is_final());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SubscriptionStatus {
    /// Created; the payer has not yet set it up (Fena) or paid the first charge (Freekassa).
    AwaitingPayer,
    /// Set up and charging.
    Active,
    /// Charging, with a problem (a missed or partial payment).
    Warning,
    /// Refused or abandoned before it was set up.
    Rejected,
    /// Cancelled; no further charges are expected.
    Cancelled,
    /// Every expected charge was made.
    Completed,
    /// A state this SDK does not know, as the gateway sent it.
    Unknown(String),
}

impl SubscriptionStatus {
    /// Whether no further charge can come: cancelled or completed.
    ///
    /// ```
    /// assert!(payments_core::subscription::SubscriptionStatus::Completed.is_final());
    /// ```
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Cancelled | Self::Completed)
    }
}

/// A subscription as the gateway answered.
///
/// ```
/// use payments_core::subscription::{Subscription, SubscriptionStatus};
/// use payments_core::GatewayId;
///
/// let subscription = Subscription::new(GatewayId::Fena, "r1", "sub-0001", SubscriptionStatus::AwaitingPayer);
/// assert_eq!(subscription.gateway_subscription_id, "r1");
/// assert!(subscription.payer_url.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Subscription {
    /// Which gateway holds it.
    pub gateway: GatewayId,
    /// The gateway's id: the one to pass to
    /// [`subscription_status`](crate::gateway::Subscriptions::subscription_status) and
    /// [`cancel_subscription`](crate::gateway::Subscriptions::cancel_subscription). Fena: the
    /// recurring payment's `id`. Freekassa: `recurrent_order.id`, the id of the repeat charges.
    pub gateway_subscription_id: String,
    /// The shop's id (Fena's reference, Freekassa's `paymentId` of the first charge).
    pub subscription_id: String,
    /// Where it stands.
    pub status: SubscriptionStatus,
    /// Where to send the payer: Fena's link to set the standing order up, Freekassa's payment
    /// page for the first charge.
    pub payer_url: Option<Url>,
    /// When the next (Freekassa) or first (Fena) charge is due, as the gateway wrote it.
    pub next_charge_at: Option<String>,
    /// The gateway's id of the first charge, when there is one (Freekassa's `orderId`).
    pub first_charge_id: Option<String>,
}

impl Subscription {
    /// A subscription with the ids and the status, nothing else set.
    ///
    /// ```
    /// # use payments_core::subscription::{Subscription, SubscriptionStatus};
    /// # use payments_core::GatewayId;
    /// let subscription = Subscription::new(GatewayId::Freekassa, "91", "sub-1", SubscriptionStatus::AwaitingPayer);
    /// assert_eq!(subscription.subscription_id, "sub-1");
    /// ```
    pub fn new(
        gateway: GatewayId,
        gateway_subscription_id: impl Into<String>,
        subscription_id: impl Into<String>,
        status: SubscriptionStatus,
    ) -> Self {
        Self {
            gateway,
            gateway_subscription_id: gateway_subscription_id.into(),
            subscription_id: subscription_id.into(),
            status,
            payer_url: None,
            next_charge_at: None,
            first_charge_id: None,
        }
    }
}
