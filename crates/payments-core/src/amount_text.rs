//! Amount wire text: how an amount is written into a request body and a signature.
//!
//! Every gateway signs the amount as text, so the text must be produced by exactly one function
//! per gateway and the same string must go into the body and into the signature. Each
//! [`AmountStyle`] has a renderer and an exact parser back. None of them ever writes an
//! exponent (`1e3`), a sign, a thousands separator or a locale decimal comma, and none of them
//! goes through a float.

use std::fmt;

use rust_decimal::Decimal;

use crate::Money;

/// The most significant digits a [`Decimal`] holds exactly.
const MAX_DIGITS: usize = 28;

/// The text styles the gateways use for amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AmountStyle {
    /// Trailing zeros dropped but at least one decimal: `12` -> `12.0`, `12.10` -> `12.1`,
    /// `12.01` -> `12.01`, `1000` -> `1000.0` (Feennex; the text Python prints for a float).
    OneDecimalMinimum,
    /// Exactly two decimals: `10` -> `10.00`, `10.5` -> `10.50` (Fena).
    TwoDecimals,
    /// The shortest plain decimal: `100.50` -> `100.5`, `100.00` -> `100` (Freekassa).
    Shortest,
}

/// Why an amount could not be written or read as wire text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountTextError {
    /// Wire amounts are never negative.
    #[error("amount {0} is negative")]
    Negative(Decimal),
    /// The style cannot hold this many decimals without rounding.
    #[error("amount {amount} has more than {max} decimals, which {style} cannot represent")]
    TooManyDecimals {
        /// The amount.
        amount: Decimal,
        /// The style's limit.
        max: u32,
        /// The style.
        style: AmountStyle,
    },
    /// The text is not a plain decimal number.
    #[error("{text:?} is not a plain decimal amount: {reason}")]
    Unparsable {
        /// The rejected text (amounts are not secret).
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The text is a valid number but not written the way the style writes it.
    #[error("{text:?} is not in {style} form (expected {expected:?})")]
    NotCanonical {
        /// The received text.
        text: String,
        /// The style.
        style: AmountStyle,
        /// How the style writes the same value.
        expected: String,
    },
}

impl fmt::Display for AmountStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::OneDecimalMinimum => "one-decimal-minimum",
            Self::TwoDecimals => "two-decimals",
            Self::Shortest => "shortest",
        })
    }
}

impl AmountStyle {
    /// Writes `amount` in this style.
    ///
    /// ```
    /// use payments_core::AmountStyle;
    /// use rust_decimal::Decimal;
    ///
    /// let twelve = Decimal::new(1200, 2); // 12.00
    /// assert_eq!(AmountStyle::OneDecimalMinimum.render(twelve)?, "12.0");
    /// assert_eq!(AmountStyle::TwoDecimals.render(twelve)?, "12.00");
    /// assert_eq!(AmountStyle::Shortest.render(twelve)?, "12");
    /// # Ok::<(), payments_core::AmountTextError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`AmountTextError::Negative`]; [`AmountTextError::TooManyDecimals`] when
    /// [`AmountStyle::TwoDecimals`] would have to round.
    pub fn render(self, amount: Decimal) -> Result<String, AmountTextError> {
        self.render_text(amount).map(|text| text.as_str().to_owned())
    }

    /// Writes the amount of `money` in this style.
    ///
    /// # Errors
    ///
    /// As [`AmountStyle::render`].
    pub fn render_money(self, money: &Money) -> Result<String, AmountTextError> {
        self.render(money.amount())
    }

    /// Writes `amount` in this style, as [`AmountStyle::render`] does, into an [`AmountText`]
    /// held in place: signing a request with it allocates nothing for the amount.
    ///
    /// ```
    /// use payments_core::AmountStyle;
    /// use rust_decimal::Decimal;
    ///
    /// let text = AmountStyle::OneDecimalMinimum.render_text(Decimal::new(1200, 2))?;
    /// assert_eq!(&*text, "12.0");
    /// # Ok::<(), payments_core::AmountTextError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`AmountStyle::render`].
    pub fn render_text(self, amount: Decimal) -> Result<AmountText, AmountTextError> {
        use fmt::Write as _;
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(AmountTextError::Negative(amount));
        }
        let mut value = normalized(amount.abs());
        let mut text = AmountText::default();
        // A normalised `Decimal` is at most 29 digits and a point; ".0" makes 32.
        let written = match self {
            Self::Shortest => write_plain(&mut text, value),
            Self::OneDecimalMinimum if value.scale() == 0 => {
                write_plain(&mut text, value).and_then(|()| text.write_str(".0"))
            }
            Self::OneDecimalMinimum => write_plain(&mut text, value),
            Self::TwoDecimals => {
                if value.scale() > 2 {
                    return Err(AmountTextError::TooManyDecimals { amount, max: 2, style: self });
                }
                value.rescale(2);
                // `rescale` keeps a smaller scale when two decimals would not fit in the 96-bit
                // mantissa (above about 7.9 * 10^26): such an amount has no two-decimal text.
                if value.scale() != 2 {
                    return Err(AmountTextError::Unparsable {
                        text: amount.to_string(),
                        reason: "too many digits to write with two decimals",
                    });
                }
                write_plain(&mut text, value)
            }
        };
        match written {
            Ok(()) => Ok(text),
            Err(fmt::Error) => {
                Err(AmountTextError::Unparsable { text: value.to_string(), reason: "too long" })
            }
        }
    }
}

/// `value` without trailing fraction zeros, as `Decimal::normalize` gives it; an amount with
/// none to strip (a whole one, or one whose last digit is not a zero) is returned as it is,
/// without `normalize`'s 96-bit divisions.
fn normalized(value: Decimal) -> Decimal {
    let last_digit_zero =
        u64::try_from(value.mantissa().unsigned_abs()).map_or(true, |mantissa| mantissa % 10 == 0);
    if value.scale() == 0 || !last_digit_zero {
        return value;
    }
    value.normalize()
}

/// Writes the non-negative `value` as `Decimal`'s `Display` does (its digits, and a point
/// before the last `scale` of them, with `0.` and zeros before a fraction), from the
/// mantissa's digits: a third of the instructions of going through `core::fmt`.
fn write_plain(text: &mut AmountText, value: Decimal) -> fmt::Result {
    use fmt::Write as _;
    let mut digits = itoa::Buffer::new();
    let mantissa = value.mantissa().unsigned_abs();
    // Amounts fit in 64 bits: formatting those skips the 128-bit divisions.
    let digits = match u64::try_from(mantissa) {
        Ok(small) => digits.format(small),
        Err(_) => digits.format(mantissa),
    };
    let scale = usize::try_from(value.scale()).map_err(|_| fmt::Error)?;
    match digits.len().checked_sub(scale) {
        Some(0) | None => {
            text.write_str("0.")?;
            for _ in digits.len()..scale {
                text.write_str("0")?;
            }
            text.write_str(digits)
        }
        Some(whole) => {
            let (whole, fraction) = digits.split_at(whole);
            text.write_str(whole)?;
            if !fraction.is_empty() {
                text.write_str(".")?;
                text.write_str(fraction)?;
            }
            Ok(())
        }
    }
}

/// An amount's wire text held in place, without allocating (see
/// [`AmountStyle::render_text`]). It dereferences to `str`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AmountText {
    bytes: [u8; AmountText::CAPACITY],
    len: usize,
}

impl AmountText {
    /// The longest text held: a `Decimal`'s 29 digits, its point and a written ".0".
    const CAPACITY: usize = 32;

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only whole `str`s are ever written.
        self.bytes.get(..self.len).and_then(|text| std::str::from_utf8(text).ok()).unwrap_or("")
    }
}

impl Default for AmountText {
    fn default() -> Self {
        Self { bytes: [0; Self::CAPACITY], len: 0 }
    }
}

impl fmt::Write for AmountText {
    fn write_str(&mut self, piece: &str) -> fmt::Result {
        let end = self.len + piece.len();
        self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?.copy_from_slice(piece.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl std::ops::Deref for AmountText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for AmountText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AmountStyle {
    /// Reads an amount written in any plain decimal form (`12`, `12.0`, `12.10`), exactly.
    ///
    /// Use this for amounts a gateway sends back, which need not be in canonical form.
    ///
    /// # Errors
    ///
    /// [`AmountTextError::Unparsable`].
    pub fn parse(self, text: &str) -> Result<Decimal, AmountTextError> {
        parse_plain_decimal(text)
    }

    /// Reads an amount and insists that it is written exactly as this style writes it.
    ///
    /// ```
    /// use payments_core::AmountStyle;
    ///
    /// assert!(AmountStyle::OneDecimalMinimum.parse_canonical("12.0").is_ok());
    /// assert!(AmountStyle::OneDecimalMinimum.parse_canonical("12.00").is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// [`AmountTextError::Unparsable`] or [`AmountTextError::NotCanonical`].
    pub fn parse_canonical(self, text: &str) -> Result<Decimal, AmountTextError> {
        let value = parse_plain_decimal(text)?;
        let expected = self.render(value)?;
        if expected == text {
            Ok(value)
        } else {
            Err(AmountTextError::NotCanonical { text: text.to_owned(), style: self, expected })
        }
    }
}

impl PartialEq<str> for AmountText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for AmountText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for AmountText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Parses `digits` or `digits.digits` exactly, refusing anything else: signs, exponents,
/// whitespace, separators, and more digits than a [`Decimal`] holds without rounding.
///
/// # Errors
///
/// [`AmountTextError::Unparsable`], naming what is wrong.
pub fn parse_plain_decimal(text: &str) -> Result<Decimal, AmountTextError> {
    // The usual amount (`100.50`) is read in one pass; anything else, valid or not, takes the
    // checks below, which name what is wrong.
    if let Some(value) = parse_short(text) {
        return Ok(value);
    }
    let fail = |reason| AmountTextError::Unparsable { text: truncate(text), reason };
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) {
        return Err(fail("expected digits before the decimal point"));
    }
    let fraction_len = match fraction {
        Some(fraction) if !all_digits(fraction) => {
            return Err(fail("expected digits after the decimal point"));
        }
        Some(fraction) => fraction.len(),
        None => 0,
    };
    let significant_whole = whole.trim_start_matches('0').len();
    if fraction_len > MAX_DIGITS || significant_whole.saturating_add(fraction_len) > MAX_DIGITS {
        return Err(fail("too many digits to represent exactly"));
    }
    // Checked above: ASCII digits and at most one point, at most 28 significant digits, so
    // the digits fit a u128 and the scale is at most 28 (what `Decimal` takes exactly).
    let mantissa = text
        .bytes()
        .filter(u8::is_ascii_digit)
        .fold(0_u128, |mantissa, digit| mantissa * 10 + u128::from(digit - b'0'));
    let mantissa = i128::try_from(mantissa).map_err(|_| fail("out of range"))?;
    let scale = u32::try_from(fraction_len).map_err(|_| fail("out of range"))?;
    Decimal::try_from_i128_with_scale(mantissa, scale).map_err(|_| fail("out of range"))
}

/// `digits` or `digits.digits` of at most 18 bytes, read in one pass into a `u64` (18 digits
/// stay below 10^18, so nothing overflows or rounds); `None` for any other text, left to
/// [`parse_plain_decimal`]'s full checks. Reads the same value as they would.
fn parse_short(text: &str) -> Option<Decimal> {
    if text.is_empty() || text.len() > 18 {
        return None;
    }
    let mut mantissa = 0_u64;
    let mut point = None;
    for (at, byte) in text.bytes().enumerate() {
        match byte {
            b'0'..=b'9' => mantissa = mantissa * 10 + u64::from(byte - b'0'),
            b'.' if point.is_none() => point = Some(at),
            _ => return None,
        }
    }
    let scale = match point {
        None => 0,
        // Digits on both sides of the point.
        Some(at) if at > 0 && at + 1 < text.len() => text.len() - at - 1,
        Some(_) => return None,
    };
    Decimal::try_from_i128_with_scale(i128::from(mantissa), u32::try_from(scale).ok()?).ok()
}

/// Keeps error messages bounded when the input is huge.
fn truncate(text: &str) -> String {
    const LIMIT: usize = 64;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}...", text.get(..cut).unwrap_or_default()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn two_decimals_refuse_amounts_too_long_for_them() {
        // 27 digits and two decimals fit the 96-bit mantissa; 28 digits do not.
        let fits = d("100000000000000000000000000");
        assert_eq!(
            &*AmountStyle::TwoDecimals.render_text(fits).unwrap(),
            "100000000000000000000000000.00"
        );
        for amount in [d("1000000000000000000000000000"), Decimal::MAX] {
            let error = AmountStyle::TwoDecimals.render_text(amount).unwrap_err();
            assert!(matches!(error, AmountTextError::Unparsable { .. }), "{amount}: {error}");
            assert!(AmountStyle::TwoDecimals.render(amount).is_err(), "{amount}");
        }
    }

    #[test]
    fn the_byte_scan_reads_what_decimal_from_str_reads() {
        for text in [
            "0",
            "00",
            "0.0",
            "12",
            "12.10",
            "0.05",
            "000123.4500",
            "9999999999999999999999999999",
            "999999999999999999999999999.9",
            "0.0000000000000000000000000001",
            "1.5",
        ] {
            let parsed = parse_plain_decimal(text).unwrap();
            let reference = Decimal::from_str(text).unwrap();
            assert_eq!((parsed, parsed.scale()), (reference, reference.scale()), "{text}");
        }
        // 29 significant digits: refused before reading, as before.
        assert!(parse_plain_decimal("79228162514264337593543950335").is_err());
    }

    #[test]
    fn the_short_path_reads_exactly_and_leaves_the_rest_to_the_full_checks() {
        // Up to 18 bytes: read in one pass, value and scale as `Decimal` reads them.
        for text in ["7", "100.50", "0.000000000000001", "999999999999999999", "12345678901234.56"]
        {
            let short = parse_short(text).unwrap();
            let reference = Decimal::from_str(text).unwrap();
            assert_eq!((short, short.scale()), (reference, reference.scale()), "{text}");
        }
        // Anything else is not the short path's, and the full checks say what is wrong.
        for (text, reason) in [
            ("", "expected digits before the decimal point"),
            (".5", "expected digits before the decimal point"),
            ("5.", "expected digits after the decimal point"),
            ("1.2.3", "expected digits after the decimal point"),
            ("-1", "expected digits before the decimal point"),
            ("1e3", "expected digits before the decimal point"),
            (" 1", "expected digits before the decimal point"),
        ] {
            assert_eq!(parse_short(text), None, "{text:?}");
            assert!(
                matches!(parse_plain_decimal(text), Err(AmountTextError::Unparsable { reason: r, .. }) if r == reason),
                "{text:?}"
            );
        }
        // 19 digits and more go the long way, still exact.
        assert_eq!(parse_short("1234567890123456789"), None);
        assert_eq!(parse_plain_decimal("1234567890123456789").unwrap(), d("1234567890123456789"));
    }

    #[test]
    fn one_decimal_minimum() {
        let style = AmountStyle::OneDecimalMinimum;
        for (input, want) in [
            ("12", "12.0"),
            ("12.10", "12.1"),
            ("12.01", "12.01"),
            ("1000", "1000.0"),
            ("0.10", "0.1"),
            ("0", "0.0"),
        ] {
            assert_eq!(style.render(d(input)).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn two_decimals() {
        let style = AmountStyle::TwoDecimals;
        assert_eq!(style.render(d("10")).unwrap(), "10.00");
        assert_eq!(style.render(d("10.5")).unwrap(), "10.50");
        assert_eq!(style.render(d("4999.990")).unwrap(), "4999.99");
        assert!(matches!(
            style.render(d("1.005")),
            Err(AmountTextError::TooManyDecimals { max: 2, .. })
        ));
    }

    #[test]
    fn shortest() {
        let style = AmountStyle::Shortest;
        assert_eq!(style.render(d("100.50")).unwrap(), "100.5");
        assert_eq!(style.render(d("100.00")).unwrap(), "100");
        assert_eq!(style.render(d("100.11")).unwrap(), "100.11");
    }

    #[test]
    fn never_exponent_for_extreme_values() {
        let tiny = Decimal::new(1, 28);
        assert_eq!(AmountStyle::Shortest.render(tiny).unwrap(), "0.0000000000000000000000000001");
        assert_eq!(
            AmountStyle::OneDecimalMinimum.render(Decimal::MAX).unwrap(),
            "79228162514264337593543950335.0"
        );
    }

    #[test]
    fn text_in_place_is_what_decimal_displays() {
        for text in [
            "0",
            "0.5",
            "0.05",
            "0.0000000000000000000000000001",
            "1",
            "10",
            "12.10",
            "100.5",
            "1000",
            "999999999999.99",
            "79228162514264337593543950335",
            "7922816251426433759354395033.5",
        ] {
            let value = d(text).normalize();
            assert_eq!(&*AmountStyle::Shortest.render_text(value).unwrap(), value.to_string());
            let mut two = value;
            two.rescale(2);
            // Two decimals are refused only for amounts with finer digits, or too many digits
            // to take two decimals (`rescale` could not reach them).
            match AmountStyle::TwoDecimals.render_text(value) {
                Ok(rendered) => {
                    assert_eq!(two.scale(), 2, "{text}");
                    assert_eq!(&*rendered, two.to_string(), "{text}");
                }
                Err(_) => assert!(
                    value.scale() > 2 || two.scale() != 2,
                    "{text} refused with two decimals"
                ),
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn text_in_place_is_what_decimal_displays_for_any_amount(
            mantissa in 0_i64..=i64::MAX,
            scale in 0_u32..=28,
        ) {
            let value = Decimal::new(mantissa, scale).normalize();
            let text = AmountStyle::Shortest.render_text(value).unwrap();
            proptest::prop_assert_eq!(&*text, value.to_string());
        }

        #[test]
        fn normalized_is_what_normalize_gives(
            mantissa in proptest::prop_oneof![0_i64..=1_000_000, proptest::prelude::any::<i64>()],
            scale in 0_u32..=28,
            wide in proptest::prelude::any::<bool>(),
        ) {
            // Mantissas past 64 bits too (they take `normalize` itself).
            let value = if wide {
                Decimal::from_i128_with_scale(i128::from(mantissa) * 1_000_000_000, scale)
            } else {
                Decimal::new(mantissa, scale)
            };
            let (ours, theirs) = (normalized(value.abs()), value.abs().normalize());
            proptest::prop_assert_eq!(
                (ours.mantissa(), ours.scale(), ours.is_sign_negative()),
                (theirs.mantissa(), theirs.scale(), theirs.is_sign_negative())
            );
        }
    }

    #[test]
    fn text_in_place_holds_the_longest_amounts() {
        for style in [AmountStyle::OneDecimalMinimum, AmountStyle::Shortest] {
            for amount in [Decimal::MAX, Decimal::new(1, 28), d("0.0000000000000000000000000011")] {
                let text = style.render_text(amount).unwrap();
                assert_eq!(text.parse::<Decimal>().unwrap(), amount, "{style} {text}");
            }
        }
        assert_eq!(&*AmountStyle::TwoDecimals.render_text(d("7")).unwrap(), "7.00");
    }

    #[test]
    fn negative_is_refused_but_negative_zero_is_zero() {
        assert!(matches!(AmountStyle::Shortest.render(d("-1")), Err(AmountTextError::Negative(_))));
        let mut zero = Decimal::ZERO;
        zero.set_sign_negative(true);
        assert_eq!(AmountStyle::Shortest.render(zero).unwrap(), "0");
    }

    #[test]
    fn parse_is_strict_and_exact() {
        assert_eq!(parse_plain_decimal("12.10").unwrap(), d("12.1"));
        assert_eq!(parse_plain_decimal("007").unwrap(), d("7"));
        for bad in [
            "", ".", "1.", ".1", "-1", "+1", "1e3", "1E3", "1,5", "1 000", " 1", "1\n", "NaN",
            "inf", "0x10", "1.2.3", "١",
        ] {
            assert!(parse_plain_decimal(bad).is_err(), "{bad:?}");
        }
        // 29 significant digits would be rounded by Decimal: refused instead.
        assert!(parse_plain_decimal("1234567890123456789012345678.9").is_err());
        assert!(parse_plain_decimal("0.00000000000000000000000000001").is_err());
        assert!(parse_plain_decimal("0000000000000000000000000000000001.5").is_ok());
    }

    #[test]
    fn parse_canonical_insists_on_the_style() {
        assert_eq!(AmountStyle::TwoDecimals.parse_canonical("10.00").unwrap(), d("10"));
        let err = AmountStyle::TwoDecimals.parse_canonical("10.0").unwrap_err();
        assert_eq!(
            err,
            AmountTextError::NotCanonical {
                text: "10.0".into(),
                style: AmountStyle::TwoDecimals,
                expected: "10.00".into()
            }
        );
        assert!(AmountStyle::Shortest.parse_canonical("100.50").is_err());
        assert!(AmountStyle::Shortest.parse_canonical("100.5").is_ok());
    }

    #[test]
    fn error_text_is_bounded() {
        let long = "9".repeat(10_000);
        let message = parse_plain_decimal(&long).unwrap_err().to_string();
        assert!(message.len() < 200, "{message}");
    }
}
