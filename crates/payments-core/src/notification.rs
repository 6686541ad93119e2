//! The provider-agnostic notification: what a verified webhook says happened.

use std::fmt;

use crate::error::WebhookError;
use crate::gateway::GatewayId;
use crate::money::Money;
use crate::payment::PaymentStatus;

/// A verified notification from a gateway.
///
/// A value of this type only exists after the signature and the merchant binding were checked.
/// Before marking an order paid, also check that the amount is what the order asked for, with
/// [`Notification::check_order`].
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Notification {
    /// The gateway that sent it.
    pub gateway: GatewayId,
    /// The shop's order id, as the gateway echoed it.
    pub order_id: String,
    /// The gateway's own id for the payment, when it sends one.
    pub gateway_payment_id: Option<String>,
    /// The amount the gateway says was paid for the order.
    pub money: Money,
    /// What happened.
    pub status: PaymentStatus,
    /// Every received field, as received (after form or JSON decoding).
    pub raw_fields: Vec<(String, String)>,
    /// Which payment of the order this is, when one order is paid again and again by design
    /// (each payment of a Fena standing order comes under the standing order's reference).
    /// Set only by verifiers that confirmed the id with the gateway's API, never from an
    /// unauthenticated field; part of [`Notification::dedup_key`] when set.
    pub charge_id: Option<String>,
}

impl Notification {
    /// A notification with no raw fields.
    pub fn new(
        gateway: GatewayId,
        order_id: impl Into<String>,
        gateway_payment_id: Option<String>,
        money: Money,
        status: PaymentStatus,
    ) -> Self {
        Self {
            gateway,
            order_id: order_id.into(),
            gateway_payment_id,
            money,
            status,
            raw_fields: Vec::new(),
            charge_id: None,
        }
    }

    /// Names the payment of a repeatedly paid order (see [`Notification::charge_id`]).
    ///
    /// ```
    /// use payments_core::notification::Notification;
    /// use payments_core::payment::PaymentStatus;
    /// use payments_core::{Currency, GatewayId, Money};
    ///
    /// let money = Money::parse("9.99", Currency::GBP)?;
    /// let charge = |id: &str| {
    ///     Notification::new(GatewayId::Fena, "sub-1", Some(id.into()), money, PaymentStatus::Paid)
    ///         .with_charge_id(id)
    /// };
    /// assert_eq!(charge("65f1").dedup_key(), "v1|fena|5:sub-1|paid|charge:4:65f1");
    /// assert_ne!(charge("65f1").dedup_key(), charge("65f2").dedup_key());
    /// # Ok::<(), payments_core::MoneyError>(())
    /// ```
    #[must_use]
    pub fn with_charge_id(mut self, charge_id: impl Into<String>) -> Self {
        self.charge_id = Some(charge_id.into());
        self
    }

    /// Attaches the raw received fields.
    #[must_use]
    pub fn with_raw_fields(mut self, raw_fields: Vec<(String, String)>) -> Self {
        self.raw_fields = raw_fields;
        self
    }

    /// A key that identifies this event, for skipping deliveries already processed:
    /// gateway, order id and status. The gateway's payment id is left out on purpose: it is
    /// not always signed in a way that binds it (Feennex joins values without keys, so a
    /// captured callback can be re-cut), and an order is paid once whichever payment paid it.
    /// The one exception is [`Notification::charge_id`], set only where the gateway's id was
    /// authenticated by an API fetch and one order is paid many times (Fena's Toolkit: every
    /// payment of a standing order carries the standing order's reference).
    ///
    /// The format is stable, so shops can keep these keys in a database across upgrades:
    ///
    /// ```text
    /// v1|<gateway>|<order id length>:<order id>|<status>
    /// v1|<gateway>|<order id length>:<order id>|<status>|charge:<charge id length>:<charge id>
    /// ```
    ///
    /// The second form only when [`Notification::charge_id`] is set (keys without one are
    /// unchanged): each payment of a standing order is then handled once, not only the first.
    ///
    /// - `<gateway>` is [`GatewayId::as_str`](crate::GatewayId::as_str): `feennex`,
    ///   `freekassa`, `fena`;
    /// - the order id's length is counted in bytes (UTF-8), in decimal, so no two different
    ///   orders give the same key whatever characters they hold;
    /// - `<status>` is one of `pending`, `paid`, `held`, `failed`, `canceled`, `expired`,
    ///   `refunded`, or `unknown:<length>:<the gateway's text>` for a status this SDK does not
    ///   know.
    ///
    /// A later format would start with another version prefix, never reuse `v1`.
    ///
    /// ```
    /// use payments_core::notification::Notification;
    /// use payments_core::payment::PaymentStatus;
    /// use payments_core::{Currency, GatewayId, Money};
    ///
    /// let money = Money::parse("10.00", Currency::USD)?;
    /// let paid = Notification::new(GatewayId::Feennex, "A|42", Some("9".into()), money, PaymentStatus::Paid);
    /// assert_eq!(paid.dedup_key(), "v1|feennex|4:A|42|paid");
    /// # Ok::<(), payments_core::MoneyError>(())
    /// ```
    pub fn dedup_key(&self) -> String {
        let order = &self.order_id;
        let key = format!("v1|{}|{}:{order}|", self.gateway.as_str(), order.len());
        let key = match &self.status {
            PaymentStatus::Unknown(text) => format!("{key}unknown:{}:{text}", text.len()),
            known => key + known_status_key(known),
        };
        match &self.charge_id {
            Some(charge) => format!("{key}|charge:{}:{charge}", charge.len()),
            None => key,
        }
    }

    /// Checks that the notification is for `order_id` and for exactly `expected`
    /// (same amount, same currency).
    ///
    /// ```
    /// use payments_core::notification::Notification;
    /// use payments_core::payment::PaymentStatus;
    /// use payments_core::{Currency, GatewayId, Money};
    ///
    /// let paid = Money::parse("10.00", Currency::USD)?;
    /// let n = Notification::new(GatewayId::Feennex, "42", None, paid, PaymentStatus::Paid);
    /// assert!(n.check_order("42", &Money::parse("10", Currency::USD)?).is_ok());
    /// assert!(n.check_order("42", &Money::parse("10.01", Currency::USD)?).is_err());
    /// assert!(n.check_order("43", &paid).is_err());
    /// # Ok::<(), payments_core::MoneyError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`WebhookError::Mismatch`] naming the field that differs.
    pub fn check_order(&self, order_id: &str, expected: &Money) -> Result<(), WebhookError> {
        if self.order_id != order_id {
            return Err(WebhookError::Mismatch {
                field: "order_id",
                expected: order_id.to_owned(),
                received: self.order_id.clone(),
            });
        }
        check_money(expected, &self.money)
    }
}

/// Checks that `received` is exactly `expected`: currency first, then amount.
///
/// # Errors
///
/// [`WebhookError::Mismatch`] naming `currency` or `amount`.
pub fn check_money(expected: &Money, received: &Money) -> Result<(), WebhookError> {
    if expected.currency() != received.currency() {
        return Err(WebhookError::Mismatch {
            field: "currency",
            expected: expected.currency().code().to_owned(),
            received: received.currency().code().to_owned(),
        });
    }
    if expected.amount() != received.amount() {
        return Err(WebhookError::Mismatch {
            field: "amount",
            expected: expected.amount().to_string(),
            received: received.amount().to_string(),
        });
    }
    Ok(())
}

impl fmt::Debug for Notification {
    // Raw fields can hold payer data (card numbers, e-mail): only their names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.raw_fields.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Notification")
            .field("gateway", &self.gateway)
            .field("order_id", &self.order_id)
            .field("gateway_payment_id", &self.gateway_payment_id)
            .field("money", &self.money)
            .field("status", &self.status)
            .field("raw_field_names", &names)
            .field("charge_id", &self.charge_id)
            .finish()
    }
}

/// The key word of a status the SDK knows (see [`Notification::dedup_key`]). Written out, not
/// derived from `Debug`, so renaming a variant cannot change stored keys.
fn known_status_key(status: &PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Pending => "pending",
        PaymentStatus::Paid => "paid",
        PaymentStatus::Held => "held",
        PaymentStatus::Failed => "failed",
        PaymentStatus::Canceled => "canceled",
        PaymentStatus::Expired => "expired",
        PaymentStatus::Refunded => "refunded",
        PaymentStatus::Unknown(_) => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn sample() -> Notification {
        Notification::new(
            GatewayId::Freekassa,
            "7",
            Some("123".into()),
            Money::parse("100.5", Currency::RUB).unwrap(),
            PaymentStatus::Paid,
        )
        .with_raw_fields(vec![("payer_account".into(), "4111111111111111".into())])
    }

    #[test]
    fn debug_hides_raw_values() {
        let debug = format!("{:?}", sample());
        assert!(!debug.contains("4111111111111111"), "{debug}");
        assert!(debug.contains("payer_account"));
    }

    #[test]
    fn check_order_names_the_mismatch() {
        let n = sample();
        let err = n.check_order("7", &Money::parse("100.5", Currency::USD).unwrap()).unwrap_err();
        assert!(matches!(err, WebhookError::Mismatch { field: "currency", .. }));
        let err = n.check_order("7", &Money::parse("100.51", Currency::RUB).unwrap()).unwrap_err();
        assert!(matches!(err, WebhookError::Mismatch { field: "amount", .. }));
        assert!(n.check_order("7", &Money::parse("100.50", Currency::RUB).unwrap()).is_ok());
    }

    #[test]
    fn dedup_key_ignores_the_payment_id_and_cannot_collide() {
        let mut other_payment = sample();
        other_payment.gateway_payment_id = None;
        assert_eq!(sample().dedup_key(), other_payment.dedup_key());
        let mut a = sample();
        a.order_id = "1|2".into();
        let mut b = sample();
        b.order_id = "1".into();
        assert_ne!(a.dedup_key(), b.dedup_key());
    }

    #[test]
    fn a_charge_id_tells_the_payments_of_one_order_apart() {
        let first = sample().with_charge_id("c1");
        let second = sample().with_charge_id("c2");
        assert_ne!(first.dedup_key(), second.dedup_key());
        assert_ne!(first.dedup_key(), sample().dedup_key());
        assert_eq!(first.dedup_key(), sample().with_charge_id("c1").dedup_key());
        // Length-prefixed: no charge id can pose as another status or order.
        assert_eq!(sample().dedup_key(), "v1|freekassa|1:7|paid");
        assert_eq!(first.dedup_key(), "v1|freekassa|1:7|paid|charge:2:c1");
    }

    #[test]
    fn dedup_key_follows_the_documented_format_for_every_status() {
        let with = |gateway, order: &str, status| {
            let money = Money::parse("1", Currency::RUB).unwrap();
            Notification::new(gateway, order, None, money, status).dedup_key()
        };
        let cases = [
            (GatewayId::Feennex, "7", PaymentStatus::Pending, "v1|feennex|1:7|pending"),
            (GatewayId::Freekassa, "o-1", PaymentStatus::Paid, "v1|freekassa|3:o-1|paid"),
            (GatewayId::Fena, "ab", PaymentStatus::Held, "v1|fena|2:ab|held"),
            (GatewayId::Fena, "ab", PaymentStatus::Failed, "v1|fena|2:ab|failed"),
            (GatewayId::Fena, "ab", PaymentStatus::Canceled, "v1|fena|2:ab|canceled"),
            (GatewayId::Fena, "ab", PaymentStatus::Expired, "v1|fena|2:ab|expired"),
            (GatewayId::Fena, "ab", PaymentStatus::Refunded, "v1|fena|2:ab|refunded"),
            // Lengths count UTF-8 bytes: "é" is two.
            (GatewayId::Feennex, "é", PaymentStatus::Paid, "v1|feennex|2:é|paid"),
            (
                GatewayId::Feennex,
                "7",
                PaymentStatus::Unknown("on|hold".into()),
                "v1|feennex|1:7|unknown:7:on|hold",
            ),
        ];
        for (gateway, order, status, expected) in cases {
            assert_eq!(with(gateway, order, status), expected);
        }
    }

    #[test]
    fn dedup_key_distinguishes_status() {
        let paid = sample();
        let mut refunded = sample();
        refunded.status = PaymentStatus::Refunded;
        assert_ne!(paid.dedup_key(), refunded.dedup_key());
        assert_eq!(paid.dedup_key(), sample().dedup_key());
    }
}
