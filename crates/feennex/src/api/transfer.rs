//! Payouts to Feennex wallets ("transfers"). Transfers are synchronous: a returned `id` means
//! the money moved.

use std::collections::BTreeMap;
use std::time::SystemTime;

use payments_core::payment::{OrderId, validate_text};
use payments_core::transport::HttpResponse;
use payments_core::{Currency, Decimal, InputError, Money};
use serde::Deserialize;
use serde_json::Value;

use crate::amount::amount_text;
use crate::api::MAX_TEXT_CHARS;
use crate::config::Config;
use crate::error::Error;
use crate::request::{Prepared, SignedRequest, status_query};
use crate::response::{self, check_echo};

/// Which side of a transfer the amount is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferAmountType {
    /// The amount the wallet receives (in the payee currency).
    ReceiveAmount,
    /// The amount taken from the shop balance (in the shop currency).
    WriteoffAmount,
}

impl TransferAmountType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReceiveAmount => "receive_amount",
            Self::WriteoffAmount => "writeoff_amount",
        }
    }
}

/// A transfer to a Feennex wallet. `transfer/try` prices it, `transfer/create` makes it.
///
/// Signed fields of `transfer/create`: `amount`, `amount_type`, `payee_account`,
/// `payee_currency`, `shop_currency`, `shop_id`, `shop_payment_id`. `transfer/try` signs the
/// same without `payee_account` and `shop_payment_id`.
///
/// ```
/// use feennex::{Config, api::transfer::TransferCreate};
/// use payments_core::{payment::OrderId, Currency, Money};
///
/// let transfer = TransferCreate::receive(
///     OrderId::new("t-42")?,
///     "201494711279",
///     Money::parse("1.11", Currency::USD)?,
///     Currency::USD,
/// );
/// let prepared = transfer.prepare(&Config::new(5, "SecretKey01"))?;
/// assert_eq!(prepared.string_to_sign(), "1.11:receive_amount:201494711279:840:840:5:t-42");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransferCreate {
    /// The shop's unique id for this payout; Feennex refuses a second one with it.
    pub shop_payment_id: OrderId,
    /// The wallet number or e-mail of the payee.
    pub payee_account: String,
    /// The amount, in the currency its side of the transfer uses.
    pub amount: Money,
    /// Which side the amount is.
    pub amount_type: TransferAmountType,
    /// The shop's balance currency.
    pub shop_currency: Currency,
    /// The payee wallet's currency.
    pub payee_currency: Currency,
    /// A note for the transfer.
    pub description: Option<String>,
}

impl std::fmt::Debug for TransferCreate {
    // The payee's wallet number is masked.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransferCreate")
            .field("shop_payment_id", &self.shop_payment_id)
            .field("payee_account", &payments_core::mask::mask_numbers(&self.payee_account))
            .field("amount", &self.amount)
            .field("amount_type", &self.amount_type)
            .field("shop_currency", &self.shop_currency)
            .field("payee_currency", &self.payee_currency)
            .field("description", &self.description)
            .finish()
    }
}

impl TransferCreate {
    /// The endpoint that makes the transfer.
    pub const ENDPOINT: &'static str = "transfer/create";
    /// The endpoint that prices it.
    pub const TRY_ENDPOINT: &'static str = "transfer/try";

    /// The payee receives exactly `amount`; the shop pays from its `shop_currency` balance.
    pub fn receive(
        shop_payment_id: OrderId,
        payee_account: impl Into<String>,
        amount: Money,
        shop_currency: Currency,
    ) -> Self {
        Self {
            shop_payment_id,
            payee_account: payee_account.into(),
            payee_currency: amount.currency(),
            amount,
            amount_type: TransferAmountType::ReceiveAmount,
            shop_currency,
            description: None,
        }
    }

    /// The shop's balance goes down by exactly `amount`; the payee receives in
    /// `payee_currency`.
    pub fn write_off(
        shop_payment_id: OrderId,
        payee_account: impl Into<String>,
        amount: Money,
        payee_currency: Currency,
    ) -> Self {
        Self {
            shop_payment_id,
            payee_account: payee_account.into(),
            shop_currency: amount.currency(),
            amount,
            amount_type: TransferAmountType::WriteoffAmount,
            payee_currency,
            description: None,
        }
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    fn validate(&self) -> Result<(), InputError> {
        validate_text("payee_account", &self.payee_account, MAX_TEXT_CHARS)?;
        if let Some(description) = &self.description {
            validate_text("description", description, MAX_TEXT_CHARS)?;
        }
        let side = match self.amount_type {
            TransferAmountType::ReceiveAmount => self.payee_currency,
            TransferAmountType::WriteoffAmount => self.shop_currency,
        };
        if self.amount.currency() != side {
            return Err(InputError::field(
                "amount",
                format!(
                    "a {} amount must be in {}, not {}",
                    self.amount_type.as_str(),
                    side.code(),
                    self.amount.currency().code()
                ),
            ));
        }
        Ok(())
    }

    fn common(&self, endpoint: &'static str, config: &Config) -> Result<SignedRequest<'_>, Error> {
        self.validate()?;
        Ok(SignedRequest::new(endpoint, false)
            .signed("amount", amount_text(&self.amount)?.to_string())
            .signed("amount_type", self.amount_type.as_str())
            .signed("payee_currency", self.payee_currency.numeric())
            .signed("shop_currency", self.shop_currency.numeric())
            .signed("shop_id", config.shop_id()))
    }

    /// Signs `transfer/create`. Never sent twice by the client: after a transport failure,
    /// resolve it with [`TransferStatusQuery`].
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for an empty account, an over-long description, or an amount in the
    /// wrong currency for its side.
    pub fn prepare(&self, config: &Config) -> Result<Prepared, Error> {
        self.common(Self::ENDPOINT, config)?
            .signed("payee_account", self.payee_account.as_str())
            .signed("shop_payment_id", &self.shop_payment_id)
            .unsigned_opt("description", self.description.clone())
            .build(config)
    }

    /// Signs `transfer/try`.
    ///
    /// # Errors
    ///
    /// As [`TransferCreate::prepare`].
    pub fn prepare_try(&self, config: &Config) -> Result<Prepared, Error> {
        self.common(Self::TRY_ENDPOINT, config)?.build(config)
    }

    /// Reads the `transfer/create` response.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`].
    pub fn parse_response(
        &self,
        prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<Transfer, Error> {
        response::parse(Self::ENDPOINT, response, prepared.string_to_sign())
    }

    /// Reads the `transfer/try` response. Its fields are not published, so they are kept as
    /// received.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`].
    pub fn parse_try_response(
        &self,
        prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<BTreeMap<String, Value>, Error> {
        response::parse(Self::TRY_ENDPOINT, response, prepared.string_to_sign())
    }
}

/// A completed transfer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Transfer {
    /// Feennex's id of the transfer.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub id: u64,
    /// The payee.
    #[serde(default, deserialize_with = "payments_core::wire::optional_text")]
    pub payee_account: Option<String>,
    /// What the payee received.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub payee_amount: Option<Decimal>,
    /// The payee currency.
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub payee_currency: Option<u64>,
    /// What left the shop balance.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub write_off_amount: Option<Decimal>,
    /// The shop currency.
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub shop_currency: Option<u64>,
    /// The shop balance after the transfer.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub balance: Option<Decimal>,
}

/// `transfer/shop_payment_status`: the transfer the shop made under a payment id.
/// Signed fields: `now`, `shop_id`, `shop_payment_id`. Error 7 means it was never created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferStatusQuery {
    /// The shop's payment id.
    pub shop_payment_id: OrderId,
}

impl TransferStatusQuery {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "transfer/shop_payment_status";

    /// A query for `shop_payment_id`.
    pub fn new(shop_payment_id: OrderId) -> Self {
        Self { shop_payment_id }
    }

    /// Signs the query.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] if the request cannot be built.
    pub fn prepare(&self, config: &Config, now: SystemTime) -> Result<Prepared, Error> {
        status_query(Self::ENDPOINT, "shop_payment_id", &self.shop_payment_id, config, now)
    }

    /// Reads the response and checks it is about our payment id.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`], and [`Error::Call`] with [`CallError::Integrity`](payments_core::response::CallError::Integrity).
    pub fn parse_response(
        &self,
        prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<TransferReport, Error> {
        let report: TransferReport =
            response::parse(Self::ENDPOINT, response, prepared.string_to_sign())?;
        check_echo(
            Self::ENDPOINT,
            "shop_payment_id",
            &self.shop_payment_id,
            &report.shop_payment_id,
        )?;
        Ok(report)
    }
}

/// A transfer found by the shop's payment id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TransferReport {
    /// Feennex's id of the transfer.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub id: u64,
    /// The shop's payment id.
    #[serde(deserialize_with = "payments_core::wire::text")]
    pub shop_payment_id: String,
    /// What the payee received (sources name it `receive_amount` or `payee_amount`).
    #[serde(
        default,
        alias = "payee_amount",
        deserialize_with = "payments_core::wire::optional_amount"
    )]
    pub receive_amount: Option<Decimal>,
    /// What left the shop balance.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub write_off_amount: Option<Decimal>,
    /// The payee currency.
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub payee_currency: Option<u64>,
    /// The shop currency.
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub shop_currency: Option<u64>,
}
