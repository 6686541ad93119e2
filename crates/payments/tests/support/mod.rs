//! What the webhook tests share: a Feennex gateway, its signed callbacks, and sending them.
#![allow(dead_code, reason = "each test file uses part of it")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use payments::axum::WebhookRouter;
use payments::notification::Notification;
use payments::{AnyGateway, GatewayConfig};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

/// Feennex shop 5 with the secret of its published examples.
pub fn feennex() -> AnyGateway {
    let config = GatewayConfig::from_json(
        r#"{"gateway": "feennex", "shop_id": 5, "secret": "SecretKey01"}"#,
    )
    .unwrap();
    AnyGateway::from_config(&config).unwrap()
}

/// A Feennex callback for `order`, signed here (SHA-256 of the values joined with `:`, then the
/// secret) independently of the SDK.
pub fn feennex_callback(order: &str) -> String {
    let fields = format!(
        "payment_id=9&shop_amount=5.0&shop_currency=840&shop_id=5&shop_order_id={order}&status=success"
    );
    let string = format!("9:5.0:840:5:{order}:successSecretKey01");
    let sign: String =
        Sha256::digest(string.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    format!("{fields}&sign={sign}")
}

/// A form POST of `body` to `path`.
pub fn post(path: &str, body: String) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

/// Sends `request` through `router` in-process; the status and the body as text.
pub async fn send(router: &axum::Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// A webhook router (no gateway yet) whose handler counts its calls and succeeds.
pub fn counting(calls: Arc<AtomicUsize>) -> WebhookRouter {
    WebhookRouter::new(move |_notification: Notification| {
        calls.fetch_add(1, Ordering::SeqCst);
        async { Ok::<(), std::io::Error>(()) }
    })
}
