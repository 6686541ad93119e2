//! A signed JSON request whose body members are named at compile time, in key order: the
//! string to sign and the body are written straight from the members, with no key sort, no
//! field list and, for the usual short string to sign, no allocation but the body's.
//!
//! [`SignedFields`](super::SignedFields) is the reference: for the same fields a
//! [`SortedLayout`] writes the same string to sign and the same body, byte for byte (a property
//! test checks it). It is for endpoints whose members are all known when the crate is built;
//! members with run-time names or arbitrary JSON values go through `SignedFields`.

use std::borrow::Cow;
use std::fmt;

use secrecy::SecretString;
use smallvec::SmallVec;

use super::fields::{
    FieldValue, INLINE_FIELDS, SignedKeys, decimal_digits, json_len, needs_escape,
};
use super::{FieldScheme, HexDigest};
use crate::InputError;

/// The longest string to sign held in place; a longer one (a long account number) is put on
/// the heap.
const INLINE_TEXT: usize = 64;

/// A string that was signed, held in place when short. It dereferences to `str`.
///
/// `Debug` does not show it (it can hold payer data).
#[derive(Clone, PartialEq, Eq)]
pub struct SignedText(Text);

/// Bytes written whole from `str`s, or a `String` taken as it is.
#[derive(Clone, PartialEq, Eq)]
enum Text {
    Written(SmallVec<[u8; INLINE_TEXT]>),
    Owned(String),
}

impl SignedText {
    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Only whole `str`s are ever written.
            Text::Written(bytes) => std::str::from_utf8(bytes).unwrap_or_default(),
            Text::Owned(text) => text,
        }
    }
}

impl Default for SignedText {
    fn default() -> Self {
        Self(Text::Owned(String::new()))
    }
}

impl std::ops::Deref for SignedText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for SignedText {
    /// Keeps the string as it is (no copy).
    fn from(text: String) -> Self {
        Self(Text::Owned(text))
    }
}

impl fmt::Debug for SignedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedText").finish_non_exhaustive()
    }
}

/// One body member's value, in a [`SortedLayout`]'s order. Values are borrowed from the
/// request being built: nothing is copied but into the string to sign and the body.
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Member<'a> {
    /// Sent as a JSON string, signed as it is (as [`FieldValue::Text`]).
    SignedText(&'a str),
    /// Sent as a JSON integer, signed as its decimal digits (as [`FieldValue::Integer`]).
    SignedInteger(u64),
    /// An amount in shortest plain decimal form, sent as a JSON number with these digits and
    /// signed as the same digits (as [`FieldValue::Amount`]); anything else is refused.
    SignedAmount(&'a str),
    /// Sent as a JSON string, not signed.
    Text(&'a str),
    /// Sent as a JSON integer, not signed.
    Integer(u64),
    /// Not sent (an optional member that is not set).
    Absent,
}

impl<'a> Member<'a> {
    /// A JSON string, sent and signed.
    #[inline]
    pub fn signed_text(text: &'a str) -> Self {
        Self::SignedText(text)
    }

    /// A JSON integer, sent and signed.
    #[inline]
    pub fn signed_integer(number: impl Into<u64>) -> Self {
        Self::SignedInteger(number.into())
    }

    /// An unsigned JSON string, sent if set.
    #[inline]
    pub fn text(value: Option<&'a str>) -> Self {
        value.map_or(Self::Absent, Self::Text)
    }

    /// An unsigned JSON integer, sent if set.
    #[inline]
    pub fn integer(value: Option<impl Into<u64>>) -> Self {
        value.map_or(Self::Absent, |number| Self::Integer(number.into()))
    }
}

impl<'a> Member<'a> {
    /// The bytes this member puts in the string to sign (an integer written into `number`),
    /// or `None` for a member that is not signed.
    #[inline]
    fn signed_bytes<'s>(&'s self, number: &'s mut itoa::Buffer) -> Option<&'s [u8]> {
        match self {
            Self::SignedText(text) | Self::SignedAmount(text) => Some(text.as_bytes()),
            Self::SignedInteger(integer) => Some(number.format(*integer).as_bytes()),
            Self::Text(_) | Self::Integer(_) | Self::Absent => None,
        }
    }
}

impl fmt::Debug for Member<'_> {
    /// The kind only: values can be payer data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SignedText(_) => "SignedText(..)",
            Self::SignedInteger(_) => "SignedInteger(..)",
            Self::SignedAmount(_) => "SignedAmount(..)",
            Self::Text(_) => "Text(..)",
            Self::Integer(_) => "Integer(..)",
            Self::Absent => "Absent",
        })
    }
}

/// A request signed by [`SortedLayout::sign`].
///
/// `Debug` shows the signed keys only: the body and the string to sign hold payer data and
/// the signature.
#[derive(Clone, PartialEq, Eq)]
pub struct SortedBody {
    /// The string that was signed (the signed values joined; no key, no secret).
    pub string_to_sign: SignedText,
    /// The JSON body: every member that is set and the signature, in key order, sized
    /// exactly.
    pub body: Vec<u8>,
    /// The keys of the signed members, in key order.
    pub signed_keys: SignedKeys,
}

/// The body members of one endpoint, named in byte-wise key order when the crate is built.
///
/// Made in a `const` item, so that keys out of order, a key twice, the signature's key among
/// them, or a key that JSON would escape fail the build.
///
/// ```
/// use payments_core::SecretString;
/// use payments_core::signature::{
///     FieldScheme, FieldValue, Member, SignedFields, SortedLayout, sha256_hex_bytes_with_secret,
///     sha256_hex_with_secret,
/// };
///
/// const SCHEME: FieldScheme =
///     FieldScheme { separator: ":", digest: sha256_hex_with_secret, signature_key: "sign" };
/// const LAYOUT: SortedLayout<3> = SortedLayout::new(SCHEME, sha256_hex_bytes_with_secret, ["amount", "description", "shop_id"]);
///
/// let secret = SecretString::from("secret");
/// let signed = LAYOUT.sign(
///     &[
///         ("amount", Member::SignedAmount("10.5")),
///         ("description", Member::text(Some("Order 1"))),
///         ("shop_id", Member::signed_integer(5_u64)),
///     ],
///     &secret,
/// )?;
/// assert_eq!(&*signed.string_to_sign, "10.5:5");
/// let reference = SignedFields::default()
///     .signed("amount", FieldValue::Amount("10.5".into()))
///     .unsigned("description", "Order 1")
///     .signed("shop_id", 5_u64)
///     .sign(&SCHEME, &secret)?;
/// assert_eq!(signed.body, reference.body);
/// # Ok::<(), payments_core::InputError>(())
/// ```
#[derive(Clone, Copy)]
pub struct SortedLayout<const N: usize> {
    keys: [&'static str; N],
    separator: &'static str,
    digest: fn(&[u8], &SecretString) -> HexDigest,
    /// How many of `keys` sort before the signature's key.
    signature_at: usize,
    /// Each member's `,"key":` (the signature's last), written at compile time.
    prefixes: [u8; PREFIX_BYTES],
    /// Where each member's prefix ends in `prefixes` (it starts where the one before ends).
    prefix_ends: [usize; N],
    /// Where the signature's prefix starts and ends in `prefixes`.
    signature_prefix: (usize, usize),
}

/// Room for the members' prefixes (`,"key":`) of one layout.
const PREFIX_BYTES: usize = 512;

impl fmt::Debug for SortedBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SortedBody").field("signed_keys", &self.signed_keys).finish_non_exhaustive()
    }
}

impl<const N: usize> fmt::Debug for SortedLayout<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SortedLayout")
            .field("keys", &self.keys)
            .field("separator", &self.separator)
            .field("signature_at", &self.signature_at)
            .finish_non_exhaustive()
    }
}

impl<const N: usize> SortedLayout<N> {
    /// The layout of `keys`, signed with `scheme`'s separator and signature key, and with
    /// `digest`: `scheme`'s digest taking the string to sign as bytes (the property tests of
    /// each use check the two agree).
    ///
    /// # Panics
    ///
    /// When `keys` are not strictly sorted byte-wise, hold the signature's key, hold a byte
    /// JSON escapes, or are too long together: in a `const` item, the build fails.
    #[expect(
        clippy::indexing_slicing,
        reason = "evaluated at compile time in a const item: a bad index fails the build"
    )]
    pub const fn new(
        scheme: FieldScheme,
        digest: fn(&[u8], &SecretString) -> HexDigest,
        keys: [&'static str; N],
    ) -> Self {
        assert!(is_plain_key(scheme.signature_key), "the signature's key needs no JSON escape");
        let mut prefixes = [0_u8; PREFIX_BYTES];
        let mut prefix_ends = [0_usize; N];
        let mut end = 0;
        let mut signature_at = N;
        let mut index = 0;
        while index < N {
            let key = keys[index];
            assert!(is_plain_key(key), "a key needs no JSON escape");
            assert!(
                index == 0 || key_less(keys[index - 1], key),
                "keys are sorted byte-wise, each once"
            );
            assert!(
                key_less(key, scheme.signature_key) || key_less(scheme.signature_key, key),
                "the signature's key is not a member's"
            );
            if signature_at == N && key_less(scheme.signature_key, key) {
                signature_at = index;
            }
            end = write_prefix(&mut prefixes, end, key);
            prefix_ends[index] = end;
            index += 1;
        }
        let signature_end = write_prefix(&mut prefixes, end, scheme.signature_key);
        Self {
            keys,
            separator: scheme.separator,
            digest,
            signature_at,
            prefixes,
            prefix_ends,
            signature_prefix: (end, signature_end),
        }
    }

    /// Member `index`'s `,"key":`.
    #[inline]
    fn prefix(&self, index: usize) -> &[u8] {
        let start = match index.checked_sub(1) {
            Some(before) => self.prefix_ends.get(before).copied().unwrap_or_default(),
            None => 0,
        };
        let end = self.prefix_ends.get(index).copied().unwrap_or_default();
        self.prefixes.get(start..end).unwrap_or_default()
    }

    /// The signature's `,"key":`.
    #[inline]
    fn signature_prefix(&self) -> &[u8] {
        self.prefixes.get(self.signature_prefix.0..self.signature_prefix.1).unwrap_or_default()
    }

    /// Signs `members` (given with their keys, in the layout's order) and writes the body.
    ///
    /// Bad input is refused before anything is written. The string to sign is written once
    /// (in place when short) and hashed as it is; the body is written on the stack when short
    /// and allocated once, at its exact size.
    ///
    /// # Errors
    ///
    /// [`InputError`] when an amount is not in shortest plain form.
    ///
    /// # Panics
    ///
    /// In debug builds, when `members` are not given under the layout's keys in its order (a
    /// bug in the endpoint's code, found by its first test).
    pub fn sign(
        &self,
        members: &[(&'static str, Member<'_>); N],
        secret: &SecretString,
    ) -> Result<SortedBody, InputError> {
        // The body is written under the layout's keys. Which key each member is given under
        // is fixed in the endpoint's code, not by the values: the first call in any test finds
        // a member out of place, for every call. Checked in debug builds only: comparing
        // every key on every request cost 6% of `bill/create`'s `prepare`.
        debug_assert!(
            members.iter().zip(&self.keys).all(|((given, _), key)| given == key),
            "members are given under the layout's keys, in its order"
        );
        for (key, member) in members {
            if let Member::SignedAmount(text) = member {
                FieldValue::Amount(Cow::Borrowed(text)).check(key)?;
            }
        }

        // The string to sign, written in place in one pass when it fits; where each signed
        // value sits in it is kept: the body copies the value from there.
        let separator = self.separator.as_bytes();
        let mut pieces = [(0_usize, 0_usize); N];
        let mut keys = [""; INLINE_FIELDS];
        let mut signed = 0;
        let mut text_len = 0;
        let mut buffer = [0_u8; INLINE_TEXT];
        let mut out = Out(&mut buffer);
        let mut fits = true;
        for ((key, member), piece) in members.iter().zip(&mut pieces) {
            let mut number = itoa::Buffer::new();
            let Some(value) = member.signed_bytes(&mut number) else { continue };
            if signed > 0 {
                fits &= out.put(separator).is_some();
                text_len += separator.len();
            }
            fits &= out.put(value).is_some();
            *piece = (text_len, value.len());
            text_len += value.len();
            if let Some(slot) = keys.get_mut(signed) {
                *slot = key;
            }
            signed += 1;
        }
        let text = if fits {
            SmallVec::from_buf_and_len(buffer, text_len)
        } else {
            let mut text = vec![0_u8; text_len];
            write_text(&mut text, members, separator).ok_or_else(miscounted)?;
            SmallVec::from_vec(text)
        };
        let digest = (self.digest)(&text, secret);
        let signature = digest.as_bytes();
        let signed_keys = if signed <= INLINE_FIELDS {
            SmallVec::from_buf_and_len(keys, signed)
        } else {
            members
                .iter()
                .filter(|(_, member)| member.signed_bytes(&mut itoa::Buffer::new()).is_some())
                .map(|(key, _)| *key)
                .collect()
        };

        // Sizing the body finds which texts need escaping: only those go through serde_json.
        // Each member is its prefix (a comma, the quoted key, a colon) and its value; the
        // first has no comma.
        let mut plain = [true; N];
        let mut body_len = 2 + self.signature_prefix().len() + signature.len() + 2 - 1;
        for (index, ((member, piece), plain)) in
            members.iter().map(|(_, member)| member).zip(&pieces).zip(&mut plain).enumerate()
        {
            let value_len = match member {
                Member::Absent => continue,
                Member::SignedText(text) | Member::Text(text) => string_len(text, plain)?,
                Member::SignedInteger(_) | Member::SignedAmount(_) => piece.1,
                Member::Integer(number) => decimal_digits(*number),
            };
            body_len += self.prefix(index).len() + value_len;
        }

        let parts = Parts { members, pieces: &pieces, plain: &plain, text: &text };
        let body = if body_len <= BODY_ON_STACK {
            let mut buffer = [0_u8; BODY_ON_STACK];
            let out = buffer.get_mut(..body_len).ok_or_else(miscounted)?;
            self.write_body(out, &parts, signature).ok_or_else(miscounted)?;
            out.to_vec()
        } else {
            let mut body = vec![0_u8; body_len];
            self.write_body(&mut body, &parts, signature).ok_or_else(miscounted)?;
            body
        };
        Ok(SortedBody {
            string_to_sign: SignedText(Text::Written(text)),
            body,
            signed_keys: SignedKeys(signed_keys),
        })
    }

    /// Writes the members that are set and the signature, in key order, filling `out`;
    /// `None` when `out` is not exactly their size.
    fn write_body(&self, out: &mut [u8], parts: &Parts<'_, '_, N>, signature: &[u8]) -> Option<()> {
        let mut out = Out(out);
        out.byte(b'{')?;
        let mut first = true;
        let mut prefix = |out: &mut Out<'_>, prefix: &[u8]| {
            let prefix = if std::mem::take(&mut first) { prefix.get(1..)? } else { prefix };
            out.put(prefix)
        };
        let rows = parts.members.iter().zip(parts.pieces).zip(parts.plain);
        for (index, (((_, value), (start, len)), plain)) in rows.enumerate() {
            if index == self.signature_at {
                prefix(&mut out, self.signature_prefix())?;
                out.quoted(signature)?;
            }
            match value {
                Member::Absent => continue,
                Member::SignedText(text) | Member::Text(text) => {
                    prefix(&mut out, self.prefix(index))?;
                    out.string(text, *plain)?;
                }
                // Digits, as signed: a JSON number as it is (amounts were checked).
                Member::SignedInteger(_) | Member::SignedAmount(_) => {
                    prefix(&mut out, self.prefix(index))?;
                    out.put(parts.text.get(*start..*start + *len)?)?;
                }
                Member::Integer(number) => {
                    prefix(&mut out, self.prefix(index))?;
                    out.put(itoa::Buffer::new().format(*number).as_bytes())?;
                }
            }
        }
        if self.signature_at == N {
            prefix(&mut out, self.signature_prefix())?;
            out.quoted(signature)?;
        }
        out.byte(b'}')?;
        out.0.is_empty().then_some(())
    }
}

/// Writes `,"key":` into `prefixes` at `at`; returns where it ends.
#[expect(
    clippy::indexing_slicing,
    reason = "evaluated at compile time; a bad index fails the build"
)]
const fn write_prefix(prefixes: &mut [u8; PREFIX_BYTES], at: usize, key: &str) -> usize {
    let key = key.as_bytes();
    assert!(at + key.len() + 4 <= PREFIX_BYTES, "the keys are short enough together");
    prefixes[at] = b',';
    prefixes[at + 1] = b'"';
    let mut index = 0;
    while index < key.len() {
        prefixes[at + 2 + index] = key[index];
        index += 1;
    }
    prefixes[at + 2 + key.len()] = b'"';
    prefixes[at + 3 + key.len()] = b':';
    at + key.len() + 4
}

/// The longest body written on the stack before being copied to its allocation.
const BODY_ON_STACK: usize = 512;

/// What [`SortedLayout::write_body`] writes from.
struct Parts<'m, 'a, const N: usize> {
    members: &'m [(&'static str, Member<'a>); N],
    /// Each signed value's start and length in `text`.
    pieces: &'m [(usize, usize); N],
    /// Whether each text has nothing to escape.
    plain: &'m [bool; N],
    text: &'m [u8],
}

/// Writes the signed values of `members`, joined with `separator`, filling `out`; `None` when
/// `out` is not exactly their size.
fn write_text(
    out: &mut [u8],
    members: &[(&'static str, Member<'_>)],
    separator: &[u8],
) -> Option<()> {
    let mut out = Out(out);
    let mut first = true;
    for (_, member) in members {
        let mut number = itoa::Buffer::new();
        let Some(value) = member.signed_bytes(&mut number) else { continue };
        if !std::mem::take(&mut first) {
            out.put(separator)?;
        }
        out.put(value)?;
    }
    out.0.is_empty().then_some(())
}

/// The error for a body or string whose size was miscounted (a bug: never expected).
fn miscounted() -> InputError {
    InputError::field("body", "the body's size was miscounted")
}

/// The length of `text` as a JSON string; clears `plain` when it has something to escape.
fn string_len(text: &str, plain: &mut bool) -> Result<usize, InputError> {
    if needs_escape(text) {
        *plain = false;
        return json_len(&text);
    }
    Ok(text.len() + 2)
}

/// The rest of a body being written, sized beforehand.
struct Out<'b>(&'b mut [u8]);

impl Out<'_> {
    /// Writes `bytes` (a short copy: the pieces are mostly a few bytes).
    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Option<()> {
        let (head, tail) = std::mem::take(&mut self.0).split_at_mut_checked(bytes.len())?;
        crate::short_copy::copy_up_to_64(head, bytes);
        self.0 = tail;
        Some(())
    }

    #[inline]
    fn byte(&mut self, byte: u8) -> Option<()> {
        let (first, tail) = std::mem::take(&mut self.0).split_first_mut()?;
        *first = byte;
        self.0 = tail;
        Some(())
    }

    /// Writes `text`, which has nothing to escape, between quotes.
    #[inline]
    fn quoted(&mut self, text: &[u8]) -> Option<()> {
        self.byte(b'"')?;
        self.put(text)?;
        self.byte(b'"')
    }

    /// Writes `text` as a JSON string: between quotes as it is when `plain`, else escaped as
    /// `serde_json` escapes it.
    fn string(&mut self, text: &str, plain: bool) -> Option<()> {
        if plain {
            return self.quoted(text.as_bytes());
        }
        serde_json::to_writer(&mut self.0, text).ok()
    }
}

/// Whether `key` has no byte JSON escapes (a control character, `"` or `\`).
#[expect(clippy::indexing_slicing, reason = "evaluated at compile time; bounded by the loop")]
const fn is_plain_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte < 0x20 || byte == b'"' || byte == b'\\' {
            return false;
        }
        index += 1;
    }
    true
}

/// Whether `left` sorts strictly before `right`, byte-wise.
#[expect(clippy::indexing_slicing, reason = "evaluated at compile time; bounded by the loop")]
const fn key_less(left: &str, right: &str) -> bool {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    let mut index = 0;
    while index < left.len() && index < right.len() {
        if left[index] != right[index] {
            return left[index] < right[index];
        }
        index += 1;
    }
    left.len() < right.len()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::signature::{SignedFields, sha256_hex_bytes_with_secret, sha256_hex_with_secret};

    const SCHEME: FieldScheme =
        FieldScheme { separator: "|", digest: sha256_hex_with_secret, signature_key: "signature" };

    /// Members around the signature's key: `signature` sorts between `order` and `zeta`.
    const LAYOUT: SortedLayout<6> = SortedLayout::new(
        SCHEME,
        sha256_hex_bytes_with_secret,
        ["amount", "id", "note", "order", "sum", "zeta"],
    );

    fn secret() -> SecretString {
        SecretString::from("k")
    }

    /// [`LAYOUT`]'s members with only `id` and `order` set, both signed.
    fn id_and_order(id: u64, order: &str) -> [(&'static str, Member<'_>); 6] {
        [
            ("amount", Member::Absent),
            ("id", Member::signed_integer(id)),
            ("note", Member::Absent),
            ("order", Member::signed_text(order)),
            ("sum", Member::Absent),
            ("zeta", Member::Absent),
        ]
    }

    /// The same members through `SignedFields`, the reference.
    fn reference(members: &[(&'static str, Member<'_>)]) -> SignedFields<'static> {
        let mut fields = SignedFields::default();
        for &(key, ref member) in members {
            fields = match member {
                Member::SignedText(text) => fields.signed(key, text.to_string()),
                Member::SignedInteger(number) => fields.signed(key, *number),
                Member::SignedAmount(text) => {
                    fields.signed(key, FieldValue::Amount(text.to_string().into()))
                }
                Member::Text(text) => fields.unsigned(key, *text),
                Member::Integer(number) => fields.unsigned(key, *number),
                Member::Absent => fields,
            };
        }
        fields
    }

    fn assert_same(layout_members: &[(&'static str, Member<'_>); 6]) {
        assert_same_in(&LAYOUT, layout_members);
    }

    fn assert_same_in<const N: usize>(
        layout: &SortedLayout<N>,
        layout_members: &[(&'static str, Member<'_>); N],
    ) {
        let sorted = layout.sign(layout_members, &secret());
        let generic = reference(layout_members).sign(&SCHEME, &secret());
        match (sorted, generic) {
            (Ok(sorted), Ok(generic)) => {
                assert_eq!(&*sorted.string_to_sign, generic.string_to_sign);
                assert_eq!(
                    String::from_utf8_lossy(&sorted.body),
                    String::from_utf8_lossy(&generic.body)
                );
                assert_eq!(sorted.body.len(), sorted.body.capacity(), "sized exactly");
            }
            (Err(sorted), Err(generic)) => assert_eq!(sorted, generic),
            (sorted, generic) => panic!("{sorted:?} but {generic:?}"),
        }
    }

    #[test]
    fn writes_what_signed_fields_writes() {
        assert_same(&[
            ("amount", Member::SignedAmount("100.5")),
            ("id", Member::signed_integer(7_u64)),
            ("note", Member::text(Some("tab\there \"q\" é"))),
            ("order", Member::signed_text("A-1")),
            ("sum", Member::Absent),
            ("zeta", Member::integer(Some(3_u32))),
        ]);
        let signed = LAYOUT.sign(&id_and_order(7, "A-1"), &secret()).unwrap();
        let expected = sha256_hex_with_secret("7|A-1", &secret());
        assert_eq!(
            String::from_utf8(signed.body).unwrap(),
            format!(r#"{{"id":7,"order":"A-1","signature":"{}"}}"#, expected.as_str())
        );
        assert_eq!(&*signed.signed_keys, ["id", "order"]);
    }

    #[test]
    fn the_signature_can_come_first_or_last() {
        const FIRST: SortedLayout<1> =
            SortedLayout::new(SCHEME, sha256_hex_bytes_with_secret, ["zz"]);
        const LAST: SortedLayout<1> =
            SortedLayout::new(SCHEME, sha256_hex_bytes_with_secret, ["a"]);
        let first = FIRST.sign(&[("zz", Member::signed_text("x"))], &secret()).unwrap();
        let last = LAST.sign(&[("a", Member::signed_text("x"))], &secret()).unwrap();
        let signature = sha256_hex_with_secret("x", &secret());
        let signature = signature.as_str();
        assert_eq!(first.body, format!(r#"{{"signature":"{signature}","zz":"x"}}"#).as_bytes());
        assert_eq!(last.body, format!(r#"{{"a":"x","signature":"{signature}"}}"#).as_bytes());
    }

    #[test]
    fn bad_amounts_are_refused_as_signed_fields_refuses_them() {
        for amount in ["100.50", "1e2", "-1", "", "01"] {
            let members = [
                ("amount", Member::SignedAmount(amount)),
                ("id", Member::signed_integer(1_u64)),
                ("note", Member::Absent),
                ("order", Member::Absent),
                ("sum", Member::Absent),
                ("zeta", Member::Absent),
            ];
            assert!(LAYOUT.sign(&members, &secret()).is_err(), "{amount:?}");
            assert_same(&members);
        }
    }

    #[test]
    fn long_strings_to_sign_are_kept_whole() {
        let long = "x".repeat(3 * INLINE_TEXT);
        let members = id_and_order(1, &long);
        assert_eq!(&*LAYOUT.sign(&members, &secret()).unwrap().string_to_sign, format!("1|{long}"));
        assert_same(&members);
    }

    #[test]
    #[should_panic(expected = "sorted")]
    fn keys_out_of_order_are_refused() {
        let _ = SortedLayout::new(SCHEME, sha256_hex_bytes_with_secret, ["b", "a"]);
    }

    #[test]
    #[should_panic(expected = "signature")]
    fn the_signature_key_is_refused_as_a_member() {
        let _ = SortedLayout::new(SCHEME, sha256_hex_bytes_with_secret, ["a", "signature"]);
    }

    #[test]
    fn debug_shows_no_value() {
        let text = SignedText::from(String::from("payer@example.com"));
        let member = Member::text(Some("payer@example.com"));
        let members = [
            ("amount", Member::Absent),
            ("id", Member::signed_integer(1_u64)),
            ("note", Member::text(Some("payer@example.com"))),
            ("order", Member::signed_text("payer@example.com")),
            ("sum", Member::Absent),
            ("zeta", Member::Absent),
        ];
        let body = LAYOUT.sign(&members, &secret()).unwrap();
        let signature = sha256_hex_with_secret("1|payer@example.com", &secret());
        let debug = format!("{text:?} {member:?} {body:?}");
        assert!(!debug.contains("payer"), "{debug}");
        assert!(!debug.contains(signature.as_str()), "{debug}");
        // Nor as bytes (how a derived `Debug` shows a `Vec<u8>`).
        assert!(!debug.contains(&format!("{:?}", body.body)), "{debug}");
        assert!(debug.contains("order"), "the signed keys are shown: {debug}");
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "layout's keys")]
    fn members_given_under_other_keys_are_caught_in_tests() {
        let members = [
            ("amount", Member::Absent),
            ("id", Member::signed_integer(1_u64)),
            ("order", Member::signed_text("A-1")),
            ("note", Member::Absent),
            ("sum", Member::Absent),
            ("zeta", Member::Absent),
        ];
        let _ = LAYOUT.sign(&members, &secret());
    }

    /// Twelve signed members: more signed keys than [`INLINE_FIELDS`] keep in place.
    const WIDE: SortedLayout<12> = SortedLayout::new(
        SCHEME,
        sha256_hex_bytes_with_secret,
        ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"],
    );

    fn wide(values: [&str; 12]) -> [(&'static str, Member<'_>); 12] {
        let mut members = [("", Member::Absent); 12];
        for ((slot, key), value) in members.iter_mut().zip(WIDE.keys).zip(values) {
            *slot = (key, Member::signed_text(value));
        }
        members
    }

    #[test]
    fn more_signed_members_than_kept_in_place_sign_as_signed_fields_does() {
        assert!(WIDE.keys.len() > INLINE_FIELDS);
        let members = wide(["1"; 12]);
        assert_same_in(&WIDE, &members);
        let signed = WIDE.sign(&members, &secret()).unwrap();
        assert_eq!(&*signed.signed_keys, WIDE.keys);
    }

    #[test]
    fn bodies_past_the_stack_buffer_are_written_whole() {
        let long = "y".repeat(60);
        let members = wide([long.as_str(); 12]);
        let signed = WIDE.sign(&members, &secret()).unwrap();
        assert!(signed.body.len() > BODY_ON_STACK, "{}", signed.body.len());
        assert_same_in(&WIDE, &members);
    }

    #[test]
    fn strings_to_sign_around_the_inline_length_sign_as_signed_fields_does() {
        // "1|" and the order: strings to sign one short of, at and one past the inline room.
        for len in [INLINE_TEXT - 3, INLINE_TEXT - 2, INLINE_TEXT - 1] {
            let order = "o".repeat(len);
            let members = id_and_order(1, &order);
            let signed = LAYOUT.sign(&members, &secret()).unwrap();
            assert_eq!(signed.string_to_sign.len(), len + 2);
            assert_same(&members);
        }
    }

    /// Any text: JSON escapes, non-ASCII, empty.
    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof!["\\PC{0,20}", "[\"\\\\\u{0}-\u{1f}a-z\u{7f}é€😀]{0,12}", Just(String::new()),]
    }

    proptest! {
        #[test]
        fn any_members_write_what_signed_fields_writes(
            amount in proptest::option::of(prop_oneof![
                "(0|[1-9][0-9]{0,6})(\\.[0-9]{0,3}[1-9])?",
                "[0-9.e-]{0,6}",
            ]),
            id in proptest::option::of(any::<u64>()),
            note in proptest::option::of(any_text()),
            order in proptest::option::of(any_text()),
            sum in proptest::option::of(any_text()),
            zeta in proptest::option::of(any::<u64>()),
        ) {
            let members = [
                ("amount", amount.as_deref().map_or(Member::Absent, Member::SignedAmount)),
                ("id", id.map_or(Member::Absent, Member::signed_integer)),
                ("note", Member::text(note.as_deref())),
                ("order", order.as_deref().map_or(Member::Absent, Member::signed_text)),
                ("sum", sum.as_deref().map_or(Member::Absent, Member::signed_text)),
                ("zeta", Member::integer(zeta)),
            ];
            assert_same(&members);
        }
    }
}
