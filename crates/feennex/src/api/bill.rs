//! Payments from a Feennex wallet ("bills").

use payments_core::payment::{OrderId, validate_text};
use payments_core::signature::{Member, SortedLayout};
use payments_core::transport::HttpResponse;
use payments_core::{Currency, Decimal, InputError, Money};
use serde::Deserialize;
use url::Url;

use crate::amount::amount_text;
use crate::api::MAX_TEXT_CHARS;
use crate::config::Config;
use crate::error::Error;
use crate::model::BillStatus;
use crate::request::status_query;
use crate::request::{Prepared, build_sorted, layout};
use crate::response::{self, check_echo};

use std::time::SystemTime;

/// The members of a `bill/create` body, in key order (the signature, `sign`, comes after
/// `shop_order_id`).
const LAYOUT: SortedLayout<12> = layout([
    "callback_rejected_url",
    "callback_url",
    "description",
    "failed_url",
    "lifetime",
    "payer_account",
    "payer_currency",
    "shop_amount",
    "shop_currency",
    "shop_id",
    "shop_order_id",
    "success_url",
]);

/// An optional URL as an unsigned member.
fn url_member(url: &Option<Url>) -> Member<'_> {
    Member::text(url.as_ref().map(Url::as_str))
}

/// `bill/create`: a bill the payer pays in their Feennex wallet.
///
/// Signed fields: `payer_currency`, `shop_amount`, `shop_currency`, `shop_id`,
/// `shop_order_id`. Everything else is sent unsigned.
///
/// ```
/// use feennex::{Config, api::bill::BillCreate};
/// use payments_core::{payment::OrderId, Currency, Money};
///
/// let config = Config::new(5, "SecretKey01");
/// let prepared = BillCreate::new(OrderId::new("123456")?, Money::parse("23.15", Currency::RUB)?)
///     .with_description("Order 123456")
///     .prepare(&config)?;
/// let body = prepared.body_json().unwrap();
/// assert_eq!(body["shop_amount"], "23.15");
/// assert_eq!(body["sign"], "091ee6f0bce195a508231ee0d62d7645bd0b38b63e22bde78046b277d6988045");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BillCreate {
    /// The shop's order id.
    pub shop_order_id: OrderId,
    /// The amount and currency the shop receives.
    pub amount: Money,
    /// The currency the payer pays in (defaults to the shop currency).
    pub payer_currency: Currency,
    /// Shown to the payer, at most 255 characters.
    pub description: Option<String>,
    /// The payer's Feennex wallet, to address the bill to.
    pub payer_account: Option<String>,
    /// How long the bill can be paid, in minutes (Feennex's default is 43200, 30 days).
    pub lifetime_minutes: Option<u32>,
    /// Where the payer returns after paying.
    pub success_url: Option<Url>,
    /// Where the payer returns after a failure.
    pub failed_url: Option<Url>,
    /// Where Feennex sends the success callback (if none is set in the shop settings).
    pub callback_url: Option<Url>,
    /// Where Feennex sends the rejection callback (if none is set in the shop settings).
    pub callback_rejected_url: Option<Url>,
}

impl BillCreate {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "bill/create";

    /// A bill for `amount` under `shop_order_id`, paid in the same currency.
    pub fn new(shop_order_id: OrderId, amount: Money) -> Self {
        Self {
            shop_order_id,
            payer_currency: amount.currency(),
            amount,
            description: None,
            payer_account: None,
            lifetime_minutes: None,
            success_url: None,
            failed_url: None,
            callback_url: None,
            callback_rejected_url: None,
        }
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the payer's currency.
    #[must_use]
    pub fn with_payer_currency(mut self, currency: Currency) -> Self {
        self.payer_currency = currency;
        self
    }

    /// Addresses the bill to a wallet.
    #[must_use]
    pub fn with_payer_account(mut self, account: impl Into<String>) -> Self {
        self.payer_account = Some(account.into());
        self
    }

    /// Sets the lifetime in minutes.
    #[must_use]
    pub fn with_lifetime_minutes(mut self, minutes: u32) -> Self {
        self.lifetime_minutes = Some(minutes);
        self
    }

    /// Sets the success and failure return URLs.
    #[must_use]
    pub fn with_return_urls(mut self, success: Option<Url>, failed: Option<Url>) -> Self {
        self.success_url = success;
        self.failed_url = failed;
        self
    }

    /// Sets the callback URLs.
    #[must_use]
    pub fn with_callback_urls(mut self, success: Option<Url>, rejected: Option<Url>) -> Self {
        self.callback_url = success;
        self.callback_rejected_url = rejected;
        self
    }

    /// Validates and signs the request.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for a description over 255 characters, a zero lifetime, or an empty
    /// payer account.
    pub fn prepare(&self, config: &Config) -> Result<Prepared, Error> {
        self.validate()?;
        let amount = amount_text(&self.amount)?;
        build_sorted(
            Self::ENDPOINT,
            false,
            &LAYOUT,
            &[
                ("callback_rejected_url", url_member(&self.callback_rejected_url)),
                ("callback_url", url_member(&self.callback_url)),
                ("description", Member::text(self.description.as_deref())),
                ("failed_url", url_member(&self.failed_url)),
                ("lifetime", Member::integer(self.lifetime_minutes)),
                ("payer_account", Member::text(self.payer_account.as_deref())),
                ("payer_currency", Member::signed_integer(self.payer_currency.numeric())),
                ("shop_amount", Member::signed_text(amount.as_str())),
                ("shop_currency", Member::signed_integer(self.amount.currency().numeric())),
                ("shop_id", Member::signed_integer(config.shop_id())),
                ("shop_order_id", Member::signed_text(self.shop_order_id.as_str())),
                ("success_url", url_member(&self.success_url)),
            ],
            config,
        )
    }

    /// What `prepare` refuses before anything is built.
    fn validate(&self) -> Result<(), Error> {
        if let Some(description) = &self.description {
            validate_text("description", description, MAX_TEXT_CHARS)?;
        }
        if let Some(account) = &self.payer_account {
            validate_text("payer_account", account, MAX_TEXT_CHARS)?;
        }
        if self.lifetime_minutes == Some(0) {
            return Err(InputError::field("lifetime", "must be at least one minute").into());
        }
        Ok(())
    }

    /// `prepare` through the generic field list, the reference the layout must match.
    #[cfg(test)]
    fn prepare_generic(&self, config: &Config) -> Result<Prepared, Error> {
        self.validate()?;
        let url_text = |url: &Option<Url>| url.as_ref().map(|url| url.as_str().to_owned());
        let amount = amount_text(&self.amount)?;
        crate::request::SignedRequest::new(Self::ENDPOINT, false)
            .signed("payer_currency", self.payer_currency.numeric())
            .signed("shop_amount", amount.as_str())
            .signed("shop_currency", self.amount.currency().numeric())
            .signed("shop_id", config.shop_id())
            .signed("shop_order_id", self.shop_order_id.as_str())
            .unsigned_opt("description", self.description.clone())
            .unsigned_opt("payer_account", self.payer_account.clone())
            .unsigned_opt("lifetime", self.lifetime_minutes)
            .unsigned_opt("success_url", url_text(&self.success_url))
            .unsigned_opt("failed_url", url_text(&self.failed_url))
            .unsigned_opt("callback_url", url_text(&self.callback_url))
            .unsigned_opt("callback_rejected_url", url_text(&self.callback_rejected_url))
            .build(config)
    }

    /// Reads the response and checks that it is the bill we asked for (shop, order, amount,
    /// currency).
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`], and [`Error::Call`] with [`CallError::Integrity`](payments_core::response::CallError::Integrity) when the bill differs from
    /// the request.
    pub fn parse_response(
        &self,
        prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<Bill, Error> {
        let bill: Bill = response::parse(Self::ENDPOINT, response, prepared.string_to_sign())?;
        let endpoint = Self::ENDPOINT;
        response::check_payer_url(endpoint, &bill.url, prepared)?;
        check_echo(endpoint, "shop_id", prepared.shop_id(), bill.shop_id)?;
        check_echo(endpoint, "shop_order_id", &self.shop_order_id, &bill.shop_order_id)?;
        check_echo(
            endpoint,
            "shop_currency",
            self.amount.currency().numeric(),
            bill.shop_currency,
        )?;
        check_echo(
            endpoint,
            "shop_amount",
            self.amount.amount().normalize(),
            bill.shop_amount.normalize(),
        )?;
        Ok(bill)
    }
}

/// A created bill. Send the payer to [`Bill::url`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Bill {
    /// Feennex's id of the bill.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub id: u64,
    /// The page where the payer pays.
    pub url: Url,
    /// When the bill was created (as Feennex writes it, e.g. `Wed, 10 Apr 2024 14:18:19 GMT`).
    #[serde(default)]
    pub created: Option<String>,
    /// The lifetime in minutes.
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub lifetime: Option<u64>,
    /// The wallet the bill is addressed to.
    #[serde(default, deserialize_with = "payments_core::wire::optional_text")]
    pub payer_account: Option<String>,
    /// The payer's currency (ISO 4217 numeric).
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub payer_currency: u64,
    /// What the payer pays, commission included.
    #[serde(deserialize_with = "payments_core::wire::amount")]
    pub payer_price: Decimal,
    /// What the shop asked for.
    #[serde(deserialize_with = "payments_core::wire::amount")]
    pub shop_amount: Decimal,
    /// The shop's currency (ISO 4217 numeric).
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub shop_currency: u64,
    /// The shop id.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub shop_id: u64,
    /// The shop's order id.
    #[serde(deserialize_with = "payments_core::wire::text")]
    pub shop_order_id: String,
    /// What the shop receives after commission.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub shop_refund: Option<Decimal>,
}

/// `bill/shop_order_status`: the state of the wallet payment for an order.
///
/// Signed fields: `now`, `shop_id`, `shop_order_id`. Feennex asks for no more than one request
/// every 10 seconds; [`Client::wait_for_bill`](crate::Client::wait_for_bill) respects that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillStatusQuery {
    /// The shop's order id.
    pub shop_order_id: OrderId,
}

impl BillStatusQuery {
    /// The endpoint.
    pub const ENDPOINT: &'static str = "bill/shop_order_status";

    /// A query for `shop_order_id`.
    pub fn new(shop_order_id: OrderId) -> Self {
        Self { shop_order_id }
    }

    /// Signs the query with `now` as the request time.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] if the request cannot be built.
    pub fn prepare(&self, config: &Config, now: SystemTime) -> Result<Prepared, Error> {
        status_query(Self::ENDPOINT, "shop_order_id", &self.shop_order_id, config, now)
    }

    /// Reads the response and checks it is about our shop and order.
    ///
    /// # Errors
    ///
    /// The errors of [`response::parse`], and [`Error::Call`] with [`CallError::Integrity`](payments_core::response::CallError::Integrity).
    pub fn parse_response(
        &self,
        prepared: &Prepared,
        response: &HttpResponse,
    ) -> Result<BillReport, Error> {
        let report: BillReport =
            response::parse(Self::ENDPOINT, response, prepared.string_to_sign())?;
        check_echo(Self::ENDPOINT, "shop_id", prepared.shop_id(), report.shop_id)?;
        check_echo(Self::ENDPOINT, "shop_order_id", &self.shop_order_id, &report.shop_order_id)?;
        Ok(report)
    }
}

/// The state of a wallet payment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BillReport {
    /// The status.
    pub status: BillStatus,
    /// Feennex's payment id.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub payment_id: u64,
    /// What the payer actually paid.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub client_price: Option<Decimal>,
    /// The amount of the order.
    #[serde(deserialize_with = "payments_core::wire::amount")]
    pub shop_amount: Decimal,
    /// The shop currency (ISO 4217 numeric).
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub shop_currency: u64,
    /// What the shop receives.
    #[serde(default, deserialize_with = "payments_core::wire::optional_amount")]
    pub shop_refund: Option<Decimal>,
    /// The shop id.
    #[serde(deserialize_with = "payments_core::wire::integer")]
    pub shop_id: u64,
    /// The shop's order id.
    #[serde(deserialize_with = "payments_core::wire::text")]
    pub shop_order_id: String,
    /// Whether this order id was used for only one bill (if not, this is the latest).
    #[serde(default)]
    pub is_unique: Option<bool>,
    /// The payment direction (`feennex_usd`).
    #[serde(default)]
    pub payway: Option<String>,
    /// The payment system's currency (ISO 4217 numeric).
    #[serde(default, deserialize_with = "payments_core::wire::optional_integer")]
    pub ps_currency: Option<u64>,
    /// Extra data from the payment system, as JSON text.
    #[serde(default, deserialize_with = "response::raw_json_text")]
    pub ps_data: Option<String>,
    /// When the bill was created.
    #[serde(default)]
    pub created: Option<String>,
    /// When it was processed.
    #[serde(default)]
    pub processed: Option<String>,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use http::StatusCode;
    use payments_core::response::CallError;
    use proptest::prelude::*;

    use super::*;

    fn config() -> Config {
        Config::new(5, "SecretKey01")
    }

    fn request() -> BillCreate {
        BillCreate::new(
            OrderId::new("123456").unwrap(),
            Money::parse("23.15", Currency::RUB).unwrap(),
        )
    }

    fn response_body(shop_amount: &str, shop_order_id: &str, shop_id: &str) -> String {
        format!(
            r#"{{"data": {{"created": "Wed, 10 Apr 2024 14:18:19 GMT", "id": 25, "lifetime": 43200,
            "payer_account": null, "payer_currency": 643, "payer_price": 23.82,
            "shop_amount": {shop_amount}, "shop_currency": 643, "shop_id": {shop_id},
            "shop_order_id": {shop_order_id}, "shop_refund": 22.46,
            "url": "https://wallet.feennex.com/en/bill/pay/Waptm"}},
            "error_code": 0, "message": "Ok", "result": true}}"#
        )
    }

    fn parse(body: String) -> Result<Bill, Error> {
        let prepared = request().prepare(&config()).unwrap();
        let response = HttpResponse::new(StatusCode::OK, body);
        request().parse_response(&prepared, &response)
    }

    #[test]
    fn optional_fields_are_sent_unsigned() {
        let with_extras = request()
            .with_description("d")
            .with_lifetime_minutes(60)
            .with_callback_urls(Some("https://shop.example/cb".parse().unwrap()), None)
            .prepare(&config())
            .unwrap();
        let plain = request().prepare(&config()).unwrap();
        assert_eq!(with_extras.string_to_sign(), plain.string_to_sign());
        let body = with_extras.body_json().unwrap();
        assert_eq!(body["lifetime"], 60);
        assert_eq!(body["callback_url"], "https://shop.example/cb");
        assert_eq!(body["sign"], plain.body_json().unwrap()["sign"]);
        assert!(body.get("callback_rejected_url").is_none());
    }

    #[test]
    fn whole_amounts_are_sent_as_feennex_text() {
        let prepared = BillCreate::new(
            OrderId::new("1").unwrap(),
            Money::parse("1000", Currency::USD).unwrap(),
        )
        .prepare(&config())
        .unwrap();
        assert_eq!(prepared.body_json().unwrap()["shop_amount"], "1000.0");
        assert_eq!(prepared.string_to_sign(), "840:1000.0:840:5:1");
    }

    #[test]
    fn bad_optional_input_is_refused() {
        assert!(request().with_description("x".repeat(256)).prepare(&config()).is_err());
        assert!(request().with_description("").prepare(&config()).is_err());
        assert!(request().with_lifetime_minutes(0).prepare(&config()).is_err());
    }

    /// Any text: JSON escapes, control characters (refused), non-ASCII, `:`, empty.
    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof!["\\PC{0,12}", "[\"\\\\\u{1}a-z:é€😀 ]{0,10}", Just(String::new())]
    }

    fn any_url() -> impl Strategy<Value = Option<Url>> {
        proptest::option::of(
            prop_oneof![
                Just("https://shop.example/cb"),
                Just("https://shop.example/a b?q=\"é\"&x=1#f"),
                Just("http://127.0.0.1:8080/"),
            ]
            .prop_map(|url| Url::parse(url).unwrap()),
        )
    }

    proptest! {
        /// The compile-time layout writes what the generic field list writes, byte for byte,
        /// and refuses what it refuses.
        #[test]
        fn the_layout_writes_what_the_field_list_writes(
            order in any_text(),
            amount in "(0|[1-9][0-9]{0,5})(\\.[0-9]{1,3})?",
            currencies in (0..3_usize, 0..3_usize),
            shop_id in any::<u64>(),
            description in proptest::option::of(any_text()),
            payer_account in proptest::option::of(any_text()),
            lifetime in proptest::option::of(0..100_000_u32),
            urls in (any_url(), any_url(), any_url(), any_url()),
        ) {
            let currency = [Currency::RUB, Currency::USD, Currency::EUR];
            let (Ok(order), Ok(money)) = (
                OrderId::new(order),
                Money::parse(&amount, currency[currencies.0]),
            ) else {
                // Counted by proptest, which fails when too many cases are rejected: the
                // comparison cannot pass by skipping.
                prop_assume!(false);
                return Ok(());
            };
            let mut request = BillCreate::new(order, money)
                .with_payer_currency(currency[currencies.1])
                .with_return_urls(urls.0, urls.1)
                .with_callback_urls(urls.2, urls.3);
            request.description = description;
            request.payer_account = payer_account;
            request.lifetime_minutes = lifetime;
            let config = Config::new(shop_id, "SecretKey01");
            match (request.prepare(&config), request.prepare_generic(&config)) {
                (Ok(sorted), Ok(generic)) => {
                    prop_assert_eq!(&sorted.request().body, &generic.request().body);
                    prop_assert_eq!(sorted.string_to_sign(), generic.string_to_sign());
                    prop_assert_eq!(sorted.signed_keys(), generic.signed_keys());
                    prop_assert_eq!(sorted.request().url.as_str(), generic.request().url.as_str());
                    prop_assert_eq!(sorted.request().safe_to_repeat, generic.request().safe_to_repeat);
                }
                (Err(sorted), Err(generic)) => {
                    prop_assert_eq!(sorted.to_string(), generic.to_string());
                }
                (sorted, generic) => prop_assert!(false, "{:?} but {:?}", sorted, generic),
            }
        }
    }

    #[test]
    fn response_with_numbers_or_strings_parses() {
        let bill = parse(response_body("23.15", "\"123456\"", "5")).unwrap();
        assert_eq!(bill.id, 25);
        assert_eq!(bill.url.as_str(), "https://wallet.feennex.com/en/bill/pay/Waptm");
        assert_eq!(bill.payer_price.to_string(), "23.82");
        assert_eq!(bill.shop_refund.unwrap().to_string(), "22.46");
        // 2018-era responses send the order id as an integer and the shop id as a string.
        let bill = parse(response_body("\"23.15\"", "123456", "\"5\"")).unwrap();
        assert_eq!(bill.shop_order_id, "123456");
    }

    #[test]
    fn response_for_another_amount_or_order_is_refused() {
        let err = parse(response_body("23.16", "\"123456\"", "5")).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Call { source: CallError::Integrity { field: "shop_amount", .. }, .. }
            ),
            "{err:?}"
        );
        let err = parse(response_body("23.15", "\"999\"", "5")).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Call { source: CallError::Integrity { field: "shop_order_id", .. }, .. }
            ),
            "{err:?}"
        );
        let err = parse(response_body("23.15", "\"123456\"", "6")).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Call { source: CallError::Integrity { field: "shop_id", .. }, .. }
            ),
            "{err:?}"
        );
    }
}
