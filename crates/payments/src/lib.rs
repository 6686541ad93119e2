//! One SDK for the Feennex, Freekassa and Fena payment gateways.
//!
//! # Features
//!
//! | feature | gives |
//! |---|---|
//! | `full` (default) | all three gateways |
//! | `feennex` | [`feennex`]: wallet bills, invoices, payouts, callbacks |
//! | `freekassa` | `freekassa`: payment form, notifications, API v1 |
//! | `fena` | `fena`: JWT payment links, webhook tokens, Toolkit API |
//! | `rustls` (default) / `native-tls` | the TLS library of the HTTP client |
//! | `axum` | [`axum::WebhookRouter`](crate::axum): webhook endpoints for axum; with `postgres` also `axum::TransactionalRouter`, whose handler writes in the transaction that marks the notification processed (the recommended setup) |
//! | `postgres` / `redis` | `store`: the seen-store and nonce counter shared by several instances, on PostgreSQL or Redis (the `payments-store` crate) |
//!
//! With `default-features = false` and one gateway feature, only that gateway is compiled.
//!
//! # One API for every gateway
//!
//! [`AnyGateway`] is built from a [`GatewayConfig`] read at run time (a file or
//! environment variables) and offers the capabilities of whichever gateway it is: create a
//! payment, query its status, verify a webhook, pay out, refund, read balances. What a gateway
//! cannot do is an [`Error::Unsupported`] naming the gateway and the capability.
//!
//! ```
//! use payments::{Currency, Money};
//! use payments::payment::OrderId;
//!
//! let price = Money::parse("23.15", Currency::RUB)?;
//! let order = OrderId::new("order-42")?;
//! # #[cfg(feature = "feennex")] {
//! let bill = payments::feennex::api::bill::BillCreate::new(order, price);
//! let prepared = bill.prepare(&payments::feennex::Config::new(5, "SecretKey01"))?;
//! assert_eq!(prepared.string_to_sign(), "643:23.15:643:5:order-42");
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod any_gateway;
#[cfg(feature = "axum")]
pub mod axum;
mod config;
mod error;
pub mod seen;

pub use any_gateway::AnyGateway;
#[cfg(feature = "feennex")]
pub use config::FeennexSettings;
#[cfg(feature = "freekassa")]
pub use config::FreekassaSettings;
pub use config::GatewayConfig;
#[cfg(feature = "fena")]
pub use config::{FenaSettings, FenaToolkitSettings};
pub use error::ConfigError;
pub use payments_core as core;
pub use payments_core::{
    AmountStyle, Currency, Decimal, Error, GatewayId, Money, MoneyError, SecretString, gateway,
    notification, payment, report, response, transport, webhook,
};

#[cfg(feature = "feennex")]
pub use feennex;
#[cfg(feature = "fena")]
pub use fena;
#[cfg(feature = "freekassa")]
pub use freekassa;
/// Shared stores on PostgreSQL and Redis: the `payments-store` crate.
#[cfg(any(feature = "postgres", feature = "redis"))]
pub use payments_store as store;

// The README's examples are compiled and run as doctests.
#[cfg(all(doctest, feature = "full"))]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
