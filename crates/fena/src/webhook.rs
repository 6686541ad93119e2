//! Webhooks: Fena's signed JWT notifications, and the unsigned Toolkit webhooks.
//!
//! # JWT webhooks
//!
//! Fena POSTs `application/x-www-form-urlencoded` with one field, `token`: a JWT signed with
//! the terminal secret. [`TokenVerifier`] checks, in order and failing closed:
//!
//! 1. the body is at most the configured size, and its `token` field is present;
//! 2. the header's `alg` is exactly `HS512` and the HMAC matches (constant time);
//! 3. `exp` is present and, with the leeway (60 s by default), has not passed; an `iat` or
//!    `nbf` more than the leeway in the future is refused;
//! 4. `orderID`, `requestAmount`, `netAmount`, `terminal` (and `id`, unless configured
//!    otherwise) are present strings;
//! 5. `terminal` equals our terminal id.
//!
//! The result is a [`VerifiedToken`]. It still has to be bound to the stored order with
//! [`VerifiedToken::confirm`], which compares `requestAmount` with the order amount as exact
//! pence and returns a [`PaidOrder`]; `netAmount` is reported next to it, and a difference
//! is visible through [`PaidOrder::net_difference`]. Answer Fena with [`ACK`] (HTTP 200).
//!
//! Fena sends one webhook per order and does not document retries; a captured token stays
//! valid until `exp`. Make the pending-to-paid transition idempotent on the order id
//! ([`payments_core::notification::Notification::dedup_key`]) and answer 200 to repeats.
//!
//! # Toolkit webhooks
//!
//! The REST API's webhooks carry no signature. [`ToolkitTrigger`] reads one as a mere
//! "something changed" trigger; [`confirm_trigger`] compares the payment fetched with
//! authenticated credentials against what the merchant stored (id, reference, amount), and
//! only the fetched status counts.

use payments_core::gateway::GatewayId;
use payments_core::notification::Notification;
use payments_core::payment::PaymentStatus as CoreStatus;
use payments_core::webhook::{WebhookAck, WebhookRequest, decode_form};
use payments_core::{Decimal, Money, WebhookError};
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value};

use crate::amount::{amount_text, parse_amount};
use crate::api::payment::Payment;
use crate::clock::unix_seconds;
use crate::config::Config;
use crate::error::{Error, TokenError};
use crate::model::PaymentStatus;
use crate::sign;

/// What Fena expects in answer to a webhook: HTTP 200 (the body is not read).
pub const ACK: WebhookAck = WebhookAck::empty();

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

fn amount_claim(claims: &Map<String, Value>, claim: &'static str) -> Result<Money, TokenError> {
    let text = claim_text(claims, claim, false)?;
    parse_amount(&text).map_err(|reason| TokenError::InvalidClaim { claim, reason })
}

/// Verifies Fena's JWT webhooks for one terminal.
///
/// ```
/// use std::sync::Arc;
/// use fena::{Config, webhook::TokenVerifier};
/// use payments_core::{webhook::WebhookRequest, Currency, Money};
///
/// # fn order_amount(_order_id: &str) -> Money { Money::parse("10.00", Currency::GBP).unwrap() }
/// // In a web handler: `body` is the raw POST body Fena sent.
/// # let body = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/vectors/fena.json"));
/// # let vectors: serde_json::Value = serde_json::from_str(body)?;
/// # let body = vectors["valid"][1]["form_body"].as_str().unwrap().to_owned();
/// let config = Config::new("4af9b080-b6d3-4206-a10f-f2162f15b655", "0b7e3c1a-5d2f-4e8b-9a6c-2f1d3e4b5a69");
/// # let config = config.with_clock(Arc::new(fena::clock::at_unix(1_700_000_200)));
/// let verifier = TokenVerifier::new(config);
/// let token = verifier.verify_request(&WebhookRequest::form_post(body))?;
/// // Look the order up by the verified order id, then bind the amount.
/// let paid = token.confirm(&order_amount(token.order_id()))?;
/// assert_eq!(paid.order_id(), "ORDER-0001");
/// assert_eq!(paid.net_difference(), None);
/// // ... mark the order paid exactly once, then answer `fena::webhook::ACK` (HTTP 200).
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TokenVerifier {
    config: Config,
}

impl TokenVerifier {
    /// A verifier for the terminal in `config` (its secret, id, leeway, clock, body limit).
    pub fn new(config: Config) -> Self {
        Self { config }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Verifies a webhook request as received: a POST whose content type, if given, is
    /// `application/x-www-form-urlencoded`.
    ///
    /// # Errors
    ///
    /// [`TokenError::NotAFormPost`], then as [`TokenVerifier::verify_form`].
    pub fn verify_request(&self, request: &WebhookRequest) -> Result<VerifiedToken, TokenError> {
        if request.method != http::Method::POST {
            return Err(TokenError::NotAFormPost(format!("method {}", request.method)));
        }
        match request.content_type().as_deref() {
            None | Some("application/x-www-form-urlencoded") => {}
            Some(other) => return Err(TokenError::NotAFormPost(format!("content type {other}"))),
        }
        self.verify_form(&request.body)
    }

    /// Verifies a raw form body (`token=...`).
    ///
    /// # Errors
    ///
    /// [`TokenError::BodyTooLarge`], [`TokenError::Form`], [`TokenError::MissingToken`], then
    /// as [`TokenVerifier::verify_token`].
    pub fn verify_form(&self, body: &[u8]) -> Result<VerifiedToken, TokenError> {
        let limit = self.config.max_webhook_bytes();
        if body.len() > limit {
            return Err(TokenError::BodyTooLarge { limit });
        }
        let fields = decode_form(body).map_err(TokenError::Form)?;
        let token = fields
            .into_iter()
            .find_map(|(name, value)| (name == "token").then_some(value))
            .filter(|token| !token.is_empty())
            .ok_or(TokenError::MissingToken)?;
        self.verify_token(&token)
    }

    /// Verifies a token: signature, times, required claims, terminal.
    ///
    /// # Errors
    ///
    /// A [`TokenError`] naming the first check that failed.
    pub fn verify_token(&self, token: &str) -> Result<VerifiedToken, TokenError> {
        let claims = sign::verify(token, self.config.terminal_secret())?;
        let times = check_times(&claims, &self.config)?;
        let payment_id = if self.config.requires_payment_id() {
            Some(claim_text(&claims, "id", false)?)
        } else {
            match claim_text(&claims, "id", false) {
                Ok(id) => Some(id),
                Err(TokenError::MissingClaim(_)) => None,
                Err(other) => return Err(other),
            }
        };
        let order_id = claim_text(&claims, "orderID", false)?;
        let request_amount = amount_claim(&claims, "requestAmount")?;
        let net_amount = amount_claim(&claims, "netAmount")?;
        let terminal = claim_text(&claims, "terminal", false)?;
        let completed_at = match claims.get("completedAt") {
            Some(Value::String(text)) => Some(text.clone()),
            _ => None,
        };
        if terminal != self.config.terminal_id() {
            return Err(TokenError::WrongTerminal {
                expected: self.config.terminal_id().to_owned(),
                received: terminal,
            });
        }
        let raw_fields = claims
            .iter()
            .map(|(name, value)| {
                let text = match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                (name.clone(), text)
            })
            .collect();
        Ok(VerifiedToken {
            payment_id,
            order_id,
            request_amount,
            net_amount,
            completed_at,
            issued_at: times.iat,
            expires_at: times.exp,
            raw_fields,
        })
    }
}

/// A webhook token whose signature, times, claims and terminal were checked. Its amount is
/// not yet bound to the stored order: call [`VerifiedToken::confirm`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    payment_id: Option<String>,
    order_id: String,
    request_amount: Money,
    net_amount: Money,
    completed_at: Option<String>,
    issued_at: Option<i64>,
    expires_at: i64,
    raw_fields: Vec<(String, String)>,
}

impl VerifiedToken {
    /// The merchant's order id (`orderID`): look the order up by it.
    pub fn order_id(&self) -> &str {
        &self.order_id
    }

    /// Fena's payment id (`id`), when the token has one.
    pub fn payment_id(&self) -> Option<&str> {
        self.payment_id.as_deref()
    }

    /// `requestAmount`.
    pub fn request_amount(&self) -> &Money {
        &self.request_amount
    }

    /// `netAmount`.
    pub fn net_amount(&self) -> &Money {
        &self.net_amount
    }

    /// `completedAt` as sent (`YYYY-mm-dd HH:mm:ss`, time zone not documented).
    pub fn completed_at(&self) -> Option<&str> {
        self.completed_at.as_deref()
    }

    /// `iat`, when present.
    pub fn issued_at(&self) -> Option<i64> {
        self.issued_at
    }

    /// `exp`.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// Every claim as text.
    pub fn raw_fields(&self) -> &[(String, String)] {
        &self.raw_fields
    }

    /// Binds the token to the stored order: `requestAmount` must equal `order_amount`
    /// exactly (same pence, GBP).
    ///
    /// # Errors
    ///
    /// [`TokenError::AmountMismatch`].
    pub fn confirm(&self, order_amount: &Money) -> Result<PaidOrder, TokenError> {
        if *order_amount != self.request_amount {
            return Err(TokenError::AmountMismatch {
                expected: order_amount.to_string(),
                received: self.request_amount.to_string(),
            });
        }
        Ok(PaidOrder { token: self.clone() })
    }

    /// The provider-agnostic notification (status paid: Fena only sends this webhook for a
    /// successful payment), with `requestAmount` as its money. Its amount is **not** yet
    /// checked against the order: call
    /// [`Notification::check_order`](payments_core::notification::Notification::check_order)
    /// before marking the order paid, or use [`VerifiedToken::confirm`].
    pub fn to_notification(&self) -> Notification {
        Notification::new(
            GatewayId::Fena,
            self.order_id.clone(),
            self.payment_id.clone(),
            self.request_amount,
            CoreStatus::Paid,
        )
        .with_raw_fields(self.raw_fields.clone())
    }
}

/// A verified webhook bound to its order: Fena says the order was paid, for the amount the
/// order asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidOrder {
    token: VerifiedToken,
}

impl PaidOrder {
    /// The merchant's order id.
    pub fn order_id(&self) -> &str {
        &self.token.order_id
    }

    /// Fena's payment id, when the token has one.
    pub fn payment_id(&self) -> Option<&str> {
        self.token.payment_id.as_deref()
    }

    /// The amount requested, equal to the stored order amount.
    pub fn request_amount(&self) -> &Money {
        &self.token.request_amount
    }

    /// The net amount Fena reports.
    pub fn net_amount(&self) -> &Money {
        &self.token.net_amount
    }

    /// `requestAmount - netAmount` when they differ (positive when less arrived), `None`
    /// when they are equal. Fena does not document what a difference means; decide
    /// yourself whether to accept it.
    pub fn net_difference(&self) -> Option<Decimal> {
        let request = self.token.request_amount.amount();
        let net = self.token.net_amount.amount();
        (request != net).then(|| request.checked_sub(net).unwrap_or(Decimal::ZERO))
    }

    /// `completedAt` as sent.
    pub fn completed_at(&self) -> Option<&str> {
        self.token.completed_at.as_deref()
    }

    /// The verified token.
    pub fn token(&self) -> &VerifiedToken {
        &self.token
    }

    /// The provider-agnostic notification: paid, for the requested amount, with every claim
    /// (`netAmount` included) in its raw fields.
    pub fn to_notification(&self) -> Notification {
        self.token.to_notification()
    }
}

/// An unsigned Toolkit webhook, read only as a trigger: nothing in it is trusted.
///
/// Its `status` and `amount` are kept for logging only; confirm the payment with
/// [`confirm_trigger`] (or `Client::confirm_trigger`) before anything is reported as paid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ToolkitTrigger {
    /// The payment id the body names.
    pub id: String,
    /// The reference the body names.
    pub reference: Option<String>,
    /// The status the body claims (untrusted).
    pub claimed_status: Option<String>,
    /// The amount the body claims (untrusted).
    pub claimed_amount: Option<String>,
    /// The event name (`eventName` or `event_name`).
    pub event: Option<String>,
    /// Every top-level string, number or boolean field of the body, as received.
    pub raw_fields: Vec<(String, String)>,
}

impl ToolkitTrigger {
    /// Reads a Toolkit webhook body (JSON).
    ///
    /// ```
    /// use fena::webhook::ToolkitTrigger;
    ///
    /// let trigger = ToolkitTrigger::parse(
    ///     br#"{"eventName":"status-update","id":"62b48adf6ba2cd6a040b1eec","reference":"ORDER-7","status":"paid","amount":"10.00"}"#,
    ///     16 * 1024,
    /// )?;
    /// assert_eq!(trigger.id, "62b48adf6ba2cd6a040b1eec");
    /// assert_eq!(trigger.claimed_status.as_deref(), Some("paid"));
    /// # Ok::<(), payments_core::WebhookError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`WebhookError::TooLarge`], [`WebhookError::Malformed`] for a body that is not a JSON
    /// object, [`WebhookError::MissingField`] when it names no payment id.
    pub fn parse(body: &[u8], max_bytes: usize) -> Result<Self, WebhookError> {
        if body.len() > max_bytes {
            return Err(WebhookError::TooLarge { limit: max_bytes });
        }
        let object: Map<String, Value> = serde_json::from_slice(body)
            .map_err(|error| WebhookError::Malformed(format!("not a JSON object: {error}")))?;
        let text = |name: &str| match object.get(name) {
            Some(Value::String(text)) if !text.is_empty() => Some(text.clone()),
            Some(Value::Number(number)) => Some(number.to_string()),
            _ => None,
        };
        let id = text("id").ok_or_else(|| WebhookError::MissingField("id".to_owned()))?;
        let raw_fields = object
            .iter()
            .filter_map(|(name, value)| match value {
                Value::String(text) => Some((name.clone(), text.clone())),
                Value::Number(_) | Value::Bool(_) => Some((name.clone(), value.to_string())),
                _ => None,
            })
            .collect();
        Ok(Self {
            id,
            reference: text("reference"),
            claimed_status: text("status"),
            claimed_amount: text("amount"),
            event: text("eventName").or_else(|| text("event_name")),
            raw_fields,
        })
    }
}

/// What the merchant stored when it created a Toolkit payment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExpectedPayment {
    /// Fena's payment id, from the create response.
    pub id: String,
    /// The reference sent.
    pub reference: String,
    /// The amount asked for (GBP).
    pub amount: Money,
}

impl ExpectedPayment {
    /// The stored payment.
    pub fn new(id: impl Into<String>, reference: impl Into<String>, amount: Money) -> Self {
        Self { id: id.into(), reference: reference.into(), amount }
    }
}

/// A Toolkit payment confirmed by an authenticated fetch: id, reference and amount match
/// what was stored, and the status is the one Fena's API reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfirmedPayment {
    /// Fena's payment id.
    pub id: String,
    /// The reference.
    pub reference: String,
    /// The amount.
    pub amount: Money,
    /// The status Fena's API reports.
    pub status: PaymentStatus,
}

impl ConfirmedPayment {
    /// Whether the fetched payment is paid: the only case in which to mark the order paid.
    pub fn is_paid(&self) -> bool {
        self.status == PaymentStatus::Paid
    }

    /// The provider-agnostic notification, built only from the fetched payment.
    pub fn to_notification(&self) -> Notification {
        Notification::new(
            GatewayId::Fena,
            self.reference.clone(),
            Some(self.id.clone()),
            self.amount,
            self.status.to_core(),
        )
    }
}

const CONFIRM_ENDPOINT: &str = "open/payments/single/{id}";

fn integrity(field: &'static str, expected: String, received: String) -> Error {
    Error::Integrity { endpoint: CONFIRM_ENDPOINT, field, expected, received }
}

/// Confirms a Toolkit trigger against the stored payment and the payment fetched from the
/// API: the trigger and the fetched payment must name the stored id, and the fetched
/// reference and amount must equal the stored ones. The claimed status in the trigger is
/// ignored.
///
/// # Errors
///
/// [`Error::Integrity`] naming `id`, `reference` or `amount`.
pub fn confirm_trigger(
    trigger: &ToolkitTrigger,
    expected: &ExpectedPayment,
    fetched: &Payment,
) -> Result<ConfirmedPayment, Error> {
    if trigger.id != expected.id {
        return Err(integrity("id", expected.id.clone(), trigger.id.clone()));
    }
    if fetched.id != expected.id {
        return Err(integrity("id", expected.id.clone(), fetched.id.clone()));
    }
    if fetched.reference != expected.reference {
        return Err(integrity("reference", expected.reference.clone(), fetched.reference.clone()));
    }
    if expected.amount.currency() != crate::amount::CURRENCY
        || fetched.amount != expected.amount.amount()
    {
        return Err(integrity("amount", amount_text(&expected.amount), fetched.amount.to_string()));
    }
    Ok(ConfirmedPayment {
        id: fetched.id.clone(),
        reference: fetched.reference.clone(),
        amount: expected.amount,
        status: fetched.status.clone(),
    })
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

    #[test]
    fn trigger_needs_an_id_and_json() {
        assert!(matches!(
            ToolkitTrigger::parse(br#"{"status":"paid"}"#, 100),
            Err(WebhookError::MissingField(_))
        ));
        assert!(matches!(ToolkitTrigger::parse(b"token=x", 100), Err(WebhookError::Malformed(_))));
        assert!(matches!(
            ToolkitTrigger::parse(&[b' '; 101], 100),
            Err(WebhookError::TooLarge { limit: 100 })
        ));
    }
}
