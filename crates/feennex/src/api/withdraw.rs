//! Payouts to cards, banks and other payment systems ("withdrawals").
//!
//! Feennex sends no callback for payouts: poll [`WithdrawStatusQuery`] until the status is
//! final. The shop balance stays frozen until then.

use std::collections::BTreeMap;
use std::time::SystemTime;

use payments_core::payment::{OrderId, validate_text};
use payments_core::transport::HttpResponse;
use payments_core::{Currency, Decimal, InputError, Money};
use serde::Deserialize;
use serde_json::Value;

use crate::amount::amount_text;
use crate::api::{MAX_TEXT_CHARS, validate_payway};
use crate::config::Config;
use crate::error::Error;
use crate::model::{ErrorCode, WithdrawStatus};
use crate::request::{Prepared, SignedRequest, status_query};
use crate::response::{self, check_echo};

/// Which side of a withdrawal the amount is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WithdrawAmountType {
    /// The amount the recipient receives, in the payway's currency.
    PsAmount,
    /// The amount taken from the shop balance, in the shop currency.
    ShopAmount,
}

impl WithdrawAmountType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PsAmount => "ps_amount",
            Self::ShopAmount => "shop_amount",
        }
    }
}

/// A withdrawal. `withdraw/try` prices it, `withdraw/create` makes it.
///
/// Signed fields of `withdraw/create`: `account`, `amount`, `amount_type`, `payway`,
/// `shop_currency`, `shop_id`, `shop_payment_id`; `account_details` and `description` are sent
/// unsigned. `withdraw/try` signs `amount`, `amount_type`, `payway`, `shop_currency`,
/// `shop_id`.
///
/// ```
/// use feennex::{Config, api::withdraw::{WithdrawAmountType, WithdrawCreate}};
/// use payments_core::{payment::OrderId, Currency, Money};
///
/// let payout = WithdrawCreate::new(
///     OrderId::new("shop_payment_111")?,
///     "qiwi_rub",
///     "79991112233",
///     Money::parse("100.23", Currency::RUB)?,
///     WithdrawAmountType::PsAmount,
///     Currency::RUB,
/// );
/// let prepared = payout.prepare(&Config::new(5, "SecretKey01"))?;
/// assert_eq!(prepared.string_to_sign(), "79991112233:100.23:ps_amount:qiwi_rub:643:5:shop_payment_111");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WithdrawCreate {
    /// The shop's unique id for this payout; Feennex refuses a second one with it.
    pub shop_payment_id: OrderId,
    /// The payout direction (`card_rub`, `qiwi_rub`).
    pub payway: String,
    /// The recipient's account (card, wallet or phone number).
    pub account: String,
    /// The amount; for [`WithdrawAmountType::ShopAmount`] it must be in the shop currency.
    pub amount: Money,
    /// Which side the amount is.
    pub amount_type: WithdrawAmountType,
    /// The shop balance currency.
    pub shop_currency: Currency,
    /// Payway-specific recipient details (e.g. `holder`), sent unsigned.
    pub account_details: BTreeMap<String, String>,
    /// A note for the payout.
    pub description: Option<String>,
}

impl std::fmt::Debug for WithdrawCreate {
    // The account is a card or account number: masked.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithdrawCreate")
            .field("shop_payment_id", &self.shop_payment_id)
            .field("payway", &self.payway)
            .field("account", &payments_core::mask::mask_numbers(&self.account))
            .field("amount", &self.amount)
            .field("amount_type", &self.amount_type)
            .field("shop_currency", &self.shop_currency)
            .field("account_details", &self.account_details.keys().collect::<Vec<_>>())
            .field("description", &self.description)
            .finish()
    }
}

impl WithdrawCreate {
    /// The endpoint that makes the payout.
    pub const ENDPOINT: &'static str = "withdraw/create";
    /// The endpoint that prices it.
    pub const TRY_ENDPOINT: &'static str = "withdraw/try";

    /// A payout of `amount` to `account` through `payway`.
    pub fn new(
        shop_payment_id: OrderId,
        payway: impl Into<String>,
        account: impl Into<String>,
        amount: Money,
        amount_type: WithdrawAmountType,
        shop_currency: Currency,
    ) -> Self {
        Self {
            shop_payment_id,
            payway: payway.into(),
            account: account.into(),
            amount,
            amount_type,
            shop_currency,
            account_details: BTreeMap::new(),
            description: None,
        }
    }

    /// Adds a recipient detail.
    #[must_use]
    pub fn with_account_detail(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.account_details.insert(name.into(), value.into());
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    fn common(&self, endpoint: &'static str, config: &Config) -> Result<SignedRequest<'_>, Error> {
        validate_payway(&self.payway)?;
        validate_text("account", &self.account, MAX_TEXT_CHARS)?;
        if let Some(description) = &self.description {
            validate_text("description", description, MAX_TEXT_CHARS)?;
        }
        if self.amount_type == WithdrawAmountType::ShopAmount
            && self.amount.currency() != self.shop_currency
        {
            return Err(InputError::field(
                "amount",
                format!(
                    "a shop_amount must be in the shop currency {}, not {}",
                    self.shop_currency.code(),
                    self.amount.currency().code()
                ),
            )
            .into());
        }
        Ok(SignedRequest::new(endpoint, false)
            .signed("amount", amount_text(&self.amount)?.to_string())
            .signed("amount_type", self.amount_type.as_str())
            .signed("payway", self.payway.as_str())
            .signed("shop_currency", self.shop_currency.numeric())
            .signed("shop_id", config.shop_id()))
    }

    /// Signs `withdraw/create`. Never sent twice by the client: after a transport failure,
    /// resolve it with [`WithdrawStatusQuery::by_shop_payment_id`].
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for an empty payway or account, an over-long description, or a
    /// `shop_amount` in another currency than the shop's.
    pub fn prepare(&self, config: &Config) -> Result<Prepared, Error> {
        self.common(Self::ENDPOINT, config)?
            .signed("account", self.account.as_str())
            .signed("shop_payment_id", &self.shop_payment_id)
            .unsigned_opt("account_details", self.details_json())
            .unsigned_opt("description", self.description.clone())
            .build(config)
    }

    /// Signs `withdraw/try`.
    ///
    /// # Errors
    ///
    /// As [`WithdrawCreate::prepare`].
    pub fn prepare_try(&self, config: &Config) -> Result<Prepared, Error> {
        self.common(Self::TRY_ENDPOINT, config)?.build(config)
    }

    /// Signs `check_account`: whether the payway can pay this account (signed fields
    /// `account`, `amount`, `payway`, `shop_id`; `account_details` unsigned).
    ///
    /// # Errors
    ///
    /// As [`WithdrawCreate::prepare`].
    pub fn prepare_check_account(&self, config: &Config) -> Result<Prepared, Error> {
        validate_payway(&self.payway)?;
        validate_text("account", &self.account, MAX_TEXT_CHARS)?;
        SignedRequest::new(CHECK_ACCOUNT, true)
            .signed("account", self.account.as_str())
            .signed("amount", amount_text(&self.amount)?.to_string())
            .signed("payway", self.payway.as_str())
            .signed("shop_id", config.shop_id())
            .unsigned_opt("account_details", self.details_json())
            .build(config)
    }

    /// `account_details` as the JSON object sent (unsigned), or `None` when there are none.
    fn details_json(&self) -> Option<Value> {
        let details: serde_json::Map<String, Value> = self
            .account_details
            .iter()
            .map(|(name, value)| (name.clone(), Value::String(value.clone())))
            .collect();
        (!details.is_empty()).then_some(Value::Object(details))
    }

    /// Reads the `withdraw/create` response and checks it is our payout.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`], and [`Error::Call`] with [`CallError::Integrity`](payments_core::response::CallError::Integrity).
    pub fn parse_response(
        &self,
        prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<Withdraw, Error> {
        let withdraw: Withdraw =
            response::parse(Self::ENDPOINT, response, prepared.string_to_sign())?;
        check_echo(
            Self::ENDPOINT,
            "shop_payment_id",
            &self.shop_payment_id,
            &withdraw.shop_payment_id,
        )?;
        Ok(withdraw)
    }

    /// Reads the `withdraw/try` response.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`].
    pub fn parse_try_response(
        &self,
        prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<WithdrawQuote, Error> {
        response::parse(Self::TRY_ENDPOINT, response, prepared.string_to_sign())
    }

    /// Reads the `check_account` response.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`].
    pub fn parse_check_account_response(
        &self,
        prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<AccountCheck, Error> {
        response::parse(CHECK_ACCOUNT, response, prepared.string_to_sign())
    }
}

/// The `check_account` endpoint.
pub const CHECK_ACCOUNT: &str = "check_account";

/// The price of a withdrawal, from `withdraw/try`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct WithdrawQuote {
    /// What the recipient receives.
    #[serde(deserialize_with = "payments_core::wire::amount")]
    pub payee_receive: Decimal,
    /// What leaves the shop balance.
    #[serde(deserialize_with = "payments_core::wire::amount")]
    pub shop_write_off: Decimal,
    /// The payway currency.
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub ps_currency: Option<u64>,
    /// The shop currency.
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub shop_currency: Option<u64>,
    /// The recipient fields the payway needs, with their patterns.
    #[serde(default)]
    pub account_info_config: Option<Value>,
    /// Information about the payway.
    #[serde(default)]
    pub info: Option<Value>,
}

/// The answer of `check_account`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AccountCheck {
    /// Whether the account can be paid.
    #[serde(default)]
    pub result: Option<bool>,
    /// Whether the account was verified with the provider.
    #[serde(default)]
    pub verified: Option<bool>,
    /// The provider's status code.
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub provider_status: Option<u64>,
    /// What the provider says about the account.
    #[serde(default)]
    pub account_info: Option<Value>,
}

/// A created withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Withdraw {
    /// Feennex's id of the payout.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub id: u64,
    /// The status right after creation.
    pub status: WithdrawStatus,
    /// The shop's payment id.
    #[serde(deserialize_with = "payments_core::wire::text")]
    pub shop_payment_id: String,
    /// What the recipient receives.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub payee_receive: Option<Decimal>,
    /// What leaves the shop balance.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub shop_write_off: Option<Decimal>,
    /// The shop balance after the payout.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub balance: Option<Decimal>,
    /// The payway currency.
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub ps_currency: Option<u64>,
    /// The shop currency.
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub shop_currency: Option<u64>,
}

/// `withdraw/status` (by Feennex's id) or `withdraw/shop_payment_status` (by the shop's
/// payment id). Signed fields: `now`, `shop_id`, and the id. Error 7 on the second means the
/// payout was never created.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WithdrawStatusQuery {
    /// By Feennex's payout id.
    ById(u64),
    /// By the shop's payment id.
    ByShopPaymentId(OrderId),
}

impl WithdrawStatusQuery {
    /// The endpoint by Feennex's id.
    pub const BY_ID: &'static str = "withdraw/status";
    /// The endpoint by the shop's payment id.
    pub const BY_SHOP_PAYMENT_ID: &'static str = "withdraw/shop_payment_status";

    /// A query by the shop's payment id.
    pub fn by_shop_payment_id(shop_payment_id: OrderId) -> Self {
        Self::ByShopPaymentId(shop_payment_id)
    }

    /// The endpoint this query goes to.
    pub fn endpoint(&self) -> &'static str {
        match self {
            Self::ById(_) => Self::BY_ID,
            Self::ByShopPaymentId(_) => Self::BY_SHOP_PAYMENT_ID,
        }
    }

    /// Signs the query.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] if the request cannot be built.
    pub fn prepare(&self, config: &Config, now: SystemTime) -> Result<Prepared, Error> {
        match self {
            Self::ById(id) => status_query(Self::BY_ID, "withdraw_id", *id, config, now),
            Self::ByShopPaymentId(id) => {
                status_query(Self::BY_SHOP_PAYMENT_ID, "shop_payment_id", id, config, now)
            }
        }
    }

    /// Reads the response and checks it is about the payout asked for.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`], and [`Error::Call`] with [`CallError::Integrity`](payments_core::response::CallError::Integrity).
    pub fn parse_response(
        &self,
        prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<WithdrawReport, Error> {
        let endpoint = self.endpoint();
        let report: WithdrawReport =
            response::parse(endpoint, response, prepared.string_to_sign())?;
        match self {
            Self::ById(id) => check_echo(endpoint, "id", id, report.id)?,
            Self::ByShopPaymentId(id) => {
                check_echo(endpoint, "shop_payment_id", id, &report.shop_payment_id)?
            }
        }
        Ok(report)
    }
}

/// The state of a withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct WithdrawReport {
    /// Feennex's id of the payout.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub id: u64,
    /// The status.
    pub status: WithdrawStatus,
    /// The shop's payment id.
    #[serde(deserialize_with = "payments_core::wire::text")]
    pub shop_payment_id: String,
    /// What the recipient receives.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub payee_receive: Option<Decimal>,
    /// What leaves the shop balance.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub shop_write_off: Option<Decimal>,
    /// The payway currency.
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub ps_currency: Option<u64>,
    /// The shop currency.
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub shop_currency: Option<u64>,
    /// The payout's own error, when the payment system failed it.
    #[serde(default)]
    pub error_code: Option<ErrorCode>,
}
