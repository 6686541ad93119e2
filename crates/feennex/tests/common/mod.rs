//! Helpers shared by the Feennex integration tests.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use feennex::{Client, Config};
use httpmock::MockServer;
use payments_core::clock::FixedClock;
use payments_core::transport::{ClientOptions, RetryPolicy};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const SECRET: &str = "SecretKey01";

/// The time Feennex's own example request was made: `2024-05-01 16:56:25.009469` UTC.
pub fn example_now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_micros(1_714_582_585_009_469)
}

pub const EXAMPLE_NOW_TEXT: &str = "2024-05-01 16:56:25.009469";

/// The signature computed here, independently of the SDK's signer: SHA-256 of the string
/// written out by hand, plus the secret.
pub fn sha256_sign(string_to_sign: &str) -> String {
    Sha256::digest(format!("{string_to_sign}{SECRET}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn client_for(server: &MockServer, shop_id: u64) -> Client {
    client_at(&server.base_url(), shop_id)
}

pub fn client_at(base_url: &str, shop_id: u64) -> Client {
    let config = Config::new(shop_id, SECRET).with_base_url(base_url).unwrap();
    let options = ClientOptions::default().timeout(Duration::from_millis(500)).retry_policy(
        RetryPolicy::standard().with_backoff(Duration::from_millis(1), Duration::from_millis(2)),
    );
    Client::with_options(config, &options).unwrap().with_clock(Arc::new(FixedClock(example_now())))
}

pub fn ok(data: Value) -> Value {
    json!({"data": data, "error_code": 0, "message": "Ok", "result": true})
}

pub fn failure(code: i64, message: &str) -> Value {
    json!({"data": null, "error_code": code, "message": message, "result": false})
}
