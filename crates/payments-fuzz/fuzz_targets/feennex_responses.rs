//! Fuzz target: see `payments_fuzz::feennex_responses`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| payments_fuzz::feennex_responses(data));
