//! Feennex endpoints: one typed request and response per endpoint, grouped by area.
//!
//! Each request has `prepare` (a pure function to a signed [`Prepared`](crate::request::Prepared)
//! request) and `parse_response` (a pure function from the raw response to a typed result),
//! so both can be tested without a server; [`Client`](crate::Client) only sends.
//!
//! | area | endpoints |
//! |---|---|
//! | [`bill`] | `bill/create`, `bill/shop_order_status` |
//! | [`invoice`] | `invoice/try`, `invoice/create`, `invoice/check` |
//! | [`pay_form`] | the hosted payment form |
//! | [`transfer`] | `transfer/try`, `transfer/create`, `transfer/shop_payment_status` |
//! | [`withdraw`] | `withdraw/try`, `check_account`, `withdraw/create`, `withdraw/status`, `withdraw/shop_payment_status` |
//! | [`shop`] | `shop_balance` |

use payments_core::InputError;
use payments_core::payment::validate_text;

pub mod bill;
pub mod invoice;
pub mod pay_form;
pub mod shop;
pub mod transfer;
pub mod withdraw;

/// The longest free text (description, account) Feennex accepts, in characters.
pub const MAX_TEXT_CHARS: usize = 255;

/// The longest payway alias accepted, in characters.
pub const MAX_PAYWAY_CHARS: usize = 150;

/// A payway is an opaque alias (`card_usd`): non-empty, at most 150 characters, no spaces.
pub(crate) fn validate_payway(payway: &str) -> Result<(), InputError> {
    validate_text("payway", payway, MAX_PAYWAY_CHARS)?;
    if payway.chars().any(char::is_whitespace) {
        return Err(InputError::field("payway", "must not contain spaces"));
    }
    Ok(())
}
