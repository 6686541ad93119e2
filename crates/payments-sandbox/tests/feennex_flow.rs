//! The Feennex flow end to end, through the public SDK against the sandbox: success,
//! rejection, bad signature, wrong credentials, duplicate order id, retried notification.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use std::sync::atomic::Ordering;

use common::Merchant;
use payments::feennex::api::bill::BillCreate;
use payments::feennex::{Client, Config, Error, ErrorCode};
use payments::payment::{OrderId, PaymentLink, PaymentRequest, PaymentStatus};
use payments::{AnyGateway, Currency, GatewayConfig, Money};
use payments_sandbox::{Sandbox, SandboxConfig, Status};

async fn merchant(gateway: &AnyGateway, fail_first: usize) -> Merchant {
    let mut merchant = Merchant::bind().await;
    merchant.serve(&[gateway], fail_first);
    merchant
}

fn gateway(base_url: &str) -> AnyGateway {
    let json = format!(
        r#"{{"gateway": "feennex", "shop_id": 5, "secret": "SecretKey01", "base_url": "{base_url}"}}"#
    );
    AnyGateway::from_config(&GatewayConfig::from_json(&json).unwrap()).unwrap()
}

fn fast() -> SandboxConfig {
    let mut config = SandboxConfig::demo();
    config.notification_backoff_ms = 10;
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_and_reject_through_the_sdk() {
    let sandbox = Sandbox::start(fast(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let gateway = gateway(&sandbox.feennex_url());
    let merchant = merchant(&gateway, 0).await;

    // Create -> pay -> verified notification -> status confirmed.
    let order = OrderId::new("order-1").unwrap();
    let money = Money::parse("23.15", Currency::RUB).unwrap();
    let request = PaymentRequest::new(order.clone(), money)
        .with_notification_url(merchant.url("feennex").parse().unwrap());
    let PaymentLink::Redirect(url) = gateway.create_payment(&request).await.unwrap().link else {
        panic!("a bill is a redirect")
    };
    assert!(url.as_str().starts_with(sandbox.base_url()), "{url}");
    let payment = sandbox.find(payments::GatewayId::Feennex, "5", "order-1").unwrap();
    let paid = sandbox.pay(payment.id).await.unwrap();
    assert_eq!(paid.status, Status::Paid);
    assert!(paid.deliveries.last().unwrap().accepted, "{:?}", paid.deliveries);
    let received = merchant.received.lock().await.clone();
    assert_eq!(received.len(), 1);
    received[0].check_order("order-1", &money).unwrap();
    assert_eq!(received[0].status, PaymentStatus::Paid);
    assert_eq!(gateway.payment_status(&order).await.unwrap().status, PaymentStatus::Paid);

    // A rejected payment.
    let rejected_order = OrderId::new("order-2").unwrap();
    let request = PaymentRequest::new(rejected_order.clone(), money)
        .with_notification_url(merchant.url("feennex").parse().unwrap());
    gateway.create_payment(&request).await.unwrap();
    let payment = sandbox.find(payments::GatewayId::Feennex, "5", "order-2").unwrap();
    sandbox.reject(payment.id).await.unwrap();
    assert_eq!(merchant.received.lock().await[1].status, PaymentStatus::Failed);
    assert_eq!(
        gateway.payment_status(&rejected_order).await.unwrap().status,
        PaymentStatus::Canceled
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_checks_signatures_credentials_and_uniqueness() {
    let sandbox = Sandbox::start(fast(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let money = Money::parse("10", Currency::USD).unwrap();
    let client = |shop_id, secret: &str| {
        Client::new(Config::new(shop_id, secret).with_base_url(&sandbox.feennex_url()).unwrap())
            .unwrap()
    };

    let wrong_secret = client(5, "NotTheSecret1")
        .create_bill(&BillCreate::new(OrderId::new("a").unwrap(), money))
        .await
        .unwrap_err();
    match wrong_secret {
        Error::SignatureRejected { server_string, our_string, .. } => {
            assert_eq!(server_string, "840:10.0:840:5:a");
            assert_eq!(server_string, our_string, "same string, so the secret is wrong");
        }
        other => panic!("unexpected {other:?}"),
    }
    let unknown_shop = client(99, "SecretKey01")
        .create_bill(&BillCreate::new(OrderId::new("a").unwrap(), money))
        .await
        .unwrap_err();
    assert_eq!(unknown_shop.code(), Some(ErrorCode::ShopNotFound));

    let good = client(5, "SecretKey01");
    good.create_bill(&BillCreate::new(OrderId::new("dup").unwrap(), money)).await.unwrap();
    let duplicate =
        good.create_bill(&BillCreate::new(OrderId::new("dup").unwrap(), money)).await.unwrap_err();
    assert_eq!(duplicate.code(), Some(ErrorCode::OperationNotUnique));

    let too_small = good
        .create_bill(&BillCreate::new(
            OrderId::new("small").unwrap(),
            Money::parse("0.5", Currency::USD).unwrap(),
        ))
        .await
        .unwrap_err();
    assert_eq!(too_small.code(), Some(ErrorCode::AmountTooSmall));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_is_retried_until_the_merchant_accepts_it() {
    let sandbox = Sandbox::start(fast(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let gateway = gateway(&sandbox.feennex_url());
    let merchant = merchant(&gateway, 2).await;
    let request = PaymentRequest::new(
        OrderId::new("retry").unwrap(),
        Money::parse("5", Currency::EUR).unwrap(),
    )
    .with_notification_url(merchant.url("feennex").parse().unwrap());
    gateway.create_payment(&request).await.unwrap();
    let payment = sandbox.find(payments::GatewayId::Feennex, "5", "retry").unwrap();
    let paid = sandbox.pay(payment.id).await.unwrap();
    let statuses: Vec<Option<u16>> = paid.deliveries.iter().map(|d| d.status).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(200)]);
    assert_eq!(merchant.calls.load(Ordering::SeqCst), 3);
    assert_eq!(merchant.received.lock().await.len(), 1, "processed exactly once");
    assert_eq!(
        sandbox.pay(payment.id).await.unwrap_err(),
        http::StatusCode::CONFLICT,
        "paid twice is refused"
    );
    sandbox.shutdown().await;
}

/// A RUB bill paid with the Feennex wallet says `payway=feennex_rub`, in its callback and its
/// status, not `feennex_usd`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rub_bill_names_the_rub_wallet() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let sandbox = Sandbox::start(fast(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let config = Config::new(5, "SecretKey01").with_base_url(&sandbox.feennex_url()).unwrap();
    let client = Client::new(config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback = format!("http://{}/feennex", listener.local_addr().unwrap());
    let order = OrderId::new("rub-1").unwrap();
    let bill = BillCreate::new(order.clone(), Money::parse("10", Currency::RUB).unwrap())
        .with_callback_urls(Some(callback.parse().unwrap()), None);
    client.create_bill(&bill).await.unwrap();
    let received = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buffer = [0_u8; 4096];
        // Headers and the short form body arrive together with the final read before the
        // answer; read until the body's last field.
        while !String::from_utf8_lossy(&request).contains("sign=") {
            let read = stream.read(&mut buffer).await.unwrap();
            assert!(read > 0, "closed early");
            request.extend_from_slice(&buffer[..read]);
        }
        stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK").await.unwrap();
        String::from_utf8(request).unwrap()
    });
    let payment = sandbox.find(payments::GatewayId::Feennex, "5", "rub-1").unwrap();
    sandbox.pay(payment.id).await.unwrap();
    let request = received.await.unwrap();
    assert!(request.contains("payway=feennex_rub"), "{request}");
    let report = client.bill_status(&order).await.unwrap();
    assert_eq!(report.payway.as_deref(), Some("feennex_rub"));
    sandbox.shutdown().await;
}

/// A path that is no endpoint (or one not emulated) is HTTP 404 without Feennex's envelope,
/// never error 10, which would tell the caller its parameters were wrong.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_endpoint_is_not_a_parameter_error() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let sandbox = Sandbox::start(fast(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    for path in ["/feennex/transfer/status", "/feennex/pay", "/feennex/nothing/here"] {
        let mut stream = tokio::net::TcpStream::connect(sandbox.addr()).await.unwrap();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n\
             Content-Length: 14\r\nConnection: close\r\n\r\n{{\"shop_id\": 5}}"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 404"), "{path}: {answer}");
        assert!(!answer.contains("error_code"), "{path}: {answer}");
    }
    sandbox.shutdown().await;
}
