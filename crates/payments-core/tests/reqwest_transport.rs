//! The reqwest transport against a local mock server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::time::Duration;

use http::StatusCode;
use httpmock::prelude::*;
use payments_core::GatewayId;
use payments_core::transport::{
    HttpRequest, ReqwestTransport, RetryPolicy, Transport, TransportConfig, TransportErrorKind,
    execute,
};

fn transport() -> ReqwestTransport {
    ReqwestTransport::new(&TransportConfig::default().with_user_agent("payments-test/1")).unwrap()
}

#[tokio::test]
async fn sends_method_headers_and_body_and_returns_everything() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/x")
                .header("user-agent", "payments-test/1")
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .body(r#"{"a":1}"#);
            then.status(201).header("x-reply", "yes").body("created");
        })
        .await;
    let request = HttpRequest::post_json(
        GatewayId::Fena,
        "x",
        server.url("/api/x").parse::<url::Url>().unwrap(),
        br#"{"a":1}"#.to_vec(),
    );
    let response = transport().send(&request).await.unwrap();
    mock.assert_async().await;
    assert_eq!(response.status, StatusCode::CREATED);
    assert_eq!(response.headers["x-reply"], "yes");
    assert_eq!(&response.body[..], b"created");
}

#[tokio::test]
async fn a_form_goes_with_its_content_type_and_the_extra_headers_win() {
    // The content headers come from `body_kind`, the API keys from `headers`; a header named
    // in both is sent once, with the value of `headers`.
    let server = MockServer::start_async().await;
    let form = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/form")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("x-api-key", "key-1")
                .body("a=1");
            then.status(200);
        })
        .await;
    let mut request = HttpRequest::post_form(
        GatewayId::Freekassa,
        "form",
        server.url("/form").parse::<url::Url>().unwrap(),
        b"a=1".to_vec(),
    );
    request.headers.insert("x-api-key", http::HeaderValue::from_static("key-1"));
    transport().send(&request).await.unwrap();
    form.assert_async().await;

    let overridden = server
        .mock_async(|when, then| {
            when.path("/json").header("accept", "text/plain").body("{}");
            then.status(200);
        })
        .await;
    let mut request = HttpRequest::post_json(
        GatewayId::Fena,
        "json",
        server.url("/json").parse::<url::Url>().unwrap(),
        b"{}".to_vec(),
    );
    request.headers.insert(http::header::ACCEPT, http::HeaderValue::from_static("text/plain"));
    assert_eq!(request.all_headers().get_all(http::header::ACCEPT).iter().count(), 1);
    transport().send(&request).await.unwrap();
    overridden.assert_async().await;
}

#[tokio::test]
async fn a_body_arriving_in_many_chunks_is_kept_whole_and_in_order() {
    // 600 KB arrives in many reads; every byte must come back in place.
    let body: Vec<u8> = (0..600_000_u32).map(|index| (index % 251) as u8).collect();
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/many");
            then.status(200).body(body.clone());
        })
        .await;
    let request =
        HttpRequest::get(GatewayId::Fena, "many", server.url("/many").parse::<url::Url>().unwrap());
    let response = transport().send(&request).await.unwrap();
    assert_eq!(response.body.len(), body.len());
    assert!(response.body[..] == body[..], "the body came back changed");
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/big");
            then.status(200).body("x".repeat(4096));
        })
        .await;
    let small =
        ReqwestTransport::new(&TransportConfig::default().with_max_response_bytes(1024)).unwrap();
    let request =
        HttpRequest::get(GatewayId::Fena, "big", server.url("/big").parse::<url::Url>().unwrap());
    let error = small.send(&request).await.unwrap_err();
    assert_eq!(error.kind(), TransportErrorKind::BodyTooLarge);
    assert!(transport().send(&request).await.is_ok());
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    // Bind a port, then free it, so nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let request = HttpRequest::get(
        GatewayId::Fena,
        "x",
        format!("http://127.0.0.1:{port}/").parse::<url::Url>().unwrap(),
    );
    let error = transport().send(&request).await.unwrap_err();
    assert_eq!(error.kind(), TransportErrorKind::Connect);
    assert!(!error.request_may_have_arrived());
}

#[tokio::test]
async fn slow_answers_time_out() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/slow");
            then.status(200).delay(Duration::from_secs(2));
        })
        .await;
    let impatient =
        ReqwestTransport::new(&TransportConfig::default().with_timeout(Duration::from_millis(100)))
            .unwrap();
    let request =
        HttpRequest::get(GatewayId::Fena, "slow", server.url("/slow").parse::<url::Url>().unwrap());
    let error = impatient.send(&request).await.unwrap_err();
    assert_eq!(error.kind(), TransportErrorKind::Timeout);
}

#[tokio::test]
async fn reads_are_retried_and_writes_are_not_against_a_real_server() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/busy");
            then.status(503).header("retry-after", "0");
        })
        .await;
    let url: url::Url = server.url("/busy").parse::<url::Url>().unwrap();
    let read = HttpRequest::get(GatewayId::Fena, "busy", url.clone());
    let response = execute(&transport(), &read, &RetryPolicy::standard()).await.unwrap();
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(mock.calls_async().await, 3);

    let write = HttpRequest::post_json(GatewayId::Fena, "busy", url, b"{}".to_vec());
    execute(&transport(), &write, &RetryPolicy::standard()).await.unwrap();
    assert_eq!(mock.calls_async().await, 4);
}
