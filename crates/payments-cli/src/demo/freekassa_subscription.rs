//! The Freekassa subscription flow of `payments demo`: set up through the façade, the first
//! charge paid by the payer on the checkout page, two further charges made by the shop
//! through the façade's `charge_subscription` (`recurrent_order_id`, no payer), each notified and handled once even when the
//! notification is delivered again, and a cancellation Freekassa has no call for.

use payments::core::subscription::{Interval, SubscriptionRequest};
use payments::core::transport::{HttpRequest, ReqwestTransport, Transport};
use payments::payment::{Customer, OrderId, PaymentRequest, PaymentStatus};
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
        .with_customer(customer.clone());
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

    for n in 2..=3 {
        let order = format!("{SUBSCRIPTION}-{n}");
        let charge = match OrderId::new(&order) {
            Ok(id) => PaymentRequest::new(id, money)
                .with_payment_method("36")
                .with_customer(customer.clone()),
            Err(error) => {
                report.step(&format!("charge {order}"), Err(error.to_string()));
                return;
            }
        };
        charge_again(report, sandbox, gateway, &subscription.gateway_subscription_id, &charge)
            .await;
        let handled = handled_once(merchant, &order, &money);
        if report.step(&format!("merchant handled charge {n} once"), handled) {
            redeliver(report, sandbox, merchant, &order).await;
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

/// Charges the subscription again through the façade: paid by Freekassa without the payer,
/// then notified.
async fn charge_again(
    report: &mut Report,
    sandbox: &RunningSandbox,
    gateway: &AnyGateway,
    subscription: &str,
    charge: &PaymentRequest,
) {
    let order = charge.order_id.as_str();
    let name = format!("charge_subscription {subscription} as {order} (no payer)");
    let result = match gateway.charge_subscription(subscription, charge).await {
        Ok(report) => match delivered(sandbox, order).await {
            Some(payment) => Ok(format!(
                "Freekassa order {} {:?}, then {:?}; notification delivered in {} attempt(s)",
                report.gateway_payment_id.as_deref().unwrap_or("?"),
                report.status,
                payment.status,
                payment.deliveries.len()
            )),
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

/// Has the sandbox deliver `order`'s notification again, as a gateway does when it missed
/// the answer: the merchant acknowledges it (`YES`) and does not handle it twice.
async fn redeliver(
    report: &mut Report,
    sandbox: &RunningSandbox,
    merchant: &Merchant,
    order: &str,
) {
    let name = "same notification delivered again";
    let Some(payment) = sandbox.find(GatewayId::Freekassa, "7012", order) else {
        report.step(name, Err("the sandbox has no such order".into()));
        return;
    };
    let before = merchant.count();
    let result = match sandbox.redeliver(payment.id).await {
        Ok(again) => match again.deliveries.last() {
            Some(last) if last.accepted && merchant.count() == before => {
                Ok(format!("acknowledged with {}, not handled again", last.answer))
            }
            Some(last) => Err(format!(
                "HTTP {:?} {:?}, handled {} more time(s)",
                last.status,
                last.answer,
                merchant.count().saturating_sub(before)
            )),
            None => Err("nothing was delivered".into()),
        },
        Err(status) => Err(format!("the sandbox answered {status}")),
    };
    report.step(name, result);
}
