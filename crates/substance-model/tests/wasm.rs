//! The runtime inside a browser (headless Chromium through wasm-bindgen-test): the tiny models'
//! logits, greedy generations and log-likelihoods on the Flex CPU backend compiled to wasm32 (SIMD128),
//! and — built with `--features wgpu` — on WebGPU (SwiftShader in headless Chromium; correctness only).
//! Everything is loaded from bytes, as the page does, and read back only asynchronously.
//!
//! ```sh
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner CHROMEDRIVER=/usr/bin/chromedriver \
//! WASM_BINDGEN_TEST_WEBDRIVER_JSON=tests/browser/webdriver.json \
//! cargo test --target wasm32-unknown-unknown --profile wasm-dev -p substance-model --test wasm --test tokenizer_goldens [--features wgpu]
//! ```
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use burn::tensor::Device;
use serde_json::Value;
use substance_model::{GenerateOptions, HfFiles, LoadOptions, LoglikOptions, Model, Sampling};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!(
                "../../../tests/fixtures/models/",
                $name,
                "/config.json"
            ))
            .as_slice(),
            include_bytes!(concat!(
                "../../../tests/fixtures/models/",
                $name,
                "/model.safetensors"
            ))
            .as_slice(),
            include_bytes!(concat!(
                "../../../tests/fixtures/models/",
                $name,
                "/tokenizer.json"
            ))
            .as_slice(),
            include_bytes!(concat!(
                "../../../tests/fixtures/models/",
                $name,
                "/generation_config.json"
            ))
            .as_slice(),
            include_str!(concat!(
                "../../../tests/fixtures/models/",
                $name,
                "/reference.json"
            )),
        )
    };
}

type Fixture = (
    &'static str,
    &'static [u8],
    &'static [u8],
    &'static [u8],
    &'static [u8],
    &'static str,
);

const FIXTURES: [Fixture; 3] = [
    fixture!("tiny-opt"),
    fixture!("tiny-gpt2"),
    fixture!("tiny-llama"),
];

fn ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

fn log(msg: &str) {
    wasm_bindgen_test::console_log!("{msg}");
}

async fn check(device: &Device, backend: &str, tol: f32) {
    for (name, config, weights, tokenizer, generation, reference) in FIXTURES {
        let model = Model::from_hf_bytes(
            name,
            HfFiles {
                config,
                weights,
                tokenizer,
                generation_config: Some(generation),
                tokenizer_config: None,
            },
            device,
        )
        .unwrap();
        let r: Value = serde_json::from_str(reference).unwrap();
        let mut worst = 0.0f32;
        for p in r["prompts"].as_array().unwrap() {
            let want = ids(&p["ids"]);
            assert_eq!(
                model.encode(p["text"].as_str().unwrap(), true).unwrap(),
                want
            );
            let got = model
                .logits_async(std::slice::from_ref(&want))
                .await
                .unwrap();
            for (row, want_row) in got[0].iter().zip(p["logits"].as_array().unwrap()) {
                for (x, y) in row.iter().zip(want_row.as_array().unwrap()) {
                    worst = worst.max((x - y.as_f64().unwrap() as f32).abs());
                }
            }
            let g = &p["greedy"];
            let opts = GenerateOptions {
                max_tokens: g["max_new_tokens"].as_u64().unwrap() as usize,
                stop: vec![],
                sampling: Sampling::Greedy,
                stop_at_eos: true,
            };
            let st = model.generate_ids_async(&want, opts).await.unwrap();
            let mut new = ids(&g["new_ids"]);
            if g["stopped_at_eos"].as_bool().unwrap() {
                new.pop();
            }
            assert_eq!(
                st.generated_ids(),
                new.as_slice(),
                "{backend} {name}: greedy"
            );
        }
        assert!(worst <= tol, "{backend} {name}: logits max-abs {worst}");
        let pairs = r["loglikelihood"]["pairs"].as_array().unwrap();
        let reqs: Vec<(String, String)> = pairs
            .iter()
            .map(|p| {
                (
                    p["context"].as_str().unwrap().to_owned(),
                    p["continuation"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let got = model
            .loglikelihood_async(&reqs, &LoglikOptions::default())
            .await
            .unwrap();
        for (g, p) in got.iter().zip(pairs) {
            assert!(
                (g.logprob - p["logprob"].as_f64().unwrap()).abs() <= 1e-4,
                "{backend} {name}: loglik"
            );
            assert_eq!(g.is_greedy, p["is_greedy"].as_bool().unwrap());
        }
        log(&format!(
            "{backend} {name}: logits max-abs {worst:e}; greedy and log-likelihoods match"
        ));
    }
}

#[wasm_bindgen_test]
async fn flex_in_wasm_matches_transformers() {
    check(&Device::flex(), "flex/wasm32", 1e-4).await;
}

#[wasm_bindgen_test]
async fn gguf_from_bytes_in_wasm() {
    let bytes =
        include_bytes!("../../../tests/fixtures/models/tiny-llama-gguf/tiny-llama-Q4_1.gguf");
    let r: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/models/tiny-llama-gguf/reference.json"
    ))
    .unwrap();
    let model = Model::from_gguf_bytes_with(
        "tiny-llama-Q4_1.gguf",
        "tiny",
        bytes,
        &Device::flex(),
        LoadOptions::f32(),
    )
    .unwrap();
    let want = ids(&r["input_ids"]);
    assert_eq!(
        model.encode(r["prompt"].as_str().unwrap(), false).unwrap(),
        want
    );
    let got = model
        .logits_async(std::slice::from_ref(&want))
        .await
        .unwrap();
    let last = got[0].last().unwrap();
    let reference = r["files"]["tiny-llama-Q4_1.gguf"]["last_logits"]
        .as_array()
        .unwrap();
    let worst = last
        .iter()
        .zip(reference)
        .map(|(x, y)| (x - y.as_f64().unwrap() as f32).abs())
        .fold(0.0, f32::max);
    assert!(worst <= 1e-4, "{worst}");
    log(&format!(
        "flex/wasm32 tiny-llama-Q4_1.gguf: last-row max-abs {worst:e}"
    ));

    // The quantised path (SIMD128 kernels) within the native test's tolerance of the f32 path
    // (tests/quantized.rs: 5e-3 for the tiny fixtures).
    let quantised =
        Model::from_gguf_bytes("tiny-llama-Q4_1.gguf", "tiny", bytes, &Device::flex()).unwrap();
    assert_eq!(
        quantised.meta().numeric,
        "quantised Q4_1 × 16-bit activations"
    );
    let q = quantised
        .logits_async(std::slice::from_ref(&want))
        .await
        .unwrap();
    let worst_q = q[0]
        .iter()
        .flatten()
        .zip(got[0].iter().flatten())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max);
    assert!(worst_q <= 5e-3, "quantised vs f32: {worst_q}");
    log(&format!(
        "flex/wasm32 tiny-llama-Q4_1.gguf quantised (simd128) vs f32: max-abs {worst_q:e}"
    ));
}

#[cfg(feature = "wgpu")]
#[wasm_bindgen_test]
async fn webgpu_matches_transformers() {
    // Built with `--features wgpu` only for browsers that have WebGPU (`cargo xtask test` starts Chromium
    // with `--enable-unsafe-webgpu`: SwiftShader); no adapter there is a failure, not a skip.
    let device = Device::wgpu_options()
        .init_async()
        .await
        .unwrap_or_else(|e| panic!("no WebGPU adapter in this browser: {e}"));
    check(&device, "webgpu", 1e-4).await;
}
