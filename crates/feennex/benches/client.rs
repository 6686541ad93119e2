//! A whole `bill/create` call through `feennex::Client` against a raw reqwest POST of the same
//! pre-built body, both to the same local axum server on 127.0.0.1 (an ephemeral port).
//!
//! `cargo bench -p feennex --bench client`. The difference is what the SDK adds: signing,
//! the request description, the tracing span and retry decision, and reading the typed
//! response with its echo checks.
//!
//! The raw side reads the answer too, as the least a hand-written client must: the body as
//! JSON, `result` checked, the bill's `id` and `url` taken (`raw_reqwest`, the floor of
//! `paired_create_bill_x1000`). A client that never looked at the body would not know
//! whether the bill exists or where to send the payer. `paired_create_bill_vs_bytes_x1000`
//! keeps the older floor, the body read as bytes and never parsed. The parts
//! (`paired_reqwest_sdk_settings_x1000`, `paired_transport_*`) compare transports, none of
//! which parses, so their floor is that bytes-only call.
//!
//! The machine these run on is shared, and a loopback round trip swings by tens of percent
//! from one second to the next, so separate figures taken seconds apart do not make a
//! reliable ratio. The `paired_*` benchmarks therefore alternate the two calls inside every
//! sample and report the ratio of their summed times, times 1000, as nanoseconds: `1.08 µs`
//! means 1.08x. `cargo xtask bench` reads them that way.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_arithmetic,
    reason = "benchmark harness"
)]

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use criterion::{Bencher, Criterion, criterion_group, criterion_main};
use feennex::api::bill::BillCreate;
use feennex::{Client, Config};
use payments_core::payment::OrderId;
use payments_core::transport::{
    ReqwestTransport, RetryPolicy, Transport as _, TransportConfig, execute,
};
use payments_core::{Currency, Money};

/// Feennex's answer to the `bill/create` of the README (its published example).
const SUCCESS: &str = r#"{"data":{"created":"Wed, 10 Apr 2024 14:18:19 GMT","id":25,"lifetime":43200,"payer_account":null,"payer_currency":643,"payer_price":23.82,"shop_amount":23.15,"shop_currency":643,"shop_id":5,"shop_order_id":"123456","shop_refund":22.46,"url":"https://wallet.feennex.com/en/bill/pay/Waptm"},"error_code":0,"message":"Ok","result":true}"#;

/// The least a hand-written client reads from Feennex's answer to `bill/create`.
#[derive(serde::Deserialize)]
struct MinimalAnswer<'a> {
    result: bool,
    #[serde(borrow)]
    data: MinimalBill<'a>,
}

#[derive(serde::Deserialize)]
struct MinimalBill<'a> {
    id: u64,
    url: &'a str,
}

/// Alternates `raw` and `ours` (each goes first in every other round) and reports the ratio of
/// their summed times, times 1000, as the time of one iteration.
fn paired<R, RF, O, OF>(b: &mut Bencher<'_>, runtime: &tokio::runtime::Runtime, raw: R, ours: O)
where
    R: Fn() -> RF,
    RF: Future,
    O: Fn() -> OF,
    OF: Future,
{
    b.iter_custom(|iterations| {
        let (mut raw_time, mut ours_time) = (Duration::ZERO, Duration::ZERO);
        for round in 0..iterations {
            for ours_now in [round % 2 == 0, round % 2 == 1] {
                let started = Instant::now();
                if ours_now {
                    black_box(runtime.block_on(ours()));
                    ours_time += started.elapsed();
                } else {
                    black_box(runtime.block_on(raw()));
                    raw_time += started.elapsed();
                }
            }
        }
        let ratio = ours_time.as_secs_f64() / raw_time.as_secs_f64().max(f64::MIN_POSITIVE);
        Duration::from_secs_f64(ratio * 1e-6 * iterations as f64)
    });
}

fn client_call(c: &mut Criterion) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let address = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let app = Router::new().route(
            "/bill/create",
            post(|| async { ([(CONTENT_TYPE, "application/json")], SUCCESS) }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        address
    });
    let base_url = format!("http://{address}/");

    let config = Config::new(5, "SecretKey01").with_base_url(&base_url).unwrap();
    let client = Client::new(config.clone()).unwrap();
    let bill = BillCreate::new(
        OrderId::new("123456").unwrap(),
        Money::parse("23.15", Currency::RUB).unwrap(),
    );
    let prepared = bill.prepare(&config).unwrap();
    let url = url::Url::clone(&prepared.request().url);
    let body = prepared.request().body.clone();

    let raw = reqwest::Client::new();
    let raw_call = || async {
        let response = raw
            .post(url.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        response.bytes().await.unwrap()
    };
    let raw_read_call = || async {
        let bytes = raw_call().await;
        let answer: MinimalAnswer<'_> = serde_json::from_slice(&bytes).unwrap();
        assert!(answer.result);
        (answer.data.id, answer.data.url.to_owned())
    };

    // Where the difference goes: reqwest with the SDK transport's settings (timeouts, user
    // agent), the SDK transport alone, and the transport with the retry policy and span.
    let settings = TransportConfig::default();
    let tuned = reqwest::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.connect_timeout)
        .user_agent(settings.user_agent.clone())
        .pool_idle_timeout(settings.pool_idle_timeout)
        .build()
        .unwrap();
    let tuned_call = || async {
        let response = tuned
            .post(url.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        response.bytes().await.unwrap()
    };
    let transport = ReqwestTransport::new(&settings).unwrap();
    let retry = RetryPolicy::standard();

    // Both sides work and get the same answer before anything is measured.
    let created = runtime.block_on(client.create_bill(&bill)).unwrap();
    assert_eq!(created.id, 25);
    assert_eq!(runtime.block_on(raw_call()).as_ref(), SUCCESS.as_bytes());
    assert_eq!(runtime.block_on(raw_read_call()), (created.id, created.url.to_string()));

    let mut group = c.benchmark_group("feennex_client_call");
    group.bench_function("raw_reqwest", |b| b.iter(|| runtime.block_on(raw_read_call())));
    group.bench_function("create_bill", |b| {
        b.iter(|| runtime.block_on(client.create_bill(black_box(&bill))).unwrap())
    });
    group.bench_function("reqwest_sdk_settings", |b| b.iter(|| runtime.block_on(tuned_call())));
    group.bench_function("transport_send", |b| {
        b.iter(|| runtime.block_on(transport.send(black_box(prepared.request()))).unwrap())
    });
    group.bench_function("transport_execute", |b| {
        b.iter(|| {
            runtime.block_on(execute(&transport, black_box(prepared.request()), &retry)).unwrap()
        })
    });
    group.bench_function("paired_create_bill_x1000", |b| {
        paired(b, &runtime, raw_read_call, || async { client.create_bill(&bill).await.unwrap() })
    });
    group.bench_function("paired_create_bill_vs_bytes_x1000", |b| {
        paired(b, &runtime, raw_call, || async { client.create_bill(&bill).await.unwrap() })
    });
    group.bench_function("paired_reqwest_sdk_settings_x1000", |b| {
        paired(b, &runtime, raw_call, tuned_call)
    });
    group.bench_function("paired_transport_send_x1000", |b| {
        paired(b, &runtime, raw_call, || async {
            transport.send(prepared.request()).await.unwrap()
        })
    });
    group.bench_function("paired_transport_execute_x1000", |b| {
        paired(b, &runtime, raw_call, || async {
            execute(&transport, prepared.request(), &retry).await.unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, client_call);
criterion_main!(benches);
