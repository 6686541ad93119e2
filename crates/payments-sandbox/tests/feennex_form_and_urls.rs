//! Feennex's hosted payment form, built with the SDK's `PayForm` and submitted as the payer's
//! browser would; and the shop's URL settings, which win over the URLs a request carries.
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
use payments::feennex::api::bill::BillCreate;
use payments::feennex::api::pay_form::PayForm;
use payments::feennex::model::BillStatus;
use payments::feennex::{Client, Config};
use payments::payment::{HtmlForm, OrderId, PaymentStatus};
use payments::{AnyGateway, Currency, GatewayConfig, GatewayId, Money};
use payments_sandbox::{RunningSandbox, Sandbox, SandboxConfig, Status};

fn gateway(sandbox: &RunningSandbox) -> AnyGateway {
    let json = format!(
        r#"{{"gateway": "feennex", "shop_id": 5, "secret": "SecretKey01", "base_url": "{}"}}"#,
        sandbox.feennex_url()
    );
    AnyGateway::from_config(&GatewayConfig::from_json(&json).unwrap()).unwrap()
}

fn client(sandbox: &RunningSandbox, secret: &str) -> Client {
    let config = Config::new(5, secret)
        .with_base_url(&sandbox.feennex_url())
        .unwrap()
        .with_pay_form_url(&sandbox.feennex_pay_form_url())
        .unwrap();
    Client::new(config).unwrap()
}

fn fast(config: SandboxConfig) -> SandboxConfig {
    let mut config = config;
    config.notification_backoff_ms = 10;
    config
}

fn rub(amount: &str) -> Money {
    Money::parse(amount, Currency::RUB).unwrap()
}

/// Submits `form` as a browser does (POST, form-encoded), following the redirect.
async fn submit(form: &HtmlForm) -> (StatusCode, String) {
    let body =
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&form.fields).finish();
    let transport = ReqwestTransport::new(&TransportConfig::default()).unwrap();
    let request =
        HttpRequest::post_form(GatewayId::Feennex, "pay", form.action.clone(), body.into_bytes());
    let response = transport.send(&request).await.unwrap();
    (response.status, String::from_utf8_lossy(&response.body).into_owned())
}

fn with_field(form: &HtmlForm, key: &str, value: &str) -> HtmlForm {
    let mut form = form.clone();
    form.fields.iter_mut().filter(|(k, _)| k == key).for_each(|(_, v)| *v = value.to_owned());
    form
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_pay_form_opens_the_checkout_and_is_notified_like_a_bill() {
    let mut merchant = Merchant::bind().await;
    let sandbox =
        Sandbox::start(fast(SandboxConfig::demo()), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let gateway = gateway(&sandbox);
    merchant.serve(&[&gateway], 0);
    let client = client(&sandbox, "SecretKey01");

    let money = rub("10.50");
    let form = PayForm::new(OrderId::new("form-1").unwrap(), money)
        .with_description("Form order")
        .with_payway("card_rub")
        .with_urls(
            Some("https://shop.example/ok".parse().unwrap()),
            Some("https://shop.example/failed".parse().unwrap()),
            Some(merchant.url("feennex").parse().unwrap()),
        )
        .prepare(client.config())
        .unwrap();
    let (status, page) = submit(&form).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("sandbox checkout") && page.contains("<b id=\"order\">form-1</b>"),
        "{page}"
    );
    assert!(page.contains("10.5 RUB") && page.contains("Form order"), "{page}");

    let payment = sandbox.find(GatewayId::Feennex, "5", "form-1").unwrap();
    assert_eq!(payment.method.as_deref(), Some("card_rub"));
    assert_eq!(payment.success_url.as_deref(), Some("https://shop.example/ok"));
    assert_eq!(payment.failure_url.as_deref(), Some("https://shop.example/failed"));
    let paid = sandbox.pay(payment.id).await.unwrap();
    assert_eq!(paid.status, Status::Paid);
    assert!(paid.deliveries.last().unwrap().accepted, "{:?}", paid.deliveries);
    let received = merchant.received.lock().await.clone();
    assert_eq!(received.len(), 1);
    received[0].check_order("form-1", &money).unwrap();
    assert_eq!(received[0].status, PaymentStatus::Paid);
    let report = client.bill_status(&OrderId::new("form-1").unwrap()).await.unwrap();
    assert_eq!(report.status, BillStatus::Paid);
    assert_eq!(report.payway.as_deref(), Some("card_rub"));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_pay_form_is_refused_with_the_api_error() {
    let sandbox =
        Sandbox::start(SandboxConfig::demo(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let client = client(&sandbox, "SecretKey01");
    let form =
        PayForm::new(OrderId::new("form-2").unwrap(), rub("10")).prepare(client.config()).unwrap();

    let refused = |code: &str, page: &str| page.contains(&format!("id=\"error_code\">{code}<"));
    // The amount changed after signing: the server shows its own string to sign.
    let (status, page) = submit(&with_field(&form, "amount", "1000.0")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(refused("10", &page), "{page}");
    assert!(page.contains("Invalid sign, string_to_sign: 1000.0:643:5:form-2"), "{page}");
    // The wrong secret.
    let wrong = client_form(&sandbox, "NotTheSecret1", "form-2", "10");
    let (status, page) = submit(&wrong).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("string_to_sign: 10.0:643:5:form-2"), "{page}");
    // No sign.
    let mut unsigned = form.clone();
    unsigned.fields.retain(|(key, _)| key != "sign");
    let (_, page) = submit(&unsigned).await;
    assert!(refused("10", &page) && page.contains("sign is required"), "{page}");
    // An unknown shop.
    let (_, page) = submit(&with_field(&form, "shop_id", "99")).await;
    assert!(refused("11", &page), "{page}");
    // Amount limits, signed correctly.
    let (_, page) = submit(&client_form(&sandbox, "SecretKey01", "small", "0.5")).await;
    assert!(refused("4", &page) && page.contains("min: 1.0"), "{page}");
    let (_, page) = submit(&client_form(&sandbox, "SecretKey01", "large", "100000.01")).await;
    assert!(refused("5", &page), "{page}");
    // Nothing was created by a refused form.
    assert!(sandbox.payments().is_empty(), "{:?}", sandbox.payments());
    // A repeated order id, when the shop checks uniqueness.
    let (status, _) = submit(&form).await;
    assert_eq!(status, StatusCode::OK);
    let (status, page) = submit(&form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(refused("6", &page), "{page}");
    assert_eq!(sandbox.payments().len(), 1);
    sandbox.shutdown().await;
}

fn client_form(sandbox: &RunningSandbox, secret: &str, order: &str, amount: &str) -> HtmlForm {
    PayForm::new(OrderId::new(order).unwrap(), rub(amount))
        .prepare(client(sandbox, secret).config())
        .unwrap()
}

/// "If you want to pass a URL in the request, remove the value from the corresponding
/// address in shop settings" (feennex.md §2.1): a shop's setting wins; the request's URL is
/// used only where the setting is empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shops_url_settings_win_over_the_request() {
    let mut settings = Merchant::bind().await;
    let mut rejected = Merchant::bind().await;
    let mut requested = Merchant::bind().await;
    let mut config = fast(SandboxConfig::demo());
    config.feennex[0].callback_url = Some(settings.url("feennex"));
    config.feennex[0].callback_rejected_url = Some(rejected.url("feennex"));
    config.feennex[0].success_url = Some("https://shop.example/settings-ok".to_owned());
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let gateway = gateway(&sandbox);
    for merchant in [&mut settings, &mut rejected, &mut requested] {
        merchant.serve(&[&gateway], 0);
    }
    let client = client(&sandbox, "SecretKey01");
    let bill = |order: &str| {
        BillCreate::new(OrderId::new(order).unwrap(), rub("12"))
            .with_callback_urls(
                Some(requested.url("feennex").parse().unwrap()),
                Some(requested.url("feennex").parse().unwrap()),
            )
            .with_return_urls(
                Some("https://shop.example/request-ok".parse().unwrap()),
                Some("https://shop.example/request-failed".parse().unwrap()),
            )
    };

    client.create_bill(&bill("paid")).await.unwrap();
    let payment = sandbox.find(GatewayId::Feennex, "5", "paid").unwrap();
    // Success URL set in the settings; Failed URL empty there, so the request's.
    assert_eq!(payment.success_url.as_deref(), Some("https://shop.example/settings-ok"));
    assert_eq!(payment.failure_url.as_deref(), Some("https://shop.example/request-failed"));
    sandbox.pay(payment.id).await.unwrap();
    assert_eq!(settings.received.lock().await.len(), 1, "the settings' Notification URL");
    assert!(requested.received.lock().await.is_empty(), "not the request's callback_url");

    client.create_bill(&bill("rejected")).await.unwrap();
    let payment = sandbox.find(GatewayId::Feennex, "5", "rejected").unwrap();
    sandbox.reject(payment.id).await.unwrap();
    let got = rejected.received.lock().await.clone();
    assert_eq!(got.len(), 1, "the settings' Rejected Notification URL");
    assert_eq!(got[0].status, PaymentStatus::Failed);
    assert_eq!(settings.received.lock().await.len(), 1);
    assert!(requested.received.lock().await.is_empty());
    sandbox.shutdown().await;
}

/// With empty settings, the request's URLs are used, the rejection going to
/// `callback_rejected_url`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_requests_urls_are_used_when_the_settings_are_empty() {
    let mut paid = Merchant::bind().await;
    let mut rejected = Merchant::bind().await;
    let sandbox =
        Sandbox::start(fast(SandboxConfig::demo()), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let gateway = gateway(&sandbox);
    paid.serve(&[&gateway], 0);
    rejected.serve(&[&gateway], 0);
    let client = client(&sandbox, "SecretKey01");
    for order in ["a", "b"] {
        let bill = BillCreate::new(OrderId::new(order).unwrap(), rub("12"))
            .with_callback_urls(
                Some(paid.url("feennex").parse().unwrap()),
                Some(rejected.url("feennex").parse().unwrap()),
            )
            .with_return_urls(Some("https://shop.example/request-ok".parse().unwrap()), None);
        client.create_bill(&bill).await.unwrap();
    }
    let a = sandbox.find(GatewayId::Feennex, "5", "a").unwrap();
    assert_eq!(a.success_url.as_deref(), Some("https://shop.example/request-ok"));
    assert_eq!(a.failure_url, None);
    sandbox.pay(a.id).await.unwrap();
    let b = sandbox.find(GatewayId::Feennex, "5", "b").unwrap();
    sandbox.reject(b.id).await.unwrap();
    assert_eq!(paid.received.lock().await.len(), 1);
    assert_eq!(rejected.received.lock().await.len(), 1);
    sandbox.shutdown().await;
}

/// The form may also be sent with GET (a query) and to the Russian page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pay_form_takes_a_query_and_either_language() {
    let sandbox =
        Sandbox::start(SandboxConfig::demo(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let form = client_form(&sandbox, "SecretKey01", "form-get", "10");
    let query =
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&form.fields).finish();
    let url: url::Url = format!("{}/feennex/ru/pay?{query}", sandbox.base_url()).parse().unwrap();
    let transport = ReqwestTransport::new(&TransportConfig::default()).unwrap();
    let response = transport.send(&HttpRequest::get(GatewayId::Feennex, "pay", url)).await.unwrap();
    let page = String::from_utf8_lossy(&response.body);
    assert_eq!(response.status, StatusCode::OK, "{page}");
    assert!(page.contains("form-get"), "{page}");
    assert!(sandbox.find(GatewayId::Feennex, "5", "form-get").is_some());
    sandbox.shutdown().await;
}

/// The checkout page sends the payer to the settings' Success and Failed URLs, not to the
/// request's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checkout_page_redirects_to_the_shops_return_urls() {
    use std::sync::{Arc, Mutex};

    let landed: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = landed.clone();
    let shop = axum::Router::new().fallback(move |uri: http::Uri| {
        let sink = sink.clone();
        async move {
            sink.lock().unwrap().push(uri.path().to_owned());
            "shop page"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shop_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, shop).await.unwrap() });

    let mut config = SandboxConfig::demo();
    config.feennex[0].success_url = Some(format!("{shop_url}/settings-ok"));
    config.feennex[0].failed_url = Some(format!("{shop_url}/settings-failed"));
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let client = client(&sandbox, "SecretKey01");
    let transport = ReqwestTransport::new(&TransportConfig::default()).unwrap();
    for (order, button) in [("back-1", "pay"), ("back-2", "reject")] {
        let bill = BillCreate::new(OrderId::new(order).unwrap(), rub("12")).with_return_urls(
            Some(format!("{shop_url}/request-ok").parse().unwrap()),
            Some(format!("{shop_url}/request-failed").parse().unwrap()),
        );
        client.create_bill(&bill).await.unwrap();
        let id = sandbox.find(GatewayId::Feennex, "5", order).unwrap().id;
        let url: url::Url =
            format!("{}/checkout/{id}/{button}", sandbox.base_url()).parse().unwrap();
        let request = HttpRequest::post_form(GatewayId::Feennex, "checkout", url, Vec::new());
        let response = transport.send(&request).await.unwrap();
        assert_eq!(String::from_utf8_lossy(&response.body), "shop page");
    }
    assert_eq!(*landed.lock().unwrap(), ["/settings-ok", "/settings-failed"]);
    sandbox.shutdown().await;
}
