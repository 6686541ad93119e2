//! The shop's balances.

use std::time::SystemTime;

use payments_core::Decimal;
use payments_core::money::currency_from_numeric;
use payments_core::report::Balance;
use payments_core::transport::HttpResponse;
use serde::Deserialize;

use crate::config::Config;
use crate::error::Error;
use crate::request::{Prepared, SignedRequest, now_text};
use crate::response::{self, check_echo};

/// `shop_balance`: the balance per currency. Signed fields: `now`, `shop_id`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShopBalanceQuery;

impl ShopBalanceQuery {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "shop_balance";

    /// Signs the query.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use feennex::{Config, api::shop::ShopBalanceQuery};
    ///
    /// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_714_582_585);
    /// let prepared = ShopBalanceQuery.prepare(&Config::new(5, "SecretKey01"), now)?;
    /// assert_eq!(prepared.string_to_sign(), "2024-05-01 16:56:25.000000:5");
    /// # Ok::<(), feennex::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Input`] if the request cannot be built.
    pub fn prepare(&self, config: &Config, now: SystemTime) -> Result<Prepared, Error> {
        SignedRequest::new(Self::ENDPOINT, true)
            .signed("now", now_text(now))
            .signed("shop_id", config.shop_id())
            .build(config)
    }

    /// Reads the response and checks it is our shop.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`], and [`Error::Call`] with [`CallError::Integrity`](payments_core::response::CallError::Integrity).
    pub fn parse_response(
        &self,
        prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<ShopBalance, Error> {
        let balance: ShopBalance =
            response::parse(Self::ENDPOINT, response, prepared.string_to_sign())?;
        check_echo(Self::ENDPOINT, "shop_id", prepared.shop_id(), balance.shop_id)?;
        Ok(balance)
    }
}

/// The shop's balances.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ShopBalance {
    /// The shop id.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub shop_id: u64,
    /// One entry per currency.
    pub balances: Vec<BalanceEntry>,
}

/// The balance in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BalanceEntry {
    /// The currency (ISO 4217 numeric).
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub currency: u64,
    /// What can be paid out now (the rolling reserve excluded).
    #[serde(deserialize_with = "payments_core::wire::amount")]
    pub available: Decimal,
    /// Payouts in progress.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub frozen: Option<Decimal>,
    /// Payments under verification.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub hold: Option<Decimal>,
    /// The rolling reserve.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub rolling_reserve: Option<Decimal>,
}

impl ShopBalance {
    /// The balances as provider-agnostic values (`held` is frozen + hold + rolling reserve).
    /// Currencies that are not ISO 4217 codes are skipped.
    pub fn to_core(&self) -> Vec<Balance> {
        self.balances
            .iter()
            .filter_map(|entry| {
                let currency = currency_from_numeric(u16::try_from(entry.currency).ok()?).ok()?;
                let held = [entry.frozen, entry.hold, entry.rolling_reserve]
                    .into_iter()
                    .flatten()
                    .try_fold(Decimal::ZERO, Decimal::checked_add)?;
                Some(Balance::new(currency, entry.available, held))
            })
            .collect()
    }
}
