//! The Fena Toolkit REST API of the sandbox, driven by every `fena::Client` method and by the
//! façade; webhooks captured raw and confirmed by `Client::verify_request`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use fena::api::bank_account::BankAccountList;
use fena::api::payment::{PaymentCreate, PaymentDraft};
use fena::api::recurring::{
    Frequency, RecurringCreate, RecurringDraft, RecurringStatus, earliest_first_payment_date,
};
use fena::model::{BankAccountStatus, PaymentStatus as FenaStatus};
use fena::webhook::{Expected, ExpectedPayment, ExpectedRecurring};
use fena::{AuthHeaders, Client, ToolkitConfig};
use http::{HeaderValue, Method, StatusCode};
use payments::core::subscription::{Interval, SubscriptionRequest, SubscriptionStatus};
use payments::core::transport::{HttpRequest, ReqwestTransport, Transport, TransportConfig};
use payments::core::webhook::WebhookRequest;
use payments::payment::{OrderId, PaymentRequest, PaymentStatus};
use payments::{AnyGateway, Currency, Error, GatewayConfig, GatewayId, Money};
use payments_sandbox::{RunningSandbox, Sandbox, SandboxConfig, Status};
use serde_json::{Value, json};
use tokio::sync::Mutex;

const INTEGRATION: &str = "62b48adf6ba2cd6a040b1eec";
const SECRET_KEY: &str = "3858f642-e92f-431c-9d38-46d15efb7fba";
const SANDBOX_ACCOUNT: &str = "62b48c5b6ba2cd6a040b20a8";
const PENDING_ACCOUNT: &str = "62b48c5b6ba2cd6a040b20aa";

/// A merchant endpoint that keeps every webhook body as received and answers 200.
struct Capture {
    base_url: String,
    bodies: Arc<Mutex<Vec<Bytes>>>,
}

impl Capture {
    async fn start() -> Self {
        let bodies: Arc<Mutex<Vec<Bytes>>> = Arc::default();
        let app = axum::Router::new()
            .route(
                "/fena",
                axum::routing::post(
                    |State(bodies): State<Arc<Mutex<Vec<Bytes>>>>, body: Bytes| async move {
                        bodies.lock().await.push(body);
                        StatusCode::OK
                    },
                ),
            )
            .with_state(bodies.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base_url, bodies }
    }

    /// The webhooks received so far, as JSON.
    async fn events(&self) -> Vec<Value> {
        let bodies = self.bodies.lock().await;
        bodies.iter().map(|body| serde_json::from_slice(body).unwrap()).collect()
    }

    /// The last webhook, as the merchant's framework would hand it over.
    async fn last(&self) -> WebhookRequest {
        let body = self.bodies.lock().await.last().cloned().expect("a webhook arrived");
        WebhookRequest::new(Method::POST, body)
    }
}

async fn setup() -> (RunningSandbox, Client, Capture) {
    let capture = Capture::start().await;
    let mut config = SandboxConfig::demo().with_webhooks_to(&capture.base_url);
    config.notification_backoff_ms = 10;
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let client = client(&sandbox, INTEGRATION, SECRET_KEY);
    (sandbox, client, capture)
}

fn toolkit_config(sandbox: &RunningSandbox, id: &str, key: &str) -> ToolkitConfig {
    ToolkitConfig::new(id, key).with_base_url(&sandbox.fena_toolkit_url()).unwrap()
}

fn client(sandbox: &RunningSandbox, id: &str, key: &str) -> Client {
    Client::new(toolkit_config(sandbox, id, key)).unwrap()
}

fn gbp(text: &str) -> Money {
    Money::parse(text, Currency::GBP).unwrap()
}

/// A first date a standing order may start on: the earliest a week from today, so that the
/// sandbox, which checks against its own today, accepts it even after midnight passes.
fn first_date() -> fena::time::Date {
    let next_week = fena::time::OffsetDateTime::now_utc().date() + fena::time::Duration::days(7);
    earliest_first_payment_date(next_week).unwrap()
}

/// The checkout payment id in a link `.../checkout/{id}`.
fn checkout_id(link: &str) -> u64 {
    link.rsplit('/').next().unwrap().parse().unwrap()
}

/// A raw call to the sandbox: `(status, JSON body)`.
async fn raw(
    sandbox: &RunningSandbox,
    method: Method,
    path: &str,
    headers: &[(&'static str, &str)],
    body: Option<Value>,
) -> (StatusCode, Value) {
    let transport = ReqwestTransport::new(&TransportConfig::default()).unwrap();
    let url: url::Url = format!("{}{path}", sandbox.base_url()).parse().unwrap();
    let mut request = match body {
        Some(body) => {
            HttpRequest::post_json(GatewayId::Fena, "raw", url, serde_json::to_vec(&body).unwrap())
        }
        None => HttpRequest::get(GatewayId::Fena, "raw", url),
    };
    request.method = method;
    for (name, value) in headers {
        request.headers.insert(*name, HeaderValue::from_str(value).unwrap());
    }
    let response = transport.send(&request).await.unwrap();
    let json = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response.status, json)
}

const AUTH: [(&str, &str); 2] = [("integration-id", INTEGRATION), ("secret-key", SECRET_KEY)];

async fn create_raw(sandbox: &RunningSandbox, path: &str, body: Value) -> (StatusCode, Value) {
    raw(sandbox, Method::POST, &format!("/fena/toolkit/open/payments/{path}"), &AUTH, Some(body))
        .await
}

async fn control(sandbox: &RunningSandbox, path: &str) -> (StatusCode, Value) {
    raw(sandbox, Method::POST, path, &[], Some(json!({}))).await
}

fn api_status(error: &fena::Error) -> Option<(u16, String)> {
    match error {
        fena::Error::Api { http_status, message, .. } => {
            Some((*http_status, message.clone().unwrap_or_default()))
        }
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_created_and_processed_is_paid_on_the_checkout_and_confirmed_by_fetching() {
    let (sandbox, client, capture) = setup().await;
    let request = PaymentCreate::new("order-7", gbp("10.50"))
        .unwrap()
        .with_customer_email("payer@example.com")
        .with_description("Two mugs");
    let created = client.create_and_process(&request).await.unwrap();
    assert_eq!(created.status, FenaStatus::Sent);
    assert!(created.link.as_str().starts_with(&format!("{}/checkout/", sandbox.base_url())));
    assert_eq!(created.id.len(), 24, "a Mongo object id, never a reference: {}", created.id);
    let fetched = client.get_payment(&created.id).await.unwrap();
    assert_eq!((fetched.status, fetched.reference.as_str()), (FenaStatus::Sent, "order-7"));
    assert_eq!(fetched.is_sandbox, Some(true));
    assert!(capture.events().await.is_empty(), "sending is the merchant's own act: no webhook");

    // The payer pays through the control API (the checkout's Pay button).
    let (status, _) =
        control(&sandbox, &format!("/control/payments/{}/pay", checkout_id(created.link.as_str())))
            .await;
    assert_eq!(status, StatusCode::OK);
    let events = capture.events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["eventScope"], "single-payments");
    assert_eq!(events[0]["eventName"], "status-update");
    assert_eq!(
        (events[0]["id"].as_str(), events[0]["status"].as_str()),
        (Some(&*created.id), Some("paid"))
    );
    assert_eq!(events[0]["amount"], "10.50");
    let stored = ExpectedPayment::new(created.id.clone(), "order-7", gbp("10.50"));
    let confirmed = client.verify_request(&capture.last().await, &stored).await.unwrap();
    assert!(confirmed.is_paid(), "{confirmed:?}");
    let paid = client.get_payment(&created.id).await.unwrap();
    assert!(paid.completed_at.is_some());
    // What the merchant stored must match: another amount is refused, even though paid.
    let wrong = ExpectedPayment::new(created.id, "order-7", gbp("10.51"));
    assert!(client.verify_request(&capture.last().await, &wrong).await.is_err());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_has_no_link_until_processed_and_a_rejection_is_notified() {
    let (sandbox, client, capture) = setup().await;
    let draft = PaymentDraft::new(PaymentCreate::new("ref-123", gbp("0.50")).unwrap());
    let created = client.create_draft(&draft).await.unwrap();
    assert_eq!((created.status.clone(), created.link.clone()), (FenaStatus::Draft, None));
    assert_eq!(client.get_payment(&created.id).await.unwrap().status, FenaStatus::Draft);
    let processed = client.process_payment(&created.id).await.unwrap();
    assert_eq!(processed.status, FenaStatus::Sent);
    let error = client.process_payment(&created.id).await.unwrap_err();
    assert_eq!(api_status(&error).map(|(s, _)| s), Some(400), "{error}");
    let error = client.process_payment("65f000000000000000000999").await.unwrap_err();
    assert_eq!(api_status(&error).map(|(s, _)| s), Some(404), "{error}");

    // Past its due date a sent payment is overdue, and can still be paid or rejected.
    let yesterday = fena::time::OffsetDateTime::now_utc().date().previous_day().unwrap();
    let late = PaymentCreate::new("ref-124", gbp("0.50")).unwrap().with_due_date(yesterday);
    let late = client.create_and_process(&late).await.unwrap();
    assert_eq!(client.get_payment(&late.id).await.unwrap().status, FenaStatus::Overdue);
    sandbox.pay(checkout_id(late.link.as_str())).await.unwrap();
    assert_eq!(client.get_payment(&late.id).await.unwrap().status, FenaStatus::Paid);

    let rejected = sandbox.reject(checkout_id(processed.link.as_str())).await.unwrap();
    assert!(rejected.deliveries[0].accepted);
    let stored = ExpectedPayment::new(created.id.clone(), "ref-123", gbp("0.50"));
    let confirmed = client.verify_request(&capture.last().await, &stored).await.unwrap();
    let payment = confirmed.payment().unwrap();
    assert_eq!(payment.status, FenaStatus::Rejected);
    assert!(!confirmed.is_paid());
    assert_eq!(client.get_payment(&created.id).await.unwrap().status, FenaStatus::Rejected);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_or_wrong_api_key_headers_are_refused_with_401() {
    let (sandbox, _, _) = setup().await;
    let request = PaymentCreate::new("order-1", gbp("1.00")).unwrap();
    for (id, key) in [(INTEGRATION, "wrong-secret"), ("62b48adf6ba2cd6a040b1eed", SECRET_KEY)] {
        let error = client(&sandbox, id, key).create_and_process(&request).await.unwrap_err();
        assert_eq!(api_status(&error), Some((401, "Unauthorized".to_owned())), "{error}");
    }
    let list = "/fena/toolkit/open/company/bank-accounts/list";
    for headers in [&[][..], &AUTH[..1], &AUTH[1..]] {
        let (status, body) = raw(&sandbox, Method::GET, list, headers, None).await;
        assert_eq!((status, &body["statusCode"]), (StatusCode::UNAUTHORIZED, &json!(401)));
    }
    // The partner docs' header names work too.
    let partner = toolkit_config(&sandbox, INTEGRATION, SECRET_KEY)
        .with_auth_headers(AuthHeaders::terminal());
    let partner = Client::new(partner).unwrap();
    let page = partner.list_bank_accounts(&BankAccountList::default()).await.unwrap();
    assert_eq!(page.docs.len(), 3);
    assert!(sandbox.payments().is_empty(), "nothing was created by a refused call");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_single_payment_rule_is_a_400_naming_the_field() {
    let (sandbox, _, _) = setup().await;
    let valid = json!({"reference": "order-1", "amount": "1.00"});
    let (status, body) = create_raw(&sandbox, "single/create", valid.clone()).await;
    assert_eq!((status, &body["created"]), (StatusCode::CREATED, &json!(true)));
    let cases = [
        ("reference", json!("order_1")),
        ("reference", json!("order-123456789")),
        ("reference", json!("")),
        ("amount", json!("10.5")),
        ("amount", json!("0.00")),
        ("amount", json!(10)),
        ("customerEmail", json!("not an email")),
        ("customerEmailCC", json!(["a@b.c", "nope"])),
        ("dueDate", json!("next week")),
        ("paymentMethod", json!("card")),
        ("description", json!("x".repeat(1001))),
        ("notes", json!([{"text": "hi"}])),
        ("customRedirectUrl", json!("ftp://example.com")),
        ("bankAccount", json!(PENDING_ACCOUNT)),
        ("bankAccount", json!("62b48c5b6ba2cd6a040b20ff")),
    ];
    for (field, value) in cases {
        let mut body = valid.clone();
        body[field] = value.clone();
        for path in ["single/create", "single/create-and-process"] {
            let (status, answer) = create_raw(&sandbox, path, body.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{field} = {value}: {answer}");
            assert_eq!(
                (&answer["statusCode"], &answer["error"]),
                (&json!(400), &json!("Bad Request"))
            );
            let messages = answer["message"].as_array().unwrap();
            assert_eq!(messages.len(), 1, "{answer}");
            assert!(messages[0].as_str().unwrap().starts_with(field), "{field}: {answer}");
        }
    }
    // Every problem is listed at once; a body that is no JSON object is refused too.
    let (_, answer) = create_raw(&sandbox, "single/create", json!({"amount": "1"})).await;
    assert_eq!(answer["message"].as_array().unwrap().len(), 2, "{answer}");
    let (status, _) = create_raw(&sandbox, "single/create", json!(["reference"])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(sandbox.payments().len(), 0, "drafts are not on the checkout page");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_recurring_rule_is_a_400_naming_the_field() {
    let (sandbox, _, _) = setup().await;
    let first = first_date();
    let valid = json!({
        "reference": "sub-1", "recurringAmount": "9.99",
        "recurringPaymentDate": format!("{first}T00:00:00Z"), "numberOfPayments": 3,
        "frequency": "one_month",
    });
    let (status, body) = create_raw(&sandbox, "recurring/create", valid.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let today = fena::time::OffsetDateTime::now_utc().date();
    let cases = [
        ("reference", json!("Sub-1")),
        ("reference", json!("sub-123456789")),
        ("recurringAmount", json!("9.9")),
        ("recurringAmount", json!(9.99)),
        ("initialPaymentAmount", json!("1")),
        ("recurringPaymentDate", json!(format!("{today}T00:00:00Z"))),
        ("recurringPaymentDate", json!("someday")),
        ("numberOfPayments", json!(-1)),
        ("numberOfPayments", json!("3")),
        ("frequency", json!("two_weeks")),
        ("customerEmail", json!("payer")),
        ("bankAccount", json!(PENDING_ACCOUNT)),
    ];
    for (field, value) in cases {
        let mut body = valid.clone();
        body[field] = value.clone();
        for path in ["recurring/create", "recurring/create-and-process"] {
            let (status, answer) = create_raw(&sandbox, path, body.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{field} = {value}: {answer}");
            let messages = answer["message"].as_array().unwrap();
            assert_eq!(messages.len(), 1, "{answer}");
            assert!(messages[0].as_str().unwrap().starts_with(field), "{field}: {answer}");
        }
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standing_order_is_set_up_then_pays_on_schedule_until_complete() {
    let (sandbox, client, capture) = setup().await;
    let request =
        RecurringCreate::new("sub-7", gbp("9.99"), first_date(), 2, Frequency::OneMonth).unwrap();
    let draft = client.create_recurring_draft(&RecurringDraft::new(request)).await.unwrap();
    assert_eq!((draft.status.clone(), draft.link.clone()), (RecurringStatus::Draft, None));
    let sent = client.process_recurring(&draft.id).await.unwrap();
    assert_eq!(sent.status, RecurringStatus::Sent);
    assert_eq!(client.get_recurring(&draft.id).await.unwrap().status, RecurringStatus::Sent);
    let error = client.process_recurring(&draft.id).await.unwrap_err();
    assert_eq!(api_status(&error).map(|(s, _)| s), Some(400), "{error}");
    // Not set up yet: the clock cannot pay it.
    let advance = format!("/control/fena/recurring/{}/advance", draft.id);
    assert_eq!(control(&sandbox, &advance).await.0, StatusCode::CONFLICT);

    // The payer sets the standing order up on the checkout page.
    sandbox.pay(checkout_id(sent.link.as_deref().unwrap())).await.unwrap();
    let stored = ExpectedRecurring::new(draft.id.clone(), "sub-7", gbp("9.99"));
    let event = &capture.events().await[0];
    assert_eq!(
        (&event["eventScope"], &event["status"]),
        (&json!("recurring-payments"), &json!("active"))
    );
    let confirmed = client.verify_request(&capture.last().await, &stored).await.unwrap();
    assert_eq!(confirmed.recurring().unwrap().status, RecurringStatus::Active);
    // Once set up, only the payer can cancel it.
    let error = client.delete_recurring(&draft.id).await.unwrap_err();
    assert!(api_status(&error).is_some_and(|(s, m)| s == 400 && m.contains("payer")), "{error}");

    // The clock advances: the first scheduled payment, notified as a single payment.
    let (status, answer) = control(&sandbox, &advance).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let first_id = answer["fena_payment_id"].as_str().unwrap().to_owned();
    assert_eq!(answer["recurring"]["status"], "active");
    let webhook = capture.last().await;
    let expected = ExpectedPayment::new(first_id.clone(), "sub-7", gbp("9.99"));
    assert!(client.verify_request(&webhook, &expected).await.unwrap().is_paid());
    let payment = client.get_payment(&first_id).await.unwrap();
    let first = format!("{}T00:00:00.000Z", first_date());
    assert_eq!(payment.completed_at.as_deref(), Some(first.as_str()), "paid on its date");

    // The second and last one completes the standing order.
    let (_, answer) = control(&sandbox, &advance).await;
    let second_id = answer["fena_payment_id"].as_str().unwrap().to_owned();
    assert_ne!(first_id, second_id);
    let events = capture.events().await;
    assert_eq!(events.len(), 4, "set-up, two payments, completion: {events:?}");
    assert_eq!(
        (&events[2]["id"], &events[2]["eventScope"]),
        (&json!(second_id), &json!("single-payments"))
    );
    assert_eq!(events[3]["status"], "completed");
    let confirmed = client.verify_request(&capture.last().await, &stored).await.unwrap();
    assert_eq!(confirmed.recurring().unwrap().status, RecurringStatus::Completed);
    assert_eq!(control(&sandbox, &advance).await.0, StatusCode::CONFLICT);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standing_order_deleted_before_set_up_is_gone_and_its_link_dead() {
    let (sandbox, client, capture) = setup().await;
    let request = RecurringCreate::new("sub-8", gbp("5.00"), first_date(), 0, Frequency::OneWeek)
        .unwrap()
        .with_customer_email("payer@example.com");
    let sent = client.create_recurring(&request).await.unwrap();
    assert_eq!(sent.status, RecurringStatus::Sent);
    assert_eq!(sent.customer_email.as_deref(), Some("payer@example.com"));
    client.delete_recurring(&sent.id).await.unwrap();
    let error = client.get_recurring(&sent.id).await.unwrap_err();
    assert_eq!(api_status(&error).map(|(s, _)| s), Some(404), "{error}");
    let setup = sandbox.payments().into_iter().find(|p| p.order_id == "sub-8").unwrap();
    assert_eq!(setup.status, Status::Rejected);
    assert_eq!(sandbox.pay(setup.id).await.unwrap_err(), StatusCode::CONFLICT);
    assert!(capture.events().await.is_empty());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_set_up_is_rejected_and_an_initial_payment_is_made_at_set_up() {
    let (sandbox, client, capture) = setup().await;
    let refused =
        RecurringCreate::new("sub-9", gbp("5.00"), first_date(), 0, Frequency::OneYear).unwrap();
    let sent = client.create_recurring(&refused).await.unwrap();
    sandbox.reject(checkout_id(sent.link.as_deref().unwrap())).await.unwrap();
    let stored = ExpectedRecurring::new(sent.id.clone(), "sub-9", gbp("5.00"));
    let confirmed = client.verify_request(&capture.last().await, &stored).await.unwrap();
    assert_eq!(confirmed.recurring().unwrap().status, RecurringStatus::Rejected);
    client.delete_recurring(&sent.id).await.unwrap();

    let with_initial =
        RecurringCreate::new("sub-10", gbp("5.00"), first_date(), 0, Frequency::ThreeMonths)
            .unwrap()
            .with_initial_payment(gbp("20.00"));
    let sent = client.create_recurring(&with_initial).await.unwrap();
    sandbox.pay(checkout_id(sent.link.as_deref().unwrap())).await.unwrap();
    let active = client.get_recurring(&sent.id).await.unwrap();
    let initial = active.initial_payment.unwrap();
    assert_eq!((initial.status, initial.amount.to_string()), (FenaStatus::Paid, "20.00".into()));
    let events = capture.events().await;
    let initial_event = &events[events.len() - 2];
    assert_eq!(
        (&initial_event["eventScope"], &initial_event["id"]),
        (&json!("single-payments"), &json!(initial.id))
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payer_cancelling_at_the_bank_is_notified() {
    let (sandbox, client, capture) = setup().await;
    let request =
        RecurringCreate::new("sub-11", gbp("3.00"), first_date(), 0, Frequency::OneWeek).unwrap();
    let sent = client.create_recurring(&request).await.unwrap();
    let cancel = format!("/control/fena/recurring/{}/cancel", sent.id);
    assert_eq!(control(&sandbox, &cancel).await.0, StatusCode::CONFLICT, "not set up yet");
    sandbox.pay(checkout_id(sent.link.as_deref().unwrap())).await.unwrap();
    assert_eq!(control(&sandbox, &cancel).await.0, StatusCode::OK);
    let stored = ExpectedRecurring::new(sent.id.clone(), "sub-11", gbp("3.00"));
    let confirmed = client.verify_request(&capture.last().await, &stored).await.unwrap();
    assert_eq!(confirmed.recurring().unwrap().status, RecurringStatus::Cancelled);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_accounts_are_listed_by_page_found_and_their_status_change_notified() {
    let (sandbox, client, capture) = setup().await;
    let all = client.list_bank_accounts(&BankAccountList::default()).await.unwrap();
    assert_eq!((all.docs.len(), all.total_docs, all.has_next_page), (3, Some(3), Some(false)));
    let sandbox_account = &all.docs[0];
    assert_eq!(sandbox_account.id, SANDBOX_ACCOUNT);
    assert!(
        sandbox_account.is_sandbox && sandbox_account.is_default && sandbox_account.is_verified()
    );
    let page = BankAccountList::default().with_page(2).with_limit(1);
    let second = client.list_bank_accounts(&page).await.unwrap();
    assert_eq!((second.docs.len(), second.page, second.has_next_page), (1, Some(2), Some(true)));
    assert_eq!(second.docs[0].id, all.docs[1].id);
    let pending = client.find_bank_account(PENDING_ACCOUNT).await.unwrap();
    assert_eq!(pending.status, BankAccountStatus::Pending);
    assert!(client.find_bank_account("62b48c5b6ba2cd6a040b20ff").await.is_err());
    let (status, _) = raw(
        &sandbox,
        Method::GET,
        "/fena/toolkit/open/company/bank-accounts/list?page=0",
        &AUTH,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The account gets verified: the webhook names it, the list confirms it.
    let path = format!("/control/fena/bank-accounts/{PENDING_ACCOUNT}/verified");
    assert_eq!(control(&sandbox, &path).await.0, StatusCode::OK);
    assert_eq!(capture.events().await[0]["eventScope"], "bank-accounts");
    let expected = Expected::BankAccount(PENDING_ACCOUNT.to_owned());
    let confirmed = client.verify_request(&capture.last().await, expected).await.unwrap();
    assert!(confirmed.bank_account().unwrap().is_verified());
    // Now it can receive payments.
    let request =
        PaymentCreate::new("order-2", gbp("1.00")).unwrap().with_bank_account(PENDING_ACCOUNT);
    assert!(client.create_and_process(&request).await.is_ok());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_facade_creates_confirms_and_queries_toolkit_payments() {
    let mut merchant = common::Merchant::bind().await;
    let mut config = SandboxConfig::demo().with_webhooks_to(&merchant.base_url);
    config.notification_backoff_ms = 10;
    config.notification_attempts = 2;
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let json = format!(
        r#"{{"gateway": "fena", "terminal_id": "t", "terminal_secret": "s",
            "toolkit": {{"integration_id": "{INTEGRATION}", "secret_key": "{SECRET_KEY}",
            "base_url": "{}"}}}}"#,
        sandbox.fena_toolkit_url()
    );
    let gateway = AnyGateway::from_config(&GatewayConfig::from_json(&json).unwrap()).unwrap();
    merchant.serve(&[&gateway], 0);

    let request = PaymentRequest::new(OrderId::new("order-9").unwrap(), gbp("12.00"));
    let created = gateway.create_payment(&request).await.unwrap();
    let link = created.link.redirect_url().unwrap();
    let paid = sandbox.pay(checkout_id(link.as_str())).await.unwrap();
    assert!(paid.deliveries[0].accepted, "{:?}", paid.deliveries);
    let received = merchant.received.lock().await.clone();
    assert_eq!(received.len(), 1);
    received[0].check_order("order-9", &gbp("12.00")).unwrap();
    assert_eq!(received[0].status, PaymentStatus::Paid);
    let fena_id = received[0].gateway_payment_id.clone().unwrap();
    // The id creation returned is the one the confirmed webhook names.
    assert_eq!(created.gateway_payment_id.as_deref(), Some(fena_id.as_str()));
    let report = gateway.payment_status(&OrderId::new(fena_id).unwrap()).await.unwrap();
    assert_eq!(report.status, PaymentStatus::Paid);
    let error = gateway.payment_status(&OrderId::new("order-9").unwrap()).await.unwrap_err();
    assert!(matches!(error, Error::Unsupported { .. }), "by reference: {error}");

    // A subscription: set up, two scheduled payments, each handled once.
    let first = first_date();
    let subscription =
        SubscriptionRequest::new(OrderId::new("sub-12").unwrap(), gbp("4.99"), Interval::Week)
            .with_first_charge_on(first)
            .with_number_of_charges(5);
    let created = gateway.create_subscription(&subscription).await.unwrap();
    assert_eq!(created.status, SubscriptionStatus::AwaitingPayer);
    let payer = created.payer_url.clone().unwrap();
    sandbox.pay(checkout_id(payer.as_str())).await.unwrap();
    let id = created.gateway_subscription_id.clone();
    assert_eq!(gateway.subscription_status(&id).await.unwrap().status, SubscriptionStatus::Active);
    let error = gateway.cancel_subscription(&id).await.unwrap_err();
    assert!(matches!(error, Error::Unsupported { .. }), "{error}");
    let before = merchant.received.lock().await.len();
    for _ in 0..2 {
        let advance = format!("/control/fena/recurring/{id}/advance");
        let (status, answer) = control(&sandbox, &advance).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["payment"]["deliveries"][0]["accepted"], true, "{answer}");
    }
    let received = merchant.received.lock().await.clone();
    let charges: Vec<_> = received[before..].iter().collect();
    assert_eq!(charges.len(), 2, "each scheduled payment handled once: {charges:?}");
    assert!(charges.iter().all(|n| n.order_id == "sub-12" && n.status == PaymentStatus::Paid));
    assert_ne!(charges[0].gateway_payment_id, charges[1].gateway_payment_id);

    // Before the payer sets it up, cancelling deletes it.
    let other =
        SubscriptionRequest::new(OrderId::new("sub-13").unwrap(), gbp("4.99"), Interval::Month)
            .with_first_charge_on(first);
    let other = gateway.create_subscription(&other).await.unwrap();
    gateway.cancel_subscription(&other.gateway_subscription_id).await.unwrap();
    assert!(gateway.subscription_status(&other.gateway_subscription_id).await.is_err());
    sandbox.shutdown().await;
}

/// Posts a checkout form as the payer's browser would; returns the redirect's `Location`.
async fn click(url: &str) -> (StatusCode, Option<String>) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<axum::body::Body>();
    let request = http::Request::post(url).body(axum::body::Body::empty()).unwrap();
    let response = client.request(request).await.unwrap();
    let location = response.headers().get(http::header::LOCATION);
    (response.status(), location.map(|value| value.to_str().unwrap().to_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checkout_buttons_send_the_payer_back_with_the_reference_and_status() {
    let (sandbox, client, capture) = setup().await;
    let back = format!("{}/thanks", capture.base_url);
    let request = PaymentCreate::new("order-5", gbp("2.00"))
        .unwrap()
        .with_redirect_url(back.parse().unwrap());
    let created = client.create_and_process(&request).await.unwrap();
    let (status, location) = click(&format!("{}/pay", created.link)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, Some(format!("{back}?order_id=order-5&status=paid")));
    assert_eq!(client.get_payment(&created.id).await.unwrap().status, FenaStatus::Paid);
    assert_eq!(capture.events().await.len(), 1, "the button notifies as the control API does");
    // Clicking again changes nothing.
    assert_eq!(click(&format!("{}/reject", created.link)).await.0, StatusCode::CONFLICT);
    let other = PaymentCreate::new("order-6", gbp("2.00")).unwrap();
    let rejected = client.create_and_process(&other).await.unwrap();
    let (_, location) = click(&format!("{}/reject", rejected.link)).await;
    // No redirect URL on the demo API key and none in the request: back to the checkout.
    assert_eq!(location, Some(format!("/checkout/{}", checkout_id(rejected.link.as_str()))));
    assert_eq!(client.get_payment(&rejected.id).await.unwrap().status, FenaStatus::Rejected);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_toolkit_webhook_is_redelivered_as_the_same_json() {
    let (sandbox, client, capture) = setup().await;
    let request = PaymentCreate::new("order-8", gbp("3.00")).unwrap();
    let created = client.create_and_process(&request).await.unwrap();
    let id = checkout_id(created.link.as_str());
    let paid = sandbox.pay(id).await.unwrap();
    assert_eq!(paid.deliveries.len(), 1);
    let first = &paid.deliveries[0].request;
    assert!(
        first
            .headers
            .iter()
            .any(|(name, value)| name == "content-type" && value.starts_with("application/json")),
        "{:?}",
        first.headers
    );
    let again = sandbox.redeliver(id).await.unwrap();
    assert_eq!(again.deliveries.len(), 2);
    assert!(again.deliveries[1].manual && again.deliveries[1].accepted);
    // The same webhook, not the JWT one of Fena's payment links.
    assert_eq!(again.deliveries[1].request.body, first.body);
    let events = capture.events().await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0], events[1]);
    assert_eq!(events[1]["eventScope"], "single-payments");
    let stored = ExpectedPayment::new(created.id, "order-8", gbp("3.00"));
    assert!(client.verify_request(&capture.last().await, &stored).await.unwrap().is_paid());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_later_webhook_of_a_payment_is_retried_though_an_earlier_one_was_accepted() {
    // A merchant that refuses its second webhook once (HTTP 500) and accepts the rest.
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().route(
        "/fena",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if n == 1 { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let mut config = SandboxConfig::demo().with_webhooks_to(&base_url);
    config.notification_backoff_ms = 10;
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let client = client(&sandbox, INTEGRATION, SECRET_KEY);
    let request =
        RecurringCreate::new("sub-13", gbp("3.00"), first_date(), 0, Frequency::OneWeek).unwrap();
    let sent = client.create_recurring(&request).await.unwrap();
    // The set-up webhook (the first) is accepted.
    let set_up = sandbox.pay(checkout_id(sent.link.as_deref().unwrap())).await.unwrap();
    assert!(set_up.deliveries.iter().any(|d| d.accepted));
    // The cancellation's webhook is refused once, then retried and accepted.
    let (status, answer) =
        control(&sandbox, &format!("/control/fena/recurring/{}/cancel", sent.id)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let deliveries = answer["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2, "{answer}");
    assert_eq!(
        (&deliveries[0]["status"], &deliveries[0]["accepted"]),
        (&json!(500), &json!(false))
    );
    assert_eq!(deliveries[1]["accepted"], true);
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 3);
    sandbox.shutdown().await;
}
