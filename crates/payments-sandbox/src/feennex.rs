//! Feennex, from the gateway's side: `/feennex/<endpoint>`.
//!
//! Every request's signature is recomputed from the raw JSON received, over the fields that
//! endpoint signs; a mismatch is answered like Feennex does (HTTP 200, `result: false`, error
//! 10, `Invalid sign, string_to_sign: <string>`).

use std::str::FromStr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use payments_core::money::currency_from_numeric;
use payments_core::payment::escape_html;
use payments_core::webhook::{WebhookRequest, decode_form};
use payments_core::{AmountStyle, Currency, Decimal, GatewayId};
use serde_json::{Value, json};

use crate::App;
use crate::config::FeennexShop;
use crate::deliver::{Encoding, Outgoing};
use crate::feennex_payouts as payouts;
use crate::state::{Payment, Status};

/// The amount range Feennex documents (`min: 1.0`, `max: 100000.0`).
const MIN_AMOUNT: Decimal = Decimal::ONE;
const MAX_AMOUNT: Decimal = Decimal::from_parts(100_000, 0, 0, false, 0);

pub(crate) type Fields = Vec<(String, String)>;

pub(crate) fn ok(data: Value) -> Response {
    Json(json!({"data": data, "error_code": 0, "message": "Ok", "result": true})).into_response()
}

pub(crate) fn fail(code: i64, message: impl Into<String>) -> Response {
    Json(json!({"data": null, "error_code": code, "message": message.into(), "result": false}))
        .into_response()
}

/// The API endpoints the sandbox answers; any other path is answered like a missing page.
const EMULATED: &[&str] = &[
    "bill/create",
    "bill/shop_order_status",
    "invoice/try",
    "invoice/create",
    "invoice/check",
    "shop_balance",
    "transfer/try",
    "transfer/create",
    "transfer/shop_payment_status",
    "withdraw/try",
    "check_account",
    "withdraw/create",
    "withdraw/status",
    "withdraw/shop_payment_status",
];

/// A path that is no API endpoint: HTTP 404 without Feennex's envelope, as a web server
/// answers a missing page. Never error 10, which would tell the caller its parameters were
/// wrong.
fn not_found() -> Response {
    let body = json!({"message": "The requested URL was not found on the server."});
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

pub(crate) fn get<'a>(fields: &'a Fields, key: &str) -> Option<&'a str> {
    fields.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str())
}

/// `POST /feennex/{endpoint}`.
pub async fn endpoint(
    State(app): State<Arc<App>>,
    Path(endpoint): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let endpoint = endpoint.trim_matches('/');
    if !EMULATED.contains(&endpoint) {
        return not_found();
    }
    let mut request = WebhookRequest::new(http::Method::POST, body);
    request.headers = headers;
    // The API takes JSON; the raw tokens are what Feennex signs.
    let fields = match feennex::webhook::callback_fields(&request) {
        Ok(fields) => fields.to_vec(),
        Err(error) => return fail(10, format!("Invalid request: {error}")),
    };
    let Some(signed) = feennex::api::signed_fields(endpoint) else { return not_found() };
    let Some(shop_id) = get(&fields, "shop_id") else { return fail(10, "shop_id is required") };
    let Some(shop) = app.config.feennex_shop(shop_id) else {
        return fail(11, format!("Shop (id = {shop_id}) is not found"));
    };
    for key in signed {
        if get(&fields, key).is_none_or(str::is_empty) {
            return fail(10, format!("{key} is required"));
        }
    }
    let values = signed.iter().filter_map(|key| get(&fields, key).map(|value| (*key, value)));
    let string_to_sign = match feennex::sign::string_to_sign(values) {
        Ok(text) => text,
        Err(error) => return fail(10, error.to_string()),
    };
    let received = get(&fields, "sign").unwrap_or_default();
    if !feennex::sign::verify(&string_to_sign, &shop.secret, received) {
        return fail(10, format!("Invalid sign, string_to_sign: {string_to_sign}"));
    }
    let shop = Shop { id: shop_id.to_owned(), settings: shop.clone() };
    match endpoint {
        "bill/create" => create(&app, &shop, &fields, "bill").await,
        "invoice/create" => create(&app, &shop, &fields, "invoice").await,
        "invoice/try" => price(&fields),
        "bill/shop_order_status" => status(&app, &shop, &fields, "bill"),
        "invoice/check" => status(&app, &shop, &fields, "invoice"),
        "shop_balance" => balance(&app, &shop),
        "transfer/try" => payouts::price_transfer(&app, &shop.id, &fields),
        "transfer/create" => payouts::create_transfer(&app, &shop.id, &fields),
        "transfer/shop_payment_status" => payouts::transfer_status(&app, &shop.id, &fields),
        "withdraw/try" => payouts::price_withdraw(&fields),
        "check_account" => payouts::check_account(&fields),
        "withdraw/create" => payouts::create_withdraw(&app, &shop.id, &fields),
        "withdraw/status" | "withdraw/shop_payment_status" => {
            payouts::withdraw_status(&app, &shop.id, &fields, endpoint)
        }
        _ => not_found(),
    }
}

struct Shop {
    id: String,
    settings: FeennexShop,
}

impl Shop {
    /// The URLs a payment uses: each setting of the shop wins, and a URL in the request is
    /// honoured only when the matching setting is empty (feennex.md §2.1 `bill/create`: "If
    /// you want to pass a URL in the request, remove the value from the corresponding
    /// address in shop settings").
    fn urls(&self, fields: &Fields) -> Urls {
        let pick = |setting: &Option<String>, key: &str| {
            setting
                .clone()
                .filter(|url| !url.is_empty())
                .or_else(|| get(fields, key).filter(|url| !url.is_empty()).map(str::to_owned))
        };
        let settings = &self.settings;
        Urls {
            success: pick(&settings.success_url, "success_url"),
            failure: pick(&settings.failed_url, "failed_url"),
            notify: pick(&settings.callback_url, "callback_url"),
            notify_rejected: pick(&settings.callback_rejected_url, "callback_rejected_url"),
        }
    }
}

/// Where a payment sends the payer and its notifications.
struct Urls {
    success: Option<String>,
    failure: Option<String>,
    notify: Option<String>,
    notify_rejected: Option<String>,
}

/// An error answer: Feennex's code and message.
pub(crate) struct Refusal(pub(crate) i64, pub(crate) String);

impl Refusal {
    pub(crate) fn into_response(self) -> Response {
        fail(self.0, self.1)
    }
}

pub(crate) fn amount_and_currency(
    fields: &Fields,
    amount_key: &str,
    currency_key: &str,
) -> Result<(Decimal, String, Currency), Refusal> {
    let text = get(fields, amount_key).unwrap_or_default();
    let amount = AmountStyle::OneDecimalMinimum
        .parse(text)
        .map_err(|_| Refusal(10, format!("{amount_key} is not a number")))?;
    let feennex_text = |value| AmountStyle::OneDecimalMinimum.render(value).unwrap_or_default();
    if amount < MIN_AMOUNT {
        let message = format!("Payer price amount is too small, min: {}", feennex_text(MIN_AMOUNT));
        return Err(Refusal(4, message));
    }
    if amount > MAX_AMOUNT {
        let message = format!("Payer price amount is too large, max: {}", feennex_text(MAX_AMOUNT));
        return Err(Refusal(5, message));
    }
    let currency = get(fields, currency_key)
        .and_then(|code| u16::from_str(code).ok())
        .and_then(|code| currency_from_numeric(code).ok())
        .ok_or_else(|| Refusal(10, format!("{currency_key} is not a currency")))?;
    Ok((amount, text.to_owned(), currency))
}

async fn create(app: &App, shop: &Shop, fields: &Fields, kind: &'static str) -> Response {
    let (amount_key, currency_key) =
        if kind == "bill" { ("shop_amount", "shop_currency") } else { ("amount", "currency") };
    let (amount, amount_text, currency) =
        match amount_and_currency(fields, amount_key, currency_key) {
            Ok(parsed) => parsed,
            Err(refusal) => return refusal.into_response(),
        };
    let order_id = get(fields, "shop_order_id").unwrap_or_default();
    for (key, limit) in [("shop_order_id", 255), ("description", 255)] {
        if get(fields, key).is_some_and(|value| value.chars().count() > limit) {
            return fail(10, format!("{key} is longer than {limit} characters"));
        }
    }
    let payment = new_payment(shop, fields, kind, (amount, amount_text, currency));
    let Some(id) = app.store.insert(payment, app.config.unique_order_ids) else {
        return fail(6, format!("Shop order id {order_id} is not unique"));
    };
    let checkout = format!("{}/checkout/{id}", app.base_url);
    if kind == "bill" {
        ok(json!({
            "created": "Wed, 10 Apr 2024 14:18:19 GMT", "id": id, "lifetime": 43200, "payer_account": null,
            "payer_currency": get(fields, "payer_currency").and_then(|c| c.parse::<u64>().ok()),
            "payer_price": number(amount), "shop_amount": number(amount), "shop_currency": currency.numeric(),
            "shop_id": shop.id.parse::<u64>().ok(), "shop_order_id": order_id, "shop_refund": number(amount),
            "url": checkout,
        }))
    } else {
        ok(json!({"data": {"payment": id}, "id": id, "method": "GET", "url": checkout}))
    }
}

/// A pending payment for the request's order, with the URLs the shop's settings allow.
fn new_payment(
    shop: &Shop,
    fields: &Fields,
    kind: &'static str,
    (amount, amount_text, currency): (Decimal, String, Currency),
) -> Payment {
    let text = |key: &str| get(fields, key).filter(|value| !value.is_empty()).map(str::to_owned);
    let urls = shop.urls(fields);
    Payment {
        id: 0,
        gateway: GatewayId::Feennex,
        kind,
        merchant: shop.id.clone(),
        order_id: get(fields, "shop_order_id").unwrap_or_default().to_owned(),
        amount,
        amount_text,
        currency,
        description: text("description"),
        method: text("payway"),
        success_url: urls.success,
        failure_url: urls.failure,
        notify_url: urls.notify,
        notify_rejected_url: urls.notify_rejected,
        status: Status::Pending,
        deliveries: Vec::new(),
    }
}

/// The error page of the hosted form: Feennex's code and message, HTTP 400.
fn refuse_form(code: i64, message: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html><html><body><h1>Payment refused</h1>\n\
         <p>Error <b id=\"error_code\">{code}</b>: <span id=\"message\">{}</span></p></body></html>",
        escape_html(message)
    );
    (StatusCode::BAD_REQUEST, Html(page)).into_response()
}

/// `POST /feennex/{en,ru}/pay` (or `GET` with a query): the hosted payment form the payer's
/// browser is sent to (feennex.md §2.3). `amount`, `currency`, `shop_id`, `shop_order_id`
/// and `sign` are required, the sign over those four as received; `description`, `payway`,
/// `payer_account`, `success_url`, `failed_url` and `callback_url` are optional and unsigned.
/// A good form opens the checkout page (303); a bad one is an error page with the API's
/// code and message (10 missing field or wrong sign with the server's string, 11 unknown
/// shop, 4 and 5 amount limits, 6 repeated order id when the shop checks uniqueness). The
/// payment is kept as a bill: read it with `bill/shop_order_status`, notified like a bill.
pub async fn pay_form(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let raw = if body.is_empty() { query.unwrap_or_default().into_bytes() } else { body.to_vec() };
    let fields = match decode_form(&raw) {
        Ok(fields) => fields,
        Err(error) => return refuse_form(10, &format!("Invalid request: {error}")),
    };
    let signed = feennex::api::signed_fields("pay").unwrap_or_default();
    for key in signed.iter().chain(&["sign"]) {
        if get(&fields, key).is_none_or(str::is_empty) {
            return refuse_form(10, &format!("{key} is required"));
        }
    }
    let shop_id = get(&fields, "shop_id").unwrap_or_default();
    let Some(settings) = app.config.feennex_shop(shop_id) else {
        return refuse_form(11, &format!("Shop (id = {shop_id}) is not found"));
    };
    let values = signed.iter().filter_map(|key| get(&fields, key).map(|value| (*key, value)));
    let string_to_sign = match feennex::sign::string_to_sign(values) {
        Ok(text) => text,
        Err(error) => return refuse_form(10, &error.to_string()),
    };
    if !feennex::sign::verify(
        &string_to_sign,
        &settings.secret,
        get(&fields, "sign").unwrap_or_default(),
    ) {
        return refuse_form(10, &format!("Invalid sign, string_to_sign: {string_to_sign}"));
    }
    let parsed = match amount_and_currency(&fields, "amount", "currency") {
        Ok(parsed) => parsed,
        Err(Refusal(code, message)) => return refuse_form(code, &message),
    };
    for (key, limit) in [("shop_order_id", 255), ("description", 255)] {
        if get(&fields, key).is_some_and(|value| value.chars().count() > limit) {
            return refuse_form(10, &format!("{key} is longer than {limit} characters"));
        }
    }
    let shop = Shop { id: shop_id.to_owned(), settings: settings.clone() };
    let payment = new_payment(&shop, &fields, "bill", parsed);
    let order_id = payment.order_id.clone();
    let Some(id) = app.store.insert(payment, app.config.unique_order_ids) else {
        return refuse_form(6, &format!("Shop order id {order_id} is not unique"));
    };
    Redirect::to(&format!("/checkout/{id}")).into_response()
}

fn price(fields: &Fields) -> Response {
    match amount_and_currency(fields, "amount", "currency") {
        Ok((amount, _, currency)) => ok(json!({
            "add_ons_config": null, "info": {}, "manual": {}, "warning": {},
            "payer_price": number(amount), "paymethod_id": 1, "paymethod_name": get(fields, "payway"),
            "ps_currency": currency.numeric(),
        })),
        Err(refusal) => refusal.into_response(),
    }
}

fn status(app: &App, shop: &Shop, fields: &Fields, kind: &str) -> Response {
    let order_id = get(fields, "shop_order_id").unwrap_or_default();
    let found = app
        .store
        .find(GatewayId::Feennex, &shop.id, order_id)
        .filter(|payment| payment.kind == kind);
    let Some(payment) = found else {
        return fail(7, format!("Payment (shop_order_id={order_id}) wasn't found"));
    };
    let status = match (payment.kind, payment.status) {
        ("bill", Status::Pending) => 1,
        ("bill", Status::Paid) => 2,
        ("bill", Status::Rejected) => 3,
        (_, Status::Pending) => 2,
        (_, Status::Paid) => 4,
        (_, Status::Rejected) => 6,
    };
    ok(json!({
        "client_price": number(payment.amount), "created": "2024-10-20 14:01:28", "description": payment.description,
        "is_unique": true, "payment_id": payment.id, "payway": payway(&payment),
        "processed": null, "ps_currency": payment.currency.numeric(), "ps_data": {}, "shop_amount": number(payment.amount),
        "shop_currency": payment.currency.numeric(), "shop_id": shop.id.parse::<u64>().ok(), "shop_order_id": payment.order_id,
        "shop_refund": number(payment.amount), "status": status,
    }))
}

/// `shop_balance`: paid payments less payouts; withdrawals not yet final are `frozen`.
fn balance(app: &App, shop: &Shop) -> Response {
    let balances: Vec<Value> = payouts::balances(app, &shop.id)
        .into_iter()
        .map(|(currency, line)| {
            json!({
                "available": number(line.available), "currency": currency.numeric(),
                "frozen": number(line.frozen), "hold": 0, "rolling_reserve": 0,
            })
        })
        .collect();
    ok(json!({"shop_id": shop.id.parse::<u64>().ok(), "balances": balances}))
}

/// A JSON number with the decimal's exact digits.
pub(crate) fn number(amount: Decimal) -> Value {
    let text = AmountStyle::OneDecimalMinimum.render(amount).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The payway a payment went through: the one asked for, else the Feennex wallet in the
/// payment's currency (`feennex_rub` for a RUB bill, never `feennex_usd` for every bill).
fn payway(payment: &Payment) -> String {
    payment
        .method
        .clone()
        .unwrap_or_else(|| format!("feennex_{}", payment.currency.code().to_ascii_lowercase()))
}

/// The signed, form-encoded callback Feennex sends when a payment is settled.
pub fn notification(app: &App, payment: &Payment) -> Option<Outgoing> {
    let shop = app.config.feennex_shop(&payment.merchant)?;
    let url = match payment.status {
        Status::Paid => payment.notify_url.clone(),
        Status::Rejected => {
            payment.notify_rejected_url.clone().or_else(|| payment.notify_url.clone())
        }
        Status::Pending => None,
    }?;
    let amount = AmountStyle::OneDecimalMinimum.render(payment.amount).ok()?;
    let status = if payment.status == Status::Paid { "success" } else { "rejected" };
    let mut fields: Vec<(String, String)> = [
        ("client_price", amount.as_str()),
        ("created", "2024-12-03 14:39:02"),
        ("payment_id", &payment.id.to_string()),
        ("payway", &payway(payment)),
        ("processed", "2024-12-03 15:47:07"),
        ("ps_currency", &payment.currency.numeric().to_string()),
        ("ps_data", r#"{"ps_payer_account": "201538122124"}"#),
        ("shop_amount", amount.as_str()),
        ("shop_currency", &payment.currency.numeric().to_string()),
        ("shop_id", payment.merchant.as_str()),
        ("shop_order_id", payment.order_id.as_str()),
        ("shop_refund", amount.as_str()),
        ("status", status),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect();
    let sign =
        feennex::webhook::sign_callback(&fields.iter().cloned().collect(), &shop.secret).ok()?;
    fields.push(("sign".to_owned(), sign));
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish();
    Some(Outgoing {
        url: url.parse().ok()?,
        gateway: GatewayId::Feennex,
        body,
        required_answer: None,
        encoding: Encoding::Form,
    })
}
