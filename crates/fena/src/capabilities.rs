//! The core capability traits ([`payments_core::gateway`]) on the Toolkit [`Client`]: how a
//! shop that does not know the gateway creates a payment and reads a Toolkit webhook through
//! Fena. (The JWT flow's [`Terminal`](crate::Terminal) implements them in `terminal.rs`.)

use async_trait::async_trait;
use payments_core::Money;
use payments_core::gateway::{
    CreatePayment, Gateway, GatewayId, QueryPaymentStatus, Subscriptions, WebhookVerifier,
};
use payments_core::notification::Notification;
use payments_core::payment::{OrderId, PaymentCreated, PaymentLink, PaymentRequest};
use payments_core::report::PaymentReport;
use payments_core::response::CallError;
use payments_core::subscription::{
    Interval, Subscription, SubscriptionRequest, SubscriptionStatus,
};
use payments_core::webhook::{WebhookAck, WebhookRequest};

use crate::amount::CURRENCY;
use crate::api::payment::{PaymentCreate, PaymentGet};
use crate::api::recurring::{Frequency, RecurringCreate, RecurringPayment, RecurringStatus};
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
    /// Creates a Toolkit payment (`create-and-process`) and returns its link and Fena's
    /// payment id (keep it: `payment_status` takes it). The order id
    /// is sent as the reference, so it must be 1 to 12 letters, digits or dashes; the
    /// success URL becomes the payment's redirect URL.
    async fn create_payment(
        &self,
        request: &PaymentRequest,
    ) -> Result<PaymentCreated, payments_core::Error> {
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
        Ok(PaymentCreated::new(PaymentLink::Redirect(created.link))
            .with_gateway_payment_id(created.id))
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
        // The id was fetched with the API key, so it may tell the payments of one reference
        // apart: each payment of a standing order comes under its reference, and each must be
        // handled once (without it, the seen-store would skip every one after the first).
        let charge = fetched.id.clone();
        Ok(Notification::new(GatewayId::Fena, fetched.reference, Some(fetched.id), money, status)
            .with_raw_fields(trigger.raw_fields)
            .with_charge_id(charge))
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

fn unsupported(capability: impl Into<String>) -> payments_core::Error {
    payments_core::Error::Unsupported { gateway: GatewayId::Fena, capability: capability.into() }
}

fn to_subscription(recurring: RecurringPayment) -> Subscription {
    let status = match &recurring.status {
        RecurringStatus::Draft | RecurringStatus::Sent | RecurringStatus::Overdue => {
            SubscriptionStatus::AwaitingPayer
        }
        RecurringStatus::Active => SubscriptionStatus::Active,
        RecurringStatus::Warning => SubscriptionStatus::Warning,
        RecurringStatus::Rejected => SubscriptionStatus::Rejected,
        RecurringStatus::Cancelled => SubscriptionStatus::Cancelled,
        RecurringStatus::Completed => SubscriptionStatus::Completed,
        other => SubscriptionStatus::Unknown(other.to_string()),
    };
    let mut subscription =
        Subscription::new(GatewayId::Fena, recurring.id, recurring.reference, status);
    subscription.payer_url = recurring.link.as_deref().and_then(|link| link.parse().ok());
    subscription.next_charge_at = recurring.first_payment_date;
    subscription
}

/// Builds Fena's request, refusing what a standing order cannot carry.
fn recurring_create(
    request: &SubscriptionRequest,
) -> Result<RecurringCreate, payments_core::Error> {
    let frequency = match request.interval {
        Interval::Week => Frequency::OneWeek,
        Interval::Month => Frequency::OneMonth,
        Interval::Quarter => Frequency::ThreeMonths,
        Interval::Year => Frequency::OneYear,
        other => return Err(unsupported(format!("a standing order every {other}"))),
    };
    if request.description.is_some() {
        return Err(unsupported("a description on a standing order"));
    }
    if request.payment_method.is_some() {
        return Err(unsupported("a payment method for a standing order (the payer's bank pays)"));
    }
    let first = request.first_charge_on.ok_or_else(|| {
        payments_core::Error::from(Error::from(payments_core::InputError::field(
            "recurringPaymentDate",
            "a standing order needs the date of its first payment",
        )))
    })?;
    let date = first;
    let mut create = RecurringCreate::new(
        request.subscription_id.as_str(),
        request.money,
        date,
        request.number_of_charges.unwrap_or(0),
        frequency,
    )
    .map_err(Error::from)?;
    create.customer_name = request.customer.name.clone();
    create.customer_email = request.customer.email.clone();
    Ok(create)
}

#[async_trait]
impl Subscriptions for Client {
    /// A standing order: `POST open/payments/recurring/create-and-process`, its first payment
    /// date checked against today (UTC). The shop's id is the reference (1 to 12 lower-case
    /// letters, digits, dashes). A daily interval, a description or a payment method is
    /// [`payments_core::Error::Unsupported`]; a missing first payment date is an input error.
    async fn create_subscription(
        &self,
        request: &SubscriptionRequest,
    ) -> Result<Subscription, payments_core::Error> {
        let create = recurring_create(request)?;
        Ok(to_subscription(self.create_recurring(&create).await?))
    }

    /// `GET open/payments/recurring/{id}` by Fena's id.
    async fn subscription_status(
        &self,
        gateway_subscription_id: &str,
    ) -> Result<Subscription, payments_core::Error> {
        Ok(to_subscription(self.get_recurring(gateway_subscription_id).await?))
    }

    /// Reads the recurring payment, then deletes it in Fena **only if the payer has not set
    /// the standing order up** (draft, sent, overdue, rejected). Once it is set up (active,
    /// warning) only the payer can cancel it, at their bank, so this is
    /// [`payments_core::Error::Unsupported`] and nothing is deleted; an already cancelled or
    /// completed one is left as it is (`Ok`). An unknown state is refused the same way, as it
    /// may be set up.
    async fn cancel_subscription(
        &self,
        gateway_subscription_id: &str,
    ) -> Result<(), payments_core::Error> {
        let recurring = self.get_recurring(gateway_subscription_id).await?;
        match recurring.status {
            RecurringStatus::Draft
            | RecurringStatus::Sent
            | RecurringStatus::Overdue
            | RecurringStatus::Rejected => {
                self.delete_recurring(gateway_subscription_id).await?;
                Ok(())
            }
            RecurringStatus::Cancelled | RecurringStatus::Completed => Ok(()),
            other => Err(unsupported(format!(
                "cancelling the standing order {gateway_subscription_id:?} ({other}): once the \
                 payer set it up only the payer can cancel it, at their bank"
            ))),
        }
    }

    /// Always [`payments_core::Error::Unsupported`], before anything is sent: the payer's
    /// bank pays a standing order on its schedule, so there is nothing for the shop to
    /// charge. Each payment is announced by a Toolkit webhook (confirm it with
    /// [`Client::verify_request`]).
    async fn charge_subscription(
        &self,
        gateway_subscription_id: &str,
        _charge: &PaymentRequest,
    ) -> Result<PaymentReport, payments_core::Error> {
        Err(unsupported(format!(
            "charging the standing order {gateway_subscription_id:?}: the payer's bank pays it \
             on schedule; the shop cannot charge it"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetched(status: &str, link: Option<&str>) -> RecurringPayment {
        let json = serde_json::json!({
            "id": "r1", "invoiceRefNumber": "sub-1", "recurringAmount": "9.99",
            "status": status, "link": link, "firstPaymentDate": "2099-01-05T00:00:00Z"
        });
        serde_json::from_str(&json.to_string()).unwrap()
    }

    #[test]
    fn every_recurring_status_has_a_core_status() {
        for (wire, core) in [
            ("draft", SubscriptionStatus::AwaitingPayer),
            ("sent", SubscriptionStatus::AwaitingPayer),
            ("overdue", SubscriptionStatus::AwaitingPayer),
            ("active", SubscriptionStatus::Active),
            ("warning", SubscriptionStatus::Warning),
            ("rejected", SubscriptionStatus::Rejected),
            ("canceled", SubscriptionStatus::Cancelled),
            ("completed", SubscriptionStatus::Completed),
        ] {
            assert_eq!(to_subscription(fetched(wire, None)).status, core, "{wire}");
        }
        let odd = to_subscription(fetched("paused", Some("not a url")));
        assert!(matches!(odd.status, SubscriptionStatus::Unknown(_)), "{:?}", odd.status);
        assert_eq!(odd.payer_url, None);
        assert_eq!(odd.next_charge_at.as_deref(), Some("2099-01-05T00:00:00Z"));
    }
}
