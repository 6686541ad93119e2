//! The Feennex HTTP client: signs with the pure `prepare` functions, sends, and reads with the
//! pure `parse_response` functions. Creating payments and payouts is never retried; reads
//! are, with backoff.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use payments_core::clock::{Clock, SystemClock};
use payments_core::payment::OrderId;
use payments_core::transport::{Caller, ClientOptions, HttpResponse};
use payments_core::webhook::WebhookRequest;
use serde_json::Value;

use crate::api::bill::{Bill, BillCreate, BillReport, BillStatusQuery};
use crate::api::invoice::{
    InvoiceCreate, InvoiceCreated, InvoiceQuote, InvoiceReport, InvoiceStatusQuery,
};
use crate::api::shop::{ShopBalance, ShopBalanceQuery};
use crate::api::transfer::{Transfer, TransferCreate, TransferReport, TransferStatusQuery};
use crate::api::withdraw::{
    AccountCheck, Withdraw, WithdrawCreate, WithdrawQuote, WithdrawReport, WithdrawStatusQuery,
};
use crate::config::Config;
use crate::error::Error;
use crate::model::ErrorCode;
use crate::request::Prepared;
use crate::webhook::CallbackVerifier;

/// The shortest interval between two status requests for one bill that Feennex allows.
pub const MIN_BILL_POLL_INTERVAL: Duration = Duration::from_secs(10);

/// The outcome of a payout whose creation may or may not have reached Feennex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayoutOutcome<T> {
    /// Feennex has it: here is its state. Do not create it again.
    Created(T),
    /// Feennex has no payout with this id (error 7): it is safe to create it again with the
    /// same id.
    NotCreated,
}

/// A Feennex API client.
///
/// Cloning is cheap and shares the connection pool.
///
/// ```no_run
/// use feennex::{Client, Config, GatewayError, api::withdraw::{WithdrawAmountType, WithdrawCreate}, client::PayoutOutcome};
/// use payments_core::{payment::OrderId, Currency, Money};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::new(Config::new(5, "SecretKey01"))?;
/// let id = OrderId::new("payout-2024-0001")?;
/// let payout = WithdrawCreate::new(
///     id.clone(), "card_rub", "4111111111111111",
///     Money::parse("100", Currency::RUB)?, WithdrawAmountType::PsAmount, Currency::RUB,
/// );
/// match client.create_withdraw(&payout).await {
///     Ok(created) => println!("payout {} is {}", created.id, created.status),
///     // The request may have reached Feennex: never send it again blindly.
///     Err(error) if error.outcome_unknown() => match client.resolve_withdraw(&id).await? {
///         PayoutOutcome::Created(report) => println!("it went through: {}", report.status),
///         PayoutOutcome::NotCreated => println!("safe to create it again with the same id"),
///     },
///     Err(error) => return Err(error.into()),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    config: Config,
    caller: Caller,
    clock: Arc<dyn Clock>,
    callbacks: CallbackVerifier,
}

impl Client {
    /// A client with the default reqwest transport and retry policy.
    ///
    /// # Errors
    ///
    /// [`Error::Call`] if the HTTP client cannot be built.
    pub fn new(config: Config) -> Result<Self, Error> {
        Self::with_options(config, &ClientOptions::default())
    }

    /// A client with the HTTP settings, transport and retry policy of `options`: the same
    /// options every gateway's client, and the façade's `AnyGateway`, take.
    ///
    /// # Errors
    ///
    /// [`Error::Call`] if the HTTP client cannot be built.
    pub fn with_options(config: Config, options: &ClientOptions) -> Result<Self, Error> {
        let caller = Caller::new(options)
            .map_err(|source| Error::Call { endpoint: "client", source: source.into() })?;
        Ok(Self {
            callbacks: CallbackVerifier::new(config.clone()),
            config,
            caller,
            clock: Arc::new(SystemClock),
        })
    }

    /// Replaces the clock that gives `now` to status requests.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    async fn send(&self, prepared: &Prepared) -> Result<HttpResponse, Error> {
        self.caller
            .send(prepared.request())
            .await
            .map_err(|source| Error::Call { endpoint: prepared.endpoint(), source: source.into() })
    }

    /// `bill/create`: a wallet bill. Not retried.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent; otherwise what Feennex or the transport said.
    pub async fn create_bill(&self, request: &BillCreate) -> Result<Bill, Error> {
        let prepared = request.prepare(&self.config)?;
        let response = self.send(&prepared).await?;
        request.parse_response(&prepared, &response)
    }

    /// `bill/shop_order_status`: the wallet payment for an order. Feennex allows one request
    /// per 10 seconds; [`Client::wait_for_bill`] keeps to that.
    ///
    /// # Errors
    ///
    /// What Feennex or the transport said.
    pub async fn bill_status(&self, shop_order_id: &OrderId) -> Result<BillReport, Error> {
        let query = BillStatusQuery::new(shop_order_id.clone());
        let prepared = query.prepare(&self.config, self.clock.now())?;
        // Retries too keep to Feennex's pace of one request per 10 s (the backoff's lower
        // half is fixed, so 20 s gives at least 10 s).
        let floor = MIN_BILL_POLL_INTERVAL.saturating_mul(2);
        let retry = self.caller.retry();
        let pace = retry
            .with_backoff(retry.initial_backoff.max(floor), retry.max_backoff.max(floor))
            .with_max_retry_after(retry.max_retry_after.max(floor));
        let response =
            self.caller.send_with(prepared.request(), &pace).await.map_err(|source| {
                Error::Call { endpoint: prepared.endpoint(), source: source.into() }
            })?;
        query.parse_response(&prepared, &response)
    }

    /// Polls [`Client::bill_status`] every `interval` (at least 10 s, as Feennex asks) until
    /// the status is final or `timeout` has passed, and returns the last report.
    ///
    /// # Errors
    ///
    /// The first error of a status request.
    pub async fn wait_for_bill(
        &self,
        shop_order_id: &OrderId,
        interval: Duration,
        timeout: Duration,
    ) -> Result<BillReport, Error> {
        let interval = interval.max(MIN_BILL_POLL_INTERVAL);
        let started = tokio::time::Instant::now();
        loop {
            let report = self.bill_status(shop_order_id).await?;
            if report.status.is_final() || started.elapsed().saturating_add(interval) > timeout {
                return Ok(report);
            }
            tokio::time::sleep(interval).await;
        }
    }

    /// `invoice/try`: what the payer would pay. A read, retried on failure.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent; otherwise what Feennex or the transport said.
    pub async fn price_invoice(&self, request: &InvoiceCreate) -> Result<InvoiceQuote, Error> {
        let prepared = request.prepare_try(&self.config)?;
        let response = self.send_read(prepared).await?;
        request.parse_try_response(&response.0, &response.1)
    }

    /// `invoice/create`: a payment by card, bank or another method; the result says where to
    /// send the payer ([`InvoiceCreated::to_payment_link`]). Not retried.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent; otherwise what Feennex or the transport said.
    pub async fn create_invoice(&self, request: &InvoiceCreate) -> Result<InvoiceCreated, Error> {
        let prepared = request.prepare(&self.config)?;
        let response = self.send(&prepared).await?;
        request.parse_response(&prepared, &response)
    }

    /// `invoice/check`: the invoice for an order.
    ///
    /// # Errors
    ///
    /// What Feennex or the transport said.
    pub async fn invoice_status(&self, shop_order_id: &OrderId) -> Result<InvoiceReport, Error> {
        let query = InvoiceStatusQuery::new(shop_order_id.clone());
        let prepared = query.prepare(&self.config, self.clock.now())?;
        let response = self.send(&prepared).await?;
        query.parse_response(&prepared, &response)
    }

    /// `transfer/try`: what a transfer would cost. A read, retried on failure.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent; otherwise what Feennex or the transport said.
    pub async fn price_transfer(
        &self,
        request: &TransferCreate,
    ) -> Result<BTreeMap<String, Value>, Error> {
        let prepared = request.prepare_try(&self.config)?;
        let response = self.send_read(prepared).await?;
        request.parse_try_response(&response.0, &response.1)
    }

    /// `transfer/create`: pays a Feennex wallet. Never retried: on an error for which
    /// [`GatewayError::outcome_unknown`](crate::GatewayError::outcome_unknown) is true, call [`Client::resolve_transfer`].
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent; otherwise what Feennex or the transport said.
    pub async fn create_transfer(&self, request: &TransferCreate) -> Result<Transfer, Error> {
        let prepared = request.prepare(&self.config)?;
        let response = self.send(&prepared).await?;
        request.parse_response(&prepared, &response)
    }

    /// `transfer/shop_payment_status`: the transfer made under `shop_payment_id`.
    ///
    /// # Errors
    ///
    /// What Feennex or the transport said (error 7: there is none).
    pub async fn transfer_status(
        &self,
        shop_payment_id: &OrderId,
    ) -> Result<TransferReport, Error> {
        let query = TransferStatusQuery::new(shop_payment_id.clone());
        let prepared = query.prepare(&self.config, self.clock.now())?;
        let response = self.send(&prepared).await?;
        query.parse_response(&prepared, &response)
    }

    /// Finds out whether a transfer whose creation failed in transport was made.
    ///
    /// # Errors
    ///
    /// What Feennex or the transport said, other than "not found".
    pub async fn resolve_transfer(
        &self,
        shop_payment_id: &OrderId,
    ) -> Result<PayoutOutcome<TransferReport>, Error> {
        not_found_as_not_created(self.transfer_status(shop_payment_id).await)
    }

    /// `withdraw/try`: what a payout would cost. A read, retried on failure.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent; otherwise what Feennex or the transport said.
    pub async fn price_withdraw(&self, request: &WithdrawCreate) -> Result<WithdrawQuote, Error> {
        let prepared = request.prepare_try(&self.config)?;
        let response = self.send_read(prepared).await?;
        request.parse_try_response(&response.0, &response.1)
    }

    /// `check_account`: whether the payway can pay the account.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent; otherwise what Feennex or the transport said.
    pub async fn check_account(&self, request: &WithdrawCreate) -> Result<AccountCheck, Error> {
        let prepared = request.prepare_check_account(&self.config)?;
        let response = self.send(&prepared).await?;
        request.parse_check_account_response(&prepared, &response)
    }

    /// `withdraw/create`: a payout. Never retried: on an error for which
    /// [`GatewayError::outcome_unknown`](crate::GatewayError::outcome_unknown) is true, call [`Client::resolve_withdraw`].
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent; otherwise what Feennex or the transport said.
    pub async fn create_withdraw(&self, request: &WithdrawCreate) -> Result<Withdraw, Error> {
        let prepared = request.prepare(&self.config)?;
        let response = self.send(&prepared).await?;
        request.parse_response(&prepared, &response)
    }

    /// `withdraw/status` or `withdraw/shop_payment_status`. Feennex sends no callback for
    /// payouts; poll this until the status is final.
    ///
    /// # Errors
    ///
    /// What Feennex or the transport said.
    pub async fn withdraw_status(
        &self,
        query: &WithdrawStatusQuery,
    ) -> Result<WithdrawReport, Error> {
        let prepared = query.prepare(&self.config, self.clock.now())?;
        let response = self.send(&prepared).await?;
        query.parse_response(&prepared, &response)
    }

    /// Finds out whether a payout whose creation failed in transport was made.
    ///
    /// # Errors
    ///
    /// What Feennex or the transport said, other than "not found".
    pub async fn resolve_withdraw(
        &self,
        shop_payment_id: &OrderId,
    ) -> Result<PayoutOutcome<WithdrawReport>, Error> {
        let query = WithdrawStatusQuery::by_shop_payment_id(shop_payment_id.clone());
        not_found_as_not_created(self.withdraw_status(&query).await)
    }

    /// `shop_balance`: the balance per currency.
    ///
    /// # Errors
    ///
    /// What Feennex or the transport said.
    pub async fn balance(&self) -> Result<ShopBalance, Error> {
        let prepared = ShopBalanceQuery.prepare(&self.config, self.clock.now())?;
        let response = self.send(&prepared).await?;
        ShopBalanceQuery.parse_response(&prepared, &response)
    }

    /// The callback verifier for this client's shop.
    pub(crate) fn callbacks(&self) -> &CallbackVerifier {
        &self.callbacks
    }

    /// Verifies a callback (see [`CallbackVerifier::verify_request`]).
    ///
    /// # Errors
    ///
    /// [`Error::Webhook`].
    pub fn verify_request(
        &self,
        request: &WebhookRequest,
    ) -> Result<crate::webhook::Callback, Error> {
        self.callbacks.verify_request(request)
    }

    /// The old name of [`Client::verify_request`].
    ///
    /// # Errors
    ///
    /// As [`Client::verify_request`].
    #[deprecated(note = "renamed to `Client::verify_request`, the one verb for webhooks")]
    pub fn verify_callback(
        &self,
        request: &WebhookRequest,
    ) -> Result<crate::webhook::Callback, Error> {
        self.verify_request(request)
    }

    /// Sends a `*/try` price request, which creates nothing and may be retried.
    async fn send_read(&self, prepared: Prepared) -> Result<(Prepared, HttpResponse), Error> {
        let prepared = prepared.repeatable();
        let response = self.send(&prepared).await?;
        Ok((prepared, response))
    }
}

fn not_found_as_not_created<T>(result: Result<T, Error>) -> Result<PayoutOutcome<T>, Error> {
    match result {
        Ok(report) => Ok(PayoutOutcome::Created(report)),
        Err(Error::Api { code: ErrorCode::OperationNotFound, .. }) => Ok(PayoutOutcome::NotCreated),
        Err(other) => Err(other),
    }
}
