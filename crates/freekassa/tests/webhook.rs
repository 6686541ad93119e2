//! Notifications: GET, POST form-urlencoded and multipart pass; every kind of forgery or
//! mistake fails with its own error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::net::SocketAddr;

use freekassa::source_ip::SourcePolicy;
use freekassa::webhook::{ACK, NotificationError, NotificationVerifier};
use freekassa::{Config, PaymentSystemId};
use http::{HeaderName, HeaderValue, Method};
#[cfg(feature = "async")]
use payments_core::WebhookError;
#[cfg(feature = "async")]
use payments_core::gateway::WebhookVerifier;
#[cfg(feature = "async")]
use payments_core::payment::PaymentStatus;
use payments_core::webhook::WebhookRequest;
use payments_core::{Currency, Money};

/// The documentation's sample notification; SIGN = md5("123:100:secret2:test_order").
const BODY: &str = "MERCHANT_ID=123&AMOUNT=100&intid=123456&MERCHANT_ORDER_ID=test_order\
                    &P_EMAIL=user%40site.ru&CUR_ID=36&SIGN=30c76991785c43f10af2079878acd3d6";
/// One of Freekassa's documented addresses.
const FREEKASSA: &str = "168.119.157.136:40000";

fn config() -> Config {
    Config::new(123).with_secret1("secret").with_secret2("secret2")
}

fn verifier() -> NotificationVerifier {
    NotificationVerifier::new(&config()).unwrap()
}

fn peer(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

fn post(body: impl Into<String>) -> WebhookRequest {
    WebhookRequest::form_post(body.into()).with_peer(peer(FREEKASSA))
}

/// The sample body with `field` replaced (signatures computed with Python's hashlib).
fn with(field: &str, value: &str) -> String {
    BODY.split('&')
        .map(|pair| {
            if pair.split('=').next() == Some(field) {
                format!("{field}={value}")
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(feature = "multipart")]
fn multipart(fields: &[(&str, &str)]) -> WebhookRequest {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--fkBoundary7\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str("--fkBoundary7--\r\n");
    WebhookRequest::new(Method::POST, body)
        .with_header(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data; boundary=fkBoundary7"),
        )
        .with_peer(peer(FREEKASSA))
}

#[test]
fn get_post_and_multipart_notifications_pass() {
    let from_post = verifier().verify_request(&post(BODY)).unwrap();
    assert_eq!(from_post.merchant_id, 123);
    assert_eq!(from_post.amount_text, "100");
    assert_eq!(from_post.intid.as_deref(), Some("123456"));
    assert_eq!(from_post.merchant_order_id, "test_order");
    assert_eq!(from_post.payer_email.as_deref(), Some("user@site.ru"));
    assert_eq!(from_post.payment_system, Some(PaymentSystemId::CARD_RUB_API));

    let get = WebhookRequest::new(Method::GET, "").with_query(BODY).with_peer(peer(FREEKASSA));
    assert_eq!(verifier().verify_request(&get).unwrap(), from_post);

    #[cfg(feature = "multipart")]
    {
        let parts = [
            ("MERCHANT_ID", "123"),
            ("AMOUNT", "100"),
            ("intid", "123456"),
            ("MERCHANT_ORDER_ID", "test_order"),
            ("P_EMAIL", "user@site.ru"),
            ("CUR_ID", "36"),
            ("SIGN", "30c76991785c43f10af2079878acd3d6"),
        ];
        assert_eq!(verifier().verify_request(&multipart(&parts)).unwrap(), from_post);
    }
}

#[test]
fn extra_fields_are_kept_and_payer_account_is_masked() {
    let body = format!("{BODY}&us_login=ivanov1971&payer_account=5555555555554444&commission=3.50");
    let notification = verifier().verify_request(&post(body)).unwrap();
    assert_eq!(notification.custom_field("us_login"), Some("ivanov1971"));
    assert_eq!(notification.payer_account.as_deref(), Some("5555555555554444"));
    assert_eq!(notification.commission.unwrap().to_string(), "3.50");
    let debug = format!("{notification:?}");
    assert!(!debug.contains("5555555555554444"), "{debug}");
    assert!(debug.contains("4444"), "{debug}");
    assert!(!debug.contains("user@site.ru"), "{debug}");
}

#[test]
fn a_reformatted_amount_is_refused() {
    // Signed over "100" (the docs sample), received as "100.00".
    let err = verifier().verify_request(&post(with("AMOUNT", "100.00"))).unwrap_err();
    assert_eq!(
        err,
        NotificationError::AmountReformatted { received: "100.00".into(), signed: "100".into() }
    );
}

#[test]
fn a_wrong_secret_is_refused() {
    // md5("123:100:not-the-secret:test_order")
    let err = verifier()
        .verify_request(&post(with("SIGN", "c1eb934a6158ee435ae9f4ebcb259957")))
        .unwrap_err();
    assert_eq!(err, NotificationError::BadSignature);
    let err = verifier().verify_request(&post(with("SIGN", "not-hex"))).unwrap_err();
    assert_eq!(err, NotificationError::BadSignature);
}

#[test]
fn secret_1_instead_of_secret_2_is_refused() {
    // md5("123:100:secret:test_order"): the form's secret word.
    let forged = post(with("SIGN", "040430a2387ee3d58af7ee1e6d92b1d2"));
    assert_eq!(
        verifier().verify_request(&forged).unwrap_err(),
        NotificationError::SignedWithSecret1
    );
    // Without secret 1 configured, the same request is a plain bad signature.
    let only_secret2 =
        NotificationVerifier::new(&Config::new(123).with_secret2("secret2")).unwrap();
    assert_eq!(only_secret2.verify_request(&forged).unwrap_err(), NotificationError::BadSignature);
}

#[test]
fn a_foreign_merchant_id_is_refused() {
    // Correctly signed for shop 999: md5("999:100:secret2:test_order").
    let body = with("MERCHANT_ID", "999")
        .replace("30c76991785c43f10af2079878acd3d6", "cbe8117a9a121d02bb265151b960c279");
    let err = verifier().verify_request(&post(body)).unwrap_err();
    assert_eq!(err, NotificationError::WrongMerchant { expected: 123, received: "999".into() });
}

#[test]
fn an_address_outside_the_list_is_refused() {
    let request = WebhookRequest::form_post(BODY).with_peer(peer("203.0.113.9:5000"));
    let err = verifier().verify_request(&request).unwrap_err();
    assert_eq!(err, NotificationError::ForbiddenSource { ip: "203.0.113.9".parse().unwrap() });
    // The address replaced in the current list is refused too.
    let stale = WebhookRequest::form_post(BODY).with_peer(peer("138.201.88.124:5000"));
    assert!(matches!(
        verifier().verify_request(&stale),
        Err(NotificationError::ForbiddenSource { .. })
    ));
    // No peer: the source cannot be checked.
    let err = verifier().verify_request(&WebhookRequest::form_post(BODY)).unwrap_err();
    assert_eq!(err, NotificationError::NoPeerAddress);
}

#[test]
fn a_spoofed_forwarded_for_from_an_untrusted_peer_is_refused() {
    let spoofed = WebhookRequest::form_post(BODY).with_peer(peer("203.0.113.9:5000")).with_header(
        HeaderName::from_static("x-forwarded-for"),
        HeaderValue::from_static("168.119.157.136"),
    );
    let err = verifier().verify_request(&spoofed).unwrap_err();
    assert_eq!(
        err,
        NotificationError::UntrustedForwardedHeader {
            peer: "203.0.113.9".parse().unwrap(),
            header: "x-forwarded-for"
        }
    );
    let spoofed = WebhookRequest::form_post(BODY).with_peer(peer("203.0.113.9:5000")).with_header(
        HeaderName::from_static("x-real-ip"),
        HeaderValue::from_static("168.119.157.136"),
    );
    assert!(matches!(
        verifier().verify_request(&spoofed),
        Err(NotificationError::UntrustedForwardedHeader { header: "x-real-ip", .. })
    ));
}

#[test]
fn forwarded_headers_from_a_trusted_proxy_are_believed() {
    let behind_proxy = verifier().with_source_policy(
        SourcePolicy::freekassa().with_trusted_proxy("10.0.0.0/8".parse().unwrap()),
    );
    let via_proxy = |header: &'static str, value: &'static str| {
        WebhookRequest::form_post(BODY)
            .with_peer(peer("10.1.2.3:443"))
            .with_header(HeaderName::from_static(header), HeaderValue::from_static(value))
    };
    assert!(behind_proxy.verify_request(&via_proxy("x-real-ip", "51.250.54.238")).is_ok());
    assert!(
        behind_proxy
            .verify_request(&via_proxy("x-forwarded-for", "178.154.197.79, 10.0.0.2"))
            .is_ok()
    );
    assert!(matches!(
        behind_proxy.verify_request(&via_proxy("x-forwarded-for", "203.0.113.9")),
        Err(NotificationError::ForbiddenSource { .. })
    ));
}

#[test]
fn every_refusal_is_a_distinct_error() {
    let errors = [
        verifier().verify_request(&post(with("AMOUNT", "100.00"))).unwrap_err(),
        verifier()
            .verify_request(&post(with("SIGN", "c1eb934a6158ee435ae9f4ebcb259957")))
            .unwrap_err(),
        verifier()
            .verify_request(&post(with("SIGN", "040430a2387ee3d58af7ee1e6d92b1d2")))
            .unwrap_err(),
        verifier().verify_request(&post(with("MERCHANT_ID", "999"))).unwrap_err(),
        verifier()
            .verify_request(&WebhookRequest::form_post(BODY).with_peer(peer("203.0.113.9:1")))
            .unwrap_err(),
        verifier()
            .verify_request(
                &WebhookRequest::form_post(BODY).with_peer(peer("203.0.113.9:1")).with_header(
                    HeaderName::from_static("x-forwarded-for"),
                    HeaderValue::from_static("168.119.157.136"),
                ),
            )
            .unwrap_err(),
    ];
    let kinds: std::collections::HashSet<std::mem::Discriminant<NotificationError>> =
        errors.iter().map(std::mem::discriminant).collect();
    assert_eq!(kinds.len(), errors.len(), "{errors:?}");
}

#[test]
fn malformed_requests_are_refused() {
    let v = verifier();
    // The cabinet's "check URL" probe has no fields.
    let probe = WebhookRequest::new(Method::GET, "").with_peer(peer(FREEKASSA));
    assert_eq!(
        v.verify_request(&probe).unwrap_err(),
        NotificationError::MissingField("MERCHANT_ID")
    );
    let repeated = post(format!("{BODY}&AMOUNT=1"));
    assert!(matches!(v.verify_request(&repeated), Err(NotificationError::Malformed(_))));
    let json = WebhookRequest::new(Method::POST, "{}")
        .with_header(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .with_peer(peer(FREEKASSA));
    assert!(matches!(v.verify_request(&json), Err(NotificationError::Malformed(_))));
    let put = WebhookRequest::new(Method::PUT, BODY).with_peer(peer(FREEKASSA));
    assert!(matches!(v.verify_request(&put), Err(NotificationError::Malformed(_))));
    let huge = post(format!("{BODY}&us_pad={}", "a".repeat(70_000)));
    assert_eq!(v.verify_request(&huge).unwrap_err(), NotificationError::TooLarge { limit: 65_536 });
    #[cfg(feature = "multipart")]
    {
        let file = multipart(&[("MERCHANT_ID", "123")]);
        let with_file = WebhookRequest::new(
            Method::POST,
            "--b\r\nContent-Disposition: form-data; name=\"a\"; filename=\"a.txt\"\r\n\r\nx\r\n--b--\r\n",
        )
        .with_header(http::header::CONTENT_TYPE, HeaderValue::from_static("multipart/form-data; boundary=b"))
        .with_peer(peer(FREEKASSA));
        assert!(matches!(v.verify_request(&with_file), Err(NotificationError::Malformed(_))));
        assert!(matches!(v.verify_request(&file), Err(NotificationError::MissingField("AMOUNT"))));
    }
}

#[test]
fn unreadable_informational_fields_do_not_refuse_a_paid_order() {
    // CUR_ID and commission are not signed: an odd value is left out of the typed field and
    // kept raw, and the signed notification still passes.
    let body = with("CUR_ID", "card") + "&commission=-1";
    let notification = verifier().verify_request(&post(body)).unwrap();
    assert_eq!(notification.payment_system, None);
    assert_eq!(notification.commission, None);
    assert_eq!(notification.raw_fields.get("CUR_ID"), Some("card"));
}

#[test]
fn order_and_amount_are_checked_in_one_call() {
    let notification = verifier().verify_request(&post(BODY)).unwrap();
    let rub = |text| Money::parse(text, Currency::RUB).unwrap();
    assert!(notification.check_order("test_order", &rub("100")).is_ok());
    assert!(notification.check_order("test_order", &rub("100.00")).is_ok());
    assert!(matches!(
        notification.check_order("test_order", &rub("100.01")),
        Err(NotificationError::Mismatch { field: "amount", .. })
    ));
    assert!(matches!(
        notification.check_order("other", &rub("100")),
        Err(NotificationError::Mismatch { field: "order_id", .. })
    ));
}

#[test]
fn the_answer_is_exactly_yes() {
    assert_eq!(ACK.body, "YES");
    assert_eq!(ACK.status, http::StatusCode::OK);
    #[cfg(feature = "async")]
    assert_eq!(WebhookVerifier::ack(&verifier()), ACK);
}

#[cfg(feature = "async")]
#[tokio::test]
async fn the_core_verifier_gives_a_paid_notification() {
    let core = WebhookVerifier::verify(&verifier(), &post(BODY)).await.unwrap();
    assert_eq!(core.order_id, "test_order");
    assert_eq!(core.gateway_payment_id.as_deref(), Some("123456"));
    assert_eq!(core.money, Money::parse("100", Currency::RUB).unwrap());
    assert_eq!(core.status, PaymentStatus::Paid);
    let err =
        WebhookVerifier::verify(&verifier(), &post(with("AMOUNT", "100.00"))).await.unwrap_err();
    // Signed over "100", arrived as "100.00": refused, and the core error says why.
    match err {
        payments_core::Error::Webhook {
            source: WebhookError::BadSignatureDiagnosed { diagnosis },
            ..
        } => assert!(diagnosis.contains("re-formatted"), "{diagnosis}"),
        other => panic!("unexpected {other:?}"),
    }
    let usd = verifier().with_currency(Currency::USD).unwrap();
    assert_eq!(
        WebhookVerifier::verify(&usd, &post(BODY)).await.unwrap().money.currency(),
        Currency::USD
    );
    assert!(verifier().with_currency(Currency::GBP).is_err());
}

/// Whether `T` implements [`WebhookVerifier`], answered at compile time without requiring it:
/// the inherent constant is found only when its bound holds, the trait's default otherwise.
#[cfg(feature = "client")]
struct Probe<T: ?Sized>(std::marker::PhantomData<T>);
#[cfg(feature = "client")]
trait NotAWebhookVerifier {
    const IS_WEBHOOK_VERIFIER: bool = false;
}
#[cfg(feature = "client")]
impl<T: ?Sized> NotAWebhookVerifier for Probe<T> {}
#[cfg(feature = "client")]
impl<T: ?Sized + WebhookVerifier> Probe<T> {
    const IS_WEBHOOK_VERIFIER: bool = true;
}

#[test]
fn only_a_verifier_holding_secret2_can_be_mounted() {
    // An API client may have no secret word 2; if it were a webhook verifier, a shop could
    // mount one that refuses every notification, and Freekassa would redeliver forever.
    #[cfg(feature = "client")]
    {
        let mountable = [
            Probe::<freekassa::Client>::IS_WEBHOOK_VERIFIER,
            Probe::<NotificationVerifier>::IS_WEBHOOK_VERIFIER,
        ];
        assert_eq!(mountable, [false, true], "[Client, NotificationVerifier]");
    }
    // The verifier cannot be built without it, and the error says what to set.
    let error = NotificationVerifier::new(&Config::new(123).with_secret1("secret")).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("secret2") && text.contains("Config::with_secret2"), "{text}");
}
