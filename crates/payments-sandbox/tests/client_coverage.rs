//! The Feennex client methods no other sandbox test runs: invoices (`invoice/try`,
//! `invoice/create`, `invoice/check`), `wait_for_bill`, the client's callback verification,
//! and the constructors with options and a clock. The sandbox `lib.rs` docs list, for every
//! Feennex and Freekassa client method, the test that runs it against the sandbox.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::routing::post;
use bytes::Bytes;
use http::HeaderMap;
use payments::core::clock::FixedClock;
use payments::core::transport::ClientOptions;
use payments::feennex::api::bill::BillCreate;
use payments::feennex::api::invoice::InvoiceCreate;
use payments::feennex::model::{BillStatus, InvoiceStatus};
use payments::feennex::webhook::CallbackStatus;
use payments::feennex::{Client, Config, Error};
use payments::payment::OrderId;
use payments::webhook::WebhookRequest;
use payments::{Currency, Decimal, GatewayId, Money};
use payments_sandbox::{RunningSandbox, Sandbox, SandboxConfig};

fn config(sandbox: &RunningSandbox, secret: &str) -> Config {
    Config::new(5, secret).with_base_url(&sandbox.feennex_url()).unwrap()
}

fn rub(amount: &str) -> Money {
    Money::parse(amount, Currency::RUB).unwrap()
}

type Captured = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A callback receiver that keeps each raw request and answers `OK`.
async fn receiver() -> (String, Captured) {
    let captured: Captured = Arc::default();
    let sink = captured.clone();
    let app = Router::new().route(
        "/cb",
        post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push((headers, body));
                "OK"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, captured)
}

fn webhook(headers: &HeaderMap, body: &Bytes) -> WebhookRequest {
    let mut request = WebhookRequest::new(http::Method::POST, body.clone());
    request.headers = headers.clone();
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feennex_invoices_are_priced_created_checked_and_their_callback_verified() {
    let sandbox =
        Sandbox::start(SandboxConfig::demo(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let (callback_url, captured) = receiver().await;
    let client =
        Client::with_options(config(&sandbox, "SecretKey01"), &ClientOptions::default()).unwrap();
    let order = OrderId::new("inv-1").unwrap();
    let invoice = InvoiceCreate::new(order.clone(), rub("150.25"), "card_rub").with_urls(
        None,
        None,
        Some(callback_url.parse().unwrap()),
    );

    let quote = client.price_invoice(&invoice).await.unwrap();
    assert_eq!(quote.payer_price, "150.25".parse::<Decimal>().unwrap());
    assert_eq!(quote.ps_currency, Some(643));
    assert_eq!(quote.paymethod_name.as_deref(), Some("card_rub"));
    let too_small = InvoiceCreate::new(order.clone(), rub("0.5"), "card_rub");
    assert!(client.price_invoice(&too_small).await.is_err());

    let created = client.create_invoice(&invoice).await.unwrap();
    let payment = sandbox.find(GatewayId::Feennex, "5", "inv-1").unwrap();
    assert_eq!((created.id, payment.kind), (payment.id, "invoice"));
    assert_eq!(
        created.url.as_deref(),
        Some(format!("{}/checkout/{}", sandbox.base_url(), payment.id).as_str())
    );
    assert_eq!(client.invoice_status(&order).await.unwrap().status, InvoiceStatus::Waiting);

    sandbox.pay(payment.id).await.unwrap();
    let report = client.invoice_status(&order).await.unwrap();
    assert_eq!((report.status, report.payment_id), (InvoiceStatus::Success, payment.id));
    assert_eq!(report.shop_amount, "150.25".parse::<Decimal>().unwrap());

    // The callback the sandbox sent, verified by the client.
    let (headers, body) = captured.lock().unwrap().last().cloned().unwrap();
    let callback = client.verify_request(&webhook(&headers, &body)).unwrap();
    assert_eq!(callback.status, CallbackStatus::Success);
    assert_eq!(callback.shop_order_id, "inv-1");
    assert_eq!(callback.shop_currency, Currency::RUB);
    #[allow(deprecated, reason = "the old name is still a client method")]
    let old_name = client.verify_callback(&webhook(&headers, &body)).unwrap();
    assert_eq!(old_name.payment_id, payment.id.to_string());
    // A client with another secret refuses it.
    let other = Client::new(config(&sandbox, "NotTheSecret1")).unwrap();
    assert!(matches!(other.verify_request(&webhook(&headers, &body)), Err(Error::Webhook(_))));
    // An invoice status for an unknown order is error 7.
    let missing = client.invoice_status(&OrderId::new("nope").unwrap()).await.unwrap_err();
    assert_eq!(missing.code(), Some(payments::feennex::ErrorCode::OperationNotFound));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feennex_wait_for_bill_stops_at_a_final_status_or_the_timeout() {
    let sandbox =
        Sandbox::start(SandboxConfig::demo(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let clock = FixedClock(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let client = Client::new(config(&sandbox, "SecretKey01")).unwrap().with_clock(Arc::new(clock));
    let order = OrderId::new("wait-1").unwrap();
    client.create_bill(&BillCreate::new(order.clone(), rub("10"))).await.unwrap();
    let payment = sandbox.find(GatewayId::Feennex, "5", "wait-1").unwrap();
    sandbox.pay(payment.id).await.unwrap();
    // Final already: one status request, no wait.
    let report = client
        .wait_for_bill(&order, Duration::from_secs(10), Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(report.status, BillStatus::Paid);
    // A timeout shorter than the interval returns the pending report at once.
    let pending = OrderId::new("wait-2").unwrap();
    client.create_bill(&BillCreate::new(pending.clone(), rub("10"))).await.unwrap();
    let report =
        client.wait_for_bill(&pending, Duration::from_secs(10), Duration::ZERO).await.unwrap();
    assert_eq!(report.status, BillStatus::Waiting);
    sandbox.shutdown().await;
}
