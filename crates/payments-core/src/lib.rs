//! Core of the payments SDK: what every gateway crate shares.
//!
//! - [`Money`]: a validated positive amount in an ISO 4217 currency, with no floats anywhere;
//! - [`AmountStyle`]: the one way each gateway writes an amount as text;
//! - [`signature`]: canonical strings, digests and constant-time verification;
//! - [`gateway`]: the capability traits a shop can use without knowing the gateway, and the
//!   shared [`payment`], [`notification`] and [`webhook`] types;
//! - [`response`]: the failures of a call every gateway shares
//!   ([`CallError`](response::CallError)) and the steps of reading an answer;
//! - [`GatewayError`]: how each gateway's error becomes the provider-agnostic [`Error`];
//! - [`transport`]: request descriptions, the [`Transport`](transport::Transport) trait, a
//!   payment-safe [`RetryPolicy`](transport::RetryPolicy) and, with the default `client`
//!   feature, a reqwest transport;
//! - `seen`: the seen-store of processed webhook keys (claims with a lease, kept for a
//!   retention period) and its in-memory implementation;
//! - [`nonce`]: strictly increasing nonce sources, in-process or shared;
//! - `subscription`: recurring payments (requests, states).
//!
//! # Features
//!
//! | feature | gives |
//! |---|---|
//! | `client` (default) | the reqwest transport (`transport::ReqwestTransport`, `transport::execute`, `transport::parse_retry_after`); turns on `async` |
//! | `rustls` (default) / `native-tls` | the TLS library of the reqwest transport |
//! | `async` | the async traits (async-trait): the capabilities of [`gateway`] and `gateway::WebhookVerifier`, `transport::Transport`, `nonce::NonceSource`, and the `seen` module |
//! | `subscriptions` | the `subscription` module (its dates are the `time` crate's) and, with `async`, `gateway::Subscriptions` |
//!
//! With `default-features = false` the crate has no HTTP stack and no async traits: signing,
//! verification and models only.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod amount_text;
pub mod clock;
pub mod error;
pub mod gateway;
pub mod http_url;
pub mod mask;
pub mod money;
pub mod nonce;
pub mod notification;
pub mod payment;
mod received_fields;
pub mod report;
pub mod response;
#[cfg(feature = "async")]
pub mod seen;
mod short_copy;
pub mod signature;
#[cfg(feature = "subscriptions")]
pub mod subscription;
pub mod transport;
pub mod webhook;
pub mod wire;

pub use amount_text::{AmountStyle, AmountText, AmountTextError};
pub use error::{
    Error, ErrorKind, GatewayError, GatewayErrorKind, InputError, SharedFailure, WebhookError,
};
pub use gateway::GatewayId;
pub use money::{Currency, Money, MoneyError};
pub use rust_decimal::Decimal;
pub use secrecy::{ExposeSecret, SecretString};
