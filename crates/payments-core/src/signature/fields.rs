//! A signed JSON request's fields: one list from which both the string to sign and the body
//! are written, so the two cannot disagree.
//!
//! What differs between gateways is a [`FieldScheme`]: the separator between the signed
//! values (always sorted by key), the digest, and the body key the signature goes under.
//! Each gateway adds its own rules on top (Feennex refuses a `:` in the shop's ids, Freekassa
//! adds `shopId` and `nonce`).

use std::borrow::Cow;

use secrecy::SecretString;
use serde_json::Value;

use super::{HexDigest, KeyOrder, canonical_string, sort_by_key_unique};
use crate::InputError;

/// A signed value as sent. Its text is what is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldValue {
    /// Sent as a JSON string, signed as the string.
    Text(String),
    /// Sent as a JSON integer, signed as its decimal digits.
    Integer(u64),
    /// An amount in shortest plain decimal form (`100.5`), sent as a JSON number with exactly
    /// these digits and signed as the same digits. Anything else is refused when signing.
    Amount(String),
}

impl FieldValue {
    /// The text that is signed.
    pub fn signed_text(&self) -> Cow<'_, str> {
        match self {
            Self::Text(text) | Self::Amount(text) => Cow::Borrowed(text),
            Self::Integer(number) => Cow::Owned(number.to_string()),
        }
    }

    /// Refuses an amount whose digits a JSON reader might not keep exactly.
    fn check(&self, key: &str) -> Result<(), InputError> {
        match self {
            Self::Amount(text) if !is_shortest_plain_decimal(text) => Err(InputError::field(
                "amount",
                format!("{key}: {text:?} is not a shortest plain decimal"),
            )),
            _ => Ok(()),
        }
    }
}

/// Whether `text` is a non-negative decimal in shortest plain form (`0`, `12`, `100.5`,
/// `0.05`): digits, at most one point with digits on both sides, no leading zero before
/// other whole digits, no trailing zero after the point, and within [`crate::Decimal`]'s
/// exact range. A byte scan: what [`crate::AmountStyle::Shortest`] would write back unchanged.
fn is_shortest_plain_decimal(text: &str) -> bool {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    let whole_ok = digits(whole) && (whole == "0" || !whole.starts_with('0'));
    let fraction_ok = fraction.is_none_or(|part| digits(part) && !part.ends_with('0'));
    // The digit count and range are what parsing checks; only then is the text exact.
    whole_ok && fraction_ok && crate::amount_text::parse_plain_decimal(text).is_ok()
}

impl From<String> for FieldValue {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<&str> for FieldValue {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<u64> for FieldValue {
    fn from(number: u64) -> Self {
        Self::Integer(number)
    }
}

impl From<u32> for FieldValue {
    fn from(number: u32) -> Self {
        Self::Integer(u64::from(number))
    }
}

impl From<u16> for FieldValue {
    fn from(number: u16) -> Self {
        Self::Integer(u64::from(number))
    }
}

impl From<&crate::payment::OrderId> for FieldValue {
    fn from(id: &crate::payment::OrderId) -> Self {
        Self::Text(id.as_str().to_owned())
    }
}

/// How a gateway signs a request's fields.
#[derive(Debug, Clone, Copy)]
pub struct FieldScheme {
    /// What joins the signed values, sorted by key (`:` for Feennex, `|` for Freekassa).
    pub separator: &'static str,
    /// The digest of the string to sign with the secret.
    pub digest: fn(&str, &SecretString) -> HexDigest,
    /// The body key the signature is sent under (`sign`, `signature`).
    pub signature_key: &'static str,
}

impl FieldScheme {
    /// The string to sign: the values of `fields`, sorted by key byte-wise, joined with the
    /// separator (what [`SignedFields::sign`] signs).
    ///
    /// # Errors
    ///
    /// [`CanonicalError::DuplicateKey`](super::CanonicalError::DuplicateKey) when a key
    /// appears twice.
    pub fn string_to_sign<'a>(
        &self,
        fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<String, super::CanonicalError> {
        canonical_string(fields, self.separator, KeyOrder::Sorted)
    }
}

/// A request signed by [`SignedFields::sign`].
#[derive(Clone, PartialEq, Eq)]
pub struct SignedBody {
    /// The string that was signed (the signed values joined; no key, no secret).
    pub string_to_sign: String,
    /// The JSON body: every field and the signature, keys sorted, each once.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for SignedBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Both can hold payer data (e-mail, card number): the gateway's `Prepared` decides
        // what to show.
        f.debug_struct("SignedBody").finish_non_exhaustive()
    }
}

/// The fields of one signed JSON request.
///
/// ```
/// use payments_core::SecretString;
/// use payments_core::signature::{FieldScheme, FieldValue, SignedFields, sha256_hex_with_secret};
///
/// let scheme = FieldScheme {
///     separator: ":",
///     digest: sha256_hex_with_secret,
///     signature_key: "sign",
/// };
/// let signed = SignedFields::default()
///     .signed("shop_id", 5_u64)
///     .signed("amount", FieldValue::Amount("10.5".into()))
///     .unsigned("description", "Order 1")
///     .sign(&scheme, &SecretString::from("secret"))?;
/// assert_eq!(signed.string_to_sign, "10.5:5");
/// let body = String::from_utf8(signed.body).unwrap();
/// assert!(body.starts_with(r#"{"amount":10.5,"description":"Order 1","shop_id":5,"sign":""#));
/// # Ok::<(), payments_core::InputError>(())
/// ```
#[derive(Clone, Default)]
pub struct SignedFields {
    signed: Vec<(&'static str, FieldValue)>,
    unsigned: Vec<(Cow<'static, str>, Value)>,
}

impl std::fmt::Debug for SignedFields {
    /// Shows the keys only: the values can be payer data (e-mail, card or account number).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let signed: Vec<&str> = self.signed.iter().map(|(key, _)| *key).collect();
        let unsigned: Vec<&str> = self.unsigned.iter().map(|(key, _)| key.as_ref()).collect();
        f.debug_struct("SignedFields")
            .field("signed", &signed)
            .field("unsigned", &unsigned)
            .finish()
    }
}

impl SignedFields {
    /// Adds a field that is sent and signed.
    #[must_use]
    pub fn signed(mut self, key: &'static str, value: impl Into<FieldValue>) -> Self {
        self.signed.push((key, value.into()));
        self
    }

    /// Adds a field that is sent but not signed (a name known only at run time too).
    #[must_use]
    pub fn unsigned(mut self, key: impl Into<Cow<'static, str>>, value: impl Into<Value>) -> Self {
        self.unsigned.push((key.into(), value.into()));
        self
    }

    /// The signed fields, in the order given.
    pub fn signed_fields(&self) -> &[(&'static str, FieldValue)] {
        &self.signed
    }

    /// Signs the fields with `scheme` and writes the body.
    ///
    /// # Errors
    ///
    /// [`InputError`] when a key appears twice (signed or not, the signature's own key
    /// included), or an amount is not in shortest plain form.
    pub fn sign(
        &self,
        scheme: &FieldScheme,
        secret: &SecretString,
    ) -> Result<SignedBody, InputError> {
        for (key, value) in &self.signed {
            value.check(key)?;
        }
        // One list of every body member, sorted once: the signed ones are the prefix of it
        // that `string_to_sign` reads (in key order too), the signature's member comes last.
        let mut members: Vec<(&str, BodyValue<'_>)> =
            Vec::with_capacity(self.signed.len() + self.unsigned.len() + 1);
        members.extend(self.signed.iter().map(|(key, value)| (*key, BodyValue::Field(value))));
        members.extend(
            self.unsigned.iter().map(|(key, value)| (key.as_ref(), BodyValue::Json(value))),
        );
        members.push((scheme.signature_key, BodyValue::Signature));
        sort_by_key_unique(&mut members)?;

        let mut string_to_sign = String::with_capacity(64);
        let mut first = true;
        for (_, value) in &members {
            if let BodyValue::Field(value) = value {
                if !first {
                    string_to_sign.push_str(scheme.separator);
                }
                first = false;
                value.write_signed_text(&mut string_to_sign);
            }
        }
        let signature = (scheme.digest)(&string_to_sign, secret);

        let mut body = Vec::with_capacity(256);
        body.push(b'{');
        for (index, (key, value)) in members.iter().enumerate() {
            if index > 0 {
                body.push(b',');
            }
            write_json_string(&mut body, key)?;
            body.push(b':');
            match value {
                BodyValue::Field(FieldValue::Text(text)) => write_json_string(&mut body, text)?,
                BodyValue::Field(FieldValue::Integer(number)) => {
                    body.extend_from_slice(itoa::Buffer::new().format(*number).as_bytes());
                }
                // Checked by `FieldValue::check` to be plain digits: a JSON number as it is.
                BodyValue::Field(FieldValue::Amount(text)) => {
                    body.extend_from_slice(text.as_bytes());
                }
                BodyValue::Json(value) => serde_json::to_writer(&mut body, value)
                    .map_err(|error| InputError::field("body", format!("{key}: {error}")))?,
                BodyValue::Signature => write_json_string(&mut body, signature.as_str())?,
            }
        }
        body.push(b'}');
        Ok(SignedBody { string_to_sign, body })
    }
}

/// Writes `text` as a JSON string (quoted and escaped as `serde_json` escapes it). Text with
/// nothing to escape (no control character, quote or backslash: keys, digits, hex, most
/// values) is copied between quotes as it is; the rest goes through `serde_json`.
fn write_json_string(body: &mut Vec<u8>, text: &str) -> Result<(), InputError> {
    if text.bytes().all(|byte| byte >= 0x20 && byte != b'"' && byte != b'\\') {
        body.push(b'"');
        body.extend_from_slice(text.as_bytes());
        body.push(b'"');
        return Ok(());
    }
    serde_json::to_writer(body, text)
        .map_err(|error| InputError::field("body", format!("cannot serialise: {error}")))
}

impl FieldValue {
    /// Appends the text that is signed (no allocation for integers).
    fn write_signed_text(&self, out: &mut String) {
        match self {
            Self::Text(text) | Self::Amount(text) => out.push_str(text),
            Self::Integer(number) => out.push_str(itoa::Buffer::new().format(*number)),
        }
    }
}

/// One member of the JSON body, borrowed from the fields being signed.
enum BodyValue<'a> {
    Field(&'a FieldValue),
    Json(&'a Value),
    /// The signature, computed after the order is known.
    Signature,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::sha256_hex_with_secret;

    const SCHEME: FieldScheme =
        FieldScheme { separator: "|", digest: sha256_hex_with_secret, signature_key: "signature" };

    fn secret() -> SecretString {
        SecretString::from("k")
    }

    #[test]
    fn body_and_string_to_sign_come_from_the_same_values() {
        let signed = SignedFields::default()
            .signed("b", "x y")
            .signed("a", 7_u64)
            .unsigned("c", serde_json::json!({"n": 1}))
            .sign(&SCHEME, &secret())
            .unwrap();
        assert_eq!(signed.string_to_sign, "7|x y");
        let body: Value = serde_json::from_slice(&signed.body).unwrap();
        let expected = sha256_hex_with_secret("7|x y", &secret());
        assert_eq!(
            body,
            serde_json::json!({"a": 7, "b": "x y", "c": {"n": 1}, "signature": expected.as_str()})
        );
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for text in ["plain", "", "q\"uote", "back\\slash", "tab\there", "\u{1}", "é ü €", "\u{7f}"]
        {
            let signed = SignedFields::default()
                .signed("a", text)
                .unsigned("b", text)
                .signed("n", 18_446_744_073_709_551_615_u64)
                .sign(&SCHEME, &secret())
                .unwrap();
            let expected = format!(
                r#"{{"a":{0},"b":{0},"n":18446744073709551615,"signature":"{1}"}}"#,
                serde_json::to_string(text).unwrap(),
                sha256_hex_with_secret(&format!("{text}|18446744073709551615"), &secret()).as_str()
            );
            assert_eq!(String::from_utf8(signed.body).unwrap(), expected, "{text:?}");
        }
    }

    #[test]
    fn a_key_twice_is_refused_whichever_list_it_is_in() {
        let twice = SignedFields::default().signed("a", "1").signed("a", "2");
        assert!(twice.sign(&SCHEME, &secret()).is_err());
        let mixed = SignedFields::default().signed("a", "1").unsigned("a", 2);
        assert!(mixed.sign(&SCHEME, &secret()).is_err());
        let signature = SignedFields::default().unsigned("signature", "forged");
        assert!(signature.sign(&SCHEME, &secret()).is_err());
    }

    #[test]
    fn amounts_must_be_shortest_plain_decimals() {
        for text in ["100.50", "1e2", "-1", "", "01"] {
            let fields = SignedFields::default().signed("amount", FieldValue::Amount(text.into()));
            assert!(fields.sign(&SCHEME, &secret()).is_err(), "{text:?}");
        }
        let ok = SignedFields::default().signed("amount", FieldValue::Amount("100.5".into()));
        let body = ok.sign(&SCHEME, &secret()).unwrap().body;
        assert!(body.starts_with(br#"{"amount":100.5,"#), "{}", String::from_utf8_lossy(&body));
    }

    #[test]
    fn debug_shows_keys_but_no_value_body_or_string() {
        let fields = SignedFields::default()
            .signed("email", "payer@example.com")
            .unsigned("account", "4111111111111111");
        let debug = format!("{fields:?}");
        assert!(debug.contains("email") && debug.contains("account"), "{debug}");
        let signed = fields.sign(&SCHEME, &secret()).unwrap();
        let debug = format!("{debug} {signed:?}");
        assert!(!debug.contains("payer@example.com"), "{debug}");
        assert!(!debug.contains("4111111111111111"), "{debug}");
    }
}
