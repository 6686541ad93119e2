//! A quick reading of the claims objects Fena signs: one compact, flat JSON object whose
//! members are strings without escapes or unsigned integers of up to 18 digits.
//!
//! Fena's webhook and payment-link claims are always of that shape. serde_json's generic
//! reading (a visitor per member, a `Value` per number) took about 4,100 instructions of the
//! ~34,000 a webhook took to verify; this reading takes about 1,700. It reads
//! exactly what serde_json reads for the shapes it accepts (the tests below compare the two on
//! every shape and on random objects), and gives up, returning `None`, on anything else
//! (whitespace, escapes, control characters, other value types, nesting, fractions, signs,
//! long numbers, any JSON error), which [`super::claims::Claims::from_json`] then leaves to
//! serde_json, so that errors and unusual values read as before.

use std::borrow::Cow;

use serde_json::Value;

use super::claims::Claim;

/// The members of `json` in the order sent, when it is a compact flat object of plain strings
/// and short unsigned integers; `None` otherwise.
pub(super) fn members(json: &str) -> Option<Vec<(Cow<'_, str>, Claim<'_>)>> {
    // One pass over the whole object (it vectorises) instead of a test per byte of each
    // string: with no backslash and no byte below 0x20 (so no whitespace either: Fena writes
    // its claims compactly), every string is plain and ends at the next quote.
    let plain = json.bytes().fold(true, |plain, byte| plain & (byte != b'\\') & (byte >= 0x20));
    if !plain {
        return None;
    }
    let mut rest = json.strip_prefix('{')?;
    // A webhook has 8 claims, a payment link 12.
    let mut members = Vec::with_capacity(16);
    if rest == "}" {
        return Some(members);
    }
    loop {
        let (name, after_name) = quoted(rest)?;
        rest = after_name.strip_prefix(':')?;
        let value = if rest.starts_with('"') {
            let (text, after) = quoted(rest)?;
            rest = after;
            Claim::Text(Cow::Borrowed(text))
        } else {
            let (number, after) = short_unsigned(rest)?;
            rest = after;
            Claim::Other(Value::from(number))
        };
        members.push((Cow::Borrowed(name), value));
        match rest.strip_prefix(',') {
            Some(after) => rest = after,
            None => return (rest == "}").then_some(members),
        }
    }
}

/// The content of the string `text` starts with, and what follows it (strings are known to
/// be plain: they end at the next quote).
fn quoted(text: &str) -> Option<(&str, &str)> {
    let inner = text.strip_prefix('"')?;
    let end = find_quote(inner.as_bytes())?;
    // The quote is ASCII: both sides are character boundaries.
    Some((inner.get(..end)?, inner.get(end + 1..)?))
}

/// Where the first `"` of `bytes` is, testing eight bytes at a time.
///
/// Each word is XORed with eight quotes, so a quote becomes a zero byte, and
/// `(x - 0x01..01) & !x & 0x80..80` sets the top bit of the lowest zero byte (higher ones may
/// be set by the borrow, which the lowest set bit ignores). Claims are 2 to 40 bytes: a
/// byte loop took 4 instructions a byte and mispredicted its exit at each string; `memchr`
/// costs more to set up than such strings take.
fn find_quote(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    const QUOTES: u64 = u64::from_le_bytes([b'"'; 8]);
    let (words, rest) = bytes.as_chunks::<8>();
    for (index, word) in words.iter().enumerate() {
        let word = u64::from_le_bytes(*word) ^ QUOTES;
        let found = word.wrapping_sub(ONES) & !word & HIGHS;
        if found != 0 {
            return Some(index * 8 + found.trailing_zeros() as usize / 8);
        }
    }
    rest.iter().position(|byte| *byte == b'"').map(|at| words.len() * 8 + at)
}

/// The unsigned integer `text` starts with, of one to 18 digits (below 10^18: no overflow),
/// and what follows it. A leading `0` is the whole number, as in JSON: `01` reads `0` and then
/// fails at the `1`, where serde_json fails too.
fn short_unsigned(text: &str) -> Option<(u64, &str)> {
    let bytes = text.as_bytes();
    if let [b'0', ..] = bytes {
        return Some((0, text.get(1..)?));
    }
    // Read in one pass, at most 19 digits (below 2^64: no overflow), 19 then refused.
    let (mut number, mut digits) = (0_u64, 0);
    for digit in bytes.iter().take(19).take_while(|byte| byte.is_ascii_digit()) {
        number = number * 10 + u64::from(digit - b'0');
        digits += 1;
    }
    if digits == 0 || digits > 18 {
        return None;
    }
    Some((number, text.get(digits..)?))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::webhook::Claims;

    /// The claims as serde_json reads them (the reading `flat_claims` stands in for).
    fn through_serde(json: &str) -> Result<Claims<'_>, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// Whatever the quick reading accepts, serde_json reads the same; returns whether it was
    /// accepted.
    fn reads_as_serde(json: &str) -> bool {
        match members(json) {
            Some(members) => {
                let serde = through_serde(json).unwrap_or_else(|e| panic!("{json:?}: {e}"));
                assert_eq!(Claims::from_members(members), serde, "{json:?}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn flat_objects_read_as_serde_json_reads_them() {
        let vectors: serde_json::Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/vectors/fena.json"
        )))
        .unwrap();
        // Fena's own claims are all read quickly: the point of this reading.
        let mut tokens = 0;
        for token in vectors["valid"].as_array().unwrap().iter().filter_map(|v| v["token"].as_str())
        {
            let payload = token.split('.').nth(1).unwrap();
            let json =
                base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
                    .unwrap();
            assert!(reads_as_serde(std::str::from_utf8(&json).unwrap()), "{token}");
            tokens += 1;
        }
        assert!(tokens >= 2);
        for json in [
            "{}",
            r#"{"a":"1","b":2}"#,
            r#"{"a":"x y","b":0,"c":" "}"#,
            r#"{"x":"first","a":1,"x":"last"}"#,
            "{\"caf\u{e9}\":\"\u{e9}t\u{e9}\",\"\":\"\"}",
            r#"{"n":999999999999999999}"#,
        ] {
            assert!(reads_as_serde(json), "{json}");
        }
        // Left to serde_json: escapes, other types, signs, fractions, exponents, 19 digits,
        // leading zeros, and anything malformed.
        for json in [
            " {\t}\r\n",
            "{ \"a\" : \"x y\" ,\n\"b\" :\t0 }  ",
            r#"{"a":1 }"#,
            r#"{"a":"\n"}"#,
            r#"{"a\"":"1"}"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a":null}"#,
            r#"{"a":true}"#,
            r#"{"a":[1]}"#,
            r#"{"a":{}}"#,
            r#"{"a":-1}"#,
            r#"{"a":1.0}"#,
            r#"{"a":1e3}"#,
            r#"{"a":1000000000000000000}"#,
            r#"{"a":01}"#,
            r#"{"a":1,}"#,
            r#"{"a":1}x"#,
            r#"{"a" 1}"#,
            r#"{"a":1"b":2}"#,
            r#"{"a":"1}"#,
            r#"{a:1}"#,
            "[]",
            "",
            "{",
            " ",
            "null",
        ] {
            assert!(!reads_as_serde(json), "{json}");
        }
    }

    #[test]
    fn quotes_are_found_as_a_byte_search_finds_them() {
        let text = "ab\"cdefghijklmn\"op\u{e9}\"";
        for start in 0..text.len() {
            for end in start..=text.len() {
                let bytes = &text.as_bytes()[start..end];
                assert_eq!(find_quote(bytes), bytes.iter().position(|b| *b == b'"'), "{bytes:?}");
            }
        }
        // Bytes just above and below a quote, where the borrow could mislead the test.
        for bytes in [&b"!#!#!#!#!#!#!#!#!"[..], b"\x01\x21\x23\x22", b"########\"", b"\x22\x22"] {
            assert_eq!(find_quote(bytes), bytes.iter().position(|b| *b == b'"'), "{bytes:?}");
        }
    }

    /// Pieces that make up JSON-like text, valid or not.
    const PIECES: &[&str] = &[
        "{", "}", "\"", "\"a\"", "\"id\"", ":", ",", " ", "\n", "\t", "0", "1", "9", "12", "-",
        ".", "e", "\\", "\\\"", "\u{1}", "\u{e9}", "null", "true", "[", "]", "x",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn any_text_reads_as_serde_json_reads_it(
            pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..24),
        ) {
            reads_as_serde(&pieces.concat());
        }

        #[test]
        fn any_flat_object_reads_as_serde_json_reads_it(
            members in proptest::collection::vec(
                ("[a-zA-Z\u{e9}]{0,4}", prop_oneof![
                    "[ -~\u{e9}]{0,6}".prop_map(serde_json::Value::from),
                    any::<u64>().prop_map(serde_json::Value::from),
                    (0..1000_u64).prop_map(serde_json::Value::from),
                ]),
                0..10,
            ),
            spaced in any::<bool>(),
        ) {
            let separator = if spaced { " , " } else { "," };
            let object = members
                .iter()
                .map(|(name, value)| format!("{}:{value}", serde_json::Value::from(name.as_str())))
                .collect::<Vec<_>>()
                .join(separator);
            let json = format!("{{{object}}}");
            let plain = members.iter().all(|(_, value)| match value {
                serde_json::Value::String(text) => !text.contains(['"', '\\']),
                serde_json::Value::Number(number) => number.as_u64() < Some(10_u64.pow(18)),
                _ => false,
            });
            let compact = !spaced || members.len() < 2;
            prop_assert_eq!(reads_as_serde(&json), plain && compact, "{}", json);
        }
    }
}
