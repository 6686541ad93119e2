//! Freekassa subscriptions (`orders/create` with `recurrent`, freekassa.md §4.5 and §5.3)
//! against the sandbox: through the freekassa client, and through the façade's
//! `create_subscription` (the `payments_core::Subscriptions` implementation).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use common::Merchant;
use payments::core::subscription::{Interval, SubscriptionRequest, SubscriptionStatus};
use payments::freekassa::api::orders::{OrderCreate, Recurrence};
use payments::freekassa::model::{OrderStatus, RecurrentPeriod};
use payments::freekassa::{Client, Config, Error, PaymentSystemId};
use payments::payment::{Customer, OrderId, PaymentRequest, PaymentStatus};
use payments::{AnyGateway, Currency, Decimal, GatewayConfig, GatewayId, Money};
use payments_sandbox::{Payment, RunningSandbox, Sandbox, SandboxConfig, Status};

fn client(sandbox: &RunningSandbox) -> Client {
    let config = Config::new(7012)
        .with_api_key("test_api_key")
        .with_api_url(&sandbox.freekassa_api_url())
        .unwrap();
    Client::new(config).unwrap()
}

fn gateway(sandbox: &RunningSandbox) -> AnyGateway {
    let json = format!(
        r#"{{"gateway": "freekassa", "shop_id": 7012, "secret1": "secret", "secret2": "secret2",
            "api_key": "test_api_key", "form_url": "{}", "api_url": "{}",
            "notification_sources": ["127.0.0.1"]}}"#,
        sandbox.freekassa_form_url(),
        sandbox.freekassa_api_url()
    );
    AnyGateway::from_config(&GatewayConfig::from_json(&json).unwrap()).unwrap()
}

async fn setup() -> (RunningSandbox, AnyGateway, Merchant) {
    let mut merchant = Merchant::bind().await;
    let mut config = SandboxConfig::demo().with_webhooks_to(&merchant.base_url);
    config.notification_backoff_ms = 10;
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let gateway = gateway(&sandbox);
    merchant.serve(&[&gateway], 0);
    (sandbox, gateway, merchant)
}

fn rub(amount: &str) -> Money {
    Money::parse(amount, Currency::RUB).unwrap()
}

fn order(payment_id: &str) -> OrderCreate {
    OrderCreate::new(
        OrderId::new(payment_id).unwrap(),
        rub("299"),
        PaymentSystemId::new(36),
        "user@example.com",
        "203.0.113.10",
    )
}

fn refusal(error: &Error) -> (u16, String) {
    match error {
        Error::Api { http_status, message, .. } => (*http_status, message.clone()),
        other => panic!("expected a Freekassa error, got {other:?}"),
    }
}

/// Waits (at most 30 s) for the sandbox to have delivered `order`'s notification, which
/// follows the answer of `orders/create`.
async fn delivered(sandbox: &RunningSandbox, order: &str) -> Payment {
    for _ in 0..3000 {
        if let Some(payment) = sandbox.find(GatewayId::Freekassa, "7012", order)
            && payment.deliveries.iter().any(|delivery| delivery.accepted)
        {
            return payment;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{order}: no notification delivered");
}

async fn rub_balance(client: &Client) -> Decimal {
    let balance = client.balance().await.unwrap();
    balance.iter().find(|entry| entry.currency == "RUB").unwrap().value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_is_charged_without_the_payer_once_its_first_order_is_paid() {
    let (sandbox, _gateway, merchant) = setup().await;
    let client = client(&sandbox);

    // A plain order answers without `recurrent_order`.
    let plain = client.create_order(&order("plain-1")).await.unwrap();
    assert_eq!(plain.recurrent_order, None);

    let first = client
        .create_order(
            &order("sub-1").with_recurrence(Recurrence::new(RecurrentPeriod::Month, "VPN monthly")),
        )
        .await
        .unwrap();
    let recurrent = first.recurrent_order.clone().unwrap();
    let pay_date = recurrent.pay_date_at.clone().unwrap();
    assert_eq!(pay_date.len(), "2024-01-01 12:00:00".len(), "{pay_date}");
    let repeat = |id: &str| order(id).with_recurrent_order_id(recurrent.id);

    // Not paid yet: no repeat charge.
    let early = client.create_order(&repeat("sub-1-early")).await.unwrap_err();
    assert_eq!(
        refusal(&early),
        (400, "The first payment of this recurrent order is not paid".into())
    );
    assert!(sandbox.find(GatewayId::Freekassa, "7012", "sub-1-early").is_none());
    let unknown = client.create_order(&order("x").with_recurrent_order_id(999)).await.unwrap_err();
    assert_eq!(refusal(&unknown), (400, "Recurrent order not found".into()));

    // The payer pays the first order on the checkout page.
    sandbox.pay(first.order_id).await.unwrap();
    assert_eq!(merchant.received.lock().await.len(), 1);
    assert_eq!(rub_balance(&client).await, Decimal::from(299));

    // The shop charges again: paid at once, no payer, notified like any paid order.
    let charged = client.create_order(&repeat("sub-1-2")).await.unwrap();
    assert_eq!(charged.recurrent_order, None);
    // Paid when the answer arrives; the notification follows.
    let payment = sandbox.find(GatewayId::Freekassa, "7012", "sub-1-2").unwrap();
    assert_eq!(payment.id, charged.order_id);
    assert_eq!(payment.status, Status::Paid);
    let payment = delivered(&sandbox, "sub-1-2").await;
    assert_eq!(payment.deliveries.len(), 1, "{:?}", payment.deliveries);
    let received = merchant.received.lock().await.clone();
    assert_eq!(received.len(), 2);
    received[1].check_order("sub-1-2", &rub("299")).unwrap();
    assert_eq!(received[1].status, PaymentStatus::Paid);
    let listed = client.find_order(&OrderId::new("sub-1-2").unwrap()).await.unwrap();
    assert_eq!(listed.status, OrderStatus::Paid);
    assert_eq!(rub_balance(&client).await, Decimal::from(598));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_whose_first_order_was_rejected_cannot_be_charged() {
    let (sandbox, _gateway, merchant) = setup().await;
    let client = client(&sandbox);
    let first = client
        .create_order(
            &order("sub-2").with_recurrence(Recurrence::new(RecurrentPeriod::Week, "Weekly box")),
        )
        .await
        .unwrap();
    sandbox.reject(first.order_id).await.unwrap();
    let id = first.recurrent_order.unwrap().id;
    let refused = client.create_order(&order("sub-2-2").with_recurrent_order_id(id)).await;
    assert_eq!(refusal(&refused.unwrap_err()).0, 400);
    assert!(merchant.received.lock().await.is_empty());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_facade_sets_a_subscription_up_charges_it_and_cannot_cancel_it() {
    let (sandbox, gateway, merchant) = setup().await;
    let request =
        SubscriptionRequest::new(OrderId::new("sub-3").unwrap(), rub("299"), Interval::Month)
            .with_description("VPN subscription")
            .with_payment_method("36")
            .with_customer(
                Customer::default()
                    .with_email("user@example.com")
                    .with_ip("203.0.113.10".parse().unwrap()),
            );
    let subscription = gateway.create_subscription(&request).await.unwrap();
    assert_eq!(subscription.gateway, GatewayId::Freekassa);
    assert_eq!(subscription.subscription_id, "sub-3");
    assert_eq!(subscription.status, SubscriptionStatus::AwaitingPayer);
    let first = sandbox.find(GatewayId::Freekassa, "7012", "sub-3").unwrap();
    assert_eq!(subscription.first_charge_id, Some(first.id.to_string()));
    let payer_url = subscription.payer_url.clone().unwrap();
    assert_eq!(payer_url.as_str(), format!("{}/checkout/{}", sandbox.base_url(), first.id));
    assert!(subscription.next_charge_at.is_some());

    sandbox.pay(first.id).await.unwrap();
    let id: u64 = subscription.gateway_subscription_id.parse().unwrap();
    client(&sandbox).create_order(&order("sub-3-2").with_recurrent_order_id(id)).await.unwrap();
    delivered(&sandbox, "sub-3-2").await;
    // The same repeat charge through the façade.
    let charge = PaymentRequest::new(OrderId::new("sub-3-3").unwrap(), rub("299"))
        .with_payment_method("36")
        .with_customer(
            Customer::default()
                .with_email("user@example.com")
                .with_ip("203.0.113.10".parse().unwrap()),
        );
    let charged =
        gateway.charge_subscription(&subscription.gateway_subscription_id, &charge).await.unwrap();
    let third = delivered(&sandbox, "sub-3-3").await;
    assert_eq!(charged.order_id, "sub-3-3");
    assert_eq!(charged.gateway_payment_id, Some(third.id.to_string()));
    let received = merchant.received.lock().await.clone();
    let orders: Vec<&str> = received.iter().map(|n| n.order_id.as_str()).collect();
    assert_eq!(orders, ["sub-3", "sub-3-2", "sub-3-3"]);

    let cancel = gateway.cancel_subscription(&subscription.gateway_subscription_id).await;
    assert!(matches!(cancel, Err(payments::Error::Unsupported { .. })), "{cancel:?}");
    sandbox.shutdown().await;
}

/// `orders/create` signed by hand: every field a string but `nonce` and `shopId`.
async fn raw_order(sandbox: &RunningSandbox, extra: &[(&str, &str)]) -> (u16, serde_json::Value) {
    use payments::core::transport::{HttpRequest, ReqwestTransport, Transport, TransportConfig};
    let nonce = payments::freekassa::nonce::now_nanos().to_string();
    let mut fields = vec![
        ("amount", "299"),
        ("currency", "RUB"),
        ("email", "user@example.com"),
        ("i", "36"),
        ("ip", "203.0.113.10"),
        ("nonce", nonce.as_str()),
        ("shopId", "7012"),
    ];
    fields.extend_from_slice(extra);
    let string_to_sign = payments::freekassa::sign::api_string_to_sign(
        fields.iter().map(|(key, value)| (*key, if *value == "true" { "1" } else { *value })),
    )
    .unwrap();
    let signature = payments::freekassa::sign::api_signature(
        &string_to_sign,
        &payments::SecretString::from("test_api_key"),
    );
    let mut body = serde_json::Map::new();
    for (key, value) in &fields {
        let value = match *key {
            "nonce" | "shopId" => serde_json::Value::from(value.parse::<u64>().unwrap()),
            _ if *value == "true" => serde_json::Value::Bool(true),
            _ => serde_json::Value::from(*value),
        };
        body.insert((*key).to_owned(), value);
    }
    body.insert("signature".to_owned(), signature.as_str().into());
    let url: url::Url = format!("{}orders/create", sandbox.freekassa_api_url()).parse().unwrap();
    let request = HttpRequest::post_json(
        GatewayId::Freekassa,
        "raw",
        url,
        serde_json::to_vec(&body).unwrap(),
    );
    let transport = ReqwestTransport::new(&TransportConfig::default()).unwrap();
    let response = transport.send(&request).await.unwrap();
    (response.status.as_u16(), serde_json::from_slice(&response.body).unwrap())
}

/// The documented shape of the first order is checked: `recurrent` is the string `Y` (a
/// boolean, signed by PHP as `1`, is refused), the period is one of four, the description 10
/// to 200 characters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recurrent_order_needs_the_documented_fields() {
    let sandbox =
        Sandbox::start(SandboxConfig::demo(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let good = [
        ("recurrent", "Y"),
        ("recurrent_description", "VPN subscription"),
        ("recurrent_period", "month"),
    ];
    let (status, body) = raw_order(&sandbox, &good).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["recurrent_order"]["id"].as_u64().is_some(), "{body}");
    assert!(body["recurrent_order"]["pay_date_at"].is_string(), "{body}");
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("recurrent", "true"), good[1], good[2]], "Wrong recurrent: expected Y"),
        (&[good[0], good[1], ("recurrent_period", "quarter")], "Wrong recurrent_period"),
        (&[good[0], good[2]], "Wrong recurrent_description"),
        (&[good[0], ("recurrent_description", "VPN"), good[2]], "Wrong recurrent_description"),
    ];
    for (fields, message) in cases {
        let (status, body) = raw_order(&sandbox, fields).await;
        assert_eq!(status, 400, "{fields:?}: {body}");
        assert!(body["message"].as_str().unwrap().starts_with(message), "{fields:?}: {body}");
    }
    assert_eq!(sandbox.payments().len(), 1, "no order for a refused request");
    sandbox.shutdown().await;
}

/// The notification of a repeat charge follows the answer: a shop whose handler reads the
/// order through the same client (which sends one request at a time) gets it at the first
/// delivery, instead of waiting behind its own `orders/create`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_calling_the_api_is_not_stuck_behind_the_charge() {
    use std::sync::{Arc, Mutex};

    use payments::axum::WebhookRouter;
    use payments::notification::Notification;

    type BoxError = Box<dyn std::error::Error + Send + Sync>;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut config = SandboxConfig::demo().with_webhooks_to(&base);
    config.notification_backoff_ms = 10;
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let client = client(&sandbox);
    let seen: Arc<Mutex<Vec<OrderStatus>>> = Arc::default();
    let (reader, sink) = (client.clone(), seen.clone());
    let router = WebhookRouter::new(move |notification: Notification| {
        let (reader, sink) = (reader.clone(), sink.clone());
        async move {
            let order = reader.find_order(&OrderId::new(notification.order_id)?).await?;
            sink.lock().unwrap().push(order.status);
            Ok::<(), BoxError>(())
        }
    })
    .gateway(&gateway(&sandbox));
    let app = router.into_router().into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let first = client
        .create_order(
            &order("sub-4").with_recurrence(Recurrence::new(RecurrentPeriod::Day, "Daily report")),
        )
        .await
        .unwrap();
    sandbox.pay(first.order_id).await.unwrap();
    let id = first.recurrent_order.unwrap().id;
    client.create_order(&order("sub-4-2").with_recurrent_order_id(id)).await.unwrap();
    let payment = delivered(&sandbox, "sub-4-2").await;
    assert_eq!(payment.deliveries.len(), 1, "{:?}", payment.deliveries);
    assert_eq!(*seen.lock().unwrap(), [OrderStatus::Paid, OrderStatus::Paid]);
    sandbox.shutdown().await;
}
