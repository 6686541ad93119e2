//! The Fena JWT flow end to end, through the public SDK against the sandbox.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use common::Merchant;
use http::StatusCode;
use payments::core::transport::{HttpRequest, ReqwestTransport, Transport, TransportConfig};
use payments::payment::{OrderId, PaymentRequest, PaymentStatus};
use payments::{AnyGateway, Currency, GatewayConfig, GatewayId, Money};
use payments_sandbox::{RunningSandbox, Sandbox, SandboxConfig, Status};

const TERMINAL: &str = "4af9b080-b6d3-4206-a10f-f2162f15b655";
const SECRET: &str = "0b7e3c1a-5d2f-4e8b-9a6c-2f1d3e4b5a69";

fn gateway(sandbox: &RunningSandbox, secret: &str) -> AnyGateway {
    let json = format!(
        r#"{{"gateway": "fena", "terminal_id": "{TERMINAL}", "terminal_secret": "{secret}", "pay_url": "{}"}}"#,
        sandbox.fena_pay_url()
    );
    AnyGateway::from_config(&GatewayConfig::from_json(&json).unwrap()).unwrap()
}

/// Opens a payment link as the payer's browser would; returns the final status and body.
async fn open(url: &str) -> (StatusCode, String) {
    let transport = ReqwestTransport::new(&TransportConfig::default()).unwrap();
    let response = transport
        .send(&HttpRequest::get(GatewayId::Fena, "pay", url.parse::<url::Url>().unwrap()))
        .await
        .unwrap();
    (response.status, String::from_utf8_lossy(&response.body).into_owned())
}

async fn link(gateway: &AnyGateway, order: &str, amount: &str) -> String {
    let request = PaymentRequest::new(
        OrderId::new(order).unwrap(),
        Money::parse(amount, Currency::GBP).unwrap(),
    );
    gateway.create_payment(&request).await.unwrap().link.redirect_url().unwrap().to_string()
}

async fn setup() -> (RunningSandbox, AnyGateway, Merchant) {
    let mut merchant = Merchant::bind().await;
    let mut config = SandboxConfig::demo().with_webhooks_to(&merchant.base_url);
    config.notification_backoff_ms = 10;
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let gateway = gateway(&sandbox, SECRET);
    merchant.serve(&[&gateway], 0);
    (sandbox, gateway, merchant)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_link_is_notified_with_a_verified_token() {
    let (sandbox, gateway, merchant) = setup().await;
    let url = link(&gateway, "ORDER-1", "10.50").await;
    assert!(url.starts_with(&sandbox.fena_pay_url()), "{url}");
    let (status, page) = open(&url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("ORDER-1") && page.contains("10.5 GBP"), "{page}");
    let payment = sandbox.find(GatewayId::Fena, TERMINAL, "ORDER-1").unwrap();
    let paid = sandbox.pay(payment.id).await.unwrap();
    assert!(paid.deliveries[0].accepted, "{:?}", paid.deliveries);
    let received = merchant.received.lock().await.clone();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].status, PaymentStatus::Paid);
    received[0].check_order("ORDER-1", &Money::parse("10.50", Currency::GBP).unwrap()).unwrap();
    // Opening a paid link again is refused.
    assert_eq!(open(&url).await.0, StatusCode::BAD_REQUEST);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_payment_sends_no_webhook() {
    let (sandbox, gateway, merchant) = setup().await;
    let url = link(&gateway, "ORDER-2", "20").await;
    open(&url).await;
    let payment = sandbox.find(GatewayId::Fena, TERMINAL, "ORDER-2").unwrap();
    let rejected = sandbox.reject(payment.id).await.unwrap();
    assert_eq!(rejected.status, Status::Rejected);
    assert!(rejected.deliveries.is_empty());
    assert!(merchant.received.lock().await.is_empty());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_signed_with_the_wrong_secret_or_out_of_range_are_refused() {
    let (sandbox, _gateway, _merchant) = setup().await;
    let forger = gateway(&sandbox, "not-the-terminal-secret");
    let (status, page) = open(&link(&forger, "ORDER-3", "10").await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("signature"), "{page}");
    assert_eq!(
        open(&format!("{}?token=garbage", sandbox.fena_pay_url())).await.0,
        StatusCode::BAD_REQUEST
    );
    assert!(sandbox.payments().is_empty());
    sandbox.shutdown().await;
}
