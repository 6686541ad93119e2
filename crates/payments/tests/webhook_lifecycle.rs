//! What happens to a notification's claim whatever happens to its request: the sender hangs up
//! mid-handler, the handler fails or panics, the server shuts down; and the bounds on what a
//! delivery may cost (seen-store capacity, fields per body).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use payments::axum::{InFlight, WebhookRouter};
use payments::notification::Notification;
use payments::seen::{InMemorySeenStore, SeenLimits, SeenStore};
use support::{counting, feennex, feennex_callback, post, send};
use tokio::sync::{Notify, Semaphore};
use tower::ServiceExt;

mod support;

/// How the gated handler ends once it is let go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Succeed,
    Fail,
    Panic,
}

/// A handler that counts its calls, says when one started, waits for a permit, then ends as
/// told (only the first call: later calls succeed at once).
struct Gate {
    calls: Arc<AtomicUsize>,
    started: Arc<Notify>,
    permits: Arc<Semaphore>,
}

fn gated_router(first: Ending) -> (axum::Router, InFlight, Gate) {
    let gate = Gate {
        calls: Arc::default(),
        started: Arc::new(Notify::new()),
        permits: Arc::new(Semaphore::new(0)),
    };
    let (calls, started, permits) =
        (gate.calls.clone(), gate.started.clone(), gate.permits.clone());
    let webhooks = WebhookRouter::new(move |_notification: Notification| {
        let (calls, started, permits) = (calls.clone(), started.clone(), permits.clone());
        async move {
            if calls.fetch_add(1, Ordering::SeqCst) > 0 {
                return Ok(());
            }
            started.notify_one();
            permits.acquire().await.unwrap().forget();
            match first {
                Ending::Succeed => Ok(()),
                Ending::Fail => Err(std::io::Error::other("database down")),
                Ending::Panic => panic!("handler bug"),
            }
        }
    })
    .gateway(&feennex());
    let in_flight = webhooks.in_flight();
    (webhooks.into_router(), in_flight, gate)
}

/// Delivers `order`, and drops the request (as hyper does when the sender hangs up) once the
/// handler has started; then lets the handler end and waits until its task settled.
async fn deliver_and_hang_up(
    router: &axum::Router,
    in_flight: &InFlight,
    gate: &Gate,
    order: &str,
) {
    let request = router.clone().oneshot(post("/feennex", feennex_callback(order)));
    let delivery = tokio::spawn(request);
    gate.started.notified().await;
    delivery.abort();
    assert!(delivery.await.unwrap_err().is_cancelled());
    gate.permits.add_permits(1);
    assert_eq!(in_flight.settle(Duration::from_secs(10)).await, 0, "the handler finished");
}

/// The first delivery's sender hangs up while the handler runs and the handler ends as
/// `first`; the redelivery must be acknowledged, with the handler called `calls` times in all.
async fn redelivery_after_hang_up(first: Ending, order: &str, calls: usize) {
    let (router, in_flight, gate) = gated_router(first);
    deliver_and_hang_up(&router, &in_flight, &gate, order).await;
    assert_eq!(
        send(&router, post("/feennex", feennex_callback(order))).await,
        (StatusCode::OK, "OK".to_owned()),
        "the redelivery is answered, not 409 for ever"
    );
    assert_eq!(gate.calls.load(Ordering::SeqCst), calls);
}

#[tokio::test]
async fn a_sender_that_hangs_up_mid_handler_gets_the_redelivery_acknowledged_once() {
    // Answered from the store: handled exactly once.
    redelivery_after_hang_up(Ending::Succeed, "hang-up-1", 1).await;
}

#[tokio::test]
async fn a_sender_that_hangs_up_on_a_failing_handler_gets_the_redelivery_handled() {
    // Failed once, released, then handled.
    redelivery_after_hang_up(Ending::Fail, "hang-up-2", 2).await;
}

#[tokio::test]
async fn a_sender_that_hangs_up_on_a_panicking_handler_gets_the_redelivery_handled() {
    redelivery_after_hang_up(Ending::Panic, "hang-up-3", 2).await;
}

#[tokio::test]
async fn shutdown_lets_handlers_finish_then_stops_and_releases_the_rest() {
    let (router, in_flight, gate) = gated_router(Ending::Succeed);
    let delivery =
        tokio::spawn(router.clone().oneshot(post("/feennex", feennex_callback("shutdown-1"))));
    gate.started.notified().await;
    assert_eq!(in_flight.running(), 1);
    // The handler never gets its permit: after the grace it is stopped.
    assert_eq!(in_flight.settle(Duration::from_millis(50)).await, 1);
    let response = delivery.await.unwrap().unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(in_flight.running(), 0);
    // A delivery after the grace ran out does not start the handler either (the next test
    // shows the stopped claim was released in the store).
    assert_eq!(
        send(&router, post("/feennex", feennex_callback("shutdown-1"))).await.0,
        StatusCode::SERVICE_UNAVAILABLE,
        "after settle gave up, this router stops new handlers too"
    );
    assert_eq!(gate.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_stopped_handlers_claim_is_released_in_the_shared_store() {
    let store = Arc::new(InMemorySeenStore::new());
    let started = Arc::new(Notify::new());
    let signal = started.clone();
    let webhooks = WebhookRouter::new(move |_notification: Notification| {
        let signal = signal.clone();
        async move {
            signal.notify_one();
            std::future::pending::<Result<(), std::io::Error>>().await
        }
    })
    .gateway(&feennex())
    .store(store.clone());
    let in_flight = webhooks.in_flight();
    let router = webhooks.into_router();
    let delivery = tokio::spawn(router.oneshot(post("/feennex", feennex_callback("shutdown-2"))));
    started.notified().await;
    assert_eq!(in_flight.settle(Duration::from_millis(20)).await, 1);
    delivery.await.unwrap().unwrap();
    // The de-dup key of that notification is free again for the next process.
    let key_taken_again = store.claim(&dedup_key("shutdown-2").await).await.unwrap();
    assert!(key_taken_again.is_new(), "{key_taken_again:?}");
}

/// The de-dup key of the test callback for `order`, taken from the verified notification.
async fn dedup_key(order: &str) -> String {
    let request = payments::webhook::WebhookRequest::form_post(feennex_callback(order));
    feennex().webhook_verifier().verify(&request).await.unwrap().dedup_key()
}

#[tokio::test]
async fn the_store_stays_within_its_capacity_under_many_distinct_notifications() {
    let store = Arc::new(InMemorySeenStore::with_limits(SeenLimits::default().capacity(100)));
    let calls = Arc::new(AtomicUsize::new(0));
    let router = counting(calls.clone()).gateway(&feennex()).store(store.clone()).into_router();
    for order in 0..1_000 {
        let (status, _) =
            send(&router, post("/feennex", feennex_callback(&format!("cap-{order}")))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(store.len() <= 100, "{} keys after {order}", store.len());
    }
    assert_eq!(store.len(), 100);
    // The newest are remembered: a repeat is acknowledged without calling the handler.
    send(&router, post("/feennex", feennex_callback("cap-999"))).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1_000);
    // The oldest were forgotten first.
    send(&router, post("/feennex", feennex_callback("cap-0"))).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1_001);
}

#[tokio::test]
async fn junk_bodies_are_refused_before_any_signature_work() {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = counting(calls.clone()).gateway(&feennex()).into_router();
    // 63 KiB of empty fields: within the body limit, far past the field limit.
    let empty_fields = "&".repeat(63 * 1024);
    assert_eq!(
        send(&router, post("/feennex", empty_fields)).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // A valid callback with 100 extra fields.
    let extra: String = (0..100).map(|i| format!("&x{i}=1")).collect();
    let crowded = format!("{}{extra}", feennex_callback("junk-1"));
    assert_eq!(send(&router, post("/feennex", crowded)).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    // One field longer than 8 KiB.
    let long = format!("{}&note={}", feennex_callback("junk-2"), "a".repeat(8 * 1024 + 1));
    assert_eq!(send(&router, post("/feennex", long)).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    // Just within both limits is still read (and then refused for its unsigned extra field,
    // which Feennex would have signed).
    let within = format!("{}&note={}", feennex_callback("junk-3"), "a".repeat(8 * 1024));
    assert_eq!(send(&router, post("/feennex", within)).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_handler_that_outlives_the_stores_lease_never_runs_beside_its_redelivery() {
    // A store whose claims expire after 10 ms, and a handler that takes longer than that.
    let store = Arc::new(InMemorySeenStore::with_limits(
        SeenLimits::default().lease(Duration::from_millis(10)),
    ));
    let (calls, started, permits) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(Notify::new()), Arc::new(Semaphore::new(0)));
    let (counter, signal, gate) = (calls.clone(), started.clone(), permits.clone());
    let webhooks = WebhookRouter::new(move |_notification: Notification| {
        let (counter, signal, gate) = (counter.clone(), signal.clone(), gate.clone());
        async move {
            // Only the first call is slow: a second one, if it ever ran, would end at once.
            if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                signal.notify_one();
                gate.acquire().await.unwrap().forget();
            }
            Ok::<(), std::io::Error>(())
        }
    })
    .gateway(&feennex())
    .store(store);
    let in_flight = webhooks.in_flight();
    let router = webhooks.into_router();
    let first = tokio::spawn(router.clone().oneshot(post("/feennex", feennex_callback("slow-9"))));
    started.notified().await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    // The store's lease ran out, but the handler still runs in this process.
    let redelivery = send(&router, post("/feennex", feennex_callback("slow-9"))).await;
    assert_eq!(redelivery, (StatusCode::CONFLICT, "being processed".to_owned()));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "not run a second time beside the first");
    permits.add_permits(1);
    assert_eq!(first.await.unwrap().unwrap().status(), StatusCode::OK);
    assert_eq!(in_flight.settle(Duration::from_secs(10)).await, 0);
    assert_eq!(
        send(&router, post("/feennex", feennex_callback("slow-9"))).await,
        (StatusCode::OK, "OK".to_owned())
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_instance_whose_lease_was_taken_over_leaves_the_new_holders_claim_alone() {
    // Two instances (two routers, each with its own in-flight set) share one store whose
    // claims expire after 1 s. The first instance's handler outlives its lease; the second
    // takes the notification over and is still handling it when the first one finishes.
    const LEASE: Duration = Duration::from_secs(1);
    let store = Arc::new(InMemorySeenStore::with_limits(SeenLimits::default().lease(LEASE)));
    let calls = Arc::new(AtomicUsize::new(0));
    let slow = |started: Arc<Notify>, gate: Arc<Semaphore>| {
        let calls = calls.clone();
        WebhookRouter::new(move |_notification: Notification| {
            let (calls, started, gate) = (calls.clone(), started.clone(), gate.clone());
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                started.notify_one();
                gate.acquire().await.unwrap().forget();
                Ok::<(), std::io::Error>(())
            }
        })
        .gateway(&feennex())
        .store(store.clone())
        .into_router()
    };
    let (first_started, first_gate) = (Arc::new(Notify::new()), Arc::new(Semaphore::new(0)));
    let (second_started, second_gate) = (Arc::new(Notify::new()), Arc::new(Semaphore::new(0)));
    let first_instance = slow(first_started.clone(), first_gate.clone());
    let second_instance = slow(second_started.clone(), second_gate.clone());
    let key = dedup_key("taken-1").await;

    let first = tokio::spawn(first_instance.oneshot(post("/feennex", feennex_callback("taken-1"))));
    first_started.notified().await;
    tokio::time::sleep(LEASE + Duration::from_millis(200)).await;
    // The lease ran out: the second instance takes the notification over.
    let second =
        tokio::spawn(second_instance.oneshot(post("/feennex", feennex_callback("taken-1"))));
    second_started.notified().await;
    assert_eq!(calls.load(Ordering::SeqCst), 2, "the lease ran out: the handler runs twice");

    // The first instance finishes while the second still holds the key: its lease is lost,
    // so it neither marks the key done nor frees it, and it still acks (its handler did the
    // work).
    first_gate.add_permits(1);
    assert_eq!(first.await.unwrap().unwrap().status(), StatusCode::OK);
    assert_eq!(
        store.claim(&key).await.unwrap(),
        payments::seen::Claim::InProgress,
        "the second instance's claim is untouched"
    );
    second_gate.add_permits(1);
    assert_eq!(second.await.unwrap().unwrap().status(), StatusCode::OK);
    assert_eq!(store.claim(&key).await.unwrap(), payments::seen::Claim::Done);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}
