//! The core capability traits on the client, used as trait objects.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use freekassa::Config;
use httpmock::prelude::*;
use payments_core::gateway::{Balances, CreatePayment, Payouts, QueryPaymentStatus, Refunds};
use payments_core::payment::{Customer, OrderId, PaymentRequest, PaymentStatus};
use payments_core::report::{PayoutRequest, PayoutStatus, RefundRequest};
use payments_core::{Currency, GatewayId, Money};
use serde_json::json;

use common::client;

#[tokio::test]
async fn create_payment_is_a_signed_form_link_and_sends_nothing() {
    // The payment form is a link signed locally (Freekassa's SCI): the API is never called.
    let server = MockServer::start_async().await;
    let any_request = server
        .mock_async(|_, then| {
            then.status(500);
        })
        .await;
    let config = Config::new(7012)
        .with_secret1("secret")
        .with_api_key("k")
        .with_api_url(&server.url("/v1/"))
        .unwrap();
    let gateway: Box<dyn CreatePayment> = Box::new(freekassa::Client::new(config).unwrap());
    assert_eq!(gateway.id(), GatewayId::Freekassa);
    let request = PaymentRequest::new(
        OrderId::new("154").unwrap(),
        Money::parse("100.11", Currency::RUB).unwrap(),
    );
    let created = gateway.create_payment(&request).await.unwrap();
    assert_eq!(created.gateway_payment_id, None, "nothing is created before the payer pays");
    let link = created.link;
    // The documentation's example signature.
    assert_eq!(
        link.redirect_url().unwrap().as_str(),
        "https://pay.fk.money/?m=7012&oa=100.11&currency=RUB&o=154&s=64d0581f4a08af485a619950e023696a"
    );
    let with_method = request
        .clone()
        .with_payment_method("42")
        .with_customer(Customer::default().with_email("a@b.c"));
    let url = gateway.create_payment(&with_method).await.unwrap().link.redirect_url().unwrap();
    assert!(url.as_str().ends_with("&i=42&em=a%40b.c"), "{url}");
    assert!(matches!(
        gateway.create_payment(&request.clone().with_payment_method("sbp")).await,
        Err(payments_core::Error::Input { .. })
    ));
    assert!(matches!(
        gateway
            .create_payment(&request.with_success_url("https://shop.example/ok".parse().unwrap()))
            .await,
        Err(payments_core::Error::Unsupported { .. })
    ));
    any_request.assert_calls_async(0).await;
}

#[tokio::test]
async fn status_refund_payout_and_balance_through_the_traits() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders").json_body_includes(r#"{"paymentId": "order-42"}"#);
            then.status(200).json_body(json!({"type": "success", "orders": [
                {"merchant_order_id": "order-42", "fk_order_id": 555, "amount": 100.5, "currency": "RUB", "status": 1}
            ]}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/orders/refund").json_body_includes(r#"{"orderId": 555}"#);
            then.status(200).json_body(json!({"type": "success", "id": 9}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/withdrawals/create").json_body_includes(
                r#"{"paymentId": "payout-1", "i": 4, "account": "5500000000000004"}"#,
            );
            then.status(200).json_body(json!({"type": "success", "data": {"id": 185}}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/withdrawals")
                .json_body_includes(r#"{"paymentId": "payout-1"}"#);
            then.status(200).json_body(json!({"type": "success", "orders": [
                {"id": 185, "amount": 10, "currency": "RUB", "status": 1}]}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/balance");
            then.status(200).json_body(json!({"type": "success", "balance": [
                {"currency": "RUB", "value": 743.43}, {"currency": "USDT", "value": 5}]}));
        })
        .await;
    let client = client(&server, 1);

    let status: &dyn QueryPaymentStatus = &client;
    let report = status.payment_status(&OrderId::new("order-42").unwrap()).await.unwrap();
    assert_eq!(report.status, PaymentStatus::Paid);
    assert_eq!(report.gateway_payment_id.as_deref(), Some("555"));
    assert_eq!(report.money, Some(Money::parse("100.5", Currency::RUB).unwrap()));

    let refunds: &dyn Refunds = &client;
    let mut refund = RefundRequest::full(OrderId::new("order-42").unwrap());
    refund.gateway_payment_id = Some("555".into());
    assert_eq!(refunds.refund(&refund).await.unwrap().gateway_refund_id.as_deref(), Some("9"));
    refund.money = Some(Money::parse("1", Currency::RUB).unwrap());
    assert!(matches!(refunds.refund(&refund).await, Err(payments_core::Error::Unsupported { .. })));

    let payouts: &dyn Payouts = &client;
    let payout = PayoutRequest::new(
        OrderId::new("payout-1").unwrap(),
        Money::parse("10", Currency::RUB).unwrap(),
        "5500000000000004",
    );
    assert!(matches!(
        payouts.create_payout(&payout).await,
        Err(payments_core::Error::Input { .. })
    ));
    let created = payouts.create_payout(&payout.with_method("4")).await.unwrap();
    assert_eq!(created.gateway_payout_id.as_deref(), Some("185"));
    let status = payouts.payout_status(&OrderId::new("payout-1").unwrap()).await.unwrap();
    assert_eq!(status.status, PayoutStatus::Unknown("1".into()));

    let balances: &dyn Balances = &client;
    let balances = balances.balances().await.unwrap();
    assert_eq!(balances.len(), 1, "only ISO 4217 currencies: {balances:?}");
    assert_eq!(balances[0].currency, Currency::RUB);
    assert_eq!(balances[0].available.to_string(), "743.43");
}
