//! Reading Feennex responses.
//!
//! Every response is the envelope `{"result": bool, "error_code": int, "message": str,
//! "data": ...}`. Errors come with HTTP 200 and `result: false`, so the envelope is checked
//! first, whatever the HTTP status.

use std::borrow::Cow;

use payments_core::mask::mask_numbers;
use payments_core::response::{self, CallError};
use payments_core::transport::HttpResponse;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::model::ErrorCode;

/// The prefixes Feennex (and its sibling platforms) put before the string it signed.
const SIGN_PREFIXES: &[&str] = &["string_to_sign: ", "string to sign: "];

#[derive(Deserialize)]
struct Envelope<'a> {
    result: Option<bool>,
    #[serde(default, deserialize_with = "lenient_code")]
    error_code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(borrow, default)]
    data: Option<&'a serde_json::value::RawValue>,
}

/// A success envelope read in one pass, `data` straight into its type: what nearly every
/// answer is. Anything else (an error, a missing or unreadable field) is read again by the
/// full rules of [`parse`], so this changes no result, only the cost of a good answer.
///
/// `message` is read (borrowed when it has no escapes) only so that a success with a
/// `message` the full rules refuse (not a string, or given twice) is refused here too.
#[derive(Deserialize)]
struct Success<'a, T> {
    result: bool,
    #[serde(default, deserialize_with = "lenient_code")]
    error_code: Option<i64>,
    #[serde(default, borrow)]
    #[allow(dead_code, reason = "read to be checked as the full rules check it, never used")]
    message: Option<Cow<'a, str>>,
    data: T,
}

fn lenient_code<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    let raw = <&serde_json::value::RawValue>::deserialize(deserializer)?;
    let text = raw.get().trim_matches('"');
    if text == "null" {
        return Ok(None);
    }
    text.parse().map(Some).map_err(serde::de::Error::custom)
}

/// Reads the `data` of a successful response as `T`.
///
/// `our_string_to_sign` is what we signed; it is put next to Feennex's own string when the
/// signature is rejected.
///
/// # Errors
///
/// [`Error::Api`], [`Error::SignatureRejected`], or [`Error::Call`] with
/// [`CallError::Http`] (not Feennex's envelope) or [`CallError::Decode`].
pub fn parse<T: DeserializeOwned>(
    endpoint: &'static str,
    response: &HttpResponse,
    our_string_to_sign: &str,
) -> Result<T, Error> {
    if response.status.is_success()
        && let Ok(Success { result: true, error_code: None | Some(0), data, .. }) =
            serde_json::from_slice::<Success<'_, T>>(&response.body)
    {
        return Ok(data);
    }
    let call = |source| Error::Call { endpoint, source };
    let envelope: Envelope<'_> = response::read_json(response).map_err(call)?;
    let Some(result) = envelope.result else {
        // JSON, but not the Feennex envelope (a proxy's or a framework's error page).
        return Err(call(if response.status.is_success() {
            CallError::missing("result", "missing field `result`", response)
        } else {
            CallError::http(response)
        }));
    };
    let http_status = response.status.as_u16();
    let code = envelope.error_code.unwrap_or(0);
    if !result || code != 0 {
        let message = envelope.message.unwrap_or_default();
        let code = ErrorCode::from_code(code);
        if code == ErrorCode::IncorrectRequestParam
            && let Some(server_string) = server_string_to_sign(&message)
        {
            // Withdrawal strings hold the recipient's card or account number.
            return Err(Error::SignatureRejected {
                endpoint,
                server_string: mask_numbers(server_string),
                our_string: mask_numbers(our_string_to_sign),
                http_status,
            });
        }
        return Err(Error::Api { endpoint, code, message, http_status });
    }
    if !response.status.is_success() {
        // A success envelope with an error status is not trusted either way.
        return Err(call(CallError::http(response)));
    }
    let data = envelope.data.map_or("null", serde_json::value::RawValue::get);
    response::read_payload(data.as_bytes(), "data", response).map_err(call)
}

/// Checks that a value Feennex echoed is the one we sent.
///
/// # Errors
///
/// [`Error::Call`] with [`CallError::Integrity`] naming the field.
pub fn check_echo(
    endpoint: &'static str,
    field: &'static str,
    expected: impl std::fmt::Display,
    received: impl std::fmt::Display,
) -> Result<(), Error> {
    response::check_echo(field, expected, received)
        .map_err(|source| Error::Call { endpoint, source })
}

/// Checks that a URL the payer will be sent to is a web page: `https`, or `http` only when
/// the API itself was reached over `http` (a local sandbox), as the `prepared` request was.
/// Anything else (`javascript:`, `data:`) would run in the shop's own page.
///
/// # Errors
///
/// [`Error::Call`] with [`CallError::Integrity`] naming `url`.
pub fn check_payer_url(
    endpoint: &'static str,
    url: &url::Url,
    prepared: &crate::request::Prepared,
) -> Result<(), Error> {
    let allowed = url.scheme() == "https"
        || (url.scheme() == "http" && prepared.request().url.scheme() == "http");
    if allowed {
        Ok(())
    } else {
        let source = CallError::integrity("url", "an https URL", url.scheme());
        Err(Error::Call { endpoint, source })
    }
}

/// Reads `ps_data`, which Feennex sends as a JSON object in some places and as a JSON string
/// in others, as the JSON text (an object's raw text, a string's content).
///
/// # Errors
///
/// Never for valid JSON; `null` or a missing field gives `None`.
pub fn raw_json_text<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let raw = <&serde_json::value::RawValue>::deserialize(deserializer)?;
    match raw.get() {
        "null" => Ok(None),
        text if text.starts_with('"') => {
            serde_json::from_str(text).map_err(serde::de::Error::custom)
        }
        text => Ok(Some(text.to_owned())),
    }
}

/// The string Feennex says it signed, from `Invalid sign, string_to_sign: <string>`.
fn server_string_to_sign(message: &str) -> Option<&str> {
    if !message.to_ascii_lowercase().contains("sign") {
        return None;
    }
    SIGN_PREFIXES.iter().find_map(|prefix| {
        let start = message.find(prefix)?;
        let rest = message.get(start + prefix.len()..)?;
        // The sibling platform wraps the string in quotes: `... string to sign: "..."`.
        let rest = rest.trim_end_matches('"');
        Some(rest.strip_prefix('"').unwrap_or(rest))
    })
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Data {
        id: u64,
    }

    fn respond(status: u16, body: &str) -> HttpResponse {
        HttpResponse::new(StatusCode::from_u16(status).unwrap(), body.to_owned())
    }

    #[test]
    fn success_returns_data() {
        let body = r#"{"data": {"id": 7}, "error_code": 0, "message": "Ok", "result": true}"#;
        assert_eq!(parse::<Data>("x", &respond(200, body), "").unwrap(), Data { id: 7 });
    }

    #[test]
    fn result_false_with_http_200_is_an_api_error() {
        let body = r#"{"data": null, "error_code": 6, "message": "Not unique", "result": false}"#;
        let err = parse::<Data>("bill/create", &respond(200, body), "s").unwrap_err();
        match err {
            Error::Api { code, message, http_status, endpoint } => {
                assert_eq!(code, ErrorCode::OperationNotUnique);
                assert_eq!(message, "Not unique");
                assert_eq!(http_status, 200);
                assert_eq!(endpoint, "bill/create");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn error_envelope_is_read_on_any_status() {
        let body =
            r#"{"data": null, "error_code": "15", "message": "Shop ip denied", "result": false}"#;
        let err = parse::<Data>("x", &respond(403, body), "").unwrap_err();
        assert!(matches!(
            err,
            Error::Api { code: ErrorCode::RequestIpDenied, http_status: 403, .. }
        ));
    }

    #[test]
    fn invalid_sign_shows_both_strings() {
        let body = r#"{"data": null, "error_code": 10, "message": "Invalid sign, string_to_sign: 500:840:card_usd:6199:99991", "result": false}"#;
        let err =
            parse::<Data>("invoice/create", &respond(200, body), "500.0:840:card_usd:6199:99991")
                .unwrap_err();
        match &err {
            Error::SignatureRejected { server_string, our_string, .. } => {
                assert_eq!(server_string, "500:840:card_usd:6199:99991");
                assert_eq!(our_string, "500.0:840:card_usd:6199:99991");
            }
            other => panic!("unexpected {other:?}"),
        }
        let text = err.to_string();
        assert!(
            text.contains("500:840:card_usd:6199:99991") && text.contains("500.0:840"),
            "{text}"
        );
        assert!(!text.contains("check the secret key"));
    }

    #[test]
    fn card_numbers_in_the_strings_are_masked() {
        let body = r#"{"error_code": 10, "message": "Invalid sign, string_to_sign: 4111111111111111:100.0:ps_amount:card_rub:643:5:p-1", "result": false}"#;
        let err = parse::<Data>(
            "withdraw/create",
            &respond(200, body),
            "4111111111111111:100.0:ps_amount:card_rub:643:5:p-1",
        )
        .unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("4111111111111111"), "{text}");
        assert!(text.contains("************1111:100.0:ps_amount"), "{text}");
    }

    #[test]
    fn same_strings_point_at_the_secret() {
        let body = r#"{"error_code": 10, "message": "Incorrect values for parameters: sign=\"Invalid sign, string to sign: \"2023-07-18T13:23:41:357\"\"", "result": false}"#;
        let err = parse::<Data>("shop_balance", &respond(200, body), "2023-07-18T13:23:41:357")
            .unwrap_err();
        assert!(
            matches!(&err, Error::SignatureRejected { server_string, .. } if server_string == "2023-07-18T13:23:41:357"),
            "{err:?}"
        );
        assert!(err.to_string().contains("check the secret key"));
    }

    #[test]
    fn other_code_10_messages_stay_api_errors() {
        let body = r#"{"error_code": 10, "message": "shop_order_id is required", "result": false}"#;
        let err = parse::<Data>("x", &respond(200, body), "").unwrap_err();
        assert!(matches!(err, Error::Api { code: ErrorCode::IncorrectRequestParam, .. }));
    }

    #[test]
    fn non_json_is_http_or_decode_error() {
        let err = parse::<Data>("x", &respond(502, "<html>Bad gateway</html>"), "").unwrap_err();
        assert!(
            matches!(&err, Error::Call { source: CallError::Http { http_status: 502, body }, .. } if body.contains("Bad gateway"))
        );
        let err = parse::<Data>("x", &respond(200, "{\"result\": tr"), "").unwrap_err();
        assert!(matches!(err, Error::Call { source: CallError::Decode { .. }, .. }));
    }

    #[test]
    fn success_envelope_with_error_status_is_not_trusted() {
        let body = r#"{"data": {"id": 7}, "error_code": 0, "message": "Ok", "result": true}"#;
        assert!(matches!(
            parse::<Data>("x", &respond(500, body), ""),
            Err(Error::Call { source: CallError::Http { http_status: 500, .. }, .. })
        ));
    }

    #[test]
    fn json_that_is_not_the_envelope_is_not_an_api_error() {
        let body = r#"{"data": {"id": 7}}"#;
        assert!(matches!(
            parse::<Data>("x", &respond(200, body), ""),
            Err(Error::Call { source: CallError::Decode { path, .. }, .. }) if path == "result"
        ));
        let body = r#"{"message": "Request did not match any route or mock"}"#;
        assert!(matches!(
            parse::<Data>("x", &respond(404, body), ""),
            Err(Error::Call { source: CallError::Http { http_status: 404, .. }, .. })
        ));
    }

    #[test]
    fn only_a_clean_success_skips_the_envelope_rules() {
        // `result: true` with an error code, a string code, a missing `data`: each goes
        // through the same rules as before the one-pass read of a success.
        let coded =
            r#"{"data": {"id": 7}, "error_code": 6, "message": "Not unique", "result": true}"#;
        assert!(matches!(
            parse::<Data>("x", &respond(200, coded), ""),
            Err(Error::Api { code: ErrorCode::OperationNotUnique, .. })
        ));
        let text_code = r#"{"data": {"id": 7}, "error_code": "0", "result": true}"#;
        assert_eq!(parse::<Data>("x", &respond(200, text_code), "").unwrap(), Data { id: 7 });
        let no_data = r#"{"error_code": 0, "result": true}"#;
        assert!(matches!(
            parse::<Data>("x", &respond(200, no_data), ""),
            Err(Error::Call { source: CallError::Decode { path, .. }, .. }) if path == "data"
        ));
        assert_eq!(parse::<Option<Data>>("x", &respond(200, no_data), "").unwrap(), None);
        let twice = r#"{"data": {"id": 7}, "data": {"id": 8}, "result": true}"#;
        assert!(matches!(
            parse::<Data>("x", &respond(200, twice), ""),
            Err(Error::Call { source: CallError::Decode { .. }, .. })
        ));
        // A `message` the full rules refuse is refused on the short path too.
        for body in [
            r#"{"result": true, "error_code": 0, "message": 5, "data": {"id": 7}}"#,
            r#"{"result": true, "error_code": 0, "message": "a", "message": "b", "data": {"id": 7}}"#,
        ] {
            assert!(
                matches!(
                    parse::<Data>("x", &respond(200, body), ""),
                    Err(Error::Call { source: CallError::Decode { .. }, .. })
                ),
                "{body}"
            );
        }
        let escaped =
            r#"{"result": true, "error_code": 0, "message": "O\u006b", "data": {"id": 7}}"#;
        assert_eq!(parse::<Data>("x", &respond(200, escaped), "").unwrap(), Data { id: 7 });
    }

    #[test]
    fn decode_error_names_the_path() {
        let body = r#"{"data": {"id": "x"}, "error_code": 0, "message": "Ok", "result": true}"#;
        match parse::<Data>("x", &respond(200, body), "").unwrap_err() {
            Error::Call { source: CallError::Decode { path, .. }, .. } => {
                assert_eq!(path, "data.id");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
