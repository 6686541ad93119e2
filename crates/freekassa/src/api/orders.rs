//! Orders: list (`orders`), create (`orders/create`) and refund (`orders/refund`).

use std::fmt;
use std::net::IpAddr;

use payments_core::payment::{OrderId, validate_text};
use payments_core::transport::HttpResponse;
use payments_core::{Decimal, InputError, Money};
use serde::Deserialize;
use url::Url;

use super::ListFilter;
use crate::amount::amount_text;
use crate::config::Config;
use crate::error::Error;
use crate::model::{OrderStatus, PaymentSystemId, RecurrentPeriod, check_currency};
use crate::request::{ApiRequest, FieldValue, Prepared};
use crate::response;
use payments_core::mask::mask_all_but_last_four as mask;

/// `orders`: the shop's orders, filtered.
///
/// ```
/// use freekassa::{api::orders::OrderList, model::OrderStatus, Config};
///
/// let config = Config::new(777).with_api_key("test_api_key");
/// let prepared = OrderList::new()
///     .with_status(OrderStatus::Paid)
///     .with_dates("2021-01-01 13:45:21", "2021-01-02 13:45:21")
///     .with_page(1)
///     .prepare(&config, 1_700_000_000_003)?;
/// assert_eq!(prepared.string_to_sign(), "2021-01-01 13:45:21|2021-01-02 13:45:21|1700000000003|1|1|777");
/// # Ok::<(), freekassa::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderList {
    /// The filters.
    pub filter: ListFilter,
}

impl OrderList {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "orders";

    /// All orders (first page).
    pub fn new() -> Self {
        Self::default()
    }

    /// The order the shop created under `payment_id` (its own order number): how to find out
    /// whether an `orders/create` whose answer was lost went through.
    pub fn by_payment_id(payment_id: OrderId) -> Self {
        let mut list = Self::new();
        list.filter.payment_id = Some(payment_id);
        list
    }

    /// Filters by Freekassa's order number.
    #[must_use]
    pub fn with_order_id(mut self, order_id: u64) -> Self {
        self.filter.order_id = Some(order_id);
        self
    }

    /// Filters by status.
    #[must_use]
    pub fn with_status(mut self, status: OrderStatus) -> Self {
        self.filter.status = Some(status);
        self
    }

    /// Filters by time (`YYYY-MM-DD HH:MM:SS`, checked when prepared).
    #[must_use]
    pub fn with_dates(mut self, from: impl Into<String>, to: impl Into<String>) -> Self {
        self.filter.date_from = Some(from.into());
        self.filter.date_to = Some(to.into());
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
    ) -> Result<OrderPage, Error> {
        response::parse(Self::ENDPOINT, response)
    }
}

/// A page of orders.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct OrderPage {
    /// How many pages there are.
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub pages: Option<u64>,
    /// The orders on this page.
    #[serde(default)]
    pub orders: Vec<Order>,
}

/// An order as `orders` lists it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Order {
    /// The shop's order number (`paymentId`, `MERCHANT_ORDER_ID`; an API order created
    /// without one has none).
    #[serde(default, deserialize_with = "payments_core::wire::optional_text")]
    pub merchant_order_id: Option<String>,
    /// Freekassa's order number.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub fk_order_id: u64,
    /// The amount.
    #[serde(deserialize_with = "payments_core::wire::amount")]
    pub amount: Decimal,
    /// The currency code.
    #[serde(deserialize_with = "payments_core::wire::text")]
    pub currency: String,
    /// The payer's e-mail.
    #[serde(default, deserialize_with = "payments_core::wire::optional_text")]
    pub email: Option<String>,
    /// The payer's card or wallet.
    #[serde(default, deserialize_with = "payments_core::wire::optional_text")]
    pub account: Option<String>,
    /// When the order was made (`2021-03-29 12:28:24`).
    #[serde(default, deserialize_with = "payments_core::wire::optional_text")]
    pub date: Option<String>,
    /// The status.
    pub status: OrderStatus,
}

impl fmt::Debug for Order {
    // The account can be a card number and the e-mail is personal: masked and hidden.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Order")
            .field("merchant_order_id", &self.merchant_order_id)
            .field("fk_order_id", &self.fk_order_id)
            .field("amount", &self.amount)
            .field("currency", &self.currency)
            .field("email", &self.email.as_ref().map(|_| "<set>"))
            .field("account", &self.account.as_deref().map(mask))
            .field("date", &self.date)
            .field("status", &self.status)
            .finish()
    }
}

/// The shortest and longest recurring description, in characters.
pub const RECURRENT_DESCRIPTION_CHARS: std::ops::RangeInclusive<usize> = 10..=200;

/// The first charge of a subscription: `recurrent = "Y"`, its period and its description.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recurrence {
    /// How often it repeats.
    pub period: RecurrentPeriod,
    /// What it is for (10 to 200 characters).
    pub description: String,
}

impl Recurrence {
    /// A subscription repeating every `period`.
    pub fn new(period: RecurrentPeriod, description: impl Into<String>) -> Self {
        Self { period, description: description.into() }
    }
}

/// `orders/create`: an order paid through a chosen payment system; send the payer to the
/// returned [`OrderCreated::location`].
///
/// The shop's order number (`paymentId`) is required here although Freekassa makes it
/// optional: it is the only way to find the order again when the answer is lost, because
/// this request is never re-sent.
///
/// ```
/// use freekassa::{api::orders::OrderCreate, Config, PaymentSystemId};
/// use payments_core::{payment::OrderId, Currency, Money};
///
/// let config = Config::new(777).with_api_key("test_api_key");
/// let order = OrderCreate::new(
///     OrderId::new("order-42")?,
///     Money::parse("100.50", Currency::RUB)?,
///     PaymentSystemId::SBP_API,
///     "user@example.com",
///     "203.0.113.10",
/// );
/// let prepared = order.prepare(&config, 1_700_000_000_001)?;
/// assert_eq!(
///     prepared.string_to_sign(),
///     "100.5|RUB|user@example.com|44|203.0.113.10|1700000000001|order-42|777"
/// );
/// assert!(prepared.request().body_text().unwrap().contains(r#""amount":100.5"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderCreate {
    /// The shop's order number (`paymentId`).
    pub payment_id: OrderId,
    /// The amount and currency (`amount`, `currency`).
    pub money: Money,
    /// The payment system (`i`).
    pub payment_system: PaymentSystemId,
    /// The payer's e-mail (`email`).
    pub email: String,
    /// The payer's IP address (`ip`; Freekassa refuses `127.0.0.1`, the server's address is
    /// accepted).
    pub ip: String,
    /// The payer's phone (`tel`; some payment systems need it).
    pub phone: Option<String>,
    /// Overrides the success URL (`success_url`; needs activation by support).
    pub success_url: Option<Url>,
    /// Overrides the failure URL (`failure_url`; needs activation by support).
    pub failure_url: Option<Url>,
    /// Overrides the notification URL (`notification_url`; needs activation by support).
    pub notification_url: Option<Url>,
    /// Starts a subscription.
    pub recurrence: Option<Recurrence>,
    /// Charges an existing subscription again (`recurrent_order_id`, from
    /// [`OrderCreated::recurrent_order`]).
    pub recurrent_order_id: Option<u64>,
}

impl OrderCreate {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "orders/create";

    /// An order with the required fields.
    pub fn new(
        payment_id: OrderId,
        money: Money,
        payment_system: PaymentSystemId,
        email: impl Into<String>,
        ip: impl Into<String>,
    ) -> Self {
        Self {
            payment_id,
            money,
            payment_system,
            email: email.into(),
            ip: ip.into(),
            phone: None,
            success_url: None,
            failure_url: None,
            notification_url: None,
            recurrence: None,
            recurrent_order_id: None,
        }
    }

    /// Sets the payer's phone.
    #[must_use]
    pub fn with_phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// Overrides the success and failure URLs.
    #[must_use]
    pub fn with_return_urls(mut self, success: Option<Url>, failure: Option<Url>) -> Self {
        self.success_url = success;
        self.failure_url = failure;
        self
    }

    /// Overrides the notification URL.
    #[must_use]
    pub fn with_notification_url(mut self, url: Url) -> Self {
        self.notification_url = Some(url);
        self
    }

    /// Starts a subscription with this order.
    #[must_use]
    pub fn with_recurrence(mut self, recurrence: Recurrence) -> Self {
        self.recurrence = Some(recurrence);
        self
    }

    /// Charges the subscription `recurrent_order_id` again.
    #[must_use]
    pub fn with_recurrent_order_id(mut self, recurrent_order_id: u64) -> Self {
        self.recurrent_order_id = Some(recurrent_order_id);
        self
    }

    /// Validates and signs the request.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for a currency Freekassa does not take, an amount with too many
    /// digits, an empty or malformed e-mail, an `ip` that is not an IP address (or is a
    /// loopback or unspecified one, which Freekassa refuses), an empty phone, or a recurring
    /// description outside 10..=200 characters.
    pub fn prepare(&self, config: &Config, nonce: u64) -> Result<Prepared, Error> {
        check_currency(self.money.currency())?;
        let amount = amount_text(&self.money)?;
        check_email("email", &self.email)?;
        check_ip(&self.ip)?;
        if let Some(phone) = &self.phone {
            validate_text("tel", phone, 64)?;
        }
        if let Some(recurrence) = &self.recurrence {
            let chars = recurrence.description.chars().count();
            if !RECURRENT_DESCRIPTION_CHARS.contains(&chars) {
                return Err(InputError::field(
                    "recurrent_description",
                    format!("is {chars} characters long; it must be 10 to 200"),
                )
                .into());
            }
            validate_text("recurrent_description", &recurrence.description, 200)?;
        }
        let url_text = |url: &Option<Url>| url.as_ref().map(|url| url.as_str().to_owned());
        ApiRequest::new(Self::ENDPOINT, false)
            .field("paymentId", self.payment_id.as_str())
            .field("i", self.payment_system.get())
            .field("email", self.email.as_str())
            .field("ip", self.ip.as_str())
            .field("amount", FieldValue::Amount(amount.as_str().into()))
            .field("currency", self.money.currency().code())
            .field_opt("tel", self.phone.clone())
            .field_opt("success_url", url_text(&self.success_url))
            .field_opt("failure_url", url_text(&self.failure_url))
            .field_opt("notification_url", url_text(&self.notification_url))
            .field_opt("recurrent", self.recurrence.as_ref().map(|_| "Y"))
            .field_opt("recurrent_period", self.recurrence.as_ref().map(|r| r.period.as_str()))
            .field_opt(
                "recurrent_description",
                self.recurrence.as_ref().map(|r| r.description.clone()),
            )
            .field_opt("recurrent_order_id", self.recurrent_order_id)
            .build(config, nonce)
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
    ) -> Result<OrderCreated, Error> {
        response::parse(Self::ENDPOINT, response)
    }
}

impl fmt::Debug for OrderCreate {
    // E-mail, IP and phone are the payer's: only their presence is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrderCreate")
            .field("payment_id", &self.payment_id)
            .field("money", &self.money)
            .field("payment_system", &self.payment_system)
            .field("email", &"<set>")
            .field("ip", &"<set>")
            .field("phone", &self.phone.as_ref().map(|_| "<set>"))
            .field("success_url", &self.success_url.as_ref().map(Url::as_str))
            .field("failure_url", &self.failure_url.as_ref().map(Url::as_str))
            .field("notification_url", &self.notification_url.as_ref().map(Url::as_str))
            .field("recurrence", &self.recurrence)
            .field("recurrent_order_id", &self.recurrent_order_id)
            .finish()
    }
}

pub(crate) fn check_email(field: &'static str, email: &str) -> Result<(), InputError> {
    validate_text(field, email, 255)?;
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !email.contains(' ') =>
        {
            Ok(())
        }
        _ => Err(InputError::field(field, "is not an e-mail address")),
    }
}

fn check_ip(ip: &str) -> Result<(), InputError> {
    let parsed: IpAddr =
        ip.parse().map_err(|_| InputError::field("ip", format!("{ip:?} is not an IP address")))?;
    if parsed.is_loopback() || parsed.is_unspecified() {
        return Err(InputError::field(
            "ip",
            format!("{ip} is refused by Freekassa; send the payer's address (or the server's)"),
        ));
    }
    Ok(())
}

/// A created order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct OrderCreated {
    /// Freekassa's order number.
    #[serde(rename = "orderId", deserialize_with = "payments_core::wire::integer")]
    pub order_id: u64,
    /// The order hash.
    #[serde(
        rename = "orderHash",
        default,
        deserialize_with = "payments_core::wire::optional_text"
    )]
    pub order_hash: Option<String>,
    /// Where to send the payer (used as given, never rebuilt).
    pub location: Url,
    /// The subscription, when the order started one.
    #[serde(default)]
    pub recurrent_order: Option<RecurrentOrder>,
}

/// A subscription created by a recurring order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct RecurrentOrder {
    /// The id to send as `recurrent_order_id` for the next charge.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub id: u64,
    /// When the next charge is due, as Freekassa writes it.
    #[serde(default, deserialize_with = "payments_core::wire::optional_text")]
    pub pay_date_at: Option<String>,
}

/// Which order to refund.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OrderRef {
    /// Freekassa's order number (`orderId`).
    OrderId(u64),
    /// The shop's order number (`paymentId`).
    PaymentId(OrderId),
}

/// `orders/refund`: refunds an order. Never re-sent automatically.
///
/// ```
/// use freekassa::{api::orders::{OrderRef, OrderRefund}, Config};
///
/// let config = Config::new(777).with_api_key("k");
/// let prepared = OrderRefund::new(OrderRef::OrderId(123)).prepare(&config, 5)?;
/// assert_eq!(prepared.string_to_sign(), "5|123|777");
/// # Ok::<(), freekassa::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderRefund {
    /// The order.
    pub order: OrderRef,
}

impl OrderRefund {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "orders/refund";

    /// A refund of `order`.
    pub fn new(order: OrderRef) -> Self {
        Self { order }
    }

    /// Signs the request.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for a missing API key.
    pub fn prepare(&self, config: &Config, nonce: u64) -> Result<Prepared, Error> {
        let request = ApiRequest::new(Self::ENDPOINT, false);
        let request = match &self.order {
            OrderRef::OrderId(id) => request.field("orderId", *id),
            OrderRef::PaymentId(id) => request.field("paymentId", id.as_str()),
        };
        request.build(config, nonce)
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
    ) -> Result<Refund, Error> {
        response::parse(Self::ENDPOINT, response)
    }
}

/// A refund.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Refund {
    /// The refund id.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub id: u64,
}

#[cfg(test)]
mod tests {
    use payments_core::Currency;

    use super::*;

    fn config() -> Config {
        Config::new(777).with_api_key("test_api_key")
    }

    fn order() -> OrderCreate {
        OrderCreate::new(
            OrderId::new("order-42").unwrap(),
            Money::parse("100.5", Currency::RUB).unwrap(),
            PaymentSystemId::SBP_API,
            "user@example.com",
            "203.0.113.10",
        )
    }

    #[test]
    fn optional_fields_are_signed_too() {
        let prepared = order()
            .with_phone("+79261231212")
            .with_recurrent_order_id(777)
            .prepare(&config(), 1)
            .unwrap();
        assert_eq!(
            prepared.string_to_sign(),
            "100.5|RUB|user@example.com|44|203.0.113.10|1|order-42|777|777|+79261231212"
        );
        let body = prepared.body_json().unwrap();
        assert_eq!(body["recurrent_order_id"], 777);
        assert!(body.get("recurrent").is_none());
    }

    #[test]
    fn bad_input_is_refused() {
        let mut bad_ip = order();
        bad_ip.ip = "999.1.1.1".into();
        assert!(bad_ip.prepare(&config(), 1).unwrap_err().to_string().contains("ip"));
        let mut loopback = order();
        loopback.ip = "127.0.0.1".into();
        assert!(loopback.prepare(&config(), 1).is_err());
        let mut email = order();
        email.email = "nobody".into();
        assert!(email.prepare(&config(), 1).is_err());
    }

    #[test]
    fn order_debug_hides_payer_data() {
        let debug = format!("{:?}", order());
        assert!(!debug.contains("user@example.com") && !debug.contains("203.0.113.10"), "{debug}");
    }
}
