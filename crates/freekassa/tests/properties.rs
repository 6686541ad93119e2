//! Properties: what is signed is exactly what is sent, for any amount and any text.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::collections::BTreeMap;

use freekassa::api::orders::OrderCreate;
use freekassa::source_ip::SourcePolicy;
use freekassa::webhook::NotificationVerifier;
use freekassa::{Config, PaymentForm, PaymentSystemId};
use payments_core::payment::OrderId;
use payments_core::webhook::WebhookRequest;
use payments_core::{AmountStyle, Currency, Decimal, Money, SecretString};
use proptest::prelude::*;
use serde_json::value::RawValue;

fn rub(cents: i64) -> Money {
    Money::from_minor(cents, Currency::RUB).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    /// The string to sign is rebuilt from the raw JSON tokens of the body that is sent: the
    /// amount token carries exactly the signed digits, and the signature verifies.
    #[test]
    fn api_signature_is_over_the_sent_tokens(cents in 1_i64..10_000_000_000_000, email in "[a-z]{1,8}@[a-z]{1,8}[.]ru") {
        let config = Config::new(777).with_api_key("test_api_key");
        let money = rub(cents);
        let prepared = OrderCreate::new(
            OrderId::new("order-1").unwrap(), money, PaymentSystemId::SBP_API, email, "203.0.113.10",
        )
        .prepare(&config, 1_700_000_000_000_000_000)
        .unwrap();
        let tokens: BTreeMap<String, Box<RawValue>> =
            serde_json::from_slice(&prepared.request().body).unwrap();
        let texts: Vec<String> = tokens
            .iter()
            .filter(|(key, _)| key.as_str() != "signature")
            .map(|(_, raw)| match serde_json::from_str::<String>(raw.get()) {
                Ok(text) => text,
                Err(_) => raw.get().to_owned(),
            })
            .collect();
        prop_assert_eq!(texts.join("|"), prepared.string_to_sign());
        let amount = tokens["amount"].get();
        prop_assert_eq!(AmountStyle::Shortest.parse_canonical(amount).unwrap(), money.amount());
        prop_assert!(prepared.signature_matches(&SecretString::from("test_api_key")));
    }

    /// Any order id is signed raw and arrives intact through the percent-encoded link; the
    /// signature is over the `oa` text in the link.
    #[test]
    fn form_links_sign_the_raw_values_they_carry(cents in 1_i64..10_000_000_000, order in "[ -~а-я]{1,40}") {
        let config = Config::new(7012).with_secret1("secret");
        let order_id = OrderId::new(order.clone()).unwrap();
        let link = PaymentForm::new(order_id, rub(cents)).prepare(&config).unwrap();
        let query: BTreeMap<String, String> = link.url().query_pairs().into_owned().collect();
        prop_assert_eq!(&query["o"], &order);
        prop_assert_eq!(
            AmountStyle::Shortest.parse_canonical(&query["oa"]).unwrap(),
            rub(cents).amount()
        );
        let expected = freekassa::sign::form_signature(
            "7012", &query["oa"], &SecretString::from("secret"), "RUB", &order,
        );
        prop_assert_eq!(&query["s"], &expected);
    }

    /// A notification verifies over the amount text exactly as received; any other writing of
    /// the same value is refused.
    #[test]
    fn notifications_verify_only_the_received_amount_text(cents in 1_i64..10_000_000, extra_zeros in 0_usize..3) {
        let value = Decimal::new(cents, 2);
        let signed_text = {
            let mut text = AmountStyle::Shortest.render(value).unwrap();
            if extra_zeros > 0 {
                if !text.contains('.') { text.push('.'); }
                text.push_str(&"0".repeat(extra_zeros));
            }
            text
        };
        let secret = SecretString::from("secret2");
        let sign = freekassa::sign::notification_signature("123", &signed_text, &secret, "o-1");
        let verifier = NotificationVerifier::new(&Config::new(123).with_secret2("secret2"))
            .unwrap()
            .with_source_policy(SourcePolicy::any_source());
        let body = |amount: &str| {
            WebhookRequest::form_post(format!("MERCHANT_ID=123&AMOUNT={amount}&MERCHANT_ORDER_ID=o-1&SIGN={sign}"))
        };
        let ok = verifier.verify_request(&body(&signed_text)).unwrap();
        prop_assert_eq!(ok.amount, value);
        for style in [AmountStyle::Shortest, AmountStyle::OneDecimalMinimum, AmountStyle::TwoDecimals] {
            let other = style.render(value).unwrap();
            if other != signed_text {
                prop_assert!(verifier.verify_request(&body(&other)).is_err());
            }
        }
    }
}
