//! The checkout page and the dashboard in a real browser: a Feennex payment is created through
//! the SDK, headless Chromium (fantoccini over WebDriver, via `chromedriver`) opens the
//! sandbox's checkout page and clicks Pay, and the payer lands on the merchant's success page.
//! The merchant fails that first notification (HTTP 500); the dashboard shows the payment, its
//! timeline and the failed attempt; its Redeliver button sends the notification again, and the
//! second attempt, accepted, appears without a reload. The merchant ends up with exactly one
//! verified notification. Screenshots of the checkout page (phone-sized) and the dashboard are
//! written under the target directory's `e2e/`, and their paths printed.
//!
//! It needs Debian's `chromium` and `chromium-driver` packages, so the normal test run skips
//! it. `cargo xtask e2e` installs them when missing and runs
//! `cargo test -p payments-sandbox --test browser -- --ignored`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::response::Html;
use axum::routing::get;
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use payments::axum::WebhookRouter;
use payments::notification::Notification;
use payments::payment::{OrderId, PaymentLink, PaymentRequest, PaymentStatus};
use payments::{AnyGateway, Currency, GatewayConfig, GatewayId, Money};
use payments_sandbox::{Sandbox, SandboxConfig, Status};
use serde_json::json;
use tokio::sync::Mutex;

/// Debian's `chromium` package.
const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's `chromium-driver` package.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The longest any single step may take before the test fails instead of hanging CI.
const STEP: Duration = Duration::from_secs(30);

/// Headless, and quiet on a machine without a network: no background requests, updates,
/// sync or QUIC probes.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Runs `future`, failing the test if it takes longer than [`STEP`].
async fn within<T>(what: &str, future: impl IntoFuture<Output = T>) -> T {
    match tokio::time::timeout(STEP, future).await {
        Ok(value) => value,
        Err(_) => panic!("{what}: nothing within {STEP:?}"),
    }
}

/// A `chromedriver` listening on a free loopback port, with a fresh Chromium profile
/// directory. Dropping it kills chromedriver and the browser it started, and removes the
/// profile.
struct ChromeDriver {
    child: std::process::Child,
    url: String,
    profile: PathBuf,
}

impl ChromeDriver {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
        let profile =
            std::env::temp_dir().join(format!("payments-browser-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&profile).expect("a temporary profile directory");
        // Without `--allowed-ips` chromedriver accepts local connections only. Its own process
        // group lets the drop kill Chromium too if the session was not closed.
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start {CHROMEDRIVER} ({error}); `cargo xtask e2e` installs it")
            });
        let mut driver = ChromeDriver { child, url: format!("http://127.0.0.1:{port}"), profile };
        within("chromedriver to listen", async {
            loop {
                if let Some(status) = driver.child.try_wait().expect("chromedriver's status") {
                    panic!("chromedriver exited early ({status})");
                }
                if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        driver
    }

    /// A Chromium session with the required flags and this driver's fresh profile.
    async fn session(&self) -> Client {
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|arg| (*arg).to_owned()).collect();
        args.push(format!("--user-data-dir={}", self.profile.display()));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".to_owned(), json!("chrome"));
        capabilities
            .insert("goog:chromeOptions".to_owned(), json!({ "binary": CHROMIUM, "args": args }));
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities);
        let client = within("Chromium to start", builder.connect(&self.url))
            .await
            .expect("a Chromium session");
        let timeouts = TimeoutConfiguration::new(Some(STEP), Some(STEP), None);
        within("the session timeouts", client.update_timeouts(timeouts)).await.unwrap();
        client
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The whole process group: chromedriver and any Chromium it left behind.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The shop's side on loopback: the Feennex webhook route, which records every verified
/// notification, and a success page the payer is sent back to.
struct Merchant {
    notification_url: String,
    success_url: String,
    received: Arc<Mutex<Vec<Notification>>>,
    calls: Arc<AtomicUsize>,
}

/// The receiver fails (HTTP 500) the first `fail_first` notifications.
async fn merchant(gateway: &AnyGateway, fail_first: usize) -> Merchant {
    let received = Arc::new(Mutex::new(Vec::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    let (sink, counter) = (received.clone(), calls.clone());
    let router = WebhookRouter::new(move |notification: Notification| {
        let (sink, counter) = (sink.clone(), counter.clone());
        async move {
            if counter.fetch_add(1, Ordering::SeqCst) < fail_first {
                return Err(std::io::Error::other("database busy"));
            }
            sink.lock().await.push(notification);
            Ok::<(), std::io::Error>(())
        }
    })
    .gateway(gateway)
    .into_router()
    .route("/paid", get(|| async { Html("<h1 id=\"thanks\">Thank you, your order is paid</h1>") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .unwrap();
    });
    Merchant {
        notification_url: format!("http://{addr}/feennex"),
        success_url: format!("http://{addr}/paid"),
        received,
        calls,
    }
}

fn gateway(base_url: &str) -> AnyGateway {
    let json = format!(
        r#"{{"gateway": "feennex", "shop_id": 5, "secret": "SecretKey01", "base_url": "{base_url}"}}"#
    );
    AnyGateway::from_config(&GatewayConfig::from_json(&json).unwrap()).unwrap()
}

/// Where screenshots go: `e2e/` in the target directory.
fn screenshot_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.parent().map_or_else(|| tmp.clone(), |target| target.join("e2e"));
    std::fs::create_dir_all(&dir).expect("the screenshot directory");
    dir
}

/// Saves the browser's viewport as `name`; returns the path.
async fn screenshot(browser: &Client, name: &str) -> PathBuf {
    let png = within("a screenshot", browser.screenshot()).await.unwrap();
    let path = screenshot_dir().join(name);
    std::fs::write(&path, png).expect("the screenshot file");
    path
}

/// Waits until `f` returns `Some`, polling every 100 ms within [`STEP`].
async fn until<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    within(what, async {
        loop {
            if let Some(value) = f().await {
                break value;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
}

/// The `data-http-status` of the attempt section `id`, once the dashboard shows it.
async fn attempt_status(browser: &Client, id: String) -> Option<String> {
    let section = browser.find(Locator::Id(&id)).await.ok()?;
    section.attr("data-http-status").await.ok().flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Debian's chromium and chromium-driver; run by `cargo xtask e2e`"]
async fn paying_on_the_checkout_page_then_redelivering_from_the_dashboard() {
    // One attempt per notification, so the failed one stays failed until redelivered.
    let mut config = SandboxConfig::demo();
    config.notification_attempts = 1;
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let gateway = gateway(&sandbox.feennex_url());
    let merchant = merchant(&gateway, 1).await;

    let money = Money::parse("23.15", Currency::RUB).unwrap();
    let request = PaymentRequest::new(OrderId::new("browser-1").unwrap(), money)
        .with_description("Two coffees")
        .with_notification_url(merchant.notification_url.parse().unwrap())
        .with_success_url(merchant.success_url.parse().unwrap());
    let link = within("the payment to be created", gateway.create_payment(&request)).await.unwrap();
    let PaymentLink::Redirect(checkout) = link.link else { panic!("a bill is a redirect") };

    let chromedriver = ChromeDriver::start().await;
    let browser = chromedriver.session().await;

    // A phone-sized window for the checkout page.
    within("the window size", browser.set_window_size(390, 844)).await.unwrap();
    within("the checkout page", browser.goto(checkout.as_str())).await.unwrap();
    let order =
        within("the order", async { browser.find(Locator::Id("order")).await?.text().await })
            .await
            .unwrap();
    assert_eq!(order, "browser-1");
    let amount =
        within("the amount", async { browser.find(Locator::Id("amount")).await?.text().await })
            .await
            .unwrap();
    assert_eq!(amount, "23.15 RUB");
    let checkout_png = screenshot(&browser, "checkout.png").await;

    within("the Pay click", async { browser.find(Locator::Id("pay")).await?.click().await })
        .await
        .unwrap();
    within("the success page", async {
        loop {
            if browser.current_url().await.unwrap().as_str() == merchant.success_url {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let thanks = within("the thank-you text", async {
        browser.find(Locator::Id("thanks")).await?.text().await
    })
    .await
    .unwrap();
    assert_eq!(thanks, "Thank you, your order is paid");

    // The first notification failed; the dashboard shows the payment and that attempt.
    let payment = sandbox.find(GatewayId::Feennex, "5", "browser-1").unwrap();
    assert_eq!(payment.status, Status::Paid);
    assert_eq!(merchant.calls.load(Ordering::SeqCst), 1);
    assert!(merchant.received.lock().await.is_empty(), "the first delivery failed");
    within("the window size", browser.set_window_size(1280, 1000)).await.unwrap();
    within("the dashboard", browser.goto(&sandbox.dashboard_url())).await.unwrap();
    let key = format!("payment-{}", payment.id);
    let first = until("the first attempt on the dashboard", || {
        attempt_status(&browser, format!("{key}-attempt-1"))
    })
    .await;
    assert_eq!(first, "500");
    let status = within("the payment's status", async {
        let item = browser.find(Locator::Id(&key)).await?;
        item.find(Locator::Css(".badge")).await?.text().await
    })
    .await
    .unwrap();
    assert_eq!(status, "paid");

    // Open its timeline, then redeliver from the dashboard.
    within("the timeline", async {
        browser
            .find(Locator::Css(&format!("details[data-key='{key}'] > summary")))
            .await?
            .click()
            .await
    })
    .await
    .unwrap();
    let timeline = within("the timeline text", async {
        browser.find(Locator::Css(&format!("#{key} .timeline"))).await?.text().await
    })
    .await
    .unwrap();
    for expected in
        ["created (bill)", "checkout page opened", "paid", "notification attempt 1: HTTP 500"]
    {
        assert!(timeline.contains(expected), "{expected:?} in {timeline}");
    }
    within("the Redeliver click", async {
        browser.find(Locator::Id(&format!("redeliver-{key}"))).await?.click().await
    })
    .await
    .unwrap();
    // The page refreshes itself: the second attempt appears without a reload.
    let second = until("the second attempt on the dashboard", || {
        attempt_status(&browser, format!("{key}-attempt-2"))
    })
    .await;
    assert_eq!(second, "200");
    let heading = within("the second attempt", async {
        let section = browser.find(Locator::Id(&format!("{key}-attempt-2"))).await?;
        section.find(Locator::Css("h4")).await?.text().await
    })
    .await
    .unwrap();
    assert!(heading.contains("HTTP 200") && heading.contains("accepted"), "{heading}");
    let dashboard_png = screenshot(&browser, "dashboard.png").await;
    println!("screenshots: {} and {}", checkout_png.display(), dashboard_png.display());
    within("the browser to close", browser.close()).await.unwrap();
    drop(chromedriver);

    let received = merchant.received.lock().await.clone();
    assert_eq!(received.len(), 1, "exactly one verified notification: {received:?}");
    assert_eq!(merchant.calls.load(Ordering::SeqCst), 2);
    let notification = &received[0];
    assert_eq!(notification.gateway, GatewayId::Feennex);
    notification.check_order("browser-1", &money).unwrap();
    assert_eq!(notification.order_id, "browser-1");
    assert_eq!(notification.money, money);
    assert_eq!(notification.status, PaymentStatus::Paid);

    let payment = sandbox.find(GatewayId::Feennex, "5", "browser-1").unwrap();
    assert_eq!(payment.status, Status::Paid);
    let statuses: Vec<_> = payment.deliveries.iter().map(|d| (d.status, d.accepted)).collect();
    assert_eq!(statuses, [(Some(500), false), (Some(200), true)]);
    assert!(payment.deliveries[1].manual);
    sandbox.shutdown().await;
}
