//! What a gateway crate asks the transport to send, and what comes back.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use url::Url;

use crate::gateway::GatewayId;

/// A fully built, signed request: everything needed to send it, and nothing that requires I/O
/// to compute.
///
/// Building one allocates nothing beyond the body: the URL is shared with the config's cache,
/// and the `Content-Type` and `Accept` headers are named by [`HttpRequest::body_kind`] and
/// written by the transport ([`HttpRequest::all_headers`]).
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct HttpRequest {
    /// The gateway it goes to (for tracing and errors).
    pub gateway: GatewayId,
    /// The endpoint's name as the gateway documents it (`bill/create`), for tracing and errors.
    pub endpoint: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The full URL (shared: cloning a request or building one from a cached URL copies none).
    pub url: Arc<Url>,
    /// What the body is, which decides the `Content-Type` and `Accept` headers sent.
    pub body_kind: BodyKind,
    /// Further headers (API keys); sent after, and so over, those of `body_kind`. Values that
    /// are secrets are marked sensitive and never printed.
    pub headers: HeaderMap,
    /// The body, exactly as it will be sent.
    pub body: Bytes,
    /// Whether sending it twice is harmless (reads). Only such requests are ever retried.
    pub safe_to_repeat: bool,
}

/// What a request's body is: it decides the `Content-Type` and `Accept` headers the transport
/// sends ([`HttpRequest::all_headers`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyKind {
    /// No body; a JSON answer is expected (`Accept: application/json`).
    Empty,
    /// A JSON body, and a JSON answer expected (`Content-Type` and `Accept`:
    /// `application/json`).
    Json,
    /// A form-urlencoded body (`Content-Type: application/x-www-form-urlencoded`).
    Form,
}

impl BodyKind {
    /// The `Content-Type` header's value, when there is a body.
    pub fn content_type(self) -> Option<HeaderValue> {
        match self {
            Self::Empty => None,
            Self::Json => Some(HeaderValue::from_static(crate::webhook::JSON)),
            Self::Form => Some(HeaderValue::from_static(crate::webhook::FORM_URLENCODED)),
        }
    }

    /// The `Accept` header's value, when a JSON answer is expected.
    pub fn accept(self) -> Option<HeaderValue> {
        match self {
            Self::Empty | Self::Json => Some(HeaderValue::from_static(crate::webhook::JSON)),
            Self::Form => None,
        }
    }
}

impl HttpRequest {
    /// A `POST` with a JSON body, not safe to repeat.
    pub fn post_json(
        gateway: GatewayId,
        endpoint: &'static str,
        url: impl Into<Arc<Url>>,
        body: Vec<u8>,
    ) -> Self {
        Self {
            gateway,
            endpoint,
            method: Method::POST,
            url: url.into(),
            body_kind: BodyKind::Json,
            headers: HeaderMap::new(),
            body: Bytes::from(body),
            safe_to_repeat: false,
        }
    }

    /// A `POST` with a form-urlencoded body, not safe to repeat.
    pub fn post_form(
        gateway: GatewayId,
        endpoint: &'static str,
        url: impl Into<Arc<Url>>,
        body: Vec<u8>,
    ) -> Self {
        Self { body_kind: BodyKind::Form, ..Self::post_json(gateway, endpoint, url, body) }
    }

    /// A `GET` with no body, safe to repeat.
    pub fn get(gateway: GatewayId, endpoint: &'static str, url: impl Into<Arc<Url>>) -> Self {
        Self {
            gateway,
            endpoint,
            method: Method::GET,
            url: url.into(),
            body_kind: BodyKind::Empty,
            headers: HeaderMap::new(),
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

    /// Every header to send: `Content-Type` and `Accept` from [`HttpRequest::body_kind`],
    /// then [`HttpRequest::headers`] (which replace them if they name them too).
    ///
    /// ```
    /// use payments_core::GatewayId;
    /// use payments_core::transport::HttpRequest;
    ///
    /// let url = "https://api.example/pay".parse::<url::Url>()?;
    /// let request = HttpRequest::post_json(GatewayId::Feennex, "pay", url, b"{}".to_vec());
    /// let headers = request.all_headers();
    /// assert_eq!(headers["content-type"], "application/json");
    /// assert_eq!(headers["accept"], "application/json");
    /// # Ok::<(), url::ParseError>(())
    /// ```
    pub fn all_headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(2 + self.headers.len());
        if let Some(content_type) = self.body_kind.content_type() {
            headers.insert(http::header::CONTENT_TYPE, content_type);
        }
        if let Some(accept) = self.body_kind.accept() {
            headers.insert(http::header::ACCEPT, accept);
        }
        // A name given here replaces the one above; several values of one name are all kept.
        headers.extend(self.headers.clone());
        headers
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
            .field("body_kind", &self.body_kind)
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
            "https://api.example/".parse::<Url>().unwrap(),
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
    fn content_type_and_accept_follow_the_body_and_extra_headers_win() {
        let url: Url = "https://api.example/".parse().unwrap();
        let json = HttpRequest::post_json(GatewayId::Feennex, "x", url.clone(), vec![]);
        assert!(json.headers.is_empty(), "nothing inserted while building");
        let headers = json.all_headers();
        assert_eq!(headers.len(), 2);
        assert_eq!(headers[http::header::CONTENT_TYPE], "application/json");
        assert_eq!(headers[http::header::ACCEPT], "application/json");

        let form = HttpRequest::post_form(GatewayId::Feennex, "x", url.clone(), vec![]);
        let headers = form.all_headers();
        assert_eq!(headers.len(), 1);
        assert_eq!(headers[http::header::CONTENT_TYPE], "application/x-www-form-urlencoded");

        let mut get = HttpRequest::get(GatewayId::Fena, "x", url);
        get.headers.insert(http::header::ACCEPT, HeaderValue::from_static("text/html"));
        get.headers.append("x-key", HeaderValue::from_static("1"));
        get.headers.append("x-key", HeaderValue::from_static("2"));
        let headers = get.all_headers();
        assert_eq!(headers.get(http::header::CONTENT_TYPE), None);
        assert_eq!(headers.get_all(http::header::ACCEPT).iter().collect::<Vec<_>>(), ["text/html"]);
        assert_eq!(headers.get_all("x-key").iter().collect::<Vec<_>>(), ["1", "2"]);
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
