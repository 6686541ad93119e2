//! The raw webhook request as the web framework received it, and the answer a gateway expects.

use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};

use crate::error::WebhookError;
pub use crate::received_fields::{MAX_FIELD_BYTES, MAX_FIELDS, ReceivedFields};

/// A webhook exactly as received: nothing re-encoded, so signatures can be checked over the
/// bytes the gateway signed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WebhookRequest {
    /// The HTTP method.
    pub method: Method,
    /// The request headers.
    pub headers: HeaderMap,
    /// The raw query string, without the leading `?`.
    pub query: Option<String>,
    /// The raw body.
    pub body: Bytes,
    /// The address of the peer that connected (a proxy's address when behind one).
    pub peer: Option<SocketAddr>,
}

impl WebhookRequest {
    /// A request with the given method and body and nothing else.
    pub fn new(method: Method, body: impl Into<Bytes>) -> Self {
        Self { method, headers: HeaderMap::new(), query: None, body: body.into(), peer: None }
    }

    /// A `POST` with a form-urlencoded body, the usual shape of a gateway callback.
    pub fn form_post(body: impl Into<Bytes>) -> Self {
        let mut request = Self::new(Method::POST, body);
        request
            .headers
            .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(FORM_URLENCODED));
        request
    }

    /// Sets a header.
    #[must_use]
    pub fn with_header(mut self, name: http::HeaderName, value: http::HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Sets the raw query string.
    #[must_use]
    pub fn with_query(mut self, query: impl Into<String>) -> Self {
        self.query = Some(query.into());
        self
    }

    /// Sets the peer address.
    #[must_use]
    pub fn with_peer(mut self, peer: SocketAddr) -> Self {
        self.peer = Some(peer);
        self
    }

    /// The media type of the body, lower-cased, without parameters (`application/json`).
    pub fn content_type(&self) -> Option<String> {
        self.media_type().map(str::to_ascii_lowercase)
    }

    /// The media type of the body as sent (letter case kept), without parameters or
    /// surrounding spaces; `None` without a readable `Content-Type`. Borrowed from the header:
    /// compare it with `eq_ignore_ascii_case` to check a request without allocating.
    ///
    /// ```
    /// use payments_core::webhook::WebhookRequest;
    ///
    /// let request = WebhookRequest::form_post("a=1");
    /// assert_eq!(request.media_type(), Some("application/x-www-form-urlencoded"));
    /// ```
    pub fn media_type(&self) -> Option<&str> {
        let value = self.headers.get(http::header::CONTENT_TYPE)?;
        // The types gateways send, exactly as they send them, are known without checking
        // the value's characters, finding `;` and trimming (about 1% of a whole Feennex
        // callback's instructions): the same text, letter case included.
        for common in [FORM_URLENCODED, JSON] {
            if value.as_bytes() == common.as_bytes() {
                return Some(common);
            }
        }
        let value = value.to_str().ok()?;
        Some(value.split(';').next().unwrap_or_default().trim())
    }
}

/// The form media type, as gateways send it (and as requests are sent with a form body).
pub const FORM_URLENCODED: &str = "application/x-www-form-urlencoded";

/// The JSON media type, as gateways send it (and as requests are sent with a JSON body).
pub const JSON: &str = "application/json";

/// Decodes `application/x-www-form-urlencoded` bytes (`+` is a space, `%XX` a byte),
/// refusing invalid UTF-8 and repeated names. [`ReceivedFields::decode_form`] does the same
/// without a pair of strings per field.
///
/// # Errors
///
/// [`WebhookError::Malformed`].
pub fn decode_form(body: &[u8]) -> Result<Vec<(String, String)>, WebhookError> {
    ReceivedFields::decode_form(body).map(|fields| fields.to_vec())
}

/// Decodes a JSON object into its members, in order, each value as the text that was sent:
/// a string's content, a number's digits exactly as written (`1.0` stays `1.0`), `null` as
/// empty, an object or array as its raw JSON. Repeated names are refused. See
/// [`ReceivedFields::decode_json`].
///
/// ```
/// let fields = payments_core::webhook::decode_json_fields(br#"{"b": 1.0, "a": "x", "c": null}"#)?;
/// assert_eq!(fields, [("b".into(), "1.0".into()), ("a".into(), "x".into()), ("c".into(), String::new())]);
/// # Ok::<(), payments_core::WebhookError>(())
/// ```
///
/// # Errors
///
/// [`WebhookError::Malformed`] for anything but a JSON object, or a repeated name.
pub fn decode_json_fields(body: &[u8]) -> Result<Vec<(String, String)>, WebhookError> {
    ReceivedFields::decode_json(body).map(|fields| fields.to_vec())
}

/// What to answer the gateway once the notification has been handled.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookAck {
    /// The HTTP status.
    pub status: StatusCode,
    /// The `Content-Type` of the body.
    pub content_type: &'static str,
    /// The exact body the gateway expects (`OK`, `YES`, or empty).
    pub body: &'static str,
}

impl WebhookAck {
    /// HTTP 200 with a plain-text body.
    pub const fn text(body: &'static str) -> Self {
        Self { status: StatusCode::OK, content_type: "text/plain; charset=utf-8", body }
    }

    /// HTTP 200 with an empty body.
    pub const fn empty() -> Self {
        Self::text("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_keeps_order_and_raw_text() {
        let fields = decode_form(b"b=1.0&a=x+y%3Az&empty=").unwrap();
        assert_eq!(
            fields,
            vec![
                ("b".to_owned(), "1.0".to_owned()),
                ("a".to_owned(), "x y:z".to_owned()),
                ("empty".to_owned(), String::new())
            ]
        );
    }

    #[test]
    fn form_decoding_takes_each_path_of_a_component() {
        // Plain, `%XX` only, `+` only, both; an escaped `+` stays a `+`; a bad escape is kept.
        let fields = decode_form(b"p=ab&e=a%3Ab&s=a+b&b=a+%2B%3A&x=100%&n%61me=1").unwrap();
        let values: Vec<&str> = fields.iter().map(|(_, value)| value.as_str()).collect();
        assert_eq!(values, ["ab", "a:b", "a b", "a +:", "100%", "1"]);
        assert_eq!(fields[5].0, "name");
        // Names are compared once decoded: `n%61me` repeats `name`.
        assert!(decode_form(b"name=1&n%61me=2").is_err());
    }

    #[test]
    fn form_decoding_refuses_repeats_and_bad_utf8() {
        assert!(decode_form(b"a=1&a=2").is_err());
        assert!(decode_form(b"a=%FF").is_err());
        assert!(decode_form(&[0x61, 0x3D, 0xFF]).is_err());
        // A real U+FFFD is data, not an error.
        assert_eq!(decode_form("a=%EF%BF%BD".as_bytes()).unwrap()[0].1, "\u{FFFD}");
    }

    #[test]
    fn content_type_ignores_parameters_and_case() {
        let request = WebhookRequest::new(Method::POST, "").with_header(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert_eq!(request.content_type().as_deref(), Some("application/json"));
        assert_eq!(
            WebhookRequest::form_post("").content_type().as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(request.media_type(), Some("Application/JSON"));
        // The common types as sent, found without parsing, read as the parsed ones are.
        for (sent, media) in [
            ("application/json", Some("application/json")),
            ("application/x-www-form-urlencoded", Some("application/x-www-form-urlencoded")),
            ("application/jsonx", Some("application/jsonx")),
            (" application/json ;q", Some("application/json")),
            ("APPLICATION/X-WWW-FORM-URLENCODED", Some("APPLICATION/X-WWW-FORM-URLENCODED")),
        ] {
            let request = WebhookRequest::new(Method::POST, "")
                .with_header(http::header::CONTENT_TYPE, http::HeaderValue::from_static(sent));
            assert_eq!(request.media_type(), media, "{sent:?}");
        }
        let not_text = http::HeaderValue::from_bytes(b"application/json; x=\xFF").unwrap();
        let request =
            WebhookRequest::new(Method::POST, "").with_header(http::header::CONTENT_TYPE, not_text);
        assert_eq!(request.media_type(), None);
        assert_eq!(WebhookRequest::new(Method::POST, "").media_type(), None);
    }
}
