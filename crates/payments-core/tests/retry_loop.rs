//! The retry loop in `transport::execute`, over a scripted transport (virtual time).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use http::StatusCode;
use payments_core::GatewayId;
use payments_core::transport::{
    HttpRequest, HttpResponse, RetryPolicy, Transport, TransportError, TransportErrorKind, execute,
    execute_prepared,
};

/// Answers with the scripted results in order and counts the calls.
#[derive(Debug)]
struct Scripted {
    script: Mutex<VecDeque<Result<HttpResponse, TransportError>>>,
    calls: Mutex<u32>,
}

impl Scripted {
    fn new(script: Vec<Result<HttpResponse, TransportError>>) -> Self {
        Self { script: Mutex::new(script.into()), calls: Mutex::new(0) }
    }

    fn calls(&self) -> u32 {
        *self.calls.lock().unwrap()
    }
}

#[async_trait]
impl Transport for Scripted {
    async fn send(&self, _request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        *self.calls.lock().unwrap() += 1;
        self.script.lock().unwrap().pop_front().expect("script exhausted")
    }
}

fn status(code: u16) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse::new(StatusCode::from_u16(code).unwrap(), "body"))
}

fn refused() -> Result<HttpResponse, TransportError> {
    Err(TransportError::Connect("connection refused".into()))
}

fn timeout() -> Result<HttpResponse, TransportError> {
    Err(TransportError::Timeout("deadline".into()))
}

fn read() -> HttpRequest {
    HttpRequest::get(
        GatewayId::Freekassa,
        "orders",
        "http://127.0.0.1:9/orders".parse::<url::Url>().unwrap(),
    )
}

fn create() -> HttpRequest {
    HttpRequest::post_json(
        GatewayId::Freekassa,
        "orders/create",
        "http://127.0.0.1:9/".parse::<url::Url>().unwrap(),
        b"{}".to_vec(),
    )
}

#[tokio::test(start_paused = true)]
async fn a_read_is_retried_until_it_succeeds() {
    let transport = Scripted::new(vec![refused(), status(503), status(200)]);
    let response = execute(&transport, &read(), &RetryPolicy::standard()).await.unwrap();
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(transport.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_read_gives_up_after_max_attempts_with_the_last_answer() {
    let transport = Scripted::new(vec![status(500), status(502), status(503)]);
    let response = execute(&transport, &read(), &RetryPolicy::standard()).await.unwrap();
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(transport.calls(), 3);

    let transport = Scripted::new(vec![timeout(), timeout()]);
    let error = execute(&transport, &read(), &RetryPolicy::standard().with_max_attempts(2))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), TransportErrorKind::Timeout);
    assert_eq!(transport.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_creation_is_sent_once_whatever_happens() {
    for outcome in [status(503), status(429), refused(), timeout()] {
        let transport = Scripted::new(vec![outcome, status(200)]);
        let _ = execute(&transport, &create(), &RetryPolicy::standard()).await;
        assert_eq!(transport.calls(), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn client_errors_are_not_retried() {
    let transport = Scripted::new(vec![status(400), status(200)]);
    let response = execute(&transport, &read(), &RetryPolicy::standard()).await.unwrap();
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(transport.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_waited_for() {
    let mut busy = HttpResponse::new(StatusCode::TOO_MANY_REQUESTS, "");
    busy.headers.insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("7"));
    let transport = Scripted::new(vec![Ok(busy), status(200)]);
    let started = tokio::time::Instant::now();
    execute(&transport, &read(), &RetryPolicy::standard()).await.unwrap();
    assert_eq!(started.elapsed(), Duration::from_secs(7));
    assert_eq!(transport.calls(), 2);
}

/// A request prepared for one attempt, numbered so the test sees which one was sent last.
struct Attempt {
    number: u32,
    request: HttpRequest,
}

impl AsRef<HttpRequest> for Attempt {
    fn as_ref(&self) -> &HttpRequest {
        &self.request
    }
}

#[tokio::test(start_paused = true)]
async fn execute_prepared_prepares_every_attempt_anew_and_returns_the_last() {
    let transport = Scripted::new(vec![status(503), refused(), status(200)]);
    let mut prepared = 0;
    let (last, answer) = execute_prepared(&transport, &RetryPolicy::standard(), || {
        prepared += 1;
        std::future::ready(Ok::<_, std::convert::Infallible>(Attempt {
            number: prepared,
            request: read(),
        }))
    })
    .await
    .unwrap();
    assert_eq!((prepared, transport.calls()), (3, 3), "one preparation per attempt");
    assert_eq!(last.number, 3, "the pair is the last attempt and its answer");
    assert_eq!(answer.unwrap().status, StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn execute_prepared_stops_at_once_when_preparing_fails() {
    let transport = Scripted::new(vec![status(503), status(200)]);
    let mut prepared = 0;
    let result = execute_prepared(&transport, &RetryPolicy::standard(), || {
        prepared += 1;
        std::future::ready(if prepared == 1 {
            Ok(Attempt { number: 1, request: read() })
        } else {
            Err("nonce source down")
        })
    })
    .await;
    assert_eq!(result.err(), Some("nonce source down"));
    assert_eq!(transport.calls(), 1, "nothing is sent after a failed preparation");
}
