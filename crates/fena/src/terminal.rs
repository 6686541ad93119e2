//! The JWT flow as one gateway: payment links out, webhook tokens in.

use async_trait::async_trait;
use payments_core::gateway::{CreatePayment, Gateway, GatewayId, WebhookVerifier};
use payments_core::notification::Notification;
use payments_core::payment::{PaymentCreated, PaymentRequest};
use payments_core::webhook::{WebhookAck, WebhookRequest};

use crate::config::Config;
use crate::error::{Error, TokenError};
use crate::link::{PaymentLinkRequest, SignedLink};
use crate::webhook::{ACK, TokenVerifier, VerifiedToken};

/// A Fena terminal in the JWT flow: it issues payment links and verifies webhook tokens. It
/// does no I/O, so it needs no HTTP client.
///
/// Through the core traits, [`CreatePayment`] signs a link and [`WebhookVerifier`] returns a
/// paid [`Notification`] whose amount is `requestAmount`: check it with
/// [`Notification::check_order`] before marking the order paid.
///
/// ```
/// use fena::{Config, Terminal};
/// use payments_core::gateway::CreatePayment;
/// use payments_core::payment::{Customer, OrderId, PaymentRequest};
/// use payments_core::{Currency, Money};
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let terminal = Terminal::new(Config::new("4af9b080-b6d3-4206-a10f-f2162f15b655", "terminal-secret"));
/// let request = PaymentRequest::new(OrderId::new("ORDER-0001")?, Money::parse("10", Currency::GBP)?)
///     .with_customer(Customer::default().with_email("user@example.com"));
/// let created = terminal.create_payment(&request).await?;
/// assert!(created.link.redirect_url().unwrap().as_str().starts_with("https://app.fena.co/pay/?token="));
/// assert_eq!(created.gateway_payment_id, None, "a signed link creates nothing at Fena");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Terminal {
    verifier: TokenVerifier,
}

impl Terminal {
    /// The terminal in `config`.
    pub fn new(config: Config) -> Self {
        Self { verifier: TokenVerifier::new(config) }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        self.verifier.config()
    }

    /// Validates and signs a payment link.
    ///
    /// # Errors
    ///
    /// As [`PaymentLinkRequest::prepare`].
    pub fn payment_link(&self, request: &PaymentLinkRequest) -> Result<SignedLink, Error> {
        request.prepare(self.config())
    }

    /// Verifies a webhook request (see [`TokenVerifier::verify_request`]).
    ///
    /// # Errors
    ///
    /// As [`TokenVerifier::verify_request`].
    pub fn verify_request(&self, request: &WebhookRequest) -> Result<VerifiedToken, TokenError> {
        self.verifier.verify_request(request)
    }

    /// The old name of [`Terminal::verify_request`].
    ///
    /// # Errors
    ///
    /// As [`Terminal::verify_request`].
    #[deprecated(note = "renamed to `Terminal::verify_request`, the one verb for webhooks")]
    pub fn verify_webhook(&self, request: &WebhookRequest) -> Result<VerifiedToken, TokenError> {
        self.verify_request(request)
    }

    /// The payment link request for a provider-agnostic one: e-mail and phone are passed on,
    /// a full name is split at its first space into first and last name. URLs and the
    /// description have no place in a Fena link (the redirect is set on the terminal).
    pub fn link_request(request: &PaymentRequest) -> PaymentLinkRequest {
        let customer = &request.customer;
        let mut link = PaymentLinkRequest::new(request.order_id.clone(), request.money);
        if let Some(email) = &customer.email {
            link = link.with_email(email.clone());
        }
        if let Some(phone) = &customer.phone {
            link = link.with_contact_number(phone.clone());
        }
        if let Some(name) = &customer.name {
            let name = name.trim();
            link = match name.split_once(char::is_whitespace) {
                Some((first, last)) => link.with_first_name(first).with_last_name(last.trim()),
                None => link.with_first_name(name),
            };
        }
        link
    }
}

impl Gateway for Terminal {
    fn id(&self) -> GatewayId {
        GatewayId::Fena
    }
}

#[async_trait]
impl CreatePayment for Terminal {
    /// Signs a payment link (no request is sent, so there is no gateway payment id: the
    /// webhook names the order by its `orderID`).
    async fn create_payment(
        &self,
        request: &PaymentRequest,
    ) -> Result<PaymentCreated, payments_core::Error> {
        let link = self.payment_link(&Self::link_request(request))?;
        Ok(PaymentCreated::new(link.to_payment_link()))
    }
}

#[async_trait]
impl WebhookVerifier for Terminal {
    fn gateway(&self) -> GatewayId {
        GatewayId::Fena
    }

    /// Verifies the token; the notification's money is `requestAmount`, not yet checked
    /// against the order.
    async fn verify(&self, request: &WebhookRequest) -> Result<Notification, payments_core::Error> {
        let token = self.verify_request(request).map_err(Error::from)?;
        Ok(token.to_notification())
    }

    fn ack(&self) -> WebhookAck {
        ACK
    }
}
