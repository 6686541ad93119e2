//! Signing `orders/create` against a raw HMAC-SHA256 of the same string with the same key.
//!
//! `api_sign` times what `ApiRequest::build` signs every API request with: the string to sign
//! and the digest of `sign::API_SCHEME` (what `SignedFields::sign` calls; not
//! `sign::api_fields_signature`, which no request uses).
//!
//! `cargo bench -p freekassa --bench sign`. Compare the figures of one run: the machine is
//! shared and noisy, the ratio is what holds. `cargo xtask bench` prints the ratios.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, reason = "benchmark harness")]

#[path = "../../../benches-support/alloc_count.rs"]
mod alloc_count;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use freekassa::api::orders::OrderCreate;
use freekassa::{Config, PaymentSystemId};
use hmac::{Hmac, KeyInit, Mac};
use payments_core::payment::OrderId;
use payments_core::{Currency, Money, SecretString};
use sha2::Sha256;

const API_KEY: &str = "test_api_key";
const NONCE: u64 = 1_700_000_000_001;

fn raw_hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn orders_create(c: &mut Criterion) {
    let config = Config::new(777).with_api_key(API_KEY);
    let order = OrderCreate::new(
        OrderId::new("order-42").unwrap(),
        Money::parse("100.50", Currency::RUB).unwrap(),
        PaymentSystemId::SBP_API,
        "user@example.com",
        "203.0.113.10",
    );
    // The fields `orders/create` signs, as the request builder writes them.
    let fields = [
        ("paymentId", "order-42"),
        ("amount", "100.5"),
        ("currency", "RUB"),
        ("i", "44"),
        ("email", "user@example.com"),
        ("ip", "203.0.113.10"),
        ("shopId", "777"),
        ("nonce", "1700000000001"),
    ];
    let key = SecretString::from(API_KEY);
    let text = "100.5|RUB|user@example.com|44|203.0.113.10|1700000000001|order-42|777";

    let prepared = order.prepare(&config, NONCE).unwrap();
    assert_eq!(prepared.string_to_sign(), text, "both sides sign the same string");
    assert_eq!(freekassa::sign::api_string_to_sign(fields).unwrap(), text);
    let expected = hex(&raw_hmac(API_KEY.as_bytes(), text.as_bytes()));
    assert_eq!(freekassa::sign::api_signature(text, &key), expected);
    assert_eq!(request_signature(fields, &key).to_string(), expected);
    let body = prepared.body_json().unwrap();
    let signature = body.get("signature").and_then(|signature| signature.as_str());
    assert_eq!(signature, Some(expected.as_str()));

    let mut group = c.benchmark_group("freekassa_orders_create_sign");
    group.bench_function("raw_hmac_sha256", |b| {
        b.iter(|| raw_hmac(black_box(API_KEY.as_bytes()), black_box(text.as_bytes())))
    });
    group.bench_function("api_sign", |b| {
        b.iter(|| request_signature(black_box(fields), black_box(&key)))
    });
    alloc_count::record("freekassa_orders_create_sign", "prepare", || {
        order.prepare(&config, NONCE).unwrap()
    });
    group.bench_function("prepare", |b| {
        b.iter(|| black_box(&order).prepare(black_box(&config), black_box(NONCE)).unwrap())
    });
    group.finish();
}

/// What `ApiRequest::build` (behind every `prepare`) signs with: `API_SCHEME`'s string to
/// sign, then its digest, `hmac_sha256_hex(api_key, string_to_sign)`.
fn request_signature(
    fields: [(&'static str, &'static str); 8],
    key: &SecretString,
) -> payments_core::signature::HexDigest {
    let scheme = freekassa::sign::API_SCHEME;
    let text = scheme.string_to_sign(fields).unwrap();
    (scheme.digest)(&text, key)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

criterion_group!(benches, orders_create);
criterion_main!(benches);
