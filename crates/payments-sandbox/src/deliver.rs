//! Sending a gateway's notification to the merchant, again and again until it is accepted or
//! the schedule runs out, recording every attempt in the payment's timeline.
//!
//! Two schedules ([`RetrySchedule`]): `fast` (the default, for tests) and `documented`, each
//! gateway's own as its documentation states it:
//!
//! - Feennex documents no acknowledgement or retry policy (`shared/providers/feennex.md` §3):
//!   the sandbox keeps its fast backoff and says so on the dashboard.
//! - Freekassa re-sends until the merchant answers `YES` (freekassa.md §3.4 `[SRC]`), but
//!   documents neither the interval nor the number of attempts: the sandbox's backoff again,
//!   said so.
//! - Fena's payment-link webhook is sent at most once per order and no retry is documented
//!   (fena.md §1.5 `[SRC]`): one attempt. (Fena Toolkit's partner integrations retry 3 times
//!   after 30, 60 and 120 s on 5xx or network errors when `isRetryWebhookEnabled`, off by
//!   default, fena.md §2.7 "Retries": [`Plan::fena_toolkit`].)

use std::time::{Duration, Instant};

use payments_core::GatewayId;
use payments_core::transport::{HttpRequest, Transport};
use serde::Deserialize;
use url::Url;

use crate::FaultKind;
use crate::state::{Delivery, SentRequest, now_ms};

/// The `user-agent` of the sandbox's notifications.
pub const USER_AGENT: &str = concat!("payments-sandbox/", env!("CARGO_PKG_VERSION"));

/// A notification ready to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Where it goes.
    pub url: Url,
    /// The gateway sending it.
    pub gateway: GatewayId,
    /// The body, encoded as `encoding` says.
    pub body: String,
    /// The answer body the gateway requires (`YES` for Freekassa), or any 2xx when `None`.
    pub required_answer: Option<&'static str>,
    /// How the body is encoded.
    pub encoding: Encoding,
}

/// How a notification's body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `application/x-www-form-urlencoded` (Feennex, Freekassa, Fena's JWT webhook).
    Form,
    /// `application/json` (Fena's Toolkit webhooks).
    Json,
}

/// How the sandbox retries notifications (the `notification_schedule` setting).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RetrySchedule {
    /// `notification_attempts` attempts, the waits doubling from `notification_backoff_ms`,
    /// all made before the Pay request answers: fast and predictable for tests.
    #[default]
    Fast,
    /// Each gateway's documented schedule, delivered in the background so that the Pay
    /// request answers at once; a gateway that documents none keeps the fast backoff.
    Documented,
}

/// The attempts a notification gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The wait before each retry; one attempt more than waits.
    pub waits: Vec<Duration>,
    /// Whether a 4xx answer is retried (otherwise only 5xx and transport errors are).
    pub retry_client_errors: bool,
    /// Whether the attempts run in the background, after the Pay request has answered.
    pub background: bool,
    /// The schedule in words, with its source, for the dashboard.
    pub source: String,
}

impl Plan {
    /// `attempts` attempts with waits doubling from `backoff`.
    pub fn fast(attempts: u32, backoff: Duration) -> Self {
        let mut waits = Vec::new();
        let mut wait = backoff;
        for _ in 1..attempts.max(1) {
            waits.push(wait);
            wait = wait.saturating_mul(2);
        }
        let source = format!(
            "fast: {} attempt(s), waits doubling from {} ms (notification_schedule = fast)",
            attempts.max(1),
            backoff.as_millis()
        );
        Self { waits, retry_client_errors: true, background: false, source }
    }

    /// The schedule `gateway` documents; the fast backoff where it documents none.
    pub fn documented(gateway: GatewayId, attempts: u32, backoff: Duration) -> Self {
        let fallback = Self::fast(attempts, backoff);
        let (plan, source) = match gateway {
            GatewayId::Fena => (
                Self { waits: Vec::new(), ..fallback },
                "Fena: one attempt; the payment-link webhook is sent at most once per order and no retry is documented (fena.md §1.5)".to_owned(),
            ),
            GatewayId::Freekassa => {
                let source = format!(
                    "Freekassa re-sends until the answer is YES (freekassa.md §3.4) but documents no interval or limit: the sandbox's backoff, {} attempt(s) doubling from {} ms",
                    attempts.max(1),
                    backoff.as_millis()
                );
                (fallback, source)
            }
            _ => {
                let source = format!(
                    "Feennex documents no retry schedule (feennex.md §3): the sandbox's backoff, {} attempt(s) doubling from {} ms",
                    attempts.max(1),
                    backoff.as_millis()
                );
                (fallback, source)
            }
        };
        Self { background: true, source, ..plan }
    }

    /// Fena Toolkit's partner-integration webhooks with `isRetryWebhookEnabled`: 3 retries,
    /// after 30, 60 and 120 seconds, on a 5xx answer or a network error (fena.md §2.7).
    pub fn fena_toolkit() -> Self {
        Self {
            waits: [30, 60, 120].into_iter().map(Duration::from_secs).collect(),
            retry_client_errors: false,
            background: true,
            source: "Fena Toolkit: 3 retries after 30, 60 and 120 s on 5xx or network errors (fena.md §2.7)".to_owned(),
        }
    }

    /// Whether a refused attempt is worth another under this plan.
    fn retries(&self, delivery: &Delivery) -> bool {
        !delivery.accepted
            && (self.retry_client_errors || delivery.status.is_none_or(|status| status >= 500))
    }
}

/// Sends `outgoing` once. `attempt` is left 0 for the store to number.
///
/// A pending fault on the gateway's notifications ([`crate::NOTIFICATION_ENDPOINT`]) spoils
/// the attempt, which is then refused with no HTTP status (as a network error, so retries
/// go on): `lose_answer` sends the notification and drops the merchant's answer; every other
/// kind drops the notification at once, without reaching the merchant (a `timeout` waits
/// no `delay_ms`, so the Pay request is not held).
pub async fn attempt(app: &crate::App, outgoing: &Outgoing, manual: bool) -> Delivery {
    let post = match outgoing.encoding {
        Encoding::Form => HttpRequest::post_form,
        Encoding::Json => HttpRequest::post_json,
    };
    let request = post(
        outgoing.gateway,
        "notification",
        outgoing.url.clone(),
        outgoing.body.clone().into_bytes(),
    );
    // What goes on the wire: the request's own headers and those the HTTP client adds.
    let host = match (request.url.host_str(), request.url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (host, None) => host.unwrap_or_default().to_owned(),
        (None, Some(_)) => String::new(),
    };
    let mut headers = vec![("host".to_owned(), host)];
    headers.extend(request.all_headers().iter().map(|(name, value)| {
        (name.to_string(), value.to_str().unwrap_or("(not text)").to_owned())
    }));
    headers.push(("content-length".to_owned(), outgoing.body.len().to_string()));
    headers.push(("user-agent".to_owned(), USER_AGENT.to_owned()));
    let sent = SentRequest {
        method: request.method.to_string(),
        url: request.url.to_string(),
        headers,
        body: outgoing.body.clone(),
    };
    let fault = app.faults.take_notification(outgoing.gateway);
    let sent_at_ms = now_ms();
    let started = Instant::now();
    let (status, answer, accepted) = match &fault {
        Some(kind) if *kind != FaultKind::LoseAnswer => {
            let answer =
                format!("dropped by fault: {} (not sent to the merchant)", kind.describe());
            (None, answer, false)
        }
        _ => match app.transport.send(&request).await {
            Ok(response) if fault.is_some() => {
                let answer = format!(
                    "answer lost by fault: lose_answer (the merchant answered HTTP {}: {})",
                    response.status.as_u16(),
                    response.body_snippet(400)
                );
                (None, answer, false)
            }
            Ok(response) => {
                let answer = response.body_snippet(500);
                let accepted = response.status.is_success()
                    && outgoing.required_answer.is_none_or(|required| answer == required);
                (Some(response.status.as_u16()), answer, accepted)
            }
            Err(error) => (None, error.to_string(), false),
        },
    };
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let fault = fault.map(|kind| kind.describe());
    tracing::info!(gateway = %outgoing.gateway, accepted, ?status, ?fault, "notification delivered");
    Delivery {
        attempt: 0,
        status,
        answer,
        accepted,
        sent_at_ms,
        latency_ms,
        request: sent,
        next_attempt_at_ms: None,
        manual,
        fault,
    }
}

/// Delivers `outgoing` for payment `id` under `plan`, recording each attempt as it happens.
/// Stops once an attempt of this notification (a redelivery made meanwhile included) is
/// accepted; an earlier notification of the same payment that was accepted does not count.
pub async fn run(app: &crate::App, id: u64, outgoing: &Outgoing, plan: &Plan) {
    app.store.change_timeline(id, |timeline| timeline.schedule = Some(plan.source.clone()));
    let earlier = app.store.get(id).map_or(0, |payment| payment.deliveries.len());
    let redelivered = repeat(
        app,
        outgoing,
        plan,
        || app.store.delivered_since(id, earlier),
        |mut delivery, wait| {
            delivery.next_attempt_at_ms = wait.map(|wait| {
                let after = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
                now_ms().saturating_add(after)
            });
            app.store.record_delivery(id, delivery);
        },
    )
    .await;
    if redelivered {
        app.store.change_timeline(id, |timeline| timeline.next_attempt_at_ms = None);
    }
}

/// Sends `outgoing` under `plan` until an attempt is accepted, the plan runs out, or
/// `accepted_elsewhere` (asked before each retry) says another attempt was; each attempt is
/// handed to `record` as it is made, with the wait before the next one if there is one.
/// Returns whether `accepted_elsewhere` stopped it.
pub async fn repeat(
    app: &crate::App,
    outgoing: &Outgoing,
    plan: &Plan,
    mut accepted_elsewhere: impl FnMut() -> bool,
    mut record: impl FnMut(Delivery, Option<Duration>),
) -> bool {
    let mut index = 0;
    loop {
        if index > 0 && accepted_elsewhere() {
            return true;
        }
        let delivery = attempt(app, outgoing, false).await;
        let wait = if plan.retries(&delivery) { plan.waits.get(index).copied() } else { None };
        record(delivery, wait);
        let Some(wait) = wait else { return false };
        tokio::time::sleep(wait).await;
        index += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_waits_double() {
        let plan = Plan::fast(4, Duration::from_millis(200));
        let millis: Vec<u128> = plan.waits.iter().map(Duration::as_millis).collect();
        assert_eq!(millis, [200, 400, 800]);
        assert!(!plan.background);
    }

    #[test]
    fn documented_schedules_follow_the_sources() {
        let backoff = Duration::from_millis(200);
        let fena = Plan::documented(GatewayId::Fena, 5, backoff);
        assert!(fena.waits.is_empty() && fena.background);
        let freekassa = Plan::documented(GatewayId::Freekassa, 3, backoff);
        assert_eq!(freekassa.waits.len(), 2);
        assert!(freekassa.source.contains("no interval"), "{}", freekassa.source);
        let feennex = Plan::documented(GatewayId::Feennex, 3, backoff);
        assert!(feennex.source.contains("no retry schedule"), "{}", feennex.source);
        let toolkit = Plan::fena_toolkit();
        assert_eq!(toolkit.waits, [30, 60, 120].map(Duration::from_secs));
    }

    #[test]
    fn toolkit_retries_only_server_and_network_errors() {
        let plan = Plan::fena_toolkit();
        let refused = |status| Delivery {
            attempt: 1,
            status,
            answer: String::new(),
            accepted: false,
            sent_at_ms: 0,
            latency_ms: 0,
            request: SentRequest {
                method: "POST".to_owned(),
                url: String::new(),
                headers: Vec::new(),
                body: String::new(),
            },
            next_attempt_at_ms: None,
            manual: false,
            fault: None,
        };
        assert!(plan.retries(&refused(Some(503))));
        assert!(plan.retries(&refused(None)));
        assert!(!plan.retries(&refused(Some(400))));
        assert!(Plan::fast(2, Duration::ZERO).retries(&refused(Some(400))));
    }
}
