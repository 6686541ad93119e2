//! No `Debug` or `Display` of a config, client, request or error ever shows the terminal
//! secret or the Toolkit secret key.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]
#![cfg(feature = "client")]

use fena::api::payment::{PaymentCreate, PaymentGet};
use fena::link::PaymentLinkRequest;
use fena::webhook::TokenVerifier;
use fena::{Client, Config, Error, Terminal, TokenError, ToolkitConfig};
use http::StatusCode;
use payments_core::GatewayError as _;
use payments_core::payment::OrderId;
use payments_core::transport::{ClientOptions, HttpResponse, RetryPolicy, TransportError};
use payments_core::{Currency, InputError, Money, WebhookError};

const TERMINAL_SECRET: &str = "Sup3rSecret-Terminal-7c1e";
const SECRET_KEY: &str = "Sup3rSecret-Toolkit-Key-91ab";

fn assert_hidden(what: &str, text: String) {
    assert!(!text.contains(TERMINAL_SECRET), "{what} shows the terminal secret: {text}");
    assert!(!text.contains(SECRET_KEY), "{what} shows the secret key: {text}");
    assert!(!text.is_empty(), "{what} printed nothing");
}

fn config() -> Config {
    Config::new("4af9b080-b6d3-4206-a10f-f2162f15b655", TERMINAL_SECRET)
}

fn toolkit() -> ToolkitConfig {
    ToolkitConfig::new("62b48adf6ba2cd6a040b1eec", SECRET_KEY)
}

fn every_error() -> Vec<Error> {
    let respond = |status: u16, body: &str| {
        HttpResponse::new(StatusCode::from_u16(status).unwrap(), body.to_owned())
    };
    let get = PaymentGet::new("p1");
    let prepared = get.prepare(&toolkit()).unwrap();
    let forged = TokenVerifier::new(config()).verify_form(b"token=a.b.c").unwrap_err();
    let wrong_secret = {
        let other = Config::new("4af9b080-b6d3-4206-a10f-f2162f15b655", "other");
        let link = PaymentLinkRequest::new(
            OrderId::new("1").unwrap(),
            Money::parse("1", Currency::GBP).unwrap(),
        )
        .prepare(&other)
        .unwrap();
        TokenVerifier::new(config()).verify_token(link.token()).unwrap_err()
    };
    vec![
        Error::Input(InputError::field("reference", "too long")),
        Error::Token(forged),
        Error::Token(wrong_secret),
        Error::Token(TokenError::WrongTerminal { expected: "a".into(), received: "b".into() }),
        Error::Webhook(WebhookError::BadSignature),
        Error::Call { endpoint: "x", source: TransportError::Timeout("deadline".into()).into() },
        get.parse_response(&prepared, &respond(401, r#"{"message": "bad secret-key header"}"#))
            .unwrap_err(),
        get.parse_response(&prepared, &respond(200, "{")).unwrap_err(),
        get.parse_response(
            &prepared,
            &respond(
                200,
                r#"{"data": {"id": "p2", "reference": "r", "amount": "1.00", "status": "paid"}}"#,
            ),
        )
        .unwrap_err(),
    ]
}

#[test]
fn configs_clients_and_requests_hide_the_secrets() {
    assert_hidden("Config", format!("{:?}", config()));
    assert_hidden("ToolkitConfig", format!("{:?}", toolkit()));
    assert_hidden("Terminal", format!("{:?}", Terminal::new(config())));
    assert_hidden("TokenVerifier", format!("{:?}", TokenVerifier::new(config())));
    let options = ClientOptions::default().retry_policy(RetryPolicy::disabled());
    let client = Client::with_options(toolkit(), &options).unwrap();
    assert_hidden("Client", format!("{client:?}"));
    let prepared = PaymentCreate::new("ORDER-1", Money::parse("1", Currency::GBP).unwrap())
        .unwrap()
        .prepare(&toolkit())
        .unwrap();
    assert_hidden("Prepared", format!("{prepared:?}"));
    assert_hidden("HttpRequest", format!("{:?}", prepared.request()));
    assert_hidden("body", prepared.request().body_text().unwrap().to_owned());
    assert!(prepared.request().headers["secret-key"].is_sensitive());
    let link = PaymentLinkRequest::new(
        OrderId::new("1").unwrap(),
        Money::parse("1", Currency::GBP).unwrap(),
    )
    .prepare(&config())
    .unwrap();
    assert_hidden("SignedLink", format!("{link:?}"));
    assert_hidden("token", link.token().to_owned());
    assert_hidden("url", link.url().to_string());
}

#[test]
fn every_error_hides_the_secrets() {
    for error in every_error() {
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
    let config =
        Config::new("4af9b080-b6d3-4206-a10f-f2162f15b655", SecretString::from(TERMINAL_SECRET));
    assert_eq!(config.terminal_secret().expose_secret(), TERMINAL_SECRET);
    let toolkit = ToolkitConfig::new("62b48adf6ba2cd6a040b1eec", SecretString::from(SECRET_KEY));
    assert_eq!(toolkit.secret_key().expose_secret(), SECRET_KEY);
    assert_hidden("Config", format!("{config:?} {toolkit:?}"));
}
