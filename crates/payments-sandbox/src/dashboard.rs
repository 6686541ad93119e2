//! The dashboard at `/`: every payment, payout and refund of every gateway, newest first,
//! with its timeline, the notification requests sent and the merchant's answers, and buttons
//! for the control API, and a faults panel (a plain form posting to `/control/faults`, the
//! pending faults, a "Clear faults" form). The page polls `/dashboard/items` (the same list
//! as HTML) and `/dashboard/faults` every second; `/control/dashboard` is the list as JSON.
//!
//! Every value is escaped with `html-escape` (attribute-safe: `&`, `<`, `>`, `"`, `'`).
//! Payouts and refunds carry no time in their ledgers: they are dated when the sandbox first
//! sees them, after the API request that made them (see [`observe`]).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use payments_core::{AmountStyle, Decimal, GatewayId};
use serde::Serialize;
use serde_json::json;

use crate::faults::NOTIFICATION_ENDPOINT;
use crate::state::{Delivery, EventKind, Payment, Status, Timeline, next_sequence, now_ms};
use crate::{App, PendingFault};

const CSS: &str = include_str!("../assets/dashboard.css");
const SCRIPT: &str = include_str!("../assets/dashboard.js");

/// A payout or refund as its gateway's ledger holds it.
#[derive(Debug, Clone)]
pub struct LedgerEntry {
    /// The gateway.
    pub gateway: GatewayId,
    /// `transfer`, `withdraw` (Feennex), `withdrawal`, `refund` (Freekassa).
    pub kind: &'static str,
    /// The gateway's id for it.
    pub id: u64,
    /// The shop.
    pub merchant: String,
    /// The shop's reference (`shop_payment_id`, `paymentId`, the refunded order).
    pub reference: String,
    /// The payee's account, when there is one.
    pub account: String,
    /// The amount.
    pub amount: Decimal,
    /// The currency code.
    pub currency: String,
    /// The status in words, with the gateway's code.
    pub status: String,
    /// Whether the control API can still settle it.
    pub in_progress: bool,
}

impl LedgerEntry {
    fn key(&self) -> String {
        format!("{}-{}-{}", self.gateway.as_str(), self.kind, self.id)
    }
}

/// A line of a timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// What happened.
    pub what: String,
}

/// A button: a `POST` to the control API.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    /// The button's text.
    pub label: &'static str,
    /// The control API path.
    pub path: String,
}

/// One row of the dashboard.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// Unique over the dashboard (`payment-3`, `feennex-withdraw-1`).
    pub key: String,
    /// The gateway.
    pub gateway: GatewayId,
    /// What the gateway calls it.
    pub kind: String,
    /// The id the gateway gave it.
    pub id: u64,
    /// The shop or terminal.
    pub merchant: String,
    /// The shop's order or payment id.
    pub reference: String,
    /// The amount as the merchant sent it.
    pub amount: String,
    /// The currency code.
    pub currency: String,
    /// Where it stands.
    pub status: String,
    /// When it was created (or first seen), in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// What happened to it, oldest first.
    pub timeline: Vec<Line>,
    /// The notification attempts, with the request and the answer.
    pub deliveries: Vec<Delivery>,
    /// The notification's retry schedule in words.
    pub schedule: Option<String>,
    /// When the next automatic notification attempt is due.
    pub next_attempt_at_ms: Option<u64>,
    /// What can be done with it now.
    pub actions: Vec<Action>,
    /// The payer's checkout page, for a payment.
    pub checkout_path: Option<String>,
    /// Orders items created within one millisecond.
    #[serde(skip)]
    sequence: u64,
}

/// Dates new payouts and refunds: records when each ledger entry was first seen.
pub fn observe(app: &App) {
    let entries = ledger_entries(app);
    let Ok(mut seen) = app.seen.lock() else { return };
    let now = now_ms();
    for entry in entries {
        seen.entry(entry.key()).or_insert_with(|| (now, next_sequence()));
    }
}

/// Middleware: [`observe`] after every request, so a payout is dated by the request that
/// made it.
pub async fn observe_after(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    observe(&app);
    response
}

fn ledger_entries(app: &App) -> Vec<LedgerEntry> {
    let mut entries = crate::feennex_payouts::ledger_entries(app);
    entries.extend(crate::freekassa::ledger_entries(app));
    entries
}

/// Every item, newest first.
pub fn items(app: &App) -> Vec<Item> {
    observe(app);
    let seen: HashMap<String, (u64, u64)> = app.seen.lock().map(|s| s.clone()).unwrap_or_default();
    let mut items: Vec<Item> = app
        .store
        .all_with_timelines()
        .into_iter()
        .map(|(payment, timeline)| payment_item(payment, timeline))
        .collect();
    items.extend(ledger_entries(app).into_iter().map(|entry| {
        let (created_at_ms, sequence) = seen.get(&entry.key()).copied().unwrap_or((now_ms(), 0));
        ledger_item(entry, created_at_ms, sequence)
    }));
    items.sort_by(|a, b| b.sequence.cmp(&a.sequence).then_with(|| b.key.cmp(&a.key)));
    items
}

fn payment_item(payment: Payment, timeline: Timeline) -> Item {
    let mut lines: Vec<Line> = timeline
        .events
        .iter()
        .map(|event| Line {
            at_ms: event.at_ms,
            what: match event.kind {
                EventKind::Created => format!("created ({})", payment.kind),
                EventKind::CheckoutOpened => "checkout page opened".to_owned(),
                EventKind::Paid => "paid".to_owned(),
                EventKind::Rejected => "rejected".to_owned(),
                EventKind::RedeliveryRequested => "redelivery requested".to_owned(),
            },
        })
        .collect();
    lines.extend(payment.deliveries.iter().map(|delivery| Line {
        at_ms: delivery.sent_at_ms,
        what: format!("notification attempt {}: {}", delivery.attempt, outcome(delivery)),
    }));
    if let Some(at_ms) = timeline.next_attempt_at_ms {
        lines.push(Line { at_ms, what: "next notification attempt scheduled".to_owned() });
    }
    lines.sort_by_key(|line| line.at_ms);
    let mut actions = Vec::new();
    let control = |action: &str| format!("/control/payments/{}/{action}", payment.id);
    if payment.status == Status::Pending {
        actions.push(Action { label: "Pay", path: control("pay") });
        actions.push(Action { label: "Reject", path: control("reject") });
    } else if !payment.deliveries.is_empty() || timeline.schedule.is_some() {
        actions.push(Action { label: "Redeliver", path: control("redeliver") });
    }
    Item {
        key: format!("payment-{}", payment.id),
        gateway: payment.gateway,
        kind: payment.kind.to_owned(),
        id: payment.id,
        merchant: payment.merchant,
        reference: payment.order_id,
        amount: payment.amount_text,
        currency: payment.currency.code().to_owned(),
        status: match payment.status {
            Status::Pending => "pending",
            Status::Paid => "paid",
            Status::Rejected => "rejected",
        }
        .to_owned(),
        created_at_ms: timeline.events.first().map_or(0, |event| event.at_ms),
        timeline: lines,
        deliveries: payment.deliveries,
        schedule: timeline.schedule,
        next_attempt_at_ms: timeline.next_attempt_at_ms,
        actions,
        checkout_path: Some(format!("/checkout/{}", payment.id)),
        sequence: timeline.sequence,
    }
}

fn ledger_item(entry: LedgerEntry, created_at_ms: u64, sequence: u64) -> Item {
    let mut actions = Vec::new();
    if entry.in_progress {
        let (base, no) = match entry.gateway {
            GatewayId::Freekassa => ("/control/freekassa/withdrawals", "cancel"),
            _ => ("/control/feennex/payouts", "reject"),
        };
        actions.push(Action { label: "Settle as paid", path: format!("{base}/{}/pay", entry.id) });
        let label = if no == "cancel" { "Cancel" } else { "Reject" };
        actions.push(Action { label, path: format!("{base}/{}/{no}", entry.id) });
    }
    let mut what = format!("created ({})", entry.kind);
    if !entry.account.is_empty() {
        let _ = write!(what, " to {}", entry.account);
    }
    Item {
        key: entry.key(),
        gateway: entry.gateway,
        kind: entry.kind.to_owned(),
        id: entry.id,
        merchant: entry.merchant,
        reference: entry.reference,
        amount: AmountStyle::Shortest.render(entry.amount).unwrap_or_default(),
        currency: entry.currency,
        status: entry.status,
        created_at_ms,
        timeline: vec![Line { at_ms: created_at_ms, what }],
        deliveries: Vec::new(),
        schedule: None,
        next_attempt_at_ms: None,
        actions,
        checkout_path: None,
        sequence,
    }
}

fn outcome(delivery: &Delivery) -> String {
    let verdict = if delivery.accepted { "accepted" } else { "refused" };
    let manual = if delivery.manual { ", redelivered" } else { "" };
    if let Some(fault) = &delivery.fault {
        return if fault == "lose_answer" {
            format!(
                "answer lost by fault: lose_answer (sent, {} ms), refused{manual}",
                delivery.latency_ms
            )
        } else {
            format!("dropped by fault: {fault}, the merchant was not reached{manual}")
        };
    }
    match delivery.status {
        Some(status) => format!("HTTP {status} in {} ms, {verdict}{manual}", delivery.latency_ms),
        None => format!("no answer after {} ms{manual}", delivery.latency_ms),
    }
}

/// `2026-11-29 20:04:22.123 UTC`.
pub fn time_text(at_ms: u64) -> String {
    let nanos = i128::from(at_ms).saturating_mul(1_000_000);
    let format = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3] UTC"
    );
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|at| at.format(&format).ok())
        .unwrap_or_else(|| at_ms.to_string())
}

/// Escapes text for HTML content and quoted attributes.
pub fn esc(text: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_quoted_attribute(text)
}

/// The items as HTML, the part of the page the script refreshes.
pub fn render_items(items: &[Item]) -> String {
    let mut html = String::new();
    if items.is_empty() {
        html.push_str(
            "<p class=\"empty\">No payments, payouts or refunds yet. Create one through a gateway API.</p>\n",
        );
    }
    for item in items {
        render_item(&mut html, item);
    }
    html
}

fn render_item(html: &mut String, item: &Item) {
    let key = esc(&item.key);
    let _ = write!(
        html,
        "<article class=\"item\" id=\"{key}\" data-status=\"{status}\">\n<header>\
         <span class=\"gateway gw-{gateway}\">{gateway}</span>\
         <span class=\"kind\">{kind} #{id}</span>\
         <span class=\"ref\" title=\"the shop's reference\">{reference}</span>\
         <span class=\"money\">{amount} {currency}</span>\
         <span class=\"badge st-{status}\">{status}</span>\
         <time>{created}</time></header>\n",
        gateway = esc(item.gateway.as_str()),
        kind = esc(&item.kind),
        id = item.id,
        reference = esc(&item.reference),
        amount = esc(&item.amount),
        currency = esc(&item.currency),
        status = esc(&item.status),
        created = esc(&time_text(item.created_at_ms)),
    );
    let _ = write!(html, "<p class=\"meta\">merchant {}", esc(&item.merchant));
    if let Some(path) = &item.checkout_path {
        let _ = write!(html, " · <a href=\"{}\" target=\"_blank\">checkout page</a>", esc(path));
    }
    if let Some(last) = item.deliveries.last() {
        let _ = write!(
            html,
            " · <span class=\"last-delivery\">notification: {} (attempt {})</span>",
            esc(&outcome(last)),
            last.attempt
        );
    }
    if let Some(next) = item.next_attempt_at_ms {
        let _ = write!(
            html,
            " · <span class=\"next-attempt\">next attempt at {}</span>",
            esc(&time_text(next))
        );
    }
    html.push_str("</p>\n");
    if !item.actions.is_empty() {
        html.push_str("<div class=\"actions\">");
        for action in &item.actions {
            let name = action.label.to_ascii_lowercase().replace(' ', "-");
            let _ = write!(
                html,
                "<button type=\"button\" id=\"{name}-{key}\" data-post=\"{path}\">{label}</button>",
                name = esc(&name),
                path = esc(&action.path),
                label = esc(action.label),
            );
        }
        html.push_str("</div>\n");
    }
    let _ = write!(
        html,
        "<details data-key=\"{key}\"><summary>Timeline ({} events, {} notification attempts)</summary>\n<ol class=\"timeline\">",
        item.timeline.len(),
        item.deliveries.len()
    );
    for line in &item.timeline {
        let _ = write!(
            html,
            "<li><time>{}</time> {}</li>",
            esc(&time_text(line.at_ms)),
            esc(&line.what)
        );
    }
    html.push_str("</ol>\n");
    if let Some(schedule) = &item.schedule {
        let _ = writeln!(html, "<p class=\"schedule\">Retry schedule: {}</p>", esc(schedule));
    }
    for delivery in &item.deliveries {
        render_delivery(html, &key, delivery);
    }
    html.push_str("</details>\n</article>\n");
}

fn render_delivery(html: &mut String, key: &str, delivery: &Delivery) {
    let status = delivery.status.map_or_else(|| "none".to_owned(), |status| status.to_string());
    let _ = write!(
        html,
        "<section class=\"delivery {verdict}\" id=\"{key}-attempt-{attempt}\" data-attempt=\"{attempt}\" \
         data-http-status=\"{status}\" data-fault=\"{fault}\">\n<h4>Attempt {attempt} at {at}: {outcome}</h4>\n",
        verdict = if delivery.accepted { "accepted" } else { "refused" },
        fault = esc(delivery.fault.as_deref().unwrap_or("")),
        attempt = delivery.attempt,
        at = esc(&time_text(delivery.sent_at_ms)),
        outcome = esc(&outcome(delivery)),
    );
    let request = &delivery.request;
    let mut sent = format!("{} {}\n", request.method, request.url);
    for (name, value) in &request.headers {
        let _ = writeln!(sent, "{name}: {value}");
    }
    let _ = write!(sent, "\n{}", request.body);
    let _ = writeln!(
        html,
        "<div class=\"exchange\"><div><b>Request sent</b><pre>{}</pre></div>\
         <div><b>Merchant's answer</b> ({})<pre>{}</pre></div></div>",
        esc(&sent),
        esc(&match &delivery.fault {
            Some(fault) => format!("none to the sandbox: fault {fault}"),
            None => format!("HTTP {status}, {} ms", delivery.latency_ms),
        }),
        esc(&delivery.answer),
    );
    if let Some(next) = delivery.next_attempt_at_ms {
        let _ = writeln!(
            html,
            "<p class=\"next\">Next attempt scheduled at {}</p>",
            esc(&time_text(next))
        );
    }
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(request.body.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    if !fields.is_empty() {
        let _ = write!(
            html,
            "<details class=\"fields\" data-key=\"{key}-attempt-{}-fields\"><summary>Body fields, decoded ({})</summary><table>",
            delivery.attempt,
            fields.len()
        );
        for (name, value) in &fields {
            let _ = write!(html, "<tr><th>{}</th><td>{}</td></tr>", esc(name), esc(value));
        }
        html.push_str("</table></details>\n");
    }
    html.push_str("</section>\n");
}

/// `GET /`: the dashboard.
pub async fn page(State(app): State<Arc<App>>) -> Html<String> {
    let items = render_items(&items(&app));
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Payments sandbox</title>\n<style>\n{CSS}</style></head>\n<body>\n\
         <header class=\"top\"><h1>Payments sandbox</h1><p>Feennex, Freekassa and Fena: every payment, \
         payout and refund, newest first. <span id=\"live\">Updates every second.</span></p>\
         <p id=\"flash\" role=\"status\"></p></header>\n{panel}\
         <main id=\"items\">\n{items}</main>\n<script>\n{SCRIPT}</script>\n</body></html>\n",
        panel = faults_panel(&app.faults.list()),
    ))
}

/// The faults panel: a plain form posting to `/control/faults`, the pending faults and a
/// form clearing them (`POST /control/faults/clear`). Both forms come back to `/`.
fn faults_panel(pending: &[PendingFault]) -> String {
    let option = |value: &str| format!("<option value=\"{0}\">{0}</option>", esc(value));
    let gateways: String = ["feennex", "freekassa", "fena"].map(option).concat();
    let kinds: String = ["timeout", "status", "gateway_error", "lose_answer"].map(option).concat();
    format!(
        "<section class=\"faults\" id=\"faults-panel\"><h2>Faults on demand</h2>\n\
         <form id=\"fault-form\" method=\"post\" action=\"/control/faults\">\
         <label>Gateway <select id=\"fault-gateway\" name=\"gateway\">{gateways}</select></label>\
         <label>Endpoint <input id=\"fault-endpoint\" name=\"endpoint\" required \
         placeholder=\"withdraw/create or {notification}\" title=\"the path after /gateway/, or its end; \
         {notification} for the merchant's notifications\"></label>\
         <label>Kind <select id=\"fault-kind\" name=\"kind\">{kinds}</select></label>\
         <label>Times <input id=\"fault-times\" name=\"times\" type=\"number\" min=\"1\" value=\"1\"></label>\
         <label>Status <input id=\"fault-status\" name=\"status\" type=\"number\" min=\"400\" max=\"599\" placeholder=\"503\"></label>\
         <label>Code <input id=\"fault-code\" name=\"code\" type=\"number\" placeholder=\"10\"></label>\
         <label>Message <input id=\"fault-message\" name=\"message\" placeholder=\"sandbox fault\"></label>\
         <label>Delay ms <input id=\"fault-delay\" name=\"delay_ms\" type=\"number\" min=\"0\" placeholder=\"60000\"></label>\
         <button id=\"inject-fault\" type=\"submit\">Inject fault</button></form>\n\
         <div id=\"faults\">{list}</div>\n\
         <form id=\"clear-faults-form\" method=\"post\" action=\"/control/faults/clear\">\
         <button id=\"clear-faults\" type=\"submit\">Clear faults</button></form></section>\n",
        notification = esc(NOTIFICATION_ENDPOINT),
        list = render_faults(pending),
    )
}

/// The pending faults, each with its remaining count: the part of the panel the script
/// refreshes.
pub fn render_faults(pending: &[PendingFault]) -> String {
    if pending.is_empty() {
        return "<p class=\"empty\" id=\"no-faults\">No faults pending.</p>".to_owned();
    }
    let mut html = String::from("<ul id=\"faults-pending\">");
    for fault in pending {
        let mut details = Vec::new();
        if let Some(status) = fault.status {
            details.push(format!("HTTP {status}"));
        }
        if let Some(code) = fault.code {
            details.push(format!("code {code}"));
        }
        if let Some(message) = &fault.message {
            details.push(format!("message {message:?}"));
        }
        if let Some(delay) = fault.delay_ms {
            details.push(format!("delay {delay} ms"));
        }
        let details =
            if details.is_empty() { String::new() } else { format!(" ({})", details.join(", ")) };
        let _ = write!(
            html,
            "<li class=\"fault\" data-gateway=\"{gateway}\" data-endpoint=\"{endpoint}\" \
             data-kind=\"{kind}\" data-remaining=\"{remaining}\"><b>{gateway}</b> \
             <code>{endpoint}</code>: {kind}{details}, <span class=\"remaining\">{remaining} remaining</span></li>",
            gateway = esc(fault.gateway.as_str()),
            endpoint = esc(&fault.endpoint),
            kind = esc(fault.kind),
            details = esc(&details),
            remaining = fault.remaining,
        );
    }
    html.push_str("</ul>");
    html
}

/// `GET /dashboard/faults`: the pending faults as HTML (what the script polls with the list).
pub async fn faults_fragment(State(app): State<Arc<App>>) -> Html<String> {
    Html(render_faults(&app.faults.list()))
}

/// `GET /dashboard/items`: the list the page shows, as HTML (what the script polls).
pub async fn fragment(State(app): State<Arc<App>>) -> Html<String> {
    Html(render_items(&items(&app)))
}

/// `GET /control/dashboard`: the list as JSON.
pub async fn json(State(app): State<Arc<App>>) -> Response {
    Json(json!({ "items": items(&app) })).into_response()
}
