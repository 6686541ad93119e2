//! [`Money`]: a positive decimal amount in an ISO 4217 currency.
//!
//! Amounts are [`rust_decimal::Decimal`] from end to end; there is no floating point anywhere.
//! A `Money` value is always valid: positive, and with no more decimals than its currency's
//! minor unit allows (two for USD, zero for JPY, three for KWD).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

pub use iso_currency::Currency;

/// Why an amount could not become [`Money`], or an arithmetic operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// The amount is zero or negative; payments and payouts are always positive.
    #[error("amount {amount} {currency} is not positive")]
    NotPositive {
        /// The rejected amount.
        amount: Decimal,
        /// Its currency code.
        currency: &'static str,
    },
    /// The amount has more decimals than the currency's minor unit allows.
    #[error("amount {amount} has {scale} decimals, but {currency} allows at most {allowed}")]
    TooManyDecimals {
        /// The rejected amount.
        amount: Decimal,
        /// How many decimals it has (trailing zeros ignored).
        scale: u32,
        /// The currency code.
        currency: &'static str,
        /// How many decimals the currency allows.
        allowed: u32,
    },
    /// An operation mixed two currencies.
    #[error("currency mismatch: {left} and {right}")]
    CurrencyMismatch {
        /// Currency of the left operand.
        left: &'static str,
        /// Currency of the right operand.
        right: &'static str,
    },
    /// An arithmetic operation overflowed.
    #[error("arithmetic overflow in {operation}")]
    Overflow {
        /// The operation that overflowed.
        operation: &'static str,
    },
    /// The text is not a plain decimal amount.
    #[error("{text:?} is not a plain decimal amount")]
    Unparsable {
        /// The rejected text.
        text: String,
    },
    /// The text is not an ISO 4217 currency code.
    #[error("{code:?} is not an ISO 4217 currency code")]
    UnknownCurrency {
        /// The rejected code.
        code: String,
    },
}

/// A positive amount of money in one currency.
///
/// The amount is stored at the currency's scale (`12 USD` is kept as `12.00 USD`), so two
/// equal amounts always look the same.
///
/// ```
/// use payments_core::{Currency, Money};
/// use rust_decimal::Decimal;
///
/// let price = Money::new(Decimal::new(1250, 2), Currency::USD)?;
/// assert_eq!(price.to_string(), "12.50 USD");
///
/// // Too many decimals for the currency, or a non-positive amount, is refused.
/// assert!(Money::parse("12.345", Currency::USD).is_err());
/// assert!(Money::parse("0", Currency::USD).is_err());
/// # Ok::<(), payments_core::MoneyError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Builds a validated amount: positive, and with no more decimals than `currency` allows.
    ///
    /// # Errors
    ///
    /// [`MoneyError::NotPositive`] or [`MoneyError::TooManyDecimals`].
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        if amount <= Decimal::ZERO {
            return Err(MoneyError::NotPositive { amount, currency: currency.code() });
        }
        let allowed = minor_unit_digits(currency);
        let scale = amount.normalize().scale();
        if scale > allowed {
            return Err(MoneyError::TooManyDecimals {
                amount,
                scale,
                currency: currency.code(),
                allowed,
            });
        }
        let mut amount = amount;
        amount.rescale(allowed);
        if amount.scale() != allowed {
            // `rescale` stops early when the mantissa would overflow.
            return Err(MoneyError::Overflow { operation: "rescale" });
        }
        Ok(Self { amount, currency })
    }

    /// Parses a plain decimal (`"12.50"`, `"1000"`) as an amount in `currency`.
    ///
    /// Signs, exponents, spaces and thousands or locale separators are refused.
    ///
    /// # Errors
    ///
    /// [`MoneyError::Unparsable`], then the errors of [`Money::new`].
    pub fn parse(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let amount = crate::amount_text::parse_plain_decimal(text)
            .map_err(|_| MoneyError::Unparsable { text: text.to_owned() })?;
        Self::new(amount, currency)
    }

    /// Builds an amount from minor units (cents): `Money::from_minor(1250, USD)` is 12.50 USD.
    ///
    /// # Errors
    ///
    /// [`MoneyError::NotPositive`] for zero or negative values.
    pub fn from_minor(minor: i64, currency: Currency) -> Result<Self, MoneyError> {
        Self::new(Decimal::new(minor, minor_unit_digits(currency)), currency)
    }

    /// The amount in major units (`12.50`), at the currency's scale.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount in minor units (cents): `12.50 USD` is `1250`.
    ///
    /// # Errors
    ///
    /// [`MoneyError::Overflow`] if the value does not fit in an `i64`.
    pub fn to_minor(&self) -> Result<i64, MoneyError> {
        let overflow = MoneyError::Overflow { operation: "to_minor" };
        let mantissa = self.amount.mantissa();
        // The amount is stored at exactly the currency's scale, so the mantissa is the number
        // of minor units.
        i64::try_from(mantissa).map_err(|_| overflow)
    }

    /// Adds two amounts of the same currency.
    ///
    /// # Errors
    ///
    /// [`MoneyError::CurrencyMismatch`] or [`MoneyError::Overflow`].
    pub fn checked_add(&self, other: &Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        let sum = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow { operation: "add" })?;
        Self::new(sum, self.currency)
    }

    /// Subtracts `other` from `self`. The result must still be positive.
    ///
    /// # Errors
    ///
    /// [`MoneyError::CurrencyMismatch`], [`MoneyError::Overflow`], or
    /// [`MoneyError::NotPositive`] when `other` is not smaller than `self`.
    pub fn checked_sub(&self, other: &Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        let difference = self
            .amount
            .checked_sub(other.amount)
            .ok_or(MoneyError::Overflow { operation: "sub" })?;
        Self::new(difference, self.currency)
    }

    /// Multiplies the amount by a whole quantity (e.g. items in a cart).
    ///
    /// # Errors
    ///
    /// [`MoneyError::Overflow`], or [`MoneyError::NotPositive`] for a quantity of zero.
    pub fn checked_mul(&self, quantity: u32) -> Result<Self, MoneyError> {
        let product = self
            .amount
            .checked_mul(Decimal::from(quantity))
            .ok_or(MoneyError::Overflow { operation: "mul" })?;
        Self::new(product, self.currency)
    }

    fn same_currency(&self, other: &Self) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency.code(),
                right: other.currency.code(),
            })
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency.code())
    }
}

/// How many decimals `currency` allows: its ISO 4217 minor unit exponent, or zero for the
/// codes that have none (precious metals, testing codes).
pub fn minor_unit_digits(currency: Currency) -> u32 {
    currency.exponent().map_or(0, u32::from)
}

/// Looks up a currency by its ISO 4217 alphabetic code (`"USD"`).
///
/// # Errors
///
/// [`MoneyError::UnknownCurrency`].
pub fn currency_from_code(code: &str) -> Result<Currency, MoneyError> {
    Currency::from_str(code).map_err(|_| MoneyError::UnknownCurrency { code: code.to_owned() })
}

/// Looks up a currency by its ISO 4217 numeric code (`840` is USD), as Feennex sends them.
///
/// # Errors
///
/// [`MoneyError::UnknownCurrency`].
pub fn currency_from_numeric(numeric: u16) -> Result<Currency, MoneyError> {
    Currency::from_numeric(numeric)
        .ok_or_else(|| MoneyError::UnknownCurrency { code: numeric.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(text: &str) -> Result<Money, MoneyError> {
        Money::parse(text, Currency::USD)
    }

    #[test]
    fn keeps_amount_at_currency_scale() {
        assert_eq!(usd("12").unwrap().amount().to_string(), "12.00");
        assert_eq!(usd("12.5").unwrap().amount().to_string(), "12.50");
        assert_eq!(Money::parse("1500", Currency::JPY).unwrap().to_string(), "1500 JPY");
        assert_eq!(Money::parse("1.234", Currency::KWD).unwrap().to_string(), "1.234 KWD");
    }

    #[test]
    fn trailing_zeros_do_not_count_as_decimals() {
        assert_eq!(usd("12.5000").unwrap(), usd("12.5").unwrap());
    }

    #[test]
    fn rejects_non_positive_amounts() {
        assert!(matches!(usd("0"), Err(MoneyError::NotPositive { .. })));
        assert!(matches!(usd("0.00"), Err(MoneyError::NotPositive { .. })));
        assert!(matches!(
            Money::new(Decimal::new(-1, 0), Currency::USD),
            Err(MoneyError::NotPositive { .. })
        ));
    }

    #[test]
    fn rejects_too_many_decimals() {
        let err = usd("12.345").unwrap_err();
        assert_eq!(
            err,
            MoneyError::TooManyDecimals {
                amount: Decimal::new(12345, 3),
                scale: 3,
                currency: "USD",
                allowed: 2
            }
        );
        assert!(Money::parse("1.5", Currency::JPY).is_err());
    }

    #[test]
    fn rejects_non_plain_text() {
        for text in ["1e3", "1,5", "-1", "+1", " 1", "1.", ".5", "", "NaN", "1_000"] {
            assert!(matches!(usd(text), Err(MoneyError::Unparsable { .. })), "{text}");
        }
    }

    #[test]
    fn minor_units_round_trip() {
        let m = Money::from_minor(1250, Currency::USD).unwrap();
        assert_eq!(m, usd("12.50").unwrap());
        assert_eq!(m.to_minor().unwrap(), 1250);
        assert_eq!(Money::from_minor(7, Currency::JPY).unwrap().to_minor().unwrap(), 7);
    }

    #[test]
    fn checked_arithmetic() {
        let a = usd("10.25").unwrap();
        let b = usd("0.75").unwrap();
        assert_eq!(a.checked_add(&b).unwrap(), usd("11").unwrap());
        assert_eq!(a.checked_sub(&b).unwrap(), usd("9.50").unwrap());
        assert!(matches!(b.checked_sub(&a), Err(MoneyError::NotPositive { .. })));
        assert!(matches!(a.checked_sub(&a), Err(MoneyError::NotPositive { .. })));
        assert_eq!(b.checked_mul(3).unwrap(), usd("2.25").unwrap());
        assert!(matches!(b.checked_mul(0), Err(MoneyError::NotPositive { .. })));
        let eur = Money::parse("1", Currency::EUR).unwrap();
        assert!(matches!(a.checked_add(&eur), Err(MoneyError::CurrencyMismatch { .. })));
        let huge = Money::new(Decimal::MAX, Currency::JPY).unwrap();
        assert!(matches!(huge.checked_add(&huge), Err(MoneyError::Overflow { .. })));
        assert!(matches!(huge.checked_mul(2), Err(MoneyError::Overflow { .. })));
        assert!(matches!(huge.to_minor(), Err(MoneyError::Overflow { .. })));
    }

    #[test]
    fn currency_lookups() {
        assert_eq!(currency_from_code("RUB").unwrap(), Currency::RUB);
        assert_eq!(currency_from_numeric(643).unwrap(), Currency::RUB);
        assert!(currency_from_code("XYZ").is_err());
        assert!(currency_from_numeric(680).is_err());
    }
}
