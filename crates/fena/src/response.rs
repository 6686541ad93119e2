//! Reading Toolkit responses.
//!
//! Successes wrap their payload in an envelope: `{"created": true, "result": {...}}` for
//! creation, `{"data": ...}` for reads. The error body is not documented; Fena's clients
//! read a `message`. So: a non-2xx status with a message is an [`Error::Api`], and without
//! one it is not Fena's answer ([`CallError::Http`]); a 2xx body without the expected
//! envelope but with a message (or with `"created"`, `"saved"` or `"deleted"` other than
//! `true`) is an [`Error::Api`] too;
//! anything else that does not parse is a [`CallError::Decode`] naming the JSON path.

use std::collections::HashMap;

use payments_core::response::{self, CallError, SNIPPET};
use payments_core::transport::HttpResponse;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::Error;

/// Reads the payload under `key` (`data` or `result`) of a Toolkit response as `T`.
///
/// # Errors
///
/// [`Error::Api`] when Fena refused; [`Error::Call`] with [`CallError::Http`] for an error
/// status without Fena's message, or with [`CallError::Decode`] naming the JSON path.
pub fn parse<T: DeserializeOwned>(
    endpoint: &'static str,
    response: &HttpResponse,
    key: &'static str,
) -> Result<T, Error> {
    let call = |source| Error::Call { endpoint, source };
    let refusal = |message| Error::Api {
        endpoint,
        http_status: response.status.as_u16(),
        message,
        body: response.body_snippet(SNIPPET),
    };
    let value: Value = response::read_json(response).map_err(call)?;
    if !response.status.is_success() {
        return Err(message_of(&value)
            .map_or_else(|| call(CallError::http(response)), |m| refusal(Some(m))));
    }
    // Creation answers `created`, processing a draft `saved`, deleting `deleted`.
    let refused = ["created", "saved", "deleted"]
        .iter()
        .any(|flag| value.get(flag).is_some_and(|flag| *flag != Value::Bool(true)));
    let present = value.get(key).is_some_and(|payload| !payload.is_null());
    if refused || !present {
        let message = message_of(&value);
        if refused || message.is_some() {
            return Err(refusal(message));
        }
        return Err(call(CallError::missing(key, &format!("no {key} in the response"), response)));
    }
    // Read the payload from its raw text, so amounts are parsed exactly as sent.
    // Owned keys: a borrowed key cannot hold a JSON escape (`"da\u0074a"`).
    let raw: HashMap<String, &RawValue> = response::read_json(response).map_err(call)?;
    let payload = raw.get(key).map_or("null", |payload| payload.get());
    response::read_payload(payload.as_bytes(), key, response).map_err(call)
}

/// The error message of a body: `message` (a string, or a list of strings) or `error`
/// (a string, or an object with a `message`).
fn message_of(value: &Value) -> Option<String> {
    let text = |value: &Value| match value {
        Value::String(text) => Some(text.clone()),
        Value::Array(items) => {
            let parts: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        Value::Object(object) => object.get("message").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    value.get("message").and_then(text).or_else(|| value.get("error").and_then(text))
}

#[cfg(test)]
mod tests {
    use http::StatusCode;
    use payments_core::GatewayError as _;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        id: String,
    }

    fn respond(status: u16, body: &str) -> HttpResponse {
        HttpResponse::new(StatusCode::from_u16(status).unwrap(), body.to_owned())
    }

    #[test]
    fn envelopes_and_errors() {
        let ok = parse::<Item>("x", &respond(200, r#"{"data": {"id": "a"}}"#), "data").unwrap();
        assert_eq!(ok, Item { id: "a".into() });
        let err = parse::<Item>("x", &respond(401, r#"{"message": "Unauthorized"}"#), "data")
            .unwrap_err();
        assert!(
            matches!(&err, Error::Api { http_status: 401, message: Some(m), .. } if m == "Unauthorized")
        );
        let err = parse::<Item>(
            "x",
            &respond(200, r#"{"created": false, "message": ["amount must be a string"]}"#),
            "result",
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::Api { http_status: 200, message: Some(m), .. } if m == "amount must be a string")
        );
        let err = parse::<Item>("x", &respond(200, r#"{"error": {"message": "nope"}}"#), "data")
            .unwrap_err();
        assert!(matches!(&err, Error::Api { message: Some(m), .. } if m == "nope"));
        let err = parse::<Item>("x", &respond(502, "<html>"), "data").unwrap_err();
        assert!(
            matches!(&err, Error::Call { source: CallError::Http { http_status: 502, body }, .. } if body == "<html>")
        );
        let err = parse::<Item>("x", &respond(200, "{\"data\": {\"id\""), "data").unwrap_err();
        assert!(
            matches!(&err, Error::Call { source: CallError::Decode { path, .. }, .. } if path == ".")
        );
        let err = parse::<Item>("x", &respond(200, r#"{"data": {"id": 5}}"#), "data").unwrap_err();
        assert!(
            matches!(&err, Error::Call { source: CallError::Decode { path, .. }, .. } if path == "data.id"),
            "{err:?}"
        );
        let escaped = r#"{"da\u0074a": {"id": "a"}, "links\/self": "x"}"#;
        assert_eq!(parse::<Item>("x", &respond(200, escaped), "data").unwrap().id, "a");
        let err = parse::<Item>("x", &respond(404, r#"{"statusCode": 404}"#), "data").unwrap_err();
        assert!(
            matches!(&err, Error::Call { source: CallError::Http { http_status: 404, .. }, .. }),
            "JSON without Fena's message is not Fena's refusal: {err:?}"
        );
        assert!(err.outcome_unknown());
        let err = parse::<Item>("x", &respond(200, r#"{"other": 1}"#), "data").unwrap_err();
        assert!(
            matches!(&err, Error::Call { source: CallError::Decode { path, .. }, .. } if path == "data")
        );
    }
}
