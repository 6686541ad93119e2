//! Recurring payments (standing orders): create a draft, create and process, get, process a
//! draft, delete.
//!
//! Sources: the Toolkit "Recurring Payments" OpenAPI page,
//! <https://toolkit-docs.fena.co/toolkit-api/payments-module/recurring-payments/api-requests>
//! (and its partner twin under `partner-api/apis/recurring-payments/api-requests`, which adds
//! `bankAccount` and `integration`), and the overview,
//! <https://toolkit-docs.fena.co/toolkit-api/payments-module/recurring-payments/overview>.
//!
//! A standing order is set up once by the payer at their bank; after that the bank pays on
//! schedule and **neither Fena nor the merchant can change or cancel it** (the payer can).
//! [`RecurringDelete`] removes the recurring payment in Fena; it does not reach a standing
//! order the payer already set up.
//!
//! # Where the docs contradict each other, the stricter rule is kept
//!
//! - **Notice.** The overview says the first payment date must be at least **3** working days
//!   in the future; the request schema says **6**. [`RecurringCreate`] accepts only dates at
//!   least [`NOTICE_WORKING_DAYS`] (6) working days (Monday to Friday) after today, so every
//!   date it sends satisfies both. UK bank holidays are not known to the SDK: around them Fena
//!   may still refuse a date this check accepts.
//! - **Weekends.** Fena's provider docs warn that most banks refuse a first payment date on a
//!   Saturday or Sunday, so such dates are refused before sending.
//! - **Reference case.** Single payments take `/^[a-z0-9-]+$/i` (any case); the recurring
//!   schema prints `^[a-z0-9-]+$` without the `i` flag. A recurring reference is therefore
//!   lower-case letters, digits and dashes only, 1 to 12 of them.

use std::fmt;

use payments_core::response::CallError;
use payments_core::transport::HttpResponse;
use payments_core::{Decimal, InputError, Money};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use time::{Date, Weekday};

use crate::amount::{amount_text, require_gbp};
use crate::api::payment::Payment;
use crate::api::{check_id, date_text, require_email, require_id};
use crate::config::ToolkitConfig;
use crate::error::Error;
use crate::request::Prepared;
use crate::response;

/// The longest recurring-payment reference, in characters.
pub const MAX_REFERENCE_CHARS: usize = 12;

/// The working days of notice the first payment needs (the request schema's 6, stricter than
/// the overview's 3).
pub const NOTICE_WORKING_DAYS: u8 = 6;

/// Checks a recurring-payment reference: 1 to 12 of `a-z`, `0-9` and `-` (lower case only).
///
/// ```
/// use fena::api::recurring::validate_reference;
///
/// assert!(validate_reference("sub-0001").is_ok());
/// assert!(validate_reference("SUB-0001").is_err());
/// assert!(validate_reference("abcdefghijklm").is_err());
/// ```
///
/// # Errors
///
/// [`InputError::Field`] naming `reference`.
pub fn validate_reference(reference: &str) -> Result<(), InputError> {
    let valid = !reference.is_empty()
        && reference.len() <= MAX_REFERENCE_CHARS
        && reference.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(InputError::field(
            "reference",
            format!("must be 1 to {MAX_REFERENCE_CHARS} lower-case letters, digits or dashes"),
        ))
    }
}

/// The earliest first payment date accepted on `today`: the [`NOTICE_WORKING_DAYS`]th working
/// day (Monday to Friday) after it.
///
/// ```
/// use fena::api::recurring::earliest_first_payment_date;
/// use time::macros::date;
///
/// // Monday 2 December 2024: six working days later is Tuesday 10 December.
/// assert_eq!(earliest_first_payment_date(date!(2024 - 12 - 02)), Some(date!(2024 - 12 - 10)));
/// ```
pub fn earliest_first_payment_date(today: Date) -> Option<Date> {
    let mut day = today;
    let mut counted = 0;
    while counted < NOTICE_WORKING_DAYS {
        day = day.next_day()?;
        if !is_weekend(day) {
            counted += 1;
        }
    }
    Some(day)
}

fn is_weekend(day: Date) -> bool {
    matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// How often a standing order pays: the docs' enum.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Frequency {
    /// Every week (`one_week`).
    OneWeek,
    /// Every month (`one_month`).
    OneMonth,
    /// Every three months (`three_months`).
    ThreeMonths,
    /// Every year (`one_year`).
    OneYear,
    /// A value Fena sent that this SDK does not know; never sent.
    Unknown(String),
}

impl Frequency {
    /// Reads a wire value (exact, as the enum is documented).
    pub fn from_wire(text: &str) -> Self {
        match text {
            "one_week" => Self::OneWeek,
            "one_month" => Self::OneMonth,
            "three_months" => Self::ThreeMonths,
            "one_year" => Self::OneYear,
            _ => Self::Unknown(text.to_owned()),
        }
    }

    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::OneWeek => "one_week",
            Self::OneMonth => "one_month",
            Self::ThreeMonths => "three_months",
            Self::OneYear => "one_year",
            Self::Unknown(text) => text,
        }
    }
}

impl<'de> Deserialize<'de> for Frequency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|text| Self::from_wire(&text))
    }
}

/// The status of a recurring payment.
///
/// The docs' status table starts as the single payments' (`draft`, `sent`, `overdue`); Fena's
/// help centre describes the rest (set up and running, a warning such as a missed or partial
/// payment, rejected before set-up, cancelled, all payments made). Only `draft` and `sent`
/// appear on the wire in the docs; the other spellings are read leniently and anything else
/// stays [`RecurringStatus::Unknown`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecurringStatus {
    /// Created, not sent; process it later.
    Draft,
    /// Sent to the payer, not yet set up at their bank.
    Sent,
    /// Sent but not set up, and the first payment date is too close.
    Overdue,
    /// Set up by the payer; payments are running.
    Active,
    /// Running with a problem (a missed or partial payment, or the bank connection lost).
    Warning,
    /// The payer cancelled before setting it up, or the bank refused; can be retried.
    Rejected,
    /// Cancelled; no further payments are expected.
    Cancelled,
    /// Every expected payment was made.
    Completed,
    /// A status this SDK does not know, as sent.
    Unknown(String),
}

impl RecurringStatus {
    /// Reads a wire status (case-insensitive; `_`, `-` and spaces are equivalent).
    pub fn from_wire(text: &str) -> Self {
        let key: String = text
            .trim()
            .chars()
            .map(|c| if c == '-' || c == ' ' { '_' } else { c.to_ascii_lowercase() })
            .collect();
        match key.as_str() {
            "draft" => Self::Draft,
            "sent" => Self::Sent,
            "overdue" => Self::Overdue,
            "active" => Self::Active,
            "warning" => Self::Warning,
            "rejected" => Self::Rejected,
            "cancelled" | "canceled" => Self::Cancelled,
            "completed" => Self::Completed,
            _ => Self::Unknown(text.to_owned()),
        }
    }

    /// Whether no further payment can come: cancelled or completed.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Cancelled | Self::Completed)
    }
}

impl<'de> Deserialize<'de> for RecurringStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|text| Self::from_wire(&text))
    }
}

impl fmt::Display for RecurringStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(text) => write!(f, "{text} (unknown)"),
            known => write!(f, "{known:?}"),
        }
    }
}

/// `POST open/payments/recurring/create-and-process`: creates a recurring payment and sends it
/// (status `sent`, with a link for the payer to set the standing order up). Never retried.
///
/// Everything is checked before sending: the reference ([`validate_reference`]), GBP amounts
/// above zero, a documented [`Frequency`], and a first payment date on a weekday at least
/// [`NOTICE_WORKING_DAYS`] working days after `today` (see the [module docs](self)).
///
/// ```
/// use fena::ToolkitConfig;
/// use fena::api::recurring::{Frequency, RecurringCreate};
/// use payments_core::{Currency, Money};
/// use time::macros::date;
///
/// let config = ToolkitConfig::new("62b48adf6ba2cd6a040b1eec", "secret");
/// let request = RecurringCreate::new(
///     "sub-0001", Money::parse("9.99", Currency::GBP)?, date!(2024 - 12 - 10), 12, Frequency::OneMonth,
/// )?;
/// let prepared = request.prepare(&config, date!(2024 - 12 - 02))?;
/// let body = prepared.body_json().unwrap();
/// assert_eq!(body["recurringPaymentDate"], "2024-12-10T00:00:00Z");
/// assert_eq!(body["recurringAmount"], "9.99");
/// // One day less notice is refused before anything is sent.
/// assert!(request.prepare(&config, date!(2024 - 12 - 03)).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecurringCreate {
    /// The reference (1 to 12 lower-case letters, digits, dashes); the payer cannot change it.
    pub reference: String,
    /// The amount of each payment (GBP).
    pub recurring_amount: Money,
    /// The date of the first payment.
    pub first_payment_date: Date,
    /// How many payments are expected; 0 for no end.
    pub number_of_payments: u32,
    /// How often.
    pub frequency: Frequency,
    /// An immediate single payment requested with the set-up (GBP), when set.
    pub initial_payment_amount: Option<Money>,
    /// The payer's name.
    pub customer_name: Option<String>,
    /// The payer's e-mail.
    pub customer_email: Option<String>,
    /// The receiving bank account id (defaults to the company's default account). Fena sends
    /// no status updates for sandbox, manually added or `ob-nationwide` accounts.
    pub bank_account: Option<String>,
    /// The merchant integration whose webhook and redirect URLs this uses.
    pub integration: Option<String>,
}

impl RecurringCreate {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "open/payments/recurring/create-and-process";

    /// A recurring payment of `recurring_amount` every `frequency`, `number_of_payments` times
    /// (0: no end), from `first_payment_date`. The date is checked against today by
    /// [`RecurringCreate::prepare`].
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] for a bad reference or amount, or an unknown frequency.
    pub fn new(
        reference: impl Into<String>,
        recurring_amount: Money,
        first_payment_date: Date,
        number_of_payments: u32,
        frequency: Frequency,
    ) -> Result<Self, InputError> {
        let request = Self {
            reference: reference.into(),
            recurring_amount,
            first_payment_date,
            number_of_payments,
            frequency,
            initial_payment_amount: None,
            customer_name: None,
            customer_email: None,
            bank_account: None,
            integration: None,
        };
        request.check_fields()?;
        Ok(request)
    }

    /// Requests an immediate single payment of `amount` with the set-up.
    #[must_use]
    pub fn with_initial_payment(mut self, amount: Money) -> Self {
        self.initial_payment_amount = Some(amount);
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

    /// Sets the receiving bank account.
    #[must_use]
    pub fn with_bank_account(mut self, id: impl Into<String>) -> Self {
        self.bank_account = Some(id.into());
        self
    }

    /// Sends the webhooks and redirect through this merchant integration.
    #[must_use]
    pub fn with_integration(mut self, id: impl Into<String>) -> Self {
        self.integration = Some(id.into());
        self
    }

    fn check_fields(&self) -> Result<(), InputError> {
        validate_reference(&self.reference)?;
        check_amount("recurringAmount", &self.recurring_amount)?;
        if let Some(initial) = &self.initial_payment_amount {
            check_amount("initialPaymentAmount", initial)?;
        }
        if let Frequency::Unknown(text) = &self.frequency {
            return Err(InputError::field(
                "frequency",
                format!("{text:?} is not one_week, one_month, three_months or one_year"),
            ));
        }
        if let Some(email) = &self.customer_email {
            require_email("customerEmail", email)?;
        }
        Ok(())
    }

    /// The JSON body on `today`: only the fields that are set.
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] as [`RecurringCreate::new`], and for a first payment date on a
    /// weekend or with less than [`NOTICE_WORKING_DAYS`] working days of notice.
    pub fn body(&self, today: Date) -> Result<Value, InputError> {
        self.check_fields()?;
        let first = self.first_payment_date;
        if is_weekend(first) {
            return Err(InputError::field(
                "recurringPaymentDate",
                "falls on a weekend, which most banks refuse for a first payment",
            ));
        }
        if earliest_first_payment_date(today).is_none_or(|earliest| first < earliest) {
            return Err(InputError::field(
                "recurringPaymentDate",
                format!("must be at least {NOTICE_WORKING_DAYS} working days after {today}"),
            ));
        }
        let mut body = Map::new();
        body.insert("reference".into(), Value::String(self.reference.clone()));
        body.insert("recurringAmount".into(), Value::String(amount_text(&self.recurring_amount)));
        body.insert(
            "recurringPaymentDate".into(),
            Value::String(date_text("recurringPaymentDate", first)?),
        );
        body.insert("numberOfPayments".into(), Value::from(self.number_of_payments));
        body.insert("frequency".into(), Value::String(self.frequency.as_str().to_owned()));
        if let Some(initial) = &self.initial_payment_amount {
            body.insert("initialPaymentAmount".into(), Value::String(amount_text(initial)));
        }
        let mut optional = |key: &str, value: Option<&str>| {
            if let Some(value) = value {
                body.insert(key.into(), Value::String(value.to_owned()));
            }
        };
        optional("customerName", self.customer_name.as_deref());
        optional("customerEmail", self.customer_email.as_deref());
        optional("bankAccount", self.bank_account.as_deref());
        optional("integration", self.integration.as_deref());
        Ok(Value::Object(body))
    }

    /// Validates against `today` (the caller's date, so the function stays pure) and builds
    /// the request.
    ///
    /// # Errors
    ///
    /// [`Error::Input`], as [`RecurringCreate::body`].
    pub fn prepare(&self, config: &ToolkitConfig, today: Date) -> Result<Prepared, Error> {
        let body = self.body(today)?;
        Prepared::post_json(
            config,
            Self::ENDPOINT,
            &["open", "payments", "recurring", "create-and-process"],
            &body,
        )
    }

    /// Reads the created recurring payment and checks that it is the one asked for
    /// (reference, recurring amount).
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`], and [`Error::Call`] with [`CallError::Integrity`].
    pub fn parse_response(
        &self,
        _prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<RecurringPayment, Error> {
        let created: RecurringPayment = response::parse(Self::ENDPOINT, response, "result")?;
        self.check_created(Self::ENDPOINT, &created)?;
        Ok(created)
    }

    fn check_created(
        &self,
        endpoint: &'static str,
        created: &RecurringPayment,
    ) -> Result<(), Error> {
        let integrity = |field, expected: String, received: String| Error::Call {
            endpoint,
            source: CallError::Integrity { field, expected, received },
        };
        if created.reference != self.reference {
            return Err(integrity("reference", self.reference.clone(), created.reference.clone()));
        }
        if created.recurring_amount != self.recurring_amount.amount() {
            return Err(integrity(
                "recurringAmount",
                amount_text(&self.recurring_amount),
                created.recurring_amount.to_string(),
            ));
        }
        Ok(())
    }
}

fn check_amount(field: &'static str, money: &Money) -> Result<(), InputError> {
    require_gbp(money).map_err(|_| InputError::field(field, "Fena takes GBP only"))?;
    if money.amount() <= Decimal::ZERO {
        return Err(InputError::field(field, "must be more than zero"));
    }
    Ok(())
}

/// `POST open/payments/recurring/create`: creates a **draft** recurring payment, to send
/// later with [`RecurringProcess`]. The body and its checks are [`RecurringCreate`]'s. Never
/// retried.
///
/// ```
/// use fena::ToolkitConfig;
/// use fena::api::recurring::{Frequency, RecurringCreate, RecurringDraft};
/// use payments_core::{Currency, Money};
/// use time::macros::date;
///
/// let config = ToolkitConfig::new("62b48adf6ba2cd6a040b1eec", "secret");
/// let draft = RecurringDraft::new(RecurringCreate::new(
///     "sub-0001", Money::parse("9.99", Currency::GBP)?, date!(2024 - 12 - 10), 0, Frequency::OneWeek,
/// )?);
/// let prepared = draft.prepare(&config, date!(2024 - 12 - 02))?;
/// assert_eq!(prepared.request().url.path(), "/open/payments/recurring/create");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecurringDraft {
    /// What to create.
    pub recurring: RecurringCreate,
}

impl RecurringDraft {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "open/payments/recurring/create";

    /// A draft of `recurring`.
    pub fn new(recurring: RecurringCreate) -> Self {
        Self { recurring }
    }

    /// Validates against `today` and builds the request.
    ///
    /// # Errors
    ///
    /// [`Error::Input`], as [`RecurringCreate::body`].
    pub fn prepare(&self, config: &ToolkitConfig, today: Date) -> Result<Prepared, Error> {
        let body = self.recurring.body(today)?;
        Prepared::post_json(
            config,
            Self::ENDPOINT,
            &["open", "payments", "recurring", "create"],
            &body,
        )
    }

    /// Reads the created draft and checks that it is the one asked for.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`], and [`Error::Call`] with [`CallError::Integrity`].
    pub fn parse_response(
        &self,
        _prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<RecurringPayment, Error> {
        let created: RecurringPayment = response::parse(Self::ENDPOINT, response, "result")?;
        self.recurring.check_created(Self::ENDPOINT, &created)?;
        Ok(created)
    }
}

/// `GET open/payments/recurring/{id}`: a recurring payment by Fena's id. Safe to repeat.
///
/// ```
/// use fena::{ToolkitConfig, api::recurring::RecurringGet};
///
/// let config = ToolkitConfig::new("62b48adf6ba2cd6a040b1eec", "secret");
/// let prepared = RecurringGet::new("r1").prepare(&config)?;
/// assert_eq!(prepared.request().url.as_str(), "https://epos.api.fena.co/open/payments/recurring/r1");
/// assert!(prepared.request().safe_to_repeat);
/// # Ok::<(), fena::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecurringGet {
    /// Fena's id.
    pub id: String,
}

impl RecurringGet {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "open/payments/recurring/{id}";

    /// The recurring payment `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }

    /// Builds the request.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for an id that cannot be one.
    pub fn prepare(&self, config: &ToolkitConfig) -> Result<Prepared, Error> {
        require_id(&self.id)?;
        Prepared::get(config, Self::ENDPOINT, &["open", "payments", "recurring", &self.id], &[])
    }

    /// Reads `{"data": {..}}` and checks that it is the recurring payment asked for.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`], and [`Error::Call`] with [`CallError::Integrity`]
    /// naming `id`.
    pub fn parse_response(
        &self,
        _prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<RecurringPayment, Error> {
        let recurring: RecurringPayment = response::parse(Self::ENDPOINT, response, "data")?;
        check_id(Self::ENDPOINT, &self.id, &recurring.id)?;
        Ok(recurring)
    }
}

/// `POST open/payments/recurring/{id}/process`: sends a draft recurring payment (status
/// `sent`, with its link). Never retried.
///
/// ```
/// use fena::{ToolkitConfig, api::recurring::RecurringProcess};
///
/// let config = ToolkitConfig::new("62b48adf6ba2cd6a040b1eec", "secret");
/// let prepared = RecurringProcess::new("r1").prepare(&config)?;
/// assert_eq!(prepared.request().url.path(), "/open/payments/recurring/r1/process");
/// assert!(!prepared.request().safe_to_repeat);
/// # Ok::<(), fena::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecurringProcess {
    /// Fena's id of the draft.
    pub id: String,
}

impl RecurringProcess {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "open/payments/recurring/{id}/process";

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
            &["open", "payments", "recurring", &self.id, "process"],
        )
    }

    /// Reads `{"result": {..}}` and checks that it is the draft asked for.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`], and [`Error::Call`] with [`CallError::Integrity`]
    /// naming `id`.
    pub fn parse_response(
        &self,
        _prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<RecurringPayment, Error> {
        let recurring: RecurringPayment = response::parse(Self::ENDPOINT, response, "result")?;
        check_id(Self::ENDPOINT, &self.id, &recurring.id)?;
        Ok(recurring)
    }
}

/// `POST open/payments/recurring/{id}/delete`: deletes a recurring payment in Fena. Answers
/// `{"deleted": true}`. Never retried.
///
/// It cannot cancel a standing order the payer already set up at their bank: Fena has no
/// control over it (only the payer can cancel it).
///
/// ```
/// use fena::{ToolkitConfig, api::recurring::RecurringDelete};
///
/// let config = ToolkitConfig::new("62b48adf6ba2cd6a040b1eec", "secret");
/// let prepared = RecurringDelete::new("r1").prepare(&config)?;
/// assert_eq!(prepared.request().method, http::Method::POST);
/// assert_eq!(prepared.request().url.path(), "/open/payments/recurring/r1/delete");
/// # Ok::<(), fena::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecurringDelete {
    /// Fena's id.
    pub id: String,
}

impl RecurringDelete {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "open/payments/recurring/{id}/delete";

    /// Deletes `id`.
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
            &["open", "payments", "recurring", &self.id, "delete"],
        )
    }

    /// Reads `{"deleted": true}`.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`]; `"deleted": false` is an [`Error::Api`].
    pub fn parse_response(
        &self,
        _prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<(), Error> {
        let _deleted: bool = response::parse(Self::ENDPOINT, response, "deleted")?;
        Ok(())
    }
}

/// A recurring payment as the Toolkit API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct RecurringPayment {
    /// Fena's id.
    #[serde(deserialize_with = "payments_core::wire::text")]
    pub id: String,
    /// The reference (the docs' answer calls it `invoiceRefNumber`; `reference` is read too).
    #[serde(rename = "invoiceRefNumber", alias = "reference")]
    #[serde(deserialize_with = "payments_core::wire::text")]
    pub reference: String,
    /// The amount of each payment.
    #[serde(rename = "recurringAmount", deserialize_with = "payments_core::wire::amount")]
    pub recurring_amount: Decimal,
    /// The status.
    pub status: RecurringStatus,
    /// How often, when given.
    #[serde(default)]
    pub frequency: Option<Frequency>,
    /// The first payment date, as sent.
    #[serde(default, rename = "firstPaymentDate")]
    pub first_payment_date: Option<String>,
    /// The last payment date, as sent.
    #[serde(default, rename = "finalPaymentDate")]
    pub final_payment_date: Option<String>,
    /// How many payments are expected (0: no end), when given.
    #[serde(default, rename = "expectedNumberOfPayments")]
    pub expected_number_of_payments: Option<u64>,
    /// The immediate single payment requested with the set-up, when there is one.
    #[serde(default, rename = "initialPayment")]
    pub initial_payment: Option<Payment>,
    /// The link for the payer to set the standing order up, when given.
    #[serde(default)]
    pub link: Option<String>,
    /// The payer's name, when given.
    #[serde(default, rename = "customerName")]
    pub customer_name: Option<String>,
    /// The payer's e-mail, when given.
    #[serde(default, rename = "customerEmail")]
    pub customer_email: Option<String>,
    /// When it was created, as sent.
    #[serde(default, rename = "createdAt")]
    pub created_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use payments_core::Currency;
    use time::macros::date;

    use super::*;

    fn gbp(text: &str) -> Money {
        Money::parse(text, Currency::GBP).unwrap()
    }

    #[test]
    fn notice_counts_working_days_only() {
        // Friday 6 December 2024: Mon 9 .. Fri 13 is five, Monday 16 the sixth.
        assert_eq!(earliest_first_payment_date(date!(2024 - 12 - 06)), Some(date!(2024 - 12 - 16)));
        // Saturday 7th: Monday 9 .. Monday 16 is six as well.
        assert_eq!(earliest_first_payment_date(date!(2024 - 12 - 07)), Some(date!(2024 - 12 - 16)));
    }

    #[test]
    fn dates_amounts_frequencies_and_references_are_checked() {
        let today = date!(2024 - 12 - 02);
        let make = |date| RecurringCreate::new("sub-1", gbp("1.00"), date, 0, Frequency::OneWeek);
        assert!(make(date!(2024 - 12 - 10)).unwrap().body(today).is_ok());
        assert!(make(date!(2024 - 12 - 09)).unwrap().body(today).is_err(), "5 working days");
        assert!(make(date!(2024 - 12 - 14)).unwrap().body(today).is_err(), "a Saturday");
        assert!(make(date!(2024 - 11 - 29)).unwrap().body(today).is_err(), "the past");
        let date = date!(2024 - 12 - 10);
        let eur = Money::parse("1", Currency::EUR).unwrap();
        assert!(RecurringCreate::new("sub-1", eur, date, 0, Frequency::OneWeek).is_err());
        let weird = Frequency::Unknown("two_weeks".into());
        assert!(RecurringCreate::new("sub-1", gbp("1"), date, 0, weird).is_err());
        assert!(RecurringCreate::new("Sub-1", gbp("1"), date, 0, Frequency::OneYear).is_err());
        let initial =
            make(date).unwrap().with_initial_payment(Money::parse("1", Currency::EUR).unwrap());
        assert!(initial.body(today).is_err());
        let email = make(date).unwrap().with_customer_email("not an email");
        assert!(email.body(today).is_err());
    }

    #[test]
    fn statuses_read_leniently() {
        assert_eq!(RecurringStatus::from_wire("Active"), RecurringStatus::Active);
        assert_eq!(RecurringStatus::from_wire("canceled"), RecurringStatus::Cancelled);
        assert_eq!(RecurringStatus::from_wire("paused"), RecurringStatus::Unknown("paused".into()));
        assert!(RecurringStatus::Completed.is_final());
        assert!(!RecurringStatus::Sent.is_final());
        assert_eq!(Frequency::from_wire("three_months"), Frequency::ThreeMonths);
        assert_eq!(Frequency::OneYear.as_str(), "one_year");
    }
}
