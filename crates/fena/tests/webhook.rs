//! JWT webhooks: leeway, required claims, terminal and amount binding, the form, and the
//! conversion into the core notification.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::sync::Arc;
use std::time::Duration;

use fena::link::{PaymentClaims, PaymentLinkRequest};
use fena::webhook::{ACK, TokenVerifier};
use fena::{Config, Terminal, TokenError};
use http::{HeaderValue, Method, StatusCode};
use payments_core::gateway::WebhookVerifier;
use payments_core::payment::{OrderId, PaymentStatus};
use payments_core::webhook::WebhookRequest;
use payments_core::{Currency, Decimal, Money, SecretString, WebhookError};
use serde_json::{Value, json};

const TERMINAL: &str = "4af9b080-b6d3-4206-a10f-f2162f15b655";
const SECRET: &str = "0b7e3c1a-5d2f-4e8b-9a6c-2f1d3e4b5a69";
const NOW: i64 = 1_700_000_000;

fn config() -> Config {
    Config::new(TERMINAL, SECRET).with_clock(Arc::new(fena::clock::at_unix(NOW as u64)))
}

fn verifier() -> TokenVerifier {
    TokenVerifier::new(config())
}

/// The claims of the documentation's webhook table, plus `id`.
fn claims() -> Value {
    json!({
        "iat": NOW - 10,
        "exp": NOW + 3600,
        "id": "5f8d0d55b54764421b7156c1",
        "orderID": "ORDER-0001",
        "requestAmount": "10.00",
        "netAmount": "10.00",
        "terminal": TERMINAL,
        "completedAt": "2023-11-14 22:15:00"
    })
}

fn token(claims: &Value) -> String {
    fena::sign::sign(claims, &SecretString::from(SECRET)).unwrap()
}

fn with(name: &str, value: Value) -> String {
    let mut claims = claims();
    claims[name] = value;
    token(&claims)
}

fn without(name: &str) -> String {
    let mut claims = claims();
    claims.as_object_mut().unwrap().remove(name);
    token(&claims)
}

fn gbp(text: &str) -> Money {
    Money::parse(text, Currency::GBP).unwrap()
}

#[test]
fn exp_has_a_60_second_leeway_by_default() {
    assert!(verifier().verify_token(&with("exp", json!(NOW))).is_ok());
    assert!(verifier().verify_token(&with("exp", json!(NOW - 30))).is_ok());
    assert!(verifier().verify_token(&with("exp", json!(NOW - 59))).is_ok());
    assert_eq!(
        verifier().verify_token(&with("exp", json!(NOW - 60))).unwrap_err(),
        TokenError::Expired { exp: NOW - 60, now: NOW, leeway: 60 }
    );
    assert!(matches!(
        verifier().verify_token(&with("exp", json!(NOW - 90))),
        Err(TokenError::Expired { .. })
    ));
}

#[test]
fn the_leeway_is_configurable() {
    let strict = TokenVerifier::new(config().with_leeway(Duration::ZERO));
    assert!(strict.verify_token(&with("exp", json!(NOW + 1))).is_ok());
    assert!(matches!(
        strict.verify_token(&with("exp", json!(NOW))),
        Err(TokenError::Expired { .. })
    ));
    assert!(matches!(
        strict.verify_token(&with("iat", json!(NOW + 1))),
        Err(TokenError::IssuedInFuture { .. })
    ));
    let lenient = TokenVerifier::new(config().with_leeway(Duration::from_secs(300)));
    assert!(lenient.verify_token(&with("exp", json!(NOW - 299))).is_ok());
    assert!(lenient.verify_token(&with("iat", json!(NOW + 300))).is_ok());
}

#[test]
fn an_iat_in_the_future_beyond_the_leeway_is_refused() {
    assert!(verifier().verify_token(&with("iat", json!(NOW + 60))).is_ok());
    assert_eq!(
        verifier().verify_token(&with("iat", json!(NOW + 61))).unwrap_err(),
        TokenError::IssuedInFuture { iat: NOW + 61, now: NOW, leeway: 60 }
    );
    assert!(matches!(
        verifier().verify_token(&with("iat", json!(NOW + 86_400))),
        Err(TokenError::IssuedInFuture { .. })
    ));
    // No iat at all is accepted (the library Fena's example uses does not require it).
    assert!(verifier().verify_token(&without("iat")).is_ok());
    assert!(matches!(
        verifier().verify_token(&with("nbf", json!(NOW + 61))),
        Err(TokenError::NotYetValid { .. })
    ));
}

#[test]
fn exp_is_required_and_must_be_a_number() {
    assert_eq!(
        verifier().verify_token(&without("exp")).unwrap_err(),
        TokenError::MissingClaim("exp")
    );
    assert!(matches!(
        verifier().verify_token(&with("exp", json!("4102444800"))),
        Err(TokenError::InvalidClaim { claim: "exp", .. })
    ));
    // Fractional NumericDates are allowed by RFC 7519.
    assert!(verifier().verify_token(&with("exp", json!(4_102_444_800.5))).is_ok());
}

#[test]
fn every_required_claim_must_be_present() {
    for name in ["id", "orderID", "requestAmount", "netAmount", "terminal"] {
        assert_eq!(
            verifier().verify_token(&without(name)).unwrap_err(),
            TokenError::MissingClaim(name),
            "{name}"
        );
        assert!(
            matches!(verifier().verify_token(&with(name, json!(""))), Err(TokenError::InvalidClaim { claim, .. }) if claim == name),
            "{name} empty"
        );
        assert!(
            matches!(verifier().verify_token(&with(name, json!(7))), Err(TokenError::InvalidClaim { claim, .. }) if claim == name),
            "{name} as a number"
        );
    }
    assert!(matches!(
        verifier().verify_token(&with("requestAmount", json!("10"))),
        Err(TokenError::InvalidClaim { claim: "requestAmount", .. })
    ));
    assert!(matches!(
        verifier().verify_token(&with("netAmount", json!("9.5"))),
        Err(TokenError::InvalidClaim { claim: "netAmount", .. })
    ));
}

#[test]
fn id_can_be_made_optional() {
    let lenient = TokenVerifier::new(config().with_required_payment_id(false));
    let token = lenient.verify_token(&without("id")).unwrap();
    assert_eq!(token.payment_id(), None);
    assert_eq!(lenient.verify_token(&with("id", json!("abc"))).unwrap().payment_id(), Some("abc"));
}

#[test]
fn the_terminal_must_be_ours() {
    assert_eq!(
        verifier()
            .verify_token(&with("terminal", json!("00000000-0000-4000-8000-000000000000")))
            .unwrap_err(),
        TokenError::WrongTerminal {
            expected: TERMINAL.into(),
            received: "00000000-0000-4000-8000-000000000000".into()
        }
    );
    assert!(matches!(
        verifier().verify_token(&with("terminal", json!(TERMINAL.to_uppercase()))),
        Err(TokenError::WrongTerminal { .. })
    ));
}

#[test]
fn request_amount_must_equal_the_order_in_exact_pence() {
    let token = verifier().verify_token(&token(&claims())).unwrap();
    assert!(token.confirm(&gbp("10")).is_ok());
    assert_eq!(
        token.confirm(&gbp("10.01")).unwrap_err(),
        TokenError::AmountMismatch { expected: "10.01 GBP".into(), received: "10.00 GBP".into() }
    );
    assert!(token.confirm(&gbp("9.99")).is_err());
    assert!(token.confirm(&Money::parse("10", Currency::EUR).unwrap()).is_err());
}

#[test]
fn a_net_amount_that_differs_is_reported_not_hidden() {
    let token = verifier().verify_token(&with("netAmount", json!("9.50"))).unwrap();
    let paid = token.confirm(&gbp("10.00")).unwrap();
    assert_eq!(paid.net_amount(), &gbp("9.50"));
    assert_eq!(paid.net_difference(), Some(Decimal::new(50, 2)));
    assert!(paid.to_notification().raw_fields.contains(&("netAmount".into(), "9.50".into())));
}

#[test]
fn the_form_is_read_carefully() {
    let good = token(&claims());
    assert!(verifier().verify_form(format!("token={good}").as_bytes()).is_ok());
    // Percent-encoding is decoded; other fields are ignored.
    let encoded = good.replace('.', "%2E");
    assert!(verifier().verify_form(format!("a=1&token={encoded}").as_bytes()).is_ok());
    assert_eq!(verifier().verify_form(b"a=1").unwrap_err(), TokenError::MissingToken);
    assert_eq!(verifier().verify_form(b"token=").unwrap_err(), TokenError::MissingToken);
    assert!(matches!(
        verifier().verify_form(format!("token={good}&token={good}").as_bytes()),
        Err(TokenError::Form(_))
    ));
    // A `+` is a space in a form, so a token with one fails (it never carries one).
    assert!(verifier().verify_form(format!("token={good}+").as_bytes()).is_err());
    let small = TokenVerifier::new(config().with_max_webhook_bytes(100));
    assert_eq!(
        small.verify_form(format!("token={good}").as_bytes()).unwrap_err(),
        TokenError::BodyTooLarge { limit: 100 }
    );
}

#[test]
fn only_form_posts_are_read() {
    let body = format!("token={}", token(&claims()));
    assert!(verifier().verify_request(&WebhookRequest::form_post(body.clone())).is_ok());
    let bare = WebhookRequest::new(Method::POST, body.clone());
    assert!(verifier().verify_request(&bare).is_ok());
    let get = WebhookRequest::new(Method::GET, body.clone());
    assert!(matches!(verifier().verify_request(&get), Err(TokenError::NotAFormPost(_))));
    let json = WebhookRequest::new(Method::POST, body)
        .with_header(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    assert!(matches!(verifier().verify_request(&json), Err(TokenError::NotAFormPost(_))));
}

#[test]
fn a_payment_link_is_not_a_webhook_and_the_reverse() {
    let link = PaymentLinkRequest::new(OrderId::new("ORDER-0001").unwrap(), gbp("10"))
        .prepare(&config())
        .unwrap();
    // Signed with the same secret, but it lacks the webhook claims.
    assert_eq!(verifier().verify_token(link.token()).unwrap_err(), TokenError::MissingClaim("id"));
    let lenient = TokenVerifier::new(config().with_required_payment_id(false));
    assert_eq!(
        lenient.verify_token(link.token()).unwrap_err(),
        TokenError::MissingClaim("requestAmount")
    );
    assert_eq!(
        PaymentClaims::verify(&token(&claims()), &config()).unwrap_err(),
        TokenError::MissingClaim("terminalID")
    );
}

#[tokio::test]
async fn the_terminal_is_a_core_webhook_verifier_that_answers_200() {
    let terminal = Terminal::new(config());
    let body = format!("token={}", token(&claims()));
    let notification = terminal.verify(&WebhookRequest::form_post(body)).await.unwrap();
    assert_eq!(notification.status, PaymentStatus::Paid);
    assert_eq!(notification.order_id, "ORDER-0001");
    assert_eq!(notification.gateway_payment_id.as_deref(), Some("5f8d0d55b54764421b7156c1"));
    assert_eq!(notification.money, gbp("10.00"));
    assert!(notification.check_order("ORDER-0001", &gbp("10.00")).is_ok());
    assert!(notification.check_order("ORDER-0001", &gbp("100.00")).is_err());
    assert_eq!(terminal.ack().status, StatusCode::OK);
    assert_eq!(ACK.status, StatusCode::OK);

    let forged = WebhookRequest::form_post(
        format!("token={}", with("requestAmount", json!("1.00"))).replace(
            "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9",
            "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9",
        ),
    );
    match terminal.verify(&forged).await.unwrap_err() {
        // Refused as a bad signature, with the reason kept for the shop's log.
        payments_core::Error::Webhook {
            source: WebhookError::BadSignatureDiagnosed { diagnosis },
            ..
        } => {
            assert!(diagnosis.contains("\"HS256\" is not allowed"), "{diagnosis}");
        }
        other => panic!("unexpected {other:?}"),
    }
    let expired = WebhookRequest::form_post(format!("token={}", with("exp", json!(NOW - 3600))));
    assert!(matches!(
        terminal.verify(&expired).await.unwrap_err(),
        payments_core::Error::Webhook { source: WebhookError::Expired(_), .. }
    ));
}
