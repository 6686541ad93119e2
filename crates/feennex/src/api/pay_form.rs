//! The hosted payment form: a signed form the payer's browser submits to Feennex.
//!
//! Feennex does not publish the host of its form, so the caller configures it with
//! [`Config::with_pay_form_url`].

use payments_core::payment::{FormMethod, HtmlForm, OrderId, validate_text};
use payments_core::{InputError, Money};
use url::Url;

use crate::amount::amount_text;
use crate::api::{MAX_TEXT_CHARS, validate_payway};
use crate::config::Config;
use crate::error::Error;
use crate::sign;

/// The payment form for one order. Signed fields: `amount`, `currency`, `shop_id`,
/// `shop_order_id`; the optional ones are sent unsigned.
///
/// ```
/// use feennex::{Config, api::pay_form::PayForm};
/// use payments_core::{payment::OrderId, Currency, Money};
///
/// let config = Config::new(5, "SecretKey01").with_pay_form_url("https://pay.example/en/pay")?;
/// let form = PayForm::new(OrderId::new("101")?, Money::parse("10", Currency::RUB)?).prepare(&config)?;
/// let html = form.to_auto_submit_html(); // serve this page to the payer
/// assert!(html.contains(r#"name="amount" value="10.0""#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PayForm {
    /// The shop's order id.
    pub shop_order_id: OrderId,
    /// The amount and currency.
    pub amount: Money,
    /// Shown to the payer.
    pub description: Option<String>,
    /// A payment direction to preselect.
    pub payway: Option<String>,
    /// The payer's account, to prefill.
    pub payer_account: Option<String>,
    /// Where the payer returns after paying.
    pub success_url: Option<Url>,
    /// Where the payer returns after a failure.
    pub failed_url: Option<Url>,
    /// Where Feennex sends the callback.
    pub callback_url: Option<Url>,
}

impl PayForm {
    /// The old name of [`PayForm::prepare`].
    ///
    /// # Errors
    ///
    /// As [`PayForm::prepare`].
    #[deprecated(note = "renamed to `PayForm::prepare`, the one verb for hosted pages")]
    pub fn to_form(&self, config: &Config) -> Result<HtmlForm, Error> {
        self.prepare(config)
    }

    /// A form for `amount` under `shop_order_id`.
    pub fn new(shop_order_id: OrderId, amount: Money) -> Self {
        Self {
            shop_order_id,
            amount,
            description: None,
            payway: None,
            payer_account: None,
            success_url: None,
            failed_url: None,
            callback_url: None,
        }
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Preselects a payway.
    #[must_use]
    pub fn with_payway(mut self, payway: impl Into<String>) -> Self {
        self.payway = Some(payway.into());
        self
    }

    /// Sets the return and callback URLs.
    #[must_use]
    pub fn with_urls(
        mut self,
        success: Option<Url>,
        failed: Option<Url>,
        callback: Option<Url>,
    ) -> Self {
        self.success_url = success;
        self.failed_url = failed;
        self.callback_url = callback;
        self
    }

    /// Prepares the hosted payment page: the signed form, to be submitted by the payer's
    /// browser (POST). Every gateway's hosted page is `prepare`d this way (Freekassa's
    /// `PaymentForm::prepare`, Fena's `PaymentLinkRequest::prepare`).
    ///
    /// # Errors
    ///
    /// [`Error::Input`] when no form URL is configured, or for bad optional fields.
    pub fn prepare(&self, config: &Config) -> Result<HtmlForm, Error> {
        let action = config.pay_form_url().cloned().ok_or_else(|| {
            InputError::field(
                "pay_form_url",
                "Feennex does not publish its payment form host; set it with Config::with_pay_form_url",
            )
        })?;
        if let Some(payway) = &self.payway {
            validate_payway(payway)?;
        }
        for (field, value) in
            [("description", &self.description), ("payer_account", &self.payer_account)]
        {
            if let Some(value) = value {
                validate_text(field, value, MAX_TEXT_CHARS)?;
            }
        }
        let amount = amount_text(&self.amount)?;
        let currency = self.amount.currency().numeric().to_string();
        let shop_id = config.shop_id().to_string();
        let signed = [
            ("amount", amount.as_str()),
            ("currency", currency.as_str()),
            ("shop_id", shop_id.as_str()),
            ("shop_order_id", self.shop_order_id.as_str()),
        ];
        let (_, signature) = sign::sign(signed, config.secret()).map_err(InputError::from)?;
        let mut fields: Vec<(String, String)> =
            signed.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect();
        fields.push(("sign".to_owned(), signature));
        let optional = [
            ("description", self.description.clone()),
            ("payway", self.payway.clone()),
            ("payer_account", self.payer_account.clone()),
            ("success_url", self.success_url.as_ref().map(|url| url.to_string())),
            ("failed_url", self.failed_url.as_ref().map(|url| url.to_string())),
            ("callback_url", self.callback_url.as_ref().map(|url| url.to_string())),
        ];
        fields
            .extend(optional.into_iter().filter_map(|(key, value)| Some((key.to_owned(), value?))));
        Ok(HtmlForm::new(FormMethod::Post, action, fields))
    }
}

#[cfg(test)]
mod tests {
    use payments_core::Currency;

    use super::*;

    #[test]
    fn needs_a_configured_host() {
        let form =
            PayForm::new(OrderId::new("1").unwrap(), Money::parse("1", Currency::USD).unwrap());
        let err = form.prepare(&Config::new(5, "k")).unwrap_err();
        assert!(err.to_string().contains("pay_form_url"), "{err}");
    }

    #[test]
    fn signs_the_four_documented_fields_only() {
        let config =
            Config::new(5, "SecretKey01").with_pay_form_url("https://pay.example/pay").unwrap();
        let plain = PayForm::new(
            OrderId::new("101").unwrap(),
            Money::parse("10.00", Currency::RUB).unwrap(),
        );
        let extra = plain.clone().with_description("d").with_payway("card_rub");
        let sign_of =
            |form: HtmlForm| form.fields.into_iter().find(|(k, _)| k == "sign").unwrap().1;
        let expected = sign::sign_string("10.0:643:5:101", config.secret());
        assert_eq!(sign_of(plain.prepare(&config).unwrap()), expected);
        assert_eq!(sign_of(extra.prepare(&config).unwrap()), expected);
    }
}
