//! Recurring payments (standing orders) through the whole stack against a mock server: exact
//! paths, headers and bodies, the answers the Toolkit docs show, and the checks made before
//! anything is sent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]
#![cfg(feature = "client")]

use std::time::Duration;

use fena::api::recurring::{
    Frequency, RecurringCreate, RecurringDraft, RecurringStatus, earliest_first_payment_date,
};
use fena::model::PaymentStatus;
use fena::{Client, Error, ToolkitConfig};
use httpmock::prelude::*;
use payments_core::response::CallError;
use payments_core::transport::{ClientOptions, RetryPolicy};
use payments_core::{Currency, Money};
use serde_json::{Value, json};
use time::{Date, Weekday};

const INTEGRATION_ID: &str = "62b48adf6ba2cd6a040b1eec";
const SECRET_KEY: &str = "8c3f1e52-4b7a-4d2e-9f61-0a5b7c9d2e14";
const RECURRING_ID: &str = "3858f642-e92f-431c-9d38-46d15efb7fba";

fn client(server: &MockServer) -> Client {
    let config =
        ToolkitConfig::new(INTEGRATION_ID, SECRET_KEY).with_base_url(&server.base_url()).unwrap();
    let options = ClientOptions::default().retry_policy(
        RetryPolicy::standard().with_backoff(Duration::from_millis(1), Duration::from_millis(1)),
    );
    Client::with_options(config, &options).unwrap()
}

fn gbp(text: &str) -> Money {
    Money::parse(text, Currency::GBP).unwrap()
}

/// A Monday in 2099: far enough ahead of the test machine's clock, and on a weekday.
fn first_date() -> Date {
    let date = Date::from_calendar_date(2099, time::Month::June, 1).unwrap();
    assert_eq!(date.weekday(), Weekday::Monday);
    date
}

fn request() -> RecurringCreate {
    RecurringCreate::new("sub-0001", gbp("9.99"), first_date(), 12, Frequency::OneMonth)
        .unwrap()
        .with_initial_payment(gbp("0.50"))
        .with_customer_name("John Doe")
        .with_customer_email("email@example.com")
}

/// The body the docs' request sample shows, with this test's values.
fn expected_body() -> Value {
    json!({
        "reference": "sub-0001", "recurringAmount": "9.99",
        "recurringPaymentDate": "2099-06-01T00:00:00Z", "numberOfPayments": 12,
        "frequency": "one_month", "initialPaymentAmount": "0.50",
        "customerName": "John Doe", "customerEmail": "email@example.com"
    })
}

/// A recurring payment shaped as the docs' response sample.
fn recurring(id: &str, status: &str) -> Value {
    json!({
        "id": id, "invoiceRefNumber": "sub-0001", "recurringAmount": "9.99",
        "firstPaymentDate": "2099-06-01T00:00:00Z", "finalPaymentDate": "2100-05-01T00:00:00Z",
        "expectedNumberOfPayments": 12, "frequency": "one_month", "status": status,
        "initialPayment": {
            "id": "65a1b2c3d4e5f60718293a4b", "status": "sent", "reference": "sub-0001",
            "amount": "0.50", "dueDate": "2099-05-20T00:00:00Z"
        },
        "link": "https://payment.fena.co/r?r=abc"
    })
}

#[tokio::test]
async fn create_and_process_sends_the_documented_body_and_reads_the_answer() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/open/payments/recurring/create-and-process")
                .header("integration-id", INTEGRATION_ID)
                .header("secret-key", SECRET_KEY)
                .header("content-type", "application/json")
                .json_body(expected_body());
            then.status(201)
                .json_body(json!({"created": true, "result": recurring(RECURRING_ID, "sent")}));
        })
        .await;
    let created = client(&server).create_recurring(&request()).await.unwrap();
    mock.assert_async().await;
    assert_eq!(created.id, RECURRING_ID);
    assert_eq!(created.reference, "sub-0001");
    assert_eq!(created.recurring_amount.to_string(), "9.99");
    assert_eq!(created.status, RecurringStatus::Sent);
    assert_eq!(created.frequency, Some(Frequency::OneMonth));
    assert_eq!(created.expected_number_of_payments, Some(12));
    assert_eq!(created.final_payment_date.as_deref(), Some("2100-05-01T00:00:00Z"));
    assert_eq!(created.link.as_deref(), Some("https://payment.fena.co/r?r=abc"));
    let initial = created.initial_payment.unwrap();
    assert_eq!(initial.status, PaymentStatus::Sent);
    assert_eq!(initial.amount.to_string(), "0.50");
}

#[tokio::test]
async fn a_draft_goes_to_create_and_is_processed_by_id() {
    let server = MockServer::start_async().await;
    let draft = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/open/payments/recurring/create")
                .header("integration-id", INTEGRATION_ID)
                .header("secret-key", SECRET_KEY)
                .json_body(json!({
                    "reference": "sub-0001", "recurringAmount": "9.99",
                    "recurringPaymentDate": "2099-06-01T00:00:00Z", "numberOfPayments": 0,
                    "frequency": "one_week", "bankAccount": "62b48c5b6ba2cd6a040b20a8",
                    "integration": "62b48c5b6ba2cd6a040b20a9"
                }));
            then.status(201)
                .json_body(json!({"created": true, "result": recurring(RECURRING_ID, "draft")}));
        })
        .await;
    let process = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/open/payments/recurring/{RECURRING_ID}/process"))
                .header("integration-id", INTEGRATION_ID)
                .header("secret-key", SECRET_KEY)
                .body("");
            then.status(200).json_body(json!({"result": recurring(RECURRING_ID, "sent")}));
        })
        .await;
    let client = client(&server);
    let request =
        RecurringCreate::new("sub-0001", gbp("9.99"), first_date(), 0, Frequency::OneWeek)
            .unwrap()
            .with_bank_account("62b48c5b6ba2cd6a040b20a8")
            .with_integration("62b48c5b6ba2cd6a040b20a9");
    let created = client.create_recurring_draft(&RecurringDraft::new(request)).await.unwrap();
    draft.assert_async().await;
    assert_eq!(created.status, RecurringStatus::Draft);
    let sent = client.process_recurring(RECURRING_ID).await.unwrap();
    process.assert_async().await;
    assert_eq!(sent.status, RecurringStatus::Sent);
}

#[tokio::test]
async fn get_reads_data_and_is_retried_delete_reads_deleted_and_is_not() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/open/payments/recurring/{RECURRING_ID}"))
                .header("integration-id", INTEGRATION_ID)
                .header("secret-key", SECRET_KEY);
            then.status(200).json_body(json!({"data": recurring(RECURRING_ID, "active")}));
        })
        .await;
    let delete = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/open/payments/recurring/{RECURRING_ID}/delete"))
                .header("integration-id", INTEGRATION_ID)
                .header("secret-key", SECRET_KEY)
                .body("");
            then.status(200).json_body(json!({"deleted": true}));
        })
        .await;
    let flaky_get = server
        .mock_async(|when, then| {
            when.method(GET).path("/open/payments/recurring/flaky");
            then.status(503).body("upstream unavailable");
        })
        .await;
    let flaky_delete = server
        .mock_async(|when, then| {
            when.method(POST).path("/open/payments/recurring/flaky/delete");
            then.status(503).body("upstream unavailable");
        })
        .await;
    let client = client(&server);
    let fetched = client.get_recurring(RECURRING_ID).await.unwrap();
    get.assert_async().await;
    assert_eq!(fetched.status, RecurringStatus::Active);
    assert!(!fetched.status.is_final());
    client.delete_recurring(RECURRING_ID).await.unwrap();
    delete.assert_async().await;

    assert!(client.get_recurring("flaky").await.is_err());
    assert_eq!(flaky_get.calls_async().await, 3);
    assert!(client.delete_recurring("flaky").await.is_err());
    assert_eq!(flaky_delete.calls_async().await, 1);
}

#[tokio::test]
async fn refusals_and_contradicting_answers_are_errors() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/open/payments/recurring/r1/delete");
            then.status(200)
                .json_body(json!({"deleted": false, "message": "Recurring payment is active"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/open/payments/recurring/r2");
            then.status(200).json_body(json!({"data": recurring("other", "sent")}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/open/payments/recurring/create-and-process");
            then.status(201).json_body(json!({"created": true, "result": {
                "id": RECURRING_ID, "invoiceRefNumber": "sub-0001", "recurringAmount": "0.99",
                "status": "sent"
            }}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/open/payments/recurring/r3");
            then.status(404)
                .json_body(json!({"statusCode": 404, "message": "Recurring payment not found"}));
        })
        .await;
    let client = client(&server);
    let err = client.delete_recurring("r1").await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { http_status: 200, message: Some(m), .. } if m == "Recurring payment is active"),
        "{err:?}"
    );
    let err = client.get_recurring("r2").await.unwrap_err();
    assert!(
        matches!(err, Error::Call { source: CallError::Integrity { field: "id", .. }, .. }),
        "{err:?}"
    );
    let err = client.create_recurring(&request()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Call { source: CallError::Integrity { field: "recurringAmount", .. }, .. }
        ),
        "{err:?}"
    );
    let err = client.get_recurring("r3").await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { http_status: 404, message: Some(m), .. } if m == "Recurring payment not found"),
        "{err:?}"
    );
}

#[tokio::test]
async fn rule_breaking_requests_are_refused_before_anything_is_sent() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let client = client(&server);
    let today = time::OffsetDateTime::now_utc().date();
    // Five working days of notice: enough for the overview's 3, not for the schema's 6.
    let five = earliest_first_payment_date(today).unwrap().previous_day().unwrap();
    let mut short = five;
    while matches!(short.weekday(), Weekday::Saturday | Weekday::Sunday) {
        short = short.previous_day().unwrap();
    }
    let too_soon =
        RecurringCreate::new("sub-1", gbp("1.00"), short, 0, Frequency::OneWeek).unwrap();
    assert!(matches!(client.create_recurring(&too_soon).await, Err(Error::Input(_))));
    let saturday = Date::from_calendar_date(2099, time::Month::June, 6).unwrap();
    let weekend =
        RecurringCreate::new("sub-1", gbp("1.00"), saturday, 0, Frequency::OneWeek).unwrap();
    let draft = RecurringDraft::new(weekend);
    assert!(matches!(client.create_recurring_draft(&draft).await, Err(Error::Input(_))));
    assert!(
        RecurringCreate::new("SUB-1", gbp("1.00"), first_date(), 0, Frequency::OneWeek).is_err()
    );
    assert!(
        RecurringCreate::new("sub-0000000001", gbp("1.00"), first_date(), 0, Frequency::OneWeek)
            .is_err()
    );
    assert!(matches!(client.process_recurring(".").await, Err(Error::Input(_))));
    assert!(matches!(client.delete_recurring("").await, Err(Error::Input(_))));
    assert_eq!(any.calls_async().await, 0);
}
