//! API v1 endpoints: one typed request and response per endpoint, grouped by area.
//!
//! Each request has `prepare(&Config, nonce)` (a pure function to a signed
//! [`Prepared`](crate::request::Prepared) request) and `parse_response` (a pure function from
//! the raw response to a typed result), so both can be tested without a server;
//! [`Client`](crate::Client) draws the nonce and sends.
//!
//! | endpoint | request | retried |
//! |---|---|---|
//! | `orders` | [`orders::OrderList`] | yes, re-signed with a fresh nonce |
//! | `orders/create` | [`orders::OrderCreate`] | never: look it up by `paymentId` |
//! | `orders/refund` | [`orders::OrderRefund`] | never |
//! | `withdrawals` | [`withdrawals::WithdrawalList`] | yes |
//! | `withdrawals/create` | [`withdrawals::WithdrawalCreate`] | never: look it up by `paymentId` |
//! | `withdrawals/currencies` | [`withdrawals::WithdrawalCurrencies`] | yes |
//! | `balance` | [`shop::BalanceRequest`] | yes |
//! | `currencies` | [`shop::CurrenciesRequest`] | yes |
//! | `currencies/{id}/status` | [`shop::CurrencyStatus`] | yes |
//! | `shops` | [`shop::ShopsRequest`] | yes |

pub mod orders;
pub mod shop;
pub mod withdrawals;

use payments_core::InputError;
use payments_core::payment::OrderId;

use crate::model::OrderStatus;
use crate::request::ApiRequest;

/// The filters `orders` and `withdrawals` share. Every filter is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListFilter {
    /// Freekassa's order number (`orderId`).
    pub order_id: Option<u64>,
    /// The shop's order number (`paymentId`).
    pub payment_id: Option<OrderId>,
    /// The status (`orderStatus`).
    pub status: Option<OrderStatus>,
    /// From this time (`dateFrom`, `YYYY-MM-DD HH:MM:SS`).
    pub date_from: Option<String>,
    /// Up to this time (`dateTo`, `YYYY-MM-DD HH:MM:SS`).
    pub date_to: Option<String>,
    /// The page (`page`; whether the first is 0 or 1 is not documented).
    pub page: Option<u64>,
}

impl ListFilter {
    fn validate(&self) -> Result<(), InputError> {
        for (field, date) in [("dateFrom", &self.date_from), ("dateTo", &self.date_to)] {
            if let Some(date) = date {
                check_date(field, date)?;
            }
        }
        Ok(())
    }

    fn apply<'a>(&self, request: ApiRequest<'a>) -> ApiRequest<'a> {
        request
            .field_opt("orderId", self.order_id)
            .field_opt("paymentId", self.payment_id.as_ref().map(|id| id.as_str().to_owned()))
            .field_opt("orderStatus", self.status.map(OrderStatus::code))
            .field_opt("dateFrom", self.date_from.clone())
            .field_opt("dateTo", self.date_to.clone())
            .field_opt("page", self.page)
    }
}

/// Checks the documented date format `YYYY-MM-DD HH:MM:SS`.
fn check_date(field: &'static str, date: &str) -> Result<(), InputError> {
    let shape = b"0000-00-00 00:00:00";
    let ok = date.len() == shape.len()
        && date
            .bytes()
            .zip(shape.iter())
            .all(|(byte, want)| if *want == b'0' { byte.is_ascii_digit() } else { byte == *want });
    if ok {
        Ok(())
    } else {
        Err(InputError::field(field, format!("{date:?} is not YYYY-MM-DD HH:MM:SS")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_have_the_documented_shape() {
        assert!(check_date("dateFrom", "2021-01-01 13:45:21").is_ok());
        for bad in
            ["2021-01-01", "2021.01.01 13:45:21", "2021-01-01T13:45:21", "2021-01-01 13:45:2x"]
        {
            assert!(check_date("dateFrom", bad).is_err(), "{bad}");
        }
    }
}
