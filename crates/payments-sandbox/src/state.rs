//! The payments the sandbox holds.

use std::collections::BTreeMap;
use std::sync::Mutex;

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

/// One notification delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The merchant's HTTP status, if it answered.
    pub status: Option<u16>,
    /// The start of the merchant's answer, or the transport error.
    pub answer: String,
    /// Whether the gateway counts it as delivered.
    pub accepted: bool,
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

/// All payments, by id.
#[derive(Debug, Default)]
pub struct Store {
    payments: Mutex<BTreeMap<u64, Payment>>,
}

impl Store {
    /// Adds a payment unless `unique` and the merchant already has one for the order id;
    /// returns its id, or `None` for a duplicate.
    pub fn insert(&self, mut payment: Payment, unique: bool) -> Option<u64> {
        let mut payments = self.payments.lock().ok()?;
        if unique
            && payments.values().any(|p| {
                p.gateway == payment.gateway
                    && p.merchant == payment.merchant
                    && p.order_id == payment.order_id
            })
        {
            return None;
        }
        let id = payments.keys().next_back().map_or(1, |last| last.saturating_add(1));
        payment.id = id;
        payments.insert(id, payment);
        Some(id)
    }

    /// A copy of the payment with `id`.
    pub fn get(&self, id: u64) -> Option<Payment> {
        self.payments.lock().ok()?.get(&id).cloned()
    }

    /// The latest payment of a merchant for an order id.
    pub fn find(&self, gateway: GatewayId, merchant: &str, order_id: &str) -> Option<Payment> {
        let payments = self.payments.lock().ok()?;
        payments
            .values()
            .rev()
            .find(|p| p.gateway == gateway && p.merchant == merchant && p.order_id == order_id)
            .cloned()
    }

    /// Changes a payment; returns the updated copy.
    pub fn update(&self, id: u64, change: impl FnOnce(&mut Payment)) -> Option<Payment> {
        let mut payments = self.payments.lock().ok()?;
        let payment = payments.get_mut(&id)?;
        change(payment);
        Some(payment.clone())
    }

    /// Copies of every payment.
    pub fn all(&self) -> Vec<Payment> {
        self.payments.lock().map(|p| p.values().cloned().collect()).unwrap_or_default()
    }
}
