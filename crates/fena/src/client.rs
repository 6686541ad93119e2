//! The Toolkit HTTP client: sends prepared requests, nothing else.

use payments_core::response::CallError;
use payments_core::transport::{Caller, ClientOptions, HttpResponse};
use payments_core::webhook::WebhookRequest;

use crate::api::bank_account::{BankAccountList, BankAccountPage};
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
use crate::webhook::{ConfirmedPayment, ExpectedPayment, ToolkitTrigger, confirm_trigger};

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
    /// [`ToolkitConfig::max_webhook_bytes`]) and confirmed with [`Client::confirm_trigger`]
    /// against the payment the merchant stored. Only [`ConfirmedPayment::is_paid`] may mark
    /// the order paid.
    ///
    /// # Errors
    ///
    /// [`Error::Webhook`] for a body that is too large, not a JSON object or names no payment;
    /// then as [`Client::confirm_trigger`].
    pub async fn verify_request(
        &self,
        request: &WebhookRequest,
        expected: &ExpectedPayment,
    ) -> Result<ConfirmedPayment, Error> {
        let trigger = ToolkitTrigger::parse(&request.body, self.config.max_webhook_bytes())?;
        self.confirm_trigger(&trigger, expected).await
    }

    /// Secondary: confirms an already parsed Toolkit trigger (use [`Client::verify_request`]
    /// for a received request). The trigger must name the stored payment, which
    /// is then fetched by its stored id and must match the stored reference and amount. Only
    /// [`ConfirmedPayment::is_paid`] may mark the order paid.
    ///
    /// # Errors
    ///
    /// [`Error::Call`] with [`CallError::Integrity`] when the trigger or the fetched payment disagrees with what was
    /// stored; otherwise what Fena or the transport said.
    pub async fn confirm_trigger(
        &self,
        trigger: &ToolkitTrigger,
        expected: &ExpectedPayment,
    ) -> Result<ConfirmedPayment, Error> {
        if trigger.id != expected.id {
            let source = CallError::integrity("id", &expected.id, &trigger.id);
            return Err(Error::Call { endpoint: PaymentGet::ENDPOINT, source });
        }
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
