//! The axum webhook endpoints: verify, de-duplicate, call the handler once, then ack.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use payments::axum::WebhookRouter;
use payments::notification::Notification;
use payments::{AnyGateway, GatewayConfig};
use support::{counting, feennex, feennex_callback, post, send};

mod support;

/// A router whose handler counts its calls and fails while `fail` is set.
fn router(calls: Arc<AtomicUsize>, fail: Arc<std::sync::atomic::AtomicBool>) -> axum::Router {
    WebhookRouter::new(move |_notification: Notification| {
        let calls = calls.clone();
        let fail = fail.clone();
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            if fail.load(Ordering::SeqCst) {
                Err(std::io::Error::other("database down"))
            } else {
                Ok(())
            }
        }
    })
    .gateway(&feennex())
    .into_router()
}

#[tokio::test]
async fn a_valid_callback_reaches_the_handler_once_and_gets_the_exact_ack() {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = router(calls.clone(), Arc::default());
    assert_eq!(
        send(&router, post("/feennex", feennex_callback("1"))).await,
        (StatusCode::OK, "OK".to_owned())
    );
    assert_eq!(
        send(&router, post("/feennex", feennex_callback("1"))).await,
        (StatusCode::OK, "OK".to_owned())
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a repeated delivery is acknowledged, not handled again"
    );
}

#[tokio::test]
async fn a_forged_callback_gets_4xx_and_never_reaches_the_handler() {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = router(calls.clone(), Arc::default());
    let forged = feennex_callback("1").replace("shop_amount=5.0", "shop_amount=0.5");
    let (status, _) = send(&router, post("/feennex", forged)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = send(&router, post("/feennex", "garbage".to_owned())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = send(&router, post("/feennex", "a=".repeat(40_000))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_failing_handler_gets_5xx_and_the_redelivery_is_processed() {
    let calls = Arc::new(AtomicUsize::new(0));
    let fail = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let router = router(calls.clone(), fail.clone());
    let (status, _) = send(&router, post("/feennex", feennex_callback("2"))).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    fail.store(false, Ordering::SeqCst);
    assert_eq!(
        send(&router, post("/feennex", feennex_callback("2"))).await,
        (StatusCode::OK, "OK".to_owned())
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_deliveries_call_the_handler_once() {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = router(calls.clone(), Arc::default());
    let deliveries: Vec<_> = (0..50)
        .map(|_| {
            let router = router.clone();
            tokio::spawn(
                async move { send(&router, post("/feennex", feennex_callback("3"))).await },
            )
        })
        .collect();
    let mut acked = 0;
    for delivery in deliveries {
        let (status, body) = delivery.await.unwrap();
        match status {
            StatusCode::OK => {
                assert_eq!(body, "OK");
                acked += 1;
            }
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert!(acked >= 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn only_configured_gateways_have_routes() {
    let router = router(Arc::default(), Arc::default());
    let (status, _) = send(&router, post("/freekassa", "x".to_owned())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_panicking_handler_releases_the_notification_for_redelivery() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let router = WebhookRouter::new(move |_notification: Notification| {
        let counter = counter.clone();
        async move {
            if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("handler bug");
            }
            Ok::<(), std::io::Error>(())
        }
    })
    .gateway(&feennex())
    .into_router();
    let (status, _) = send(&router, post("/feennex", feennex_callback("9"))).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        send(&router, post("/feennex", feennex_callback("9"))).await,
        (StatusCode::OK, "OK".to_owned())
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

fn freekassa() -> AnyGateway {
    let json = r#"{"gateway": "freekassa", "shop_id": 7012, "secret2": "secret2", "notification_sources": ["203.0.113.7"]}"#;
    AnyGateway::from_config(&GatewayConfig::from_json(json).unwrap()).unwrap()
}

fn fena() -> AnyGateway {
    let json = r#"{"gateway": "fena", "terminal_id": "4af9b080-b6d3-4206-a10f-f2162f15b655",
                   "terminal_secret": "0b7e3c1a-5d2f-4e8b-9a6c-2f1d3e4b5a69"}"#;
    AnyGateway::from_config(&GatewayConfig::from_json(json).unwrap()).unwrap()
}

/// A Freekassa notification for order `order`, signed with secret word 2 (md5 computed here).
fn freekassa_notification(order: &str, sign_amount: &str) -> String {
    let sign = md5_hex(&format!("7012:{sign_amount}:secret2:{order}"));
    format!(
        "MERCHANT_ID=7012&AMOUNT=100.50&intid=77&MERCHANT_ORDER_ID={order}&CUR_ID=36&SIGN={sign}"
    )
}

fn md5_hex(text: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The webhook token of the Fena vectors (valid until 2100).
fn fena_webhook_body() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/vectors/fena.json");
    let vectors: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    vectors["valid"].as_array().unwrap().iter().find(|v| v["name"] == "webhook").unwrap()["form_body"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn from_peer(mut request: Request<Body>, peer: &str) -> Request<Body> {
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer.parse::<std::net::SocketAddr>().unwrap()));
    request
}

fn counting_router(gateway: &AnyGateway, calls: Arc<AtomicUsize>) -> axum::Router {
    counting(calls).gateway(gateway).into_router()
}

#[tokio::test]
async fn freekassa_notifications_get_yes_once_and_forgeries_4xx() {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = counting_router(&freekassa(), calls.clone());
    let good = || {
        from_peer(post("/freekassa", freekassa_notification("o-1", "100.50")), "203.0.113.7:4000")
    };
    assert_eq!(send(&router, good()).await, (StatusCode::OK, "YES".to_owned()));
    assert_eq!(send(&router, good()).await, (StatusCode::OK, "YES".to_owned()));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Signed over another writing of the amount.
    let reformatted =
        from_peer(post("/freekassa", freekassa_notification("o-2", "100.5")), "203.0.113.7:4000");
    assert_eq!(send(&router, reformatted).await.0, StatusCode::BAD_REQUEST);
    // A genuine notification from an address outside the list.
    let elsewhere =
        from_peer(post("/freekassa", freekassa_notification("o-3", "100.50")), "198.51.100.1:4000");
    assert_eq!(send(&router, elsewhere).await.0, StatusCode::FORBIDDEN);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn fena_webhooks_get_200_once_and_forgeries_4xx() {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = counting_router(&fena(), calls.clone());
    assert_eq!(
        send(&router, post("/fena", fena_webhook_body())).await,
        (StatusCode::OK, String::new())
    );
    assert_eq!(
        send(&router, post("/fena", fena_webhook_body())).await,
        (StatusCode::OK, String::new())
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let tampered = fena_webhook_body().replacen("eyJpYXQiOjE3", "eyJpYXQiOjE4", 1);
    assert_eq!(send(&router, post("/fena", tampered)).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// What `on_refused` saw: (HTTP status, reason, key fields).
type Seen = Arc<std::sync::Mutex<Vec<(StatusCode, String, Vec<(&'static str, String)>)>>>;

fn observed_router(gateway: &AnyGateway, seen: Seen) -> axum::Router {
    WebhookRouter::new(|_notification: Notification| async { Ok::<(), std::io::Error>(()) })
        .gateway(gateway)
        .on_refused(move |refusal| {
            let entry = (refusal.status, refusal.error.to_string(), refusal.key_fields.to_vec());
            seen.lock().unwrap().push(entry);
        })
        .into_router()
}

#[tokio::test]
async fn refusals_keep_the_verifiers_diagnosis_and_key_fields_while_the_sender_gets_refused() {
    let json = r#"{"gateway": "freekassa", "shop_id": 7012, "secret1": "secret1", "secret2": "secret2",
                   "notification_sources": ["203.0.113.7"]}"#;
    let gateway = AnyGateway::from_config(&GatewayConfig::from_json(json).unwrap()).unwrap();
    let seen = Seen::default();
    let router = observed_router(&gateway, seen.clone());
    let deliver = |body: String| from_peer(post("/freekassa", body), "203.0.113.7:4000");

    // Signed with secret word 1 (md5 of "7012:100.50:secret1:o-1", computed here).
    let sign = md5_hex("7012:100.50:secret1:o-1");
    let with_secret1 = format!(
        "MERCHANT_ID=7012&AMOUNT=100.50&intid=77&MERCHANT_ORDER_ID=o-1&CUR_ID=36&SIGN={sign}"
    );
    assert_eq!(
        send(&router, deliver(with_secret1)).await,
        (StatusCode::BAD_REQUEST, "refused".into())
    );
    // Signed over "100.5", delivered as "100.50".
    let reformatted = freekassa_notification("o-2", "100.5");
    assert_eq!(
        send(&router, deliver(reformatted)).await,
        (StatusCode::BAD_REQUEST, "refused".into())
    );

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    let (status, reason, fields) = &seen[0];
    assert_eq!(*status, StatusCode::BAD_REQUEST);
    assert!(reason.contains("secret word 1"), "{reason}");
    assert!(fields.contains(&("MERCHANT_ORDER_ID", "o-1".to_owned())), "{fields:?}");
    assert!(fields.contains(&("AMOUNT", "100.50".to_owned())), "{fields:?}");
    assert!(!fields.iter().any(|(name, _)| *name == "SIGN"), "never the signature");
    let (_, reason, fields) = &seen[1];
    assert!(reason.contains("re-formatted"), "{reason}");
    assert!(fields.contains(&("MERCHANT_ORDER_ID", "o-2".to_owned())), "{fields:?}");
}

#[tokio::test]
async fn a_forged_feennex_callback_is_reported_with_its_order() {
    let seen = Seen::default();
    let router = observed_router(&feennex(), seen.clone());
    let forged = feennex_callback("77").replace("shop_amount=5.0", "shop_amount=0.5");
    assert_eq!(send(&router, post("/feennex", forged)).await.0, StatusCode::BAD_REQUEST);
    let seen = seen.lock().unwrap();
    let (_, reason, fields) = &seen[0];
    assert_eq!(reason, "feennex: webhook refused: signature does not match");
    assert!(fields.contains(&("shop_order_id", "77".to_owned())), "{fields:?}");
    assert!(fields.contains(&("shop_amount", "0.5".to_owned())), "{fields:?}");
}

#[tokio::test]
async fn freekassa_bodies_past_the_field_limits_get_413_like_every_gateway() {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = counting_router(&freekassa(), calls.clone());
    let deliver = |body: String| from_peer(post("/freekassa", body), "203.0.113.7:4000");
    let crowded = format!("{}{}", freekassa_notification("o-9", "100.50"), "&us_x=1".repeat(100));
    assert_eq!(send(&router, deliver(crowded)).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    let long = format!("{}&us_note={}", freekassa_notification("o-9", "100.50"), "a".repeat(8193));
    assert_eq!(send(&router, deliver(long)).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}
