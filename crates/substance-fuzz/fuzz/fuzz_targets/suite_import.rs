//! libFuzzer entry of `substance_fuzz::suite_import`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| substance_fuzz::suite_import(data));
