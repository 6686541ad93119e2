//! Building a Toolkit request: the URL, the JSON body and the two authentication headers
//! (the secret one marked sensitive, so it never prints).

use http::HeaderValue;
use payments_core::transport::HttpRequest;
use payments_core::{ExposeSecret, GatewayId, InputError};
use serde_json::Value;

use crate::config::ToolkitConfig;
use crate::error::Error;

/// A Toolkit request ready to send.
///
/// ```
/// use fena::{ToolkitConfig, request::Prepared};
///
/// let config = ToolkitConfig::new("62b48adf6ba2cd6a040b1eec", "secret-key-value");
/// let prepared = Prepared::get(&config, "open/company/bank-accounts/list",
///     &["open", "company", "bank-accounts", "list"], &[("page", "1".into())])?;
/// let request = prepared.request();
/// assert_eq!(request.url.as_str(), "https://epos.api.fena.co/open/company/bank-accounts/list?page=1");
/// assert_eq!(request.headers["integration-id"], "62b48adf6ba2cd6a040b1eec");
/// assert!(request.headers["secret-key"].is_sensitive());
/// assert!(!format!("{request:?}").contains("secret-key-value"));
/// # Ok::<(), fena::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Prepared {
    request: HttpRequest,
}

impl Prepared {
    /// A `GET` of the endpoint at `segments`, with `query`; safe to repeat.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] when the URL or the headers cannot be built.
    pub fn get(
        config: &ToolkitConfig,
        endpoint: &'static str,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<Self, Error> {
        let mut url = config.endpoint_url(segments)?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in query {
                pairs.append_pair(name, value);
            }
        }
        let request = HttpRequest::get(GatewayId::Fena, endpoint, url);
        Ok(Self { request: authenticate(config, request)? })
    }

    /// A `POST` of `body` as JSON to the endpoint at `segments`; never repeated.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] when the URL, the body or the headers cannot be built.
    pub fn post_json(
        config: &ToolkitConfig,
        endpoint: &'static str,
        segments: &[&str],
        body: &Value,
    ) -> Result<Self, Error> {
        let url = config.endpoint_url(segments)?;
        let bytes = serde_json::to_vec(body)
            .map_err(|error| InputError::field("body", format!("cannot serialise: {error}")))?;
        let request =
            HttpRequest::post_json(GatewayId::Fena, endpoint, url, bytes).repeatable(false);
        Ok(Self { request: authenticate(config, request)? })
    }

    /// A `POST` without a body to the endpoint at `segments` (processing or deleting by id);
    /// never repeated.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] when the URL or the headers cannot be built.
    pub fn post_empty(
        config: &ToolkitConfig,
        endpoint: &'static str,
        segments: &[&str],
    ) -> Result<Self, Error> {
        let url = config.endpoint_url(segments)?;
        let mut request = HttpRequest::get(GatewayId::Fena, endpoint, url).repeatable(false);
        request.method = http::Method::POST;
        Ok(Self { request: authenticate(config, request)? })
    }

    /// The HTTP request.
    pub fn request(&self) -> &HttpRequest {
        &self.request
    }

    /// The endpoint name.
    pub fn endpoint(&self) -> &'static str {
        self.request.endpoint
    }

    /// The JSON body as a value (for inspection and tests).
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.request.body).ok()
    }
}

fn authenticate(config: &ToolkitConfig, mut request: HttpRequest) -> Result<HttpRequest, Error> {
    let id = HeaderValue::from_str(config.integration_id())
        .map_err(|_| InputError::field("integration_id", "is not a valid HTTP header value"))?;
    // The message must not quote the secret.
    let mut secret = HeaderValue::from_str(config.secret_key().expose_secret())
        .map_err(|_| InputError::field("secret_key", "is not a valid HTTP header value"))?;
    secret.set_sensitive(true);
    request.headers.insert(config.auth_headers().id().clone(), id);
    request.headers.insert(config.auth_headers().secret().clone(), secret);
    Ok(request)
}
