//! The core capability traits ([`payments_core::gateway`]) on the Toolkit [`Client`]: how a
//! shop that does not know the gateway creates a payment and reads a Toolkit webhook through
//! Fena. (The JWT flow's [`Terminal`](crate::Terminal) implements them in `terminal.rs`.)

use async_trait::async_trait;
use payments_core::Money;
use payments_core::gateway::{
    CreatePayment, Gateway, GatewayId, QueryPaymentStatus, WebhookVerifier,
};
use payments_core::notification::Notification;
use payments_core::payment::{OrderId, PaymentLink, PaymentRequest};
use payments_core::report::PaymentReport;
use payments_core::response::CallError;
use payments_core::webhook::{WebhookAck, WebhookRequest};

use crate::amount::CURRENCY;
use crate::api::payment::{PaymentCreate, PaymentGet};
use crate::client::Client;
use crate::error::Error;
use crate::model::PaymentMethod;
use crate::webhook::{ACK, ToolkitScope, ToolkitTrigger};

impl Gateway for Client {
    fn id(&self) -> GatewayId {
        GatewayId::Fena
    }
}

#[async_trait]
impl CreatePayment for Client {
    /// Creates a Toolkit payment (`create-and-process`) and returns its link. The order id
    /// is sent as the reference, so it must be 1 to 12 letters, digits or dashes; the
    /// success URL becomes the payment's redirect URL.
    async fn create_payment(
        &self,
        request: &PaymentRequest,
    ) -> Result<PaymentLink, payments_core::Error> {
        let mut create =
            PaymentCreate::new(request.order_id.as_str(), request.money).map_err(Error::from)?;
        create.customer_name = request.customer.name.clone();
        create.customer_email = request.customer.email.clone();
        create.custom_redirect_url = request.success_url.clone();
        create.description = request.description.clone();
        create.payment_method = request.payment_method.as_deref().map(|method| match method {
            "fena_ob" => PaymentMethod::OpenBanking,
            "fena_ob_qr" => PaymentMethod::OpenBankingQr,
            other => PaymentMethod::Other(other.to_owned()),
        });
        let created = self.create_and_process(&create).await?;
        Ok(PaymentLink::Redirect(created.link))
    }
}

#[async_trait]
impl WebhookVerifier for Client {
    fn gateway(&self) -> GatewayId {
        GatewayId::Fena
    }

    /// Reads the unsigned Toolkit webhook as a trigger and, for a single payment, fetches the
    /// payment it names with authenticated credentials. The notification is built only from
    /// the fetched payment (reference as order id, its amount and status); check it with
    /// [`Notification::check_order`] against the stored order before marking it paid.
    ///
    /// Only single payments become a core [`Notification`]: a recurring-payment or
    /// bank-account event is refused ([`Error::UnhandledWebhookScope`], a webhook error in
    /// the core terms) before anything is fetched, because the core notification describes
    /// one payment of one order and neither event is that. Handle those with
    /// [`Client::verify_request`], which confirms every scope. An unknown scope is refused
    /// ([`Error::UnknownWebhookScope`]).
    async fn verify(&self, request: &WebhookRequest) -> Result<Notification, payments_core::Error> {
        let trigger = ToolkitTrigger::parse(&request.body, self.config().max_webhook_bytes())?;
        match trigger.scope {
            ToolkitScope::SinglePayment => {}
            ToolkitScope::RecurringPayment => {
                return Err(Error::UnhandledWebhookScope {
                    scope: "recurring-payments",
                    reason: "a standing order is not one payment of one order; confirm it with \
                             fena::Client::verify_request",
                }
                .into());
            }
            ToolkitScope::BankAccount => {
                return Err(Error::UnhandledWebhookScope {
                    scope: "bank-accounts",
                    reason: "a bank-account event is about no payment; confirm it with \
                             fena::Client::verify_request",
                }
                .into());
            }
        }
        let fetched = self.get_payment(&trigger.id).await?;
        let money = Money::new(fetched.amount, CURRENCY).map_err(|_| Error::Call {
            endpoint: PaymentGet::ENDPOINT,
            source: CallError::integrity("amount", "a positive GBP amount", fetched.amount),
        })?;
        let status = fetched.status.to_core();
        Ok(Notification::new(GatewayId::Fena, fetched.reference, Some(fetched.id), money, status)
            .with_raw_fields(trigger.raw_fields))
    }

    fn ack(&self) -> WebhookAck {
        ACK
    }
}

/// Whether `id` could be a Toolkit payment reference (1 to 12 letters, digits or dashes),
/// rather than Fena's payment id (24 hexadecimal digits in the docs).
fn could_be_reference(id: &str) -> bool {
    (1..=12).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

#[async_trait]
impl QueryPaymentStatus for Client {
    /// The state of a Toolkit payment, by **Fena's payment id** (the `id` that
    /// `create-and-process` returned, e.g. `62b48c5b6ba2cd6a040b20a8`), not by the shop's
    /// reference: `GET open/payments/single/{id}`. The report's order id is the fetched
    /// payment's reference, and its money the fetched amount in GBP.
    ///
    /// The Toolkit documents no call that finds a payment by its reference, so an id that
    /// could be a reference (1 to 12 letters, digits or dashes: Fena's ids are 24 characters)
    /// is refused with [`payments_core::Error::Unsupported`] before anything is sent.
    async fn payment_status(
        &self,
        order_id: &OrderId,
    ) -> Result<PaymentReport, payments_core::Error> {
        let id = order_id.as_str();
        if could_be_reference(id) {
            return Err(payments_core::Error::Unsupported {
                gateway: GatewayId::Fena,
                capability: format!(
                    "payment status by the shop's reference {id:?}: the Toolkit documents no \
                     lookup by reference; pass Fena's payment id that create-and-process returned"
                ),
            });
        }
        let fetched = self.get_payment(id).await?;
        let money = Money::new(fetched.amount, CURRENCY).ok();
        Ok(PaymentReport::new(fetched.reference, Some(fetched.id), fetched.status.to_core(), money))
    }
}
