//! Fena's unsigned Toolkit webhooks: a [`ToolkitTrigger`] only says "look again";
//! [`confirm_trigger`] compares the payment fetched with authenticated credentials with the
//! [`ExpectedPayment`] the merchant stored, [`confirm_recurring`] the recurring payment with
//! the [`ExpectedRecurring`].
//!
//! # Event scopes
//!
//! | scope | `eventScope` (Toolkit) / `scope` (partner) | confirmed by |
//! |---|---|---|
//! | [`ToolkitScope::SinglePayment`] | `single-payments` / `single-payment` [TK-DOCS single-payments api-requests]; no scope at all (the older docs' example) | `GET open/payments/single/{id}` |
//! | [`ToolkitScope::RecurringPayment`] | `recurring-payments` / `recurring-payment` | `GET open/payments/recurring/{id}` |
//! | [`ToolkitScope::BankAccount`] | `bank-accounts` / `bank-accounts` [TK-DOCS bank-accounts api-requests] | `GET open/company/bank-accounts/list`, walked until the id is found |
//!
//! The recurring-payment scope's spelling is inferred: the recurring-payment docs say status
//! update events are sent (and not for sandbox, manually added or `ob-nationwide` accounts),
//! but no public copy of their payload was found; the SDK reads the spelling of the two
//! documented scopes. The docs document no call that fetches one bank account, so a
//! bank-account event is confirmed by finding its id in the documented list.
//!
//! Any other scope is refused with [`Error::UnknownWebhookScope`] naming it: it is never read
//! as a payment.

use payments_core::gateway::GatewayId;
use payments_core::notification::Notification;
use payments_core::response::CallError;
use payments_core::{Money, WebhookError};
use serde_json::{Map, Value};

use crate::amount::amount_text;
use crate::api::bank_account::BankAccount;
use crate::api::payment::Payment;
use crate::api::recurring::{RecurringGet, RecurringPayment, RecurringStatus};
use crate::error::Error;
use crate::model::PaymentStatus;

/// The most characters of an unknown scope kept in [`Error::UnknownWebhookScope`].
const SCOPE_SHOWN: usize = 64;

/// What a Toolkit webhook is about: its event scope, and what it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ToolkitScope {
    /// A single payment's status changed (`single-payments` / `single-payment`, or no scope).
    /// The body carries the payment: `id`, `reference`, `amount`, `status`, `currency`,
    /// `bankAccount`, the customer, `refundLink` ...
    SinglePayment,
    /// A recurring payment's status changed (`recurring-payments` / `recurring-payment`). The
    /// body is read for `id`, `reference` (or `invoiceRefNumber`), `recurringAmount` (or
    /// `amount`) and `status`.
    RecurringPayment,
    /// A bank account's verification or consent status changed (`bank-accounts`). The body
    /// carries the account: `id`, `sortCode`, `accountNumber`, `name`, `provider`,
    /// `isDefault`, `status`, `bankConsentExpired` ...; it names no reference or amount.
    BankAccount,
}

impl ToolkitScope {
    /// Reads a scope as sent (`eventScope` or `scope`).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownWebhookScope`] naming a scope the docs do not describe.
    pub fn from_wire(text: &str) -> Result<Self, Error> {
        match text {
            "single-payments" | "single-payment" => Ok(Self::SinglePayment),
            "recurring-payments" | "recurring-payment" => Ok(Self::RecurringPayment),
            "bank-accounts" => Ok(Self::BankAccount),
            other => {
                Err(Error::UnknownWebhookScope { scope: other.chars().take(SCOPE_SHOWN).collect() })
            }
        }
    }

    /// The Toolkit spelling (`eventScope`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SinglePayment => "single-payments",
            Self::RecurringPayment => "recurring-payments",
            Self::BankAccount => "bank-accounts",
        }
    }
}

/// An unsigned Toolkit webhook, read only as a trigger: nothing in it is trusted.
///
/// Its `status` and `amount` are kept for logging only; confirm the object with
/// `Client::verify_request` before anything is reported as paid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ToolkitTrigger {
    /// What the webhook is about.
    pub scope: ToolkitScope,
    /// The id of the payment, recurring payment or bank account the body names.
    pub id: String,
    /// The reference the body names (none for a bank account).
    pub reference: Option<String>,
    /// The status the body claims (untrusted).
    pub claimed_status: Option<String>,
    /// The amount the body claims (untrusted; `recurringAmount` for a recurring payment).
    pub claimed_amount: Option<String>,
    /// The event name (`eventName` or `event_name`).
    pub event: Option<String>,
    /// Every top-level string, number or boolean field of the body, as received.
    pub raw_fields: Vec<(String, String)>,
}

impl ToolkitTrigger {
    /// Secondary: reads a Toolkit webhook body (JSON). For a received request use
    /// `Client::verify_request`, which reads the trigger and confirms it.
    ///
    /// ```
    /// use fena::webhook::{ToolkitScope, ToolkitTrigger};
    ///
    /// let trigger = ToolkitTrigger::parse(
    ///     br#"{"eventScope":"single-payments","eventName":"status-update","id":"62b48adf6ba2cd6a040b1eec","reference":"ORDER-7","status":"paid","amount":"10.00"}"#,
    ///     16 * 1024,
    /// )?;
    /// assert_eq!(trigger.scope, ToolkitScope::SinglePayment);
    /// assert_eq!(trigger.id, "62b48adf6ba2cd6a040b1eec");
    /// assert_eq!(trigger.claimed_status.as_deref(), Some("paid"));
    /// // A scope the docs do not describe is refused, never read as a payment.
    /// let unknown = ToolkitTrigger::parse(br#"{"eventScope":"invoices","id":"x"}"#, 1024);
    /// assert!(matches!(unknown, Err(fena::Error::UnknownWebhookScope { scope }) if scope == "invoices"));
    /// # Ok::<(), fena::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Webhook`] with [`WebhookError::TooLarge`], [`WebhookError::Malformed`] for a
    /// body that is not a JSON object, [`WebhookError::MissingField`] when it names no id;
    /// [`Error::UnknownWebhookScope`] for a scope the docs do not describe.
    pub fn parse(body: &[u8], max_bytes: usize) -> Result<Self, Error> {
        if body.len() > max_bytes {
            return Err(WebhookError::TooLarge { limit: max_bytes }.into());
        }
        let object: Map<String, Value> = serde_json::from_slice(body)
            .map_err(|error| WebhookError::Malformed(format!("not a JSON object: {error}")))?;
        let text = |name: &str| match object.get(name) {
            Some(Value::String(text)) if !text.is_empty() => Some(text.clone()),
            Some(Value::Number(number)) => Some(number.to_string()),
            _ => None,
        };
        let scope = match object.get("eventScope").or_else(|| object.get("scope")) {
            None | Some(Value::Null) => ToolkitScope::SinglePayment,
            Some(Value::String(scope)) => ToolkitScope::from_wire(scope)?,
            Some(other) => ToolkitScope::from_wire(&other.to_string())?,
        };
        let id = text("id").ok_or_else(|| WebhookError::MissingField("id".to_owned()))?;
        let raw_fields = object
            .iter()
            .filter_map(|(name, value)| match value {
                Value::String(text) => Some((name.clone(), text.clone())),
                Value::Number(_) | Value::Bool(_) => Some((name.clone(), value.to_string())),
                _ => None,
            })
            .collect();
        let (reference, claimed_amount) = match scope {
            ToolkitScope::SinglePayment => (text("reference"), text("amount")),
            ToolkitScope::RecurringPayment => (
                text("reference").or_else(|| text("invoiceRefNumber")),
                text("recurringAmount").or_else(|| text("amount")),
            ),
            ToolkitScope::BankAccount => (None, None),
        };
        Ok(Self {
            scope,
            id,
            reference,
            claimed_status: text("status"),
            claimed_amount,
            event: text("eventName").or_else(|| text("event_name")),
            raw_fields,
        })
    }
}

/// What the merchant stored when it created a Toolkit payment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExpectedPayment {
    /// Fena's payment id, from the create response.
    pub id: String,
    /// The reference sent.
    pub reference: String,
    /// The amount asked for (GBP).
    pub amount: Money,
}

impl ExpectedPayment {
    /// The stored payment.
    pub fn new(id: impl Into<String>, reference: impl Into<String>, amount: Money) -> Self {
        Self { id: id.into(), reference: reference.into(), amount }
    }
}

/// A Toolkit payment confirmed by an authenticated fetch: id, reference and amount match
/// what was stored, and the status is the one Fena's API reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfirmedPayment {
    /// Fena's payment id.
    pub id: String,
    /// The reference.
    pub reference: String,
    /// The amount.
    pub amount: Money,
    /// The status Fena's API reports.
    pub status: PaymentStatus,
}

impl ConfirmedPayment {
    /// Whether the fetched payment is paid: the only case in which to mark the order paid.
    pub fn is_paid(&self) -> bool {
        self.status == PaymentStatus::Paid
    }

    /// The provider-agnostic notification, built only from the fetched payment; its
    /// `charge_id` is the fetched id, so each payment under one reference (a standing order's)
    /// is handled once.
    pub fn to_notification(&self) -> Notification {
        Notification::new(
            GatewayId::Fena,
            self.reference.clone(),
            Some(self.id.clone()),
            self.amount,
            self.status.to_core(),
        )
        .with_charge_id(self.id.clone())
    }
}

const CONFIRM_ENDPOINT: &str = "open/payments/single/{id}";

fn integrity(field: &'static str, expected: String, received: String) -> Error {
    Error::Call {
        endpoint: CONFIRM_ENDPOINT,
        source: CallError::Integrity { field, expected, received },
    }
}

/// Secondary: confirms a Toolkit trigger against the stored payment and the payment fetched
/// from the API (for a received request use `Client::verify_request`, which fetches). The
/// trigger and the fetched payment must name the stored id, and the fetched reference and
/// amount must equal the stored ones. The claimed status in the trigger is ignored.
///
/// # Errors
///
/// [`Error::Webhook`] with [`WebhookError::Mismatch`] on `eventScope` for a trigger of
/// another scope; [`Error::Call`] with [`CallError::Integrity`] naming `id`, `reference` or
/// `amount`.
pub fn confirm_trigger(
    trigger: &ToolkitTrigger,
    expected: &ExpectedPayment,
    fetched: &Payment,
) -> Result<ConfirmedPayment, Error> {
    check_scope(trigger, ToolkitScope::SinglePayment)?;
    if trigger.id != expected.id {
        return Err(integrity("id", expected.id.clone(), trigger.id.clone()));
    }
    if fetched.id != expected.id {
        return Err(integrity("id", expected.id.clone(), fetched.id.clone()));
    }
    if fetched.reference != expected.reference {
        return Err(integrity("reference", expected.reference.clone(), fetched.reference.clone()));
    }
    if expected.amount.currency() != crate::amount::CURRENCY
        || fetched.amount != expected.amount.amount()
    {
        return Err(integrity("amount", amount_text(&expected.amount), fetched.amount.to_string()));
    }
    Ok(ConfirmedPayment {
        id: fetched.id.clone(),
        reference: fetched.reference.clone(),
        amount: expected.amount,
        status: fetched.status.clone(),
    })
}

/// What the merchant stored when it created a recurring payment (standing order).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExpectedRecurring {
    /// Fena's id of the recurring payment, from the create response.
    pub id: String,
    /// The reference sent.
    pub reference: String,
    /// The amount of each payment (GBP).
    pub amount: Money,
}

impl ExpectedRecurring {
    /// The stored recurring payment.
    pub fn new(id: impl Into<String>, reference: impl Into<String>, amount: Money) -> Self {
        Self { id: id.into(), reference: reference.into(), amount }
    }
}

/// A recurring payment confirmed by an authenticated fetch: id, reference and amount match
/// what was stored, and the status is the one Fena's API reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfirmedRecurring {
    /// Fena's id.
    pub id: String,
    /// The reference.
    pub reference: String,
    /// The amount of each payment.
    pub amount: Money,
    /// The status Fena's API reports.
    pub status: RecurringStatus,
}

/// What the merchant stored for the object a webhook names; pass it to
/// `Client::verify_request`. Its scope must be the webhook's.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// A single payment.
    Payment(ExpectedPayment),
    /// A recurring payment.
    Recurring(ExpectedRecurring),
    /// One of the merchant's bank accounts, by Fena's id.
    BankAccount(String),
}

impl Expected {
    /// The scope of webhook this expectation confirms.
    pub fn scope(&self) -> ToolkitScope {
        match self {
            Self::Payment(_) => ToolkitScope::SinglePayment,
            Self::Recurring(_) => ToolkitScope::RecurringPayment,
            Self::BankAccount(_) => ToolkitScope::BankAccount,
        }
    }

    /// The id stored.
    pub fn id(&self) -> &str {
        match self {
            Self::Payment(payment) => &payment.id,
            Self::Recurring(recurring) => &recurring.id,
            Self::BankAccount(id) => id,
        }
    }
}

impl From<ExpectedPayment> for Expected {
    fn from(payment: ExpectedPayment) -> Self {
        Self::Payment(payment)
    }
}

impl From<&ExpectedPayment> for Expected {
    fn from(payment: &ExpectedPayment) -> Self {
        Self::Payment(payment.clone())
    }
}

impl From<ExpectedRecurring> for Expected {
    fn from(recurring: ExpectedRecurring) -> Self {
        Self::Recurring(recurring)
    }
}

impl From<&ExpectedRecurring> for Expected {
    fn from(recurring: &ExpectedRecurring) -> Self {
        Self::Recurring(recurring.clone())
    }
}

/// A Toolkit webhook confirmed by an authenticated fetch of the object it names.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Confirmed {
    /// A single payment.
    Payment(ConfirmedPayment),
    /// A recurring payment.
    Recurring(ConfirmedRecurring),
    /// A bank account, as the bank-account list reports it.
    BankAccount(BankAccount),
}

impl Confirmed {
    /// Whether this confirms a paid single payment: the only case in which to mark an order
    /// paid.
    pub fn is_paid(&self) -> bool {
        matches!(self, Self::Payment(payment) if payment.is_paid())
    }

    /// The confirmed single payment, if this is one.
    pub fn payment(&self) -> Option<&ConfirmedPayment> {
        match self {
            Self::Payment(payment) => Some(payment),
            _ => None,
        }
    }

    /// The confirmed recurring payment, if this is one.
    pub fn recurring(&self) -> Option<&ConfirmedRecurring> {
        match self {
            Self::Recurring(recurring) => Some(recurring),
            _ => None,
        }
    }

    /// The confirmed bank account, if this is one.
    pub fn bank_account(&self) -> Option<&BankAccount> {
        match self {
            Self::BankAccount(account) => Some(account),
            _ => None,
        }
    }
}

/// Refuses a trigger of another scope than the expectation's.
pub(crate) fn check_scope(trigger: &ToolkitTrigger, expected: ToolkitScope) -> Result<(), Error> {
    if trigger.scope == expected {
        return Ok(());
    }
    Err(WebhookError::Mismatch {
        field: "eventScope",
        expected: expected.as_str().to_owned(),
        received: trigger.scope.as_str().to_owned(),
    }
    .into())
}

/// Secondary: confirms a recurring-payment trigger against the stored recurring payment and
/// the one fetched from the API (`Client::verify_request` fetches). The trigger and the
/// fetched recurring payment must name the stored id, and the fetched reference and amount
/// must equal the stored ones. The claimed status in the trigger is ignored.
///
/// # Errors
///
/// [`Error::Webhook`] with [`WebhookError::Mismatch`] on `eventScope` for a trigger of
/// another scope; [`Error::Call`] with [`CallError::Integrity`] naming `id`, `reference` or
/// `amount`.
pub fn confirm_recurring(
    trigger: &ToolkitTrigger,
    expected: &ExpectedRecurring,
    fetched: &RecurringPayment,
) -> Result<ConfirmedRecurring, Error> {
    check_scope(trigger, ToolkitScope::RecurringPayment)?;
    let integrity = |field: &'static str, expected: String, received: String| Error::Call {
        endpoint: RecurringGet::ENDPOINT,
        source: CallError::Integrity { field, expected, received },
    };
    if trigger.id != expected.id {
        return Err(integrity("id", expected.id.clone(), trigger.id.clone()));
    }
    if fetched.id != expected.id {
        return Err(integrity("id", expected.id.clone(), fetched.id.clone()));
    }
    if fetched.reference != expected.reference {
        return Err(integrity("reference", expected.reference.clone(), fetched.reference.clone()));
    }
    if expected.amount.currency() != crate::amount::CURRENCY
        || fetched.recurring_amount != expected.amount.amount()
    {
        return Err(integrity(
            "amount",
            amount_text(&expected.amount),
            fetched.recurring_amount.to_string(),
        ));
    }
    Ok(ConfirmedRecurring {
        id: fetched.id.clone(),
        reference: fetched.reference.clone(),
        amount: expected.amount,
        status: fetched.status.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_needs_an_id_and_json() {
        assert!(matches!(
            ToolkitTrigger::parse(br#"{"status":"paid"}"#, 100),
            Err(Error::Webhook(WebhookError::MissingField(_)))
        ));
        assert!(matches!(
            ToolkitTrigger::parse(b"token=x", 100),
            Err(Error::Webhook(WebhookError::Malformed(_)))
        ));
        assert!(matches!(
            ToolkitTrigger::parse(&[b' '; 101], 100),
            Err(Error::Webhook(WebhookError::TooLarge { limit: 100 }))
        ));
    }
}
