//! The raw webhook request as the web framework received it, and the answer a gateway expects.

use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};

use crate::error::WebhookError;

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
        request.headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
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
        let value = self.headers.get(http::header::CONTENT_TYPE)?.to_str().ok()?;
        let media_type = value.split(';').next().unwrap_or_default().trim();
        Some(media_type.to_ascii_lowercase())
    }

    /// Decodes a form-urlencoded body into its fields, in order, refusing repeated names
    /// (which value was signed would be ambiguous).
    ///
    /// # Errors
    ///
    /// [`WebhookError::Malformed`] for a body that is not UTF-8 or repeats a field.
    pub fn form_fields(&self) -> Result<Vec<(String, String)>, WebhookError> {
        decode_form(&self.body)
    }
}

/// Decodes `application/x-www-form-urlencoded` bytes (`+` is a space, `%XX` a byte),
/// refusing invalid UTF-8 and repeated names.
///
/// # Errors
///
/// [`WebhookError::Malformed`].
pub fn decode_form(body: &[u8]) -> Result<Vec<(String, String)>, WebhookError> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for pair in body.split(|byte| *byte == b'&').filter(|pair| !pair.is_empty()) {
        let mut parts = pair.splitn(2, |byte| *byte == b'=');
        let name = decode_component(parts.next().unwrap_or_default())?;
        let value = decode_component(parts.next().unwrap_or_default())?;
        fields.push((name, value));
    }
    // Repeats are found once all names are decoded, borrowing them rather than cloning each.
    let mut seen = std::collections::HashSet::with_capacity(fields.len());
    if let Some((name, _)) = fields.iter().find(|(name, _)| !seen.insert(name.as_str())) {
        return Err(WebhookError::Malformed(format!("field {name:?} appears more than once")));
    }
    Ok(fields)
}

/// Decodes a JSON object into its members, in order, each value as the text that was sent:
/// a string's content, a number's digits exactly as written (`1.0` stays `1.0`), `null` as
/// empty, an object or array as its raw JSON. Repeated names are refused.
///
/// This is what signatures over JSON bodies are computed from: the values as received, never
/// re-serialised.
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
    let object: RawObject<'_> = serde_json::from_slice(body)
        .map_err(|error| WebhookError::Malformed(format!("JSON body: {error}")))?;
    let mut fields: Vec<(String, String)> = Vec::with_capacity(object.0.len());
    let mut seen = std::collections::HashSet::new();
    for (key, raw) in object.0 {
        if !seen.insert(key.clone()) {
            return Err(WebhookError::Malformed(format!("field {key:?} appears more than once")));
        }
        let text = raw.get();
        let value = if text == "null" {
            String::new()
        } else if text.starts_with('"') {
            serde_json::from_str(text)
                .map_err(|error| WebhookError::Malformed(error.to_string()))?
        } else {
            text.to_owned()
        };
        fields.push((key, value));
    }
    Ok(fields)
}

/// A JSON object's members in order, values as raw JSON, repeated keys kept.
struct RawObject<'a>(Vec<(String, &'a serde_json::value::RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for RawObject<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Members<'a> {
            type Value = RawObject<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Self::Value, M::Error> {
                let mut members = Vec::new();
                while let Some(member) =
                    map.next_entry::<String, &'de serde_json::value::RawValue>()?
                {
                    members.push(member);
                }
                Ok(RawObject(members))
            }
        }
        deserializer.deserialize_map(Members(std::marker::PhantomData))
    }
}

/// Decodes one form component: `+` is a space, `%XX` a byte; the result must be UTF-8.
fn decode_component(raw: &[u8]) -> Result<String, WebhookError> {
    // `+` becomes a space before `%XX` is decoded (so `%2B` stays `+`). Without a `+` no
    // spaced copy is made, and without a `%` the bytes are copied once.
    let bytes: Vec<u8> = if raw.contains(&b'+') {
        let spaced: Vec<u8> =
            raw.iter().map(|&byte| if byte == b'+' { b' ' } else { byte }).collect();
        percent_encoding::percent_decode(&spaced).collect()
    } else {
        std::borrow::Cow::from(percent_encoding::percent_decode(raw)).into_owned()
    };
    String::from_utf8(bytes)
        .map_err(|_| WebhookError::Malformed("form field is not valid UTF-8".into()))
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
    }
}
