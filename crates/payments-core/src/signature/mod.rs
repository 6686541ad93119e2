//! Signature building blocks shared by the gateways: the canonical string to sign, the
//! digests, and constant-time verification.
//!
//! A gateway crate decides *which* fields are signed and in which order; this module turns
//! those fields into one string and that string into a digest.
//!
//! ```
//! use payments_core::signature::{canonical_string, sha256_hex_with_secret, verify_hex, KeyOrder};
//! use payments_core::SecretString;
//!
//! let fields = [("shop_order_id", "101"), ("amount", "10.00"), ("shop_id", "5"), ("currency", "643")];
//! let text = canonical_string(fields, ":", KeyOrder::Sorted)?;
//! assert_eq!(text, "10.00:643:5:101");
//!
//! let secret = SecretString::from("SecretKey01");
//! let sign = sha256_hex_with_secret(&text, &secret);
//! assert!(verify_hex(&sign, &sign.to_uppercase()));
//! # Ok::<(), payments_core::signature::CanonicalError>(())
//! ```

mod canonical;
mod digest;
mod fields;
mod sorted;

pub use canonical::{
    CanonicalError, KeyOrder, canonical_string, sort_by_key_unique, write_canonical,
};
pub use digest::{
    HexDigest, hmac_sha256_canonical, hmac_sha256_hex, md5_hex, sha256_canonical_with_secret,
    sha256_hex_bytes_with_secret, sha256_hex_with_secret, sha256_joined_with_secret, verify_hex,
};
pub use fields::{FieldScheme, FieldValue, SignedBody, SignedFields, SignedKeys};
pub use sorted::{Member, SignedText, SortedBody, SortedLayout};
