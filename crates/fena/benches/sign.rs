//! Signing a Fena payment link (an HS512 JWT) against a raw HMAC-SHA512 of the same signing
//! input (`base64url(header).base64url(claims)`) with the same key.
//!
//! `cargo bench -p fena --bench sign`. Compare the figures of one run: the machine is shared
//! and noisy, the ratio is what holds. `cargo xtask bench` prints the ratios.
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
use fena::link::PaymentLinkRequest;
use hmac::{Hmac, KeyInit, Mac};
use payments_core::payment::OrderId;
use payments_core::{Currency, Money};
use sha2::Sha512;

const TERMINAL_ID: &str = "4af9b080-b6d3-4206-a10f-f2162f15b655";
const SECRET: &str = "0b7e3c1a-5d2f-4e8b-9a6c-2f1d3e4b5a69";

fn raw_hmac(key: &[u8], message: &[u8]) -> [u8; 64] {
    let mut mac = Hmac::<Sha512>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn payment_token(c: &mut Criterion) {
    let config =
        Config::new(TERMINAL_ID, SECRET).with_clock(Arc::new(fena::clock::at_unix(1_700_000_000)));
    // The "payment request" of `testdata/vectors/fena.json`, all 12 claims set.
    let request = PaymentLinkRequest::new(
        OrderId::new("ORDER-0001").unwrap(),
        Money::parse("10.00", Currency::GBP).unwrap(),
    )
    .with_email("user@example.com")
    .with_first_name("John")
    .with_last_name("Doe")
    .with_contact_number("07000000000")
    .with_payer_account("ob-lloyds-personal", "123456", "12345678");
    let link = request.prepare(&config).unwrap();
    let claims = link.claims().clone();
    let (signing_input, signature) = link.token().rsplit_once('.').unwrap();
    let signing_input = signing_input.as_bytes().to_vec();
    let mac = raw_hmac(SECRET.as_bytes(), &signing_input);
    assert_eq!(signature, base64url(&mac), "both sides MAC the same bytes");

    let mut group = c.benchmark_group("fena_payment_token_sign");
    group.bench_function("raw_hmac_sha512", |b| {
        b.iter(|| raw_hmac(black_box(SECRET.as_bytes()), black_box(&signing_input)))
    });
    hmac_libraries::aws_lc_raw(&mut group, SECRET.as_bytes(), &signing_input);
    group.bench_function("claims_sign", |b| {
        b.iter(|| black_box(&claims).sign(black_box(&config)).unwrap())
    });
    alloc_count::record("fena_payment_token_sign", "link_sign", || {
        request.prepare(&config).unwrap()
    });
    group.bench_function("link_sign", |b| {
        b.iter(|| black_box(&request).prepare(black_box(&config)).unwrap())
    });
    group.bench_function("paired_link_x1000", |b| {
        paired::paired(
            b,
            || raw_hmac(black_box(SECRET.as_bytes()), black_box(&signing_input)),
            || black_box(&request).prepare(black_box(&config)).unwrap(),
        )
    });
    // The same, against a raw HMAC whose key is made once and cloned per call, as
    // `fena::Config` keeps ours: what signing costs beyond the MAC itself.
    let keyed = Hmac::<Sha512>::new_from_slice(SECRET.as_bytes()).unwrap();
    group.bench_function("paired_link_keyed_x1000", |b| {
        paired::paired(
            b,
            || {
                let mut mac = black_box(&keyed).clone();
                mac.update(black_box(&signing_input));
                mac.finalize()
            },
            || black_box(&request).prepare(black_box(&config)).unwrap(),
        )
    });
    group.finish();
}

/// Unpadded base64url, written out so the check does not lean on the code under test.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0_u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

criterion_group!(benches, payment_token);
criterion_main!(benches);
