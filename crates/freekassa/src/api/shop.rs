//! The shop: balance (`balance`), payment systems (`currencies`, `currencies/{id}/status`)
//! and the merchant's shops (`shops`).

use payments_core::Decimal;
use payments_core::transport::HttpResponse;
use serde::Deserialize;

use crate::config::Config;
use crate::error::Error;
use crate::model::PaymentSystemId;
use crate::request::{ApiRequest, Prepared};
use crate::response;

/// `balance`: the shop's balance per currency.
///
/// ```
/// use freekassa::{api::shop::BalanceRequest, Config};
///
/// let config = Config::new(777).with_api_key("test_api_key");
/// let prepared = BalanceRequest.prepare(&config, 1_700_000_000_000)?;
/// assert_eq!(
///     prepared.body_json().unwrap()["signature"],
///     "4278476416e6bf7145d653a75e61e516c3eb466e675dc84cdea44b9c6b1567d1"
/// );
/// # Ok::<(), freekassa::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BalanceRequest;

impl BalanceRequest {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "balance";

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
    ) -> Result<Vec<BalanceEntry>, Error> {
        #[derive(Deserialize)]
        struct Envelope {
            #[serde(default)]
            balance: Vec<BalanceEntry>,
        }
        response::parse::<Envelope>(Self::ENDPOINT, response).map(|envelope| envelope.balance)
    }
}

/// The balance in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BalanceEntry {
    /// The currency code (`RUB`; can be a crypto code).
    #[serde(deserialize_with = "payments_core::wire::text")]
    pub currency: String,
    /// The amount.
    #[serde(deserialize_with = "payments_core::wire::amount")]
    pub value: Decimal,
}

/// `currencies`: the payment systems available to the shop (the authoritative list of `i`
/// values for this shop).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CurrenciesRequest;

impl CurrenciesRequest {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "currencies";

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
    ) -> Result<Vec<PaymentSystem>, Error> {
        #[derive(Deserialize)]
        struct Envelope {
            #[serde(default)]
            currencies: Vec<PaymentSystem>,
        }
        response::parse::<Envelope>(Self::ENDPOINT, response).map(|envelope| envelope.currencies)
    }
}

/// A payment system available to the shop.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PaymentSystem {
    /// The id (`i`).
    pub id: PaymentSystemId,
    /// Its name.
    #[serde(default, deserialize_with = "payments_core::wire::optional_text")]
    pub name: Option<String>,
    /// The currency code it pays in.
    #[serde(default, deserialize_with = "payments_core::wire::optional_text")]
    pub currency: Option<String>,
    /// Whether it is enabled for the shop.
    #[serde(default, deserialize_with = "crate::response::optional_flag")]
    pub is_enabled: Option<bool>,
    /// Whether the shop marked it as a favourite.
    #[serde(default, deserialize_with = "crate::response::optional_flag")]
    pub is_favorite: Option<bool>,
}

/// `currencies/{id}/status`: whether a payment system can take a payment now. The id is in
/// the path and not signed.
///
/// ```
/// use freekassa::{api::shop::CurrencyStatus, Config, PaymentSystemId};
///
/// let config = Config::new(777).with_api_key("k");
/// let prepared = CurrencyStatus::new(PaymentSystemId::SBP_API).prepare(&config, 3)?;
/// assert_eq!(prepared.request().url.as_str(), "https://api.fk.life/v1/currencies/44/status");
/// assert_eq!(prepared.string_to_sign(), "3|777");
/// # Ok::<(), freekassa::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CurrencyStatus {
    /// The payment system.
    pub payment_system: PaymentSystemId,
}

/// Whether a payment system is available.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Availability {
    /// It can take payments.
    Available,
    /// It cannot, with Freekassa's message.
    Unavailable(String),
}

impl CurrencyStatus {
    /// The endpoint (the path template).
    pub const ENDPOINT: &'static str = "currencies/{id}/status";

    /// The status of `payment_system`.
    pub fn new(payment_system: PaymentSystemId) -> Self {
        Self { payment_system }
    }

    /// Signs the request.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for a missing API key.
    pub fn prepare(&self, config: &Config, nonce: u64) -> Result<Prepared, Error> {
        ApiRequest::new(Self::ENDPOINT, true)
            .with_path(format!("currencies/{}/status", self.payment_system))
            .build(config, nonce)
    }

    /// Reads the response: the documented answer is `success` or an error with HTTP 200, and
    /// the latter means "unavailable". Errors with HTTP 400 or 401 stay errors.
    ///
    /// `prepared` is the request this answers. Freekassa's answers echo nothing of the request, so
    /// it is not read; it is taken so that every gateway's `parse_response` has the same arguments.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`], except an HTTP 200 error.
    pub fn parse_response(
        &self,
        _prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<Availability, Error> {
        match response::parse::<serde::de::IgnoredAny>(Self::ENDPOINT, response) {
            Ok(_) => Ok(Availability::Available),
            Err(Error::Api { message, http_status: 200, .. }) => {
                Ok(Availability::Unavailable(message))
            }
            Err(error) => Err(error),
        }
    }
}

/// `shops`: the merchant's shops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShopsRequest;

impl ShopsRequest {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "shops";

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
    ) -> Result<Vec<Shop>, Error> {
        #[derive(Deserialize)]
        struct Envelope {
            #[serde(default)]
            shops: Vec<Shop>,
        }
        response::parse::<Envelope>(Self::ENDPOINT, response).map(|envelope| envelope.shops)
    }
}

/// One of the merchant's shops.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Shop {
    /// The shop id.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub id: u64,
    /// Its name.
    #[serde(default, deserialize_with = "payments_core::wire::optional_text")]
    pub name: Option<String>,
    /// Its site.
    #[serde(default, deserialize_with = "payments_core::wire::optional_text")]
    pub url: Option<String>,
}
