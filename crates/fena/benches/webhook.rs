//! Verifying a Fena webhook (an HS512 JWT in a form body) from its raw bytes, with a fixed
//! clock, next to a raw HMAC-SHA512 of its signing input.
//!
//! `cargo bench -p fena --bench webhook`. The token is the "webhook" entry of
//! `testdata/vectors/fena.json`; `cargo xtask bench` turns the time into verifications per
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
#[path = "support/hmac_libraries.rs"]
mod hmac_libraries;
#[path = "../../../benches-support/paired.rs"]
mod paired;

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use fena::Config;
use fena::webhook::TokenVerifier;
use hmac::{Hmac, KeyInit, Mac};
use payments_core::webhook::WebhookRequest;
use sha2::Sha512;

const VECTORS: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/vectors/fena.json"));

fn webhook(c: &mut Criterion) {
    let vectors: serde_json::Value = serde_json::from_str(VECTORS).unwrap();
    let secret = vectors["secret"].as_str().unwrap();
    let terminal = vectors["terminal_id"].as_str().unwrap();
    let vector = vectors["valid"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["name"] == "webhook")
        .unwrap();
    let body = vector["form_body"].as_str().unwrap().to_owned();
    let token = vector["token"].as_str().unwrap();
    let (signing_input, _) = token.rsplit_once('.').unwrap();
    let signing_input = signing_input.as_bytes().to_vec();

    let config =
        Config::new(terminal, secret).with_clock(Arc::new(fena::clock::at_unix(1_700_000_200)));
    let verifier = TokenVerifier::new(config);
    let request = WebhookRequest::form_post(body);
    let verified = verifier.verify_request(&request).unwrap();
    assert_eq!(verified.order_id(), "ORDER-0001");

    let mut group = c.benchmark_group("fena_webhook_verify");
    group.bench_function("raw_hmac_sha512", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha512>::new_from_slice(black_box(secret.as_bytes())).unwrap();
            mac.update(black_box(&signing_input));
            mac.finalize()
        })
    });
    alloc_count::record("fena_webhook_verify", "verify_request", || {
        verifier.verify_request(&request).unwrap()
    });
    hmac_libraries::aws_lc_raw(&mut group, secret.as_bytes(), &signing_input);
    group.bench_function("verify_request", |b| {
        b.iter(|| black_box(&verifier).verify_request(black_box(&request)).unwrap())
    });
    group.bench_function("paired_verify_x1000", |b| {
        paired::paired(
            b,
            || {
                let mut mac = Hmac::<Sha512>::new_from_slice(black_box(secret.as_bytes())).unwrap();
                mac.update(black_box(&signing_input));
                mac.finalize()
            },
            || black_box(&verifier).verify_request(black_box(&request)).unwrap(),
        )
    });
    // The same, against a raw HMAC whose key is made once and cloned per call, as
    // `fena::Config` keeps ours: what verifying costs beyond the MAC itself.
    let keyed = Hmac::<Sha512>::new_from_slice(secret.as_bytes()).unwrap();
    group.bench_function("paired_verify_keyed_x1000", |b| {
        paired::paired(
            b,
            || {
                let mut mac = black_box(&keyed).clone();
                mac.update(black_box(&signing_input));
                mac.finalize()
            },
            || black_box(&verifier).verify_request(black_box(&request)).unwrap(),
        )
    });
    group.finish();
}

criterion_group!(benches, webhook);
criterion_main!(benches);
