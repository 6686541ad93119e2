//! One SDK for the Feennex, Freekassa and Fena payment gateways.
//!
//! Depend on this crate and choose gateways with features:
//!
//! | feature | gives |
//! |---|---|
//! | `full` (default) | all three gateways |
//! | `feennex` | [`feennex`]: wallet bills, invoices, payouts, callbacks |
//! | `freekassa` | [`freekassa`]: payment form, notifications, API v1 |
//! | `fena` | [`fena`]: JWT payment links, webhook tokens |
//!
//! The shared types (money, amount text, signatures, capability traits, transport) are in
//! [`core`] and the most used ones at the top level.
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

pub use payments_core as core;
pub use payments_core::{
    AmountStyle, Currency, Decimal, Error, GatewayId, Money, MoneyError, SecretString, gateway,
    notification, payment, report, webhook,
};

#[cfg(feature = "feennex")]
pub use feennex;
#[cfg(feature = "fena")]
pub use fena;
#[cfg(feature = "freekassa")]
pub use freekassa;

// The README's examples are compiled and run as doctests.
#[cfg(all(doctest, feature = "full"))]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
