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
    let capacity = fields.iter().map(|(_, value)| value.len() + separator.len()).sum();
    let mut joined = String::with_capacity(capacity);
    write_canonical(&mut fields, separator, order, |piece| joined.push_str(piece))?;
    Ok(joined)
}

/// Feeds the canonical string of `fields` to `sink` piece by piece (values and separators),
/// without building it: a signer hashes the pieces directly.
///
/// With [`KeyOrder::Sorted`] the slice is sorted in place. The pieces, concatenated, are
/// exactly [`canonical_string`] of the same fields.
///
/// ```
/// use payments_core::signature::{write_canonical, KeyOrder};
///
/// let mut fields = [("b", "2"), ("a", "1")];
/// let mut pieces = Vec::new();
/// write_canonical(&mut fields, ":", KeyOrder::Sorted, |piece| pieces.push(piece.to_owned()))?;
/// assert_eq!(pieces, ["1", ":", "2"]);
/// # Ok::<(), payments_core::signature::CanonicalError>(())
/// ```
///
/// # Errors
///
/// [`CanonicalError::DuplicateKey`] when a key appears twice; nothing is fed then.
pub fn write_canonical(
    fields: &mut [(&str, &str)],
    separator: &str,
    order: KeyOrder,
    mut sink: impl FnMut(&str),
) -> Result<(), CanonicalError> {
    check_unique(fields, order)?;
    for (index, (_, value)) in fields.iter().enumerate() {
        if index > 0 {
            sink(separator);
        }
        sink(value);
    }
    Ok(())
}

/// Sorts `fields` by key, byte-wise (what the gateways mean by "sorted"), and refuses a key
/// that appears twice. Used for signed fields and for whole request bodies.
///
/// ```
/// use payments_core::signature::sort_by_key_unique;
///
/// let mut fields = [("b", 2), ("a", 1)];
/// sort_by_key_unique(&mut fields)?;
/// assert_eq!(fields, [("a", 1), ("b", 2)]);
/// assert!(sort_by_key_unique(&mut [("a", 1), ("a", 2)]).is_err());
/// # Ok::<(), payments_core::signature::CanonicalError>(())
/// ```
///
/// # Errors
///
/// [`CanonicalError::DuplicateKey`] naming the repeated key.
pub fn sort_by_key_unique<T>(fields: &mut [(&str, T)]) -> Result<(), CanonicalError> {
    // Lists usually arrive sorted: one pass of strict comparisons proves order and uniqueness.
    // Otherwise sort, and a repeated key then sits next to itself.
    if fields.is_sorted_by(|left, right| left.0 < right.0) {
        return Ok(());
    }
    fields.sort_unstable_by(|left, right| left.0.cmp(right.0));
    match fields.windows(2).find_map(|pair| match pair {
        [left, right] if left.0 == right.0 => Some(left.0),
        _ => None,
    }) {
        Some(key) => Err(CanonicalError::DuplicateKey { key: key.to_owned() }),
        None => Ok(()),
    }
}

/// Puts `fields` in `order` (sorting in place for [`KeyOrder::Sorted`]) and refuses a
/// repeated key.
fn check_unique(fields: &mut [(&str, &str)], order: KeyOrder) -> Result<(), CanonicalError> {
    let repeated = match order {
        KeyOrder::Sorted => return sort_by_key_unique(fields),
        // Signed field lists are short: comparing every pair costs less than sorting a copy.
        KeyOrder::AsGiven => fields.iter().enumerate().find_map(|(index, (key, _))| {
            fields
                .get(..index)
                .unwrap_or_default()
                .iter()
                .any(|(seen, _)| seen == key)
                .then_some(*key)
        }),
    };
    match repeated {
        Some(key) => Err(CanonicalError::DuplicateKey { key: key.to_owned() }),
        None => Ok(()),
    }
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
