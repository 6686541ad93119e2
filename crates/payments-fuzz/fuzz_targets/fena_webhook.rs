//! Fuzz target: see `payments_fuzz::fena_webhook`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| payments_fuzz::fena_webhook(data));
