//! libFuzzer entry of `substance_fuzz::leaderboard`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| substance_fuzz::leaderboard(data));
