//! Masking card and account numbers in text meant for people (errors, `Debug`, logs).

/// Runs of this many digits or more are taken to be card or account numbers.
pub const MIN_MASKED_DIGITS: usize = 12;

/// Replaces every run of 12 or more digits with `*` but its last four digits.
///
/// ```
/// use payments_core::mask::mask_numbers;
///
/// assert_eq!(mask_numbers("card 4111111111111111, order 42"), "card ************1111, order 42");
/// assert_eq!(mask_numbers("2024-05-01 16:56:25"), "2024-05-01 16:56:25");
/// ```
pub fn mask_numbers(text: &str) -> String {
    let mut masked = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, masked: &mut String| {
        let count = digits.chars().count();
        if count >= MIN_MASKED_DIGITS {
            masked.extend(std::iter::repeat_n('*', count.saturating_sub(4)));
            masked.extend(digits.chars().skip(count.saturating_sub(4)));
        } else {
            masked.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut masked);
            masked.push(c);
        }
    }
    flush(&mut digits, &mut masked);
    masked
}

/// Replaces all but the last four characters of a value known to be a card, wallet or
/// account number.
///
/// ```
/// assert_eq!(payments_core::mask::mask_all_but_last_four("5555555555554444"), "************4444");
/// assert_eq!(payments_core::mask::mask_all_but_last_four("abc"), "abc");
/// ```
pub fn mask_all_but_last_four(text: &str) -> String {
    let count = text.chars().count();
    text.chars()
        .enumerate()
        .map(|(index, c)| if index.saturating_add(4) < count { '*' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_long_runs_only() {
        assert_eq!(mask_numbers("79991112233"), "79991112233", "11 digits: a phone number stays");
        assert_eq!(mask_numbers("201494711279"), "********1279");
        assert_eq!(
            mask_numbers("a:4111111111111111:b:123456789012"),
            "a:************1111:b:********9012"
        );
        assert_eq!(mask_numbers(""), "");
    }
}
