//! Digests used by the gateways, and constant-time comparison of hex digests.

use std::fmt;
use std::ops::Deref;

use ctutils::Choice;
use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::canonical::{CanonicalError, KeyOrder, write_canonical};

/// The longest digest held: 64 bytes (SHA-512), 128 hex characters.
const MAX_DIGEST_BYTES: usize = 64;

/// A lower-case hex digest, held inline so that signing allocates nothing. It dereferences to
/// `str`; `to_string()` gives an owned copy.
///
/// ```
/// let digest = payments_core::signature::md5_hex(&[b"abc"]);
/// assert_eq!(digest, "900150983cd24fb0d6963f7d28e17f72");
/// assert_eq!(digest.len(), 32);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HexDigest {
    text: [u8; 2 * MAX_DIGEST_BYTES],
    len: usize,
}

impl HexDigest {
    /// No digest: what a signer that cannot run returns, refused by [`verify_hex`].
    const EMPTY: Self = Self { text: [0; 2 * MAX_DIGEST_BYTES], len: 0 };

    /// The hex of `digest`; only the first 64 bytes of a longer one (no digest used here is).
    fn of(digest: &[u8]) -> Self {
        let digest = digest.get(..MAX_DIGEST_BYTES).unwrap_or(digest);
        let mut text = [0_u8; 2 * MAX_DIGEST_BYTES];
        let len = 2 * digest.len();
        if let Some(out) = text.get_mut(..len) {
            // The output slice is exactly twice the input, the only way this can fail.
            let _ = const_hex::encode_to_slice(digest, out);
        }
        Self { text, len }
    }

    /// The digest's hex digits as bytes (no UTF-8 check: for writing them out).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.text.get(..self.len).unwrap_or_default()
    }

    /// The digest as hex text.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever written.
        self.text.get(..self.len).and_then(|text| std::str::from_utf8(text).ok()).unwrap_or("")
    }
}

impl Deref for HexDigest {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for HexDigest {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for HexDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for HexDigest {
    // A signature is sent in the clear; it is not a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq<str> for HexDigest {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for HexDigest {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for HexDigest {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<HexDigest> for str {
    fn eq(&self, other: &HexDigest) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<HexDigest> for &str {
    fn eq(&self, other: &HexDigest) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<HexDigest> for String {
    fn eq(&self, other: &HexDigest) -> bool {
        self == other.as_str()
    }
}

impl serde::Serialize for HexDigest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl From<HexDigest> for String {
    fn from(digest: HexDigest) -> Self {
        digest.as_str().to_owned()
    }
}

/// Lower-case hex SHA-256 of `message` followed directly by `secret` (Feennex).
///
/// The secret is fed to the hasher after the message; the two are never concatenated in
/// memory.
pub fn sha256_hex_with_secret(message: &str, secret: &SecretString) -> HexDigest {
    sha256_hex_bytes_with_secret(message.as_bytes(), secret)
}

/// [`sha256_hex_with_secret`] of bytes: for a string to sign written as bytes (by a
/// [`SortedLayout`](super::SortedLayout)), hashed with no UTF-8 check.
///
/// ```
/// use payments_core::signature::{sha256_hex_bytes_with_secret, sha256_hex_with_secret};
/// use payments_core::SecretString;
///
/// let secret = SecretString::from("k");
/// assert_eq!(sha256_hex_bytes_with_secret(b"1:2", &secret), sha256_hex_with_secret("1:2", &secret));
/// ```
pub fn sha256_hex_bytes_with_secret(message: &[u8], secret: &SecretString) -> HexDigest {
    let mut hasher = Sha256::new();
    hasher.update(message);
    hasher.update(secret.expose_secret().as_bytes());
    HexDigest::of(&hasher.finalize())
}

/// Lower-case hex SHA-256 of the canonical string of `fields` (see
/// [`write_canonical`](super::write_canonical)) followed by `secret`, without building the
/// string: the values are hashed where they are.
///
/// ```
/// use payments_core::signature::{canonical_string, sha256_canonical_with_secret, sha256_hex_with_secret, KeyOrder};
/// use payments_core::SecretString;
///
/// let secret = SecretString::from("SecretKey01");
/// let mut fields = [("shop_id", "5"), ("amount", "10.00")];
/// let text = canonical_string(fields, ":", KeyOrder::Sorted)?;
/// let streamed = sha256_canonical_with_secret(&mut fields, ":", KeyOrder::Sorted, &secret)?;
/// assert_eq!(streamed, sha256_hex_with_secret(&text, &secret));
/// # Ok::<(), payments_core::signature::CanonicalError>(())
/// ```
///
/// # Errors
///
/// [`CanonicalError::DuplicateKey`] when a key appears twice.
pub fn sha256_canonical_with_secret(
    fields: &mut [(&str, &str)],
    separator: &str,
    order: KeyOrder,
    secret: &SecretString,
) -> Result<HexDigest, CanonicalError> {
    let mut hasher = Sha256::new();
    write_canonical_buffered(fields, separator, order, |bytes| hasher.update(bytes))?;
    // The secret goes to the hasher on its own: it is never copied into the buffer.
    hasher.update(secret.expose_secret().as_bytes());
    Ok(HexDigest::of(&hasher.finalize()))
}

/// Lower-case hex SHA-256 of `values` joined with `separator`, then `secret` appended, without
/// building the string: for values already in signing order (a verifier reading
/// [`crate::webhook::ReceivedFields::iter_sorted`]).
///
/// ```
/// use payments_core::signature::{sha256_hex_with_secret, sha256_joined_with_secret};
/// use payments_core::SecretString;
///
/// let secret = SecretString::from("SecretKey01");
/// let joined = sha256_joined_with_secret(["1", "2", "x"], ":", &secret);
/// assert_eq!(joined, sha256_hex_with_secret("1:2:x", &secret));
/// ```
pub fn sha256_joined_with_secret<'a>(
    values: impl IntoIterator<Item = &'a str>,
    separator: &str,
    secret: &SecretString,
) -> HexDigest {
    let mut hasher = Sha256::new();
    let mut buffer = Buffered::new();
    for (index, value) in values.into_iter().enumerate() {
        if index > 0 {
            buffer.push(separator, |bytes| hasher.update(bytes));
        }
        buffer.push(value, |bytes| hasher.update(bytes));
    }
    buffer.flush(|bytes| hasher.update(bytes));
    hasher.update(secret.expose_secret().as_bytes());
    HexDigest::of(&hasher.finalize())
}

/// Lower-case hex MD5 of the concatenation of `parts` (Freekassa form and notification).
///
/// Passing the parts separately lets a caller put a secret in the middle of the signed text
/// without building a string that holds it.
pub fn md5_hex(parts: &[&[u8]]) -> HexDigest {
    let mut hasher = Md5::new();
    for part in parts {
        hasher.update(part);
    }
    HexDigest::of(&hasher.finalize())
}

/// Lower-case hex HMAC-SHA256 of `message` keyed with `key` (the Freekassa API).
pub fn hmac_sha256_hex(key: &SecretString, message: &[u8]) -> HexDigest {
    let Some(mut mac) = hmac_sha256(key) else { return HexDigest::EMPTY };
    mac.update(message);
    HexDigest::of(&mac.finalize().into_bytes())
}

/// Lower-case hex HMAC-SHA256, keyed with `key`, of the canonical string of `fields`, without
/// building the string.
///
/// ```
/// use payments_core::signature::{canonical_string, hmac_sha256_canonical, hmac_sha256_hex, KeyOrder};
/// use payments_core::SecretString;
///
/// let key = SecretString::from("api key");
/// let mut fields = [("shopId", "777"), ("nonce", "1700000000000")];
/// let text = canonical_string(fields, "|", KeyOrder::Sorted)?;
/// let streamed = hmac_sha256_canonical(&key, &mut fields, "|", KeyOrder::Sorted)?;
/// assert_eq!(streamed, hmac_sha256_hex(&key, text.as_bytes()));
/// # Ok::<(), payments_core::signature::CanonicalError>(())
/// ```
///
/// # Errors
///
/// [`CanonicalError::DuplicateKey`] when a key appears twice.
pub fn hmac_sha256_canonical(
    key: &SecretString,
    fields: &mut [(&str, &str)],
    separator: &str,
    order: KeyOrder,
) -> Result<HexDigest, CanonicalError> {
    let Some(mut mac) = hmac_sha256(key) else { return Ok(HexDigest::EMPTY) };
    write_canonical_buffered(fields, separator, order, |bytes| mac.update(bytes))?;
    Ok(HexDigest::of(&mac.finalize().into_bytes()))
}

/// Gathers the pieces of [`write_canonical`] in a stack buffer and hands them to `update` a
/// buffer at a time: each hasher call has a fixed cost close to that of hashing a short value,
/// and a signed text is a dozen short pieces.
fn write_canonical_buffered(
    fields: &mut [(&str, &str)],
    separator: &str,
    order: KeyOrder,
    mut update: impl FnMut(&[u8]),
) -> Result<(), CanonicalError> {
    let mut buffer = Buffered::new();
    write_canonical(fields, separator, order, |piece| buffer.push(piece, &mut update))?;
    buffer.flush(update);
    Ok(())
}

/// A stack buffer gathering short pieces for a hasher.
struct Buffered {
    bytes: [u8; 256],
    used: usize,
}

impl Buffered {
    fn new() -> Self {
        Self { bytes: [0; 256], used: 0 }
    }

    /// Adds `piece`, handing the buffer to `update` first when it would not fit.
    fn push(&mut self, piece: &str, mut update: impl FnMut(&[u8])) {
        let piece = piece.as_bytes();
        if let Some(slot) = self.bytes.get_mut(self.used..self.used + piece.len()) {
            crate::short_copy::copy(slot, piece);
            self.used += piece.len();
            return;
        }
        update(self.bytes.get(..self.used).unwrap_or_default());
        self.used = 0;
        match self.bytes.get_mut(..piece.len()) {
            Some(slot) => {
                slot.copy_from_slice(piece);
                self.used = piece.len();
            }
            None => update(piece),
        }
    }

    /// Hands what is buffered to `update`.
    fn flush(self, mut update: impl FnMut(&[u8])) {
        update(self.bytes.get(..self.used).unwrap_or_default());
    }
}

fn hmac_sha256(key: &SecretString) -> Option<Hmac<Sha256>> {
    // HMAC takes keys of any length (longer ones are hashed first), so this never fails; the
    // constructor is shared with MACs that do have a fixed key size. Should it ever fail, the
    // signature is empty, which no gateway accepts and `verify_hex` refuses: it fails closed.
    Hmac::<Sha256>::new_from_slice(key.expose_secret().as_bytes()).ok()
}

/// Compares two hex digests in constant time, ignoring the case of the hex letters.
///
/// Returns `false` when either side is not hex or the lengths differ. The time taken does not
/// depend on where the digests first differ.
///
/// ```
/// use payments_core::signature::verify_hex;
///
/// assert!(verify_hex("ab01", "AB01"));
/// assert!(!verify_hex("ab01", "ab02"));
/// assert!(!verify_hex("ab01", "ab0"));
/// assert!(!verify_hex("", ""));
/// ```
pub fn verify_hex(expected: &str, received: &str) -> bool {
    let len = expected.len() / 2;
    if expected.is_empty() || expected.len() != received.len() || len > MAX_DIGEST_BYTES {
        return false;
    }
    let mut expected_bytes = [0_u8; MAX_DIGEST_BYTES];
    let mut received_bytes = [0_u8; MAX_DIGEST_BYTES];
    let (Some(expected_out), Some(received_out)) =
        (expected_bytes.get_mut(..len), received_bytes.get_mut(..len))
    else {
        return false;
    };
    if const_hex::decode_to_slice(expected, expected_out).is_err()
        || const_hex::decode_to_slice(received, received_out).is_err()
    {
        return false;
    }
    // Both arrays are zero past `len`, so comparing them whole compares the digests: as eight
    // words, each compared in constant time (a byte-wise compare is a barrier per byte).
    let word = |chunk: &[u8]| u64::from_le_bytes(chunk.try_into().unwrap_or_default());
    let equal = expected_bytes
        .chunks_exact(8)
        .zip(received_bytes.chunks_exact(8))
        .fold(Choice::TRUE, |equal, (left, right)| {
            equal & Choice::from_u64_eq(word(left), word(right))
        });
    equal.to_bool()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values from RFC 1321, FIPS 180-2 and RFC 4231.
    #[test]
    fn md5_matches_rfc_1321() {
        assert_eq!(md5_hex(&[b"abc"]), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(md5_hex(&[b"a", b"b", b"c"]), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(md5_hex(&[]), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn sha256_appends_secret() {
        // sha256("abc") from FIPS 180-2, split between message and secret.
        let secret = SecretString::from("c");
        assert_eq!(
            sha256_hex_with_secret("ab", &secret),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231_case_2() {
        let key = SecretString::from("Jefe");
        assert_eq!(
            hmac_sha256_hex(&key, b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verify_hex_takes_digests_up_to_sha512_and_no_longer() {
        let sha512 = "ab".repeat(64);
        assert!(verify_hex(&sha512, &sha512.to_uppercase()));
        let longer = "ab".repeat(65);
        assert!(!verify_hex(&longer, &longer));
        assert!(!verify_hex("abc", "abc"), "odd length is not hex");
    }

    #[test]
    fn hex_digest_is_the_lower_case_text() {
        let digest = md5_hex(&[b"abc"]);
        assert_eq!(digest.to_string(), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(format!("{digest:?}"), "\"900150983cd24fb0d6963f7d28e17f72\"");
        assert_eq!(String::from(digest), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(serde_json::to_string(&digest).unwrap(), "\"900150983cd24fb0d6963f7d28e17f72\"");
    }

    #[test]
    fn joined_values_hash_as_the_joined_string_across_buffer_flushes() {
        let secret = SecretString::from("k");
        let values: Vec<String> = (0..60).map(|n| "v".repeat(n % 19)).collect();
        let joined = values.join(":");
        assert!(joined.len() > 256, "spans more than one buffer");
        assert_eq!(
            sha256_joined_with_secret(values.iter().map(String::as_str), ":", &secret),
            sha256_hex_with_secret(&joined, &secret)
        );
    }

    #[test]
    fn verify_hex_finds_a_difference_in_any_byte_of_any_digest_length() {
        for len in [16, 20, 32, 64] {
            let expected = "5a".repeat(len);
            assert!(verify_hex(&expected, &expected));
            for at in 0..len {
                let mut received = expected.clone().into_bytes();
                received[2 * at + 1] = b'b';
                let received = String::from_utf8(received).unwrap();
                assert!(!verify_hex(&expected, &received), "length {len}, byte {at}");
            }
        }
    }

    #[test]
    fn verify_hex_rejects_non_hex_and_mismatch() {
        assert!(verify_hex("00ff", "00FF"));
        assert!(!verify_hex("00ff", "00fe"));
        assert!(!verify_hex("00ff", "zz"));
        assert!(!verify_hex("zz", "zz"));
        assert!(!verify_hex("00ff", "00ff00"));
    }
}
