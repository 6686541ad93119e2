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
use smallvec::SmallVec;

use super::{HexDigest, KeyOrder, canonical_string, sort_by_key_unique};
use crate::InputError;

/// A signed value as sent. Its text is what is signed.
///
/// Text can be borrowed from the request being built (`&str`) or owned (`String`): a request
/// whose values are all borrowed or integers is signed without copying them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldValue<'a> {
    /// Sent as a JSON string, signed as the string.
    Text(Cow<'a, str>),
    /// Sent as a JSON integer, signed as its decimal digits.
    Integer(u64),
    /// An amount in shortest plain decimal form (`100.5`), sent as a JSON number with exactly
    /// these digits and signed as the same digits. Anything else is refused when signing.
    Amount(Cow<'a, str>),
}

impl FieldValue<'_> {
    /// The text that is signed.
    pub fn signed_text(&self) -> Cow<'_, str> {
        match self {
            Self::Text(text) | Self::Amount(text) => Cow::Borrowed(text),
            Self::Integer(number) => Cow::Owned(number.to_string()),
        }
    }

    /// Refuses an amount whose digits a JSON reader might not keep exactly.
    #[inline]
    pub(super) fn check(&self, key: &str) -> Result<(), InputError> {
        match self {
            Self::Amount(text) if !is_shortest_plain_decimal(text) => Err(InputError::field(
                "amount",
                format!("{key}: {text:?} is not a shortest plain decimal"),
            )),
            _ => Ok(()),
        }
    }

    /// The length of the signed text.
    #[inline]
    pub(super) fn signed_len(&self) -> usize {
        match self {
            Self::Text(text) | Self::Amount(text) => text.len(),
            Self::Integer(number) => decimal_digits(*number),
        }
    }

    /// Appends the text that is signed (no allocation for integers).
    fn write_signed_text(&self, out: &mut String) {
        match self {
            Self::Text(text) | Self::Amount(text) => out.push_str(text),
            Self::Integer(number) => out.push_str(itoa::Buffer::new().format(*number)),
        }
    }
}

/// How many decimal digits `number` is written with.
pub(super) fn decimal_digits(number: u64) -> usize {
    number.checked_ilog10().map_or(1, |log| log as usize + 1)
}

/// Whether `text` is a non-negative decimal in shortest plain form (`0`, `12`, `100.5`,
/// `0.05`): digits, at most one point with digits on both sides, no leading zero before
/// other whole digits, no trailing zero after the point, and within [`crate::Decimal`]'s
/// exact range. A byte scan: what [`crate::AmountStyle::Shortest`] would write back unchanged.
pub(super) fn is_shortest_plain_decimal(text: &str) -> bool {
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

impl From<String> for FieldValue<'_> {
    fn from(text: String) -> Self {
        Self::Text(Cow::Owned(text))
    }
}

impl<'a> From<&'a str> for FieldValue<'a> {
    fn from(text: &'a str) -> Self {
        Self::Text(Cow::Borrowed(text))
    }
}

impl<'a> From<&'a String> for FieldValue<'a> {
    fn from(text: &'a String) -> Self {
        Self::Text(Cow::Borrowed(text))
    }
}

impl<'a> From<Cow<'a, str>> for FieldValue<'a> {
    fn from(text: Cow<'a, str>) -> Self {
        Self::Text(text)
    }
}

impl From<u64> for FieldValue<'_> {
    fn from(number: u64) -> Self {
        Self::Integer(number)
    }
}

impl From<u32> for FieldValue<'_> {
    fn from(number: u32) -> Self {
        Self::Integer(u64::from(number))
    }
}

impl From<u16> for FieldValue<'_> {
    fn from(number: u16) -> Self {
        Self::Integer(u64::from(number))
    }
}

impl<'a> From<&'a crate::payment::OrderId> for FieldValue<'a> {
    fn from(id: &'a crate::payment::OrderId) -> Self {
        Self::Text(Cow::Borrowed(id.as_str()))
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
#[derive(Clone)]
pub struct SignedFields<'a> {
    // A `Vec` rather than an inline list: the builder moves the fields at every call, and
    // moving an inline list cost more than allocating this one once.
    signed: Vec<(&'static str, FieldValue<'a>)>,
    unsigned: Vec<(Cow<'static, str>, Value)>,
}

/// Signed fields room is made for at once, and held in place in lists that are not moved
/// (no request signs more).
pub(super) const INLINE_FIELDS: usize = 10;

impl Default for SignedFields<'_> {
    fn default() -> Self {
        Self { signed: Vec::with_capacity(INLINE_FIELDS), unsigned: Vec::new() }
    }
}

/// The keys of a request's signed fields, in the order given, held in place (no allocation
/// for the field counts requests have). It dereferences to a slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedKeys(pub(super) SmallVec<[&'static str; INLINE_FIELDS]>);

impl std::ops::Deref for SignedKeys {
    type Target = [&'static str];

    fn deref(&self) -> &[&'static str] {
        &self.0
    }
}

impl std::fmt::Debug for SignedFields<'_> {
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

impl<'a> SignedFields<'a> {
    /// Adds a field that is sent and signed.
    #[must_use]
    #[inline]
    pub fn signed(mut self, key: &'static str, value: impl Into<FieldValue<'a>>) -> Self {
        self.signed.push((key, value.into()));
        self
    }

    /// Adds a field that is sent but not signed (a name known only at run time too).
    #[must_use]
    #[inline]
    pub fn unsigned(mut self, key: impl Into<Cow<'static, str>>, value: impl Into<Value>) -> Self {
        self.unsigned.push((key.into(), value.into()));
        self
    }

    /// The signed fields, in the order given.
    pub fn signed_fields(&self) -> &[(&'static str, FieldValue<'a>)] {
        &self.signed
    }

    /// The keys of the signed fields, in the order given.
    pub fn signed_keys(&self) -> SignedKeys {
        SignedKeys(self.signed.iter().map(|(key, _)| *key).collect())
    }

    /// Signs the fields with `scheme` and writes the body.
    ///
    /// The string to sign and the body are each allocated once, at their exact size.
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
        let mut members: SmallVec<[(&str, BodyValue<'_>); 2 * INLINE_FIELDS]> = SmallVec::new();
        members.extend(self.signed.iter().map(|(key, value)| (*key, BodyValue::Field(value))));
        members.extend(
            self.unsigned.iter().map(|(key, value)| (key.as_ref(), BodyValue::Json(value))),
        );
        members.push((scheme.signature_key, BodyValue::Signature));
        sort_by_key_unique(&mut members)?;

        let signed = || {
            members.iter().filter_map(|(_, value)| match value {
                BodyValue::Field(value) => Some(*value),
                _ => None,
            })
        };
        let separators = self.signed.len().saturating_sub(1) * scheme.separator.len();
        let mut string_to_sign =
            String::with_capacity(signed().map(FieldValue::signed_len).sum::<usize>() + separators);
        for (index, value) in signed().enumerate() {
            if index > 0 {
                string_to_sign.push_str(scheme.separator);
            }
            value.write_signed_text(&mut string_to_sign);
        }
        let digest = (scheme.digest)(&string_to_sign, secret);
        let signature = digest.as_str();

        // Whether a member's key and text have nothing to escape, found while sizing the body,
        // so that writing them (the common case) looks at their bytes no more.
        let mut plain: SmallVec<[bool; 2 * INLINE_FIELDS]> = SmallVec::new();
        let mut body_len = 2 + members.len().saturating_sub(1);
        for (key, value) in &members {
            let member_plain = !needs_escape(key) && !value.text().is_some_and(needs_escape);
            plain.push(member_plain);
            body_len += if member_plain { key.len() + 2 } else { json_string_len(key)? };
            body_len += 1 + value.json_len(signature, member_plain)?;
        }
        let mut body = Vec::with_capacity(body_len);
        body.push(b'{');
        for (index, (key, value)) in members.iter().enumerate() {
            if index > 0 {
                body.push(b',');
            }
            let member_plain = plain.get(index).copied().unwrap_or(false);
            if member_plain {
                write_quoted(&mut body, key);
            } else {
                write_json_string(&mut body, key)?;
            }
            body.push(b':');
            match value {
                BodyValue::Field(FieldValue::Text(text)) if member_plain => {
                    write_quoted(&mut body, text);
                }
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
                // Hex digits: nothing to escape.
                BodyValue::Signature => write_quoted(&mut body, signature),
            }
        }
        body.push(b'}');
        debug_assert_eq!(body.len(), body.capacity(), "the body's size is computed exactly");
        Ok(SignedBody { string_to_sign, body })
    }
}

/// Whether `text` has a byte that a JSON string escapes (a control character, quote or
/// backslash, as `serde_json` does), looked up in a table: one load per byte (a third fewer
/// instructions than comparing each byte three times).
pub(super) fn needs_escape(text: &str) -> bool {
    text.bytes().any(|byte| ESCAPED.get(usize::from(byte)).copied().unwrap_or(true))
}

/// The bytes a JSON string escapes: below 0x20, `"` and `\\`.
#[expect(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: a bad index fails the build"
)]
static ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Writes `text` as a JSON string (quoted and escaped as `serde_json` escapes it). Text with
/// nothing to escape (keys, digits, hex, most values) is copied between quotes as it is; the
/// rest goes through `serde_json`.
fn write_json_string(body: &mut Vec<u8>, text: &str) -> Result<(), InputError> {
    if !needs_escape(text) {
        write_quoted(body, text);
        return Ok(());
    }
    serde_json::to_writer(body, text)
        .map_err(|error| InputError::field("body", format!("cannot serialise: {error}")))
}

/// Writes `text`, which has nothing to escape, between quotes.
fn write_quoted(body: &mut Vec<u8>, text: &str) {
    body.push(b'"');
    body.extend_from_slice(text.as_bytes());
    body.push(b'"');
}

/// The length of what [`write_json_string`] writes for `text`.
fn json_string_len(text: &str) -> Result<usize, InputError> {
    if !needs_escape(text) {
        return Ok(text.len() + 2);
    }
    json_len(&text)
}

/// The length of `value` as `serde_json` writes it, counted without writing it.
pub(super) fn json_len(value: &impl serde::Serialize) -> Result<usize, InputError> {
    let mut counter = ByteCounter(0);
    serde_json::to_writer(&mut counter, value)
        .map_err(|error| InputError::field("body", format!("cannot serialise: {error}")))?;
    Ok(counter.0)
}

/// A writer that only counts the bytes written to it.
struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One member of the JSON body, borrowed from the fields being signed.
enum BodyValue<'a> {
    Field(&'a FieldValue<'a>),
    Json(&'a Value),
    /// The signature, computed after the order is known.
    Signature,
}

impl BodyValue<'_> {
    /// The text of a string field (what may need escaping).
    fn text(&self) -> Option<&str> {
        match self {
            Self::Field(FieldValue::Text(text)) => Some(text),
            _ => None,
        }
    }

    /// The length of the member's value as written in the body; `plain` when its text (if
    /// any) has nothing to escape.
    fn json_len(&self, signature: &str, plain: bool) -> Result<usize, InputError> {
        match self {
            Self::Field(FieldValue::Text(text)) if plain => Ok(text.len() + 2),
            Self::Field(FieldValue::Text(text)) => json_string_len(text),
            Self::Field(FieldValue::Integer(number)) => Ok(decimal_digits(*number)),
            Self::Field(FieldValue::Amount(text)) => Ok(text.len()),
            Self::Json(value) => json_len(value),
            Self::Signature => Ok(signature.len() + 2),
        }
    }
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
        assert_eq!(signed.body.capacity(), signed.body.len(), "a JSON value is sized exactly too");
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
            assert_eq!(signed.body.capacity(), signed.body.len(), "sized exactly: {text:?}");
            assert_eq!(signed.string_to_sign.capacity(), signed.string_to_sign.len());
            assert_eq!(String::from_utf8(signed.body).unwrap(), expected, "{text:?}");
        }
    }

    #[test]
    fn values_borrowed_or_owned_sign_alike_and_keys_keep_their_order() {
        let order = String::from("A-1");
        let borrowed = SignedFields::default().signed("z", order.as_str()).signed("a", 3_u16);
        let owned = SignedFields::default().signed("z", order.clone()).signed("a", 3_u16);
        assert_eq!(&*borrowed.signed_keys(), ["z", "a"]);
        let (borrowed, owned) =
            (borrowed.sign(&SCHEME, &secret()).unwrap(), owned.sign(&SCHEME, &secret()).unwrap());
        assert_eq!(borrowed.string_to_sign, "3|A-1");
        assert_eq!(borrowed.body, owned.body);
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
