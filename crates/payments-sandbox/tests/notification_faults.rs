//! Faults on the merchant's notifications (endpoint `notification`) and the dashboard's
//! faults panel: a plain HTML form that posts to `/control/faults` and comes back to `/`, the
//! pending faults with their remaining counts, and "Clear faults".
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::routing::post;
use http::StatusCode;
use payments::feennex::api::bill::BillCreate;
use payments::feennex::{Client, Config};
use payments::payment::OrderId;
use payments::{Currency, GatewayId, Money};
use payments_sandbox::{
    Fault, FaultKind, NOTIFICATION_ENDPOINT, RunningSandbox, Sandbox, SandboxConfig,
};

/// What a browser sends as `accept` when it submits a form.
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// A merchant that always answers 200 `OK`; returns its notification URL and call counter.
async fn merchant() -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let router = Router::new().route(
        "/feennex",
        post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                (StatusCode::OK, "OK")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/feennex", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, calls)
}

async fn start(attempts: u32) -> RunningSandbox {
    let mut config = SandboxConfig::demo();
    config.notification_attempts = attempts;
    Sandbox::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

/// Creates a Feennex bill notified at `callback`; returns the sandbox's id.
async fn bill(sandbox: &RunningSandbox, order: &str, callback: &str) -> u64 {
    let config = Config::new(5, "SecretKey01").with_base_url(&sandbox.feennex_url()).unwrap();
    let money = Money::parse("23.15", Currency::RUB).unwrap();
    let bill = BillCreate::new(OrderId::new(order).unwrap(), money)
        .with_callback_urls(Some(callback.parse().unwrap()), None);
    Client::new(config).unwrap().create_bill(&bill).await.unwrap();
    sandbox.find(GatewayId::Feennex, "5", order).unwrap().id
}

/// A bare HTTP/1.1 request; returns the status, the head (status line and headers) and the
/// body.
async fn http(
    sandbox: &RunningSandbox,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(sandbox.addr()).await.unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer.get(9..12).and_then(|code| code.parse().ok()).unwrap_or(0);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// A form posted as a browser posts it.
async fn browser_post(sandbox: &RunningSandbox, path: &str, form: &str) -> (u16, String, String) {
    let headers =
        [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", BROWSER_ACCEPT)];
    http(sandbox, "POST", path, &headers, form).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_fault_drops_the_attempt_and_the_redelivery_reaches_the_merchant() {
    let sandbox = start(1).await;
    let (callback, calls) = merchant().await;
    let id = bill(&sandbox, "nf-1", &callback).await;
    sandbox.inject_fault(Fault::status(
        GatewayId::Feennex,
        NOTIFICATION_ENDPOINT,
        StatusCode::SERVICE_UNAVAILABLE,
    ));
    // A fault on another gateway's notifications is not taken by this one.
    sandbox.inject_fault(Fault::status(
        GatewayId::Freekassa,
        NOTIFICATION_ENDPOINT,
        StatusCode::BAD_GATEWAY,
    ));

    let paid = sandbox.pay(id).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 0, "the merchant was not reached");
    let first = &paid.deliveries[0];
    assert_eq!(paid.deliveries.len(), 1);
    assert!(!first.accepted);
    assert_eq!(first.status, None, "no merchant answered");
    assert_eq!(first.fault.as_deref(), Some("status 503"));
    assert!(first.answer.starts_with("dropped by fault: status 503"), "{}", first.answer);
    let left: Vec<_> = sandbox.faults().iter().map(|fault| fault.gateway).collect();
    assert_eq!(left, [GatewayId::Freekassa], "the Feennex fault is used up");

    let redelivered = sandbox.redeliver(id).await.unwrap();
    let second = &redelivered.deliveries[1];
    assert_eq!((second.status, second.accepted, second.manual), (Some(200), true, true));
    assert_eq!(second.fault, None);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // The dashboard says why the first attempt failed.
    let (status, _, page) = http(&sandbox, "GET", "/dashboard/items", &[], "").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(
            "notification attempt 1: dropped by fault: status 503, the merchant was not reached"
        ),
        "{page}"
    );
    assert!(page.contains("data-fault=\"status 503\""), "{page}");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_reaches_the_merchant_and_the_retry_sends_it_again() {
    let sandbox = start(2).await;
    let (callback, calls) = merchant().await;
    let id = bill(&sandbox, "nf-2", &callback).await;
    sandbox.inject_fault(Fault::new(GatewayId::Feennex, "/notification/", FaultKind::LoseAnswer));
    // Timeouts are recorded at once: the Pay request is not held for the delay.
    sandbox.inject_fault(Fault::timeout(
        GatewayId::Feennex,
        NOTIFICATION_ENDPOINT,
        std::time::Duration::from_secs(3600),
    ));

    let paid = sandbox.pay(id).await.unwrap();
    let seen: Vec<_> =
        paid.deliveries.iter().map(|d| (d.status, d.accepted, d.fault.clone())).collect();
    assert_eq!(
        seen,
        [(None, false, Some("lose_answer".to_owned())), (None, false, Some("timeout".to_owned()))]
    );
    assert!(paid.deliveries[0].answer.contains("the merchant answered HTTP 200"));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the lost answer's notification arrived");

    let redelivered = sandbox.redeliver(id).await.unwrap();
    assert!(redelivered.deliveries[2].accepted);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "the merchant sees it twice");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_fault_is_not_applied_to_api_calls() {
    let sandbox = start(1).await;
    let (callback, _calls) = merchant().await;
    sandbox.inject_fault(Fault::status(
        GatewayId::Feennex,
        NOTIFICATION_ENDPOINT,
        StatusCode::SERVICE_UNAVAILABLE,
    ));
    // `bill/create` goes through; so would a path ending in `notification`.
    bill(&sandbox, "nf-3", &callback).await;
    let (status, _, _) = http(&sandbox, "POST", "/feennex/notification", &[], "").await;
    assert_ne!(status, 503);
    assert_eq!(sandbox.faults()[0].remaining, 1);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_form_injects_lists_and_clears_faults() {
    let sandbox = start(1).await;
    let (status, _, page) = http(&sandbox, "GET", "/", &[], "").await;
    assert_eq!(status, 200);
    for expected in [
        "<form id=\"fault-form\" method=\"post\" action=\"/control/faults\">",
        "<option value=\"lose_answer\">",
        "<form id=\"clear-faults-form\" method=\"post\" action=\"/control/faults/clear\">",
        "No faults pending.",
    ] {
        assert!(page.contains(expected), "{expected} in {page}");
    }

    // What the panel's form posts: every field, the unused ones empty.
    let form = "gateway=freekassa&endpoint=notification&kind=gateway_error&times=2&status=\
                &code=&message=%3Cb%3Ebusy%3C%2Fb%3E+%26+%22down%22&delay_ms=";
    let (status, head, _) = browser_post(&sandbox, "/control/faults", form).await;
    assert_eq!(status, 303, "{head}");
    assert!(head.contains("\r\nlocation: /\r\n") || head.ends_with("\r\nlocation: /"), "{head}");
    let (_, _, listed) = http(&sandbox, "GET", "/dashboard/faults", &[], "").await;
    assert!(listed.contains("data-endpoint=\"notification\""), "{listed}");
    assert!(listed.contains("data-remaining=\"2\""), "{listed}");
    assert!(listed.contains("&lt;b&gt;busy&lt;/b&gt; &amp; \\&quot;down\\&quot;"), "{listed}");
    assert!(!listed.contains("<b>busy"), "{listed}");
    let (_, _, page) = http(&sandbox, "GET", "/", &[], "").await;
    assert!(page.contains("data-remaining=\"2\""), "the page lists it too");

    // A wrong field is a page naming it, escaped, with the way back.
    let (status, _, refused) =
        browser_post(&sandbox, "/control/faults", "gateway=<stripe>&endpoint=x&kind=status").await;
    assert_eq!(status, 400);
    assert!(refused.contains("gateway: expected feennex, freekassa or fena"), "{refused}");
    assert!(refused.contains("&quot;&lt;stripe&gt;&quot;"), "{refused}");
    assert!(refused.contains("href=\"/\""), "{refused}");
    assert_eq!(sandbox.faults().len(), 1);

    let (status, head, _) = browser_post(&sandbox, "/control/faults/clear", "").await;
    assert_eq!(status, 303, "{head}");
    assert!(sandbox.faults().is_empty());
    // Without `accept: text/html` both answer JSON, as before.
    let json = [("Content-Type", "application/x-www-form-urlencoded")];
    let (status, _, body) = http(
        &sandbox,
        "POST",
        "/control/faults",
        &json,
        "gateway=fena&endpoint=notification&kind=timeout",
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, _, body) = http(&sandbox, "POST", "/control/faults/clear", &[], "").await;
    assert_eq!((status, body.as_str()), (200, r#"{"cleared":1}"#));
    sandbox.shutdown().await;
}
