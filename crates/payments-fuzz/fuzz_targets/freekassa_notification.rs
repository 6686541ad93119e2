//! Fuzz target `freekassa_notification`: the Freekassa notification verifier.
//!
//! First byte (modulo 4) = mode, the rest = notification: `0` GET query, `1` form POST, `2`
//! multipart POST (`boundary=XyZ`), `3` form fields re-signed with secret 2 (valid
//! signature). Body: `payments_fuzz::freekassa_notification`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| payments_fuzz::freekassa_notification(data));
