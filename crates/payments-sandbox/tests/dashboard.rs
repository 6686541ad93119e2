//! The dashboard and its control API: the JSON list with each item's timeline, the
//! notification requests and answers, redelivery, the documented retry schedule in the
//! background, payouts and refunds, escaping, and the checkout page.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use http::StatusCode;
use payments::core::transport::{HttpRequest, HttpResponse, ReqwestTransport, Transport};
use payments::feennex::api::bill::BillCreate;
use payments::feennex::api::withdraw::{WithdrawAmountType, WithdrawCreate};
use payments::feennex::{Client, Config};
use payments::payment::OrderId;
use payments::{Currency, GatewayId, Money};
use payments_sandbox::{RetrySchedule, RunningSandbox, Sandbox, SandboxConfig, Status};
use serde_json::Value;

/// What the test merchant answers while it is failing: markup, to see it escaped.
const FAILURE: &str = "<b>busy</b> & \"down\"";

/// A merchant that answers HTTP 500 with [`FAILURE`] to its first `fail_first` calls, then
/// 200 `OK`; returns its notification URL and its call counter.
async fn merchant(fail_first: usize) -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let router = Router::new().route(
        "/feennex",
        post(move || {
            let counter = counter.clone();
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) < fail_first {
                    (StatusCode::INTERNAL_SERVER_ERROR, FAILURE)
                } else {
                    (StatusCode::OK, "OK")
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/feennex", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, calls)
}

fn client(sandbox: &RunningSandbox) -> Client {
    let config = Config::new(5, "SecretKey01").with_base_url(&sandbox.feennex_url()).unwrap();
    Client::new(config).unwrap()
}

fn rub(text: &str) -> Money {
    Money::parse(text, Currency::RUB).unwrap()
}

/// Creates a Feennex bill (notified at `callback`, if any) and returns the sandbox's id.
async fn bill(sandbox: &RunningSandbox, order: &str, callback: Option<&str>) -> u64 {
    let mut bill = BillCreate::new(OrderId::new(order).unwrap(), rub("23.15"))
        .with_description("Tea & <cake>");
    if let Some(url) = callback {
        bill = bill.with_callback_urls(Some(url.parse().unwrap()), None);
    }
    client(sandbox).create_bill(&bill).await.unwrap();
    sandbox.find(GatewayId::Feennex, "5", order).unwrap().id
}

async fn call(sandbox: &RunningSandbox, request: HttpRequest) -> HttpResponse {
    let transport = ReqwestTransport::new(&Default::default()).unwrap();
    let _ = sandbox;
    transport.send(&request).await.unwrap()
}

async fn get(sandbox: &RunningSandbox, path: &str) -> (StatusCode, String) {
    let url: url::Url = format!("{}{path}", sandbox.base_url()).parse().unwrap();
    let response = call(sandbox, HttpRequest::get(GatewayId::Feennex, "test", url)).await;
    (response.status, String::from_utf8(response.body.to_vec()).unwrap())
}

async fn post_control(sandbox: &RunningSandbox, path: &str) -> (StatusCode, Value) {
    let url: url::Url = format!("{}{path}", sandbox.base_url()).parse().unwrap();
    let request = HttpRequest::post_json(GatewayId::Feennex, "test", url, Vec::new());
    let response = call(sandbox, request).await;
    (response.status, serde_json::from_slice(&response.body).unwrap_or(Value::Null))
}

async fn dashboard(sandbox: &RunningSandbox) -> Vec<Value> {
    let (status, body) = get(sandbox, "/control/dashboard").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let json: Value = serde_json::from_str(&body).unwrap();
    json["items"].as_array().unwrap().clone()
}

fn timeline(item: &Value) -> Vec<String> {
    item["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["what"].as_str().unwrap().to_owned())
        .collect()
}

fn one_attempt() -> SandboxConfig {
    let mut config = SandboxConfig::demo();
    config.notification_attempts = 1;
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_notification_shows_its_request_and_answer_and_is_redelivered() {
    let sandbox = Sandbox::start(one_attempt(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let (callback, calls) = merchant(1).await;
    let id = bill(&sandbox, "dash-1", Some(&callback)).await;

    let (status, _) = get(&sandbox, &format!("/checkout/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let paid = sandbox.pay(id).await.unwrap();
    assert_eq!(paid.deliveries.len(), 1, "one attempt configured");

    let items = dashboard(&sandbox).await;
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!((item["key"].as_str(), item["status"].as_str()), (Some("payment-1"), Some("paid")));
    assert_eq!((item["gateway"].as_str(), item["kind"].as_str()), (Some("feennex"), Some("bill")));
    assert_eq!((item["amount"].as_str(), item["currency"].as_str()), (Some("23.15"), Some("RUB")));
    assert_eq!(
        timeline(item),
        [
            "created (bill)",
            "checkout page opened",
            "paid",
            &format!(
                "notification attempt 1: HTTP 500 in {} ms, refused",
                paid.deliveries[0].latency_ms
            ),
        ]
    );
    let delivery = &item["deliveries"][0];
    assert_eq!(delivery["request"]["method"], "POST");
    assert_eq!(delivery["request"]["url"], callback.as_str());
    let headers = delivery["request"]["headers"].as_array().unwrap();
    assert!(
        headers
            .iter()
            .any(|h| h[0] == "content-type" && h[1] == "application/x-www-form-urlencoded"),
        "{headers:?}"
    );
    let header = |name: &str| {
        headers.iter().find(|h| h[0] == name).and_then(|h| h[1].as_str()).unwrap_or_default()
    };
    assert!(header("user-agent").starts_with("payments-sandbox/"), "{headers:?}");
    assert_eq!(callback, format!("http://{}/feennex", header("host")));
    let body = delivery["request"]["body"].as_str().unwrap();
    assert_eq!(header("content-length"), body.len().to_string());
    assert!(body.contains("shop_order_id=dash-1") && body.contains("&sign="), "{body}");
    assert_eq!(
        (delivery["status"].as_u64(), delivery["answer"].as_str()),
        (Some(500), Some(FAILURE))
    );
    assert_eq!(delivery["accepted"], false);
    assert!(delivery["next_attempt_at_ms"].is_null(), "no attempt left: {delivery}");
    let actions: Vec<&str> =
        item["actions"].as_array().unwrap().iter().map(|a| a["path"].as_str().unwrap()).collect();
    assert_eq!(actions, [format!("/control/payments/{id}/redeliver")]);

    // The page escapes the merchant's answer and offers the button.
    let (_, html) = get(&sandbox, "/").await;
    assert!(html.contains("&lt;b&gt;busy&lt;/b&gt; &amp; &quot;down&quot;"), "{html}");
    assert!(!html.contains(FAILURE));
    assert!(html.contains(&format!("id=\"redeliver-payment-{id}\"")), "{html}");
    assert!(html.contains("<tr><th>shop_order_id</th><td>dash-1</td></tr>"), "{html}");
    assert_eq!(item["checkout_path"].as_str(), Some(format!("/checkout/{id}").as_str()));
    assert!(html.contains(&format!("<a href=\"/checkout/{id}\"")), "{html}");
    let (_, fragment) = get(&sandbox, "/dashboard/items").await;
    assert!(fragment.contains("id=\"payment-1-attempt-1\"") && !fragment.contains("<html"));

    // Redelivered through the control API: a second attempt, accepted.
    let (status, answer) =
        post_control(&sandbox, &format!("/control/payments/{id}/redeliver")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let deliveries = answer["payment"]["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2);
    assert_eq!(
        (deliveries[1]["attempt"].as_u64(), deliveries[1]["status"].as_u64()),
        (Some(2), Some(200))
    );
    assert_eq!(
        (deliveries[1]["accepted"].as_bool(), deliveries[1]["manual"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(deliveries[1]["request"]["body"], deliveries[0]["request"]["body"]);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let lines = timeline(&dashboard(&sandbox).await[0]);
    assert_eq!(lines[4], "redelivery requested", "{lines:?}");
    assert!(lines[5].starts_with("notification attempt 2: HTTP 200"), "{lines:?}");

    // And through the sandbox's method.
    let again = sandbox.redeliver(id).await.unwrap();
    assert_eq!(again.deliveries.len(), 3);
    assert!(again.deliveries[2].accepted);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivery_needs_a_settled_payment_with_a_notification() {
    let sandbox = Sandbox::start(one_attempt(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let (callback, calls) = merchant(0).await;
    let pending = bill(&sandbox, "dash-pending", Some(&callback)).await;
    assert_eq!(sandbox.redeliver(pending).await.unwrap_err(), StatusCode::CONFLICT);
    let (status, _) = post_control(&sandbox, "/control/payments/99/redeliver").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // No callback URL anywhere: Feennex has nowhere to send it.
    let silent = bill(&sandbox, "dash-silent", None).await;
    sandbox.pay(silent).await.unwrap();
    let (status, _) =
        post_control(&sandbox, &format!("/control/payments/{silent}/redeliver")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let timeline = sandbox.timeline(silent).unwrap();
    assert!(
        timeline.events.iter().all(|e| e.kind != payments_sandbox::EventKind::RedeliveryRequested)
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_schedule_delivers_in_the_background_and_shows_the_next_attempt() {
    let mut config = SandboxConfig::demo();
    config.notification_schedule = RetrySchedule::Documented;
    config.notification_attempts = 3;
    // Long enough that the retry is still ahead when the test looks.
    config.notification_backoff_ms = 600_000;
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let (callback, calls) = merchant(1).await;
    let id = bill(&sandbox, "dash-bg", Some(&callback)).await;

    let paid = sandbox.pay(id).await.unwrap();
    assert_eq!(paid.status, Status::Paid);
    // The first attempt happens after the Pay request answered; wait for it (bounded).
    let payment = first_delivery(&sandbox, id).await;
    assert_eq!(payment.deliveries.len(), 1, "{:?}", payment.deliveries);
    let first = &payment.deliveries[0];
    assert_eq!(first.status, Some(500));
    let next = first.next_attempt_at_ms.expect("a retry is scheduled");
    assert!(next >= first.sent_at_ms.saturating_add(600_000), "{next} vs {}", first.sent_at_ms);
    let timeline = sandbox.timeline(id).unwrap();
    assert_eq!(timeline.next_attempt_at_ms, Some(next));
    let schedule = timeline.schedule.unwrap();
    assert!(schedule.contains("Feennex documents no retry schedule"), "{schedule}");

    let item = dashboard(&sandbox).await.remove(0);
    assert_eq!(item["next_attempt_at_ms"].as_u64(), Some(next));
    assert_eq!(timeline_last(&item), "next notification attempt scheduled");
    let (_, html) = get(&sandbox, "/").await;
    assert!(html.contains("next attempt at "), "{html}");

    // An accepted redelivery cancels the scheduled retry.
    let redelivered = sandbox.redeliver(id).await.unwrap();
    assert!(redelivered.deliveries[1].accepted);
    assert_eq!(sandbox.timeline(id).unwrap().next_attempt_at_ms, None);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    sandbox.shutdown().await;
}

fn timeline_last(item: &Value) -> String {
    timeline(item).pop().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payouts_are_listed_newest_first_with_their_settle_buttons() {
    let sandbox = Sandbox::start(one_attempt(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let client = client(&sandbox);
    let id = bill(&sandbox, "dash-fund", None).await;
    sandbox.pay(id).await.unwrap();
    let withdraw = WithdrawCreate::new(
        OrderId::new("dash-out").unwrap(),
        "card_rub",
        "4111111111111111",
        rub("10"),
        WithdrawAmountType::PsAmount,
        Currency::RUB,
    );
    let made = client.create_withdraw(&withdraw).await.unwrap();

    let items = dashboard(&sandbox).await;
    let keys: Vec<&str> = items.iter().map(|item| item["key"].as_str().unwrap()).collect();
    let payout_key = format!("feennex-withdraw-{}", made.id);
    assert_eq!(keys, [payout_key.as_str(), "payment-1"], "newest first");
    let payout = &items[0];
    assert_eq!(
        (payout["status"].as_str(), payout["reference"].as_str()),
        (Some("in_progress"), Some("dash-out"))
    );
    let paths: Vec<&str> =
        payout["actions"].as_array().unwrap().iter().map(|a| a["path"].as_str().unwrap()).collect();
    let pay = format!("/control/feennex/payouts/{}/pay", made.id);
    assert_eq!(paths, [pay.clone(), format!("/control/feennex/payouts/{}/reject", made.id)]);

    let (status, _) = post_control(&sandbox, &pay).await;
    assert_eq!(status, StatusCode::OK);
    let settled = dashboard(&sandbox).await.remove(0);
    assert_eq!(settled["status"].as_str(), Some("paid"));
    assert!(settled["actions"].as_array().unwrap().is_empty());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checkout_page_shows_the_order_escaped_and_fits_a_phone() {
    let sandbox = Sandbox::start(one_attempt(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let id = bill(&sandbox, "dash-page", None).await;
    let (status, page) = get(&sandbox, &format!("/checkout/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
    );
    assert!(page.contains("<span class=\"brand\">Feennex</span>"), "{page}");
    assert!(page.contains("<b id=\"order\">dash-page</b>"), "{page}");
    assert!(page.contains("<b id=\"amount\">23.15 RUB</b>"), "{page}");
    assert!(page.contains("Tea &amp; &lt;cake&gt;") && !page.contains("<cake>"), "{page}");
    assert!(page.contains("id=\"pay\"") && page.contains("id=\"reject\""));

    sandbox.reject(id).await.unwrap();
    let (_, page) = get(&sandbox, &format!("/checkout/{id}")).await;
    assert!(page.contains("id=\"result\"") && page.contains("This payment is rejected."), "{page}");
    assert!(!page.contains("id=\"pay\""));
    let (status, _) = get(&sandbox, "/checkout/404").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let opened = sandbox.timeline(id).unwrap().events;
    let kinds: Vec<_> = opened.iter().map(|event| event.kind).collect();
    use payments_sandbox::EventKind::{CheckoutOpened, Created, Rejected};
    assert_eq!(kinds, [Created, CheckoutOpened, Rejected, CheckoutOpened]);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_freekassa_refund_is_listed_above_its_order() {
    use payments::freekassa::api::orders::{OrderCreate, OrderRef, OrderRefund};
    use payments::freekassa::{Client, Config, PaymentSystemId};
    let sandbox = Sandbox::start(one_attempt(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let config = Config::new(7012)
        .with_api_key("test_api_key")
        .with_secret1("secret")
        .with_api_url(&sandbox.freekassa_api_url())
        .unwrap();
    let client = Client::new(config).unwrap();
    let order = OrderCreate::new(
        OrderId::new("fk-dash").unwrap(),
        rub("150"),
        PaymentSystemId::SBP_API,
        "buyer@example.com",
        "203.0.113.10",
    );
    let created = client.create_order(&order).await.unwrap();
    sandbox.pay(created.order_id).await.unwrap();
    let refund =
        client.refund_order(&OrderRefund::new(OrderRef::OrderId(created.order_id))).await.unwrap();

    let items = dashboard(&sandbox).await;
    let keys: Vec<&str> = items.iter().map(|item| item["key"].as_str().unwrap()).collect();
    let refund_key = format!("freekassa-refund-{}", refund.id);
    let order_key = format!("payment-{}", created.order_id);
    assert_eq!(keys, [refund_key.as_str(), order_key.as_str()]);
    assert_eq!(items[0]["status"], "refunded");
    assert_eq!(items[0]["reference"], format!("order {} (fk-dash)", created.order_id).as_str());
    assert_eq!(
        (items[0]["amount"].as_str(), items[0]["currency"].as_str()),
        (Some("150"), Some("RUB"))
    );
    assert!(items[0]["actions"].as_array().unwrap().is_empty());
    sandbox.shutdown().await;
}

/// Waits (bounded) for the payment's first background delivery; returns the payment.
async fn first_delivery(sandbox: &RunningSandbox, id: u64) -> payments_sandbox::Payment {
    for _ in 0..400 {
        let payment = sandbox.payments().into_iter().find(|p| p.id == id).unwrap();
        if !payment.deliveries.is_empty() {
            return payment;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no delivery of payment {id}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fenas_documented_webhook_is_sent_once_and_the_dashboard_says_why() {
    const TERMINAL: &str = "4af9b080-b6d3-4206-a10f-f2162f15b655";
    let mut merchant = common::Merchant::bind().await;
    let mut config = SandboxConfig::demo().with_webhooks_to(&merchant.base_url);
    config.notification_schedule = RetrySchedule::Documented;
    // The fast fallback would retry within 10 ms; Fena's documented schedule does not.
    config.notification_backoff_ms = 10;
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let json = format!(
        r#"{{"gateway": "fena", "terminal_id": "{TERMINAL}", "terminal_secret": "0b7e3c1a-5d2f-4e8b-9a6c-2f1d3e4b5a69", "pay_url": "{}"}}"#,
        sandbox.fena_pay_url()
    );
    let gateway =
        payments::AnyGateway::from_config(&payments::GatewayConfig::from_json(&json).unwrap())
            .unwrap();
    merchant.serve(&[&gateway], 1);
    let request = payments::payment::PaymentRequest::new(
        OrderId::new("FENA-DASH").unwrap(),
        Money::parse("12.5", Currency::GBP).unwrap(),
    );
    let created = gateway.create_payment(&request).await.unwrap();
    let link = created.link.redirect_url().unwrap().to_string();
    let response =
        call(&sandbox, HttpRequest::get(GatewayId::Fena, "pay", link.parse::<url::Url>().unwrap()))
            .await;
    assert_eq!(response.status, StatusCode::OK);
    let id = sandbox.find(GatewayId::Fena, TERMINAL, "FENA-DASH").unwrap().id;

    sandbox.pay(id).await.unwrap();
    let payment = first_delivery(&sandbox, id).await;
    assert_eq!(payment.deliveries[0].status, Some(500));
    assert_eq!(payment.deliveries[0].next_attempt_at_ms, None, "no retry is scheduled");
    let timeline = sandbox.timeline(id).unwrap();
    assert_eq!(timeline.next_attempt_at_ms, None);
    let schedule = timeline.schedule.unwrap();
    assert!(
        schedule.starts_with("Fena: one attempt") && schedule.contains("fena.md"),
        "{schedule}"
    );
    let item = dashboard(&sandbox).await.remove(0);
    assert_eq!(item["schedule"].as_str(), Some(schedule.as_str()));
    assert_eq!(
        item["deliveries"][0]["request"]["body"].as_str().map(|b| b.starts_with("token=")),
        Some(true)
    );

    // Redelivered by hand, the webhook is verified by the merchant.
    let again = sandbox.redeliver(id).await.unwrap();
    assert!(again.deliveries[1].accepted, "{:?}", again.deliveries);
    assert_eq!(merchant.received.lock().await.len(), 1);
    sandbox.shutdown().await;
}
