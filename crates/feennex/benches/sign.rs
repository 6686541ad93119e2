//! Signing `bill/create` and `invoice/create` against a raw SHA-256 of the same bytes.
//!
//! The `sign` benches time what `SignedRequest::build` signs every request with: the string
//! to sign and the digest of `sign::REQUEST_SCHEME` (what `SignedFields::sign` calls; not
//! `sign::signature`, which no request uses).
//!
//! `cargo bench -p feennex --bench sign`. Compare the figures of one run: the machine is
//! shared and noisy, the ratio is what holds. `cargo xtask bench` prints the ratios.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, reason = "benchmark harness")]

#[path = "../../../benches-support/alloc_count.rs"]
mod alloc_count;
#[path = "../../../benches-support/paired.rs"]
mod paired;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use feennex::Config;
use feennex::api::bill::BillCreate;
use feennex::api::invoice::InvoiceCreate;
use payments_core::payment::OrderId;
use payments_core::{Currency, Money, SecretString};
use sha2::{Digest, Sha256};

fn signing(c: &mut Criterion) {
    let secret = SecretString::from("SecretKey01");
    let fields = [
        ("shop_order_id", "123456"),
        ("shop_id", "5"),
        ("shop_currency", "643"),
        ("shop_amount", "23.15"),
        ("payer_currency", "643"),
    ];
    let bytes = b"643:23.15:643:5:123456SecretKey01";
    let (text, sign) = feennex::sign::sign(fields, &secret).unwrap();
    assert_eq!(format!("{text}SecretKey01").as_bytes(), bytes, "both sides hash the same bytes");
    assert_eq!(sign, hex(&Sha256::digest(bytes)));
    assert_eq!(request_signature(fields, &secret).to_string(), sign);

    let mut group = c.benchmark_group("bill_create_signature");
    group.bench_function("raw_sha256", |b| b.iter(|| Sha256::digest(black_box(bytes))));
    group.bench_function("feennex_sign", |b| {
        b.iter(|| request_signature(black_box(fields), black_box(&secret)))
    });
    let config = Config::new(5, "SecretKey01");
    let request = BillCreate::new(
        OrderId::new("123456").unwrap(),
        Money::parse("23.15", Currency::RUB).unwrap(),
    );
    alloc_count::record("bill_create_signature", "prepare_whole_request", || {
        request.prepare(&config).unwrap()
    });
    group.bench_function("prepare_whole_request", |b| {
        b.iter(|| black_box(&request).prepare(black_box(&config)).unwrap())
    });
    group.bench_function("paired_prepare_x1000", |b| {
        paired::paired(
            b,
            || Sha256::digest(black_box(bytes)),
            || black_box(&request).prepare(black_box(&config)).unwrap(),
        )
    });
    group.finish();

    // What `prepare` spends beyond the body and string to sign, each on its own: the amount's
    // text, the endpoint's URL from the config's cache, and the digest with its hex.
    let mut parts = c.benchmark_group("bill_create_parts");
    parts.bench_function("amount_text", |b| {
        b.iter(|| feennex::amount::amount_text(black_box(&request.amount)).unwrap())
    });
    parts.bench_function("endpoint_url", |b| {
        b.iter(|| black_box(&config).endpoint_url(black_box(BillCreate::ENDPOINT)).unwrap())
    });
    parts.bench_function("sign_bytes", |b| {
        b.iter(|| feennex::sign::sign_bytes(black_box(&bytes[..22]), black_box(&secret)))
    });
    parts.finish();
}

/// `invoice/create` as in the published Piastrix 2020 vector (`testdata/vectors/feennex.json`).
fn invoice_create(c: &mut Criterion) {
    let secret = SecretString::from("SecretKey01");
    let fields = [
        ("amount", "12.34"),
        ("currency", "643"),
        ("payway", "payeer_rub"),
        ("shop_id", "5"),
        ("shop_order_id", "4126"),
    ];
    let bytes = b"12.34:643:payeer_rub:5:4126SecretKey01";
    let expected = "9cf003e3ad9da90ff00b06349b677261d5539f7e0540fb976c45537a141222c1";
    let (text, sign) = feennex::sign::sign(fields, &secret).unwrap();
    assert_eq!(format!("{text}SecretKey01").as_bytes(), bytes, "both sides hash the same bytes");
    assert_eq!(sign, expected);
    assert_eq!(hex(&Sha256::digest(bytes)), expected);

    let config = Config::new(5, "SecretKey01");
    let request = InvoiceCreate::new(
        OrderId::new("4126").unwrap(),
        Money::parse("12.34", Currency::RUB).unwrap(),
        "payeer_rub",
    );
    let prepared = request.prepare(&config).unwrap();
    assert_eq!(prepared.string_to_sign(), text);
    let body = prepared.body_json().unwrap();
    assert_eq!(body.get("sign").and_then(|sign| sign.as_str()), Some(expected));

    let mut group = c.benchmark_group("feennex_invoice_create_sign");
    group.bench_function("raw_sha256", |b| b.iter(|| Sha256::digest(black_box(bytes))));
    assert_eq!(request_signature(fields, &secret).to_string(), expected);
    group.bench_function("sign", |b| {
        b.iter(|| request_signature(black_box(fields), black_box(&secret)))
    });
    alloc_count::record("feennex_invoice_create_sign", "prepare", || {
        request.prepare(&config).unwrap()
    });
    group.bench_function("prepare", |b| {
        b.iter(|| black_box(&request).prepare(black_box(&config)).unwrap())
    });
    group.finish();
}

/// What `SignedRequest::build` (behind every `prepare`) signs with: `REQUEST_SCHEME`'s string
/// to sign, then its digest, `sha256_hex(string_to_sign + secret)`.
fn request_signature(
    fields: [(&'static str, &'static str); 5],
    secret: &SecretString,
) -> payments_core::signature::HexDigest {
    let scheme = feennex::sign::REQUEST_SCHEME;
    let text = scheme.string_to_sign(fields).unwrap();
    (scheme.digest)(&text, secret)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

criterion_group!(benches, signing, invoice_create);
criterion_main!(benches);
