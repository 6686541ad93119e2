//! Building a signed API v1 request: one list of fields, from which both the JSON body and
//! the string to sign are made, so they cannot disagree.
//!
//! What PHP makes of a JSON value decides what Freekassa signs, so only values whose text
//! survives the trip exactly are sent: strings, non-negative integers, and amounts as JSON
//! numbers written in the shortest decimal form (the form PHP prints a float in). There is no
//! way to send `null`, a boolean, an array or an object: PHP would sign them as `""`, `1`/`""`
//! or `Array`.

use std::fmt;

use payments_core::GatewayId;
use payments_core::signature::{CanonicalError, SignedBody, SignedFields};
use payments_core::transport::HttpRequest;
use payments_core::{InputError, SecretString};

use crate::config::Config;
use crate::error::Error;
use crate::sign;

/// A signed field's value as sent (a JSON string, integer or amount number); its text is what
/// is signed.
pub use payments_core::signature::FieldValue;

/// The fields of one API request, before `shopId`, `nonce` and `signature` are added. Values
/// may borrow from what the request is built from (`&str`), so that signing copies none.
///
/// ```
/// use freekassa::request::ApiRequest;
///
/// let config = freekassa::Config::new(777).with_api_key("test_api_key");
/// let prepared = ApiRequest::new("balance", true).build(&config, 1_700_000_000_000)?;
/// assert_eq!(prepared.string_to_sign(), "1700000000000|777");
/// assert_eq!(
///     prepared.body_json().unwrap()["signature"],
///     "4278476416e6bf7145d653a75e61e516c3eb466e675dc84cdea44b9c6b1567d1"
/// );
/// # Ok::<(), freekassa::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ApiRequest<'a> {
    endpoint: &'static str,
    path: Option<String>,
    safe_to_repeat: bool,
    fields: SignedFields<'a>,
}

/// Keys the request builder adds itself.
const RESERVED: [&str; 3] = ["shopId", "nonce", "signature"];

impl<'a> ApiRequest<'a> {
    /// A request to `endpoint` (`orders/create`). `safe_to_repeat` is true only for reads.
    pub fn new(endpoint: &'static str, safe_to_repeat: bool) -> Self {
        Self { endpoint, path: None, safe_to_repeat, fields: SignedFields::default() }
    }

    /// Posts to `path` instead of the endpoint name (for `currencies/{id}/status`, where the
    /// name stays the template for tracing and errors).
    #[must_use]
    pub fn with_path(mut self, path: String) -> Self {
        self.path = Some(path);
        self
    }

    /// Adds a field that is sent and signed.
    #[must_use]
    pub fn field(mut self, key: &'static str, value: impl Into<FieldValue<'a>>) -> Self {
        self.fields = self.fields.signed(key, value);
        self
    }

    /// Adds a field if it is set.
    #[must_use]
    pub fn field_opt<V: Into<FieldValue<'a>>>(self, key: &'static str, value: Option<V>) -> Self {
        match value {
            Some(value) => self.field(key, value),
            None => self,
        }
    }

    /// Adds `shopId` and `nonce`, signs every field and builds the HTTP request.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] when the API key is missing, a key appears twice or is one the
    /// builder adds itself, an amount is not in shortest form, or the URL cannot be built.
    pub fn build(self, config: &Config, nonce: u64) -> Result<Prepared, Error> {
        let api_key = config.api_key()?;
        let given = self.fields.signed_fields();
        if let Some((key, _)) = given.iter().find(|(key, _)| RESERVED.contains(key)) {
            return Err(
                InputError::from(CanonicalError::DuplicateKey { key: (*key).to_owned() }).into()
            );
        }
        let fields = self.fields.signed("shopId", config.shop_id()).signed("nonce", nonce);
        let SignedBody { string_to_sign, body } = fields.sign(&sign::API_SCHEME, api_key)?;
        let url = config.endpoint_url(self.path.as_deref().unwrap_or(self.endpoint))?;
        let request = HttpRequest::post_json(GatewayId::Freekassa, self.endpoint, url, body)
            .repeatable(self.safe_to_repeat);
        Ok(Prepared { request, string_to_sign, nonce })
    }
}

/// A signed request ready to send.
///
/// `Debug` shows the endpoint, the nonce and the request without its body: the body and the
/// string to sign can hold payer data (e-mail, IP, card number).
#[derive(Clone)]
pub struct Prepared {
    request: HttpRequest,
    string_to_sign: String,
    nonce: u64,
}

impl AsRef<HttpRequest> for Prepared {
    fn as_ref(&self) -> &HttpRequest {
        &self.request
    }
}

impl Prepared {
    /// The HTTP request.
    pub fn request(&self) -> &HttpRequest {
        &self.request
    }

    /// The string that was signed (the values joined with `|`; no key in it).
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }

    /// The nonce it was signed with.
    pub fn nonce(&self) -> u64 {
        self.nonce
    }

    /// The endpoint name.
    pub fn endpoint(&self) -> &'static str {
        self.request.endpoint
    }

    /// The JSON body as a value (for inspection and tests).
    pub fn body_json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.request.body).ok()
    }

    /// Whether the signature in the body is the one `api_key` gives for the string to sign.
    pub fn signature_matches(&self, api_key: &SecretString) -> bool {
        let expected = sign::api_signature(&self.string_to_sign, api_key);
        self.body_json()
            .and_then(|body| body.get("signature").and_then(|s| s.as_str().map(str::to_owned)))
            .is_some_and(|received| payments_core::signature::verify_hex(&expected, &received))
    }
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prepared")
            .field("endpoint", &self.request.endpoint)
            .field("nonce", &self.nonce)
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::new(777).with_api_key("test_api_key")
    }

    #[test]
    fn amounts_are_json_numbers_with_the_signed_digits() {
        let prepared = ApiRequest::new("x", false)
            .field("amount", FieldValue::Amount("100.5".into()))
            .field("currency", "RUB")
            .field("i", 44_u32)
            .build(&config(), 5)
            .unwrap();
        assert_eq!(prepared.string_to_sign(), "100.5|RUB|44|5|777");
        let body = prepared.request().body_text().unwrap();
        assert!(
            body.starts_with(r#"{"amount":100.5,"currency":"RUB","i":44,"nonce":5,"#),
            "{body}"
        );
        assert!(prepared.signature_matches(&SecretString::from("test_api_key")));
        assert!(!prepared.request().safe_to_repeat);
    }

    #[test]
    fn reserved_and_duplicate_keys_are_refused() {
        for key in RESERVED {
            let request = ApiRequest::new("x", true).field(key, "1");
            assert!(matches!(request.build(&config(), 1), Err(Error::Input(_))), "{key}");
        }
        let twice = ApiRequest::new("x", true).field("a", "1").field("a", "2");
        assert!(matches!(twice.build(&config(), 1), Err(Error::Input(_))));
    }

    #[test]
    fn non_canonical_amount_text_is_refused() {
        for text in ["100.50", "1e2", "-1", ""] {
            let request =
                ApiRequest::new("x", false).field("amount", FieldValue::Amount(text.into()));
            assert!(matches!(request.build(&config(), 1), Err(Error::Input(_))), "{text}");
        }
    }

    #[test]
    fn missing_api_key_is_refused() {
        let err = ApiRequest::new("balance", true).build(&Config::new(1), 1).unwrap_err();
        assert!(err.to_string().contains("api_key"), "{err}");
    }

    #[test]
    fn debug_hides_the_signed_values() {
        let prepared = ApiRequest::new("x", false)
            .field("email", "payer@example.com")
            .build(&config(), 1)
            .unwrap();
        let debug = format!("{prepared:?}");
        assert!(!debug.contains("payer@example.com"), "{debug}");
    }
}
