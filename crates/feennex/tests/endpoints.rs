//! Every Feennex endpoint against a mock server: the exact JSON sent (signature included) and
//! the typed success response. Signatures are either published vectors or SHA-256 computed
//! here over a string written out by hand.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use common::{EXAMPLE_NOW_TEXT, client_for, failure, ok, sha256_sign};
use feennex::api::invoice::InvoiceCreate;
use feennex::api::transfer::TransferCreate;
use feennex::api::withdraw::{WithdrawAmountType, WithdrawCreate, WithdrawStatusQuery};
use feennex::model::{BillStatus, InvoiceStatus, WithdrawStatus};
use feennex::{Error, ErrorCode};
use httpmock::prelude::*;
use payments_core::payment::{OrderId, PaymentLink};
use payments_core::{Currency, Money};
use serde_json::{Value, json};

fn id(text: &str) -> OrderId {
    OrderId::new(text).unwrap()
}

fn money(text: &str, currency: Currency) -> Money {
    Money::parse(text, currency).unwrap()
}

async fn expect<'a>(
    server: &'a MockServer,
    path: &str,
    body: Value,
    reply: Value,
) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(POST).path(path).header("content-type", "application/json").json_body(body);
            then.status(200).json_body(reply);
        })
        .await
}

fn payout() -> WithdrawCreate {
    WithdrawCreate::new(
        id("shop_payment_111"),
        "qiwi_rub",
        "79991112233",
        money("100.23", Currency::RUB),
        WithdrawAmountType::PsAmount,
        Currency::RUB,
    )
    .with_account_detail("holder", "X")
    .with_description("payout")
}

fn transfer() -> TransferCreate {
    TransferCreate::receive(id("t-42"), "201494711279", money("1.11", Currency::USD), Currency::USD)
}

#[tokio::test]
async fn bill_shop_order_status() {
    let server = MockServer::start_async().await;
    let mock = expect(
        &server,
        "/bill/shop_order_status",
        json!({"now": EXAMPLE_NOW_TEXT, "shop_id": 1092, "shop_order_id": "234234232323",
               "sign": "34a19acbef21da7717ffd69a8ae36bbb34bf714fa8f41c0a1a0d625d16d32f1e"}),
        ok(json!({
            "client_price": 1.16, "created": "2024-10-20 14:01:28", "description": "Main account",
            "is_unique": true, "payment_id": 852095, "payway": "feennex_usd",
            "processed": "2024-10-20 14:01:33", "ps_currency": 840,
            "ps_data": {"ps_payer_account": "201538122124"}, "shop_amount": 1.1,
            "shop_currency": 840, "shop_id": 1092, "shop_order_id": "234234232323",
            "shop_refund": 1.1, "status": 2
        })),
    )
    .await;
    let report = client_for(&server, 1092).bill_status(&id("234234232323")).await.unwrap();
    mock.assert_async().await;
    assert_eq!(report.status, BillStatus::Paid);
    assert_eq!(report.payment_id, 852095);
    assert_eq!(report.client_price.unwrap().to_string(), "1.16");
    assert_eq!(report.ps_data.as_deref(), Some(r#"{"ps_payer_account":"201538122124"}"#));
}

#[tokio::test]
async fn invoice_try() {
    let server = MockServer::start_async().await;
    let mock = expect(
        &server,
        "/invoice/try",
        json!({"amount": "12.34", "currency": 643, "payway": "payeer_rub", "shop_id": 5, "shop_order_id": "4126",
               "sign": "9cf003e3ad9da90ff00b06349b677261d5539f7e0540fb976c45537a141222c1"}),
        ok(json!({"add_ons_config": null, "info": {}, "manual": {"en": "m"}, "warning": {},
                  "payer_price": 12.98, "paymethod_id": 21, "paymethod_name": "Payeer", "ps_currency": 643})),
    )
    .await;
    let request = InvoiceCreate::new(id("4126"), money("12.34", Currency::RUB), "payeer_rub");
    let quote = client_for(&server, 5).price_invoice(&request).await.unwrap();
    mock.assert_async().await;
    assert_eq!(quote.payer_price.to_string(), "12.98");
    assert_eq!(quote.paymethod_id, Some(21));
}

#[tokio::test]
async fn invoice_create_gives_the_payment_link() {
    let server = MockServer::start_async().await;
    let mock = expect(
        &server,
        "/invoice/create",
        json!({"amount": "12.0", "currency": 840, "payway": "card_usd", "shop_id": 5, "shop_order_id": "4126",
               "description": "not signed", "email": "payer@example.com",
               "sign": "66dfababd725fb6c8957561c1dcfaa25b12b65bf471878af2b3c16818cd9cb42"}),
        ok(json!({"data": {"session_id": "3067894a580242dd86e03890506a88b"}, "id": 499564464,
                  "method": "GET", "url": "https://example.com"})),
    )
    .await;
    let request = InvoiceCreate::new(id("4126"), money("12", Currency::USD), "card_usd")
        .with_description("not signed")
        .with_email("payer@example.com");
    let created = client_for(&server, 5).create_invoice(&request).await.unwrap();
    mock.assert_async().await;
    assert_eq!(created.id, 499564464);
    assert_eq!(
        created.to_payment_link(),
        Some(PaymentLink::Redirect(
            "https://example.com/?session_id=3067894a580242dd86e03890506a88b".parse().unwrap()
        ))
    );
}

#[tokio::test]
async fn invoice_check() {
    let server = MockServer::start_async().await;
    let mock = expect(
        &server,
        "/invoice/check",
        json!({"now": EXAMPLE_NOW_TEXT, "shop_id": 5, "shop_order_id": "4126",
               "sign": sha256_sign(&format!("{EXAMPLE_NOW_TEXT}:5:4126"))}),
        ok(json!({"client_price": "12.0", "created": "2024-04-12 06:18:34", "description": null, "error_code": 0,
                  "is_unique": true, "payment_id": "499564464", "payway": "card_usd",
                  "processed": null, "ps_currency": 840, "ps_data": "{\"card\": \"4111********1111\"}",
                  "shop_amount": "12.0", "shop_currency": "840", "shop_id": "5", "shop_order_id": 4126,
                  "shop_refund": 11.5, "status": 4, "updated": "2024-04-12 06:20:00"})),
    )
    .await;
    let report = client_for(&server, 5).invoice_status(&id("4126")).await.unwrap();
    mock.assert_async().await;
    assert_eq!(report.status, InvoiceStatus::Success);
    assert_eq!(report.payment_id, 499564464);
    assert_eq!(report.error_code, Some(ErrorCode::Ok));
    assert_eq!(report.ps_data.as_deref(), Some(r#"{"card": "4111********1111"}"#));
}

#[tokio::test]
async fn transfer_try_create_and_status() {
    let server = MockServer::start_async().await;
    let try_mock = expect(
        &server,
        "/transfer/try",
        json!({"amount": "1.11", "amount_type": "receive_amount", "payee_currency": 840, "shop_currency": 840, "shop_id": 5,
               "sign": sha256_sign("1.11:receive_amount:840:840:5")}),
        ok(json!({"payee_receive": 1.11, "shop_write_off": 1.13})),
    )
    .await;
    let create_mock = expect(
        &server,
        "/transfer/create",
        json!({"amount": "1.11", "amount_type": "receive_amount", "payee_account": "201494711279",
               "payee_currency": 840, "shop_currency": 840, "shop_id": 5, "shop_payment_id": "t-42",
               "sign": "27bfacc0e1fd76980e796d59bf751350267fc910aa15d7be273ab8c23de55a6f"}),
        ok(json!({"balance": 98.87, "id": 77, "payee_account": "201494711279", "payee_amount": 1.11,
                  "payee_currency": 840, "shop": 5, "shop_currency": 840, "write_off_amount": 1.13})),
    )
    .await;
    let status_mock = expect(
        &server,
        "/transfer/shop_payment_status",
        json!({"now": EXAMPLE_NOW_TEXT, "shop_id": 5, "shop_payment_id": "t-42",
               "sign": sha256_sign(&format!("{EXAMPLE_NOW_TEXT}:5:t-42"))}),
        ok(json!({"id": 77, "payee_currency": 840, "receive_amount": 1.11, "shop_currency": 840,
                  "shop_payment_id": "t-42", "write_off_amount": 1.13})),
    )
    .await;
    let client = client_for(&server, 5);
    let quote = client.price_transfer(&transfer()).await.unwrap();
    assert_eq!(quote["shop_write_off"], json!(1.13));
    let created = client.create_transfer(&transfer()).await.unwrap();
    assert_eq!(
        (created.id, created.write_off_amount.unwrap().to_string()),
        (77, "1.13".to_owned())
    );
    let report = client.transfer_status(&id("t-42")).await.unwrap();
    assert_eq!(report.receive_amount.unwrap().to_string(), "1.11");
    try_mock.assert_async().await;
    create_mock.assert_async().await;
    status_mock.assert_async().await;
}

#[tokio::test]
async fn withdraw_try_check_account_create_and_status() {
    let server = MockServer::start_async().await;
    let try_mock = expect(
        &server,
        "/withdraw/try",
        json!({"amount": "100.23", "amount_type": "ps_amount", "payway": "qiwi_rub", "shop_currency": 643, "shop_id": 5,
               "sign": sha256_sign("100.23:ps_amount:qiwi_rub:643:5")}),
        ok(json!({"account_info_config": {"account": {"regex": "^7\\d{10}$", "title": "Phone"}}, "info": {},
                  "payee_receive": 100.23, "ps_currency": 643, "shop_currency": 643, "shop_write_off": "103.24"})),
    )
    .await;
    let check_mock = expect(
        &server,
        "/check_account",
        json!({"account": "79991112233", "amount": "100.23", "payway": "qiwi_rub", "shop_id": 5,
               "account_details": {"holder": "X"}, "sign": sha256_sign("79991112233:100.23:qiwi_rub:5")}),
        ok(json!({"account_info": null, "provider_status": 1, "result": true, "verified": true})),
    )
    .await;
    let create_mock = expect(
        &server,
        "/withdraw/create",
        json!({"account": "79991112233", "amount": "100.23", "amount_type": "ps_amount", "payway": "qiwi_rub",
               "shop_currency": 643, "shop_id": 5, "shop_payment_id": "shop_payment_111",
               "account_details": {"holder": "X"}, "description": "payout",
               "sign": "2fcf1bbba068d4541f86f2925dcc9f0308f498f7b11226bba10fddec402e6a59"}),
        ok(json!({"balance": 0.0, "id": 2051, "payee_receive": 100.23, "ps_currency": 643, "shop_currency": 643,
                  "shop_payment_id": "shop_payment_111", "shop_write_off": 103.24, "status": 3})),
    )
    .await;
    let by_id_mock = expect(
        &server,
        "/withdraw/status",
        json!({"now": EXAMPLE_NOW_TEXT, "shop_id": 5, "withdraw_id": 2051,
               "sign": sha256_sign(&format!("{EXAMPLE_NOW_TEXT}:5:2051"))}),
        ok(json!({"error_code": 0, "id": 2051, "payee_receive": 100.23, "ps_currency": 643, "shop_currency": 643,
                  "shop_payment_id": "shop_payment_111", "shop_write_off": 103.24, "status": 5})),
    )
    .await;
    let by_shop_id_mock = expect(
        &server,
        "/withdraw/shop_payment_status",
        json!({"now": EXAMPLE_NOW_TEXT, "shop_id": 5, "shop_payment_id": "shop_payment_111",
               "sign": sha256_sign(&format!("{EXAMPLE_NOW_TEXT}:5:shop_payment_111"))}),
        ok(json!({"error_code": 0, "id": 2051, "payee_receive": 100.23, "ps_currency": 643, "shop_currency": 643,
                  "shop_payment_id": "shop_payment_111", "shop_write_off": 103.24, "status": 6})),
    )
    .await;
    let client = client_for(&server, 5);
    assert_eq!(
        client.price_withdraw(&payout()).await.unwrap().shop_write_off.to_string(),
        "103.24"
    );
    assert_eq!(client.check_account(&payout()).await.unwrap().verified, Some(true));
    let created = client.create_withdraw(&payout()).await.unwrap();
    assert_eq!((created.id, created.status), (2051, WithdrawStatus::PsProcessing));
    let by_id = client.withdraw_status(&WithdrawStatusQuery::ById(2051)).await.unwrap();
    assert_eq!(by_id.status, WithdrawStatus::Success);
    let by_shop_id = client
        .withdraw_status(&WithdrawStatusQuery::by_shop_payment_id(id("shop_payment_111")))
        .await
        .unwrap();
    assert_eq!(by_shop_id.status, WithdrawStatus::Rejected);
    for mock in [try_mock, check_mock, create_mock, by_id_mock, by_shop_id_mock] {
        mock.assert_async().await;
    }
}

#[tokio::test]
async fn shop_balance() {
    let server = MockServer::start_async().await;
    let mock = expect(
        &server,
        "/shop_balance",
        json!({"now": EXAMPLE_NOW_TEXT, "shop_id": 5, "sign": sha256_sign(&format!("{EXAMPLE_NOW_TEXT}:5"))}),
        ok(json!({"shop_id": 5, "balances": [
            {"available": 98.1, "currency": 840, "frozen": 0.0, "hold": "1.5", "rolling_reserve": 0.4},
            {"available": "0.0", "currency": 643, "frozen": 0, "hold": 0}
        ]})),
    )
    .await;
    let balance = client_for(&server, 5).balance().await.unwrap();
    mock.assert_async().await;
    let core = balance.to_core();
    assert_eq!(core.len(), 2);
    assert_eq!(
        (core[0].currency, core[0].available.to_string(), core[0].held.to_string()),
        (Currency::USD, "98.1".into(), "1.9".into())
    );
}

/// Every endpoint reads the error envelope (HTTP 200, result false) as a typed error.
#[tokio::test]
async fn every_endpoint_reports_the_error_envelope() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(200).json_body(failure(11, "Shop (id = 5) is not found"));
        })
        .await;
    let client = client_for(&server, 5);
    let invoice = InvoiceCreate::new(id("1"), money("1", Currency::USD), "card_usd");
    let bill = feennex::api::bill::BillCreate::new(id("1"), money("1", Currency::USD));
    let results: Vec<(&str, Result<(), Error>)> = vec![
        ("bill/create", client.create_bill(&bill).await.map(drop)),
        ("bill/shop_order_status", client.bill_status(&id("1")).await.map(drop)),
        ("invoice/try", client.price_invoice(&invoice).await.map(drop)),
        ("invoice/create", client.create_invoice(&invoice).await.map(drop)),
        ("invoice/check", client.invoice_status(&id("1")).await.map(drop)),
        ("transfer/try", client.price_transfer(&transfer()).await.map(drop)),
        ("transfer/create", client.create_transfer(&transfer()).await.map(drop)),
        ("transfer/shop_payment_status", client.transfer_status(&id("t-42")).await.map(drop)),
        ("withdraw/try", client.price_withdraw(&payout()).await.map(drop)),
        ("check_account", client.check_account(&payout()).await.map(drop)),
        ("withdraw/create", client.create_withdraw(&payout()).await.map(drop)),
        ("withdraw/status", client.withdraw_status(&WithdrawStatusQuery::ById(1)).await.map(drop)),
        (
            "withdraw/shop_payment_status",
            client
                .withdraw_status(&WithdrawStatusQuery::by_shop_payment_id(id("1")))
                .await
                .map(drop),
        ),
        ("shop_balance", client.balance().await.map(drop)),
    ];
    assert_eq!(results.len(), 14);
    for (name, result) in results {
        match result {
            Err(Error::Api {
                endpoint,
                code: ErrorCode::ShopNotFound,
                message,
                http_status: 200,
            }) => {
                assert_eq!(endpoint, name);
                assert_eq!(message, "Shop (id = 5) is not found");
            }
            other => panic!("{name}: unexpected {other:?}"),
        }
    }
}
