//! Freekassa: the notification verifier and every API response parser.

use std::sync::OnceLock;

use freekassa::api::orders::{OrderCreate, OrderList, OrderRef, OrderRefund};
use freekassa::api::shop::{BalanceRequest, CurrenciesRequest, CurrencyStatus, ShopsRequest};
use freekassa::api::withdrawals::{WithdrawalCreate, WithdrawalCurrencies, WithdrawalList};
use freekassa::source_ip::SourcePolicy;
use freekassa::webhook::{notification_fields, signed_notification_body};
use freekassa::{Config, NotificationError, NotificationVerifier, PaymentSystemId};
use payments_core::payment::OrderId;
use payments_core::webhook::WebhookRequest;
use payments_core::{Currency, Money};

const MERCHANT_ID: u64 = 123;
const BOUNDARY: &str = "multipart/form-data; boundary=XyZ";

fn config() -> Config {
    Config::new(MERCHANT_ID).with_secret1("secret1").with_secret2("secret2")
}

/// Mode `0`: the rest as a GET query; `1`: as a form POST; `2`: as a multipart POST with
/// boundary `XyZ`; `3`: the rest decoded as form fields and re-signed with secret 2 (amount
/// and order id kept when present), so the checks after the signature run too.
pub fn freekassa_notification(data: &[u8]) {
    let Some((mode, rest)) = crate::split(data) else { return };
    let config = config();
    let Ok(verifier) = NotificationVerifier::new(&config) else { return };
    let verifier = verifier.with_source_policy(SourcePolicy::any_source());
    match mode % 4 {
        0 => {
            let query = String::from_utf8_lossy(rest).into_owned();
            let request = WebhookRequest::new(http::Method::GET, Vec::new()).with_query(query);
            exercise(verifier.verify_request(&request));
        }
        1 => exercise(verifier.verify_request(&post(rest, "application/x-www-form-urlencoded"))),
        2 => exercise(verifier.verify_request(&post(rest, BOUNDARY))),
        _ => {
            let form = post(rest, "application/x-www-form-urlencoded");
            let Ok(fields) = notification_fields(&form, usize::MAX) else { return };
            let amount = fields.get("AMOUNT").unwrap_or("100");
            let order_id = fields.get("MERCHANT_ORDER_ID").unwrap_or("order");
            let signed = ["MERCHANT_ID", "AMOUNT", "MERCHANT_ORDER_ID", "SIGN"];
            let extra: Vec<(&str, &str)> =
                fields.iter().filter(|(name, _)| !signed.contains(name)).collect();
            let Ok(body) = signed_notification_body(&config, amount, order_id, &extra) else {
                return;
            };
            let result = verifier
                .verify_request(&post(body.as_bytes(), "application/x-www-form-urlencoded"));
            if let Err(NotificationError::BadSignature) = &result {
                panic!("a notification signed by our own signer was refused for its signature");
            }
            exercise(result);
        }
    }
}

fn post(body: &[u8], content_type: &'static str) -> WebhookRequest {
    WebhookRequest::new(http::Method::POST, body.to_vec())
        .with_header(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type))
}

/// Reads everything a handler would read from a verified notification.
fn exercise(result: Result<freekassa::PaymentNotification, NotificationError>) {
    let Ok(notification) = result else { return };
    let _ = format!("{notification:?}");
    let _ = notification.payer_account_masked();
    let _ = notification.custom_field("us_order");
    if let Ok(core) = notification.to_core(Currency::RUB) {
        let _ = notification.check_order(&notification.merchant_order_id, &core.money);
        let _ = core.dedup_key();
    }
}

/// Every request whose response the fuzzer feeds to its parser.
struct Fixtures {
    orders: OrderList,
    order: OrderCreate,
    refund: OrderRefund,
    balance: BalanceRequest,
    currencies: CurrenciesRequest,
    currency_status: CurrencyStatus,
    shops: ShopsRequest,
    withdrawals: WithdrawalList,
    withdrawal: WithdrawalCreate,
    withdrawal_currencies: WithdrawalCurrencies,
}

#[allow(clippy::unwrap_used, reason = "fixed, valid test values")]
fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let id = || OrderId::new("order-42").unwrap();
        let money = Money::parse("100.5", Currency::RUB).unwrap();
        Fixtures {
            orders: OrderList::new(),
            order: OrderCreate::new(
                id(),
                money.clone(),
                PaymentSystemId::VISA_RUB,
                "user@example.com",
                "203.0.113.10",
            ),
            refund: OrderRefund::new(OrderRef::OrderId(555)),
            balance: BalanceRequest,
            currencies: CurrenciesRequest,
            currency_status: CurrencyStatus::new(PaymentSystemId::VISA_RUB),
            shops: ShopsRequest,
            withdrawals: WithdrawalList::new(),
            withdrawal: WithdrawalCreate::new(
                id(),
                money,
                PaymentSystemId::VISA_RUB,
                "5500000000000004",
            ),
            withdrawal_currencies: WithdrawalCurrencies,
        }
    })
}

/// The first byte picks the HTTP status, the rest is the body; every parser reads it.
pub fn freekassa_responses(data: &[u8]) {
    let Some((status, body)) = crate::split(data) else { return };
    let response = crate::response(status, body);
    let f = fixtures();
    let _ = f.orders.parse_response(&response);
    let _ = f.order.parse_response(&response);
    let _ = f.refund.parse_response(&response);
    let _ = f.balance.parse_response(&response);
    let _ = f.currencies.parse_response(&response);
    let _ = f.currency_status.parse_response(&response);
    let _ = f.shops.parse_response(&response);
    let _ = f.withdrawals.parse_response(&response);
    let _ = f.withdrawal.parse_response(&response);
    let _ = f.withdrawal_currencies.parse_response(&response);
}
