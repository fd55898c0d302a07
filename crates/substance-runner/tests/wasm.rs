//! The run → receipt → verify loop inside a browser (headless Chromium through wasm-bindgen-test):
//! the numbers a page recomputes are the ones the CLI computes.
//!
//! Run with `cargo xtask test` (or `cargo test --target wasm32-unknown-unknown -p substance-runner --test wasm`
//! with `wasm-bindgen-test-runner` as the runner).

#![cfg(target_arch = "wasm32")]

use substance_core::{Seeds, Selection};
use substance_runner::{ReplayModel, RunOptions, run};
use substance_score::verify_reader;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const SUITE_TOML: &str = include_str!("../../../suites/sample-math/suite.toml");
const ITEMS: &str = include_str!("../../../suites/sample-math/items.jsonl");
const FEWSHOT: &str = include_str!("../../../suites/sample-math/fewshot.jsonl");
const RESPONSES: &str = include_str!("../../../suites/sample-math/sample_responses.jsonl");

#[wasm_bindgen_test]
fn sample_math_runs_and_verifies_in_the_browser() {
    let suite =
        substance_suite::load_suite_from_parts(SUITE_TOML, ITEMS, Some(FEWSHOT), "sample-math")
            .unwrap();
    let mut model = ReplayModel::parse(RESPONSES, "sample_responses.jsonl").unwrap();
    let opts = RunOptions {
        selection: Selection::default(),
        seeds: Seeds {
            bootstrap: 1234,
            bootstrap_resamples: 200,
            sampling: None,
        },
        created: None,
    };
    let mut receipt = Vec::new();
    let summary = run(&suite, &mut model, &opts, &mut receipt, |_, _| {}).unwrap();
    // 21 of the 30 hand-written responses are right (suites/sample-math/README.md).
    assert!((summary.metrics["exact_match_gsm8k"].value - 0.7).abs() < 1e-12);
    let report = verify_reader(&receipt[..], Some(&suite));
    assert!(report.ok, "{:?}", report.mismatches);

    // Tamper with one response: the page names the item.
    let text = String::from_utf8(receipt).unwrap();
    let tampered = text.replacen("#### 18", "#### 19", 1);
    assert_ne!(text, tampered);
    let report = verify_reader(tampered.as_bytes(), Some(&suite));
    assert!(!report.ok);
    assert!(!report.mismatching_items().is_empty());
}
