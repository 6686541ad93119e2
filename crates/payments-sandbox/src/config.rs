//! Which shops the sandbox knows, and how it behaves.

use payments_core::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The sandbox's shops and rules. [`SandboxConfig::demo`] has one shop per gateway with the
/// credentials of the project's public test vectors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SandboxConfig {
    /// Feennex shops.
    #[serde(default)]
    pub feennex: Vec<FeennexShop>,
    /// Refuse a second payment with the same shop order id (Feennex's "Check uniqueness of
    /// payments" setting, Freekassa's `paymentId`).
    #[serde(default = "yes")]
    pub unique_order_ids: bool,
    /// How many times a notification is delivered before giving up.
    #[serde(default = "default_attempts")]
    pub notification_attempts: u32,
    /// The wait before the second delivery, in milliseconds; it doubles each time.
    #[serde(default = "default_backoff_ms")]
    pub notification_backoff_ms: u64,
}

/// A Feennex shop.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FeennexShop {
    /// The shop id.
    pub shop_id: u64,
    /// The secret key.
    pub secret: SecretString,
    /// The shop-settings notification URL, used when a request gives none.
    #[serde(default)]
    pub callback_url: Option<String>,
}

fn yes() -> bool {
    true
}

fn default_attempts() -> u32 {
    5
}

fn default_backoff_ms() -> u64 {
    200
}

impl SandboxConfig {
    /// The demo shops: Feennex shop 5 with secret `SecretKey01`.
    pub fn demo() -> Self {
        Self {
            feennex: vec![FeennexShop {
                shop_id: 5,
                secret: SecretString::from("SecretKey01"),
                callback_url: None,
            }],
            unique_order_ids: true,
            notification_attempts: default_attempts(),
            notification_backoff_ms: default_backoff_ms(),
        }
    }

    /// Reads a configuration from JSON.
    ///
    /// # Errors
    ///
    /// A message naming what is wrong.
    pub fn from_json(json: &str) -> Result<Self, String> {
        serde_json::from_str(json).map_err(|error| error.to_string())
    }

    /// The Feennex shop with `shop_id`.
    pub fn feennex_shop(&self, shop_id: &str) -> Option<&FeennexShop> {
        self.feennex.iter().find(|shop| shop.shop_id.to_string() == shop_id)
    }

    /// A human-readable list of the shops and their credentials, for the command line.
    pub fn describe(&self) -> Vec<String> {
        self.feennex
            .iter()
            .map(|shop| {
                format!("feennex shop_id={} secret={}", shop.shop_id, shop.secret.expose_secret())
            })
            .collect()
    }
}
