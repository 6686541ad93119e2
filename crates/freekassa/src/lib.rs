//! Freekassa gateway for the payments SDK.
//!
//! - [`form`]: the signed payment form link (SCI) to `pay.fk.money`;
//! - [`webhook`]: payment notifications verified over the raw received strings, with secret
//!   word 2, the shop id, the source address ([`source_ip`]) and a one-call order check; the
//!   answer is `YES`;
//! - [`api`]: every API v1 endpoint, signed with HMAC-SHA256 over exactly the JSON that is
//!   sent ([`request`]), with `{"type": "error"}` recognised whatever the HTTP status
//!   ([`response`]);
//! - [`nonce`]: nonces that only go up, on a scale above every older scheme;
//! - [`model`]: order statuses, payment-system ids, currencies.
//!
//! With `default-features = false` the crate signs, verifies and parses with no HTTP stack.
//!
//! | feature | gives |
//! |---|---|
//! | `client` (default) | [`Client`], which also implements the core capability traits (and `async`) |
//! | `rustls` (default) / `native-tls` | the TLS library of the HTTP client |
//! | `multipart` (default) | notifications posted as `multipart/form-data` (multer) |
//! | `async` | `payments_core::gateway::WebhookVerifier` for [`NotificationVerifier`] and `nonce::NonceSource`, without the HTTP client |
//!
//! # A payment form link
//!
//! ```
//! use freekassa::{Config, PaymentForm};
//! use payments_core::{payment::OrderId, Currency, Money};
//!
//! let config = Config::new(7012).with_secret1("secret");
//! let link = PaymentForm::new(OrderId::new("154")?, Money::parse("100.11", Currency::RUB)?)
//!     .prepare(&config)?;
//! assert_eq!(
//!     link.url().as_str(),
//!     "https://pay.fk.money/?m=7012&oa=100.11&currency=RUB&o=154&s=64d0581f4a08af485a619950e023696a"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # A notification handler
//!
//! ```
//! use freekassa::webhook::{NotificationVerifier, ACK};
//! use payments_core::webhook::WebhookRequest;
//! use payments_core::{Currency, Money};
//!
//! /// Called by the web framework with the raw request; returns status and body.
//! fn handle(verifier: &NotificationVerifier, request: &WebhookRequest) -> (u16, &'static str) {
//!     let notification = match verifier.verify_request(request) {
//!         Ok(notification) => notification,
//!         Err(_) => return (400, "refused"),
//!     };
//!     // Load the order by `notification.merchant_order_id`; here it is fixed.
//!     let expected = Money::parse("100", Currency::RUB).expect("a valid amount");
//!     if notification.check_order("test_order", &expected).is_err() {
//!         return (400, "wrong order");
//!     }
//!     // Mark the order paid once (Freekassa repeats until it reads YES).
//!     (ACK.status.as_u16(), ACK.body)
//! }
//!
//! let verifier = NotificationVerifier::new(&freekassa::Config::new(123).with_secret2("secret2"))?;
//! let request = WebhookRequest::new(http::Method::GET, "")
//!     .with_query("MERCHANT_ID=123&AMOUNT=100&intid=123456&MERCHANT_ORDER_ID=test_order&SIGN=30c76991785c43f10af2079878acd3d6")
//!     .with_peer("178.154.197.79:51000".parse()?);
//! assert_eq!(handle(&verifier, &request), (200, "YES"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # An API order
//!
//! ```
//! use freekassa::{api::orders::OrderCreate, Config, PaymentSystemId};
//! use payments_core::{payment::OrderId, Currency, Money};
//!
//! let config = Config::new(777).with_api_key("test_api_key");
//! let order = OrderCreate::new(
//!     OrderId::new("order-42")?,
//!     Money::parse("100.5", Currency::RUB)?,
//!     PaymentSystemId::SBP_API,
//!     "user@example.com",
//!     "203.0.113.10",
//! );
//! // `Client::create_order` draws the nonce and sends this; here it is signed by hand.
//! let prepared = order.prepare(&config, 1_700_000_000_001)?;
//! assert_eq!(
//!     prepared.body_json().unwrap()["signature"],
//!     "a56483b6baffd0782efcfee85efb3f874053fc2d0231baffbb38be81b8eed7f0"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod amount;
pub mod api;
#[cfg(feature = "client")]
mod capabilities;
#[cfg(feature = "client")]
mod client;
mod config;
mod error;
pub mod form;
pub mod model;
mod multipart;
pub mod nonce;
pub mod request;
pub mod response;
pub mod sign;
pub mod source_ip;
pub mod webhook;

pub use payments_core as core;

#[cfg(feature = "client")]
pub use client::{Client, MAX_NONCE_RESENDS};
pub use config::{Config, DEFAULT_API_URL, DEFAULT_FORM_URL};
pub use error::{Error, NONCE_REFUSALS};
pub use form::{FormLink, PaymentForm};
pub use model::{OrderStatus, PaymentSystemId};
/// What to do after an error (`outcome_unknown`, `is_retryable`, `into_core`), as for every gateway.
pub use payments_core::GatewayError;
pub use webhook::{NotificationError, NotificationVerifier, PaymentNotification};
