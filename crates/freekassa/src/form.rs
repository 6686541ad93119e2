//! The payment form (SCI): a signed link to `pay.fk.money` that sends the payer to pay.
//!
//! The link carries `m` (shop), `oa` (amount), `currency`, `o` (order), `s` (signature) and
//! the optional `i`, `phone`, `em`, `lang` and `us_*` fields. `s` is
//! `md5("m:oa:secret1:currency:o")` over the raw values, the amount text in `oa` being the
//! very text that is signed; values are percent-encoded in the URL only.

use payments_core::payment::{FormMethod, HtmlForm, OrderId, validate_text};
use payments_core::{InputError, Money};
use url::Url;

use crate::amount::amount_text;
use crate::config::Config;
use crate::error::Error;
use crate::model::{Lang, PaymentSystemId, check_currency};
use crate::sign;

/// The longest phone number or e-mail accepted, in characters.
pub const MAX_CONTACT_CHARS: usize = 255;

/// A payment form link to build.
///
/// ```
/// use freekassa::{Config, PaymentForm, PaymentSystemId};
/// use payments_core::{payment::OrderId, Currency, Money};
///
/// let config = Config::new(7012).with_secret1("secret");
/// let link = PaymentForm::new(OrderId::new("154")?, Money::parse("100.11", Currency::RUB)?)
///     .with_payment_system(PaymentSystemId::SBP)
///     .with_email("payer+1@example.com")
///     .with_custom_field("us_login", "ivanov1971")
///     .prepare(&config)?;
/// assert_eq!(link.signature(), "64d0581f4a08af485a619950e023696a");
/// assert_eq!(
///     link.url().as_str(),
///     "https://pay.fk.money/?m=7012&oa=100.11&currency=RUB&o=154&s=64d0581f4a08af485a619950e023696a\
///      &i=42&em=payer%2B1%40example.com&us_login=ivanov1971"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentForm {
    /// The shop's order number (`o`; comes back as `MERCHANT_ORDER_ID`).
    pub order_id: OrderId,
    /// The amount and currency (`oa`, `currency`).
    pub money: Money,
    /// The suggested payment system (`i`); the payer can change it.
    pub payment_system: Option<PaymentSystemId>,
    /// The payer's phone (`phone`).
    pub phone: Option<String>,
    /// The payer's e-mail (`em`).
    pub email: Option<String>,
    /// The payment page language (`lang`).
    pub lang: Option<Lang>,
    /// `us_*` fields, echoed back in the notification.
    pub custom_fields: Vec<(String, String)>,
}

impl PaymentForm {
    /// A form for `money` under `order_id`.
    pub fn new(order_id: OrderId, money: Money) -> Self {
        Self {
            order_id,
            money,
            payment_system: None,
            phone: None,
            email: None,
            lang: None,
            custom_fields: Vec::new(),
        }
    }

    /// Suggests a payment system.
    #[must_use]
    pub fn with_payment_system(mut self, id: PaymentSystemId) -> Self {
        self.payment_system = Some(id);
        self
    }

    /// Sets the payer's phone.
    #[must_use]
    pub fn with_phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// Sets the payer's e-mail.
    #[must_use]
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets the payment page language.
    #[must_use]
    pub fn with_lang(mut self, lang: Lang) -> Self {
        self.lang = Some(lang);
        self
    }

    /// Adds a `us_*` field (checked by [`check_custom_field`] when the link is built).
    #[must_use]
    pub fn with_custom_field(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.custom_fields.push((key.into(), value.into()));
        self
    }

    /// Validates the form and builds the signed link.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] when secret word 1 is missing, the currency is not one Freekassa
    /// takes, the amount has too many digits, a `us_*` field breaks the documented rules or
    /// repeats, or a phone or e-mail is empty, too long or has control characters.
    pub fn prepare(&self, config: &Config) -> Result<FormLink, Error> {
        let secret1 = config.secret1()?;
        check_currency(self.money.currency())?;
        let amount = amount_text(&self.money)?;
        if let Some(phone) = &self.phone {
            validate_text("phone", phone, MAX_CONTACT_CHARS)?;
        }
        if let Some(email) = &self.email {
            validate_text("em", email, MAX_CONTACT_CHARS)?;
        }
        for (index, (key, value)) in self.custom_fields.iter().enumerate() {
            check_custom_field(key, value)?;
            if self.custom_fields.iter().take(index).any(|(seen, _)| seen == key) {
                return Err(
                    InputError::field("us_", format!("{key} appears more than once")).into()
                );
            }
        }

        let shop_id = config.shop_id().to_string();
        let currency = self.money.currency().code();
        let order_id = self.order_id.as_str();
        let signature =
            sign::form_signature(&shop_id, &amount, secret1, currency, order_id).to_string();
        let mut fields: Vec<(String, String)> = vec![
            ("m".into(), shop_id.clone()),
            ("oa".into(), amount.to_string()),
            ("currency".into(), currency.to_owned()),
            ("o".into(), order_id.to_owned()),
            ("s".into(), signature.clone()),
        ];
        if let Some(id) = self.payment_system {
            fields.push(("i".into(), id.to_string()));
        }
        if let Some(phone) = &self.phone {
            fields.push(("phone".into(), phone.clone()));
        }
        if let Some(email) = &self.email {
            fields.push(("em".into(), email.clone()));
        }
        if let Some(lang) = self.lang {
            fields.push(("lang".into(), lang.as_str().to_owned()));
        }
        fields.extend(self.custom_fields.iter().cloned());

        let form = HtmlForm::new(FormMethod::Get, config.form_url().clone(), fields);
        let url =
            form.to_get_url().ok_or_else(|| InputError::field("form_url", "not a GET form"))?;
        let masked = sign::form_text_masked(&shop_id, &amount, currency, order_id);
        Ok(FormLink { url, form, signature, masked })
    }
}

impl std::fmt::Debug for PaymentForm {
    // The payer's phone and e-mail are personal data: only their presence is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentForm")
            .field("order_id", &self.order_id)
            .field("money", &self.money)
            .field("payment_system", &self.payment_system)
            .field("phone", &self.phone.as_ref().map(|_| "<set>"))
            .field("email", &self.email.as_ref().map(|_| "<set>"))
            .field("lang", &self.lang)
            .field("custom_fields", &self.custom_fields)
            .finish()
    }
}

/// Checks a `us_*` field: the key is `us_` followed by Latin letters and digits, the value is
/// Latin letters, digits, `-` and `_` (both non-empty).
///
/// ```
/// use freekassa::form::check_custom_field;
///
/// assert!(check_custom_field("us_login", "ivanov-1971_a").is_ok());
/// assert!(check_custom_field("login", "x").is_err());      // no us_ prefix
/// assert!(check_custom_field("us_user_id", "x").is_err()); // `_` after the prefix
/// assert!(check_custom_field("us_name", "Иванов").is_err()); // not Latin
/// assert!(check_custom_field("us_name", "a b").is_err());
/// ```
///
/// # Errors
///
/// [`InputError::Field`] naming `us_` and what is wrong.
pub fn check_custom_field(key: &str, value: &str) -> Result<(), InputError> {
    let Some(name) = key.strip_prefix("us_") else {
        return Err(InputError::field("us_", format!("key {key:?} does not start with us_")));
    };
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(InputError::field(
            "us_",
            format!("key {key:?}: after us_ only Latin letters and digits are allowed"),
        ));
    }
    if value.is_empty()
        || !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(InputError::field(
            "us_",
            format!(
                "value of {key}: only Latin letters, digits, '-' and '_' are allowed (and it must not be empty)"
            ),
        ));
    }
    Ok(())
}

/// A signed payment form link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormLink {
    url: Url,
    form: HtmlForm,
    signature: String,
    masked: String,
}

impl FormLink {
    /// The link to send the payer to.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The same fields as a GET form (for an auto-submitting page).
    pub fn form(&self) -> &HtmlForm {
        &self.form
    }

    /// The signature `s`.
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// The signed text with the secret masked: `7012:100.11:<secret1>:RUB:154`.
    pub fn signed_text_masked(&self) -> &str {
        &self.masked
    }
}

#[cfg(test)]
mod tests {
    use payments_core::Currency;

    use super::*;

    fn config() -> Config {
        Config::new(7012).with_secret1("secret")
    }

    fn form(amount: &str) -> PaymentForm {
        PaymentForm::new(OrderId::new("154").unwrap(), Money::parse(amount, Currency::RUB).unwrap())
    }

    #[test]
    fn values_are_signed_raw_and_encoded_in_the_url() {
        let link = PaymentForm::new(
            OrderId::new("order 1&2").unwrap(),
            Money::parse("10", Currency::USD).unwrap(),
        )
        .with_phone("+79261231212")
        .with_lang(Lang::En)
        .prepare(&config())
        .unwrap();
        let query: Vec<(String, String)> = link.url().query_pairs().into_owned().collect();
        assert!(query.contains(&("o".into(), "order 1&2".into())));
        assert!(query.contains(&("phone".into(), "+79261231212".into())));
        assert!(link.url().as_str().contains("o=order+1%262"), "{}", link.url());
        assert!(link.url().as_str().contains("phone=%2B79261231212"), "{}", link.url());
        assert_eq!(link.signed_text_masked(), "7012:10:<secret1>:USD:order 1&2");
        assert_eq!(
            link.signature(),
            sign::form_signature("7012", "10", config().secret1().unwrap(), "USD", "order 1&2")
        );
    }

    #[test]
    fn bad_input_is_refused() {
        let gbp =
            PaymentForm::new(OrderId::new("1").unwrap(), Money::parse("1", Currency::GBP).unwrap());
        assert!(gbp.prepare(&config()).unwrap_err().to_string().contains("currency"));
        assert!(form("1").with_custom_field("us_a", "").prepare(&config()).is_err());
        assert!(form("1").with_custom_field("us_", "x").prepare(&config()).is_err());
        assert!(
            form("1")
                .with_custom_field("us_a", "1")
                .with_custom_field("us_a", "2")
                .prepare(&config())
                .is_err()
        );
        assert!(form("1").with_email("").prepare(&config()).is_err());
        assert!(form("1").prepare(&Config::new(7012)).unwrap_err().to_string().contains("secret1"));
    }
}
