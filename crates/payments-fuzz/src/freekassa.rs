//! Freekassa: the notification verifier and every API response parser.

use std::sync::OnceLock;

use freekassa::api::orders::{OrderCreate, OrderList, OrderRef, OrderRefund};
use freekassa::api::shop::{BalanceRequest, CurrenciesRequest, CurrencyStatus, ShopsRequest};
use freekassa::api::withdrawals::{WithdrawalCreate, WithdrawalCurrencies, WithdrawalList};
use freekassa::request::Prepared;
use freekassa::source_ip::SourcePolicy;
use freekassa::webhook::{notification_fields, signed_notification_body};
use freekassa::{Config, Error, NotificationError, NotificationVerifier, PaymentSystemId};
use payments_core::payment::OrderId;
use payments_core::transport::HttpResponse;
use payments_core::webhook::WebhookRequest;
use payments_core::{Currency, Money};

/// The shop and secrets of the notification vectors (`testdata/vectors/freekassa.json`).
const MERCHANT_ID: u64 = 123;
const FORM: &str = "application/x-www-form-urlencoded";
/// The content type of mode 2; seeds of that mode use this boundary.
const MULTIPART: &str = "multipart/form-data; boundary=XyZ";

fn config() -> Config {
    Config::new(MERCHANT_ID).with_secret1("secret1").with_secret2("secret2")
}

/// The first byte picks the mode (modulo 4), the rest is the notification:
///
/// - `0`: the query string of a GET;
/// - `1`: a form POST body;
/// - `2`: a multipart POST body, boundary `XyZ`;
/// - `3`: decoded as a form, re-signed with secret 2 (`signed_notification_body`, keeping
///   `AMOUNT`, `MERCHANT_ORDER_ID` and every other field when present) and verified, both
///   as a request and through `verify_fields`, so the checks after the signature run.
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
        1 => exercise(verifier.verify_request(&post(rest, FORM))),
        2 => exercise(verifier.verify_request(&post(rest, MULTIPART))),
        _ => {
            let Ok(fields) = notification_fields(&post(rest, FORM), usize::MAX) else { return };
            let amount = fields.get("AMOUNT").unwrap_or("100");
            let order_id = fields.get("MERCHANT_ORDER_ID").unwrap_or("order");
            let signed = ["MERCHANT_ID", "AMOUNT", "MERCHANT_ORDER_ID", "SIGN"];
            let extra: Vec<(&str, &str)> =
                fields.iter().filter(|(name, _)| !signed.contains(name)).collect();
            let Ok(body) = signed_notification_body(&config, amount, order_id, &extra) else {
                return;
            };
            let request = post(body.as_bytes(), FORM);
            let result = verifier.verify_request(&request);
            // The one deliberate failure: our own signer and verifier disagree (a library bug).
            #[allow(clippy::panic, reason = "the invariant under test: signer and verifier agree")]
            if let Err(NotificationError::BadSignature) = &result {
                panic!("a notification signed by signed_notification_body was refused");
            }
            exercise(result);
            if let Ok(fields) = notification_fields(&request, usize::MAX) {
                exercise(verifier.verify_fields(fields));
            }
        }
    }
}

fn post(body: &[u8], content_type: &'static str) -> WebhookRequest {
    WebhookRequest::new(http::Method::POST, body.to_vec())
        .with_header(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type))
}

/// Reads everything a handler would read from a verified notification.
fn exercise(result: Result<freekassa::PaymentNotification, NotificationError>) {
    let notification = match result {
        Ok(notification) => notification,
        Err(error) => {
            let _ = (error.to_string(), error.to_webhook_error());
            return;
        }
    };
    let _ = format!("{notification:?}");
    let _ = notification.clone() == notification;
    let _ = notification.payer_account_masked();
    let _ = notification.custom_field("us_order");
    let _ = (&notification.intid, &notification.payer_email, &notification.payer_phone);
    let _ = (notification.payment_system, notification.commission, notification.amount);
    let _ = notification.raw_fields.to_vec();
    for currency in [Currency::RUB, Currency::USD, Currency::JPY, Currency::KWD] {
        let Ok(core) = notification.to_core(currency) else { continue };
        let _ = notification.check_order(&notification.merchant_order_id, &core.money);
        let _ = notification.check_order("another-order", &core.money);
        let _ = core.dedup_key();
        let _ = core.check_order(&notification.merchant_order_id, &core.money);
    }
}

/// Every request whose response the fuzzer feeds to its parser, with the values of the
/// endpoint tests (`crates/freekassa/tests/{orders,shop,withdrawals}.rs`), each prepared
/// once (Freekassa's parsers take the prepared request without reading it).
struct Fixtures {
    orders: (OrderList, Prepared),
    order: (OrderCreate, Prepared),
    refund: (OrderRefund, Prepared),
    balance: (BalanceRequest, Prepared),
    currencies: (CurrenciesRequest, Prepared),
    currency_status: (CurrencyStatus, Prepared),
    shops: (ShopsRequest, Prepared),
    withdrawals: (WithdrawalList, Prepared),
    withdrawal: (WithdrawalCreate, Prepared),
    withdrawal_currencies: (WithdrawalCurrencies, Prepared),
}

#[allow(clippy::unwrap_used, reason = "fixed, valid test values")]
fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let id = |text: &str| OrderId::new(text).unwrap();
        let rub = |text: &str| Money::parse(text, Currency::RUB).unwrap();
        let config = Config::new(777).with_api_key("api-key");
        // Each request with what it prepares (nonce 1; the parsers do not read it).
        macro_rules! prepared {
            ($request:expr) => {{
                let request = $request;
                let prepared = request.prepare(&config, 1).unwrap();
                (request, prepared)
            }};
        }
        Fixtures {
            orders: prepared!(OrderList::new().with_page(1)),
            order: prepared!(OrderCreate::new(
                id("order-42"),
                rub("100.50"),
                PaymentSystemId::SBP_API,
                "user@example.com",
                "203.0.113.10",
            )),
            refund: prepared!(OrderRefund::new(OrderRef::OrderId(123_456_789))),
            balance: prepared!(BalanceRequest),
            currencies: prepared!(CurrenciesRequest),
            currency_status: prepared!(CurrencyStatus::new(PaymentSystemId::SBP_API)),
            shops: prepared!(ShopsRequest),
            withdrawals: prepared!(WithdrawalList::new().with_page(2)),
            withdrawal: prepared!(WithdrawalCreate::new(
                id("payout-1"),
                rub("1500.25"),
                PaymentSystemId::VISA_RUB,
                "5500000000000004",
            )),
            withdrawal_currencies: prepared!(WithdrawalCurrencies),
        }
    })
}

/// Every input goes to every parser (10 of them), as a 200 and with the error status its
/// first byte picks (see [`crate::responses`]).
pub fn freekassa_responses(data: &[u8]) {
    let f = fixtures();
    for response in crate::responses(data) {
        parse_all(f, &response);
    }
}

fn parse_all(f: &Fixtures, response: &HttpResponse) {
    let ok = |result: Result<String, Error>| drop(result.map_err(|error| error.to_string()));
    ok(f.orders.0.parse_response(&f.orders.1, response).map(|r| format!("{r:?}")));
    ok(f.order.0.parse_response(&f.order.1, response).map(|r| format!("{r:?}")));
    ok(f.refund.0.parse_response(&f.refund.1, response).map(|r| format!("{r:?}")));
    ok(f.balance.0.parse_response(&f.balance.1, response).map(|r| format!("{r:?}")));
    ok(f.currencies.0.parse_response(&f.currencies.1, response).map(|r| format!("{r:?}")));
    ok(f.currency_status
        .0
        .parse_response(&f.currency_status.1, response)
        .map(|r| format!("{r:?}")));
    ok(f.shops.0.parse_response(&f.shops.1, response).map(|r| format!("{r:?}")));
    ok(f.withdrawals.0.parse_response(&f.withdrawals.1, response).map(|r| format!("{r:?}")));
    ok(f.withdrawal.0.parse_response(&f.withdrawal.1, response).map(|r| format!("{r:?}")));
    ok(f.withdrawal_currencies
        .0
        .parse_response(&f.withdrawal_currencies.1, response)
        .map(|r| format!("{r:?}")));
}
