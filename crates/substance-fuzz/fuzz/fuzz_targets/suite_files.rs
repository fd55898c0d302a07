//! libFuzzer entry of `substance_fuzz::suite_files`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| substance_fuzz::suite_files(data));
