//! Every entry of the independent Fena test vectors (`testdata/vectors/fena.json`).
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
use fena::webhook::TokenVerifier;
use fena::{Config, TokenError};
use payments_core::payment::{OrderId, PaymentStatus};
use payments_core::webhook::WebhookRequest;
use payments_core::{Currency, Money};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/vectors/fena.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn entries(section: &str) -> Vec<Value> {
    let entries = vectors()[section].as_array().unwrap().clone();
    assert!(!entries.is_empty(), "no {section} vectors");
    entries
}

/// The vectors' terminal at `now` (seconds since the epoch), default leeway.
fn config_at(now: u64) -> Config {
    let vectors = vectors();
    Config::new(vectors["terminal_id"].as_str().unwrap(), vectors["secret"].as_str().unwrap())
        .with_clock(Arc::new(fena::clock::at_unix(now)))
}

/// A time after every `iat` of the vectors, and exactly when the expired vector
/// (`exp` 1700003700) runs out of the default 60 s leeway.
const NOW: u64 = 1_700_003_760;

fn is_payment_request(entry: &Value) -> bool {
    entry["claims"].get("terminalID").is_some()
}

#[test]
fn every_valid_token_is_accepted_with_its_claims() {
    let config = config_at(NOW);
    let mut seen = (0, 0);
    for entry in entries("valid") {
        let name = entry["name"].as_str().unwrap();
        let token = entry["token"].as_str().unwrap();
        let claims = &entry["claims"];
        if is_payment_request(&entry) {
            seen.0 += 1;
            let verified = PaymentClaims::verify(token, &config)
                .unwrap_or_else(|error| panic!("{name}: {error}"));
            assert_eq!(serde_json::to_value(&verified).unwrap(), *claims, "{name}");
        } else {
            seen.1 += 1;
            let verified = TokenVerifier::new(config.clone())
                .verify_token(token)
                .unwrap_or_else(|error| panic!("{name}: {error}"));
            assert_eq!(verified.order_id(), claims["orderID"].as_str().unwrap(), "{name}");
            assert_eq!(verified.payment_id(), claims["id"].as_str(), "{name}");
            assert_eq!(
                fena::amount::amount_text(verified.request_amount()),
                claims["requestAmount"].as_str().unwrap()
            );
            assert_eq!(
                fena::amount::amount_text(verified.net_amount()),
                claims["netAmount"].as_str().unwrap()
            );
            assert_eq!(verified.completed_at(), claims["completedAt"].as_str());
            assert_eq!(verified.issued_at(), claims["iat"].as_i64());
            assert_eq!(verified.expires_at(), claims["exp"].as_i64().unwrap());
            // The same token as Fena would POST it.
            let body = entry["form_body"].as_str().unwrap();
            let from_form = TokenVerifier::new(config.clone())
                .verify_request(&WebhookRequest::form_post(body.to_owned()))
                .unwrap();
            assert_eq!(from_form, verified, "{name}");
        }
    }
    assert!(seen.0 >= 1 && seen.1 >= 1, "both kinds of valid vectors are present: {seen:?}");
}

#[test]
fn the_payment_request_vector_is_reproduced_byte_for_byte() {
    for entry in entries("valid").into_iter().filter(is_payment_request) {
        let claims = &entry["claims"];
        let text = |name: &str| claims[name].as_str().unwrap().to_owned();
        let iat = claims["iat"].as_u64().unwrap();
        let exp = claims["exp"].as_u64().unwrap();
        let config = config_at(iat).with_link_lifetime(Duration::from_secs(exp - iat));
        assert_eq!(config.terminal_id(), text("terminalID"));
        let link = PaymentLinkRequest::new(
            OrderId::new(text("orderID")).unwrap(),
            Money::parse(&text("amount"), Currency::GBP).unwrap(),
        )
        .with_email(text("email"))
        .with_first_name(text("firstName"))
        .with_last_name(text("lastName"))
        .with_contact_number(text("contactNumber"))
        .with_payer_account(text("bankID"), text("sortCode"), text("accountNumber"))
        .prepare(&config)
        .unwrap();
        let token = entry["token"].as_str().unwrap();
        assert_eq!(link.token(), token);
        assert_eq!(serde_json::to_value(link.claims()).unwrap(), *claims);
        // Fena's documented pay URL.
        assert_eq!(link.url(), format!("https://app.fena.co/pay/?token={token}"));
    }
}

#[test]
fn the_webhook_vector_confirms_its_order_and_converts_to_a_core_notification() {
    for entry in entries("valid").into_iter().filter(|e| !is_payment_request(e)) {
        let claims = &entry["claims"];
        let token = TokenVerifier::new(config_at(NOW))
            .verify_token(entry["token"].as_str().unwrap())
            .unwrap();
        let order = Money::parse(claims["requestAmount"].as_str().unwrap(), Currency::GBP).unwrap();
        let paid = token.confirm(&order).unwrap();
        assert_eq!(paid.net_difference(), None);
        let notification = paid.to_notification();
        assert_eq!(notification.status, PaymentStatus::Paid);
        assert_eq!(notification.order_id, claims["orderID"].as_str().unwrap());
        assert_eq!(notification.gateway_payment_id.as_deref(), claims["id"].as_str());
        assert!(notification.check_order(claims["orderID"].as_str().unwrap(), &order).is_ok());
        let one_penny_more =
            Money::from_minor(order.to_minor().unwrap() + 1, Currency::GBP).unwrap();
        assert!(matches!(token.confirm(&one_penny_more), Err(TokenError::AmountMismatch { .. })));
    }
}

/// The error each invalid vector must produce, by name.
fn expected_error(name: &str, terminal_id: &str) -> TokenError {
    match name {
        "HS256 with the same secret" => TokenError::AlgorithmNotAllowed { alg: "HS256".into() },
        "alg none" => TokenError::AlgorithmNotAllowed { alg: "none".into() },
        "tampered payload, original signature" | "wrong secret" => TokenError::BadSignature,
        "expired (exp 1700003700)" => {
            TokenError::Expired { exp: 1_700_003_700, now: NOW as i64, leeway: 60 }
        }
        "missing exp" => TokenError::MissingClaim("exp"),
        "terminal of another merchant" => TokenError::WrongTerminal {
            expected: terminal_id.to_owned(),
            received: "00000000-0000-4000-8000-000000000000".to_owned(),
        },
        other => panic!("no expectation for the invalid vector {other:?}: add one"),
    }
}

#[test]
fn every_invalid_token_is_rejected_with_its_own_error() {
    let config = config_at(NOW);
    let verifier = TokenVerifier::new(config.clone());
    for entry in entries("invalid") {
        let name = entry["name"].as_str().unwrap();
        let token = entry["token"].as_str().unwrap();
        let error = verifier.verify_token(token).unwrap_err();
        assert_eq!(error, expected_error(name, config.terminal_id()), "{name}: {error}");
        // The same refusal through the form, as Fena would POST it.
        let body = format!("token={token}");
        assert_eq!(verifier.verify_form(body.as_bytes()).unwrap_err(), error, "{name}");
        // None of them passes as a payment link either.
        assert!(PaymentClaims::verify(token, &config).is_err(), "{name}");
    }
}

#[test]
fn the_expired_vector_is_accepted_one_second_earlier_within_the_leeway() {
    let entry =
        entries("invalid").into_iter().find(|e| e["name"] == "expired (exp 1700003700)").unwrap();
    let verifier = TokenVerifier::new(config_at(NOW - 1));
    assert!(verifier.verify_token(entry["token"].as_str().unwrap()).is_ok());
}
