//! Every Freekassa API v1 client method against the sandbox (not a mock): orders with each
//! filter, refunds, payouts, currencies, shops and the balance as it moves; the documented
//! validation errors; the notification's `us_*` fields and `P_EMAIL`; and the PHP reading of
//! signed numbers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::sync::Arc;

use axum::Router;
use axum::routing::post;
use http::StatusCode;
use payments::core::transport::{HttpRequest, ReqwestTransport, Transport, TransportConfig};
use payments::freekassa::api::orders::{OrderCreate, OrderList, OrderRef, OrderRefund};
use payments::freekassa::api::shop::Availability;
use payments::freekassa::api::withdrawals::{WithdrawalCreate, WithdrawalList};
use payments::freekassa::form::PaymentForm;
use payments::freekassa::model::OrderStatus;
use payments::freekassa::{Client, Config, Error, PaymentSystemId};
use payments::payment::OrderId;
use payments::{Currency, Decimal, GatewayId, Money, SecretString};
use payments_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use serde_json::{Value, json};
use tokio::sync::Mutex;

const SHOP: u64 = 7012;
const API_KEY: &str = "test_api_key";

async fn start() -> RunningSandbox {
    Sandbox::start(SandboxConfig::demo(), "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn client(sandbox: &RunningSandbox) -> Client {
    let config = Config::new(SHOP)
        .with_api_key(API_KEY)
        .with_secret1("secret")
        .with_form_url(&sandbox.freekassa_form_url())
        .unwrap()
        .with_api_url(&sandbox.freekassa_api_url())
        .unwrap();
    Client::new(config).unwrap()
}

fn rub(amount: &str) -> Money {
    Money::parse(amount, Currency::RUB).unwrap()
}

fn order(payment_id: &str, amount: &str) -> OrderCreate {
    OrderCreate::new(
        OrderId::new(payment_id).unwrap(),
        rub(amount),
        PaymentSystemId::SBP_API,
        "buyer@example.com",
        "203.0.113.10",
    )
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

async fn rub_balance(client: &Client) -> Decimal {
    let balance = client.balance().await.unwrap();
    balance.iter().find(|entry| entry.currency == "RUB").unwrap().value
}

fn api_error(error: &Error) -> (u16, &str) {
    match error {
        Error::Api { http_status, message, .. } => (*http_status, message.as_str()),
        other => panic!("expected a Freekassa error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_created_listed_with_each_filter_and_refunded() {
    let sandbox = start().await;
    let client = client(&sandbox);

    let success = "https://shop.example/thanks".parse().unwrap();
    let created = client
        .create_order(&order("fk-api-1", "100.50").with_return_urls(Some(success), None))
        .await
        .unwrap();
    assert!(created.location.as_str().starts_with(sandbox.base_url()), "{}", created.location);
    let payment = sandbox.find(GatewayId::Freekassa, "7012", "fk-api-1").unwrap();
    assert_eq!(payment.success_url.as_deref(), Some("https://shop.example/thanks"));

    // The order keeps its e-mail and is dated when created.
    let found = client.find_order(&OrderId::new("fk-api-1").unwrap()).await.unwrap();
    assert_eq!(found.fk_order_id, created.order_id);
    assert_eq!(found.email.as_deref(), Some("buyer@example.com"));
    assert_eq!(found.amount, dec("100.5"));
    assert_eq!(found.status, OrderStatus::New);
    let date = found.date.clone().unwrap();
    assert_eq!(date.len(), 19, "{date}");
    assert_ne!(date, "2024-01-01 12:00:00");

    let second = client.create_order(&order("fk-api-2", "20")).await.unwrap();
    sandbox.pay(second.order_id).await.unwrap();

    // orderId
    let page = client.orders(&OrderList::new().with_order_id(second.order_id)).await.unwrap();
    let ids: Vec<u64> = page.orders.iter().map(|o| o.fk_order_id).collect();
    assert_eq!(ids, [second.order_id]);
    // orderStatus
    let paid = client.orders(&OrderList::new().with_status(OrderStatus::Paid)).await.unwrap();
    let ids: Vec<u64> = paid.orders.iter().map(|o| o.fk_order_id).collect();
    assert_eq!(ids, [second.order_id]);
    // dateFrom, dateTo
    let all = OrderList::new().with_dates("2000-01-01 00:00:00", "2999-12-31 23:59:59");
    assert_eq!(client.orders(&all).await.unwrap().orders.len(), 2);
    let past = OrderList::new().with_dates("2000-01-01 00:00:00", "2000-12-31 23:59:59");
    assert!(client.orders(&past).await.unwrap().orders.is_empty());
    // page: 10 a page.
    for n in 3..=11 {
        client.create_order(&order(&format!("fk-api-{n}"), "1")).await.unwrap();
    }
    let first = client.orders(&OrderList::new().with_page(1)).await.unwrap();
    assert_eq!((first.pages, first.orders.len()), (Some(2), 10));
    let last = client.orders(&OrderList::new().with_page(2)).await.unwrap();
    assert_eq!(last.orders.len(), 1);
    assert_eq!(last.orders[0].merchant_order_id.as_deref(), Some("fk-api-11"));

    // Refunds: a paid order only, once; the balance follows.
    assert_eq!(rub_balance(&client).await, dec("20"));
    let unpaid = client
        .refund_order(&OrderRefund::new(OrderRef::OrderId(created.order_id)))
        .await
        .unwrap_err();
    assert_eq!(api_error(&unpaid), (400, "Order is not paid"));
    let refund = client
        .refund_order(&OrderRefund::new(OrderRef::PaymentId(OrderId::new("fk-api-2").unwrap())))
        .await
        .unwrap();
    assert!(refund.id > 0);
    let again = client
        .refund_order(&OrderRefund::new(OrderRef::OrderId(second.order_id)))
        .await
        .unwrap_err();
    assert_eq!(api_error(&again), (400, "Order is already refunded"));
    let refunded = client.find_order(&OrderId::new("fk-api-2").unwrap()).await.unwrap();
    assert_eq!(refunded.status, OrderStatus::Refunded);
    assert_eq!(rub_balance(&client).await, Decimal::ZERO);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payouts_move_the_balance_and_settle_through_the_control_api() {
    let sandbox = start().await;
    let client = client(&sandbox);

    // A new shop's balance lists every currency, at zero.
    let balance = client.balance().await.unwrap();
    let codes: Vec<&str> = balance.iter().map(|entry| entry.currency.as_str()).collect();
    assert_eq!(codes, ["RUB", "USD", "EUR", "UAH", "KZT"]);
    assert!(balance.iter().all(|entry| entry.value == Decimal::ZERO));

    let methods = client.withdrawal_currencies().await.unwrap();
    let visa = methods.iter().find(|m| m.id == PaymentSystemId::new(4)).unwrap();
    assert_eq!((visa.min, visa.max), (Some(dec("100")), Some(dec("15000"))));

    let payout = |id: &str, amount: &str| {
        WithdrawalCreate::new(
            OrderId::new(id).unwrap(),
            rub(amount),
            PaymentSystemId::new(4),
            "5500000000000004",
        )
    };
    let broke = client.create_withdrawal(&payout("out-0", "500")).await.unwrap_err();
    assert_eq!(api_error(&broke), (400, "Insufficient funds"));

    let paid = client.create_order(&order("fk-pay-1", "1500.00")).await.unwrap();
    sandbox.pay(paid.order_id).await.unwrap();
    assert_eq!(rub_balance(&client).await, dec("1500"));

    let too_small = client.create_withdrawal(&payout("out-1", "50")).await.unwrap_err();
    assert_eq!(api_error(&too_small).0, 400);
    let first = client.create_withdrawal(&payout("out-1", "1000")).await.unwrap();
    assert_eq!(rub_balance(&client).await, dec("500"));

    let listed = client.find_withdrawal(&OrderId::new("out-1").unwrap()).await.unwrap();
    assert_eq!((listed.id, listed.amount, listed.status), (first.id, dec("1000"), Some(0)));
    assert_eq!(listed.ext_currency_id, Some(PaymentSystemId::new(4)));
    assert_eq!(listed.account.as_deref(), Some("5500000000000004"));

    // Cancelled: the amount comes back.
    sandbox.settle_freekassa_withdrawal(first.id, false).unwrap();
    assert_eq!(sandbox.settle_freekassa_withdrawal(first.id, true), Err(StatusCode::CONFLICT));
    assert_eq!(rub_balance(&client).await, dec("1500"));

    // Paid through the control API over HTTP.
    let second = client.create_withdrawal(&payout("out-2", "1200")).await.unwrap();
    let url = format!("{}/control/freekassa/withdrawals/{}/pay", sandbox.base_url(), second.id);
    let transport = ReqwestTransport::new(&TransportConfig::default()).unwrap();
    let settled = transport
        .send(&HttpRequest::post_json(
            GatewayId::Freekassa,
            "control",
            url.parse::<url::Url>().unwrap(),
            vec![],
        ))
        .await
        .unwrap();
    assert_eq!(settled.status, StatusCode::OK);
    assert_eq!(rub_balance(&client).await, dec("300"));

    let paid_list = client.withdrawals(&WithdrawalList::new().with_status(OrderStatus::Paid)).await;
    let ids: Vec<u64> = paid_list.unwrap().withdrawals.iter().map(|w| w.id).collect();
    assert_eq!(ids, [second.id]);
    let all = client.withdrawals(&WithdrawalList::new()).await.unwrap();
    assert_eq!(all.withdrawals.len(), 2);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn currencies_their_status_and_shops() {
    let sandbox = start().await;
    let client = client(&sandbox);
    let systems = client.currencies().await.unwrap();
    let sbp = systems.iter().find(|s| s.id == PaymentSystemId::SBP_API).unwrap();
    assert_eq!(sbp.is_enabled, Some(true));
    assert_eq!(
        client.currency_status(PaymentSystemId::SBP_API).await.unwrap(),
        Availability::Available
    );
    let yoomoney = client.currency_status(PaymentSystemId::new(6)).await.unwrap();
    assert!(matches!(yoomoney, Availability::Unavailable(message) if !message.is_empty()));
    let shops = client.shops().await.unwrap();
    assert_eq!(shops.len(), 1);
    assert_eq!(shops[0].id, SHOP);
    sandbox.shutdown().await;
}

/// Sends `body` (JSON text) signed over `signed_values` joined in key order by the caller.
async fn raw_call(
    sandbox: &RunningSandbox,
    endpoint: &str,
    string_to_sign: &str,
    body: &str,
) -> (StatusCode, Value) {
    let signature =
        payments::freekassa::sign::api_signature(string_to_sign, &SecretString::from(API_KEY));
    let body = body.replace("SIG", signature.as_str());
    let url = format!("{}{endpoint}", sandbox.freekassa_api_url());
    let transport = ReqwestTransport::new(&TransportConfig::default()).unwrap();
    let response = transport
        .send(&HttpRequest::post_json(
            GatewayId::Freekassa,
            "raw",
            url.parse::<url::Url>().unwrap(),
            body.into_bytes(),
        ))
        .await
        .unwrap();
    (response.status, serde_json::from_slice(&response.body).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_checked_as_the_php_server_and_the_docs_say() {
    let sandbox = start().await;
    // amount 100.0 as a JSON number is signed as PHP prints it: 100.
    let fields =
        r#""amount":100.0,"currency":"RUB","email":"a@b.example","i":44,"ip":"203.0.113.10""#;
    let signed_as_written = "100.0|RUB|a@b.example|44|203.0.113.10|1|7012";
    let (status, body) = raw_call(
        &sandbox,
        "orders/create",
        signed_as_written,
        &format!(r#"{{{fields},"nonce":1,"shopId":7012,"signature":"SIG"}}"#),
    )
    .await;
    assert_eq!(
        (status, &body),
        (StatusCode::UNAUTHORIZED, &json!({"type": "error", "message": "Wrong signature"}))
    );
    // No paymentId: optional.
    let (status, body) = raw_call(
        &sandbox,
        "orders/create",
        "100|RUB|a@b.example|44|203.0.113.10|2|7012",
        &format!(r#"{{{fields},"nonce":2,"shopId":7012,"signature":"SIG"}}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["type"], "success");
    // No i: required.
    let (status, body) = raw_call(
        &sandbox,
        "orders/create",
        "100|RUB|a@b.example|203.0.113.10|3|7012",
        r#"{"amount":100,"currency":"RUB","email":"a@b.example","ip":"203.0.113.10","nonce":3,"shopId":7012,"signature":"SIG"}"#,
    )
    .await;
    assert_eq!(
        (status, &body),
        (StatusCode::BAD_REQUEST, &json!({"type": "error", "message": "i is required"}))
    );
    // A path that is no API method: not found, not "wrong parameters".
    let (status, body) = raw_call(
        &sandbox,
        "order/refund",
        "4|7012",
        r#"{"nonce":4,"shopId":7012,"signature":"SIG"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["type"], "error");
    assert!(body["message"].as_str().unwrap().contains("not found"), "{body}");
    // A date in another shape.
    let (status, body) = raw_call(
        &sandbox,
        "orders",
        "2021.01.01|5|7012",
        r#"{"dateFrom":"2021.01.01","nonce":5,"shopId":7012,"signature":"SIG"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notification_carries_the_us_fields_and_the_orders_email() {
    let bodies: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = bodies.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let merchant = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new().route(
        "/freekassa",
        post(move |body: String| {
            let sink = sink.clone();
            async move {
                sink.lock().await.push(body);
                "YES"
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let config = SandboxConfig::demo().with_webhooks_to(&merchant);
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let client = client(&sandbox);

    let form = PaymentForm::new(OrderId::new("fk-us-1").unwrap(), rub("10"))
        .with_email("payer@shop.example")
        .with_custom_field("us_login", "alice-42");
    let link = client.payment_form(&form).unwrap();
    let transport = ReqwestTransport::new(&TransportConfig::default()).unwrap();
    let opened = transport
        .send(&HttpRequest::get(GatewayId::Freekassa, "pay", link.url().clone()))
        .await
        .unwrap();
    assert_eq!(opened.status, StatusCode::OK);
    let payment = sandbox.find(GatewayId::Freekassa, "7012", "fk-us-1").unwrap();
    sandbox.pay(payment.id).await.unwrap();

    let received = bodies.lock().await.clone();
    assert_eq!(received.len(), 1);
    let fields: Vec<(String, String)> =
        url::form_urlencoded::parse(received[0].as_bytes()).into_owned().collect();
    let get = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    assert_eq!(get("us_login"), Some("alice-42"));
    assert_eq!(get("P_EMAIL"), Some("payer@shop.example"));
    let listed = client.find_order(&OrderId::new("fk-us-1").unwrap()).await.unwrap();
    assert_eq!(listed.email.as_deref(), Some("payer@shop.example"));
    sandbox.shutdown().await;
}
