//! The customer's return to the shop after paying.
//!
//! Fena sends the payer to the terminal's redirect endpoint with `order` (the order id) and
//! `status` (`executed` or `rejected`). **These parameters are not signed**: anyone can type
//! `?order=42&status=executed` into a browser. A [`RedirectHint`] therefore cannot mark an
//! order paid: it has no conversion to a notification or a payment status. Use it to choose
//! which page to show, and show "paid" only when the webhook already marked the order paid.

use payments_core::WebhookError;
use payments_core::webhook::decode_form;

/// What the redirect claims happened. Untrusted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RedirectStatus {
    /// `executed`: the payer's bank says the payment went through.
    Executed,
    /// `rejected`: the payer's bank rejected it.
    Rejected,
    /// Anything else, as sent (or empty when absent).
    Other(String),
}

/// The query of the customer redirect: a hint for the page to show, never proof of payment.
///
/// ```
/// use fena::redirect::{RedirectHint, RedirectStatus};
///
/// let hint = RedirectHint::parse("order=aa-bb-cc&status=executed")?;
/// assert_eq!(hint.order_id, "aa-bb-cc");
/// assert_eq!(hint.status, RedirectStatus::Executed);
/// // Show "thank you, we are confirming your payment" unless the webhook already marked
/// // order `aa-bb-cc` paid.
/// # Ok::<(), payments_core::WebhookError>(())
/// ```
///
/// There is no way from a hint to a paid status or a notification:
///
/// ```compile_fail
/// use fena::redirect::RedirectHint;
/// use payments_core::payment::PaymentStatus;
///
/// let hint = RedirectHint::parse("order=42&status=executed").unwrap();
/// let status: PaymentStatus = hint.status.into();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedirectHint {
    /// The order id the redirect names.
    pub order_id: String,
    /// The status the redirect claims.
    pub status: RedirectStatus,
}

impl RedirectHint {
    /// Reads the raw query string (without `?`). `order` is read, or the REST era's
    /// `order_id` when `order` is absent.
    ///
    /// # Errors
    ///
    /// [`WebhookError::Malformed`] for bad encoding or repeated names,
    /// [`WebhookError::MissingField`] when no order id is given.
    pub fn parse(query: &str) -> Result<Self, WebhookError> {
        let fields = decode_form(query.as_bytes())?;
        let get = |name: &str| {
            fields.iter().find(|(key, value)| key == name && !value.is_empty()).map(|(_, v)| v)
        };
        let order_id = get("order")
            .or_else(|| get("order_id"))
            .ok_or_else(|| WebhookError::MissingField("order".to_owned()))?
            .clone();
        let status = match get("status").map(String::as_str) {
            Some("executed") => RedirectStatus::Executed,
            Some("rejected") => RedirectStatus::Rejected,
            Some(other) => RedirectStatus::Other(other.to_owned()),
            None => RedirectStatus::Other(String::new()),
        };
        Ok(Self { order_id, status })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_example_and_variants() {
        let hint = RedirectHint::parse("order=aa-bb-cc&status=rejected").unwrap();
        assert_eq!(hint.status, RedirectStatus::Rejected);
        let hint = RedirectHint::parse("order_id=ref-1&status=paid").unwrap();
        assert_eq!(
            (hint.order_id.as_str(), hint.status),
            ("ref-1", RedirectStatus::Other("paid".into()))
        );
        assert_eq!(
            RedirectHint::parse("order=x").unwrap().status,
            RedirectStatus::Other(String::new())
        );
        assert!(matches!(
            RedirectHint::parse("status=executed"),
            Err(WebhookError::MissingField(_))
        ));
        assert!(RedirectHint::parse("order=1&order=2&status=executed").is_err());
        assert_eq!(RedirectHint::parse("order=a%20b&status=EXECUTED").unwrap().order_id, "a b");
    }
}
