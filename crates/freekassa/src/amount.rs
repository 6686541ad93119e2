//! The one place a Freekassa amount becomes text.
//!
//! Freekassa's server is PHP: a JSON number reaches the signature check as PHP prints the
//! float, which is the shortest decimal (`100.0` is read as `100`). So the SDK writes every
//! amount in the shortest plain form (`100`, `100.5`, `100.11`), sends that text as the form's
//! `oa` and as the API's JSON number, and signs the very same text.

use payments_core::{AmountStyle, AmountText, InputError, Money};

/// The amount style Freekassa uses.
pub const STYLE: AmountStyle = AmountStyle::Shortest;

/// The most digits an amount may have. PHP prints a float with 14 significant digits (its
/// default `precision`) and switches to an exponent from 10^14 on; an amount of at most 14
/// digits (so below 10^14) is printed exactly as this crate writes it.
pub const MAX_DIGITS: usize = 14;

/// Writes the amount of `money` as Freekassa signs it, held in place (no allocation; it
/// dereferences to `str`).
///
/// ```
/// use payments_core::{Currency, Money};
///
/// assert_eq!(&*freekassa::amount::amount_text(&Money::parse("100.50", Currency::RUB)?)?, "100.5");
/// assert_eq!(&*freekassa::amount::amount_text(&Money::parse("1000", Currency::RUB)?)?, "1000");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`InputError::Field`] naming `amount` when it has more than [`MAX_DIGITS`] digits.
pub fn amount_text(money: &Money) -> Result<AmountText, InputError> {
    let text = STYLE.render_text(money.amount())?;
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    if digits > MAX_DIGITS {
        return Err(InputError::field(
            "amount",
            format!(
                "{text} has {digits} digits; Freekassa reads amounts as PHP floats, which keep {MAX_DIGITS}"
            ),
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use payments_core::Currency;

    use super::*;

    #[test]
    fn shortest_text_and_digit_limit() {
        let rub = |text| Money::parse(text, Currency::RUB).unwrap();
        assert_eq!(&*amount_text(&rub("100.10")).unwrap(), "100.1");
        assert_eq!(&*amount_text(&rub("0.01")).unwrap(), "0.01");
        assert_eq!(&*amount_text(&rub("999999999999.99")).unwrap(), "999999999999.99");
        assert!(amount_text(&rub("9999999999999.99")).is_err());
    }
}
