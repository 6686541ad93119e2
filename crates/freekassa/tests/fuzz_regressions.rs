//! Inputs the fuzz targets (`crates/payments-fuzz`) found to break a parser, kept as tests.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a failing test should fail loudly")]

use freekassa::api::orders::OrderCreate;
use freekassa::{Config, PaymentSystemId};
use payments_core::payment::OrderId;
use payments_core::transport::HttpResponse;
use payments_core::{Currency, Money};

/// `freekassa_responses` found this `orders/create` answer: its `location` host mixes ASCII
/// capitals with a non-ASCII letter. With url's ASCII-only IDNA backend (idna_adapter 1.0)
/// reading it hit a debug assertion, so a debug build panicked on a response from the
/// network. It must be read or refused, never panic.
#[test]
fn a_location_host_with_capitals_and_non_ascii_letters_does_not_panic() {
    let body = "{\"type\":\"success\",\"orderId\":1234,\"orderHash\":\"a/b4c3\",\
                \"location\":\"http:dateay.freE\u{55b}ssa.examp0le/form/1234\"}";
    let order = OrderCreate::new(
        OrderId::new("order-42").unwrap(),
        Money::parse("100.5", Currency::RUB).unwrap(),
        PaymentSystemId::VISA_RUB,
        "user@example.com",
        "203.0.113.10",
    );
    let prepared = order.prepare(&Config::new(777).with_api_key("api-key"), 1).unwrap();
    let result = std::panic::catch_unwind(|| {
        order.parse_response(
            &prepared,
            &HttpResponse::new(http::StatusCode::OK, body.as_bytes().to_vec()),
        )
    });
    assert!(result.is_ok(), "parsing the response panicked");
}
