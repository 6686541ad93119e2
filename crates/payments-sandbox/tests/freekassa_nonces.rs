//! Several processes signing for one Freekassa shop: the sandbox refuses every nonce at or
//! below the last one it accepted, as Freekassa does, and requests sent concurrently arrive
//! out of order. The SDK must lose no call to a nonce refusal and create no order twice.
//!
//! The test binary runs itself twice more as worker processes (the `worker` test, which does
//! nothing unless `FREEKASSA_NONCE_WORKER` is set), each driving 20 tasks of reads and order
//! creations against one sandbox: with each process's own counter, and with the counter the
//! processes share on Redis and on PostgreSQL (`PAYMENTS_TEST_REDIS_URL`,
//! `PAYMENTS_TEST_POSTGRES_URL`, set by `cargo xtask stores`; without them those runs are
//! skipped, unless `PAYMENTS_STORES_REQUIRED=1`, where they fail).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::io::Write as _;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use payments::core::transport::{
    ClientOptions, HttpRequest, HttpResponse, ReqwestTransport, Transport, TransportConfig,
    TransportError,
};
use payments::freekassa::api::orders::{OrderCreate, OrderList};
use payments::freekassa::nonce::NonceSource;
use payments::freekassa::{Client, Config, PaymentSystemId};
use payments::payment::OrderId;
use payments::store::postgres::PostgresNonceCounter;
use payments::store::redis::RedisNonceCounter;
use payments::store::{redis_client as redis, sqlx};
use payments::{Currency, Money};
use payments_sandbox::{Sandbox, SandboxConfig};

const PROCESSES: usize = 2;
const TASKS: usize = 20;
/// Calls per task: alternately a read (`balance`) and an order creation.
const CALLS: usize = 6;
const WORKER_VAR: &str = "FREEKASSA_NONCE_WORKER";
/// The shared counter's store URL, for the workers (unset: each process's own counter).
const COUNTER_VAR: &str = "FREEKASSA_NONCE_COUNTER";

fn config(api_url: &str) -> Config {
    Config::new(7012).with_api_key("test_api_key").with_api_url(api_url).unwrap()
}

/// Counts the requests that go out, so re-sends show.
#[derive(Debug)]
struct Counting(ReqwestTransport, AtomicUsize);

#[async_trait]
impl Transport for Counting {
    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.1.fetch_add(1, Ordering::Relaxed);
        self.0.send(request).await
    }
}

fn payment_id(process: usize, task: usize, call: usize) -> OrderId {
    OrderId::new(format!("p{process}-t{task}-c{call}")).unwrap()
}

/// One worker process: `TASKS` tasks, each making `CALLS` calls; prints one line
/// `calls=<n> failed=<n>` and the first failures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker() {
    let Ok(spec) = std::env::var(WORKER_VAR) else { return };
    let (process, api_url) = spec.split_once('|').unwrap();
    let process: usize = process.parse().unwrap();
    let counting = Arc::new(Counting(
        ReqwestTransport::new(&TransportConfig::default()).unwrap(),
        AtomicUsize::new(0),
    ));
    let options = ClientOptions::default().transport(counting.clone());
    let mut client = Client::with_options(config(api_url), &options).unwrap();
    if let Ok(url) = std::env::var(COUNTER_VAR) {
        client = client.with_nonce_source(shared_counter(&url).await);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..TASKS {
        let client = client.clone();
        tasks.spawn(async move {
            let mut failures = Vec::new();
            for call in 0..CALLS {
                let result = if call % 2 == 0 {
                    client.balance().await.map(drop)
                } else {
                    let order = OrderCreate::new(
                        payment_id(process, task, call),
                        Money::parse("100.50", Currency::RUB).unwrap(),
                        PaymentSystemId::SBP_API,
                        "user@example.com",
                        "203.0.113.10",
                    );
                    client.create_order(&order).await.map(drop)
                };
                if let Err(error) = result {
                    failures.push(format!("task {task} call {call}: {error}"));
                }
            }
            failures
        });
    }
    let failures: Vec<String> = tasks.join_all().await.into_iter().flatten().collect();
    let sends = counting.1.load(Ordering::Relaxed);
    println!("calls={} sends={sends} failed={}", TASKS * CALLS, failures.len());
    for failure in failures.iter().take(5) {
        println!("failure: {failure}");
    }
}

/// The counter every worker draws from, on the store `url` names.
async fn shared_counter(url: &str) -> Arc<dyn NonceSource> {
    let name = "freekassa:7012";
    if url.starts_with("redis://") {
        let client = redis::Client::open(url).unwrap();
        let manager = redis::aio::ConnectionManager::new(client).await.unwrap();
        Arc::new(RedisNonceCounter::new(manager, name).unwrap())
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let counter = PostgresNonceCounter::new(pool, name).unwrap();
        counter.migrate().await.unwrap();
        Arc::new(counter)
    }
}

/// The store URL in `var`, or `None` after saying on stderr that `test` is skipped; a
/// failure where store tests must run.
fn store_url(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("PAYMENTS_STORES_REQUIRED").is_ok_and(|value| value == "1") => {
            panic!("{test}: {var} is not set, and PAYMENTS_STORES_REQUIRED=1")
        }
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "skipped {test}: {var} is not set; run `cargo xtask stores` to run it"
            );
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_lose_no_call_to_a_nonce_refusal_and_create_no_order_twice() {
    if std::env::var(WORKER_VAR).is_ok() {
        return;
    }
    two_processes(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_sharing_a_redis_counter_lose_no_call() {
    let test = "two_processes_sharing_a_redis_counter_lose_no_call";
    if std::env::var(WORKER_VAR).is_ok() {
        return;
    }
    let Some(url) = store_url("PAYMENTS_TEST_REDIS_URL", test) else { return };
    two_processes(Some(url)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_sharing_a_postgres_counter_lose_no_call() {
    let test = "two_processes_sharing_a_postgres_counter_lose_no_call";
    if std::env::var(WORKER_VAR).is_ok() {
        return;
    }
    let Some(url) = store_url("PAYMENTS_TEST_POSTGRES_URL", test) else { return };
    two_processes(Some(url)).await;
}

/// Two worker processes against one sandbox, drawing nonces from `counter` (a store URL) or
/// each from its own.
async fn two_processes(counter: Option<String>) {
    let sandbox =
        Sandbox::start(SandboxConfig::demo(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let api_url = sandbox.freekassa_api_url();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|process| {
            let mut command = tokio::process::Command::new(&exe);
            if let Some(url) = &counter {
                command.env(COUNTER_VAR, url);
            }
            command
                .args(["--exact", "worker", "--nocapture", "--test-threads=1"])
                .env(WORKER_VAR, format!("{process}|{api_url}"))
                .stdout(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .unwrap()
        })
        .collect();
    let (mut calls, mut sends) = (0, 0);
    for child in children {
        let output = child.wait_with_output().await.unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "worker failed: {stdout}");
        // libtest may print `test worker ... ` on the same line before it.
        let (_, line) = stdout.split_once("calls=").unwrap_or_else(|| panic!("{stdout}"));
        let line = line.lines().next().unwrap();
        assert!(line.ends_with("failed=0"), "{stdout}");
        let numbers: Vec<usize> = line
            .split(' ')
            .map(|field| field.split_once('=').map_or(field, |(_, n)| n).parse().unwrap())
            .collect();
        calls += numbers[0];
        sends += numbers[1];
    }
    assert_eq!(calls, PROCESSES * TASKS * CALLS);
    // Re-sends after nonce refusals are expected; calls lost to them are not.
    let source = match &counter {
        Some(url) if url.starts_with("redis://") => "a shared Redis counter",
        Some(_) => "a shared PostgreSQL counter",
        None => "each its own counter",
    };
    let _ = writeln!(
        std::io::stdout(),
        "{PROCESSES} processes, {source}: {calls} calls, {sends} requests sent, 0 failed"
    );

    // Every order was created, and once: the sandbox refuses a second order with the same
    // paymentId, so a duplicate would have failed a worker; here each one is found alone.
    let client = Client::new(config(&api_url)).unwrap();
    for process in 0..PROCESSES {
        for task in 0..TASKS {
            for call in (1..CALLS).step_by(2) {
                let id = payment_id(process, task, call);
                let page = client.orders(&OrderList::by_payment_id(id.clone())).await.unwrap();
                assert_eq!(page.orders.len(), 1, "{id}");
            }
        }
    }
    sandbox.shutdown().await;
}
