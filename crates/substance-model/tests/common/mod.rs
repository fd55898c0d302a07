//! Shared helpers for the integration tests: fixture paths and reference loading.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod gguf;

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
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

pub fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// Max |a - b| over two equally long slices.
pub fn max_abs(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
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
        assert_eq!(
            model.encode(text, true).unwrap(),
            want_ids,
            "{name}: ids of {text:?}"
        );
        let got = model.logits(std::slice::from_ref(&want_ids)).unwrap();
        for (i, row) in p["logits"].as_array().unwrap().iter().enumerate() {
            let d = max_abs(&got[0][i], &floats(row));
            worst = worst.max(d);
            assert!(d <= TOL, "{name} {text:?} position {i}: max-abs {d}");
        }
    }
    worst
}

/// Greedy generations vs the reference `new_ids` (EOS excluded from ours).
pub fn check_greedy(model: &Model, name: &str) {
    use substance_model::{GenerateOptions, Sampling};
    let r = reference(name);
    for p in r["prompts"].as_array().unwrap() {
        let g = &p["greedy"];
        let mut want = ids(&g["new_ids"]);
        if g["stopped_at_eos"].as_bool().unwrap() {
            want.pop();
        }
        let opts = GenerateOptions {
            max_tokens: g["max_new_tokens"].as_u64().unwrap() as usize,
            stop: vec![],
            sampling: Sampling::Greedy,
            stop_at_eos: true,
        };
        let st = model.generate_ids(&ids(&p["ids"]), opts).unwrap();
        assert_eq!(
            st.generated_ids(),
            want.as_slice(),
            "{name}: greedy for {:?}",
            p["text"]
        );
    }
}

/// Log-likelihoods (one section of reference.json) vs ours, unbatched and batched.
pub fn check_loglik(model: &Model, name: &str, section: &str) -> f64 {
    use substance_model::LoglikOptions;
    let r = reference(name);
    let s = &r[section];
    let add = s["add_special_tokens"].as_bool().unwrap();
    let pairs = s["pairs"].as_array().unwrap();
    let reqs: Vec<(String, String)> = pairs
        .iter()
        .map(|p| {
            (
                p["context"].as_str().unwrap().to_owned(),
                p["continuation"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let one = LoglikOptions {
        add_special_tokens: add,
        max_batch: 1,
        ..Default::default()
    };
    let all = LoglikOptions {
        add_special_tokens: add,
        ..Default::default()
    };
    // the vocabulary-sized logits made two positions at a time (chunk edges inside continuations),
    // and the inputs fed three positions at a time through the cache (rows ending inside a step)
    let chunked = LoglikOptions {
        add_special_tokens: add,
        score_chunk: 2,
        prefill_chunk: 3,
        ..Default::default()
    };
    let unbatched = model.loglikelihood(&reqs, &one).unwrap();
    let batched = model.loglikelihood(&reqs, &all).unwrap();
    let in_chunks = model.loglikelihood(&reqs, &chunked).unwrap();
    for (c, b) in in_chunks.iter().zip(&batched) {
        assert_eq!(
            c.is_greedy, b.is_greedy,
            "{name}/{section}: chunked is_greedy"
        );
        assert_eq!(c.token_logprobs.len(), b.token_logprobs.len());
        for (x, y) in c.token_logprobs.iter().zip(&b.token_logprobs) {
            assert!(
                (x - y).abs() <= 1e-5,
                "{name}/{section}: chunked {x} vs {y}"
            );
        }
    }
    let mut worst = 0.0f64;
    for ((p, u), b) in pairs.iter().zip(&unbatched).zip(&batched) {
        let want = p["logprob"].as_f64().unwrap();
        assert_eq!(
            u.continuation_ids,
            ids(&p["continuation_ids"]),
            "{name}/{section}: continuation ids"
        );
        assert_eq!(
            u.is_greedy,
            p["is_greedy"].as_bool().unwrap(),
            "{name}/{section}: is_greedy {p}"
        );
        assert_eq!(b.is_greedy, u.is_greedy);
        let d = (u.logprob - want).abs();
        worst = worst.max(d);
        assert!(
            d <= 1e-4,
            "{name}/{section}: logprob {} vs {want}",
            u.logprob
        );
        for (x, y) in u.token_logprobs.iter().zip(floats(&p["token_logprobs"])) {
            assert!(
                (x - y).abs() <= 1e-4,
                "{name}/{section}: token logprob {x} vs {y}"
            );
        }
        assert!(
            (b.logprob - u.logprob).abs() <= 1e-5,
            "{name}/{section}: batched {} vs unbatched {}",
            b.logprob,
            u.logprob
        );
    }
    worst
}

/// Tensors of a safetensors file: (name, dtype, shape, raw bytes), in file order.
pub type StEntries = Vec<(String, String, Vec<usize>, Vec<u8>)>;

/// Parse a safetensors file (test helper; trusts the input).
pub fn st_read(bytes: &[u8]) -> StEntries {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Map<String, Value> = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let data = &bytes[8 + n..];
    let mut out: Vec<(usize, _)> = header
        .into_iter()
        .filter(|(k, _)| k != "__metadata__")
        .map(|(k, v)| {
            let o = &v["data_offsets"];
            let (a, b) = (
                o[0].as_u64().unwrap() as usize,
                o[1].as_u64().unwrap() as usize,
            );
            let shape = v["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as usize)
                .collect();
            (
                a,
                (
                    k,
                    v["dtype"].as_str().unwrap().to_owned(),
                    shape,
                    data[a..b].to_vec(),
                ),
            )
        })
        .collect::<Vec<_>>();
    // File order is data order (`serde_json::Map` yields names sorted, not in file order).
    out.sort_by_key(|(offset, _)| *offset);
    out.into_iter().map(|(_, e)| e).collect()
}

/// Write a safetensors file.
pub fn st_write(entries: &StEntries) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let mut off = 0usize;
    for (name, dtype, shape, data) in entries {
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [off, off + data.len()]}),
        );
        off += data.len();
    }
    let mut h = serde_json::to_vec(&Value::Object(header)).unwrap();
    while h.len() % 8 != 0 {
        h.push(b' ');
    }
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend(h);
    for e in entries {
        out.extend(&e.3);
    }
    out
}

/// The files of an HF fixture folder.
pub struct Folder {
    pub config: Vec<u8>,
    pub weights: Vec<u8>,
    pub tokenizer: Vec<u8>,
    pub generation: Vec<u8>,
}

pub fn folder(name: &str) -> Folder {
    let d = fixtures().join(name);
    let r = |f: &str| std::fs::read(d.join(f)).unwrap();
    Folder {
        config: r("config.json"),
        weights: r("model.safetensors"),
        tokenizer: r("tokenizer.json"),
        generation: r("generation_config.json"),
    }
}

impl Folder {
    pub fn load(&self, device: &Device) -> substance_model::Result<Model> {
        Model::from_hf_bytes(
            "test",
            substance_model::HfFiles {
                config: &self.config,
                weights: &self.weights,
                tokenizer: &self.tokenizer,
                generation_config: Some(&self.generation),
                tokenizer_config: None,
            },
            device,
        )
    }
}
