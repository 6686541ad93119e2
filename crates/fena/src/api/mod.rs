//! Toolkit REST endpoints: one typed request and response per endpoint.
//!
//! Each request has `prepare` (a pure function to a [`Prepared`](crate::request::Prepared)
//! request with the authentication headers) and `parse_response` (a pure function from the
//! raw response to a typed result), so both can be tested without a server;
//! [`Client`](crate::Client) only sends.

pub mod bank_account;
pub mod payment;
