//! `balance`, `currencies`, `currencies/{id}/status` and `shops` against a mock server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use freekassa::api::shop::Availability;
use freekassa::{Error, PaymentSystemId};
use httpmock::prelude::*;
use serde_json::json;

use common::{api_vector, client};

#[tokio::test]
async fn balance_sends_the_vector_body() {
    let server = MockServer::start_async().await;
    let vector = api_vector("POST /balance");
    let mut body = vector["body"].clone();
    body["signature"] = vector["signature"].clone();
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/balance").json_body(body);
            then.status(200).json_body(json!({
                "type": "success", "balance": [{"currency": "RUB", "value": 743.43}, {"currency": "USDT", "value": "0"}]
            }));
        })
        .await;
    let balance =
        client(&server, vector["body"]["nonce"].as_u64().unwrap()).balance().await.unwrap();
    mock.assert_async().await;
    assert_eq!(balance.len(), 2);
    assert_eq!(
        (balance[0].currency.as_str(), balance[0].value.to_string().as_str()),
        ("RUB", "743.43")
    );
}

#[tokio::test]
async fn currencies() {
    let server = MockServer::start_async().await;
    // Signature computed with Python's hmac over "1700000000016|777".
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/currencies").json_body(json!({
                "shopId": 777, "nonce": 1_700_000_000_016_u64,
                "signature": "51632c85098d558386bfcad20f6a1bf7da62445394656cfb1f33310c05ec6f11"
            }));
            then.status(200).json_body(json!({"type": "success", "currencies": [
                {"id": 4, "name": "VISA", "currency": "RUB", "is_enabled": 1, "is_favorite": 0},
                {"id": "45", "name": "TON", "currency": "TON", "is_enabled": "0",
                 "limits": {"min": 1, "max": 2}, "fee": {"merchant": 1}}
            ]}));
        })
        .await;
    let systems = client(&server, 1_700_000_000_016).currencies().await.unwrap();
    mock.assert_async().await;
    assert_eq!(systems[0].id, PaymentSystemId::VISA_RUB);
    assert_eq!((systems[0].is_enabled, systems[0].is_favorite), (Some(true), Some(false)));
    assert_eq!(systems[1].id, PaymentSystemId::new(45));
    assert_eq!(systems[1].is_enabled, Some(false));
}

#[tokio::test]
async fn currency_status_available_and_unavailable() {
    let server = MockServer::start_async().await;
    // The id is in the path and not signed: "1700000000017|777".
    let available = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/currencies/44/status").json_body(json!({
                "shopId": 777, "nonce": 1_700_000_000_017_u64,
                "signature": "9dd87dc007f244ecb97d23a12f1b1199b6fefe03477cc04efec881ebf6177fb2"
            }));
            then.status(200).json_body(json!({"type": "success"}));
        })
        .await;
    let status =
        client(&server, 1_700_000_000_017).currency_status(PaymentSystemId::SBP_API).await.unwrap();
    available.assert_async().await;
    assert_eq!(status, Availability::Available);

    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/currencies/10/status");
            then.status(200).json_body(json!({"type": "error", "message": "Currency disabled"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/currencies/12/status");
            then.status(401).json_body(json!({"type": "error", "message": "Wrong signature"}));
        })
        .await;
    let client = client(&server, 1);
    assert_eq!(
        client.currency_status(PaymentSystemId::QIWI).await.unwrap(),
        Availability::Unavailable("Currency disabled".into())
    );
    assert!(matches!(
        client.currency_status(PaymentSystemId::MIR).await,
        Err(Error::Api { http_status: 401, .. })
    ));
}

#[tokio::test]
async fn shops() {
    let server = MockServer::start_async().await;
    // Signature computed with Python's hmac over "1700000000018|777".
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/shops").json_body(json!({
                "shopId": 777, "nonce": 1_700_000_000_018_u64,
                "signature": "ca98fb3aa9da5a8f35fd3defcc9c3545615bc1e4cd422ba496ba204caebf98f1"
            }));
            then.status(200).json_body(json!({"type": "success", "shops": [
                {"id": 777, "name": "Рога и копыта", "url": "https://horns-and-hooves.ru"}
            ]}));
        })
        .await;
    let shops = client(&server, 1_700_000_000_018).shops().await.unwrap();
    mock.assert_async().await;
    assert_eq!(shops[0].id, 777);
    assert_eq!(shops[0].name.as_deref(), Some("Рога и копыта"));
    assert_eq!(shops[0].url.as_deref(), Some("https://horns-and-hooves.ru"));
}
