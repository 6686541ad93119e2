//! Every endpoint reads `{"type": "error"}` as a typed error naming the endpoint, whatever
//! the HTTP status.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use freekassa::api::orders::{OrderCreate, OrderList, OrderRef, OrderRefund};
use freekassa::api::withdrawals::{WithdrawalCreate, WithdrawalList};
use freekassa::{Client, Error, PaymentSystemId};
use httpmock::prelude::*;
use payments_core::payment::OrderId;
use payments_core::{Currency, Money};
use serde_json::json;

use common::client;

async fn call(client: &Client, endpoint: &str) -> Error {
    let id = || OrderId::new("x-1").unwrap();
    let money = || Money::parse("10", Currency::RUB).unwrap();
    match endpoint {
        "orders" => client.orders(&OrderList::new()).await.map(drop),
        "orders/create" => client
            .create_order(&OrderCreate::new(
                id(),
                money(),
                PaymentSystemId::SBP,
                "a@b.ru",
                "203.0.113.1",
            ))
            .await
            .map(drop),
        "orders/refund" => {
            client.refund_order(&OrderRefund::new(OrderRef::PaymentId(id()))).await.map(drop)
        }
        "withdrawals" => client.withdrawals(&WithdrawalList::new()).await.map(drop),
        "withdrawals/create" => client
            .create_withdrawal(&WithdrawalCreate::new(
                id(),
                money(),
                PaymentSystemId::VISA_RUB,
                "4111",
            ))
            .await
            .map(drop),
        "withdrawals/currencies" => client.withdrawal_currencies().await.map(drop),
        "balance" => client.balance().await.map(drop),
        "currencies" => client.currencies().await.map(drop),
        "currencies/{id}/status" => client.currency_status(PaymentSystemId::SBP).await.map(drop),
        "shops" => client.shops().await.map(drop),
        other => panic!("unknown endpoint {other}"),
    }
    .unwrap_err()
}

#[tokio::test]
async fn every_endpoint_reports_error_bodies() {
    let endpoints = [
        ("orders", "/v1/orders"),
        ("orders/create", "/v1/orders/create"),
        ("orders/refund", "/v1/orders/refund"),
        ("withdrawals", "/v1/withdrawals"),
        ("withdrawals/create", "/v1/withdrawals/create"),
        ("withdrawals/currencies", "/v1/withdrawals/currencies"),
        ("balance", "/v1/balance"),
        ("currencies", "/v1/currencies"),
        ("currencies/{id}/status", "/v1/currencies/42/status"),
        ("shops", "/v1/shops"),
    ];
    for status in [400_u16, 401] {
        let server = MockServer::start_async().await;
        for (_, path) in endpoints {
            server
                .mock_async(|when, then| {
                    when.method(POST).path(path);
                    then.status(status)
                        .json_body(json!({"type": "error", "message": "Wrong nonce"}));
                })
                .await;
        }
        let client = client(&server, 1);
        for (endpoint, _) in endpoints {
            match call(&client, endpoint).await {
                Error::Api { endpoint: got, message, http_status } => {
                    assert_eq!(
                        (got, message.as_str(), http_status),
                        (endpoint, "Wrong nonce", status)
                    );
                }
                other => panic!("{endpoint}: unexpected {other:?}"),
            }
        }
    }
}
