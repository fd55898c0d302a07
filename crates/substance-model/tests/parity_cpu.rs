//! Parity with Hugging Face transformers on the Flex CPU backend (fixtures: tests/fixtures/models).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr)]

mod common;

use burn::tensor::Device;
use common::*;

#[test]
fn logits_match_transformers() {
    let device = Device::flex();
    for name in ARCHS {
        let model = load_hf(name, &device);
        let worst = check_prompt_logits(&model, name);
        eprintln!("{name}: flex logits max-abs {worst:e}");
    }
}
