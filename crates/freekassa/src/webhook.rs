//! Payment notifications ("оповещение о платеже") sent to the shop's notification URL.
//!
//! Freekassa sends the fields by GET (query string) or POST (form-urlencoded or multipart
//! form-data, as chosen in the cabinet). A notification is believed only when
//!
//! 1. it comes from Freekassa's addresses ([`SourcePolicy`]),
//! 2. `MERCHANT_ID` is this shop,
//! 3. `SIGN` is `md5("MERCHANT_ID:AMOUNT:secret2:MERCHANT_ORDER_ID")` over the values exactly as
//!    received (compared in constant time; `AMOUNT` is never re-formatted),
//!
//! and the shop then checks order and amount in one call
//! ([`PaymentNotification::check_order`]) before answering exactly `YES` ([`ACK`]); Freekassa
//! repeats the notification until it gets that answer, so handling must be idempotent.
//!
//! ```
//! use freekassa::webhook::{NotificationVerifier, ACK};
//! use freekassa::Config;
//! use payments_core::webhook::WebhookRequest;
//! use payments_core::{Currency, Money};
//!
//! let config = Config::new(123).with_secret2("secret2");
//! let verifier = NotificationVerifier::new(&config)?;
//!
//! // In the web handler: the method, headers, raw query or body, and the peer address.
//! let request = WebhookRequest::form_post(
//!     "MERCHANT_ID=123&AMOUNT=100&intid=123456&MERCHANT_ORDER_ID=test_order\
//!      &P_EMAIL=user%40site.ru&CUR_ID=36&SIGN=30c76991785c43f10af2079878acd3d6",
//! )
//! .with_peer("168.119.157.136:40000".parse()?);
//!
//! let notification = verifier.verify_request(&request)?;
//! // Load the order named by the notification, then check it in one call.
//! notification.check_order("test_order", &Money::parse("100.00", Currency::RUB)?)?;
//! // ... mark the order paid, once (skip it if `notification.intid` was seen) ...
//! assert_eq!(ACK.body, "YES");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use payments_core::mask::mask_all_but_last_four as mask;
use std::fmt;
use std::net::IpAddr;

use async_trait::async_trait;
use http::Method;
use payments_core::gateway::WebhookVerifier;
use payments_core::notification::Notification;
use payments_core::payment::PaymentStatus;
use payments_core::webhook::{ReceivedFields, WebhookAck, WebhookRequest};
use payments_core::{
    AmountStyle, Currency, Decimal, GatewayId, InputError, Money, SecretString, WebhookError,
};

use crate::config::Config;
use crate::model::{PaymentSystemId, check_currency};
use crate::sign;
use crate::source_ip::SourcePolicy;

/// The answer Freekassa expects once a notification was handled: HTTP 200, body `YES`.
pub const ACK: WebhookAck = WebhookAck::text("YES");

/// The default limit on a notification body.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;

/// Why a notification was refused. Every variant means: answer with an error status, and
/// never mark an order paid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotificationError {
    /// The request cannot be read (wrong method or content type, bad encoding, a repeated or
    /// unreadable field).
    #[error("malformed notification: {0}")]
    Malformed(String),
    /// The body is larger than the limit.
    #[error("notification body larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A field needed for verification is missing (a request with no fields at all is the
    /// cabinet's "check URL" probe, not a payment).
    #[error("missing field {0}")]
    MissingField(&'static str),
    /// `SIGN` does not match: a wrong secret word 2, or a forgery.
    #[error("SIGN does not match")]
    BadSignature,
    /// `SIGN` was made with secret word 1 (the form's secret) instead of secret word 2: the
    /// two secrets are swapped somewhere.
    #[error("SIGN was made with secret word 1; notifications are signed with secret word 2")]
    SignedWithSecret1,
    /// `SIGN` matches another text of the same amount: something between Freekassa and this
    /// handler re-formatted `AMOUNT` (signatures are over the exact text).
    #[error("AMOUNT arrived as {received:?} but was signed as {signed:?}: it was re-formatted")]
    AmountReformatted {
        /// The amount text received.
        received: String,
        /// The text the signature was made over.
        signed: String,
    },
    /// The notification is for another shop.
    #[error("notification is for MERCHANT_ID {received:?}, this shop is {expected}")]
    WrongMerchant {
        /// This shop's id.
        expected: u64,
        /// The `MERCHANT_ID` received.
        received: String,
    },
    /// The request did not come from an allowed address.
    #[error("source address {ip} is not one Freekassa sends from")]
    ForbiddenSource {
        /// The address the request came from.
        ip: IpAddr,
    },
    /// A peer that is not a trusted proxy sent a forwarded header: it is ignored, and the
    /// request refused (spoofing, or a proxy missing from the trusted list).
    #[error("peer {peer} is not a trusted proxy but sent {header}")]
    UntrustedForwardedHeader {
        /// The connecting peer.
        peer: IpAddr,
        /// The header it sent.
        header: &'static str,
    },
    /// The request has no peer address, so its source cannot be checked.
    #[error("no peer address to check the source against")]
    NoPeerAddress,
    /// The notification is valid but not for this order or amount.
    #[error("{field} is {received}, the order says {expected}")]
    Mismatch {
        /// `order_id` or `amount`.
        field: &'static str,
        /// What the order says.
        expected: String,
        /// What the notification says.
        received: String,
    },
}

impl NotificationError {
    /// The provider-agnostic [`WebhookError`] for this error.
    pub fn to_webhook_error(&self) -> WebhookError {
        match self {
            Self::Malformed(reason) => WebhookError::Malformed(reason.clone()),
            Self::TooLarge { limit } => WebhookError::TooLarge { limit: *limit },
            Self::MissingField(field) => WebhookError::MissingField((*field).to_owned()),
            Self::BadSignature | Self::SignedWithSecret1 | Self::AmountReformatted { .. } => {
                WebhookError::BadSignature
            }
            Self::WrongMerchant { expected, received } => WebhookError::WrongMerchant {
                expected: expected.to_string(),
                received: received.clone(),
            },
            Self::ForbiddenSource { ip } => WebhookError::ForbiddenSource(ip.to_string()),
            Self::UntrustedForwardedHeader { peer, .. } => {
                WebhookError::ForbiddenSource(peer.to_string())
            }
            Self::NoPeerAddress => WebhookError::ForbiddenSource("unknown".into()),
            Self::Mismatch { field, expected, received } => WebhookError::Mismatch {
                field,
                expected: expected.clone(),
                received: received.clone(),
            },
        }
    }
}

/// A verified payment notification.
///
/// `Debug` masks `payer_account` (it can be a full card number) and hides the payer's e-mail
/// and phone.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentNotification {
    /// The shop (`MERCHANT_ID`).
    pub merchant_id: u64,
    /// The amount (`AMOUNT`), read exactly.
    pub amount: Decimal,
    /// `AMOUNT` exactly as received and signed.
    pub amount_text: String,
    /// Freekassa's operation number (`intid`): the key for skipping repeated deliveries.
    pub intid: Option<String>,
    /// The shop's order number (`MERCHANT_ORDER_ID`: `o` on the form, `paymentId` in the API).
    pub merchant_order_id: String,
    /// The payer's e-mail (`P_EMAIL`).
    pub payer_email: Option<String>,
    /// The payer's phone (`P_PHONE`).
    pub payer_phone: Option<String>,
    /// The payment system actually used (`CUR_ID`; `None` when missing or unreadable).
    pub payment_system: Option<PaymentSystemId>,
    /// The commission, in the payment currency (`commission`; `None` when missing or
    /// unreadable).
    pub commission: Option<Decimal>,
    /// The payer's account or card number (`payer_account`).
    pub payer_account: Option<String>,
    /// The `us_*` fields given to the form, in the order received.
    pub custom_fields: Vec<(String, String)>,
    /// Every received field, as received.
    pub raw_fields: ReceivedFields,
}

impl PaymentNotification {
    /// Checks that the notification is for `order_id` and for exactly the amount of
    /// `expected` (`100` and `100.00` are the same amount). Freekassa's notification carries no
    /// currency: the order's currency is the one its form or API order was made in.
    ///
    /// # Errors
    ///
    /// [`NotificationError::Mismatch`] naming `order_id` or `amount`.
    pub fn check_order(&self, order_id: &str, expected: &Money) -> Result<(), NotificationError> {
        if self.merchant_order_id != order_id {
            return Err(NotificationError::Mismatch {
                field: "order_id",
                expected: order_id.to_owned(),
                received: self.merchant_order_id.clone(),
            });
        }
        if self.amount != expected.amount() {
            return Err(NotificationError::Mismatch {
                field: "amount",
                expected: expected.amount().to_string(),
                received: self.amount_text.clone(),
            });
        }
        Ok(())
    }

    /// A `us_*` field by its full name (`us_login`).
    pub fn custom_field(&self, key: &str) -> Option<&str> {
        self.custom_fields.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str())
    }

    /// `payer_account` with all but its last four characters replaced by `*`.
    pub fn payer_account_masked(&self) -> Option<String> {
        self.payer_account.as_deref().map(mask)
    }

    /// The provider-agnostic notification, the amount taken in `currency`.
    ///
    /// # Errors
    ///
    /// [`NotificationError::Malformed`] when the amount is not valid in `currency`.
    pub fn to_core(&self, currency: Currency) -> Result<Notification, NotificationError> {
        let money = Money::new(self.amount, currency).map_err(|error| {
            NotificationError::Malformed(format!("AMOUNT {:?}: {error}", self.amount_text))
        })?;
        Ok(Notification::new(
            GatewayId::Freekassa,
            self.merchant_order_id.clone(),
            self.intid.clone(),
            money,
            PaymentStatus::Paid,
        )
        .with_raw_fields(self.raw_fields.to_vec()))
    }
}

impl fmt::Debug for PaymentNotification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |present: bool| if present { "<set>" } else { "<none>" };
        let names: Vec<&str> = self.raw_fields.iter().map(|(name, _)| name).collect();
        f.debug_struct("PaymentNotification")
            .field("merchant_id", &self.merchant_id)
            .field("amount_text", &self.amount_text)
            .field("intid", &self.intid)
            .field("merchant_order_id", &self.merchant_order_id)
            .field("payer_email", &shown(self.payer_email.is_some()))
            .field("payer_phone", &shown(self.payer_phone.is_some()))
            .field("payment_system", &self.payment_system)
            .field("commission", &self.commission)
            .field("payer_account", &self.payer_account_masked())
            .field("custom_fields", &self.custom_fields)
            .field("raw_field_names", &names)
            .finish()
    }
}

/// Verifies notifications for one shop.
///
/// Cheap to clone; holds secret word 2 (and secret word 1, if configured, only to tell a
/// swapped secret apart from a forgery). `Debug` shows neither.
#[derive(Debug, Clone)]
pub struct NotificationVerifier {
    merchant_id: u64,
    /// `merchant_id` as Freekassa writes it, compared with the received text.
    merchant_id_text: String,
    secret2: SecretString,
    secret1: Option<SecretString>,
    sources: SourcePolicy,
    currency: Currency,
    max_body: usize,
}

/// The fields a notification is read from, borrowed from the received fields.
#[derive(Default)]
struct Known<'a> {
    merchant_id: Option<&'a str>,
    amount: Option<&'a str>,
    order_id: Option<&'a str>,
    sign: Option<&'a str>,
    intid: Option<&'a str>,
    payer_email: Option<&'a str>,
    payer_phone: Option<&'a str>,
    cur_id: Option<&'a str>,
    commission: Option<&'a str>,
    payer_account: Option<&'a str>,
}

impl NotificationVerifier {
    /// A verifier for the shop in `config`, with Freekassa's address list and RUB as the
    /// currency of the provider-agnostic notification.
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] naming `secret2` when it is not configured.
    pub fn new(config: &Config) -> Result<Self, InputError> {
        Ok(Self {
            merchant_id: config.shop_id(),
            merchant_id_text: config.shop_id().to_string(),
            secret2: config.secret2()?.clone(),
            secret1: config.secret1().ok().cloned(),
            sources: SourcePolicy::freekassa(),
            currency: Currency::RUB,
            max_body: DEFAULT_MAX_BODY,
        })
    }

    /// Uses another source policy (trusted proxies, a newer address list).
    #[must_use]
    pub fn with_source_policy(mut self, sources: SourcePolicy) -> Self {
        self.sources = sources;
        self
    }

    /// The currency of the provider-agnostic [`Notification`] (Freekassa's notification does
    /// not name one).
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] naming `currency` for a currency Freekassa does not take.
    pub fn with_currency(mut self, currency: Currency) -> Result<Self, InputError> {
        check_currency(currency)?;
        self.currency = currency;
        Ok(self)
    }

    /// Sets the body size limit.
    #[must_use]
    pub fn with_max_body(mut self, limit: usize) -> Self {
        self.max_body = limit;
        self
    }

    /// Verifies a received request: source address, then the fields.
    ///
    /// # Errors
    ///
    /// A [`NotificationError`] saying why it was refused.
    pub fn verify_request(
        &self,
        request: &WebhookRequest,
    ) -> Result<PaymentNotification, NotificationError> {
        self.sources.check(request.peer.map(|peer| peer.ip()), &request.headers)?;
        let fields = notification_fields(request, self.max_body)?;
        self.verify_fields(fields)
    }

    /// Verifies already decoded fields, with no source check (for frameworks that decode
    /// the form themselves; check the source with [`SourcePolicy::check`]).
    ///
    /// # Errors
    ///
    /// A [`NotificationError`] saying why it was refused.
    pub fn verify_fields(
        &self,
        fields: ReceivedFields,
    ) -> Result<PaymentNotification, NotificationError> {
        // One pass over the fields. Fields built by a framework may repeat: which value was
        // signed would be ambiguous, so a repeated field read here is refused.
        let mut known = Known::default();
        for (key, value) in fields.iter() {
            let slot = match key {
                "MERCHANT_ID" => &mut known.merchant_id,
                "AMOUNT" => &mut known.amount,
                "MERCHANT_ORDER_ID" => &mut known.order_id,
                "SIGN" => &mut known.sign,
                "intid" => &mut known.intid,
                "P_EMAIL" => &mut known.payer_email,
                "P_PHONE" => &mut known.payer_phone,
                "CUR_ID" => &mut known.cur_id,
                "commission" => &mut known.commission,
                "payer_account" => &mut known.payer_account,
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(NotificationError::Malformed(format!("{key} appears more than once")));
            }
        }
        let merchant_id =
            known.merchant_id.ok_or(NotificationError::MissingField("MERCHANT_ID"))?;
        let amount_text = known.amount.ok_or(NotificationError::MissingField("AMOUNT"))?;
        let order_id =
            known.order_id.ok_or(NotificationError::MissingField("MERCHANT_ORDER_ID"))?;
        let received_sign = known.sign.ok_or(NotificationError::MissingField("SIGN"))?;

        if merchant_id != self.merchant_id_text {
            return Err(NotificationError::WrongMerchant {
                expected: self.merchant_id,
                received: merchant_id.to_owned(),
            });
        }
        if !sign::verify_notification(
            merchant_id,
            amount_text,
            &self.secret2,
            order_id,
            received_sign,
        ) {
            return Err(self.diagnose(merchant_id, amount_text, order_id, received_sign));
        }

        let malformed = |field: &str, value: &str, reason: String| {
            NotificationError::Malformed(format!("{field} {value:?}: {reason}"))
        };
        let amount = AmountStyle::Shortest
            .parse(amount_text)
            .map_err(|error| malformed("AMOUNT", amount_text, error.to_string()))?;
        if amount <= Decimal::ZERO {
            return Err(malformed("AMOUNT", amount_text, "is not positive".into()));
        }
        // Informational fields outside the signature: a value this SDK cannot read is left
        // out of the typed field (it stays in `raw_fields`) rather than refusing a paid order.
        let payment_system = known.cur_id.and_then(|text| text.parse::<PaymentSystemId>().ok());
        let commission = known
            .commission
            .filter(|text| !text.is_empty())
            .and_then(|text| AmountStyle::Shortest.parse(text).ok());
        let optional = |value: Option<&str>| value.filter(|v| !v.is_empty()).map(str::to_owned);
        let custom_fields = fields
            .iter()
            .filter(|(key, _)| key.starts_with("us_"))
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect();
        Ok(PaymentNotification {
            merchant_id: self.merchant_id,
            amount,
            amount_text: amount_text.to_owned(),
            intid: optional(known.intid),
            merchant_order_id: order_id.to_owned(),
            payer_email: optional(known.payer_email),
            payer_phone: optional(known.payer_phone),
            payment_system,
            commission,
            payer_account: optional(known.payer_account),
            custom_fields,
            raw_fields: fields,
        })
    }

    /// Tells a swapped secret or a re-formatted amount apart from a plain bad signature. Only
    /// ever reached for a request that is refused anyway.
    fn diagnose(
        &self,
        merchant_id: &str,
        amount_text: &str,
        order_id: &str,
        received_sign: &str,
    ) -> NotificationError {
        if let Some(secret1) = &self.secret1
            && sign::verify_notification(merchant_id, amount_text, secret1, order_id, received_sign)
        {
            return NotificationError::SignedWithSecret1;
        }
        if let Ok(value) = AmountStyle::Shortest.parse(amount_text) {
            let styles =
                [AmountStyle::Shortest, AmountStyle::OneDecimalMinimum, AmountStyle::TwoDecimals];
            for style in styles {
                let Ok(text) = style.render(value) else { continue };
                if text != amount_text
                    && sign::verify_notification(
                        merchant_id,
                        &text,
                        &self.secret2,
                        order_id,
                        received_sign,
                    )
                {
                    return NotificationError::AmountReformatted {
                        received: amount_text.to_owned(),
                        signed: text,
                    };
                }
            }
        }
        NotificationError::BadSignature
    }
}

#[async_trait]
impl WebhookVerifier for NotificationVerifier {
    fn gateway(&self) -> GatewayId {
        GatewayId::Freekassa
    }

    /// Verifies the request and converts it, the amount taken in the verifier's currency.
    async fn verify(&self, request: &WebhookRequest) -> Result<Notification, payments_core::Error> {
        self.verify_request(request)
            .and_then(|notification| notification.to_core(self.currency))
            .map_err(|error| crate::Error::from(error).into_core())
    }

    fn ack(&self) -> WebhookAck {
        ACK
    }
}

/// Builds a notification body as Freekassa would send it, signed with `secret2`: for testing a
/// handler offline. `extra` fields (`intid`, `CUR_ID`, `us_*`, ...) follow the signed ones.
///
/// ```
/// use freekassa::webhook::{NotificationVerifier, signed_notification_body};
/// use freekassa::{source_ip::SourcePolicy, Config};
/// use payments_core::webhook::WebhookRequest;
///
/// let config = Config::new(123).with_secret2("secret2");
/// let body = signed_notification_body(&config, "100", "test_order", &[("intid", "123456")])?;
/// assert!(body.ends_with("&SIGN=30c76991785c43f10af2079878acd3d6&intid=123456"));
/// let verifier = NotificationVerifier::new(&config)?.with_source_policy(SourcePolicy::any_source());
/// assert!(verifier.verify_request(&WebhookRequest::form_post(body)).is_ok());
/// # Ok::<(), payments_core::InputError>(())
/// ```
///
/// # Errors
///
/// [`InputError::Field`] naming `secret2` when it is not configured.
pub fn signed_notification_body(
    config: &Config,
    amount: &str,
    merchant_order_id: &str,
    extra: &[(&str, &str)],
) -> Result<String, InputError> {
    let merchant_id = config.shop_id().to_string();
    let sign =
        sign::notification_signature(&merchant_id, amount, config.secret2()?, merchant_order_id);
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    body.append_pair("MERCHANT_ID", &merchant_id)
        .append_pair("AMOUNT", amount)
        .append_pair("MERCHANT_ORDER_ID", merchant_order_id)
        .append_pair("SIGN", &sign);
    for (key, value) in extra {
        body.append_pair(key, value);
    }
    Ok(body.finish())
}

/// The fields of a notification: the query string of a GET, the body of a POST
/// (`application/x-www-form-urlencoded` or `multipart/form-data`). Repeated fields are
/// refused: which value was signed would be ambiguous.
///
/// # Errors
///
/// [`NotificationError::Malformed`] for another method or content type, or an unreadable
/// body; [`NotificationError::TooLarge`].
pub fn notification_fields(
    request: &WebhookRequest,
    max_body: usize,
) -> Result<ReceivedFields, NotificationError> {
    let malformed = |error: WebhookError| NotificationError::Malformed(error.to_string());
    if request.method == Method::GET {
        let query = request.query.as_deref().unwrap_or_default();
        if query.len() > max_body {
            return Err(NotificationError::TooLarge { limit: max_body });
        }
        return ReceivedFields::decode_form(query.as_bytes()).map_err(malformed);
    }
    if request.method != Method::POST {
        return Err(NotificationError::Malformed(format!(
            "method {} (Freekassa sends GET or POST)",
            request.method
        )));
    }
    if request.body.len() > max_body {
        return Err(NotificationError::TooLarge { limit: max_body });
    }
    match request.content_type().as_deref() {
        Some("application/x-www-form-urlencoded") => {
            ReceivedFields::decode_form(&request.body).map_err(malformed)
        }
        Some("multipart/form-data") => {
            let header = request
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            crate::multipart::decode(request.body.clone(), header)
        }
        other => Err(NotificationError::Malformed(format!(
            "content type {} (expected a form)",
            other.unwrap_or("missing")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_signed_fields_are_refused_in_decoded_input() {
        let verifier =
            NotificationVerifier::new(&Config::new(123).with_secret2("secret2")).unwrap();
        let field = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let fields = vec![
            field("MERCHANT_ID", "123"),
            field("AMOUNT", "100"),
            field("AMOUNT", "1"),
            field("MERCHANT_ORDER_ID", "test_order"),
            field("SIGN", "30c76991785c43f10af2079878acd3d6"),
        ];
        let fields = fields.into_iter().collect();
        assert!(matches!(verifier.verify_fields(fields), Err(NotificationError::Malformed(_))));
    }

    #[test]
    fn masking_keeps_the_last_four() {
        assert_eq!(mask("5555555555554444"), "************4444");
        assert_eq!(mask("abc"), "abc");
    }
}
