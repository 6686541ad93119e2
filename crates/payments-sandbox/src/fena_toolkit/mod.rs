//! Fena's Toolkit REST API, from the gateway's side, under `/fena/toolkit/`.
//!
//! Every call needs the API key's two headers (`integration-id` and `secret-key`, or the
//! partner docs' `terminal-id` and `terminal-secret`): a missing or wrong pair is HTTP 401.
//! Requests are validated with the rules the `fena` crate checks before sending; a refusal is
//! `{"statusCode": 400, "message": [...], "error": "Bad Request"}` (the docs list the status
//! codes but print no error body; the SDK reads `message`, as Fena's own clients do).
//!
//! A processed payment, or a standing order's set-up, is a [`Payment`] of kind
//! [`PAYMENT`] or [`RECURRING`] on the checkout page; [`settled`] turns the payer's answer
//! into the Toolkit status and posts the unsigned webhook.

mod bank_accounts;
mod recurring;
mod single;
mod webhook;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, MutexGuard};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fena::time::{Date, Month, OffsetDateTime};
use http::{HeaderMap, StatusCode};
use payments_core::ExposeSecret;
use serde_json::{Value, json};

use crate::App;
use crate::config::FenaTerminal;
use crate::state::{Payment, Status};

pub use recurring::Recurring;
pub use single::Single;

/// The [`Payment::kind`] of a Toolkit single payment (a JWT link's is `payment`).
pub const PAYMENT: &str = "toolkit-payment";
/// The [`Payment::kind`] of a standing order's set-up by the payer.
pub const RECURRING: &str = "toolkit-recurring";

/// Whether a checkout payment belongs to the Toolkit (its webhooks are the Toolkit's JSON,
/// not the JWT link's token).
pub fn holds(payment: &Payment) -> bool {
    payment.gateway == payments_core::GatewayId::Fena && matches!(payment.kind, PAYMENT | RECURRING)
}

/// What the Toolkit holds beside the checkout's payments.
#[derive(Debug, Default)]
pub struct Ledger {
    next_id: u64,
    singles: BTreeMap<String, Single>,
    recurring: BTreeMap<String, Recurring>,
    /// Bank-account statuses changed through the control API, by account id.
    account_status: HashMap<String, String>,
}

impl Ledger {
    /// A new id in Fena's form (24 hex digits, a Mongo object id).
    fn new_id(&mut self, kind: u32) -> String {
        self.next_id = self.next_id.saturating_add(1);
        format!("65f{kind:05x}0000{:012x}", self.next_id)
    }

    fn single_by_store(&mut self, store_id: u64) -> Option<&mut Single> {
        self.singles.values_mut().find(|single| single.store_id == Some(store_id))
    }

    fn recurring_by_store(&mut self, store_id: u64) -> Option<&mut Recurring> {
        self.recurring.values_mut().find(|recurring| recurring.store_id == Some(store_id))
    }
}

/// The Toolkit's routes and their control API.
pub fn routes() -> Router<Arc<App>> {
    let api = "/fena/toolkit/open";
    Router::new()
        .route(&format!("{api}/payments/single/create"), post(create::<Single>))
        .route(
            &format!("{api}/payments/single/create-and-process"),
            post(create_and_process::<Single>),
        )
        .route(&format!("{api}/payments/single/{{id}}"), get(show::<Single>))
        .route(&format!("{api}/payments/single/{{id}}/process"), post(process::<Single>))
        .route(&format!("{api}/payments/recurring/create"), post(create::<Recurring>))
        .route(
            &format!("{api}/payments/recurring/create-and-process"),
            post(create_and_process::<Recurring>),
        )
        .route(&format!("{api}/payments/recurring/{{id}}"), get(show::<Recurring>))
        .route(&format!("{api}/payments/recurring/{{id}}/process"), post(process::<Recurring>))
        .route(&format!("{api}/payments/recurring/{{id}}/delete"), post(recurring::delete))
        .route(&format!("{api}/company/bank-accounts/list"), get(bank_accounts::list))
        .route("/control/fena/recurring/{id}/advance", post(recurring::control_advance))
        .route("/control/fena/recurring/{id}/cancel", post(recurring::control_cancel))
        .route("/control/fena/bank-accounts/{id}/{status}", post(bank_accounts::control_status))
}

/// Turns a settled checkout payment of the Toolkit into its new status and webhook.
pub async fn settled(app: &Arc<App>, payment: Payment) -> Result<Payment, StatusCode> {
    if payment.kind == RECURRING {
        recurring::settled(app, payment).await
    } else {
        single::settled(app, payment).await
    }
}

/// What single payments and standing orders share: the ledger keeps them by id for the API
/// key that created them; a valid create body makes a draft, and processing a draft puts it
/// on the checkout page (`sent`).
trait Held: Clone + Send + 'static {
    /// What a 404 calls it.
    const NAME: &'static str;

    /// A new draft, with its id, from a create body checked with the `fena` crate's rules;
    /// or every problem, named.
    fn draft(
        ledger: &mut Ledger,
        terminal: &FenaTerminal,
        body: &serde_json::Map<String, Value>,
    ) -> Result<Self, Vec<String>>;

    /// The ledger's map of them, by id.
    fn all(ledger: &Ledger) -> &BTreeMap<String, Self>;

    /// The same, to change.
    fn all_mut(ledger: &mut Ledger) -> &mut BTreeMap<String, Self>;

    /// Fena's id.
    fn id(&self) -> &str;

    /// The API key that created it.
    fn integration(&self) -> &str;

    /// Why it cannot be processed (it is no draft), or `None`.
    fn not_draft(&self, id: &str) -> Option<String>;

    /// Draft to sent: puts it on the checkout page.
    fn send(&mut self, app: &App, terminal: &FenaTerminal);

    /// As the API shows it.
    fn json(&self, app: &App, ledger: &Ledger) -> Value;
}

/// `POST open/payments/{single,recurring}/create`: a draft.
async fn create<T: Held>(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    create_with::<T>(&app, &headers, &body, false)
}

/// `POST open/payments/{single,recurring}/create-and-process`: sent, with the payer's link.
async fn create_and_process<T: Held>(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    create_with::<T>(&app, &headers, &body, true)
}

fn create_with<T: Held>(
    app: &App,
    headers: &HeaderMap,
    body: &[u8],
    process: bool,
) -> Result<Response, Refusal> {
    let terminal = authenticate(app, headers)?;
    let body = read_body(body)?;
    let mut ledger = ledger(app)?;
    let mut held = T::draft(&mut ledger, terminal, &body)
        .map_err(|errors| refuse(StatusCode::BAD_REQUEST, errors))?;
    if process {
        held.send(app, terminal);
    }
    let result = held.json(app, &ledger);
    T::all_mut(&mut ledger).insert(held.id().to_owned(), held);
    Ok((StatusCode::CREATED, Json(json!({"created": true, "result": result}))).into_response())
}

/// The caller's payment or standing order `id`, cloned, or the 404.
fn find<T: Held>(ledger: &Ledger, terminal: &FenaTerminal, id: &str) -> Result<T, Refusal> {
    T::all(ledger)
        .get(id)
        .filter(|held| Some(held.integration()) == terminal.integration_id.as_deref())
        .cloned()
        .ok_or_else(|| not_found(T::NAME))
}

/// `GET open/payments/{single,recurring}/{id}`.
async fn show<T: Held>(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Refusal> {
    let (terminal, ledger) = guard(&app, &headers)?;
    let held = find::<T>(&ledger, terminal, &id)?;
    Ok(Json(json!({"data": held.json(&app, &ledger)})).into_response())
}

/// `POST open/payments/{single,recurring}/{id}/process`: draft to sent.
async fn process<T: Held>(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Refusal> {
    let (terminal, mut ledger) = guard(&app, &headers)?;
    let mut held = find::<T>(&ledger, terminal, &id)?;
    if let Some(reason) = held.not_draft(&id) {
        return Err(refuse(StatusCode::BAD_REQUEST, vec![reason]));
    }
    held.send(&app, terminal);
    let result = held.json(&app, &ledger);
    T::all_mut(&mut ledger).insert(id, held);
    Ok(Json(json!({"saved": true, "result": result})).into_response())
}

/// An answer to give instead of going on (boxed: a `Response` is large). The handlers
/// answer `Result<Response, Refusal>`, so each stops at its first refusal with `?`.
struct Refusal(Box<Response>);

impl From<Response> for Refusal {
    fn from(response: Response) -> Self {
        Self(Box::new(response))
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        *self.0
    }
}

fn ledger(app: &App) -> Result<MutexGuard<'_, Ledger>, Refusal> {
    app.fena_toolkit.lock().map_err(|_| {
        let reason = "the sandbox's state is poisoned".to_owned();
        refuse(StatusCode::INTERNAL_SERVER_ERROR, vec![reason])
    })
}

/// The API key of a Toolkit call and the ledger, locked; or the 401 or 500 to answer.
fn guard<'a>(
    app: &'a App,
    headers: &HeaderMap,
) -> Result<(&'a FenaTerminal, MutexGuard<'a, Ledger>), Refusal> {
    let terminal = authenticate(app, headers)?;
    Ok((terminal, ledger(app)?))
}

/// The API key the request authenticates with, or the 401 to answer.
fn authenticate<'a>(app: &'a App, headers: &HeaderMap) -> Result<&'a FenaTerminal, Refusal> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let pair = match (header("integration-id"), header("secret-key")) {
        (Some(id), Some(secret)) => Some((id, secret)),
        _ => header("terminal-id").zip(header("terminal-secret")),
    };
    let unauthorized = || {
        let body = json!({"statusCode": 401, "message": "Unauthorized", "error": "Unauthorized"});
        Refusal::from((StatusCode::UNAUTHORIZED, Json(body)).into_response())
    };
    let Some((id, secret)) = pair else { return Err(unauthorized()) };
    let terminal = app.config.fena_integration(id).ok_or_else(unauthorized)?;
    match &terminal.secret_key {
        Some(key) if key.expose_secret() == secret => Ok(terminal),
        _ => Err(unauthorized()),
    }
}

/// A refusal in the shape Fena's NestJS API answers: `statusCode`, `message`, `error`.
fn refuse(status: StatusCode, messages: Vec<String>) -> Refusal {
    let message = match <[String; 1]>::try_from(messages) {
        Ok([one]) if status != StatusCode::BAD_REQUEST => Value::String(one),
        Ok([one]) => json!([one]),
        Err(many) => json!(many),
    };
    let body = json!({
        "statusCode": status.as_u16(),
        "message": message,
        "error": status.canonical_reason().unwrap_or("Error"),
    });
    Refusal::from((status, Json(body)).into_response())
}

/// A refusal of the control API: `{"error": reason}`.
fn control_refusal(status: StatusCode, reason: String) -> Refusal {
    Refusal::from((status, Json(json!({ "error": reason }))).into_response())
}

fn not_found(what: &str) -> Refusal {
    refuse(StatusCode::NOT_FOUND, vec![format!("{what} not found")])
}

/// Reads a JSON object body, or the 400 to answer.
fn read_body(body: &[u8]) -> Result<serde_json::Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        _ => {
            let reason = "the body must be a JSON object".to_owned();
            Err(refuse(StatusCode::BAD_REQUEST, vec![reason]))
        }
    }
}

/// The string field `name` of a body, `None` when absent or null; one that is no string is
/// named in `errors`.
fn text_field(
    body: &serde_json::Map<String, Value>,
    name: &str,
    errors: &mut Vec<String>,
) -> Option<String> {
    match body.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => {
            errors.push(format!("{name} must be a string"));
            None
        }
    }
}

/// Now, as Fena writes timestamps (`2024-01-24T10:00:00.000Z`).
fn now_text() -> String {
    timestamp(OffsetDateTime::now_utc())
}

fn timestamp(at: OffsetDateTime) -> String {
    format!(
        "{}T{:02}:{:02}:{:02}.{:03}Z",
        date_only(at.date()),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

fn date_only(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// A date at midnight UTC, as the docs' examples write dates.
fn date_text(date: Date) -> String {
    format!("{}T00:00:00.000Z", date_only(date))
}

/// Reads the date of an ISO date or timestamp (`2024-01-24` or `2024-01-24T00:00:00Z`).
fn parse_date(text: &str) -> Option<Date> {
    let day = text.get(..10)?;
    if text.len() > 10 && !text[10..].starts_with('T') {
        return None;
    }
    let mut parts = day.split('-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// Today in UTC.
fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// A loose e-mail check: text, one `@`, text, no spaces (the `fena` crate's).
fn is_email(text: &str) -> bool {
    text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && !domain.is_empty() && !domain.contains('@')
    }) && !text.chars().any(char::is_whitespace)
}

/// The company's bank account `id` as the Toolkit shows it, with its current status.
fn account_json(ledger: &Ledger, terminal: &FenaTerminal, id: &str) -> Option<Value> {
    let account = terminal.bank_accounts.iter().find(|account| account.id == id)?;
    let status = ledger.account_status.get(id).unwrap_or(&account.status);
    Some(json!({
        "id": account.id,
        "name": account.name,
        "sortCode": account.sort_code,
        "accountNumber": account.account_number,
        "provider": account.provider,
        "isDefault": account.is_default,
        "isSandbox": account.is_sandbox,
        "status": status,
        "creationType": if account.is_sandbox { "automatic" } else { "open_banking" },
        "createdAt": "2024-01-01T00:00:00.000Z",
    }))
}

/// The receiving account `bank_account` of `integration`'s company as `bankAccount`, with its
/// `isSandbox`: the last fields of a single payment or a standing order.
fn put_account(
    object: &mut serde_json::Map<String, Value>,
    app: &App,
    ledger: &Ledger,
    integration: &str,
    bank_account: Option<&str>,
) {
    let account = app
        .config
        .fena_integration(integration)
        .zip(bank_account)
        .and_then(|(terminal, id)| account_json(ledger, terminal, id));
    if let Some(account) = account {
        object.insert("isSandbox".into(), account.get("isSandbox").cloned().unwrap_or_default());
        object.insert("bankAccount".into(), account);
    }
}

/// The receiving account for a request: the one named (which must be verified), or the
/// company's default.
fn receiving_account(
    ledger: &Ledger,
    terminal: &FenaTerminal,
    named: Option<&Value>,
    errors: &mut Vec<String>,
) -> Option<String> {
    match named {
        None | Some(Value::Null) => terminal
            .bank_accounts
            .iter()
            .find(|account| account.is_default)
            .or_else(|| terminal.bank_accounts.first())
            .map(|account| account.id.clone()),
        Some(Value::String(id)) => {
            let status = account_json(ledger, terminal, id)
                .and_then(|account| account.get("status")?.as_str().map(str::to_owned));
            match status.as_deref() {
                Some("verified") => Some(id.clone()),
                Some(other) => {
                    errors.push(format!("bankAccount {id} is {other}, not verified"));
                    None
                }
                None => {
                    errors.push(format!("bankAccount {id} is not a bank account of the company"));
                    None
                }
            }
        }
        Some(_) => {
            errors.push("bankAccount must be a string".into());
            None
        }
    }
}

/// The redirect URL with the REST era's two unsigned parameters (`order_id`, `status`).
fn redirect(base: Option<&str>, reference: &str, status: &str) -> Option<String> {
    let mut url = url::Url::parse(base?).ok()?;
    url.query_pairs_mut().append_pair("order_id", reference).append_pair("status", status);
    Some(url.into())
}

/// The Toolkit status of a checkout payment's state.
fn status_word(status: Status, pending: &'static str, paid: &'static str) -> &'static str {
    match status {
        Status::Pending => pending,
        Status::Paid => paid,
        Status::Rejected => "rejected",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_the_docs_write_them() {
        let date = parse_date("2024-01-24T00:00:00Z").unwrap();
        assert_eq!(date_text(date), "2024-01-24T00:00:00.000Z");
        assert_eq!(parse_date("2024-01-24"), Some(date));
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_date("2024-01-24 00:00"), None);
        assert_eq!(parse_date("soon"), None);
    }

    #[test]
    fn ids_look_like_fenas() {
        let mut ledger = Ledger::default();
        let (a, b) = (ledger.new_id(1), ledger.new_id(2));
        assert_ne!(a, b);
        assert!(a.len() == 24 && a.bytes().all(|b| b.is_ascii_hexdigit()), "{a}");
    }
}
