//! The Fena signature: a JWT signed with HMAC-SHA512 (HS512), keyed with the UTF-8 bytes of
//! the terminal secret.
//!
//! Signing writes the header `{"typ":"JWT","alg":"HS512"}` (the bytes Fena's PHP and Node
//! libraries write) and the claims in the order of their struct. Verification reads the
//! header first and refuses any `alg` but `HS512` before the signature is checked, then lets
//! `jsonwebtoken` (aws-lc backend) compare the HMAC in constant time. Claim checks (times,
//! terminal, amount) are done by the caller with an injectable clock, so the library's own
//! time checks are switched off here.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use payments_core::{ExposeSecret, InputError, SecretString};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, TokenError};

/// The only algorithm Fena uses and the only one accepted.
pub const ALGORITHM: Algorithm = Algorithm::HS512;

/// The `alg` text of [`ALGORITHM`].
pub const ALGORITHM_NAME: &str = "HS512";

/// Selects the aws-lc backend for `jsonwebtoken` unless the application already chose one.
///
/// `jsonwebtoken` picks its backend from crate features and refuses to work when an
/// application's dependency graph enables both; installing one explicitly avoids that.
fn ensure_crypto_provider() {
    // An `Err` only means a provider is already installed, which is what we need.
    let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    );
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
    if secret.expose_secret().is_empty() {
        return Err(InputError::field("terminal_secret", "must not be empty").into());
    }
    ensure_crypto_provider();
    let key = EncodingKey::from_secret(secret.expose_secret().as_bytes());
    jsonwebtoken::encode(&Header::new(ALGORITHM), claims, &key).map_err(Error::Signing)
}

/// Verifies the header and the HS512 signature of `token` and returns its claims, unchecked
/// otherwise (no time, terminal or amount checks: see [`crate::webhook`]).
///
/// # Errors
///
/// [`TokenError::EmptySecret`], [`TokenError::Malformed`], [`TokenError::AlgorithmNotAllowed`],
/// [`TokenError::BadSignature`] or [`TokenError::Jwt`].
pub fn verify(token: &str, secret: &SecretString) -> Result<Map<String, Value>, TokenError> {
    if secret.expose_secret().is_empty() {
        return Err(TokenError::EmptySecret);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(_payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("token", "expected three dot-separated parts"));
    };
    check_header(header)?;

    ensure_crypto_provider();
    let mut validation = Validation::new(ALGORITHM);
    // Times, audience and required claims are checked by the caller against its own clock.
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    let key = DecodingKey::from_secret(secret.expose_secret().as_bytes());
    match jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation) {
        Ok(data) => Ok(data.claims),
        Err(error) => Err(match error.kind() {
            ErrorKind::InvalidSignature => TokenError::BadSignature,
            ErrorKind::InvalidToken => malformed("token", "expected three dot-separated parts"),
            ErrorKind::Base64(reason) => malformed("token", format!("not base64url: {reason}")),
            ErrorKind::Json(reason) => {
                malformed("token", format!("header or payload is not the expected JSON: {reason}"))
            }
            ErrorKind::Utf8(reason) => malformed("token", format!("not UTF-8: {reason}")),
            _ => TokenError::Jwt(error),
        }),
    }
}

/// Refuses any header whose `alg` is not exactly `HS512`, and headers that demand extensions
/// (`crit`) this verifier does not implement.
fn check_header(encoded: &str) -> Result<(), TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|error| malformed("header", format!("not base64url: {error}")))?;
    let header: Map<String, Value> = serde_json::from_slice(&bytes)
        .map_err(|error| malformed("header", format!("not a JSON object: {error}")))?;
    match header.get("alg") {
        Some(Value::String(alg)) if alg == ALGORITHM_NAME => {}
        Some(Value::String(alg)) => {
            return Err(TokenError::AlgorithmNotAllowed { alg: alg.clone() });
        }
        Some(other) => return Err(TokenError::AlgorithmNotAllowed { alg: other.to_string() }),
        None => return Err(malformed("header", "no alg")),
    }
    if header.contains_key("crit") {
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
        // An empty key would let anyone sign: refused both ways.
        assert_eq!(verify(&token, &SecretString::from("")), Err(TokenError::EmptySecret));
        assert!(matches!(sign(&claims, &SecretString::from("")), Err(Error::Input(_))));
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
        let crit = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512","crit":["b64"]}"#);
        assert!(matches!(
            verify(&format!("{crit}.e30.x"), &secret()),
            Err(TokenError::Malformed { part: "header", .. })
        ));
    }
}
