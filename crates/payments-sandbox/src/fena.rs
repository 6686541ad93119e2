//! Fena, from the gateway's side: the JWT pay page `/fena/pay/?token=...`.
//!
//! The token is verified as Fena does (HS512 with the terminal secret, every claim present,
//! not expired, the terminal known) and its amount and strings checked against the documented
//! limits before a checkout is opened. A paid payment is notified with a webhook token signed
//! with the same secret; a rejected one only redirects the payer (Fena sends no webhook).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::StatusCode;
use payments_core::payment::escape_html;
use payments_core::{Currency, GatewayId};
use serde_json::json;

use crate::App;
use crate::deliver::{Encoding, Outgoing};
use crate::state::{Payment, Status};

/// `GET /fena/pay/?token=...`: verifies the link and opens its checkout.
pub async fn pay_page(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(token) = query.get("token") else { return refuse("the link has no token") };
    let mut last_error = String::from("no terminal is configured");
    for terminal in &app.config.fena {
        let config =
            fena::Config::new(terminal.terminal_id.clone(), terminal.terminal_secret.clone());
        match fena::link::PaymentClaims::verify(token, &config) {
            Ok(claims) => return open(&app, &claims),
            Err(error) => last_error = error.to_string(),
        }
    }
    refuse(&last_error)
}

fn open(app: &App, claims: &fena::link::PaymentClaims) -> Response {
    let amount = match fena::amount::parse_amount(&claims.amount) {
        Ok(amount) => amount,
        Err(error) => return refuse(&format!("amount: {error}")),
    };
    if let Err(error) = fena::amount::AmountBounds::default().check(&amount) {
        return refuse(&format!("amount: {error}"));
    }
    let strings = [
        &claims.order_id,
        &claims.email,
        &claims.first_name,
        &claims.last_name,
        &claims.contact_number,
        &claims.bank_id,
    ];
    if strings.iter().any(|value| value.len() > 255) {
        return refuse("a claim is longer than 255 bytes");
    }
    if let Some(existing) = app.store.find(GatewayId::Fena, &claims.terminal_id, &claims.order_id) {
        // The payer opened the same link again.
        return if existing.status == Status::Pending {
            Redirect::to(&format!("/checkout/{}", existing.id)).into_response()
        } else {
            refuse("this order was already paid or rejected")
        };
    }
    let terminal = app.config.fena_terminal(&claims.terminal_id);
    let payment = Payment {
        id: 0,
        gateway: GatewayId::Fena,
        kind: "payment",
        merchant: claims.terminal_id.clone(),
        order_id: claims.order_id.clone(),
        amount: amount.amount(),
        amount_text: claims.amount.clone(),
        currency: Currency::GBP,
        description: None,
        method: (!claims.bank_id.is_empty()).then(|| claims.bank_id.clone()),
        success_url: terminal
            .and_then(|t| redirect(t.redirect_url.as_deref(), &claims.order_id, "executed")),
        failure_url: terminal
            .and_then(|t| redirect(t.redirect_url.as_deref(), &claims.order_id, "rejected")),
        notify_url: terminal.and_then(|t| t.webhook_url.clone()),
        notify_rejected_url: None,
        status: Status::Pending,
        deliveries: Vec::new(),
    };
    match app.store.insert(payment, app.config.unique_order_ids) {
        Some(id) => Redirect::to(&format!("/checkout/{id}")).into_response(),
        None => refuse("this order id was already used"),
    }
}

/// The terminal's redirect endpoint with Fena's two (unsigned) parameters.
fn redirect(base: Option<&str>, order: &str, status: &str) -> Option<String> {
    let mut url = url::Url::parse(base?).ok()?;
    url.query_pairs_mut().append_pair("order", order).append_pair("status", status);
    Some(url.into())
}

fn refuse(reason: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html><html><body><h1>Invalid payment link</h1><p id=\"reason\">{}</p></body></html>",
        escape_html(reason)
    );
    (StatusCode::BAD_REQUEST, Html(page)).into_response()
}

/// The webhook token Fena posts for a paid payment (none for a rejected one).
pub fn notification(app: &App, payment: &Payment) -> Option<Outgoing> {
    if payment.status != Status::Paid {
        return None;
    }
    let terminal = app.config.fena_terminal(&payment.merchant)?;
    let url = terminal.webhook_url.as_deref()?.parse().ok()?;
    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()?;
    let claims = json!({
        "iat": now,
        "exp": now.saturating_add(3600),
        "id": format!("sandbox-{}", payment.id),
        "orderID": payment.order_id,
        "requestAmount": payment.amount_text,
        "netAmount": payment.amount_text,
        "terminal": payment.merchant,
        "completedAt": "2024-01-01 12:00:00",
    });
    let token = fena::sign::sign(&claims, &terminal.terminal_secret).ok()?;
    let body =
        url::form_urlencoded::Serializer::new(String::new()).append_pair("token", &token).finish();
    Some(Outgoing {
        url,
        gateway: GatewayId::Fena,
        body,
        required_answer: None,
        encoding: Encoding::Form,
    })
}
