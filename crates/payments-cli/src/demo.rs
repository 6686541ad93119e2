//! `payments demo`: the whole payment flow of every gateway, offline, against the built-in
//! sandbox and a webhook receiver built with the SDK.

mod freekassa_subscription;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use payments::axum::WebhookRouter;
use payments::core::transport::{HttpRequest, ReqwestTransport, Transport, TransportConfig};
use payments::notification::Notification;
use payments::payment::{OrderId, PaymentRequest, PaymentStatus};
use payments::{AnyGateway, Currency, GatewayConfig, GatewayId, Money};
use payments_sandbox::{RunningSandbox, Sandbox, SandboxConfig};

use crate::{Failure, runtime};

mod fena_toolkit;

/// Counts and prints the steps.
#[derive(Debug, Default)]
struct Report {
    passed: usize,
    failed: usize,
}

impl Report {
    fn step(&mut self, name: &str, result: Result<String, String>) -> bool {
        match result {
            Ok(detail) => {
                self.passed += 1;
                println!("  ok    {name}: {detail}");
                true
            }
            Err(reason) => {
                self.failed += 1;
                println!("  FAIL  {name}: {reason}");
                false
            }
        }
    }
}

/// The merchant's side: a webhook receiver that records what it is handed.
struct Merchant {
    base_url: String,
    received: Arc<Mutex<Vec<Notification>>>,
}

impl Merchant {
    fn received(&self, order_id: &str) -> Option<Notification> {
        let received = self.received.lock().ok()?;
        received.iter().rev().find(|n| n.order_id == order_id).cloned()
    }

    fn count(&self) -> usize {
        self.received.lock().map(|r| r.len()).unwrap_or(0)
    }
}

pub fn run() -> Result<(), Failure> {
    runtime()?.block_on(async {
        println!("payments demo: every gateway's payment flow, offline, against the local sandbox.\n");
        // The merchant's port comes first: Freekassa and Fena take the notification URL from
        // the shop's settings on the gateway, so the sandbox must know it when it starts.
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|error| Failure::Check(format!("cannot start the webhook receiver: {error}")))?;
        let merchant_url = format!("http://{}", listener.local_addr().map_err(|error| Failure::Check(error.to_string()))?);
        let config = SandboxConfig::demo().with_webhooks_to(&merchant_url);
        let sandbox = Sandbox::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|error| Failure::Check(format!("cannot start the sandbox: {error}")))?;
        println!("Sandbox:  {} (Feennex, Freekassa and Fena emulated)", sandbox.base_url());
        let gateways = gateways(&sandbox)?;
        let merchant = merchant(listener, merchant_url, &gateways);
        println!("Merchant: {} (webhook receiver built with payments::axum)\n", merchant.base_url);
        let transport = ReqwestTransport::new(&TransportConfig::default())
            .map_err(|error| Failure::Check(format!("cannot build the HTTP client: {error}")))?;

        let mut report = Report::default();
        for gateway in &gateways {
            println!("{}", gateway.id());
            flow(&mut report, &sandbox, &merchant, &transport, gateway).await;
            println!();
        }
        if let Some(freekassa) = gateways.iter().find(|g| g.id() == GatewayId::Freekassa) {
            println!("freekassa subscription");
            freekassa_subscription::flow(&mut report, &sandbox, &merchant, &transport, freekassa)
                .await;
            println!();
        }
        println!("fena toolkit (REST API, unsigned webhooks confirmed by fetching)");
        fena_toolkit::run(&mut report, &transport).await;
        println!();
        sandbox.shutdown().await;
        println!("{} steps passed, {} failed", report.passed, report.failed);
        if report.failed == 0 {
            println!("\nEach payment was created through the SDK, opened and paid (or rejected) on the sandbox's");
            println!("checkout page, notified to the merchant with a signature the SDK verified before the");
            println!("handler ran, and confirmed by a status query where the gateway has one. Forged");
            println!("notifications were refused before reaching the merchant's handler.");
            Ok(())
        } else {
            Err(Failure::Check(format!("{} demo steps failed", report.failed)))
        }
    })
}

fn gateways(sandbox: &RunningSandbox) -> Result<Vec<AnyGateway>, Failure> {
    let configs = [
        format!(
            r#"{{"gateway": "feennex", "shop_id": 5, "secret": "SecretKey01", "base_url": "{}"}}"#,
            sandbox.feennex_url()
        ),
        format!(
            r#"{{"gateway": "freekassa", "shop_id": 7012, "secret1": "secret", "secret2": "secret2",
                "api_key": "test_api_key", "form_url": "{}", "api_url": "{}",
                "notification_sources": ["127.0.0.1"]}}"#,
            sandbox.freekassa_form_url(),
            sandbox.freekassa_api_url()
        ),
        format!(
            r#"{{"gateway": "fena", "terminal_id": "{FENA_TERMINAL}",
                "terminal_secret": "0b7e3c1a-5d2f-4e8b-9a6c-2f1d3e4b5a69", "pay_url": "{}"}}"#,
            sandbox.fena_pay_url()
        ),
    ];
    configs
        .iter()
        .map(|json| {
            let config = GatewayConfig::from_json(json)
                .map_err(|error| Failure::Check(error.to_string()))?;
            AnyGateway::from_config(&config).map_err(|error| Failure::Check(error.to_string()))
        })
        .collect()
}

/// The demo Fena terminal.
const FENA_TERMINAL: &str = "4af9b080-b6d3-4206-a10f-f2162f15b655";

fn merchant(
    listener: tokio::net::TcpListener,
    base_url: String,
    gateways: &[AnyGateway],
) -> Merchant {
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = received.clone();
    let mut router = WebhookRouter::new(move |notification: Notification| {
        let sink = sink.clone();
        async move {
            sink.lock().map_err(|_| std::io::Error::other("lock poisoned"))?.push(notification);
            Ok::<(), std::io::Error>(())
        }
    });
    for gateway in gateways {
        router = router.gateway(gateway);
    }
    let app = router.into_router();
    tokio::spawn(async move {
        let options = payments::axum::ServeOptions::default();
        let _ = payments::axum::serve(listener, app, options, std::future::pending()).await;
    });
    Merchant { base_url, received }
}

/// A currency the gateway takes.
fn currency(gateway: GatewayId) -> Currency {
    match gateway {
        GatewayId::Fena => Currency::GBP,
        _ => Currency::RUB,
    }
}

async fn flow(
    report: &mut Report,
    sandbox: &RunningSandbox,
    merchant: &Merchant,
    transport: &ReqwestTransport,
    gateway: &AnyGateway,
) {
    let id = gateway.id();
    for (order, pay) in [(format!("demo-{id}-paid"), true), (format!("demo-{id}-rejected"), false)]
    {
        let Ok(order_id) = OrderId::new(order.clone()) else { return };
        let Ok(money) = Money::parse("10.50", currency(id)) else { return };
        let mut request = PaymentRequest::new(order_id.clone(), money);
        if id == GatewayId::Feennex {
            // Feennex takes the notification URL per payment; the others from their settings.
            request = request.with_description("Demo order");
            if let Ok(url) = format!("{}/{id}", merchant.base_url).parse() {
                request = request.with_notification_url(url);
            }
        }
        let link = match gateway.create_payment(&request).await {
            Ok(created) => created.link.redirect_url(),
            Err(error) => {
                report.step(&format!("create payment {order} for {money}"), Err(error.to_string()));
                continue;
            }
        };
        let Some(link) = link else {
            report.step(
                &format!("create payment {order} for {money}"),
                Err("no redirect URL".into()),
            );
            continue;
        };
        report.step(&format!("create payment {order} for {money}"), Ok(shorten(link.as_str())));
        let opened = transport.send(&HttpRequest::get(id, "payment page", link)).await;
        let Some(payment) = sandbox.find(id, merchant_id(id), &order) else {
            let reason = opened.map_or_else(
                |e| e.to_string(),
                |r| format!("HTTP {}: {}", r.status, r.body_snippet(120)),
            );
            report.step("payer opens the payment page", Err(reason));
            continue;
        };
        report.step(
            "payer opens the payment page",
            Ok(format!("checkout {}/checkout/{}", sandbox.base_url(), payment.id)),
        );
        let before = merchant.count();
        let settled =
            if pay { sandbox.pay(payment.id).await } else { sandbox.reject(payment.id).await };
        let verb = if pay { "payer clicks Pay" } else { "payer clicks Reject" };
        let deliveries = match settled {
            Ok(payment) => payment.deliveries,
            Err(status) => {
                report.step(verb, Err(format!("sandbox answered {status}")));
                continue;
            }
        };
        let accepted = deliveries.iter().any(|d| d.accepted);
        report.step(
            verb,
            Ok(match deliveries.len() {
                0 => "the gateway sends no notification for this outcome".to_owned(),
                n => format!("notification delivered in {n} attempt(s), accepted: {accepted}"),
            }),
        );
        let received = merchant.received(&order);
        if !pay && deliveries.is_empty() {
            report.step(
                "merchant received nothing",
                if merchant.count() == before {
                    Ok("as the gateway documents".into())
                } else {
                    Err("a notification arrived".into())
                },
            );
        } else {
            let expected = if pay { PaymentStatus::Paid } else { PaymentStatus::Failed };
            report.step(
                "merchant received a verified notification",
                match received {
                    Some(n) if accepted && n.status == expected => n
                        .check_order(&order, &money)
                        .map(|()| format!("{:?}, {} as ordered", n.status, n.money))
                        .map_err(|e| e.to_string()),
                    Some(n) => Err(format!("status {:?}, expected {expected:?}", n.status)),
                    None => Err("nothing arrived".into()),
                },
            );
        }
        if id == GatewayId::Fena {
            if pay {
                println!(
                    "  note  Fena's JWT flow has no status API: the signed webhook is the confirmation"
                );
            }
            continue;
        }
        let want = if pay { PaymentStatus::Paid } else { PaymentStatus::Canceled };
        report.step(
            "status confirmed by the API",
            match gateway.payment_status(&order_id).await {
                Ok(status) if status.status == want => Ok(format!("{:?}", status.status)),
                Ok(status) => Err(format!("status {:?}, expected {want:?}", status.status)),
                Err(error) => Err(error.to_string()),
            },
        );
    }
    forged(report, merchant, transport, gateway).await;
}

/// The merchant id the demo shops use on the sandbox.
fn merchant_id(gateway: GatewayId) -> &'static str {
    match gateway {
        GatewayId::Feennex => "5",
        GatewayId::Freekassa => "7012",
        _ => FENA_TERMINAL,
    }
}

/// Long URLs (a Fena token) cut for the report.
fn shorten(url: &str) -> String {
    match url.char_indices().nth(90) {
        Some((cut, _)) => format!("{}...", url.get(..cut).unwrap_or(url)),
        None => url.to_owned(),
    }
}

/// Posts a forged notification to the merchant and expects a refusal.
async fn forged(
    report: &mut Report,
    merchant: &Merchant,
    transport: &ReqwestTransport,
    gateway: &AnyGateway,
) {
    let id = gateway.id();
    let before = merchant.count();
    let body = match id {
        GatewayId::Feennex => "payment_id=1&shop_amount=1000.0&shop_currency=643&shop_id=5\
             &shop_order_id=demo-feennex-paid&status=success\
             &sign=0000000000000000000000000000000000000000000000000000000000000000"
            .to_owned(),
        GatewayId::Freekassa => {
            "MERCHANT_ID=7012&AMOUNT=1000&MERCHANT_ORDER_ID=demo-freekassa-paid&intid=1\
             &SIGN=00000000000000000000000000000000"
                .to_owned()
        }
        _ => {
            // A well-formed webhook token for the demo order, signed with the wrong secret.
            let claims = serde_json::json!({"iat": 1, "exp": 4_102_444_800_i64, "id": "x", "orderID": "demo-fena-paid",
                "requestAmount": "1000.00", "netAmount": "1000.00", "terminal": FENA_TERMINAL});
            let token =
                payments::fena::sign::sign(&claims, &payments::SecretString::from("forged"))
                    .unwrap_or_default();
            format!("token={token}")
        }
    };
    let Ok(url) = format!("{}/{id}", merchant.base_url).parse::<url::Url>() else { return };
    let request = HttpRequest::post_form(id, "forged", url, body.into_bytes());
    let result = match transport.send(&request).await {
        Ok(response) if response.status.is_client_error() && merchant.count() == before => {
            Ok(format!("refused with HTTP {}, handler not called", response.status.as_u16()))
        }
        Ok(response) => Err(format!("answered HTTP {}", response.status.as_u16())),
        Err(error) => Err(error.to_string()),
    };
    report.step("forged notification refused", result);
}
