//! Digests used by the gateways, and constant-time comparison of hex digests.

use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Lower-case hex SHA-256 of `message` followed directly by `secret` (Feennex).
///
/// The secret is fed to the hasher after the message; the two are never concatenated in
/// memory.
pub fn sha256_hex_with_secret(message: &str, secret: &SecretString) -> String {
    let mut hasher = Sha256::new();
    hasher.update(message.as_bytes());
    hasher.update(secret.expose_secret().as_bytes());
    lower_hex(&hasher.finalize())
}

/// Lower-case hex MD5 of the concatenation of `parts` (Freekassa form and notification).
///
/// Passing the parts separately lets a caller put a secret in the middle of the signed text
/// without building a string that holds it.
pub fn md5_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Md5::new();
    for part in parts {
        hasher.update(part);
    }
    lower_hex(&hasher.finalize())
}

/// Lower-case hex HMAC-SHA256 of `message` keyed with `key` (the Freekassa API).
pub fn hmac_sha256_hex(key: &SecretString, message: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(key.expose_secret().as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; longer ones are hashed first. This arm only exists
        // because the constructor is shared with MACs that do have a fixed key size.
        Err(_) => return String::new(),
    };
    mac.update(message);
    lower_hex(&mac.finalize().into_bytes())
}

/// Lower-case hex of a digest of at most 64 bytes, with a single allocation.
fn lower_hex(digest: &[u8]) -> String {
    let mut buffer = [0_u8; 128];
    let Some(out) = buffer.get_mut(..digest.len().saturating_mul(2)) else {
        return hex::encode(digest);
    };
    match hex::encode_to_slice(digest, out) {
        Ok(()) => String::from_utf8_lossy(out).into_owned(),
        Err(_) => hex::encode(digest),
    }
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
    let (Ok(expected), Ok(received)) = (hex::decode(expected), hex::decode(received)) else {
        return false;
    };
    !expected.is_empty() && bool::from(expected.ct_eq(&received))
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
    fn verify_hex_rejects_non_hex_and_mismatch() {
        assert!(verify_hex("00ff", "00FF"));
        assert!(!verify_hex("00ff", "00fe"));
        assert!(!verify_hex("00ff", "zz"));
        assert!(!verify_hex("zz", "zz"));
        assert!(!verify_hex("00ff", "00ff00"));
    }
}
