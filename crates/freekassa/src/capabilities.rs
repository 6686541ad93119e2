//! The core capability traits on the [`Client`]: what a shop uses when it picks the gateway
//! at run time. Notifications are verified by
//! [`NotificationVerifier`](crate::webhook::NotificationVerifier), not by the client.

use async_trait::async_trait;
use payments_core::gateway::{
    Balances, CreatePayment, Gateway, Payouts, QueryPaymentStatus, Refunds,
};
use payments_core::payment::{OrderId, PaymentLink, PaymentRequest};
use payments_core::report::{
    Balance, PaymentReport, PayoutReport, PayoutRequest, PayoutStatus, RefundReport, RefundRequest,
};
use payments_core::{Decimal, GatewayId, Money};

use crate::api::orders::{OrderRef, OrderRefund};
use crate::api::withdrawals::WithdrawalCreate;
use crate::client::Client;
use crate::form::PaymentForm;
use crate::model::PaymentSystemId;

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
    async fn create_payment(
        &self,
        request: &PaymentRequest,
    ) -> Result<PaymentLink, payments_core::Error> {
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
        Ok(PaymentLink::Redirect(link.url().clone()))
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
