//! Callback verification: valid form and JSON callbacks pass; tampering, a missing or wrong
//! signature, an added field and another shop fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use common::{SECRET, sha256_sign};
use feennex::Config;
use feennex::webhook::{CallbackStatus, CallbackVerifier};
use http::{HeaderValue, header::CONTENT_TYPE};
use payments_core::gateway::WebhookVerifier;
use payments_core::payment::PaymentStatus;
use payments_core::webhook::WebhookRequest;
use payments_core::{Currency, Money, WebhookError};

/// The published-shape callback from the vectors (shop 1, secret SecretKey01).
fn vector_body() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/vectors/feennex.json");
    let vectors: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    vectors["callbacks"][0]["body"].as_str().unwrap().to_owned()
}

fn verifier(shop_id: u64, secret: &str) -> CallbackVerifier {
    CallbackVerifier::new(Config::new(shop_id, secret))
}

fn refused(request: &WebhookRequest) -> WebhookError {
    match verifier(1, SECRET).verify_request(request).unwrap_err() {
        feennex::Error::Webhook(error) => error,
        other => panic!("unexpected {other:?}"),
    }
}

fn json_request(body: &str) -> WebhookRequest {
    WebhookRequest::new(http::Method::POST, body.to_owned())
        .with_header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
}

#[test]
fn the_vector_form_callback_passes_and_reads() {
    let callback =
        verifier(1, SECRET).verify_request(&WebhookRequest::form_post(vector_body())).unwrap();
    assert_eq!(callback.status, CallbackStatus::Success);
    assert_eq!(callback.shop_order_id, "1");
    assert_eq!(callback.shop_amount.to_string(), "1.0");
    assert_eq!(callback.shop_currency, Currency::USD);
    assert_eq!(callback.payment_id, "1");
    assert_eq!(callback.ps_data.as_deref(), Some(r#"{"ps_payer_account": "201538122124"}"#));
    callback.check_order("1", &Money::parse("1.00", Currency::USD).unwrap()).unwrap();
    let notification = callback.to_notification().unwrap();
    assert_eq!(notification.status, PaymentStatus::Paid);
    assert_eq!(notification.gateway_payment_id.as_deref(), Some("1"));
}

#[test]
fn a_json_callback_is_signed_over_raw_tokens() {
    // Numbers keep their text (1.0, not 1); null is empty and skipped; a future field is signed.
    let body = r#"{"shop_amount": 1.0, "shop_currency": 840, "shop_id": 1, "shop_order_id": "42",
                  "status": "success", "payment_id": 9, "description": null, "new_field": "x", "sign": "SIGN"}"#;
    let sign = sha256_sign("x:9:1.0:840:1:42:success");
    let callback =
        verifier(1, SECRET).verify_request(&json_request(&body.replace("SIGN", &sign))).unwrap();
    assert_eq!(callback.shop_amount.to_string(), "1.0");
    assert!(callback.fields.iter().any(|(k, v)| k == "new_field" && v == "x"));
}

#[test]
fn a_tampered_value_fails() {
    let body = vector_body().replace("shop_amount=1.0", "shop_amount=100.0");
    assert_eq!(refused(&WebhookRequest::form_post(body)), WebhookError::BadSignature);
}

#[test]
fn a_re_formatted_amount_fails() {
    let body = vector_body().replace("shop_amount=1.0", "shop_amount=1");
    assert_eq!(refused(&WebhookRequest::form_post(body)), WebhookError::BadSignature);
}

#[test]
fn a_missing_sign_fails() {
    let body = vector_body();
    let without = &body[..body.find("&sign=").unwrap()];
    assert_eq!(
        refused(&WebhookRequest::form_post(without.to_owned())),
        WebhookError::MissingField("sign".into())
    );
}

#[test]
fn a_wrong_secret_fails() {
    let error = verifier(1, "AnotherKey02")
        .verify_request(&WebhookRequest::form_post(vector_body()))
        .unwrap_err();
    assert!(matches!(error, feennex::Error::Webhook(WebhookError::BadSignature)));
}

#[test]
fn an_added_field_fails() {
    let body = vector_body().replace("&sign=", "&bonus=1&sign=");
    assert_eq!(refused(&WebhookRequest::form_post(body)), WebhookError::BadSignature);
}

#[test]
fn another_shop_fails_even_when_correctly_signed() {
    let fields =
        "payment_id=3&shop_amount=5.0&shop_currency=840&shop_id=2&shop_order_id=7&status=success";
    let sign = sha256_sign("3:5.0:840:2:7:success");
    let request = WebhookRequest::form_post(format!("{fields}&sign={sign}"));
    assert_eq!(
        refused(&request),
        WebhookError::WrongMerchant { expected: "1".into(), received: "2".into() }
    );
}

#[test]
fn repeated_fields_and_other_content_types_are_malformed() {
    let body = vector_body().replace("&sign=", "&status=rejected&sign=");
    assert!(matches!(refused(&WebhookRequest::form_post(body)), WebhookError::Malformed(_)));
    let xml = WebhookRequest::new(http::Method::POST, "<a/>")
        .with_header(CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    assert!(matches!(refused(&xml), WebhookError::Malformed(_)));
    assert!(matches!(
        refused(&json_request(r#"{"a": 1, "a": 2, "sign": "x"}"#)),
        WebhookError::Malformed(_)
    ));
    assert!(matches!(refused(&json_request("[1, 2]")), WebhookError::Malformed(_)));
}

#[test]
fn an_oversized_body_is_refused_before_parsing() {
    let small = verifier(1, SECRET).with_max_body_bytes(100);
    let error = small.verify_request(&WebhookRequest::form_post(vector_body())).unwrap_err();
    assert!(matches!(error, feennex::Error::Webhook(WebhookError::TooLarge { limit: 100 })));
}

#[test]
fn the_order_check_names_the_difference() {
    let callback =
        verifier(1, SECRET).verify_request(&WebhookRequest::form_post(vector_body())).unwrap();
    let other_amount =
        callback.check_order("1", &Money::parse("1.01", Currency::USD).unwrap()).unwrap_err();
    assert!(matches!(other_amount, WebhookError::Mismatch { field: "amount", .. }));
    let other_currency =
        callback.check_order("1", &Money::parse("1", Currency::EUR).unwrap()).unwrap_err();
    assert!(matches!(other_currency, WebhookError::Mismatch { field: "currency", .. }));
    let other_order =
        callback.check_order("2", &Money::parse("1", Currency::USD).unwrap()).unwrap_err();
    assert!(matches!(other_order, WebhookError::Mismatch { field: "order_id", .. }));
}

#[test]
fn debug_hides_payer_data() {
    let callback =
        verifier(1, SECRET).verify_request(&WebhookRequest::form_post(vector_body())).unwrap();
    let debug = format!("{callback:?}");
    assert!(
        !debug.contains("1@1.1") && !debug.contains("1.2.3.4") && !debug.contains("201538122124"),
        "{debug}"
    );
}

#[tokio::test]
async fn the_core_verifier_answers_ok() {
    let verifier: Box<dyn WebhookVerifier> = Box::new(verifier(1, SECRET));
    let notification = verifier.verify(&WebhookRequest::form_post(vector_body())).await.unwrap();
    assert_eq!(notification.money, Money::parse("1", Currency::USD).unwrap());
    assert_eq!((verifier.ack().status.as_u16(), verifier.ack().body), (200, "OK"));
    let forged = WebhookRequest::form_post(vector_body().replace("status=success", "status=hold"));
    assert!(matches!(verifier.verify(&forged).await, Err(payments_core::Error::Webhook { .. })));
}

/// A captured genuine callback re-cut so the signed string stays the same (`payment_id`
/// dropped, its digits moved into `lang`) must not pass as a second, different payment.
#[test]
fn a_re_cut_callback_is_refused() {
    let body = vector_body().replace("lang=en&payment_id=1&", "lang=en%3A1&");
    assert_eq!(
        refused(&WebhookRequest::form_post(body)),
        WebhookError::MissingField("payment_id".into())
    );
    let body = vector_body().replace("shop_order_id=1&shop_refund=1.0&", "shop_order_id=1%3A1.0&");
    assert!(matches!(refused(&WebhookRequest::form_post(body)), WebhookError::Malformed(_)));
}
