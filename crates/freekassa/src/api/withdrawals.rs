//! Payouts: list (`withdrawals`), create (`withdrawals/create`) and the payout methods
//! (`withdrawals/currencies`).

use std::fmt;

use payments_core::payment::{OrderId, validate_text};
use payments_core::transport::HttpResponse;
use payments_core::{Decimal, Money};
use serde::Deserialize;

use super::ListFilter;
use crate::amount::amount_text;
use crate::config::Config;
use crate::error::Error;
use crate::model::{OrderStatus, PaymentSystemId};
use crate::request::{ApiRequest, FieldValue, Prepared};
use crate::response;
use payments_core::mask::mask_all_but_last_four as mask;

/// `withdrawals`: the shop's payouts, filtered like orders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WithdrawalList {
    /// The filters.
    pub filter: ListFilter,
}

impl WithdrawalList {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "withdrawals";

    /// All payouts (first page).
    pub fn new() -> Self {
        Self::default()
    }

    /// The payout the shop created under `payment_id`.
    pub fn by_payment_id(payment_id: OrderId) -> Self {
        let mut list = Self::new();
        list.filter.payment_id = Some(payment_id);
        list
    }

    /// Filters by status code.
    #[must_use]
    pub fn with_status(mut self, status: OrderStatus) -> Self {
        self.filter.status = Some(status);
        self
    }

    /// Asks for a page.
    #[must_use]
    pub fn with_page(mut self, page: u64) -> Self {
        self.filter.page = Some(page);
        self
    }

    /// Signs the request.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for a date in another format or a missing API key.
    pub fn prepare(&self, config: &Config, nonce: u64) -> Result<Prepared, Error> {
        self.filter.validate()?;
        self.filter.apply(ApiRequest::new(Self::ENDPOINT, true)).build(config, nonce)
    }

    /// Reads the response.
    ///
    /// `prepared` is the request this answers. Freekassa's answers echo nothing of the request, so
    /// it is not read; it is taken so that every gateway's `parse_response` has the same arguments.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`].
    pub fn parse_response(
        &self,
        _prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<WithdrawalPage, Error> {
        response::parse(Self::ENDPOINT, response)
    }
}

/// A page of payouts. Freekassa names the list `orders` here too.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct WithdrawalPage {
    /// How many pages there are.
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub pages: Option<u64>,
    /// The payouts on this page.
    #[serde(default, rename = "orders")]
    pub withdrawals: Vec<Withdrawal>,
}

/// A payout as `withdrawals` lists it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Withdrawal {
    /// Freekassa's payout id.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub id: u64,
    /// The amount.
    #[serde(deserialize_with = "payments_core::wire::amount")]
    pub amount: Decimal,
    /// The currency code.
    #[serde(deserialize_with = "payments_core::wire::text")]
    pub currency: String,
    /// The payment system paid through.
    #[serde(default)]
    pub ext_currency_id: Option<PaymentSystemId>,
    /// The destination wallet or card.
    #[serde(default, deserialize_with = "payments_core::wire::optional_text")]
    pub account: Option<String>,
    /// When it was made.
    #[serde(default, deserialize_with = "payments_core::wire::optional_text")]
    pub date: Option<String>,
    /// The status code. Payout statuses are not documented, so the number is kept as is.
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub status: Option<u64>,
}

impl fmt::Debug for Withdrawal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Withdrawal")
            .field("id", &self.id)
            .field("amount", &self.amount)
            .field("currency", &self.currency)
            .field("ext_currency_id", &self.ext_currency_id)
            .field("account", &self.account.as_deref().map(mask))
            .field("date", &self.date)
            .field("status", &self.status)
            .finish()
    }
}

/// The longest destination account accepted, in characters.
pub const MAX_ACCOUNT_CHARS: usize = 255;

/// `withdrawals/create`: pays out to a wallet or card. Never re-sent automatically: after a
/// lost answer, look it up with [`WithdrawalList::by_payment_id`].
///
/// ```
/// use freekassa::{api::withdrawals::WithdrawalCreate, Config, PaymentSystemId};
/// use payments_core::{payment::OrderId, Currency, Money};
///
/// let config = Config::new(777).with_api_key("k");
/// let prepared = WithdrawalCreate::new(
///     OrderId::new("payout-1")?,
///     Money::parse("1500.00", Currency::RUB)?,
///     PaymentSystemId::VISA_RUB,
///     "5500000000000004",
/// )
/// .prepare(&config, 9)?;
/// assert_eq!(prepared.string_to_sign(), "5500000000000004|1500|RUB|4|9|payout-1|777");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WithdrawalCreate {
    /// The shop's payout id (`paymentId`), required to find the payout again.
    pub payment_id: OrderId,
    /// How much (`amount`, `currency`).
    pub money: Money,
    /// The payment system (`i`).
    pub payment_system: PaymentSystemId,
    /// The destination wallet or card (`account`).
    pub account: String,
}

impl WithdrawalCreate {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "withdrawals/create";

    /// A payout of `money` to `account` through `payment_system`.
    pub fn new(
        payment_id: OrderId,
        money: Money,
        payment_system: PaymentSystemId,
        account: impl Into<String>,
    ) -> Self {
        Self { payment_id, money, payment_system, account: account.into() }
    }

    /// Validates and signs the request.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for an empty or over-long account, an amount with too many digits, or
    /// a missing API key.
    pub fn prepare(&self, config: &Config, nonce: u64) -> Result<Prepared, Error> {
        validate_text("account", &self.account, MAX_ACCOUNT_CHARS)?;
        let amount = amount_text(&self.money)?;
        ApiRequest::new(Self::ENDPOINT, false)
            .field("paymentId", self.payment_id.as_str())
            .field("i", self.payment_system.get())
            .field("account", self.account.as_str())
            .field("amount", FieldValue::Amount(amount.as_str().into()))
            .field("currency", self.money.currency().code())
            .build(config, nonce)
    }

    /// Reads the response (`{"type": "success", "data": {"id": 185}}`).
    ///
    /// `prepared` is the request this answers. Freekassa's answers echo nothing of the request, so
    /// it is not read; it is taken so that every gateway's `parse_response` has the same arguments.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`].
    pub fn parse_response(
        &self,
        _prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<WithdrawalCreated, Error> {
        #[derive(Deserialize)]
        struct Envelope {
            data: WithdrawalCreated,
        }
        response::parse::<Envelope>(Self::ENDPOINT, response).map(|envelope| envelope.data)
    }
}

impl fmt::Debug for WithdrawalCreate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithdrawalCreate")
            .field("payment_id", &self.payment_id)
            .field("money", &self.money)
            .field("payment_system", &self.payment_system)
            .field("account", &mask(&self.account))
            .finish()
    }
}

/// A created payout.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct WithdrawalCreated {
    /// Freekassa's payout id.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub id: u64,
}

/// `withdrawals/currencies`: the payment systems payouts can go through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WithdrawalCurrencies;

impl WithdrawalCurrencies {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "withdrawals/currencies";

    /// Signs the request.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for a missing API key.
    pub fn prepare(&self, config: &Config, nonce: u64) -> Result<Prepared, Error> {
        ApiRequest::new(Self::ENDPOINT, true).build(config, nonce)
    }

    /// Reads the response.
    ///
    /// `prepared` is the request this answers. Freekassa's answers echo nothing of the request, so
    /// it is not read; it is taken so that every gateway's `parse_response` has the same arguments.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`].
    pub fn parse_response(
        &self,
        _prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<Vec<PayoutMethod>, Error> {
        #[derive(Deserialize)]
        struct Envelope {
            #[serde(default)]
            currencies: Vec<PayoutMethod>,
        }
        response::parse::<Envelope>(Self::ENDPOINT, response).map(|envelope| envelope.currencies)
    }
}

/// A payment system payouts can go through.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PayoutMethod {
    /// The payment-system id (`i`).
    pub id: PaymentSystemId,
    /// Its name.
    #[serde(default, deserialize_with = "payments_core::wire::optional_text")]
    pub name: Option<String>,
    /// The smallest payout.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub min: Option<Decimal>,
    /// The largest payout.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub max: Option<Decimal>,
    /// The currency code.
    #[serde(default, deserialize_with = "payments_core::wire::optional_text")]
    pub currency: Option<String>,
    /// Whether the balance can be exchanged into this currency.
    #[serde(default, deserialize_with = "crate::response::optional_flag")]
    pub can_exchange: Option<bool>,
}
