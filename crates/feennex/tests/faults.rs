//! Faults: each gives a typed error or a correct parse, never a panic; reads are retried,
//! creations never.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use std::time::Duration;

use common::{client_at, client_for, ok};
use feennex::Error;
use feennex::api::withdraw::{WithdrawAmountType, WithdrawCreate};
use httpmock::prelude::*;
use payments_core::GatewayError as _;
use payments_core::payment::OrderId;
use payments_core::response::CallError;
use payments_core::transport::TransportErrorKind;
use payments_core::{Currency, Money};
use serde_json::json;

fn payout() -> WithdrawCreate {
    WithdrawCreate::new(
        OrderId::new("p-1").unwrap(),
        "card_rub",
        "4111111111111111",
        Money::parse("10", Currency::RUB).unwrap(),
        WithdrawAmountType::PsAmount,
        Currency::RUB,
    )
}

/// Mounts one fault on every path and returns the server.
async fn serve(status: u16, body: &str, content_type: &str) -> MockServer {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(status).header("content-type", content_type).body(body);
        })
        .await;
    server
}

#[tokio::test]
async fn timeout_retries_reads_and_not_creations() {
    let server = MockServer::start_async().await;
    let slow = |path: &'static str| {
        move |when: httpmock::When, then: httpmock::Then| {
            when.method(POST).path(path);
            then.status(200).json_body(json!({})).delay(Duration::from_secs(3));
        }
    };
    let balance = server.mock_async(slow("/shop_balance")).await;
    let withdraw = server.mock_async(slow("/withdraw/create")).await;
    let client = client_for(&server, 5);
    let read = client.balance().await.unwrap_err();
    assert!(
        matches!(&read, Error::Call { source: CallError::Transport(source), .. } if source.kind() == TransportErrorKind::Timeout),
        "{read:?}"
    );
    assert!(read.outcome_unknown());
    let write = client.create_withdraw(&payout()).await.unwrap_err();
    assert!(
        matches!(&write, Error::Call { source: CallError::Transport(source), .. } if source.kind() == TransportErrorKind::Timeout)
    );
    assert!(write.outcome_unknown(), "a timed-out payout must be resolved, not re-sent");
    assert_eq!(balance.calls_async().await, 3, "a read is retried up to three attempts");
    assert_eq!(withdraw.calls_async().await, 1, "a payout is sent once");
}

#[tokio::test]
async fn connection_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let error = client_at(&format!("http://127.0.0.1:{port}"), 5)
        .create_withdraw(&payout())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Call { source: CallError::Transport(source), .. } if source.kind() == TransportErrorKind::Connect),
        "{error:?}"
    );
    assert!(!error.outcome_unknown(), "a refused connection never reached Feennex");
}

#[tokio::test]
async fn server_errors_with_and_without_a_body() {
    for (status, body) in [(500, ""), (502, "<html>Bad Gateway</html>"), (503, "")] {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.method(POST).path("/withdraw/create");
                then.status(status).body(body);
            })
            .await;
        let error = client_for(&server, 5).create_withdraw(&payout()).await.unwrap_err();
        assert!(
            matches!(&error, Error::Call { source: CallError::Http { http_status, .. }, .. } if *http_status == status),
            "{error:?}"
        );
        assert!(error.outcome_unknown());
        assert_eq!(mock.calls_async().await, 1, "a payout is sent once");
    }
}

#[tokio::test]
async fn non_json_and_truncated_json() {
    for body in
        ["OK", "<html></html>", r#"{"result": true, "error_code": 0, "data": {"shop_id": 5, "bal"#]
    {
        let server = serve(200, body, "application/json").await;
        let error = client_for(&server, 5).balance().await.unwrap_err();
        assert!(
            matches!(&error, Error::Call { source: CallError::Decode { path, .. }, .. } if path == "."),
            "{body}: {error:?}"
        );
    }
}

#[tokio::test]
async fn data_null_on_success_names_what_is_missing() {
    let server = serve(
        200,
        r#"{"result": true, "error_code": 0, "message": "Ok", "data": null}"#,
        "application/json",
    )
    .await;
    let error = client_for(&server, 5).balance().await.unwrap_err();
    assert!(
        matches!(&error, Error::Call { source: CallError::Decode { path, .. }, .. } if path.starts_with("data")),
        "{error:?}"
    );
}

#[tokio::test]
async fn unknown_fields_and_numbers_as_strings_parse() {
    let body = ok(json!({
        "shop_id": "5", "new_field": {"nested": [1, 2]},
        "balances": [{"available": "10.50", "currency": "643", "frozen": "0", "hold": 0.5, "future": true}]
    }));
    let server = serve(200, &body.to_string(), "application/json").await;
    let balance = client_for(&server, 5).balance().await.unwrap();
    assert_eq!(balance.balances[0].available.to_string(), "10.50");
    assert_eq!(balance.balances[0].currency, 643);
}

#[tokio::test]
async fn wrong_content_type_with_an_envelope_is_still_read() {
    let body =
        json!({"result": false, "error_code": 9, "message": "Insufficient balance", "data": null});
    let server = serve(200, &body.to_string(), "text/plain").await;
    let error = client_for(&server, 5).create_withdraw(&payout()).await.unwrap_err();
    assert!(matches!(error, Error::Api { code: feennex::ErrorCode::InsufficientBalance, .. }));
}
