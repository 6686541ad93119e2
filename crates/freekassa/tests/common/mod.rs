//! Shared test helpers: a client on a mock server with predictable nonces.
#![allow(dead_code, reason = "each test file uses a part of the helpers")]

#[cfg(feature = "client")]
use std::sync::Arc;
#[cfg(feature = "client")]
use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(feature = "client")]
use freekassa::nonce::{NonceError, NonceSource};
#[cfg(feature = "client")]
use freekassa::{Client, Config};
#[cfg(feature = "client")]
use httpmock::MockServer;
#[cfg(feature = "client")]
use payments_core::transport::ClientOptions;

pub const API_KEY: &str = "test_api_key";

/// Nonces from `start` up, so bodies and signatures can be compared with fixed values.
#[cfg(feature = "client")]
#[derive(Debug)]
pub struct FixedNonces(pub AtomicU64);

#[cfg(feature = "client")]
#[async_trait::async_trait]
impl NonceSource for FixedNonces {
    async fn next_nonce(&self) -> Result<u64, NonceError> {
        Ok(self.0.fetch_add(1, Ordering::SeqCst))
    }
}

#[cfg(feature = "client")]
pub fn config(server: &MockServer) -> Config {
    Config::new(777).with_api_key(API_KEY).with_api_url(&server.url("/v1/")).unwrap()
}

/// A client whose first nonce is `first_nonce`.
#[cfg(feature = "client")]
pub fn client(server: &MockServer, first_nonce: u64) -> Client {
    client_with(server, first_nonce, &ClientOptions::default())
}

/// A client with `options` whose first nonce is `first_nonce`.
#[cfg(feature = "client")]
pub fn client_with(server: &MockServer, first_nonce: u64, options: &ClientOptions) -> Client {
    Client::with_options(config(server), options)
        .unwrap()
        .with_nonce_source(Arc::new(FixedNonces(AtomicU64::new(first_nonce))))
}

pub fn vectors() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/vectors/freekassa.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The API vector called `name`.
pub fn api_vector(name: &str) -> serde_json::Value {
    vectors()["api"].as_array().unwrap().iter().find(|v| v["name"] == name).unwrap().clone()
}
