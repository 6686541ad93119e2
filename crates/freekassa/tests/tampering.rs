//! Property test: a valid notification with any signed field changed or removed is refused.
//! (`MERCHANT_ID`, `AMOUNT` and `MERCHANT_ORDER_ID` are what Freekassa signs; the other
//! fields are not covered by its signature, so only their names are checked elsewhere.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use freekassa::Config;
use freekassa::source_ip::SourcePolicy;
use freekassa::webhook::{NotificationVerifier, signed_notification_body};
use payments_core::webhook::{WebhookRequest, decode_form};
use proptest::prelude::*;

fn config() -> Config {
    Config::new(7012).with_secret2("secret2")
}

fn verify(body: String) -> bool {
    let verifier = NotificationVerifier::new(&config())
        .unwrap()
        .with_source_policy(SourcePolicy::any_source());
    verifier.verify_request(&WebhookRequest::form_post(body)).is_ok()
}

fn reencode(fields: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish()
}

const SIGNED: [&str; 3] = ["MERCHANT_ID", "AMOUNT", "MERCHANT_ORDER_ID"];

proptest! {
    #[test]
    fn changing_or_removing_a_signed_field_is_refused(which in 0..3_usize, value in "[0-9a-z.]{1,12}", remove in any::<bool>()) {
        let body = signed_notification_body(&config(), "100.50", "order-9", &[("intid", "77"), ("CUR_ID", "36")]).unwrap();
        prop_assert!(verify(body.clone()));
        let mut fields = decode_form(body.as_bytes()).unwrap();
        let index = fields.iter().position(|(k, _)| k == SIGNED[which]).unwrap();
        if remove {
            fields.remove(index);
        } else {
            prop_assume!(fields[index].1 != value);
            fields[index].1 = value;
        }
        prop_assert!(!verify(reencode(&fields)));
    }
}
