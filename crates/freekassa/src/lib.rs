//! Freekassa gateway for the payments SDK.
//!
//! This crate is being built: the payment form, notification verification and API v1 client
//! follow. Today it gives the shared core types under [`core`].
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use payments_core as core;
