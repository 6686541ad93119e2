//! Fena gateway for the payments SDK: UK open-banking payments.
//!
//! Two generations of Fena's API are covered:
//!
//! - **The JWT flow** (Fena's "online payments" documentation). A [`link`] is a JWT of 12
//!   claims signed with the terminal secret (HS512) and appended to the hosted pay page;
//!   Fena's [`webhook`] is a JWT in a form field, verified with the algorithm pinned to
//!   HS512, `exp` required, a leeway, the terminal bound and the amount compared in exact
//!   pence. The customer's [`redirect`] is unsigned and can never mark an order paid.
//!   [`Terminal`] puts both behind the core capability traits.
//! - **The Toolkit REST API** ([`api`], [`Client`]): create-and-process a payment (returns
//!   its link), get a payment, list bank accounts. Its webhooks are unsigned, so they are
//!   only a trigger: the payment is fetched and its id, reference and amount compared with
//!   what was stored before anything is reported as paid.
//!
//! With `default-features = false` the crate signs, verifies and parses with no HTTP stack.
//! The default `client` feature adds [`Client`].
//!
//! # A payment link
//!
//! ```
//! use fena::{Config, link::PaymentLinkRequest};
//! use payments_core::{payment::OrderId, Currency, Money};
//!
//! let config = Config::new("4af9b080-b6d3-4206-a10f-f2162f15b655", "terminal-secret");
//! let link = PaymentLinkRequest::new(OrderId::new("ORDER-0001")?, Money::parse("10.00", Currency::GBP)?)
//!     .with_email("user@example.com")
//!     .prepare(&config)?;
//! // Redirect the payer (HTTP 303) to:
//! assert!(link.url().starts_with("https://app.fena.co/pay/?token="));
//!
//! // Rules are checked before anything is signed.
//! let too_much = PaymentLinkRequest::new(OrderId::new("ORDER-0002")?, Money::parse("5000.00", Currency::GBP)?);
//! assert!(too_much.prepare(&config).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # A webhook handler
//!
//! ```
//! use fena::{Config, webhook::{TokenVerifier, ACK}};
//! use payments_core::{webhook::WebhookRequest, Currency, Money};
//!
//! /// Looks an order's amount up in the shop's database.
//! fn stored_amount(order_id: &str) -> Option<Money> {
//!     (order_id == "ORDER-0001").then(|| Money::from_minor(1000, Currency::GBP).ok()).flatten()
//! }
//!
//! /// The raw POST body in, the HTTP status to answer out.
//! fn handle(verifier: &TokenVerifier, body: Vec<u8>) -> u16 {
//!     // Signature (HS512 only), expiry with leeway, required claims, our terminal.
//!     let Ok(token) = verifier.verify_request(&WebhookRequest::form_post(body)) else {
//!         return 400; // forged, expired, another terminal...: never mark anything paid
//!     };
//!     let Some(amount) = stored_amount(token.order_id()) else { return 400 };
//!     // `requestAmount` must be the order's amount to the penny.
//!     let Ok(paid) = token.confirm(&amount) else { return 400 };
//!     // Mark `paid.order_id()` paid exactly once (a repeat is a no-op that still gets 200);
//!     // `paid.net_difference()` tells whether `netAmount` differs from the request.
//!     ACK.status.as_u16()
//! }
//!
//! let config = Config::new("4af9b080-b6d3-4206-a10f-f2162f15b655", "terminal-secret");
//! # let claims = serde_json::json!({"exp": 4102444800_u64, "id": "5f8d0d55b54764421b7156c1",
//! #     "orderID": "ORDER-0001", "requestAmount": "10.00", "netAmount": "10.00",
//! #     "terminal": "4af9b080-b6d3-4206-a10f-f2162f15b655"});
//! # let token = fena::sign::sign(&claims, config.terminal_secret())?;
//! let verifier = TokenVerifier::new(config);
//! assert_eq!(handle(&verifier, format!("token={token}").into_bytes()), 200);
//! assert_eq!(handle(&verifier, b"token=forged".to_vec()), 400);
//! # Ok::<(), fena::Error>(())
//! ```
//!
//! # The Toolkit REST flow
//!
//! ```no_run
//! # #[cfg(feature = "client")]
//! # async fn run(webhook: &payments_core::webhook::WebhookRequest) -> Result<(), Box<dyn std::error::Error>> {
//! use fena::{Client, ToolkitConfig, api::payment::PaymentCreate};
//! use fena::webhook::ExpectedPayment;
//! use payments_core::{Currency, Money};
//!
//! let client = Client::new(ToolkitConfig::new("integration-id", "secret-key"))?;
//! let amount = Money::parse("10.00", Currency::GBP)?;
//! let created = client.create_and_process(&PaymentCreate::new("ORDER-7", amount)?).await?;
//! // Send the payer to `created.link`; store `created.id`, the reference and the amount.
//! let stored = ExpectedPayment::new(created.id, "ORDER-7", amount);
//!
//! // In the webhook handler: the unsigned body only says "look again".
//! if client.verify_request(webhook, &stored).await?.is_paid() {
//!     // mark ORDER-7 paid, exactly once
//! }
//! # Ok(())
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod amount;
pub mod api;
#[cfg(feature = "client")]
mod capabilities;
#[cfg(feature = "client")]
mod client;
pub mod clock;
mod config;
mod error;
pub mod link;
pub mod model;
pub mod redirect;
pub mod request;
pub mod response;
pub mod sign;
mod terminal;
pub mod webhook;

pub use payments_core as core;
/// The `time` crate, whose [`Date`](time::Date) the Toolkit's due and first-payment dates are.
pub use time;

#[cfg(feature = "client")]
pub use client::{BANK_ACCOUNT_PAGES, Client};
pub use config::{
    AuthHeaders, Config, DEFAULT_LEEWAY, DEFAULT_LINK_LIFETIME, DEFAULT_MAX_WEBHOOK_BYTES,
    DEFAULT_PAY_URL, TOOLKIT_BASE_URL, TOOLKIT_PROD_GCP_BASE_URL, TOOLKIT_STAGING_BASE_URL,
    ToolkitConfig,
};
pub use error::{Error, TokenError};
/// What to do after an error (`outcome_unknown`, `is_retryable`, `into_core`), as for every gateway.
pub use payments_core::GatewayError;
pub use terminal::Terminal;
