//! `withdrawals`, `withdrawals/create` and `withdrawals/currencies` against a mock server.
//! Signatures were computed with Python's hmac over the strings quoted next to them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use freekassa::api::withdrawals::{WithdrawalCreate, WithdrawalList};
use freekassa::{Error, PaymentSystemId};
use httpmock::prelude::*;
use payments_core::payment::OrderId;
use payments_core::response::CallError;
use payments_core::{Currency, Money};
use serde_json::json;

use common::client;

#[tokio::test]
async fn list_withdrawals() {
    let server = MockServer::start_async().await;
    // "1700000000013|2|777"
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/withdrawals").json_body(json!({
                "shopId": 777, "nonce": 1_700_000_000_013_u64, "page": 2,
                "signature": "8ec6817375b5e4b4144f4fc5dcf840211ca945454cdfbcdcdd243a64e7950329"
            }));
            then.status(200).json_body(json!({
                "type": "success", "pages": 3,
                "orders": [{"id": 185, "amount": "1500.25", "currency": "RUB", "ext_currency_id": 4,
                            "account": "5500000000000004", "date": "2021-03-29 12:28:24", "status": 1,
                            "unknown_field": {"nested": true}}]
            }));
        })
        .await;
    let page = client(&server, 1_700_000_000_013)
        .withdrawals(&WithdrawalList::new().with_page(2))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(page.pages, Some(3));
    let payout = &page.withdrawals[0];
    assert_eq!(payout.id, 185);
    assert_eq!(payout.amount.to_string(), "1500.25");
    assert_eq!(payout.ext_currency_id, Some(PaymentSystemId::VISA_RUB));
    assert_eq!(payout.status, Some(1));
    assert!(!format!("{payout:?}").contains("5500000000000004"));
}

#[tokio::test]
async fn create_withdrawal_sends_the_amount_as_signed() {
    let server = MockServer::start_async().await;
    // "5500000000000004|1500.25|RUB|4|1700000000014|payout-1|777"
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/withdrawals/create")
                .json_body(json!({
                    "shopId": 777, "nonce": 1_700_000_000_014_u64, "paymentId": "payout-1", "i": 4,
                    "account": "5500000000000004", "amount": 1500.25, "currency": "RUB",
                    "signature": "12c32fe557cfff4f09dc4f9ae493caedb7184ea191bd81433ada14a8dc8b7670"
                }))
                .body_includes("\"amount\":1500.25,");
            then.status(200).json_body(json!({"type": "success", "data": {"id": 185}}));
        })
        .await;
    let payout = WithdrawalCreate::new(
        OrderId::new("payout-1").unwrap(),
        Money::parse("1500.25", Currency::RUB).unwrap(),
        PaymentSystemId::VISA_RUB,
        "5500000000000004",
    );
    let created = client(&server, 1_700_000_000_014).create_withdrawal(&payout).await.unwrap();
    mock.assert_async().await;
    assert_eq!(created.id, 185);
    assert!(!format!("{payout:?}").contains("5500000000000004"));
}

#[tokio::test]
async fn create_withdrawal_errors_are_typed_and_never_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/withdrawals/create");
            then.status(400).json_body(json!({"type": "error", "message": "Insufficient funds"}));
        })
        .await;
    let payout = WithdrawalCreate::new(
        OrderId::new("payout-2").unwrap(),
        Money::parse("10", Currency::RUB).unwrap(),
        PaymentSystemId::VISA_RUB,
        "5500000000000004",
    );
    let err = client(&server, 1).create_withdrawal(&payout).await.unwrap_err();
    assert!(
        matches!(err, Error::Api { http_status: 400, ref message, .. } if message == "Insufficient funds")
    );
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn find_withdrawal_needs_exactly_one() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/withdrawals").json_body_includes(r#"{"paymentId": "two"}"#);
            then.status(200).json_body(json!({"type": "success", "orders": [
                {"id": 1, "amount": 1, "currency": "RUB"}, {"id": 2, "amount": 1, "currency": "RUB"}]}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/withdrawals").json_body_includes(r#"{"paymentId": "one"}"#);
            then.status(200).json_body(json!({"type": "success", "orders": [
                {"id": 7, "amount": "1", "currency": "RUB", "status": "0"}]}));
        })
        .await;
    let client = client(&server, 1);
    assert_eq!(client.find_withdrawal(&OrderId::new("one").unwrap()).await.unwrap().id, 7);
    assert!(matches!(
        client.find_withdrawal(&OrderId::new("two").unwrap()).await,
        Err(Error::Call { source: CallError::Integrity { .. }, .. })
    ));
}

#[tokio::test]
async fn withdrawal_currencies() {
    let server = MockServer::start_async().await;
    // "1700000000015|777"
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/withdrawals/currencies").json_body(json!({
                "shopId": 777, "nonce": 1_700_000_000_015_u64,
                "signature": "5a470078e40c6bef60630997038f014702948bf1cfc96a067d22fd4ab89f3cc1"
            }));
            then.status(200).json_body(json!({"type": "success", "currencies": [
                {"id": 4, "name": "VISA", "min": 100, "max": "15000", "currency": "RUB", "can_exchange": 1}
            ]}));
        })
        .await;
    let methods = client(&server, 1_700_000_000_015).withdrawal_currencies().await.unwrap();
    mock.assert_async().await;
    assert_eq!(methods.len(), 1);
    assert_eq!(methods[0].id, PaymentSystemId::VISA_RUB);
    assert_eq!(methods[0].min.unwrap().to_string(), "100");
    assert_eq!(methods[0].max.unwrap().to_string(), "15000");
    assert_eq!(methods[0].can_exchange, Some(true));
}
