//! The fault matrix: every gateway, a creating call and a reading call, against a loopback
//! server that misbehaves in each documented way. Each row says which typed error comes back
//! and how many requests reached the server: creations exactly once, reads retried only for
//! transient faults. Nothing may panic. Fena's Toolkit calls beyond those two (drafts,
//! processing, standing orders, bank accounts, the fetch behind each webhook scope, and the
//! façade's subscriptions) run every fault too, in [`every_fault_for_every_fena_toolkit_call`].
//!
//! Each row also checks the one error model: `outcome_unknown()` and `is_retryable()` of the
//! provider-agnostic error (through `AnyGateway`) against the rule written out in [`ANSWERS`],
//! and the same two answers from the gateway crate's own client error for the same fault.
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

use payments::core::ErrorKind;
use payments::core::GatewayError as _;
use payments::core::transport::{
    ClientOptions, ReqwestTransport, Transport, TransportConfig, TransportErrorKind,
};
use payments::payment::{OrderId, PaymentRequest};
use payments::report::PayoutRequest;
use payments::{AnyGateway, Currency, Error, GatewayConfig, Money};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the server misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Timeout,
    Refused,
    ResetMidBody,
    Status500Empty,
    Status502Body,
    Status503Empty,
    ErrorBodyWith200,
    NotJson,
    TruncatedJson,
    TenMegabytes,
    WrongContentType,
    RetryAfter,
}

const FAULTS: [Fault; 12] = [
    Fault::Timeout,
    Fault::Refused,
    Fault::ResetMidBody,
    Fault::Status500Empty,
    Fault::Status502Body,
    Fault::Status503Empty,
    Fault::ErrorBodyWith200,
    Fault::NotJson,
    Fault::TruncatedJson,
    Fault::TenMegabytes,
    Fault::WrongContentType,
    Fault::RetryAfter,
];

impl Fault {
    /// Whether a read may be retried after this fault. A refused connection is retried too
    /// (nothing was sent), though no request ever reaches the server.
    fn transient(self) -> bool {
        matches!(
            self,
            Self::Timeout
                | Self::Refused
                | Self::ResetMidBody
                | Self::Status500Empty
                | Self::Status502Body
                | Self::Status503Empty
                | Self::RetryAfter
        )
    }

    /// The kind of error expected: a transport failure, or the gateway crate's error.
    fn expected(self) -> &'static str {
        match self {
            Self::Timeout => "transport:Timeout",
            Self::Refused => "transport:Connect",
            Self::ResetMidBody => "transport:Other",
            Self::TenMegabytes => "transport:BodyTooLarge",
            _ => "gateway",
        }
    }
}

/// The rule of `payments_core::error`, written out for each fault: `(fault, outcome_unknown,
/// is_retryable)`, the same for creations and reads. These values come from the rule's
/// definition (may the gateway have acted? is the failure transient?), not from the code.
/// Feennex differs in one row, see [`answers`].
const ANSWERS: [(Fault, bool, bool); 12] = [
    // The request may have arrived and no answer came; waiting may help.
    (Fault::Timeout, true, true),
    // No connection: nothing was sent; the server may come back.
    (Fault::Refused, false, true),
    // The response broke off after the request was sent.
    (Fault::ResetMidBody, true, true),
    // A 5xx says nothing final, and 500/502/503 are transient statuses.
    (Fault::Status500Empty, true, true),
    (Fault::Status502Body, true, true),
    (Fault::Status503Empty, true, true),
    // The gateway's own error body: a definite refusal, which sending again will not change.
    (Fault::ErrorBodyWith200, false, false),
    // An answer we cannot read may hide a success; reading it again reads the same.
    (Fault::NotJson, true, false),
    (Fault::TruncatedJson, true, false),
    // The gateway answered, we refused to read 10 MB: unknown, and it will be as large again.
    (Fault::TenMegabytes, true, false),
    // The error body under a wrong content type is still read as the gateway's refusal.
    (Fault::WrongContentType, false, false),
    // 503 with Retry-After: transient by definition.
    (Fault::RetryAfter, true, true),
];

/// The expected `(outcome_unknown, is_retryable)` for a gateway and a fault. Feennex's error
/// body carries error code 11 (shop not found), which Feennex does not document as final
/// (providers/feennex.md, 4.1: only codes 1 to 8 are fatal), so the outcome stays open.
fn answers(gateway: &str, fault: Fault) -> (bool, bool) {
    let (_, unknown, retryable) = *ANSWERS.iter().find(|(f, ..)| *f == fault).unwrap();
    match (gateway, fault) {
        ("feennex", Fault::ErrorBodyWith200 | Fault::WrongContentType) => (true, retryable),
        _ => (unknown, retryable),
    }
}

/// The gateway's own error body.
fn error_body(gateway: &str) -> &'static str {
    match gateway {
        "feennex" => {
            r#"{"data": null, "error_code": 11, "message": "Shop is not found", "result": false}"#
        }
        "freekassa" => r#"{"type": "error", "message": "Shop not found"}"#,
        _ => r#"{"statusCode": 400, "message": "Bad request"}"#,
    }
}

async fn read_request(stream: &mut TcpStream) {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        let Ok(read) = stream.read(&mut chunk).await else { return };
        if read == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let headers = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length: usize = headers
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map_or(0, |value| value.trim().parse().unwrap_or(0));
            if buffer.len() >= end + 4 + length {
                return;
            }
        }
    }
}

async fn respond(stream: &mut TcpStream, fault: Fault, gateway: &str) {
    let reply = |status: &str, content_type: &str, body: &str, extra: &str| {
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let text = match fault {
        Fault::Timeout => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            return;
        }
        Fault::Refused => return,
        Fault::ResetMidBody => "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"result\":".to_owned(),
        Fault::Status500Empty => reply("500 Internal Server Error", "text/plain", "", ""),
        Fault::Status502Body => reply("502 Bad Gateway", "text/html", "<html>Bad gateway</html>", ""),
        Fault::Status503Empty => reply("503 Service Unavailable", "text/plain", "", ""),
        Fault::ErrorBodyWith200 => reply("200 OK", "application/json", error_body(gateway), ""),
        Fault::NotJson => reply("200 OK", "application/json", "<html>maintenance</html>", ""),
        Fault::TruncatedJson => reply("200 OK", "application/json", "{\"result\": tr", ""),
        Fault::TenMegabytes => {
            let head = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", 10 * 1024 * 1024);
            let _ = stream.write_all(head.as_bytes()).await;
            let block = vec![b' '; 1024 * 1024];
            for _ in 0..10 {
                if stream.write_all(&block).await.is_err() {
                    return;
                }
            }
            return;
        }
        Fault::WrongContentType => reply("200 OK", "text/html; charset=utf-8", error_body(gateway), ""),
        Fault::RetryAfter => reply("503 Service Unavailable", "text/plain", "busy", "retry-after: 0\r\n"),
    };
    let _ = stream.write_all(text.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The base URL of a port that refuses connections: bound, so no other server of this test
/// can take it, but never listening, so every connection to it is refused. (A port bound
/// and then dropped could be taken by the next row's server before the client connects.)
fn refusing_address() -> String {
    static RESERVED: std::sync::Mutex<Vec<tokio::net::TcpSocket>> =
        std::sync::Mutex::new(Vec::new());
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let base = format!("http://{}/", socket.local_addr().unwrap());
    RESERVED.lock().unwrap().push(socket);
    base
}

/// A server for one fault; returns its base URL and the count of requests it received.
async fn serve(fault: Fault, gateway: &'static str) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    if fault == Fault::Refused {
        return (refusing_address(), hits);
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                read_request(&mut stream).await;
                counter.fetch_add(1, Ordering::SeqCst);
                respond(&mut stream, fault, gateway).await;
            });
        }
    });
    (base, hits)
}

/// One HTTP client for every row (building a TLS client per row would dominate the test):
/// a patient one, so only the rows that never get an answer time out, and an impatient one
/// for those rows.
fn transport(fault: Fault) -> Arc<dyn Transport> {
    static PATIENT: std::sync::OnceLock<Arc<dyn Transport>> = std::sync::OnceLock::new();
    static IMPATIENT: std::sync::OnceLock<Arc<dyn Transport>> = std::sync::OnceLock::new();
    let (cell, timeout) = if fault == Fault::Timeout {
        (&IMPATIENT, Duration::from_secs(1))
    } else {
        (&PATIENT, Duration::from_secs(20))
    };
    cell.get_or_init(|| {
        Arc::new(ReqwestTransport::new(&TransportConfig::default().with_timeout(timeout)).unwrap())
    })
    .clone()
}

/// The client options of a row: its shared transport, the standard retry policy.
fn options(fault: Fault) -> ClientOptions {
    ClientOptions::default().transport(transport(fault))
}

fn gateway(json: &str, fault: Fault) -> AnyGateway {
    AnyGateway::with_options(&GatewayConfig::from_json(json).unwrap(), &options(fault)).unwrap()
}

fn kind(error: &Error) -> String {
    match error {
        Error::Transport { source, .. } => format!("transport:{:?}", source.kind()),
        Error::Gateway { .. } => "gateway".to_owned(),
        other => format!("unexpected {other}"),
    }
}

/// What one row observed.
struct Row {
    /// The error kind, as [`Fault::expected`] spells it.
    kind: String,
    /// Requests that reached the server through `AnyGateway`.
    hits: usize,
    /// `(outcome_unknown, is_retryable)` of the provider-agnostic error.
    core: (bool, bool),
    /// The same from the gateway crate's own error, for the same call on its own server.
    own: (bool, bool),
    /// The two kinds, which must agree.
    kinds: (ErrorKind, ErrorKind),
}

/// Runs one call against one fault, through `AnyGateway` and through the gateway crate's own
/// client, each against its own server.
async fn run(gateway_name: &'static str, call: &'static str, fault: Fault) -> Row {
    let (kind, hits, core) = run_core(gateway_name, call, fault).await;
    let own = run_own(gateway_name, call, fault).await;
    Row {
        kind,
        hits,
        core: (core.outcome_unknown(), core.is_retryable()),
        own: own_answers(&own),
        kinds: (core.kind(), own_kind(&own)),
    }
}

/// The gateway crate's own error.
enum Own {
    Feennex(payments::feennex::Error),
    Freekassa(payments::freekassa::Error),
    Fena(payments::fena::Error),
}

fn own_answers(error: &Own) -> (bool, bool) {
    match error {
        Own::Feennex(e) => (e.outcome_unknown(), e.is_retryable()),
        Own::Freekassa(e) => (e.outcome_unknown(), e.is_retryable()),
        Own::Fena(e) => (e.outcome_unknown(), e.is_retryable()),
    }
}

fn own_kind(error: &Own) -> ErrorKind {
    match error {
        Own::Feennex(e) => e.kind(),
        Own::Freekassa(e) => e.kind(),
        Own::Fena(e) => e.kind(),
    }
}

/// The same calls as [`run_core`], made with the gateway crates' clients.
async fn run_own(gateway_name: &'static str, call: &'static str, fault: Fault) -> Own {
    let (base, _) = serve(fault, gateway_name).await;
    let order = || OrderId::new("o-1").unwrap();
    match gateway_name {
        "feennex" => {
            let config = payments::feennex::Config::new(5, "k").with_base_url(&base).unwrap();
            let client = payments::feennex::Client::with_options(config, &options(fault)).unwrap();
            let result = if call == "create" {
                let bill = payments::feennex::api::bill::BillCreate::new(
                    order(),
                    Money::parse("10", Currency::RUB).unwrap(),
                );
                client.create_bill(&bill).await.map(drop)
            } else {
                client.balance().await.map(drop)
            };
            Own::Feennex(result.expect_err("every fault is an error"))
        }
        "freekassa" => {
            let config = payments::freekassa::Config::new(7012)
                .with_api_key("k")
                .with_api_url(&base)
                .unwrap();
            let client =
                payments::freekassa::Client::with_options(config, &options(fault)).unwrap();
            let result = if call == "create" {
                let payout = payments::freekassa::api::withdrawals::WithdrawalCreate::new(
                    order(),
                    Money::parse("100", Currency::RUB).unwrap(),
                    "6".parse().unwrap(),
                    "4111111111111111",
                );
                client.create_withdrawal(&payout).await.map(drop)
            } else {
                client.balance().await.map(drop)
            };
            Own::Freekassa(result.expect_err("every fault is an error"))
        }
        _ => {
            let config =
                payments::fena::ToolkitConfig::new("i", "sk").with_base_url(&base).unwrap();
            let client = payments::fena::Client::with_options(config, &options(fault)).unwrap();
            let result = if call == "create" {
                let payment = payments::fena::api::payment::PaymentCreate::new(
                    "o-1",
                    Money::parse("10", Currency::GBP).unwrap(),
                )
                .unwrap();
                client.create_and_process(&payment).await.map(drop)
            } else {
                client.get_payment("p1").await.map(drop)
            };
            Own::Fena(result.expect_err("every fault is an error"))
        }
    }
}

/// Runs one call through `AnyGateway` against one fault: the error kind, the number of
/// requests received, and the error.
async fn run_core(
    gateway_name: &'static str,
    call: &'static str,
    fault: Fault,
) -> (String, usize, Error) {
    let (base, hits) = serve(fault, gateway_name).await;
    let order = OrderId::new("o-1").unwrap();
    let result = match (gateway_name, call) {
        ("feennex", "create") => gateway(&format!(
            r#"{{"gateway": "feennex", "shop_id": 5, "secret": "k", "base_url": "{base}"}}"#
        ), fault)
        .create_payment(&PaymentRequest::new(order, Money::parse("10", Currency::RUB).unwrap()))
        .await
        .map(drop),
        ("feennex", "read") => gateway(&format!(
            r#"{{"gateway": "feennex", "shop_id": 5, "secret": "k", "base_url": "{base}"}}"#
        ), fault)
        .balances()
        .await
        .map(drop),
        ("freekassa", "create") => gateway(&format!(
            r#"{{"gateway": "freekassa", "shop_id": 7012, "secret2": "s2", "api_key": "k", "api_url": "{base}"}}"#
        ), fault)
        .create_payout(
            &PayoutRequest::new(
                order,
                Money::parse("100", Currency::RUB).unwrap(),
                "4111111111111111",
            )
            .with_method("6"),
        )
        .await
        .map(drop),
        ("freekassa", "read") => gateway(&format!(
            r#"{{"gateway": "freekassa", "shop_id": 7012, "secret2": "s2", "api_key": "k", "api_url": "{base}"}}"#
        ), fault)
        .balances()
        .await
        .map(drop),
        ("fena", "create") => gateway(&format!(
            r#"{{"gateway": "fena", "terminal_id": "t", "terminal_secret": "s",
                "toolkit": {{"integration_id": "i", "secret_key": "sk", "base_url": "{base}"}}}}"#
        ), fault)
        .create_payment(&PaymentRequest::new(order, Money::parse("10", Currency::GBP).unwrap()))
        .await
        .map(drop),
        ("fena", "read") => {
            let config =
                payments::fena::ToolkitConfig::new("i", "sk").with_base_url(&base).unwrap();
            payments::fena::Client::with_options(config, &options(fault)).unwrap()
                .get_payment("p1")
                .await
                .map(drop)
                .map_err(|e| e.into_core())
        }
        other => panic!("no call {other:?}"),
    };
    let error = result.expect_err("every fault is an error");
    (kind(&error), hits.load(Ordering::SeqCst), error)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_for_every_gateway_and_call() {
    // The 72 rows are independent (one server each): run them together.
    // Warm the shared client up (TLS set-up, connection pool) before any row is timed.
    let (warm, _) = serve(Fault::Status500Empty, "feennex").await;
    let warm_up = payments::core::transport::HttpRequest::get(
        payments::GatewayId::Feennex,
        "warm",
        warm.parse::<url::Url>().unwrap(),
    );
    let _ = transport(Fault::Status500Empty).send(&warm_up).await;
    let _ = transport(Fault::Timeout).send(&warm_up).await;
    let mut rows = tokio::task::JoinSet::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(8));
    for gateway in ["feennex", "freekassa", "fena"] {
        for call in ["create", "read"] {
            for fault in FAULTS {
                let slots = slots.clone();
                rows.spawn(async move {
                    let _slot = slots.acquire_owned().await.unwrap();
                    (gateway, call, fault, run(gateway, call, fault).await)
                });
            }
        }
    }
    let mut failures = Vec::new();
    let mut checked = 0;
    while let Some(row) = rows.join_next().await {
        let (gateway, call, fault, Row { kind, hits, core, own, kinds }) = row.unwrap();
        let expected_hits = match (fault, call) {
            (Fault::Refused, _) => 0,
            (_, "read") if fault.transient() => 3,
            _ => 1,
        };
        if kind != fault.expected() || hits != expected_hits {
            failures.push(format!(
                "{gateway} {call} {fault:?}: got {kind} after {hits} request(s), expected {} after {expected_hits}",
                fault.expected()
            ));
        }
        let expected = answers(gateway, fault);
        if core != expected || own != expected || kinds.0 != kinds.1 {
            failures.push(format!(
                "{gateway} {call} {fault:?}: (outcome_unknown, is_retryable) expected {expected:?}, \
                 AnyGateway {core:?} ({:?}), {gateway} crate {own:?} ({:?})",
                kinds.0, kinds.1
            ));
        }
        checked += 1;
    }
    assert_eq!(checked, 72);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The Fena Toolkit calls beyond the two above, each through the Fena client (and the
/// subscription calls also through `AnyGateway`): `(name, creates)`. A creating call is sent
/// once; a reading one is retried on transient faults. The webhook rows confirm an unsigned
/// trigger of each scope by fetching the object it names, so the fetch meets the fault.
const FENA_TOOLKIT_CALLS: [(&str, bool); 13] = [
    ("draft", true),
    ("process", true),
    ("recurring_create", true),
    ("recurring_draft", true),
    ("recurring_process", true),
    ("recurring_delete", true),
    ("recurring_get", false),
    ("bank_accounts", false),
    ("webhook_single", false),
    ("webhook_recurring", false),
    ("webhook_bank_account", false),
    ("subscription_create", true),
    ("subscription_status", false),
];

/// A first payment date far enough ahead for any notice rule, and a Monday.
fn first_payment_date() -> payments::core::subscription::Date {
    payments::core::subscription::Date::from_calendar_date(
        2099,
        payments::core::subscription::Month::January,
        5,
    )
    .unwrap()
}

/// One Fena Toolkit call against one fault: the error kind, the requests received, and
/// `(outcome_unknown, is_retryable, kind)` of the error the caller sees (the core error for
/// the `AnyGateway` rows, the Fena error otherwise).
async fn run_fena_toolkit(
    call: &'static str,
    fault: Fault,
) -> (String, usize, (bool, bool), ErrorKind) {
    use payments::core::subscription::{Interval, SubscriptionRequest};
    use payments::core::webhook::WebhookRequest;
    use payments::fena::api::bank_account::BankAccountList;
    use payments::fena::api::payment::{PaymentCreate, PaymentDraft};
    use payments::fena::api::recurring::{Frequency, RecurringCreate, RecurringDraft};
    use payments::fena::webhook::{ExpectedPayment, ExpectedRecurring};

    let (base, hits) = serve(fault, "fena").await;
    let config = payments::fena::ToolkitConfig::new("i", "sk").with_base_url(&base).unwrap();
    let client = payments::fena::Client::with_options(config, &options(fault)).unwrap();
    let gbp = |text: &str| Money::parse(text, Currency::GBP).unwrap();
    let recurring = || {
        RecurringCreate::new("sub-1", gbp("9.99"), first_payment_date(), 12, Frequency::OneMonth)
            .unwrap()
    };
    let webhook = |body: &str| WebhookRequest::new(http::Method::POST, body.as_bytes().to_vec());
    let own = match call {
        "draft" => {
            let payment = PaymentCreate::new("o-1", gbp("10")).unwrap();
            client.create_draft(&PaymentDraft::new(payment)).await.map(drop)
        }
        "process" => client.process_payment("p1").await.map(drop),
        "recurring_create" => client.create_recurring(&recurring()).await.map(drop),
        "recurring_draft" => {
            client.create_recurring_draft(&RecurringDraft::new(recurring())).await.map(drop)
        }
        "recurring_process" => client.process_recurring("r1").await.map(drop),
        "recurring_delete" => client.delete_recurring("r1").await,
        "recurring_get" => client.get_recurring("r1").await.map(drop),
        "bank_accounts" => client.list_bank_accounts(&BankAccountList::default()).await.map(drop),
        "webhook_single" => client
            .verify_request(
                &webhook(r#"{"eventScope":"single-payments","id":"p1","status":"paid"}"#),
                ExpectedPayment::new("p1", "o-1", gbp("10")),
            )
            .await
            .map(drop),
        "webhook_recurring" => client
            .verify_request(
                &webhook(r#"{"eventScope":"recurring-payments","id":"r1","status":"active"}"#),
                ExpectedRecurring::new("r1", "sub-1", gbp("9.99")),
            )
            .await
            .map(drop),
        "webhook_bank_account" => client
            .verify_request(
                &webhook(r#"{"eventScope":"bank-accounts","id":"b1","status":"verified"}"#),
                payments::fena::webhook::Expected::BankAccount("b1".to_owned()),
            )
            .await
            .map(drop),
        _ => {
            let gateway = gateway(
                &format!(
                    r#"{{"gateway": "fena", "terminal_id": "t", "terminal_secret": "s",
                        "toolkit": {{"integration_id": "i", "secret_key": "sk", "base_url": "{base}"}}}}"#
                ),
                fault,
            );
            let result = if call == "subscription_create" {
                let request = SubscriptionRequest::new(
                    OrderId::new("sub-1").unwrap(),
                    gbp("9.99"),
                    Interval::Month,
                )
                .with_first_charge_on(first_payment_date())
                .with_number_of_charges(12);
                gateway.create_subscription(&request).await.map(drop)
            } else {
                gateway.subscription_status("r1").await.map(drop)
            };
            let error = result.expect_err("every fault is an error");
            let answers = (error.outcome_unknown(), error.is_retryable());
            return (kind(&error), hits.load(Ordering::SeqCst), answers, error.kind());
        }
    };
    let own = own.expect_err("every fault is an error");
    let answers = (own.outcome_unknown(), own.is_retryable());
    let own_kind = own.kind();
    (kind(&own.into_core()), hits.load(Ordering::SeqCst), answers, own_kind)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_for_every_fena_toolkit_call() {
    let mut rows = tokio::task::JoinSet::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(8));
    for (call, creates) in FENA_TOOLKIT_CALLS {
        for fault in FAULTS {
            let slots = slots.clone();
            rows.spawn(async move {
                let _slot = slots.acquire_owned().await.unwrap();
                (call, creates, fault, run_fena_toolkit(call, fault).await)
            });
        }
    }
    let mut failures = Vec::new();
    let mut checked = 0;
    while let Some(row) = rows.join_next().await {
        let (call, creates, fault, (kind, hits, observed, error_kind)) = row.unwrap();
        let expected_hits = match fault {
            Fault::Refused => 0,
            _ if !creates && fault.transient() => 3,
            _ => 1,
        };
        if kind != fault.expected() || hits != expected_hits {
            failures.push(format!(
                "fena {call} {fault:?}: got {kind} after {hits} request(s), expected {} after {expected_hits}",
                fault.expected()
            ));
        }
        let expected = answers("fena", fault);
        if observed != expected || error_kind.outcome_unknown() != expected.0 {
            failures.push(format!(
                "fena {call} {fault:?}: (outcome_unknown, is_retryable) expected {expected:?}, got {observed:?} ({error_kind:?})"
            ));
        }
        checked += 1;
    }
    assert_eq!(checked, FENA_TOOLKIT_CALLS.len() * FAULTS.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_rule_table_covers_every_fault_once_and_agrees_with_the_retries() {
    for fault in FAULTS {
        assert_eq!(ANSWERS.iter().filter(|(f, ..)| *f == fault).count(), 1, "{fault:?}");
        // A fault after which reads are retried is exactly a retryable one.
        for gateway in ["feennex", "freekassa", "fena"] {
            assert_eq!(answers(gateway, fault).1, fault.transient(), "{gateway} {fault:?}");
        }
    }
}

#[test]
fn the_transport_error_kinds_used_above_exist() {
    // Keeps the expected strings in step with the enum's Debug names.
    for kind in [
        TransportErrorKind::Timeout,
        TransportErrorKind::Connect,
        TransportErrorKind::Other,
        TransportErrorKind::BodyTooLarge,
    ] {
        assert!(FAULTS.iter().any(|f| f.expected() == format!("transport:{kind:?}")));
    }
}
