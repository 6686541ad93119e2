//! Freekassa, from the gateway's side: the payment form `/freekassa/pay/` and API v1
//! `/freekassa/api/v1/<endpoint>`.
//!
//! The form's MD5 is recomputed from the raw query with secret word 1; API requests are
//! checked with the API key over the values as the PHP server reads them (see [`php_string`]),
//! and each shop's nonce must grow. A paid order is notified (signed with secret word 2)
//! until the merchant answers exactly `YES`.
//!
//! What the gateway keeps beside the shared payment store (the e-mail, the `us_*` fields and
//! the creation time of each order, refunds and payouts) is in [`Ledger`].

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

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
use crate::deliver::{Encoding, Outgoing};
use crate::state::{Payment, Status};

/// The currencies the form and the API take, in the order `balance` lists them.
const CURRENCIES: [&str; 5] = ["RUB", "USD", "EUR", "UAH", "KZT"];

/// Orders or payouts per page of `orders` and `withdrawals` (not documented).
pub const PAGE_SIZE: usize = 10;

/// The payment systems every sandbox shop has (`currencies`): id, name, currency, enabled.
/// Ids and names from the documentation's list (freekassa.md §5.2); Yoomoney is disabled so
/// that `currencies/{id}/status` has an unavailable system to answer for.
const PAYMENT_SYSTEMS: [(u32, &str, &str, bool); 6] = [
    (4, "VISA RUB", "RUB", true),
    (6, "Yoomoney", "RUB", false),
    (12, "МИР", "RUB", true),
    (36, "Card RUB API", "RUB", true),
    (42, "СБП", "RUB", true),
    (44, "СБП (API)", "RUB", true),
];

/// The payout methods (`withdrawals/currencies`): id, name, min, max, currency, can exchange.
/// The first is the documentation's example (freekassa.md §4.5).
const PAYOUT_METHODS: [(u32, &str, u64, u64, &str, bool); 2] =
    [(4, "VISA", 100, 15000, "RUB", true), (1, "FK WALLET RUB", 10, 500_000, "RUB", false)];

/// What Freekassa keeps about an order beside the shared payment.
#[derive(Debug, Clone, Default)]
struct OrderExtra {
    email: Option<String>,
    custom: Vec<(String, String)>,
    date: String,
    refund_id: Option<u64>,
}

/// A payout.
#[derive(Debug, Clone)]
struct Withdrawal {
    id: u64,
    shop_id: u64,
    payment_id: Option<String>,
    method: u32,
    account: String,
    amount: Decimal,
    currency: &'static str,
    date: String,
    /// 0 new, 1 paid, 9 cancelled (the order codes; payout codes are not documented).
    status: u64,
}

/// A subscription: what `orders/create` with `recurrent = "Y"` starts (freekassa.md §5.3).
#[derive(Debug, Clone)]
struct Recurrent {
    /// `recurrent_order.id`, what repeat charges send as `recurrent_order_id`.
    id: u64,
    shop_id: u64,
    /// The sandbox id of the first order, which the payer must pay before any repeat charge.
    first_order: u64,
}

/// Freekassa's own state: order details, refunds, payouts and subscriptions.
#[derive(Debug, Default)]
pub struct Ledger {
    orders: HashMap<u64, OrderExtra>,
    withdrawals: Vec<Withdrawal>,
    refunds: u64,
    recurrents: Vec<Recurrent>,
}

/// `YYYY-MM-DD HH:MM:SS`, Moscow time (UTC+3), as Freekassa dates orders.
fn now_text() -> String {
    date_text(0)
}

/// [`now_text`] `ahead_days` days from now.
fn date_text(ahead_days: u64) -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let secs = secs.saturating_add(3 * 3600).saturating_add(ahead_days.saturating_mul(86_400));
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm), in integers.
    let z = days.cast_signed().saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

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
    let mut custom = Vec::new();
    for (key, value) in fields.iter().filter(|(key, _)| key.starts_with("us_")) {
        if freekassa::form::check_custom_field(key, value).is_err() {
            return refuse_page(&format!("{key} breaks the us_ field rules"));
        }
        custom.push((key.clone(), value.clone()));
    }
    let amount = match AmountStyle::Shortest.parse(oa) {
        Ok(amount) if amount > Decimal::ZERO => amount,
        _ => return refuse_page("Wrong amount"),
    };
    let Ok(currency) = Currency::from_str(currency) else {
        return refuse_page("Unsupported currency");
    };
    let urls = Urls::default();
    let payment = new_payment(shop, o, amount, oa, currency, get("i").map(str::to_owned), urls);
    let Some(id) = app.store.insert(payment, app.config.unique_order_ids) else {
        return refuse_page("This order was already paid for or is being paid");
    };
    let extra = OrderExtra {
        email: get("em").filter(|em| !em.is_empty()).map(str::to_owned),
        custom,
        date: now_text(),
        refund_id: None,
    };
    if let Ok(mut ledger) = app.freekassa.lock() {
        ledger.orders.insert(id, extra);
    }
    Redirect::to(&format!("/checkout/{id}")).into_response()
}

/// The URL overrides `orders/create` takes.
#[derive(Debug, Default)]
struct Urls {
    success: Option<String>,
    failure: Option<String>,
    notification: Option<String>,
}

fn new_payment(
    shop: &FreekassaShop,
    order_id: &str,
    amount: Decimal,
    amount_text: &str,
    currency: Currency,
    method: Option<String>,
    urls: Urls,
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
        success_url: urls.success.or_else(|| shop.success_url.clone()),
        failure_url: urls.failure.or_else(|| shop.failure_url.clone()),
        notify_url: urls.notification.or_else(|| shop.notification_url.clone()),
        notify_rejected_url: None,
        status: Status::Pending,
        deliveries: Vec::new(),
    }
}

fn api_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"type": "error", "message": message.into()}))).into_response()
}

fn bad_request(message: impl Into<String>) -> Response {
    api_error(StatusCode::BAD_REQUEST, message)
}

/// The API v1 methods (freekassa.md §4.5).
#[derive(Debug, Clone, Copy)]
enum Endpoint {
    Orders,
    OrdersCreate,
    OrdersRefund,
    Withdrawals,
    WithdrawalsCreate,
    WithdrawalsCurrencies,
    Balance,
    Currencies,
    /// `currencies/{id}/status`, with the id as written in the path.
    CurrencyStatus,
    Shops,
}

impl Endpoint {
    fn parse(path: &str) -> Option<Self> {
        Some(match path {
            "orders" => Self::Orders,
            "orders/create" => Self::OrdersCreate,
            "orders/refund" => Self::OrdersRefund,
            "withdrawals" => Self::Withdrawals,
            "withdrawals/create" => Self::WithdrawalsCreate,
            "withdrawals/currencies" => Self::WithdrawalsCurrencies,
            "balance" => Self::Balance,
            "currencies" => Self::Currencies,
            "shops" => Self::Shops,
            other => {
                let id = other.strip_prefix("currencies/")?.strip_suffix("/status")?;
                if id.is_empty() || id.contains('/') {
                    return None;
                }
                Self::CurrencyStatus
            }
        })
    }
}

/// A JSON value as PHP's `(string)` conversion writes the value `json_decode` made of it:
/// what Freekassa's server signs (freekassa.md §4.2). Strings are themselves; `true` is `1`,
/// `false` and `null` are empty; an integer that fits 64 bits is as written; any other number
/// is a PHP float, written with 14 significant digits, without a trailing `.0`, and in
/// `1.0E+25` notation below 1e-4 or from 1e15 up; arrays and objects are `Array`.
///
/// `raw` is the value's JSON text. No floating point is used: the digits are rounded as
/// decimal text, which for the amounts shops send is what PHP prints.
pub fn php_string(value: &Value, raw: &str) -> String {
    match value {
        Value::String(_) => raw.to_owned(),
        Value::Bool(true) => "1".to_owned(),
        Value::Bool(false) | Value::Null => String::new(),
        Value::Array(_) | Value::Object(_) => "Array".to_owned(),
        Value::Number(_) => {
            let integer = raw.bytes().all(|b| b.is_ascii_digit() || b == b'-');
            if integer && raw.parse::<i64>().is_ok() {
                raw.to_owned()
            } else {
                php_float(raw).unwrap_or_else(|| raw.to_owned())
            }
        }
    }
}

/// PHP's `(string)` of a float written as the JSON number `raw` (`precision` = 14, `%.14G`).
fn php_float(raw: &str) -> Option<String> {
    let (negative, rest) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (rest.get(..at)?, rest.get(at + 1..)?.parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = int_part.chars().chain(frac_part.chars()).collect();
    // value = 0.<digits> * 10^point
    let mut point = i64::try_from(int_part.len()).ok()?.checked_add(exponent)?;
    let leading = digits.bytes().take_while(|b| *b == b'0').count();
    let mut significant: Vec<u8> = digits.bytes().skip(leading).map(|b| b - b'0').collect();
    point = point.checked_sub(i64::try_from(leading).ok()?)?;
    if significant.is_empty() {
        return Some(if negative { "-0" } else { "0" }.to_owned());
    }
    if significant.len() > 14 {
        let round_up = significant.get(14).is_some_and(|digit| *digit >= 5);
        significant.truncate(14);
        if round_up {
            let mut at = significant.len();
            loop {
                if at == 0 {
                    significant.insert(0, 1);
                    significant.truncate(14);
                    point = point.checked_add(1)?;
                    break;
                }
                at -= 1;
                let digit = significant.get_mut(at)?;
                if *digit == 9 {
                    *digit = 0;
                } else {
                    *digit += 1;
                    break;
                }
            }
        }
    }
    while significant.last() == Some(&0) {
        significant.pop();
    }
    let text: String = significant.iter().map(|digit| char::from(b'0' + digit)).collect();
    let sign = if negative { "-" } else { "" };
    // %G: exponential when the exponent (point - 1) is below -4 or at least the precision.
    let exp10 = point - 1;
    if !(-4..14).contains(&exp10) {
        let (first, more) = text.split_at(1);
        let more = if more.is_empty() { "0" } else { more };
        let exp_sign = if exp10 < 0 { '-' } else { '+' };
        return Some(format!("{sign}{first}.{more}E{exp_sign}{}", exp10.unsigned_abs()));
    }
    let len = i64::try_from(text.len()).ok()?;
    Some(if point <= 0 {
        let zeros = "0".repeat(usize::try_from(-point).ok()?);
        format!("{sign}0.{zeros}{text}")
    } else if point >= len {
        let zeros = "0".repeat(usize::try_from(point - len).ok()?);
        format!("{sign}{text}{zeros}")
    } else {
        let (whole, frac) = text.split_at(usize::try_from(point).ok()?);
        format!("{sign}{whole}.{frac}")
    })
}

/// `POST /freekassa/api/v1/{endpoint}`.
pub async fn api(
    State(app): State<Arc<App>>,
    Path(endpoint): Path<String>,
    body: Bytes,
) -> Response {
    let path = endpoint.trim_matches('/');
    let Some(method) = Endpoint::parse(path) else {
        return api_error(
            StatusCode::NOT_FOUND,
            format!("Method {path} not found: it is not a Freekassa API v1 method"),
        );
    };
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(value @ Value::Object(_)) => value,
        _ => return bad_request("Wrong JSON"),
    };
    // The raw values as sent, read as the PHP server reads them (freekassa.md §4.2).
    let Ok(raw_fields) = decode_json_fields(&body) else {
        return bad_request("Wrong JSON");
    };
    let fields: Vec<(String, String)> = raw_fields
        .into_iter()
        .map(|(key, raw)| {
            let value = parsed.get(&key).cloned().unwrap_or(Value::Null);
            let text = php_string(&value, &raw);
            (key, text)
        })
        .collect();
    let get =
        |key: &str| fields.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str());
    let Some(shop_id) = get("shopId") else {
        return bad_request("shopId is required");
    };
    let Some(shop) = app.config.freekassa_shop(shop_id) else {
        return api_error(StatusCode::UNAUTHORIZED, "Shop not found");
    };
    let signed =
        fields.iter().filter(|(key, _)| key != "signature").map(|(k, v)| (k.as_str(), v.as_str()));
    let Ok(string_to_sign) = freekassa::sign::api_string_to_sign(signed) else {
        return bad_request("Repeated field");
    };
    let expected = freekassa::sign::api_signature(&string_to_sign, &shop.api_key);
    if !verify_hex(&expected, get("signature").unwrap_or_default()) {
        return api_error(StatusCode::UNAUTHORIZED, "Wrong signature");
    }
    let Some(nonce) = get("nonce").and_then(|nonce| nonce.parse::<u64>().ok()) else {
        return bad_request("nonce is required");
    };
    if !app.freekassa_nonce_grows(shop.shop_id, nonce) {
        return bad_request("Wrong nonce: it must be greater than the last one");
    }
    let text = |key: &str| get(key).map(str::to_owned);
    match method {
        Endpoint::OrdersCreate => {
            let (answer, charge) = create_order(&app, shop, &text);
            if let Some(id) = charge {
                charge_without_payer(&app, id);
            }
            answer
        }
        Endpoint::Orders => list_orders(&app, shop, &text),
        Endpoint::OrdersRefund => refund(&app, shop, &text),
        Endpoint::Withdrawals => list_withdrawals(&app, shop, &text),
        Endpoint::WithdrawalsCreate => create_withdrawal(&app, shop, &text),
        Endpoint::WithdrawalsCurrencies => withdrawal_currencies(),
        Endpoint::Balance => balance(&app, shop),
        Endpoint::Currencies => currencies(),
        Endpoint::CurrencyStatus => currency_status(path),
        Endpoint::Shops => shops(&app, shop),
    }
}

type Text<'a> = dyn Fn(&str) -> Option<String> + 'a;

/// Pays a subscription's repeat charge without the payer (freekassa.md §5.3). The order is
/// paid when the answer leaves; its notification follows on its own task, as a gateway's
/// does, so a shop whose notification handler calls the API (through a client that sends one
/// request at a time) is not stuck behind its own `orders/create`.
fn charge_without_payer(app: &Arc<App>, id: u64) {
    let settled = match app.mark(id, Status::Paid) {
        Ok(settled) => settled,
        Err(status) => {
            tracing::warn!(id, %status, "a repeat charge could not be settled");
            return;
        }
    };
    let notifying = Arc::clone(app);
    app.track(tokio::spawn(async move {
        if let Err(status) = notifying.notify(settled).await {
            tracing::warn!(id, %status, "a repeat charge's notification failed");
        }
    }));
}

fn positive_amount(text: &str) -> Option<Decimal> {
    AmountStyle::Shortest.parse(text).ok().filter(|amount| *amount > Decimal::ZERO)
}

fn api_currency(text: &str) -> Option<&'static str> {
    CURRENCIES.iter().copied().find(|code| *code == text)
}

/// The subscription part of `orders/create` (freekassa.md §4.5, §5.3).
enum Recurrence {
    /// A plain order.
    None,
    /// `recurrent = "Y"`: the first order of a subscription every `days` days.
    Start { days: u64 },
    /// `recurrent_order_id`: a repeat charge of a subscription whose first order is paid.
    Charge,
}

/// Reads `recurrent`, `recurrent_period`, `recurrent_description` and `recurrent_order_id`,
/// or gives the 400 to answer.
/// A refusal: the HTTP status and the message.
type Refused = (StatusCode, String);

fn refused(message: impl Into<String>) -> Refused {
    (StatusCode::BAD_REQUEST, message.into())
}

fn recurrence(app: &App, shop: &FreekassaShop, text: &Text<'_>) -> Result<Recurrence, Refused> {
    if let Some(id) = text("recurrent_order_id").filter(|id| !id.is_empty()) {
        let Ok(id) = id.parse::<u64>() else { return Err(refused("Wrong recurrent_order_id")) };
        let Ok(ledger) = app.freekassa.lock() else {
            return Err((StatusCode::INTERNAL_SERVER_ERROR, "Internal error".to_owned()));
        };
        let Some(recurrent) =
            ledger.recurrents.iter().find(|r| r.id == id && r.shop_id == shop.shop_id)
        else {
            return Err(refused("Recurrent order not found"));
        };
        let first = app.store.get(recurrent.first_order);
        let refunded = ledger
            .orders
            .get(&recurrent.first_order)
            .is_some_and(|extra| extra.refund_id.is_some());
        if first.is_none_or(|order| order.status != Status::Paid) || refunded {
            return Err(refused("The first payment of this recurrent order is not paid"));
        }
        return Ok(Recurrence::Charge);
    }
    match text("recurrent").filter(|flag| !flag.is_empty()) {
        None => return Ok(Recurrence::None),
        Some(flag) if flag == "Y" => {}
        Some(_) => return Err(refused("Wrong recurrent: expected Y")),
    }
    // The sandbox's calendar: a month is 30 days, a year 365.
    let days = match text("recurrent_period").as_deref() {
        Some("day") => 1,
        Some("week") => 7,
        Some("month") => 30,
        Some("year") => 365,
        _ => return Err(refused("Wrong recurrent_period: expected day, week, month or year")),
    };
    let description = text("recurrent_description").unwrap_or_default();
    if !(10..=200).contains(&description.chars().count()) {
        return Err(refused("Wrong recurrent_description: from 10 to 200 characters"));
    }
    Ok(Recurrence::Start { days })
}

/// `orders/create`: the answer, and the order to pay at once when it charges a subscription.
fn create_order(app: &App, shop: &FreekassaShop, text: &Text<'_>) -> (Response, Option<u64>) {
    match create_order_answer(app, shop, text) {
        Ok(created) => created,
        Err((status, message)) => (api_error(status, message), None),
    }
}

fn create_order_answer(
    app: &App,
    shop: &FreekassaShop,
    text: &Text<'_>,
) -> Result<(Response, Option<u64>), Refused> {
    for field in ["i", "email", "ip", "amount", "currency"] {
        if text(field).is_none_or(|value| value.is_empty()) {
            return Err(refused(format!("{field} is required")));
        }
    }
    let (Some(method), Some(email), Some(ip), Some(amount_text), Some(currency)) =
        (text("i"), text("email"), text("ip"), text("amount"), text("currency"))
    else {
        return Err(refused("i, email, ip, amount and currency are required"));
    };
    if method.parse::<u32>().is_err() {
        return Err(refused("Wrong i"));
    }
    if !email.contains('@') {
        return Err(refused("Wrong email"));
    }
    if ip.parse::<std::net::IpAddr>().is_err() {
        return Err(refused("Wrong ip"));
    }
    let Some(amount) = positive_amount(&amount_text) else {
        return Err(refused("Wrong amount"));
    };
    let Some(currency) = api_currency(&currency).and_then(|code| Currency::from_str(code).ok())
    else {
        return Err(refused("Unsupported currency"));
    };
    let recurrence = recurrence(app, shop, text)?;
    let payment_id = text("paymentId").unwrap_or_default();
    let urls = Urls {
        success: text("success_url"),
        failure: text("failure_url"),
        notification: text("notification_url"),
    };
    let payment =
        new_payment(shop, &payment_id, amount, &amount_text, currency, Some(method), urls);
    // Without a paymentId there is nothing to be unique about.
    let unique = app.config.unique_order_ids && !payment_id.is_empty();
    let Some(id) = app.store.insert(payment, unique) else {
        return Err(refused("Order with this paymentId already exists"));
    };
    let extra =
        OrderExtra { email: Some(email), custom: Vec::new(), date: now_text(), refund_id: None };
    let Ok(mut ledger) = app.freekassa.lock() else {
        return Err((StatusCode::INTERNAL_SERVER_ERROR, "Internal error".to_owned()));
    };
    ledger.orders.insert(id, extra);
    let mut answer = json!({
        "type": "success", "orderId": id, "orderHash": format!("{id:032x}"),
        "location": format!("{}/checkout/{id}", app.base_url),
    });
    let charge = match recurrence {
        Recurrence::None => None,
        Recurrence::Start { days } => {
            let recurrent_id = ledger.recurrents.last().map_or(1, |last| last.id.saturating_add(1));
            ledger.recurrents.push(Recurrent {
                id: recurrent_id,
                shop_id: shop.shop_id,
                first_order: id,
            });
            let recurrent = json!({"id": recurrent_id, "pay_date_at": date_text(days)});
            if let Some(answer) = answer.as_object_mut() {
                answer.insert("recurrent_order".to_owned(), recurrent);
            }
            None
        }
        Recurrence::Charge => Some(id),
    };
    Ok((Json(answer).into_response(), charge))
}

/// The filters `orders` and `withdrawals` share, checked.
struct Filter {
    order_id: Option<u64>,
    payment_id: Option<String>,
    status: Option<u64>,
    date_from: Option<String>,
    date_to: Option<String>,
    page: usize,
}

fn is_date(text: &str) -> bool {
    let shape = b"0000-00-00 00:00:00";
    text.len() == shape.len()
        && text
            .bytes()
            .zip(shape.iter())
            .all(|(byte, want)| if *want == b'0' { byte.is_ascii_digit() } else { byte == *want })
}

/// The filters, or the message of the 400 to answer.
fn filter(text: &Text<'_>) -> Result<Filter, String> {
    let number = |field: &str| match text(field) {
        None => Ok(None),
        Some(value) => value.parse::<u64>().map(Some).map_err(|_| format!("Wrong {field}")),
    };
    let date = |field: &str| match text(field) {
        Some(value) if !is_date(&value) => {
            Err(format!("Wrong {field}: expected YYYY-MM-DD HH:MM:SS"))
        }
        other => Ok(other),
    };
    let page = number("page")?.unwrap_or(1);
    Ok(Filter {
        order_id: number("orderId")?,
        payment_id: text("paymentId"),
        status: number("orderStatus")?,
        date_from: date("dateFrom")?,
        date_to: date("dateTo")?,
        // 1-based; 0 (as some clients send) is the first page too.
        page: usize::try_from(page.max(1)).unwrap_or(usize::MAX),
    })
}

impl Filter {
    fn keeps(&self, id: u64, payment_id: Option<&str>, status: u64, date: &str) -> bool {
        self.order_id.is_none_or(|want| want == id)
            && self.payment_id.as_deref().is_none_or(|want| payment_id == Some(want))
            && self.status.is_none_or(|want| want == status)
            && self.date_from.as_deref().is_none_or(|from| date >= from)
            && self.date_to.as_deref().is_none_or(|to| date <= to)
    }

    /// `{"type": "success", "pages": .., "orders": [this page]}`.
    fn page(&self, items: Vec<Value>) -> Response {
        let pages = items.len().div_ceil(PAGE_SIZE).max(1);
        let skip = self.page.saturating_sub(1).saturating_mul(PAGE_SIZE);
        let orders: Vec<Value> = items.into_iter().skip(skip).take(PAGE_SIZE).collect();
        Json(json!({"type": "success", "pages": pages, "orders": orders})).into_response()
    }
}

fn order_status(payment: &Payment, extra: Option<&OrderExtra>) -> u64 {
    match payment.status {
        Status::Paid if extra.is_some_and(|extra| extra.refund_id.is_some()) => 6,
        Status::Pending => 0,
        Status::Paid => 1,
        Status::Rejected => 9,
    }
}

fn shop_orders(app: &App, shop: &FreekassaShop) -> Vec<Payment> {
    let merchant = shop.shop_id.to_string();
    app.store
        .all()
        .into_iter()
        .filter(|p| p.gateway == GatewayId::Freekassa && p.merchant == merchant)
        .collect()
}

fn ledger_error() -> Response {
    api_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error")
}

fn list_orders(app: &App, shop: &FreekassaShop, text: &Text<'_>) -> Response {
    let filter = match filter(text) {
        Ok(filter) => filter,
        Err(message) => return bad_request(message),
    };
    let Ok(ledger) = app.freekassa.lock() else { return ledger_error() };
    let orders: Vec<Value> = shop_orders(app, shop)
        .into_iter()
        .filter_map(|p| {
            let extra = ledger.orders.get(&p.id);
            let status = order_status(&p, extra);
            let date = extra.map(|extra| extra.date.clone()).unwrap_or_default();
            let payment_id = Some(p.order_id.as_str()).filter(|id| !id.is_empty());
            filter.keeps(p.id, payment_id, status, &date).then(|| {
                json!({
                    "merchant_order_id": payment_id, "fk_order_id": p.id,
                    "amount": number(p.amount), "currency": p.currency.code(),
                    "email": extra.and_then(|extra| extra.email.clone()), "account": null,
                    "date": date, "status": status,
                })
            })
        })
        .collect();
    filter.page(orders)
}

fn refund(app: &App, shop: &FreekassaShop, text: &Text<'_>) -> Response {
    let orders = shop_orders(app, shop);
    let found = match (text("orderId"), text("paymentId")) {
        (Some(id), _) => match id.parse::<u64>() {
            Ok(id) => orders.into_iter().find(|p| p.id == id),
            Err(_) => return bad_request("Wrong orderId"),
        },
        (None, Some(payment_id)) => {
            orders.into_iter().rev().find(|p| !payment_id.is_empty() && p.order_id == payment_id)
        }
        (None, None) => return bad_request("orderId or paymentId is required"),
    };
    let Some(order) = found else { return bad_request("Order not found") };
    if order.status != Status::Paid {
        return bad_request("Order is not paid");
    }
    let Ok(mut ledger) = app.freekassa.lock() else { return ledger_error() };
    let refunds = ledger.refunds.saturating_add(1);
    let extra = ledger.orders.entry(order.id).or_default();
    if extra.refund_id.is_some() {
        return bad_request("Order is already refunded");
    }
    extra.refund_id = Some(refunds);
    ledger.refunds = refunds;
    Json(json!({"type": "success", "id": refunds})).into_response()
}

/// The shop's balance per currency: paid orders, less refunds, less payouts not cancelled.
fn balances(app: &App, shop: &FreekassaShop, ledger: &Ledger) -> Vec<(&'static str, Decimal)> {
    let mut totals: Vec<(&'static str, Decimal)> =
        CURRENCIES.iter().map(|code| (*code, Decimal::ZERO)).collect();
    let mut add = |code: &str, amount: Decimal, sign_in: bool| {
        if let Some((_, total)) = totals.iter_mut().find(|(c, _)| *c == code) {
            let next = if sign_in { total.checked_add(amount) } else { total.checked_sub(amount) };
            *total = next.unwrap_or(*total);
        }
    };
    for payment in shop_orders(app, shop) {
        if payment.status == Status::Paid {
            let refunded = ledger.orders.get(&payment.id).is_some_and(|e| e.refund_id.is_some());
            if !refunded {
                add(payment.currency.code(), payment.amount, true);
            }
        }
    }
    for payout in ledger.withdrawals.iter().filter(|w| w.shop_id == shop.shop_id) {
        if payout.status != 9 {
            add(payout.currency, payout.amount, false);
        }
    }
    totals
}

fn balance(app: &App, shop: &FreekassaShop) -> Response {
    let Ok(ledger) = app.freekassa.lock() else { return ledger_error() };
    let balance: Vec<Value> = balances(app, shop, &ledger)
        .into_iter()
        .map(|(currency, value)| json!({"currency": currency, "value": number(value)}))
        .collect();
    Json(json!({"type": "success", "balance": balance})).into_response()
}

fn currencies() -> Response {
    let list: Vec<Value> = PAYMENT_SYSTEMS
        .iter()
        .map(|(id, name, currency, enabled)| {
            json!({"id": id, "name": name, "currency": currency,
                   "is_enabled": u8::from(*enabled), "is_favorite": 0})
        })
        .collect();
    Json(json!({"type": "success", "currencies": list})).into_response()
}

fn currency_status(path: &str) -> Response {
    let id = path.trim_start_matches("currencies/").trim_end_matches("/status");
    let Ok(id) = id.parse::<u32>() else { return bad_request("Wrong currency id") };
    match PAYMENT_SYSTEMS.iter().find(|system| system.0 == id) {
        Some((_, _, _, true)) => Json(json!({"type": "success"})).into_response(),
        // Documented as a 200 with an error result (freekassa.md §4.4).
        _ => api_error(StatusCode::OK, "Payment system is not available"),
    }
}

fn withdrawal_currencies() -> Response {
    let list: Vec<Value> = PAYOUT_METHODS
        .iter()
        .map(|(id, name, min, max, currency, exchange)| {
            json!({"id": id, "name": name, "min": min, "max": max, "currency": currency,
                   "can_exchange": u8::from(*exchange)})
        })
        .collect();
    Json(json!({"type": "success", "currencies": list})).into_response()
}

fn create_withdrawal(app: &App, shop: &FreekassaShop, text: &Text<'_>) -> Response {
    for field in ["i", "account", "amount", "currency"] {
        if text(field).is_none_or(|value| value.is_empty()) {
            return bad_request(format!("{field} is required"));
        }
    }
    let (Some(method), Some(account), Some(amount_text), Some(currency)) =
        (text("i"), text("account"), text("amount"), text("currency"))
    else {
        return bad_request("i, account, amount and currency are required");
    };
    let Some((method, _, min, max, _, _)) =
        method.parse::<u32>().ok().and_then(|i| PAYOUT_METHODS.iter().find(|m| m.0 == i))
    else {
        return bad_request("Payment system is not available for payouts");
    };
    let Some(amount) = positive_amount(&amount_text) else { return bad_request("Wrong amount") };
    if amount < Decimal::from(*min) || amount > Decimal::from(*max) {
        return bad_request(format!("Amount must be from {min} to {max}"));
    }
    let Some(currency) = api_currency(&currency) else {
        return bad_request("Unsupported currency");
    };
    let payment_id = text("paymentId").filter(|id| !id.is_empty());
    let Ok(mut ledger) = app.freekassa.lock() else { return ledger_error() };
    if app.config.unique_order_ids
        && let Some(id) = &payment_id
        && ledger
            .withdrawals
            .iter()
            .any(|w| w.shop_id == shop.shop_id && w.payment_id.as_ref() == Some(id))
    {
        return bad_request("Withdrawal with this paymentId already exists");
    }
    let available = balances(app, shop, &ledger)
        .into_iter()
        .find(|(code, _)| *code == currency)
        .map_or(Decimal::ZERO, |(_, value)| value);
    if amount > available {
        return bad_request("Insufficient funds");
    }
    let id = ledger.withdrawals.last().map_or(1, |last| last.id.saturating_add(1));
    ledger.withdrawals.push(Withdrawal {
        id,
        shop_id: shop.shop_id,
        payment_id,
        method: *method,
        account,
        amount,
        currency,
        date: now_text(),
        status: 0,
    });
    Json(json!({"type": "success", "data": {"id": id}})).into_response()
}

fn list_withdrawals(app: &App, shop: &FreekassaShop, text: &Text<'_>) -> Response {
    let filter = match filter(text) {
        Ok(filter) => filter,
        Err(message) => return bad_request(message),
    };
    let Ok(ledger) = app.freekassa.lock() else { return ledger_error() };
    let items: Vec<Value> = ledger
        .withdrawals
        .iter()
        .filter(|w| w.shop_id == shop.shop_id)
        .filter(|w| filter.keeps(w.id, w.payment_id.as_deref(), w.status, &w.date))
        .map(|w| {
            json!({"id": w.id, "amount": number(w.amount), "currency": w.currency,
                   "ext_currency_id": w.method, "account": w.account, "date": w.date,
                   "status": w.status})
        })
        .collect();
    filter.page(items)
}

fn shops(app: &App, shop: &FreekassaShop) -> Response {
    Json(json!({"type": "success", "shops": [{
        "id": shop.shop_id, "name": format!("Sandbox shop {}", shop.shop_id), "url": app.base_url,
    }]}))
    .into_response()
}

/// Settles a pending payout: `paid` makes it paid (1), otherwise it is cancelled (9) and
/// its amount returns to the balance. The error is the HTTP status to answer: 404 for no
/// such payout, 409 for one already settled.
pub fn settle_withdrawal(app: &App, id: u64, paid: bool) -> Result<Value, StatusCode> {
    let mut ledger = app.freekassa.lock().map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let payout = ledger.withdrawals.iter_mut().find(|w| w.id == id).ok_or(StatusCode::NOT_FOUND)?;
    if payout.status != 0 {
        return Err(StatusCode::CONFLICT);
    }
    payout.status = if paid { 1 } else { 9 };
    Ok(json!({"id": payout.id, "status": payout.status}))
}

/// `POST /control/freekassa/withdrawals/{id}/pay` and `.../cancel`.
pub async fn control_settle(
    State(app): State<Arc<App>>,
    Path((id, action)): Path<(u64, String)>,
) -> Response {
    let paid = match action.as_str() {
        "pay" => true,
        "cancel" => false,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match settle_withdrawal(&app, id, paid) {
        Ok(payout) => Json(payout).into_response(),
        Err(status) => status.into_response(),
    }
}

/// Every payout and refund, read-only, for the dashboard.
pub fn ledger_entries(app: &App) -> Vec<crate::dashboard::LedgerEntry> {
    let Ok(ledger) = app.freekassa.lock() else { return Vec::new() };
    let mut entries: Vec<crate::dashboard::LedgerEntry> = ledger
        .withdrawals
        .iter()
        .map(|w| crate::dashboard::LedgerEntry {
            gateway: GatewayId::Freekassa,
            kind: "withdrawal",
            id: w.id,
            merchant: w.shop_id.to_string(),
            reference: w.payment_id.clone().unwrap_or_default(),
            account: w.account.clone(),
            amount: w.amount,
            currency: w.currency.to_owned(),
            status: match w.status {
                0 => "in_progress",
                1 => "paid",
                _ => "cancelled",
            }
            .to_owned(),
            in_progress: w.status == 0,
        })
        .collect();
    let refunds: Vec<(u64, u64)> = ledger
        .orders
        .iter()
        .filter_map(|(order, extra)| extra.refund_id.map(|refund| (refund, *order)))
        .collect();
    drop(ledger);
    for (refund, order) in refunds {
        let Some(payment) = app.store.get(order) else { continue };
        entries.push(crate::dashboard::LedgerEntry {
            gateway: GatewayId::Freekassa,
            kind: "refund",
            id: refund,
            merchant: payment.merchant,
            reference: format!("order {order} ({})", payment.order_id),
            account: String::new(),
            amount: payment.amount,
            currency: payment.currency.code().to_owned(),
            status: "refunded".to_owned(),
            in_progress: false,
        });
    }
    entries
}

fn number(amount: Decimal) -> Value {
    serde_json::from_str(&AmountStyle::Shortest.render(amount).unwrap_or_default())
        .unwrap_or(Value::Null)
}

/// The notification Freekassa sends for a paid order (none for others), repeated until the
/// merchant answers `YES`: the order's e-mail as `P_EMAIL` and the form's `us_*` fields.
pub fn notification(app: &App, payment: &Payment) -> Option<Outgoing> {
    if payment.status != Status::Paid {
        return None;
    }
    let shop = app.config.freekassa_shop(&payment.merchant)?;
    let url = payment.notify_url.as_deref()?.parse().ok()?;
    let config = freekassa::Config::new(shop.shop_id).with_secret2(shop.secret2.clone());
    let intid = payment.id.to_string();
    let cur_id = payment.method.clone().unwrap_or_else(|| "36".to_owned());
    let extra_state = app.freekassa.lock().ok()?.orders.get(&payment.id).cloned();
    let extra_state = extra_state.unwrap_or_default();
    // The payer types an e-mail on Freekassa's page when the shop sent none.
    let email = extra_state.email.as_deref().unwrap_or("payer@example.com");
    let mut extra = vec![
        ("intid", intid.as_str()),
        ("CUR_ID", cur_id.as_str()),
        ("P_EMAIL", email),
        ("commission", "0"),
    ];
    extra.extend(extra_state.custom.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let body = freekassa::webhook::signed_notification_body(
        &config,
        &payment.amount_text,
        &payment.order_id,
        &extra,
    )
    .ok()?;
    Some(Outgoing {
        url,
        gateway: GatewayId::Freekassa,
        body,
        required_answer: Some("YES"),
        encoding: Encoding::Form,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_signed_as_php_prints_them() {
        let php = |raw: &str| php_string(&serde_json::from_str(raw).unwrap_or(Value::Null), raw);
        assert_eq!(php("100.0"), "100");
        assert_eq!(php("100.50"), "100.5");
        assert_eq!(php("100"), "100");
        assert_eq!(php("0.05"), "0.05");
        assert_eq!(php("1e3"), "1000");
        assert_eq!(php("1e15"), "1.0E+15");
        assert_eq!(php("0.00001"), "1.0E-5");
        assert_eq!(php("-2.50"), "-2.5");
        assert_eq!(php("0.0"), "0");
        assert_eq!(php("99999999999999.99"), "1.0E+14");
        assert_eq!(php("true"), "1");
        assert_eq!(php("false"), "");
        assert_eq!(php("[1]"), "Array");
    }

    #[test]
    fn dates_look_like_freekassa_dates() {
        assert!(is_date(&now_text()), "{}", now_text());
    }

    #[test]
    fn endpoints_are_recognised() {
        assert!(Endpoint::parse("currencies/44/status").is_some());
        assert!(Endpoint::parse("currencies/44/x/status").is_none());
        assert!(Endpoint::parse("order/refund").is_none());
    }
}
