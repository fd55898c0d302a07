//! The quantised numeric path (GGUF blocks kept as stored, `substance-quant` kernels, 16-bit activations)
//! against the same file on the f32 reference path, which the parity tests hold to transformers.
//!
//! Tolerances (max |Δ| of any logit, quantised vs f32 path): the only approximation is each activation
//! block rounded to 16 bits (at most `max|x|/65534` per value), carried through every layer. Measured
//! here: tiny-llama Q8_0/Q4_0/Q4_1 ≤ 1.1e-3 (logits of a few units), SmolLM2-135M-Instruct Q4_1 ≤ 9e-3
//! (logits up to ~35); the tolerances below leave a 3–5× margin. Where the f32 path's top-2 margin is
//! larger than twice the tolerance, argmax and greedy tokens must be the same.
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
use substance_model::sampling::argmax;
use substance_model::{GenerateOptions, LoadOptions, LoglikOptions, Model};

/// Logit tolerance of the tiny GGUF fixtures.
const TINY_TOL: f32 = 5e-3;
/// Logit tolerance of SmolLM2-135M-Instruct Q4_1.
const SMOLLM2_Q_TOL: f32 = 3e-2;

/// The token ids of a reference file's prompts.
fn prompt_rows(r: &serde_json::Value) -> Vec<Vec<u32>> {
    r["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| ids(&p["ids"]))
        .collect()
}

/// Top-1 minus top-2 of a logit row.
fn margin(row: &[f32]) -> f32 {
    let mut s = row.to_vec();
    s.sort_by(|p, q| q.total_cmp(p));
    s[0] - s[1]
}

/// Checks the quantised model `q` against the f32 model `f` on `rows`: logits within `tol`, the same
/// argmax wherever the f32 margin exceeds `2·tol`, log-likelihoods within `2·tol` per token, and greedy
/// continuations the same up to the first step whose f32 margin is within `2·tol`. Returns the worst
/// logit difference.
fn check(f: &Model, q: &Model, rows: &[Vec<u32>], tol: f32, label: &str) -> f32 {
    let x = f.logits(rows).unwrap();
    let y = q.logits(rows).unwrap();
    let mut worst = 0f32;
    for (i, (u, v)) in x.iter().flatten().zip(y.iter().flatten()).enumerate() {
        let d = max_abs(u, v);
        worst = worst.max(d);
        assert!(d <= tol, "{label}: position {i}: logits differ by {d}");
        if margin(u) > 2.0 * tol {
            assert_eq!(argmax(u), argmax(v), "{label}: position {i}: argmax");
        }
    }
    // log-likelihood of each row's second half given its first half
    let pairs: Vec<_> = rows
        .iter()
        .filter(|r| r.len() >= 2)
        .map(|r| substance_model::runtime::EncodedPair {
            context: r[..r.len() / 2].to_vec(),
            continuation: r[r.len() / 2..].to_vec(),
        })
        .collect();
    let opts = LoglikOptions::default();
    let a = f.loglikelihood_tokens(&pairs, &opts).unwrap();
    let b = q.loglikelihood_tokens(&pairs, &opts).unwrap();
    for (k, (la, lb)) in a.iter().zip(&b).enumerate() {
        let n = la.token_logprobs.len() as f64;
        assert!(
            (la.logprob - lb.logprob).abs() <= 2.0 * f64::from(tol) * n,
            "{label}: pair {k}: log-likelihood {} vs {}",
            la.logprob,
            lb.logprob
        );
    }
    // greedy continuations
    for (k, prompt) in rows.iter().enumerate() {
        let opts = GenerateOptions {
            max_tokens: 12,
            ..Default::default()
        };
        let sf = f.generate_ids(prompt, opts.clone()).unwrap();
        let sq = q.generate_ids(prompt, opts).unwrap();
        let mut full = prompt.clone();
        full.extend_from_slice(sf.generated_ids());
        let logits = f.logits(std::slice::from_ref(&full)).unwrap().remove(0);
        // the step producing generated token j reads the logits at position prompt.len() - 1 + j
        let sure = (0..sf.generated_ids().len())
            .take_while(|&j| margin(&logits[prompt.len() - 1 + j]) > 2.0 * tol)
            .count();
        assert_eq!(
            sq.generated_ids().get(..sure),
            sf.generated_ids().get(..sure),
            "{label}: prompt {k}: greedy tokens while the f32 margin exceeds 2·tol"
        );
    }
    worst
}

#[test]
fn tiny_gguf_quantised_path_is_within_tolerance_of_the_f32_path() {
    let device = Device::flex();
    let r = reference("tiny-llama");
    let rows = prompt_rows(&r);
    for kind in ["Q8_0", "Q4_0", "Q4_1"] {
        let f = tiny(kind, &device);
        let q = tiny_with(kind, &device, LoadOptions::default());
        assert_eq!(f.meta().numeric, "f32");
        assert_eq!(
            q.meta().numeric,
            format!("quantised {kind} × 16-bit activations")
        );
        let worst = check(&f, &q, &rows, TINY_TOL, kind);
        eprintln!("tiny-llama-{kind}.gguf: quantised vs f32 max-abs {worst:e}");
    }
}

#[test]
fn float_ggufs_stay_on_the_f32_path() {
    let device = Device::flex();
    let r = reference("tiny-llama");
    let row = ids(&r["prompts"][0]["ids"]);
    for kind in ["F32", "F16"] {
        let f = tiny(kind, &device);
        let q = tiny_with(kind, &device, LoadOptions::default());
        assert_eq!(q.meta().numeric, "f32", "{kind}");
        let x = f.logits(std::slice::from_ref(&row)).unwrap();
        let y = q.logits(std::slice::from_ref(&row)).unwrap();
        assert_eq!(x, y, "{kind}: the same path gives the same bits");
    }
}

#[test]
fn receipts_name_the_numeric_path() {
    let device = Device::flex();
    let p = fixtures().join("tiny-llama-gguf/tiny-llama-Q4_1.gguf");
    let spec = format!("gguf:{}", p.display());
    let local = substance_model::LocalModel::load(&spec, &device).unwrap();
    let source = local.info().source.unwrap();
    assert!(
        source.contains("quantised Q4_1 × 16-bit activations"),
        "{source}"
    );
}

#[test]
fn smollm2_quantised_path_is_within_tolerance_of_the_f32_path() {
    let Some(path) = smollm2_path() else {
        eprintln!("SKIP: SmolLM2-135M-Instruct.Q4_1.gguf not found (cargo xtask fetch-model)");
        return;
    };
    let device = Device::flex();
    let f = Model::from_gguf_file_with(&path, "smollm2", &device, LoadOptions::f32()).unwrap();
    let q = Model::from_gguf_file(&path, "smollm2", &device).unwrap();
    assert_eq!(q.meta().numeric, "quantised Q4_1+Q8_0 × 16-bit activations");
    let r: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("smollm2-135m-reference.json")).unwrap(),
    )
    .unwrap();
    let rows = prompt_rows(&r);
    let worst = check(&f, &q, &rows, SMOLLM2_Q_TOL, "SmolLM2");
    eprintln!("SmolLM2-135M-Instruct Q4_1: quantised vs f32 max-abs {worst:e}");
}

/// The quantised projection scores a few rows at a time (their vocabulary-sized logits are all that is
/// held): how the positions are grouped — one per call, or up to 256 — gives the same bits.
#[test]
fn quantised_scores_do_not_depend_on_how_positions_are_grouped() {
    let device = Device::flex();
    let q = tiny_with("Q4_1", &device, LoadOptions::default());
    let vocab = q.lm().vocab_size() as u32;
    // 3 requests, 75 scored positions in all (more than one group of rows)
    let pairs: Vec<_> = (0..3u32)
        .map(|k| substance_model::runtime::EncodedPair {
            context: (1..6).map(|i| (i * 7 + k) % vocab).collect(),
            continuation: (0..25).map(|i| (i * 13 + k * 5 + 3) % vocab).collect(),
        })
        .collect();
    let one = LoglikOptions {
        score_chunk: 1,
        ..LoglikOptions::default()
    };
    let a = q.loglikelihood_tokens(&pairs, &one).unwrap();
    let b = q
        .loglikelihood_tokens(&pairs, &LoglikOptions::default())
        .unwrap();
    assert_eq!(a, b);
    assert!(
        a.iter()
            .all(|l| l.logprob.is_finite() && l.token_logprobs.len() == 25)
    );
}
