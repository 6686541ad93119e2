//! Fuzz target `feennex_callback`: the Feennex callback verifier.
//!
//! First byte (modulo 4) = mode, the rest = body: `0` form body, `1` JSON body, `2` form
//! fields re-signed with the test secret (valid signature), `3` JSON fields re-signed (sent
//! as a form). Body: `payments_fuzz::feennex_callback`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| payments_fuzz::feennex_callback(data));
