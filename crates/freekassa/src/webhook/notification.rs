//! A verified payment notification, and checking it against the shop's order.

use std::fmt;

use payments_core::mask::mask_all_but_last_four as mask;
use payments_core::notification::Notification;
use payments_core::payment::PaymentStatus;
use payments_core::webhook::ReceivedFields;
use payments_core::{Currency, Decimal, GatewayId, Money};

use super::NotificationError;
use crate::model::PaymentSystemId;

/// A verified payment notification.
///
/// `Debug` masks `payer_account` (it can be a full card number) and hides the payer's e-mail
/// and phone.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentNotification {
    /// The shop (`MERCHANT_ID`).
    pub merchant_id: u64,
    /// The amount (`AMOUNT`), read exactly.
    pub amount: Decimal,
    /// `AMOUNT` exactly as received and signed.
    pub amount_text: String,
    /// Freekassa's operation number (`intid`): the key for skipping repeated deliveries.
    pub intid: Option<String>,
    /// The shop's order number (`MERCHANT_ORDER_ID`: `o` on the form, `paymentId` in the API).
    pub merchant_order_id: String,
    /// The payer's e-mail (`P_EMAIL`).
    pub payer_email: Option<String>,
    /// The payer's phone (`P_PHONE`).
    pub payer_phone: Option<String>,
    /// The payment system actually used (`CUR_ID`; `None` when missing or unreadable).
    pub payment_system: Option<PaymentSystemId>,
    /// The commission, in the payment currency (`commission`; `None` when missing or
    /// unreadable).
    pub commission: Option<Decimal>,
    /// The payer's account or card number (`payer_account`).
    pub payer_account: Option<String>,
    /// The `us_*` fields given to the form, in the order received.
    pub custom_fields: Vec<(String, String)>,
    /// Every received field, as received.
    pub raw_fields: ReceivedFields,
}

impl PaymentNotification {
    /// Checks that the notification is for `order_id` and for exactly the amount of
    /// `expected` (`100` and `100.00` are the same amount). Freekassa's notification carries no
    /// currency: the order's currency is the one its form or API order was made in.
    ///
    /// # Errors
    ///
    /// [`NotificationError::Mismatch`] naming `order_id` or `amount`.
    pub fn check_order(&self, order_id: &str, expected: &Money) -> Result<(), NotificationError> {
        if self.merchant_order_id != order_id {
            return Err(NotificationError::Mismatch {
                field: "order_id",
                expected: order_id.to_owned(),
                received: self.merchant_order_id.clone(),
            });
        }
        if self.amount != expected.amount() {
            return Err(NotificationError::Mismatch {
                field: "amount",
                expected: expected.amount().to_string(),
                received: self.amount_text.clone(),
            });
        }
        Ok(())
    }

    /// A `us_*` field by its full name (`us_login`).
    pub fn custom_field(&self, key: &str) -> Option<&str> {
        self.custom_fields.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str())
    }

    /// `payer_account` with all but its last four characters replaced by `*`.
    pub fn payer_account_masked(&self) -> Option<String> {
        self.payer_account.as_deref().map(mask)
    }

    /// The provider-agnostic notification, the amount taken in `currency`.
    ///
    /// # Errors
    ///
    /// [`NotificationError::Malformed`] when the amount is not valid in `currency`.
    pub fn to_core(&self, currency: Currency) -> Result<Notification, NotificationError> {
        let money = Money::new(self.amount, currency).map_err(|error| {
            NotificationError::Malformed(format!("AMOUNT {:?}: {error}", self.amount_text))
        })?;
        Ok(Notification::new(
            GatewayId::Freekassa,
            self.merchant_order_id.clone(),
            self.intid.clone(),
            money,
            PaymentStatus::Paid,
        )
        .with_raw_fields(self.raw_fields.to_vec()))
    }
}

impl fmt::Debug for PaymentNotification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |present: bool| if present { "<set>" } else { "<none>" };
        let names: Vec<&str> = self.raw_fields.iter().map(|(name, _)| name).collect();
        f.debug_struct("PaymentNotification")
            .field("merchant_id", &self.merchant_id)
            .field("amount_text", &self.amount_text)
            .field("intid", &self.intid)
            .field("merchant_order_id", &self.merchant_order_id)
            .field("payer_email", &shown(self.payer_email.is_some()))
            .field("payer_phone", &shown(self.payer_phone.is_some()))
            .field("payment_system", &self.payment_system)
            .field("commission", &self.commission)
            .field("payer_account", &self.payer_account_masked())
            .field("custom_fields", &self.custom_fields)
            .field("raw_field_names", &names)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_keeps_the_last_four() {
        assert_eq!(mask("5555555555554444"), "************4444");
        assert_eq!(mask("abc"), "abc");
    }
}
