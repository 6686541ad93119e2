//! Fena's unsigned Toolkit webhooks: a [`ToolkitTrigger`] only says "look again";
//! [`confirm_trigger`] compares the payment fetched with authenticated credentials with the
//! [`ExpectedPayment`] the merchant stored.

use payments_core::gateway::GatewayId;
use payments_core::notification::Notification;
use payments_core::response::CallError;
use payments_core::{Money, WebhookError};
use serde_json::{Map, Value};

use crate::amount::amount_text;
use crate::api::payment::Payment;
use crate::error::Error;
use crate::model::PaymentStatus;

/// An unsigned Toolkit webhook, read only as a trigger: nothing in it is trusted.
///
/// Its `status` and `amount` are kept for logging only; confirm the payment with
/// [`confirm_trigger`] (or `Client::confirm_trigger`) before anything is reported as paid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ToolkitTrigger {
    /// The payment id the body names.
    pub id: String,
    /// The reference the body names.
    pub reference: Option<String>,
    /// The status the body claims (untrusted).
    pub claimed_status: Option<String>,
    /// The amount the body claims (untrusted).
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
    /// use fena::webhook::ToolkitTrigger;
    ///
    /// let trigger = ToolkitTrigger::parse(
    ///     br#"{"eventName":"status-update","id":"62b48adf6ba2cd6a040b1eec","reference":"ORDER-7","status":"paid","amount":"10.00"}"#,
    ///     16 * 1024,
    /// )?;
    /// assert_eq!(trigger.id, "62b48adf6ba2cd6a040b1eec");
    /// assert_eq!(trigger.claimed_status.as_deref(), Some("paid"));
    /// # Ok::<(), payments_core::WebhookError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`WebhookError::TooLarge`], [`WebhookError::Malformed`] for a body that is not a JSON
    /// object, [`WebhookError::MissingField`] when it names no payment id.
    pub fn parse(body: &[u8], max_bytes: usize) -> Result<Self, WebhookError> {
        if body.len() > max_bytes {
            return Err(WebhookError::TooLarge { limit: max_bytes });
        }
        let object: Map<String, Value> = serde_json::from_slice(body)
            .map_err(|error| WebhookError::Malformed(format!("not a JSON object: {error}")))?;
        let text = |name: &str| match object.get(name) {
            Some(Value::String(text)) if !text.is_empty() => Some(text.clone()),
            Some(Value::Number(number)) => Some(number.to_string()),
            _ => None,
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
        Ok(Self {
            id,
            reference: text("reference"),
            claimed_status: text("status"),
            claimed_amount: text("amount"),
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

    /// The provider-agnostic notification, built only from the fetched payment.
    pub fn to_notification(&self) -> Notification {
        Notification::new(
            GatewayId::Fena,
            self.reference.clone(),
            Some(self.id.clone()),
            self.amount,
            self.status.to_core(),
        )
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
/// [`Error::Call`] with [`CallError::Integrity`] naming `id`, `reference` or `amount`.
pub fn confirm_trigger(
    trigger: &ToolkitTrigger,
    expected: &ExpectedPayment,
    fetched: &Payment,
) -> Result<ConfirmedPayment, Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_needs_an_id_and_json() {
        assert!(matches!(
            ToolkitTrigger::parse(br#"{"status":"paid"}"#, 100),
            Err(WebhookError::MissingField(_))
        ));
        assert!(matches!(ToolkitTrigger::parse(b"token=x", 100), Err(WebhookError::Malformed(_))));
        assert!(matches!(
            ToolkitTrigger::parse(&[b' '; 101], 100),
            Err(WebhookError::TooLarge { limit: 100 })
        ));
    }
}
