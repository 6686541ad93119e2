//! Single payments: create-and-process (returns the payment link) and get by id.

use payments_core::response::CallError;
use payments_core::transport::HttpResponse;
use payments_core::{Decimal, InputError, Money};
use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

use crate::amount::{amount_text, require_gbp};
use crate::config::ToolkitConfig;
use crate::error::Error;
use crate::model::{PaymentMethod, PaymentStatus};
use crate::request::Prepared;
use crate::response;

/// The longest reference Fena accepts (a bank restriction), in characters.
pub const MAX_REFERENCE_CHARS: usize = 12;

/// The longest description Fena accepts, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

/// Checks a payment reference: 1 to 12 ASCII letters, digits or dashes.
///
/// # Errors
///
/// [`InputError::Field`] naming `reference`.
pub fn validate_reference(reference: &str) -> Result<(), InputError> {
    let valid = !reference.is_empty()
        && reference.len() <= MAX_REFERENCE_CHARS
        && reference.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(InputError::field(
            "reference",
            format!("must be 1 to {MAX_REFERENCE_CHARS} letters, digits or dashes"),
        ))
    }
}

/// `POST open/payments/single/create-and-process`: creates a single payment and returns the
/// link to send the payer to. Never retried.
///
/// ```
/// use fena::{ToolkitConfig, api::payment::PaymentCreate};
/// use payments_core::{Currency, Money};
///
/// let config = ToolkitConfig::new("62b48adf6ba2cd6a040b1eec", "secret");
/// let prepared = PaymentCreate::new("ORDER-7", Money::parse("10", Currency::GBP)?)?
///     .with_customer_email("payer@example.com")
///     .prepare(&config)?;
/// let body = prepared.body_json().unwrap();
/// assert_eq!(body["reference"], "ORDER-7");
/// assert_eq!(body["amount"], "10.00");
/// assert!(!prepared.request().safe_to_repeat);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentCreate {
    /// The reference shown on the payer's statement (1 to 12 letters, digits, dashes).
    pub reference: String,
    /// The amount (GBP).
    pub amount: Money,
    /// The receiving bank account id (defaults to the company's default account).
    pub bank_account: Option<String>,
    /// The payer's name.
    pub customer_name: Option<String>,
    /// The payer's e-mail.
    pub customer_email: Option<String>,
    /// Where the payer returns, instead of the API key's redirect URL.
    pub custom_redirect_url: Option<Url>,
    /// A description, at most 1000 characters.
    pub description: Option<String>,
    /// Link or QR code.
    pub payment_method: Option<PaymentMethod>,
}

impl PaymentCreate {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "open/payments/single/create-and-process";

    /// A payment for `amount` under `reference`.
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] for a bad reference or a currency other than GBP.
    pub fn new(reference: impl Into<String>, amount: Money) -> Result<Self, InputError> {
        let reference = reference.into();
        validate_reference(&reference)?;
        require_gbp(&amount)?;
        Ok(Self {
            reference,
            amount,
            bank_account: None,
            customer_name: None,
            customer_email: None,
            custom_redirect_url: None,
            description: None,
            payment_method: None,
        })
    }

    /// Sets the receiving bank account.
    #[must_use]
    pub fn with_bank_account(mut self, id: impl Into<String>) -> Self {
        self.bank_account = Some(id.into());
        self
    }

    /// Sets the payer's name.
    #[must_use]
    pub fn with_customer_name(mut self, name: impl Into<String>) -> Self {
        self.customer_name = Some(name.into());
        self
    }

    /// Sets the payer's e-mail.
    #[must_use]
    pub fn with_customer_email(mut self, email: impl Into<String>) -> Self {
        self.customer_email = Some(email.into());
        self
    }

    /// Sets the return URL for this payment.
    #[must_use]
    pub fn with_redirect_url(mut self, url: Url) -> Self {
        self.custom_redirect_url = Some(url);
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Chooses link or QR code.
    #[must_use]
    pub fn with_payment_method(mut self, method: PaymentMethod) -> Self {
        self.payment_method = Some(method);
        self
    }

    /// The JSON body: only the fields that are set.
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] for a bad reference, a currency other than GBP, or a
    /// description over 1000 characters.
    pub fn body(&self) -> Result<Value, InputError> {
        validate_reference(&self.reference)?;
        require_gbp(&self.amount)?;
        if let Some(description) = &self.description
            && description.chars().count() > MAX_DESCRIPTION_CHARS
        {
            return Err(InputError::field(
                "description",
                format!("is longer than {MAX_DESCRIPTION_CHARS} characters"),
            ));
        }
        let mut body = Map::new();
        body.insert("reference".into(), Value::String(self.reference.clone()));
        body.insert("amount".into(), Value::String(amount_text(&self.amount)));
        let mut optional = |key: &str, value: Option<&str>| {
            if let Some(value) = value {
                body.insert(key.into(), Value::String(value.to_owned()));
            }
        };
        optional("bankAccount", self.bank_account.as_deref());
        optional("customerName", self.customer_name.as_deref());
        optional("customerEmail", self.customer_email.as_deref());
        optional("customRedirectUrl", self.custom_redirect_url.as_ref().map(Url::as_str));
        optional("description", self.description.as_deref());
        optional("paymentMethod", self.payment_method.as_ref().map(PaymentMethod::as_str));
        Ok(Value::Object(body))
    }

    /// Validates and builds the request.
    ///
    /// # Errors
    ///
    /// [`Error::Input`].
    pub fn prepare(&self, config: &ToolkitConfig) -> Result<Prepared, Error> {
        let body = self.body()?;
        Prepared::post_json(
            config,
            Self::ENDPOINT,
            &["open", "payments", "single", "create-and-process"],
            &body,
        )
    }

    /// Reads the response and checks that it is the payment we asked for (reference,
    /// amount).
    ///
    /// `prepared` is the request this answers. Fena's answers are checked without it; it is taken
    /// so that every gateway's `parse_response` has the same arguments.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`], and [`Error::Call`] with [`CallError::Integrity`].
    pub fn parse_response(
        &self,
        _prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<CreatedPayment, Error> {
        let created: CreatedPayment = response::parse(Self::ENDPOINT, response, "result")?;
        let integrity = |field, expected: String, received: String| Error::Call {
            endpoint: Self::ENDPOINT,
            source: CallError::Integrity { field, expected, received },
        };
        if created.reference != self.reference {
            return Err(integrity("reference", self.reference.clone(), created.reference));
        }
        if created.amount != self.amount.amount() {
            return Err(integrity("amount", amount_text(&self.amount), created.amount.to_string()));
        }
        Ok(created)
    }
}

/// A created payment: send the payer to [`CreatedPayment::link`], and store
/// [`CreatedPayment::id`] to confirm webhooks later.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CreatedPayment {
    /// Fena's payment id.
    #[serde(deserialize_with = "payments_core::wire::text")]
    pub id: String,
    /// The reference.
    #[serde(deserialize_with = "payments_core::wire::text")]
    pub reference: String,
    /// The amount.
    #[serde(deserialize_with = "payments_core::wire::amount")]
    pub amount: Decimal,
    /// The status (usually `sent`).
    pub status: PaymentStatus,
    /// The payment link.
    pub link: Url,
    /// A QR code image URL, when Fena returns one.
    #[serde(default, rename = "qrCodeData")]
    pub qr_code_data: Option<String>,
    /// The currency, when given.
    #[serde(default)]
    pub currency: Option<String>,
    /// When it was created, as sent.
    #[serde(default, rename = "createdAt")]
    pub created_at: Option<String>,
}

/// `GET open/payments/single/{id}`: a payment by Fena's id. Safe to repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentGet {
    /// Fena's payment id.
    pub id: String,
}

impl PaymentGet {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "open/payments/single/{id}";

    /// The payment `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }

    /// Builds the request (the id is one percent-encoded path segment).
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for an empty id.
    pub fn prepare(&self, config: &ToolkitConfig) -> Result<Prepared, Error> {
        if self.id.is_empty() {
            return Err(InputError::field("id", "must not be empty").into());
        }
        Prepared::get(config, Self::ENDPOINT, &["open", "payments", "single", &self.id], &[])
    }

    /// Reads the response and checks that it is the payment asked for.
    ///
    /// `prepared` is the request this answers. Fena's answers are checked without it; it is taken
    /// so that every gateway's `parse_response` has the same arguments.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`], and [`Error::Call`] with [`CallError::Integrity`] naming `id`.
    pub fn parse_response(
        &self,
        _prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<Payment, Error> {
        let payment: Payment = response::parse(Self::ENDPOINT, response, "data")?;
        if payment.id != self.id {
            let source = CallError::integrity("id", &self.id, payment.id);
            return Err(Error::Call { endpoint: Self::ENDPOINT, source });
        }
        Ok(payment)
    }
}

/// A single payment as the Toolkit API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Payment {
    /// Fena's payment id.
    #[serde(deserialize_with = "payments_core::wire::text")]
    pub id: String,
    /// The reference.
    #[serde(deserialize_with = "payments_core::wire::text")]
    pub reference: String,
    /// The amount.
    #[serde(deserialize_with = "payments_core::wire::amount")]
    pub amount: Decimal,
    /// The status.
    pub status: PaymentStatus,
    /// The currency, when given.
    #[serde(default)]
    pub currency: Option<String>,
    /// The payment link, when given.
    #[serde(default)]
    pub link: Option<String>,
    /// When it was created, as sent.
    #[serde(default, rename = "createdAt")]
    pub created_at: Option<String>,
    /// When it was completed, as sent.
    #[serde(default, rename = "completedAt")]
    pub completed_at: Option<String>,
    /// Whether it belongs to a sandbox bank account.
    #[serde(default, rename = "isSandbox")]
    pub is_sandbox: Option<bool>,
}

#[cfg(test)]
mod tests {
    use payments_core::Currency;

    use super::*;

    #[test]
    fn reference_rules() {
        assert!(validate_reference("ORDER-0001").is_ok());
        assert!(validate_reference("abcdefghijkl").is_ok());
        assert!(validate_reference("abcdefghijklm").is_err());
        assert!(validate_reference("").is_err());
        assert!(validate_reference("a_b").is_err());
        assert!(validate_reference("a b").is_err());
        let eur = Money::parse("1", Currency::EUR).unwrap();
        assert!(PaymentCreate::new("a", eur).is_err());
    }

    #[test]
    fn long_description_is_refused() {
        let request = PaymentCreate::new("a", Money::parse("1", Currency::GBP).unwrap())
            .unwrap()
            .with_description("é".repeat(1001));
        assert!(request.body().is_err());
        assert!(request.with_description("é".repeat(1000)).body().is_ok());
    }
}
