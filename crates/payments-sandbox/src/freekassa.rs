//! Freekassa, from the gateway's side: the payment form `/freekassa/pay/` and API v1
//! `/freekassa/api/v1/<endpoint>`.
//!
//! The form's MD5 is recomputed from the raw query with secret word 1; API requests are
//! checked over their raw JSON values with the API key, and each shop's nonce must grow. A
//! paid order is notified (signed with secret word 2) until the merchant answers exactly
//! `YES`.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use bytes::Bytes;
use http::StatusCode;
use payments_core::payment::escape_html;
use payments_core::signature::verify_hex;
use payments_core::webhook::{decode_form, decode_json_fields};
use payments_core::{AmountStyle, Currency, Decimal, GatewayId};
use serde_json::{Value, json};

use crate::App;
use crate::config::FreekassaShop;
use crate::deliver::Outgoing;
use crate::state::{Payment, Status};

/// The currencies the form takes.
const CURRENCIES: [&str; 5] = ["RUB", "USD", "EUR", "UAH", "KZT"];

fn refuse_page(reason: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html><html><body><h1>Payment refused</h1><p id=\"reason\">{}</p></body></html>",
        escape_html(reason)
    );
    (StatusCode::BAD_REQUEST, Html(page)).into_response()
}

/// `GET /freekassa/pay/?m=..&oa=..&currency=..&o=..&s=..`: checks the form and opens a checkout.
pub async fn form(State(app): State<Arc<App>>, RawQuery(query): RawQuery) -> Response {
    let fields = match decode_form(query.unwrap_or_default().as_bytes()) {
        Ok(fields) => fields,
        Err(error) => return refuse_page(&error.to_string()),
    };
    let get =
        |key: &str| fields.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str());
    let (Some(m), Some(oa), Some(currency), Some(o), Some(s)) =
        (get("m"), get("oa"), get("currency"), get("o"), get("s"))
    else {
        return refuse_page("m, oa, currency, o and s are required");
    };
    let Some(shop) = app.config.freekassa_shop(m) else { return refuse_page("Shop not found") };
    let expected = freekassa::sign::form_signature(m, oa, &shop.secret1, currency, o);
    if !verify_hex(&expected, s) {
        return refuse_page("Wrong signature");
    }
    if !CURRENCIES.contains(&currency) {
        return refuse_page("Unsupported currency");
    }
    for (key, value) in fields.iter().filter(|(key, _)| key.starts_with("us_")) {
        if freekassa::form::check_custom_field(key, value).is_err() {
            return refuse_page(&format!("{key} breaks the us_ field rules"));
        }
    }
    let amount = match AmountStyle::Shortest.parse(oa) {
        Ok(amount) if amount > Decimal::ZERO => amount,
        _ => return refuse_page("Wrong amount"),
    };
    let Ok(currency) = Currency::from_str(currency) else {
        return refuse_page("Unsupported currency");
    };
    let payment = new_payment(shop, o, amount, oa, currency, get("i").map(str::to_owned), None);
    match app.store.insert(payment, app.config.unique_order_ids) {
        Some(id) => Redirect::to(&format!("/checkout/{id}")).into_response(),
        None => refuse_page("This order was already paid for or is being paid"),
    }
}

fn new_payment(
    shop: &FreekassaShop,
    order_id: &str,
    amount: Decimal,
    amount_text: &str,
    currency: Currency,
    method: Option<String>,
    notify_url: Option<String>,
) -> Payment {
    Payment {
        id: 0,
        gateway: GatewayId::Freekassa,
        kind: "order",
        merchant: shop.shop_id.to_string(),
        order_id: order_id.to_owned(),
        amount,
        amount_text: amount_text.to_owned(),
        currency,
        description: None,
        method,
        success_url: shop.success_url.clone(),
        failure_url: shop.failure_url.clone(),
        notify_url: notify_url.or_else(|| shop.notification_url.clone()),
        notify_rejected_url: None,
        status: Status::Pending,
        deliveries: Vec::new(),
    }
}

fn api_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"type": "error", "message": message.into()}))).into_response()
}

/// `POST /freekassa/api/v1/{endpoint}`.
pub async fn api(
    State(app): State<Arc<App>>,
    Path(endpoint): Path<String>,
    body: Bytes,
) -> Response {
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(_) => return api_error(StatusCode::BAD_REQUEST, "Wrong JSON"),
    };
    // The raw values as sent: the signature covers the JSON tokens, not a re-serialisation.
    let Ok(fields) = decode_json_fields(&body) else {
        return api_error(StatusCode::BAD_REQUEST, "Wrong JSON");
    };
    let get =
        |key: &str| fields.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str());
    let Some(shop_id) = get("shopId") else {
        return api_error(StatusCode::BAD_REQUEST, "shopId is required");
    };
    let Some(shop) = app.config.freekassa_shop(shop_id) else {
        return api_error(StatusCode::UNAUTHORIZED, "Shop not found");
    };
    let signed =
        fields.iter().filter(|(key, _)| key != "signature").map(|(k, v)| (k.as_str(), v.as_str()));
    let Ok(string_to_sign) = freekassa::sign::api_string_to_sign(signed) else {
        return api_error(StatusCode::BAD_REQUEST, "Repeated field");
    };
    let expected = freekassa::sign::api_signature(&string_to_sign, &shop.api_key);
    if !verify_hex(&expected, get("signature").unwrap_or_default()) {
        return api_error(StatusCode::UNAUTHORIZED, "Wrong signature");
    }
    let Some(nonce) = get("nonce").and_then(|nonce| nonce.parse::<u64>().ok()) else {
        return api_error(StatusCode::BAD_REQUEST, "nonce is required");
    };
    if !app.freekassa_nonce_grows(shop.shop_id, nonce) {
        return api_error(
            StatusCode::BAD_REQUEST,
            "Wrong nonce: it must be greater than the last one",
        );
    }
    match endpoint.trim_matches('/') {
        "orders/create" => create_order(&app, shop, &parsed),
        "orders" => list_orders(&app, shop, &parsed),
        "balance" => balance(&app, shop),
        other => {
            api_error(StatusCode::BAD_REQUEST, format!("{other} is not emulated by the sandbox"))
        }
    }
}

fn create_order(app: &App, shop: &FreekassaShop, body: &Value) -> Response {
    let text =
        |key: &str| body.get(key).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned));
    let (Some(payment_id), Some(amount_text), Some(currency)) =
        (text("paymentId"), text("amount"), text("currency"))
    else {
        return api_error(StatusCode::BAD_REQUEST, "paymentId, amount and currency are required");
    };
    let amount = match AmountStyle::Shortest.parse(&amount_text) {
        Ok(amount) if amount > Decimal::ZERO => amount,
        _ => return api_error(StatusCode::BAD_REQUEST, "Wrong amount"),
    };
    let Some(currency) = CURRENCIES
        .contains(&currency.as_str())
        .then(|| Currency::from_str(&currency).ok())
        .flatten()
    else {
        return api_error(StatusCode::BAD_REQUEST, "Unsupported currency");
    };
    let payment = new_payment(
        shop,
        &payment_id,
        amount,
        &amount_text,
        currency,
        text("i"),
        text("notification_url"),
    );
    let Some(id) = app.store.insert(payment, app.config.unique_order_ids) else {
        return api_error(StatusCode::BAD_REQUEST, "Order with this paymentId already exists");
    };
    Json(json!({
        "type": "success", "orderId": id, "orderHash": format!("{id:032x}"),
        "location": format!("{}/checkout/{id}", app.base_url),
    }))
    .into_response()
}

fn list_orders(app: &App, shop: &FreekassaShop, body: &Value) -> Response {
    let merchant = shop.shop_id.to_string();
    let wanted = body.get("paymentId").and_then(Value::as_str);
    let orders: Vec<Value> = app
        .store
        .all()
        .into_iter()
        .filter(|p| p.gateway == GatewayId::Freekassa && p.merchant == merchant)
        .filter(|p| wanted.is_none_or(|id| p.order_id == id))
        .map(|p| {
            let status = match p.status {
                Status::Pending => 0,
                Status::Paid => 1,
                Status::Rejected => 9,
            };
            json!({
                "merchant_order_id": p.order_id, "fk_order_id": p.id, "amount": number(p.amount),
                "currency": p.currency.code(), "email": null, "account": null,
                "date": "2024-01-01 12:00:00", "status": status,
            })
        })
        .collect();
    Json(json!({"type": "success", "pages": 1, "orders": orders})).into_response()
}

fn balance(app: &App, shop: &FreekassaShop) -> Response {
    let merchant = shop.shop_id.to_string();
    let mut totals: HashMap<&'static str, Decimal> = HashMap::new();
    for payment in app.store.all() {
        if payment.gateway == GatewayId::Freekassa
            && payment.merchant == merchant
            && payment.status == Status::Paid
        {
            let total = totals.entry(payment.currency.code()).or_insert(Decimal::ZERO);
            *total = total.checked_add(payment.amount).unwrap_or(*total);
        }
    }
    let balance: Vec<Value> = totals
        .into_iter()
        .map(|(currency, value)| json!({"currency": currency, "value": number(value)}))
        .collect();
    Json(json!({"type": "success", "balance": balance})).into_response()
}

fn number(amount: Decimal) -> Value {
    serde_json::from_str(&AmountStyle::Shortest.render(amount).unwrap_or_default())
        .unwrap_or(Value::Null)
}

/// The notification Freekassa sends for a paid order (none for others), repeated until the
/// merchant answers `YES`.
pub fn notification(app: &App, payment: &Payment) -> Option<Outgoing> {
    if payment.status != Status::Paid {
        return None;
    }
    let shop = app.config.freekassa_shop(&payment.merchant)?;
    let url = payment.notify_url.as_deref()?.parse().ok()?;
    let config = freekassa::Config::new(shop.shop_id).with_secret2(shop.secret2.clone());
    let intid = payment.id.to_string();
    let cur_id = payment.method.clone().unwrap_or_else(|| "36".to_owned());
    let extra = [
        ("intid", intid.as_str()),
        ("CUR_ID", cur_id.as_str()),
        ("P_EMAIL", "payer@example.com"),
        ("commission", "0"),
    ];
    let body = freekassa::webhook::signed_notification_body(
        &config,
        &payment.amount_text,
        &payment.order_id,
        &extra,
    )
    .ok()?;
    Some(Outgoing { url, gateway: GatewayId::Freekassa, body, required_answer: Some("YES") })
}
