//! The Toolkit REST API through the whole stack against a mock server: exact headers and
//! bodies, success, error bodies, faults, and unsigned webhooks confirmed by a fetch.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]
#![cfg(feature = "client")]

use std::time::Duration;

use fena::api::bank_account::BankAccountList;
use fena::api::payment::{PaymentCreate, PaymentDraft, PaymentNote};
use fena::api::recurring::RecurringStatus;
use fena::model::{BankAccountStatus, PaymentMethod, PaymentStatus};
use fena::webhook::{
    Confirmed, Expected, ExpectedPayment, ExpectedRecurring, ToolkitScope, ToolkitTrigger,
};
use fena::{AuthHeaders, Client, Error, ToolkitConfig};
use httpmock::prelude::*;
use payments_core::gateway::{CreatePayment, WebhookVerifier};
use payments_core::payment::{
    Customer, OrderId, PaymentLink, PaymentRequest, PaymentStatus as CoreStatus,
};
use payments_core::response::CallError;
use payments_core::transport::{ClientOptions, RetryPolicy, TransportErrorKind};
use payments_core::webhook::WebhookRequest;
use payments_core::{Currency, Money, WebhookError};
use serde_json::{Value, json};

const INTEGRATION_ID: &str = "62b48adf6ba2cd6a040b1eec";
const SECRET_KEY: &str = "8c3f1e52-4b7a-4d2e-9f61-0a5b7c9d2e14";
const PAYMENT_ID: &str = "65a1b2c3d4e5f60718293a4b";

fn config(server: &MockServer) -> ToolkitConfig {
    ToolkitConfig::new(INTEGRATION_ID, SECRET_KEY).with_base_url(&server.base_url()).unwrap()
}

fn client(server: &MockServer) -> Client {
    let options = ClientOptions::default().retry_policy(
        RetryPolicy::standard().with_backoff(Duration::from_millis(1), Duration::from_millis(1)),
    );
    Client::with_options(config(server), &options).unwrap()
}

fn gbp(text: &str) -> Money {
    Money::parse(text, Currency::GBP).unwrap()
}

fn create() -> PaymentCreate {
    PaymentCreate::new("ORDER-7", gbp("10.00")).unwrap()
}

/// A payment as the Toolkit API describes it.
fn payment(id: &str, reference: &str, amount: &str, status: &str) -> Value {
    json!({
        "id": id, "reference": reference, "amount": amount, "status": status,
        "currency": "GBP", "createdAt": "2024-03-12T10:00:00.000Z",
        "link": format!("https://payment.fena.co/p?p={id}"), "isSandbox": true,
        "bankAccount": {"id": "b1", "name": "Main"}
    })
}

fn created_body(reference: &str, amount: &str) -> Value {
    json!({"created": true, "result": payment(PAYMENT_ID, reference, amount, "sent")})
}

#[tokio::test]
async fn create_and_process_sends_exact_headers_and_body_and_returns_the_link() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/open/payments/single/create-and-process")
                .header("integration-id", INTEGRATION_ID)
                .header("secret-key", SECRET_KEY)
                .header("content-type", "application/json")
                .json_body(json!({
                    "reference": "ORDER-7", "amount": "10.00",
                    "customerName": "Jane Doe", "customerEmail": "jane@example.com",
                    "customRedirectUrl": "https://shop.example/thanks",
                    "bankAccount": "b1", "paymentMethod": "fena_ob"
                }));
            then.status(200).json_body(created_body("ORDER-7", "10.00"));
        })
        .await;
    let request = create()
        .with_customer_name("Jane Doe")
        .with_customer_email("jane@example.com")
        .with_redirect_url("https://shop.example/thanks".parse().unwrap())
        .with_bank_account("b1")
        .with_payment_method(PaymentMethod::OpenBanking);
    let created = client(&server).create_and_process(&request).await.unwrap();
    mock.assert_async().await;
    assert_eq!(created.id, PAYMENT_ID);
    assert_eq!(created.link.as_str(), format!("https://payment.fena.co/p?p={PAYMENT_ID}"));
    assert_eq!(created.status, PaymentStatus::Sent);
}

#[tokio::test]
async fn the_auth_header_names_and_base_path_are_configurable() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/partner/open/payments/single/p1")
                .header("terminal-id", INTEGRATION_ID)
                .header("terminal-secret", SECRET_KEY)
                .header_missing("secret-key")
                .header_missing("integration-id");
            then.status(200).json_body(json!({"data": payment("p1", "R-1", "1.00", "paid")}));
        })
        .await;
    let config = ToolkitConfig::new(INTEGRATION_ID, SECRET_KEY)
        .with_base_url(&format!("{}/partner", server.base_url()))
        .unwrap()
        .with_auth_headers(AuthHeaders::terminal());
    let payment = Client::new(config).unwrap().get_payment("p1").await.unwrap();
    mock.assert_async().await;
    assert_eq!(payment.status, PaymentStatus::Paid);
    assert_eq!(payment.amount.to_string(), "1.00");
}

#[tokio::test]
async fn error_bodies_become_typed_errors() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/open/payments/single/create-and-process");
            then.status(401).json_body(json!({"statusCode": 401, "message": "Unauthorized"}));
        })
        .await;
    match client(&server).create_and_process(&create()).await.unwrap_err() {
        Error::Api { http_status, message, endpoint, .. } => {
            assert_eq!(http_status, 401);
            assert_eq!(message.as_deref(), Some("Unauthorized"));
            assert_eq!(endpoint, "open/payments/single/create-and-process");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn http_200_with_an_error_body_is_an_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/open/payments/single/create-and-process");
            then.status(200)
                .json_body(json!({"created": false, "message": "Bank account not verified"}));
        })
        .await;
    let err = client(&server).create_and_process(&create()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { http_status: 200, message: Some(m), .. } if m == "Bank account not verified"),
        "{err:?}"
    );
}

#[tokio::test]
async fn creating_is_never_retried_but_reads_are() {
    let server = MockServer::start_async().await;
    let create_mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/open/payments/single/create-and-process");
            then.status(503).body("upstream unavailable");
        })
        .await;
    let get_mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/open/payments/single/p1");
            then.status(503).body("upstream unavailable");
        })
        .await;
    let client = client(&server);
    let err = client.create_and_process(&create()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Call { source: CallError::Http { http_status: 503, body }, .. } if body.contains("upstream"))
    );
    assert_eq!(create_mock.calls_async().await, 1);
    assert!(client.get_payment("p1").await.is_err());
    assert_eq!(get_mock.calls_async().await, 3);
}

#[tokio::test]
async fn malformed_truncated_and_html_bodies_are_decode_errors() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/open/payments/single/truncated");
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"data": {"id": "truncated", "refer"#);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/open/payments/single/html");
            then.status(200).header("content-type", "text/html").body("<html>maintenance</html>");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/open/payments/single/bad-amount");
            then.status(200)
                .json_body(json!({"data": payment("bad-amount", "R", "10,00", "paid")}));
        })
        .await;
    let client = client(&server);
    assert!(
        matches!(client.get_payment("truncated").await.unwrap_err(), Error::Call { source: CallError::Decode { path, .. }, .. } if path == ".")
    );
    assert!(
        matches!(client.get_payment("html").await.unwrap_err(), Error::Call { source: CallError::Decode { path, body, .. }, .. } if path == "." && body.contains("maintenance"))
    );
    assert!(
        matches!(client.get_payment("bad-amount").await.unwrap_err(), Error::Call { source: CallError::Decode { path, .. }, .. } if path == "data.amount")
    );
}

#[tokio::test]
async fn a_timeout_is_reported_and_creation_not_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/open/payments/single/create-and-process");
            then.status(200)
                .json_body(created_body("ORDER-7", "10.00"))
                .delay(Duration::from_secs(2));
        })
        .await;
    let options = ClientOptions::default().timeout(Duration::from_millis(200));
    let client = Client::with_options(config(&server), &options).unwrap();
    match client.create_and_process(&create()).await.unwrap_err() {
        Error::Call { source: CallError::Transport(source), .. } => {
            assert_eq!(source.kind(), TransportErrorKind::Timeout);
            assert!(source.request_may_have_arrived());
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn a_created_payment_for_another_reference_or_amount_is_refused() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/open/payments/single/create-and-process")
                .json_body_includes(r#"{"reference": "ORDER-7"}"#);
            then.status(200).json_body(created_body("ORDER-7", "100.00"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/open/payments/single/create-and-process")
                .json_body_includes(r#"{"reference": "ORDER-8"}"#);
            then.status(200).json_body(created_body("ORDER-9", "10.00"));
        })
        .await;
    let client = client(&server);
    let err = client.create_and_process(&create()).await.unwrap_err();
    assert!(
        matches!(err, Error::Call { source: CallError::Integrity { field: "amount", .. }, .. }),
        "{err:?}"
    );
    let other = PaymentCreate::new("ORDER-8", gbp("10.00")).unwrap();
    let err = client.create_and_process(&other).await.unwrap_err();
    assert!(
        matches!(err, Error::Call { source: CallError::Integrity { field: "reference", .. }, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn bank_accounts_are_listed_with_paging() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/open/company/bank-accounts/list")
                .query_param("page", "2")
                .query_param("limit", "10")
                .header("integration-id", INTEGRATION_ID)
                .header("secret-key", SECRET_KEY);
            then.status(200).json_body(json!({"data": {
                "docs": [
                    {"id": "b1", "name": "Sandbox", "sortCode": "000000", "accountNumber": "00000000",
                     "provider": "ob-sandbox", "isDefault": true, "isSandbox": true, "status": "verified",
                     "creationType": "automatic", "createdAt": "2024-01-01T00:00:00Z"},
                    {"id": "b2", "name": "Main", "status": "pending", "isDefault": false, "isSandbox": false},
                    {"id": "b3", "status": "frozen"}
                ],
                "totalDocs": 13, "page": 2, "totalPages": 2, "hasNextPage": false
            }}));
        })
        .await;
    let page = client(&server)
        .list_bank_accounts(&BankAccountList::default().with_page(2).with_limit(10))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(page.docs.len(), 3);
    assert!(page.docs[0].is_verified() && page.docs[0].is_sandbox && page.docs[0].is_default);
    assert_eq!(page.docs[1].status, BankAccountStatus::Pending);
    assert_eq!(page.docs[2].status, BankAccountStatus::Unknown("frozen".into()));
    assert_eq!((page.total_docs, page.has_next_page), (Some(13), Some(false)));
}

fn forged_trigger(id: &str) -> ToolkitTrigger {
    let body = json!({
        "eventScope": "single-payments", "eventName": "status-update",
        "id": id, "reference": "ORDER-7", "amount": "10.00", "status": "paid"
    });
    ToolkitTrigger::parse(body.to_string().as_bytes(), 16 * 1024).unwrap()
}

async fn fetch_returns<'a>(server: &'a MockServer, id: &str, fetched: Value) -> httpmock::Mock<'a> {
    let path = format!("/open/payments/single/{id}");
    server
        .mock_async(|when, then| {
            when.method(GET).path(path).header("secret-key", SECRET_KEY);
            then.status(200).json_body(json!({"data": fetched}));
        })
        .await
}

#[tokio::test]
async fn a_webhook_is_paid_only_when_the_fetched_payment_is() {
    let server = MockServer::start_async().await;
    let mock =
        fetch_returns(&server, PAYMENT_ID, payment(PAYMENT_ID, "ORDER-7", "10.00", "paid")).await;
    let stored = ExpectedPayment::new(PAYMENT_ID, "ORDER-7", gbp("10.00"));
    let confirmed =
        client(&server).confirm_trigger(&forged_trigger(PAYMENT_ID), &stored).await.unwrap();
    mock.assert_async().await;
    assert!(confirmed.is_paid());
    assert_eq!(confirmed.to_notification().status, CoreStatus::Paid);
}

#[tokio::test]
async fn a_forged_webhook_whose_fetched_payment_disagrees_is_not_paid() {
    let server = MockServer::start_async().await;
    let stored = ExpectedPayment::new(PAYMENT_ID, "ORDER-7", gbp("10.00"));
    let client = client(&server);

    // The body says paid; Fena says the payment was only sent.
    let mut mock =
        fetch_returns(&server, PAYMENT_ID, payment(PAYMENT_ID, "ORDER-7", "10.00", "sent")).await;
    let confirmed = client.confirm_trigger(&forged_trigger(PAYMENT_ID), &stored).await.unwrap();
    assert!(!confirmed.is_paid());
    assert_eq!(confirmed.status, PaymentStatus::Sent);
    mock.delete_async().await;

    // Paid, but for one penny.
    mock = fetch_returns(&server, PAYMENT_ID, payment(PAYMENT_ID, "ORDER-7", "0.01", "paid")).await;
    let err = client.confirm_trigger(&forged_trigger(PAYMENT_ID), &stored).await.unwrap_err();
    assert!(
        matches!(err, Error::Call { source: CallError::Integrity { field: "amount", .. }, .. }),
        "{err:?}"
    );
    mock.delete_async().await;

    // Paid, but another order's payment.
    mock =
        fetch_returns(&server, PAYMENT_ID, payment(PAYMENT_ID, "ORDER-1", "10.00", "paid")).await;
    let err = client.confirm_trigger(&forged_trigger(PAYMENT_ID), &stored).await.unwrap_err();
    assert!(
        matches!(err, Error::Call { source: CallError::Integrity { field: "reference", .. }, .. }),
        "{err:?}"
    );
    mock.delete_async().await;

    // An unknown status is never paid.
    mock = fetch_returns(&server, PAYMENT_ID, payment(PAYMENT_ID, "ORDER-7", "10.00", "settled"))
        .await;
    let confirmed = client.confirm_trigger(&forged_trigger(PAYMENT_ID), &stored).await.unwrap();
    assert!(!confirmed.is_paid());
    mock.delete_async().await;

    // A trigger naming another payment is refused before anything is fetched.
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .json_body(json!({"data": payment("other", "ORDER-7", "10.00", "paid")}));
        })
        .await;
    let err = client.confirm_trigger(&forged_trigger("other"), &stored).await.unwrap_err();
    assert!(
        matches!(err, Error::Call { source: CallError::Integrity { field: "id", .. }, .. }),
        "{err:?}"
    );
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn verify_request_reads_the_trigger_and_confirms_it_by_the_fetch() {
    let server = MockServer::start_async().await;
    let mock =
        fetch_returns(&server, PAYMENT_ID, payment(PAYMENT_ID, "ORDER-7", "10.00", "sent")).await;
    let stored = ExpectedPayment::new(PAYMENT_ID, "ORDER-7", gbp("10.00"));
    let client = client(&server);
    // The body claims paid; the fetched payment was only sent.
    let body =
        json!({"id": PAYMENT_ID, "reference": "ORDER-7", "amount": "10.00", "status": "paid"});
    let request = WebhookRequest::new(http::Method::POST, body.to_string());
    let confirmed = client.verify_request(&request, &stored).await.unwrap();
    mock.assert_async().await;
    assert!(!confirmed.is_paid());
    assert_eq!(confirmed.payment().unwrap().status, PaymentStatus::Sent);

    // A body that names no payment is refused before anything is fetched.
    let nameless = WebhookRequest::new(http::Method::POST, r#"{"status":"paid"}"#);
    let err = client.verify_request(&nameless, &stored).await.unwrap_err();
    assert!(matches!(err, Error::Webhook(WebhookError::MissingField(_))), "{err:?}");
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn two_payments_under_one_reference_are_two_events_for_the_seen_store() {
    // A standing order's payments share its reference; the second must not be skipped as a
    // redelivery of the first.
    const SECOND_ID: &str = "65a1b2c3d4e5f60718293a4c";
    let server = MockServer::start_async().await;
    fetch_returns(&server, PAYMENT_ID, payment(PAYMENT_ID, "sub-0001", "9.99", "paid")).await;
    fetch_returns(&server, SECOND_ID, payment(SECOND_ID, "sub-0001", "9.99", "paid")).await;
    let client = client(&server);
    let notify = |id: &str| {
        let body = json!({"eventScope": "single-payments", "id": id, "status": "paid"});
        WebhookRequest::new(http::Method::POST, body.to_string())
    };
    let first = client.verify(&notify(PAYMENT_ID)).await.unwrap();
    let second = client.verify(&notify(SECOND_ID)).await.unwrap();
    assert_eq!((first.order_id.as_str(), second.order_id.as_str()), ("sub-0001", "sub-0001"));
    assert_ne!(first.dedup_key(), second.dedup_key());
    // A redelivery of the same payment is the same event.
    assert_eq!(client.verify(&notify(PAYMENT_ID)).await.unwrap().dedup_key(), first.dedup_key());
    let stored = ExpectedPayment::new(SECOND_ID, "sub-0001", gbp("9.99"));
    let confirmed = client.verify_request(&notify(SECOND_ID), &stored).await.unwrap();
    assert_eq!(confirmed.payment().unwrap().to_notification().dedup_key(), second.dedup_key());
}

#[tokio::test]
async fn the_client_is_a_core_webhook_verifier_built_on_the_fetch() {
    let server = MockServer::start_async().await;
    fetch_returns(&server, PAYMENT_ID, payment(PAYMENT_ID, "ORDER-7", "1.00", "pending")).await;
    let body =
        json!({"id": PAYMENT_ID, "reference": "ORDER-7", "amount": "10.00", "status": "paid"});
    let client = client(&server);
    let notification =
        client.verify(&WebhookRequest::new(http::Method::POST, body.to_string())).await.unwrap();
    // Everything comes from the fetched payment, nothing from the body.
    assert_eq!(notification.status, CoreStatus::Pending);
    assert_eq!(notification.money, gbp("1.00"));
    assert!(notification.check_order("ORDER-7", &gbp("10.00")).is_err());
    assert_eq!(client.ack().status.as_u16(), 200);
}

#[tokio::test]
async fn the_client_creates_payments_through_the_core_trait() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/open/payments/single/create-and-process")
                .json_body(json!({"reference": "ORDER-7", "amount": "10.00", "customerEmail": "jane@example.com"}));
            then.status(201).json_body(created_body("ORDER-7", "10.00"));
        })
        .await;
    let client = client(&server);
    let request = PaymentRequest::new(OrderId::new("ORDER-7").unwrap(), gbp("10"))
        .with_customer(Customer::default().with_email("jane@example.com"));
    let created = client.create_payment(&request).await.unwrap();
    assert_eq!(created.gateway_payment_id.as_deref(), Some(PAYMENT_ID));
    assert!(
        matches!(created.link, PaymentLink::Redirect(url) if url.as_str().ends_with(PAYMENT_ID))
    );
    mock.assert_async().await;

    // References longer than 12 characters are refused before anything is sent.
    let long = PaymentRequest::new(OrderId::new("ORDER-0000001").unwrap(), gbp("10"));
    assert!(matches!(
        client.create_payment(&long).await.unwrap_err(),
        payments_core::Error::Input { .. }
    ));
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn create_and_process_sends_every_documented_field() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/open/payments/single/create-and-process")
                .header("integration-id", INTEGRATION_ID)
                .header("secret-key", SECRET_KEY)
                .json_body(json!({
                    "reference": "ref-123", "amount": "0.50",
                    "bankAccount": "62b48c5b6ba2cd6a040b20a8", "customerName": "John Doe",
                    "dueDate": "2024-01-24T00:00:00Z", "customerEmail": "example@gmail.com",
                    "customerEmailCC": ["cc1@example.com", "cc2@example.com"],
                    "paymentMethod": "fena_ob_qr", "description": "Two mugs",
                    "notes": [{"text": "This is a test payment", "visibility": "public"}],
                    "integration": "62b48c5b6ba2cd6a040b20a9"
                }));
            then.status(201).json_body(json!({"created": true, "result": {
                "id": PAYMENT_ID, "reference": "ref-123", "amount": "0.50", "status": "sent",
                "link": "https://payment.fena.co/p?p=abc",
                "qrCodeData": "https://payment.fena.co/qr/abc.png"
            }}));
        })
        .await;
    let request = PaymentCreate::new("ref-123", gbp("0.50"))
        .unwrap()
        .with_bank_account("62b48c5b6ba2cd6a040b20a8")
        .with_customer_name("John Doe")
        .with_due_date(time::macros::date!(2024 - 01 - 24))
        .with_customer_email("example@gmail.com")
        .with_customer_email_cc("cc1@example.com")
        .with_customer_email_cc("cc2@example.com")
        .with_payment_method(PaymentMethod::OpenBankingQr)
        .with_description("Two mugs")
        .with_note(PaymentNote::public("This is a test payment"))
        .with_integration("62b48c5b6ba2cd6a040b20a9");
    let created = client(&server).create_and_process(&request).await.unwrap();
    mock.assert_async().await;
    assert_eq!(created.qr_code_data.as_deref(), Some("https://payment.fena.co/qr/abc.png"));
    assert_eq!(created.link.as_str(), "https://payment.fena.co/p?p=abc");
}

#[tokio::test]
async fn bad_fields_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let client = client(&server);
    let bad_cc = create().with_customer_email_cc("not an address");
    assert!(matches!(client.create_and_process(&bad_cc).await, Err(Error::Input(_))));
    let bad_email = PaymentDraft::new(create().with_customer_email("jane@"));
    assert!(matches!(client.create_draft(&bad_email).await, Err(Error::Input(_))));
    let old = create().with_due_date(time::macros::date!(1999 - 12 - 31));
    assert!(matches!(client.create_and_process(&old).await, Err(Error::Input(_))));
    assert!(matches!(client.process_payment("..").await, Err(Error::Input(_))));
    assert!(matches!(client.process_payment("").await, Err(Error::Input(_))));
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn a_draft_is_created_then_processed_into_a_link() {
    let server = MockServer::start_async().await;
    let draft_mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/open/payments/single/create")
                .header("integration-id", INTEGRATION_ID)
                .header("secret-key", SECRET_KEY)
                .header("content-type", "application/json")
                .json_body(json!({"reference": "ORDER-7", "amount": "10.00", "dueDate": "2030-06-01T00:00:00Z"}));
            then.status(201).json_body(json!({"created": true, "result": {
                "id": PAYMENT_ID, "reference": "ORDER-7", "amount": "10.00", "status": "draft",
                "dueDate": "2030-06-01T00:00:00Z", "currency": "GBP"
            }}));
        })
        .await;
    let process_path = format!("/open/payments/single/{PAYMENT_ID}/process");
    let process_mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(process_path)
                .header("integration-id", INTEGRATION_ID)
                .header("secret-key", SECRET_KEY)
                .body("");
            then.status(200).json_body(json!({"saved": true, "result": {
                "id": PAYMENT_ID, "reference": "ORDER-7", "amount": "10.00", "status": "sent",
                "link": "https://payment.fena.co/p?p=xyz"
            }}));
        })
        .await;
    let client = client(&server);
    let draft = PaymentDraft::new(create().with_due_date(time::macros::date!(2030 - 06 - 01)));
    let created = client.create_draft(&draft).await.unwrap();
    draft_mock.assert_async().await;
    assert_eq!(created.status, PaymentStatus::Draft);
    assert_eq!(created.link, None);
    assert_eq!(created.due_date.as_deref(), Some("2030-06-01T00:00:00Z"));

    let sent = client.process_payment(PAYMENT_ID).await.unwrap();
    process_mock.assert_async().await;
    assert_eq!(sent.status, PaymentStatus::Sent);
    assert_eq!(sent.link.as_str(), "https://payment.fena.co/p?p=xyz");
}

#[tokio::test]
async fn processing_is_never_retried_and_saved_false_is_a_refusal() {
    let server = MockServer::start_async().await;
    let failing = server
        .mock_async(|when, then| {
            when.method(POST).path("/open/payments/single/p1/process");
            then.status(503).body("upstream unavailable");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/open/payments/single/p2/process");
            then.status(200)
                .json_body(json!({"saved": false, "message": "Payment is not a draft"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/open/payments/single/p3/process");
            then.status(200).json_body(json!({"saved": true, "result": {
                "id": "other", "reference": "R", "amount": "1.00", "status": "sent",
                "link": "https://payment.fena.co/p?p=other"
            }}));
        })
        .await;
    let client = client(&server);
    assert!(client.process_payment("p1").await.is_err());
    assert_eq!(failing.calls_async().await, 1);
    let err = client.process_payment("p2").await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { http_status: 200, message: Some(m), .. } if m == "Payment is not a draft"),
        "{err:?}"
    );
    let err = client.process_payment("p3").await.unwrap_err();
    assert!(
        matches!(err, Error::Call { source: CallError::Integrity { field: "id", .. }, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_refunded_payment_carries_its_refund_fields() {
    let server = MockServer::start_async().await;
    let mut body = payment(PAYMENT_ID, "ORDER-7", "10.00", "refund_started");
    body["refundLink"] = json!("https://payment.fena.co/r?r=1");
    body["refundQrCodeData"] = json!("https://payment.fena.co/qr/r1.png");
    body["refundPayeeAccount"] = json!({"sortCode": "123456", "accountNumber": "12345678"});
    body["description"] = json!("Two mugs");
    body["paymentMethod"] = json!("fena_ob");
    fetch_returns(&server, PAYMENT_ID, body).await;
    let payment = client(&server).get_payment(PAYMENT_ID).await.unwrap();
    assert_eq!(payment.status, PaymentStatus::RefundStarted);
    assert_eq!(payment.refund_link.as_deref(), Some("https://payment.fena.co/r?r=1"));
    assert_eq!(payment.refund_qr_code_data.as_deref(), Some("https://payment.fena.co/qr/r1.png"));
    let account = payment.refund_payee_account.unwrap();
    assert_eq!(account["sortCode"], "123456");
    assert_eq!(account["accountNumber"], "12345678");
    assert_eq!(payment.description.as_deref(), Some("Two mugs"));
    assert_eq!(payment.payment_method.as_deref(), Some("fena_ob"));
}

/// The exact bodies of each documented event scope.
const RECURRING_ID: &str = "3858f642-e92f-431c-9d38-46d15efb7fba";
const ACCOUNT_ID: &str = "62b48c5b6ba2cd6a040b20a8";

fn single_payment_body() -> Value {
    // The Toolkit docs' "Payment status update Webhook" sample, with our payment.
    json!({
        "eventScope": "single-payments", "eventName": "status-update",
        "id": PAYMENT_ID, "reference": "ORDER-7", "amount": "10.00",
        "bankAccount": {"id": ACCOUNT_ID, "sortCode": "123456", "accountNumber": "12345678",
            "name": "Default account", "provider": "other", "isDefault": true, "status": "verified"},
        "customerName": "John Doe", "customerEmail": "john@doe.com", "customerEmailCC": [],
        "paymentMethod": "fena_ob", "createdAt": "2022-10-19T16:31:47.215Z", "currency": "GBP",
        "status": "paid", "completedAt": "2022-10-19T16:31:47.215Z", "description": "Order 7"
    })
}

fn recurring_body() -> Value {
    json!({
        "eventScope": "recurring-payments", "eventName": "status-update",
        "id": RECURRING_ID, "reference": "sub-0001", "recurringAmount": "9.99",
        "frequency": "one_month", "status": "active", "customerName": "John Doe"
    })
}

fn bank_account_body() -> Value {
    // The Toolkit docs' "Bank account status update Webhook" sample.
    json!({
        "eventScope": "bank-accounts", "eventName": "status-update",
        "id": ACCOUNT_ID, "sortCode": "123456", "accountNumber": "12345678",
        "name": "Default account", "provider": "other", "isDefault": true,
        "status": "verified", "creationType": "manual",
        "createdAt": "2022-10-19T16:31:47.215Z", "bankConsentExpired": "up-to-date"
    })
}

fn webhook(body: &Value) -> WebhookRequest {
    WebhookRequest::new(http::Method::POST, body.to_string())
}

fn recurring_json(id: &str, reference: &str, amount: &str, status: &str) -> Value {
    json!({
        "id": id, "invoiceRefNumber": reference, "recurringAmount": amount,
        "firstPaymentDate": "2024-12-10T00:00:00Z", "finalPaymentDate": "2025-11-10T00:00:00Z",
        "expectedNumberOfPayments": 12, "frequency": "one_month", "status": status,
        "link": "https://payment.fena.co/r?r=1"
    })
}

#[test]
fn every_documented_scope_is_recognised_with_its_payload() {
    let single =
        ToolkitTrigger::parse(single_payment_body().to_string().as_bytes(), 16 * 1024).unwrap();
    assert_eq!(single.scope, ToolkitScope::SinglePayment);
    assert_eq!(
        (single.id.as_str(), single.reference.as_deref(), single.claimed_amount.as_deref()),
        (PAYMENT_ID, Some("ORDER-7"), Some("10.00"))
    );
    // The partner docs' spelling of the same event.
    let partner = json!({"scope": "single-payment", "event_name": "payment_status_update",
        "id": PAYMENT_ID, "reference": "ORDER-7", "amount": "10.00", "status": "paid"});
    let partner = ToolkitTrigger::parse(partner.to_string().as_bytes(), 1024).unwrap();
    assert_eq!(partner.scope, ToolkitScope::SinglePayment);
    assert_eq!(partner.event.as_deref(), Some("payment_status_update"));

    let recurring =
        ToolkitTrigger::parse(recurring_body().to_string().as_bytes(), 16 * 1024).unwrap();
    assert_eq!(recurring.scope, ToolkitScope::RecurringPayment);
    assert_eq!(
        (
            recurring.id.as_str(),
            recurring.reference.as_deref(),
            recurring.claimed_amount.as_deref()
        ),
        (RECURRING_ID, Some("sub-0001"), Some("9.99"))
    );
    assert_eq!(recurring.claimed_status.as_deref(), Some("active"));

    let account =
        ToolkitTrigger::parse(bank_account_body().to_string().as_bytes(), 16 * 1024).unwrap();
    assert_eq!(account.scope, ToolkitScope::BankAccount);
    assert_eq!(account.id, ACCOUNT_ID);
    assert_eq!((account.reference, account.claimed_amount), (None, None));
    assert!(account.raw_fields.contains(&("bankConsentExpired".into(), "up-to-date".into())));
}

#[tokio::test]
async fn an_unknown_scope_is_refused_by_name_and_nothing_is_fetched() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .json_body(json!({"data": payment(PAYMENT_ID, "ORDER-7", "10.00", "paid")}));
        })
        .await;
    let client = client(&server);
    let stored = ExpectedPayment::new(PAYMENT_ID, "ORDER-7", gbp("10.00"));
    for (scope, shown) in [
        (json!("invoices"), "invoices"),
        (json!("SINGLE-PAYMENTS"), "SINGLE-PAYMENTS"),
        (json!(7), "7"),
    ] {
        let body = json!({"eventScope": scope, "eventName": "status-update",
            "id": PAYMENT_ID, "reference": "ORDER-7", "amount": "10.00", "status": "paid"});
        let err = client.verify_request(&webhook(&body), &stored).await.unwrap_err();
        assert!(matches!(&err, Error::UnknownWebhookScope { scope } if scope == shown), "{err:?}");
        assert!(err.to_string().contains(shown), "{err}");
        // Through the core verifier too: a webhook refusal, never a payment.
        let core = client.verify(&webhook(&body)).await.unwrap_err();
        assert!(matches!(core, payments_core::Error::Webhook { .. }), "{core:?}");
        assert!(core.to_string().contains(shown), "{core}");
    }
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn a_recurring_payment_event_is_confirmed_by_fetching_the_recurring_payment() {
    let server = MockServer::start_async().await;
    let path = format!("/open/payments/recurring/{RECURRING_ID}");
    let mut get = server
        .mock_async(|when, then| {
            when.method(GET).path(path.clone()).header("secret-key", SECRET_KEY);
            then.status(200).json_body(
                json!({"data": recurring_json(RECURRING_ID, "sub-0001", "9.99", "active")}),
            );
        })
        .await;
    let client = client(&server);
    let stored = ExpectedRecurring::new(RECURRING_ID, "sub-0001", gbp("9.99"));
    let confirmed = client.verify_request(&webhook(&recurring_body()), &stored).await.unwrap();
    get.assert_async().await;
    let Confirmed::Recurring(recurring) = &confirmed else { panic!("{confirmed:?}") };
    assert_eq!(recurring.status, RecurringStatus::Active);
    assert_eq!((recurring.reference.as_str(), recurring.amount), ("sub-0001", gbp("9.99")));
    assert!(!confirmed.is_paid(), "a standing order never marks an order paid");
    get.delete_async().await;

    // Fena reports another amount: an integrity mismatch, refused.
    get = server
        .mock_async(|when, then| {
            when.method(GET).path(path.clone());
            then.status(200).json_body(
                json!({"data": recurring_json(RECURRING_ID, "sub-0001", "0.01", "active")}),
            );
        })
        .await;
    let err = client.verify_request(&webhook(&recurring_body()), &stored).await.unwrap_err();
    assert!(
        matches!(err, Error::Call { source: CallError::Integrity { field: "amount", .. }, .. }),
        "{err:?}"
    );
    get.delete_async().await;

    // Another reference: refused.
    server
        .mock_async(|when, then| {
            when.method(GET).path(path.clone());
            then.status(200).json_body(
                json!({"data": recurring_json(RECURRING_ID, "sub-0002", "9.99", "active")}),
            );
        })
        .await;
    let err = client.verify_request(&webhook(&recurring_body()), &stored).await.unwrap_err();
    assert!(
        matches!(err, Error::Call { source: CallError::Integrity { field: "reference", .. }, .. }),
        "{err:?}"
    );

    // A recurring event checked against a stored single payment: refused by scope, unfetched.
    let payment = ExpectedPayment::new(RECURRING_ID, "sub-0001", gbp("9.99"));
    let err = client.verify_request(&webhook(&recurring_body()), &payment).await.unwrap_err();
    assert!(
        matches!(&err, Error::Webhook(WebhookError::Mismatch { field: "eventScope", expected, received })
            if expected == "single-payments" && received == "recurring-payments"),
        "{err:?}"
    );
    // The core verifier refuses it (no core notification for a standing order), unfetched.
    let core = client.verify(&webhook(&recurring_body())).await.unwrap_err();
    assert!(matches!(core, payments_core::Error::Webhook { .. }), "{core:?}");
    assert!(core.to_string().contains("recurring-payments"), "{core}");
}

fn account_json(id: &str, status: &str) -> Value {
    json!({"id": id, "name": "Default account", "sortCode": "123456",
        "accountNumber": "12345678", "provider": "other", "isDefault": true,
        "isSandbox": false, "status": status, "creationType": "manual",
        "createdAt": "2022-10-19T16:31:47.215Z"})
}

#[tokio::test]
async fn a_bank_account_event_is_confirmed_by_finding_it_in_the_list() {
    let server = MockServer::start_async().await;
    let page1 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/open/company/bank-accounts/list")
                .query_param("page", "1")
                .query_param("limit", "100")
                .header("secret-key", SECRET_KEY);
            then.status(200).json_body(json!({"data": {
                "docs": [account_json("62b48c5b6ba2cd6a040b0001", "verified")],
                "totalDocs": 2, "page": 1, "totalPages": 2, "hasNextPage": true}}));
        })
        .await;
    let page2 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/open/company/bank-accounts/list")
                .query_param("page", "2")
                .query_param("limit", "100");
            then.status(200).json_body(json!({"data": {
                "docs": [account_json(ACCOUNT_ID, "disabled")],
                "totalDocs": 2, "page": 2, "totalPages": 2, "hasNextPage": false}}));
        })
        .await;
    let client = client(&server);
    let stored = Expected::BankAccount(ACCOUNT_ID.to_owned());
    let confirmed = client.verify_request(&webhook(&bank_account_body()), stored).await.unwrap();
    page1.assert_async().await;
    page2.assert_async().await;
    // The body claims verified; the list says disabled, and the list is what counts.
    let account = confirmed.bank_account().unwrap();
    assert_eq!(account.status, BankAccountStatus::Disabled);
    assert!(!confirmed.is_paid());

    // An account that is not the merchant's is refused after the last page.
    let stranger = json!({"eventScope": "bank-accounts", "eventName": "status-update",
        "id": "62b48c5b6ba2cd6a040bffff", "status": "verified"});
    let err = client
        .verify_request(
            &webhook(&stranger),
            Expected::BankAccount("62b48c5b6ba2cd6a040bffff".into()),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Call { source: CallError::Integrity { field: "id", .. }, .. }),
        "{err:?}"
    );
    // A trigger naming another account than the stored one: refused before any fetch.
    let before = page1.calls_async().await;
    let err = client
        .verify_request(&webhook(&bank_account_body()), Expected::BankAccount("other".into()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Call { source: CallError::Integrity { field: "id", .. }, .. }),
        "{err:?}"
    );
    assert_eq!(page1.calls_async().await, before);
    // The core verifier refuses bank-account events.
    let core = client.verify(&webhook(&bank_account_body())).await.unwrap_err();
    assert!(core.to_string().contains("bank-accounts"), "{core}");
}

#[tokio::test]
async fn the_documented_single_payment_body_is_confirmed_by_the_fetch() {
    let server = MockServer::start_async().await;
    let mock =
        fetch_returns(&server, PAYMENT_ID, payment(PAYMENT_ID, "ORDER-7", "10.00", "paid")).await;
    let client = client(&server);
    let stored = ExpectedPayment::new(PAYMENT_ID, "ORDER-7", gbp("10.00"));
    let confirmed = client.verify_request(&webhook(&single_payment_body()), &stored).await.unwrap();
    assert!(confirmed.is_paid());
    let notification = client.verify(&webhook(&single_payment_body())).await.unwrap();
    assert_eq!(notification.status, CoreStatus::Paid);
    assert_eq!(mock.calls_async().await, 2);
}
