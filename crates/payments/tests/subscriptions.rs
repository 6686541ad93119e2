//! Subscriptions through the façade: the exact requests each gateway gets, what comes back,
//! and every part a gateway cannot do.
#![cfg(all(feature = "fena", feature = "freekassa", feature = "feennex"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::sync::{Arc, Mutex};

use httpmock::prelude::*;
use payments::core::subscription::{
    Date, Interval, Month, SubscriptionRequest, SubscriptionStatus,
};
use payments::payment::{Customer, OrderId, PaymentRequest};
use payments::{AnyGateway, Currency, Error, GatewayConfig, GatewayId, Money};
use serde_json::{Value, json};

const FENA_ID: &str = "62b48c5b6ba2cd6a040b20b1";

fn fena(server: &MockServer) -> AnyGateway {
    let json = format!(
        r#"{{"gateway": "fena", "terminal_id": "t", "terminal_secret": "s",
            "toolkit": {{"integration_id": "i-1", "secret_key": "sk-1", "base_url": "{}"}}}}"#,
        server.base_url()
    );
    AnyGateway::from_config(&GatewayConfig::from_json(&json).unwrap()).unwrap()
}

fn freekassa(server: &MockServer) -> AnyGateway {
    let json = format!(
        r#"{{"gateway": "freekassa", "shop_id": "7012", "secret1": "secret", "secret2": "secret2",
            "api_key": "test_api_key", "api_url": "{}"}}"#,
        server.base_url()
    );
    AnyGateway::from_config(&GatewayConfig::from_json(&json).unwrap()).unwrap()
}

fn fena_request() -> SubscriptionRequest {
    // A Monday far enough ahead for the six working days of notice.
    SubscriptionRequest::new(
        OrderId::new("sub-0001").unwrap(),
        Money::parse("9.99", Currency::GBP).unwrap(),
        Interval::Month,
    )
    .with_first_charge_on(Date::from_calendar_date(2099, Month::January, 5).unwrap())
    .with_number_of_charges(12)
    .with_customer(Customer::default().with_name("Ann Payer").with_email("ann@example.com"))
}

fn recurring(status: &str) -> Value {
    json!({
        "id": FENA_ID, "invoiceRefNumber": "sub-0001", "recurringAmount": "9.99",
        "status": status, "frequency": "one_month", "firstPaymentDate": "2099-01-05T00:00:00Z",
        "expectedNumberOfPayments": 12, "link": format!("https://payment.fena.co/r?p={FENA_ID}")
    })
}

fn changed(
    mut request: SubscriptionRequest,
    change: impl FnOnce(&mut SubscriptionRequest),
) -> SubscriptionRequest {
    change(&mut request);
    request
}

fn unsupported(error: &Error, gateway: GatewayId, words: &[&str]) -> bool {
    matches!(error, Error::Unsupported { gateway: g, capability }
        if *g == gateway && words.iter().all(|word| capability.contains(word)))
}

#[tokio::test]
async fn fena_creates_a_standing_order_with_the_exact_body_and_reads_it() {
    let server = MockServer::start_async().await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/open/payments/recurring/create-and-process")
                .header("secret-key", "sk-1")
                .header("integration-id", "i-1")
                .json_body(json!({
                    "reference": "sub-0001", "recurringAmount": "9.99",
                    "recurringPaymentDate": "2099-01-05T00:00:00Z", "numberOfPayments": 12,
                    "frequency": "one_month", "customerName": "Ann Payer",
                    "customerEmail": "ann@example.com"
                }));
            then.status(200).json_body(json!({"created": true, "result": recurring("sent")}));
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/open/payments/recurring/{FENA_ID}"));
            then.status(200).json_body(json!({"data": recurring("active")}));
        })
        .await;
    let gateway = fena(&server);
    let created = gateway.create_subscription(&fena_request()).await.unwrap();
    create.assert_async().await;
    assert_eq!(created.gateway, GatewayId::Fena);
    assert_eq!(created.gateway_subscription_id, FENA_ID);
    assert_eq!(created.subscription_id, "sub-0001");
    assert_eq!(created.status, SubscriptionStatus::AwaitingPayer);
    assert_eq!(
        created.payer_url.as_ref().map(url::Url::as_str),
        Some(format!("https://payment.fena.co/r?p={FENA_ID}").as_str())
    );
    assert_eq!(created.next_charge_at.as_deref(), Some("2099-01-05T00:00:00Z"));
    assert_eq!(created.first_charge_id, None);

    let read = gateway.subscription_status(FENA_ID).await.unwrap();
    get.assert_async().await;
    assert_eq!(read.status, SubscriptionStatus::Active);
}

#[tokio::test]
async fn fena_refuses_what_a_standing_order_cannot_carry_before_sending() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let gateway = fena(&server);
    let daily = changed(fena_request(), |r| r.interval = Interval::Day);
    let error = gateway.create_subscription(&daily).await.unwrap_err();
    assert!(unsupported(&error, GatewayId::Fena, &["every day"]), "{error}");
    let described = fena_request().with_description("a description");
    let error = gateway.create_subscription(&described).await.unwrap_err();
    assert!(unsupported(&error, GatewayId::Fena, &["description"]), "{error}");
    let method = fena_request().with_payment_method("fena_ob");
    let error = gateway.create_subscription(&method).await.unwrap_err();
    assert!(unsupported(&error, GatewayId::Fena, &["payment method"]), "{error}");
    let undated = changed(fena_request(), |r| r.first_charge_on = None);
    let error = gateway.create_subscription(&undated).await.unwrap_err();
    assert!(matches!(error, Error::Input { gateway: GatewayId::Fena, .. }), "{error}");
    let upper = changed(fena_request(), |r| r.subscription_id = OrderId::new("SUB-1").unwrap());
    let error = gateway.create_subscription(&upper).await.unwrap_err();
    assert!(matches!(error, Error::Input { gateway: GatewayId::Fena, .. }), "{error}");
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn fena_cancels_only_before_the_payer_set_the_standing_order_up() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/open/payments/recurring/{FENA_ID}"));
            then.status(200).json_body(json!({"data": recurring("sent")}));
        })
        .await;
    let delete = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/open/payments/recurring/{FENA_ID}/delete"))
                .header("secret-key", "sk-1");
            then.status(200).json_body(json!({"deleted": true}));
        })
        .await;
    let gateway = fena(&server);
    gateway.cancel_subscription(FENA_ID).await.unwrap();
    assert_eq!(delete.calls_async().await, 1);

    get.delete_async().await;
    let active = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/open/payments/recurring/{FENA_ID}"));
            then.status(200).json_body(json!({"data": recurring("active")}));
        })
        .await;
    let error = gateway.cancel_subscription(FENA_ID).await.unwrap_err();
    assert!(unsupported(&error, GatewayId::Fena, &["only the payer", FENA_ID]), "{error}");
    active.assert_async().await;
    assert_eq!(delete.calls_async().await, 1, "a set-up standing order is not deleted");
}

fn freekassa_request() -> SubscriptionRequest {
    SubscriptionRequest::new(
        OrderId::new("sub-1").unwrap(),
        Money::parse("299", Currency::RUB).unwrap(),
        Interval::Month,
    )
    .with_description("VPN subscription")
    .with_payment_method("36")
    .with_customer(
        Customer::default().with_email("user@example.com").with_ip("203.0.113.10".parse().unwrap()),
    )
}

#[tokio::test]
async fn freekassa_first_charge_creates_the_subscription_with_the_exact_body() {
    let server = MockServer::start_async().await;
    let received: Arc<Mutex<Option<Value>>> = Arc::default();
    let seen = received.clone();
    let create = server
        .mock_async(move |when, then| {
            when.method(POST).path("/orders/create").is_true(move |request| {
                let body: Option<Value> = serde_json::from_slice(request.body().as_ref()).ok();
                if let Ok(mut slot) = seen.lock() {
                    slot.clone_from(&body);
                }
                true
            });
            then.status(200).json_body(json!({
                "type": "success", "orderId": 88_412, "orderHash": "0123456789abcdef0123456789abcdef",
                "location": "https://pay.freekassa.com/form/88412/0123456789abcdef0123456789abcdef",
                "recurrent_order": {"id": 91, "pay_date_at": "2026-12-29 19:00:00"}
            }));
        })
        .await;
    let gateway = freekassa(&server);
    let created = gateway.create_subscription(&freekassa_request()).await.unwrap();
    create.assert_async().await;

    let mut body = received.lock().unwrap().clone().expect("a JSON body");
    let nonce = body["nonce"].as_u64().expect("a numeric nonce");
    let signature = body["signature"].as_str().expect("a signature").to_owned();
    let object = body.as_object_mut().unwrap();
    object.remove("nonce");
    object.remove("signature");
    assert_eq!(
        body,
        json!({
            "shopId": 7012, "paymentId": "sub-1", "i": 36, "email": "user@example.com",
            "ip": "203.0.113.10", "amount": 299, "currency": "RUB", "recurrent": "Y",
            "recurrent_period": "month", "recurrent_description": "VPN subscription"
        })
    );
    // The signature is the one the freekassa crate computes for the same order and nonce.
    let config = payments::freekassa::Config::new(7012).with_api_key("test_api_key");
    let expected = payments::freekassa::api::orders::OrderCreate::new(
        OrderId::new("sub-1").unwrap(),
        Money::parse("299", Currency::RUB).unwrap(),
        payments::freekassa::PaymentSystemId::new(36),
        "user@example.com",
        "203.0.113.10",
    )
    .with_recurrence(payments::freekassa::api::orders::Recurrence::new(
        payments::freekassa::model::RecurrentPeriod::Month,
        "VPN subscription",
    ))
    .prepare(&config, nonce)
    .unwrap();
    assert_eq!(expected.body_json().unwrap()["signature"], signature);

    assert_eq!(created.gateway, GatewayId::Freekassa);
    assert_eq!(created.gateway_subscription_id, "91");
    assert_eq!(created.subscription_id, "sub-1");
    assert_eq!(created.status, SubscriptionStatus::AwaitingPayer);
    assert_eq!(
        created.payer_url.as_ref().map(url::Url::as_str),
        Some("https://pay.freekassa.com/form/88412/0123456789abcdef0123456789abcdef")
    );
    assert_eq!(created.next_charge_at.as_deref(), Some("2026-12-29 19:00:00"));
    assert_eq!(created.first_charge_id.as_deref(), Some("88412"));
}

#[tokio::test]
async fn freekassa_without_recurrent_order_in_the_answer_is_an_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/orders/create");
            then.status(200).json_body(json!({
                "type": "success", "orderId": 5, "location": "https://pay.freekassa.com/form/5/x"
            }));
        })
        .await;
    let error = freekassa(&server).create_subscription(&freekassa_request()).await.unwrap_err();
    assert!(matches!(error, Error::Gateway { gateway: GatewayId::Freekassa, .. }), "{error}");
    assert!(error.to_string().contains("recurrent_order"), "{error}");
}

#[tokio::test]
async fn freekassa_refuses_what_it_documents_no_field_or_endpoint_for() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let gateway = freekassa(&server);
    let quarterly = changed(freekassa_request(), |r| r.interval = Interval::Quarter);
    let error = gateway.create_subscription(&quarterly).await.unwrap_err();
    assert!(unsupported(&error, GatewayId::Freekassa, &["every quarter"]), "{error}");
    let dated = freekassa_request()
        .with_first_charge_on(Date::from_calendar_date(2099, Month::January, 5).unwrap());
    let error = gateway.create_subscription(&dated).await.unwrap_err();
    assert!(unsupported(&error, GatewayId::Freekassa, &["first charge date"]), "{error}");
    let counted = freekassa_request().with_number_of_charges(3);
    let error = gateway.create_subscription(&counted).await.unwrap_err();
    assert!(unsupported(&error, GatewayId::Freekassa, &["number of charges"]), "{error}");
    let undescribed = changed(freekassa_request(), |r| r.description = None);
    let error = gateway.create_subscription(&undescribed).await.unwrap_err();
    assert!(matches!(error, Error::Input { gateway: GatewayId::Freekassa, .. }), "{error}");
    let short = changed(freekassa_request(), |r| r.description = Some("VPN".into()));
    let error = gateway.create_subscription(&short).await.unwrap_err();
    assert!(matches!(error, Error::Input { gateway: GatewayId::Freekassa, .. }), "{error}");
    let no_ip = freekassa_request().with_customer(Customer::default().with_email("u@example.com"));
    let error = gateway.create_subscription(&no_ip).await.unwrap_err();
    assert!(matches!(error, Error::Input { gateway: GatewayId::Freekassa, .. }), "{error}");

    let error = gateway.subscription_status("91").await.unwrap_err();
    assert!(unsupported(&error, GatewayId::Freekassa, &["reading subscription", "91"]), "{error}");
    let error = gateway.cancel_subscription("91").await.unwrap_err();
    assert!(unsupported(&error, GatewayId::Freekassa, &["cancelling subscription"]), "{error}");
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn feennex_and_fenas_jwt_flow_have_no_subscriptions() {
    let feennex = AnyGateway::from_config(
        &GatewayConfig::from_json(r#"{"gateway": "feennex", "shop_id": 5, "secret": "s"}"#)
            .unwrap(),
    )
    .unwrap();
    let terminal = AnyGateway::from_config(
        &GatewayConfig::from_json(
            r#"{"gateway": "fena", "terminal_id": "t", "terminal_secret": "s"}"#,
        )
        .unwrap(),
    )
    .unwrap();
    for gateway in [feennex, terminal] {
        let id = gateway.id();
        let error = gateway.create_subscription(&fena_request()).await.unwrap_err();
        assert!(unsupported(&error, id, &["subscriptions"]), "{error}");
        let error = gateway.subscription_status(FENA_ID).await.unwrap_err();
        assert!(unsupported(&error, id, &["subscriptions"]), "{error}");
        let error = gateway.cancel_subscription(FENA_ID).await.unwrap_err();
        assert!(unsupported(&error, id, &["subscriptions"]), "{error}");
        let error = gateway.charge_subscription(FENA_ID, &repeat_charge("c-1")).await.unwrap_err();
        assert!(unsupported(&error, id, &["subscriptions"]), "{error}");
    }
}

fn repeat_charge(order: &str) -> PaymentRequest {
    PaymentRequest::new(OrderId::new(order).unwrap(), Money::parse("299", Currency::RUB).unwrap())
        .with_payment_method("36")
        .with_customer(
            Customer::default()
                .with_email("user@example.com")
                .with_ip("203.0.113.10".parse().unwrap()),
        )
}

#[tokio::test]
async fn freekassa_charges_a_subscription_again_with_the_exact_body() {
    let server = MockServer::start_async().await;
    let received: Arc<Mutex<Option<Value>>> = Arc::default();
    let seen = received.clone();
    let create = server
        .mock_async(move |when, then| {
            when.method(POST).path("/orders/create").is_true(move |request| {
                let body: Option<Value> = serde_json::from_slice(request.body().as_ref()).ok();
                if let Ok(mut slot) = seen.lock() {
                    slot.clone_from(&body);
                }
                true
            });
            then.status(200).json_body(json!({
                "type": "success", "orderId": 88_413, "orderHash": "fedcba9876543210fedcba9876543210",
                "location": "https://pay.freekassa.com/form/88413/fedcba9876543210fedcba9876543210"
            }));
        })
        .await;
    let charge = repeat_charge("sub-1-2")
        .with_notification_url("https://shop.example/freekassa".parse().unwrap());
    let report = freekassa(&server).charge_subscription("91", &charge).await.unwrap();
    create.assert_async().await;
    let mut body = received.lock().unwrap().clone().expect("a JSON body");
    let object = body.as_object_mut().unwrap();
    assert!(object.remove("nonce").is_some_and(|nonce| nonce.is_u64()));
    assert!(object.remove("signature").is_some_and(|signature| signature.is_string()));
    // The charge's own paymentId and the subscription's id, and no recurrent_* of a first
    // charge (freekassa.md 5.3).
    assert_eq!(
        body,
        json!({
            "shopId": 7012, "paymentId": "sub-1-2", "i": 36, "email": "user@example.com",
            "ip": "203.0.113.10", "amount": 299, "currency": "RUB", "recurrent_order_id": 91,
            "notification_url": "https://shop.example/freekassa"
        })
    );
    assert_eq!(report.order_id, "sub-1-2");
    assert_eq!(report.gateway_payment_id.as_deref(), Some("88413"));
    assert_eq!(report.status, payments::payment::PaymentStatus::Pending);
    assert_eq!(report.money, Some(Money::parse("299", Currency::RUB).unwrap()));
}

#[tokio::test]
async fn a_repeat_charge_missing_what_freekassa_needs_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let gateway = freekassa(&server);
    let error = gateway.charge_subscription("not-a-number", &repeat_charge("c-1")).await;
    assert!(matches!(error, Err(Error::Input { gateway: GatewayId::Freekassa, .. })), "{error:?}");
    let mut no_ip = repeat_charge("c-1");
    no_ip.customer.ip = None;
    let error = gateway.charge_subscription("91", &no_ip).await;
    assert!(matches!(error, Err(Error::Input { gateway: GatewayId::Freekassa, .. })), "{error:?}");
    let mut no_method = repeat_charge("c-1");
    no_method.payment_method = None;
    let error = gateway.charge_subscription("91", &no_method).await;
    assert!(matches!(error, Err(Error::Input { gateway: GatewayId::Freekassa, .. })), "{error:?}");
    // A description has no field on a repeat charge: refused, never dropped.
    let described = repeat_charge("c-1").with_description("March");
    let error = gateway.charge_subscription("91", &described).await.unwrap_err();
    assert!(unsupported(&error, GatewayId::Freekassa, &["description"]), "{error}");
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn fena_cannot_charge_a_standing_order_and_sends_nothing() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let charge = PaymentRequest::new(
        OrderId::new("sub-0001-2").unwrap(),
        Money::parse("9.99", Currency::GBP).unwrap(),
    );
    let error = fena(&server).charge_subscription(FENA_ID, &charge).await.unwrap_err();
    assert!(unsupported(&error, GatewayId::Fena, &["bank", FENA_ID]), "{error}");
    assert_eq!(any.calls_async().await, 0);
}
