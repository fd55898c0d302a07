//! Shared helpers for the integration tests: fixture paths and reference loading.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use burn::tensor::Device;
use serde_json::Value;
use substance_model::Model;

/// `<repo>/tests/fixtures/models`.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/models")
}

/// A fixture's `reference.json`.
pub fn reference(name: &str) -> Value {
    let p = fixtures().join(name).join("reference.json");
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

/// Load an HF fixture folder.
pub fn load_hf(name: &str, device: &Device) -> Model {
    Model::from_hf_dir(&fixtures().join(name), &format!("hf:{name}"), device).unwrap()
}

pub fn ids(v: &Value) -> Vec<u32> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect()
}

pub fn floats(v: &Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

/// Max |a - b| over two equally long slices.
pub fn max_abs(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

pub const ARCHS: [&str; 3] = ["tiny-opt", "tiny-gpt2", "tiny-llama"];
pub const TOL: f32 = 1e-4;

/// Logits of every prompt vs the reference; returns the worst max-abs difference.
pub fn check_prompt_logits(model: &Model, name: &str) -> f32 {
    let r = reference(name);
    let mut worst = 0.0f32;
    for p in r["prompts"].as_array().unwrap() {
        let text = p["text"].as_str().unwrap();
        let want_ids = ids(&p["ids"]);
        assert_eq!(model.encode(text, true).unwrap(), want_ids, "{name}: ids of {text:?}");
        let got = model.logits(&[want_ids.clone()]).unwrap();
        for (i, row) in p["logits"].as_array().unwrap().iter().enumerate() {
            let d = max_abs(&got[0][i], &floats(row));
            worst = worst.max(d);
            assert!(d <= TOL, "{name} {text:?} position {i}: max-abs {d}");
        }
    }
    worst
}
