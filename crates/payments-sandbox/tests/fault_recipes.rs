//! Faults on demand, as recipes a shop can copy: each fault injected into the sandbox reaches
//! the gateway crate's own client as the error the fault matrix
//! (`crates/payments/tests/fault_matrix.rs`) names for it, with the same `kind()`,
//! `outcome_unknown()` and `is_retryable()`; and a payout whose answer was lost is found by
//! the client's `resolve_*`/`find_*` method and never paid twice. Then the control API over
//! HTTP, with JSON and with an HTML form.
//!
//! Fena pays nothing out: its recipe is a Toolkit payment whose answer was lost, which the
//! Toolkit cannot look up by reference, so it stays unpaid and the next one is paid once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::time::Duration;

use http::StatusCode;
use payments::core::error::{ErrorKind, GatewayErrorKind};
use payments::core::transport::{ClientOptions, TransportErrorKind};
use payments::payment::OrderId;
use payments::{Currency, Decimal, GatewayId, Money};
use payments_sandbox::{Fault, GatewayAnswer, RunningSandbox, Sandbox, SandboxConfig};
use serde_json::{Value, json};

/// The client's timeout: short, so a held request times out quickly. The sandbox holds it
/// far longer (and lets it go when it shuts down).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);
const HOLD: Duration = Duration::from_secs(60);

async fn start() -> RunningSandbox {
    Sandbox::start(SandboxConfig::demo(), "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn options() -> ClientOptions {
    ClientOptions::default().timeout(CLIENT_TIMEOUT)
}

fn id(text: &str) -> OrderId {
    OrderId::new(text).unwrap()
}

fn rub(text: &str) -> Money {
    Money::parse(text, Currency::RUB).unwrap()
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// `(kind, outcome_unknown, is_retryable)` of a gateway crate's error.
fn answers(error: &impl payments::core::GatewayError) -> (ErrorKind, bool, bool) {
    (error.kind(), error.outcome_unknown(), error.is_retryable())
}

/// The fault matrix's rows, as `(kind, outcome_unknown, is_retryable)`.
const TIMEOUT: (ErrorKind, bool, bool) =
    (ErrorKind::Transport(TransportErrorKind::Timeout), true, true);
/// The matrix's "reset mid-body": the answer broke off after the request was sent.
const LOST: (ErrorKind, bool, bool) = (ErrorKind::Transport(TransportErrorKind::Other), true, true);

fn http_status(status: u16) -> (ErrorKind, bool, bool) {
    (ErrorKind::Gateway(GatewayErrorKind::Http { status }), true, true)
}

mod feennex_recipes {
    use payments::feennex::api::bill::BillCreate;
    use payments::feennex::api::transfer::TransferCreate;
    use payments::feennex::api::withdraw::{WithdrawAmountType, WithdrawCreate};
    use payments::feennex::client::PayoutOutcome;
    use payments::feennex::model::WithdrawStatus;
    use payments::feennex::{Client, Config, Error, ErrorCode};

    use super::*;

    async fn client(sandbox: &RunningSandbox) -> Client {
        let config = Config::new(5, "SecretKey01").with_base_url(&sandbox.feennex_url()).unwrap();
        Client::with_options(config, &options()).unwrap()
    }

    /// Pays a RUB bill of `amount` into shop 5's balance.
    async fn fund(sandbox: &RunningSandbox, client: &Client, amount: &str) {
        client.create_bill(&BillCreate::new(id("fund-1"), rub(amount))).await.unwrap();
        let payment = sandbox.find(GatewayId::Feennex, "5", "fund-1").unwrap();
        sandbox.pay(payment.id).await.unwrap();
    }

    async fn available_rub(client: &Client) -> Decimal {
        let balance = client.balance().await.unwrap();
        balance.balances.iter().find(|line| line.currency == 643).unwrap().available
    }

    fn payout(shop_payment_id: &str) -> WithdrawCreate {
        WithdrawCreate::new(
            id(shop_payment_id),
            "card_rub",
            "4111111111111111",
            rub("100"),
            WithdrawAmountType::PsAmount,
            Currency::RUB,
        )
    }

    fn api_code(error: &Error) -> ErrorCode {
        match error {
            Error::Api { code, .. } => *code,
            other => panic!("not a Feennex refusal: {other:?}"),
        }
    }

    /// The recipe: "my shop resolves a payout whose answer was lost".
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_withdrawal_whose_answer_was_lost_is_resolved_and_not_paid_twice() {
        let sandbox = start().await;
        let client = client(&sandbox).await;
        fund(&sandbox, &client, "500").await;
        sandbox.inject_fault(Fault::lose_answer(GatewayId::Feennex, "withdraw/create"));

        let error = client.create_withdraw(&payout("w-1")).await.unwrap_err();
        assert_eq!(answers(&error), LOST, "{error:?}");
        assert!(sandbox.faults().is_empty(), "the fault was used up");

        // The shop resolves it instead of sending it again: Feennex made it.
        let PayoutOutcome::Created(found) = client.resolve_withdraw(&id("w-1")).await.unwrap()
        else {
            panic!("the sandbox made the withdrawal, its answer only was lost");
        };
        assert_eq!(
            (found.shop_payment_id.as_str(), found.status),
            ("w-1", WithdrawStatus::PsProcessing)
        );
        assert_eq!(available_rub(&client).await, dec("400"));
        // The payout found is the sandbox's own: it can be settled under that id.
        assert_eq!(sandbox.settle_feennex_payout(found.id, true).unwrap()["id"], json!(found.id));

        // Sending it again blindly would be refused (6), and nothing is paid twice.
        let again = client.create_withdraw(&payout("w-1")).await.unwrap_err();
        assert_eq!(api_code(&again), ErrorCode::OperationNotUnique);
        assert_eq!(available_rub(&client).await, dec("400"));
        sandbox.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transfer_whose_answer_was_lost_is_resolved_and_not_paid_twice() {
        let sandbox = start().await;
        let client = client(&sandbox).await;
        fund(&sandbox, &client, "100").await;
        sandbox.inject_fault(Fault::lose_answer(GatewayId::Feennex, "transfer/create"));
        let transfer =
            TransferCreate::receive(id("t-1"), "201494711279", rub("30.5"), Currency::RUB);

        let error = client.create_transfer(&transfer).await.unwrap_err();
        assert_eq!(answers(&error), LOST, "{error:?}");

        let PayoutOutcome::Created(found) = client.resolve_transfer(&id("t-1")).await.unwrap()
        else {
            panic!("the sandbox made the transfer, its answer only was lost");
        };
        assert_eq!(found.shop_payment_id, "t-1");
        assert_eq!(found.receive_amount, Some(dec("30.5")));
        let again = client.create_transfer(&transfer).await.unwrap_err();
        assert_eq!(api_code(&again), ErrorCode::OperationNotUnique);
        assert_eq!(available_rub(&client).await, dec("69.5"));
        sandbox.shutdown().await;
    }

    /// A timeout: the outcome is unknown to the shop, but here the sandbox never carried the
    /// request out, so resolving says "not created" and the same id may be sent again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_withdrawal_that_timed_out_is_resolved_as_not_created_and_made_once() {
        let sandbox = start().await;
        let client = client(&sandbox).await;
        fund(&sandbox, &client, "500").await;
        sandbox.inject_fault(Fault::timeout(GatewayId::Feennex, "withdraw/create", HOLD));

        let error = client.create_withdraw(&payout("w-1")).await.unwrap_err();
        assert_eq!(answers(&error), TIMEOUT, "{error:?}");
        assert_eq!(client.resolve_withdraw(&id("w-1")).await.unwrap(), PayoutOutcome::NotCreated);

        let made = client.create_withdraw(&payout("w-1")).await.unwrap();
        assert_eq!(made.shop_payment_id, "w-1");
        assert_eq!(available_rub(&client).await, dec("400"));
        sandbox.shutdown().await;
    }

    /// A 503 in front of Feennex: unknown and transient; this one was not carried out.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transfer_answered_503_is_unknown_and_retryable() {
        let sandbox = start().await;
        let client = client(&sandbox).await;
        fund(&sandbox, &client, "100").await;
        let fault =
            Fault::status(GatewayId::Feennex, "transfer/create", StatusCode::SERVICE_UNAVAILABLE);
        sandbox.inject_fault(fault);
        let transfer = TransferCreate::receive(id("t-1"), "201494711279", rub("10"), Currency::RUB);

        let error = client.create_transfer(&transfer).await.unwrap_err();
        assert_eq!(answers(&error), http_status(503), "{error:?}");
        assert_eq!(client.resolve_transfer(&id("t-1")).await.unwrap(), PayoutOutcome::NotCreated);
        client.create_transfer(&transfer).await.unwrap();
        assert_eq!(available_rub(&client).await, dec("90"));
        sandbox.shutdown().await;
    }

    /// Feennex's own refusals, in the order injected: code 1 is documented as final (a
    /// definite refusal), code 9 is not (the outcome stays open, as the matrix's code 11).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn feennex_errors_reach_the_client_final_or_not_as_documented() {
        let sandbox = start().await;
        let client = client(&sandbox).await;
        fund(&sandbox, &client, "500").await;
        for (code, message) in [(1, "Payway not found"), (9, "Insufficient balance")] {
            let answer = GatewayAnswer::feennex(code, message);
            sandbox.inject_fault(Fault::gateway_error(
                GatewayId::Feennex,
                "withdraw/create",
                answer,
            ));
        }

        let first = client.create_withdraw(&payout("w-1")).await.unwrap_err();
        assert_eq!(api_code(&first), ErrorCode::PaywayNotFound);
        let refused =
            |is_final| ErrorKind::Gateway(GatewayErrorKind::Refused { http_status: 200, is_final });
        assert_eq!(answers(&first), (refused(true), false, false));
        let second = client.create_withdraw(&payout("w-1")).await.unwrap_err();
        assert_eq!(api_code(&second), ErrorCode::InsufficientBalance);
        assert_eq!(answers(&second), (refused(false), true, false));

        // Neither was carried out; the third call is answered by the sandbox itself.
        client.create_withdraw(&payout("w-1")).await.unwrap();
        assert_eq!(available_rub(&client).await, dec("400"));
        sandbox.shutdown().await;
    }
}

mod freekassa_recipes {
    use payments::freekassa::api::orders::OrderCreate;
    use payments::freekassa::api::withdrawals::WithdrawalCreate;
    use payments::freekassa::{Client, Config, Error, PaymentSystemId};

    use super::*;

    fn client(sandbox: &RunningSandbox) -> Client {
        let config = Config::new(7012)
            .with_api_key("test_api_key")
            .with_api_url(&sandbox.freekassa_api_url())
            .unwrap();
        Client::with_options(config, &options()).unwrap()
    }

    /// Pays an order of 1500 RUB into shop 7012's balance.
    async fn fund(sandbox: &RunningSandbox, client: &Client) {
        let order = OrderCreate::new(
            id("fund-1"),
            rub("1500"),
            PaymentSystemId::SBP_API,
            "buyer@example.com",
            "203.0.113.10",
        );
        let created = client.create_order(&order).await.unwrap();
        sandbox.pay(created.order_id).await.unwrap();
    }

    async fn rub_balance(client: &Client) -> Decimal {
        let balance = client.balance().await.unwrap();
        balance.iter().find(|entry| entry.currency == "RUB").unwrap().value
    }

    fn payout(payment_id: &str) -> WithdrawalCreate {
        WithdrawalCreate::new(
            id(payment_id),
            rub("1000"),
            PaymentSystemId::new(4),
            "5500000000000004",
        )
    }

    fn api_error(error: &Error) -> (u16, &str) {
        match error {
            Error::Api { http_status, message, .. } => (*http_status, message.as_str()),
            other => panic!("not a Freekassa refusal: {other:?}"),
        }
    }

    /// The recipe: "my shop finds a payout whose answer was lost".
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_payout_whose_answer_was_lost_is_found_and_not_paid_twice() {
        let sandbox = start().await;
        let client = client(&sandbox);
        fund(&sandbox, &client).await;
        sandbox.inject_fault(Fault::lose_answer(GatewayId::Freekassa, "withdrawals/create"));

        let error = client.create_withdrawal(&payout("out-1")).await.unwrap_err();
        assert_eq!(answers(&error), LOST, "{error:?}");

        // The shop looks it up by its own id instead of sending it again.
        let found = client.find_withdrawal(&id("out-1")).await.unwrap();
        assert_eq!((found.amount, found.status), (dec("1000"), Some(0)));
        assert_eq!(rub_balance(&client).await, dec("500"));
        // The payout found is the sandbox's own: it can be settled under that id.
        assert_eq!(
            sandbox.settle_freekassa_withdrawal(found.id, true).unwrap()["id"],
            json!(found.id)
        );

        // Sending it again blindly is refused, and nothing is paid twice.
        let again = client.create_withdrawal(&payout("out-1")).await.unwrap_err();
        assert_eq!(api_error(&again), (400, "Withdrawal with this paymentId already exists"));
        assert_eq!(rub_balance(&client).await, dec("500"));
        sandbox.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_payout_that_timed_out_is_not_found_and_made_once() {
        let sandbox = start().await;
        let client = client(&sandbox);
        fund(&sandbox, &client).await;
        sandbox.inject_fault(Fault::timeout(GatewayId::Freekassa, "withdrawals/create", HOLD));

        let error = client.create_withdrawal(&payout("out-1")).await.unwrap_err();
        assert_eq!(answers(&error), TIMEOUT, "{error:?}");
        let missing = client.find_withdrawal(&id("out-1")).await.unwrap_err();
        assert!(matches!(missing, Error::NotFound { .. }), "{missing:?}");

        client.create_withdrawal(&payout("out-1")).await.unwrap();
        assert_eq!(rub_balance(&client).await, dec("500"));
        sandbox.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_payout_answered_502_is_unknown_and_retryable() {
        let sandbox = start().await;
        let client = client(&sandbox);
        fund(&sandbox, &client).await;
        let fault =
            Fault::status(GatewayId::Freekassa, "withdrawals/create", StatusCode::BAD_GATEWAY);
        sandbox.inject_fault(fault);

        let error = client.create_withdrawal(&payout("out-1")).await.unwrap_err();
        assert_eq!(answers(&error), http_status(502), "{error:?}");
        assert!(matches!(client.find_withdrawal(&id("out-1")).await, Err(Error::NotFound { .. })));
        sandbox.shutdown().await;
    }

    /// Freekassa's own refusal: final, so nothing to resolve.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_freekassa_refusal_reaches_the_client_as_final() {
        let sandbox = start().await;
        let client = client(&sandbox);
        fund(&sandbox, &client).await;
        let answer = GatewayAnswer::message(StatusCode::BAD_REQUEST, "Insufficient funds");
        sandbox.inject_fault(Fault::gateway_error(
            GatewayId::Freekassa,
            "withdrawals/create",
            answer,
        ));

        let error = client.create_withdrawal(&payout("out-1")).await.unwrap_err();
        assert_eq!(api_error(&error), (400, "Insufficient funds"));
        let refused =
            ErrorKind::Gateway(GatewayErrorKind::Refused { http_status: 400, is_final: true });
        assert_eq!(answers(&error), (refused, false, false));
        assert_eq!(rub_balance(&client).await, dec("1500"));
        sandbox.shutdown().await;
    }
}

mod fena_recipes {
    use payments::fena::api::payment::PaymentCreate;
    use payments::fena::model::PaymentStatus;
    use payments::fena::{Client, ToolkitConfig};
    use payments_sandbox::Status;

    use super::*;

    /// The sandbox's demo API key (`SandboxConfig::demo`).
    const INTEGRATION: &str = "62b48adf6ba2cd6a040b1eec";
    const SECRET_KEY: &str = "3858f642-e92f-431c-9d38-46d15efb7fba";

    fn client(sandbox: &RunningSandbox) -> Client {
        let config = ToolkitConfig::new(INTEGRATION, SECRET_KEY)
            .with_base_url(&sandbox.fena_toolkit_url())
            .unwrap();
        Client::with_options(config, &options()).unwrap()
    }

    fn gbp(text: &str) -> Money {
        Money::parse(text, Currency::GBP).unwrap()
    }

    fn toolkit_payments(
        sandbox: &RunningSandbox,
        reference: &str,
    ) -> Vec<payments_sandbox::Payment> {
        sandbox
            .payments()
            .into_iter()
            .filter(|p| p.gateway == GatewayId::Fena && p.order_id == reference)
            .collect()
    }

    /// The recipe for Fena, which pays nothing out: "my shop survives a payment whose answer
    /// was lost". The Toolkit documents no lookup by reference, so the lost payment cannot be
    /// found; it stays unpaid (its link never reached the payer), and the shop creates
    /// another under a new reference. Nothing is paid twice.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_payment_whose_answer_was_lost_stays_unpaid_and_the_next_one_is_paid_once() {
        let sandbox = start().await;
        let client = client(&sandbox);
        sandbox.inject_fault(Fault::lose_answer(
            GatewayId::Fena,
            "payments/single/create-and-process",
        ));

        let lost = PaymentCreate::new("order-1", gbp("10.00")).unwrap();
        let error = client.create_and_process(&lost).await.unwrap_err();
        assert_eq!(answers(&error), LOST);
        // Fena created it: sent, waiting for a payer who never got the link.
        let created = toolkit_payments(&sandbox, "order-1");
        assert_eq!(created.len(), 1);
        assert_eq!(created[0].status, Status::Pending);

        let retry = PaymentCreate::new("order-1-b", gbp("10.00")).unwrap();
        let made = client.create_and_process(&retry).await.unwrap();
        assert_eq!(made.status, PaymentStatus::Sent);
        let checkout = toolkit_payments(&sandbox, "order-1-b");
        sandbox.pay(checkout[0].id).await.unwrap();
        assert_eq!(client.get_payment(&made.id).await.unwrap().status, PaymentStatus::Paid);
        let paid: Vec<_> = sandbox
            .payments()
            .into_iter()
            .filter(|p| p.gateway == GatewayId::Fena && p.status == Status::Paid)
            .collect();
        assert_eq!(paid.len(), 1, "{paid:?}");
        sandbox.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn timeouts_and_server_errors_reach_the_client_as_the_matrix_says() {
        let sandbox = start().await;
        let client = client(&sandbox);
        let payment = PaymentCreate::new("order-2", gbp("5.00")).unwrap();

        sandbox.inject_fault(Fault::timeout(
            GatewayId::Fena,
            "payments/single/create-and-process",
            HOLD,
        ));
        let error = client.create_and_process(&payment).await.unwrap_err();
        assert_eq!(answers(&error), TIMEOUT);
        assert!(
            toolkit_payments(&sandbox, "order-2").is_empty(),
            "a held request is not carried out"
        );

        sandbox.inject_fault(Fault::status(
            GatewayId::Fena,
            "payments/single/create-and-process",
            StatusCode::SERVICE_UNAVAILABLE,
        ));
        let error = client.create_and_process(&payment).await.unwrap_err();
        assert_eq!(answers(&error), http_status(503));

        // A read rides out one transient answer: it is retried.
        let made = client.create_and_process(&payment).await.unwrap();
        sandbox.inject_fault(Fault::status(
            GatewayId::Fena,
            format!("single/{}", made.id),
            StatusCode::BAD_GATEWAY,
        ));
        assert_eq!(client.get_payment(&made.id).await.unwrap().id, made.id);
        assert!(sandbox.faults().is_empty(), "the one 502 was used by the first attempt");
        sandbox.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_fena_refusal_reaches_the_client_as_final() {
        let sandbox = start().await;
        let client = client(&sandbox);
        let answer = GatewayAnswer::message(StatusCode::BAD_REQUEST, "reference already used");
        sandbox.inject_fault(Fault::gateway_error(
            GatewayId::Fena,
            "payments/single/create-and-process",
            answer,
        ));
        let payment = PaymentCreate::new("order-3", gbp("5.00")).unwrap();
        let error = client.create_and_process(&payment).await.unwrap_err();
        let (_, unknown, retryable) = answers(&error);
        assert!(!unknown && !retryable, "{error:?}");
        assert!(error.to_string().contains("reference already used"), "{error}");
        assert!(toolkit_payments(&sandbox, "order-3").is_empty());
        sandbox.shutdown().await;
    }
}

/// A bare HTTP/1.1 request; returns the status and the body.
async fn http(
    sandbox: &RunningSandbox,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(sandbox.addr()).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: sandbox\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer.get(9..12).and_then(|code| code.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body).to_owned();
    (status, body)
}

async fn list(sandbox: &RunningSandbox) -> Value {
    let (status, body) = http(sandbox, "GET", "/control/faults", "text/plain", "").await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Value>(&body).unwrap()["faults"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_api_takes_json_and_html_forms_lists_and_clears() {
    let sandbox = start().await;
    let json_fault = r#"{"gateway": "freekassa", "endpoint": "withdrawals/create", "kind": "gateway_error",
        "status": 400, "message": "Insufficient funds", "times": 2}"#;
    let (status, body) =
        http(&sandbox, "POST", "/control/faults", "application/json", json_fault).await;
    assert_eq!(status, 201, "{body}");
    // What an HTML form posts: every field as text, the unused ones empty.
    let form = "gateway=feennex&endpoint=%2Fwithdraw%2Fcreate%2F&kind=timeout&times=&delay_ms=1500&status=&code=&message=";
    let (status, body) =
        http(&sandbox, "POST", "/control/faults", "application/x-www-form-urlencoded", form).await;
    assert_eq!(status, 201, "{body}");

    assert_eq!(
        list(&sandbox).await,
        json!([
            {"gateway": "freekassa", "endpoint": "withdrawals/create", "kind": "gateway_error",
             "remaining": 2, "status": 400, "message": "Insufficient funds"},
            {"gateway": "feennex", "endpoint": "withdraw/create", "kind": "timeout",
             "remaining": 1, "delay_ms": 1500},
        ])
    );
    // The same through the typed API.
    let pending = sandbox.faults();
    assert_eq!((pending[0].remaining, pending[1].delay_ms), (2, Some(1500)));

    // One call uses one count up, whatever the path's prefix before the endpoint.
    let (status, body) =
        http(&sandbox, "POST", "/freekassa/api/v1/withdrawals/create", "application/json", "{}")
            .await;
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, body), (400, json!({"type": "error", "message": "Insufficient funds"})));
    assert_eq!(list(&sandbox).await[0]["remaining"], json!(1));

    // Wrong input is refused, naming the field.
    for (bad, field) in [
        (r#"{"gateway": "stripe", "endpoint": "x", "kind": "status"}"#, "gateway"),
        (r#"{"gateway": "fena", "endpoint": "x", "kind": "explode"}"#, "kind"),
        (r#"{"gateway": "fena", "endpoint": "x", "kind": "status", "times": 0}"#, "times"),
        (r#"{"gateway": "fena", "endpoint": "x", "kind": "status", "status": 200}"#, "status"),
        (r#"{"gateway": "fena", "endpoint": "/", "kind": "status"}"#, "endpoint"),
    ] {
        let (status, body) =
            http(&sandbox, "POST", "/control/faults", "application/json", bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body.contains(field), "{bad}: {body}");
    }
    let (status, _) = http(
        &sandbox,
        "POST",
        "/control/faults",
        "application/x-www-form-urlencoded",
        "gateway=fena&endpoint=x&kind=status&times=two",
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(list(&sandbox).await.as_array().unwrap().len(), 2);

    let (status, body) = http(&sandbox, "DELETE", "/control/faults", "text/plain", "").await;
    assert_eq!((status, body.as_str()), (200, r#"{"cleared":2}"#));
    assert_eq!(list(&sandbox).await, json!([]));
    assert_eq!(sandbox.clear_faults(), 0);
    sandbox.shutdown().await;
}

/// The faults are keyed by path, so every route under a gateway gets them, the Fena pay page
/// included; other endpoints and other gateways are untouched, and a fault ends after its
/// count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_apply_to_any_gateway_route_by_path_and_end_after_their_count() {
    let sandbox = start().await;
    sandbox.inject_fault(Fault::status(GatewayId::Fena, "pay", StatusCode::BAD_GATEWAY).times(2));
    sandbox.inject_fault(Fault::status(GatewayId::Feennex, "pay", StatusCode::BAD_GATEWAY));

    // Not Fena's pay page: the control API and another gateway's form.
    let (status, _) = http(&sandbox, "GET", "/freekassa/pay/?m=1", "text/plain", "").await;
    assert_ne!(status, 502);
    for _ in 0..2 {
        let (status, body) = http(&sandbox, "GET", "/fena/pay/?token=x", "text/plain", "").await;
        assert_eq!((status, body.as_str()), (502, ""));
    }
    // Used up: the page itself answers (a bad token).
    let (status, _) = http(&sandbox, "GET", "/fena/pay/?token=x", "text/plain", "").await;
    assert_eq!(status, 400);
    assert_eq!(sandbox.faults().len(), 1);
    assert_eq!(sandbox.faults()[0].gateway, GatewayId::Feennex);
    sandbox.shutdown().await;
}

/// Reads are retried on transient faults (three attempts in all), and each attempt uses one
/// call of the fault: two 503s are ridden out, three reach the shop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_ride_out_transient_faults_each_attempt_using_one_call() {
    let sandbox = start().await;
    let feennex = payments::feennex::Client::with_options(
        payments::feennex::Config::new(5, "SecretKey01")
            .with_base_url(&sandbox.feennex_url())
            .unwrap(),
        &options(),
    )
    .unwrap();
    let freekassa = payments::freekassa::Client::with_options(
        payments::freekassa::Config::new(7012)
            .with_api_key("test_api_key")
            .with_api_url(&sandbox.freekassa_api_url())
            .unwrap(),
        &options(),
    )
    .unwrap();
    let busy = StatusCode::SERVICE_UNAVAILABLE;

    sandbox.inject_fault(Fault::status(GatewayId::Feennex, "shop_balance", busy).times(2));
    sandbox.inject_fault(Fault::status(GatewayId::Freekassa, "balance", busy).times(2));
    feennex.balance().await.unwrap();
    freekassa.balance().await.unwrap();
    assert!(sandbox.faults().is_empty(), "{:?}", sandbox.faults());

    sandbox.inject_fault(Fault::status(GatewayId::Feennex, "shop_balance", busy).times(4));
    sandbox.inject_fault(Fault::status(GatewayId::Freekassa, "balance", busy).times(4));
    let error = feennex.balance().await.unwrap_err();
    assert_eq!(answers(&error), http_status(503), "{error:?}");
    let error = freekassa.balance().await.unwrap_err();
    assert_eq!(answers(&error), http_status(503), "{error:?}");
    let remaining: Vec<u32> = sandbox.faults().iter().map(|fault| fault.remaining).collect();
    assert_eq!(remaining, [1, 1]);
    sandbox.shutdown().await;
}

/// `DELETE /control/faults` lets a request held by a timeout go at once, with HTTP 504.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clearing_the_faults_lets_a_held_request_go() {
    let sandbox = std::sync::Arc::new(start().await);
    let an_hour = Duration::from_secs(3600);
    sandbox.inject_fault(Fault::timeout(GatewayId::Feennex, "shop_balance", an_hour));
    let held = {
        let sandbox = sandbox.clone();
        tokio::spawn(async move {
            http(&sandbox, "POST", "/feennex/shop_balance", "application/json", "{}").await
        })
    };
    // Cleared once the request is being held (the fault is used up by then).
    while !sandbox.faults().is_empty() {
        tokio::task::yield_now().await;
    }
    assert_eq!(sandbox.clear_faults(), 0);
    let (status, body) = tokio::time::timeout(Duration::from_secs(60), held)
        .await
        .expect("the held request was let go")
        .unwrap();
    assert_eq!((status, body.as_str()), (504, ""));
    std::sync::Arc::into_inner(sandbox).unwrap().shutdown().await;
}
