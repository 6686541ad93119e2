//! The Freekassa subscription flow of `payments demo`: set up through the façade, the first
//! charge paid by the payer on the checkout page, two further charges made by the shop
//! (`recurrent_order_id`, no payer), each notified and handled once even when the
//! notification is delivered again, and a cancellation Freekassa has no call for.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::post;
use http::StatusCode;
use payments::core::subscription::{Interval, SubscriptionRequest};
use payments::core::transport::{HttpRequest, ReqwestTransport, Transport};
use payments::freekassa::api::orders::OrderCreate;
use payments::freekassa::{Client, Config, PaymentSystemId};
use payments::payment::{Customer, OrderId, PaymentStatus};
use payments::{AnyGateway, Currency, Error, GatewayId, Money};
use payments_sandbox::RunningSandbox;
use url::Url;

use super::{Merchant, Report};

/// The demo subscription's id in the shop.
const SUBSCRIPTION: &str = "demo-freekassa-subscription";

/// Runs the flow, one report step per check.
pub(super) async fn flow(
    report: &mut Report,
    sandbox: &RunningSandbox,
    merchant: &Merchant,
    transport: &ReqwestTransport,
    gateway: &AnyGateway,
) {
    let (money, subscription_id) =
        match (Money::parse("299", Currency::RUB), OrderId::new(SUBSCRIPTION)) {
            (Ok(money), Ok(id)) => (money, id),
            _ => {
                report.step("build the subscription request", Err("bad amount or id".into()));
                return;
            }
        };
    let customer = Customer::default()
        .with_email("payer@example.com")
        .with_ip(std::net::IpAddr::from([203, 0, 113, 10]));
    let request = SubscriptionRequest::new(subscription_id, money, Interval::Month)
        .with_description("Demo monthly plan")
        .with_payment_method("36")
        .with_customer(customer);
    let name = format!("create subscription {SUBSCRIPTION} for {money} every month");
    let subscription = match gateway.create_subscription(&request).await {
        Ok(subscription) => subscription,
        Err(error) => {
            report.step(&name, Err(error.to_string()));
            return;
        }
    };
    report.step(
        &name,
        Ok(format!(
            "recurrent order {}, next charge at {}",
            subscription.gateway_subscription_id,
            subscription.next_charge_at.as_deref().unwrap_or("(not given)")
        )),
    );

    // The payer pays the first charge on the checkout page (the Pay button's form).
    let paid = match &subscription.payer_url {
        Some(page) => pay_on_page(transport, page).await,
        None => Err("no payer URL".to_owned()),
    };
    let first_paid = report.step("payer pays the first charge on the checkout page", paid);
    let handled = handled_once(merchant, SUBSCRIPTION, &money);
    if !report.step("merchant handled the first charge", handled) || !first_paid {
        return;
    }

    let Ok(recurrent_id) = subscription.gateway_subscription_id.parse::<u64>() else {
        report.step("read the recurrent order id", Err("not a number".into()));
        return;
    };
    let Some(client) = charging_client(report, sandbox) else { return };
    let Some(tap) = Tap::start(report, merchant, transport).await else { return };
    for n in 2..=3 {
        let order = format!("{SUBSCRIPTION}-{n}");
        charge(report, sandbox, &client, &tap, recurrent_id, &order, money).await;
        let handled = handled_once(merchant, &order, &money);
        if report.step(&format!("merchant handled charge {n} once"), handled) {
            redeliver(report, merchant, transport, &tap, &order).await;
        }
    }

    let cancel = gateway.cancel_subscription(&subscription.gateway_subscription_id).await;
    report.step(
        "cancel the subscription",
        match cancel {
            Err(Error::Unsupported { .. }) => Ok(
                "Unsupported, as expected: Freekassa documents no cancel call; the shop stops charging"
                    .into(),
            ),
            Err(error) => Err(format!("expected Unsupported, got {error}")),
            Ok(()) => Err("expected Unsupported, but it succeeded".into()),
        },
    );
}

/// Posts the checkout page's Pay form for the payment `page` shows.
async fn pay_on_page(transport: &ReqwestTransport, page: &Url) -> Result<String, String> {
    let pay = Url::parse(&format!("{}/pay", page.as_str().trim_end_matches('/')))
        .map_err(|error| error.to_string())?;
    let request = HttpRequest::post_form(GatewayId::Freekassa, "checkout", pay, Vec::new());
    let response = transport.send(&request).await.map_err(|error| error.to_string())?;
    let body = String::from_utf8_lossy(&response.body);
    if response.status.is_success() && body.to_lowercase().contains("this payment is paid") {
        Ok(format!("paid at {page}"))
    } else {
        Err(format!("HTTP {}: {}", response.status.as_u16(), response.body_snippet(120)))
    }
}

/// The merchant handled exactly one verified notification for `order`, paid as ordered.
fn handled_once(merchant: &Merchant, order: &str, money: &Money) -> Result<String, String> {
    let received = merchant.received.lock().map_err(|_| "lock poisoned".to_owned())?;
    let handled: Vec<_> = received.iter().filter(|n| n.order_id == order).collect();
    match handled.as_slice() {
        [one] if one.status == PaymentStatus::Paid => one
            .check_order(order, money)
            .map(|()| format!("{:?}, {} as ordered", one.status, one.money))
            .map_err(|error| error.to_string()),
        [one] => Err(format!("status {:?}, expected Paid", one.status)),
        many => Err(format!("handled {} times", many.len())),
    }
}

/// The freekassa client the shop charges with: the façade has no repeat-charge call, the
/// crate's `create_order` with `recurrent_order_id` is the documented way.
fn charging_client(report: &mut Report, sandbox: &RunningSandbox) -> Option<Client> {
    let config = Config::new(7012)
        .with_api_key("test_api_key")
        .with_api_url(&sandbox.freekassa_api_url())
        .map_err(|error| error.to_string())
        .and_then(|config| Client::new(config).map_err(|error| error.to_string()));
    match config {
        Ok(client) => Some(client),
        Err(reason) => {
            report.step("build the Freekassa client", Err(reason));
            None
        }
    }
}

/// Charges the subscription again for `order`: paid by Freekassa without the payer, its
/// notification sent through the tap.
async fn charge(
    report: &mut Report,
    sandbox: &RunningSandbox,
    client: &Client,
    tap: &Tap,
    recurrent_id: u64,
    order: &str,
    money: Money,
) {
    let name = format!("charge {order} (recurrent_order_id={recurrent_id}, no payer)");
    let order_id = match OrderId::new(order) {
        Ok(order_id) => order_id,
        Err(error) => {
            report.step(&name, Err(error.to_string()));
            return;
        }
    };
    let create = OrderCreate::new(
        order_id,
        money,
        PaymentSystemId::new(36),
        "payer@example.com",
        "203.0.113.10",
    )
    .with_recurrent_order_id(recurrent_id)
    .with_notification_url(tap.url.clone());
    let result = match client.create_order(&create).await {
        Ok(created) => match delivered(sandbox, order).await {
            Some(payment) => {
                let accepted = payment.deliveries.iter().any(|d| d.accepted);
                Ok(format!(
                    "order {} {:?}, notification delivered in {} attempt(s), accepted: {accepted}",
                    created.order_id,
                    payment.status,
                    payment.deliveries.len()
                ))
            }
            None => Err("no notification was delivered for it".into()),
        },
        Err(error) => Err(error.to_string()),
    };
    report.step(&name, result);
}

/// The sandbox's order once its notification was delivered (it follows the answer of
/// `orders/create`, as a gateway's does); `None` if it never is within 30 seconds.
async fn delivered(sandbox: &RunningSandbox, order: &str) -> Option<payments_sandbox::Payment> {
    for _ in 0..1500 {
        if let Some(payment) = sandbox.find(GatewayId::Freekassa, "7012", order)
            && payment.deliveries.iter().any(|delivery| delivery.accepted)
        {
            return Some(payment);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    None
}

/// Delivers `order`'s notification again, as a gateway does when it missed the answer: the
/// merchant acknowledges it and does not handle it twice.
async fn redeliver(
    report: &mut Report,
    merchant: &Merchant,
    transport: &ReqwestTransport,
    tap: &Tap,
    order: &str,
) {
    let body = tap
        .captured
        .lock()
        .ok()
        .and_then(|bodies| bodies.iter().rev().find(|body| body_names(body, order)).cloned());
    let Some(body) = body else {
        report.step("notification delivered again", Err("no notification captured".into()));
        return;
    };
    let before = merchant.count();
    let url = match Url::parse(&format!("{}/freekassa", merchant.base_url)) {
        Ok(url) => url,
        Err(error) => {
            report.step("same notification delivered again", Err(error.to_string()));
            return;
        }
    };
    let request = HttpRequest::post_form(GatewayId::Freekassa, "redelivery", url, body.to_vec());
    let result = match transport.send(&request).await {
        Ok(response) => {
            let answer = response.body_snippet(20);
            if response.status.is_success() && answer == "YES" && merchant.count() == before {
                Ok("acknowledged with YES, not handled again".to_owned())
            } else {
                Err(format!(
                    "HTTP {} {answer:?}, handled {} more time(s)",
                    response.status.as_u16(),
                    merchant.count().saturating_sub(before)
                ))
            }
        }
        Err(error) => Err(error.to_string()),
    };
    report.step("same notification delivered again", result);
}

/// Whether a form-encoded Freekassa notification is for `order` (`MERCHANT_ORDER_ID`).
fn body_names(body: &Bytes, order: &str) -> bool {
    url::form_urlencoded::parse(body)
        .any(|(key, value)| key == "MERCHANT_ORDER_ID" && value == order)
}

/// A relay in front of the merchant's Freekassa route that keeps each notification's body,
/// so the demo can deliver one again exactly as the gateway sent it.
struct Tap {
    url: Url,
    captured: Arc<Mutex<Vec<Bytes>>>,
}

#[derive(Clone)]
struct Relay {
    to: Url,
    transport: ReqwestTransport,
    captured: Arc<Mutex<Vec<Bytes>>>,
}

impl Tap {
    async fn start(
        report: &mut Report,
        merchant: &Merchant,
        transport: &ReqwestTransport,
    ) -> Option<Self> {
        let started = async {
            let to = Url::parse(&format!("{}/freekassa", merchant.base_url))
                .map_err(|error| error.to_string())?;
            let listener =
                tokio::net::TcpListener::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
                    .await
                    .map_err(|error| error.to_string())?;
            let addr = listener.local_addr().map_err(|error| error.to_string())?;
            let url = Url::parse(&format!("http://{addr}/freekassa"))
                .map_err(|error| error.to_string())?;
            let captured = Arc::new(Mutex::new(Vec::new()));
            let relay = Relay { to, transport: transport.clone(), captured: captured.clone() };
            let app = Router::new().route("/freekassa", post(relay_one)).with_state(relay);
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            Ok::<_, String>(Self { url, captured })
        };
        match started.await {
            Ok(tap) => Some(tap),
            Err(reason) => {
                report.step("start the notification relay", Err(reason));
                None
            }
        }
    }
}

/// Keeps the body and forwards it to the merchant, answering what the merchant answered.
async fn relay_one(State(relay): State<Relay>, body: Bytes) -> impl IntoResponse {
    if let Ok(mut captured) = relay.captured.lock() {
        captured.push(body.clone());
    }
    let request =
        HttpRequest::post_form(GatewayId::Freekassa, "relay", relay.to.clone(), body.to_vec());
    match relay.transport.send(&request).await {
        Ok(response) => (response.status, response.body.to_vec()),
        Err(error) => (StatusCode::BAD_GATEWAY, error.to_string().into_bytes()),
    }
}
