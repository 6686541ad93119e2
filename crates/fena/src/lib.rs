//! Fena gateway for the payments SDK.
//!
//! This crate is being built: JWT payment links, webhook token verification and the Toolkit
//! REST API follow. Today it gives the shared core types under [`core`].
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use payments_core as core;
