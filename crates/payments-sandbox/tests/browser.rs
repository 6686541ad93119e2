//! The dashboard's faults panel, the checkout page and the dashboard in a real browser:
//! headless Chromium (fantoccini over WebDriver, via `chromedriver`) fills the dashboard's
//! faults form (the next Feennex notification answers 503, endpoint `notification`) and sees
//! the fault listed. A Feennex payment is created through the SDK; the browser opens the
//! sandbox's checkout page, clicks Pay, and lands on the merchant's success page. The fault
//! drops that first notification before it reaches the merchant; the dashboard shows the
//! payment, its timeline and the attempt dropped by the fault; its Redeliver button sends the
//! notification again, and the second attempt, accepted, appears without a reload. The
//! merchant handles exactly one verified notification. Screenshots of the faults panel, the
//! checkout page (phone-sized) and the dashboard are written under the target directory's
//! `e2e/`, and their paths printed.
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

/// The receiver accepts every verified notification; `calls` counts every one it handles.
async fn merchant(gateway: &AnyGateway) -> Merchant {
    let received = Arc::new(Mutex::new(Vec::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    let (sink, counter) = (received.clone(), calls.clone());
    let router = WebhookRouter::new(move |notification: Notification| {
        let (sink, counter) = (sink.clone(), counter.clone());
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
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

/// The `data-fault` of the attempt section `id`, once the dashboard shows it.
async fn attempt_fault(browser: &Client, id: String) -> Option<String> {
    let section = browser.find(Locator::Id(&id)).await.ok()?;
    section.attr("data-fault").await.ok().flatten()
}

/// Types `text` into the faults panel's field `id`.
async fn fill(browser: &Client, id: &str, text: &str) {
    within(id, async { browser.find(Locator::Id(id)).await?.send_keys(text).await }).await.unwrap();
}

/// Picks `value` in the faults panel's select `id`.
async fn choose(browser: &Client, id: &str, value: &str) {
    within(id, async { browser.find(Locator::Id(id)).await?.select_by_value(value).await })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Debian's chromium and chromium-driver; run by `cargo xtask e2e`"]
async fn a_fault_injected_from_the_dashboard_fails_the_notification_until_redelivered() {
    // One attempt per notification, so the spoiled one stays failed until redelivered.
    let mut config = SandboxConfig::demo();
    config.notification_attempts = 1;
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let gateway = gateway(&sandbox.feennex_url());
    // The merchant accepts every notification: only the fault makes the first one fail.
    let merchant = merchant(&gateway).await;

    let chromedriver = ChromeDriver::start().await;
    let browser = chromedriver.session().await;

    // The dashboard's faults panel: the next Feennex notification is dropped with a 503.
    within("the window size", browser.set_window_size(1280, 1000)).await.unwrap();
    within("the dashboard", browser.goto(&sandbox.dashboard_url())).await.unwrap();
    choose(&browser, "fault-gateway", "feennex").await;
    fill(&browser, "fault-endpoint", "notification").await;
    choose(&browser, "fault-kind", "status").await;
    fill(&browser, "fault-status", "503").await;
    within("the Inject click", async {
        browser.find(Locator::Id("inject-fault")).await?.click().await
    })
    .await
    .unwrap();
    // The form comes back to the dashboard, which lists the fault.
    let listed = until("the fault in the panel", || async {
        let item = browser.find(Locator::Css("#faults-pending li.fault")).await.ok()?;
        item.text().await.ok()
    })
    .await;
    assert!(listed.contains("feennex") && listed.contains("notification"), "{listed}");
    assert!(listed.contains("status") && listed.contains("1 remaining"), "{listed}");
    assert_eq!(browser.current_url().await.unwrap().as_str(), sandbox.dashboard_url());
    let faults_png = screenshot(&browser, "faults.png").await;
    let pending = sandbox.faults();
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].endpoint.as_str(), pending[0].kind), ("notification", "status"));
    assert_eq!((pending[0].status, pending[0].remaining), (Some(503), 1));

    let money = Money::parse("23.15", Currency::RUB).unwrap();
    let request = PaymentRequest::new(OrderId::new("browser-1").unwrap(), money)
        .with_description("Two coffees")
        .with_notification_url(merchant.notification_url.parse().unwrap())
        .with_success_url(merchant.success_url.parse().unwrap());
    let link = within("the payment to be created", gateway.create_payment(&request)).await.unwrap();
    let PaymentLink::Redirect(checkout) = link.link else { panic!("a bill is a redirect") };

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

    // The fault dropped the first notification: the merchant never saw it.
    let payment = sandbox.find(GatewayId::Feennex, "5", "browser-1").unwrap();
    assert_eq!(payment.status, Status::Paid);
    assert_eq!(merchant.calls.load(Ordering::SeqCst), 0, "the fault kept it from the merchant");
    within("the window size", browser.set_window_size(1280, 1000)).await.unwrap();
    within("the dashboard", browser.goto(&sandbox.dashboard_url())).await.unwrap();
    let key = format!("payment-{}", payment.id);
    let first = until("the first attempt on the dashboard", || {
        attempt_fault(&browser, format!("{key}-attempt-1"))
    })
    .await;
    assert_eq!(first, "status 503");
    let first_status = attempt_status(&browser, format!("{key}-attempt-1")).await;
    assert_eq!(first_status.as_deref(), Some("none"), "no merchant answered");
    let status = within("the payment's status", async {
        let item = browser.find(Locator::Id(&key)).await?;
        item.find(Locator::Css(".badge")).await?.text().await
    })
    .await
    .unwrap();
    assert_eq!(status, "paid");
    // The fault is used up.
    within("the empty faults list", browser.find(Locator::Id("no-faults"))).await.unwrap();

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
    for expected in [
        "created (bill)",
        "checkout page opened",
        "paid",
        "notification attempt 1: dropped by fault: status 503, the merchant was not reached",
    ] {
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
    println!(
        "screenshots: {}, {} and {}",
        faults_png.display(),
        checkout_png.display(),
        dashboard_png.display()
    );
    within("the browser to close", browser.close()).await.unwrap();
    drop(chromedriver);

    let received = merchant.received.lock().await.clone();
    assert_eq!(received.len(), 1, "exactly one verified notification: {received:?}");
    assert_eq!(merchant.calls.load(Ordering::SeqCst), 1);
    let notification = &received[0];
    assert_eq!(notification.gateway, GatewayId::Feennex);
    notification.check_order("browser-1", &money).unwrap();
    assert_eq!(notification.order_id, "browser-1");
    assert_eq!(notification.money, money);
    assert_eq!(notification.status, PaymentStatus::Paid);

    let payment = sandbox.find(GatewayId::Feennex, "5", "browser-1").unwrap();
    assert_eq!(payment.status, Status::Paid);
    let attempts: Vec<_> =
        payment.deliveries.iter().map(|d| (d.status, d.accepted, d.fault.clone())).collect();
    assert_eq!(attempts, [(None, false, Some("status 503".to_owned())), (Some(200), true, None)]);
    assert!(payment.deliveries[1].manual);
    sandbox.shutdown().await;
}
