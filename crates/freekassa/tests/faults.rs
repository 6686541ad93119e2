//! Faults: timeouts, refused connections, 5xx, non-JSON, truncated JSON, unknown fields and
//! numbers sent as strings; creating is never retried, reads are retried with a fresh nonce.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use std::time::Duration;

use freekassa::api::orders::OrderCreate;
use freekassa::{Client, Config, Error, OrderStatus, PaymentSystemId};
use httpmock::prelude::*;
use payments_core::GatewayError as _;
use payments_core::payment::OrderId;
use payments_core::response::CallError;
use payments_core::transport::{ClientOptions, RetryPolicy, TransportErrorKind};
use payments_core::{Currency, Money};
use serde_json::json;

use common::{client, client_with};

fn order() -> OrderCreate {
    OrderCreate::new(
        OrderId::new("order-42").unwrap(),
        Money::parse("100.50", Currency::RUB).unwrap(),
        PaymentSystemId::SBP_API,
        "user@example.com",
        "203.0.113.10",
    )
}

fn fast_retries() -> ClientOptions {
    ClientOptions::default().retry_policy(
        RetryPolicy::standard().with_backoff(Duration::from_millis(1), Duration::from_millis(2)),
    )
}

fn timing_out_client(server: &MockServer, retry: RetryPolicy) -> Client {
    let options = ClientOptions::default().timeout(Duration::from_millis(200)).retry_policy(retry);
    client_with(server, 1, &options)
}

#[tokio::test]
async fn create_order_timeout_is_reported_not_retried_and_can_be_resolved() {
    let server = MockServer::start_async().await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders/create");
            then.status(200).json_body(json!({"type": "success"})).delay(Duration::from_secs(2));
        })
        .await;
    let client = timing_out_client(&server, RetryPolicy::standard());
    let err = client.create_order(&order()).await.unwrap_err();
    match &err {
        Error::Call { source: CallError::Transport(source), endpoint } => {
            assert_eq!(source.kind(), TransportErrorKind::Timeout);
            assert_eq!(*endpoint, "orders/create");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.outcome_unknown());
    assert_eq!(create.calls_async().await, 1);

    // The way out: look the order up by its paymentId.
    let lookup = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders").json_body_includes(r#"{"paymentId": "order-42"}"#);
            then.status(200).json_body(json!({"type": "success", "pages": 1, "orders": [
                {"merchant_order_id": "order-42", "fk_order_id": 9, "amount": 100.5, "currency": "RUB", "status": 0}
            ]}));
        })
        .await;
    let found = client.find_order(&OrderId::new("order-42").unwrap()).await.unwrap();
    lookup.assert_async().await;
    assert_eq!((found.fk_order_id, found.status), (9, OrderStatus::New));
}

#[tokio::test]
async fn a_read_timeout_is_a_transport_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/balance");
            then.status(200)
                .json_body(json!({"type": "success", "balance": []}))
                .delay(Duration::from_secs(2));
        })
        .await;
    let client = timing_out_client(&server, RetryPolicy::disabled());
    let err = client.balance().await.unwrap_err();
    assert!(
        matches!(err, Error::Call { source: CallError::Transport(ref source), .. } if source.kind() == TransportErrorKind::Timeout)
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error_and_nothing_arrived() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = Config::new(777)
        .with_api_key("k")
        .with_api_url(&format!("http://127.0.0.1:{port}/v1/"))
        .unwrap();
    let client = Client::with_options(config, &fast_retries()).unwrap();
    let err = client.create_order(&order()).await.unwrap_err();
    assert!(
        matches!(err, Error::Call { source: CallError::Transport(ref source), .. } if source.kind() == TransportErrorKind::Connect)
    );
    assert!(!err.outcome_unknown(), "a refused connection means the order was not sent");
    assert!(matches!(
        client.shops().await,
        Err(Error::Call { source: CallError::Transport(_), .. })
    ));
}

#[tokio::test]
async fn a_5xx_on_create_is_not_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders/create");
            then.status(503).header("retry-after", "0").body("upstream unavailable");
        })
        .await;
    let err = client_with(&server, 1, &fast_retries()).create_order(&order()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Call { source: CallError::Http { http_status: 503, body, .. }, .. } if body.contains("upstream")),
        "{err:?}"
    );
    assert!(err.outcome_unknown());
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn a_5xx_on_a_read_is_retried_with_a_fresh_nonce() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/shops").json_body_includes(r#"{"nonce": 500}"#);
            then.status(502).body("<html>Bad gateway</html>");
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/shops").json_body_includes(r#"{"nonce": 501}"#);
            then.status(200).json_body(json!({"type": "success", "shops": [{"id": 777}]}));
        })
        .await;
    let shops = client_with(&server, 500, &fast_retries()).shops().await.unwrap();
    assert_eq!(shops[0].id, 777);
    assert_eq!((first.calls_async().await, second.calls_async().await), (1, 1));
}

#[tokio::test]
async fn a_5xx_that_persists_is_reported_after_the_last_attempt() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/balance");
            then.status(500).body("Internal Server Error");
        })
        .await;
    let err = client_with(&server, 1, &fast_retries()).balance().await.unwrap_err();
    assert!(matches!(err, Error::Call { source: CallError::Http { http_status: 500, .. }, .. }));
    assert_eq!(mock.calls_async().await, 3);
}

#[tokio::test]
async fn non_json_and_truncated_json() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/balance");
            then.status(200).header("content-type", "text/html").body("<html>maintenance</html>");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/currencies");
            then.status(200).body(r#"{"type": "success", "currencies": [{"id": 4, "na"#);
        })
        .await;
    let client = client(&server, 1);
    assert!(matches!(
        client.balance().await,
        Err(Error::Call { source: CallError::Decode { .. }, .. })
    ));
    match client.currencies().await.unwrap_err() {
        Error::Call { source: CallError::Decode { body, .. }, endpoint } => {
            assert_eq!(endpoint, "currencies");
            assert!(body.contains("\"na"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn unknown_fields_are_ignored_and_numbers_may_be_strings() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders/create");
            then.status(200).json_body(json!({
                "type": "success", "orderId": "123", "orderHash": "abc",
                "location": "https://pay.freekassa.com/form/123/abc",
                "brand_new_field": {"x": [1, 2, 3]}, "amount_to": 99.5
            }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders");
            then.status(200).json_body(json!({"type": "success", "pages": "1", "orders": [
                {"merchant_order_id": 42, "fk_order_id": "555", "amount": "100.10", "currency": "RUB",
                 "status": "6", "commission": "1.5", "claim": 0}
            ]}));
        })
        .await;
    let client = client(&server, 1);
    assert_eq!(client.create_order(&order()).await.unwrap().order_id, 123);
    let order = client.find_order(&OrderId::new("42").unwrap()).await.unwrap();
    assert_eq!(order.fk_order_id, 555);
    assert_eq!(order.amount.to_string(), "100.10");
    assert_eq!(order.status, OrderStatus::Refunded);
}

#[tokio::test]
async fn wrong_shapes_name_the_json_path() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders");
            // An exponent is refused: amounts are read exactly, never through a float.
            then.status(200).body(
                r#"{"type": "success", "orders": [{"merchant_order_id": "1", "fk_order_id": 1,
                    "amount": 1.5e3, "currency": "RUB", "status": 1}]}"#,
            );
        })
        .await;
    match client(&server, 1).orders(&freekassa::api::orders::OrderList::new()).await.unwrap_err() {
        Error::Call { source: CallError::Decode { path, .. }, .. } => {
            assert_eq!(path, "orders[0].amount")
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// Freekassa's answer to a nonce at or below the last one it accepted, as the sandbox gives it.
fn nonce_refused() -> serde_json::Value {
    json!({"type": "error", "message": "Wrong nonce: it must be greater than the last one"})
}

#[tokio::test]
async fn a_creation_refused_for_its_nonce_is_signed_again_and_sent_once_more() {
    let server = MockServer::start_async().await;
    let stale = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders/create").json_body_includes(r#"{"nonce": 7}"#);
            then.status(400).json_body(nonce_refused());
        })
        .await;
    let fresh = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders/create").json_body_includes(r#"{"nonce": 8}"#);
            then.status(200).json_body(json!({
                "type": "success", "orderId": 123, "orderHash": "h", "location": "https://pay.fk.money/form/123/h"
            }));
        })
        .await;
    let created = client(&server, 7).create_order(&order()).await.unwrap();
    assert_eq!(created.order_id, 123);
    assert_eq!((stale.calls_async().await, fresh.calls_async().await), (1, 1));
}

#[tokio::test]
async fn nonce_refusals_are_re_sent_a_bounded_number_of_times() {
    let server = MockServer::start_async().await;
    let refused = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/balance");
            then.status(401).json_body(nonce_refused());
        })
        .await;
    let err = client(&server, 1).balance().await.unwrap_err();
    assert!(err.is_nonce_refusal(), "{err:?}");
    let sends = usize::try_from(freekassa::MAX_NONCE_RESENDS).unwrap() + 1;
    assert_eq!(refused.calls_async().await, sends);
}

#[tokio::test]
async fn other_refusals_of_a_creation_are_never_re_sent() {
    let server = MockServer::start_async().await;
    let refused = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders/create");
            then.status(401).json_body(json!({"type": "error", "message": "Wrong signature"}));
        })
        .await;
    let err = client(&server, 1).create_order(&order()).await.unwrap_err();
    assert!(!err.is_nonce_refusal() && !err.outcome_unknown(), "{err:?}");
    assert_eq!(refused.calls_async().await, 1);
}
