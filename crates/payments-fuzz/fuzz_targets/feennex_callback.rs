//! Fuzz target: see `payments_fuzz::feennex_callback`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| payments_fuzz::feennex_callback(data));
