//! The demo's Fena Toolkit flows, on a sandbox and a webhook receiver of their own (the
//! Toolkit API key has its own webhook URL): a payment created and processed, paid on the
//! checkout page, its unsigned webhook confirmed by fetching the payment, its status read
//! through the façade; then a standing order through the façade's subscriptions, its
//! scheduled payments produced by advancing the sandbox's clock.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use payments::axum::WebhookRouter;
use payments::core::subscription::{Interval, SubscriptionRequest, SubscriptionStatus};
use payments::core::transport::{HttpRequest, ReqwestTransport, Transport};
use payments::notification::Notification;
use payments::payment::{OrderId, PaymentRequest, PaymentStatus};
use payments::{AnyGateway, Currency, Error, GatewayConfig, GatewayId, Money};
use payments_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use serde_json::{Value, json};

use super::{Report, shorten};

/// The demo's Toolkit API key: the docs' example pair, as in `SandboxConfig::demo`.
const INTEGRATION_ID: &str = "62b48adf6ba2cd6a040b1eec";
const SECRET_KEY: &str = "3858f642-e92f-431c-9d38-46d15efb7fba";

/// The shop's webhook receiver: what its handler ran for, in order.
struct Shop {
    url: String,
    handled: Arc<Mutex<Vec<Notification>>>,
}

impl Shop {
    fn handled(&self) -> Vec<Notification> {
        self.handled.lock().map(|handled| handled.clone()).unwrap_or_default()
    }
}

/// Runs both flows; every step goes into `report`.
pub(super) async fn run(report: &mut Report, transport: &ReqwestTransport) {
    let started = start().await;
    let (sandbox, gateway, shop) = match started {
        Ok(started) => started,
        Err(reason) => {
            report.step("start the Toolkit sandbox and the shop", Err(reason));
            return;
        }
    };
    payment(report, transport, &sandbox, &gateway, &shop).await;
    println!("fena subscription (standing order, through the façade)");
    subscription(report, transport, &sandbox, &gateway, &shop).await;
    println!(
        "  note  Toolkit webhooks are unsigned: each was only a trigger, confirmed by fetching"
    );
    println!("        the payment with the API key before the shop's handler ran");
    sandbox.shutdown().await;
}

async fn start() -> Result<(RunningSandbox, AnyGateway, Shop), String> {
    let localhost = SocketAddr::from(([127, 0, 0, 1], 0));
    let listener = tokio::net::TcpListener::bind(localhost).await.map_err(|e| e.to_string())?;
    let url = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    let mut config = SandboxConfig::demo().with_webhooks_to(&url);
    // The standing order's own status updates are refused by the shop's payment route (see
    // below): two quick attempts are enough to show it.
    config.notification_attempts = 2;
    config.notification_backoff_ms = 50;
    let sandbox = Sandbox::start(config, localhost).await.map_err(|e| e.to_string())?;
    let json = format!(
        r#"{{"gateway": "fena", "terminal_id": "4af9b080-b6d3-4206-a10f-f2162f15b655",
            "terminal_secret": "0b7e3c1a-5d2f-4e8b-9a6c-2f1d3e4b5a69",
            "toolkit": {{"integration_id": "{INTEGRATION_ID}", "secret_key": "{SECRET_KEY}",
            "base_url": "{}"}}}}"#,
        sandbox.fena_toolkit_url()
    );
    let config = GatewayConfig::from_json(&json).map_err(|e| e.to_string())?;
    let gateway = AnyGateway::from_config(&config).map_err(|e| e.to_string())?;
    let handled = Arc::new(Mutex::new(Vec::new()));
    let sink = handled.clone();
    let router = WebhookRouter::new(move |notification: Notification| {
        let sink = sink.clone();
        async move {
            sink.lock().map_err(|_| std::io::Error::other("lock poisoned"))?.push(notification);
            Ok::<(), std::io::Error>(())
        }
    })
    .gateway(&gateway);
    let app = router.into_router();
    tokio::spawn(async move {
        let options = payments::axum::ServeOptions::default();
        let _ = payments::axum::serve(listener, app, options, std::future::pending()).await;
    });
    Ok((sandbox, gateway, Shop { url, handled }))
}

/// The checkout id at the end of a sandbox link.
fn checkout_id(link: &str) -> Option<u64> {
    link.rsplit('/').next()?.parse().ok()
}

fn gbp(text: &str) -> Option<Money> {
    Money::parse(text, Currency::GBP).ok()
}

async fn payment(
    report: &mut Report,
    transport: &ReqwestTransport,
    sandbox: &RunningSandbox,
    gateway: &AnyGateway,
    shop: &Shop,
) {
    let (Ok(order), Some(money)) = (OrderId::new("demo-tk-1"), gbp("10.50")) else { return };
    let created = gateway.create_payment(&PaymentRequest::new(order.clone(), money)).await;
    let (link, stored_id) = match created.map(|c| (c.link.redirect_url(), c.gateway_payment_id)) {
        Ok((Some(link), Some(stored_id))) => (link, stored_id),
        Ok((_, None)) => {
            report.step("create-and-process demo-tk-1", Err("no Fena payment id".into()));
            return;
        }
        Ok((None, _)) => {
            report.step("create-and-process demo-tk-1", Err("no link".into()));
            return;
        }
        Err(error) => {
            report.step("create-and-process demo-tk-1", Err(error.to_string()));
            return;
        }
    };
    report.step(
        &format!("create-and-process demo-tk-1 for {money}"),
        Ok(format!("Fena id {stored_id} stored with the order; {}", shorten(link.as_str()))),
    );
    let Some(id) = checkout_id(link.as_str()) else {
        report.step("payer opens the payment page", Err(format!("not a checkout link: {link}")));
        return;
    };
    let opened = transport.send(&HttpRequest::get(GatewayId::Fena, "payment page", link)).await;
    report.step(
        "payer opens the payment page",
        match opened {
            Ok(page)
                if page.status.is_success() && page.body_snippet(2000).contains("demo-tk-1") =>
            {
                Ok(format!("checkout {}/checkout/{id}", sandbox.base_url()))
            }
            Ok(page) => Err(format!("HTTP {}", page.status)),
            Err(error) => Err(error.to_string()),
        },
    );
    let before = shop.handled().len();
    let accepted = match sandbox.pay(id).await {
        Ok(paid) => paid.deliveries.iter().any(|d| d.accepted),
        Err(status) => {
            report.step("payer clicks Pay", Err(format!("sandbox answered {status}")));
            return;
        }
    };
    report.step(
        "payer clicks Pay",
        if accepted {
            Ok("unsigned Toolkit webhook (single-payments) delivered".into())
        } else {
            Err("the webhook was not accepted".into())
        },
    );
    let handled = shop.handled();
    let notification = handled.get(before..).and_then(|new| new.first()).cloned();
    let fena_id = notification.as_ref().and_then(|n| n.gateway_payment_id.clone());
    report.step(
        "webhook confirmed by fetching the payment",
        match &notification {
            Some(n) if n.gateway_payment_id.as_deref() != Some(stored_id.as_str()) => {
                Err(format!("names payment {:?}, not the stored {stored_id}", n.gateway_payment_id))
            }
            Some(n) if n.status == PaymentStatus::Paid => n
                .check_order("demo-tk-1", &money)
                .map(|()| {
                    format!(
                        "GET open/payments/single/{}: paid, {}",
                        fena_id.as_deref().unwrap_or("?"),
                        n.money
                    )
                })
                .map_err(|e| e.to_string()),
            Some(n) => Err(format!("status {:?}", n.status)),
            None => Err("the handler did not run".into()),
        },
    );
    let Ok(fena_id) = OrderId::new(stored_id.clone()) else {
        report.step("status through the façade", Err(format!("unusable id {stored_id:?}")));
        return;
    };
    report.step(
        "status through the façade (by the stored Fena id)",
        match gateway.payment_status(&fena_id).await {
            Ok(status) if status.status == PaymentStatus::Paid => Ok("Paid".into()),
            Ok(status) => Err(format!("{:?}", status.status)),
            Err(error) => Err(error.to_string()),
        },
    );
    report.step(
        "status by the shop's reference",
        match gateway.payment_status(&order).await {
            Err(Error::Unsupported { .. }) => {
                Ok("Unsupported, as expected: the Toolkit looks payments up by its own id".into())
            }
            Ok(status) => Err(format!("answered {:?}", status.status)),
            Err(error) => Err(error.to_string()),
        },
    );
}

/// The sandbox's clock moves to the standing order's next date; its bank pays.
async fn advance(
    transport: &ReqwestTransport,
    sandbox: &RunningSandbox,
    id: &str,
) -> Result<Value, String> {
    let url = format!("{}/control/fena/recurring/{id}/advance", sandbox.base_url());
    let url = url.parse::<url::Url>().map_err(|_| format!("bad URL {url}"))?;
    let request = HttpRequest::post_json(GatewayId::Fena, "advance", url, b"{}".to_vec());
    let response = transport.send(&request).await.map_err(|e| e.to_string())?;
    if !response.status.is_success() {
        return Err(format!("HTTP {}: {}", response.status, response.body_snippet(200)));
    }
    serde_json::from_slice(&response.body).map_err(|e| e.to_string())
}

async fn subscription(
    report: &mut Report,
    transport: &ReqwestTransport,
    sandbox: &RunningSandbox,
    gateway: &AnyGateway,
    shop: &Shop,
) {
    // The earliest start a week from today: still accepted if midnight passes meanwhile.
    let next_week = payments::fena::time::OffsetDateTime::now_utc().date()
        + payments::fena::time::Duration::days(7);
    let first = payments::fena::api::recurring::earliest_first_payment_date(next_week);
    let (Ok(reference), Some(money), Some(first)) =
        (OrderId::new("demo-sub-1"), gbp("4.99"), first)
    else {
        report.step(
            "build the standing order request",
            Err("no valid reference, amount or date".into()),
        );
        return;
    };
    let request = SubscriptionRequest::new(reference, money, Interval::Week)
        .with_first_charge_on(first)
        .with_number_of_charges(2);
    let created = match gateway.create_subscription(&request).await {
        Ok(created) => created,
        Err(error) => {
            report.step("set up a weekly standing order", Err(error.to_string()));
            return;
        }
    };
    let id = created.gateway_subscription_id.clone();
    report.step(
        "set up a weekly standing order demo-sub-1 (2 payments)",
        Ok(format!("{id}, {:?}, first payment {first}", created.status)),
    );
    let Some(checkout) = created.payer_url.as_ref().and_then(|url| checkout_id(url.as_str()))
    else {
        report.step("payer sets it up at the bank", Err("no payer link".into()));
        return;
    };
    report.step(
        "payer sets it up at the bank (checkout page)",
        match sandbox.pay(checkout).await {
            Ok(_) => Ok("the standing order's own status update is no payment: the shop's \
                         payment route refuses it, its status is read below"
                .into()),
            Err(status) => Err(format!("sandbox answered {status}")),
        },
    );
    report.step(
        "subscription status",
        match gateway.subscription_status(&id).await {
            Ok(s) if s.status == SubscriptionStatus::Active => Ok("Active".into()),
            Ok(s) => Err(format!("{:?}", s.status)),
            Err(error) => Err(error.to_string()),
        },
    );
    report.step(
        "cancel attempted",
        match gateway.cancel_subscription(&id).await {
            Err(Error::Unsupported { .. }) => Ok("Unsupported, as expected: once set up only the \
                                                   payer can cancel a standing order, at their bank"
                .into()),
            Ok(()) => Err("cancelled, though Fena cannot cancel it".into()),
            Err(error) => Err(error.to_string()),
        },
    );
    let mut last_body = None;
    for n in 1..=2 {
        let before = shop.handled().len();
        let step = format!("clock advanced: scheduled payment {n} notified and handled once");
        let answer = match advance(transport, sandbox, &id).await {
            Ok(answer) => answer,
            Err(reason) => {
                report.step(&step, Err(reason));
                continue;
            }
        };
        let fena_id = answer.get("fena_payment_id").and_then(Value::as_str).unwrap_or_default();
        let handled = shop.handled();
        let new: Vec<_> = handled.get(before..).unwrap_or_default().to_vec();
        report.step(
            &step,
            match new.as_slice() {
                [one]
                    if one.status == PaymentStatus::Paid
                        && one.gateway_payment_id.as_deref() == Some(fena_id) =>
                {
                    one.check_order("demo-sub-1", &money)
                        .map(|()| format!("payment {fena_id}, {} for demo-sub-1", one.money))
                        .map_err(|e| e.to_string())
                }
                other => Err(format!("the handler ran {} time(s)", other.len())),
            },
        );
        last_body = Some(json!({"eventScope": "single-payments", "eventName": "status-update",
            "id": fena_id, "reference": "demo-sub-1", "amount": "4.99", "status": "paid"}));
    }
    if let Some(body) = last_body {
        let before = shop.handled().len();
        let result = match format!("{}/fena", shop.url).parse::<url::Url>() {
            Ok(url) => {
                let redelivery = HttpRequest::post_json(
                    GatewayId::Fena,
                    "redelivery",
                    url,
                    body.to_string().into_bytes(),
                );
                match transport.send(&redelivery).await {
                    Ok(answer) if answer.status.is_success() && shop.handled().len() == before => {
                        Ok(format!(
                            "acknowledged (HTTP {}), the handler not run again",
                            answer.status.as_u16()
                        ))
                    }
                    Ok(answer) => Err(format!(
                        "HTTP {}, handled {} more",
                        answer.status,
                        shop.handled().len().saturating_sub(before)
                    )),
                    Err(error) => Err(error.to_string()),
                }
            }
            Err(_) => Err("bad URL".into()),
        };
        report.step("the last payment's webhook redelivered", result);
    }
    report.step(
        "subscription status after its last payment",
        match gateway.subscription_status(&id).await {
            Ok(s) if s.status == SubscriptionStatus::Completed => Ok("Completed".into()),
            Ok(s) => Err(format!("{:?}", s.status)),
            Err(error) => Err(error.to_string()),
        },
    );
}
