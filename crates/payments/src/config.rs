//! Which gateway to use, read from a file or the environment.

#[cfg(any(feature = "feennex", feature = "freekassa", feature = "fena"))]
use payments_core::SecretString;
use serde::Deserialize;

use crate::error::ConfigError;

/// The configuration of one gateway, chosen at run time.
///
/// In a file (JSON shown; any serde format works), the `gateway` key picks the variant:
///
/// ```
/// # #[cfg(feature = "feennex")] {
/// let config = payments::GatewayConfig::from_json(r#"{"gateway": "feennex", "shop_id": 5, "secret": "SecretKey01"}"#)?;
/// assert_eq!(config.gateway(), payments::GatewayId::Feennex);
/// # }
/// # Ok::<(), payments::ConfigError>(())
/// ```
///
/// Secrets are `SecretString`: they never appear in `Debug`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "gateway", rename_all = "lowercase")]
#[non_exhaustive]
pub enum GatewayConfig {
    /// Feennex.
    #[cfg(feature = "feennex")]
    Feennex(FeennexSettings),
    /// Fena.
    #[cfg(feature = "fena")]
    Fena(FenaSettings),
    /// Freekassa.
    #[cfg(feature = "freekassa")]
    Freekassa(FreekassaSettings),
}

/// Freekassa credentials. Each secret is needed only by what uses it: secret word 1 for
/// payment-form links, secret word 2 for notifications, the API key for API v1.
#[cfg(feature = "freekassa")]
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct FreekassaSettings {
    /// The shop id (`m`, `MERCHANT_ID`, `shopId`).
    #[serde(deserialize_with = "lenient_u64")]
    pub shop_id: u64,
    /// Secret word 1 (payment form).
    #[serde(default)]
    pub secret1: Option<SecretString>,
    /// Secret word 2 (notifications).
    #[serde(default)]
    pub secret2: Option<SecretString>,
    /// The API key (API v1).
    #[serde(default)]
    pub api_key: Option<SecretString>,
    /// The payment form's URL (default: production).
    #[serde(default)]
    pub form_url: Option<String>,
    /// The API base URL (default: production).
    #[serde(default)]
    pub api_url: Option<String>,
    /// Addresses or CIDR ranges notifications may come from (default: Freekassa's list).
    #[serde(default)]
    pub notification_sources: Option<Vec<String>>,
    /// Proxies in front of the shop whose `X-Forwarded-For` / `X-Real-IP` are believed.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// The currency notifications are reported in (Freekassa's notification names none;
    /// default RUB).
    #[serde(default)]
    pub currency: Option<String>,
}

#[cfg(feature = "fena")]
/// Fena credentials: the terminal (JWT payment links and webhooks), and optionally the
/// Toolkit REST API (payments created server-side, webhooks confirmed by fetching them).
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct FenaSettings {
    /// The terminal id.
    pub terminal_id: String,
    /// The terminal secret.
    pub terminal_secret: SecretString,
    /// The pay page's base URL (default: production).
    #[serde(default)]
    pub pay_url: Option<String>,
    /// The Toolkit API; when set, payments are created through it.
    #[serde(default)]
    pub toolkit: Option<FenaToolkitSettings>,
}

/// Fena Toolkit API credentials.
#[cfg(feature = "fena")]
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct FenaToolkitSettings {
    /// The integration id.
    pub integration_id: String,
    /// The integration secret key.
    pub secret_key: SecretString,
    /// The API base URL (default: production).
    #[serde(default)]
    pub base_url: Option<String>,
}

/// Feennex credentials.
#[cfg(feature = "feennex")]
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct FeennexSettings {
    /// The shop id.
    #[serde(deserialize_with = "lenient_u64")]
    pub shop_id: u64,
    /// The shop's secret key.
    pub secret: SecretString,
    /// The API base URL (default: production).
    #[serde(default)]
    pub base_url: Option<String>,
    /// The hosted payment form's URL, if used.
    #[serde(default)]
    pub pay_form_url: Option<String>,
}

impl GatewayConfig {
    /// Reads a configuration from JSON.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Parse`] naming what is wrong (never echoing a secret).
    pub fn from_json(json: &str) -> Result<Self, ConfigError> {
        no_gateway_compiled()?;
        serde_json::from_str(json).map_err(|error| ConfigError::Parse(redacted(&error)))
    }

    /// Reads a configuration from `PAYMENTS_*` environment variables: `PAYMENTS_GATEWAY`
    /// picks the gateway, and each setting is `PAYMENTS_<SETTING>` in upper case
    /// (`PAYMENTS_SHOP_ID`, `PAYMENTS_SECRET`, `PAYMENTS_BASE_URL`, ...). Nested settings
    /// (Fena's `toolkit`) are read from a file instead.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Parse`] for a missing or invalid variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars())
    }

    /// Like [`GatewayConfig::from_env`], from any list of variables (for tests).
    ///
    /// ```
    /// # #[cfg(feature = "feennex")] {
    /// let vars = [("PAYMENTS_GATEWAY", "feennex"), ("PAYMENTS_SHOP_ID", "5"), ("PAYMENTS_SECRET", "k")];
    /// let config = payments::GatewayConfig::from_vars(vars.map(|(k, v)| (k.to_owned(), v.to_owned())))?;
    /// assert_eq!(config.gateway(), payments::GatewayId::Feennex);
    /// # }
    /// # Ok::<(), payments::ConfigError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`GatewayConfig::from_env`].
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        no_gateway_compiled()?;
        let object: serde_json::Map<String, serde_json::Value> = vars
            .into_iter()
            .filter_map(|(key, value)| {
                let name = key.strip_prefix("PAYMENTS_")?.to_ascii_lowercase();
                Some((name, serde_json::Value::String(value)))
            })
            .collect();
        serde_json::from_value(serde_json::Value::Object(object))
            .map_err(|error| ConfigError::Parse(redacted(&error)))
    }

    /// Which gateway this configures.
    pub fn gateway(&self) -> payments_core::GatewayId {
        match *self {
            #[cfg(feature = "feennex")]
            Self::Feennex(_) => payments_core::GatewayId::Feennex,
            #[cfg(feature = "fena")]
            Self::Fena(_) => payments_core::GatewayId::Fena,
            #[cfg(feature = "freekassa")]
            Self::Freekassa(_) => payments_core::GatewayId::Freekassa,
        }
    }
}

/// With no gateway feature there is nothing to configure: say which features to enable
/// rather than serde's "unknown variant".
fn no_gateway_compiled() -> Result<(), ConfigError> {
    if cfg!(any(feature = "feennex", feature = "freekassa", feature = "fena")) {
        Ok(())
    } else {
        Err(ConfigError::Parse(
            "no gateway is compiled in: enable the `feennex`, `freekassa` or `fena` feature \
             (or `full`) of the payments crate"
                .to_owned(),
        ))
    }
}

/// serde's messages quote unexpected values; a secret put in the wrong field must not leak
/// through them, so only the message's kind and location are kept.
fn redacted(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let Some(first_quote) = text.find(['"', '`']) else { return text };
    let head = text.get(..first_quote).unwrap_or_default();
    let tail = text.rfind(", expected").and_then(|at| text.get(at..)).unwrap_or_default();
    format!("{head}<hidden>{tail}")
}

#[cfg(any(feature = "feennex", feature = "freekassa"))]
/// Reads a `u64` from a JSON number or a string of digits (environment variables are text).
fn lenient_u64<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Number(u64),
        Text(String),
    }
    match NumberOrText::deserialize(deserializer)? {
        NumberOrText::Number(number) => Ok(number),
        NumberOrText::Text(text) => text.trim().parse().map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    #[cfg(not(any(feature = "feennex", feature = "freekassa", feature = "fena")))]
    #[test]
    fn with_no_gateway_compiled_reading_a_config_names_the_features() {
        let error = super::GatewayConfig::from_json(r#"{"gateway": "feennex"}"#).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("`feennex`") && text.contains("`freekassa`"), "{text}");
        assert!(super::GatewayConfig::from_vars(Vec::new()).is_err());
    }
}
