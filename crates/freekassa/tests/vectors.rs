//! Every entry of the independent Freekassa test vectors (`testdata/vectors/freekassa.json`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

mod common;

use freekassa::api::orders::{OrderCreate, OrderList, Recurrence};
use freekassa::model::{RecurrentPeriod, currency_from_code};
use freekassa::source_ip::{FREEKASSA_IPS, SourcePolicy};
use freekassa::webhook::{NotificationError, NotificationVerifier};
use freekassa::{Config, OrderStatus, PaymentForm, PaymentSystemId};
use payments_core::payment::OrderId;
use payments_core::webhook::{WebhookRequest, decode_form};
use payments_core::{AmountStyle, Money, SecretString};
use serde_json::Value;

use common::vectors;

fn entries(section: &str) -> Vec<Value> {
    let entries = vectors()[section].as_array().unwrap().clone();
    assert!(!entries.is_empty(), "no {section} vectors");
    entries
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => panic!("unexpected signed value {other}"),
    }
}

#[test]
fn every_form_vector() {
    for entry in entries("form") {
        let name = entry["name"].as_str().unwrap();
        let (m, oa, currency, o) = (
            entry["m"].as_str().unwrap(),
            entry["oa"].as_str().unwrap(),
            entry["currency"].as_str().unwrap(),
            entry["o"].as_str().unwrap(),
        );
        let secret = SecretString::from(entry["secret1"].as_str().unwrap());
        let expected = entry["s"].as_str().unwrap();
        // The signing primitive, over the amount text exactly as given.
        assert_eq!(
            freekassa::sign::form_signature(m, oa, &secret, currency, o),
            expected,
            "{name}"
        );
        assert_eq!(
            entry["string"]
                .as_str()
                .unwrap()
                .replace(entry["secret1"].as_str().unwrap(), "<secret1>"),
            freekassa::sign::form_text_masked(m, oa, currency, o),
            "{name}"
        );

        // The typed builder writes the shortest amount text, signs it and puts it in `oa`.
        let config =
            Config::new(m.parse().unwrap()).with_secret1(entry["secret1"].as_str().unwrap());
        let money = Money::parse(oa, currency_from_code(currency).unwrap()).unwrap();
        let link = PaymentForm::new(OrderId::new(o).unwrap(), money).prepare(&config).unwrap();
        let query: Vec<(String, String)> = link.url().query_pairs().into_owned().collect();
        let field = |key: &str| query.iter().find(|(k, _)| k == key).unwrap().1.clone();
        let sent_amount = field("oa");
        assert_eq!(field("s"), link.signature(), "{name}");
        assert_eq!(
            link.signature(),
            freekassa::sign::form_signature(m, &sent_amount, &secret, currency, o),
            "{name}: the signature is over the amount text that is sent"
        );
        if AmountStyle::Shortest.parse_canonical(oa).is_ok() {
            assert_eq!(sent_amount, oa, "{name}");
            assert_eq!(link.signature(), expected, "{name}");
        } else {
            // "100.10" is sent as "100.1", so it must carry the signature of "100.1", which is
            // another vector, never the one for "100.10".
            assert_ne!(link.signature(), expected, "{name}");
            let shortest = entries("form")
                .into_iter()
                .find(|other| other["oa"].as_str() == Some(sent_amount.as_str()))
                .unwrap();
            assert_eq!(link.signature(), shortest["s"].as_str().unwrap(), "{name}");
        }
    }
}

#[test]
fn every_notification_vector() {
    for entry in entries("notification") {
        let name = entry["name"].as_str().unwrap();
        let secret = entry["secret2"].as_str().unwrap();
        let string = entry["string"].as_str().unwrap();
        let parts: Vec<&str> = string.split(':').collect();
        assert_eq!(parts[2], secret, "{name}: the secret sits third");
        let expected = entry["SIGN"].as_str().unwrap();
        assert_eq!(
            freekassa::sign::notification_signature(
                parts[0],
                parts[1],
                &SecretString::from(secret),
                parts[3]
            ),
            expected,
            "{name}"
        );
        let config = Config::new(parts[0].parse().unwrap()).with_secret2(secret);
        let verifier = NotificationVerifier::new(&config)
            .unwrap()
            .with_source_policy(SourcePolicy::any_source());
        match entry.get("body").and_then(Value::as_str) {
            Some(body) => {
                // The sample body verifies as a POST form and as a GET query.
                let post =
                    verifier.verify_request(&WebhookRequest::form_post(body.to_owned())).unwrap();
                assert_eq!(post.merchant_order_id, parts[3], "{name}");
                assert_eq!(post.amount_text, parts[1], "{name}");
                assert_eq!(post.payment_system, Some(PaymentSystemId::CARD_RUB_API));
                let get = WebhookRequest::new(http::Method::GET, "").with_query(body);
                assert_eq!(verifier.verify_request(&get).unwrap(), post, "{name}");
                let sign = decode_form(body.as_bytes())
                    .unwrap()
                    .into_iter()
                    .find(|(k, _)| k == "SIGN")
                    .unwrap()
                    .1;
                assert_eq!(sign, expected, "{name}");
            }
            None => {
                // "a notification with AMOUNT=100 and this SIGN must be rejected": the text
                // signed was 100.00, the text received is 100.
                let received_amount = "100";
                assert_ne!(received_amount, parts[1]);
                let body = format!(
                    "MERCHANT_ID={}&AMOUNT={received_amount}&MERCHANT_ORDER_ID={}&SIGN={expected}",
                    parts[0], parts[3]
                );
                let err = verifier.verify_request(&WebhookRequest::form_post(body)).unwrap_err();
                assert_eq!(
                    err,
                    NotificationError::AmountReformatted {
                        received: received_amount.into(),
                        signed: parts[1].into()
                    },
                    "{name}"
                );
            }
        }
    }
}

/// Builds the request the vector describes through the typed API and compares the string to
/// sign, the signature and the JSON body.
fn typed_request(entry: &Value) -> freekassa::request::Prepared {
    let body = &entry["body"];
    let config = Config::new(body["shopId"].as_u64().unwrap())
        .with_api_key(entry["api_key"].as_str().unwrap());
    let nonce = body["nonce"].as_u64().unwrap();
    match entry["name"].as_str().unwrap() {
        "POST /balance" => freekassa::api::shop::BalanceRequest.prepare(&config, nonce).unwrap(),
        name if name.starts_with("POST /orders/create") => {
            let money = Money::parse(
                &text(&body["amount"]),
                currency_from_code(body["currency"].as_str().unwrap()).unwrap(),
            )
            .unwrap();
            let mut order = OrderCreate::new(
                OrderId::new(body["paymentId"].as_str().unwrap()).unwrap(),
                money,
                PaymentSystemId::new(body["i"].as_u64().unwrap() as u32),
                body["email"].as_str().unwrap(),
                body["ip"].as_str().unwrap(),
            );
            if body.get("recurrent").is_some() {
                assert_eq!(body["recurrent"], "Y");
                assert_eq!(body["recurrent_period"], "month");
                order = order.with_recurrence(Recurrence::new(
                    RecurrentPeriod::Month,
                    body["recurrent_description"].as_str().unwrap(),
                ));
            }
            order.prepare(&config, nonce).unwrap()
        }
        "POST /orders with filters" => OrderList::new()
            .with_status(OrderStatus::from_code(body["orderStatus"].as_u64().unwrap()))
            .with_dates(body["dateFrom"].as_str().unwrap(), body["dateTo"].as_str().unwrap())
            .with_page(body["page"].as_u64().unwrap())
            .prepare(&config, nonce)
            .unwrap(),
        other => panic!("no typed request for vector {other:?}"),
    }
}

#[test]
fn every_api_vector() {
    for entry in entries("api") {
        let name = entry["name"].as_str().unwrap();
        let key = SecretString::from(entry["api_key"].as_str().unwrap());
        let expected_string = entry["string_to_sign"].as_str().unwrap();
        let expected_signature = entry["signature"].as_str().unwrap();

        // The signing primitives over the vector's body, keys fed in reverse order.
        let body = entry["body"].as_object().unwrap();
        let texts: Vec<(String, String)> =
            body.iter().rev().map(|(k, v)| (k.clone(), text(v))).collect();
        let string = freekassa::sign::api_string_to_sign(
            texts.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .unwrap();
        assert_eq!(string, expected_string, "{name}");
        assert_eq!(freekassa::sign::api_signature(&string, &key), expected_signature, "{name}");

        // The typed request: same string, same signature, and a body that is the vector's
        // body plus the signature, amounts sent as JSON numbers with the signed digits.
        let prepared = typed_request(&entry);
        assert_eq!(prepared.string_to_sign(), expected_string, "{name}");
        let mut want = entry["body"].clone();
        want["signature"] = Value::from(expected_signature);
        assert_eq!(prepared.body_json().unwrap(), want, "{name}");
        if let Some(amount) = body.get("amount") {
            let token = format!("\"amount\":{amount}");
            assert!(prepared.request().body_text().unwrap().contains(&token), "{name}: {token}");
        }
    }
}

#[test]
fn notification_ips_are_the_default_allow_list() {
    let listed: Vec<std::net::IpAddr> = vectors()["notification_ips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ip| ip.as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(listed, FREEKASSA_IPS.to_vec());
    let policy = SourcePolicy::freekassa();
    for ip in &listed {
        assert!(policy.check(Some(*ip), &http::HeaderMap::new()).is_ok(), "{ip}");
    }
}
