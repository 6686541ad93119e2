//! Single payments: `open/payments/single/create`, `.../create-and-process`,
//! `.../{id}/process` and `.../{id}` (fena.md §2.3 to §2.6).

use std::collections::BTreeMap;
use std::sync::Arc;

use http::StatusCode;
use payments_core::{Currency, GatewayId, Money};
use serde_json::{Map, Value, json};

use super::{
    Held, Ledger, PAYMENT, is_email, now_text, parse_date, put_account, receiving_account,
    redirect, status_word, text_field, webhook,
};
use crate::App;
use crate::config::FenaTerminal;
use crate::state::{Payment, Status};

/// A single payment as the Toolkit holds it; once processed, its checkout payment holds
/// whether it was paid.
#[derive(Debug, Clone)]
pub struct Single {
    /// Fena's id.
    pub id: String,
    /// The API key that created it.
    pub integration: String,
    /// The reference.
    pub reference: String,
    /// The amount, exactly as sent.
    pub amount_text: String,
    /// The amount.
    pub money: Money,
    /// The optional fields as sent (`customerName`, `dueDate`, ...).
    pub fields: Map<String, Value>,
    /// The receiving account.
    pub bank_account: Option<String>,
    /// `customRedirectUrl`, when sent.
    pub redirect_url: Option<String>,
    /// The checkout payment, once processed.
    pub store_id: Option<u64>,
    /// When it was created.
    pub created_at: String,
    /// When it was paid.
    pub completed_at: Option<String>,
}

/// The optional string fields copied as sent.
const TEXT_FIELDS: [&str; 4] = ["customerName", "customerEmail", "dueDate", "description"];

/// Checks a create body with the `fena` crate's rules; every problem is named.
fn validate(
    ledger: &mut Ledger,
    terminal: &FenaTerminal,
    body: &Map<String, Value>,
) -> Result<Single, Vec<String>> {
    let mut errors = Vec::new();
    let text = |name: &str, errors: &mut Vec<String>| text_field(body, name, errors);
    let before = errors.len();
    let reference = text("reference", &mut errors).unwrap_or_default();
    if errors.len() == before && fena::api::payment::validate_reference(&reference).is_err() {
        errors.push("reference must be 1 to 12 characters matching /^[a-z0-9-]+$/i".to_owned());
    }
    let before = errors.len();
    let amount_text = text("amount", &mut errors).unwrap_or_default();
    let money = match fena::amount::parse_amount(&amount_text) {
        Ok(money) => Some(money),
        Err(_) if errors.len() > before => None,
        Err(_) => {
            errors.push("amount must match /^[0-9]*.[0-9]{2}$/ and be more than 0".to_owned());
            None
        }
    };
    let mut fields = Map::new();
    for name in TEXT_FIELDS {
        if let Some(value) = text(name, &mut errors) {
            fields.insert(name.to_owned(), Value::String(value));
        }
    }
    if let Some(email) = text("customerEmail", &mut Vec::new())
        && !is_email(&email)
    {
        errors.push("customerEmail must be an email".into());
    }
    if let Some(due) = text("dueDate", &mut Vec::new())
        && parse_date(&due).is_none()
    {
        errors.push("dueDate must be a valid ISO 8601 date string".into());
    }
    if let Some(description) = text("description", &mut Vec::new())
        && description.chars().count() > fena::api::payment::MAX_DESCRIPTION_CHARS
    {
        errors.push("description must be shorter than or equal to 1000 characters".into());
    }
    match body.get("customerEmailCC") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) if items.iter().all(|i| i.as_str().is_some_and(is_email)) => {
            fields.insert("customerEmailCC".into(), Value::Array(items.clone()));
        }
        Some(_) => errors.push("customerEmailCC must be a list of emails".into()),
    }
    match text("paymentMethod", &mut errors).as_deref() {
        None => {}
        Some(method @ ("fena_ob" | "fena_ob_qr")) => {
            fields.insert("paymentMethod".into(), Value::String(method.to_owned()));
        }
        Some(_) => errors
            .push("paymentMethod must be one of the following values: fena_ob, fena_ob_qr".into()),
    }
    match body.get("notes") {
        None | Some(Value::Null) => {}
        Some(Value::Array(notes))
            if notes.iter().all(|note| {
                ["text", "visibility"]
                    .iter()
                    .all(|key| note.get(key).and_then(Value::as_str).is_some_and(|t| !t.is_empty()))
            }) =>
        {
            fields.insert("notes".into(), Value::Array(notes.clone()));
        }
        Some(_) => errors.push("notes must each have a text and a visibility".into()),
    }
    let redirect_url = text("customRedirectUrl", &mut errors);
    if let Some(url) = &redirect_url
        && !url::Url::parse(url).is_ok_and(|url| matches!(url.scheme(), "http" | "https"))
    {
        errors.push("customRedirectUrl must be a URL address".into());
    }
    let _integration = text("integration", &mut errors);
    let bank_account = receiving_account(ledger, terminal, body.get("bankAccount"), &mut errors);
    match money {
        Some(money) if errors.is_empty() => Ok(Single {
            id: ledger.new_id(1),
            integration: terminal.integration_id.clone().unwrap_or_default(),
            reference,
            amount_text,
            money,
            fields,
            bank_account,
            redirect_url,
            store_id: None,
            created_at: now_text(),
            completed_at: None,
        }),
        _ => Err(errors),
    }
}

impl Held for Single {
    const NAME: &'static str = "Payment";

    fn draft(
        ledger: &mut Ledger,
        terminal: &FenaTerminal,
        body: &Map<String, Value>,
    ) -> Result<Self, Vec<String>> {
        validate(ledger, terminal, body)
    }

    fn all(ledger: &Ledger) -> &BTreeMap<String, Self> {
        &ledger.singles
    }

    fn all_mut(ledger: &mut Ledger) -> &mut BTreeMap<String, Self> {
        &mut ledger.singles
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn integration(&self) -> &str {
        &self.integration
    }

    fn not_draft(&self, id: &str) -> Option<String> {
        self.store_id.is_some().then(|| format!("payment {id} is not a draft"))
    }

    fn send(&mut self, app: &App, terminal: &FenaTerminal) {
        self.store_id = open_checkout(app, terminal, self, Status::Pending);
    }

    /// The payment as `GET open/payments/single/{id}` shows it.
    fn json(&self, app: &App, ledger: &Ledger) -> Value {
        let checkout = self.store_id.and_then(|id| app.store.get(id));
        // Past its due date a sent payment is `overdue`, and can still be paid (§2.6).
        let due = self.fields.get("dueDate").and_then(Value::as_str).and_then(parse_date);
        let waiting = if due.is_some_and(|due| due < super::today()) { "overdue" } else { "sent" };
        let status = checkout.as_ref().map_or("draft", |p| status_word(p.status, waiting, "paid"));
        let mut object = self.fields.clone();
        let mut put = |key: &str, value: Value| {
            object.insert(key.to_owned(), value);
        };
        put("id", json!(self.id));
        put("reference", json!(self.reference));
        put("amount", json!(self.amount_text));
        put("currency", json!("GBP"));
        put("status", json!(status));
        put("createdAt", json!(self.created_at));
        if let Some(completed) = &self.completed_at {
            put("completedAt", json!(completed));
        }
        if let Some(id) = self.store_id {
            put("link", json!(format!("{}/checkout/{id}", app.base_url)));
        }
        put_account(&mut object, app, ledger, &self.integration, self.bank_account.as_deref());
        Value::Object(object)
    }
}

/// Puts a payment on the checkout page (`sent`) and returns its checkout id.
fn open_checkout(
    app: &App,
    terminal: &FenaTerminal,
    single: &Single,
    status: Status,
) -> Option<u64> {
    let back = single.redirect_url.as_deref().or(terminal.redirect_url.as_deref());
    let payment = Payment {
        id: 0,
        gateway: GatewayId::Fena,
        kind: PAYMENT,
        merchant: single.integration.clone(),
        order_id: single.reference.clone(),
        amount: single.money.amount(),
        amount_text: single.amount_text.clone(),
        currency: Currency::GBP,
        description: single.fields.get("description").and_then(Value::as_str).map(str::to_owned),
        method: single.fields.get("paymentMethod").and_then(Value::as_str).map(str::to_owned),
        success_url: redirect(back, &single.reference, "paid"),
        failure_url: redirect(back, &single.reference, "rejected"),
        notify_url: terminal.webhook_url.clone(),
        notify_rejected_url: None,
        status,
        deliveries: Vec::new(),
    };
    // References need not be unique in Fena: a standing order's payments share one.
    app.store.insert(payment, false)
}

/// A paid payment of a standing order (or its initial payment): created paid, at `date`.
/// Returns its webhook body and URL.
pub fn insert_paid(
    app: &App,
    ledger: &mut Ledger,
    terminal: &FenaTerminal,
    reference: &str,
    amount_text: &str,
    bank_account: Option<String>,
    completed_at: String,
) -> Option<(u64, Value)> {
    let money = fena::amount::parse_amount(amount_text).ok()?;
    let mut single = Single {
        id: ledger.new_id(1),
        integration: terminal.integration_id.clone()?,
        reference: reference.to_owned(),
        amount_text: amount_text.to_owned(),
        money,
        fields: Map::new(),
        bank_account,
        redirect_url: None,
        store_id: None,
        created_at: completed_at.clone(),
        completed_at: Some(completed_at),
    };
    let store_id = open_checkout(app, terminal, &single, Status::Paid)?;
    single.store_id = Some(store_id);
    let event = webhook::single_event(single.json(app, ledger));
    ledger.singles.insert(single.id.clone(), single);
    Some((store_id, event))
}

/// The payer paid or rejected a single payment on the checkout page.
pub async fn settled(app: &Arc<App>, payment: Payment) -> Result<Payment, StatusCode> {
    let event = {
        let mut ledger = app.fena_toolkit.lock().map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
        let Some(single) = ledger.single_by_store(payment.id) else { return Ok(payment) };
        if payment.status == Status::Paid {
            single.completed_at = Some(now_text());
        }
        let single = single.clone();
        webhook::single_event(single.json(app, &ledger))
    };
    webhook::deliver_to(app, payment.id, payment.notify_url.as_deref(), &event).await
}
