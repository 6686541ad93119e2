//! Reading a gateway's answer: the failures every gateway shares, and the steps every
//! gateway's response reader takes before its own envelope rules.
//!
//! Each gateway crate keeps only what is its own (Feennex's `result`/`error_code`, Freekassa's
//! `type`, Fena's `data`/`result` envelopes and their error codes); the rest is here, once:
//!
//! - [`CallError`]: no answer ([`CallError::Transport`]), an answer that is not the gateway's
//!   ([`CallError::Http`]), an answer that cannot be read ([`CallError::Decode`]), or one that
//!   contradicts the request ([`CallError::Integrity`]). Its [`kind`](CallError::kind) decides
//!   [`outcome_unknown`](crate::ErrorKind::outcome_unknown) by the one rule of
//!   [`crate::error`].
//! - [`read_json`] and [`read_payload`]: JSON with the body's start kept in the error
//!   ([`SNIPPET`] bytes), and the failing JSON path named.

use std::fmt;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{ErrorKind, GatewayErrorKind};
use crate::transport::{HttpResponse, TransportError};

/// How much of a response body an error keeps (bodies can be large; the start says enough).
pub const SNIPPET: usize = 512;

/// A call to a gateway's API that did not give a usable answer, in the terms every gateway
/// shares. Each gateway's error holds it as `Call { endpoint, source }`, beside the
/// gateway's own refusals.
///
/// ```
/// use http::StatusCode;
/// use payments_core::response::{CallError, read_json};
/// use payments_core::transport::HttpResponse;
///
/// let page = HttpResponse::new(StatusCode::BAD_GATEWAY, "<html>Bad gateway</html>");
/// let error = read_json::<serde_json::Value>(&page).unwrap_err();
/// assert!(matches!(&error, CallError::Http { http_status: 502, body } if body.contains("Bad")));
/// assert!(error.kind().outcome_unknown(), "a proxy's page says nothing about the request");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The request could not be sent or no complete response arrived.
    #[error("transport error: {0}")]
    Transport(#[source] TransportError),
    /// The answer is not the gateway's (a proxy's error page, an outage, a 404 from a wrong
    /// base URL).
    #[error("unexpected HTTP {http_status} response: {body}")]
    Http {
        /// The HTTP status.
        http_status: u16,
        /// The start of the body ([`SNIPPET`] bytes).
        body: String,
    },
    /// The answer is not in the documented shape.
    #[error("cannot read the response at {path}: {source}")]
    Decode {
        /// The JSON path that failed (`.` for the whole body, `data.amount`).
        path: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
        /// The start of the body ([`SNIPPET`] bytes).
        body: String,
    },
    /// The answer contradicts the request (another amount, order, shop or id).
    #[error("response {field} is {received:?}, we asked for {expected:?}")]
    Integrity {
        /// The field that differs.
        field: &'static str,
        /// What we sent or stored.
        expected: String,
        /// What came back.
        received: String,
    },
}

impl CallError {
    /// An answer that is not the gateway's, keeping the status and the body's start.
    pub fn http(response: &HttpResponse) -> Self {
        Self::Http { http_status: response.status.as_u16(), body: response.body_snippet(SNIPPET) }
    }

    /// An answer that cannot be read at `path`, keeping the body's start.
    pub fn decode(
        path: impl Into<String>,
        source: serde_json::Error,
        response: &HttpResponse,
    ) -> Self {
        Self::Decode { path: path.into(), source, body: response.body_snippet(SNIPPET) }
    }

    /// An answer that lacks what it must hold at `path` (`what` says what was expected).
    pub fn missing(path: impl Into<String>, what: &str, response: &HttpResponse) -> Self {
        Self::decode(path, serde::de::Error::custom(what), response)
    }

    /// An answer whose `field` is not what we sent or stored.
    pub fn integrity(
        field: &'static str,
        expected: impl ToString,
        received: impl ToString,
    ) -> Self {
        Self::Integrity { field, expected: expected.to_string(), received: received.to_string() }
    }

    /// The kind of failure in the terms of [`crate::error`]: it decides
    /// [`ErrorKind::outcome_unknown`] and [`ErrorKind::is_retryable`].
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Transport(source) => ErrorKind::Transport(source.kind()),
            Self::Http { http_status, .. } => {
                GatewayErrorKind::Http { status: *http_status }.into()
            }
            Self::Decode { .. } => GatewayErrorKind::Decode.into(),
            Self::Integrity { .. } => GatewayErrorKind::Integrity.into(),
        }
    }
}

impl From<TransportError> for CallError {
    fn from(source: TransportError) -> Self {
        Self::Transport(source)
    }
}

/// Checks that a value the gateway echoed is the one we sent.
///
/// ```
/// use payments_core::response::{CallError, check_echo};
///
/// assert!(check_echo("amount", "10.00", "10.00").is_ok());
/// let error = check_echo("amount", "10.00", "1000.00").unwrap_err();
/// assert!(matches!(error, CallError::Integrity { field: "amount", .. }));
/// ```
///
/// # Errors
///
/// [`CallError::Integrity`] naming the field.
pub fn check_echo(
    field: &'static str,
    expected: impl fmt::Display,
    received: impl fmt::Display,
) -> Result<(), CallError> {
    if same_text(&expected, &received) {
        Ok(())
    } else {
        Err(CallError::integrity(field, expected, received))
    }
}

/// Whether `a` and `b` print the same text. A short `a` is printed on the stack and `b` is
/// compared with it piece by piece as it prints, so an echo check that passes allocates
/// nothing; a longer `a` is compared as two `String`s.
fn same_text(a: &dyn fmt::Display, b: &dyn fmt::Display) -> bool {
    let mut printed = StackText { bytes: [0; 64], len: 0 };
    if fmt::write(&mut printed, format_args!("{a}")).is_err() {
        return a.to_string() == b.to_string();
    }
    let mut rest = printed.bytes.get(..printed.len).unwrap_or_default();
    let mut compare = CompareWith { rest: &mut rest };
    fmt::write(&mut compare, format_args!("{b}")).is_ok() && rest.is_empty()
}

/// A fixed buffer that refuses text longer than itself.
struct StackText {
    bytes: [u8; 64],
    len: usize,
}

impl fmt::Write for StackText {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let end = self.len.checked_add(text.len()).ok_or(fmt::Error)?;
        self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?.copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Takes printed text off the front of `rest` while it matches, and fails when it does not.
struct CompareWith<'a, 'b> {
    rest: &'a mut &'b [u8],
}

impl fmt::Write for CompareWith<'_, '_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let tail = self.rest.strip_prefix(text.as_bytes()).ok_or(fmt::Error)?;
        *self.rest = tail;
        Ok(())
    }
}

/// Reads the body as JSON (any shape `T` borrows from it, often the gateway's envelope).
///
/// A body that is not JSON is [`CallError::Decode`] with a 2xx status (the gateway answered,
/// unreadably) and [`CallError::Http`] otherwise (someone else's error page).
///
/// ```
/// use http::StatusCode;
/// use payments_core::response::{CallError, read_json};
/// use payments_core::transport::HttpResponse;
///
/// let ok = HttpResponse::new(StatusCode::OK, r#"{"type": "success"}"#);
/// let value: serde_json::Value = read_json(&ok)?;
/// assert_eq!(value["type"], "success");
/// let cut = HttpResponse::new(StatusCode::OK, r#"{"type": "succ"#);
/// assert!(matches!(read_json::<serde_json::Value>(&cut), Err(CallError::Decode { .. })));
/// # Ok::<(), CallError>(())
/// ```
///
/// # Errors
///
/// [`CallError::Decode`] or [`CallError::Http`] as above.
pub fn read_json<'a, T: Deserialize<'a>>(response: &'a HttpResponse) -> Result<T, CallError> {
    serde_json::from_slice(&response.body).map_err(|source| {
        if response.status.is_success() {
            CallError::decode(".", source, response)
        } else {
            CallError::http(response)
        }
    })
}

/// Reads `json` (the payload part of `response`'s body, as raw text) as `T`, so amounts are
/// read from the digits sent; a failure names the path below `prefix` (`data` gives
/// `data.amount`; an empty prefix gives the path as it is).
///
/// ```
/// use http::StatusCode;
/// use payments_core::response::{CallError, read_payload};
/// use payments_core::transport::HttpResponse;
///
/// #[derive(Debug, serde::Deserialize)]
/// struct Item { id: u64 }
///
/// let response = HttpResponse::new(StatusCode::OK, r#"{"data": {"id": "x"}}"#);
/// let error = read_payload::<Item>(br#"{"id": "x"}"#, "data", &response).unwrap_err();
/// assert!(matches!(error, CallError::Decode { path, .. } if path == "data.id"));
/// ```
///
/// # Errors
///
/// [`CallError::Decode`] naming the path.
pub fn read_payload<T: DeserializeOwned>(
    json: &[u8],
    prefix: &str,
    response: &HttpResponse,
) -> Result<T, CallError> {
    crate::wire::from_json(json).map_err(|error| {
        let path = match (prefix, error.path.as_str()) {
            ("", path) => path.to_owned(),
            (prefix, ".") => prefix.to_owned(),
            (prefix, path) => format!("{prefix}.{path}"),
        };
        CallError::decode(path, error.source, response)
    })
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;

    fn respond(status: u16, body: &str) -> HttpResponse {
        HttpResponse::new(StatusCode::from_u16(status).unwrap(), body.to_owned())
    }

    #[test]
    fn non_json_is_decode_on_success_and_http_otherwise() {
        let decode = read_json::<serde_json::Value>(&respond(200, "<html>")).unwrap_err();
        assert!(matches!(decode, CallError::Decode { ref path, .. } if path == "."));
        assert_eq!(decode.kind(), GatewayErrorKind::Decode.into());
        let page = read_json::<serde_json::Value>(&respond(503, "<html>down")).unwrap_err();
        assert!(
            matches!(page, CallError::Http { http_status: 503, ref body } if body == "<html>down")
        );
        assert!(page.kind().is_retryable() && page.kind().outcome_unknown());
    }

    #[test]
    fn bodies_are_cut_to_the_snippet() {
        let long = "x".repeat(SNIPPET * 3);
        match CallError::http(&respond(502, &long)) {
            CallError::Http { body, .. } => assert!(body.len() <= SNIPPET + 3, "{}", body.len()),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn payload_paths_are_prefixed() {
        #[derive(Debug, serde::Deserialize)]
        struct Item {
            #[expect(dead_code, reason = "read only to fail")]
            id: u64,
        }
        let response = respond(200, "");
        let root = read_payload::<Item>(b"7", "data", &response).unwrap_err();
        assert!(matches!(root, CallError::Decode { ref path, .. } if path == "data"), "{root:?}");
        let bare = read_payload::<Item>(br#"{"id": true}"#, "", &response).unwrap_err();
        assert!(matches!(bare, CallError::Decode { ref path, .. } if path == "id"), "{bare:?}");
    }

    #[test]
    fn echo_checks_compare_the_whole_text() {
        assert!(check_echo("shop_id", 5_u64, "5").is_ok());
        assert!(check_echo("amount", "", "").is_ok());
        for (expected, received) in [("10", "100"), ("100", "10"), ("10", ""), ("", "1")] {
            let error = check_echo("amount", expected, received).unwrap_err();
            assert!(
                matches!(&error, CallError::Integrity { field: "amount", expected: e, received: r }
                    if e == expected && r == received),
                "{error:?}"
            );
        }
        let long = "a".repeat(200);
        assert!(check_echo("order", &long, &long).is_ok());
        let other = format!("{}b", "a".repeat(199));
        assert!(check_echo("order", &long, &other).is_err());
        assert!(check_echo("order", &long, "a").is_err());
        assert!(check_echo("order", "a", &long).is_err());
    }

    #[test]
    fn every_kind_follows_the_rule() {
        let errors = [
            (CallError::integrity("amount", 1, 2), GatewayErrorKind::Integrity.into()),
            (
                CallError::missing("data", "no data", &respond(200, "")),
                GatewayErrorKind::Decode.into(),
            ),
            (CallError::http(&respond(404, "")), GatewayErrorKind::Http { status: 404 }.into()),
        ];
        for (error, kind) in errors {
            assert_eq!(error.kind(), kind, "{error}");
            assert!(error.kind().outcome_unknown(), "{error}: no final refusal");
        }
    }
}
