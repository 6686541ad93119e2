//! The one place a Fena amount becomes text, and the rules an amount must follow.
//!
//! Fena takes pounds sterling written with exactly two decimals and no currency symbol
//! (`"10.00"`, `"0.50"`). The same text is signed into a payment link and sent in Toolkit
//! request bodies. Amounts Fena sends back are read with [`parse_amount`], which accepts only
//! `digits "." two digits` and never goes through a float.

use std::ops::Bound;

use payments_core::{AmountStyle, Currency, Decimal, InputError, Money};

/// The amount style Fena uses: exactly two decimals.
pub const STYLE: AmountStyle = AmountStyle::TwoDecimals;

/// The only currency Fena takes.
pub const CURRENCY: Currency = Currency::GBP;

/// Writes the amount of `money` as Fena expects it: `10` -> `10.00`, `0.5` -> `0.50`.
///
/// ```
/// use payments_core::{Currency, Money};
///
/// assert_eq!(fena::amount::amount_text(&Money::parse("10", Currency::GBP)?), "10.00");
/// assert_eq!(fena::amount::amount_text(&Money::parse("0.5", Currency::GBP)?), "0.50");
/// # Ok::<(), payments_core::MoneyError>(())
/// ```
pub fn amount_text(money: &Money) -> String {
    // A `Money` in GBP has at most two decimals, so this style never has to round; the
    // fallback (the amount at its own scale) is never reached for GBP.
    STYLE.render_money(money).unwrap_or_else(|_| money.amount().to_string())
}

/// Checks that `money` is in pounds sterling.
///
/// # Errors
///
/// [`InputError::Field`] naming `amount` for any other currency.
pub fn require_gbp(money: &Money) -> Result<(), InputError> {
    if money.currency() == CURRENCY {
        Ok(())
    } else {
        Err(InputError::field(
            "amount",
            format!("Fena takes GBP only, got {}", money.currency().code()),
        ))
    }
}

/// Reads an amount Fena wrote: one or more digits, a dot, exactly two digits (the pattern
/// Fena's own SDKs check), as a positive GBP amount.
///
/// ```
/// use fena::amount::parse_amount;
///
/// assert_eq!(parse_amount("10.00")?.to_minor()?, 1000);
/// assert!(parse_amount("10").is_err());
/// assert!(parse_amount(".50").is_err());
/// assert!(parse_amount("10.5").is_err());
/// assert!(parse_amount("1e3").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// A reason, when the text is not in that form or is zero.
pub fn parse_amount(text: &str) -> Result<Money, String> {
    let shown = || {
        let mut shown: String = text.chars().take(32).collect();
        if text.chars().nth(32).is_some() {
            shown.push_str("...");
        }
        shown
    };
    // Digits, a point, exactly two digits: checked in one pass over the bytes (all digits
    // but the third from the end), then read by core's reader, whose fast path takes the usual
    // amount in one more pass.
    let point = text.len().checked_sub(3).filter(|point| *point > 0);
    let well_formed = point.is_some_and(|point| {
        text.bytes()
            .enumerate()
            .all(|(at, byte)| if at == point { byte == b'.' } else { byte.is_ascii_digit() })
    });
    if !well_formed {
        return Err(format!("{:?} is not an amount with exactly two decimals", shown()));
    }
    let value =
        payments_core::amount_text::parse_plain_decimal(text).map_err(|error| error.to_string())?;
    Money::new(value, CURRENCY).map_err(|error| error.to_string())
}

/// The range a payment-link amount must fall in.
///
/// Fena's documentation says the amount "must be greater than 0.50 and lower than 5000", yet
/// its own example payload sends `"0.50"`, and Fena's checkout plugins refuse only totals
/// below 0.50. Read literally the valid range would be 0.51 to 4999.99. The SDK's default,
/// [`AmountBounds::DEFAULT`], is **0.50 inclusive up to 5000.00 exclusive**, which follows the
/// example and the plugins; [`AmountBounds::literal`] is the strict reading, and
/// [`AmountBounds::new`] takes any bounds.
///
/// ```
/// use fena::amount::AmountBounds;
/// use payments_core::{Currency, Money};
///
/// let gbp = |text| Money::parse(text, Currency::GBP);
/// assert!(AmountBounds::DEFAULT.check(&gbp("0.50")?).is_ok());
/// assert!(AmountBounds::DEFAULT.check(&gbp("5000.00")?).is_err());
/// assert!(AmountBounds::literal().check(&gbp("0.50")?).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmountBounds {
    min: Bound<Decimal>,
    max: Bound<Decimal>,
}

impl Default for AmountBounds {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl AmountBounds {
    /// 0.50 inclusive up to 5000.00 exclusive.
    pub const DEFAULT: Self = Self {
        min: Bound::Included(Decimal::from_parts(50, 0, 0, false, 2)),
        max: Bound::Excluded(Decimal::from_parts(500_000, 0, 0, false, 2)),
    };

    /// Any bounds (in pounds). `Bound::Unbounded` removes a limit.
    pub const fn new(min: Bound<Decimal>, max: Bound<Decimal>) -> Self {
        Self { min, max }
    }

    /// The documentation's wording read literally: more than 0.50 and less than 5000.
    pub const fn literal() -> Self {
        Self {
            min: Bound::Excluded(Decimal::from_parts(50, 0, 0, false, 2)),
            max: Bound::Excluded(Decimal::from_parts(500_000, 0, 0, false, 2)),
        }
    }

    /// The lower bound.
    pub fn min(&self) -> Bound<Decimal> {
        self.min
    }

    /// The upper bound.
    pub fn max(&self) -> Bound<Decimal> {
        self.max
    }

    /// Checks `money` against the bounds.
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] naming `amount`, with the bound it broke.
    pub fn check(&self, money: &Money) -> Result<(), InputError> {
        let amount = money.amount();
        let low = match self.min {
            Bound::Included(min) if amount < min => Some(format!("at least {min}")),
            Bound::Excluded(min) if amount <= min => Some(format!("more than {min}")),
            _ => None,
        };
        let high = match self.max {
            Bound::Included(max) if amount > max => Some(format!("at most {max}")),
            Bound::Excluded(max) if amount >= max => Some(format!("less than {max}")),
            _ => None,
        };
        match low.or(high) {
            Some(rule) => Err(InputError::field(
                "amount",
                format!("{} is out of range: it must be {rule}", amount_text(money)),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbp(text: &str) -> Money {
        Money::parse(text, Currency::GBP).unwrap()
    }

    #[test]
    fn text_has_two_decimals() {
        assert_eq!(amount_text(&gbp("4999.99")), "4999.99");
        assert_eq!(amount_text(&gbp("1")), "1.00");
    }

    #[test]
    fn parse_is_strict() {
        for bad in ["", "1", "1.", ".50", "1.5", "1.500", "-1.00", "+1.00", " 1.00", "1,00", "0.00"]
        {
            assert!(parse_amount(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_amount("0.50").unwrap(), gbp("0.50"));
        assert_eq!(parse_amount("010.00").unwrap(), gbp("10"));
    }

    #[test]
    fn amounts_read_as_the_plain_decimal_reader_reads_them() {
        let long = "9".repeat(16);
        let longer = "9".repeat(17);
        let too_long = "9".repeat(40);
        for text in [
            "0.01",
            "0.50",
            "10.00",
            "010.00",
            "4999.99",
            "0.00",
            "00.00",
            &format!("{long}.99"),
            &format!("{longer}.99"),
            &format!("{too_long}.99"),
        ] {
            let reference = payments_core::amount_text::parse_plain_decimal(text)
                .map_err(|error| error.to_string())
                .and_then(|value| Money::new(value, CURRENCY).map_err(|error| error.to_string()));
            let ours = parse_amount(text);
            assert_eq!(ours, reference, "{text}");
            // The same representation too (scale 2), not only an equal value.
            if let (Ok(ours), Ok(reference)) = (ours, reference) {
                assert_eq!(ours.amount().to_string(), reference.amount().to_string(), "{text}");
                assert_eq!(ours.amount().scale(), reference.amount().scale(), "{text}");
            }
        }
    }

    #[test]
    fn bounds_are_inclusive_or_exclusive_as_asked() {
        let open = AmountBounds::new(Bound::Unbounded, Bound::Included(Decimal::new(100, 0)));
        assert!(open.check(&gbp("0.01")).is_ok());
        assert!(open.check(&gbp("100")).is_ok());
        assert!(open.check(&gbp("100.01")).is_err());
        assert!(require_gbp(&Money::parse("1", Currency::EUR).unwrap()).is_err());
    }
}
