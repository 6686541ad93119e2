//! Reading JWT claims: times (`exp`, `iat`, `nbf`) and string claims. Shared by the webhook
//! token and by [`crate::link`], which reads back the links it signed.

use std::borrow::Cow;
use std::fmt;

use payments_core::Decimal;
use payments_core::webhook::ReceivedFields;
use rust_decimal::prelude::ToPrimitive;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::clock::unix_seconds;
use crate::config::Config;
use crate::error::TokenError;

/// A token's claims, read from its decoded payload: each name with its value, in name order,
/// the last of a repeated name kept. The same reading as a `serde_json::Map` (a `BTreeMap`),
/// but names and string values are borrowed from the payload when they have no escapes, so
/// that reading them allocates nothing per claim.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Claims<'a>(Vec<(Cow<'a, str>, Claim<'a>)>);

/// One claim's value: a string (its content), or any other JSON value.
#[derive(Debug, PartialEq)]
pub(crate) enum Claim<'a> {
    /// A JSON string.
    Text(Cow<'a, str>),
    /// Anything but a string (never `Value::String`).
    Other(Value),
}

impl<'a> Claims<'a> {
    /// Reads the JSON object of a token's payload.
    pub(crate) fn from_json(json: &'a [u8]) -> Result<Self, serde_json::Error> {
        // Checked as UTF-8 once, so that serde_json does not check each string again; JSON
        // that is not UTF-8 is read as bytes, for the same error as before. The flat objects
        // Fena signs are read by `flat_claims`, anything else by serde_json.
        match std::str::from_utf8(json) {
            Ok(text) => match super::flat_claims::members(text) {
                Some(members) => Ok(Self::from_members(members)),
                None => serde_json::from_str(text),
            },
            Err(_) => serde_json::from_slice(json),
        }
    }

    /// The claims of an object's members, given in the order sent: put in name order, the
    /// last of a repeated name kept, as a map inserting them in turn would keep them.
    pub(super) fn from_members(mut claims: Vec<(Cow<'a, str>, Claim<'a>)>) -> Self {
        // Stable: the members of one name stay in the order sent, and the last one's value is
        // kept (a map's insert replaces the value).
        claims.sort_by(|left, right| name_order(&left.0, &right.0));
        claims.dedup_by(|later, kept| {
            let repeated = later.0 == kept.0;
            if repeated {
                std::mem::swap(&mut later.1, &mut kept.1);
            }
            repeated
        });
        Claims(claims)
    }

    /// The value of `name`, if present.
    pub(crate) fn get(&self, name: &str) -> Option<&Claim<'a>> {
        self.value(self.0.binary_search_by(|(claim, _)| name_order(claim, name)).ok())
    }

    /// The places of `names` in name order (in [`Claims::to_text_fields`] too), if present,
    /// found in one pass over the claims: a verifier reads several claims, and a binary search
    /// for each took three to four name comparisons where this takes mostly length
    /// comparisons (instructions of the webhook row's lookups: 2,100 with a search per name,
    /// about 550 in one pass).
    pub(crate) fn find<const N: usize>(&self, names: [&str; N]) -> [Option<usize>; N] {
        let mut found = [None; N];
        for (place, (name, _)) in self.0.iter().enumerate() {
            if let Some(slot) = names
                .iter()
                .position(|wanted| *wanted == name.as_ref())
                .and_then(|at| found.get_mut(at))
            {
                *slot = Some(place);
            }
        }
        found
    }

    /// The value at `place` (from [`Claims::find`]), if any.
    pub(crate) fn value(&self, place: Option<usize>) -> Option<&Claim<'a>> {
        self.0.get(place?).map(|(_, value)| value)
    }

    /// Every claim as text, in name order, in one buffer: a string as its content, anything
    /// else as its JSON (as `serde_json::Value` writes it).
    pub(crate) fn to_text_fields(&self) -> ReceivedFields {
        // Exact for strings; a number takes at most 24 characters (anything longer, an
        // object or array, grows the buffer).
        let bytes: usize = self
            .0
            .iter()
            .map(|(name, claim)| {
                name.len()
                    + match claim {
                        Claim::Text(text) => text.len(),
                        Claim::Other(_) => 24,
                    }
            })
            .sum();
        let mut fields = ReceivedFields::with_capacity(bytes, self.0.len());
        let mut json = JsonText::default();
        for (name, claim) in &self.0 {
            match claim {
                Claim::Text(text) => fields.push(name, text),
                Claim::Other(other) => fields.push(name, &json.write(other)),
            }
        }
        fields
    }
}

impl<'de> Deserialize<'de> for Claims<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ClaimsVisitor)
    }
}

struct ClaimsVisitor;

impl<'de> Visitor<'de> for ClaimsVisitor {
    type Value = Claims<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As `serde_json::Map`'s, so that errors read as before.
        formatter.write_str("a map")
    }

    fn visit_unit<E>(self) -> Result<Claims<'de>, E> {
        Ok(Claims::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Claims<'de>, A::Error> {
        let mut claims = Vec::with_capacity(16);
        while let Some((Name(name), claim)) = access.next_entry::<Name<'de>, Claim<'de>>()? {
            claims.push((name, claim));
        }
        Ok(Claims::from_members(claims))
    }
}

/// The order of names (`str`'s, byte by byte), decided on the first byte when it can be:
/// claim names mostly differ there, and comparing short strings in full calls `memcmp`.
fn name_order(left: &str, right: &str) -> std::cmp::Ordering {
    match left.as_bytes().first().cmp(&right.as_bytes().first()) {
        std::cmp::Ordering::Equal => left.cmp(right),
        decided => decided,
    }
}

/// A member name, borrowed from the payload when it has no escapes.
struct Name<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match deserializer.deserialize_str(ClaimVisitor)? {
            Claim::Text(text) => Ok(Name(text)),
            Claim::Other(_) => Err(serde::de::Error::custom("a member name must be a string")),
        }
    }
}

impl<'de> Deserialize<'de> for Claim<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ClaimVisitor)
    }
}

/// Reads a string as [`Claim::Text`] (borrowed when it can be) and anything else as
/// `serde_json::Value` reads it.
struct ClaimVisitor;

impl<'de> Visitor<'de> for ClaimVisitor {
    type Value = Claim<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As `serde_json::Value`'s.
        formatter.write_str("any valid JSON value")
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Claim<'de>, E> {
        Ok(Claim::Text(Cow::Borrowed(text)))
    }

    fn visit_str<E>(self, text: &str) -> Result<Claim<'de>, E> {
        Ok(Claim::Text(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E>(self, text: String) -> Result<Claim<'de>, E> {
        Ok(Claim::Text(Cow::Owned(text)))
    }

    fn visit_bool<E>(self, value: bool) -> Result<Claim<'de>, E> {
        Ok(Claim::Other(Value::Bool(value)))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Claim<'de>, E> {
        Ok(Claim::Other(Value::from(value)))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Claim<'de>, E> {
        Ok(Claim::Other(Value::from(value)))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Claim<'de>, E> {
        // As `Value` reads it: a non-finite number is `null` (JSON text cannot hold one).
        Ok(Claim::Other(Value::from(value)))
    }

    fn visit_unit<E>(self) -> Result<Claim<'de>, E> {
        Ok(Claim::Other(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Claim<'de>, E> {
        Ok(Claim::Other(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Claim<'de>, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(Claim::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Claim<'de>, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(Claim::Other)
    }
}

/// Writes a claim that is not a string as JSON text, as `serde_json::Value`'s `Display`
/// does: on the stack when it fits (any number does), on the heap otherwise.
#[derive(Default)]
struct JsonText {
    bytes: [u8; 32],
}

impl JsonText {
    fn write(&mut self, value: &Value) -> Cow<'_, str> {
        let mut cursor = std::io::Cursor::new(&mut self.bytes[..]);
        if serde_json::to_writer(&mut cursor, value).is_ok() {
            let len = usize::try_from(cursor.position()).unwrap_or_default();
            if let Some(Ok(text)) = self.bytes.get(..len).map(std::str::from_utf8) {
                return Cow::Borrowed(text);
            }
        }
        Cow::Owned(value.to_string())
    }
}

/// `exp` and `iat` of a checked token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Times {
    pub(crate) exp: i64,
    pub(crate) iat: Option<i64>,
}

/// Checks `exp` (required), `iat` and `nbf` (when present) against the config's clock.
///
/// A token is expired once `now >= exp + leeway` (RFC 7519: the current time must be before
/// `exp`); `iat` or `nbf` later than `now + leeway` is refused.
pub(crate) fn check_times(claims: &Claims<'_>, config: &Config) -> Result<Times, TokenError> {
    let now = unix_seconds(config.clock());
    let leeway = config.leeway().as_secs();
    let leeway_i64 = i64::try_from(leeway).unwrap_or(i64::MAX);
    let [exp, iat, nbf] = claims.find(["exp", "iat", "nbf"]).map(|place| claims.value(place));
    let exp = numeric_date(exp, "exp", Rounding::Down)?.ok_or(TokenError::MissingClaim("exp"))?;
    if now >= exp.saturating_add(leeway_i64) {
        return Err(TokenError::Expired { exp, now, leeway });
    }
    let iat = numeric_date(iat, "iat", Rounding::Up)?;
    if let Some(iat) = iat
        && iat > now.saturating_add(leeway_i64)
    {
        return Err(TokenError::IssuedInFuture { iat, now, leeway });
    }
    if let Some(nbf) = numeric_date(nbf, "nbf", Rounding::Up)?
        && nbf > now.saturating_add(leeway_i64)
    {
        return Err(TokenError::NotYetValid { nbf, now, leeway });
    }
    Ok(Times { exp, iat })
}

#[derive(Clone, Copy)]
enum Rounding {
    Down,
    Up,
}

/// Reads a JWT `NumericDate` (seconds, possibly fractional), the value of `claim`, exactly,
/// rounding towards the stricter side.
fn numeric_date(
    value: Option<&Claim<'_>>,
    claim: &'static str,
    rounding: Rounding,
) -> Result<Option<i64>, TokenError> {
    let invalid = |reason: String| TokenError::InvalidClaim { claim, reason };
    match value {
        None | Some(Claim::Other(Value::Null)) => Ok(None),
        Some(Claim::Other(Value::Number(number))) => {
            if let Some(seconds) = number.as_i64() {
                return Ok(Some(seconds));
            }
            let exact: Decimal = number
                .to_string()
                .parse()
                .map_err(|_| invalid(format!("{number} is not a usable time")))?;
            let whole = match rounding {
                Rounding::Down => exact.floor(),
                Rounding::Up => exact.ceil(),
            };
            whole.to_i64().map(Some).ok_or_else(|| invalid(format!("{number} is out of range")))
        }
        Some(Claim::Other(other)) => {
            Err(invalid(format!("expected seconds since the epoch, got {other}")))
        }
        Some(Claim::Text(text)) => {
            let other = Value::String(text.clone().into_owned());
            Err(invalid(format!("expected seconds since the epoch, got {other}")))
        }
    }
}

/// Reads a string claim. Missing (or `null`) is [`TokenError::MissingClaim`]; another type,
/// or an empty string when `allow_empty` is false, is [`TokenError::InvalidClaim`].
pub(crate) fn claim_text<'c>(
    claims: &'c Claims<'_>,
    claim: &'static str,
    allow_empty: bool,
) -> Result<&'c str, TokenError> {
    text_value(claims.get(claim), claim, allow_empty)
}

/// [`claim_text`] for a value already looked up (with [`Claims::find`]).
pub(crate) fn text_value<'c>(
    value: Option<&'c Claim<'_>>,
    claim: &'static str,
    allow_empty: bool,
) -> Result<&'c str, TokenError> {
    match value {
        None | Some(Claim::Other(Value::Null)) => Err(TokenError::MissingClaim(claim)),
        Some(Claim::Text(text)) if text.is_empty() && !allow_empty => {
            Err(TokenError::InvalidClaim { claim, reason: "is empty".to_owned() })
        }
        Some(Claim::Text(text)) => Ok(text),
        Some(Claim::Other(other)) => Err(TokenError::InvalidClaim {
            claim,
            reason: format!("expected a string, got {}", json_type(other)),
        }),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields as `serde_json::Map` (what the claims were read into before) gives them.
    fn through_a_map(json: &str) -> Vec<(String, String)> {
        let map: serde_json::Map<String, Value> = serde_json::from_str(json).unwrap();
        map.into_iter()
            .map(|(name, value)| match value {
                Value::String(text) => (name, text),
                other => (name, other.to_string()),
            })
            .collect()
    }

    #[test]
    fn claims_read_as_a_json_map_reads_them() {
        for json in [
            r#"{"b":"2","a":"1","c":3}"#,
            // A repeated name: the last value, at the name's place in order.
            r#"{"x":"first","a":1,"x":"last"}"#,
            r#"{"x":1,"x":null,"y":"v","x":"three"}"#,
            // Escapes in names and values (read into owned text).
            r#"{"n\u00e9":"caf\u00e9","q\"":"a\\b\n","plain":"x"}"#,
            // Every other JSON type, written back as serde_json writes it.
            r#"{"f":1.50,"e":1e3,"neg":-7,"big":18446744073709551615,"t":true,"z":null}"#,
            r#"{"o":{"b":[1,"two",{"c":null}],"a":{}},"arr":[],"s":""}"#,
            r#"{"long":123456789012345678901234567890,"tiny":1e-300}"#,
            "{}",
        ] {
            let claims =
                Claims::from_json(json.as_bytes()).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(claims.to_text_fields().to_vec(), through_a_map(json), "{json}");
        }
        // What a map refuses, the claims refuse, with the same message.
        for json in [
            &b"[1]"[..],
            b"1",
            br#""a""#,
            br#"{"a":}"#,
            br#"{"a":1}x"#,
            b"{\"a\":\"\xff\"}",
            b"{\"\xc3\":1}",
        ] {
            let ours = Claims::from_json(json).unwrap_err().to_string();
            let map = serde_json::from_slice::<serde_json::Map<String, Value>>(json).unwrap_err();
            assert_eq!(ours, map.to_string(), "{json:?}");
        }
    }

    #[test]
    fn names_are_ordered_as_strings_are() {
        let names = ["", "a", "ab", "b", "ba", "exp", "iat", "id", "\u{e9}", "Z", "a\u{0}"];
        for left in names {
            for right in names {
                assert_eq!(name_order(left, right), left.cmp(right), "{left:?} {right:?}");
            }
        }
    }

    #[test]
    fn fractional_times_round_to_the_strict_side() {
        let claims = Claims::from_json(br#"{"exp": 100.7, "iat": 99.2, "bad": "1"}"#).unwrap();
        let date = |name, rounding| numeric_date(claims.get(name), name, rounding);
        assert_eq!(date("exp", Rounding::Down).unwrap(), Some(100));
        assert_eq!(date("iat", Rounding::Up).unwrap(), Some(100));
        assert!(date("bad", Rounding::Up).is_err());
        assert_eq!(date("nbf", Rounding::Up).unwrap(), None);
    }
}
