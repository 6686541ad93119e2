//! What a gateway crate asks the transport to send, and what comes back.

use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use url::Url;

use crate::gateway::GatewayId;

/// A fully built, signed request: everything needed to send it, and nothing that requires I/O
/// to compute.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct HttpRequest {
    /// The gateway it goes to (for tracing and errors).
    pub gateway: GatewayId,
    /// The endpoint's name as the gateway documents it (`bill/create`), for tracing and errors.
    pub endpoint: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The full URL.
    pub url: Url,
    /// Headers. Values that are secrets are marked sensitive and never printed.
    pub headers: HeaderMap,
    /// The body, exactly as it will be sent.
    pub body: Bytes,
    /// Whether sending it twice is harmless (reads). Only such requests are ever retried.
    pub safe_to_repeat: bool,
}

impl HttpRequest {
    /// A `POST` with a JSON body, not safe to repeat.
    pub fn post_json(gateway: GatewayId, endpoint: &'static str, url: Url, body: Vec<u8>) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(http::header::ACCEPT, HeaderValue::from_static("application/json"));
        Self {
            gateway,
            endpoint,
            method: Method::POST,
            url,
            headers,
            body: Bytes::from(body),
            safe_to_repeat: false,
        }
    }

    /// A `POST` with a form-urlencoded body, not safe to repeat.
    pub fn post_form(gateway: GatewayId, endpoint: &'static str, url: Url, body: Vec<u8>) -> Self {
        let mut request = Self::post_json(gateway, endpoint, url, body);
        request.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        request.headers.remove(http::header::ACCEPT);
        request
    }

    /// A `GET` with no body, safe to repeat.
    pub fn get(gateway: GatewayId, endpoint: &'static str, url: Url) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::ACCEPT, HeaderValue::from_static("application/json"));
        Self {
            gateway,
            endpoint,
            method: Method::GET,
            url,
            headers,
            body: Bytes::new(),
            safe_to_repeat: true,
        }
    }

    /// Marks whether the request may be sent again after a failure.
    #[must_use]
    pub fn repeatable(mut self, safe_to_repeat: bool) -> Self {
        self.safe_to_repeat = safe_to_repeat;
        self
    }

    /// The body as text, when it is UTF-8 (for debugging signatures).
    pub fn body_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }
}

impl fmt::Debug for HttpRequest {
    // The body can hold payer data (account numbers, e-mail): only its length is shown.
    // Header values marked sensitive print as "Sensitive".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("gateway", &self.gateway)
            .field("endpoint", &self.endpoint)
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .field("safe_to_repeat", &self.safe_to_repeat)
            .finish()
    }
}

/// A complete HTTP response.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HttpResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl HttpResponse {
    /// A response with the given status and body and no headers.
    pub fn new(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Self { status, headers: HeaderMap::new(), body: body.into() }
    }

    /// The start of the body as text, for error messages: at most `limit` bytes, cut on a
    /// character boundary, with invalid UTF-8 replaced.
    pub fn body_snippet(&self, limit: usize) -> String {
        let end = self.body.len().min(limit);
        let text = String::from_utf8_lossy(self.body.get(..end).unwrap_or_default());
        if end < self.body.len() { format!("{text}...") } else { text.into_owned() }
    }
}

impl AsRef<HttpRequest> for HttpRequest {
    fn as_ref(&self) -> &HttpRequest {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_body_and_no_sensitive_header() {
        let mut request = HttpRequest::post_json(
            GatewayId::Fena,
            "payments/create",
            "https://api.example/".parse().unwrap(),
            br#"{"account":"4111111111111111"}"#.to_vec(),
        );
        let mut secret = HeaderValue::from_static("top-secret-key");
        secret.set_sensitive(true);
        request.headers.insert("secret-key", secret);
        let debug = format!("{request:?}");
        assert!(!debug.contains("4111"), "{debug}");
        assert!(!debug.contains("top-secret-key"), "{debug}");
        assert!(debug.contains("body_len: 30"), "{debug}");
    }

    #[test]
    fn body_snippet_is_bounded() {
        let response = HttpResponse::new(StatusCode::OK, "é".repeat(100));
        let snippet = response.body_snippet(5);
        assert!(snippet.ends_with("..."));
        assert!(snippet.len() <= 5 + 3 + 3, "{snippet}");
        assert_eq!(HttpResponse::new(StatusCode::OK, "abc").body_snippet(10), "abc");
    }

    #[test]
    fn defaults_for_safety() {
        let url: Url = "https://api.example/".parse().unwrap();
        assert!(
            !HttpRequest::post_json(GatewayId::Feennex, "x", url.clone(), vec![]).safe_to_repeat
        );
        assert!(HttpRequest::get(GatewayId::Feennex, "x", url).safe_to_repeat);
    }
}
