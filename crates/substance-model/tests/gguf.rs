//! GGUF loading: tiny-llama in F32/F16/Q8_0/Q4_0/Q4_1 against transformers run on the weights gguf-py
//! dequantises from each file, and the real SmolLM2-135M-Instruct Q4_1 (skipped when absent) against
//! tests/fixtures/models/smollm2-135m-reference.json.
#![cfg(not(target_family = "wasm"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use burn::tensor::Device;
use common::gguf::*;
use common::*;
use substance_core::Message;
use substance_model::{GenerateOptions, Model, ModelError};

#[test]
fn tiny_llama_gguf_files_match_their_dequantised_references() {
    let device = Device::flex();
    for kind in FILES {
        let d = check_tiny(kind, &device);
        eprintln!("tiny-llama-{kind}.gguf: flex last-row max-abs {d:e}");
    }
}

#[test]
fn f32_gguf_equals_the_safetensors_model() {
    let device = Device::flex();
    let a = tiny("F32", &device);
    let b = load_hf("tiny-llama", &device);
    let r = reference("tiny-llama");
    for p in r["prompts"].as_array().unwrap() {
        let row = ids(&p["ids"]);
        let x = a.logits(std::slice::from_ref(&row)).unwrap();
        let y = b.logits(&[row]).unwrap();
        for (u, v) in x[0].iter().zip(&y[0]) {
            assert!(max_abs(u, v) <= 1e-6);
        }
    }
}

#[test]
fn gguf_metadata_gives_tokenizer_template_and_specials() {
    let model = tiny("Q8_0", &Device::flex());
    assert_eq!(model.bos_id(), Some(1));
    assert_eq!(model.eos_ids(), &[2]);
    let rendered = model
        .render_chat(&[Message {
            role: "user".into(),
            content: "hi".into(),
        }])
        .unwrap();
    assert!(
        rendered.starts_with("<|im_start|>") && rendered.ends_with("<|im_start|>assistant\n"),
        "{rendered}"
    );
    // chat generation runs and stops at <|im_end|> or the limit
    let st = model
        .generate_chat(
            &[Message {
                role: "user".into(),
                content: "hi".into(),
            }],
            GenerateOptions {
                max_tokens: 4,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(st.generated_ids().len() <= 4);
    assert!(!st.generated_ids().contains(&2));
}

#[test]
fn malformed_gguf_files_are_typed_errors() {
    let p = fixtures().join("tiny-llama-gguf/tiny-llama-Q4_0.gguf");
    let bytes = std::fs::read(&p).unwrap();
    let device = Device::flex();
    for cut in [0, 3, 100, bytes.len() / 2, bytes.len() - 1] {
        let e = Model::from_gguf_bytes("t.gguf", "t", &bytes[..cut], &device).unwrap_err();
        assert!(
            matches!(e, ModelError::Gguf { ref file, .. } if file == "t.gguf"),
            "{cut}: {e:?}"
        );
    }
    let e = Model::from_gguf_bytes("t.gguf", "t", b"not a gguf at all, definitely", &device)
        .unwrap_err();
    assert!(e.to_string().contains("t.gguf"), "{e}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, failure_persistence: None, ..Default::default() })]
    #[test]
    fn mutated_gguf_files_never_panic(pos in 0usize..130_000, val in proptest::prelude::any::<u8>()) {
        let p = fixtures().join("tiny-llama-gguf/tiny-llama-Q4_1.gguf");
        let mut bytes = std::fs::read(&p).unwrap();
        let i = pos % bytes.len();
        bytes[i] = val;
        let _ = Model::from_gguf_bytes("m.gguf", "m", &bytes, &Device::flex());
    }
}

#[test]
fn smollm2_135m_matches_its_reference() {
    let Some(path) = smollm2_path() else {
        eprintln!(
            "SKIPPED: SmolLM2-135M-Instruct.Q4_1.gguf not found ($SUBSTANCE_MODELS or models/; `cargo xtask fetch-model`)"
        );
        return;
    };
    let device = Device::flex();
    let worst = check_smollm2(&path, &device, SMOLLM2_TOL);
    eprintln!("SmolLM2-135M: flex max-abs {worst:e} (tolerance {SMOLLM2_TOL:e})");
}
