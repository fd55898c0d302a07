//! libFuzzer entry of `substance_fuzz::judge_import`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| substance_fuzz::judge_import(data));
