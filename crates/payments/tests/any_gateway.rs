//! The gateway chosen at run time from configuration, against a mock server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use httpmock::prelude::*;
use payments::payment::{OrderId, PaymentLink, PaymentRequest};
use payments::report::RefundRequest;
use payments::webhook::WebhookRequest;
use payments::{AnyGateway, ConfigError, Currency, Error, GatewayConfig, GatewayId, Money};
use serde_json::json;
use sha2::{Digest, Sha256};

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn feennex(server: &MockServer) -> AnyGateway {
    let vars = [
        ("PAYMENTS_GATEWAY", "feennex".to_owned()),
        ("PAYMENTS_SHOP_ID", "5".to_owned()),
        ("PAYMENTS_SECRET", "SecretKey01".to_owned()),
        ("PAYMENTS_BASE_URL", server.base_url()),
        ("UNRELATED", "ignored".to_owned()),
    ];
    let config = GatewayConfig::from_vars(vars.map(|(k, v)| (k.to_owned(), v))).unwrap();
    AnyGateway::from_config(&config).unwrap()
}

#[tokio::test]
async fn feennex_chosen_at_run_time_creates_a_payment_and_reads_its_status() {
    let server = MockServer::start_async().await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path("/bill/create").json_body_includes(r#"{"shop_amount": "23.15", "shop_order_id": "o-1"}"#);
            then.status(200).json_body(json!({"result": true, "error_code": 0, "message": "Ok", "data": {
                "id": 1, "url": "https://wallet.feennex.com/en/bill/pay/X", "payer_currency": 643, "payer_price": 23.5,
                "shop_amount": 23.15, "shop_currency": 643, "shop_id": 5, "shop_order_id": "o-1"}}));
        })
        .await;
    let invoice = server
        .mock_async(|when, then| {
            when.method(POST).path("/invoice/check");
            then.status(200).json_body(
                json!({"result": false, "error_code": 7, "message": "not found", "data": null}),
            );
        })
        .await;
    let bill = server
        .mock_async(|when, then| {
            when.method(POST).path("/bill/shop_order_status");
            then.status(200).json_body(json!({"result": true, "error_code": 0, "message": "Ok", "data": {
                "status": 2, "payment_id": 77, "shop_amount": "23.15", "shop_currency": 643, "shop_id": 5, "shop_order_id": "o-1"}}));
        })
        .await;
    let gateway = feennex(&server);
    assert_eq!(gateway.id(), GatewayId::Feennex);
    let order = OrderId::new("o-1").unwrap();
    let request = PaymentRequest::new(order.clone(), Money::parse("23.15", Currency::RUB).unwrap());
    let created = gateway.create_payment(&request).await.unwrap();
    assert_eq!(
        created.link,
        PaymentLink::Redirect("https://wallet.feennex.com/en/bill/pay/X".parse().unwrap())
    );
    // The bill's id from the answer above.
    assert_eq!(created.gateway_payment_id.as_deref(), Some("1"));
    let report = gateway.payment_status(&order).await.unwrap();
    assert_eq!(report.status, payments::payment::PaymentStatus::Paid);
    assert_eq!(report.money, Some(Money::parse("23.15", Currency::RUB).unwrap()));
    create.assert_async().await;
    invoice.assert_async().await;
    bill.assert_async().await;
}

#[tokio::test]
async fn a_missing_capability_is_a_clear_error() {
    let server = MockServer::start_async().await;
    let gateway = feennex(&server);
    let error =
        gateway.refund(&RefundRequest::full(OrderId::new("o-1").unwrap())).await.unwrap_err();
    assert!(matches!(error, Error::Unsupported { gateway: GatewayId::Feennex, .. }));
    assert_eq!(error.to_string(), "feennex does not support refunds");
}

#[tokio::test]
async fn webhooks_verify_through_the_runtime_gateway() {
    let server = MockServer::start_async().await;
    let gateway = feennex(&server);
    let fields =
        "payment_id=4&shop_amount=5.0&shop_currency=840&shop_id=5&shop_order_id=7&status=success";
    let sign = sha256_hex("4:5.0:840:5:7:successSecretKey01");
    let notification = gateway
        .verify_request(&WebhookRequest::form_post(format!("{fields}&sign={sign}")))
        .await
        .unwrap();
    assert_eq!(notification.order_id, "7");
    assert_eq!(gateway.webhook_ack().body, "OK");
    let forged =
        WebhookRequest::form_post(format!("{}&sign={sign}", fields.replace("5.0", "50.0")));
    assert!(matches!(gateway.verify_request(&forged).await, Err(Error::Webhook { .. })));
}

#[test]
fn configuration_from_json_and_errors_without_secrets() {
    let config = GatewayConfig::from_json(
        r#"{"gateway": "feennex", "shop_id": "5", "secret": "Hunter2Secret"}"#,
    )
    .unwrap();
    assert_eq!(config.gateway(), GatewayId::Feennex);
    assert!(!format!("{config:?}").contains("Hunter2Secret"));
    let wrong = GatewayConfig::from_json(
        r#"{"gateway": "feennex", "shop_id": "Hunter2Secret", "secret": "x"}"#,
    )
    .unwrap_err();
    assert!(matches!(wrong, ConfigError::Parse(_)));
    assert!(!wrong.to_string().contains("Hunter2Secret"), "{wrong}");
    let unknown = GatewayConfig::from_json(r#"{"gateway": "paypal"}"#).unwrap_err();
    assert!(
        unknown.to_string().contains("paypal") || unknown.to_string().contains("variant"),
        "{unknown}"
    );
    let bad_url = GatewayConfig::from_json(
        r#"{"gateway": "feennex", "shop_id": 5, "secret": "x", "base_url": "ftp://x"}"#,
    )
    .unwrap();
    assert!(matches!(
        AnyGateway::from_config(&bad_url),
        Err(ConfigError::Invalid { gateway: GatewayId::Feennex, .. })
    ));
}

#[test]
fn a_secret_in_the_wrong_place_is_not_echoed() {
    let vars = [
        ("PAYMENTS_GATEWAY", "fena"),
        ("PAYMENTS_TERMINAL_ID", "t"),
        ("PAYMENTS_TERMINAL_SECRET", "s"),
        ("PAYMENTS_TOOLKIT", r#"{"integration_id": "i", "secret_key": "Hunter2Secret"}"#),
    ];
    let error =
        GatewayConfig::from_vars(vars.map(|(k, v)| (k.to_owned(), v.to_owned()))).unwrap_err();
    assert!(!error.to_string().contains("Hunter2Secret"), "{error}");
    assert!(error.to_string().contains("invalid type"), "{error}");
    let error =
        GatewayConfig::from_json(r#"{"gateway": "feennex", "shop_id": 5, "secret": 20240101}"#)
            .unwrap_err();
    assert!(!error.to_string().contains("20240101"), "{error}");
}

#[tokio::test]
async fn freekassa_chosen_at_run_time() {
    let server = MockServer::start_async().await;
    let orders = server
        .mock_async(|when, then| {
            when.method(POST).path("/orders").json_body_includes(r#"{"shopId": 7012, "paymentId": "o-1"}"#);
            then.status(200).json_body(json!({"type": "success", "pages": 1, "orders": [
                {"merchant_order_id": "o-1", "fk_order_id": 5, "amount": 100.5, "currency": "RUB", "status": 1}
            ]}));
        })
        .await;
    let json = format!(
        r#"{{"gateway": "freekassa", "shop_id": "7012", "secret1": "secret", "secret2": "secret2",
            "api_key": "test_api_key", "api_url": "{}"}}"#,
        server.base_url()
    );
    let gateway = AnyGateway::from_config(&GatewayConfig::from_json(&json).unwrap()).unwrap();
    assert_eq!(gateway.id(), GatewayId::Freekassa);
    let order = OrderId::new("o-1").unwrap();
    let money = Money::parse("100.50", Currency::RUB).unwrap();
    let created = gateway.create_payment(&PaymentRequest::new(order.clone(), money)).await.unwrap();
    // A signed form: nothing was created at Freekassa yet, so there is no id.
    assert_eq!(created.gateway_payment_id, None);
    let url = created.link.redirect_url().unwrap();
    assert!(
        url.as_str().starts_with("https://pay.fk.money/?m=7012&oa=100.5&currency=RUB&o=o-1&s="),
        "{url}"
    );
    // The form signature computed here: md5("7012:100.5:secret:RUB:o-1").
    let expected: String = {
        use md5::{Digest, Md5};
        Md5::digest(b"7012:100.5:secret:RUB:o-1").iter().map(|b| format!("{b:02x}")).collect()
    };
    assert!(url.query_pairs().any(|(k, v)| k == "s" && v == expected), "{url}");
    let report = gateway.payment_status(&order).await.unwrap();
    assert_eq!(report.status, payments::payment::PaymentStatus::Paid);
    orders.assert_async().await;
    let gbp = Money::parse("10", Currency::GBP).unwrap();
    let error = gateway.create_payment(&PaymentRequest::new(order, gbp)).await.unwrap_err();
    assert_eq!(error.gateway(), GatewayId::Freekassa);
    assert!(error.to_string().contains("GBP"), "{error}");
}

#[tokio::test]
async fn fena_chosen_at_run_time_with_the_toolkit_api() {
    let server = MockServer::start_async().await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path("/open/payments/single/create-and-process").header("secret-key", "sk-1");
            then.status(200).json_body(json!({"created": true, "result": {
                "id": "p1", "reference": "ORDER-7", "amount": "10.00", "status": "sent", "currency": "GBP",
                "link": "https://payment.fena.co/p?p=p1", "bankAccount": {"id": "b1", "name": "Main"}}}));
        })
        .await;
    let json = format!(
        r#"{{"gateway": "fena", "terminal_id": "t", "terminal_secret": "s",
            "toolkit": {{"integration_id": "i-1", "secret_key": "sk-1", "base_url": "{}"}}}}"#,
        server.base_url()
    );
    let gateway = AnyGateway::from_config(&GatewayConfig::from_json(&json).unwrap()).unwrap();
    assert!(!format!("{gateway:?}").contains("sk-1"), "the Toolkit secret stays out of Debug");
    let order = OrderId::new("ORDER-7").unwrap();
    let link = gateway
        .create_payment(&PaymentRequest::new(
            order.clone(),
            Money::parse("10", Currency::GBP).unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(link.link.redirect_url().unwrap().as_str(), "https://payment.fena.co/p?p=p1");
    // Fena's id from the answer above: what payment_status takes.
    assert_eq!(link.gateway_payment_id.as_deref(), Some("p1"));
    create.assert_async().await;
    // A RUB payment is refused before anything is sent, naming the gateway.
    let rub = gateway
        .create_payment(&PaymentRequest::new(
            order.clone(),
            Money::parse("10", Currency::RUB).unwrap(),
        ))
        .await
        .unwrap_err();
    assert_eq!(rub.gateway(), GatewayId::Fena);
    assert!(rub.to_string().contains("GBP") || rub.to_string().contains("RUB"), "{rub}");
    assert_eq!(create.calls_async().await, 1);
    // Status by the shop's reference: the Toolkit documents no such lookup.
    let status = gateway.payment_status(&order).await.unwrap_err();
    assert!(
        matches!(&status, Error::Unsupported { gateway: GatewayId::Fena, capability }
            if capability.contains("reference") && capability.contains("ORDER-7")),
        "{status}"
    );
}

#[tokio::test]
async fn fena_status_through_the_toolkit_by_fenas_payment_id() {
    const ID: &str = "62b48c5b6ba2cd6a040b20a8";
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/open/payments/single/{ID}"))
                .header("secret-key", "sk-1")
                .header("integration-id", "i-1");
            then.status(200).json_body(json!({"data": {
                "id": ID, "reference": "ORDER-7", "amount": "10.00", "status": "paid",
                "currency": "GBP", "createdAt": "2024-03-12T10:00:00.000Z",
                "link": format!("https://payment.fena.co/p?p={ID}"), "isSandbox": true,
                "bankAccount": {"id": "b1", "name": "Main"}}}));
        })
        .await;
    let json = format!(
        r#"{{"gateway": "fena", "terminal_id": "t", "terminal_secret": "s",
            "toolkit": {{"integration_id": "i-1", "secret_key": "sk-1", "base_url": "{}"}}}}"#,
        server.base_url()
    );
    let gateway = AnyGateway::from_config(&GatewayConfig::from_json(&json).unwrap()).unwrap();
    let report = gateway.payment_status(&OrderId::new(ID).unwrap()).await.unwrap();
    get.assert_async().await;
    assert_eq!(report.order_id, "ORDER-7");
    assert_eq!(report.gateway_payment_id.as_deref(), Some(ID));
    assert_eq!(report.status, payments::payment::PaymentStatus::Paid);
    assert_eq!(report.money, Some(Money::parse("10.00", Currency::GBP).unwrap()));

    // Fena's answer for another payment is refused, not reported.
    let other = "62b48c5b6ba2cd6a040b20a9";
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/open/payments/single/{other}"));
            then.status(200).json_body(json!({"data": {
                "id": ID, "reference": "ORDER-7", "amount": "10.00", "status": "paid",
                "currency": "GBP"}}));
        })
        .await;
    let error = gateway.payment_status(&OrderId::new(other).unwrap()).await.unwrap_err();
    assert_eq!(error.gateway(), GatewayId::Fena);
    assert!(!matches!(error, Error::Unsupported { .. }), "{error}");
}

#[tokio::test]
async fn fena_terminal_links_need_no_server() {
    let json = r#"{"gateway": "fena", "terminal_id": "4af9b080-b6d3-4206-a10f-f2162f15b655",
                   "terminal_secret": "0b7e3c1a-5d2f-4e8b-9a6c-2f1d3e4b5a69"}"#;
    let gateway = AnyGateway::from_config(&GatewayConfig::from_json(json).unwrap()).unwrap();
    let request = PaymentRequest::new(
        OrderId::new("ORDER-0001").unwrap(),
        Money::parse("10", Currency::GBP).unwrap(),
    );
    let url = gateway.create_payment(&request).await.unwrap().link.redirect_url().unwrap();
    assert!(
        url.as_str()
            .starts_with("https://app.fena.co/pay/?token=eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9."),
        "{url}"
    );
    assert!(matches!(
        gateway.balances().await,
        Err(Error::Unsupported { gateway: GatewayId::Fena, .. })
    ));
}

/// A configuration `AnyGateway` must refuse, and the setting the refusal names.
fn refused_setting(json: &str) -> (GatewayId, &'static str, String) {
    let config = GatewayConfig::from_json(json).unwrap();
    match AnyGateway::from_config(&config) {
        Err(ConfigError::Missing { gateway, setting, needed_for }) => {
            let text = ConfigError::Missing { gateway, setting, needed_for }.to_string();
            (gateway, setting, text)
        }
        other => panic!("expected a missing setting, got {other:?}"),
    }
}

#[test]
fn freekassa_without_secret2_cannot_be_built() {
    // Without secret word 2 every notification would be refused, and Freekassa repeats a
    // notification until it is answered `YES`: refuse the configuration instead.
    let (gateway, setting, text) = refused_setting(
        r#"{"gateway": "freekassa", "shop_id": 7012, "secret1": "secret", "api_key": "k"}"#,
    );
    assert_eq!((gateway, setting), (GatewayId::Freekassa, "secret2"));
    assert!(text.contains("secret2") && text.contains("PAYMENTS_SECRET2"), "{text}");
    // An empty one (an unset variable) is no better.
    let (_, setting, _) = refused_setting(
        r#"{"gateway": "freekassa", "shop_id": 7012, "secret1": "secret", "secret2": ""}"#,
    );
    assert_eq!(setting, "secret2");
}

#[test]
fn empty_secrets_are_refused_for_every_gateway() {
    let cases = [
        (r#"{"gateway": "feennex", "shop_id": 5, "secret": ""}"#, GatewayId::Feennex, "secret"),
        (
            r#"{"gateway": "fena", "terminal_id": "t", "terminal_secret": ""}"#,
            GatewayId::Fena,
            "terminal_secret",
        ),
        (
            r#"{"gateway": "fena", "terminal_id": "t", "terminal_secret": "s",
                "toolkit": {"integration_id": "i", "secret_key": ""}}"#,
            GatewayId::Fena,
            "toolkit.secret_key",
        ),
    ];
    for (json, expected_gateway, expected_setting) in cases {
        let (gateway, setting, text) = refused_setting(json);
        assert_eq!((gateway, setting), (expected_gateway, expected_setting), "{json}");
        assert!(text.contains(expected_setting), "{text}");
    }
}

#[tokio::test]
async fn freekassa_webhooks_are_verified_with_secret2_and_the_configured_sources() {
    // The documentation's sample notification; SIGN = md5("123:100:secret2:test_order").
    let json = r#"{"gateway": "freekassa", "shop_id": 123, "secret2": "secret2",
                   "notification_sources": ["203.0.113.7"], "currency": "USD"}"#;
    let gateway = AnyGateway::from_config(&GatewayConfig::from_json(json).unwrap()).unwrap();
    let body = "MERCHANT_ID=123&AMOUNT=100&intid=123456&MERCHANT_ORDER_ID=test_order\
                &P_EMAIL=user%40site.ru&CUR_ID=36&SIGN=30c76991785c43f10af2079878acd3d6";
    let verifier = gateway.webhook_verifier();
    let from = |peer: &str| WebhookRequest::form_post(body).with_peer(peer.parse().unwrap());
    let notification = verifier.verify(&from("203.0.113.7:5000")).await.unwrap();
    assert_eq!(notification.order_id, "test_order");
    assert_eq!(notification.money, Money::parse("100", Currency::USD).unwrap());
    assert!(matches!(
        verifier.verify(&from("198.51.100.1:5000")).await,
        Err(Error::Webhook { .. })
    ));
    assert_eq!(gateway.webhook_ack().body, "YES");
}

/// Reads a Freekassa order's status from a server that always answers 503, with `options`;
/// how many requests reached the server.
async fn status_reads_against_503(options: &payments::transport::ClientOptions) -> usize {
    let server = MockServer::start_async().await;
    let orders = server
        .mock_async(|when, then| {
            when.method(POST).path("/orders");
            then.status(503);
        })
        .await;
    let json = format!(
        r#"{{"gateway": "freekassa", "shop_id": "7012", "secret1": "secret", "secret2": "secret2",
            "api_key": "test_api_key", "api_url": "{}"}}"#,
        server.base_url()
    );
    let config = GatewayConfig::from_json(&json).unwrap();
    let gateway = AnyGateway::with_options(&config, options).unwrap();
    let error = gateway.payment_status(&OrderId::new("o-1").unwrap()).await.unwrap_err();
    assert!(error.is_retryable(), "{error}");
    orders.calls_async().await
}

#[tokio::test]
async fn client_options_set_the_retry_policy_of_the_gateway_chosen_at_run_time() {
    use payments::transport::{ClientOptions, RetryPolicy};
    let standard = ClientOptions::default();
    assert_eq!(status_reads_against_503(&standard).await, 3, "RetryPolicy::standard: 3 attempts");
    let once = ClientOptions::default().retry_policy(RetryPolicy::disabled());
    assert_eq!(status_reads_against_503(&once).await, 1);
}
