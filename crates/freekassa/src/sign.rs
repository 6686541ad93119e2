//! The three Freekassa signatures.
//!
//! | what | text | digest | key |
//! |---|---|---|---|
//! | payment form `s` | `m:oa:secret1:currency:o` | MD5, lower-case hex | secret word 1, inside the text |
//! | notification `SIGN` | `MERCHANT_ID:AMOUNT:secret2:MERCHANT_ORDER_ID` | MD5, lower-case hex | secret word 2, inside the text |
//! | API `signature` | the body's values (without `signature`), sorted by key byte-wise, joined with `\|` | HMAC-SHA256, lower-case hex | the API key |
//!
//! Every value is signed exactly as it is sent or as it was received: the amount text in
//! particular (`100.1` and `100.10` give different signatures). The MD5 secrets sit in the
//! middle of the signed text, so the text is hashed in parts and never held in one string
//! with the secret in it.

use payments_core::signature::{
    CanonicalError, FieldScheme, HexDigest, KeyOrder, hmac_sha256_canonical, hmac_sha256_hex,
    md5_hex, verify_hex,
};
use payments_core::{ExposeSecret, SecretString};

/// The separator of the API string to sign.
pub const API_SEPARATOR: &str = "|";

/// The payment form signature `s = md5("m:oa:secret1:currency:o")`.
///
/// ```
/// use payments_core::SecretString;
///
/// // The example of the Freekassa documentation.
/// let s = freekassa::sign::form_signature("7012", "100.11", &SecretString::from("secret"), "RUB", "154");
/// assert_eq!(s, "64d0581f4a08af485a619950e023696a");
/// ```
pub fn form_signature(
    shop_id: &str,
    amount: &str,
    secret1: &SecretString,
    currency: &str,
    order_id: &str,
) -> HexDigest {
    md5_hex(&[
        shop_id.as_bytes(),
        b":",
        amount.as_bytes(),
        b":",
        secret1.expose_secret().as_bytes(),
        b":",
        currency.as_bytes(),
        b":",
        order_id.as_bytes(),
    ])
}

/// The form text with the secret replaced by `<secret1>`, for comparing with what a shop
/// computes by hand.
pub fn form_text_masked(shop_id: &str, amount: &str, currency: &str, order_id: &str) -> String {
    format!("{shop_id}:{amount}:<secret1>:{currency}:{order_id}")
}

/// The notification signature `SIGN = md5("MERCHANT_ID:AMOUNT:secret2:MERCHANT_ORDER_ID")`,
/// over the values exactly as received.
///
/// ```
/// use payments_core::SecretString;
///
/// let sign = freekassa::sign::notification_signature("123", "100", &SecretString::from("secret2"), "test_order");
/// assert_eq!(sign, "30c76991785c43f10af2079878acd3d6");
/// ```
pub fn notification_signature(
    merchant_id: &str,
    amount: &str,
    secret2: &SecretString,
    merchant_order_id: &str,
) -> HexDigest {
    md5_hex(&[
        merchant_id.as_bytes(),
        b":",
        amount.as_bytes(),
        b":",
        secret2.expose_secret().as_bytes(),
        b":",
        merchant_order_id.as_bytes(),
    ])
}

/// Checks a received notification `SIGN` in constant time (hex case is ignored).
pub fn verify_notification(
    merchant_id: &str,
    amount: &str,
    secret2: &SecretString,
    merchant_order_id: &str,
    received: &str,
) -> bool {
    verify_hex(&notification_signature(merchant_id, amount, secret2, merchant_order_id), received)
}

/// The API string to sign: the values of `fields` sorted by key byte-wise, joined with `|`.
///
/// ```
/// let text = freekassa::sign::api_string_to_sign([("shopId", "777"), ("nonce", "1700000000000")])?;
/// assert_eq!(text, "1700000000000|777");
/// # Ok::<(), payments_core::signature::CanonicalError>(())
/// ```
///
/// # Errors
///
/// [`CanonicalError::DuplicateKey`] when a key appears twice.
pub fn api_string_to_sign<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<String, CanonicalError> {
    API_SCHEME.string_to_sign(fields)
}

/// How API requests are signed: values sorted by key and joined with `|`, [`api_signature`],
/// and the signature sent as `signature` (see [`ApiRequest`](crate::request::ApiRequest)).
pub const API_SCHEME: FieldScheme =
    FieldScheme { separator: API_SEPARATOR, digest: api_signature, signature_key: "signature" };

/// The API signature of a string to sign: `hmac_sha256_hex(api_key, string_to_sign)`.
pub fn api_signature(string_to_sign: &str, api_key: &SecretString) -> HexDigest {
    hmac_sha256_hex(api_key, string_to_sign.as_bytes())
}

/// The API signature of `fields` (sorted in place), hashing the values where they are: no
/// string to sign is built.
///
/// ```
/// use payments_core::SecretString;
///
/// let key = SecretString::from("test_api_key");
/// let mut fields = [("shopId", "777"), ("nonce", "1700000000000")];
/// let signature = freekassa::sign::api_fields_signature(&mut fields, &key)?;
/// assert_eq!(signature, "4278476416e6bf7145d653a75e61e516c3eb466e675dc84cdea44b9c6b1567d1");
/// # Ok::<(), payments_core::signature::CanonicalError>(())
/// ```
///
/// # Errors
///
/// [`CanonicalError::DuplicateKey`] when a key appears twice.
pub fn api_fields_signature(
    fields: &mut [(&str, &str)],
    api_key: &SecretString,
) -> Result<HexDigest, CanonicalError> {
    hmac_sha256_canonical(api_key, fields, API_SEPARATOR, KeyOrder::Sorted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_text_shows_no_secret() {
        assert_eq!(
            form_text_masked("7012", "100.11", "RUB", "154"),
            "7012:100.11:<secret1>:RUB:154"
        );
    }

    #[test]
    fn notification_verification_ignores_hex_case_only() {
        let secret = SecretString::from("secret2");
        assert!(verify_notification(
            "123",
            "100",
            &secret,
            "test_order",
            "30C76991785C43F10AF2079878ACD3D6"
        ));
        assert!(!verify_notification(
            "123",
            "100.0",
            &secret,
            "test_order",
            "30c76991785c43f10af2079878acd3d6"
        ));
        assert!(!verify_notification("123", "100", &secret, "test_order", ""));
    }
}
