//! The Toolkit's webhooks (fena.md §2.7): unsigned JSON, `eventScope` and `eventName`
//! (`status-update`) followed by the object as the API shows it, posted to the API key's
//! webhook URL. The merchant confirms them by fetching the object, so they are built from
//! the state the API already answers.
//!
//! Delivery is the sandbox's (the configured attempts with doubling waits until a 2xx), not
//! the partner integrations' optional 30, 60 and 120 s retries: tests should not wait minutes.

use std::time::Duration;

use http::StatusCode;
use payments_core::GatewayId;
use payments_core::transport::{HttpRequest, Transport};
use serde_json::{Map, Value};

use crate::App;
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

/// Posts `body` to `url` until it is accepted (any 2xx) or the attempts run out.
pub async fn post(app: &App, url: Option<&str>, body: &Value) -> Vec<Delivery> {
    let Some(url) = url.and_then(|url| url.parse::<url::Url>().ok()) else { return Vec::new() };
    let Ok(bytes) = serde_json::to_vec(body) else { return Vec::new() };
    let attempts = app.config.notification_attempts.max(1);
    let mut wait = Duration::from_millis(app.config.notification_backoff_ms);
    let mut deliveries = Vec::new();
    for attempt in 1..=attempts {
        let request =
            HttpRequest::post_json(GatewayId::Fena, "webhook", url.clone(), bytes.clone());
        let delivery = match app.transport.send(&request).await {
            Ok(response) => Delivery {
                attempt,
                status: Some(response.status.as_u16()),
                answer: response.body_snippet(200),
                accepted: response.status.is_success(),
            },
            Err(error) => {
                Delivery { attempt, status: None, answer: error.to_string(), accepted: false }
            }
        };
        let accepted = delivery.accepted;
        tracing::info!(attempt, accepted, status = ?delivery.status, "Fena Toolkit webhook delivered");
        deliveries.push(delivery);
        if accepted {
            break;
        }
        if attempt < attempts {
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
    }
    deliveries
}

/// Posts `body` and records the deliveries on the checkout payment `store_id`.
pub async fn deliver_to(
    app: &App,
    store_id: u64,
    url: Option<&str>,
    body: &Value,
) -> Result<Payment, StatusCode> {
    let deliveries = post(app, url, body).await;
    app.store
        .update(store_id, |payment| payment.deliveries.extend(deliveries))
        .ok_or(StatusCode::NOT_FOUND)
}
