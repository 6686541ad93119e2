//! The Toolkit HTTP client: sends prepared requests, nothing else.

use payments_core::response::CallError;
use payments_core::transport::{Caller, ClientOptions, HttpResponse};
use payments_core::webhook::WebhookRequest;

use crate::api::bank_account::{BankAccount, BankAccountList, BankAccountPage};
use crate::api::check_id;
use crate::api::payment::{
    CreatedPayment, Payment, PaymentCreate, PaymentDraft, PaymentGet, PaymentProcess,
};
use crate::api::recurring::{
    RecurringCreate, RecurringDelete, RecurringDraft, RecurringGet, RecurringPayment,
    RecurringProcess,
};
use crate::config::ToolkitConfig;
use crate::error::Error;
use crate::request::Prepared;
use crate::webhook::toolkit::check_scope;
use crate::webhook::{
    Confirmed, ConfirmedPayment, Expected, ExpectedPayment, ToolkitScope, ToolkitTrigger,
    confirm_recurring, confirm_trigger,
};

/// The most pages of 100 bank accounts [`Client::find_bank_account`] reads.
pub const BANK_ACCOUNT_PAGES: u32 = 20;

/// A client of Fena's Toolkit REST API.
///
/// Cloning is cheap and shares the connection pool.
///
/// ```no_run
/// use fena::{Client, ToolkitConfig, api::payment::PaymentCreate};
/// use fena::webhook::ExpectedPayment;
/// use payments_core::webhook::WebhookRequest;
/// use payments_core::{Currency, Money};
///
/// # async fn run(webhook: &WebhookRequest) -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::new(ToolkitConfig::new("62b48adf6ba2cd6a040b1eec", "secret-key"))?;
/// let amount = Money::parse("10.00", Currency::GBP)?;
/// let created = client.create_and_process(&PaymentCreate::new("ORDER-7", amount)?).await?;
/// println!("send the payer to {}", created.link);
/// // Store what you asked for and Fena's id.
/// let stored = ExpectedPayment::new(created.id.clone(), "ORDER-7", amount);
///
/// // Later, in the webhook handler: the body is only a trigger.
/// let confirmed = client.verify_request(webhook, &stored).await?;
/// if confirmed.is_paid() {
///     // mark ORDER-7 paid, exactly once
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    config: ToolkitConfig,
    caller: Caller,
}

impl Client {
    /// A client with the default reqwest transport and retry policy.
    ///
    /// # Errors
    ///
    /// [`Error::Call`] if the HTTP client cannot be built.
    pub fn new(config: ToolkitConfig) -> Result<Self, Error> {
        Self::with_options(config, &ClientOptions::default())
    }

    /// A client with the HTTP settings, transport and retry policy of `options`: the same
    /// options every gateway's client, and the façade's `AnyGateway`, take.
    ///
    /// # Errors
    ///
    /// [`Error::Call`] if the HTTP client cannot be built.
    pub fn with_options(config: ToolkitConfig, options: &ClientOptions) -> Result<Self, Error> {
        let caller = Caller::new(options)
            .map_err(|source| Error::Call { endpoint: "client", source: source.into() })?;
        Ok(Self { config, caller })
    }

    /// The configuration.
    pub fn config(&self) -> &ToolkitConfig {
        &self.config
    }

    /// `create-and-process`: creates a payment and returns its link. Not retried: after a
    /// transport error, check the payments in Fena before creating another.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent; otherwise what Fena or the transport said.
    pub async fn create_and_process(
        &self,
        request: &PaymentCreate,
    ) -> Result<CreatedPayment, Error> {
        let prepared = request.prepare(&self.config)?;
        let response = self.send(&prepared).await?;
        request.parse_response(&prepared, &response)
    }

    /// A payment by Fena's id.
    ///
    /// # Errors
    ///
    /// What Fena or the transport said; [`Error::Call`] with [`CallError::Integrity`] if another payment came back.
    pub async fn get_payment(&self, id: &str) -> Result<Payment, Error> {
        let request = PaymentGet::new(id);
        let prepared = request.prepare(&self.config)?;
        let response = self.send(&prepared).await?;
        request.parse_response(&prepared, &response)
    }

    /// Creates a draft payment (no link yet; send it with [`Client::process_payment`]). Not
    /// retried.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent; otherwise what Fena or the transport said.
    pub async fn create_draft(&self, request: &PaymentDraft) -> Result<Payment, Error> {
        let prepared = request.prepare(&self.config)?;
        let response = self.send(&prepared).await?;
        request.parse_response(&prepared, &response)
    }

    /// Sends the draft payment `id` and returns its link. Not retried.
    ///
    /// # Errors
    ///
    /// What Fena or the transport said; [`Error::Call`] with [`CallError::Integrity`] if
    /// another payment came back.
    pub async fn process_payment(&self, id: &str) -> Result<CreatedPayment, Error> {
        let request = PaymentProcess::new(id);
        let prepared = request.prepare(&self.config)?;
        let response = self.send(&prepared).await?;
        request.parse_response(&prepared, &response)
    }

    /// Creates and sends a recurring payment (standing order), its first payment date checked
    /// against today's date (UTC). Not retried.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent; otherwise what Fena or the transport said.
    pub async fn create_recurring(
        &self,
        request: &RecurringCreate,
    ) -> Result<RecurringPayment, Error> {
        let prepared = request.prepare(&self.config, today())?;
        let response = self.send(&prepared).await?;
        request.parse_response(&prepared, &response)
    }

    /// Creates a draft recurring payment (send it with [`Client::process_recurring`]), its
    /// first payment date checked against today's date (UTC). Not retried.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent; otherwise what Fena or the transport said.
    pub async fn create_recurring_draft(
        &self,
        request: &RecurringDraft,
    ) -> Result<RecurringPayment, Error> {
        let prepared = request.prepare(&self.config, today())?;
        let response = self.send(&prepared).await?;
        request.parse_response(&prepared, &response)
    }

    /// A recurring payment by Fena's id.
    ///
    /// # Errors
    ///
    /// What Fena or the transport said; [`Error::Call`] with [`CallError::Integrity`] if
    /// another one came back.
    pub async fn get_recurring(&self, id: &str) -> Result<RecurringPayment, Error> {
        let request = RecurringGet::new(id);
        let prepared = request.prepare(&self.config)?;
        let response = self.send(&prepared).await?;
        request.parse_response(&prepared, &response)
    }

    /// Sends the draft recurring payment `id`. Not retried.
    ///
    /// # Errors
    ///
    /// What Fena or the transport said; [`Error::Call`] with [`CallError::Integrity`] if
    /// another one came back.
    pub async fn process_recurring(&self, id: &str) -> Result<RecurringPayment, Error> {
        let request = RecurringProcess::new(id);
        let prepared = request.prepare(&self.config)?;
        let response = self.send(&prepared).await?;
        request.parse_response(&prepared, &response)
    }

    /// Deletes the recurring payment `id` in Fena. It cannot cancel a standing order the
    /// payer already set up at their bank. Not retried.
    ///
    /// # Errors
    ///
    /// What Fena or the transport said.
    pub async fn delete_recurring(&self, id: &str) -> Result<(), Error> {
        let request = RecurringDelete::new(id);
        let prepared = request.prepare(&self.config)?;
        let response = self.send(&prepared).await?;
        request.parse_response(&prepared, &response)
    }

    /// One page of the merchant's bank accounts.
    ///
    /// # Errors
    ///
    /// What Fena or the transport said.
    pub async fn list_bank_accounts(
        &self,
        request: &BankAccountList,
    ) -> Result<BankAccountPage, Error> {
        let prepared = request.prepare(&self.config)?;
        let response = self.send(&prepared).await?;
        request.parse_response(&prepared, &response)
    }

    /// Verifies a received Toolkit webhook: the one entry point for a received request, named
    /// as in every gateway crate (Fena's `TokenVerifier::verify_request`, Feennex's
    /// `CallbackVerifier::verify_request`, Freekassa's `NotificationVerifier::verify_request`).
    /// The webhook is unsigned, so it is read only as a [`ToolkitTrigger`] (at most
    /// [`ToolkitConfig::max_webhook_bytes`]) and confirmed by fetching the object it names
    /// against what the merchant stored ([`Expected`]; an `&ExpectedPayment` or
    /// `&ExpectedRecurring` converts):
    ///
    /// - a single payment: `GET open/payments/single/{id}`, then [`confirm_trigger`];
    /// - a recurring payment: `GET open/payments/recurring/{id}`, then [`confirm_recurring`];
    /// - a bank account: the documented list (`GET open/company/bank-accounts/list`), walked
    ///   page by page (at most [`BANK_ACCOUNT_PAGES`] pages of 100) until the stored id is
    ///   found; the docs document no call that fetches one account.
    ///
    /// A shop that receives several scopes on one URL reads the scope and id first with
    /// [`ToolkitTrigger::parse`], loads what it stored for that id, and then calls this. Only
    /// [`Confirmed::is_paid`] may mark an order paid.
    ///
    /// # Errors
    ///
    /// [`Error::Webhook`] for a body that is too large, not a JSON object or names no id, or
    /// ([`WebhookError::Mismatch`](payments_core::WebhookError::Mismatch) on `eventScope`) of
    /// another scope than `expected`; [`Error::UnknownWebhookScope`] for a scope the docs do
    /// not describe; [`Error::Call`] with [`CallError::Integrity`] when the trigger or the
    /// fetched object disagrees with what was stored, or when the bank account is not in the
    /// list; otherwise what Fena or the transport said. Nothing is
    /// fetched for a trigger that names another id than the stored one.
    pub async fn verify_request(
        &self,
        request: &WebhookRequest,
        expected: impl Into<Expected>,
    ) -> Result<Confirmed, Error> {
        let trigger = ToolkitTrigger::parse(&request.body, self.config.max_webhook_bytes())?;
        self.confirm(&trigger, &expected.into()).await
    }

    /// Secondary: confirms an already parsed trigger of any scope (use
    /// [`Client::verify_request`] for a received request).
    ///
    /// # Errors
    ///
    /// As [`Client::verify_request`].
    pub async fn confirm(
        &self,
        trigger: &ToolkitTrigger,
        expected: &Expected,
    ) -> Result<Confirmed, Error> {
        check_scope(trigger, expected.scope())?;
        match expected {
            Expected::Payment(payment) => {
                self.confirm_trigger(trigger, payment).await.map(Confirmed::Payment)
            }
            Expected::Recurring(recurring) => {
                check_id(RecurringGet::ENDPOINT, &recurring.id, &trigger.id)?;
                let fetched = self.get_recurring(&recurring.id).await?;
                confirm_recurring(trigger, recurring, &fetched).map(Confirmed::Recurring)
            }
            Expected::BankAccount(id) => {
                check_id(BankAccountList::ENDPOINT, id, &trigger.id)?;
                self.find_bank_account(id).await.map(Confirmed::BankAccount)
            }
        }
    }

    /// One of the merchant's bank accounts by Fena's id, found in the documented list (the
    /// docs document no call that fetches one account): at most [`BANK_ACCOUNT_PAGES`] pages
    /// of 100 are read.
    ///
    /// # Errors
    ///
    /// [`Error::Call`] with [`CallError::Integrity`] naming `id` when the id is not in the
    /// list; otherwise
    /// what Fena or the transport said.
    pub async fn find_bank_account(&self, id: &str) -> Result<BankAccount, Error> {
        for page in 1..=BANK_ACCOUNT_PAGES {
            let request = BankAccountList::default().with_page(page).with_limit(100);
            let listed = self.list_bank_accounts(&request).await?;
            let more = listed.has_next_page.unwrap_or(false) && !listed.docs.is_empty();
            if let Some(account) = listed.docs.into_iter().find(|account| account.id == id) {
                return Ok(account);
            }
            if !more {
                break;
            }
        }
        Err(Error::Call {
            endpoint: BankAccountList::ENDPOINT,
            source: CallError::integrity("id", id, "no such account in the bank-account list"),
        })
    }

    /// Secondary: confirms an already parsed single-payment trigger (use
    /// [`Client::verify_request`] for a received request). The trigger must name the stored
    /// payment, which is then fetched by its stored id and must match the stored reference
    /// and amount. Only [`ConfirmedPayment::is_paid`] may mark the order paid.
    ///
    /// # Errors
    ///
    /// [`Error::Webhook`] for a trigger of another scope; [`Error::Call`] with
    /// [`CallError::Integrity`] when the trigger or the fetched payment disagrees with what
    /// was stored; otherwise what Fena or the transport said.
    pub async fn confirm_trigger(
        &self,
        trigger: &ToolkitTrigger,
        expected: &ExpectedPayment,
    ) -> Result<ConfirmedPayment, Error> {
        check_scope(trigger, ToolkitScope::SinglePayment)?;
        check_id(PaymentGet::ENDPOINT, &expected.id, &trigger.id)?;
        let fetched = self.get_payment(&expected.id).await?;
        confirm_trigger(trigger, expected, &fetched)
    }

    async fn send(&self, prepared: &Prepared) -> Result<HttpResponse, Error> {
        self.caller
            .send(prepared.request())
            .await
            .map_err(|source| Error::Call { endpoint: prepared.endpoint(), source: source.into() })
    }
}

/// Today's date in UTC, for the first-payment-date check.
fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}
