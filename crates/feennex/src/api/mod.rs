//! Feennex endpoints: one typed request and response per endpoint, grouped by area.
//!
//! Each request has `prepare` (a pure function to a signed [`Prepared`](crate::request::Prepared)
//! request) and `parse_response` (a pure function from the raw response to a typed result),
//! so both can be tested without a server; [`Client`](crate::Client) only sends.
//!
//! | area | endpoints |
//! |---|---|
//! | [`bill`] | `bill/create`, `bill/shop_order_status` |
//! | [`invoice`] | `invoice/try`, `invoice/create`, `invoice/check` |
//! | [`pay_form`] | the hosted payment form |
//! | [`transfer`] | `transfer/try`, `transfer/create`, `transfer/shop_payment_status` |
//! | [`withdraw`] | `withdraw/try`, `check_account`, `withdraw/create`, `withdraw/status`, `withdraw/shop_payment_status` |
//! | [`shop`] | `shop_balance` |

use payments_core::InputError;
use payments_core::payment::validate_text;

pub mod bill;
pub mod invoice;
pub mod pay_form;
pub mod shop;
pub mod transfer;
pub mod withdraw;

/// The fields each endpoint signs, as documented, sorted. Everything else an endpoint takes
/// is sent unsigned.
pub const SIGNED_FIELDS: &[(&str, &[&str])] = &[
    (
        "bill/create",
        &["payer_currency", "shop_amount", "shop_currency", "shop_id", "shop_order_id"],
    ),
    ("bill/shop_order_status", &["now", "shop_id", "shop_order_id"]),
    ("invoice/try", &["amount", "currency", "payway", "shop_id", "shop_order_id"]),
    ("invoice/create", &["amount", "currency", "payway", "shop_id", "shop_order_id"]),
    ("invoice/check", &["now", "shop_id", "shop_order_id"]),
    ("pay", &["amount", "currency", "shop_id", "shop_order_id"]),
    ("transfer/try", &["amount", "amount_type", "payee_currency", "shop_currency", "shop_id"]),
    (
        "transfer/create",
        &[
            "amount",
            "amount_type",
            "payee_account",
            "payee_currency",
            "shop_currency",
            "shop_id",
            "shop_payment_id",
        ],
    ),
    ("transfer/shop_payment_status", &["now", "shop_id", "shop_payment_id"]),
    ("withdraw/try", &["amount", "amount_type", "payway", "shop_currency", "shop_id"]),
    ("check_account", &["account", "amount", "payway", "shop_id"]),
    (
        "withdraw/create",
        &[
            "account",
            "amount",
            "amount_type",
            "payway",
            "shop_currency",
            "shop_id",
            "shop_payment_id",
        ],
    ),
    ("withdraw/status", &["now", "shop_id", "withdraw_id"]),
    ("withdraw/shop_payment_status", &["now", "shop_id", "shop_payment_id"]),
    ("shop_balance", &["now", "shop_id"]),
];

/// The fields `endpoint` signs (`"pay"` is the hosted form), or `None` for an unknown
/// endpoint.
///
/// ```
/// assert_eq!(feennex::api::signed_fields("shop_balance"), Some(&["now", "shop_id"][..]));
/// assert_eq!(feennex::api::signed_fields("nope"), None);
/// ```
pub fn signed_fields(endpoint: &str) -> Option<&'static [&'static str]> {
    let endpoint = endpoint.trim_matches('/');
    SIGNED_FIELDS.iter().find(|(name, _)| *name == endpoint).map(|(_, fields)| *fields)
}

/// The longest free text (description, account) Feennex accepts, in characters.
pub const MAX_TEXT_CHARS: usize = 255;

/// The longest payway alias accepted, in characters.
pub const MAX_PAYWAY_CHARS: usize = 150;

/// A payway is an opaque alias (`card_usd`): non-empty, at most 150 characters, no spaces.
pub(crate) fn validate_payway(payway: &str) -> Result<(), InputError> {
    validate_text("payway", payway, MAX_PAYWAY_CHARS)?;
    if payway.chars().any(char::is_whitespace) {
        return Err(InputError::field("payway", "must not contain spaces"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use payments_core::payment::OrderId;
    use payments_core::{Currency, Money};

    use super::*;
    use crate::Config;
    use crate::request::Prepared;

    /// Every typed request signs exactly the documented fields of its endpoint.
    #[test]
    fn typed_requests_sign_the_documented_fields() {
        let config = Config::new(5, "k");
        let id = || OrderId::new("1").unwrap();
        let rub = Money::parse("1", Currency::RUB).unwrap();
        let now = SystemTime::UNIX_EPOCH;
        let invoice = invoice::InvoiceCreate::new(id(), rub, "card_rub").with_description("d");
        let transfer = transfer::TransferCreate::receive(id(), "2014", rub, Currency::RUB);
        let payout = withdraw::WithdrawCreate::new(
            id(),
            "card_rub",
            "4111",
            rub,
            withdraw::WithdrawAmountType::PsAmount,
            Currency::RUB,
        )
        .with_account_detail("holder", "X");
        let prepared: Vec<Prepared> = vec![
            bill::BillCreate::new(id(), rub).with_description("d").prepare(&config).unwrap(),
            bill::BillStatusQuery::new(id()).prepare(&config, now).unwrap(),
            invoice.prepare_try(&config).unwrap(),
            invoice.prepare(&config).unwrap(),
            invoice::InvoiceStatusQuery::new(id()).prepare(&config, now).unwrap(),
            transfer.prepare_try(&config).unwrap(),
            transfer.prepare(&config).unwrap(),
            transfer::TransferStatusQuery::new(id()).prepare(&config, now).unwrap(),
            payout.prepare_try(&config).unwrap(),
            payout.prepare_check_account(&config).unwrap(),
            payout.prepare(&config).unwrap(),
            withdraw::WithdrawStatusQuery::ById(1).prepare(&config, now).unwrap(),
            withdraw::WithdrawStatusQuery::by_shop_payment_id(id()).prepare(&config, now).unwrap(),
            shop::ShopBalanceQuery.prepare(&config, now).unwrap(),
        ];
        assert_eq!(prepared.len(), SIGNED_FIELDS.len() - 1, "every endpoint but the form");
        for request in prepared {
            let mut keys = request.signed_keys().to_vec();
            keys.sort_unstable();
            assert_eq!(
                Some(&keys[..]),
                signed_fields(request.endpoint()),
                "{}",
                request.endpoint()
            );
        }
    }
}
