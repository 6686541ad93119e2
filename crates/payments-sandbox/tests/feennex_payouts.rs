//! Every Feennex payout method of the SDK client against the sandbox: price, create, status
//! by id and by shop payment id, duplicates, `resolve_*`, the balance, settling through the
//! control API.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use payments::feennex::api::bill::BillCreate;
use payments::feennex::api::transfer::TransferCreate;
use payments::feennex::api::withdraw::{WithdrawAmountType, WithdrawCreate, WithdrawStatusQuery};
use payments::feennex::client::PayoutOutcome;
use payments::feennex::model::WithdrawStatus;
use payments::feennex::{Client, Config, Error, ErrorCode};
use payments::payment::OrderId;
use payments::{Currency, GatewayId, Money};
use payments_sandbox::{RunningSandbox, Sandbox, SandboxConfig};

fn rub(text: &str) -> Money {
    Money::parse(text, Currency::RUB).unwrap()
}

fn id(text: &str) -> OrderId {
    OrderId::new(text).unwrap()
}

async fn start() -> (RunningSandbox, Client) {
    let sandbox =
        Sandbox::start(SandboxConfig::demo(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let config = Config::new(5, "SecretKey01").with_base_url(&sandbox.feennex_url()).unwrap();
    (sandbox, Client::new(config).unwrap())
}

/// Pays a RUB bill of `amount` into shop 5's balance.
async fn fund(sandbox: &RunningSandbox, client: &Client, order: &str, amount: &str) {
    client.create_bill(&BillCreate::new(id(order), rub(amount))).await.unwrap();
    let payment = sandbox.find(GatewayId::Feennex, "5", order).unwrap();
    sandbox.pay(payment.id).await.unwrap();
}

async fn available_rub(client: &Client) -> Option<(String, Option<String>)> {
    let balance = client.balance().await.unwrap();
    balance.balances.iter().find(|line| line.currency == 643).map(|line| {
        (line.available.normalize().to_string(), line.frozen.map(|f| f.normalize().to_string()))
    })
}

fn api_code(error: &Error) -> ErrorCode {
    match error {
        Error::Api { code, .. } => *code,
        other => panic!("not an API error: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_price_create_find_and_debit() {
    let (sandbox, client) = start().await;
    fund(&sandbox, &client, "fund-1", "100").await;
    let transfer = TransferCreate::receive(id("t-1"), "201494711279", rub("30.5"), Currency::RUB);

    let price = client.price_transfer(&transfer).await.unwrap();
    assert_eq!(price["write_off_amount"].to_string(), "30.5");

    let made = client.create_transfer(&transfer).await.unwrap();
    assert_eq!(made.payee_account.as_deref(), Some("201494711279"));
    assert_eq!(made.write_off_amount.unwrap().normalize().to_string(), "30.5");
    assert_eq!(made.balance.unwrap().normalize().to_string(), "69.5");
    assert_eq!(available_rub(&client).await, Some(("69.5".into(), Some("0".into()))));

    let report = client.transfer_status(&id("t-1")).await.unwrap();
    assert_eq!((report.id, report.shop_payment_id.as_str()), (made.id, "t-1"));
    assert_eq!(report.receive_amount.unwrap().normalize().to_string(), "30.5");

    // A second transfer with the same id is refused (6), and nothing more is debited.
    let again = client.create_transfer(&transfer).await.unwrap_err();
    assert_eq!(api_code(&again), ErrorCode::OperationNotUnique);
    assert_eq!(available_rub(&client).await.unwrap().0, "69.5");

    // resolve_transfer: the created one is found, an unknown id was never created (7).
    match client.resolve_transfer(&id("t-1")).await.unwrap() {
        PayoutOutcome::Created(found) => assert_eq!(found.id, made.id),
        PayoutOutcome::NotCreated => panic!("t-1 was created"),
    }
    assert_eq!(client.resolve_transfer(&id("t-404")).await.unwrap(), PayoutOutcome::NotCreated);

    // Beyond the balance: 9. Another currency than the shop's: 16 (no rates).
    let too_much = TransferCreate::receive(id("t-2"), "201494711279", rub("70"), Currency::RUB);
    let error = client.create_transfer(&too_much).await.unwrap_err();
    assert_eq!(api_code(&error), ErrorCode::InsufficientBalance);
    let usd = Money::parse("1", Currency::USD).unwrap();
    let exchange = TransferCreate::receive(id("t-3"), "201494711279", usd, Currency::RUB);
    let error = client.create_transfer(&exchange).await.unwrap_err();
    assert_eq!(api_code(&error), ErrorCode::InvalidCurrencyExchange);

    // A transfer is final from its creation: the control API has nothing to settle.
    assert_eq!(sandbox.settle_feennex_payout(made.id, true).unwrap_err().as_u16(), 409);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawals_price_check_create_find_settle() {
    let (sandbox, client) = start().await;
    fund(&sandbox, &client, "fund-1", "500").await;
    let payout = |shop_payment_id: &str, amount: &str| {
        WithdrawCreate::new(
            id(shop_payment_id),
            "card_rub",
            "4111111111111111",
            rub(amount),
            WithdrawAmountType::PsAmount,
            Currency::RUB,
        )
        .with_account_detail("holder", "IVAN IVANOV")
    };

    let quote = client.price_withdraw(&payout("w-1", "100.23")).await.unwrap();
    assert_eq!(quote.shop_write_off.normalize().to_string(), "100.23");
    assert_eq!(quote.ps_currency, Some(643));
    let check = client.check_account(&payout("w-1", "100.23")).await.unwrap();
    assert_eq!(check.result, Some(true));

    // Created at status 3, the amount frozen.
    let made = client.create_withdraw(&payout("w-1", "100.23")).await.unwrap();
    assert_eq!(made.status, WithdrawStatus::PsProcessing);
    assert_eq!(made.balance.unwrap().normalize().to_string(), "399.77");
    assert_eq!(available_rub(&client).await, Some(("399.77".into(), Some("100.23".into()))));

    let by_id = client.withdraw_status(&WithdrawStatusQuery::ById(made.id)).await.unwrap();
    let by_shop = WithdrawStatusQuery::by_shop_payment_id(id("w-1"));
    let by_shop = client.withdraw_status(&by_shop).await.unwrap();
    assert_eq!(by_id, by_shop);
    assert_eq!(
        (by_id.shop_payment_id.as_str(), by_id.status),
        ("w-1", WithdrawStatus::PsProcessing)
    );
    let missing = client.withdraw_status(&WithdrawStatusQuery::ById(9999)).await.unwrap_err();
    assert_eq!(api_code(&missing), ErrorCode::OperationNotFound);

    let again = client.create_withdraw(&payout("w-1", "1")).await.unwrap_err();
    assert_eq!(api_code(&again), ErrorCode::OperationNotUnique);
    match client.resolve_withdraw(&id("w-1")).await.unwrap() {
        PayoutOutcome::Created(found) => assert_eq!(found.id, made.id),
        PayoutOutcome::NotCreated => panic!("w-1 was created"),
    }
    assert_eq!(client.resolve_withdraw(&id("w-404")).await.unwrap(), PayoutOutcome::NotCreated);

    // Settled through the control API over HTTP: paid is final.
    let http = post_raw(&sandbox, &format!("/control/feennex/payouts/{}/pay", made.id)).await;
    assert!(http.starts_with("HTTP/1.1 200"), "{http}");
    let report = client.withdraw_status(&WithdrawStatusQuery::ById(made.id)).await.unwrap();
    assert_eq!(report.status, WithdrawStatus::Success);
    assert!(report.status.is_final());
    assert_eq!(available_rub(&client).await, Some(("399.77".into(), Some("0".into()))));
    let twice = post_raw(&sandbox, &format!("/control/feennex/payouts/{}/pay", made.id)).await;
    assert!(twice.starts_with("HTTP/1.1 409"), "{twice}");

    // A rejected withdrawal returns its amount.
    let second = client.create_withdraw(&payout("w-2", "99.77")).await.unwrap();
    assert_eq!(available_rub(&client).await.unwrap().0, "300");
    sandbox.settle_feennex_payout(second.id, false).unwrap();
    let report = client.resolve_withdraw(&id("w-2")).await.unwrap();
    let PayoutOutcome::Created(report) = report else { panic!("w-2 was created") };
    assert_eq!(report.status, WithdrawStatus::Rejected);
    assert_eq!(available_rub(&client).await.unwrap().0, "399.77");

    // Beyond the balance: 9; an unknown payway: 1.
    let error = client.create_withdraw(&payout("w-3", "1000")).await.unwrap_err();
    assert_eq!(api_code(&error), ErrorCode::InsufficientBalance);
    let mut unknown = payout("w-4", "1");
    unknown.payway = "nowhere".into();
    let error = client.price_withdraw(&unknown).await.unwrap_err();
    assert_eq!(api_code(&error), ErrorCode::PaywayNotFound);
    sandbox.shutdown().await;
}

/// A bare HTTP/1.1 POST with an empty JSON body; returns the whole answer.
async fn post_raw(sandbox: &RunningSandbox, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(sandbox.addr()).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}
