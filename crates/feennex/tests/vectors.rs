//! Every entry of the independent Feennex test vectors (`testdata/vectors/feennex.json`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use feennex::Config;
use feennex::api::bill::BillCreate;
use payments_core::payment::OrderId;
use payments_core::signature::{KeyOrder, canonical_string, sha256_hex_with_secret};
use payments_core::webhook::decode_form;
use payments_core::{AmountStyle, Currency, Decimal, Money, SecretString};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/vectors/feennex.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A parameter as the text that is signed: strings verbatim, integers as digits.
fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => panic!("unexpected signed value {other}"),
    }
}

fn entries(section: &str) -> Vec<Value> {
    let entries = vectors()[section].as_array().unwrap().clone();
    assert!(!entries.is_empty(), "no {section} vectors");
    entries
}

#[test]
fn every_request_vector_through_core_canonicalisation() {
    for entry in entries("requests") {
        let name = entry["name"].as_str().unwrap();
        let params = entry["params"].as_object().unwrap();
        let signed: Vec<(String, String)> = entry["signed_keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|key| {
                let key = key.as_str().unwrap();
                (key.to_owned(), text(&params[key]))
            })
            .collect();
        // Insertion order must not matter: feed the keys reversed.
        let reversed = signed.iter().rev().map(|(k, v)| (k.as_str(), v.as_str()));
        let string = canonical_string(reversed, ":", KeyOrder::Sorted).unwrap();
        assert_eq!(string, entry["string_to_sign"].as_str().unwrap(), "{name}");
        let secret = SecretString::from(entry["secret"].as_str().unwrap());
        assert_eq!(
            sha256_hex_with_secret(&string, &secret),
            entry["sign"].as_str().unwrap(),
            "{name}"
        );
        // And through the Feennex signer.
        let (feennex_string, sign) =
            feennex::sign::sign(signed.iter().map(|(k, v)| (k.as_str(), v.as_str())), &secret)
                .unwrap();
        assert_eq!(feennex_string, string, "{name}");
        assert_eq!(sign, entry["sign"].as_str().unwrap(), "{name}");
    }
}

#[test]
fn bill_create_vector_through_the_typed_request() {
    let entry = entries("requests").into_iter().find(|e| e["name"] == "bill/create").unwrap();
    let params = &entry["params"];
    let currency =
        Currency::from_numeric(params["shop_currency"].as_u64().unwrap() as u16).unwrap();
    let shop_id: u64 = text(&params["shop_id"]).parse().unwrap();
    let config = Config::new(shop_id, entry["secret"].as_str().unwrap());
    let payer_currency =
        Currency::from_numeric(params["payer_currency"].as_u64().unwrap() as u16).unwrap();
    let request = BillCreate::new(
        OrderId::new(text(&params["shop_order_id"])).unwrap(),
        Money::parse(params["shop_amount"].as_str().unwrap(), currency).unwrap(),
    )
    .with_payer_currency(payer_currency)
    .with_description("unsigned fields change nothing");
    let prepared = request.prepare(&config).unwrap();
    assert_eq!(prepared.string_to_sign(), entry["string_to_sign"].as_str().unwrap());
    let body = prepared.body_json().unwrap();
    assert_eq!(body["sign"], entry["sign"]);
    // The amount is sent as the same string that was signed.
    assert_eq!(body["shop_amount"], params["shop_amount"]);
}

#[test]
fn every_amount_text_vector() {
    for pair in entries("amount_text") {
        let input = pair[0].as_str().unwrap();
        let expected = pair[1].as_str().unwrap();
        let value: Decimal = input.parse().unwrap();
        assert_eq!(AmountStyle::OneDecimalMinimum.render(value).unwrap(), expected, "{input}");
        let money = Money::parse(input, Currency::USD).unwrap();
        assert_eq!(feennex::amount::amount_text(&money).unwrap(), expected, "{input}");
        assert_eq!(
            AmountStyle::OneDecimalMinimum.parse_canonical(expected).unwrap(),
            value,
            "{input}"
        );
    }
}

#[test]
fn every_callback_vector_through_core_pieces() {
    for entry in entries("callbacks") {
        let name = entry["name"].as_str().unwrap();
        let fields = decode_form(entry["body"].as_str().unwrap().as_bytes()).unwrap();
        let received_sign =
            fields.iter().find(|(k, _)| k == "sign").map(|(_, v)| v.clone()).unwrap();
        let signed = fields.iter().filter(|(k, v)| k != "sign" && !v.is_empty());
        let string =
            canonical_string(signed.map(|(k, v)| (k.as_str(), v.as_str())), ":", KeyOrder::Sorted)
                .unwrap();
        assert_eq!(string, entry["string_to_sign"].as_str().unwrap(), "{name}");
        let secret = SecretString::from(entry["secret"].as_str().unwrap());
        assert_eq!(
            sha256_hex_with_secret(&string, &secret),
            entry["sign"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(received_sign, entry["sign"].as_str().unwrap(), "{name}");
    }
}

/// Request vectors for endpoints the crate has a typed request for, rebuilt from their
/// parameters through that request (the pay-form vector signs `10.00`, which the typed form
/// never writes: Feennex style is `10.0`; it is checked through the canonicalisation above).
#[test]
fn request_vectors_through_the_typed_requests() {
    use feennex::api::bill::BillStatusQuery;
    use feennex::api::invoice::InvoiceCreate;
    use feennex::api::transfer::TransferCreate;
    use feennex::api::withdraw::{WithdrawAmountType, WithdrawCreate};

    let currency = |value: &Value| Currency::from_numeric(text(value).parse().unwrap()).unwrap();
    let mut checked = 0;
    for entry in entries("requests") {
        let name = entry["name"].as_str().unwrap();
        let p = &entry["params"];
        let config =
            Config::new(text(&p["shop_id"]).parse().unwrap(), entry["secret"].as_str().unwrap());
        let prepared = if name.starts_with("invoice/create") {
            let amount =
                Money::parse(p["amount"].as_str().unwrap(), currency(&p["currency"])).unwrap();
            let mut invoice = InvoiceCreate::new(
                OrderId::new(text(&p["shop_order_id"])).unwrap(),
                amount,
                p["payway"].as_str().unwrap(),
            );
            if let Some(description) = p.get("description") {
                invoice = invoice.with_description(description.as_str().unwrap());
            }
            invoice.prepare(&config).unwrap()
        } else if name.starts_with("bill/shop_order_status") {
            // The vector's `now` is the text Feennex printed; rebuild the instant it names.
            let now = std::time::SystemTime::UNIX_EPOCH
                + std::time::Duration::from_micros(1_714_582_585_009_469);
            assert_eq!(feennex::request::now_text(now), p["now"].as_str().unwrap());
            BillStatusQuery::new(OrderId::new(text(&p["shop_order_id"])).unwrap())
                .prepare(&config, now)
                .unwrap()
        } else if name.starts_with("withdraw/create") {
            let amount =
                Money::parse(p["amount"].as_str().unwrap(), currency(&p["shop_currency"])).unwrap();
            assert_eq!(p["amount_type"], "ps_amount");
            let mut payout = WithdrawCreate::new(
                OrderId::new(text(&p["shop_payment_id"])).unwrap(),
                p["payway"].as_str().unwrap(),
                p["account"].as_str().unwrap(),
                amount,
                WithdrawAmountType::PsAmount,
                currency(&p["shop_currency"]),
            )
            .with_description(p["description"].as_str().unwrap());
            for (key, value) in p["account_details"].as_object().unwrap() {
                payout = payout.with_account_detail(key.clone(), value.as_str().unwrap());
            }
            payout.prepare(&config).unwrap()
        } else if name.starts_with("transfer/create") {
            assert_eq!(p["amount_type"], "receive_amount");
            let amount =
                Money::parse(p["amount"].as_str().unwrap(), currency(&p["payee_currency"]))
                    .unwrap();
            TransferCreate::receive(
                OrderId::new(text(&p["shop_payment_id"])).unwrap(),
                p["payee_account"].as_str().unwrap(),
                amount,
                currency(&p["shop_currency"]),
            )
            .prepare(&config)
            .unwrap()
        } else {
            continue;
        };
        assert_eq!(prepared.string_to_sign(), entry["string_to_sign"].as_str().unwrap(), "{name}");
        assert_eq!(prepared.body_json().unwrap()["sign"], entry["sign"], "{name}");
        checked += 1;
    }
    assert_eq!(checked, 6, "invoice/create x3, bill status, withdraw, transfer");
}
