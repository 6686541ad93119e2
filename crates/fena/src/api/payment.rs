//! Single payments: create-and-process (returns the payment link), create a draft, process
//! a draft, and get by id.
//!
//! Source: the Toolkit "Payments" OpenAPI pages,
//! <https://toolkit-docs.fena.co/toolkit-api/payments-module/single-payments/api-requests> and
//! its partner twin <https://toolkit-docs.fena.co/partner-api/apis/single-payments/api-requests>
//! (request schema: `reference`, `amount`, `bankAccount`, `customerName`, `dueDate`,
//! `customerEmail`, `customerEmailCC`, `paymentMethod`, `description`, `notes`,
//! `integration`).

use payments_core::response::CallError;
use payments_core::transport::HttpResponse;
use payments_core::{Decimal, InputError, Money};
use serde::Deserialize;
use serde_json::{Map, Value};
use time::Date;
use url::Url;

use crate::amount::{amount_text, require_gbp};
use crate::api::{check_id, date_text, require_email, require_id};
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
    /// The date by which the payment should be made; past it Fena marks it `overdue`.
    pub due_date: Option<Date>,
    /// Further e-mail addresses Fena copies the payment request to.
    pub customer_email_cc: Vec<String>,
    /// The merchant integration whose webhook and redirect URLs this payment uses.
    pub integration: Option<String>,
    /// Notes on the payment.
    pub notes: Vec<PaymentNote>,
}

/// A note on a payment: `{"text": .., "visibility": ..}`. The docs' only example of
/// `visibility` is `public`; no other value is documented.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentNote {
    /// The text.
    pub text: String,
    /// Who sees it (`public` in the docs).
    pub visibility: String,
}

impl PaymentNote {
    /// A note visible to the payer (`"visibility": "public"`).
    pub fn public(text: impl Into<String>) -> Self {
        Self { text: text.into(), visibility: "public".to_owned() }
    }
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
            due_date: None,
            customer_email_cc: Vec::new(),
            integration: None,
            notes: Vec::new(),
        })
    }

    /// Sets the due date (sent as midnight UTC of that day, as in the docs' example).
    #[must_use]
    pub fn with_due_date(mut self, date: Date) -> Self {
        self.due_date = Some(date);
        self
    }

    /// Adds an e-mail address to copy the payment request to (`customerEmailCC`).
    #[must_use]
    pub fn with_customer_email_cc(mut self, email: impl Into<String>) -> Self {
        self.customer_email_cc.push(email.into());
        self
    }

    /// Sends the payment's webhooks and redirect through this merchant integration.
    #[must_use]
    pub fn with_integration(mut self, id: impl Into<String>) -> Self {
        self.integration = Some(id.into());
        self
    }

    /// Adds a note.
    #[must_use]
    pub fn with_note(mut self, note: PaymentNote) -> Self {
        self.notes.push(note);
        self
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
    /// [`InputError::Field`] for a bad reference, a currency other than GBP, an amount that
    /// is not positive, a description over 1000 characters, an e-mail that is not one, a due
    /// date outside the years 2000 to 9999, or an empty note.
    pub fn body(&self) -> Result<Value, InputError> {
        validate_reference(&self.reference)?;
        require_gbp(&self.amount)?;
        if self.amount.amount() <= Decimal::ZERO {
            return Err(InputError::field("amount", "must be more than zero"));
        }
        if let Some(email) = &self.customer_email {
            require_email("customerEmail", email)?;
        }
        for email in &self.customer_email_cc {
            require_email("customerEmailCC", email)?;
        }
        if self.notes.iter().any(|note| note.text.is_empty() || note.visibility.is_empty()) {
            return Err(InputError::field("notes", "a note needs a text and a visibility"));
        }
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
        optional("integration", self.integration.as_deref());
        if let Some(date) = self.due_date {
            body.insert("dueDate".into(), Value::String(date_text("dueDate", date)?));
        }
        if !self.customer_email_cc.is_empty() {
            let cc = self.customer_email_cc.iter().cloned().map(Value::String).collect();
            body.insert("customerEmailCC".into(), Value::Array(cc));
        }
        if !self.notes.is_empty() {
            let notes = self
                .notes
                .iter()
                .map(|note| {
                    let mut object = Map::new();
                    object.insert("text".into(), Value::String(note.text.clone()));
                    object.insert("visibility".into(), Value::String(note.visibility.clone()));
                    Value::Object(object)
                })
                .collect();
            body.insert("notes".into(), Value::Array(notes));
        }
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
        check_created(Self::ENDPOINT, self, &created.reference, created.amount)?;
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

/// `POST open/payments/single/create`: creates a **draft** payment (status `draft`, no link
/// yet) to send later with [`PaymentProcess`]. The body is [`PaymentCreate`]'s. Never
/// retried. Fena sends no webhook for drafts.
///
/// ```
/// use fena::{ToolkitConfig, api::payment::{PaymentCreate, PaymentDraft}};
/// use payments_core::{Currency, Money};
///
/// let config = ToolkitConfig::new("62b48adf6ba2cd6a040b1eec", "secret");
/// let draft = PaymentDraft::new(PaymentCreate::new("ref-123", Money::parse("0.50", Currency::GBP)?)?);
/// let prepared = draft.prepare(&config)?;
/// assert_eq!(prepared.request().url.path(), "/open/payments/single/create");
/// assert_eq!(prepared.body_json().unwrap()["amount"], "0.50");
/// assert!(!prepared.request().safe_to_repeat);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentDraft {
    /// What to create.
    pub payment: PaymentCreate,
}

impl PaymentDraft {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "open/payments/single/create";

    /// A draft of `payment`.
    pub fn new(payment: PaymentCreate) -> Self {
        Self { payment }
    }

    /// Validates and builds the request.
    ///
    /// # Errors
    ///
    /// [`Error::Input`], as [`PaymentCreate::body`].
    pub fn prepare(&self, config: &ToolkitConfig) -> Result<Prepared, Error> {
        let body = self.payment.body()?;
        Prepared::post_json(
            config,
            Self::ENDPOINT,
            &["open", "payments", "single", "create"],
            &body,
        )
    }

    /// Reads the created draft (`{"created": true, "result": {..}}`) and checks that it is the
    /// payment asked for (reference, amount).
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`], and [`Error::Call`] with [`CallError::Integrity`].
    pub fn parse_response(
        &self,
        _prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<Payment, Error> {
        let draft: Payment = response::parse(Self::ENDPOINT, response, "result")?;
        check_created(Self::ENDPOINT, &self.payment, &draft.reference, draft.amount)?;
        Ok(draft)
    }
}

/// Checks that a created payment has the reference and amount that were asked for.
fn check_created(
    endpoint: &'static str,
    asked: &PaymentCreate,
    reference: &str,
    amount: Decimal,
) -> Result<(), Error> {
    let integrity = |field, expected: String, received: String| Error::Call {
        endpoint,
        source: CallError::Integrity { field, expected, received },
    };
    if reference != asked.reference {
        return Err(integrity("reference", asked.reference.clone(), reference.to_owned()));
    }
    if amount != asked.amount.amount() {
        return Err(integrity("amount", amount_text(&asked.amount), amount.to_string()));
    }
    Ok(())
}

/// `POST open/payments/single/{id}/process`: sends a draft payment (status `draft` to
/// `sent`) and generates its link. Answers `{"saved": true, "result": {..}}`. Never retried.
///
/// ```
/// use fena::{ToolkitConfig, api::payment::PaymentProcess};
///
/// let config = ToolkitConfig::new("62b48adf6ba2cd6a040b1eec", "secret");
/// let prepared = PaymentProcess::new("65a1b2c3d4e5f60718293a4b").prepare(&config)?;
/// assert_eq!(prepared.request().method, http::Method::POST);
/// assert_eq!(prepared.request().url.path(), "/open/payments/single/65a1b2c3d4e5f60718293a4b/process");
/// assert!(prepared.request().body.is_empty());
/// # Ok::<(), fena::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentProcess {
    /// Fena's id of the draft.
    pub id: String,
}

impl PaymentProcess {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "open/payments/single/{id}/process";

    /// Processes the draft `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }

    /// Builds the request (a `POST` without a body).
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for an id that cannot be one.
    pub fn prepare(&self, config: &ToolkitConfig) -> Result<Prepared, Error> {
        require_id(&self.id)?;
        Prepared::post_empty(
            config,
            Self::ENDPOINT,
            &["open", "payments", "single", &self.id, "process"],
        )
    }

    /// Reads the processed payment and its link, and checks that it is the draft asked for.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`] (`"saved": false` is a refusal), and [`Error::Call`]
    /// with [`CallError::Integrity`] naming `id`.
    pub fn parse_response(
        &self,
        _prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<CreatedPayment, Error> {
        let processed: CreatedPayment = response::parse(Self::ENDPOINT, response, "result")?;
        check_id(Self::ENDPOINT, &self.id, &processed.id)?;
        Ok(processed)
    }
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
        require_id(&self.id)?;
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
        check_id(Self::ENDPOINT, &self.id, &payment.id)?;
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
    /// The due date, as sent.
    #[serde(default, rename = "dueDate")]
    pub due_date: Option<String>,
    /// The description, when given.
    #[serde(default)]
    pub description: Option<String>,
    /// How the payment is offered (`fena_ob`, `fena_ob_qr`, `cash`, `other`), as sent.
    #[serde(default, rename = "paymentMethod")]
    pub payment_method: Option<String>,
    /// A QR code image URL, when given.
    #[serde(default, rename = "qrCodeData")]
    pub qr_code_data: Option<String>,
    /// The link through which the merchant refunds the payment, when given.
    #[serde(default, rename = "refundLink")]
    pub refund_link: Option<String>,
    /// The QR code of the refund link, when given.
    #[serde(default, rename = "refundQrCodeData")]
    pub refund_qr_code_data: Option<String>,
    /// The account the payment came from, when the payer's bank exposes it (not all do). The
    /// docs name the object without listing its fields, so it is kept as sent.
    #[serde(default, rename = "refundPayeeAccount")]
    pub refund_payee_account: Option<Map<String, Value>>,
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
