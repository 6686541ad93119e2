//! Bad input is refused before anything is sent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use common::client_for;
use feennex::Error;
use feennex::api::bill::BillCreate;
use feennex::api::invoice::InvoiceCreate;
use feennex::api::transfer::TransferCreate;
use feennex::api::withdraw::{WithdrawAmountType, WithdrawCreate};
use httpmock::prelude::*;
use payments_core::payment::OrderId;
use payments_core::{Currency, Money, MoneyError};

fn rub(text: &str) -> Money {
    Money::parse(text, Currency::RUB).unwrap()
}

fn id() -> OrderId {
    OrderId::new("o-1").unwrap()
}

#[test]
fn amounts_and_ids_cannot_be_built_wrong() {
    assert!(matches!(Money::parse("0", Currency::RUB), Err(MoneyError::NotPositive { .. })));
    assert!(matches!(Money::parse("-1", Currency::RUB), Err(MoneyError::Unparsable { .. })));
    assert!(matches!(
        Money::parse("1.005", Currency::RUB),
        Err(MoneyError::TooManyDecimals { .. })
    ));
    assert!(OrderId::new("x".repeat(255)).is_ok());
    assert!(OrderId::new("x".repeat(256)).is_err());
}

#[tokio::test]
async fn requests_with_bad_fields_never_reach_the_server() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let client = client_for(&server, 5);
    let long = "d".repeat(256);

    let errors: Vec<(&str, Error)> = vec![
        (
            "description",
            client
                .create_bill(&BillCreate::new(id(), rub("1")).with_description(long.clone()))
                .await
                .unwrap_err(),
        ),
        (
            "payway",
            client.create_invoice(&InvoiceCreate::new(id(), rub("1"), "")).await.unwrap_err(),
        ),
        (
            "payway",
            client
                .price_invoice(&InvoiceCreate::new(id(), rub("1"), "card rub"))
                .await
                .unwrap_err(),
        ),
        (
            "description",
            client
                .create_invoice(
                    &InvoiceCreate::new(id(), rub("1"), "card_rub").with_description(long.clone()),
                )
                .await
                .unwrap_err(),
        ),
        (
            "payway",
            client
                .create_withdraw(&WithdrawCreate::new(
                    id(),
                    "",
                    "4111",
                    rub("1"),
                    WithdrawAmountType::PsAmount,
                    Currency::RUB,
                ))
                .await
                .unwrap_err(),
        ),
        (
            "account",
            client
                .create_withdraw(&WithdrawCreate::new(
                    id(),
                    "card_rub",
                    "",
                    rub("1"),
                    WithdrawAmountType::PsAmount,
                    Currency::RUB,
                ))
                .await
                .unwrap_err(),
        ),
        (
            "amount",
            client
                .create_withdraw(&WithdrawCreate::new(
                    id(),
                    "card_rub",
                    "4111",
                    rub("1"),
                    WithdrawAmountType::ShopAmount,
                    Currency::USD,
                ))
                .await
                .unwrap_err(),
        ),
        (
            "description",
            client
                .create_transfer(
                    &TransferCreate::receive(id(), "2014", rub("1"), Currency::RUB)
                        .with_description(long),
                )
                .await
                .unwrap_err(),
        ),
        (
            "payee_account",
            client
                .create_transfer(&TransferCreate::write_off(id(), "", rub("1"), Currency::USD))
                .await
                .unwrap_err(),
        ),
    ];
    for (field, error) in errors {
        assert!(matches!(&error, Error::Input(_)), "{field}: {error:?}");
        assert!(error.to_string().contains(field), "{field}: {error}");
    }
    assert_eq!(mock.calls_async().await, 0);
}
