//! The payments the sandbox holds, with the timeline of each.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use payments_core::{Currency, Decimal, GatewayId};
use serde::Serialize;

/// Where a sandbox payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Waiting for the payer.
    Pending,
    /// Paid.
    Paid,
    /// Rejected by the payer.
    Rejected,
}

/// The request a notification attempt sent, as it went on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentRequest {
    /// `POST`.
    pub method: String,
    /// The merchant's URL.
    pub url: String,
    /// The headers that matter (`host`, `content-type`, `content-length`, `user-agent`),
    /// name and value.
    pub headers: Vec<(String, String)>,
    /// The body, exactly as sent.
    pub body: String,
}

/// One notification delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// 1 for the first attempt of the payment, counting redeliveries.
    pub attempt: u32,
    /// The merchant's HTTP status, if it answered.
    pub status: Option<u16>,
    /// The start of the merchant's answer, or the transport error.
    pub answer: String,
    /// Whether the gateway counts it as delivered.
    pub accepted: bool,
    /// When it was sent, in milliseconds since the Unix epoch.
    pub sent_at_ms: u64,
    /// How long the merchant took to answer (or the transport to fail), in milliseconds.
    pub latency_ms: u64,
    /// What was sent.
    pub request: SentRequest,
    /// When the next attempt is scheduled after this one failed (milliseconds since the Unix
    /// epoch); `None` when it was accepted or the schedule has no attempt left.
    pub next_attempt_at_ms: Option<u64>,
    /// Whether the control API asked for it (`POST /control/payments/{id}/redeliver`).
    pub manual: bool,
    /// The fault on demand that spoiled it (`timeout`, `status 503`, `gateway_error`: not
    /// sent to the merchant; `lose_answer`: sent, its answer lost), `None` for a normal one.
    pub fault: Option<String>,
}

/// What happened to a payment, besides its deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The merchant created it.
    Created,
    /// The payer opened its checkout page.
    CheckoutOpened,
    /// The payer (or the control API) paid it.
    Paid,
    /// The payer (or the control API) rejected it.
    Rejected,
    /// The control API asked for the notification again.
    RedeliveryRequested,
}

/// An entry of a payment's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// What.
    pub kind: EventKind,
}

/// A payment's timeline: its events and its notification schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// Events, oldest first.
    pub events: Vec<Event>,
    /// The retry schedule its notification follows, in words.
    pub schedule: Option<String>,
    /// When the next automatic attempt is due (milliseconds since the Unix epoch), while one
    /// is scheduled.
    pub next_attempt_at_ms: Option<u64>,
    /// Orders items created within the same millisecond ([`next_sequence`]).
    #[serde(skip)]
    pub(crate) sequence: u64,
}

/// A payment held by the sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    /// The sandbox's payment id.
    pub id: u64,
    /// The gateway emulated.
    pub gateway: GatewayId,
    /// What the gateway calls it (`bill`, `invoice`, `order`, `payment`).
    pub kind: &'static str,
    /// The merchant (shop id, terminal id).
    pub merchant: String,
    /// The merchant's order id.
    pub order_id: String,
    /// The amount, exactly as requested.
    pub amount: Decimal,
    /// The amount's text as the merchant sent it.
    pub amount_text: String,
    /// The currency.
    pub currency: Currency,
    /// Shown on the checkout page.
    pub description: Option<String>,
    /// The payment method asked for.
    pub method: Option<String>,
    /// Where the payer goes after paying.
    pub success_url: Option<String>,
    /// Where the payer goes after rejecting.
    pub failure_url: Option<String>,
    /// Where the success notification goes.
    pub notify_url: Option<String>,
    /// Where the rejection notification goes (defaults to `notify_url`).
    pub notify_rejected_url: Option<String>,
    /// The state.
    pub status: Status,
    /// Notification deliveries so far.
    pub deliveries: Vec<Delivery>,
}

/// A number greater than every one it returned before: orders what the sandbox creates
/// (payments, payouts, refunds) even within one millisecond.
pub fn next_sequence() -> u64 {
    static SEQUENCE: AtomicU64 = AtomicU64::new(1);
    SEQUENCE.fetch_add(1, Ordering::Relaxed)
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

#[derive(Debug, Default)]
struct Inner {
    payments: BTreeMap<u64, Payment>,
    timelines: BTreeMap<u64, Timeline>,
}

/// All payments, by id, with their timelines.
#[derive(Debug, Default)]
pub struct Store {
    inner: Mutex<Inner>,
}

impl Store {
    /// Adds a payment unless `unique` and the merchant already has one for the order id;
    /// returns its id, or `None` for a duplicate. Its timeline starts with `created`.
    pub fn insert(&self, mut payment: Payment, unique: bool) -> Option<u64> {
        let mut inner = self.inner.lock().ok()?;
        if unique
            && inner.payments.values().any(|p| {
                p.gateway == payment.gateway
                    && p.merchant == payment.merchant
                    && p.order_id == payment.order_id
            })
        {
            return None;
        }
        let id = inner.payments.keys().next_back().map_or(1, |last| last.saturating_add(1));
        payment.id = id;
        inner.payments.insert(id, payment);
        let created = Event { at_ms: now_ms(), kind: EventKind::Created };
        let timeline =
            Timeline { events: vec![created], sequence: next_sequence(), ..Timeline::default() };
        inner.timelines.insert(id, timeline);
        Some(id)
    }

    /// A copy of the payment with `id`.
    pub fn get(&self, id: u64) -> Option<Payment> {
        self.inner.lock().ok()?.payments.get(&id).cloned()
    }

    /// The latest payment of a merchant for an order id.
    pub fn find(&self, gateway: GatewayId, merchant: &str, order_id: &str) -> Option<Payment> {
        let inner = self.inner.lock().ok()?;
        inner
            .payments
            .values()
            .rev()
            .find(|p| p.gateway == gateway && p.merchant == merchant && p.order_id == order_id)
            .cloned()
    }

    /// Changes a payment; returns the updated copy.
    pub fn update(&self, id: u64, change: impl FnOnce(&mut Payment)) -> Option<Payment> {
        let mut inner = self.inner.lock().ok()?;
        let payment = inner.payments.get_mut(&id)?;
        change(payment);
        Some(payment.clone())
    }

    /// Copies of every payment.
    pub fn all(&self) -> Vec<Payment> {
        self.inner.lock().map(|i| i.payments.values().cloned().collect()).unwrap_or_default()
    }

    /// Copies of every payment with its timeline, oldest first.
    pub fn all_with_timelines(&self) -> Vec<(Payment, Timeline)> {
        let Ok(inner) = self.inner.lock() else { return Vec::new() };
        inner
            .payments
            .values()
            .map(|p| (p.clone(), inner.timelines.get(&p.id).cloned().unwrap_or_default()))
            .collect()
    }

    /// A copy of the payment's timeline.
    pub fn timeline(&self, id: u64) -> Option<Timeline> {
        self.inner.lock().ok()?.timelines.get(&id).cloned()
    }

    /// Adds an event to the payment's timeline, now.
    pub fn note(&self, id: u64, kind: EventKind) {
        self.change_timeline(id, |timeline| {
            timeline.events.push(Event { at_ms: now_ms(), kind });
        });
    }

    /// Changes the payment's timeline (nothing when there is no such payment).
    pub fn change_timeline(&self, id: u64, change: impl FnOnce(&mut Timeline)) {
        if let Ok(mut inner) = self.inner.lock()
            && inner.payments.contains_key(&id)
        {
            change(inner.timelines.entry(id).or_default());
        }
    }

    /// Records a delivery attempt, numbering it after the payment's earlier ones, and the
    /// next attempt it schedules; returns the numbered attempt.
    pub fn record_delivery(&self, id: u64, mut delivery: Delivery) -> Option<Delivery> {
        let mut inner = self.inner.lock().ok()?;
        let payment = inner.payments.get_mut(&id)?;
        let earlier = u32::try_from(payment.deliveries.len()).unwrap_or(u32::MAX);
        delivery.attempt = earlier.saturating_add(1);
        payment.deliveries.push(delivery.clone());
        let timeline = inner.timelines.entry(id).or_default();
        if !delivery.manual {
            timeline.next_attempt_at_ms = delivery.next_attempt_at_ms;
        } else if delivery.accepted {
            // The scheduled retry will find the notification delivered and not be made.
            timeline.next_attempt_at_ms = None;
        }
        Some(delivery)
    }

    /// Whether a delivery of the payment after its first `earlier` ones was accepted.
    pub fn delivered_since(&self, id: u64, earlier: usize) -> bool {
        self.inner.lock().is_ok_and(|inner| {
            inner.payments.get(&id).is_some_and(|p| {
                p.deliveries.get(earlier..).is_some_and(|new| new.iter().any(|d| d.accepted))
            })
        })
    }
}
