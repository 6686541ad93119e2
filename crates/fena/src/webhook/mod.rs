//! Webhooks: Fena's signed JWT notifications, and the unsigned Toolkit webhooks.
//!
//! # JWT webhooks
//!
//! Fena POSTs `application/x-www-form-urlencoded` with one field, `token`: a JWT signed with
//! the terminal secret. [`TokenVerifier`] checks, in order and failing closed:
//!
//! 1. the body is at most the configured size, and its `token` field is present;
//! 2. the header's `alg` is exactly `HS512` and the HMAC matches (constant time);
//! 3. `exp` is present and, with the leeway (60 s by default), has not passed; an `iat` or
//!    `nbf` more than the leeway in the future is refused;
//! 4. `orderID`, `requestAmount`, `netAmount`, `terminal` (and `id`, unless configured
//!    otherwise) are present strings;
//! 5. `terminal` equals our terminal id.
//!
//! The result is a [`VerifiedToken`]. It still has to be bound to the stored order with
//! [`VerifiedToken::confirm`], which compares `requestAmount` with the order amount as exact
//! pence and returns a [`PaidOrder`]; `netAmount` is reported next to it, and a difference
//! is visible through [`PaidOrder::net_difference`]. Answer Fena with [`ACK`] (HTTP 200).
//!
//! Fena sends one webhook per order and does not document retries; a captured token stays
//! valid until `exp`. Make the pending-to-paid transition idempotent on the order id
//! ([`payments_core::notification::Notification::dedup_key`]) and answer 200 to repeats.
//!
//! # Toolkit webhooks
//!
//! The REST API's webhooks carry no signature. [`ToolkitTrigger`] reads one as a mere
//! "something changed" trigger; [`confirm_trigger`] compares the payment fetched with
//! authenticated credentials against what the merchant stored (id, reference, amount), and
//! only the fetched status counts. Recurring-payment and bank-account events are read as
//! their own [`ToolkitScope`] and confirmed by fetching the recurring payment
//! ([`confirm_recurring`]) or finding the account in the bank-account list; an unknown scope
//! is refused ([`crate::Error::UnknownWebhookScope`]). See the table in [`ToolkitScope`]'s
//! module for each scope's source.

use payments_core::webhook::WebhookAck;

mod claims;
mod flat_claims;
mod token;
pub(crate) mod toolkit;

pub(crate) use claims::{Claims, check_times, claim_text};
pub use token::{PaidOrder, TokenVerifier, VerifiedToken};
pub use toolkit::{
    Confirmed, ConfirmedPayment, ConfirmedRecurring, Expected, ExpectedPayment, ExpectedRecurring,
    ToolkitScope, ToolkitTrigger, confirm_recurring, confirm_trigger,
};

/// What Fena expects in answer to a webhook: HTTP 200 (the body is not read).
pub const ACK: WebhookAck = WebhookAck::empty();
