//! The Freekassa flow end to end, through the public SDK against the sandbox: form payment,
//! notification answered `YES`, status through API v1, and the sandbox's refusals.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_trait::async_trait;
use common::Merchant;
use http::StatusCode;
use payments::core::transport::{HttpRequest, ReqwestTransport, Transport, TransportConfig};
use payments::freekassa::nonce::{NonceError, NonceSource};
use payments::freekassa::{Client, Config, Error};
use payments::payment::{OrderId, PaymentRequest, PaymentStatus};
use payments::{AnyGateway, Currency, GatewayConfig, GatewayId, Money};
use payments_sandbox::{RunningSandbox, Sandbox, SandboxConfig};

fn gateway(sandbox: &RunningSandbox, secret1: &str) -> AnyGateway {
    let json = format!(
        r#"{{"gateway": "freekassa", "shop_id": 7012, "secret1": "{secret1}", "secret2": "secret2",
            "api_key": "test_api_key", "form_url": "{}", "api_url": "{}",
            "notification_sources": ["127.0.0.1"]}}"#,
        sandbox.freekassa_form_url(),
        sandbox.freekassa_api_url()
    );
    AnyGateway::from_config(&GatewayConfig::from_json(&json).unwrap()).unwrap()
}

async fn open(url: &str) -> (StatusCode, String) {
    let transport = ReqwestTransport::new(&TransportConfig::default()).unwrap();
    let response = transport
        .send(&HttpRequest::get(GatewayId::Freekassa, "pay", url.parse::<url::Url>().unwrap()))
        .await
        .unwrap();
    (response.status, String::from_utf8_lossy(&response.body).into_owned())
}

async fn setup(fail_first: usize) -> (RunningSandbox, AnyGateway, Merchant) {
    let mut merchant = Merchant::bind().await;
    let mut config = SandboxConfig::demo().with_webhooks_to(&merchant.base_url);
    config.notification_backoff_ms = 10;
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let gateway = gateway(&sandbox, "secret");
    merchant.serve(&[&gateway], fail_first);
    (sandbox, gateway, merchant)
}

async fn form_link(gateway: &AnyGateway, order: &str) -> String {
    let request = PaymentRequest::new(
        OrderId::new(order).unwrap(),
        Money::parse("100.50", Currency::RUB).unwrap(),
    );
    gateway.create_payment(&request).await.unwrap().link.redirect_url().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_payment_is_notified_until_yes_and_confirmed_by_the_api() {
    let (sandbox, gateway, merchant) = setup(1).await;
    let url = form_link(&gateway, "fk-1").await;
    let (status, page) = open(&url).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let payment = sandbox.find(GatewayId::Freekassa, "7012", "fk-1").unwrap();
    let paid = sandbox.pay(payment.id).await.unwrap();
    let answers: Vec<(Option<u16>, bool)> =
        paid.deliveries.iter().map(|d| (d.status, d.accepted)).collect();
    assert_eq!(answers, [(Some(500), false), (Some(200), true)], "repeated until YES");
    assert_eq!(paid.deliveries[1].answer, "YES");
    assert_eq!(merchant.calls.load(Ordering::SeqCst), 2);
    let received = merchant.received.lock().await.clone();
    assert_eq!(received.len(), 1);
    received[0].check_order("fk-1", &Money::parse("100.5", Currency::RUB).unwrap()).unwrap();
    let report = gateway.payment_status(&OrderId::new("fk-1").unwrap()).await.unwrap();
    assert_eq!(report.status, PaymentStatus::Paid);
    // The same order id cannot be paid twice.
    assert_eq!(open(&url).await.0, StatusCode::BAD_REQUEST);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_signed_with_the_wrong_secret_is_refused() {
    let (sandbox, _gateway, _merchant) = setup(0).await;
    let forger = gateway(&sandbox, "not-secret-1");
    let (status, page) = open(&form_link(&forger, "fk-2").await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Wrong signature"), "{page}");
    assert!(sandbox.payments().is_empty());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_refuses_a_wrong_key_and_a_nonce_that_does_not_grow() {
    let (sandbox, _gateway, _merchant) = setup(0).await;
    let client = |key: &str| {
        Client::new(
            Config::new(7012).with_api_key(key).with_api_url(&sandbox.freekassa_api_url()).unwrap(),
        )
        .unwrap()
    };
    let wrong_key = client("wrong").balance().await.unwrap_err();
    assert!(
        matches!(&wrong_key, Error::Api { http_status: 401, message, .. } if message == "Wrong signature"),
        "{wrong_key:?}"
    );

    #[derive(Debug)]
    struct Stuck;
    #[async_trait]
    impl NonceSource for Stuck {
        async fn next_nonce(&self) -> Result<u64, NonceError> {
            Ok(42)
        }
    }
    let stuck = client("test_api_key").with_nonce_source(Arc::new(Stuck));
    stuck.balance().await.unwrap();
    let again = stuck.balance().await.unwrap_err();
    assert!(matches!(&again, Error::Api { message, .. } if message.contains("nonce")), "{again:?}");
    sandbox.shutdown().await;
}
