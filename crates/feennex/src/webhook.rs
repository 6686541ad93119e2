//! Verifying Feennex callbacks.
//!
//! Feennex posts a callback when a payment reaches a final status, form-encoded today and JSON
//! on its sibling platforms; both are accepted. The signature covers **every non-empty field
//! received**, known or not: remove `sign`, drop empty values, sort by key, join the values
//! with `:`, append the secret, SHA-256. Values are used exactly as received (`1.0` stays
//! `1.0`, `ps_data` stays the raw JSON string), never re-serialised.
//!
//! ```
//! use feennex::{Config, webhook::CallbackVerifier};
//! use payments_core::webhook::WebhookRequest;
//! use payments_core::{Currency, Money};
//!
//! let verifier = CallbackVerifier::new(Config::new(1, "SecretKey01"));
//! let body = "payment_id=7&shop_amount=10.0&shop_currency=840&shop_id=1&shop_order_id=42\
//!             &status=success&sign=4a74275df367ca12418cc401114071e9c385b1aa0165001d53ec7f70e271c7d2";
//! // In a web handler: verify the raw body; on an error answer 4xx and never mark paid.
//! let callback = verifier.verify_request(&WebhookRequest::form_post(body))?;
//! // Then check it is the order and amount you stored, in one call.
//! callback.check_order("42", &Money::parse("10", Currency::USD)?)?;
//! // Mark order 42 paid (once), then answer what Feennex expects.
//! assert_eq!((verifier.ack().status.as_u16(), verifier.ack().body), (200, "OK"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use payments_core::money::currency_from_numeric;
use payments_core::notification::Notification;
use payments_core::payment::PaymentStatus;
use payments_core::webhook::{ReceivedFields, WebhookAck, WebhookRequest};
use payments_core::{Currency, Decimal, GatewayId, Money, SecretString, WebhookError};

use crate::config::Config;
use crate::error::Error;
use crate::sign;

/// The largest callback body accepted by default.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// What Feennex expects as the answer to a handled callback: HTTP 200, body `OK`.
pub const ACK: WebhookAck = WebhookAck::text("OK");

/// Verifies callbacks for one shop.
#[derive(Debug, Clone)]
pub struct CallbackVerifier {
    config: Config,
    max_body_bytes: usize,
}

impl CallbackVerifier {
    /// A verifier for the shop in `config`.
    pub fn new(config: Config) -> Self {
        Self { config, max_body_bytes: DEFAULT_MAX_BODY_BYTES }
    }

    /// Changes the body size limit.
    #[must_use]
    pub fn with_max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Verifies a callback and reads it: the one entry point for a received request, named as
    /// in every gateway crate (Freekassa's `NotificationVerifier::verify_request`, Fena's
    /// `TokenVerifier::verify_request`). Fails closed: anything not provably from Feennex for
    /// this shop is an error.
    ///
    /// # Errors
    ///
    /// [`Error::Webhook`] with [`WebhookError::TooLarge`], [`WebhookError::Malformed`],
    /// [`WebhookError::MissingField`] (`sign` or a field the callback needs),
    /// [`WebhookError::BadSignature`] or [`WebhookError::WrongMerchant`].
    pub fn verify_request(&self, request: &WebhookRequest) -> Result<Callback, Error> {
        if request.body.len() > self.max_body_bytes {
            return Err(WebhookError::TooLarge { limit: self.max_body_bytes }.into());
        }
        let fields = callback_fields(request)?;
        // The decoders refused repeated names and kept the name order they sorted in: the
        // signed values are read in that order, hashed as they go, and `sign` and the fields
        // the callback is read from are picked up on the way (one pass over the fields).
        let mut received = None;
        let mut known = Known::default();
        let signed = fields
            .iter_sorted()
            .filter(|(key, value)| {
                if *key == "sign" {
                    received = Some(*value);
                }
                let signed = is_signed(key, value);
                if signed {
                    known.record(key, value);
                }
                signed
            })
            .map(|(_, value)| value);
        let expected = sign::sorted_values_signature(signed, self.config.secret());
        let received = received.ok_or_else(|| WebhookError::MissingField("sign".into()))?;
        if !payments_core::signature::verify_hex(&expected, received) {
            return Err(WebhookError::BadSignature.into());
        }
        let mut callback = Callback::from_known(&known)?;
        callback.fields = fields;
        if callback.shop_id != self.config.shop_id() {
            return Err(WebhookError::WrongMerchant {
                expected: self.config.shop_id().to_string(),
                received: callback.shop_id.to_string(),
            }
            .into());
        }
        Ok(callback)
    }

    /// What to answer once the callback was handled.
    pub fn ack(&self) -> WebhookAck {
        ACK
    }
}

/// The fields of a callback as received, in order: form-encoded (the default when no content
/// type is given) or JSON.
///
/// JSON values are taken as their raw text: a string's content, a number's digits as sent,
/// `null` as empty, and an object or array as its JSON text.
///
/// # Errors
///
/// [`WebhookError::Malformed`] for another content type, bad encoding or repeated fields.
pub fn callback_fields(request: &WebhookRequest) -> Result<ReceivedFields, WebhookError> {
    // The media type is compared where it is, without a lower-cased copy.
    match request.media_type() {
        None => ReceivedFields::decode_form(&request.body),
        Some(form) if form.eq_ignore_ascii_case(payments_core::webhook::FORM_URLENCODED) => {
            ReceivedFields::decode_form(&request.body)
        }
        Some(json) if json.eq_ignore_ascii_case(payments_core::webhook::JSON) => {
            ReceivedFields::decode_json(&request.body)
        }
        Some(other) => Err(WebhookError::Malformed(format!(
            "unsupported content type {}",
            other.to_ascii_lowercase()
        ))),
    }
}

/// Whether a callback field is signed: every field but `sign` with a non-empty value.
fn is_signed(key: &str, value: &str) -> bool {
    key != "sign" && !value.is_empty()
}

/// The signed fields of a callback ([`is_signed`]).
fn signed_fields(fields: &ReceivedFields) -> Vec<(&str, &str)> {
    fields.iter().filter(|(key, value)| is_signed(key, value)).collect()
}

/// The string to sign of a callback: every field but `sign` with a non-empty value, sorted by
/// key, values joined with `:`.
///
/// # Errors
///
/// [`WebhookError::Malformed`] when a key repeats.
pub fn callback_string_to_sign(fields: &ReceivedFields) -> Result<String, WebhookError> {
    sign::string_to_sign(signed_fields(fields))
        .map_err(|error| WebhookError::Malformed(error.to_string()))
}

/// Signs callback fields the way Feennex does: for tests, and for the sandbox that plays
/// Feennex.
///
/// ```
/// use feennex::webhook::sign_callback;
/// use payments_core::{webhook::ReceivedFields, SecretString};
///
/// let fields: ReceivedFields = [("shop_id", "1"), ("status", "success")].into_iter().collect();
/// let sign = sign_callback(&fields, &SecretString::from("SecretKey01"))?;
/// assert_eq!(sign, feennex::sign::sign_string("1:success", &SecretString::from("SecretKey01")));
/// # Ok::<(), payments_core::WebhookError>(())
/// ```
///
/// # Errors
///
/// [`WebhookError::Malformed`] when a key repeats.
pub fn sign_callback(
    fields: &ReceivedFields,
    secret: &SecretString,
) -> Result<String, WebhookError> {
    sign::signature(&mut signed_fields(fields), secret)
        .map(String::from)
        .map_err(|error| WebhookError::Malformed(error.to_string()))
}

/// What a callback says the payment's status is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CallbackStatus {
    /// Paid.
    Success,
    /// Rejected.
    Rejected,
    /// Held (authorised, not captured).
    Hold,
    /// Cancelled.
    Canceled,
    /// A status this SDK does not know, as received.
    Unknown(String),
}

impl CallbackStatus {
    fn parse(text: &str) -> Self {
        match text {
            "success" => Self::Success,
            "rejected" => Self::Rejected,
            "hold" => Self::Hold,
            "cancel" | "canceled" | "cancelled" => Self::Canceled,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// The provider-agnostic status. Only `success` is paid.
    pub fn to_core(&self) -> PaymentStatus {
        match self {
            Self::Success => PaymentStatus::Paid,
            Self::Rejected => PaymentStatus::Failed,
            Self::Hold => PaymentStatus::Held,
            Self::Canceled => PaymentStatus::Canceled,
            Self::Unknown(text) => PaymentStatus::Unknown(text.clone()),
        }
    }
}

/// A verified callback.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Callback {
    /// The payment's status.
    pub status: CallbackStatus,
    /// The shop id (already checked to be ours).
    pub shop_id: u64,
    /// The shop's order id.
    pub shop_order_id: String,
    /// The amount of the order.
    pub shop_amount: Decimal,
    /// The shop currency.
    pub shop_currency: Currency,
    /// Feennex's payment id (digits).
    pub payment_id: String,
    /// The payment direction.
    pub payway: Option<String>,
    /// What the payer actually paid.
    pub client_price: Option<Decimal>,
    /// What the shop receives.
    pub shop_refund: Option<Decimal>,
    /// Extra data from the payment system, as the raw JSON text received.
    pub ps_data: Option<String>,
    /// Every field received, as received.
    pub fields: ReceivedFields,
}

impl Callback {
    /// The callback read from `known`, with no fields yet: the caller moves the received
    /// fields in once the values borrowed from them are copied out.
    fn from_known(known: &Known<'_>) -> Result<Self, WebhookError> {
        fn required<'a>(key: &str, value: Option<&'a str>) -> Result<&'a str, WebhookError> {
            value.ok_or_else(|| WebhookError::MissingField(key.to_owned()))
        }
        let malformed =
            |key: &str, value: &str| WebhookError::Malformed(format!("{key} is {value:?}"));
        let amount = |key: &str, value: Option<&str>| -> Result<Option<Decimal>, WebhookError> {
            value
                .map(|value| crate::amount::STYLE.parse(value).map_err(|_| malformed(key, value)))
                .transpose()
        };
        let shop_id = required("shop_id", known.shop_id)?;
        let shop_id = shop_id.parse().map_err(|_| malformed("shop_id", shop_id))?;
        let currency = required("shop_currency", known.shop_currency)?;
        let shop_currency = currency
            .parse::<u16>()
            .ok()
            .and_then(|numeric| currency_from_numeric(numeric).ok())
            .ok_or_else(|| malformed("shop_currency", currency))?;
        let shop_amount = amount("shop_amount", known.shop_amount)?
            .ok_or_else(|| WebhookError::MissingField("shop_amount".into()))?;
        // Values are joined with ':' and no keys, so a ':' inside a value can move text
        // between fields without breaking the signature: refuse it where it would matter.
        let payment_id = required("payment_id", known.payment_id)?;
        if !payment_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed("payment_id", payment_id));
        }
        let shop_order_id = required("shop_order_id", known.shop_order_id)?;
        let status = required("status", known.status)?;
        for (key, value) in [("shop_order_id", shop_order_id), ("status", status)] {
            if value.bytes().any(|byte| byte == b':') {
                return Err(malformed(key, value));
            }
        }
        Ok(Self {
            status: CallbackStatus::parse(status),
            shop_id,
            shop_order_id: shop_order_id.to_owned(),
            shop_amount,
            shop_currency,
            payment_id: payment_id.to_owned(),
            payway: known.payway.map(str::to_owned),
            client_price: amount("client_price", known.client_price)?,
            shop_refund: amount("shop_refund", known.shop_refund)?,
            ps_data: known.ps_data.map(str::to_owned),
            fields: ReceivedFields::default(),
        })
    }

    /// The amount of the order as money.
    ///
    /// # Errors
    ///
    /// [`WebhookError::Malformed`] when the amount is not valid money in its currency.
    pub fn money(&self) -> Result<Money, WebhookError> {
        Money::new(self.shop_amount, self.shop_currency)
            .map_err(|error| WebhookError::Malformed(format!("shop_amount: {error}")))
    }

    /// Checks in one call that the callback is for `order_id` and exactly `expected` (amount
    /// and currency). Call it before marking the order paid.
    ///
    /// # Errors
    ///
    /// [`WebhookError::Mismatch`] naming the field, or [`WebhookError::Malformed`].
    pub fn check_order(&self, order_id: &str, expected: &Money) -> Result<(), WebhookError> {
        self.to_notification()?.check_order(order_id, expected)
    }

    /// The provider-agnostic notification.
    ///
    /// # Errors
    ///
    /// [`WebhookError::Malformed`] when the amount is not valid money.
    pub fn to_notification(&self) -> Result<Notification, WebhookError> {
        Ok(Notification::new(
            GatewayId::Feennex,
            self.shop_order_id.clone(),
            Some(self.payment_id.clone()),
            self.money()?,
            self.status.to_core(),
        )
        .with_raw_fields(self.fields.to_vec()))
    }
}

/// The fields a callback is read from, borrowed from the received fields.
#[derive(Default)]
struct Known<'a> {
    status: Option<&'a str>,
    shop_id: Option<&'a str>,
    shop_order_id: Option<&'a str>,
    shop_amount: Option<&'a str>,
    shop_currency: Option<&'a str>,
    payment_id: Option<&'a str>,
    payway: Option<&'a str>,
    client_price: Option<&'a str>,
    shop_refund: Option<&'a str>,
    ps_data: Option<&'a str>,
}

impl<'a> Known<'a> {
    /// Keeps `value` when `key` is a field the callback is read from. Names are unique (the
    /// decoders refuse repeats); the caller skips empty values, which count as absent.
    fn record(&mut self, key: &str, value: &'a str) {
        let slot = match key {
            "status" => &mut self.status,
            "shop_id" => &mut self.shop_id,
            "shop_order_id" => &mut self.shop_order_id,
            "shop_amount" => &mut self.shop_amount,
            "shop_currency" => &mut self.shop_currency,
            "payment_id" => &mut self.payment_id,
            "payway" => &mut self.payway,
            "client_price" => &mut self.client_price,
            "shop_refund" => &mut self.shop_refund,
            "ps_data" => &mut self.ps_data,
            _ => return,
        };
        *slot = Some(value);
    }
}

impl fmt::Debug for Callback {
    // Raw fields and ps_data carry payer data (e-mail, IP, card details): names only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.fields.iter().map(|(name, _)| name).collect();
        f.debug_struct("Callback")
            .field("status", &self.status)
            .field("shop_id", &self.shop_id)
            .field("shop_order_id", &self.shop_order_id)
            .field("shop_amount", &self.shop_amount)
            .field("shop_currency", &self.shop_currency)
            .field("payment_id", &self.payment_id)
            .field("payway", &self.payway)
            .field("client_price", &self.client_price)
            .field("shop_refund", &self.shop_refund)
            .field("field_names", &names)
            .finish_non_exhaustive()
    }
}
