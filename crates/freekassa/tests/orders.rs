//! `orders`, `orders/create` and `orders/refund` through the whole stack: typed request,
//! exact JSON body and signature, a mock server, typed response or typed error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use freekassa::api::orders::{OrderCreate, OrderList, OrderRef, OrderRefund, Recurrence};
use freekassa::model::RecurrentPeriod;
use freekassa::{Error, OrderStatus, PaymentSystemId};
use httpmock::prelude::*;
use payments_core::GatewayError as _;
use payments_core::payment::OrderId;
use payments_core::{Currency, Money};
use serde_json::{Value, json};

use common::{api_vector, client};

/// The vector's body with its signature: exactly what must be sent.
fn vector_body(name: &str) -> (u64, Value) {
    let vector = api_vector(name);
    let mut body = vector["body"].clone();
    body["signature"] = vector["signature"].clone();
    (vector["body"]["nonce"].as_u64().unwrap(), body)
}

fn order_42() -> OrderCreate {
    OrderCreate::new(
        OrderId::new("order-42").unwrap(),
        Money::parse("100.50", Currency::RUB).unwrap(),
        PaymentSystemId::SBP_API,
        "user@example.com",
        "203.0.113.10",
    )
}

#[tokio::test]
async fn create_order_sends_the_vector_body_and_reads_the_link() {
    let server = MockServer::start_async().await;
    let (nonce, body) = vector_body("POST /orders/create");
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/orders/create")
                .header("content-type", "application/json")
                .json_body(body)
                .body_includes("\"amount\":100.5,");
            then.status(200).json_body(json!({
                "type": "success", "orderId": 123,
                "orderHash": "bd4161db429848651499aabcb1d89330",
                "location": "https://pay.freekassa.com/form/123/bd4161db429848651499aabcb1d89330"
            }));
        })
        .await;
    let created = client(&server, nonce).create_order(&order_42()).await.unwrap();
    mock.assert_async().await;
    assert_eq!(created.order_id, 123);
    assert_eq!(created.order_hash.as_deref(), Some("bd4161db429848651499aabcb1d89330"));
    assert_eq!(
        created.location.as_str(),
        "https://pay.freekassa.com/form/123/bd4161db429848651499aabcb1d89330"
    );
    assert_eq!(created.recurrent_order, None);
}

#[tokio::test]
async fn recurring_first_charge_and_repeat_charge() {
    let server = MockServer::start_async().await;
    let (nonce, body) = vector_body("POST /orders/create, recurrent first charge");
    let first = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/orders/create")
                .json_body(body)
                .body_includes("\"amount\":299,");
            then.status(200).json_body(json!({
                "type": "success", "orderId": "124", "orderHash": "h",
                "location": "https://pay.freekassa.com/form/124/h",
                "recurrent_order": {"id": "777001", "pay_date_at": "2026-12-22 10:00:00"}
            }));
        })
        .await;
    let subscription = OrderCreate::new(
        OrderId::new("sub-1").unwrap(),
        Money::parse("299", Currency::RUB).unwrap(),
        PaymentSystemId::CARD_RUB_API,
        "user@example.com",
        "203.0.113.10",
    )
    .with_recurrence(Recurrence::new(RecurrentPeriod::Month, "VPN subscription"));
    let created = client(&server, nonce).create_order(&subscription).await.unwrap();
    first.assert_async().await;
    let recurrent = created.recurrent_order.unwrap();
    assert_eq!(recurrent.id, 777_001);
    assert_eq!(recurrent.pay_date_at.as_deref(), Some("2026-12-22 10:00:00"));

    // The repeat charge: recurrent_order_id with the normal fields. Signature computed with
    // Python's hmac over "299|RUB|user@example.com|36|203.0.113.10|1700000000019|sub-1-2|777001|777".
    let repeat = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders/create").json_body(json!({
                "shopId": 777, "nonce": 1_700_000_000_019_u64, "paymentId": "sub-1-2", "i": 36,
                "email": "user@example.com", "ip": "203.0.113.10", "amount": 299, "currency": "RUB",
                "recurrent_order_id": 777_001,
                "signature": "9396fc645923eeee6e07e3b68719ee5f7444a3c3bb6a7a0a56cb6d78762f75f2"
            }));
            then.status(200).json_body(json!({
                "type": "success", "orderId": 125, "location": "https://pay.freekassa.com/form/125/x"
            }));
        })
        .await;
    let again = OrderCreate::new(
        OrderId::new("sub-1-2").unwrap(),
        Money::parse("299.00", Currency::RUB).unwrap(),
        PaymentSystemId::CARD_RUB_API,
        "user@example.com",
        "203.0.113.10",
    )
    .with_recurrent_order_id(recurrent.id);
    let created = client(&server, 1_700_000_000_019).create_order(&again).await.unwrap();
    repeat.assert_async().await;
    assert_eq!(created.order_id, 125);
}

#[tokio::test]
async fn list_orders_with_filters() {
    let server = MockServer::start_async().await;
    let (nonce, body) = vector_body("POST /orders with filters");
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders").json_body(body);
            then.status(200).json_body(json!({
                "type": "success", "pages": 12,
                "orders": [{
                    "merchant_order_id": "Order #123", "fk_order_id": 123456, "amount": 100.12,
                    "currency": "RUB", "email": "user@site.ru", "account": "5555555555554444",
                    "date": "2021-03-29 12:28:24", "status": 1
                }, {
                    "merchant_order_id": null, "fk_order_id": 2, "amount": 1, "currency": "RUB",
                    "status": 8
                }]
            }));
        })
        .await;
    let list = OrderList::new()
        .with_status(OrderStatus::Paid)
        .with_dates("2021-01-01 13:45:21", "2021-01-02 13:45:21")
        .with_page(1);
    let page = client(&server, nonce).orders(&list).await.unwrap();
    mock.assert_async().await;
    assert_eq!(page.pages, Some(12));
    let order = &page.orders[0];
    assert_eq!(order.merchant_order_id.as_deref(), Some("Order #123"));
    assert_eq!(order.fk_order_id, 123_456);
    assert_eq!(order.amount.to_string(), "100.12");
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!(page.orders[1].merchant_order_id, None);
    assert_eq!(page.orders[1].status, OrderStatus::Error);
    let debug = format!("{order:?}");
    assert!(!debug.contains("5555555555554444") && !debug.contains("user@site.ru"), "{debug}");
}

#[tokio::test]
async fn find_order_by_payment_id() {
    let server = MockServer::start_async().await;
    // Signature computed with Python's hmac over "1700000000010|order-42|777".
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders").json_body(json!({
                "shopId": 777, "nonce": 1_700_000_000_010_u64, "paymentId": "order-42",
                "signature": "0dd4fc1d650ffe503661a7add22b6b31b7aaa934a9afbb25061a0d41023d025e"
            }));
            then.status(200).json_body(json!({
                "type": "success", "pages": "1",
                "orders": [{"merchant_order_id": "order-42", "fk_order_id": "555", "amount": "100.5",
                            "currency": "RUB", "status": "0"}]
            }));
        })
        .await;
    let order = client(&server, 1_700_000_000_010)
        .find_order(&OrderId::new("order-42").unwrap())
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!((order.fk_order_id, order.status), (555, OrderStatus::New));
}

#[tokio::test]
async fn find_order_reports_not_found() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders");
            then.status(200).json_body(json!({"type": "success", "pages": 0, "orders": []}));
        })
        .await;
    let err = client(&server, 1).find_order(&OrderId::new("nope").unwrap()).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { payment_id, .. } if payment_id == "nope"));
}

#[tokio::test]
async fn refund_by_order_id_and_by_payment_id() {
    let server = MockServer::start_async().await;
    // Signatures computed with Python's hmac over "1700000000011|123456789|777" and
    // "1700000000012|order-42|777".
    let by_order = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders/refund").json_body(json!({
                "shopId": 777, "nonce": 1_700_000_000_011_u64, "orderId": 123_456_789,
                "signature": "989b7db728a4c542227fcd456fb030a9113504eea2b6834bbdbbde35df26050d"
            }));
            then.status(200).json_body(json!({"type": "success", "id": 123}));
        })
        .await;
    let by_payment = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders/refund").json_body(json!({
                "shopId": 777, "nonce": 1_700_000_000_012_u64, "paymentId": "order-42",
                "signature": "27f0a3162605e3ecdc34fad00421b090be1f17237aa2ccd94f9e012302f3284b"
            }));
            then.status(200).json_body(json!({"type": "success", "id": "124"}));
        })
        .await;
    let client = client(&server, 1_700_000_000_011);
    let refund =
        client.refund_order(&OrderRefund::new(OrderRef::OrderId(123_456_789))).await.unwrap();
    assert_eq!(refund.id, 123);
    let refund = client
        .refund_order(&OrderRefund::new(OrderRef::PaymentId(OrderId::new("order-42").unwrap())))
        .await
        .unwrap();
    assert_eq!(refund.id, 124);
    by_order.assert_async().await;
    by_payment.assert_async().await;
}

#[tokio::test]
async fn error_type_is_recognised_with_400_401_and_200() {
    for (status, message) in
        [(400, "Bad request"), (401, "Wrong signature"), (200, "Order not found")]
    {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path("/v1/orders/refund");
                then.status(status).json_body(json!({"type": "error", "message": message}));
            })
            .await;
        let err = client(&server, 1)
            .refund_order(&OrderRefund::new(OrderRef::OrderId(1)))
            .await
            .unwrap_err();
        match err {
            Error::Api { endpoint, message: got, http_status } => {
                assert_eq!(
                    (endpoint, got.as_str(), http_status),
                    ("orders/refund", message, status)
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn create_order_errors_are_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders/create");
            then.status(401)
                .json_body(json!({"type": "error", "message": "Merchant not activated"}));
        })
        .await;
    let err = client(&server, 1).create_order(&order_42()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { http_status: 401, message, .. } if message == "Merchant not activated")
    );
    assert!(!err.outcome_unknown());
}
