//! Reading JWT claims: times (`exp`, `iat`, `nbf`) and string claims. Shared by the webhook
//! token and by [`crate::link`], which reads back the links it signed.

use payments_core::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value};

use crate::clock::unix_seconds;
use crate::config::Config;
use crate::error::TokenError;

/// `exp` and `iat` of a checked token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Times {
    pub(crate) exp: i64,
    pub(crate) iat: Option<i64>,
}

/// Checks `exp` (required), `iat` and `nbf` (when present) against the config's clock.
///
/// A token is expired once `now >= exp + leeway` (RFC 7519: the current time must be before
/// `exp`); `iat` or `nbf` later than `now + leeway` is refused.
pub(crate) fn check_times(
    claims: &Map<String, Value>,
    config: &Config,
) -> Result<Times, TokenError> {
    let now = unix_seconds(config.clock());
    let leeway = config.leeway().as_secs();
    let leeway_i64 = i64::try_from(leeway).unwrap_or(i64::MAX);
    let exp =
        numeric_date(claims, "exp", Rounding::Down)?.ok_or(TokenError::MissingClaim("exp"))?;
    if now >= exp.saturating_add(leeway_i64) {
        return Err(TokenError::Expired { exp, now, leeway });
    }
    let iat = numeric_date(claims, "iat", Rounding::Up)?;
    if let Some(iat) = iat
        && iat > now.saturating_add(leeway_i64)
    {
        return Err(TokenError::IssuedInFuture { iat, now, leeway });
    }
    if let Some(nbf) = numeric_date(claims, "nbf", Rounding::Up)?
        && nbf > now.saturating_add(leeway_i64)
    {
        return Err(TokenError::NotYetValid { nbf, now, leeway });
    }
    Ok(Times { exp, iat })
}

#[derive(Clone, Copy)]
enum Rounding {
    Down,
    Up,
}

/// Reads a JWT `NumericDate` (seconds, possibly fractional) exactly, rounding towards the
/// stricter side.
fn numeric_date(
    claims: &Map<String, Value>,
    claim: &'static str,
    rounding: Rounding,
) -> Result<Option<i64>, TokenError> {
    let invalid = |reason: String| TokenError::InvalidClaim { claim, reason };
    match claims.get(claim) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => {
            if let Some(seconds) = number.as_i64() {
                return Ok(Some(seconds));
            }
            let exact: Decimal = number
                .to_string()
                .parse()
                .map_err(|_| invalid(format!("{number} is not a usable time")))?;
            let whole = match rounding {
                Rounding::Down => exact.floor(),
                Rounding::Up => exact.ceil(),
            };
            whole.to_i64().map(Some).ok_or_else(|| invalid(format!("{number} is out of range")))
        }
        Some(other) => Err(invalid(format!("expected seconds since the epoch, got {other}"))),
    }
}

/// Reads a string claim. Missing (or `null`) is [`TokenError::MissingClaim`]; another type,
/// or an empty string when `allow_empty` is false, is [`TokenError::InvalidClaim`].
pub(crate) fn claim_text(
    claims: &Map<String, Value>,
    claim: &'static str,
    allow_empty: bool,
) -> Result<String, TokenError> {
    match claims.get(claim) {
        None | Some(Value::Null) => Err(TokenError::MissingClaim(claim)),
        Some(Value::String(text)) if text.is_empty() && !allow_empty => {
            Err(TokenError::InvalidClaim { claim, reason: "is empty".to_owned() })
        }
        Some(Value::String(text)) => Ok(text.clone()),
        Some(other) => Err(TokenError::InvalidClaim {
            claim,
            reason: format!("expected a string, got {}", json_type(other)),
        }),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractional_times_round_to_the_strict_side() {
        let claims: Map<String, Value> =
            serde_json::from_str(r#"{"exp": 100.7, "iat": 99.2, "bad": "1"}"#).unwrap();
        assert_eq!(numeric_date(&claims, "exp", Rounding::Down).unwrap(), Some(100));
        assert_eq!(numeric_date(&claims, "iat", Rounding::Up).unwrap(), Some(100));
        assert!(numeric_date(&claims, "bad", Rounding::Up).is_err());
        assert_eq!(numeric_date(&claims, "nbf", Rounding::Up).unwrap(), None);
    }
}
