//! Building a signed Feennex request: one list of signed fields, from which both the JSON
//! body and the string to sign are made, so they cannot disagree.

use std::time::SystemTime;

use payments_core::GatewayId;
use payments_core::signature::{
    Member, SignedBody, SignedFields, SignedKeys, SignedText, SortedBody, SortedLayout,
};
use payments_core::transport::HttpRequest;
use serde_json::Value;

use crate::config::Config;
use crate::error::Error;
use crate::sign;

/// A signed field's value as sent (a JSON string, integer or amount number); its text is what
/// is signed.
pub use payments_core::signature::FieldValue;

/// The shop's own ids, which must not contain the signature separator.
const ID_FIELDS: [&str; 2] = ["shop_order_id", "shop_payment_id"];

/// Collects the fields of one request. Signed values may borrow from what the request is
/// built from (`&str`), so that signing copies none of them.
///
/// ```
/// use feennex::request::SignedRequest;
///
/// let config = feennex::Config::new(5, "SecretKey01");
/// let prepared = SignedRequest::new("shop_balance", true)
///     .signed("now", "2024-05-01 16:56:25.009469")
///     .signed("shop_id", config.shop_id())
///     .build(&config)?;
/// assert_eq!(prepared.string_to_sign(), "2024-05-01 16:56:25.009469:5");
/// # Ok::<(), feennex::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SignedRequest<'a> {
    endpoint: &'static str,
    safe_to_repeat: bool,
    fields: SignedFields<'a>,
}

impl<'a> SignedRequest<'a> {
    /// A request to `endpoint`. `safe_to_repeat` is true only for reads.
    pub fn new(endpoint: &'static str, safe_to_repeat: bool) -> Self {
        Self { endpoint, safe_to_repeat, fields: SignedFields::default() }
    }

    /// Adds a field that is sent and signed.
    #[must_use]
    #[inline]
    pub fn signed(mut self, key: &'static str, value: impl Into<FieldValue<'a>>) -> Self {
        self.fields = self.fields.signed(key, value);
        self
    }

    /// Adds a field that is sent but not signed.
    #[must_use]
    #[inline]
    pub fn unsigned(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.fields = self.fields.unsigned(key, value);
        self
    }

    /// Adds a field with a run-time name that is sent but not signed (payway add-ons).
    #[must_use]
    #[inline]
    pub fn unsigned_owned(mut self, key: String, value: impl Into<Value>) -> Self {
        self.fields = self.fields.unsigned(key, value);
        self
    }

    /// Adds a field that is sent but not signed, if it is set.
    #[must_use]
    #[inline]
    pub fn unsigned_opt<V: Into<Value>>(self, key: &'static str, value: Option<V>) -> Self {
        match value {
            Some(value) => self.unsigned(key, value),
            None => self,
        }
    }

    /// Signs the fields and builds the HTTP request.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] when a key appears twice (signed or not), one of the shop's ids
    /// holds a `:`, or the URL cannot be built.
    pub fn build(self, config: &Config) -> Result<Prepared, Error> {
        for (key, value) in self.fields.signed_fields() {
            check_id(key, value)?;
        }
        let SignedBody { string_to_sign, body } =
            self.fields.sign(&sign::REQUEST_SCHEME, config.secret())?;
        let url = config.endpoint_url(self.endpoint)?;
        let request = HttpRequest::post_json(GatewayId::Feennex, self.endpoint, url, body)
            .repeatable(self.safe_to_repeat);
        let signed_keys = self.fields.signed_keys();
        Ok(Prepared {
            request,
            string_to_sign: SignedText::from(string_to_sign),
            signed_keys,
            shop_id: config.shop_id(),
        })
    }
}

/// Refuses a `:` in the shop's own ids. Feennex joins signed values with ':' and no keys; a
/// ':' in them would make the signed text ambiguous, and callbacks carrying one are refused
/// (see `webhook`), so such an id is refused here, before anything is sent.
#[inline]
fn check_id(key: &'static str, value: &FieldValue<'_>) -> Result<(), Error> {
    if let FieldValue::Text(text) = value
        && ID_FIELDS.contains(&key)
        && text.contains(':')
    {
        return Err(payments_core::InputError::field(key, "must not contain ':'").into());
    }
    Ok(())
}

/// The layout of an endpoint's body `keys` (sorted byte-wise; `sign` is placed among them),
/// signed as [`SignedRequest::build`] signs: for a `const` item, where a key out of order or
/// given twice fails the build.
pub(crate) const fn layout<const N: usize>(keys: [&'static str; N]) -> SortedLayout<N> {
    SortedLayout::new(sign::REQUEST_SCHEME, sign::sign_bytes, keys)
}

/// Signs a request whose members an endpoint lays out when the crate is built (in key order,
/// the `sign` member's place included), writing the string to sign and the body straight from
/// them: the same bytes as [`SignedRequest::build`] writes for the same fields, with one
/// allocation (the body) instead of a field list, a string and a body.
///
/// # Errors
///
/// As [`SignedRequest::build`].
pub(crate) fn build_sorted<const N: usize>(
    endpoint: &'static str,
    safe_to_repeat: bool,
    layout: &SortedLayout<N>,
    members: &[(&'static str, Member<'_>); N],
    config: &Config,
) -> Result<Prepared, Error> {
    for (key, member) in members {
        if let Member::SignedText(text) = member {
            check_id(key, &FieldValue::Text((*text).into()))?;
        }
    }
    let SortedBody { string_to_sign, body, signed_keys } = layout.sign(members, config.secret())?;
    let url = config.endpoint_url(endpoint)?;
    let request =
        HttpRequest::post_json(GatewayId::Feennex, endpoint, url, body).repeatable(safe_to_repeat);
    Ok(Prepared { request, string_to_sign, signed_keys, shop_id: config.shop_id() })
}

/// The `now` field: UTC, written as in Feennex's own examples (`2024-05-01 16:56:25.009469`).
///
/// The same text goes into the body and the signature.
///
/// ```
/// use std::time::{Duration, SystemTime};
///
/// let at = SystemTime::UNIX_EPOCH + Duration::from_micros(1_714_582_585_009_469);
/// assert_eq!(feennex::request::now_text(at), "2024-05-01 16:56:25.009469");
/// ```
pub fn now_text(now: SystemTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:6]"
    );
    let utc = time::OffsetDateTime::from(now);
    // Formatting a valid date with a fixed description only fails for years beyond 9999.
    utc.format(&format).unwrap_or_else(|_| utc.unix_timestamp().to_string())
}

/// A status query: `now`, `shop_id` and one id, all signed. Status queries are reads, safe
/// to repeat.
///
/// # Errors
///
/// As [`SignedRequest::build`].
pub fn status_query<'a>(
    endpoint: &'static str,
    id_field: &'static str,
    id: impl Into<FieldValue<'a>>,
    config: &Config,
    now: SystemTime,
) -> Result<Prepared, Error> {
    SignedRequest::new(endpoint, true)
        .signed("now", now_text(now))
        .signed("shop_id", config.shop_id())
        .signed(id_field, id)
        .build(config)
}

/// A signed request ready to send, with the string that was signed (to compare with the one
/// Feennex prints if it rejects the signature). `Debug` masks card and account numbers.
#[derive(Clone)]
pub struct Prepared {
    request: HttpRequest,
    string_to_sign: SignedText,
    signed_keys: SignedKeys,
    shop_id: u64,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("request", &self.request)
            .field("string_to_sign", &payments_core::mask::mask_numbers(&self.string_to_sign))
            .field("signed_keys", &self.signed_keys)
            .field("shop_id", &self.shop_id)
            .finish()
    }
}

impl Prepared {
    /// The HTTP request.
    pub fn request(&self) -> &HttpRequest {
        &self.request
    }

    /// The string that was signed, without the secret.
    pub fn string_to_sign(&self) -> &str {
        self.string_to_sign.as_str()
    }

    /// The keys that were signed, in the order they were given.
    pub fn signed_keys(&self) -> &[&'static str] {
        &self.signed_keys
    }

    /// The shop the request was prepared for (`parse_response` checks the answer names it).
    pub fn shop_id(&self) -> u64 {
        self.shop_id
    }

    /// The endpoint name.
    pub fn endpoint(&self) -> &'static str {
        self.request.endpoint
    }

    /// Marks the request safe to send again (for `*/try` price requests, which create
    /// nothing).
    #[must_use]
    #[inline]
    pub fn repeatable(mut self) -> Self {
        self.request.safe_to_repeat = true;
        self
    }

    /// The JSON body as a value (for inspection and tests).
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.request.body).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::new(5, "SecretKey01")
    }

    #[test]
    fn body_and_signature_come_from_the_same_values() {
        let prepared = SignedRequest::new("x", false)
            .signed("shop_id", 5_u64)
            .signed("amount", "12.0")
            .unsigned("description", "not signed")
            .build(&config())
            .unwrap();
        assert_eq!(prepared.string_to_sign(), "12.0:5");
        let body = prepared.body_json().unwrap();
        assert_eq!(body["amount"], Value::String("12.0".into()));
        assert_eq!(body["shop_id"], Value::from(5));
        assert_eq!(body["description"], Value::String("not signed".into()));
        assert_eq!(
            body["sign"],
            Value::String(sign::sign_string("12.0:5", config().secret()).to_string())
        );
        assert!(!prepared.request().safe_to_repeat);
    }

    #[test]
    fn ids_with_the_separator_are_refused() {
        for key in ["shop_order_id", "shop_payment_id"] {
            let error =
                SignedRequest::new("x", false).signed(key, "a:b").build(&config()).unwrap_err();
            assert!(error.to_string().contains(key), "{error}");
        }
        assert!(SignedRequest::new("x", false).signed("now", "16:56:25").build(&config()).is_ok());
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let twice_signed = SignedRequest::new("x", false).signed("a", "1").signed("a", "2");
        assert!(matches!(twice_signed.build(&config()), Err(Error::Input(_))));
        let signed_and_unsigned =
            SignedRequest::new("x", false).signed("a", "1").unsigned("a", "2");
        assert!(matches!(signed_and_unsigned.build(&config()), Err(Error::Input(_))));
        let sign_field = SignedRequest::new("x", false).unsigned("sign", "forged");
        assert!(matches!(sign_field.build(&config()), Err(Error::Input(_))));
    }
}
