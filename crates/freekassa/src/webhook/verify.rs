//! Verifying a notification: source address, shop, `SIGN` over the received text.

#[cfg(feature = "async")]
use async_trait::async_trait;
#[cfg(feature = "async")]
use payments_core::GatewayError as _;
#[cfg(feature = "async")]
use payments_core::GatewayId;
#[cfg(feature = "async")]
use payments_core::gateway::WebhookVerifier;
#[cfg(feature = "async")]
use payments_core::notification::Notification;
#[cfg(feature = "async")]
use payments_core::webhook::WebhookAck;
use payments_core::webhook::{ReceivedFields, WebhookRequest};
use payments_core::{AmountStyle, Currency, Decimal, InputError, SecretString};

#[cfg(feature = "async")]
use super::ACK;
use super::{DEFAULT_MAX_BODY, NotificationError, PaymentNotification, notification_fields};
use crate::config::Config;
use crate::model::{PaymentSystemId, check_currency};
use crate::sign;
use crate::source_ip::SourcePolicy;

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

    /// Verifies a received request: source address, then the fields. This is the entry point,
    /// named as in every gateway crate (Feennex's `CallbackVerifier::verify_request`, Fena's
    /// `TokenVerifier::verify_request`).
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

    /// Secondary: verifies already decoded fields, with no source check (for frameworks that
    /// decode the form themselves, tests and fuzzing; check the source with
    /// [`SourcePolicy::check`]). Use [`NotificationVerifier::verify_request`] for a received
    /// request.
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

#[cfg(feature = "async")]
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

    fn key_fields(&self, request: &WebhookRequest) -> Vec<(&'static str, String)> {
        const KEY_FIELDS: &[&str] =
            &["MERCHANT_ID", "MERCHANT_ORDER_ID", "AMOUNT", "CUR_ID", "intid"];
        notification_fields(request, self.max_body)
            .map(|fields| fields.pick(KEY_FIELDS))
            .unwrap_or_default()
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
}
