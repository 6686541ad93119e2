//! Shop credentials and where the payment form and the API live.

use payments_core::http_url::{EndpointUrls, base_url};
use payments_core::{InputError, SecretString};
use url::Url;

/// The payment form (SCI) host.
pub const DEFAULT_FORM_URL: &str = "https://pay.fk.money/";

/// The API v1 base URL.
pub const DEFAULT_API_URL: &str = "https://api.fk.life/v1/";

/// A Freekassa shop: its id, the three credentials and the two base URLs.
///
/// Each credential has one use, and mixing them up is the classic Freekassa bug:
///
/// | credential | used for |
/// |---|---|
/// | secret word 1 ([`Config::with_secret1`]) | the payment form signature `s` |
/// | secret word 2 ([`Config::with_secret2`]) | checking the notification `SIGN` |
/// | API key ([`Config::with_api_key`]) | the HMAC-SHA256 `signature` of API v1 requests |
///
/// Only what a shop uses needs to be set; using a missing one is an [`InputError`] naming it.
/// Each setter takes anything that becomes a [`SecretString`] (`&str`, `String`, or a
/// `SecretString` read from configuration, moved in without being exposed). `Debug` never
/// shows any of them.
///
/// ```
/// let config = freekassa::Config::new(7012)
///     .with_secret1("form-secret")
///     .with_secret2("notify-secret")
///     .with_api_key("api-key")
///     .with_api_url("http://127.0.0.1:8080/fk")?;
/// assert_eq!(config.api_url().as_str(), "http://127.0.0.1:8080/fk/");
/// assert_eq!(config.form_url().as_str(), "https://pay.fk.money/");
/// let debug = format!("{config:?}");
/// assert!(!debug.contains("form-secret") && !debug.contains("api-key"));
/// # Ok::<(), payments_core::InputError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    shop_id: u64,
    secret1: Option<SecretString>,
    secret2: Option<SecretString>,
    api_key: Option<SecretString>,
    form_url: Url,
    api_url: Url,
    /// `api_url` joined with each endpoint used so far.
    endpoint_urls: EndpointUrls,
}

impl Config {
    /// A shop with the default hosts and no credentials yet.
    pub fn new(shop_id: u64) -> Self {
        Self {
            shop_id,
            secret1: None,
            secret2: None,
            api_key: None,
            form_url: constant_url(DEFAULT_FORM_URL),
            api_url: constant_url(DEFAULT_API_URL),
            endpoint_urls: EndpointUrls::default(),
        }
    }

    /// Sets secret word 1 ("Секретное слово"), which signs payment form links.
    #[must_use]
    pub fn with_secret1(mut self, secret: impl Into<SecretString>) -> Self {
        self.secret1 = Some(secret.into());
        self
    }

    /// Sets secret word 2 ("Секретное слово 2"), which signs notifications.
    #[must_use]
    pub fn with_secret2(mut self, secret: impl Into<SecretString>) -> Self {
        self.secret2 = Some(secret.into());
        self
    }

    /// Sets the API key, which signs API v1 requests.
    #[must_use]
    pub fn with_api_key(mut self, key: impl Into<SecretString>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Uses another payment form host (the hosts are aliases of one service and have moved
    /// before: `pay.freekassa.com`, `pay.freekassa.net`).
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] naming `form_url` when it is not an absolute http(s) URL.
    pub fn with_form_url(mut self, url: &str) -> Result<Self, InputError> {
        self.form_url = base_url("form_url", url)?;
        Ok(self)
    }

    /// Uses another API base URL (a sandbox, a proxy, `https://api.freekassa.com/v1/`). A
    /// missing trailing slash is added, so endpoint paths are appended to it.
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] naming `api_url` when it is not an absolute http(s) URL.
    pub fn with_api_url(mut self, url: &str) -> Result<Self, InputError> {
        self.api_url = base_url("api_url", url)?;
        self.endpoint_urls = EndpointUrls::default();
        Ok(self)
    }

    /// The shop id (`m` on the form, `MERCHANT_ID` in notifications, `shopId` in the API).
    pub fn shop_id(&self) -> u64 {
        self.shop_id
    }

    /// Secret word 1.
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] naming `secret1` when it was not set.
    pub fn secret1(&self) -> Result<&SecretString, InputError> {
        self.secret1.as_ref().ok_or_else(|| missing("secret1", "with_secret1"))
    }

    /// Secret word 2.
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] naming `secret2` when it was not set.
    pub fn secret2(&self) -> Result<&SecretString, InputError> {
        self.secret2.as_ref().ok_or_else(|| missing("secret2", "with_secret2"))
    }

    /// The API key.
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] naming `api_key` when it was not set.
    pub fn api_key(&self) -> Result<&SecretString, InputError> {
        self.api_key.as_ref().ok_or_else(|| missing("api_key", "with_api_key"))
    }

    /// The payment form URL.
    pub fn form_url(&self) -> &Url {
        &self.form_url
    }

    /// The API base URL, ending in `/`.
    pub fn api_url(&self) -> &Url {
        &self.api_url
    }

    /// The URL of an API endpoint (`orders/create`).
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] if the endpoint cannot be joined to the base URL.
    pub fn endpoint_url(&self, endpoint: &str) -> Result<std::sync::Arc<Url>, InputError> {
        self.endpoint_urls.join(&self.api_url, endpoint).map_err(|error| {
            InputError::field("api_url", format!("cannot join {endpoint:?}: {error}"))
        })
    }
}

fn missing(field: &'static str, setter: &str) -> InputError {
    InputError::field(field, format!("is not configured (set it with Config::{setter})"))
}

fn constant_url(text: &str) -> Url {
    #[allow(
        clippy::expect_used,
        reason = "only called with the constants above, checked by a unit test"
    )]
    Url::parse(text).expect("built-in URL constants are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_hosts() {
        let config = Config::new(1);
        assert_eq!(config.form_url().as_str(), "https://pay.fk.money/");
        assert_eq!(
            config.endpoint_url("orders/create").unwrap().as_str(),
            "https://api.fk.life/v1/orders/create"
        );
    }

    #[test]
    fn api_url_keeps_its_path() {
        let config = Config::new(1).with_api_url("http://127.0.0.1:1/fk/v1").unwrap();
        assert_eq!(
            config.endpoint_url("currencies/36/status").unwrap().as_str(),
            "http://127.0.0.1:1/fk/v1/currencies/36/status"
        );
    }

    #[test]
    fn urls_must_be_http() {
        assert!(Config::new(1).with_api_url("ftp://example.com/").is_err());
        assert!(Config::new(1).with_form_url("not a url").is_err());
        assert!(Config::new(1).with_form_url("mailto:a@b.c").is_err());
    }

    #[test]
    fn missing_credentials_are_named() {
        let config = Config::new(1);
        assert!(config.secret1().unwrap_err().to_string().contains("secret1"));
        assert!(config.secret2().unwrap_err().to_string().contains("secret2"));
        assert!(config.api_key().unwrap_err().to_string().contains("api_key"));
    }
}
