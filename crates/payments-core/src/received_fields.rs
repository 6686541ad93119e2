//! The fields of a received notification, decoded once into a single buffer.
//!
//! A verifier reads every field at least twice (the signature covers them, then the typed
//! notification is built from them) and keeps them for the caller. Holding the decoded text in
//! one string, each name followed by its value, with the positions of each field (and their
//! name order, sorted once to refuse repeats and reused for signing) costs two allocations per
//! notification instead of two per field, and everything after decoding borrows from it.

use std::fmt;

use crate::error::WebhookError;

/// The most fields a received notification may have. The gateways send at most a dozen or so
/// (and Freekassa's few `us_*` fields of the shop's own); anything far past that is junk,
/// refused before it is decoded or any signature work is done.
pub const MAX_FIELDS: usize = 100;

// The name sort numbers fields with a `u8`.
const _: () = assert!(MAX_FIELDS <= 256, "the name sort indexes fields with a u8");

/// The longest field name or value a received notification may have, in bytes once decoded.
/// The longest the gateways send is Fena's token, about 500 bytes.
pub const MAX_FIELD_BYTES: usize = 8 * 1024;

/// The fields of a received form or JSON body, in the order received, names unique.
///
/// ```
/// use payments_core::webhook::ReceivedFields;
///
/// let fields = ReceivedFields::decode_form(b"b=2&a=x+y%21&c=")?;
/// assert_eq!(fields.get("a"), Some("x y!"));
/// assert_eq!(fields.get("c"), Some(""));
/// assert_eq!(fields.iter().map(|(name, _)| name).collect::<Vec<_>>(), ["b", "a", "c"]);
/// assert!(ReceivedFields::decode_form(b"a=1&a=2").is_err());
/// # Ok::<(), payments_core::WebhookError>(())
/// ```
#[derive(Clone, Default)]
pub struct ReceivedFields {
    /// The decoded names and values. A decoded form keeps its separators and blanks what
    /// escapes freed (see [`decode_in_place`]): only the fields' ranges are its text.
    text: String,
    fields: Vec<Field>,
    /// Whether [`Field::by_name`] holds the name order: set by the decoders when they check
    /// that names are unique (the same sort serves signing), cleared by
    /// [`ReceivedFields::push`].
    sorted: bool,
}

/// Where one field's name and value are in [`ReceivedFields::text`].
#[derive(Clone, Copy)]
struct Field {
    name: (usize, usize),
    value: (usize, usize),
    /// The index of the field that comes at this field's position in name order, when
    /// [`ReceivedFields::sorted`] is set (kept here to need no second list).
    by_name: usize,
}

impl PartialEq for ReceivedFields {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for ReceivedFields {}

impl ReceivedFields {
    /// Decodes `application/x-www-form-urlencoded` bytes (`+` is a space, `%XX` a byte),
    /// refusing invalid UTF-8 and repeated names.
    ///
    /// # Errors
    ///
    /// [`WebhookError::Malformed`]; [`WebhookError::TooManyFields`] past [`MAX_FIELDS`] fields
    /// and [`WebhookError::FieldTooLong`] for a name or value over [`MAX_FIELD_BYTES`].
    pub fn decode_form(body: &[u8]) -> Result<Self, WebhookError> {
        // Counting separators is far cheaper than decoding: a body of thousands of empty
        // fields is refused before any of them is decoded.
        let pairs = count_ampersands(body) + 1;
        if pairs > MAX_FIELDS {
            return Err(WebhookError::TooManyFields { limit: MAX_FIELDS });
        }
        // Separators are ASCII, so a body that is UTF-8 splits into UTF-8 components: only a
        // component with `%XX` escapes needs checking after decoding.
        std::str::from_utf8(body).map_err(|_| not_utf8())?;
        // The body is decoded where it is, in one copy of it: `&` ends a pair (empty pairs
        // are skipped), the first `=` in it ends the name.
        let mut text = body.to_vec();
        let mut fields = Vec::with_capacity(pairs);
        let mut at = 0;
        loop {
            let (name_end, stop) = decode_in_place(&mut text, at, Component::Name)?;
            let (value, next) = if text.get(stop) == Some(&b'=') {
                let (value_end, next) = decode_in_place(&mut text, stop + 1, Component::Value)?;
                ((stop + 1, value_end), next)
            } else {
                ((name_end, name_end), stop)
            };
            if next > at {
                check_length(name_end - at)?;
                check_length(value.1 - value.0)?;
                fields.push(Field { name: (at, name_end), value, by_name: 0 });
            }
            if next >= text.len() {
                break;
            }
            at = next + 1;
        }
        // Each component was checked (unescaped ones are pieces of the UTF-8 body), the rest
        // is separators and blanks.
        let text = String::from_utf8(text).map_err(|_| not_utf8())?;
        let mut fields = Self { text, fields, sorted: false };
        fields.refuse_repeats()?;
        Ok(fields)
    }

    /// Decodes a JSON object into its members, in order, each value as the text that was
    /// sent: a string's content, a number's digits exactly as written (`1.0` stays `1.0`),
    /// `null` as empty, an object or array as its raw JSON. Repeated names are refused.
    ///
    /// This is what signatures over JSON bodies are computed from: the values as received,
    /// never re-serialised.
    ///
    /// ```
    /// use payments_core::webhook::ReceivedFields;
    ///
    /// let fields = ReceivedFields::decode_json(br#"{"b": 1.0, "a": "x", "c": null, "d": {"e": 1}}"#)?;
    /// assert_eq!(fields.to_vec(), [("b", "1.0"), ("a", "x"), ("c", ""), ("d", r#"{"e": 1}"#)]
    ///     .map(|(name, value)| (name.to_owned(), value.to_owned())));
    /// # Ok::<(), payments_core::WebhookError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`WebhookError::Malformed`] for anything but a JSON object, or a repeated name;
    /// [`WebhookError::TooManyFields`] and [`WebhookError::FieldTooLong`] as for forms.
    pub fn decode_json(body: &[u8]) -> Result<Self, WebhookError> {
        let object: RawObject<'_> = serde_json::from_slice(body)
            .map_err(|error| WebhookError::Malformed(format!("JSON body: {error}")))?;
        if object.too_many {
            return Err(WebhookError::TooManyFields { limit: MAX_FIELDS });
        }
        let mut fields = Self {
            text: String::with_capacity(body.len()),
            fields: Vec::with_capacity(object.members.len()),
            sorted: false,
        };
        for (name, raw) in object.members {
            let text = raw.get();
            let value: std::borrow::Cow<'_, str> = if text == "null" {
                "".into()
            } else if text.starts_with('"') {
                serde_json::from_str::<String>(text)
                    .map_err(|error| WebhookError::Malformed(error.to_string()))?
                    .into()
            } else {
                text.into()
            };
            fields.push_received(&name, &value)?;
        }
        fields.refuse_repeats()?;
        Ok(fields)
    }

    /// Sorts the names once, refusing a repeated one, and keeps the order for
    /// [`ReceivedFields::iter_sorted`].
    fn refuse_repeats(&mut self) -> Result<(), WebhookError> {
        // A notification's dozen or so fields sort in a smaller array, quicker to set up.
        if self.fields.len() <= 24 {
            self.sort_names::<24>()
        } else {
            self.sort_names::<MAX_FIELDS>()
        }
    }

    /// [`ReceivedFields::refuse_repeats`] for up to `N` fields (decoders stop at
    /// [`MAX_FIELDS`]; more fields than `N` are refused, never left unchecked).
    fn sort_names<const N: usize>(&mut self) -> Result<(), WebhookError> {
        // The indexes sorted on the stack, each with its name's first eight bytes as a number:
        // most comparisons are settled by those, without comparing the names.
        let mut order = [(0_u64, 0_u8); N];
        let mut count = 0;
        for ((field, slot), index) in self.fields.iter().zip(order.iter_mut()).zip(0_u8..) {
            let name = self.text.get(field.name.0..field.name.1).unwrap_or_default();
            *slot = (name_prefix(name), index);
            count += 1;
        }
        if count < self.fields.len() {
            // Never with the decoders, which stop at `MAX_FIELDS` (and `N` is at least the
            // count when called); refused rather than leaving names unchecked.
            return Err(WebhookError::TooManyFields { limit: N });
        }
        let order = order.get_mut(..count).unwrap_or_default();
        let name = |index: u8| self.name(usize::from(index));
        order.sort_unstable_by(|left, right| {
            left.0.cmp(&right.0).then_with(|| name(left.1).cmp(name(right.1)))
        });
        if let Some([left, _]) = order
            .windows(2)
            .find(|pair| matches!(pair, [l, r] if l.0 == r.0 && name(l.1) == name(r.1)))
        {
            return Err(WebhookError::Malformed(format!(
                "field {:?} appears more than once",
                name(left.1)
            )));
        }
        for (field, (_, index)) in self.fields.iter_mut().zip(order.iter()) {
            field.by_name = usize::from(*index);
        }
        self.sorted = true;
        Ok(())
    }

    /// The indexes of the fields in name order (byte-wise; stable for repeated names).
    fn name_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.fields.len()).collect();
        order.sort_by(|left, right| self.name(*left).cmp(self.name(*right)));
        order
    }

    fn name(&self, index: usize) -> &str {
        self.field(index).map(|(name, _)| name).unwrap_or_default()
    }

    /// The fields sorted by name, byte-wise (the order the gateways sign in). Decoded fields
    /// have unique names, sorted once when decoding; fields added with
    /// [`ReceivedFields::push`] are sorted on this call, repeats kept next to each other.
    ///
    /// ```
    /// use payments_core::webhook::ReceivedFields;
    ///
    /// let fields = ReceivedFields::decode_form(b"b=2&a=1&C=3")?;
    /// assert_eq!(fields.iter_sorted().collect::<Vec<_>>(), [("C", "3"), ("a", "1"), ("b", "2")]);
    /// # Ok::<(), payments_core::WebhookError>(())
    /// ```
    pub fn iter_sorted(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let computed = if self.sorted { Vec::new() } else { self.name_order() };
        (0..self.fields.len()).filter_map(move |at| {
            let index =
                if self.sorted { self.fields.get(at)?.by_name } else { *computed.get(at)? };
            self.field(index)
        })
    }

    /// Appends a received field, within the limits every decoder applies: at most
    /// [`MAX_FIELDS`] fields, names and values of at most [`MAX_FIELD_BYTES`]. For decoders of
    /// other encodings (multipart); nothing checks that `name` is new.
    ///
    /// # Errors
    ///
    /// [`WebhookError::TooManyFields`] or [`WebhookError::FieldTooLong`]; nothing is added.
    pub fn push_received(&mut self, name: &str, value: &str) -> Result<(), WebhookError> {
        if self.fields.len() >= MAX_FIELDS {
            return Err(WebhookError::TooManyFields { limit: MAX_FIELDS });
        }
        check_length(name.len())?;
        check_length(value.len())?;
        self.push(name, value);
        Ok(())
    }

    /// No fields yet, with room for `fields` fields of `text_bytes` bytes in all (names and
    /// values): a list of known size built with [`ReceivedFields::push`] allocates twice.
    pub fn with_capacity(text_bytes: usize, fields: usize) -> Self {
        Self {
            text: String::with_capacity(text_bytes),
            fields: Vec::with_capacity(fields),
            sorted: false,
        }
    }

    /// Appends a field. Nothing checks that `name` is new: this builds field lists for
    /// signing and tests; received fields come from the decoders, which refuse repeats.
    pub fn push(&mut self, name: &str, value: &str) {
        let name_start = self.text.len();
        self.text.push_str(name);
        let value_start = self.text.len();
        self.text.push_str(value);
        let value_end = self.text.len();
        let (name, value) = ((name_start, value_start), (value_start, value_end));
        self.fields.push(Field { name, value, by_name: 0 });
        self.sorted = false;
    }

    /// The fields in the order received.
    #[inline]
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.fields.iter().map(|field| self.pair(field))
    }

    /// The fields among `names` that were received, in the order of `names`, each value cut to
    /// 64 characters: what a refused request's log shows of it
    /// ([`WebhookVerifier::key_fields`](crate::gateway::WebhookVerifier::key_fields)).
    ///
    /// ```
    /// use payments_core::webhook::ReceivedFields;
    ///
    /// let fields = ReceivedFields::decode_form(b"sign=abc&order=42&amount=10.00")?;
    /// assert_eq!(
    ///     fields.pick(&["order", "amount", "status"]),
    ///     [("order", "42".to_owned()), ("amount", "10.00".to_owned())]
    /// );
    /// # Ok::<(), payments_core::WebhookError>(())
    /// ```
    pub fn pick(&self, names: &[&'static str]) -> Vec<(&'static str, String)> {
        names
            .iter()
            .filter_map(|name| Some((*name, self.get(name)?.chars().take(64).collect())))
            .collect()
    }

    /// The value of the field `name`, if it was received.
    #[inline]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(field, _)| *field == name).map(|(_, value)| value)
    }

    /// How many fields were received.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether no field was received.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The fields as owned pairs, in order.
    pub fn to_vec(&self) -> Vec<(String, String)> {
        self.iter().map(|(name, value)| (name.to_owned(), value.to_owned())).collect()
    }

    #[inline]
    fn field(&self, index: usize) -> Option<(&str, &str)> {
        self.fields.get(index).map(|field| self.pair(field))
    }

    #[inline]
    fn pair(&self, field: &Field) -> (&str, &str) {
        // Fields are made by `push`/the decoders on character boundaries of `text`.
        let name = self.text.get(field.name.0..field.name.1).unwrap_or_default();
        let value = self.text.get(field.value.0..field.value.1).unwrap_or_default();
        (name, value)
    }
}

impl<N: AsRef<str>, V: AsRef<str>> FromIterator<(N, V)> for ReceivedFields {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        let mut fields = Self::default();
        for (name, value) in iter {
            fields.push(name.as_ref(), value.as_ref());
        }
        fields
    }
}

impl fmt::Debug for ReceivedFields {
    // Values can hold payer data (card numbers, e-mail): only the names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter().map(|(name, _)| name)).finish()
    }
}

/// The first eight bytes of `name` (zeros past its end) as a number that orders as the bytes
/// do: names whose numbers differ compare as their numbers, equal ones must be compared whole.
fn name_prefix(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let word = |at: usize| bytes.get(at..at + 4).and_then(|four| four.try_into().ok());
    match (bytes.get(..8).and_then(|eight| eight.try_into().ok()), word(0)) {
        (Some(eight), _) => u64::from_be_bytes(eight),
        // Four to seven bytes: the first four and the last four (overlapping), each shifted to
        // where its bytes belong; no byte-by-byte gathering.
        (None, Some(first)) => {
            let last = word(bytes.len() - 4).map_or(0, u32::from_be_bytes);
            (u64::from(u32::from_be_bytes(first)) << 32)
                | (u64::from(last) << (64 - 8 * bytes.len()))
        }
        (None, None) => bytes
            .iter()
            .zip((0..8).rev())
            .fold(0, |prefix, (byte, at)| prefix | (u64::from(*byte) << (8 * at))),
    }
}

/// How many `&` are in `body`, counted 255 bytes at a time into a byte-wide sum, which the
/// compiler turns into wide compares (a sum per byte as wide as the count took four times as
/// many instructions).
fn count_ampersands(body: &[u8]) -> usize {
    body.chunks(255)
        .map(|chunk| {
            let in_chunk = chunk.iter().fold(0_u8, |sum, byte| sum + u8::from(*byte == b'&'));
            usize::from(in_chunk)
        })
        .sum()
}

/// Which part of a pair [`decode_in_place`] reads: a name ends at the first `=`, a value
/// takes it as text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Component {
    Name,
    Value,
}

/// The bytes decoding stops at: `%`, `&`, `+` and `=`.
const SPECIAL: [u8; 4] = [b'%', b'&', b'+', b'='];

/// Where the first [`SPECIAL`] byte of `bytes` is, testing eight bytes at a time.
///
/// Each word is XORed with a special byte repeated eight times, so a byte that matched
/// becomes zero; `(x - 0x01..01) & !x & 0x80..80` sets the top bit of the lowest zero byte
/// (higher ones may be set spuriously by the borrow, which the lowest set bit ignores). About
/// three instructions per byte, against ten when testing a byte at a time; a runtime-dispatched
/// SIMD search (the `memchr` crate) stops at three needles and costs more per call than the
/// short runs of a form take.
fn find_special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default());
        let zero_at = |special: u8| {
            let x = word ^ (ONES * u64::from(special));
            x.wrapping_sub(ONES) & !x & HIGHS
        };
        let found = SPECIAL.iter().fold(0, |found, special| found | zero_at(*special));
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks.remainder().iter().position(|byte| SPECIAL.contains(byte)).map(|at| offset + at)
}

/// Decodes the name or value that starts at `start` of `text`, where it is: `+` becomes a
/// space and `%XX` a byte (`%` without two hex digits stays as it is). Returns where the
/// decoded text ends and where the component did (its `&`, the `=` ending a name, or the end).
///
/// Decoding never lengthens text, and a component without `%XX` keeps its length (so the
/// common case moves no byte). Bytes a shorter decoded text no longer covers are blanked
/// with spaces, which keeps the whole buffer UTF-8. A component with an escape past ASCII is
/// checked to be UTF-8; the others are pieces of the body, already checked, cut at ASCII
/// separators, with ASCII bytes put in.
#[inline(always)]
fn decode_in_place(
    text: &mut [u8],
    start: usize,
    component: Component,
) -> Result<(usize, usize), WebhookError> {
    let (mut read, mut write) = (start, start);
    let mut escaped = false;
    loop {
        // A run of plain bytes stays where it is, or moves down behind an escape.
        let rest = text.get(read..).unwrap_or_default();
        let run = find_special(rest).unwrap_or(rest.len());
        if write != read {
            crate::short_copy::move_within(text, read, write, run);
        }
        (read, write) = (read + run, write + run);
        let (decoded, used) = match text.get(read..) {
            Some([b'&', ..]) | Some([]) | None => break,
            Some([b'=', ..]) if component == Component::Name => break,
            Some([b'+', ..]) => (b' ', 1),
            Some([b'%', high, low, ..]) => match (hex_value(*high), hex_value(*low)) {
                (Some(high), Some(low)) => {
                    let byte = (high << 4) | low;
                    // Only a byte past ASCII can leave the text not UTF-8.
                    escaped |= !byte.is_ascii();
                    (byte, 3)
                }
                _ => (b'%', 1),
            },
            // `=` in a value, or `%` without two digits.
            Some([other, ..]) => (*other, 1),
        };
        if let Some(slot) = text.get_mut(write) {
            *slot = decoded;
        }
        (read, write) = (read + used, write + 1);
    }
    if write != read
        && let Some(freed) = text.get_mut(write..read)
    {
        freed.fill(b' ');
    }
    if escaped && std::str::from_utf8(text.get(start..write).unwrap_or_default()).is_err() {
        return Err(not_utf8());
    }
    Ok((write, read))
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

fn check_length(bytes: usize) -> Result<(), WebhookError> {
    if bytes > MAX_FIELD_BYTES {
        return Err(WebhookError::FieldTooLong { limit: MAX_FIELD_BYTES });
    }
    Ok(())
}

fn not_utf8() -> WebhookError {
    WebhookError::Malformed("form field is not valid UTF-8".into())
}

/// A JSON object's members in order, values as raw JSON, repeated names kept; past
/// [`MAX_FIELDS`] members the rest is only read over and `too_many` is set.
struct RawObject<'a> {
    members: Vec<(String, &'a serde_json::value::RawValue)>,
    too_many: bool,
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for RawObject<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Members<'a> {
            type Value = RawObject<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Self::Value, M::Error> {
                let mut members = Vec::new();
                while members.len() < MAX_FIELDS {
                    match map.next_entry::<String, &'de serde_json::value::RawValue>()? {
                        Some(member) => members.push(member),
                        None => return Ok(RawObject { members, too_many: false }),
                    }
                }
                let too_many =
                    map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some();
                while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
                Ok(RawObject { members, too_many })
            }
        }
        deserializer.deserialize_map(Members(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_split_between_name_and_value_is_refused() {
        // "é" is C3 A9: each half alone is not UTF-8, even though the buffer would be.
        assert!(ReceivedFields::decode_form(b"a%C3=%A9").is_err());
        assert_eq!(ReceivedFields::decode_form(b"a=%C3%A9").unwrap().get("a"), Some("é"));
    }

    #[test]
    fn invalid_escapes_stay_as_they_are_as_percent_encoding_leaves_them() {
        for raw in ["%", "%2", "%zz", "a%+2", "%2+", "100%25", "%41%", "x%4G1", "%%41"] {
            let body = format!("a={raw}");
            let expected: String = raw
                .split('+')
                .map(|chunk| percent_encoding::percent_decode_str(chunk).decode_utf8_lossy())
                .collect::<Vec<_>>()
                .join(" ");
            let fields = ReceivedFields::decode_form(body.as_bytes()).unwrap();
            assert_eq!(fields.get("a"), Some(expected.as_str()), "{raw}");
        }
    }

    #[test]
    fn sorted_order_is_kept_from_decoding_and_computed_for_built_lists() {
        let decoded = ReceivedFields::decode_form(b"b=2&_=0&a=1&B=3").unwrap();
        let sorted: Vec<_> = decoded.iter_sorted().collect();
        assert_eq!(sorted, [("B", "3"), ("_", "0"), ("a", "1"), ("b", "2")]);
        let mut built: ReceivedFields = [("y", "1"), ("x", "2")].into_iter().collect();
        built.push("a", "3");
        let sorted: Vec<_> = built.iter_sorted().collect();
        assert_eq!(sorted, [("a", "3"), ("x", "2"), ("y", "1")]);
        let json = ReceivedFields::decode_json(br#"{"b": 1, "a": 2}"#).unwrap();
        assert_eq!(json.iter_sorted().collect::<Vec<_>>(), [("a", "2"), ("b", "1")]);
        assert_eq!(
            decoded,
            decoded.iter().collect::<ReceivedFields>(),
            "order cache is not compared"
        );
        // A built list has no field limit: every field is in the sorted order, none dropped.
        let mut many = ReceivedFields::default();
        for n in (0..300).rev() {
            many.push(&format!("f{n:03}"), "v");
        }
        let names: Vec<&str> = many.iter_sorted().map(|(name, _)| name).collect();
        assert_eq!(names.len(), 300);
        assert_eq!((names.first(), names.last()), (Some(&"f000"), Some(&"f299")));
    }

    #[test]
    fn plus_is_a_space_and_an_encoded_plus_stays() {
        let fields = ReceivedFields::decode_form(b"a=1+2%2B3&b+c=%20").unwrap();
        assert_eq!(fields.to_vec(), [("a".into(), "1 2+3".into()), ("b c".into(), " ".into())]);
    }

    #[test]
    fn json_names_repeat_refused_and_debug_shows_names_only() {
        assert!(ReceivedFields::decode_json(br#"{"a": 1, "a": 2}"#).is_err());
        assert!(ReceivedFields::decode_json(b"[1]").is_err());
        let fields = ReceivedFields::decode_json(br#"{"card": "4111111111111111"}"#).unwrap();
        assert_eq!(format!("{fields:?}"), r#"["card"]"#);
    }

    #[test]
    fn field_count_and_length_are_capped_in_forms_and_json() {
        let form =
            |count: usize| (0..count).map(|i| format!("f{i}=1")).collect::<Vec<_>>().join("&");
        assert_eq!(ReceivedFields::decode_form(form(100).as_bytes()).unwrap().len(), 100);
        assert_eq!(
            ReceivedFields::decode_form(form(101).as_bytes()),
            Err(WebhookError::TooManyFields { limit: 100 })
        );
        let json = |count: usize| {
            let members: Vec<_> = (0..count).map(|i| format!("\"f{i}\": {i}")).collect();
            format!("{{{}}}", members.join(","))
        };
        assert_eq!(ReceivedFields::decode_json(json(100).as_bytes()).unwrap().len(), 100);
        assert_eq!(
            ReceivedFields::decode_json(json(101).as_bytes()),
            Err(WebhookError::TooManyFields { limit: 100 })
        );
        let long = "a".repeat(MAX_FIELD_BYTES + 1);
        let too_long = Err(WebhookError::FieldTooLong { limit: MAX_FIELD_BYTES });
        assert_eq!(ReceivedFields::decode_form(format!("a={long}").as_bytes()), too_long);
        assert_eq!(ReceivedFields::decode_form(format!("{long}=1").as_bytes()), too_long);
        assert_eq!(
            ReceivedFields::decode_json(format!(r#"{{"a": "{long}"}}"#).as_bytes()),
            too_long
        );
        let longest = &long[1..];
        assert!(ReceivedFields::decode_form(format!("a={longest}").as_bytes()).is_ok());
    }

    #[test]
    fn decoding_in_place_moves_text_behind_escapes_and_keeps_names_apart() {
        // Escapes shorten a component: what follows moves down within it, the next field
        // starts where it did, and separators kept in the buffer never show in a field.
        let body = b"a%41%42=x%3Dy%3D&b=%E2%82%AC1&c=&=v&d&e=1=2%2&f=%2B+%";
        let fields = ReceivedFields::decode_form(body).unwrap();
        let expected = [
            ("aAB", "x=y="),
            ("b", "\u{20AC}1"),
            ("c", ""),
            ("", "v"),
            ("d", ""),
            ("e", "1=2%2"),
            ("f", "+ %"),
        ];
        assert_eq!(fields.iter().collect::<Vec<_>>(), expected);
        assert_eq!(fields.get("b"), Some("\u{20AC}1"));
        let names: Vec<&str> = fields.iter_sorted().map(|(name, _)| name).collect();
        assert_eq!(names, ["", "aAB", "b", "c", "d", "e", "f"]);
    }

    proptest::proptest! {
        /// The decoder reads what `form_urlencoded` (the `url` crate's) reads, and refuses
        /// exactly what it cannot take: repeated names and text that is not UTF-8.
        #[test]
        fn decoding_agrees_with_form_urlencoded(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "b", "=", "&", "+", "%", "%41", "%3D", "%26", "%2B", "%C3", "%A9",
                    "%E2%82%AC", "\u{e9}", "%4", "%zz", "x",
                ]),
                0..24,
            )
        ) {
            let body = parts.concat();
            let reference: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect();
            let lossy = reference
                .iter()
                .any(|(name, value)| name.contains('\u{FFFD}') || value.contains('\u{FFFD}'));
            let mut names: Vec<&str> = reference.iter().map(|(name, _)| name.as_str()).collect();
            names.sort_unstable();
            let repeated = names.windows(2).any(|pair| matches!(pair, [l, r] if l == r));
            match ReceivedFields::decode_form(body.as_bytes()) {
                Ok(fields) => {
                    proptest::prop_assert!(!repeated && !lossy, "{body:?}");
                    let sorted: Vec<&str> = fields.iter_sorted().map(|(name, _)| name).collect();
                    proptest::prop_assert_eq!(sorted, names);
                    proptest::prop_assert_eq!(fields.to_vec(), reference);
                }
                Err(_) => proptest::prop_assert!(repeated || lossy, "{body:?}"),
            }
        }
    }

    #[test]
    fn a_sort_too_small_for_the_fields_refuses_them() {
        // The decoders never get here (they stop at MAX_FIELDS); a repeat past the sort's
        // room must not go unchecked if that ever changes.
        let mut fields: ReceivedFields = [("a", "1"), ("b", "2"), ("a", "3")].into_iter().collect();
        assert!(matches!(fields.sort_names::<2>(), Err(WebhookError::TooManyFields { limit: 2 })));
        assert!(matches!(fields.sort_names::<3>(), Err(WebhookError::Malformed(_))));
    }

    #[test]
    fn name_prefixes_order_as_the_names_do() {
        let names = ["", "a", "ab", "abc", "abcd", "abcde", "abcdefg", "abcdefgh", "abcdefghi"];
        for name in names {
            let mut padded = [0; 8];
            for (slot, byte) in padded.iter_mut().zip(name.bytes()) {
                *slot = byte;
            }
            assert_eq!(name_prefix(name), u64::from_be_bytes(padded), "{name:?}");
        }
        assert!(name_prefix("SIGN") < name_prefix("intid"));
        assert!(name_prefix("P_EMAIL") < name_prefix("P_PHONE"));
    }

    #[test]
    fn built_fields_read_back() {
        let fields: ReceivedFields = [("x", "1"), ("y", "")].into_iter().collect();
        assert_eq!((fields.len(), fields.get("y"), fields.get("z")), (2, Some(""), None));
    }
}
