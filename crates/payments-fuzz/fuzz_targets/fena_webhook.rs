//! Fuzz target `fena_webhook`: the Fena webhook token verifier and Toolkit trigger.
//!
//! First byte (modulo 5) = mode, the rest = input: `0` webhook request (form POST), `1` form
//! body, `2` raw token, `3` JSON claims signed with HS512 and the test secret (valid
//! signature), `4` Toolkit webhook body. Body: `payments_fuzz::fena_webhook`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| payments_fuzz::fena_webhook(data));
