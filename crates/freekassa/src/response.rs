//! Reading Freekassa responses.
//!
//! Every answer is a JSON object with `"type": "success"` or `"type": "error"` and, for
//! errors, a `message`. The documentation gives errors HTTP 400 and 401, but an error with
//! HTTP 200 has been seen too, so `type` is checked first, whatever the status, and a success
//! is only believed with a 2xx status.

use payments_core::response::{self, CallError};
use payments_core::transport::HttpResponse;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::Error;

/// Where Freekassa and its mirrors have been seen to put the error text.
const MESSAGE_KEYS: [&str; 5] = ["message", "msg", "error", "desc", "description"];

/// Reads a successful response as `T` (unknown fields are ignored by the response types).
///
/// # Errors
///
/// [`Error::Api`] for `{"type": "error"}` with any status; [`Error::Call`] with
/// [`CallError::Http`] for a body that is not Freekassa's JSON with a non-2xx status (or a
/// success with one), and with [`CallError::Decode`] naming the JSON path that failed
/// otherwise.
pub fn parse<T: DeserializeOwned>(
    endpoint: &'static str,
    response: &HttpResponse,
) -> Result<T, Error> {
    let call = |source| Error::Call { endpoint, source };
    let value: Value = response::read_json(response).map_err(call)?;
    match value.get("type").and_then(Value::as_str) {
        Some("error") => Err(Error::Api {
            endpoint,
            message: error_message(&value),
            http_status: response.status.as_u16(),
        }),
        Some("success") if response.status.is_success() => {
            // Read from the bytes, not from `value`: the amount readers need the raw JSON text.
            response::read_payload(&response.body, "", response).map_err(call)
        }
        _ if !response.status.is_success() => Err(call(CallError::http(response))),
        other => {
            let got = other.map_or_else(|| "nothing".to_owned(), |kind| format!("{kind:?}"));
            let what = format!("expected \"success\" or \"error\", got {got}");
            Err(call(CallError::missing("type", &what, response)))
        }
    }
}

fn error_message(value: &Value) -> String {
    MESSAGE_KEYS
        .iter()
        .find_map(|key| match value.get(key)? {
            Value::String(text) => Some(text.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        })
        .unwrap_or_default()
}

/// Reads a flag that arrives as `1`/`0`, `"1"`/`"0"` or `true`/`false`.
///
/// # Errors
///
/// A deserialisation error for anything else.
pub fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Bool(flag) => Ok(flag),
        Value::Number(number) if number.as_u64() == Some(1) => Ok(true),
        Value::Number(number) if number.as_u64() == Some(0) => Ok(false),
        Value::String(text) if text == "1" => Ok(true),
        Value::String(text) if text == "0" => Ok(false),
        other => Err(serde::de::Error::custom(format!("expected 0 or 1, got {other}"))),
    }
}

/// Like [`flag`], for a field that may be missing or `null`.
///
/// # Errors
///
/// As [`flag`].
pub fn optional_flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    let value = Value::deserialize(deserializer)?;
    if value.is_null() {
        return Ok(None);
    }
    flag(value).map(Some).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Data {
        #[serde(deserialize_with = "payments_core::wire::integer")]
        id: u64,
    }

    fn respond(status: u16, body: &str) -> HttpResponse {
        HttpResponse::new(StatusCode::from_u16(status).unwrap(), body.to_owned())
    }

    #[test]
    fn success_is_read_and_unknown_fields_ignored() {
        let body = r#"{"type": "success", "id": "7", "extra": [1, 2]}"#;
        assert_eq!(parse::<Data>("x", &respond(200, body)).unwrap(), Data { id: 7 });
    }

    #[test]
    fn error_type_is_an_api_error_on_200_400_and_401() {
        for status in [200, 400, 401] {
            let body = r#"{"type": "error", "message": "Wrong signature"}"#;
            match parse::<Data>("balance", &respond(status, body)).unwrap_err() {
                Error::Api { message, http_status, endpoint } => {
                    assert_eq!(
                        (message.as_str(), http_status, endpoint),
                        ("Wrong signature", status, "balance")
                    );
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn other_message_keys_are_read() {
        let body = r#"{"type": "error", "msg": "Merchant not activated"}"#;
        let err = parse::<Data>("x", &respond(400, body)).unwrap_err();
        assert!(matches!(err, Error::Api { message, .. } if message == "Merchant not activated"));
    }

    #[test]
    fn non_json_and_missing_type() {
        let err = parse::<Data>("x", &respond(502, "<html>Bad gateway</html>")).unwrap_err();
        assert!(
            matches!(&err, Error::Call { source: CallError::Http { http_status: 502, body, .. }, .. } if body.contains("Bad"))
        );
        assert!(matches!(
            parse::<Data>("x", &respond(200, "{\"type\": \"succ")),
            Err(Error::Call { source: CallError::Decode { .. }, .. })
        ));
        assert!(matches!(
            parse::<Data>("x", &respond(200, r#"{"id": 1}"#)),
            Err(Error::Call { source: CallError::Decode { path, .. }, .. }) if path == "type"
        ));
        assert!(matches!(
            parse::<Data>("x", &respond(500, r#"{"type": "success", "id": 1}"#)),
            Err(Error::Call { source: CallError::Http { http_status: 500, .. }, .. })
        ));
    }

    #[test]
    fn decode_errors_name_the_path() {
        let body = r#"{"type": "success", "id": "x"}"#;
        match parse::<Data>("x", &respond(200, body)).unwrap_err() {
            Error::Call { source: CallError::Decode { path, .. }, .. } => assert_eq!(path, "id"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn flags() {
        #[derive(Deserialize)]
        struct F {
            #[serde(deserialize_with = "flag")]
            a: bool,
        }
        for (json, want) in [("1", true), ("0", false), ("\"1\"", true), ("true", true)] {
            let f: F = serde_json::from_str(&format!("{{\"a\": {json}}}")).unwrap();
            assert_eq!(f.a, want, "{json}");
        }
        assert!(serde_json::from_str::<F>(r#"{"a": 2}"#).is_err());
    }
}
