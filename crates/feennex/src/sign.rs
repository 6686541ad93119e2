//! The Feennex signature.
//!
//! Take the endpoint's signed fields (and only those), sort them by key byte-wise, join their
//! values with `:`, append the secret key, and hash with SHA-256 (lower-case hex). The string
//! before the secret is what Feennex prints when it rejects a signature
//! (`Invalid sign, string_to_sign: ...`).

use payments_core::SecretString;
use payments_core::signature::{
    CanonicalError, FieldScheme, HexDigest, KeyOrder, sha256_canonical_with_secret,
    sha256_hex_bytes_with_secret, sha256_joined_with_secret, verify_hex,
};

/// The separator between signed values.
pub const SEPARATOR: &str = ":";

/// The string to sign: the values of `fields`, sorted by key, joined with `:`.
///
/// ```
/// let text = feennex::sign::string_to_sign([("shop_id", "5"), ("now", "2024-05-01 16:56:25")])?;
/// assert_eq!(text, "2024-05-01 16:56:25:5");
/// # Ok::<(), payments_core::signature::CanonicalError>(())
/// ```
///
/// # Errors
///
/// [`CanonicalError::DuplicateKey`] when a key appears twice.
pub fn string_to_sign<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<String, CanonicalError> {
    REQUEST_SCHEME.string_to_sign(fields)
}

/// How API requests are signed: values sorted by key and joined with `:`, [`sign_string`],
/// and the signature sent as `sign` (see [`SignedRequest`](crate::request::SignedRequest)).
pub const REQUEST_SCHEME: FieldScheme =
    FieldScheme { separator: SEPARATOR, digest: sign_string, signature_key: "sign" };

/// The signature of a string to sign: `sha256_hex(string_to_sign + secret)`.
pub fn sign_string(string_to_sign: &str, secret: &SecretString) -> HexDigest {
    sign_bytes(string_to_sign.as_bytes(), secret)
}

/// [`sign_string`] of a string to sign written as bytes (what the endpoints' compile-time
/// layouts sign with).
///
/// ```
/// use payments_core::SecretString;
///
/// let secret = SecretString::from("SecretKey01");
/// let text = "12.34:643:payeer_rub:5:4126";
/// assert_eq!(
///     feennex::sign::sign_bytes(text.as_bytes(), &secret),
///     feennex::sign::sign_string(text, &secret)
/// );
/// ```
pub fn sign_bytes(string_to_sign: &[u8], secret: &SecretString) -> HexDigest {
    sha256_hex_bytes_with_secret(string_to_sign, secret)
}

/// The signature of `fields` (sorted in place), hashing the values where they are: no string
/// to sign is built. This is what [`sign_callback`](crate::webhook::sign_callback) signs test
/// callbacks with; received callbacks, whose names the decoder already sorted, are checked
/// with [`sorted_values_signature`].
///
/// Requests keep their text instead: [`SignedRequest`](crate::request::SignedRequest) builds
/// it and signs it with [`REQUEST_SCHEME`] (that is, [`sign_string`]), so that an `Invalid sign`
/// error can show it next to Feennex's; [`PayForm`](crate::api::pay_form::PayForm) uses
/// [`sign`].
///
/// ```
/// use payments_core::SecretString;
///
/// let secret = SecretString::from("SecretKey01");
/// let mut fields = [("shop_order_id", "4126"), ("amount", "12.34"), ("currency", "643"),
///                   ("payway", "payeer_rub"), ("shop_id", "5")];
/// let signature = feennex::sign::signature(&mut fields, &secret)?;
/// assert_eq!(signature, "9cf003e3ad9da90ff00b06349b677261d5539f7e0540fb976c45537a141222c1");
/// # Ok::<(), payments_core::signature::CanonicalError>(())
/// ```
///
/// # Errors
///
/// [`CanonicalError::DuplicateKey`] when a key appears twice.
pub fn signature(
    fields: &mut [(&str, &str)],
    secret: &SecretString,
) -> Result<HexDigest, CanonicalError> {
    sha256_canonical_with_secret(fields, SEPARATOR, KeyOrder::Sorted, secret)
}

/// The signature of values already in their keys' byte-wise order (the decoder's sorted
/// order of a received callback), hashed as they come: `sha256_hex(values joined with ':'
/// + secret)`, as [`signature`] computes after sorting.
///
/// ```
/// use payments_core::SecretString;
///
/// let secret = SecretString::from("SecretKey01");
/// let values = ["12.34", "643", "payeer_rub", "5", "4126"];
/// let signature = feennex::sign::sorted_values_signature(values, &secret);
/// assert_eq!(signature, "9cf003e3ad9da90ff00b06349b677261d5539f7e0540fb976c45537a141222c1");
/// ```
pub fn sorted_values_signature<'a>(
    values: impl IntoIterator<Item = &'a str>,
    secret: &SecretString,
) -> HexDigest {
    sha256_joined_with_secret(values, SEPARATOR, secret)
}

/// Signs `fields`: returns the string to sign and the signature.
///
/// # Errors
///
/// [`CanonicalError::DuplicateKey`] when a key appears twice.
pub fn sign<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    secret: &SecretString,
) -> Result<(String, String), CanonicalError> {
    let text = string_to_sign(fields)?;
    let signature = sign_string(&text, secret).to_string();
    Ok((text, signature))
}

/// Checks a received signature against `string_to_sign`, in constant time.
pub fn verify(string_to_sign: &str, secret: &SecretString, received: &str) -> bool {
    verify_hex(&sign_string(string_to_sign, secret), received)
}
