//! A signed JSON request whose body members are named at compile time, in key order: the
//! string to sign and the body are written straight from the members, with no key sort, no
//! field list and, for the usual short string to sign, no allocation but the body's.
//!
//! [`SignedFields`](super::SignedFields) is the reference: for the same fields a
//! [`SortedLayout`] writes the same string to sign and the same body, byte for byte (a property
//! test checks it). It is for endpoints whose members are all known when the crate is built;
//! members with run-time names or arbitrary JSON values go through `SignedFields`.

use std::fmt;

use secrecy::SecretString;
use smallvec::SmallVec;

use super::FieldScheme;
use super::fields::{FieldValue, SignedKeys, decimal_digits, json_len, needs_escape};
use crate::InputError;

/// The longest string to sign held in place; a longer one (a long account number) is put on
/// the heap.
const INLINE_TEXT: usize = 64;

/// A string that was signed, held in place when short. It dereferences to `str`.
///
/// `Debug` does not show it (it can hold payer data).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SignedText(SmallVec<[u8; INLINE_TEXT]>);

impl SignedText {
    /// The text.
    pub fn as_str(&self) -> &str {
        // Only whole `str`s are ever written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::ops::Deref for SignedText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for SignedText {
    /// Keeps the string's own buffer (no copy) unless it is short enough to be held in place.
    fn from(text: String) -> Self {
        Self(SmallVec::from_vec(text.into_bytes()))
    }
}

impl fmt::Debug for SignedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedText").finish_non_exhaustive()
    }
}

/// One body member's value, in a [`SortedLayout`]'s order.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Member<'a> {
    /// Sent and signed (as by [`SignedFields::signed`](super::SignedFields::signed)).
    Signed(FieldValue<'a>),
    /// Sent as a JSON string, not signed.
    Text(&'a str),
    /// Sent as a JSON integer, not signed.
    Integer(u64),
    /// Not sent (an optional member that is not set).
    Absent,
}

impl<'a> Member<'a> {
    /// A member sent and signed.
    #[inline]
    pub fn signed(value: impl Into<FieldValue<'a>>) -> Self {
        Self::Signed(value.into())
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

impl fmt::Debug for Member<'_> {
    /// The kind only: values can be payer data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Signed(_) => "Signed(..)",
            Self::Text(_) => "Text(..)",
            Self::Integer(_) => "Integer(..)",
            Self::Absent => "Absent",
        })
    }
}

/// A request signed by [`SortedLayout::sign`].
#[derive(Debug, Clone, PartialEq, Eq)]
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
/// use payments_core::signature::{FieldScheme, Member, SignedFields, SortedLayout, sha256_hex_with_secret};
///
/// const SCHEME: FieldScheme =
///     FieldScheme { separator: ":", digest: sha256_hex_with_secret, signature_key: "sign" };
/// const LAYOUT: SortedLayout<3> = SortedLayout::new(SCHEME, ["amount", "description", "shop_id"]);
///
/// let secret = SecretString::from("secret");
/// let signed = LAYOUT.sign(
///     &[
///         ("amount", Member::signed("10.5")),
///         ("description", Member::text(Some("Order 1"))),
///         ("shop_id", Member::signed(5_u64)),
///     ],
///     &secret,
/// )?;
/// assert_eq!(&*signed.string_to_sign, "10.5:5");
/// let reference = SignedFields::default()
///     .signed("amount", "10.5")
///     .unsigned("description", "Order 1")
///     .signed("shop_id", 5_u64)
///     .sign(&SCHEME, &secret)?;
/// assert_eq!(signed.body, reference.body);
/// # Ok::<(), payments_core::InputError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SortedLayout<const N: usize> {
    scheme: FieldScheme,
    keys: [&'static str; N],
    /// How many of `keys` sort before the signature's key.
    signature_at: usize,
}

impl<const N: usize> SortedLayout<N> {
    /// The layout of `keys`, signed with `scheme`.
    ///
    /// # Panics
    ///
    /// When `keys` are not strictly sorted byte-wise, hold the signature's key, or hold a
    /// byte JSON escapes: in a `const` item, the build fails.
    #[expect(
        clippy::indexing_slicing,
        reason = "evaluated at compile time in a const item: a bad index fails the build"
    )]
    pub const fn new(scheme: FieldScheme, keys: [&'static str; N]) -> Self {
        assert!(is_plain_key(scheme.signature_key), "the signature's key needs no JSON escape");
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
            index += 1;
        }
        Self { scheme, keys, signature_at }
    }

    /// Signs `members` (given with their keys, in the layout's order) and writes the body.
    ///
    /// Bad input is refused before anything is written. The string to sign is written once
    /// (in place when short) and hashed as it is; the body is allocated once, at its exact
    /// size.
    ///
    /// # Errors
    ///
    /// [`InputError`] when an amount is not in shortest plain form.
    pub fn sign(
        &self,
        members: &[(&'static str, Member<'_>); N],
        secret: &SecretString,
    ) -> Result<SortedBody, InputError> {
        debug_assert!(
            members.iter().zip(&self.keys).all(|((given, _), key)| given == key),
            "members are given in the layout's order"
        );
        let signed = || {
            members.iter().filter_map(|(key, member)| match member {
                Member::Signed(value) => Some((*key, value)),
                _ => None,
            })
        };
        for (key, value) in signed() {
            value.check(key)?;
        }

        let separator = self.scheme.separator.as_bytes();
        let mut text_len = 0;
        let mut count: usize = 0;
        for (_, value) in signed() {
            text_len += value.signed_len();
            count += 1;
        }
        text_len += separator.len() * count.saturating_sub(1);
        let mut text: SmallVec<[u8; INLINE_TEXT]> = SmallVec::with_capacity(text_len);
        let mut keys = SmallVec::new();
        for (index, (key, value)) in signed().enumerate() {
            if index > 0 {
                text.extend_from_slice(separator);
            }
            match value {
                FieldValue::Text(piece) | FieldValue::Amount(piece) => {
                    text.extend_from_slice(piece.as_bytes());
                }
                FieldValue::Integer(number) => {
                    text.extend_from_slice(itoa::Buffer::new().format(*number).as_bytes());
                }
            }
            keys.push(key);
        }
        let string_to_sign = SignedText(text);
        let digest = (self.scheme.digest)(string_to_sign.as_str(), secret);
        let signature = digest.as_str();

        // Sizing the body finds which texts need escaping: only those go through serde_json.
        let mut plain = [true; N];
        let mut body_len = 2 + self.scheme.signature_key.len() + 3 + signature.len() + 2;
        let mut present = 1;
        for ((key, member), plain) in members.iter().zip(&mut plain) {
            let value_len = match member {
                Member::Absent => continue,
                Member::Signed(FieldValue::Text(text)) => string_len(text, plain)?,
                Member::Text(text) => string_len(text, plain)?,
                Member::Signed(FieldValue::Integer(number)) | Member::Integer(number) => {
                    decimal_digits(*number)
                }
                Member::Signed(FieldValue::Amount(text)) => text.len(),
            };
            body_len += key.len() + 3 + value_len;
            present += 1;
        }
        body_len += present - 1;

        let mut body = vec![0_u8; body_len];
        let mut out = Out(&mut body);
        self.write_body(&mut out, members, &plain, signature)
            .filter(|()| out.0.is_empty())
            .ok_or_else(|| InputError::field("body", "the body's size was miscounted"))?;
        Ok(SortedBody { string_to_sign, body, signed_keys: SignedKeys(keys) })
    }

    /// Writes the members that are set and the signature, in key order, into `out`; `None`
    /// when `out` is too short.
    fn write_body(
        &self,
        out: &mut Out<'_>,
        members: &[(&'static str, Member<'_>); N],
        plain: &[bool; N],
        signature: &str,
    ) -> Option<()> {
        out.byte(b'{')?;
        let mut first = true;
        let mut member = |out: &mut Out<'_>, key: &str| {
            if !std::mem::take(&mut first) {
                out.byte(b',')?;
            }
            out.byte(b'"')?;
            out.put(key.as_bytes())?;
            out.put(b"\":")
        };
        for (index, ((key, value), plain)) in members.iter().zip(plain).enumerate() {
            if index == self.signature_at {
                member(out, self.scheme.signature_key)?;
                out.quoted(signature)?;
            }
            match value {
                Member::Absent => continue,
                Member::Signed(FieldValue::Text(text)) => {
                    member(out, key)?;
                    out.string(text, *plain)?;
                }
                Member::Text(text) => {
                    member(out, key)?;
                    out.string(text, *plain)?;
                }
                Member::Signed(FieldValue::Integer(number)) | Member::Integer(number) => {
                    member(out, key)?;
                    out.put(itoa::Buffer::new().format(*number).as_bytes())?;
                }
                // Checked to be plain digits: a JSON number as it is.
                Member::Signed(FieldValue::Amount(text)) => {
                    member(out, key)?;
                    out.put(text.as_bytes())?;
                }
            }
        }
        if self.signature_at == N {
            member(out, self.scheme.signature_key)?;
            out.quoted(signature)?;
        }
        out.byte(b'}')
    }
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
        crate::short_copy::copy(head, bytes);
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
    fn quoted(&mut self, text: &str) -> Option<()> {
        self.byte(b'"')?;
        self.put(text.as_bytes())?;
        self.byte(b'"')
    }

    /// Writes `text` as a JSON string: between quotes as it is when `plain`, else escaped as
    /// `serde_json` escapes it.
    fn string(&mut self, text: &str, plain: bool) -> Option<()> {
        if plain {
            return self.quoted(text);
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
    use crate::signature::{SignedFields, sha256_hex_with_secret};

    const SCHEME: FieldScheme =
        FieldScheme { separator: "|", digest: sha256_hex_with_secret, signature_key: "signature" };

    /// Members around the signature's key: `signature` sorts between `order` and `zeta`.
    const LAYOUT: SortedLayout<6> =
        SortedLayout::new(SCHEME, ["amount", "id", "note", "order", "sum", "zeta"]);

    fn secret() -> SecretString {
        SecretString::from("k")
    }

    /// The same members through `SignedFields`, the reference.
    fn reference(members: &[(&'static str, Member<'_>)]) -> SignedFields<'static> {
        let mut fields = SignedFields::default();
        for &(key, ref member) in members {
            fields = match member {
                Member::Signed(FieldValue::Text(text)) => fields.signed(key, text.to_string()),
                Member::Signed(FieldValue::Integer(number)) => fields.signed(key, *number),
                Member::Signed(FieldValue::Amount(text)) => {
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
        let sorted = LAYOUT.sign(layout_members, &secret());
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
            ("amount", Member::Signed(FieldValue::Amount("100.5".into()))),
            ("id", Member::signed(7_u64)),
            ("note", Member::text(Some("tab\there \"q\" é"))),
            ("order", Member::signed("A-1")),
            ("sum", Member::Absent),
            ("zeta", Member::integer(Some(3_u32))),
        ]);
        let signed = LAYOUT
            .sign(
                &[
                    ("amount", Member::Absent),
                    ("id", Member::signed(7_u64)),
                    ("note", Member::Absent),
                    ("order", Member::signed("A-1")),
                    ("sum", Member::Absent),
                    ("zeta", Member::Absent),
                ],
                &secret(),
            )
            .unwrap();
        let expected = sha256_hex_with_secret("7|A-1", &secret());
        assert_eq!(
            String::from_utf8(signed.body).unwrap(),
            format!(r#"{{"id":7,"order":"A-1","signature":"{}"}}"#, expected.as_str())
        );
        assert_eq!(&*signed.signed_keys, ["id", "order"]);
    }

    #[test]
    fn the_signature_can_come_first_or_last() {
        const FIRST: SortedLayout<1> = SortedLayout::new(SCHEME, ["zz"]);
        const LAST: SortedLayout<1> = SortedLayout::new(SCHEME, ["a"]);
        let first = FIRST.sign(&[("zz", Member::signed("x"))], &secret()).unwrap();
        let last = LAST.sign(&[("a", Member::signed("x"))], &secret()).unwrap();
        let signature = sha256_hex_with_secret("x", &secret());
        let signature = signature.as_str();
        assert_eq!(first.body, format!(r#"{{"signature":"{signature}","zz":"x"}}"#).as_bytes());
        assert_eq!(last.body, format!(r#"{{"a":"x","signature":"{signature}"}}"#).as_bytes());
    }

    #[test]
    fn bad_amounts_are_refused_as_signed_fields_refuses_them() {
        for amount in ["100.50", "1e2", "-1", "", "01"] {
            let members = [
                ("amount", Member::Signed(FieldValue::Amount(amount.into()))),
                ("id", Member::signed(1_u64)),
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
        let members = [
            ("amount", Member::Absent),
            ("id", Member::signed(1_u64)),
            ("note", Member::Absent),
            ("order", Member::signed(long.as_str())),
            ("sum", Member::Absent),
            ("zeta", Member::Absent),
        ];
        assert_eq!(&*LAYOUT.sign(&members, &secret()).unwrap().string_to_sign, format!("1|{long}"));
        assert_same(&members);
    }

    #[test]
    #[should_panic(expected = "sorted")]
    fn keys_out_of_order_are_refused() {
        let _ = SortedLayout::new(SCHEME, ["b", "a"]);
    }

    #[test]
    #[should_panic(expected = "signature")]
    fn the_signature_key_is_refused_as_a_member() {
        let _ = SortedLayout::new(SCHEME, ["a", "signature"]);
    }

    #[test]
    fn debug_shows_no_value() {
        let text = SignedText::from(String::from("payer@example.com"));
        let member = Member::text(Some("payer@example.com"));
        let debug = format!("{text:?} {member:?}");
        assert!(!debug.contains("payer"), "{debug}");
    }

    /// Any text: JSON escapes, non-ASCII, empty.
    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof!["\\PC{0,20}", "[\"\\\\\u{0}-\u{1f}a-z\u{7f}é€😀]{0,12}", Just(String::new()),]
    }

    fn signed_or_absent(text: Option<String>) -> Member<'static> {
        text.map_or(Member::Absent, |text| Member::Signed(FieldValue::Text(text.into())))
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
                ("amount", amount.map_or(Member::Absent, |text| {
                    Member::Signed(FieldValue::Amount(text.into()))
                })),
                ("id", id.map_or(Member::Absent, Member::signed)),
                ("note", Member::text(note.as_deref())),
                ("order", signed_or_absent(order)),
                ("sum", signed_or_absent(sum)),
                ("zeta", Member::integer(zeta)),
            ];
            assert_same(&members);
        }
    }
}
