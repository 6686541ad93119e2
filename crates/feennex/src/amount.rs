//! The one place a Feennex amount becomes text.
//!
//! Feennex signs the amount as Python prints a float: trailing zeros dropped but at least one
//! decimal (`12` -> `12.0`, `12.10` -> `12.1`, `12.01` -> `12.01`). The SDK sends that same
//! text as a JSON string, so the body and the signature cannot disagree.

use payments_core::{AmountStyle, Money};

/// The amount style Feennex uses.
pub const STYLE: AmountStyle = AmountStyle::OneDecimalMinimum;

/// Writes the amount of `money` as Feennex signs it.
///
/// ```
/// use payments_core::{Currency, Money};
///
/// assert_eq!(feennex::amount::amount_text(&Money::parse("12", Currency::USD)?), "12.0");
/// assert_eq!(feennex::amount::amount_text(&Money::parse("12.10", Currency::USD)?), "12.1");
/// # Ok::<(), payments_core::MoneyError>(())
/// ```
pub fn amount_text(money: &Money) -> String {
    // A `Money` is positive, and this style never rounds, so rendering cannot fail; the
    // fallback is the plain decimal, which is never reached.
    STYLE.render_money(money).unwrap_or_else(|_| money.amount().normalize().to_string())
}
