//! `bill/create` through the whole stack: typed request, signature, reqwest, a mock server,
//! typed response or typed error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::time::Duration;

use feennex::api::bill::BillCreate;
use feennex::{Client, Config, Error, ErrorCode};
use httpmock::prelude::*;
use payments_core::payment::OrderId;
use payments_core::response::CallError;
use payments_core::transport::{ClientOptions, TransportErrorKind};
use payments_core::{Currency, Money};
use serde_json::json;

const SIGN: &str = "091ee6f0bce195a508231ee0d62d7645bd0b38b63e22bde78046b277d6988045";

fn client(server: &MockServer) -> Client {
    let config = Config::new(5, "SecretKey01").with_base_url(&server.base_url()).unwrap();
    Client::new(config).unwrap()
}

fn bill() -> BillCreate {
    BillCreate::new(OrderId::new("123456").unwrap(), Money::parse("23.15", Currency::RUB).unwrap())
}

fn success_body() -> serde_json::Value {
    json!({
        "data": {
            "created": "Wed, 10 Apr 2024 14:18:19 GMT", "id": 25, "lifetime": 43200,
            "payer_account": null, "payer_currency": 643, "payer_price": 23.82,
            "shop_amount": 23.15, "shop_currency": 643, "shop_id": 5,
            "shop_order_id": "123456", "shop_refund": 22.46,
            "url": "https://wallet.feennex.com/en/bill/pay/Waptm"
        },
        "error_code": 0, "message": "Ok", "result": true
    })
}

#[tokio::test]
async fn signed_request_and_typed_response() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/bill/create")
                .header("content-type", "application/json")
                .json_body(json!({
                    "payer_currency": 643, "shop_amount": "23.15", "shop_currency": 643,
                    "shop_id": 5, "shop_order_id": "123456", "description": "Order 123456",
                    "sign": SIGN
                }));
            then.status(200).json_body(success_body());
        })
        .await;
    let bill = client(&server).create_bill(&bill().with_description("Order 123456")).await.unwrap();
    mock.assert_async().await;
    assert_eq!(bill.id, 25);
    assert_eq!(bill.url.as_str(), "https://wallet.feennex.com/en/bill/pay/Waptm");
    assert_eq!(bill.shop_amount.to_string(), "23.15");
}

#[tokio::test]
async fn result_false_is_a_typed_error_with_code_and_message() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/bill/create");
            then.status(200).json_body(json!({
                "data": null, "error_code": 6, "message": "Shop order id is not unique", "result": false
            }));
        })
        .await;
    match client(&server).create_bill(&bill()).await.unwrap_err() {
        Error::Api { code, message, http_status, endpoint } => {
            assert_eq!(code, ErrorCode::OperationNotUnique);
            assert!(code.is_final());
            assert_eq!(message, "Shop order id is not unique");
            assert_eq!(http_status, 200);
            assert_eq!(endpoint, "bill/create");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn invalid_sign_shows_the_server_string_next_to_ours() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/bill/create");
            then.status(200).json_body(json!({
                "data": null, "error_code": 10,
                "message": "Invalid sign, string_to_sign: 643:23.150:643:5:123456", "result": false
            }));
        })
        .await;
    let err = client(&server).create_bill(&bill()).await.unwrap_err();
    match &err {
        Error::SignatureRejected { server_string, our_string, .. } => {
            assert_eq!(server_string, "643:23.150:643:5:123456");
            assert_eq!(our_string, "643:23.15:643:5:123456");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(err.code(), Some(ErrorCode::IncorrectRequestParam));
    let message = err.to_string();
    assert!(
        message.contains("643:23.150:643:5:123456") && message.contains("643:23.15:643:5:123456")
    );
    assert!(!message.contains("SecretKey01"));
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(success_body());
        })
        .await;
    let client = client(&server);

    let err = client.create_bill(&bill().with_description("d".repeat(256))).await.unwrap_err();
    assert!(matches!(&err, Error::Input(_)), "{err:?}");
    assert!(err.to_string().contains("description"), "{err}");

    // Amounts and order ids cannot even be built wrong.
    assert!(Money::parse("0", Currency::RUB).unwrap_err().to_string().contains("not positive"));
    assert!(Money::parse("-5", Currency::RUB).is_err());
    assert!(Money::parse("1.001", Currency::RUB).unwrap_err().to_string().contains("decimals"));
    assert!(OrderId::new("").unwrap_err().to_string().contains("order_id"));
    assert!(OrderId::new("9".repeat(256)).unwrap_err().to_string().contains("255"));

    assert_eq!(mock.calls_async().await, 0);
}

#[tokio::test]
async fn creating_a_bill_is_never_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/bill/create");
            then.status(503).header("retry-after", "0").body("upstream unavailable");
        })
        .await;
    let err = client(&server).create_bill(&bill()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Call { source: CallError::Http { http_status: 503, body, .. }, .. } if body.contains("upstream")),
        "{err:?}"
    );
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn a_timeout_is_reported_and_not_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/bill/create");
            then.status(200).json_body(success_body()).delay(Duration::from_secs(2));
        })
        .await;
    let options = ClientOptions::default().timeout(Duration::from_millis(200));
    let config = Config::new(5, "SecretKey01").with_base_url(&server.base_url()).unwrap();
    let client = Client::with_options(config, &options).unwrap();
    match client.create_bill(&bill()).await.unwrap_err() {
        Error::Call { source: CallError::Transport(source), endpoint } => {
            assert_eq!(source.kind(), TransportErrorKind::Timeout);
            assert!(source.request_may_have_arrived());
            assert_eq!(endpoint, "bill/create");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn a_response_for_another_amount_is_refused() {
    let server = MockServer::start_async().await;
    let mut body = success_body();
    body["data"]["shop_amount"] = json!("2315");
    server
        .mock_async(|when, then| {
            when.method(POST).path("/bill/create");
            then.status(200).json_body(body);
        })
        .await;
    let err = client(&server).create_bill(&bill()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Call { source: CallError::Integrity { field: "shop_amount", .. }, .. }
        ),
        "{err:?}"
    );
}
