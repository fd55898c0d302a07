//! libFuzzer entry of `substance_fuzz::replay`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| substance_fuzz::replay(data));
