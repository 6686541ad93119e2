//! The payer's side: a checkout page per payment with Pay and Reject buttons, and the control
//! API that does the same without a browser.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::StatusCode;
use payments_core::AmountStyle;
use payments_core::payment::escape_html;
use serde_json::json;

use crate::App;
use crate::state::{Payment, Status};

/// `GET /checkout/{id}`: the page the payer sees.
pub async fn page(State(app): State<Arc<App>>, Path(id): Path<u64>) -> Response {
    let Some(payment) = app.store.get(id) else {
        return (StatusCode::NOT_FOUND, Html("<h1>No such payment</h1>".to_owned()))
            .into_response();
    };
    Html(render(&payment)).into_response()
}

fn render(payment: &Payment) -> String {
    let amount = AmountStyle::Shortest.render(payment.amount).unwrap_or_default();
    let actions = if payment.status == Status::Pending {
        format!(
            "<form method=\"post\" action=\"/checkout/{id}/pay\"><button id=\"pay\" type=\"submit\">Pay</button></form>\n\
             <form method=\"post\" action=\"/checkout/{id}/reject\"><button id=\"reject\" type=\"submit\">Reject</button></form>",
            id = payment.id
        )
    } else {
        format!("<p id=\"result\">This payment is {:?}.</p>", payment.status).to_lowercase()
    };
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Sandbox checkout</title></head><body>\n\
         <h1>{gateway} sandbox checkout</h1>\n<p>Order <b id=\"order\">{order}</b></p>\n\
         <p>Amount <b id=\"amount\">{amount} {currency}</b></p>\n<p>{description}</p>\n{actions}\n</body></html>\n",
        gateway = escape_html(payment.gateway.as_str()),
        order = escape_html(&payment.order_id),
        currency = payment.currency.code(),
        description = escape_html(payment.description.as_deref().unwrap_or("")),
    )
}

/// `POST /checkout/{id}/pay`: pays, notifies the merchant, sends the payer on.
pub async fn pay(State(app): State<Arc<App>>, Path(id): Path<u64>) -> Response {
    finish(app, id, Status::Paid).await
}

/// `POST /checkout/{id}/reject`: rejects, notifies the merchant, sends the payer on.
pub async fn reject(State(app): State<Arc<App>>, Path(id): Path<u64>) -> Response {
    finish(app, id, Status::Rejected).await
}

async fn finish(app: Arc<App>, id: u64, status: Status) -> Response {
    match app.settle(id, status).await {
        Ok(payment) => {
            let target = match status {
                Status::Paid => payment.success_url.clone(),
                _ => payment.failure_url.clone(),
            };
            Redirect::to(&target.unwrap_or_else(|| format!("/checkout/{id}"))).into_response()
        }
        Err(status) => (status, "cannot settle this payment").into_response(),
    }
}

/// `POST /control/payments/{id}/pay`: as the Pay button, answering JSON.
pub async fn control_pay(State(app): State<Arc<App>>, Path(id): Path<u64>) -> Response {
    control(app, id, Status::Paid).await
}

/// `POST /control/payments/{id}/reject`: as the Reject button, answering JSON.
pub async fn control_reject(State(app): State<Arc<App>>, Path(id): Path<u64>) -> Response {
    control(app, id, Status::Rejected).await
}

async fn control(app: Arc<App>, id: u64, status: Status) -> Response {
    match app.settle(id, status).await {
        Ok(payment) => Json(json!({ "payment": payment })).into_response(),
        Err(status) => {
            (status, Json(json!({ "error": status.canonical_reason() }))).into_response()
        }
    }
}

/// `GET /control/payments`: every payment, with its deliveries.
pub async fn list(State(app): State<Arc<App>>) -> Response {
    Json(json!({ "payments": app.store.all() })).into_response()
}
