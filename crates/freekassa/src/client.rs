//! The Freekassa API client: draws a nonce, sends prepared requests, nothing else. The core
//! capability traits it implements are in `capabilities.rs`.
//!
//! The client is not a [`payments_core::gateway::WebhookVerifier`]: notifications are
//! verified with secret word 2, which an API client does not need, so the verifier is its own
//! type, [`NotificationVerifier`](crate::webhook::NotificationVerifier), that cannot be built
//! without it.

use std::sync::Arc;

use payments_core::payment::OrderId;
use payments_core::response::CallError;
use payments_core::transport::{Caller, ClientOptions, HttpRequest, HttpResponse};

use crate::api::orders::{
    Order, OrderCreate, OrderCreated, OrderList, OrderPage, OrderRefund, Refund,
};
use crate::api::shop::{
    Availability, BalanceEntry, BalanceRequest, CurrenciesRequest, CurrencyStatus, PaymentSystem,
    Shop, ShopsRequest,
};
use crate::api::withdrawals::{
    PayoutMethod, Withdrawal, WithdrawalCreate, WithdrawalCreated, WithdrawalCurrencies,
    WithdrawalList, WithdrawalPage,
};
use crate::config::Config;
use crate::error::Error;
use crate::form::{FormLink, PaymentForm};
use crate::model::PaymentSystemId;
use crate::nonce::{NonceSource, ProcessNonce};
use crate::request::Prepared;

/// How many times one call is signed again and re-sent after Freekassa refused its nonce
/// (see [`Error::is_nonce_refusal`]).
pub const MAX_NONCE_RESENDS: u32 = 10;

/// A Freekassa API v1 client.
///
/// Cloning is cheap and shares the connection pool and the nonce source. Reads are retried
/// by the retry policy, each attempt signed again with a fresh nonce; `orders/create`,
/// `orders/refund` and `withdrawals/create` are sent once, except after a refusal of their
/// nonce, which proves they were not carried out (see [`MAX_NONCE_RESENDS`]).
///
/// Freekassa refuses a nonce at or below the last one it accepted, so requests must arrive
/// in the order of their nonces. Requests sent side by side overtake each other on the
/// way, so a client (and its clones) sends one request at a time: each draws its nonce
/// when its turn comes and holds the turn until its answer is in (not during a retry's
/// wait). Several instances signing for one shop still race each other; a request that
/// loses is refused for its nonce and signed again (see [`MAX_NONCE_RESENDS`]).
///
/// ```no_run
/// use freekassa::{api::orders::OrderCreate, Client, Config, GatewayError, PaymentSystemId};
/// use payments_core::{payment::OrderId, Currency, Money};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::new(Config::new(777).with_api_key("api-key"))?;
/// let payment_id = OrderId::new("order-42")?;
/// let order = OrderCreate::new(
///     payment_id.clone(),
///     Money::parse("100.50", Currency::RUB)?,
///     PaymentSystemId::SBP_API,
///     "user@example.com",
///     "203.0.113.10",
/// );
/// match client.create_order(&order).await {
///     Ok(created) => println!("send the payer to {}", created.location),
///     // The answer was lost: the order may exist. Look it up instead of creating it again.
///     Err(error) if error.outcome_unknown() => {
///         let found = client.find_order(&payment_id).await?;
///         println!("order {} is {}", found.fk_order_id, found.status);
///     }
///     Err(error) => return Err(error.into()),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    config: Config,
    caller: Caller,
    nonces: Arc<dyn NonceSource>,
    /// One request at a time, from nonce to answer (see [`Client`]).
    lane: Arc<tokio::sync::Mutex<()>>,
}

/// A prepared request with this client's send lane, held until its answer is in.
struct InLane {
    prepared: Prepared,
    _lane: tokio::sync::OwnedMutexGuard<()>,
}

impl AsRef<HttpRequest> for InLane {
    fn as_ref(&self) -> &HttpRequest {
        self.prepared.request()
    }
}

impl Client {
    /// A client with the default reqwest transport, retry policy and nonce source.
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
        let lane = Arc::new(tokio::sync::Mutex::new(()));
        Ok(Self { config, caller, nonces: Arc::new(ProcessNonce), lane })
    }

    /// Replaces the nonce source: a counter shared by every instance signing for the shop
    /// (see [`crate::nonce`]).
    #[must_use]
    pub fn with_nonce_source(mut self, nonces: Arc<dyn NonceSource>) -> Self {
        self.nonces = nonces;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Builds a payment form link (no request is sent).
    ///
    /// # Errors
    ///
    /// As [`PaymentForm::prepare`].
    pub fn payment_form(&self, form: &PaymentForm) -> Result<FormLink, Error> {
        form.prepare(&self.config)
    }

    /// `orders`: a page of orders.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent; otherwise what Freekassa or the transport
    /// said.
    pub async fn orders(&self, request: &OrderList) -> Result<OrderPage, Error> {
        self.call(|nonce| request.prepare(&self.config, nonce), |p, r| request.parse_response(p, r))
            .await
    }

    /// The order created under the shop's `payment_id`: what to call when `orders/create`
    /// failed with an unknown outcome ([`GatewayError::outcome_unknown`](crate::GatewayError::outcome_unknown)).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is none, and the errors of [`Client::orders`].
    pub async fn find_order(&self, payment_id: &OrderId) -> Result<Order, Error> {
        let page = self.orders(&OrderList::by_payment_id(payment_id.clone())).await?;
        page.orders
            .into_iter()
            .find(|order| order.merchant_order_id.as_deref() == Some(payment_id.as_str()))
            .ok_or_else(|| Error::NotFound {
                endpoint: OrderList::ENDPOINT,
                payment_id: payment_id.to_string(),
            })
    }

    /// `orders/create`: creates an order. Sent once, never retried: after an error whose
    /// outcome is unknown, call [`Client::find_order`] with the same `paymentId`.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] before anything is sent; otherwise what Freekassa or the transport
    /// said.
    pub async fn create_order(&self, request: &OrderCreate) -> Result<OrderCreated, Error> {
        self.call(|nonce| request.prepare(&self.config, nonce), |p, r| request.parse_response(p, r))
            .await
    }

    /// `orders/refund`: refunds an order. Sent once.
    ///
    /// # Errors
    ///
    /// As [`Client::create_order`].
    pub async fn refund_order(&self, request: &OrderRefund) -> Result<Refund, Error> {
        self.call(|nonce| request.prepare(&self.config, nonce), |p, r| request.parse_response(p, r))
            .await
    }

    /// `withdrawals`: a page of payouts.
    ///
    /// # Errors
    ///
    /// As [`Client::orders`].
    pub async fn withdrawals(&self, request: &WithdrawalList) -> Result<WithdrawalPage, Error> {
        self.call(|nonce| request.prepare(&self.config, nonce), |p, r| request.parse_response(p, r))
            .await
    }

    /// The payout created under the shop's `payment_id`. Freekassa does not echo the
    /// `paymentId` in the list, so exactly one match is required.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is none, [`Error::Call`] with
    /// [`CallError::Integrity`] when there are several,
    /// and the errors of [`Client::withdrawals`].
    pub async fn find_withdrawal(&self, payment_id: &OrderId) -> Result<Withdrawal, Error> {
        let page = self.withdrawals(&WithdrawalList::by_payment_id(payment_id.clone())).await?;
        let count = page.withdrawals.len();
        let mut found = page.withdrawals.into_iter();
        match (found.next(), count) {
            (Some(withdrawal), 1) => Ok(withdrawal),
            (None, _) => Err(Error::NotFound {
                endpoint: WithdrawalList::ENDPOINT,
                payment_id: payment_id.to_string(),
            }),
            (Some(_), _) => Err(Error::Call {
                endpoint: WithdrawalList::ENDPOINT,
                source: CallError::integrity("orders", "one payout", format!("{count} payouts")),
            }),
        }
    }

    /// `withdrawals/create`: creates a payout. Sent once, never retried: after an error whose
    /// outcome is unknown, call [`Client::find_withdrawal`].
    ///
    /// # Errors
    ///
    /// As [`Client::create_order`].
    pub async fn create_withdrawal(
        &self,
        request: &WithdrawalCreate,
    ) -> Result<WithdrawalCreated, Error> {
        self.call(|nonce| request.prepare(&self.config, nonce), |p, r| request.parse_response(p, r))
            .await
    }

    /// `withdrawals/currencies`: the payout methods.
    ///
    /// # Errors
    ///
    /// As [`Client::orders`].
    pub async fn withdrawal_currencies(&self) -> Result<Vec<PayoutMethod>, Error> {
        let request = WithdrawalCurrencies;
        self.call(|nonce| request.prepare(&self.config, nonce), |p, r| request.parse_response(p, r))
            .await
    }

    /// `balance`: the balance per currency.
    ///
    /// # Errors
    ///
    /// As [`Client::orders`].
    pub async fn balance(&self) -> Result<Vec<BalanceEntry>, Error> {
        let request = BalanceRequest;
        self.call(|nonce| request.prepare(&self.config, nonce), |p, r| request.parse_response(p, r))
            .await
    }

    /// `currencies`: the payment systems available to the shop.
    ///
    /// # Errors
    ///
    /// As [`Client::orders`].
    pub async fn currencies(&self) -> Result<Vec<PaymentSystem>, Error> {
        let request = CurrenciesRequest;
        self.call(|nonce| request.prepare(&self.config, nonce), |p, r| request.parse_response(p, r))
            .await
    }

    /// `currencies/{id}/status`: whether a payment system is available now.
    ///
    /// # Errors
    ///
    /// As [`Client::orders`].
    pub async fn currency_status(&self, id: PaymentSystemId) -> Result<Availability, Error> {
        let request = CurrencyStatus::new(id);
        self.call(|nonce| request.prepare(&self.config, nonce), |p, r| request.parse_response(p, r))
            .await
    }

    /// `shops`: the merchant's shops.
    ///
    /// # Errors
    ///
    /// As [`Client::orders`].
    pub async fn shops(&self) -> Result<Vec<Shop>, Error> {
        let request = ShopsRequest;
        self.call(|nonce| request.prepare(&self.config, nonce), |p, r| request.parse_response(p, r))
            .await
    }

    /// Draws a nonce, signs, sends; for requests safe to repeat, retries as the policy says,
    /// each time with a fresh nonce (a nonce Freekassa has seen is refused): core's one retry
    /// loop, with the nonce drawn in its per-attempt hook.
    ///
    /// A request Freekassa refused for its nonce ([`Error::is_nonce_refusal`]) was not carried
    /// out, so it is signed again with a fresh nonce and re-sent, creations included, at most
    /// [`MAX_NONCE_RESENDS`] times: with several instances signing for one shop, requests
    /// leave in one order and may arrive in another.
    async fn call<T>(
        &self,
        prepare: impl Fn(u64) -> Result<Prepared, Error>,
        parse: impl Fn(&Prepared, &HttpResponse) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let prepare = &prepare;
        let mut resends = 0;
        loop {
            let (laned, result) = self
                .caller
                .send_prepared(|| async move {
                    // The nonce is drawn inside the lane, so this client's requests reach
                    // Freekassa in the order of their nonces.
                    let lane = self.lane.clone().lock_owned().await;
                    let prepared = prepare(self.nonces.next_nonce().await?)?;
                    Ok::<_, Error>(InLane { prepared, _lane: lane })
                })
                .await?;
            let prepared = laned.prepared;
            let response = result.map_err(|source| Error::Call {
                endpoint: prepared.endpoint(),
                source: source.into(),
            })?;
            match parse(&prepared, &response) {
                // Each send is a `gateway_call` span of its own, so a re-send shows in traces.
                Err(error) if error.is_nonce_refusal() && resends < MAX_NONCE_RESENDS => {
                    resends += 1;
                }
                other => return other,
            }
        }
    }
}
