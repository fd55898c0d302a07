//! libFuzzer entry of `substance_fuzz::verify_foreign`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| substance_fuzz::verify_foreign(data));
