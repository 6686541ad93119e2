//! Fena's JWT webhooks: [`TokenVerifier`] checks the token, [`VerifiedToken::confirm`] binds
//! it to the stored order and gives a [`PaidOrder`].

use payments_core::gateway::GatewayId;
use payments_core::notification::Notification;
use payments_core::payment::PaymentStatus as CoreStatus;
use payments_core::webhook::{FORM_URLENCODED, MAX_FIELD_BYTES, ReceivedFields, WebhookRequest};
use payments_core::{Decimal, Money};

use super::claims::{Claim, Claims, check_times, text_value};
use crate::amount::parse_amount;
use crate::config::Config;
use crate::error::TokenError;
use crate::sign;

/// The token of a body that is exactly `token=...` with nothing to decode in it (no `&`,
/// `%` or `+`, UTF-8, not over [`MAX_FIELD_BYTES`]), as Fena sends it: read in place.
/// `None` for any other body, which the form decoder reads (and refuses, if it must).
fn plain_token(body: &[u8]) -> Option<&str> {
    let value = body.strip_prefix(b"token=")?;
    // One pass without early exit (it vectorises): Fena's tokens have none of these bytes.
    let escapes =
        value.iter().fold(false, |found, byte| found | matches!(byte, b'&' | b'%' | b'+'));
    if value.is_empty() || value.len() > MAX_FIELD_BYTES || escapes {
        return None;
    }
    // A second `=` is part of the value, as the decoder reads it.
    std::str::from_utf8(value).ok()
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
    /// `application/x-www-form-urlencoded`. This is the entry point, named as in every gateway
    /// crate (Feennex's `CallbackVerifier::verify_request`, Freekassa's
    /// `NotificationVerifier::verify_request`); [`TokenVerifier::verify_form`] and
    /// [`TokenVerifier::verify_token`] are the steps it runs, public for tests, fuzzing and
    /// frameworks that have already read the body or the token.
    ///
    /// # Errors
    ///
    /// [`TokenError::NotAFormPost`], then as [`TokenVerifier::verify_form`].
    pub fn verify_request(&self, request: &WebhookRequest) -> Result<VerifiedToken, TokenError> {
        if request.method != http::Method::POST {
            return Err(TokenError::NotAFormPost(format!("method {}", request.method)));
        }
        // The media type compared in place, without case, so that a good request allocates
        // nothing here; the lower-cased copy only for the error.
        if request.media_type().is_some_and(|media| !media.eq_ignore_ascii_case(FORM_URLENCODED))
            && let Some(other) = request.content_type()
        {
            return Err(TokenError::NotAFormPost(format!("content type {other}")));
        }
        self.verify_form(&request.body)
    }

    /// Secondary: verifies a raw form body (`token=...`), without the method and content-type
    /// checks of [`TokenVerifier::verify_request`], which should be used for a received
    /// request.
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
        if let Some(token) = plain_token(body) {
            return self.verify_token(token);
        }
        // One buffer for every field; the token is read from it, not copied out.
        let fields = ReceivedFields::decode_form(body).map_err(TokenError::Form)?;
        let token = fields
            .get("token")
            .filter(|token| !token.is_empty())
            .ok_or(TokenError::MissingToken)?;
        self.verify_token(token)
    }

    /// Secondary: verifies a token already taken out of the body (signature, times, required
    /// claims, terminal). Use [`TokenVerifier::verify_request`] for a received request.
    ///
    /// # Errors
    ///
    /// A [`TokenError`] naming the first check that failed.
    pub fn verify_token(&self, token: &str) -> Result<VerifiedToken, TokenError> {
        let mut payload = sign::PayloadBuffer::new();
        let json = sign::verify_payload(token, self.config.signing_key(), &mut payload)?;
        let claims = Claims::from_json(json).map_err(sign::not_the_expected_json)?;
        let times = check_times(&claims, &self.config)?;
        // The typed values are kept as places in the raw fields (a string claim's text is its
        // content), so that nothing is copied twice. Checked in this order: `id`, `orderID`,
        // `requestAmount`, `netAmount`, `terminal`.
        let [id, order_id, request_amount, net_amount, terminal, completed_at] =
            claims.find(["id", "orderID", "requestAmount", "netAmount", "terminal", "completedAt"]);
        let text = |place, claim| text_value(claims.value(place), claim, false);
        let payment_id = match text(id, "id") {
            Ok(_) => id,
            Err(TokenError::MissingClaim(_)) if !self.config.requires_payment_id() => None,
            Err(other) => return Err(other),
        };
        text(order_id, "orderID")?;
        let order_id = order_id.unwrap_or_default();
        let amount = |place, claim| {
            parse_amount(text(place, claim)?)
                .map_err(|reason| TokenError::InvalidClaim { claim, reason })
        };
        let request_amount = amount(request_amount, "requestAmount")?;
        let net_amount = amount(net_amount, "netAmount")?;
        let terminal = text(terminal, "terminal")?;
        let completed_at =
            completed_at.filter(|&place| matches!(claims.value(Some(place)), Some(Claim::Text(_))));
        if terminal != self.config.terminal_id() {
            return Err(TokenError::WrongTerminal {
                expected: self.config.terminal_id().to_owned(),
                received: terminal.to_owned(),
            });
        }
        let raw_fields = claims.to_text_fields();
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
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// Places in `raw_fields` of `id`, `orderID` and `completedAt` (string claims only).
    payment_id: Option<usize>,
    order_id: usize,
    request_amount: Money,
    net_amount: Money,
    completed_at: Option<usize>,
    issued_at: Option<i64>,
    expires_at: i64,
    raw_fields: ReceivedFields,
}

impl std::fmt::Debug for VerifiedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedToken")
            .field("payment_id", &self.payment_id())
            .field("order_id", &self.order_id())
            .field("request_amount", &self.request_amount)
            .field("net_amount", &self.net_amount)
            .field("completed_at", &self.completed_at())
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("raw_fields", &self.raw_fields)
            .finish()
    }
}

impl VerifiedToken {
    /// The merchant's order id (`orderID`): look the order up by it.
    pub fn order_id(&self) -> &str {
        self.raw_value(self.order_id)
    }

    /// Fena's payment id (`id`), when the token has one.
    pub fn payment_id(&self) -> Option<&str> {
        self.payment_id.map(|index| self.raw_value(index))
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
        self.completed_at.map(|index| self.raw_value(index))
    }

    fn raw_value(&self, index: usize) -> &str {
        self.raw_fields.iter().nth(index).map_or("", |(_, value)| value)
    }

    /// `iat`, when present.
    pub fn issued_at(&self) -> Option<i64> {
        self.issued_at
    }

    /// `exp`.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// Every claim as text, in name order: a string claim as its content, any other as its
    /// JSON.
    pub fn raw_fields(&self) -> &ReceivedFields {
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
            self.order_id().to_owned(),
            self.payment_id().map(str::to_owned),
            self.request_amount,
            CoreStatus::Paid,
        )
        .with_raw_fields(self.raw_fields.to_vec())
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
        self.token.order_id()
    }

    /// Fena's payment id, when the token has one.
    pub fn payment_id(&self) -> Option<&str> {
        self.token.payment_id()
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
        self.token.completed_at()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_token_body_is_read_as_the_form_decoder_reads_it() {
        // Each body with whether it is read in place; those that are must read as the
        // decoder reads them.
        for (body, in_place) in [
            ("token=abc.def.ghi", true),
            ("token=a=b", true),
            ("token=caf\u{e9}", true),
            ("token=abc&token=abc", false),
            ("token=abc&other=1", false),
            ("token=abc%2Edef", false),
            ("token=a+b", false),
            ("token=", false),
            ("tokens=abc", false),
            ("other=1&token=abc", false),
        ] {
            match plain_token(body.as_bytes()) {
                Some(token) => {
                    assert!(in_place, "{body} read in place");
                    let decoded = ReceivedFields::decode_form(body.as_bytes()).unwrap();
                    assert_eq!(decoded.get("token"), Some(token), "{body}");
                }
                None => assert!(!in_place, "{body} not read in place"),
            }
        }
        assert_eq!(plain_token(b"token=abc.def"), Some("abc.def"));
        // Anything the decoder might read otherwise, or refuse, goes to the decoder.
        assert_eq!(plain_token(b"token=abc&token=abd"), None);
        assert_eq!(plain_token(b"token=a%26b"), None);
        assert_eq!(plain_token(b"token=a+b"), None);
        assert_eq!(plain_token(b"token=\xff"), None);
        assert_eq!(plain_token(b"token="), None);
        let long = format!("token={}", "a".repeat(MAX_FIELD_BYTES + 1));
        assert_eq!(plain_token(long.as_bytes()), None);
        assert!(ReceivedFields::decode_form(long.as_bytes()).is_err());
    }
}
