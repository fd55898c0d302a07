//! libFuzzer entry of `substance_fuzz::gguf`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| substance_fuzz::gguf(data));
