//! The one place a Feennex amount becomes text.
//!
//! Feennex signs the amount as Python prints a float: trailing zeros dropped but at least one
//! decimal (`12` -> `12.0`, `12.10` -> `12.1`, `12.01` -> `12.01`). The SDK sends that same
//! text as a JSON string, so the body and the signature cannot disagree.

use payments_core::{AmountStyle, AmountText, InputError, Money};

/// The amount style Feennex uses.
pub const STYLE: AmountStyle = AmountStyle::OneDecimalMinimum;

/// The most decimals Feennex takes (its currencies all have two).
pub const MAX_DECIMALS: u32 = 2;

/// Writes the amount of `money` as Feennex signs it, held in place (no allocation; it
/// dereferences to `str`).
///
/// ```
/// use payments_core::{Currency, Money};
///
/// assert_eq!(&*feennex::amount::amount_text(&Money::parse("12", Currency::USD)?)?, "12.0");
/// assert_eq!(&*feennex::amount::amount_text(&Money::parse("12.10", Currency::USD)?)?, "12.1");
/// // A three-decimal currency's fils would be cut by Feennex: refused.
/// assert!(feennex::amount::amount_text(&Money::parse("1.234", Currency::KWD)?).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`InputError::Field`] naming `amount` for more than two decimals.
pub fn amount_text(money: &Money) -> Result<AmountText, InputError> {
    let scale = money.amount().normalize().scale();
    if scale > MAX_DECIMALS {
        return Err(InputError::field(
            "amount",
            format!("{money} has {scale} decimals; Feennex takes at most {MAX_DECIMALS}"),
        ));
    }
    Ok(STYLE.render_text(money.amount())?)
}
