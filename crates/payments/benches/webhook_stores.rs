//! The webhook endpoint over loopback with each seen-store: 64 deliveries at once, each a new,
//! validly signed Feennex callback, through `payments::axum::serve` and the SDK's own HTTP
//! client. One sample is one batch of 64; deliveries per second are 64 / the batch's time.
//!
//! `cargo xtask bench` starts PostgreSQL and Redis and runs this; by hand, set
//! `PAYMENTS_TEST_POSTGRES_URL` and `PAYMENTS_TEST_REDIS_URL` (a store without its URL is
//! skipped) and run
//! `cargo bench -p payments --features axum,feennex,postgres,redis --bench webhook_stores`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "benchmark harness"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use http::StatusCode;
use payments::axum::{ServeOptions, WebhookRouter, serve};
use payments::core::seen::{InMemorySeenStore, SeenStore};
use payments::core::transport::{HttpRequest, ReqwestTransport, Transport, TransportConfig};
use payments::notification::Notification;
use payments::store::postgres::{PostgresSeenStore, Schema};
use payments::store::redis::RedisSeenStore;
use payments::store::{redis_client, sqlx};
use payments::{AnyGateway, GatewayConfig, GatewayId};
use sha2::{Digest, Sha256};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

/// Deliveries in flight at once.
const CONCURRENT: usize = 64;

/// Order ids are never reused: every delivery is new to the store.
static NEXT_ORDER: AtomicU64 = AtomicU64::new(1);

fn signed_callback(run: u64) -> Vec<u8> {
    let order = format!("{run}-{}", NEXT_ORDER.fetch_add(1, Ordering::Relaxed));
    let string = format!("9:5.0:840:5:{order}:successSecretKey01");
    let sign: String =
        Sha256::digest(string.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "payment_id=9&shop_amount=5.0&shop_currency=840&shop_id=5&shop_order_id={order}\
         &status=success&sign={sign}"
    )
    .into_bytes()
}

/// A webhook server on a free loopback port with `store`; returns its URL and its stop.
async fn start(store: Arc<dyn SeenStore>) -> (url::Url, oneshot::Sender<()>) {
    let config = GatewayConfig::from_json(
        r#"{"gateway": "feennex", "shop_id": 5, "secret": "SecretKey01"}"#,
    )
    .unwrap();
    let gateway = AnyGateway::from_config(&config).unwrap();
    let app = WebhookRouter::new(|notification: Notification| async move {
        std::hint::black_box(notification);
        Ok::<(), std::io::Error>(())
    })
    .gateway(&gateway)
    .store(store)
    .into_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/feennex", listener.local_addr().unwrap()).parse().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve(listener, app, ServeOptions::default(), async move {
        let _ = stopped.await;
    }));
    (url, stop)
}

/// One batch: `CONCURRENT` deliveries at once, each answered 200.
async fn batch(client: &Arc<ReqwestTransport>, url: &url::Url, run: u64) {
    let mut deliveries = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENT {
        let request = HttpRequest::post_form(
            GatewayId::Feennex,
            "callback",
            url.clone(),
            signed_callback(run),
        );
        let client = client.clone();
        deliveries.spawn(async move { client.send(&request).await.unwrap().status });
    }
    for status in deliveries.join_all().await {
        assert_eq!(status, StatusCode::OK);
    }
}

fn bench_store(c: &mut Criterion, runtime: &Runtime, name: &str, store: Arc<dyn SeenStore>) {
    let run = u64::from(std::process::id());
    let client = Arc::new(
        ReqwestTransport::new(&TransportConfig::default().with_timeout(Duration::from_secs(30)))
            .unwrap(),
    );
    let (url, stop) = runtime.block_on(start(store));
    runtime.block_on(batch(&client, &url, run));
    let mut group = c.benchmark_group("webhook_stores");
    group.bench_function(format!("{name}_batch{CONCURRENT}"), |b| {
        b.iter_custom(|iterations| {
            let started = Instant::now();
            for _ in 0..iterations {
                runtime.block_on(batch(&client, &url, run));
            }
            started.elapsed()
        });
    });
    group.finish();
    let _ = stop.send(());
}

fn url(var: &str) -> Option<String> {
    let url = std::env::var(var).ok().filter(|url| !url.is_empty());
    if url.is_none() {
        eprintln!("skipped: {var} is not set; `cargo xtask bench` starts the servers");
    }
    url
}

fn webhook_stores(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let run = u64::from(std::process::id());
    bench_store(c, &runtime, "memory", Arc::new(InMemorySeenStore::new()));
    if let Some(url) = url("PAYMENTS_TEST_POSTGRES_URL") {
        let (store, pool) = runtime.block_on(async {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(16)
                .connect(&url)
                .await
                .unwrap();
            let schema = Schema::named(&format!("bench_webhooks_{run}")).unwrap();
            let store = PostgresSeenStore::new(pool.clone()).with_schema(schema);
            store.migrate().await.unwrap();
            (store, pool)
        });
        bench_store(c, &runtime, "postgres", Arc::new(store));
        runtime.block_on(async {
            let drop = format!("DROP SCHEMA bench_webhooks_{run} CASCADE");
            sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&pool).await.unwrap();
        });
    }
    if let Some(url) = url("PAYMENTS_TEST_REDIS_URL") {
        let store = runtime.block_on(async {
            let client = redis_client::Client::open(url.as_str()).unwrap();
            let connection = redis_client::aio::ConnectionManager::new(client).await.unwrap();
            RedisSeenStore::new(connection).with_prefix(format!("bench:webhooks:{run}:")).unwrap()
        });
        bench_store(c, &runtime, "redis", Arc::new(store));
    }
}

criterion_group!(benches, webhook_stores);
criterion_main!(benches);
