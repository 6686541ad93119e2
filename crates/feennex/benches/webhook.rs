//! Verifying a Feennex callback from its raw body, next to a raw SHA-256 of the string it signs.
//!
//! `cargo bench -p feennex --bench webhook`. The callback is the one of
//! `testdata/vectors/feennex.json`; `cargo xtask bench` turns the time into verifications per
//! second on one core.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "benchmark harness"
)]

#[path = "../../../benches-support/alloc_count.rs"]
mod alloc_count;
#[path = "../../../benches-support/paired.rs"]
mod paired;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use feennex::Config;
use feennex::webhook::CallbackVerifier;
use payments_core::webhook::WebhookRequest;
use sha2::{Digest, Sha256};

const VECTORS: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/vectors/feennex.json"));

fn callback(c: &mut Criterion) {
    let vectors: serde_json::Value = serde_json::from_str(VECTORS).unwrap();
    let vector = &vectors["callbacks"][0];
    let body = vector["body"].as_str().unwrap().to_owned();
    let secret = vector["secret"].as_str().unwrap();
    let string_to_sign = vector["string_to_sign"].as_str().unwrap();
    let signed = format!("{string_to_sign}{secret}").into_bytes();

    let verifier = CallbackVerifier::new(Config::new(1, secret));
    let request = WebhookRequest::form_post(body);
    let callback = verifier.verify_request(&request).unwrap();
    assert_eq!(callback.shop_order_id, "1");
    assert_eq!(vector["content_type"], "application/x-www-form-urlencoded");

    let mut group = c.benchmark_group("feennex_callback_verify");
    group.bench_function("raw_sha256", |b| b.iter(|| Sha256::digest(black_box(&signed))));
    alloc_count::record("feennex_callback_verify", "verify", || {
        verifier.verify_request(&request).unwrap()
    });
    group.bench_function("verify", |b| {
        b.iter(|| black_box(&verifier).verify_request(black_box(&request)).unwrap())
    });
    group.bench_function("paired_verify_x1000", |b| {
        paired::paired(
            b,
            || Sha256::digest(black_box(&signed)),
            || black_box(&verifier).verify_request(black_box(&request)).unwrap(),
        )
    });
    group.finish();
}

criterion_group!(benches, callback);
criterion_main!(benches);
