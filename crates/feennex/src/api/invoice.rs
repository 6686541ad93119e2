//! Payments by other methods: cards, banks, other wallets ("invoices").

use std::collections::BTreeMap;
use std::time::SystemTime;

use payments_core::payment::{FormMethod, HtmlForm, OrderId, PaymentLink, validate_text};
use payments_core::transport::HttpResponse;
use payments_core::{Decimal, Money};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::amount::amount_text;
use crate::api::{MAX_TEXT_CHARS, validate_payway};
use crate::config::Config;
use crate::error::Error;
use crate::model::{ErrorCode, InvoiceStatus};
use crate::request::{Prepared, SignedRequest, status_query};
use crate::response::{self, check_echo};

/// What an invoice is for: the fields `invoice/try` and `invoice/create` both sign
/// (`amount`, `currency`, `payway`, `shop_id`, `shop_order_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvoiceCreate {
    /// The shop's order id.
    pub shop_order_id: OrderId,
    /// The amount and currency.
    pub amount: Money,
    /// The payment direction (`card_usd`, `bank_h2h_usd`).
    pub payway: String,
    /// Shown to the payer, at most 255 characters.
    pub description: Option<String>,
    /// The payer's e-mail (sent, never signed).
    pub email: Option<String>,
    /// The payer's phone.
    pub phone: Option<String>,
    /// The payer's account in the payment system, when the payway asks for one.
    pub account: Option<String>,
    /// Extra fields the payway asks for (its `add_ons_config` from `invoice/try`).
    pub add_ons: BTreeMap<String, String>,
    /// Where the payer returns after paying.
    pub success_url: Option<Url>,
    /// Where the payer returns after a failure.
    pub failed_url: Option<Url>,
    /// Where Feennex sends the callback (if none is set in the shop settings).
    pub callback_url: Option<Url>,
}

impl InvoiceCreate {
    /// The endpoint that creates the invoice.
    pub const ENDPOINT: &'static str = "invoice/create";
    /// The endpoint that only computes the price.
    pub const TRY_ENDPOINT: &'static str = "invoice/try";

    /// An invoice for `amount` under `shop_order_id`, paid through `payway`.
    pub fn new(shop_order_id: OrderId, amount: Money, payway: impl Into<String>) -> Self {
        Self {
            shop_order_id,
            amount,
            payway: payway.into(),
            description: None,
            email: None,
            phone: None,
            account: None,
            add_ons: BTreeMap::new(),
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

    /// Sets the payer's e-mail.
    #[must_use]
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets the payer's phone.
    #[must_use]
    pub fn with_phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// Adds a payway-specific field.
    #[must_use]
    pub fn with_add_on(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.add_ons.insert(name.into(), value.into());
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

    /// Signs `invoice/create`.
    ///
    /// ```
    /// use feennex::{Config, api::invoice::InvoiceCreate};
    /// use payments_core::{payment::OrderId, Currency, Money};
    ///
    /// let config = Config::new(5, "SecretKey01");
    /// let invoice = InvoiceCreate::new(OrderId::new("4126")?, Money::parse("12", Currency::USD)?, "card_usd");
    /// let prepared = invoice.prepare(&config)?;
    /// assert_eq!(prepared.string_to_sign(), "12.0:840:card_usd:5:4126");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for an empty or over-long payway or description, or an add-on field
    /// that collides with a documented one.
    pub fn prepare(&self, config: &Config) -> Result<Prepared, Error> {
        let url_text = |url: &Option<Url>| url.as_ref().map(|url| url.as_str().to_owned());
        let amount = amount_text(&self.amount)?;
        let mut request = self
            .signed_fields(Self::ENDPOINT, config, &amount)?
            .unsigned_opt("email", self.email.clone())
            .unsigned_opt("phone", self.phone.clone())
            .unsigned_opt("account", self.account.clone())
            .unsigned_opt("success_url", url_text(&self.success_url))
            .unsigned_opt("failed_url", url_text(&self.failed_url))
            .unsigned_opt("callback_url", url_text(&self.callback_url));
        for (name, value) in &self.add_ons {
            request = request.unsigned_owned(name.clone(), value.clone());
        }
        request.build(config)
    }

    /// Signs `invoice/try`, which prices the invoice without creating it.
    ///
    /// # Errors
    ///
    /// As [`InvoiceCreate::prepare`].
    pub fn prepare_try(&self, config: &Config) -> Result<Prepared, Error> {
        let amount = amount_text(&self.amount)?;
        self.signed_fields(Self::TRY_ENDPOINT, config, &amount)?.build(config)
    }

    /// The signed fields, with the amount as `amount_text` wrote it.
    fn signed_fields<'a>(
        &'a self,
        endpoint: &'static str,
        config: &Config,
        amount: &'a str,
    ) -> Result<SignedRequest<'a>, Error> {
        validate_payway(&self.payway)?;
        for (field, value) in [
            ("description", &self.description),
            ("email", &self.email),
            ("phone", &self.phone),
            ("account", &self.account),
        ] {
            if let Some(value) = value {
                validate_text(field, value, MAX_TEXT_CHARS)?;
            }
        }
        Ok(SignedRequest::new(endpoint, false)
            .signed("amount", amount)
            .signed("currency", self.amount.currency().numeric())
            .signed("payway", self.payway.as_str())
            .signed("shop_id", config.shop_id())
            .signed("shop_order_id", &self.shop_order_id)
            .unsigned_opt("description", self.description.clone()))
    }

    /// Reads the `invoice/create` response.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`].
    pub fn parse_response(
        &self,
        prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<InvoiceCreated, Error> {
        response::parse(Self::ENDPOINT, response, prepared.string_to_sign())
    }

    /// Reads the `invoice/try` response.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`].
    pub fn parse_try_response(
        &self,
        prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<InvoiceQuote, Error> {
        response::parse(Self::TRY_ENDPOINT, response, prepared.string_to_sign())
    }
}

/// The price of an invoice, from `invoice/try`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct InvoiceQuote {
    /// What the payer will pay, commission included.
    #[serde(deserialize_with = "payments_core::wire::amount")]
    pub payer_price: Decimal,
    /// The payment system's currency (ISO 4217 numeric).
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub ps_currency: Option<u64>,
    /// The payment method's id.
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub paymethod_id: Option<u64>,
    /// The payment method's name.
    #[serde(default)]
    pub paymethod_name: Option<String>,
    /// Extra fields the payer must supply, with their labels and patterns.
    #[serde(default)]
    pub add_ons_config: Option<Value>,
    /// Information about the method.
    #[serde(default)]
    pub info: Option<Value>,
    /// Instructions for the payer.
    #[serde(default)]
    pub manual: Option<Value>,
    /// Warnings to show.
    #[serde(default)]
    pub warning: Option<Value>,
}

/// A created invoice: what the payer's browser must do next.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct InvoiceCreated {
    /// Feennex's payment id.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub id: u64,
    /// `GET` or `POST` (or `OFFLINE`, when `data` holds instructions instead).
    pub method: String,
    /// Where to send the payer.
    #[serde(default)]
    pub url: Option<String>,
    /// The parameters to send to `url` with `method`.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub data: BTreeMap<String, Value>,
}

impl InvoiceCreated {
    /// Where to send the payer: a GET becomes a redirect URL (with the parameters in its
    /// query), a POST an auto-submitting form. `None` for other methods (offline payment
    /// instructions are in `data`) or a missing URL.
    pub fn to_payment_link(&self) -> Option<PaymentLink> {
        let method = match self.method.to_ascii_uppercase().as_str() {
            "GET" => FormMethod::Get,
            "POST" => FormMethod::Post,
            _ => return None,
        };
        let action = Url::parse(self.url.as_deref()?).ok()?;
        // Only web pages: a `javascript:` or `data:` URL would run in the shop's own page.
        if !matches!(action.scheme(), "https" | "http") {
            return None;
        }
        let fields = self
            .data
            .iter()
            .map(|(name, value)| (name.clone(), payments_core::wire::value_text(value)))
            .collect();
        let form = HtmlForm::new(method, action, fields);
        Some(match form.to_get_url() {
            Some(url) => PaymentLink::Redirect(url),
            None => PaymentLink::Form(form),
        })
    }
}

/// `invoice/check`: the state of the invoice for an order.
///
/// Signed fields: `now`, `shop_id`, `shop_order_id`. (The path comes from Feennex's sibling
/// platforms; Feennex's own documentation does not print it.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceStatusQuery {
    /// The shop's order id.
    pub shop_order_id: OrderId,
}

impl InvoiceStatusQuery {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "invoice/check";

    /// A query for `shop_order_id`.
    pub fn new(shop_order_id: OrderId) -> Self {
        Self { shop_order_id }
    }

    /// Signs the query with `now` as the request time.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] if the request cannot be built.
    pub fn prepare(&self, config: &Config, now: SystemTime) -> Result<Prepared, Error> {
        status_query(Self::ENDPOINT, "shop_order_id", &self.shop_order_id, config, now)
    }

    /// Reads the response and checks it is about our shop and order.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`], and [`Error::Call`] with [`CallError::Integrity`](payments_core::response::CallError::Integrity).
    pub fn parse_response(
        &self,
        prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<InvoiceReport, Error> {
        let report: InvoiceReport =
            response::parse(Self::ENDPOINT, response, prepared.string_to_sign())?;
        check_echo(Self::ENDPOINT, "shop_id", prepared.shop_id(), report.shop_id)?;
        check_echo(Self::ENDPOINT, "shop_order_id", &self.shop_order_id, &report.shop_order_id)?;
        Ok(report)
    }
}

/// The state of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct InvoiceReport {
    /// The status.
    pub status: InvoiceStatus,
    /// Feennex's payment id.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub payment_id: u64,
    /// What the payer actually paid (differs from the order for a recalculated payment).
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub client_price: Option<Decimal>,
    /// The amount of the order.
    #[serde(deserialize_with = "payments_core::wire::amount")]
    pub shop_amount: Decimal,
    /// The original amount of a recalculated payment.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub shop_original_amount: Option<Decimal>,
    /// The shop currency (ISO 4217 numeric).
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub shop_currency: u64,
    /// What the shop receives.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub shop_refund: Option<Decimal>,
    /// The shop id.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub shop_id: u64,
    /// The shop's order id.
    #[serde(deserialize_with = "payments_core::wire::text")]
    pub shop_order_id: String,
    /// The payment direction.
    #[serde(default)]
    pub payway: Option<String>,
    /// The payment system's currency.
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub ps_currency: Option<u64>,
    /// Extra data from the payment system, as JSON text.
    #[serde(default, deserialize_with = "response::raw_json_text")]
    pub ps_data: Option<String>,
    /// The operation's own error code, when the payment system failed.
    #[serde(default)]
    pub error_code: Option<ErrorCode>,
    /// Whether this order id was used for only one invoice.
    #[serde(default)]
    pub is_unique: Option<bool>,
    /// When the invoice was created.
    #[serde(default)]
    pub created: Option<String>,
    /// When it was processed.
    #[serde(default)]
    pub processed: Option<String>,
    /// When it last changed.
    #[serde(default)]
    pub updated: Option<String>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, Value>, D::Error> {
    Ok(Option::<BTreeMap<String, Value>>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created(method: &str, url: &str) -> InvoiceCreated {
        let json = serde_json::json!({
            "id": 1, "method": method, "url": url, "data": {"session_id": "abc def", "n": 5}
        });
        serde_json::from_str(&json.to_string()).unwrap()
    }

    #[test]
    fn get_becomes_a_redirect_with_query() {
        let link = created("GET", "https://pay.example/x").to_payment_link().unwrap();
        assert_eq!(
            link,
            PaymentLink::Redirect("https://pay.example/x?n=5&session_id=abc+def".parse().unwrap())
        );
    }

    #[test]
    fn post_becomes_a_form() {
        match created("post", "https://pay.example/x").to_payment_link().unwrap() {
            PaymentLink::Form(form) => {
                assert_eq!(form.method, FormMethod::Post);
                assert_eq!(
                    form.fields,
                    vec![("n".into(), "5".into()), ("session_id".into(), "abc def".into())]
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn offline_or_broken_has_no_link() {
        assert_eq!(created("OFFLINE", "https://pay.example/x").to_payment_link(), None);
        assert_eq!(created("GET", "not a url").to_payment_link(), None);
        assert_eq!(created("GET", "javascript:alert(1)").to_payment_link(), None);
        let no_data: InvoiceCreated = serde_json::from_str(
            r#"{"id": 1, "method": "GET", "url": "https://x.example/", "data": null}"#,
        )
        .unwrap();
        assert!(no_data.data.is_empty());
    }
}
