//! Provider-agnostic payment types: what a shop asks for, and where the payer goes next.

use std::fmt;
use std::net::IpAddr;

use url::Url;

use crate::error::InputError;
use crate::money::Money;

mod form;

pub use form::{FormMethod, HtmlForm, escape_html};

/// The longest order id the gateways accept, in characters.
pub const MAX_ORDER_ID_CHARS: usize = 255;

/// The shop's own id for an order: non-empty, at most 255 characters, no control characters.
///
/// Gateways treat it as the merchant's unique reference, and it is what a shop uses to find a
/// payment again after a timeout.
///
/// ```
/// use payments_core::payment::OrderId;
///
/// assert!(OrderId::new("order-42").is_ok());
/// assert!(OrderId::new("").is_err());
/// assert!(OrderId::new("x".repeat(256)).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(String);

impl OrderId {
    /// Validates and wraps an order id.
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] naming `order_id` when it is empty, longer than 255 characters,
    /// or contains a control character.
    pub fn new(id: impl Into<String>) -> Result<Self, InputError> {
        let id = id.into();
        validate_text("order_id", &id, MAX_ORDER_ID_CHARS)?;
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for OrderId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Checks a text field: non-empty, at most `max_chars` characters, no control characters.
///
/// # Errors
///
/// [`InputError::Field`] naming `field`.
pub fn validate_text(field: &'static str, value: &str, max_chars: usize) -> Result<(), InputError> {
    if value.is_empty() {
        return Err(InputError::field(field, "must not be empty"));
    }
    let chars = value.chars().count();
    if chars > max_chars {
        return Err(InputError::field(
            field,
            format!("is {chars} characters long, the limit is {max_chars}"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(InputError::field(field, "must not contain control characters"));
    }
    Ok(())
}

/// Who pays. Every field is optional; gateways use what they support.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Customer {
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// The payer's IP address.
    pub ip: Option<IpAddr>,
}

impl fmt::Debug for Customer {
    // Personal data stays out of logs: only which fields are present is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |present: bool| if present { "<set>" } else { "<none>" };
        f.debug_struct("Customer")
            .field("email", &shown(self.email.is_some()))
            .field("phone", &shown(self.phone.is_some()))
            .field("name", &shown(self.name.is_some()))
            .field("ip", &shown(self.ip.is_some()))
            .finish()
    }
}

impl Customer {
    /// Sets the e-mail address.
    #[must_use]
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets the phone number.
    #[must_use]
    pub fn with_phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// Sets the full name.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the payer's IP address.
    #[must_use]
    pub fn with_ip(mut self, ip: IpAddr) -> Self {
        self.ip = Some(ip);
        self
    }
}

/// A request to take a payment, independent of the gateway.
///
/// ```
/// use payments_core::payment::{OrderId, PaymentRequest};
/// use payments_core::{Currency, Money};
///
/// let request = PaymentRequest::new(OrderId::new("order-42")?, Money::parse("12.50", Currency::USD)?)
///     .with_description("Two coffees")
///     .with_success_url("https://shop.example/paid".parse()?);
/// assert_eq!(request.order_id.as_str(), "order-42");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentRequest {
    /// The shop's unique id for the order.
    pub order_id: OrderId,
    /// What to charge.
    pub money: Money,
    /// Shown to the payer.
    pub description: Option<String>,
    /// Who pays.
    pub customer: Customer,
    /// Where the payer returns after paying.
    pub success_url: Option<Url>,
    /// Where the payer returns after a failure or cancellation.
    pub failure_url: Option<Url>,
    /// Where the gateway sends its notification, when the gateway takes it per payment.
    pub notification_url: Option<Url>,
    /// A gateway-specific payment method to preselect (a Feennex payway, a Freekassa method id).
    pub payment_method: Option<String>,
}

impl PaymentRequest {
    /// A request for `money` under `order_id`, with nothing else set.
    pub fn new(order_id: OrderId, money: Money) -> Self {
        Self {
            order_id,
            money,
            description: None,
            customer: Customer::default(),
            success_url: None,
            failure_url: None,
            notification_url: None,
            payment_method: None,
        }
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the customer.
    #[must_use]
    pub fn with_customer(mut self, customer: Customer) -> Self {
        self.customer = customer;
        self
    }

    /// Sets the success return URL.
    #[must_use]
    pub fn with_success_url(mut self, url: Url) -> Self {
        self.success_url = Some(url);
        self
    }

    /// Sets the failure return URL.
    #[must_use]
    pub fn with_failure_url(mut self, url: Url) -> Self {
        self.failure_url = Some(url);
        self
    }

    /// Sets the notification URL.
    #[must_use]
    pub fn with_notification_url(mut self, url: Url) -> Self {
        self.notification_url = Some(url);
        self
    }

    /// Preselects a gateway-specific payment method.
    #[must_use]
    pub fn with_payment_method(mut self, method: impl Into<String>) -> Self {
        self.payment_method = Some(method.into());
        self
    }
}

/// What creating a payment returns: where to send the payer, and the gateway's own id of the
/// payment when creation returned one.
///
/// Store the id with the order: it is how some gateways answer a status query (Fena's
/// Toolkit finds a payment only by its own id). Gateways whose creation sends nothing (a
/// signed form or link) return no id; their status is queried by the shop's order id.
///
/// ```
/// use payments_core::payment::{PaymentCreated, PaymentLink};
///
/// let created = PaymentCreated::new(PaymentLink::Redirect("https://pay.example/p/42".parse()?))
///     .with_gateway_payment_id("42");
/// assert_eq!(created.gateway_payment_id.as_deref(), Some("42"));
/// assert_eq!(created.link.redirect_url().map(String::from).as_deref(), Some("https://pay.example/p/42"));
/// # Ok::<(), url::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentCreated {
    /// Where to send the payer.
    pub link: PaymentLink,
    /// The gateway's id of the payment, if creation returned one (Feennex's bill or invoice
    /// id, Fena's Toolkit payment id; none for Freekassa's form or a Fena payment link).
    pub gateway_payment_id: Option<String>,
}

impl PaymentCreated {
    /// A created payment without a gateway id.
    pub fn new(link: PaymentLink) -> Self {
        Self { link, gateway_payment_id: None }
    }

    /// Sets the gateway's id of the payment.
    #[must_use]
    pub fn with_gateway_payment_id(mut self, id: impl Into<String>) -> Self {
        self.gateway_payment_id = Some(id.into());
        self
    }
}

/// Where to send the payer: a URL to redirect to, or a form their browser must submit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PaymentLink {
    /// Redirect the payer to this URL (HTTP 303 or a link).
    Redirect(Url),
    /// Have the payer's browser submit this form.
    Form(HtmlForm),
}

impl PaymentLink {
    /// A URL the payer can simply be redirected to, if there is one: the redirect itself, or a
    /// GET form written as a query string.
    pub fn redirect_url(&self) -> Option<Url> {
        match self {
            Self::Redirect(url) => Some(url.clone()),
            Self::Form(form) => form.to_get_url(),
        }
    }

    /// An HTML page that sends the payer on: a form that submits itself, or a link.
    pub fn to_html(&self) -> String {
        match self {
            Self::Redirect(url) => {
                HtmlForm { method: FormMethod::Get, action: url.clone(), fields: Vec::new() }
                    .to_auto_submit_html()
            }
            Self::Form(form) => form.to_auto_submit_html(),
        }
    }
}

/// The state of a payment, mapped from each gateway's own statuses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PaymentStatus {
    /// Created, not paid yet.
    Pending,
    /// Money received. The only status that may mark an order paid.
    Paid,
    /// Held (authorised) but not captured.
    Held,
    /// Failed or rejected.
    Failed,
    /// Cancelled by the payer or the shop.
    Canceled,
    /// Not paid in time.
    Expired,
    /// Paid, then refunded.
    Refunded,
    /// A status this SDK does not know, with the gateway's own text.
    Unknown(String),
}

impl PaymentStatus {
    /// Whether the status can no longer change (an unknown status is treated as not final).
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Paid | Self::Failed | Self::Canceled | Self::Expired | Self::Refunded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    #[test]
    fn order_id_rules() {
        assert!(OrderId::new("a").is_ok());
        assert!(OrderId::new("я".repeat(255)).is_ok(), "the limit counts characters, not bytes");
        let err = OrderId::new("x".repeat(256)).unwrap_err();
        assert_eq!(err.to_string(), "field order_id: is 256 characters long, the limit is 255");
        assert_eq!(OrderId::new("").unwrap_err().to_string(), "field order_id: must not be empty");
        assert!(OrderId::new("a\nb").is_err());
    }

    #[test]
    fn get_form_becomes_a_url_with_encoded_fields() {
        let form = HtmlForm::new(
            FormMethod::Get,
            "https://pay.example/".parse().unwrap(),
            vec![("o".into(), "a b&c".into()), ("s".into(), "x".into())],
        );
        let url = PaymentLink::Form(form).redirect_url().unwrap();
        assert_eq!(url.as_str(), "https://pay.example/?o=a+b%26c&s=x");
    }

    #[test]
    fn a_redirect_page_keeps_the_query_of_the_url() {
        let link =
            PaymentLink::Redirect("https://pay.example/go?session_id=abc&n=1".parse().unwrap());
        let html = link.to_html();
        assert!(html.contains(r#"action="https://pay.example/go""#), "{html}");
        assert!(html.contains(r#"name="session_id" value="abc""#), "{html}");
        assert!(html.contains(r#"name="n" value="1""#), "{html}");
    }

    #[test]
    fn customer_debug_hides_personal_data() {
        let customer = Customer::default().with_email("payer@example.com").with_phone("+100");
        let debug = format!("{customer:?}");
        assert!(!debug.contains("payer@example.com") && !debug.contains("+100"), "{debug}");
        assert!(debug.contains("<set>"));
    }

    #[test]
    fn only_settled_statuses_are_final() {
        assert!(PaymentStatus::Paid.is_final());
        assert!(!PaymentStatus::Pending.is_final());
        assert!(!PaymentStatus::Held.is_final());
        assert!(!PaymentStatus::Unknown("x".into()).is_final());
    }

    #[test]
    fn request_builder_sets_fields() {
        let money = Money::parse("1", Currency::EUR).unwrap();
        let request = PaymentRequest::new(OrderId::new("1").unwrap(), money)
            .with_payment_method("card_eur")
            .with_customer(Customer::default().with_name("A"));
        assert_eq!(request.payment_method.as_deref(), Some("card_eur"));
        assert_eq!(request.customer.name.as_deref(), Some("A"));
    }
}
