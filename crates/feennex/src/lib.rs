//! Feennex gateway for the payments SDK.
//!
//! Every request is signed over exactly the fields Feennex documents for its endpoint
//! ([`sign`]), amounts are written once in Feennex style ([`amount`]) and sent as the same
//! text that is signed, and every response is checked for the `{"result": false}` envelope
//! whatever its HTTP status ([`response`]).
//!
//! With `default-features = false` the crate signs and parses with no HTTP stack. The default
//! `client` feature adds [`Client`].
//!
//! ```
//! use feennex::{Config, api::bill::BillCreate};
//! use payments_core::{payment::OrderId, Currency, Money};
//!
//! let config = Config::new(5, "SecretKey01");
//! let bill = BillCreate::new(OrderId::new("123456")?, Money::parse("23.15", Currency::RUB)?);
//! let prepared = bill.prepare(&config)?;
//! assert_eq!(prepared.string_to_sign(), "643:23.15:643:5:123456");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod amount;
pub mod api;
#[cfg(feature = "client")]
mod capabilities;
#[cfg(feature = "client")]
pub mod client;
mod config;
mod error;
pub mod model;
pub mod request;
pub mod response;
pub mod sign;
pub mod webhook;

#[cfg(feature = "client")]
pub use client::Client;
pub use config::{Config, DEFAULT_BASE_URL};
pub use error::Error;
pub use model::ErrorCode;
/// What to do after an error (`outcome_unknown`, `is_retryable`, `into_core`), as for every gateway.
pub use payments_core::GatewayError;
