//! The HMAC-SHA512 libraries side by side, shared by the `sign` and `webhook` benches.

use std::hint::black_box;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha512;

/// The same HMAC-SHA512 by aws-lc (jsonwebtoken's backend), measured against RustCrypto's,
/// which signing and verifying use: with the key set up in each call, as the RustCrypto raw
/// figure, and with the key made once, as `fena::Config` keeps it.
pub fn aws_lc_raw(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    secret: &[u8],
    input: &[u8],
) {
    use aws_lc_rs::hmac;
    let key = hmac::Key::new(hmac::HMAC_SHA512, secret);
    let mut mac = Hmac::<Sha512>::new_from_slice(secret).unwrap();
    mac.update(input);
    assert_eq!(hmac::sign(&key, input).as_ref(), mac.finalize().into_bytes().as_slice());
    group.bench_function("raw_hmac_sha512_aws_lc", |b| {
        b.iter(|| {
            let key = hmac::Key::new(hmac::HMAC_SHA512, black_box(secret));
            hmac::sign(&key, black_box(input))
        })
    });
    group.bench_function("raw_hmac_sha512_aws_lc_keyed", |b| {
        b.iter(|| hmac::sign(black_box(&key), black_box(input)))
    });
    // The two libraries against each other, alternated: key set up per call, then key made
    // once (RustCrypto: a keyed `Hmac` cloned per call).
    group.bench_function("paired_aws_lc_vs_rustcrypto_x1000", |b| {
        crate::paired::paired(
            b,
            || {
                let mut mac = Hmac::<Sha512>::new_from_slice(black_box(secret)).unwrap();
                mac.update(black_box(input));
                mac.finalize()
            },
            || hmac::sign(&hmac::Key::new(hmac::HMAC_SHA512, black_box(secret)), black_box(input)),
        )
    });
    let keyed = Hmac::<Sha512>::new_from_slice(secret).unwrap();
    group.bench_function("paired_aws_lc_vs_rustcrypto_keyed_x1000", |b| {
        crate::paired::paired(
            b,
            || {
                let mut mac = black_box(&keyed).clone();
                mac.update(black_box(input));
                mac.finalize()
            },
            || hmac::sign(black_box(&key), black_box(input)),
        )
    });
}
