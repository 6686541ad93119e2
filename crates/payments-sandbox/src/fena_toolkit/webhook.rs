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
/// out, for an event that belongs to no checkout payment (a bank account's): the attempts,
/// numbered from 1, are returned rather than recorded on a timeline.
pub async fn post(app: &App, url: Option<&str>, body: &Value) -> Vec<Delivery> {
    let Some(outgoing) = outgoing(url, body) else { return Vec::new() };
    let backoff = Duration::from_millis(app.config.notification_backoff_ms);
    let plan = Plan::fast(app.config.notification_attempts, backoff);
    let mut deliveries = Vec::new();
    let no_other_attempts = || false;
    crate::deliver::repeat(app, &outgoing, &plan, no_other_attempts, |mut delivery, _wait| {
        delivery.attempt =
            u32::try_from(deliveries.len()).map_or(u32::MAX, |n| n.saturating_add(1));
        deliveries.push(delivery);
    })
    .await;
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use payments_core::transport::{ReqwestTransport, TransportConfig};
    use serde_json::json;

    use super::*;
    use crate::SandboxConfig;

    fn app(attempts: u32) -> App {
        let mut config = SandboxConfig::demo();
        config.notification_attempts = attempts;
        config.notification_backoff_ms = 10;
        App {
            config,
            store: crate::state::Store::default(),
            base_url: "http://127.0.0.1:1".to_owned(),
            transport: ReqwestTransport::new(&TransportConfig::default()).unwrap(),
            freekassa_nonces: std::sync::Mutex::default(),
            freekassa: std::sync::Mutex::default(),
            feennex: std::sync::Mutex::default(),
            faults: crate::faults::Faults::default(),
            fena_toolkit: std::sync::Mutex::default(),
            seen: std::sync::Mutex::default(),
            deliveries: std::sync::Mutex::default(),
        }
    }

    /// A merchant that answers 500 to its first `refusals` calls and 200 after; its URL.
    async fn merchant(refusals: usize) -> (String, Arc<AtomicUsize>) {
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        let handler = move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move { if n < refusals { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK } }
        };
        let router = axum::Router::new().route("/hook", axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (url, hits)
    }

    #[tokio::test]
    async fn a_refused_event_is_retried_until_accepted_and_every_attempt_returned() {
        let (url, hits) = merchant(1).await;
        let event = bank_account_event(json!({"id": "acc-1", "status": "verified"}));
        let deliveries = post(&app(3), Some(&url), &event).await;
        let seen: Vec<_> = deliveries.iter().map(|d| (d.attempt, d.status, d.accepted)).collect();
        assert_eq!(seen, [(1, Some(500), false), (2, Some(200), true)]);
        assert_eq!(hits.load(Ordering::SeqCst), 2, "no attempt after the accepted one");
    }

    #[tokio::test]
    async fn attempts_stop_when_the_fast_schedule_runs_out() {
        let (url, hits) = merchant(usize::MAX).await;
        let deliveries = post(&app(2), Some(&url), &json!({})).await;
        assert_eq!(deliveries.iter().map(|d| d.attempt).collect::<Vec<_>>(), [1, 2]);
        assert!(deliveries.iter().all(|d| !d.accepted && d.next_attempt_at_ms.is_none()));
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        assert!(post(&app(2), None, &json!({})).await.is_empty(), "no URL, nothing sent");
    }
}
