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
    /// escapes freed (see [`InPlace`]): only the fields' ranges are its text.
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
        let (ampersands, ascii) = scan(body);
        let pairs = ampersands + 1;
        if pairs > MAX_FIELDS {
            return Err(WebhookError::TooManyFields { limit: MAX_FIELDS });
        }
        // An ASCII body is UTF-8. Another is checked as received: escapes that decode to
        // UTF-8 do not make up for bytes that were not UTF-8 as sent.
        if !ascii {
            std::str::from_utf8(body).map_err(|_| not_utf8())?;
        }
        let mut form = InPlace {
            text: body.to_vec(),
            fields: Vec::with_capacity(pairs),
            pair: 0,
            name: None,
            component: 0,
            read: 0,
            write: 0,
        };
        let (blocks, rest) = body.as_chunks::<64>();
        let mut last = [0_u8; 64];
        if let Some(slot) = last.get_mut(..rest.len()) {
            slot.copy_from_slice(rest);
        }
        for (block, start) in blocks.iter().chain([&last]).zip((0..).step_by(64)) {
            let mut specials = special_mask(block);
            while specials != 0 {
                let at = start + specials.trailing_zeros() as usize;
                specials &= specials - 1;
                form.special(at)?;
            }
        }
        form.plain_to(body.len());
        form.end_pair()?;
        // The one UTF-8 check of the decoded text (see `InPlace`).
        let InPlace { text, fields, .. } = form;
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

/// One pass over a form body before decoding: how many `&` it has (so a body of thousands of
/// empty fields is refused before any is decoded) and whether it is all ASCII (then it is
/// UTF-8 without a check). Counted 255 bytes at a time into byte-wide sums, which the compiler
/// turns into wide compares (a sum per byte as wide as the count took four times as many
/// instructions).
fn scan(body: &[u8]) -> (usize, bool) {
    body.chunks(255).fold((0, true), |(ampersands, ascii), chunk| {
        let (in_chunk, high) = chunk
            .iter()
            .fold((0_u8, 0_u8), |(sum, high), byte| (sum + u8::from(*byte == b'&'), high | byte));
        (ampersands + usize::from(in_chunk), ascii && high.is_ascii())
    })
}

/// The bytes decoding stops at: `%`, `&`, `+` and `=`.
const SPECIAL: [u8; 4] = [b'%', b'&', b'+', b'='];

/// Where the [`SPECIAL`] bytes of a 64-byte block are: bit `i` is set when byte `i` is one.
///
/// Eight bytes at a time: each word is XORed with a special byte repeated, so a byte that
/// matched becomes zero, and `!(((x & 0x7F..7F) + 0x7F..7F) | x) & 0x80..80` sets the top bit
/// of exactly the zero bytes (no carry crosses a byte, and a byte past ASCII keeps its top
/// bit in `| x`). The eight top bits are gathered into one byte with a multiply
/// (`0x0102_0408_1020_4080` moves byte `i`'s bit to bit `56 + i`, and no two partial products
/// meet there). The decoder then visits the set bits: a branch per special byte and none per
/// plain run, where searching run by run mispredicted at the end of nearly every run.
fn special_mask(block: &[u8; 64]) -> u64 {
    const LOWS: u64 = u64::from_le_bytes([0x7F; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    block.as_chunks::<8>().0.iter().zip((0..64).step_by(8)).fold(0, |mask, (chunk, shift)| {
        let word = u64::from_le_bytes(*chunk);
        let nonzero = |special: u8| {
            let x = word ^ (ONES * u64::from(special));
            ((x & LOWS) + LOWS) | x
        };
        let all_nonzero = SPECIAL.iter().fold(u64::MAX, |all, special| all & nonzero(*special));
        let found = !all_nonzero & HIGHS;
        mask | (((found >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) << shift)
    })
}

/// Decodes a form body where it is, in a copy of it, visiting only its [`SPECIAL`] bytes
/// (from [`special_mask`]): `&` ends a pair (empty pairs are skipped), the first `=` of a pair
/// ends its name, `+` becomes a space and `%XX` a byte (`%` without two hex digits stays).
///
/// Decoding never lengthens text, and a component without `%XX` keeps its length (so the
/// common case moves no byte): a run of plain bytes stays where it is, or moves down behind
/// an escape. Bytes a shorter decoded component no longer covers are blanked with spaces, and
/// separators stay, so components are always apart by ASCII bytes: the whole buffer is UTF-8
/// exactly when every decoded component is, and one check of it covers them all.
struct InPlace {
    text: Vec<u8>,
    fields: Vec<Field>,
    /// Where the pair being read starts.
    pair: usize,
    /// Its name, once its first `=` was read; until then the pair is its name.
    name: Option<(usize, usize)>,
    /// Where the component being read starts.
    component: usize,
    /// The next byte to read, and where its decoded byte goes (never past `read`).
    read: usize,
    write: usize,
}

impl InPlace {
    /// Reads the plain bytes up to `at` (a special byte, or the end of the text).
    #[inline(always)]
    fn plain_to(&mut self, at: usize) {
        // `at` is never behind `read`: an escape consumes only hex digits after its `%`, and
        // they are not special bytes, so the next special byte is past it.
        debug_assert!(at >= self.read, "special byte {at} behind the read position");
        let run = at.saturating_sub(self.read);
        if self.write != self.read {
            crate::short_copy::move_within(&mut self.text, self.read, self.write, run);
        }
        (self.read, self.write) = (at, self.write + run);
    }

    /// Reads the special byte at `at` (the bytes before it were read).
    #[inline(always)]
    fn special(&mut self, at: usize) -> Result<(), WebhookError> {
        self.plain_to(at);
        let (decoded, used) = match self.text.get(at..) {
            Some([b'&', ..]) => return self.end_pair(),
            Some([b'=', ..]) if self.name.is_none() => {
                self.name = Some(self.end_component());
                return Ok(());
            }
            Some([b'+', ..]) => (b' ', 1),
            Some([b'%', high, low, ..]) => match (hex_value(*high), hex_value(*low)) {
                (high, low) if (high | low) < 16 => ((high << 4) | low, 3),
                _ => (b'%', 1),
            },
            // `=` in a value, or `%` without two digits.
            Some([other, ..]) => (*other, 1),
            Some([]) | None => return Ok(()),
        };
        if let Some(slot) = self.text.get_mut(self.write) {
            *slot = decoded;
        }
        (self.read, self.write) = (self.read + used, self.write + 1);
        Ok(())
    }

    /// Ends the component at `read` (a separator or the end): blanks what decoding freed and
    /// returns its decoded range; the next component starts past the separator.
    #[inline(always)]
    fn end_component(&mut self) -> (usize, usize) {
        if self.write != self.read
            && let Some(freed) = self.text.get_mut(self.write..self.read)
        {
            crate::short_copy::fill(freed, b' ');
        }
        let decoded = (self.component, self.write);
        self.component = self.read + 1;
        (self.read, self.write) = (self.component, self.component);
        decoded
    }

    /// Ends the pair at `read` (an `&` or the end), keeping it unless it is empty.
    #[inline(always)]
    fn end_pair(&mut self) -> Result<(), WebhookError> {
        let end = self.read;
        let last = self.end_component();
        let (name, value) = match self.name.take() {
            Some(name) => (name, last),
            None => (last, (last.1, last.1)),
        };
        if end > self.pair {
            if name.1 - name.0 > MAX_FIELD_BYTES || value.1 - value.0 > MAX_FIELD_BYTES {
                return Err(self.too_long());
            }
            self.fields.push(Field { name, value, by_name: 0 });
        }
        self.pair = self.component;
        Ok(())
    }

    /// The error for a field over [`MAX_FIELD_BYTES`]: a component before it that is not
    /// UTF-8 is reported first, as a decoder checking each component as it goes would.
    /// (The rest of the text is as received, and the received body was checked.)
    #[cold]
    fn too_long(&self) -> WebhookError {
        if std::str::from_utf8(&self.text).is_err() {
            return not_utf8();
        }
        WebhookError::FieldTooLong { limit: MAX_FIELD_BYTES }
    }
}

/// The value of a hex digit, [`NOT_HEX`] for any other byte.
///
/// A table: one load per digit where three range tests branched on every digit (escapes mix
/// digits and letters, `%3A`, `%7B`, so those branches were mispredicted).
fn hex_value(digit: u8) -> u8 {
    HEX_VALUES.get(usize::from(digit)).copied().unwrap_or(NOT_HEX)
}

/// What [`hex_value`] gives for a byte that is not a hex digit (16 or more, so that the OR
/// of two values is under 16 exactly when both are digits).
const NOT_HEX: u8 = 0xFF;

#[expect(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: a bad index fails the build"
)]
const HEX_VALUES: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut digit = 0;
    while digit < 10 {
        table[b'0' as usize + digit] = digit as u8;
        digit += 1;
    }
    let mut letter = 0;
    while letter < 6 {
        table[b'a' as usize + letter] = 10 + letter as u8;
        table[b'A' as usize + letter] = 10 + letter as u8;
        letter += 1;
    }
    table
};

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
                    "%E2%82%AC", "\u{e9}", "%4", "%zz", "x", "0123456789abcdefghijklmnopq",
                ]),
                0..48,
            )
        ) {
            // Long parts put specials, escapes and characters across the decoder's 64-byte
            // blocks.
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

    proptest::proptest! {
        /// A body that is not UTF-8 as received is refused, even where its escapes would
        /// complete a character (`form_urlencoded` would take `\xC3%A9` as `é`); one that is
        /// decodes as its text does.
        #[test]
        fn bodies_not_utf8_as_received_are_refused(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    &b"a"[..], b"=", b"&", b"%C3", b"%A9", b"\xC3", b"\xA9", b"\xFF", b"\xC3\xA9",
                    b"0123456789abcdefghijklmnopq",
                ]),
                0..32,
            )
        ) {
            let body = parts.concat();
            let decoded = ReceivedFields::decode_form(&body);
            match std::str::from_utf8(&body) {
                Err(_) => proptest::prop_assert!(decoded.is_err(), "{body:?}"),
                Ok(text) => {
                    let escaped = text.replace('\u{e9}', "%C3%A9");
                    let reference = ReceivedFields::decode_form(escaped.as_bytes());
                    proptest::prop_assert_eq!(decoded, reference, "{:?}", body);
                }
            }
        }
    }

    #[test]
    fn special_masks_mark_exactly_the_special_bytes() {
        // Every byte value at every position, next to specials and bytes past ASCII (whose
        // top bit must not read as a match).
        for byte in 0..=u8::MAX {
            for at in 0..64 {
                let mut block = [0x80_u8; 64];
                block[(at + 1) % 64] = b'%';
                block[at] = byte;
                let expected = block
                    .iter()
                    .enumerate()
                    .filter(|(_, byte)| SPECIAL.contains(byte))
                    .fold(0_u64, |mask, (at, _)| mask | (1 << at));
                assert_eq!(special_mask(&block), expected, "byte {byte:#x} at {at}");
            }
        }
        // Every pattern of specials within a word.
        for pattern in 0..=u8::MAX {
            let mut block = [b'a'; 64];
            for bit in 0..8 {
                if pattern & (1 << bit) != 0 {
                    block[8 + bit] = SPECIAL[bit % 4];
                }
            }
            assert_eq!(special_mask(&block), u64::from(pattern) << 8, "{pattern:#010b}");
        }
    }

    #[test]
    fn a_field_too_long_after_one_not_utf8_is_refused_as_not_utf8() {
        let long = "a".repeat(MAX_FIELD_BYTES + 1);
        let not_utf8 = ReceivedFields::decode_form(format!("a=%FF&b={long}").as_bytes());
        assert!(matches!(not_utf8, Err(WebhookError::Malformed(_))));
        let too_long = ReceivedFields::decode_form(format!("b={long}&a=%FF").as_bytes());
        assert_eq!(too_long, Err(WebhookError::FieldTooLong { limit: MAX_FIELD_BYTES }));
        let raw = [format!("b={long}&a=").as_bytes(), &[0xFF]].concat();
        assert!(matches!(ReceivedFields::decode_form(&raw), Err(WebhookError::Malformed(_))));
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
    fn hex_values_are_those_of_the_digits_and_not_hex_otherwise() {
        for byte in 0..=u8::MAX {
            let expected = char::from(byte).to_digit(16).map_or(NOT_HEX, |value| value as u8);
            assert_eq!(hex_value(byte), expected, "{byte:#x}");
        }
    }

    #[test]
    fn built_fields_read_back() {
        let fields: ReceivedFields = [("x", "1"), ("y", "")].into_iter().collect();
        assert_eq!((fields.len(), fields.get("y"), fields.get("z")), (2, Some(""), None));
    }
}
