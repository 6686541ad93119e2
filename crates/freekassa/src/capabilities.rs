//! The core capability traits on the [`Client`]: what a shop uses when it picks the gateway
//! at run time. Notifications are verified by
//! [`NotificationVerifier`](crate::webhook::NotificationVerifier), not by the client.

use async_trait::async_trait;
use payments_core::gateway::{
    Balances, CreatePayment, Gateway, Payouts, QueryPaymentStatus, Refunds, Subscriptions,
};
use payments_core::payment::{
    Customer, OrderId, PaymentCreated, PaymentLink, PaymentRequest, PaymentStatus,
};
use payments_core::report::{
    Balance, PaymentReport, PayoutReport, PayoutRequest, PayoutStatus, RefundReport, RefundRequest,
};
use payments_core::subscription::{
    Interval, Subscription, SubscriptionRequest, SubscriptionStatus,
};
use payments_core::{Decimal, GatewayId, Money};

use crate::api::orders::{OrderCreate, OrderRef, OrderRefund, Recurrence};
use crate::api::withdrawals::WithdrawalCreate;
use crate::client::Client;
use crate::form::PaymentForm;
use crate::model::{PaymentSystemId, RecurrentPeriod};

impl Gateway for Client {
    fn id(&self) -> GatewayId {
        GatewayId::Freekassa
    }
}

fn unsupported(capability: &str) -> payments_core::Error {
    payments_core::Error::Unsupported {
        gateway: GatewayId::Freekassa,
        capability: capability.to_owned(),
    }
}

fn payment_system(method: &str) -> Result<PaymentSystemId, payments_core::Error> {
    method
        .parse::<PaymentSystemId>()
        .map_err(|source| payments_core::Error::Input { gateway: GatewayId::Freekassa, source })
}

#[async_trait]
impl CreatePayment for Client {
    /// A payment form link (SCI; nothing is sent). `payment_method` is the `i` id, the
    /// customer's e-mail and phone are passed on. Return and notification URLs are cabinet
    /// settings for the form, so asking for them here is [`payments_core::Error::Unsupported`].
    /// No gateway payment id: nothing is created until the payer submits the form (the
    /// notification's `intid` is Freekassa's id).
    async fn create_payment(
        &self,
        request: &PaymentRequest,
    ) -> Result<PaymentCreated, payments_core::Error> {
        if request.success_url.is_some()
            || request.failure_url.is_some()
            || request.notification_url.is_some()
        {
            return Err(unsupported(
                "per-payment return or notification URLs on the payment form (set them in the cabinet)",
            ));
        }
        let mut form = PaymentForm::new(request.order_id.clone(), request.money);
        if let Some(method) = &request.payment_method {
            form = form.with_payment_system(payment_system(method)?);
        }
        form.email = request.customer.email.clone();
        form.phone = request.customer.phone.clone();
        let link = self.payment_form(&form)?;
        Ok(PaymentCreated::new(PaymentLink::Redirect(link.url().clone())))
    }
}

#[async_trait]
impl QueryPaymentStatus for Client {
    /// Looks the order up by the shop's id (`orders` with `paymentId`).
    async fn payment_status(
        &self,
        order_id: &OrderId,
    ) -> Result<PaymentReport, payments_core::Error> {
        let order = self.find_order(order_id).await?;
        let money = crate::model::currency_from_code(&order.currency)
            .ok()
            .and_then(|currency| Money::new(order.amount, currency).ok());
        Ok(PaymentReport::new(
            order_id.as_str(),
            Some(order.fk_order_id.to_string()),
            order.status.to_payment_status(),
            money,
        ))
    }
}

#[async_trait]
impl Refunds for Client {
    /// Refunds a whole order (`orders/refund`), by Freekassa's order number when given, else
    /// by the shop's. Partial refunds are not documented, so asking for one is
    /// [`payments_core::Error::Unsupported`].
    async fn refund(&self, request: &RefundRequest) -> Result<RefundReport, payments_core::Error> {
        if request.money.is_some() {
            return Err(unsupported("partial refunds"));
        }
        let order = match &request.gateway_payment_id {
            Some(id) => OrderRef::OrderId(id.parse().map_err(|_| payments_core::Error::Input {
                gateway: GatewayId::Freekassa,
                source: payments_core::InputError::field(
                    "orderId",
                    format!("{id:?} is not a Freekassa order number"),
                ),
            })?),
            None => OrderRef::PaymentId(request.order_id.clone()),
        };
        let refund = self.refund_order(&OrderRefund::new(order)).await?;
        Ok(RefundReport::new(Some(refund.id.to_string()), PayoutStatus::Pending))
    }
}

#[async_trait]
impl Payouts for Client {
    /// `withdrawals/create`; `method` is the payment-system id (`i`) and is required.
    async fn create_payout(
        &self,
        request: &PayoutRequest,
    ) -> Result<PayoutReport, payments_core::Error> {
        let method = request.method.as_deref().ok_or_else(|| payments_core::Error::Input {
            gateway: GatewayId::Freekassa,
            source: payments_core::InputError::field("i", "a payout needs a payment-system id"),
        })?;
        let create = WithdrawalCreate::new(
            request.payout_id.clone(),
            request.money,
            payment_system(method)?,
            request.destination.clone(),
        );
        let created = self.create_withdrawal(&create).await?;
        Ok(PayoutReport::new(
            request.payout_id.as_str(),
            Some(created.id.to_string()),
            PayoutStatus::Pending,
        ))
    }

    /// Looks the payout up by the shop's id. Payout status codes are not documented, so the
    /// status is [`PayoutStatus::Unknown`] with Freekassa's code.
    async fn payout_status(
        &self,
        payout_id: &OrderId,
    ) -> Result<PayoutReport, payments_core::Error> {
        let withdrawal = self.find_withdrawal(payout_id).await?;
        let status = withdrawal.status.map_or_else(|| "none".to_owned(), |code| code.to_string());
        Ok(PayoutReport::new(
            payout_id.as_str(),
            Some(withdrawal.id.to_string()),
            PayoutStatus::Unknown(status),
        ))
    }
}

#[async_trait]
impl Balances for Client {
    /// The balances in ISO 4217 currencies (crypto balances are in [`Client::balance`]).
    /// Freekassa reports no held amount, so `held` is zero.
    async fn balances(&self) -> Result<Vec<Balance>, payments_core::Error> {
        let entries = self.balance().await?;
        Ok(entries
            .into_iter()
            .filter_map(|entry| {
                let currency = payments_core::money::currency_from_code(&entry.currency).ok()?;
                Some(Balance::new(currency, entry.value, Decimal::ZERO))
            })
            .collect())
    }
}

fn missing(field: &'static str, reason: &str) -> payments_core::Error {
    payments_core::Error::Input {
        gateway: GatewayId::Freekassa,
        source: payments_core::InputError::field(field, reason),
    }
}

/// Builds the first charge, refusing what Freekassa documents no field for.
fn first_charge(request: &SubscriptionRequest) -> Result<OrderCreate, payments_core::Error> {
    let period = match request.interval {
        Interval::Day => RecurrentPeriod::Day,
        Interval::Week => RecurrentPeriod::Week,
        Interval::Month => RecurrentPeriod::Month,
        Interval::Year => RecurrentPeriod::Year,
        other => return Err(unsupported(&format!("a subscription every {other}"))),
    };
    if request.first_charge_on.is_some() {
        return Err(unsupported(
            "a first charge date for a subscription (the first charge is paid now)",
        ));
    }
    if request.number_of_charges.is_some() {
        return Err(unsupported("a number of charges for a subscription (no end is documented)"));
    }
    let description = request.description.as_deref().ok_or_else(|| {
        missing(
            "recurrent_description",
            "a subscription needs a description (10 to 200 characters)",
        )
    })?;
    let order = charge_order(
        "a subscription's first charge",
        request.subscription_id.clone(),
        request.money,
        request.payment_method.as_deref(),
        &request.customer,
    )?;
    Ok(order.with_recurrence(Recurrence::new(period, description)))
}

/// An `orders/create` of a subscription's charge, first or repeated (`what` names it in
/// errors): the payment method `i`, the payer's e-mail and IP address are required, the
/// phone passed on.
fn charge_order(
    what: &str,
    order_id: OrderId,
    money: Money,
    method: Option<&str>,
    customer: &Customer,
) -> Result<OrderCreate, payments_core::Error> {
    let method =
        method.ok_or_else(|| missing("i", &format!("{what} needs a payment-system id")))?;
    let email = customer
        .email
        .as_deref()
        .ok_or_else(|| missing("email", &format!("{what} needs the payer's e-mail")))?;
    let ip = customer
        .ip
        .ok_or_else(|| missing("ip", &format!("{what} needs the payer's IP address")))?;
    let order = OrderCreate::new(order_id, money, payment_system(method)?, email, ip.to_string());
    Ok(match &customer.phone {
        Some(phone) => order.with_phone(phone.clone()),
        None => order,
    })
}

#[async_trait]
impl Subscriptions for Client {
    /// The first charge of a subscription: `orders/create` with `recurrent = "Y"`,
    /// `recurrent_period` and `recurrent_description`; send the payer to
    /// [`Subscription::payer_url`]. The returned id is `recurrent_order.id`: after the first
    /// charge is paid and `next_charge_at` is reached, **the shop** charges again with
    /// [`Subscriptions::charge_subscription`] (or [`Client::create_order`] and
    /// [`OrderCreate::with_recurrent_order_id`](crate::api::orders::OrderCreate::with_recurrent_order_id));
    /// Freekassa does not charge on its own.
    ///
    /// Needs the description, the payment method (`i`), the payer's e-mail and IP address.
    /// A first charge date, a number of charges or a quarterly interval is
    /// [`payments_core::Error::Unsupported`]. An answer without `recurrent_order` is an
    /// integrity error: the order may have been created without a subscription.
    async fn create_subscription(
        &self,
        request: &SubscriptionRequest,
    ) -> Result<Subscription, payments_core::Error> {
        let order = first_charge(request)?;
        let created = self.create_order(&order).await?;
        let recurrent = created.recurrent_order.ok_or_else(|| {
            payments_core::Error::from(crate::Error::Call {
                endpoint: OrderCreate::ENDPOINT,
                source: payments_core::response::CallError::integrity(
                    "recurrent_order",
                    "a subscription",
                    "none",
                ),
            })
        })?;
        let mut subscription = Subscription::new(
            GatewayId::Freekassa,
            recurrent.id.to_string(),
            request.subscription_id.as_str(),
            SubscriptionStatus::AwaitingPayer,
        );
        subscription.payer_url = Some(created.location);
        subscription.next_charge_at = recurrent.pay_date_at;
        subscription.first_charge_id = Some(created.order_id.to_string());
        Ok(subscription)
    }

    /// Always [`payments_core::Error::Unsupported`]: Freekassa documents no endpoint that
    /// reads a subscription. Each charge is an order: read it with
    /// [`QueryPaymentStatus::payment_status`] by its `paymentId`.
    async fn subscription_status(
        &self,
        gateway_subscription_id: &str,
    ) -> Result<Subscription, payments_core::Error> {
        Err(unsupported(&format!(
            "reading subscription {gateway_subscription_id:?}: Freekassa documents no endpoint \
             for it; read each charge's order by its paymentId"
        )))
    }

    /// Always [`payments_core::Error::Unsupported`]: Freekassa documents no cancellation. The
    /// shop ends a subscription by sending no further repeat charges.
    async fn cancel_subscription(
        &self,
        gateway_subscription_id: &str,
    ) -> Result<(), payments_core::Error> {
        Err(unsupported(&format!(
            "cancelling subscription {gateway_subscription_id:?}: Freekassa documents no \
             endpoint for it; stop sending repeat charges"
        )))
    }

    /// A repeat charge: `orders/create` with `recurrent_order_id` (the subscription's
    /// `recurrent_order.id`), the charge's own `paymentId` (its order id), the payment method
    /// `i`, the payer's e-mail and IP address (all required, as for the first charge); the
    /// request's success, failure and notification URLs are sent as `orders/create` takes
    /// them (they need activation by Freekassa's support). A description is
    /// [`payments_core::Error::Unsupported`]: a repeat charge has no field for it. The
    /// report is the created order, pending until its notification arrives.
    async fn charge_subscription(
        &self,
        gateway_subscription_id: &str,
        charge: &PaymentRequest,
    ) -> Result<PaymentReport, payments_core::Error> {
        if charge.description.is_some() {
            return Err(unsupported(
                "a description on a repeat charge (orders/create has no field for it)",
            ));
        }
        let recurrent_order_id = gateway_subscription_id.parse::<u64>().map_err(|_| {
            missing("recurrent_order_id", "a Freekassa subscription id is a number")
        })?;
        let mut order = charge_order(
            "a repeat charge",
            charge.order_id.clone(),
            charge.money,
            charge.payment_method.as_deref(),
            &charge.customer,
        )?
        .with_recurrent_order_id(recurrent_order_id)
        .with_return_urls(charge.success_url.clone(), charge.failure_url.clone());
        if let Some(url) = &charge.notification_url {
            order = order.with_notification_url(url.clone());
        }
        let created = self.create_order(&order).await?;
        Ok(PaymentReport::new(
            charge.order_id.as_str(),
            Some(created.order_id.to_string()),
            PaymentStatus::Pending,
            Some(charge.money),
        ))
    }
}
