//! Serde helpers for gateway responses.
//!
//! Gateways send amounts as JSON numbers (`1.0`) or strings (`"1.0"`). Going through `f64`
//! would lose exactness, so these helpers read the raw JSON text and parse it as a decimal.

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::amount_text::parse_plain_decimal;

/// Why a JSON text could not be read as the expected type, and where.
#[derive(Debug)]
pub struct PathError {
    /// Where reading failed, as a path from the root (`.` for the root itself, `items[2].amount`).
    pub path: String,
    /// serde's error.
    pub source: serde_json::Error,
}

/// Reads `json` as `T`, and when that fails, says where.
///
/// A plain read comes first; only a text that fails is read again tracking the path, so a
/// good response pays nothing for the diagnostics.
///
/// ```
/// #[derive(Debug, serde::Deserialize)]
/// struct Page { items: Vec<Item> }
/// #[derive(Debug, serde::Deserialize)]
/// struct Item { id: u64 }
///
/// let page: Page = payments_core::wire::from_json(br#"{"items": [{"id": 1}]}"#).unwrap();
/// assert_eq!(page.items[0].id, 1);
/// let error = payments_core::wire::from_json::<Page>(br#"{"items": [{"id": 1}, {"id": "x"}]}"#).unwrap_err();
/// assert_eq!(error.path, "items[1].id");
/// ```
///
/// # Errors
///
/// A [`PathError`].
pub fn from_json<T: DeserializeOwned>(json: &[u8]) -> Result<T, PathError> {
    if let Ok(value) = serde_json::from_slice(json) {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| PathError { path: error.path().to_string(), source: error.into_inner() })
}

/// A JSON value as the text it stands for: a string's content, anything else its JSON
/// (`1.0` stays `1.0`, `true`, `{"a":1}`). How received values are kept as text.
///
/// ```
/// use serde_json::json;
/// use payments_core::wire::value_text;
///
/// assert_eq!(value_text(&json!("a b")), "a b");
/// assert_eq!(value_text(&json!(12)), "12");
/// assert_eq!(value_text(&json!({"a": 1})), r#"{"a":1}"#);
/// ```
pub fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Writes `members` as one JSON object, in the order given (a request body built straight
/// from its fields, with no intermediate map).
///
/// ```
/// let body = payments_core::wire::json_object(&[("b", 1), ("a", 2)])?;
/// assert_eq!(body, br#"{"b":1,"a":2}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// # Errors
///
/// When a value cannot be serialised.
pub fn json_object<V: Serialize>(members: &[(&str, V)]) -> Result<Vec<u8>, serde_json::Error> {
    struct Object<'a, V>(&'a [(&'a str, V)]);
    impl<V: Serialize> Serialize for Object<'_, V> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_map(self.0.iter().map(|(key, value)| (key, value)))
        }
    }
    // Sized for a typical gateway request, so the buffer rarely grows.
    let mut body = Vec::with_capacity(256);
    serde_json::to_writer(&mut body, &Object(members))?;
    Ok(body)
}

/// Reads a JSON number or string as an exact non-negative [`Decimal`].
///
/// Use with `#[serde(deserialize_with = "payments_core::wire::amount")]`.
///
/// ```
/// use payments_core::Decimal;
///
/// #[derive(serde::Deserialize)]
/// struct Row {
///     #[serde(deserialize_with = "payments_core::wire::amount")]
///     price: Decimal,
/// }
///
/// let a: Row = serde_json::from_str(r#"{"price": 100000.99}"#)?;
/// let b: Row = serde_json::from_str(r#"{"price": "100000.99"}"#)?;
/// assert_eq!(a.price, b.price);
/// assert_eq!(a.price.to_string(), "100000.99");
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// # Errors
///
/// A deserialisation error for anything but a plain decimal number or string.
pub fn amount<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let raw = <&serde_json::value::RawValue>::deserialize(deserializer)?;
    decimal_from_raw(raw.get()).map_err(D::Error::custom)
}

/// Like [`amount`], for a field that may be missing or `null`.
///
/// Use with `#[serde(default, deserialize_with = "payments_core::wire::optional_amount")]`.
///
/// # Errors
///
/// As [`amount`].
pub fn optional_amount<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Decimal>, D::Error> {
    let raw = <&serde_json::value::RawValue>::deserialize(deserializer)?;
    if raw.get() == "null" {
        return Ok(None);
    }
    decimal_from_raw(raw.get()).map(Some).map_err(D::Error::custom)
}

/// Reads a JSON string or number as text: `"42"` and `42` both give `"42"`.
///
/// For ids that gateways send sometimes as numbers, sometimes as strings.
///
/// # Errors
///
/// A deserialisation error for anything but a string or a number.
pub fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let raw = <&serde_json::value::RawValue>::deserialize(deserializer)?;
    text_from_raw(raw.get()).map_err(D::Error::custom)
}

/// Like [`text`], for a field that may be missing or `null`.
///
/// # Errors
///
/// As [`text`].
pub fn optional_text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let raw = <&serde_json::value::RawValue>::deserialize(deserializer)?;
    if raw.get() == "null" {
        return Ok(None);
    }
    text_from_raw(raw.get()).map(Some).map_err(D::Error::custom)
}

/// Reads a JSON number or a numeric string as a `u64`: `7` and `"7"` both give `7`.
///
/// # Errors
///
/// A deserialisation error for anything but a non-negative integer.
pub fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let raw = <&serde_json::value::RawValue>::deserialize(deserializer)?;
    let text = text_from_raw(raw.get()).map_err(D::Error::custom)?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(D::Error::custom(format!("expected a non-negative integer, got {text:?}")));
    }
    text.parse().map_err(D::Error::custom)
}

/// Like [`integer`], for a field that may be missing or `null`.
///
/// # Errors
///
/// As [`integer`].
pub fn optional_integer<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    let raw = <&serde_json::value::RawValue>::deserialize(deserializer)?;
    if raw.get() == "null" {
        return Ok(None);
    }
    let mut json = serde_json::Deserializer::from_str(raw.get());
    integer(&mut json).map(Some).map_err(D::Error::custom)
}

fn text_from_raw(raw: &str) -> Result<String, String> {
    if raw.starts_with('"') {
        serde_json::from_str::<String>(raw).map_err(|err| err.to_string())
    } else if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        Ok(raw.to_owned())
    } else {
        Err(format!("expected a string or a number, got {raw}"))
    }
}

fn decimal_from_raw(raw: &str) -> Result<Decimal, String> {
    let text = match raw.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')) {
        Some(inner) => inner,
        None => raw,
    };
    parse_plain_decimal(text).map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Row {
        #[serde(deserialize_with = "amount")]
        value: Decimal,
        #[serde(default, deserialize_with = "optional_amount")]
        extra: Option<Decimal>,
    }

    fn value(json: &str) -> Result<Row, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn numbers_and_strings_read_exactly() {
        assert_eq!(value(r#"{"value": 1.0}"#).unwrap().value.to_string(), "1.0");
        assert_eq!(value(r#"{"value": "23.15"}"#).unwrap().value.to_string(), "23.15");
        assert_eq!(value(r#"{"value": 500}"#).unwrap().value.to_string(), "500");
        // A value f64 cannot hold exactly stays exact.
        let row = value(r#"{"value": 0.1000000000000000055511151231}"#).unwrap();
        assert_eq!(row.value.to_string(), "0.1000000000000000055511151231");
    }

    #[derive(Debug, Deserialize)]
    struct Ids {
        #[serde(deserialize_with = "text")]
        order: String,
        #[serde(deserialize_with = "integer")]
        shop: u64,
        #[serde(default, deserialize_with = "optional_text")]
        note: Option<String>,
        #[serde(default, deserialize_with = "optional_integer")]
        count: Option<u64>,
    }

    #[test]
    fn ids_read_from_strings_or_numbers() {
        let a: Ids = serde_json::from_str(r#"{"order": 4239, "shop": "3"}"#).unwrap();
        let b: Ids =
            serde_json::from_str(r#"{"order": "4239", "shop": 3, "note": "a\"b"}"#).unwrap();
        assert_eq!((a.order.as_str(), a.shop, a.note, a.count), ("4239", 3, None, None));
        let c: Ids = serde_json::from_str(r#"{"order": 1, "shop": 1, "count": "12"}"#).unwrap();
        assert_eq!(c.count, Some(12));
        assert!(serde_json::from_str::<Ids>(r#"{"order": 1, "shop": 1, "count": "x"}"#).is_err());
        assert_eq!((b.order.as_str(), b.shop, b.note.as_deref()), ("4239", 3, Some("a\"b")));
        for bad in [
            r#"{"order": true, "shop": 3}"#,
            r#"{"order": "1", "shop": -3}"#,
            r#"{"order": "1", "shop": "3.5"}"#,
            r#"{"order": "1", "shop": 99999999999999999999999}"#,
        ] {
            assert!(serde_json::from_str::<Ids>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn optional_handles_missing_and_null() {
        assert_eq!(value(r#"{"value": 1}"#).unwrap().extra, None);
        assert_eq!(value(r#"{"value": 1, "extra": null}"#).unwrap().extra, None);
        assert_eq!(
            value(r#"{"value": 1, "extra": "2.5"}"#).unwrap().extra.unwrap().to_string(),
            "2.5"
        );
    }

    #[test]
    fn refuses_exponents_signs_and_other_types() {
        for json in [
            r#"{"value": 1e3}"#,
            r#"{"value": -1}"#,
            r#"{"value": "1,5"}"#,
            r#"{"value": true}"#,
            r#"{"value": {}}"#,
            r#"{"value": null}"#,
        ] {
            assert!(value(json).is_err(), "{json}");
        }
    }
}
