//! Payout safety: resolving an uncertain payout, and polling bills at the allowed pace.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use common::{EXAMPLE_NOW_TEXT, client_for, example_now, failure, ok, sha256_sign};
use feennex::client::PayoutOutcome;
use feennex::model::BillStatus;
use feennex::{Client, Config};
use http::StatusCode;
use httpmock::prelude::*;
use payments_core::clock::FixedClock;
use payments_core::payment::OrderId;
use payments_core::response::CallError;
use payments_core::transport::{
    ClientOptions, HttpRequest, HttpResponse, Transport, TransportError,
};
use serde_json::json;

#[tokio::test]
async fn error_7_means_the_payout_was_never_created() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/withdraw/shop_payment_status").json_body(json!({
                "now": EXAMPLE_NOW_TEXT, "shop_id": 5, "shop_payment_id": "p-9",
                "sign": sha256_sign(&format!("{EXAMPLE_NOW_TEXT}:5:p-9"))
            }));
            then.status(200).json_body(failure(7, "Withdraw (shop_payment_id=p-9) wasn't found"));
        })
        .await;
    let outcome =
        client_for(&server, 5).resolve_withdraw(&OrderId::new("p-9").unwrap()).await.unwrap();
    mock.assert_async().await;
    assert_eq!(outcome, PayoutOutcome::NotCreated);
}

#[tokio::test]
async fn a_found_payout_is_reported_as_created() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/transfer/shop_payment_status");
            then.status(200)
                .json_body(ok(json!({"id": 3, "shop_payment_id": "t-1", "receive_amount": 5})));
        })
        .await;
    match client_for(&server, 5).resolve_transfer(&OrderId::new("t-1").unwrap()).await.unwrap() {
        PayoutOutcome::Created(report) => assert_eq!(report.id, 3),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn other_errors_are_not_mistaken_for_not_created() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(200).json_body(failure(8, "Operation is processing"));
        })
        .await;
    let error =
        client_for(&server, 5).resolve_withdraw(&OrderId::new("p-1").unwrap()).await.unwrap_err();
    assert_eq!(error.code(), Some(feennex::ErrorCode::OperationIsProcessing));
}

#[tokio::test]
async fn withdraw_status_reports_a_foreign_payout_as_an_integrity_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(200)
                .json_body(ok(json!({"id": 1, "status": 5, "shop_payment_id": "someone-else"})));
        })
        .await;
    let error =
        client_for(&server, 5).resolve_withdraw(&OrderId::new("p-1").unwrap()).await.unwrap_err();
    assert!(
        matches!(
            error,
            feennex::Error::Call {
                source: CallError::Integrity { field: "shop_payment_id", .. },
                ..
            }
        ),
        "{error:?}"
    );
}

/// Answers bill status requests from a script, counting them.
#[derive(Debug)]
struct BillScript(Mutex<VecDeque<i64>>, Mutex<u32>);

#[async_trait]
impl Transport for BillScript {
    async fn send(&self, _: &HttpRequest) -> Result<HttpResponse, TransportError> {
        *self.1.lock().unwrap() += 1;
        let status = self.0.lock().unwrap().pop_front().unwrap_or(1);
        let body =
            ok(json!({"status": status, "payment_id": 1, "shop_amount": 1, "shop_currency": 840,
                             "shop_id": 5, "shop_order_id": "o-1"}));
        Ok(HttpResponse::new(StatusCode::OK, body.to_string()))
    }
}

fn polling_client(statuses: &[i64]) -> (Client, Arc<BillScript>) {
    let script =
        Arc::new(BillScript(Mutex::new(statuses.iter().copied().collect()), Mutex::new(0)));
    let options = ClientOptions::default().transport(script.clone());
    let client = Client::with_options(Config::new(5, "k"), &options)
        .unwrap()
        .with_clock(Arc::new(FixedClock(example_now())));
    (client, script)
}

#[tokio::test(start_paused = true)]
async fn wait_for_bill_polls_no_faster_than_every_10_seconds() {
    let (client, script) = polling_client(&[1, 1, 2]);
    let started = tokio::time::Instant::now();
    let report = client
        .wait_for_bill(
            &OrderId::new("o-1").unwrap(),
            Duration::from_secs(1),
            Duration::from_secs(600),
        )
        .await
        .unwrap();
    assert_eq!(report.status, BillStatus::Paid);
    assert_eq!(*script.1.lock().unwrap(), 3);
    assert_eq!(started.elapsed(), Duration::from_secs(20), "asked for 1 s, got the 10 s minimum");
}

#[tokio::test(start_paused = true)]
async fn wait_for_bill_gives_up_at_the_timeout_with_the_last_report() {
    let (client, script) = polling_client(&[1; 100]);
    let report = client
        .wait_for_bill(
            &OrderId::new("o-1").unwrap(),
            Duration::from_secs(30),
            Duration::from_secs(100),
        )
        .await
        .unwrap();
    assert_eq!(report.status, BillStatus::Waiting);
    assert_eq!(*script.1.lock().unwrap(), 4, "at 0, 30, 60 and 90 s");
}
