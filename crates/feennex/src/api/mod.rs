//! Feennex endpoints: one typed request and response per endpoint, grouped by area.
//!
//! Each request has `prepare` (a pure function to a signed [`Prepared`](crate::request::Prepared)
//! request) and `parse_response` (a pure function from the raw response to a typed result),
//! so both can be tested without a server; [`Client`](crate::Client) only sends.

pub mod bill;
