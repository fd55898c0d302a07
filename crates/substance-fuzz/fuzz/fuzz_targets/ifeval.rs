//! libFuzzer entry of `substance_fuzz::ifeval`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| substance_fuzz::ifeval(data));
