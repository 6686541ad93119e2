//! Property tests: canonicalisation and amount text.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::collections::BTreeMap;

use hmac::{Hmac, KeyInit, Mac};
use payments_core::signature::{
    KeyOrder, canonical_string, hmac_sha256_canonical, sha256_canonical_with_secret, verify_hex,
};
use payments_core::{AmountStyle, Currency, Decimal, Money};
use payments_core::{ExposeSecret, SecretString};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

/// Distinct keys with arbitrary printable values.
fn fields() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map("[a-zA-Z_][a-zA-Z0-9_]{0,12}", "[ -~]{0,20}", 0..12)
}

/// Any amount a two-decimal currency allows: up to 12 integer digits, 0 to 2 decimals.
fn amount() -> impl Strategy<Value = Decimal> {
    (1_i64..=99_999_999_999_999, 0_u32..=2)
        .prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale))
}

const STYLES: [AmountStyle; 3] =
    [AmountStyle::OneDecimalMinimum, AmountStyle::TwoDecimals, AmountStyle::Shortest];

/// Distinct keys with values long enough, together, to overflow the signers' 256-byte buffer.
fn long_fields() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map("[a-zA-Z_][a-zA-Z0-9_]{0,12}", "[ -~]{0,300}", 0..8)
}

fn lower_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

proptest! {
    /// The streamed signers hash exactly the canonical string (plus the secret), whatever the
    /// order the fields come in and however long the values are.
    #[test]
    fn streamed_signatures_equal_the_digest_of_the_canonical_string(
        fields in long_fields(),
        reversed in any::<bool>(),
        secret in "[ -~]{0,40}",
    ) {
        let mut given: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if reversed {
            given.reverse();
        }
        let text = canonical_string(given.iter().copied(), ":", KeyOrder::Sorted).unwrap();
        let secret = SecretString::from(secret);

        let mut sha = Sha256::new();
        sha.update(text.as_bytes());
        sha.update(secret.expose_secret().as_bytes());
        let expected = lower_hex(&sha.finalize());
        let streamed = sha256_canonical_with_secret(&mut given.clone(), ":", KeyOrder::Sorted, &secret).unwrap();
        prop_assert_eq!(streamed.as_str(), expected.as_str());

        let text = canonical_string(given.iter().copied(), "|", KeyOrder::AsGiven).unwrap();
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose_secret().as_bytes()).unwrap();
        mac.update(text.as_bytes());
        let expected = lower_hex(&mac.finalize().into_bytes());
        let streamed = hmac_sha256_canonical(&secret, &mut given, "|", KeyOrder::AsGiven).unwrap();
        prop_assert_eq!(streamed.as_str(), expected.as_str());
        prop_assert!(verify_hex(&streamed, &expected.to_uppercase()));
    }

    #[test]
    fn sorted_canonicalisation_ignores_insertion_order(fields in fields(), seed in any::<u64>()) {
        let ordered: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut shuffled = ordered.clone();
        // A deterministic shuffle driven by the seed.
        let mut state = seed;
        for i in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (state >> 33) as usize % (i + 1));
        }
        let a = canonical_string(ordered.iter().copied(), ":", KeyOrder::Sorted).unwrap();
        let b = canonical_string(shuffled.iter().copied(), ":", KeyOrder::Sorted).unwrap();
        prop_assert_eq!(&a, &b);
        // Sorted means byte-wise by key: the BTreeMap's own order.
        let expected: Vec<&str> = fields.values().map(String::as_str).collect();
        prop_assert_eq!(a, expected.join(":"));
    }

    #[test]
    fn a_repeated_key_is_always_an_error(fields in fields(), pick in any::<prop::sample::Index>()) {
        prop_assume!(!fields.is_empty());
        let mut pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let repeated = pairs[pick.index(pairs.len())].0;
        pairs.push((repeated, "other"));
        for order in [KeyOrder::Sorted, KeyOrder::AsGiven] {
            prop_assert!(canonical_string(pairs.iter().copied(), ":", order).is_err());
        }
    }

    #[test]
    fn every_style_round_trips_exactly(value in amount()) {
        for style in STYLES {
            let text = style.render(value).unwrap();
            prop_assert_eq!(style.parse(&text).unwrap(), value, "{} {}", style, text);
            prop_assert_eq!(style.parse_canonical(&text).unwrap(), value);
        }
    }

    #[test]
    fn renderers_write_plain_decimals_only(value in amount()) {
        for style in STYLES {
            let text = style.render(value).unwrap();
            prop_assert!(text.bytes().all(|b| b.is_ascii_digit() || b == b'.'), "{}", text);
            prop_assert!(!text.contains(['e', 'E', ',', '-', '+']));
            prop_assert!(text.matches('.').count() <= 1);
            // No float artefacts: never more decimals than the value has (at most 2 here).
            let decimals = text.split_once('.').map_or(0, |(_, fraction)| fraction.len());
            prop_assert!(decimals <= 2, "{}", text);
        }
    }

    #[test]
    fn styles_have_their_documented_shape(value in amount()) {
        let one = AmountStyle::OneDecimalMinimum.render(value).unwrap();
        prop_assert!(one.contains('.') && (!one.ends_with('0') || one.ends_with(".0")), "{}", one);
        let two = AmountStyle::TwoDecimals.render(value).unwrap();
        prop_assert_eq!(two.split_once('.').unwrap().1.len(), 2);
        let short = AmountStyle::Shortest.render(value).unwrap();
        prop_assert!(!short.contains('.') || !short.ends_with('0'), "{}", short);
    }

    #[test]
    fn money_accepts_exactly_what_the_currency_allows(mantissa in 1_i64..1_000_000_000, scale in 0_u32..=4) {
        let value = Decimal::new(mantissa, scale);
        let significant = value.normalize().scale();
        prop_assert_eq!(Money::new(value, Currency::USD).is_ok(), significant <= 2);
        prop_assert_eq!(Money::new(value, Currency::JPY).is_ok(), significant == 0);
        prop_assert_eq!(Money::new(value, Currency::KWD).is_ok(), significant <= 3);
        prop_assert!(Money::new(-value, Currency::USD).is_err());
    }

    #[test]
    fn money_minor_units_round_trip(minor in 1_i64..=i64::MAX / 1000) {
        let money = Money::from_minor(minor, Currency::EUR).unwrap();
        prop_assert_eq!(money.to_minor().unwrap(), minor);
        let text = AmountStyle::TwoDecimals.render_money(&money).unwrap();
        prop_assert_eq!(Money::parse(&text, Currency::EUR).unwrap(), money);
    }
}
