//! Feennex: the callback verifier and every response parser.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use feennex::api::bill::{BillCreate, BillStatusQuery};
use feennex::api::invoice::{InvoiceCreate, InvoiceStatusQuery};
use feennex::api::shop::ShopBalanceQuery;
use feennex::api::transfer::{TransferCreate, TransferStatusQuery};
use feennex::api::withdraw::{WithdrawAmountType, WithdrawCreate, WithdrawStatusQuery};
use feennex::request::Prepared;
use feennex::webhook::{CallbackVerifier, callback_fields, callback_string_to_sign, sign_callback};
use feennex::{Config, Error};
use payments_core::payment::OrderId;
use payments_core::transport::HttpResponse;
use payments_core::webhook::{ReceivedFields, WebhookRequest};
use payments_core::{Currency, Money, SecretString, WebhookError};

/// The shop and secret of the callback vector (`testdata/vectors/feennex.json`).
const SHOP_ID: u64 = 1;
const SECRET: &str = "SecretKey01";
const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

/// The first byte picks the mode (modulo 4), the rest is the body:
///
/// - `0`: verified as a form body;
/// - `1`: verified as a JSON body;
/// - `2`: decoded as a form (`callback_fields`), re-signed with the shop's secret
///   (`sign_callback`), rebuilt as a form body and verified, so the signature is valid and
///   the checks after it (shop, amounts, currency, status) run;
/// - `3`: the same from a JSON body (rebuilt as a form body: the values are the same text).
pub fn feennex_callback(data: &[u8]) {
    let Some((mode, body)) = crate::split(data) else { return };
    let verifier = CallbackVerifier::new(Config::new(SHOP_ID, SECRET));
    match mode % 4 {
        0 => exercise(&verifier, verifier.verify_request(&request(body, FORM))),
        1 => exercise(&verifier, verifier.verify_request(&request(body, JSON))),
        resign => {
            let content_type = if resign == 2 { FORM } else { JSON };
            let Ok(fields) = callback_fields(&request(body, content_type)) else { return };
            let mut fields: ReceivedFields =
                fields.iter().filter(|(name, _)| *name != "sign").collect();
            let Ok(sign) = sign_callback(&fields, &SecretString::from(SECRET)) else { return };
            fields.push("sign", &sign);
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields.iter())
                .finish();
            let result = verifier.verify_request(&request(body.as_bytes(), FORM));
            // The one deliberate failure: our own signer and verifier disagree (a library bug).
            #[allow(clippy::panic, reason = "the invariant under test: signer and verifier agree")]
            if let Err(Error::Webhook(WebhookError::BadSignature)) = &result {
                panic!("a callback signed by sign_callback was refused for its signature");
            }
            exercise(&verifier, result);
        }
    }
}

fn request(body: &[u8], content_type: &'static str) -> WebhookRequest {
    WebhookRequest::new(http::Method::POST, body.to_vec())
        .with_header(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type))
}

/// Reads everything a handler would read from a verified callback.
fn exercise(verifier: &CallbackVerifier, result: Result<feennex::webhook::Callback, Error>) {
    let callback = match result {
        Ok(callback) => callback,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let _ = verifier.ack();
    let _ = format!("{callback:?}");
    let _ = callback.clone() == callback;
    let _ = callback.status.to_core();
    let _ = (callback.shop_id, callback.shop_amount, callback.shop_currency);
    let _ = (&callback.payment_id, &callback.payway, &callback.ps_data);
    let _ = (callback.client_price, callback.shop_refund);
    let _ = callback.fields.to_vec();
    let _ = callback_string_to_sign(&callback.fields);
    if let Ok(money) = callback.money() {
        let _ = callback.check_order(&callback.shop_order_id, &money);
        let _ = callback.check_order("another-order", &money);
        if let Ok(other) = Money::parse("0.01", money.currency()) {
            let _ = callback.check_order(&callback.shop_order_id, &other);
        }
    }
    if let Ok(notification) = callback.to_notification() {
        let _ = notification.dedup_key();
        let _ = notification.check_order(&callback.shop_order_id, &notification.money);
        let _ = format!("{notification:?}");
    }
}

/// Every request whose response the fuzzer feeds to its parser, prepared once with the
/// values of the endpoint tests (`crates/feennex/tests/endpoints.rs`, `bill_create.rs`), so
/// the documented responses in `seeds/feennex_responses` pass the echo checks.
struct Fixtures {
    bill: (BillCreate, Prepared),
    bill_status: (BillStatusQuery, Prepared),
    invoice: (InvoiceCreate, Prepared, Prepared),
    invoice_status: (InvoiceStatusQuery, Prepared),
    balance: (ShopBalanceQuery, Prepared),
    transfer: (TransferCreate, Prepared, Prepared),
    transfer_status: (TransferStatusQuery, Prepared),
    withdraw: (WithdrawCreate, Prepared, Prepared, Prepared),
    withdraw_by_id: (WithdrawStatusQuery, Prepared),
    withdraw_by_shop_id: (WithdrawStatusQuery, Prepared),
}

#[allow(clippy::unwrap_used, reason = "fixed, valid test values")]
fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let shop_5 = Config::new(5, SECRET);
        let shop_1092 = Config::new(1092, SECRET);
        // 2024-05-01 16:56:25.009469 UTC, the tests' clock.
        let now = SystemTime::UNIX_EPOCH + Duration::from_micros(1_714_582_585_009_469);
        let id = |text: &str| OrderId::new(text).unwrap();
        let money = |text: &str, currency| Money::parse(text, currency).unwrap();

        let bill = BillCreate::new(id("123456"), money("23.15", Currency::RUB));
        let bill_prepared = bill.prepare(&shop_5).unwrap();
        let bill_status = BillStatusQuery::new(id("234234232323"));
        let bill_status_prepared = bill_status.prepare(&shop_1092, now).unwrap();
        let invoice = InvoiceCreate::new(id("4126"), money("12", Currency::USD), "card_usd");
        let invoice_prepared = invoice.prepare(&shop_5).unwrap();
        let invoice_try = invoice.prepare_try(&shop_5).unwrap();
        let invoice_status = InvoiceStatusQuery::new(id("4126"));
        let invoice_status_prepared = invoice_status.prepare(&shop_5, now).unwrap();
        let balance = ShopBalanceQuery;
        let balance_prepared = balance.prepare(&shop_5, now).unwrap();
        let transfer = TransferCreate::receive(
            id("t-42"),
            "201494711279",
            money("1.11", Currency::USD),
            Currency::USD,
        );
        let transfer_prepared = transfer.prepare(&shop_5).unwrap();
        let transfer_try = transfer.prepare_try(&shop_5).unwrap();
        let transfer_status = TransferStatusQuery::new(id("t-42"));
        let transfer_status_prepared = transfer_status.prepare(&shop_5, now).unwrap();
        let withdraw = WithdrawCreate::new(
            id("shop_payment_111"),
            "qiwi_rub",
            "79991112233",
            money("100.23", Currency::RUB),
            WithdrawAmountType::PsAmount,
            Currency::RUB,
        )
        .with_account_detail("holder", "X")
        .with_description("payout");
        let withdraw_prepared = withdraw.prepare(&shop_5).unwrap();
        let withdraw_try = withdraw.prepare_try(&shop_5).unwrap();
        let check_account = withdraw.prepare_check_account(&shop_5).unwrap();
        let by_id = WithdrawStatusQuery::ById(2051);
        let by_id_prepared = by_id.prepare(&shop_5, now).unwrap();
        let by_shop_id = WithdrawStatusQuery::by_shop_payment_id(id("shop_payment_111"));
        let by_shop_id_prepared = by_shop_id.prepare(&shop_5, now).unwrap();
        Fixtures {
            bill: (bill, bill_prepared),
            bill_status: (bill_status, bill_status_prepared),
            invoice: (invoice, invoice_prepared, invoice_try),
            invoice_status: (invoice_status, invoice_status_prepared),
            balance: (balance, balance_prepared),
            transfer: (transfer, transfer_prepared, transfer_try),
            transfer_status: (transfer_status, transfer_status_prepared),
            withdraw: (withdraw, withdraw_prepared, withdraw_try, check_account),
            withdraw_by_id: (by_id, by_id_prepared),
            withdraw_by_shop_id: (by_shop_id, by_shop_id_prepared),
        }
    })
}

/// Every input goes to every parser (13 of them, the status query by id and by shop payment
/// id both), as a 200 and with the error status its first byte picks (see
/// [`crate::responses`]).
pub fn feennex_responses(data: &[u8]) {
    let f = fixtures();
    for response in crate::responses(data) {
        parse_all(f, &response);
    }
}

fn parse_all(f: &Fixtures, response: &HttpResponse) {
    let ok = |result: Result<_, Error>| drop(result.map_err(|error| error.to_string()));
    ok(f.bill.0.parse_response(&f.bill.1, response).map(|r| format!("{r:?}")));
    ok(f.bill_status.0.parse_response(&f.bill_status.1, response).map(|r| format!("{r:?}")));
    ok(f.invoice.0.parse_response(&f.invoice.1, response).map(|created| {
        let _ = created.to_payment_link();
        format!("{created:?}")
    }));
    ok(f.invoice.0.parse_try_response(&f.invoice.2, response).map(|r| format!("{r:?}")));
    ok(f.invoice_status.0.parse_response(&f.invoice_status.1, response).map(|r| format!("{r:?}")));
    ok(f.balance.0.parse_response(&f.balance.1, response).map(|balance| {
        let _ = balance.to_core();
        format!("{balance:?}")
    }));
    ok(f.transfer.0.parse_response(&f.transfer.1, response).map(|r| format!("{r:?}")));
    ok(f.transfer.0.parse_try_response(&f.transfer.2, response).map(|r| format!("{r:?}")));
    ok(f.transfer_status
        .0
        .parse_response(&f.transfer_status.1, response)
        .map(|r| format!("{r:?}")));
    ok(f.withdraw.0.parse_response(&f.withdraw.1, response).map(|r| format!("{r:?}")));
    ok(f.withdraw.0.parse_try_response(&f.withdraw.2, response).map(|r| format!("{r:?}")));
    ok(f.withdraw
        .0
        .parse_check_account_response(&f.withdraw.3, response)
        .map(|r| format!("{r:?}")));
    ok(f.withdraw_by_id.0.parse_response(&f.withdraw_by_id.1, response).map(|r| format!("{r:?}")));
    ok(f.withdraw_by_shop_id
        .0
        .parse_response(&f.withdraw_by_shop_id.1, response)
        .map(|r| format!("{r:?}")));
}
