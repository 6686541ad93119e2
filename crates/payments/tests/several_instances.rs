//! Exactly-once webhooks across processes, against real PostgreSQL and Redis servers: two
//! `webhook_server` example processes share one store, one is killed inside its handler, and
//! the store goes down mid-run. Signed Feennex callbacks are delivered as a gateway does, again
//! after any answer but 2xx. Each test prints its figures (see them with `--nocapture`).
//!
//! Run by `cargo xtask stores` (which starts the servers); elsewhere they say on stderr that
//! they are skipped. `memory_stores_are_not_shared` is the control: with a store that is not
//! shared, the same counting finds the duplicates.
//!
//! The example is built from the test by the cargo running it (`cargo build --example
//! webhook_server` with this test's features, profile and target directory; see
//! `instances::example_binary`), so it is never stale and the build is a no-op when
//! `cargo test` built it already.
#![cfg(all(feature = "axum", feature = "full", feature = "postgres", feature = "redis"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    reason = "a failing test should fail loudly, and the figures are printed"
)]

mod instances;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use instances::{
    Gateway, Once, OwnPostgres, OwnRedis, POSTGRES_URL, REDIS_URL, Scratch, Server, ServerSpec,
    deliver_all, key, random_part, report, server_url, tally,
};
use payments::store::redis_client::{self as redis, AsyncCommands as _};
use payments::store::sqlx::{self, AssertSqlSafe, PgPool};

/// Distinct notifications per run.
const ORDERS: usize = 20;
/// Deliveries of each.
const COPIES: usize = 10;
/// How long the handler's work takes: long enough for deliveries of one notification to meet.
const WORK: Duration = Duration::from_millis(50);
/// The lease in the kill tests: a redelivery before it ends must not run the handler.
const KILL_LEASE: Duration = Duration::from_secs(4);
/// The lease in the outage tests: claims left by handlers the outage cut off end after it.
const OUTAGE_LEASE: Duration = Duration::from_secs(2);

/// The order ids of one run: random, so runs sharing a server never meet.
fn orders(count: usize) -> Vec<String> {
    let run = random_part();
    (0..count).map(|n| format!("{run}-{n:02}")).collect()
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// `url` with the connection's `search_path` set to `schema`.
fn with_search_path(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

/// A schema of the test's own on `url`'s server: the URL the servers get (their tables land
/// in it) and a pool on it for the test's checks.
async fn fresh_schema(url: &str) -> (String, PgPool) {
    let schema = format!("several_{}", random_part());
    let pool = PgPool::connect(url).await.unwrap();
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\""))).execute(&pool).await.unwrap();
    pool.close().await;
    let url = with_search_path(url, &schema);
    let pool = PgPool::connect(&url).await.unwrap();
    (url, pool)
}

/// How many payments each order recorded in `orders`, and how many `order_events` rows each
/// has: the shop's own truth in the transactional setup.
async fn recorded(pool: &PgPool) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    let payments: Vec<(String, i32)> =
        sqlx::query_as("SELECT id, payments FROM orders").fetch_all(pool).await.unwrap();
    let events: Vec<(String, i64)> =
        sqlx::query_as("SELECT order_id, count(*) FROM order_events GROUP BY order_id")
            .fetch_all(pool)
            .await
            .unwrap();
    let to_map = |rows: Vec<(String, i64)>| {
        rows.into_iter().map(|(order, n)| (order, usize::try_from(n).unwrap())).collect()
    };
    (to_map(payments.into_iter().map(|(o, n)| (o, i64::from(n))).collect()), to_map(events))
}

/// The keys PostgreSQL's seen-store holds as done.
async fn done_in_postgres(pool: &PgPool) -> BTreeSet<String> {
    sqlx::query_scalar("SELECT key FROM payments_seen WHERE state = 'done'")
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

/// The keys Redis's seen-store holds as done, among `orders`' keys.
async fn done_in_redis(url: &str, orders: &[String]) -> BTreeSet<String> {
    let mut connection =
        redis::Client::open(url).unwrap().get_multiplexed_async_connection().await.unwrap();
    let mut done = BTreeSet::new();
    for order in orders {
        let value: Option<String> =
            connection.get(format!("payments:seen:{}", key(order))).await.unwrap();
        if value.as_deref() == Some("done") {
            done.insert(key(order));
        }
    }
    done
}

fn keys(orders: &[String]) -> BTreeSet<String> {
    orders.iter().map(|order| key(order)).collect()
}

/// 200 deliveries (20 notifications × 10) at once, split across two processes sharing
/// `store_url`; every delivery is acknowledged in the end. The gateway, the servers, and
/// the orders.
async fn two_instances(
    dir: &Scratch,
    store_url: Option<String>,
    orders_table: bool,
) -> (Gateway, [Server; 2], Vec<String>) {
    let spec =
        ServerSpec { store_url, orders: orders_table, delay: Some(WORK), ..ServerSpec::default() };
    let servers = [Server::start("a", &dir.0, &spec), Server::start("b", &dir.0, &spec)];
    let urls = [servers[0].url.clone(), servers[1].url.clone()];
    let orders = orders(ORDERS);
    let gateway = Gateway::new();
    let acked = deliver_all(&gateway, &urls, &orders, COPIES).await;
    assert_eq!(acked, ORDERS * COPIES, "every delivery is acknowledged in the end");
    (gateway, servers, orders)
}

fn figures(gateway: &Gateway, deliveries: usize, once: Once) -> String {
    format!(
        "deliveries {deliveries}, requests {} (answers {:?}), handled {}, duplicates {}, lost {}",
        gateway.requests(),
        gateway.answers(),
        once.handled,
        once.duplicates,
        once.lost
    )
}

/// The control: with no store URL each process has its own in-memory store, so each handles
/// every notification once, and the counting shows 20 duplicates.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_stores_are_not_shared() {
    let test = "memory_stores_are_not_shared";
    if !instances::with_stores(test) {
        return;
    }
    let dir = Scratch::new(test);
    let (gateway, [a, b], orders) = two_instances(&dir, None, false).await;
    let once = Once::of(&orders, &tally(&[&a, &b], "done"));
    report(test, &figures(&gateway, ORDERS * COPIES, once));
    assert_eq!(once, Once { handled: ORDERS, duplicates: ORDERS, lost: 0 });
}

/// The recommended setup: two processes with `TransactionalRouter` on one PostgreSQL
/// database; each notification's payment is recorded once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_transactional_two_instances_handle_each_notification_once() {
    let test = "postgres_transactional_two_instances_handle_each_notification_once";
    let Some(url) = server_url(POSTGRES_URL, test) else { return };
    let dir = Scratch::new("pg-tx-two");
    let (url, pool) = fresh_schema(&url).await;
    let (gateway, _servers, orders) = two_instances(&dir, Some(url), true).await;
    let (payments, events) = recorded(&pool).await;
    let once = Once::of(&orders, &payments);
    report(test, &figures(&gateway, ORDERS * COPIES, once));
    assert_eq!(once, Once { handled: ORDERS, duplicates: 0, lost: 0 });
    assert_eq!(Once::of(&orders, &events), once, "one event per order");
    assert_eq!(done_in_postgres(&pool).await, keys(&orders));
}

/// `WebhookRouter` with the PostgreSQL store: each handler run once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_two_instances_handle_each_notification_once() {
    let test = "postgres_two_instances_handle_each_notification_once";
    let Some(url) = server_url(POSTGRES_URL, test) else { return };
    let dir = Scratch::new("pg-two");
    let (url, pool) = fresh_schema(&url).await;
    let (gateway, [a, b], orders) = two_instances(&dir, Some(url), false).await;
    let once = Once::of(&orders, &tally(&[&a, &b], "done"));
    report(test, &figures(&gateway, ORDERS * COPIES, once));
    assert_eq!(once, Once { handled: ORDERS, duplicates: 0, lost: 0 });
    assert_eq!(Once::of(&orders, &tally(&[&a, &b], "start")), once, "no run began twice");
    assert_eq!(done_in_postgres(&pool).await, keys(&orders));
}

/// `WebhookRouter` with the Redis store: each handler run once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_two_instances_handle_each_notification_once() {
    let test = "redis_two_instances_handle_each_notification_once";
    let Some(url) = server_url(REDIS_URL, test) else { return };
    let dir = Scratch::new("redis-two");
    let (gateway, [a, b], orders) = two_instances(&dir, Some(url.clone()), false).await;
    let once = Once::of(&orders, &tally(&[&a, &b], "done"));
    report(test, &figures(&gateway, ORDERS * COPIES, once));
    assert_eq!(once, Once { handled: ORDERS, duplicates: 0, lost: 0 });
    assert_eq!(Once::of(&orders, &tally(&[&a, &b], "start")), once, "no run began twice");
    assert_eq!(done_in_redis(&url, &orders).await, keys(&orders));
}

/// Waits until `server`'s log has a `<what> <order>` line.
async fn wait_for(server: &Server, what: &str, order: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.count(what, order) == 0 {
        assert!(
            Instant::now() < deadline,
            "{}: no `{what} {order}`: {}",
            server.name,
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Process `a` is SIGKILLed inside the handler of one notification, after its first write;
/// the gateway redelivers to `b` every 250 ms. Before `a`'s lease ends every answer is non-2xx
/// and `b` does not run the handler; after it, `b` runs it once. Returns the servers, the
/// order, and the figures line.
async fn killed_inside_the_handler(
    test: &str,
    dir: &Scratch,
    store_url: String,
    orders_table: bool,
) -> ([Server; 2], String, String) {
    let order = orders(1).remove(0);
    let spec = ServerSpec {
        store_url: Some(store_url),
        orders: orders_table,
        lease: Some(KILL_LEASE),
        ..ServerSpec::default()
    };
    let hanging = ServerSpec { hang_order: Some(order.clone()), ..spec.clone() };
    let mut a = Server::start("a", &dir.0, &hanging);
    let b = Server::start("b", &dir.0, &spec);
    let gateway = Gateway::new();
    // The claim is taken after this instant, so its lease ends after `sent + KILL_LEASE`.
    let sent = Instant::now();
    let first = tokio::spawn({
        let (gateway, url, order) = (gateway.clone(), a.url.clone(), order.clone());
        async move { gateway.send(&url, &order).await }
    });
    wait_for(&a, "wrote", &order).await;
    a.kill();
    assert_eq!(first.await.unwrap(), instances::NO_ANSWER, "the killed process never answered");

    let early = gateway.send(&b.url, &order).await;
    if sent.elapsed() < KILL_LEASE {
        assert!(!is_success(early), "a redelivery within the lease is refused, got {early}");
        assert_eq!(b.count("start", &order), 0, "no handler runs within the lease");
    } else if instances::required() {
        // Where store tests must run, a check that could not be made is a failure.
        panic!(
            "{test}: the early redelivery came after the {KILL_LEASE:?} lease (machine stalled)"
        );
    } else {
        // Only a machine stalled for the whole lease gets here; the rest still holds.
        instances::skip(test, "the early redelivery came after the lease (machine too slow)");
    }
    let mut refused = usize::from(!is_success(early));
    let deadline = sent + KILL_LEASE + Duration::from_secs(30);
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let status = gateway.send(&b.url, &order).await;
        if is_success(status) {
            break;
        }
        assert!(Instant::now() < deadline, "never acknowledged after the lease: {}", b.stderr());
        refused += 1;
    }
    let acked = sent.elapsed();
    assert!(acked >= KILL_LEASE, "the handler ran again after {acked:?}, within the lease");
    assert_eq!(b.count("start", &order), 1, "the redelivery ran the handler once");
    assert_eq!(b.count("done", &order), 1);
    assert_eq!(a.count("done", &order), 0, "the killed handler never finished");
    // A later delivery is answered from the store.
    assert!(is_success(gateway.send(&b.url, &order).await));
    assert_eq!(b.count("start", &order), 1);
    let line = format!(
        "lease {KILL_LEASE:?}; killed inside the handler; redeliveries refused before the \
         lease ended {refused}, handled after {acked:.1?}; answers {:?}",
        gateway.answers()
    );
    ([a, b], order, line)
}

/// `WebhookRouter` on Redis: a process killed inside its handler holds the notification until
/// its lease ends; then another process handles it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_killed_instance_is_taken_over_after_its_lease() {
    let test = "redis_killed_instance_is_taken_over_after_its_lease";
    let Some(url) = server_url(REDIS_URL, test) else { return };
    let dir = Scratch::new("redis-kill");
    let (servers, order, line) = killed_inside_the_handler(test, &dir, url.clone(), false).await;
    let handled = tally(&[&servers[0], &servers[1]], "done");
    let once = Once::of(std::slice::from_ref(&order), &handled);
    report(
        test,
        &format!(
            "{line}; handled {}, duplicates {}, lost {}",
            once.handled, once.duplicates, once.lost
        ),
    );
    assert_eq!(once, Once { handled: 1, duplicates: 0, lost: 0 });
    assert_eq!(done_in_redis(&url, std::slice::from_ref(&order)).await, keys(&[order]));
}

/// `TransactionalRouter` on PostgreSQL: the killed handler had written the order; nothing of
/// it survives, and the redelivery after the lease records the payment once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_transactional_killed_instance_leaves_nothing_behind() {
    let test = "postgres_transactional_killed_instance_leaves_nothing_behind";
    let Some(url) = server_url(POSTGRES_URL, test) else { return };
    let dir = Scratch::new("pg-tx-kill");
    let (url, pool) = fresh_schema(&url).await;
    let (_servers, order, line) = killed_inside_the_handler(test, &dir, url, true).await;
    let (payments, events) = recorded(&pool).await;
    let once = Once::of(std::slice::from_ref(&order), &payments);
    report(
        test,
        &format!(
            "{line}; handled {}, duplicates {}, lost {}",
            once.handled, once.duplicates, once.lost
        ),
    );
    // Had the killed transaction's write survived, the redelivery's upsert would count 2.
    assert_eq!(payments.get(&order), Some(&1), "one payment recorded: {payments:?}");
    assert_eq!(events.get(&order), Some(&1), "one event: {events:?}");
    assert_eq!(done_in_postgres(&pool).await, keys(&[order]));
}

/// `WebhookRouter` on a Redis of the test's own, stopped between deliveries of a run: while
/// it is down every delivery is answered 5xx before any handler runs; once it is back, every
/// notification is handled once (the done keys survive the restart in its append-only file).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_outage_refuses_deliveries_and_loses_nothing() {
    let test = "redis_outage_refuses_deliveries_and_loses_nothing";
    if server_url(REDIS_URL, test).is_none() {
        return;
    }
    let dir = Scratch::new("redis-outage");
    let Some(mut redis) = OwnRedis::start(test, &dir.0) else { return };
    let spec = ServerSpec {
        store_url: Some(redis.url()),
        lease: Some(OUTAGE_LEASE),
        delay: Some(WORK),
        ..ServerSpec::default()
    };
    let (a, b) = (Server::start("a", &dir.0, &spec), Server::start("b", &dir.0, &spec));
    let urls = [a.url.clone(), b.url.clone()];
    let orders = orders(ORDERS);
    let (before, during) = orders.split_at(ORDERS / 2);
    let gateway = Gateway::new();
    assert_eq!(deliver_all(&gateway, &urls, before, COPIES / 2).await, before.len() * COPIES / 2);

    redis.stop();
    // One delivery of every notification, at once, while the store is down.
    let mut down = tokio::task::JoinSet::new();
    for (index, order) in orders.iter().enumerate() {
        let (gateway, url, order) = (gateway.clone(), urls[index % 2].clone(), order.clone());
        down.spawn(async move { (gateway.send(&url, &order).await, order) });
    }
    let refused = down.join_all().await;
    for (status, order) in &refused {
        assert!((500..600).contains(status), "{order} answered {status} with the store down");
    }
    let started = tally(&[&a, &b], "start");
    assert!(during.iter().all(|order| !started.contains_key(order)), "no handler ran while down");
    redis.resume();

    let again = deliver_all(&gateway, &urls, &orders, COPIES / 2).await;
    assert_eq!(again, ORDERS * COPIES / 2, "everything refused is acknowledged once it is back");
    let once = Once::of(&orders, &tally(&[&a, &b], "done"));
    report(
        test,
        &format!(
            "store down for {} deliveries (all 5xx); {}",
            refused.len(),
            figures(&gateway, before.len() * COPIES / 2 + ORDERS + ORDERS * COPIES / 2, once)
        ),
    );
    assert_eq!(once, Once { handled: ORDERS, duplicates: 0, lost: 0 });
    assert_eq!(Once::of(&orders, &tally(&[&a, &b], "start")), once, "no run began twice");
    assert_eq!(done_in_redis(&redis.url(), &orders).await, keys(&orders), "done = handled");
}

/// `TransactionalRouter` on a PostgreSQL of the test's own, stopped (fast: open transactions
/// rolled back, sessions cut) while 200 deliveries are under way and handlers are inside their
/// transactions, and started again 3 s later (longer than the servers wait for a connection):
/// deliveries meanwhile get 5xx, the cut-off handlers' writes are gone, and in the end every
/// payment is recorded once, with exactly the recorded ones marked done.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_transactional_outage_mid_run_records_each_payment_once() {
    let test = "postgres_transactional_outage_mid_run_records_each_payment_once";
    if server_url(POSTGRES_URL, test).is_none() {
        return;
    }
    let dir = Scratch::new("pg-outage");
    let Some(postgres) = OwnPostgres::start(test, &dir.0) else { return };
    let spec = ServerSpec {
        store_url: Some(postgres.url()),
        orders: true,
        lease: Some(OUTAGE_LEASE),
        // Long, so the stop finds handlers inside their transactions.
        delay: Some(Duration::from_millis(500)),
        ..ServerSpec::default()
    };
    let (a, b) = (Server::start("a", &dir.0, &spec), Server::start("b", &dir.0, &spec));
    let urls = vec![a.url.clone(), b.url.clone()];
    let orders = orders(ORDERS);
    let gateway = Gateway::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut deliveries = tokio::task::JoinSet::new();
    // A new notification every 100 ms, each delivered 10 times 10 ms apart: deliveries
    // arrive before, during and after the outage.
    for (index, order) in orders.iter().enumerate() {
        for copy in 0..COPIES {
            let (gateway, urls, order) = (gateway.clone(), urls.clone(), order.clone());
            let number = index * COPIES + copy;
            deliveries.spawn(async move {
                tokio::time::sleep(Duration::from_millis(10) * u32::try_from(number).unwrap())
                    .await;
                gateway.deliver(&urls, number, &order, deadline).await
            });
        }
    }
    // Stop once some handler has made its first write and is working inside its transaction.
    let in_flight = |servers: [&Server; 2]| {
        let (started, done) = (tally(&servers, "start"), tally(&servers, "done"));
        started.iter().any(|(order, n)| done.get(order) < Some(n))
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    while !in_flight([&a, &b]) {
        assert!(Instant::now() < deadline, "no handler ever started: {}", a.stderr());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let before = gateway.answers();
    let postgres = tokio::task::spawn_blocking(move || {
        postgres.stop();
        std::thread::sleep(Duration::from_secs(3));
        postgres.resume();
        postgres
    })
    .await
    .unwrap();
    let acked = deliveries.join_all().await.into_iter().filter(|acked| *acked).count();
    assert_eq!(acked, ORDERS * COPIES, "every delivery is acknowledged in the end");

    let pool = PgPool::connect(&postgres.url()).await.unwrap();
    let (payments, events) = recorded(&pool).await;
    let once = Once::of(&orders, &payments);
    let answers = gateway.answers();
    let refused: usize = answers.iter().filter(|(status, _)| **status >= 500).map(|(_, n)| n).sum();
    let runs: usize = tally(&[&a, &b], "start").values().sum();
    report(
        test,
        &format!(
            "answers before the stop {before:?}; handler runs {runs}, of which cut off by the \
             outage and rolled back {}; {}",
            runs - once.handled,
            figures(&gateway, ORDERS * COPIES, once)
        ),
    );
    assert!(refused > 0, "deliveries during the outage are answered 5xx: {answers:?}");
    assert!(runs > ORDERS, "the stop cut off a handler inside its transaction");
    assert_eq!(once, Once { handled: ORDERS, duplicates: 0, lost: 0 });
    assert_eq!(Once::of(&orders, &events), once, "one event per order");
    let recorded_keys: BTreeSet<String> = payments.keys().map(|order| key(order)).collect();
    assert_eq!(done_in_postgres(&pool).await, recorded_keys, "done = recorded");
}
