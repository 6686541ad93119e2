//! Payment links: every documented rule, at and around each boundary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use fena::amount::AmountBounds;
use fena::link::{CLAIM_NAMES, PaymentClaims, PaymentLinkRequest};
use fena::{Config, Error};
use payments_core::payment::OrderId;
use payments_core::{Currency, Decimal, InputError, Money};
use serde_json::Value;

const TERMINAL: &str = "4af9b080-b6d3-4206-a10f-f2162f15b655";
const SECRET: &str = "0b7e3c1a-5d2f-4e8b-9a6c-2f1d3e4b5a69";
/// The documentation's example `iat`.
const IAT: u64 = 1_613_942_693;

fn config() -> Config {
    Config::new(TERMINAL, SECRET).with_clock(Arc::new(fena::clock::at_unix(IAT)))
}

fn gbp(text: &str) -> Money {
    Money::parse(text, Currency::GBP).unwrap()
}

fn request(amount: &str) -> PaymentLinkRequest {
    PaymentLinkRequest::new(OrderId::new("222").unwrap(), gbp(amount))
}

/// The claim an input error names.
fn refused_claim(result: Result<fena::link::SignedLink, Error>) -> &'static str {
    match result {
        Err(Error::Input(InputError::Field { field, .. })) => field,
        other => panic!("expected an input error, got {other:?}"),
    }
}

/// The payload of a token, as JSON text.
fn payload_text(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap())
        .unwrap()
}

#[test]
fn amount_range_by_default_is_050_inclusive_to_5000_exclusive() {
    assert_eq!(refused_claim(request("0.49").prepare(&config())), "amount");
    assert!(request("0.50").prepare(&config()).is_ok());
    assert!(request("0.51").prepare(&config()).is_ok());
    assert!(request("4999.99").prepare(&config()).is_ok());
    assert_eq!(refused_claim(request("5000.00").prepare(&config())), "amount");
    assert_eq!(refused_claim(request("5000.01").prepare(&config())), "amount");
}

#[test]
fn the_literal_reading_and_custom_bounds_are_configurable() {
    let literal = config().with_amount_bounds(AmountBounds::literal());
    assert_eq!(refused_claim(request("0.50").prepare(&literal)), "amount");
    assert!(request("0.51").prepare(&literal).is_ok());
    assert!(request("4999.99").prepare(&literal).is_ok());
    assert_eq!(refused_claim(request("5000.00").prepare(&literal)), "amount");

    let custom = config().with_amount_bounds(AmountBounds::new(
        Bound::Included(Decimal::new(1, 2)),
        Bound::Included(Decimal::new(10_000, 0)),
    ));
    assert!(request("0.01").prepare(&custom).is_ok());
    assert!(request("10000.00").prepare(&custom).is_ok());
    assert_eq!(refused_claim(request("10000.01").prepare(&custom)), "amount");
}

#[test]
fn amounts_are_gbp_with_two_decimals() {
    let link = request("10").prepare(&config()).unwrap();
    assert_eq!(link.claims().amount, "10.00");
    let link = request("12.5").prepare(&config()).unwrap();
    assert_eq!(link.claims().amount, "12.50");
    let eur = PaymentLinkRequest::new(
        OrderId::new("1").unwrap(),
        Money::parse("10", Currency::EUR).unwrap(),
    );
    assert_eq!(refused_claim(eur.prepare(&config())), "amount");
}

#[test]
fn sort_code_is_exactly_six_digits() {
    let with = |sort_code: &str| {
        request("10.00")
            .with_payer_account("ob-lloyds-personal", sort_code, "12345678")
            .prepare(&config())
    };
    assert_eq!(refused_claim(with("12345")), "sortCode");
    assert!(with("123456").is_ok());
    assert_eq!(refused_claim(with("1234567")), "sortCode");
    assert_eq!(refused_claim(with("12-345")), "sortCode");
    assert_eq!(refused_claim(with("12 345")), "sortCode");
    assert_eq!(refused_claim(with("12345a")), "sortCode");
    assert_eq!(refused_claim(with("１２３４５６")), "sortCode");
}

#[test]
fn account_number_is_exactly_eight_digits() {
    let with = |account: &str| {
        request("10.00")
            .with_payer_account("ob-lloyds-personal", "123456", account)
            .prepare(&config())
    };
    assert_eq!(refused_claim(with("1234567")), "accountNumber");
    assert!(with("12345678").is_ok());
    assert_eq!(refused_claim(with("123456789")), "accountNumber");
    assert_eq!(refused_claim(with("1234-678")), "accountNumber");
}

#[test]
fn bank_triple_is_all_or_none() {
    let base = || request("10.00");
    assert!(base().prepare(&config()).is_ok());
    assert!(
        base()
            .with_payer_account("ob-lloyds-personal", "123456", "12345678")
            .prepare(&config())
            .is_ok()
    );
    let partial = [
        base().with_bank_id("ob-lloyds-personal"),
        base().with_sort_code("123456"),
        base().with_account_number("12345678"),
        base().with_bank_id("ob-lloyds-personal").with_sort_code("123456"),
        base().with_bank_id("ob-lloyds-personal").with_account_number("12345678"),
        base().with_sort_code("123456").with_account_number("12345678"),
        base().with_payer_account("ob-lloyds-personal", "", "12345678"),
    ];
    for request in partial {
        assert_eq!(refused_claim(request.prepare(&config())), "bankID", "{request:?}");
    }
}

#[test]
fn every_string_is_at_most_255_bytes() {
    let ascii_255 = "a".repeat(255);
    let ascii_256 = "a".repeat(256);
    // 255 bytes in 128 characters, and 256 bytes in 128 characters.
    let multi_255 = format!("{}a", "é".repeat(127));
    let multi_256 = "é".repeat(128);
    assert_eq!(multi_255.len(), 255);
    assert_eq!(multi_256.len(), 256);
    type Setter = fn(PaymentLinkRequest, String) -> PaymentLinkRequest;
    let setters: [(&str, Setter); 5] = [
        ("email", |r, v| r.with_email(v)),
        ("firstName", |r, v| r.with_first_name(v)),
        ("lastName", |r, v| r.with_last_name(v)),
        ("contactNumber", |r, v| r.with_contact_number(v)),
        ("bankID", |r, v| r.with_payer_account(v, "123456", "12345678")),
    ];
    for (claim, set) in setters {
        for ok in [&ascii_255, &multi_255] {
            assert!(set(request("10.00"), ok.clone()).prepare(&config()).is_ok(), "{claim}");
        }
        for too_long in [&ascii_256, &multi_256] {
            assert_eq!(
                refused_claim(set(request("10.00"), too_long.clone()).prepare(&config())),
                claim
            );
        }
    }
    // The order id: 255 bytes pass, 256 bytes are refused even in 128 characters.
    for ok in [&ascii_255, &multi_255] {
        let request = PaymentLinkRequest::new(OrderId::new(ok.clone()).unwrap(), gbp("1"));
        assert!(request.prepare(&config()).is_ok());
    }
    let request = PaymentLinkRequest::new(OrderId::new(multi_256.clone()).unwrap(), gbp("1"));
    assert_eq!(refused_claim(request.prepare(&config())), "orderID");
    // The terminal id.
    let config = Config::new(ascii_256, SECRET);
    assert_eq!(
        refused_claim(
            PaymentLinkRequest::new(OrderId::new("1").unwrap(), gbp("1")).prepare(&config)
        ),
        "terminalID"
    );
}

#[test]
fn all_twelve_claims_are_always_written_in_order_and_never_null() {
    let link = request("0.50").prepare(&config()).unwrap();
    let payload = payload_text(link.token());
    let claims: serde_json::Map<String, Value> = serde_json::from_str(&payload).unwrap();
    assert_eq!(claims.len(), 12);
    // Key order as documented (the map sorts keys, so look at the text itself).
    let mut last = 0;
    for name in CLAIM_NAMES {
        let at = payload.find(&format!("\"{name}\":")).unwrap_or_else(|| panic!("{name} missing"));
        assert!(at >= last, "{name} out of order in {payload}");
        last = at;
    }
    for name in
        ["email", "firstName", "lastName", "contactNumber", "bankID", "sortCode", "accountNumber"]
    {
        assert_eq!(claims[name], Value::String(String::new()), "{name}");
    }
    assert!(!payload.contains("null"));
    assert_eq!(claims["amount"], "0.50");
    assert_eq!(claims["orderID"], "222");
    assert_eq!(claims["terminalID"], TERMINAL);
    assert_eq!(link.token().split('.').next().unwrap(), "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9");
}

#[test]
fn iat_comes_from_the_clock_and_links_live_two_hours_by_default() {
    let link = request("0.50").prepare(&config()).unwrap();
    // The documentation's example: iat 1613942693, exp 1613949893.
    assert_eq!(link.claims().iat, 1_613_942_693);
    assert_eq!(link.claims().exp, 1_613_949_893);
    let short = config().with_link_lifetime(Duration::from_secs(600));
    assert_eq!(request("0.50").prepare(&short).unwrap().claims().exp, 1_613_943_293);
    let zero = config().with_link_lifetime(Duration::ZERO);
    assert_eq!(refused_claim(request("0.50").prepare(&zero)), "link_lifetime");
}

#[test]
fn the_pay_url_base_is_configurable() {
    let link = request("1").prepare(&config()).unwrap();
    assert_eq!(link.url(), format!("https://app.fena.co/pay/?token={}", link.token()));
    let old = config().with_pay_url("https://app.faizpay.com/pay").unwrap();
    let link = request("1").prepare(&old).unwrap();
    assert_eq!(link.url(), format!("https://app.faizpay.com/pay?token={}", link.token()));
    assert_eq!(url::Url::parse(link.url()).unwrap().query_pairs().count(), 1);
}

#[test]
fn the_link_is_the_pay_url_with_the_token_added_to_its_query() {
    // The URL is written directly; it must be exactly what adding the token as a form pair
    // to the configured URL gives, whatever query or fragment that URL already has.
    for (base, expected_prefix, expected_suffix) in [
        ("https://app.fena.co/pay/", "https://app.fena.co/pay/?token=", ""),
        ("https://pay.example/p?", "https://pay.example/p?token=", ""),
        ("https://pay.example/p?a=b%20c&d", "https://pay.example/p?a=b%20c&d&token=", ""),
        ("https://pay.example/p#top", "https://pay.example/p?token=", "#top"),
        ("https://pay.example/p?x=1#a?b", "https://pay.example/p?x=1&token=", "#a?b"),
    ] {
        let config = config().with_pay_url(base).unwrap();
        let link = request("1").prepare(&config).unwrap();
        let by_url = fena::link::pay_url(&config, link.token());
        assert_eq!(link.url(), by_url.as_str(), "{base}");
        assert_eq!(
            link.url(),
            format!("{expected_prefix}{}{expected_suffix}", link.token()),
            "{base}"
        );
        assert_eq!(
            link.to_payment_link(),
            payments_core::payment::PaymentLink::Redirect(by_url),
            "{base}"
        );
    }
}

#[test]
fn signed_links_verify_and_another_secret_does_not() {
    let link = request("1").with_email("user@example.com").prepare(&config()).unwrap();
    let claims = PaymentClaims::verify(link.token(), &config()).unwrap();
    assert_eq!(&claims, link.claims());
    let other =
        Config::new(TERMINAL, "another-secret").with_clock(Arc::new(fena::clock::at_unix(IAT)));
    assert!(PaymentClaims::verify(link.token(), &other).is_err());
    // Nothing personal in Debug.
    let debug = format!("{link:?}");
    assert!(!debug.contains("user@example.com"), "{debug}");
}
