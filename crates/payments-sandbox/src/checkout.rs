//! The payer's side: a checkout page per payment with Pay and Reject buttons, and the control
//! API that does the same without a browser.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::StatusCode;
use payments_core::{AmountStyle, GatewayId};
use serde_json::json;

use crate::App;
use crate::dashboard::esc;
use crate::state::{EventKind, Payment, Status};

const CSS: &str = include_str!("../assets/checkout.css");

/// `GET /checkout/{id}`: the page the payer sees.
pub async fn page(State(app): State<Arc<App>>, Path(id): Path<u64>) -> Response {
    let Some(payment) = app.store.get(id) else {
        let page = document("No such payment", "<h1>No such payment</h1>");
        return (StatusCode::NOT_FOUND, Html(page)).into_response();
    };
    app.store.note(id, EventKind::CheckoutOpened);
    Html(render(&payment)).into_response()
}

/// A whole page: phone-sized viewport, the checkout's styles.
fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title>\n<style>\n{CSS}</style></head>\n<body>\n{body}\n</body></html>\n",
        title = esc(title),
    )
}

fn render(payment: &Payment) -> String {
    let amount = AmountStyle::Shortest.render(payment.amount).unwrap_or_default();
    let gateway = match payment.gateway {
        GatewayId::Feennex => "Feennex",
        GatewayId::Freekassa => "Freekassa",
        GatewayId::Fena => "Fena",
        _ => payment.gateway.as_str(),
    };
    let actions = if payment.status == Status::Pending {
        format!(
            "<div class=\"actions\">\
             <form method=\"post\" action=\"/checkout/{id}/pay\"><button id=\"pay\" class=\"pay\" type=\"submit\">Pay {amount} {currency}</button></form>\
             <form method=\"post\" action=\"/checkout/{id}/reject\"><button id=\"reject\" class=\"reject\" type=\"submit\">Reject</button></form>\
             </div>",
            id = payment.id,
            amount = esc(&amount),
            currency = esc(payment.currency.code()),
        )
    } else {
        let status = match payment.status {
            Status::Paid => "paid",
            _ => "rejected",
        };
        format!("<p id=\"result\" class=\"result {status}\">This payment is {status}.</p>")
    };
    let description = payment.description.as_deref().map_or_else(String::new, |text| {
        format!("<p class=\"description\" id=\"description\">{}</p>", esc(text))
    });
    let method = payment.method.as_deref().map_or_else(String::new, |method| {
        format!("<div><dt>Method</dt><dd>{}</dd></div>", esc(method))
    });
    let body = format!(
        "<main class=\"card gw-{slug}\">\n<header><span class=\"brand\">{gateway}</span>\
         <span class=\"sandbox\">sandbox checkout</span></header>\n\
         <p class=\"total\">Amount <b id=\"amount\">{amount} {currency}</b></p>\n{description}\n\
         <dl><div><dt>Order</dt><dd><b id=\"order\">{order}</b></dd></div>\
         <div><dt>Merchant</dt><dd>{merchant}</dd></div>{method}</dl>\n{actions}\n\
         <p class=\"note\">A test page of the local payments sandbox: no money moves.</p>\n</main>",
        slug = esc(payment.gateway.as_str()),
        gateway = esc(gateway),
        amount = esc(&amount),
        currency = esc(payment.currency.code()),
        order = esc(&payment.order_id),
        merchant = esc(&payment.merchant),
    );
    document(&format!("{gateway} checkout: order {}", payment.order_id), &body)
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
    answer(app.settle(id, status).await)
}

/// `POST /control/payments/{id}/redeliver`: sends the notification once more, answering
/// JSON with the payment and its deliveries.
pub async fn control_redeliver(State(app): State<Arc<App>>, Path(id): Path<u64>) -> Response {
    answer(app.redeliver(id).await)
}

fn answer(result: Result<Payment, StatusCode>) -> Response {
    match result {
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
