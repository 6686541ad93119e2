//! Fuzz target `freekassa_responses`: every Freekassa response parser (10) on every input.
//!
//! Scheme: the first byte picks an error status, `[400, 401, 404, 429, 500, 502]` indexed
//! modulo 6; the rest is the body. Each parser reads the body twice, as an HTTP 200 and with
//! that error status (`content-type: application/json`), so every parser sees every input
//! for the whole run. Body: `payments_fuzz::freekassa_responses`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| payments_fuzz::freekassa_responses(data));
