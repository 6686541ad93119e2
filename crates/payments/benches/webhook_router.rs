//! The webhook router against a bare axum endpoint, in one process (no sockets), so the
//! figure is what the router itself costs: body read, Feennex verification, the seen-store
//! claim and completion, running the handler in its own task, and the acknowledgement.
//!
//! `cargo bench -p payments --features axum --bench webhook_router`. Every delivery is a new,
//! validly signed notification (distinct order ids, signed before the clock starts). The
//! bare endpoint reads the same body and answers `OK`.
//!
//! The machine these run on is shared and noisy, so `paired_router_x1000` alternates the two
//! endpoints inside every sample and reports the ratio of their summed times, times 1000, as
//! nanoseconds (`5.20 µs` means 5.20x); `cargo xtask bench` reads it that way.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_arithmetic,
    reason = "benchmark harness"
)]

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use axum::routing::post;
use criterion::{Criterion, criterion_group, criterion_main};
use payments::axum::WebhookRouter;
use payments::notification::Notification;
use payments::{AnyGateway, GatewayConfig};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

/// Order ids are never reused across samples: every delivery is new to the store.
static NEXT_ORDER: AtomicU64 = AtomicU64::new(1);

fn signed_callback() -> Bytes {
    let order = NEXT_ORDER.fetch_add(1, Ordering::Relaxed);
    let string = format!("9:5.0:840:5:{order}:successSecretKey01");
    let sign = hex(&Sha256::digest(string.as_bytes()));
    Bytes::from(format!(
        "payment_id=9&shop_amount=5.0&shop_currency=840&shop_id=5&shop_order_id={order}\
         &status=success&sign={sign}"
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn request(body: Bytes) -> Request<Body> {
    Request::post("/feennex")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

async fn deliver(router: &Router, body: Bytes) {
    let response = router.clone().oneshot(request(body)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    black_box(axum::body::to_bytes(response.into_body(), 64).await.unwrap());
}

fn routers() -> (Router, Router) {
    let config = GatewayConfig::from_json(
        r#"{"gateway": "feennex", "shop_id": 5, "secret": "SecretKey01"}"#,
    )
    .unwrap();
    let gateway = AnyGateway::from_config(&config).unwrap();
    let ours = WebhookRouter::new(|notification: Notification| async move {
        black_box(notification);
        Ok::<(), std::io::Error>(())
    })
    .gateway(&gateway)
    .into_router();
    let bare = Router::new().route(
        "/feennex",
        post(|body: Bytes| async move {
            black_box(body);
            "OK"
        }),
    );
    (ours, bare)
}

fn webhook_router(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (ours, bare) = routers();
    // Both answer a valid delivery before anything is measured.
    runtime.block_on(deliver(&ours, signed_callback()));
    runtime.block_on(deliver(&bare, signed_callback()));

    let mut group = c.benchmark_group("webhook_router");
    for (name, router) in [("bare_axum", &bare), ("router", &ours)] {
        group.bench_function(name, |b| {
            b.iter_custom(|iterations| {
                let bodies: Vec<Bytes> = (0..iterations).map(|_| signed_callback()).collect();
                let started = Instant::now();
                runtime.block_on(async {
                    for body in bodies {
                        deliver(router, body).await;
                    }
                });
                started.elapsed()
            });
        });
    }
    group.bench_function("paired_router_x1000", |b| {
        b.iter_custom(|iterations| {
            let (mut bare_time, mut ours_time) = (Duration::ZERO, Duration::ZERO);
            for round in 0..iterations {
                for ours_now in [round % 2 == 0, round % 2 == 1] {
                    let body = signed_callback();
                    let started = Instant::now();
                    if ours_now {
                        runtime.block_on(deliver(&ours, body));
                        ours_time += started.elapsed();
                    } else {
                        runtime.block_on(deliver(&bare, body));
                        bare_time += started.elapsed();
                    }
                }
            }
            let ratio = ours_time.as_secs_f64() / bare_time.as_secs_f64().max(f64::MIN_POSITIVE);
            Duration::from_secs_f64(ratio * 1e-6 * iterations as f64)
        });
    });
    group.finish();
}

criterion_group!(benches, webhook_router);
criterion_main!(benches);
