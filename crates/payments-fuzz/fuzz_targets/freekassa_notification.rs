//! Fuzz target: see `payments_fuzz::freekassa_notification`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| payments_fuzz::freekassa_notification(data));
