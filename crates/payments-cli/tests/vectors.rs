//! The `payments` binary's sign and verify output against every entry of the test vectors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::process::{Command, Output};

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

fn vectors(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../testdata/vectors/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_payments")).args(args).env_clear().output().unwrap()
}

/// Runs and expects success with one line of JSON.
fn json(args: &[&str]) -> Value {
    let output = run(args);
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    serde_json::from_str(&stdout).unwrap()
}

fn text(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

#[test]
fn feennex_requests_and_callbacks() {
    let vectors: Value = serde_json::from_str(&vectors("feennex")).unwrap();
    for entry in vectors["requests"].as_array().unwrap() {
        let name = entry["name"].as_str().unwrap();
        let secret = entry["secret"].as_str().unwrap();
        let signed: Vec<String> = entry["signed_keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|key| {
                format!(
                    "{}={}",
                    key.as_str().unwrap(),
                    text(&entry["params"][key.as_str().unwrap()])
                )
            })
            .collect();
        let mut args = vec!["sign", "feennex", "--secret", secret];
        args.extend(signed.iter().map(String::as_str));
        let out = json(&args);
        assert_eq!(out["string_to_sign"], entry["string_to_sign"], "{name}");
        assert_eq!(out["sign"], entry["sign"], "{name}");

        // With --endpoint, unsigned text fields are given too and left out of the signature.
        // "pay form" -> "pay", "withdraw/create with ..." -> "withdraw/create".
        let endpoint = name.split([',', ' ']).next().unwrap();
        let all: Vec<String> = entry["params"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, value)| !value.is_object())
            .map(|(key, value)| format!("{key}={}", text(value)))
            .collect();
        let mut args = vec!["sign", "feennex", "--secret", secret, "--endpoint", endpoint];
        args.extend(all.iter().map(String::as_str));
        assert_eq!(json(&args)["sign"], entry["sign"], "{name} with --endpoint {endpoint}");
    }
    for entry in vectors["callbacks"].as_array().unwrap() {
        let secret = entry["secret"].as_str().unwrap();
        let body = entry["body"].as_str().unwrap();
        let out = json(&["verify", "feennex", "--secret", secret, "--body", body]);
        assert_eq!(out["shop_order_id"], "1");
        assert_eq!(out["ps_data"], r#"{"ps_payer_account": "201538122124"}"#);
        let forged = body.replace("shop_amount=1.0", "shop_amount=2.0");
        let output = run(&["verify", "feennex", "--secret", secret, "--body", &forged]);
        assert_eq!(output.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&output.stderr).contains("signature does not match"));
    }
}

#[test]
fn freekassa_form_notification_and_api() {
    let vectors: Value = serde_json::from_str(&vectors("freekassa")).unwrap();
    for entry in vectors["form"].as_array().unwrap() {
        let fields: Vec<String> = ["m", "oa", "currency", "o"]
            .iter()
            .map(|k| format!("{k}={}", text(&entry[*k])))
            .collect();
        let mut args =
            vec!["sign", "freekassa-form", "--secret1", entry["secret1"].as_str().unwrap()];
        args.extend(fields.iter().map(String::as_str));
        assert_eq!(json(&args)["sign"], entry["s"], "{}", entry["name"]);
    }
    for entry in vectors["notification"].as_array().unwrap() {
        let secret2 = entry["secret2"].as_str().unwrap();
        let parts: Vec<&str> = entry["string"].as_str().unwrap().split(':').collect();
        let (merchant, amount, order) = (parts[0], parts[1], parts[3]);
        let (m, a, o) = (
            format!("MERCHANT_ID={merchant}"),
            format!("AMOUNT={amount}"),
            format!("MERCHANT_ORDER_ID={order}"),
        );
        let out = json(&["sign", "freekassa-notification", "--secret2", secret2, &m, &a, &o]);
        assert_eq!(out["sign"], entry["SIGN"], "{}", entry["name"]);
        let body = match entry.get("body") {
            Some(body) => body.as_str().unwrap().to_owned(),
            // The vector's note: AMOUNT=100 with the SIGN of 100.00 must be refused.
            None => format!(
                "MERCHANT_ID={merchant}&AMOUNT=100&MERCHANT_ORDER_ID={order}&SIGN={}",
                text(&entry["SIGN"])
            ),
        };
        let output = run(&["verify", "freekassa", "--secret2", secret2, "--body", &body]);
        let expect_valid = entry.get("body").is_some();
        assert_eq!(
            output.status.success(),
            expect_valid,
            "{}: {}",
            entry["name"],
            String::from_utf8_lossy(&output.stderr)
        );
        if expect_valid {
            let out: Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(out["MERCHANT_ORDER_ID"], "test_order");
        } else {
            assert_eq!(output.status.code(), Some(1));
        }
    }
    for entry in vectors["api"].as_array().unwrap() {
        let fields: Vec<String> = entry["body"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={}", text(v)))
            .collect();
        let mut args =
            vec!["sign", "freekassa-api", "--api-key", entry["api_key"].as_str().unwrap()];
        args.extend(fields.iter().map(String::as_str));
        let out = json(&args);
        assert_eq!(out["string_to_sign"], entry["string_to_sign"], "{}", entry["name"]);
        assert_eq!(out["signature"], entry["signature"], "{}", entry["name"]);
    }
}

#[derive(Deserialize)]
struct FenaVectors {
    secret: String,
    terminal_id: String,
    valid: Vec<FenaValid>,
    invalid: Vec<FenaInvalid>,
}

#[derive(Deserialize)]
struct FenaValid {
    name: String,
    claims: Box<RawValue>,
    token: String,
}

#[derive(Deserialize)]
struct FenaInvalid {
    name: String,
    token: String,
}

#[test]
fn fena_tokens() {
    let vectors: FenaVectors = serde_json::from_str(&vectors("fena")).unwrap();
    for entry in &vectors.valid {
        // The claims are passed in the vector's own order, as raw JSON.
        let out =
            json(&["sign", "fena", "--secret", &vectors.secret, "--claims", entry.claims.get()]);
        assert_eq!(out["token"], entry.token.as_str(), "{}", entry.name);
        let mut args = vec![
            "verify",
            "fena",
            "--secret",
            &vectors.secret,
            "--terminal-id",
            &vectors.terminal_id,
            "--token",
            &entry.token,
        ];
        if entry.name == "payment request" {
            args.push("--link");
        }
        let verified = json(&args);
        assert_eq!(verified["orderID"], "ORDER-0001", "{}", entry.name);
    }
    assert_eq!(vectors.invalid.len(), 7);
    for entry in &vectors.invalid {
        let output = run(&[
            "verify",
            "fena",
            "--secret",
            &vectors.secret,
            "--terminal-id",
            &vectors.terminal_id,
            "--token",
            &entry.token,
        ]);
        assert_eq!(output.status.code(), Some(1), "{} must be refused", entry.name);
        assert!(!output.stderr.is_empty(), "{}: a reason on stderr", entry.name);
    }
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(run(&["sign", "feennex", "--secret", "s", "no-equals-sign"]).status.code(), Some(2));
    assert_eq!(
        run(&["sign", "feennex", "--secret", "s", "--endpoint", "nope", "a=1"]).status.code(),
        Some(2)
    );
    assert_eq!(run(&["sign", "freekassa-form", "--secret1", "s", "m=1"]).status.code(), Some(2));
    assert_eq!(run(&["sign", "feennex"]).status.code(), Some(2), "missing secret");
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn secrets_can_come_from_the_environment() {
    let output = Command::new(env!("CARGO_BIN_EXE_payments"))
        .args(["sign", "feennex", "a=1"])
        .env_clear()
        .env("FEENNEX_SECRET", "SecretKey01")
        .output()
        .unwrap();
    assert!(output.status.success());
    let out: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(out["string_to_sign"], "1");
}

#[test]
fn the_demo_passes_every_step() {
    let output = run(&["demo"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("0 failed") && !stdout.contains("FAIL "), "{stdout}");
    for gateway in ["feennex", "freekassa", "fena"] {
        assert!(stdout.lines().any(|line| line == gateway), "{gateway} missing from\n{stdout}");
    }
    // The Fena Toolkit flows: a payment confirmed by fetching, a standing order's two
    // scheduled payments each handled once and a redelivery not handled again.
    for step in [
        "ok    webhook confirmed by fetching the payment",
        "ok    clock advanced: scheduled payment 1 notified and handled once",
        "ok    clock advanced: scheduled payment 2 notified and handled once",
        "ok    the last payment's webhook redelivered",
        "ok    cancel attempted: Unsupported",
    ] {
        assert!(stdout.contains(step), "{step} missing from\n{stdout}");
    }
}

#[test]
fn the_demo_runs_a_freekassa_subscription_through_the_facade() {
    let output = run(&["demo"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let section: Vec<&str> =
        stdout.lines().skip_while(|line| *line != "freekassa subscription").collect();
    let steps = |words: &str| section.iter().filter(|line| line.contains(words)).count();
    assert_eq!(steps("ok    payer pays the first charge on the checkout page"), 1, "{stdout}");
    assert_eq!(steps("ok    charge_subscription "), 2, "{stdout}");
    assert_eq!(steps("ok    merchant handled charge"), 2, "{stdout}");
    assert_eq!(
        steps("ok    same notification delivered again: acknowledged with YES"),
        2,
        "{stdout}"
    );
    assert_eq!(steps("ok    cancel the subscription: Unsupported, as expected"), 1, "{stdout}");
}
