//! libFuzzer entry of `substance_fuzz::receipt`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| substance_fuzz::receipt(data));
