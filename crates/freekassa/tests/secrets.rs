//! No `Debug` or `Display` of a config, client, request, notification or error shows a secret
//! word or the API key.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

#[cfg(feature = "client")]
use freekassa::Client;
use freekassa::api::orders::OrderCreate;
use freekassa::source_ip::SourcePolicy;
use freekassa::webhook::NotificationVerifier;
use freekassa::{Config, Error, NotificationError, PaymentForm, PaymentSystemId};
use http::StatusCode;
use payments_core::GatewayError as _;
use payments_core::payment::OrderId;
use payments_core::transport::{HttpResponse, TransportError};
use payments_core::webhook::WebhookRequest;
use payments_core::{Currency, InputError, Money};

const SECRET1: &str = "Form-Secret-Word-One";
const SECRET2: &str = "Notify-Secret-Word-Two";
const API_KEY: &str = "Api-Key-Never-Printed";

fn assert_hidden(what: &str, text: String) {
    for secret in [SECRET1, SECRET2, API_KEY] {
        assert!(!text.contains(secret), "{what} shows a secret: {text}");
    }
    assert!(!text.is_empty(), "{what} printed nothing");
}

fn config() -> Config {
    Config::new(123).with_secret1(SECRET1).with_secret2(SECRET2).with_api_key(API_KEY)
}

fn order() -> OrderCreate {
    OrderCreate::new(
        OrderId::new("1").unwrap(),
        Money::parse("1", Currency::RUB).unwrap(),
        PaymentSystemId::SBP_API,
        "user@example.com",
        "203.0.113.10",
    )
}

#[test]
fn configs_clients_requests_and_links_hide_secrets() {
    assert_hidden("Config", format!("{:?}", config()));
    #[cfg(feature = "client")]
    assert_hidden("Client", format!("{:?}", Client::new(config()).unwrap()));
    let verifier = NotificationVerifier::new(&config()).unwrap();
    assert_hidden("NotificationVerifier", format!("{verifier:?}"));
    let prepared = order().prepare(&config(), 1).unwrap();
    assert_hidden("Prepared", format!("{prepared:?}"));
    assert_hidden("body", prepared.request().body_text().unwrap().to_owned());
    assert_hidden("string to sign", prepared.string_to_sign().to_owned());
    let link =
        PaymentForm::new(OrderId::new("1").unwrap(), Money::parse("1", Currency::RUB).unwrap())
            .prepare(&config())
            .unwrap();
    assert_hidden("FormLink", format!("{link:?}"));
    assert_hidden("form URL", link.url().to_string());
    assert_hidden("masked text", link.signed_text_masked().to_owned());
}

#[test]
fn every_error_hides_secrets() {
    let verifier = NotificationVerifier::new(&config())
        .unwrap()
        .with_source_policy(SourcePolicy::any_source());
    let refusal = |body: &str| {
        verifier.verify_request(&WebhookRequest::form_post(body.to_owned())).unwrap_err()
    };
    let parse = |status: u16, body: &str| {
        freekassa::response::parse::<serde_json::Value>(
            "balance",
            &HttpResponse::new(StatusCode::from_u16(status).unwrap(), body.to_owned()),
        )
        .unwrap_err()
    };
    let errors: Vec<Error> = vec![
        Error::Input(InputError::field("email", "bad")),
        order().prepare(&Config::new(1), 1).unwrap_err(),
        Error::Call {
            endpoint: "orders/create",
            source: TransportError::Timeout("deadline".into()).into(),
        },
        parse(401, r#"{"type": "error", "message": "Wrong signature"}"#),
        parse(502, "<html>"),
        parse(200, "{"),
        Error::NotFound { endpoint: "orders", payment_id: "1".into() },
        refusal("MERCHANT_ID=123&AMOUNT=100&MERCHANT_ORDER_ID=x&SIGN=00").into(),
        refusal("MERCHANT_ID=9&AMOUNT=100&MERCHANT_ORDER_ID=x&SIGN=00").into(),
        Error::Notification(NotificationError::SignedWithSecret1),
    ];
    for error in errors {
        assert_hidden("Error Debug", format!("{error:?}"));
        assert_hidden("Error Display", error.to_string());
        let core = error.into_core();
        assert_hidden("core Error Debug", format!("{core:?}"));
        assert_hidden("core Error Display", core.to_string());
    }
}

#[test]
fn secret_strings_from_configuration_are_taken_as_is() {
    use payments_core::{ExposeSecret, SecretString};
    let config = Config::new(123)
        .with_secret1(SecretString::from(SECRET1))
        .with_secret2(SecretString::from("secret2"))
        .with_api_key(SecretString::from(API_KEY));
    assert_eq!(config.secret1().unwrap().expose_secret(), SECRET1);
    assert_eq!(config.api_key().unwrap().expose_secret(), API_KEY);
    // The documentation's sample notification, SIGN = md5("123:100:secret2:test_order").
    let body = "MERCHANT_ID=123&AMOUNT=100&MERCHANT_ORDER_ID=test_order\
                &SIGN=30c76991785c43f10af2079878acd3d6";
    let verifier =
        NotificationVerifier::new(&config).unwrap().with_source_policy(SourcePolicy::any_source());
    assert!(verifier.verify_request(&WebhookRequest::form_post(body)).is_ok());
}
