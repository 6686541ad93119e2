//! The Feennex HTTP client: sends prepared requests, nothing else.

use std::sync::Arc;

use async_trait::async_trait;
use payments_core::GatewayId;
use payments_core::gateway::{CreatePayment, Gateway};
use payments_core::payment::{PaymentLink, PaymentRequest};
use payments_core::transport::{self, ReqwestTransport, RetryPolicy, Transport, TransportConfig};

use crate::api::bill::{Bill, BillCreate};
use crate::config::Config;
use crate::error::Error;
use crate::request::Prepared;

/// A Feennex API client.
///
/// Cloning is cheap and shares the connection pool.
///
/// ```no_run
/// use feennex::{Client, Config, api::bill::BillCreate};
/// use payments_core::{payment::OrderId, Currency, Money};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::new(Config::new(5, "SecretKey01"))?;
/// let bill = client
///     .create_bill(&BillCreate::new(OrderId::new("order-1")?, Money::parse("23.15", Currency::RUB)?))
///     .await?;
/// println!("send the payer to {}", bill.url);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    config: Config,
    transport: Arc<dyn Transport>,
    retry: RetryPolicy,
}

impl Client {
    /// A client with the default reqwest transport and retry policy.
    ///
    /// # Errors
    ///
    /// [`Error::Transport`] if the HTTP client cannot be built.
    pub fn new(config: Config) -> Result<Self, Error> {
        let transport = ReqwestTransport::new(&TransportConfig::default())
            .map_err(|source| Error::Transport { endpoint: "client", source })?;
        Ok(Self::with_transport(config, Arc::new(transport)))
    }

    /// A client over any transport (a test double, a custom reqwest client).
    pub fn with_transport(config: Config, transport: Arc<dyn Transport>) -> Self {
        Self { config, transport, retry: RetryPolicy::standard() }
    }

    /// Replaces the retry policy (it only ever applies to reads).
    #[must_use]
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `bill/create`: creates a wallet bill. Not retried: after a transport error, look the
    /// order up by its id before creating it again.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent; otherwise what Feennex or the transport said.
    pub async fn create_bill(&self, request: &BillCreate) -> Result<Bill, Error> {
        let prepared = request.prepare(&self.config)?;
        let response = self.send(&prepared).await?;
        request.parse_response(&self.config, &prepared, &response)
    }

    async fn send(
        &self,
        prepared: &Prepared,
    ) -> Result<payments_core::transport::HttpResponse, Error> {
        transport::execute(self.transport.as_ref(), prepared.request(), &self.retry)
            .await
            .map_err(|source| Error::Transport { endpoint: prepared.endpoint(), source })
    }
}

impl Gateway for Client {
    fn id(&self) -> GatewayId {
        GatewayId::Feennex
    }
}

#[async_trait]
impl CreatePayment for Client {
    /// Creates a wallet bill (`bill/create`) and returns its payment page.
    async fn create_payment(
        &self,
        request: &PaymentRequest,
    ) -> Result<PaymentLink, payments_core::Error> {
        let mut bill = BillCreate::new(request.order_id.clone(), request.money)
            .with_return_urls(request.success_url.clone(), request.failure_url.clone())
            .with_callback_urls(request.notification_url.clone(), request.notification_url.clone());
        bill.description = request.description.clone();
        let bill = self.create_bill(&bill).await?;
        Ok(PaymentLink::Redirect(bill.url))
    }
}
