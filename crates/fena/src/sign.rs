//! The Fena signature: a JWT signed with HMAC-SHA512 (HS512), keyed with the UTF-8 bytes of
//! the terminal secret.
//!
//! Signing writes the header `{"typ":"JWT","alg":"HS512"}` (the bytes Fena's PHP and Node
//! libraries write) and the claims in the order of their struct. Verification reads the
//! header first and refuses any `alg` but `HS512` before the signature is checked, then
//! compares the HMAC in constant time (`hmac`'s `verify_slice`). Claim checks (times,
//! terminal, amount) are done by the caller with an injectable clock, so the library's own
//! time checks are switched off here.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use jsonwebtoken::Algorithm;
use payments_core::{ExposeSecret, InputError, SecretString};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::Sha512;

use crate::error::{Error, TokenError};

/// The only algorithm Fena uses and the only one accepted.
pub const ALGORITHM: Algorithm = Algorithm::HS512;

/// The `alg` text of [`ALGORITHM`].
pub const ALGORITHM_NAME: &str = "HS512";

/// The header every token is signed with, encoded: base64url of `{"typ":"JWT","alg":"HS512"}`
/// (what Fena's libraries and `jsonwebtoken` write).
pub const ENCODED_HEADER: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9";

/// An HS512 key made once from a terminal secret (HMAC-SHA512 with its pads already hashed,
/// cloned for each token), kept by [`crate::Config`] so that signing and verifying do not redo
/// it. `Debug` shows nothing of the key.
///
/// RustCrypto's HMAC-SHA512, not aws-lc's (jsonwebtoken's backend): alternated in one run on
/// the project's machine, aws-lc took 1.13x to 1.14x as long per call, 1.08x to 1.10x with the
/// key made once (`paired_aws_lc_vs_rustcrypto*` in `crates/fena/benches/sign.rs`; the
/// README's performance section).
///
/// Its key states (the hashes of the padded key) are wiped when it is dropped: they are
/// sha2's SHA-512 states, which zeroize themselves with sha2's `zeroize` feature (so do the
/// per-token clones; about 0.4% of the webhook row's instructions). The pad block `hmac`
/// derives from the key while making them is not wiped by that feature.
#[derive(Clone)]
pub struct SigningKey {
    mac: Hmac<Sha512>,
    empty: bool,
}

// `SigningKey` holds nothing but `Hmac<Sha512>`, whose secret state is two of these: this stops
// compiling if they no longer wipe themselves on drop (sha2's `zeroize` feature dropped).
const _: fn() = || {
    fn wiped_on_drop<T: sha2::digest::zeroize::ZeroizeOnDrop>() {}
    wiped_on_drop::<sha2::block_api::Sha512VarCore>();
};

impl SigningKey {
    /// The key of `secret`'s UTF-8 bytes.
    pub fn new(secret: &SecretString) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        // HMAC takes keys of any length: this cannot fail. Should it, the key is refused like
        // an empty one, so nothing is signed or accepted with it.
        match Hmac::<Sha512>::new_from_slice(bytes) {
            Ok(mac) => Self { mac, empty: bytes.is_empty() },
            Err(_) => Self { mac: Hmac::<Sha512>::new(&Default::default()), empty: true },
        }
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").finish_non_exhaustive()
    }
}

/// Signs `claims` as an HS512 JWT with `secret`.
///
/// ```
/// use payments_core::SecretString;
///
/// #[derive(serde::Serialize)]
/// struct Claims { a: u8 }
///
/// let token = fena::sign::sign(&Claims { a: 1 }, &SecretString::from("secret"))?;
/// assert!(token.starts_with("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9."));
/// # Ok::<(), fena::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::Input`] for an empty secret (a token signed with it proves nothing);
/// [`Error::Signing`] if the claims cannot be serialised.
pub fn sign<T: Serialize>(claims: &T, secret: &SecretString) -> Result<String, Error> {
    sign_with(claims, &SigningKey::new(secret))
}

/// [`sign`] with a key made beforehand.
///
/// The token is written directly: the constant header, the claims serialised once and
/// base64url-encoded into the token, then the HMAC-SHA512 of those bytes.
///
/// # Errors
///
/// As [`sign`].
pub fn sign_with<T: Serialize>(claims: &T, key: &SigningKey) -> Result<String, Error> {
    sign_between(&[], claims, key, "")
}

/// The `prefix` pieces, the token of `claims`, then `suffix`, in one string allocated once at
/// its final length (only the token is signed): the claims' JSON is serialised once,
/// base64url-encoded straight into the string and MAC'ed there.
pub(crate) fn sign_between<T: Serialize>(
    prefix: &[&str],
    claims: &T,
    key: &SigningKey,
    suffix: &str,
) -> Result<String, Error> {
    if key.empty {
        return Err(InputError::field("terminal_secret", "must not be empty").into());
    }
    // A payment link's claims are about 450 bytes, a webhook's about 250.
    let mut json = Vec::with_capacity(512);
    serde_json::to_writer(&mut json, claims)
        .map_err(|error| Error::Signing(jsonwebtoken::errors::Error::from(error)))?;
    let prefix_len: usize = prefix.iter().map(|piece| piece.len()).sum();
    // Header, claims and signature (64 bytes: 86 characters), two dots.
    let mut out = String::with_capacity(
        prefix_len + ENCODED_HEADER.len() + json.len().div_ceil(3) * 4 + 86 + 2 + suffix.len(),
    );
    for piece in prefix {
        out.push_str(piece);
    }
    out.push_str(ENCODED_HEADER);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(&json, &mut out);
    let mut mac = key.mac.clone();
    mac.update(out.get(prefix_len..).unwrap_or_default().as_bytes());
    let tag = mac.finalize().into_bytes();
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(tag.as_slice(), &mut out);
    out.push_str(suffix);
    Ok(out)
}

/// Verifies the header and the HS512 signature of `token` and returns its claims, unchecked
/// otherwise (no time, terminal or amount checks: see [`crate::webhook`]).
///
/// # Errors
///
/// [`TokenError::EmptySecret`], [`TokenError::Malformed`], [`TokenError::AlgorithmNotAllowed`]
/// or [`TokenError::BadSignature`].
pub fn verify(token: &str, secret: &SecretString) -> Result<Map<String, Value>, TokenError> {
    verify_with(token, &SigningKey::new(secret))
}

/// [`verify`] with a key made beforehand.
///
/// The header is checked first (the exact header signing writes is known good; any other is
/// decoded and must say `HS512`, with no `crit`), then the HMAC, compared in constant time,
/// and only then are the claims decoded.
///
/// # Errors
///
/// As [`verify`].
pub fn verify_with(token: &str, key: &SigningKey) -> Result<Map<String, Value>, TokenError> {
    let mut payload = PayloadBuffer::new();
    let json = verify_payload(token, key, &mut payload)?;
    serde_json::from_slice(json).map_err(not_the_expected_json)
}

/// The reason given when a verified payload is not a JSON object.
pub(crate) fn not_the_expected_json(error: serde_json::Error) -> TokenError {
    malformed("token", format!("header or payload is not the expected JSON: {error}"))
}

/// Checks the header and the HMAC of `token` (as [`verify_with`]) and returns its payload,
/// decoded into `buffer`: the JSON of the claims, not yet read.
pub(crate) fn verify_payload<'b>(
    token: &str,
    key: &SigningKey,
    buffer: &'b mut PayloadBuffer,
) -> Result<&'b [u8], TokenError> {
    if key.empty {
        return Err(TokenError::EmptySecret);
    }
    let three_parts = three_parts(token);
    let Some((signing_input, header, payload, signature)) = three_parts else {
        return Err(malformed("token", "expected three dot-separated parts"));
    };
    if header != ENCODED_HEADER {
        check_header(header)?;
    }
    let mut tag = [0_u8; 64];
    let tag_len = match URL_SAFE_NO_PAD.decode_slice(signature, &mut tag) {
        Ok(len) => len,
        // Longer than any HS512 tag: it cannot match.
        Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
            return Err(TokenError::BadSignature);
        }
        Err(base64::DecodeSliceError::DecodeError(error)) => {
            return Err(malformed("token", format!("not base64url: {error}")));
        }
    };
    let mut mac = key.mac.clone();
    mac.update(signing_input.as_bytes());
    mac.verify_slice(tag.get(..tag_len).unwrap_or_default())
        .map_err(|_| TokenError::BadSignature)?;
    buffer.decode(payload).map_err(|error| malformed("token", format!("not base64url: {error}")))
}

/// The signing input, header, payload and signature of a token with exactly two dots.
fn three_parts(token: &str) -> Option<(&str, &str, &str, &str)> {
    // Exactly two dots: the signing input is everything before the last one. Counted in one
    // pass, 255 bytes at a time into a byte-wide sum (which vectorises; a sum as wide as the
    // count does not).
    let dots: usize = token
        .as_bytes()
        .chunks(255)
        .map(|chunk| {
            usize::from(chunk.iter().fold(0_u8, |dots, byte| dots + u8::from(*byte == b'.')))
        })
        .sum();
    // With two dots, each is found from its side. The usual token needs no search: it starts
    // with the header signing writes (which has no dot), and ends with an HS512 tag's 86
    // characters, so a dot just before them that is not the first is the last one.
    let bytes = token.as_bytes();
    (dots == 2)
        .then(|| {
            let first = match bytes.get(ENCODED_HEADER.len()) {
                Some(b'.') if token.starts_with(ENCODED_HEADER) => ENCODED_HEADER.len(),
                _ => token.find('.')?,
            };
            let last = match token.len().checked_sub(TAG_CHARACTERS + 1) {
                Some(at) if at != first && bytes.get(at) == Some(&b'.') => at,
                _ => token.rfind('.')?,
            };
            let signing_input = token.get(..last)?;
            let (header, payload) = (token.get(..first)?, token.get(first + 1..last)?);
            Some((signing_input, header, payload, token.get(last + 1..)?))
        })
        .flatten()
}

/// The length of an HS512 tag (64 bytes) in base64url without padding.
const TAG_CHARACTERS: usize = 86;

/// A decoded payload up to this many bytes stays on the stack (a webhook's claims are about
/// 250 bytes, a payment link's about 450).
const INLINE_PAYLOAD: usize = 1024;

/// Where a token's payload is base64url-decoded: on the stack when it fits
/// [`INLINE_PAYLOAD`] bytes, on the heap otherwise.
pub(crate) struct PayloadBuffer {
    inline: [u8; INLINE_PAYLOAD],
    heap: Vec<u8>,
}

impl PayloadBuffer {
    pub(crate) fn new() -> Self {
        Self { inline: [0; INLINE_PAYLOAD], heap: Vec::new() }
    }

    fn decode(&mut self, payload: &str) -> Result<&[u8], base64::DecodeError> {
        match URL_SAFE_NO_PAD.decode_slice(payload, &mut self.inline) {
            Ok(len) => Ok(self.inline.get(..len).unwrap_or_default()),
            Err(base64::DecodeSliceError::DecodeError(error)) => Err(error),
            Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
                self.heap = URL_SAFE_NO_PAD.decode(payload)?;
                Ok(&self.heap)
            }
        }
    }
}

/// The JOSE header as this verifier reads it: `alg` and, when present, `typ` and `kid` as
/// strings; a repeated member is refused (serde's derive), so `{"alg":"none","alg":"HS512"}`
/// is not read as its last member. `crit` is read only to be refused.
#[derive(serde::Deserialize)]
struct JoseHeader {
    alg: Value,
    #[serde(default)]
    #[allow(dead_code, reason = "read only so that a non-string typ is refused")]
    typ: Option<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "read only so that a non-string kid is refused")]
    kid: Option<String>,
    #[serde(default, deserialize_with = "present")]
    crit: Option<Value>,
}

/// A member that is present, whatever its value (`null` included).
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    <Value as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// Refuses any header whose `alg` is not exactly `HS512`, headers that demand extensions
/// (`crit`) this verifier does not implement, and headers whose members repeat or have the
/// wrong type (as `jsonwebtoken`'s typed header did).
fn check_header(encoded: &str) -> Result<(), TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|error| malformed("header", format!("not base64url: {error}")))?;
    let header: JoseHeader = serde_json::from_slice(&bytes)
        .map_err(|error| malformed("header", format!("not the expected JSON object: {error}")))?;
    match header.alg {
        Value::String(alg) if alg == ALGORITHM_NAME => {}
        Value::String(alg) => return Err(TokenError::AlgorithmNotAllowed { alg }),
        other => return Err(TokenError::AlgorithmNotAllowed { alg: other.to_string() }),
    }
    if header.crit.is_some() {
        return Err(malformed("header", "crit extensions are not supported"));
    }
    Ok(())
}

fn malformed(part: &'static str, reason: impl Into<String>) -> TokenError {
    TokenError::Malformed { part, reason: reason.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SecretString {
        SecretString::from("0b7e3c1a-5d2f-4e8b-9a6c-2f1d3e4b5a69")
    }

    #[test]
    fn sign_then_verify_round_trips() {
        let claims = serde_json::json!({"a": "b", "n": 1});
        let token = sign(&claims, &secret()).unwrap();
        let decoded = verify(&token, &secret()).unwrap();
        assert_eq!(Value::Object(decoded), claims);
        assert_eq!(verify(&token, &SecretString::from("other")), Err(TokenError::BadSignature));
        // The same bytes as jsonwebtoken writes and reads, both ways.
        let key = jsonwebtoken::EncodingKey::from_secret(secret().expose_secret().as_bytes());
        let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
            &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
        );
        let theirs =
            jsonwebtoken::encode(&jsonwebtoken::Header::new(ALGORITHM), &claims, &key).unwrap();
        assert_eq!(token, theirs);
        // An empty key would let anyone sign: refused both ways.
        assert_eq!(verify(&token, &SecretString::from("")), Err(TokenError::EmptySecret));
        assert!(matches!(sign(&claims, &SecretString::from("")), Err(Error::Input(_))));
    }

    #[test]
    fn parts_are_split_as_a_plain_split_splits_them() {
        let tag = "t".repeat(TAG_CHARACTERS);
        let mut tokens = vec![String::new(), ".".into(), "..".into(), "...".into()];
        for header in [ENCODED_HEADER, "eyJ", "", "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9x"] {
            for signature in [tag.as_str(), &tag[1..], "", "x", &format!("x{tag}")] {
                for payload in ["e30", "", "a.b", &tag] {
                    tokens.push(format!("{header}.{payload}.{signature}"));
                    // A dot where the usual tag would start, or inside it.
                    tokens.push(format!("{header}.{payload}.{}", signature.replacen('t', ".", 1)));
                    tokens.push(format!("{header}{payload}.{signature}"));
                }
            }
        }
        for token in &tokens {
            let parts: Vec<&str> = token.split('.').collect();
            let expected = match parts[..] {
                [header, payload, signature] => {
                    Some((&token[..header.len() + 1 + payload.len()], header, payload, signature))
                }
                _ => None,
            };
            assert_eq!(three_parts(token), expected, "{token}");
        }
    }

    #[test]
    fn a_token_has_exactly_three_parts() {
        for token in ["", ".", "a", "a.b", "a.b.c.d", "a.b..", "...", "eyJ.e30"] {
            assert!(
                matches!(
                    verify(token, &secret()),
                    Err(TokenError::Malformed { part: "token", .. })
                ),
                "{token}"
            );
        }
        // Empty parts are parts: refused later, for what they hold (here the empty header).
        assert!(matches!(
            verify("..", &secret()),
            Err(TokenError::Malformed { part: "header", .. })
        ));
    }

    #[test]
    fn shapes_and_headers_are_checked() {
        assert!(matches!(
            verify("a.b", &secret()),
            Err(TokenError::Malformed { part: "token", .. })
        ));
        assert!(matches!(
            verify("a.b.c.d", &secret()),
            Err(TokenError::Malformed { part: "token", .. })
        ));
        assert!(matches!(
            verify("!!.b.c", &secret()),
            Err(TokenError::Malformed { part: "header", .. })
        ));
        let no_alg = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT"}"#);
        assert!(matches!(
            verify(&format!("{no_alg}.e30.x"), &secret()),
            Err(TokenError::Malformed { part: "header", .. })
        ));
        let lower = URL_SAFE_NO_PAD.encode(br#"{"alg":"hs512"}"#);
        assert_eq!(
            verify(&format!("{lower}.e30.x"), &secret()),
            Err(TokenError::AlgorithmNotAllowed { alg: "hs512".into() })
        );
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512"}"#);
        let array = URL_SAFE_NO_PAD.encode(b"[1]");
        assert!(matches!(
            verify(&format!("{header}.{array}.x"), &secret()),
            Err(TokenError::BadSignature | TokenError::Malformed { .. })
        ));
        let signed = sign(&serde_json::json!({"a": 1}), &secret()).unwrap();
        let (signing_input, _) = signed.rsplit_once('.').unwrap();
        let long = URL_SAFE_NO_PAD.encode([0_u8; 65]);
        assert_eq!(
            verify(&format!("{signing_input}.{long}"), &secret()),
            Err(TokenError::BadSignature)
        );
        let short = URL_SAFE_NO_PAD.encode([0_u8; 63]);
        assert_eq!(
            verify(&format!("{signing_input}.{short}"), &secret()),
            Err(TokenError::BadSignature)
        );
        // A header other than the one signing writes is read, and still accepted when fine.
        let other = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512"}"#);
        let payload = signing_input.split('.').nth(1).unwrap();
        let input = format!("{other}.{payload}");
        let mut mac = SigningKey::new(&secret()).mac;
        mac.update(input.as_bytes());
        let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()));
        assert_eq!(Value::Object(verify(&token, &secret()).unwrap()), serde_json::json!({"a": 1}));
        // Headers jsonwebtoken's typed header refused: a repeated alg (never read as its last
        // member), a typ or kid that is not a string, a crit even when null.
        for header in [
            r#"{"alg":"none","alg":"HS512"}"#,
            r#"{"alg":"HS512","typ":123}"#,
            r#"{"alg":"HS512","kid":5}"#,
            r#"{"alg":"HS512","crit":null}"#,
        ] {
            let encoded = URL_SAFE_NO_PAD.encode(header.as_bytes());
            let input = format!("{encoded}.{payload}");
            let mut mac = SigningKey::new(&secret()).mac;
            mac.update(input.as_bytes());
            let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()));
            assert!(
                matches!(
                    verify(&token, &secret()),
                    Err(TokenError::Malformed { part: "header", .. })
                ),
                "{header}"
            );
        }
        let crit = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512","crit":["b64"]}"#);
        assert!(matches!(
            verify(&format!("{crit}.e30.x"), &secret()),
            Err(TokenError::Malformed { part: "header", .. })
        ));
    }
}
