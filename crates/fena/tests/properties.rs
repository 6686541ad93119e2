//! Property tests: whatever passes validation round-trips through our own verifier, and no
//! single changed byte of a token survives verification.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::sync::Arc;

use fena::link::{PaymentClaims, PaymentLinkRequest};
use fena::webhook::TokenVerifier;
use fena::{Config, TokenError};
use payments_core::payment::OrderId;
use payments_core::{Currency, Money, SecretString};
use proptest::prelude::*;
use serde_json::json;

const TERMINAL: &str = "4af9b080-b6d3-4206-a10f-f2162f15b655";
const SECRET: &str = "0b7e3c1a-5d2f-4e8b-9a6c-2f1d3e4b5a69";

fn config(now: u64) -> Config {
    Config::new(TERMINAL, SECRET).with_clock(Arc::new(fena::clock::at_unix(now)))
}

/// Free text of at most 255 bytes (any characters, up to 63 of them).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "\\PC{0,63}", "[a-zA-Z0-9@.+ -]{0,255}"]
}

fn bank_triple() -> impl Strategy<Value = Option<(String, String, String)>> {
    prop::option::of(("[a-z-]{1,40}", "[0-9]{6}", "[0-9]{8}"))
}

prop_compose! {
    fn valid_request()(
        order_id in "[A-Za-z0-9_-]{1,64}",
        pence in 50_i64..500_000,
        email in text(),
        first_name in text(),
        last_name in text(),
        contact in text(),
        bank in bank_triple(),
    ) -> PaymentLinkRequest {
        let mut request = PaymentLinkRequest::new(
            OrderId::new(order_id).unwrap(),
            Money::from_minor(pence, Currency::GBP).unwrap(),
        )
        .with_email(email)
        .with_first_name(first_name)
        .with_last_name(last_name)
        .with_contact_number(contact);
        if let Some((bank_id, sort_code, account_number)) = bank {
            request = request.with_payer_account(bank_id, sort_code, account_number);
        }
        request
    }
}

/// `token` with the byte at `index` replaced by another printable ASCII byte.
fn flip(token: &str, index: usize, replacement: u8) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let at = index % bytes.len();
    let mut new = replacement;
    if new == bytes[at] {
        new = if new == b'~' { b'!' } else { new + 1 };
    }
    bytes[at] = new;
    String::from_utf8(bytes).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn signed_requests_verify_to_the_same_claims(request in valid_request(), now in 1_000_000_000_u64..4_000_000_000) {
        let config = config(now);
        prop_assume!(request.validate(&config).is_ok());
        let link = request.prepare(&config).unwrap();
        let verified = PaymentClaims::verify(link.token(), &config).unwrap();
        prop_assert_eq!(&verified, link.claims());
        prop_assert_eq!(verified.order_id.as_str(), request.order_id().as_str());
        prop_assert_eq!(fena::amount::parse_amount(&verified.amount).unwrap(), *request.amount());
        prop_assert_eq!(verified.iat, i64::try_from(now).unwrap());
        prop_assert_eq!(verified.exp - verified.iat, 7200);
    }

    #[test]
    fn any_changed_byte_breaks_a_payment_link(request in valid_request(), index in any::<usize>(), replacement in 0x21_u8..0x7f) {
        let config = config(1_700_000_000);
        prop_assume!(request.validate(&config).is_ok());
        let link = request.prepare(&config).unwrap();
        let changed = flip(link.token(), index, replacement);
        prop_assert!(PaymentClaims::verify(&changed, &config).is_err());
    }

    #[test]
    fn webhook_tokens_round_trip_and_any_changed_byte_breaks_them(
        order_id in "[A-Za-z0-9_-]{1,64}",
        pence in 1_i64..10_000_000,
        id in "[0-9a-f]{24}",
        index in any::<usize>(),
        replacement in 0x21_u8..0x7f,
    ) {
        let amount = Money::from_minor(pence, Currency::GBP).unwrap();
        let text = fena::amount::amount_text(&amount);
        let claims = json!({
            "iat": 1_700_000_000, "exp": 1_700_003_600, "id": id, "orderID": order_id,
            "requestAmount": text, "netAmount": text, "terminal": TERMINAL,
            "completedAt": "2023-11-14 22:15:00",
        });
        let token = fena::sign::sign(&claims, &SecretString::from(SECRET)).unwrap();
        let verifier = TokenVerifier::new(config(1_700_000_100));
        let verified = verifier.verify_token(&token).unwrap();
        prop_assert_eq!(verified.order_id(), order_id.as_str());
        prop_assert_eq!(verified.payment_id(), Some(id.as_str()));
        prop_assert!(verified.confirm(&amount).is_ok());
        let changed = flip(&token, index, replacement);
        let error = verifier.verify_token(&changed).unwrap_err();
        prop_assert!(!matches!(error, TokenError::Jwt(_)), "{error:?}");
    }

    #[test]
    fn amount_text_round_trips(pence in 1_i64..1_000_000_000_000) {
        let money = Money::from_minor(pence, Currency::GBP).unwrap();
        let text = fena::amount::amount_text(&money);
        prop_assert_eq!(text.split_once('.').unwrap().1.len(), 2);
        prop_assert_eq!(fena::amount::parse_amount(&text).unwrap(), money);
    }
}
