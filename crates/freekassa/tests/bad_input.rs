//! Bad input is refused before anything is sent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use freekassa::api::orders::{OrderCreate, OrderList, Recurrence};
use freekassa::model::{RecurrentPeriod, currency_from_code};
use freekassa::{Config, Error, PaymentForm, PaymentSystemId};
use httpmock::prelude::*;
use payments_core::payment::OrderId;
use payments_core::{Currency, Money, MoneyError};
use serde_json::json;

use common::client;

fn order(money: Money) -> OrderCreate {
    OrderCreate::new(
        OrderId::new("order-1").unwrap(),
        money,
        PaymentSystemId::SBP_API,
        "user@example.com",
        "203.0.113.10",
    )
}

fn rub(text: &str) -> Money {
    Money::parse(text, Currency::RUB).unwrap()
}

fn field_of(err: &Error) -> &'static str {
    match err {
        Error::Input(payments_core::InputError::Field { field, .. }) => field,
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[tokio::test]
async fn nothing_is_sent_for_bad_input() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(json!({"type": "success"}));
        })
        .await;
    let client = client(&server, 1);

    // Non-positive amounts cannot even become money.
    assert!(matches!(Money::parse("0", Currency::RUB), Err(MoneyError::NotPositive { .. })));
    assert!(matches!(Money::parse("-100", Currency::RUB), Err(MoneyError::Unparsable { .. })));
    assert!(matches!(Money::parse("0.00", Currency::RUB), Err(MoneyError::NotPositive { .. })));

    // Unsupported currency text, the docs' "UAN" typo included, and currencies Freekassa
    // does not take.
    for text in ["UAN", "rub", "GBP", "", "RUB "] {
        assert!(currency_from_code(text).is_err(), "{text:?}");
    }
    let gbp = order(Money::parse("10", Currency::GBP).unwrap());
    assert_eq!(field_of(&client.create_order(&gbp).await.unwrap_err()), "currency");

    // `ip` that is not an IP address.
    for ip in ["not-an-ip", "203.0.113", "203.0.113.10:80", "", "127.0.0.1", "0.0.0.0", "::1"] {
        let mut bad = order(rub("10"));
        bad.ip = ip.into();
        assert_eq!(field_of(&client.create_order(&bad).await.unwrap_err()), "ip", "{ip:?}");
    }

    // Recurring description outside 10..=200 characters (counted as characters, not bytes).
    for description in ["short", "123456789", &"я".repeat(201)] {
        let bad =
            order(rub("10")).with_recurrence(Recurrence::new(RecurrentPeriod::Month, description));
        assert_eq!(
            field_of(&client.create_order(&bad).await.unwrap_err()),
            "recurrent_description",
            "{description:?}"
        );
    }
    for description in ["1234567890", &"я".repeat(200)] {
        let ok =
            order(rub("10")).with_recurrence(Recurrence::new(RecurrentPeriod::Day, description));
        assert!(ok.prepare(client.config(), 1).is_ok(), "{description:?}");
    }

    // E-mail and dates.
    let mut bad = order(rub("10"));
    bad.email = "no-at-sign".into();
    assert_eq!(field_of(&client.create_order(&bad).await.unwrap_err()), "email");
    let bad_dates = OrderList::new().with_dates("01.01.2021", "2021-01-02 13:45:21");
    assert_eq!(field_of(&client.orders(&bad_dates).await.unwrap_err()), "dateFrom");

    // Amounts PHP would print with an exponent or round.
    let huge = order(Money::parse("123456789012345", Currency::RUB).unwrap());
    assert_eq!(field_of(&client.create_order(&huge).await.unwrap_err()), "amount");

    assert_eq!(mock.calls_async().await, 0);
}

#[test]
fn us_fields_breaking_the_rules_are_refused() {
    let config = Config::new(7012).with_secret1("secret");
    let form = || PaymentForm::new(OrderId::new("154").unwrap(), rub("100.11"));
    for (key, value) in [
        ("login", "ivanov"),     // no us_ prefix
        ("US_login", "ivanov"),  // the prefix is lower-case
        ("us_", "ivanov"),       // nothing after the prefix
        ("us_log-in", "ivanov"), // key: Latin letters and digits only
        ("us_логин", "ivanov"),
        ("us_login", "ivanov 1971"), // value: no spaces
        ("us_login", "иванов"),      // value: Latin only
        ("us_login", "a@b"),
        ("us_login", ""),
    ] {
        let err = form().with_custom_field(key, value).prepare(&config).unwrap_err();
        assert_eq!(field_of(&err), "us_", "{key}={value}");
    }
    assert!(form().with_custom_field("us_login2", "Ivanov-1971_x").prepare(&config).is_ok());
}

#[test]
fn missing_credentials_are_named() {
    let money = rub("1");
    let err =
        PaymentForm::new(OrderId::new("1").unwrap(), money).prepare(&Config::new(1)).unwrap_err();
    assert_eq!(field_of(&err), "secret1");
    let err = order(money).prepare(&Config::new(1), 1).unwrap_err();
    assert_eq!(field_of(&err), "api_key");
    assert!(freekassa::NotificationVerifier::new(&Config::new(1)).is_err());
}
