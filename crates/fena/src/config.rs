//! Credentials and where things live: the terminal (JWT flow) and the Toolkit REST API.

use std::sync::Arc;
use std::time::Duration;

use http::HeaderName;
use payments_core::http_url::{self, http_url};
use payments_core::{InputError, SecretString};
use url::Url;

use crate::amount::AmountBounds;
use crate::clock::{Clock, SystemClock};

/// Fena's hosted pay page; the signed token is appended as `?token=`.
pub const DEFAULT_PAY_URL: &str = "https://app.fena.co/pay/";

/// How long a payment link is valid: 2 hours, as in Fena's example and all its SDKs.
pub const DEFAULT_LINK_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

/// Clock skew tolerated when checking a webhook token's `exp`, `nbf` and `iat`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// The largest webhook body read. A Fena webhook token is well under 1 KiB.
pub const DEFAULT_MAX_WEBHOOK_BYTES: usize = 16 * 1024;

/// The Toolkit REST API in production.
pub const TOOLKIT_BASE_URL: &str = "https://epos.api.fena.co/";

/// Another production host of the Toolkit API, used by third-party integrations; which of the
/// two hosts is canonical is not documented.
pub const TOOLKIT_PROD_GCP_BASE_URL: &str = "https://epos.api.prod-gcp.fena.co/";

/// The Toolkit REST API in staging.
pub const TOOLKIT_STAGING_BASE_URL: &str = "https://epos.api.staging.fena.co/";

fn constant_url(text: &str) -> Url {
    #[allow(clippy::expect_used, reason = "constants, checked by a unit test")]
    Url::parse(text).expect("built-in URLs are valid")
}

/// A Fena terminal for the JWT flow: its id and secret, the pay page, and the rules used to
/// issue payment links and to verify webhook tokens.
///
/// `Debug` never shows the secret.
///
/// ```
/// use std::time::Duration;
///
/// let config = fena::Config::new("4af9b080-b6d3-4206-a10f-f2162f15b655", "terminal-secret")
///     .with_pay_url("https://staging.example/pay/")?
///     .with_link_lifetime(Duration::from_secs(30 * 60))
///     .with_leeway(Duration::from_secs(30));
/// assert_eq!(config.pay_url().as_str(), "https://staging.example/pay/");
/// assert!(!format!("{config:?}").contains("terminal-secret"));
/// # Ok::<(), payments_core::InputError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    terminal_id: String,
    terminal_secret: SecretString,
    /// The HS512 key of `terminal_secret`, made once.
    signing_key: crate::sign::SigningKey,
    pay_url: Url,
    amount_bounds: AmountBounds,
    link_lifetime: Duration,
    leeway: Duration,
    require_payment_id: bool,
    max_webhook_bytes: usize,
    clock: Arc<dyn Clock>,
}

impl Config {
    /// A terminal with the default pay page, bounds, lifetime, leeway and the system clock.
    ///
    /// The secret is used as the UTF-8 bytes of the string, exactly as Fena's SDKs do (it is
    /// not base64- or hex-decoded). It is anything that becomes a [`SecretString`]: a `&str`,
    /// a `String`, or a `SecretString` read from configuration (moved in, never exposed).
    pub fn new(terminal_id: impl Into<String>, terminal_secret: impl Into<SecretString>) -> Self {
        let terminal_secret = terminal_secret.into();
        Self {
            terminal_id: terminal_id.into(),
            signing_key: crate::sign::SigningKey::new(&terminal_secret),
            terminal_secret,
            pay_url: constant_url(DEFAULT_PAY_URL),
            amount_bounds: AmountBounds::DEFAULT,
            link_lifetime: DEFAULT_LINK_LIFETIME,
            leeway: DEFAULT_LEEWAY,
            require_payment_id: true,
            max_webhook_bytes: DEFAULT_MAX_WEBHOOK_BYTES,
            clock: Arc::new(SystemClock),
        }
    }

    /// Uses another pay page (a staging host, the historical `https://app.faizpay.com/pay`).
    /// The URL is used as given; `token` is added to its query.
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] naming `pay_url` when it is not an absolute http(s) URL.
    pub fn with_pay_url(mut self, pay_url: &str) -> Result<Self, InputError> {
        self.pay_url = http_url("pay_url", pay_url)?;
        Ok(self)
    }

    /// Replaces the amount range for payment links (see [`AmountBounds`] for why it is
    /// configurable).
    #[must_use]
    pub fn with_amount_bounds(mut self, bounds: AmountBounds) -> Self {
        self.amount_bounds = bounds;
        self
    }

    /// How long issued payment links stay valid (`exp - iat`).
    #[must_use]
    pub fn with_link_lifetime(mut self, lifetime: Duration) -> Self {
        self.link_lifetime = lifetime;
        self
    }

    /// The clock skew tolerated on webhook tokens: `exp` may have passed by this much, and
    /// `iat`/`nbf` may be this far in the future.
    #[must_use]
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Whether a webhook token must carry Fena's payment `id` (default: yes, as every
    /// official Fena SDK requires; the documentation's claim table omits it).
    #[must_use]
    pub fn with_required_payment_id(mut self, required: bool) -> Self {
        self.require_payment_id = required;
        self
    }

    /// The largest webhook body that is read.
    #[must_use]
    pub fn with_max_webhook_bytes(mut self, limit: usize) -> Self {
        self.max_webhook_bytes = limit;
        self
    }

    /// Replaces the clock (for tests and reproducible tokens).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The terminal id (`terminalID` in links, `terminal` in webhooks).
    pub fn terminal_id(&self) -> &str {
        &self.terminal_id
    }

    /// The terminal secret.
    pub fn terminal_secret(&self) -> &SecretString {
        &self.terminal_secret
    }

    /// The HS512 key of the terminal secret, made once ([`crate::sign::sign_with`]).
    pub fn signing_key(&self) -> &crate::sign::SigningKey {
        &self.signing_key
    }

    /// The pay page.
    pub fn pay_url(&self) -> &Url {
        &self.pay_url
    }

    /// The amount range for payment links.
    pub fn amount_bounds(&self) -> &AmountBounds {
        &self.amount_bounds
    }

    /// The lifetime of issued payment links.
    pub fn link_lifetime(&self) -> Duration {
        self.link_lifetime
    }

    /// The leeway for webhook token times.
    pub fn leeway(&self) -> Duration {
        self.leeway
    }

    /// Whether webhook tokens must carry `id`.
    pub fn requires_payment_id(&self) -> bool {
        self.require_payment_id
    }

    /// The webhook body limit.
    pub fn max_webhook_bytes(&self) -> usize {
        self.max_webhook_bytes
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }
}

/// The names of the two headers that authenticate Toolkit requests.
///
/// Fena's own plugins send `integration-id` and `secret-key` ([`AuthHeaders::integration`],
/// the default); the Toolkit partner documentation names them `terminal-id` and
/// `terminal-secret` ([`AuthHeaders::terminal`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHeaders {
    id: HeaderName,
    secret: HeaderName,
}

impl Default for AuthHeaders {
    fn default() -> Self {
        Self::integration()
    }
}

impl AuthHeaders {
    /// `integration-id` and `secret-key`.
    pub fn integration() -> Self {
        Self {
            id: HeaderName::from_static("integration-id"),
            secret: HeaderName::from_static("secret-key"),
        }
    }

    /// `terminal-id` and `terminal-secret`.
    pub fn terminal() -> Self {
        Self {
            id: HeaderName::from_static("terminal-id"),
            secret: HeaderName::from_static("terminal-secret"),
        }
    }

    /// Any two header names.
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] naming `auth_headers` for a name that is not a valid header name
    /// or two equal names.
    pub fn custom(id: &str, secret: &str) -> Result<Self, InputError> {
        let parse = |name: &str| {
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                InputError::field("auth_headers", format!("{name:?} is not a header name"))
            })
        };
        let (id, secret) = (parse(id)?, parse(secret)?);
        if id == secret {
            return Err(InputError::field("auth_headers", "the two names must differ"));
        }
        Ok(Self { id, secret })
    }

    /// The header carrying the id.
    pub fn id(&self) -> &HeaderName {
        &self.id
    }

    /// The header carrying the secret key (always sent marked sensitive).
    pub fn secret(&self) -> &HeaderName {
        &self.secret
    }
}

/// Credentials and base URL of the Toolkit REST API.
///
/// `Debug` never shows the secret key.
///
/// ```
/// use fena::{AuthHeaders, ToolkitConfig};
///
/// let config = ToolkitConfig::new("62b48adf6ba2cd6a040b1eec", "secret-key-value")
///     .with_base_url("http://127.0.0.1:8080/fena")?
///     .with_auth_headers(AuthHeaders::terminal());
/// assert_eq!(config.base_url().as_str(), "http://127.0.0.1:8080/fena/");
/// assert!(!format!("{config:?}").contains("secret-key-value"));
/// # Ok::<(), payments_core::InputError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ToolkitConfig {
    base_url: Url,
    integration_id: String,
    secret_key: SecretString,
    auth_headers: AuthHeaders,
    max_webhook_bytes: usize,
}

impl ToolkitConfig {
    /// The production API with the `integration-id` / `secret-key` headers. The secret key is
    /// anything that becomes a [`SecretString`] (`&str`, `String`, `SecretString`).
    pub fn new(integration_id: impl Into<String>, secret_key: impl Into<SecretString>) -> Self {
        Self {
            base_url: constant_url(TOOLKIT_BASE_URL),
            integration_id: integration_id.into(),
            secret_key: secret_key.into(),
            auth_headers: AuthHeaders::integration(),
            max_webhook_bytes: DEFAULT_MAX_WEBHOOK_BYTES,
        }
    }

    /// Uses another base URL (staging, a proxy, a mock). A missing trailing slash is added,
    /// so endpoint paths are appended to it.
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] naming `base_url` when it is not an absolute http(s) URL.
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, InputError> {
        self.base_url = http_url::base_url("base_url", base_url)?;
        Ok(self)
    }

    /// Uses other authentication header names.
    #[must_use]
    pub fn with_auth_headers(mut self, headers: AuthHeaders) -> Self {
        self.auth_headers = headers;
        self
    }

    /// The largest Toolkit webhook body that is read.
    #[must_use]
    pub fn with_max_webhook_bytes(mut self, limit: usize) -> Self {
        self.max_webhook_bytes = limit;
        self
    }

    /// The base URL, ending in `/`.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The integration (terminal) id.
    pub fn integration_id(&self) -> &str {
        &self.integration_id
    }

    /// The secret key.
    pub fn secret_key(&self) -> &SecretString {
        &self.secret_key
    }

    /// The authentication header names.
    pub fn auth_headers(&self) -> &AuthHeaders {
        &self.auth_headers
    }

    /// The Toolkit webhook body limit.
    pub fn max_webhook_bytes(&self) -> usize {
        self.max_webhook_bytes
    }

    /// The URL of the endpoint made of `segments` (each percent-encoded as one path segment).
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] naming `base_url` if the base cannot take path segments.
    pub fn endpoint_url(&self, segments: &[&str]) -> Result<Url, InputError> {
        let mut url = self.base_url.clone();
        url.path_segments_mut()
            .map_err(|()| InputError::field("base_url", "cannot take path segments"))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_urls_are_valid() {
        assert_eq!(Config::new("t", "s").pay_url().as_str(), DEFAULT_PAY_URL);
        assert_eq!(ToolkitConfig::new("i", "s").base_url().as_str(), TOOLKIT_BASE_URL);
        assert!(Url::parse(TOOLKIT_STAGING_BASE_URL).is_ok());
        assert!(Url::parse(TOOLKIT_PROD_GCP_BASE_URL).is_ok());
    }

    #[test]
    fn endpoint_segments_are_encoded_and_appended() {
        let config = ToolkitConfig::new("i", "s").with_base_url("http://127.0.0.1:1/fena").unwrap();
        let url = config.endpoint_url(&["open", "payments", "single", "a/b?c"]).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:1/fena/open/payments/single/a%2Fb%3Fc");
    }

    #[test]
    fn urls_must_be_http() {
        assert!(Config::new("t", "s").with_pay_url("ftp://x/").is_err());
        assert!(ToolkitConfig::new("i", "s").with_base_url("mailto:a@b.c").is_err());
        assert!(AuthHeaders::custom("a b", "c").is_err());
        assert!(AuthHeaders::custom("x-id", "x-id").is_err());
        assert_eq!(AuthHeaders::custom("X-Id", "x-key").unwrap().id().as_str(), "x-id");
    }
}
