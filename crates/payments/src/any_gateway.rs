//! One API over whichever gateway the configuration names.

use std::sync::Arc;

use payments_core::gateway::{
    Balances, CreatePayment, Payouts, QueryPaymentStatus, Refunds, Subscriptions, WebhookVerifier,
};
use payments_core::notification::Notification;
use payments_core::payment::{OrderId, PaymentCreated, PaymentRequest};
use payments_core::report::{
    Balance, PaymentReport, PayoutReport, PayoutRequest, RefundReport, RefundRequest,
};
use payments_core::subscription::{Subscription, SubscriptionRequest};
use payments_core::transport::ClientOptions;
use payments_core::webhook::{WebhookAck, WebhookRequest};
use payments_core::{Error, GatewayId};
#[cfg(any(feature = "feennex", feature = "freekassa", feature = "fena"))]
use payments_core::{ExposeSecret, SecretString};

use crate::config::GatewayConfig;
use crate::error::ConfigError;

/// A gateway chosen at run time, with every capability it has.
///
/// Asking for a capability the gateway lacks is an [`Error::Unsupported`] naming the gateway
/// and the capability, never a panic.
///
/// ```no_run
/// use payments::{AnyGateway, GatewayConfig, Currency, Money};
/// use payments::payment::{OrderId, PaymentRequest};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let gateway = AnyGateway::from_config(&GatewayConfig::from_env()?)?;
/// let request = PaymentRequest::new(OrderId::new("order-42")?, Money::parse("10.00", Currency::USD)?);
/// let created = gateway.create_payment(&request).await?;
/// println!("send the payer to {:?}", created.link.redirect_url());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AnyGateway {
    id: GatewayId,
    create: Arc<dyn CreatePayment>,
    status: Option<Arc<dyn QueryPaymentStatus>>,
    payouts: Option<Arc<dyn Payouts>>,
    refunds: Option<Arc<dyn Refunds>>,
    balances: Option<Arc<dyn Balances>>,
    subscriptions: Option<Arc<dyn Subscriptions>>,
    webhooks: Arc<dyn WebhookVerifier>,
}

impl std::fmt::Debug for AnyGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnyGateway")
            .field("id", &self.id)
            .field("status", &self.status.is_some())
            .field("payouts", &self.payouts.is_some())
            .field("refunds", &self.refunds.is_some())
            .field("balances", &self.balances.is_some())
            .field("subscriptions", &self.subscriptions.is_some())
            .finish_non_exhaustive()
    }
}

impl AnyGateway {
    /// Builds the gateway with the default HTTP transport.
    ///
    /// Everything the gateway needs is checked here, not at the first request: a missing or
    /// empty credential is a [`ConfigError::Missing`] naming the setting. Webhook
    /// verification is part of every gateway, so Freekassa needs `secret2` (secret word 2).
    ///
    /// ```
    /// # #[cfg(feature = "freekassa")] {
    /// use payments::{AnyGateway, ConfigError, GatewayConfig};
    ///
    /// let config = GatewayConfig::from_json(r#"{"gateway": "freekassa", "shop_id": 7012, "secret1": "s"}"#)?;
    /// let error = AnyGateway::from_config(&config).unwrap_err();
    /// assert!(matches!(error, ConfigError::Missing { setting: "secret2", .. }));
    /// # }
    /// # Ok::<(), payments::ConfigError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ConfigError::Missing`] for a credential that is missing or empty,
    /// [`ConfigError::Invalid`] for an invalid setting, [`ConfigError::Transport`] for an HTTP
    /// client that cannot be built.
    pub fn from_config(config: &GatewayConfig) -> Result<Self, ConfigError> {
        Self::with_options(config, &ClientOptions::default())
    }

    /// Builds the gateway with these client options: timeouts, user agent or a ready
    /// transport, and the retry policy for reads, the same [`ClientOptions`] every gateway
    /// crate's client takes.
    ///
    /// ```
    /// use std::time::Duration;
    /// use payments::transport::{ClientOptions, RetryPolicy};
    /// use payments::{AnyGateway, GatewayConfig};
    ///
    /// # #[cfg(feature = "feennex")] {
    /// let config = GatewayConfig::from_json(r#"{"gateway": "feennex", "shop_id": 5, "secret": "s"}"#)?;
    /// let options = ClientOptions::default()
    ///     .timeout(Duration::from_secs(10))
    ///     .retry_policy(RetryPolicy::disabled());
    /// let gateway = AnyGateway::with_options(&config, &options)?;
    /// # drop(gateway);
    /// # }
    /// # Ok::<(), payments::ConfigError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`AnyGateway::from_config`].
    pub fn with_options(
        config: &GatewayConfig,
        options: &ClientOptions,
    ) -> Result<Self, ConfigError> {
        // Built once, so a gateway's client and verifier share one connection pool.
        let transport =
            options.build_transport().map_err(|error| ConfigError::Transport(error.to_string()))?;
        Self::build(config, &options.clone().transport(transport))
    }

    #[cfg_attr(
        not(any(feature = "feennex", feature = "freekassa", feature = "fena")),
        allow(unused_variables, reason = "with no gateway there is no config to build from")
    )]
    fn build(config: &GatewayConfig, options: &ClientOptions) -> Result<Self, ConfigError> {
        // `*config`: with no gateway feature the enum has no variants and this match no arms.
        match *config {
            #[cfg(feature = "feennex")]
            GatewayConfig::Feennex(ref settings) => {
                let invalid = |error: payments_core::InputError| ConfigError::Invalid {
                    gateway: GatewayId::Feennex,
                    reason: error.to_string(),
                };
                let secret = required(
                    GatewayId::Feennex,
                    "secret",
                    Some(&settings.secret),
                    "the shop's secret key signs every request and callback",
                )?;
                let mut feennex_config = feennex::Config::new(settings.shop_id, secret.clone());
                if let Some(url) = &settings.base_url {
                    feennex_config = feennex_config.with_base_url(url).map_err(invalid)?;
                }
                if let Some(url) = &settings.pay_form_url {
                    feennex_config = feennex_config.with_pay_form_url(url).map_err(invalid)?;
                }
                let client = Arc::new(
                    feennex::Client::with_options(feennex_config, options)
                        .map_err(|error| ConfigError::Transport(error.to_string()))?,
                );
                Ok(Self {
                    id: GatewayId::Feennex,
                    create: client.clone(),
                    status: Some(client.clone()),
                    payouts: Some(client.clone()),
                    refunds: None,
                    balances: Some(client.clone()),
                    subscriptions: None,
                    webhooks: client,
                })
            }
            #[cfg(feature = "fena")]
            GatewayConfig::Fena(ref settings) => fena_gateway(settings, options),
            #[cfg(feature = "freekassa")]
            GatewayConfig::Freekassa(ref settings) => freekassa_gateway(settings, options),
        }
    }

    /// Which gateway this is.
    pub fn id(&self) -> GatewayId {
        self.id
    }

    fn unsupported(&self, capability: &str) -> Error {
        Error::Unsupported { gateway: self.id, capability: capability.to_owned() }
    }

    /// Creates a payment and says where to send the payer (`link`), with the gateway's id of
    /// the payment when creation returned one (`gateway_payment_id`: Feennex's bill or
    /// invoice id, Fena's Toolkit payment id, which [`AnyGateway::payment_status`] takes for
    /// Fena). Store that id with the order.
    ///
    /// # Errors
    ///
    /// What the gateway reported; [`Error::Unsupported`] for a currency or method it lacks.
    pub async fn create_payment(&self, request: &PaymentRequest) -> Result<PaymentCreated, Error> {
        self.create.create_payment(request).await
    }

    /// The status of the payment for `order_id`.
    ///
    /// Fena answers through the Toolkit (a configuration with `toolkit`) and only by **Fena's
    /// payment id** (the `gateway_payment_id` [`AnyGateway::create_payment`] returned), because the Toolkit documents
    /// no lookup by the shop's reference: a reference is refused with
    /// [`Error::Unsupported`]. Fena's JWT flow (no `toolkit`) has no status query.
    ///
    /// # Errors
    ///
    /// What the gateway reported; [`Error::Unsupported`] if it has no status query.
    pub async fn payment_status(&self, order_id: &OrderId) -> Result<PaymentReport, Error> {
        self.status
            .as_ref()
            .ok_or_else(|| self.unsupported("payment status"))?
            .payment_status(order_id)
            .await
    }

    /// Creates a payout (never retried; see [`Payouts::create_payout`]).
    ///
    /// # Errors
    ///
    /// What the gateway reported; [`Error::Unsupported`] if it has no payouts.
    pub async fn create_payout(&self, request: &PayoutRequest) -> Result<PayoutReport, Error> {
        self.payouts
            .as_ref()
            .ok_or_else(|| self.unsupported("payouts"))?
            .create_payout(request)
            .await
    }

    /// The status of a payout by the shop's id.
    ///
    /// # Errors
    ///
    /// What the gateway reported; [`Error::Unsupported`] if it has no payouts.
    pub async fn payout_status(&self, payout_id: &OrderId) -> Result<PayoutReport, Error> {
        self.payouts
            .as_ref()
            .ok_or_else(|| self.unsupported("payouts"))?
            .payout_status(payout_id)
            .await
    }

    /// Refunds a payment.
    ///
    /// # Errors
    ///
    /// What the gateway reported; [`Error::Unsupported`] if it has no refunds.
    pub async fn refund(&self, request: &RefundRequest) -> Result<RefundReport, Error> {
        self.refunds.as_ref().ok_or_else(|| self.unsupported("refunds"))?.refund(request).await
    }

    /// The shop's balances.
    ///
    /// # Errors
    ///
    /// What the gateway reported; [`Error::Unsupported`] if it has no balance query.
    pub async fn balances(&self) -> Result<Vec<Balance>, Error> {
        self.balances.as_ref().ok_or_else(|| self.unsupported("balances"))?.balances().await
    }

    /// Creates a subscription (never retried; see [`Subscriptions`] for what the word means
    /// at each gateway and what each one takes).
    ///
    /// Fena (with `toolkit`): a standing order the payer sets up at their bank. Freekassa: the
    /// first charge, after which the shop sends each repeat charge itself. Feennex and Fena's
    /// JWT flow (no `toolkit`) have none.
    ///
    /// ```no_run
    /// use payments::{AnyGateway, Currency, GatewayConfig, Money};
    /// use payments::payment::OrderId;
    /// use payments::core::subscription::{Date, Interval, Month, SubscriptionRequest};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let gateway = AnyGateway::from_config(&GatewayConfig::from_env()?)?;
    /// let request = SubscriptionRequest::new(OrderId::new("sub-0001")?, Money::parse("9.99", Currency::GBP)?, Interval::Month)
    ///     .with_first_charge_on(Date::from_calendar_date(2030, Month::January, 7)?);
    /// let subscription = gateway.create_subscription(&request).await?;
    /// println!("send the payer to {:?}", subscription.payer_url);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// What the gateway reported; [`Error::Unsupported`] if it has no subscriptions or cannot
    /// take a part of the request.
    pub async fn create_subscription(
        &self,
        request: &SubscriptionRequest,
    ) -> Result<Subscription, Error> {
        self.subscriptions
            .as_ref()
            .ok_or_else(|| self.unsupported("subscriptions"))?
            .create_subscription(request)
            .await
    }

    /// The subscription by the gateway's id ([`Subscription::gateway_subscription_id`]).
    /// Fena only: Freekassa documents no such read.
    ///
    /// ```no_run
    /// # async fn run(gateway: payments::AnyGateway) -> Result<(), payments::Error> {
    /// let subscription = gateway.subscription_status("62b48c5b6ba2cd6a040b20b1").await?;
    /// println!("{:?}", subscription.status);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// What the gateway reported; [`Error::Unsupported`] if it cannot read subscriptions.
    pub async fn subscription_status(
        &self,
        gateway_subscription_id: &str,
    ) -> Result<Subscription, Error> {
        self.subscriptions
            .as_ref()
            .ok_or_else(|| self.unsupported("subscriptions"))?
            .subscription_status(gateway_subscription_id)
            .await
    }

    /// Cancels the subscription by the gateway's id, where the gateway can: Fena only before
    /// the payer set the standing order up; never at Freekassa.
    ///
    /// ```no_run
    /// # async fn run(gateway: payments::AnyGateway) -> Result<(), payments::Error> {
    /// match gateway.cancel_subscription("62b48c5b6ba2cd6a040b20b1").await {
    ///     Ok(()) => println!("no further charges"),
    ///     Err(payments::Error::Unsupported { capability, .. }) => println!("tell the payer: {capability}"),
    ///     Err(error) => return Err(error),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// What the gateway reported; [`Error::Unsupported`] if it cannot cancel this one.
    pub async fn cancel_subscription(&self, gateway_subscription_id: &str) -> Result<(), Error> {
        self.subscriptions
            .as_ref()
            .ok_or_else(|| self.unsupported("subscriptions"))?
            .cancel_subscription(gateway_subscription_id)
            .await
    }

    /// Charges a subscription again where the shop charges (Freekassa): `charge` carries the
    /// charge's own order id, the amount, the payment method and the payer's e-mail and IP
    /// address. Fena's standing orders are paid by the payer's bank on schedule:
    /// [`Error::Unsupported`]. See
    /// [`Subscriptions::charge_subscription`](payments_core::gateway::Subscriptions::charge_subscription).
    ///
    /// ```no_run
    /// # use payments::payment::{Customer, OrderId, PaymentRequest};
    /// # use payments::{Currency, Money};
    /// # async fn run(gateway: payments::AnyGateway) -> Result<(), Box<dyn std::error::Error>> {
    /// let charge = PaymentRequest::new(OrderId::new("sub-1-2")?, Money::parse("299", Currency::RUB)?)
    ///     .with_payment_method("36")
    ///     .with_customer(Customer::default().with_email("user@example.com").with_ip("203.0.113.10".parse()?));
    /// let report = gateway.charge_subscription("91", &charge).await?;
    /// assert_eq!(report.order_id, "sub-1-2");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// What the gateway reported; [`Error::Unsupported`] where the shop cannot charge.
    pub async fn charge_subscription(
        &self,
        gateway_subscription_id: &str,
        charge: &PaymentRequest,
    ) -> Result<PaymentReport, Error> {
        self.subscriptions
            .as_ref()
            .ok_or_else(|| self.unsupported("subscriptions"))?
            .charge_subscription(gateway_subscription_id, charge)
            .await
    }

    /// Verifies a webhook into a provider-agnostic notification: the same entry point,
    /// `verify_request(&WebhookRequest)`, as every gateway crate's verifier.
    ///
    /// # Errors
    ///
    /// [`Error::Webhook`] for anything not provably from the gateway.
    pub async fn verify_request(&self, request: &WebhookRequest) -> Result<Notification, Error> {
        self.webhooks.verify(request).await
    }

    /// Verifies a webhook; the old name of [`AnyGateway::verify_request`].
    ///
    /// # Errors
    ///
    /// As [`AnyGateway::verify_request`].
    #[deprecated(note = "use `verify_request`, the name every verifier has")]
    pub async fn verify_webhook(&self, request: &WebhookRequest) -> Result<Notification, Error> {
        self.verify_request(request).await
    }

    /// What to answer the gateway once a notification was handled.
    pub fn webhook_ack(&self) -> WebhookAck {
        self.webhooks.ack()
    }

    /// The webhook verifier, for web-framework glue. It holds every credential verification
    /// needs ([`AnyGateway::from_config`] refuses a configuration without them).
    pub fn webhook_verifier(&self) -> Arc<dyn WebhookVerifier> {
        self.webhooks.clone()
    }
}

#[cfg(feature = "fena")]
fn fena_gateway(
    settings: &crate::config::FenaSettings,
    options: &ClientOptions,
) -> Result<AnyGateway, ConfigError> {
    let invalid = |error: payments_core::InputError| ConfigError::Invalid {
        gateway: GatewayId::Fena,
        reason: error.to_string(),
    };
    let terminal_secret = required(
        GatewayId::Fena,
        "terminal_secret",
        Some(&settings.terminal_secret),
        "the terminal secret signs payment links and webhook tokens",
    )?;
    let mut config = fena::Config::new(settings.terminal_id.clone(), terminal_secret.clone());
    if let Some(url) = &settings.pay_url {
        config = config.with_pay_url(url).map_err(invalid)?;
    }
    let only = |create: Arc<dyn CreatePayment>, webhooks: Arc<dyn WebhookVerifier>| AnyGateway {
        id: GatewayId::Fena,
        create,
        status: None,
        payouts: None,
        refunds: None,
        balances: None,
        subscriptions: None,
        webhooks,
    };
    match &settings.toolkit {
        None => {
            let terminal = Arc::new(fena::Terminal::new(config));
            Ok(only(terminal.clone(), terminal))
        }
        Some(toolkit) => {
            let secret_key = required(
                GatewayId::Fena,
                "toolkit.secret_key",
                Some(&toolkit.secret_key),
                "the Toolkit secret key fetches the payment each webhook names",
            )?;
            let mut toolkit_config =
                fena::ToolkitConfig::new(toolkit.integration_id.clone(), secret_key.clone());
            if let Some(url) = &toolkit.base_url {
                toolkit_config = toolkit_config.with_base_url(url).map_err(invalid)?;
            }
            let client = Arc::new(
                fena::Client::with_options(toolkit_config, options)
                    .map_err(|error| ConfigError::Transport(error.to_string()))?,
            );
            // Status through the Toolkit, by Fena's payment id (the Toolkit documents no
            // lookup by the shop's reference; `fena::Client`'s `payment_status` says so).
            let status: Arc<dyn QueryPaymentStatus> = client.clone();
            let subscriptions: Arc<dyn Subscriptions> = client.clone();
            Ok(AnyGateway {
                status: Some(status),
                subscriptions: Some(subscriptions),
                ..only(client.clone(), client)
            })
        }
    }
}

#[cfg(feature = "freekassa")]
fn freekassa_gateway(
    settings: &crate::config::FreekassaSettings,
    options: &ClientOptions,
) -> Result<AnyGateway, ConfigError> {
    use freekassa::source_ip::{IpRange, SourcePolicy};
    let invalid = |reason: String| ConfigError::Invalid { gateway: GatewayId::Freekassa, reason };
    let secret2 = required(
        GatewayId::Freekassa,
        "secret2",
        settings.secret2.as_ref(),
        "secret word 2 (\"Секретное слово 2\" in the shop's settings) verifies notifications; \
         set `secret2` in the configuration or PAYMENTS_SECRET2 in the environment",
    )?;
    let mut config = freekassa::Config::new(settings.shop_id).with_secret2(secret2.clone());
    if let Some(secret) = &settings.secret1 {
        config = config.with_secret1(secret.clone());
    }
    if let Some(key) = &settings.api_key {
        config = config.with_api_key(key.clone());
    }
    if let Some(url) = &settings.form_url {
        config = config.with_form_url(url).map_err(|error| invalid(error.to_string()))?;
    }
    if let Some(url) = &settings.api_url {
        config = config.with_api_url(url).map_err(|error| invalid(error.to_string()))?;
    }
    let ranges = |list: &[String]| -> Result<Vec<IpRange>, ConfigError> {
        list.iter()
            .map(|text| {
                text.parse()
                    .map_err(|_| invalid(format!("{text:?} is not an address or CIDR range")))
            })
            .collect()
    };
    let mut policy = match &settings.notification_sources {
        Some(list) => SourcePolicy::allow(ranges(list)?),
        None => SourcePolicy::freekassa(),
    };
    for proxy in ranges(&settings.trusted_proxies)? {
        policy = policy.with_trusted_proxy(proxy);
    }
    let mut verifier = freekassa::NotificationVerifier::new(&config)
        .map_err(|error| invalid(error.to_string()))?
        .with_source_policy(policy);
    if let Some(code) = &settings.currency {
        let currency = payments_core::money::currency_from_code(code)
            .map_err(|error| invalid(error.to_string()))?;
        verifier = verifier.with_currency(currency).map_err(|error| invalid(error.to_string()))?;
    }
    let client = Arc::new(
        freekassa::Client::with_options(config, options)
            .map_err(|error| ConfigError::Transport(error.to_string()))?,
    );
    Ok(AnyGateway {
        id: GatewayId::Freekassa,
        create: client.clone(),
        status: Some(client.clone()),
        payouts: Some(client.clone()),
        refunds: Some(client.clone()),
        balances: Some(client.clone()),
        subscriptions: Some(client),
        webhooks: Arc::new(verifier),
    })
}

/// A credential that must be set and not empty (an empty secret from an unset environment
/// variable would make every signature wrong).
#[cfg(any(feature = "feennex", feature = "freekassa", feature = "fena"))]
fn required<'a>(
    gateway: GatewayId,
    setting: &'static str,
    secret: Option<&'a SecretString>,
    needed_for: &'static str,
) -> Result<&'a SecretString, ConfigError> {
    secret.filter(|secret| !secret.expose_secret().is_empty()).ok_or(ConfigError::Missing {
        gateway,
        setting,
        needed_for,
    })
}
