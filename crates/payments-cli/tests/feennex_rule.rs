//! `payments sign feennex` without `--endpoint` signs as Feennex signs a callback, so that
//! `payments verify feennex` accepts what it signed; with `--endpoint`, as a request.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::process::{Command, Output};

use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_payments")).args(args).env_clear().output().unwrap()
}

fn json(args: &[&str]) -> Value {
    let output = run(args);
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

const SECRET: &str = "SecretKey01";

/// Callback fields, one of them empty (Feennex leaves it out of the signature).
const FIELDS: [(&str, &str); 6] = [
    ("shop_id", "5"),
    ("shop_order_id", "cli-1"),
    ("status", "success"),
    ("shop_amount", "23.15"),
    ("description", ""),
    ("payment_id", "42"),
];

fn signed() -> Value {
    let fields: Vec<String> = FIELDS.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut args = vec!["sign", "feennex", "--secret", SECRET];
    args.extend(fields.iter().map(String::as_str));
    json(&args)
}

#[test]
fn sign_without_endpoint_follows_the_callback_rule() {
    let out = signed();
    assert_eq!(out["rule"], "callback");
    // Sorted by key, the empty description dropped: payment_id, shop_amount, shop_id,
    // shop_order_id, status.
    assert_eq!(out["string_to_sign"], "42:23.15:5:cli-1:success");
}

#[test]
fn verify_accepts_what_sign_signed_including_an_empty_value() {
    let sign = signed()["sign"].as_str().unwrap().to_owned();
    let form: Vec<String> = FIELDS.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let body = format!("{}&sign={sign}", form.join("&"));
    let out = json(&["verify", "feennex", "--secret", SECRET, "--body", &body]);
    assert_eq!(out["shop_order_id"], "cli-1");
    assert_eq!(out["description"], "", "the empty field is received, not signed");

    let mut object: serde_json::Map<String, Value> =
        FIELDS.iter().map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned()))).collect();
    object.insert("sign".to_owned(), Value::String(sign));
    let body = Value::Object(object).to_string();
    let out = json(&["verify", "feennex", "--json", "--secret", SECRET, "--body", &body]);
    assert_eq!(out["status"], "success");

    // Changing the empty value changes what is signed: the same signature is refused.
    let forged = format!("{}&sign={}", form.join("&"), signed()["sign"].as_str().unwrap())
        .replace("description=", "description=x");
    let output = run(&["verify", "feennex", "--secret", SECRET, "--body", &forged]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn sign_with_an_endpoint_says_so_and_keeps_its_rule() {
    let out = json(&[
        "sign",
        "feennex",
        "--secret",
        SECRET,
        "--endpoint",
        "bill/create",
        "payer_currency=643",
        "shop_amount=23.15",
        "shop_currency=643",
        "shop_id=5",
        "shop_order_id=123456",
        "description=",
    ]);
    assert_eq!(out["rule"], "request bill/create");
    assert_eq!(out["string_to_sign"], "643:23.15:643:5:123456");
}

#[test]
fn a_repeated_field_is_refused() {
    let output = run(&["sign", "feennex", "--secret", SECRET, "a=1", "a=2"]);
    assert_eq!(output.status.code(), Some(2));
}
