//! No `Debug` or `Display` of a config, client, request or error ever shows the secret key.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use feennex::api::bill::BillCreate;
use feennex::request::SignedRequest;
use feennex::{Client, Config, Error, ErrorCode};
use http::StatusCode;
use payments_core::GatewayError as _;
use payments_core::payment::OrderId;
use payments_core::response::CallError;
use payments_core::transport::{
    ClientOptions, HttpResponse, RetryPolicy, TransportConfig, TransportError,
};
use payments_core::{Currency, InputError, Money, WebhookError};

const SECRET: &str = "Sup3rSecretKey-Feennex";

fn assert_hidden(what: &str, text: String) {
    assert!(!text.contains(SECRET), "{what} shows the secret: {text}");
    assert!(!text.is_empty(), "{what} printed nothing");
}

fn config() -> Config {
    Config::new(5, SECRET)
}

fn every_error() -> Vec<Error> {
    let prepared =
        BillCreate::new(OrderId::new("1").unwrap(), Money::parse("1", Currency::USD).unwrap())
            .prepare(&config())
            .unwrap();
    let respond = |status: u16, body: &str| {
        HttpResponse::new(StatusCode::from_u16(status).unwrap(), body.to_owned())
    };
    let parse = |response: HttpResponse| {
        feennex::response::parse::<serde_json::Value>(
            "bill/create",
            &response,
            prepared.string_to_sign(),
        )
        .unwrap_err()
    };
    vec![
        Error::Input(InputError::field("description", "too long")),
        SignedRequest::new("x", false)
            .signed("a", "1")
            .signed("a", "1")
            .build(&config())
            .unwrap_err(),
        Error::Call {
            endpoint: "bill/create",
            source: TransportError::Timeout("deadline".into()).into(),
        },
        parse(respond(200, r#"{"result": false, "error_code": 6, "message": "dup"}"#)),
        parse(respond(
            200,
            r#"{"result": false, "error_code": 10, "message": "Invalid sign, string_to_sign: 840:1.0:840:5:1"}"#,
        )),
        parse(respond(502, "<html>")),
        parse(respond(200, "{")),
        Error::Call { endpoint: "bill/create", source: CallError::integrity("shop_amount", 1, 2) },
        Error::Webhook(WebhookError::BadSignature),
    ]
}

#[test]
fn configs_clients_and_requests_hide_the_secret() {
    assert_hidden("Config", format!("{:?}", config()));
    let options = ClientOptions::default().retry_policy(RetryPolicy::disabled());
    let client = Client::with_options(config(), &options).unwrap();
    assert_hidden("Client", format!("{client:?}"));
    let prepared =
        BillCreate::new(OrderId::new("1").unwrap(), Money::parse("1", Currency::USD).unwrap())
            .prepare(&config())
            .unwrap();
    assert_hidden("Prepared", format!("{prepared:?}"));
    assert_hidden("HttpRequest", format!("{:?}", prepared.request()));
    assert_hidden("body", prepared.request().body_text().unwrap().to_owned());
    assert_hidden("TransportConfig", format!("{:?}", TransportConfig::default()));
}

#[test]
fn every_error_hides_the_secret() {
    let errors = every_error();
    assert_eq!(
        errors.iter().filter(|e| e.code() == Some(ErrorCode::IncorrectRequestParam)).count(),
        1
    );
    for error in errors {
        assert_hidden("Error Debug", format!("{error:?}"));
        assert_hidden("Error Display", error.to_string());
        let core = error.into_core();
        assert_hidden("core Error Debug", format!("{core:?}"));
        assert_hidden("core Error Display", core.to_string());
    }
}

#[test]
fn card_numbers_are_masked_in_payout_debug() {
    use feennex::api::withdraw::{WithdrawAmountType, WithdrawCreate};
    let payout = WithdrawCreate::new(
        OrderId::new("p-1").unwrap(),
        "card_rub",
        "4111111111111111",
        Money::parse("10", Currency::RUB).unwrap(),
        WithdrawAmountType::PsAmount,
        Currency::RUB,
    );
    let prepared = payout.prepare(&config()).unwrap();
    for text in [format!("{payout:?}"), format!("{prepared:?}")] {
        assert!(!text.contains("4111111111111111") && text.contains("1111"), "{text}");
    }
}

#[test]
fn a_secret_string_from_configuration_is_taken_as_is() {
    use payments_core::{ExposeSecret, SecretString};
    let config = Config::new(5, SecretString::from(SECRET));
    assert_eq!(config.secret().expose_secret(), SECRET);
    assert_hidden("Config", format!("{config:?}"));
}
