//! Property tests: a valid callback with any single field changed, added or removed is
//! refused; any amount is written and read back exactly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use feennex::Config;
use feennex::webhook::{CallbackVerifier, sign_callback};
use payments_core::webhook::WebhookRequest;
use payments_core::{AmountStyle, Currency, Decimal, Money, SecretString};
use proptest::prelude::*;

const SECRET: &str = "SecretKey01";

/// A realistic callback's fields (all non-empty, so every one is signed).
fn fields() -> Vec<(String, String)> {
    [
        ("client_price", "10.5"),
        ("created", "2024-12-03 14:39:02"),
        ("payment_id", "77"),
        ("payway", "card_rub"),
        ("ps_currency", "643"),
        ("shop_amount", "10.5"),
        ("shop_currency", "643"),
        ("shop_id", "5"),
        ("shop_order_id", "order-9"),
        ("shop_refund", "10.1"),
        ("status", "success"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

fn body(fields: &[(String, String)], sign: &str) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.extend_pairs(fields);
    form.append_pair("sign", sign);
    form.finish()
}

fn verify(body: String) -> bool {
    CallbackVerifier::new(Config::new(5, SECRET))
        .verify_request(&WebhookRequest::form_post(body))
        .is_ok()
}

fn signed() -> (Vec<(String, String)>, String) {
    let fields = fields();
    let sign =
        sign_callback(&fields.iter().cloned().collect(), &SecretString::from(SECRET)).unwrap();
    (fields, sign)
}

proptest! {
    #[test]
    fn the_untouched_callback_passes(_ in 0..1_u8) {
        let (fields, sign) = signed();
        prop_assert!(verify(body(&fields, &sign)));
    }

    #[test]
    fn changing_any_field_is_refused(index in 0..11_usize, value in "[ -~]{1,20}") {
        let (mut fields, sign) = signed();
        prop_assume!(fields[index].1 != value);
        fields[index].1 = value;
        prop_assert!(!verify(body(&fields, &sign)));
    }

    #[test]
    fn removing_any_field_is_refused(index in 0..11_usize) {
        let (mut fields, sign) = signed();
        fields.remove(index);
        prop_assert!(!verify(body(&fields, &sign)));
    }

    #[test]
    fn adding_any_non_empty_field_is_refused(name in "[a-z_]{1,12}", value in "[ -~]{1,20}") {
        let (mut fields, sign) = signed();
        prop_assume!(name != "sign" && !fields.iter().any(|(known, _)| *known == name));
        fields.push((name, value));
        prop_assert!(!verify(body(&fields, &sign)));
    }

    #[test]
    fn any_amount_is_written_and_read_back_exactly(cents in 1_i64..10_000_000_000) {
        let money = Money::new(Decimal::new(cents, 2), Currency::RUB).unwrap();
        let text = feennex::amount::amount_text(&money).unwrap();
        prop_assert_eq!(AmountStyle::OneDecimalMinimum.parse_canonical(&text).unwrap(), money.amount());
    }
}
