//! The canonical string: signed values joined by a separator, in a defined key order.

/// The order in which signed values are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyOrder {
    /// Sorted byte-wise by key name (Feennex, the Freekassa API).
    Sorted,
    /// In the order given (the Freekassa payment form and notification).
    AsGiven,
}

/// Why a set of fields has no canonical string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CanonicalError {
    /// The same key was given twice. Which value is signed would be ambiguous, so this is an
    /// error rather than a silent overwrite.
    #[error("signed key {key:?} appears more than once")]
    DuplicateKey {
        /// The repeated key.
        key: String,
    },
}

/// Joins the values of `fields` with `separator`, ordered by `order`.
///
/// Only the values are joined; the keys decide the order and must be unique.
///
/// ```
/// use payments_core::signature::{canonical_string, KeyOrder};
///
/// let fields = [("b", "2"), ("a", "1")];
/// assert_eq!(canonical_string(fields, ":", KeyOrder::Sorted)?, "1:2");
/// assert_eq!(canonical_string(fields, "|", KeyOrder::AsGiven)?, "2|1");
/// assert!(canonical_string([("a", "1"), ("a", "2")], ":", KeyOrder::Sorted).is_err());
/// # Ok::<(), payments_core::signature::CanonicalError>(())
/// ```
///
/// # Errors
///
/// [`CanonicalError::DuplicateKey`] when a key appears twice.
pub fn canonical_string<'a, I>(
    fields: I,
    separator: &str,
    order: KeyOrder,
) -> Result<String, CanonicalError>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut fields: Vec<(&str, &str)> = fields.into_iter().collect();
    match order {
        KeyOrder::Sorted => {
            // `str` orders byte-wise, which is what the gateways mean by "sorted"; once
            // sorted, a repeated key sits next to itself.
            fields.sort_unstable_by(|left, right| left.0.cmp(right.0));
            if let Some(pair) =
                fields.windows(2).find(|pair| pair.first().map(|p| p.0) == pair.get(1).map(|p| p.0))
            {
                let key = pair.first().map_or("", |p| p.0);
                return Err(CanonicalError::DuplicateKey { key: key.to_owned() });
            }
        }
        KeyOrder::AsGiven => {
            // Signed field lists are short: comparing every pair costs less than sorting a copy.
            for (index, (key, _)) in fields.iter().enumerate() {
                if fields.get(..index).unwrap_or_default().iter().any(|(seen, _)| seen == key) {
                    return Err(CanonicalError::DuplicateKey { key: (*key).to_owned() });
                }
            }
        }
    }
    let capacity = fields.iter().map(|(_, value)| value.len() + separator.len()).sum();
    let mut joined = String::with_capacity(capacity);
    for (index, (_, value)) in fields.iter().enumerate() {
        if index > 0 {
            joined.push_str(separator);
        }
        joined.push_str(value);
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_byte_wise_not_by_locale() {
        // Upper-case letters sort before lower-case ones byte-wise; "_" (0x5F) sits between.
        let fields = [("b", "3"), ("B", "1"), ("_", "2"), ("a", "4")];
        assert_eq!(canonical_string(fields, ":", KeyOrder::Sorted).unwrap(), "1:2:4:3");
    }

    #[test]
    fn keeps_empty_values_and_separators_inside_values() {
        let fields = [("a", ""), ("b", "x:y")];
        assert_eq!(canonical_string(fields, ":", KeyOrder::Sorted).unwrap(), ":x:y");
    }

    #[test]
    fn empty_input_is_empty_string() {
        assert_eq!(canonical_string([], ":", KeyOrder::Sorted).unwrap(), "");
    }

    #[test]
    fn duplicate_keys_are_an_error_in_both_orders() {
        for order in [KeyOrder::Sorted, KeyOrder::AsGiven] {
            let err = canonical_string([("x", "1"), ("y", "2"), ("x", "1")], ":", order);
            assert_eq!(err, Err(CanonicalError::DuplicateKey { key: "x".into() }));
        }
    }
}
