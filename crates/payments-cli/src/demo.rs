//! `payments demo`: the whole payment flow of every gateway, offline, against the built-in
//! sandbox and a webhook receiver built with the SDK.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use payments::axum::WebhookRouter;
use payments::core::transport::{HttpRequest, ReqwestTransport, Transport, TransportConfig};
use payments::notification::Notification;
use payments::payment::{OrderId, PaymentRequest, PaymentStatus};
use payments::{AnyGateway, Currency, GatewayConfig, GatewayId, Money};
use payments_sandbox::{RunningSandbox, Sandbox, SandboxConfig};

use crate::{Failure, runtime};

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
        let sandbox = Sandbox::start(SandboxConfig::demo(), SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|error| Failure::Check(format!("cannot start the sandbox: {error}")))?;
        println!("Sandbox:  {}", sandbox.base_url());
        let gateways = gateways(&sandbox)?;
        let merchant = merchant(&gateways).await?;
        println!("Merchant: {} (webhook receiver built with payments::axum)\n", merchant.base_url);
        let transport = ReqwestTransport::new(&TransportConfig::default())
            .map_err(|error| Failure::Check(format!("cannot build the HTTP client: {error}")))?;

        let mut report = Report::default();
        for gateway in &gateways {
            println!("{}", gateway.id());
            flow(&mut report, &sandbox, &merchant, &transport, gateway).await;
            println!();
        }
        sandbox.shutdown().await;
        println!("{} steps passed, {} failed", report.passed, report.failed);
        if report.failed == 0 {
            println!("\nEvery payment was created through the SDK, paid or rejected on the sandbox's checkout,");
            println!("notified to the merchant with a signature the SDK verified, and confirmed by a status");
            println!("query; the forged notification was refused before reaching the merchant's handler.");
            Ok(())
        } else {
            Err(Failure::Check(format!("{} demo steps failed", report.failed)))
        }
    })
}

fn gateways(sandbox: &RunningSandbox) -> Result<Vec<AnyGateway>, Failure> {
    let feennex = format!(
        r#"{{"gateway": "feennex", "shop_id": 5, "secret": "SecretKey01", "base_url": "{}"}}"#,
        sandbox.feennex_url()
    );
    [feennex]
        .iter()
        .map(|json| {
            let config = GatewayConfig::from_json(json)
                .map_err(|error| Failure::Check(error.to_string()))?;
            AnyGateway::from_config(&config).map_err(|error| Failure::Check(error.to_string()))
        })
        .collect()
}

async fn merchant(gateways: &[AnyGateway]) -> Result<Merchant, Failure> {
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
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|error| Failure::Check(format!("cannot start the webhook receiver: {error}")))?;
    let addr = listener.local_addr().map_err(|error| Failure::Check(error.to_string()))?;
    let app = router.into_router().into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(Merchant { base_url: format!("http://{addr}"), received })
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
    let webhook_url = format!("{}/{id}", merchant.base_url);
    for (order, pay) in [(format!("demo-{id}-paid"), true), (format!("demo-{id}-rejected"), false)]
    {
        let Ok(order_id) = OrderId::new(order.clone()) else { return };
        let Ok(money) = Money::parse("10.50", currency(id)) else { return };
        let mut request =
            PaymentRequest::new(order_id.clone(), money).with_description("Demo order");
        if let Ok(url) = webhook_url.parse() {
            request = request.with_notification_url(url);
        }
        let created = gateway.create_payment(&request).await;
        let link = created.as_ref().map(|link| {
            link.redirect_url().map_or("an auto-submit form".to_owned(), |u| u.to_string())
        });
        if !report
            .step(&format!("create payment {order} for {money}"), link.map_err(|e| e.to_string()))
        {
            continue;
        }
        let Some(payment) = sandbox.find(id, &merchant_id(gateway), &order) else {
            report.step("find it on the sandbox", Err("the sandbox has no such payment".into()));
            continue;
        };
        let settled =
            if pay { sandbox.pay(payment.id).await } else { sandbox.reject(payment.id).await };
        let verb = if pay { "payer pays on the checkout" } else { "payer rejects on the checkout" };
        let deliveries =
            settled.map(|p| p.deliveries).map_err(|status| format!("sandbox answered {status}"));
        let delivered = deliveries.as_ref().map(|d| d.iter().any(|d| d.accepted)).unwrap_or(false);
        report.step(
            verb,
            deliveries.map(|d| format!("notification delivered in {} attempt(s)", d.len())),
        );
        let expected = if pay { PaymentStatus::Paid } else { PaymentStatus::Failed };
        let received = merchant.received(&order);
        report.step(
            "merchant received a verified notification",
            match received {
                Some(n) if delivered && n.status == expected => n
                    .check_order(&order, &money)
                    .map(|()| format!("{:?}, {} as ordered", n.status, n.money))
                    .map_err(|e| e.to_string()),
                Some(n) => Err(format!("status {:?}, expected {expected:?}", n.status)),
                None => Err("nothing arrived".into()),
            },
        );
        if pay {
            report.step(
                "status confirmed by the API",
                match gateway.payment_status(&order_id).await {
                    Ok(status) if status.status == PaymentStatus::Paid => {
                        Ok(format!("{:?}", status.status))
                    }
                    Ok(status) => Err(format!("status {:?}", status.status)),
                    Err(error) => Err(error.to_string()),
                },
            );
        }
    }
    forged(report, merchant, transport, gateway).await;
}

/// The merchant id the demo shops use on the sandbox.
fn merchant_id(gateway: &AnyGateway) -> String {
    match gateway.id() {
        GatewayId::Feennex => "5".to_owned(),
        _ => String::new(),
    }
}

/// Posts a notification with a forged amount to the merchant and expects a refusal.
async fn forged(
    report: &mut Report,
    merchant: &Merchant,
    transport: &ReqwestTransport,
    gateway: &AnyGateway,
) {
    let id = gateway.id();
    let before = merchant.count();
    let body = match id {
        GatewayId::Feennex => {
            "payment_id=1&shop_amount=1000.0&shop_currency=643&shop_id=5&shop_order_id=demo-feennex-paid&status=success\
             &sign=0000000000000000000000000000000000000000000000000000000000000000"
        }
        _ => "",
    };
    let Ok(url) = format!("{}/{id}", merchant.base_url).parse() else { return };
    let request = HttpRequest::post_form(id, "forged", url, body.as_bytes().to_vec());
    let result = match transport.send(&request).await {
        Ok(response) if response.status.is_client_error() && merchant.count() == before => {
            Ok(format!("refused with HTTP {}, handler not called", response.status.as_u16()))
        }
        Ok(response) => Err(format!("answered HTTP {}", response.status.as_u16())),
        Err(error) => Err(error.to_string()),
    };
    report.step("forged notification refused", result);
}
