//! Shop credentials and where the API lives.

use payments_core::http_url::EndpointUrls;
use payments_core::{InputError, SecretString};
use url::Url;

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://core.feennex.com/";

/// A Feennex shop: its id, its secret key and the API base URL.
///
/// `Debug` never shows the secret.
///
/// ```
/// let config = feennex::Config::new(5, "SecretKey01").with_base_url("http://127.0.0.1:8080/feennex")?;
/// assert_eq!(config.base_url().as_str(), "http://127.0.0.1:8080/feennex/");
/// assert!(!format!("{config:?}").contains("SecretKey01"));
/// # Ok::<(), payments_core::InputError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    shop_id: u64,
    secret: SecretString,
    base_url: Url,
    /// `base_url` joined with each endpoint used so far.
    endpoint_urls: EndpointUrls,
    pay_form_url: Option<Url>,
}

impl Config {
    /// A shop with the production base URL.
    ///
    /// The secret is anything that becomes a [`SecretString`]: a `&str`, a `String`, or a
    /// `SecretString` read from configuration (it is moved in, never exposed and re-wrapped).
    pub fn new(shop_id: u64, secret: impl Into<SecretString>) -> Self {
        #[allow(clippy::expect_used, reason = "a constant, checked by a unit test")]
        let base_url = Url::parse(DEFAULT_BASE_URL).expect("DEFAULT_BASE_URL is a valid URL");
        Self {
            shop_id,
            secret: secret.into(),
            base_url,
            endpoint_urls: EndpointUrls::default(),
            pay_form_url: None,
        }
    }

    /// Uses another base URL (a sandbox, a proxy). A missing trailing slash is added, so
    /// endpoint paths are appended rather than replacing the last segment.
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] naming `base_url` when it is not an absolute http(s) URL.
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, InputError> {
        self.base_url = payments_core::http_url::base_url("base_url", base_url)?;
        self.endpoint_urls = EndpointUrls::default();
        Ok(self)
    }

    /// Sets the URL of the hosted payment form (Feennex does not publish its host).
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] naming `pay_form_url` when it is not an absolute http(s) URL.
    pub fn with_pay_form_url(mut self, url: &str) -> Result<Self, InputError> {
        self.pay_form_url = Some(payments_core::http_url::http_url("pay_form_url", url)?);
        Ok(self)
    }

    /// The URL of the hosted payment form, if configured.
    pub fn pay_form_url(&self) -> Option<&Url> {
        self.pay_form_url.as_ref()
    }

    /// The shop id.
    pub fn shop_id(&self) -> u64 {
        self.shop_id
    }

    /// The secret key.
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }

    /// The API base URL, ending in `/`.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The URL of `endpoint` (`bill/create`).
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] if the endpoint cannot be joined to the base URL.
    pub fn endpoint_url(&self, endpoint: &str) -> Result<std::sync::Arc<Url>, InputError> {
        self.endpoint_urls.join(&self.base_url, endpoint).map_err(|error| {
            InputError::field("base_url", format!("cannot join {endpoint:?}: {error}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_base_url_is_valid_and_joins_endpoints() {
        let config = Config::new(1, "x");
        assert_eq!(
            config.endpoint_url("bill/create").unwrap().as_str(),
            "https://core.feennex.com/bill/create"
        );
    }

    #[test]
    fn base_url_keeps_its_path() {
        let config = Config::new(1, "x");
        // Joined under the default base first: a new base URL must not reuse that join.
        assert!(config.endpoint_url("bill/create").unwrap().as_str().starts_with("https://"));
        let config = config.with_base_url("http://127.0.0.1:1/feennex").unwrap();
        assert_eq!(
            config.endpoint_url("bill/create").unwrap().as_str(),
            "http://127.0.0.1:1/feennex/bill/create"
        );
    }

    #[test]
    fn base_url_must_be_http() {
        assert!(Config::new(1, "x").with_base_url("ftp://example.com/").is_err());
        assert!(Config::new(1, "x").with_base_url("not a url").is_err());
        assert!(Config::new(1, "x").with_base_url("mailto:a@b.c").is_err());
    }
}
