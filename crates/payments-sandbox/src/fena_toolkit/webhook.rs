//! The Toolkit's webhooks (fena.md §2.7): unsigned JSON, `eventScope` and `eventName`
//! (`status-update`) followed by the object as the API shows it, posted to the API key's
//! webhook URL. The merchant confirms them by fetching the object, so they are built from
//! the state the API already answers.
//!
//! Delivery follows the sandbox's `notification_schedule`: the configured attempts with
//! doubling waits until a 2xx (`fast`, the default), or the partner integrations' documented
//! retries after 30, 60 and 120 s, in the background (`documented`).

use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use payments_core::GatewayId;
use serde_json::{Map, Value};

use crate::App;
use crate::deliver::{Encoding, Outgoing, Plan};
use crate::state::{Delivery, Payment};

fn event(scope: &str, object: Value) -> Value {
    let mut body = Map::new();
    body.insert("eventScope".into(), Value::String(scope.to_owned()));
    body.insert("eventName".into(), Value::String("status-update".into()));
    if let Value::Object(fields) = object {
        body.extend(fields);
    }
    Value::Object(body)
}

/// A single payment's status update (`single-payments`).
pub fn single_event(payment: Value) -> Value {
    event("single-payments", payment)
}

/// A recurring payment's status update (`recurring-payments`).
pub fn recurring_event(recurring: Value) -> Value {
    event("recurring-payments", recurring)
}

/// A bank account's status update (`bank-accounts`).
pub fn bank_account_event(account: Value) -> Value {
    event("bank-accounts", account)
}

/// The webhook `body` to `url`, ready to send.
fn outgoing(url: Option<&str>, body: &Value) -> Option<Outgoing> {
    Some(Outgoing {
        url: url?.parse().ok()?,
        gateway: GatewayId::Fena,
        body: serde_json::to_string(body).ok()?,
        required_answer: None,
        encoding: Encoding::Json,
    })
}

/// Posts `body` to `url` until it is accepted (any 2xx) or the sandbox's fast attempts run
/// out, for an event that belongs to no checkout payment (a bank account's).
pub async fn post(app: &App, url: Option<&str>, body: &Value) -> Vec<Delivery> {
    let Some(outgoing) = outgoing(url, body) else { return Vec::new() };
    let backoff = Duration::from_millis(app.config.notification_backoff_ms);
    let plan = Plan::fast(app.config.notification_attempts, backoff);
    let mut waits = plan.waits.iter();
    let mut deliveries = Vec::new();
    loop {
        let mut delivery = crate::deliver::attempt(app, &outgoing, false).await;
        delivery.attempt =
            u32::try_from(deliveries.len()).map_or(u32::MAX, |n| n.saturating_add(1));
        let accepted = delivery.accepted;
        deliveries.push(delivery);
        let Some(wait) = waits.next().filter(|_| !accepted) else { break };
        tokio::time::sleep(*wait).await;
    }
    deliveries
}

/// Posts `body` for the checkout payment `store_id`, each attempt on its timeline, under the
/// sandbox's schedule for Toolkit webhooks (in the background under the documented one);
/// returns the payment as it then stands.
pub async fn deliver_to(
    app: &Arc<App>,
    store_id: u64,
    url: Option<&str>,
    body: &Value,
) -> Result<Payment, StatusCode> {
    if let Some(outgoing) = outgoing(url, body) {
        app.dispatch(store_id, outgoing, app.toolkit_plan()).await;
    }
    app.store.get(store_id).ok_or(StatusCode::NOT_FOUND)
}
