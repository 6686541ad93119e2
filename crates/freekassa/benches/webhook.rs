//! Verifying a Freekassa payment notification from its raw form body, with the source check.
//!
//! `cargo bench -p freekassa --bench webhook`. The notification is built with
//! `signed_notification_body` and carries the fields Freekassa sends; the source policy allows
//! the test peer. `cargo xtask bench` turns the time into verifications per second on one core.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, reason = "benchmark harness")]

#[path = "../../../benches-support/alloc_count.rs"]
mod alloc_count;
#[path = "../../../benches-support/paired.rs"]
mod paired;

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use criterion::{Criterion, criterion_group, criterion_main};
use freekassa::source_ip::{IpRange, SourcePolicy};
use freekassa::webhook::signed_notification_body;
use freekassa::{Config, NotificationVerifier};
use md5::{Digest, Md5};
use payments_core::webhook::WebhookRequest;

fn notification(c: &mut Criterion) {
    let config = Config::new(123).with_secret2("secret2").with_secret1("secret1");
    let body = signed_notification_body(
        &config,
        "100.50",
        "order-42",
        &[
            ("intid", "123456789"),
            ("P_EMAIL", "user@example.com"),
            ("P_PHONE", "79261231212"),
            ("CUR_ID", "44"),
            ("commission", "0.50"),
            ("payer_account", "220000******1234"),
            ("us_login", "alice"),
        ],
    )
    .unwrap();
    let peer = Ipv4Addr::new(127, 0, 0, 1);
    let verifier = NotificationVerifier::new(&config)
        .unwrap()
        .with_source_policy(SourcePolicy::allow([IpRange::single(IpAddr::V4(peer))]));
    let request = WebhookRequest::form_post(body).with_peer(SocketAddr::from((peer, 40_000)));
    let verified = verifier.verify_request(&request).unwrap();
    assert_eq!(verified.merchant_order_id, "order-42");
    assert_eq!(verified.amount_text, "100.50");
    let signed = b"123:100.50:secret2:order-42";

    let mut group = c.benchmark_group("freekassa_notification_verify");
    group.bench_function("raw_md5", |b| b.iter(|| Md5::digest(black_box(signed))));
    alloc_count::record("freekassa_notification_verify", "verify_request", || {
        verifier.verify_request(&request).unwrap()
    });
    group.bench_function("verify_request", |b| {
        b.iter(|| black_box(&verifier).verify_request(black_box(&request)).unwrap())
    });
    group.bench_function("paired_verify_x1000", |b| {
        paired::paired(
            b,
            || Md5::digest(black_box(signed)),
            || black_box(&verifier).verify_request(black_box(&request)).unwrap(),
        )
    });
    group.finish();
}

criterion_group!(benches, notification);
criterion_main!(benches);
