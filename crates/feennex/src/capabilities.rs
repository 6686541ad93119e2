//! The core capability traits ([`payments_core::gateway`]) on [`Client`] and
//! [`CallbackVerifier`]: how a shop that does not know the gateway creates payments, reads
//! their status, pays out, reads balances and verifies callbacks through Feennex.

use async_trait::async_trait;
use payments_core::gateway::{
    Balances, CreatePayment, Gateway, Payouts, QueryPaymentStatus, WebhookVerifier,
};
use payments_core::notification::Notification;
use payments_core::payment::{OrderId, PaymentCreated, PaymentLink, PaymentRequest};
use payments_core::report::{Balance, PaymentReport, PayoutReport, PayoutRequest};
use payments_core::response::CallError;
use payments_core::webhook::{WebhookAck, WebhookRequest};
use payments_core::{GatewayId, InputError, Money};

use crate::api::bill::BillCreate;
use crate::api::invoice::InvoiceCreate;
use crate::api::withdraw::{WithdrawAmountType, WithdrawCreate, WithdrawStatusQuery};
use crate::client::Client;
use crate::error::Error;
use crate::model::ErrorCode;
use crate::webhook::CallbackVerifier;

impl Gateway for Client {
    fn id(&self) -> GatewayId {
        GatewayId::Feennex
    }
}

#[async_trait]
impl CreatePayment for Client {
    /// With a payment method (a payway such as `card_usd`), an invoice (`invoice/create`);
    /// without one, a wallet bill (`bill/create`). The gateway payment id is the invoice's or
    /// the bill's id.
    async fn create_payment(
        &self,
        request: &PaymentRequest,
    ) -> Result<PaymentCreated, payments_core::Error> {
        if let Some(payway) = &request.payment_method {
            let mut invoice =
                InvoiceCreate::new(request.order_id.clone(), request.money, payway.clone())
                    .with_urls(
                        request.success_url.clone(),
                        request.failure_url.clone(),
                        request.notification_url.clone(),
                    );
            invoice.description = request.description.clone();
            invoice.email = request.customer.email.clone();
            invoice.phone = request.customer.phone.clone();
            let created = self.create_invoice(&invoice).await?;
            let link =
                created.to_payment_link().ok_or_else(|| payments_core::Error::Unsupported {
                    gateway: GatewayId::Feennex,
                    capability: format!(
                        "payment method {:?} answered {:?}, which is not a redirect or form",
                        payway, created.method
                    ),
                })?;
            return Ok(PaymentCreated::new(link).with_gateway_payment_id(created.id.to_string()));
        }
        let mut bill = BillCreate::new(request.order_id.clone(), request.money)
            .with_return_urls(request.success_url.clone(), request.failure_url.clone())
            .with_callback_urls(request.notification_url.clone(), request.notification_url.clone());
        bill.description = request.description.clone();
        let bill = self.create_bill(&bill).await?;
        Ok(PaymentCreated::new(PaymentLink::Redirect(bill.url))
            .with_gateway_payment_id(bill.id.to_string()))
    }
}

#[async_trait]
impl QueryPaymentStatus for Client {
    /// Asks `invoice/check`; if Feennex has no invoice for the order, asks
    /// `bill/shop_order_status`.
    async fn payment_status(
        &self,
        order_id: &OrderId,
    ) -> Result<PaymentReport, payments_core::Error> {
        match self.invoice_status(order_id).await {
            Ok(invoice) => Ok(PaymentReport::new(
                invoice.shop_order_id.clone(),
                Some(invoice.payment_id.to_string()),
                invoice.status.to_core(),
                report_money(invoice.shop_amount, invoice.shop_currency),
            )),
            // No invoice for the order, or no `invoice/check` at all (its path is not in
            // Feennex's own documentation): ask the wallet-bill status instead.
            Err(
                Error::Api { code: ErrorCode::OperationNotFound, .. }
                | Error::Call { source: CallError::Http { http_status: 404, .. }, .. },
            ) => {
                let bill = self.bill_status(order_id).await?;
                Ok(PaymentReport::new(
                    bill.shop_order_id.clone(),
                    Some(bill.payment_id.to_string()),
                    bill.status.to_core(),
                    report_money(bill.shop_amount, bill.shop_currency),
                ))
            }
            Err(other) => Err(other.into()),
        }
    }
}

fn report_money(amount: payments_core::Decimal, numeric: u64) -> Option<Money> {
    let currency =
        payments_core::money::currency_from_numeric(u16::try_from(numeric).ok()?).ok()?;
    Money::new(amount, currency).ok()
}

#[async_trait]
impl Payouts for Client {
    /// A withdrawal (`withdraw/create`) in which the recipient receives exactly the amount;
    /// the payout method is the payway and is required. The shop pays from its balance in the
    /// same currency.
    async fn create_payout(
        &self,
        request: &PayoutRequest,
    ) -> Result<PayoutReport, payments_core::Error> {
        let payway = request.method.clone().ok_or_else(|| {
            Error::Input(InputError::field(
                "payway",
                "a Feennex payout needs a payway (PayoutRequest::with_method)",
            ))
        })?;
        let withdraw = WithdrawCreate::new(
            request.payout_id.clone(),
            payway,
            request.destination.clone(),
            request.money,
            WithdrawAmountType::PsAmount,
            request.money.currency(),
        );
        let created = self.create_withdraw(&withdraw).await?;
        Ok(PayoutReport::new(
            created.shop_payment_id,
            Some(created.id.to_string()),
            created.status.to_core(),
        ))
    }

    async fn payout_status(
        &self,
        payout_id: &OrderId,
    ) -> Result<PayoutReport, payments_core::Error> {
        let report = self
            .withdraw_status(&WithdrawStatusQuery::by_shop_payment_id(payout_id.clone()))
            .await?;
        Ok(PayoutReport::new(
            report.shop_payment_id,
            Some(report.id.to_string()),
            report.status.to_core(),
        ))
    }
}

#[async_trait]
impl Balances for Client {
    async fn balances(&self) -> Result<Vec<Balance>, payments_core::Error> {
        Ok(self.balance().await?.to_core())
    }
}

#[async_trait]
impl WebhookVerifier for Client {
    fn gateway(&self) -> GatewayId {
        GatewayId::Feennex
    }

    async fn verify(&self, request: &WebhookRequest) -> Result<Notification, payments_core::Error> {
        WebhookVerifier::verify(self.callbacks(), request).await
    }

    fn ack(&self) -> WebhookAck {
        self.callbacks().ack()
    }

    fn key_fields(&self, request: &WebhookRequest) -> Vec<(&'static str, String)> {
        WebhookVerifier::key_fields(self.callbacks(), request)
    }
}

#[async_trait]
impl WebhookVerifier for CallbackVerifier {
    fn gateway(&self) -> GatewayId {
        GatewayId::Feennex
    }

    async fn verify(&self, request: &WebhookRequest) -> Result<Notification, payments_core::Error> {
        let callback = CallbackVerifier::verify_request(self, request)?;
        callback.to_notification().map_err(|source| Error::Webhook(source).into())
    }

    fn ack(&self) -> WebhookAck {
        CallbackVerifier::ack(self)
    }

    fn key_fields(&self, request: &WebhookRequest) -> Vec<(&'static str, String)> {
        crate::webhook::callback_fields(request)
            .map(|fields| fields.pick(KEY_FIELDS))
            .unwrap_or_default()
    }
}

/// What a refused callback's log shows of it (unverified).
const KEY_FIELDS: &[&str] =
    &["shop_id", "shop_order_id", "shop_amount", "shop_currency", "status", "payment_id"];
