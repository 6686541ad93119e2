//! Inputs the fuzz targets (`crates/payments-fuzz`) found to break a parser, kept as tests.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a failing test should fail loudly")]

use fena::ToolkitConfig;
use fena::api::payment::PaymentCreate;
use payments_core::transport::HttpResponse;
use payments_core::{Currency, Money};

/// `fena_responses` found this answer: its `link` host has a capital and a `%DE` escape. With
/// url's ASCII-only IDNA backend (idna_adapter 1.0) reading it hit a debug assertion in that
/// crate (the panic the fuzzer printed was at idna_adapter-1.0.0/src/lib.rs:193), so a debug
/// build panicked on a response from the network. It must be read or refused, never panic.
#[test]
fn a_link_host_with_a_capital_and_an_escaped_byte_does_not_panic() {
    let body = r#"{"crpageeat:ed":true,"result":{"amountndbox":true,"link":"https:.................O%DER-6","status":"sent"}}"#;
    let create =
        PaymentCreate::new("ORDER-7", Money::parse("10.00", Currency::GBP).unwrap()).unwrap();
    let prepared = create.prepare(&ToolkitConfig::new("62b48adf6ba2cd6a040b1eec", "key")).unwrap();
    let result = std::panic::catch_unwind(|| {
        create.parse_response(
            &prepared,
            &HttpResponse::new(http::StatusCode::OK, body.as_bytes().to_vec()),
        )
    });
    assert!(result.is_ok(), "parsing the response panicked");
}
