//! Feennex: the callback verifier and every response parser.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use feennex::api::bill::{BillCreate, BillStatusQuery};
use feennex::api::invoice::{InvoiceCreate, InvoiceStatusQuery};
use feennex::api::shop::ShopBalanceQuery;
use feennex::api::transfer::{TransferCreate, TransferStatusQuery};
use feennex::api::withdraw::{WithdrawAmountType, WithdrawCreate, WithdrawStatusQuery};
use feennex::request::Prepared;
use feennex::webhook::{CallbackVerifier, callback_fields, sign_callback};
use feennex::{Config, Error};
use payments_core::payment::OrderId;
use payments_core::webhook::{ReceivedFields, WebhookRequest};
use payments_core::{Currency, Money, SecretString, WebhookError};

const SHOP_ID: u64 = 1;
const SECRET: &str = "SecretKey01";

/// Mode `0`: the rest as a form body; `1`: as a JSON body; `2`: the rest decoded as form
/// fields, re-signed with the shop's secret and verified, so the checks after the signature
/// run too.
pub fn feennex_callback(data: &[u8]) {
    let Some((mode, rest)) = crate::split(data) else { return };
    let verifier = CallbackVerifier::new(Config::new(SHOP_ID, SECRET));
    match mode % 3 {
        0 => exercise(verifier.verify(&request(rest, "application/x-www-form-urlencoded"))),
        1 => exercise(verifier.verify(&request(rest, "application/json"))),
        _ => {
            let Ok(fields) = callback_fields(&request(rest, "application/x-www-form-urlencoded"))
            else {
                return;
            };
            let mut unsigned: ReceivedFields =
                fields.iter().filter(|(name, _)| *name != "sign").collect();
            let Ok(sign) = sign_callback(&unsigned, &SecretString::from(SECRET)) else { return };
            unsigned.push("sign", &sign);
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(unsigned.iter())
                .finish();
            let result =
                verifier.verify(&request(body.as_bytes(), "application/x-www-form-urlencoded"));
            if let Err(Error::Webhook(WebhookError::BadSignature)) = &result {
                panic!("a callback signed by our own signer was refused for its signature");
            }
            exercise(result);
        }
    }
}

fn request(body: &[u8], content_type: &'static str) -> WebhookRequest {
    WebhookRequest::new(http::Method::POST, body.to_vec())
        .with_header(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type))
}

/// Reads everything a handler would read from a verified callback.
fn exercise(result: Result<feennex::webhook::Callback, Error>) {
    let Ok(callback) = result else { return };
    let _ = callback.status.to_core();
    let _ = format!("{callback:?}");
    if let Ok(money) = callback.money() {
        let _ = callback.check_order(&callback.shop_order_id, &money);
    }
    if let Ok(notification) = callback.to_notification() {
        let _ = notification.dedup_key();
    }
}

/// Every request, prepared once, whose response the fuzzer feeds to its parser.
struct Fixtures {
    config: Config,
    bill: (BillCreate, Prepared),
    bill_status: (BillStatusQuery, Prepared),
    invoice: (InvoiceCreate, Prepared, Prepared),
    invoice_status: (InvoiceStatusQuery, Prepared),
    balance: (ShopBalanceQuery, Prepared),
    transfer: (TransferCreate, Prepared, Prepared),
    transfer_status: (TransferStatusQuery, Prepared),
    withdraw: (WithdrawCreate, Prepared, Prepared),
    withdraw_status: (WithdrawStatusQuery, Prepared),
}

#[allow(clippy::unwrap_used, reason = "fixed, valid test values")]
fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let config = Config::new(SHOP_ID, SECRET);
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_714_582_585);
        let id = || OrderId::new("4126").unwrap();
        let money = Money::parse("12.34", Currency::RUB).unwrap();
        let bill = BillCreate::new(id(), money.clone());
        let bill_prepared = bill.prepare(&config).unwrap();
        let bill_status = BillStatusQuery::new(id());
        let bill_status_prepared = bill_status.prepare(&config, now).unwrap();
        let invoice = InvoiceCreate::new(id(), money.clone(), "card_rub");
        let invoice_prepared = invoice.prepare(&config).unwrap();
        let invoice_try = invoice.prepare_try(&config).unwrap();
        let invoice_status = InvoiceStatusQuery::new(id());
        let invoice_status_prepared = invoice_status.prepare(&config, now).unwrap();
        let balance = ShopBalanceQuery;
        let balance_prepared = balance.prepare(&config, now).unwrap();
        let transfer = TransferCreate::receive(id(), "201494711279", money.clone(), Currency::RUB);
        let transfer_prepared = transfer.prepare(&config).unwrap();
        let transfer_try = transfer.prepare_try(&config).unwrap();
        let transfer_status = TransferStatusQuery::new(id());
        let transfer_status_prepared = transfer_status.prepare(&config, now).unwrap();
        let withdraw = WithdrawCreate::new(
            id(),
            "card_rub",
            "4111111111111111",
            money,
            WithdrawAmountType::PsAmount,
            Currency::RUB,
        );
        let withdraw_prepared = withdraw.prepare(&config).unwrap();
        let withdraw_try = withdraw.prepare_try(&config).unwrap();
        let withdraw_status = WithdrawStatusQuery::by_shop_payment_id(id());
        let withdraw_status_prepared = withdraw_status.prepare(&config, now).unwrap();
        Fixtures {
            config,
            bill: (bill, bill_prepared),
            bill_status: (bill_status, bill_status_prepared),
            invoice: (invoice, invoice_prepared, invoice_try),
            invoice_status: (invoice_status, invoice_status_prepared),
            balance: (balance, balance_prepared),
            transfer: (transfer, transfer_prepared, transfer_try),
            transfer_status: (transfer_status, transfer_status_prepared),
            withdraw: (withdraw, withdraw_prepared, withdraw_try),
            withdraw_status: (withdraw_status, withdraw_status_prepared),
        }
    })
}

/// The first byte picks the HTTP status, the rest is the body; every parser reads it.
pub fn feennex_responses(data: &[u8]) {
    let Some((status, body)) = crate::split(data) else { return };
    let response = crate::response(status, body);
    let f = fixtures();
    let config = &f.config;
    let _ = f.bill.0.parse_response(config, &f.bill.1, &response);
    let _ = f.bill_status.0.parse_response(config, &f.bill_status.1, &response);
    let _ = f.invoice.0.parse_response(&f.invoice.1, &response);
    let _ = f.invoice.0.parse_try_response(&f.invoice.2, &response);
    let _ = f.invoice_status.0.parse_response(config, &f.invoice_status.1, &response);
    let _ = f.balance.0.parse_response(config, &f.balance.1, &response);
    let _ = f.transfer.0.parse_response(&f.transfer.1, &response);
    let _ = f.transfer.0.parse_try_response(&f.transfer.2, &response);
    let _ = f.transfer_status.0.parse_response(&f.transfer_status.1, &response);
    let _ = f.withdraw.0.parse_response(&f.withdraw.1, &response);
    let _ = f.withdraw.0.parse_try_response(&f.withdraw.2, &response);
    let _ = f.withdraw_status.0.parse_response(&f.withdraw_status.1, &response);
}
