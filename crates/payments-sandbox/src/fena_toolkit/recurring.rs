//! Recurring payments (standing orders, fena.md §2.11): create, create-and-process, get,
//! process, delete; the payer sets the standing order up (or refuses) on the checkout page,
//! and the control API plays the bank: `advance` pays the next scheduled payment, `cancel`
//! is the payer cancelling at their bank.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use fena::api::recurring::{Frequency, earliest_first_payment_date};
use fena::time::{Date, Duration as Days, Month};
use http::{HeaderMap, StatusCode};
use payments_core::{Currency, GatewayId, Money};
use serde_json::{Map, Value, json};

use super::{
    Held, Ledger, RECURRING, Refusal, control_refusal, date_text, find, guard, is_email, ledger,
    now_text, parse_date, put_account, receiving_account, redirect, refuse, single, text_field,
    today, webhook,
};
use crate::App;
use crate::config::FenaTerminal;
use crate::state::{Payment, Status};

/// A standing order as the Toolkit holds it.
#[derive(Debug, Clone)]
pub struct Recurring {
    /// Fena's id.
    pub id: String,
    /// The API key that created it.
    pub integration: String,
    /// The reference.
    pub reference: String,
    /// Each payment's amount, exactly as sent.
    pub amount_text: String,
    /// Each payment's amount.
    pub money: Money,
    /// The first payment's date.
    pub first_date: Date,
    /// How many payments; 0 for no end.
    pub number: u64,
    /// How often, as sent.
    pub frequency: Frequency,
    /// The immediate payment asked for with the set-up, as sent.
    pub initial_amount: Option<String>,
    /// The initial payment, once made.
    pub initial_payment: Option<String>,
    /// `customerName`, `customerEmail`, as sent.
    pub fields: Map<String, Value>,
    /// The receiving account.
    pub bank_account: Option<String>,
    /// The set-up's checkout payment, once processed.
    pub store_id: Option<u64>,
    /// `draft`, `sent`, `active`, `rejected`, `cancelled` or `completed`.
    pub status: &'static str,
    /// The scheduled payments made so far, by Fena id.
    pub payments: Vec<String>,
    /// When it was created.
    pub created_at: String,
}

/// The date of the payment `index` (0 for the first) of a standing order.
fn scheduled_date(first: Date, frequency: &Frequency, index: u64) -> Option<Date> {
    let months = match frequency {
        Frequency::OneWeek => {
            let days = i64::try_from(index.checked_mul(7)?).ok()?;
            return first.checked_add(Days::days(days));
        }
        Frequency::OneMonth => 1,
        Frequency::ThreeMonths => 3,
        Frequency::OneYear => 12,
        _ => return None,
    };
    let total = i64::from(first.year())
        .checked_mul(12)?
        .checked_add(i64::from(u8::from(first.month())) - 1)?
        .checked_add(i64::try_from(index.checked_mul(months)?).ok()?)?;
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(total.rem_euclid(12) + 1).ok()?).ok()?;
    // The 31st of a shorter month is its last day.
    (28..=first.day())
        .rev()
        .find_map(|day| Date::from_calendar_date(year, month, day).ok())
        .or_else(|| Date::from_calendar_date(year, month, first.day()).ok())
}

fn validate(
    ledger: &mut Ledger,
    terminal: &FenaTerminal,
    body: &Map<String, Value>,
) -> Result<Recurring, Vec<String>> {
    let mut errors = Vec::new();
    let text = |name: &str, errors: &mut Vec<String>| text_field(body, name, errors);
    let before = errors.len();
    let reference = text("reference", &mut errors).unwrap_or_default();
    if errors.len() == before && fena::api::recurring::validate_reference(&reference).is_err() {
        errors.push("reference must be 1 to 12 characters matching /^[a-z0-9-]+$/".to_owned());
    }
    let before = errors.len();
    let amount_text = text("recurringAmount", &mut errors).unwrap_or_default();
    let money = fena::amount::parse_amount(&amount_text).ok();
    if money.is_none() && errors.len() == before {
        errors.push("recurringAmount must match /^[0-9]*.[0-9]{2}$/ and be more than 0".into());
    }
    let initial_amount = text("initialPaymentAmount", &mut errors);
    if initial_amount.as_deref().is_some_and(|text| fena::amount::parse_amount(text).is_err()) {
        errors
            .push("initialPaymentAmount must match /^[0-9]*.[0-9]{2}$/ and be more than 0".into());
    }
    let before = errors.len();
    let first = text("recurringPaymentDate", &mut errors).and_then(|text| parse_date(&text));
    let earliest = earliest_first_payment_date(today());
    match (first, earliest) {
        (None, _) if errors.len() > before => {}
        (Some(first), Some(earliest)) if first >= earliest => {}
        (Some(_), _) => errors.push(format!(
            "recurringPaymentDate must be at least {} working days in the future",
            fena::api::recurring::NOTICE_WORKING_DAYS
        )),
        (None, _) => {
            errors.push("recurringPaymentDate must be a valid ISO 8601 date string".into())
        }
    }
    let number = body.get("numberOfPayments").and_then(Value::as_u64);
    if number.is_none() {
        errors.push("numberOfPayments must be an integer not less than 0".into());
    }
    let before = errors.len();
    let frequency = Frequency::from_wire(&text("frequency", &mut errors).unwrap_or_default());
    if matches!(frequency, Frequency::Unknown(_)) && errors.len() == before {
        errors.push(
            "frequency must be one of the following values: one_week, one_month, three_months, one_year"
                .into(),
        );
    }
    let mut fields = Map::new();
    if let Some(name) = text("customerName", &mut errors) {
        fields.insert("customerName".into(), Value::String(name));
    }
    match text("customerEmail", &mut errors) {
        Some(email) if is_email(&email) => {
            fields.insert("customerEmail".into(), Value::String(email));
        }
        Some(_) => errors.push("customerEmail must be an email".into()),
        None => {}
    }
    let _integration = text("integration", &mut errors);
    let bank_account = receiving_account(ledger, terminal, body.get("bankAccount"), &mut errors);
    match (money, first, number) {
        (Some(money), Some(first_date), Some(number)) if errors.is_empty() => Ok(Recurring {
            id: ledger.new_id(2),
            integration: terminal.integration_id.clone().unwrap_or_default(),
            reference,
            amount_text,
            money,
            first_date,
            number,
            frequency,
            initial_amount,
            initial_payment: None,
            fields,
            bank_account,
            store_id: None,
            status: "draft",
            payments: Vec::new(),
            created_at: now_text(),
        }),
        _ => Err(errors),
    }
}

impl Held for Recurring {
    const NAME: &'static str = "Recurring payment";

    fn draft(
        ledger: &mut Ledger,
        terminal: &FenaTerminal,
        body: &Map<String, Value>,
    ) -> Result<Self, Vec<String>> {
        validate(ledger, terminal, body)
    }

    fn all(ledger: &Ledger) -> &BTreeMap<String, Self> {
        &ledger.recurring
    }

    fn all_mut(ledger: &mut Ledger) -> &mut BTreeMap<String, Self> {
        &mut ledger.recurring
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn integration(&self) -> &str {
        &self.integration
    }

    fn not_draft(&self, id: &str) -> Option<String> {
        (self.status != "draft")
            .then(|| format!("recurring payment {id} is {}, not a draft", self.status))
    }

    fn send(&mut self, app: &App, terminal: &FenaTerminal) {
        self.store_id = open_checkout(app, terminal, self);
        self.status = "sent";
    }

    /// The recurring payment as `GET open/payments/recurring/{id}` shows it.
    fn json(&self, app: &App, ledger: &Ledger) -> Value {
        let mut object = self.fields.clone();
        let mut put = |key: &str, value: Value| {
            object.insert(key.to_owned(), value);
        };
        put("id", json!(self.id));
        put("invoiceRefNumber", json!(self.reference));
        put("recurringAmount", json!(self.amount_text));
        put("currency", json!("GBP"));
        put("status", json!(self.status));
        put("frequency", json!(self.frequency.as_str()));
        put("firstPaymentDate", json!(date_text(self.first_date)));
        put("expectedNumberOfPayments", json!(self.number));
        if self.number > 0
            && let Some(last) =
                scheduled_date(self.first_date, &self.frequency, self.number.saturating_sub(1))
        {
            put("finalPaymentDate", json!(date_text(last)));
        }
        put("createdAt", json!(self.created_at));
        if let Some(id) = self.store_id {
            put("link", json!(format!("{}/checkout/{id}", app.base_url)));
        }
        if let Some(initial) = self.initial_payment.as_ref().and_then(|id| ledger.singles.get(id)) {
            put("initialPayment", initial.json(app, ledger));
        }
        put_account(&mut object, app, ledger, &self.integration, self.bank_account.as_deref());
        Value::Object(object)
    }
}

/// Puts the standing order's set-up on the checkout page.
fn open_checkout(app: &App, terminal: &FenaTerminal, recurring: &Recurring) -> Option<u64> {
    let back = terminal.redirect_url.as_deref();
    let payment = Payment {
        id: 0,
        gateway: GatewayId::Fena,
        kind: RECURRING,
        merchant: recurring.integration.clone(),
        order_id: recurring.reference.clone(),
        amount: recurring.money.amount(),
        amount_text: recurring.amount_text.clone(),
        currency: Currency::GBP,
        description: Some(format!(
            "Standing order: {} GBP {} from {}, {} payment(s) (0: no end)",
            recurring.amount_text,
            recurring.frequency.as_str(),
            super::date_only(recurring.first_date),
            recurring.number
        )),
        method: None,
        success_url: redirect(back, &recurring.reference, "active"),
        failure_url: redirect(back, &recurring.reference, "rejected"),
        notify_url: terminal.webhook_url.clone(),
        notify_rejected_url: None,
        status: Status::Pending,
        deliveries: Vec::new(),
    };
    app.store.insert(payment, false)
}

/// `POST open/payments/recurring/{id}/delete`: only before the payer set it up (a standing
/// order at the payer's bank is theirs to cancel).
pub async fn delete(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Refusal> {
    let (terminal, mut ledger) = guard(&app, &headers)?;
    let recurring = find::<Recurring>(&ledger, terminal, &id)?;
    if !matches!(recurring.status, "draft" | "sent" | "rejected") {
        let message = format!(
            "recurring payment {id} is {}: once set up, only the payer can cancel the standing order at their bank",
            recurring.status
        );
        return Err(refuse(StatusCode::BAD_REQUEST, vec![message]));
    }
    if let Some(store_id) = recurring.store_id {
        // The link dies with it, in one step with the check: a payer who set the standing
        // order up a moment ago (the checkout is no longer pending) keeps it.
        let mut was = None;
        app.store.update(store_id, |payment| {
            was = Some(payment.status);
            if payment.status == Status::Pending {
                payment.status = Status::Rejected;
            }
        });
        if was == Some(Status::Paid) {
            let message = format!(
                "recurring payment {id} was just set up by the payer: only the payer can cancel it at their bank"
            );
            return Err(refuse(StatusCode::BAD_REQUEST, vec![message]));
        }
    }
    ledger.recurring.remove(&id);
    Ok(Json(json!({"deleted": true})).into_response())
}

/// The payer set the standing order up (paid) or refused it on the checkout page.
pub async fn settled(app: &Arc<App>, payment: Payment) -> Result<Payment, StatusCode> {
    let (initial, event) = {
        let mut ledger = app.fena_toolkit.lock().map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
        let Some(recurring) = ledger.recurring_by_store(payment.id) else { return Ok(payment) };
        recurring.status = if payment.status == Status::Paid { "active" } else { "rejected" };
        let mut recurring = recurring.clone();
        let terminal = app.config.fena_integration(&recurring.integration);
        let mut initial = None;
        if let (Status::Paid, Some(amount), Some(terminal)) =
            (payment.status, recurring.initial_amount.clone(), terminal)
        {
            let reference = recurring.reference.clone();
            let account = recurring.bank_account.clone();
            initial = single::insert_paid(
                app,
                &mut ledger,
                terminal,
                &reference,
                &amount,
                account,
                now_text(),
            );
            if let Some((store_id, _)) = &initial
                && let Some(made) = ledger.single_by_store(*store_id)
            {
                recurring.initial_payment = Some(made.id.clone());
            }
            ledger.recurring.insert(recurring.id.clone(), recurring.clone());
        }
        (initial, webhook::recurring_event(recurring.json(app, &ledger)))
    };
    if let Some((store_id, body)) = initial {
        webhook::deliver_to(app, store_id, payment.notify_url.as_deref(), &body).await?;
    }
    webhook::deliver_to(app, payment.id, payment.notify_url.as_deref(), &event).await
}

/// The standing order `id` of any API key, which the payer's bank can only pay or cancel while
/// it is active; or the control API's 404 or 409.
fn active<'a>(ledger: &'a mut Ledger, id: &str) -> Result<&'a mut Recurring, Refusal> {
    let Some(recurring) = ledger.recurring.get_mut(id) else {
        return Err(control_refusal(StatusCode::NOT_FOUND, format!("no recurring payment {id}")));
    };
    if recurring.status != "active" {
        let reason = format!("recurring payment {id} is {}, not active", recurring.status);
        return Err(control_refusal(StatusCode::CONFLICT, reason));
    }
    Ok(recurring)
}

/// `POST /control/fena/recurring/{id}/advance`: the clock moves to the next scheduled date
/// and the payer's bank pays it. The payment is a single payment under the standing order's
/// reference, notified like any other (`single-payments`); the last one of a standing order
/// with an end also completes it (`recurring-payments`).
pub async fn control_advance(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Response, Refusal> {
    let (store_id, payment_event, recurring_event, url) = {
        let mut ledger = ledger(&app)?;
        let mut recurring = active(&mut ledger, &id)?.clone();
        let Some(terminal) = app.config.fena_integration(&recurring.integration) else {
            return Err(control_refusal(StatusCode::NOT_FOUND, "its API key is gone".into()));
        };
        let index = u64::try_from(recurring.payments.len()).unwrap_or(u64::MAX);
        let Some(date) = scheduled_date(recurring.first_date, &recurring.frequency, index) else {
            return Err(control_refusal(StatusCode::CONFLICT, "no next payment date".into()));
        };
        let made = single::insert_paid(
            &app,
            &mut ledger,
            terminal,
            &recurring.reference,
            &recurring.amount_text,
            recurring.bank_account.clone(),
            date_text(date),
        );
        let Some((store_id, payment_event)) = made else {
            return Err(control_refusal(StatusCode::INTERNAL_SERVER_ERROR, "cannot pay".into()));
        };
        if let Some(made) = ledger.single_by_store(store_id) {
            recurring.payments.push(made.id.clone());
        }
        let done = recurring.number > 0
            && u64::try_from(recurring.payments.len()).is_ok_and(|n| n >= recurring.number);
        if done {
            recurring.status = "completed";
        }
        ledger.recurring.insert(id.clone(), recurring.clone());
        let recurring_event = done.then(|| webhook::recurring_event(recurring.json(&app, &ledger)));
        (store_id, payment_event, recurring_event, terminal.webhook_url.clone())
    };
    let paid = webhook::deliver_to(&app, store_id, url.as_deref(), &payment_event).await;
    if let Some(event) = recurring_event {
        let _ = webhook::deliver_to(&app, store_id, url.as_deref(), &event).await;
    }
    let recurring = {
        let ledger = ledger(&app)?;
        ledger.recurring.get(&id).map(|r| r.json(&app, &ledger))
    };
    let payment = paid.map_err(|status| control_refusal(status, "the payment vanished".into()))?;
    Ok(Json(json!({
        "payment": payment,
        "fena_payment_id": payment_event.get("id"),
        "recurring": recurring,
    }))
    .into_response())
}

/// `POST /control/fena/recurring/{id}/cancel`: the payer cancels the standing order at their
/// bank; Fena reports it `cancelled`.
pub async fn control_cancel(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Response, Refusal> {
    let (event, url, store_id) = {
        let mut ledger = ledger(&app)?;
        let recurring = active(&mut ledger, &id)?;
        recurring.status = "cancelled";
        let recurring = recurring.clone();
        let url =
            app.config.fena_integration(&recurring.integration).and_then(|t| t.webhook_url.clone());
        (webhook::recurring_event(recurring.json(&app, &ledger)), url, recurring.store_id)
    };
    let deliveries = match store_id {
        Some(store_id) => {
            let before = app.store.get(store_id).map_or(0, |payment| payment.deliveries.len());
            let payment = webhook::deliver_to(&app, store_id, url.as_deref(), &event).await;
            payment
                .ok()
                .and_then(|p| p.deliveries.get(before..).map(<[_]>::to_vec))
                .unwrap_or_default()
        }
        None => webhook::post(&app, url.as_deref(), &event).await,
    };
    Ok(Json(json!({"recurring": event, "deliveries": deliveries})).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u8, day: u8) -> Date {
        Date::from_calendar_date(year, Month::try_from(month).unwrap(), day).unwrap()
    }

    #[test]
    fn scheduled_dates_follow_the_frequency() {
        let first = date(2025, 1, 31);
        assert_eq!(scheduled_date(first, &Frequency::OneWeek, 2), Some(date(2025, 2, 14)));
        assert_eq!(scheduled_date(first, &Frequency::OneMonth, 1), Some(date(2025, 2, 28)));
        assert_eq!(scheduled_date(first, &Frequency::ThreeMonths, 1), Some(date(2025, 4, 30)));
        assert_eq!(scheduled_date(first, &Frequency::OneYear, 1), Some(date(2026, 1, 31)));
        assert_eq!(scheduled_date(first, &Frequency::OneMonth, 0), Some(first));
        let odd = Frequency::Unknown("two_weeks".into());
        assert_eq!(scheduled_date(first, &odd, 1), None);
    }
}
