//! MATH-hard (the Open LLM Leaderboard's `leaderboard_math_*_hard`, harness 74d23a67): on the small
//! original fixture in lighteval/MATH-Hard's schema, every prompt equals the one lm-eval's own sampler
//! builds from the task files, every gold equals the task's `process_docs`, and every item the scorer
//! decides equals the task's `process_results` (sympy `parse_latex` + `simplify`) on the recorded
//! generations; the rest are reported as not computed. Reference values: `scripts/math_hard_reference.py
//! reference` (lm-eval 0.4.9's samplers, the 74d23a67 `utils.py`, sympy 1.14 + antlr4 4.11).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use serde_json::Value;
use substance_core::{Prompt, Response};
use substance_score::score_item;
use substance_suite::build_prompt;
use substance_suite::import::{ImportOptions, import};

fn fixture(file: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/math_hard")
            .join(file),
    )
    .unwrap()
}

fn reference() -> Value {
    serde_json::from_slice(&fixture("reference.json")).unwrap()
}

/// The fixture subject, imported.
fn algebra() -> substance_core::Suite {
    import(
        "math-hard",
        &fixture("algebra.jsonl"),
        "algebra.jsonl",
        &ImportOptions::default(),
    )
    .unwrap()
}

#[test]
fn prompts_and_golds_equal_the_harness() {
    let r = reference();
    let suite = algebra();
    assert_eq!(suite.spec.name, "leaderboard_math_algebra_hard");
    assert_eq!(suite.spec.generation.stop, ["Problem:"]);
    assert_eq!(suite.spec.generation.max_tokens, 1024);
    let items = r["items"].as_array().unwrap();
    assert_eq!(suite.items.len(), items.len());
    for (i, want) in items.iter().enumerate() {
        assert_eq!(
            suite.items[i].target.as_deref(),
            want["gold"].as_str(),
            "item {i} gold"
        );
        let Prompt::Completion { text } = build_prompt(&suite, i).unwrap() else {
            panic!("item {i}: not a completion prompt")
        };
        assert_eq!(text, want["context"].as_str().unwrap(), "item {i} prompt");
    }
}

#[test]
fn decided_items_equal_sympy_and_the_rest_are_not_computed() {
    let r = reference();
    let suite = algebra();
    let responses: Vec<(usize, String)> =
        serde_json::from_slice(&fixture("responses.json")).unwrap();
    let want = r["responses"].as_array().unwrap();
    assert_eq!(responses.len(), want.len());
    let (mut decided, mut open) = (0, 0);
    for ((index, text), w) in responses.iter().zip(want) {
        let item = &suite.items[*index];
        let response = Response::Generation {
            text: text.clone(),
            finish_reason: None,
        };
        let scores = score_item(&suite.spec, item, &response).unwrap();
        let flag = &scores["exact_match_not_computed"];
        // the normalised answer, as the task computes it, is recorded either way
        let answer = scores.get("exact_match").unwrap_or(flag).answer.as_deref();
        assert_eq!(answer, w["answer"].as_str(), "{text:?}");
        match scores.get("exact_match") {
            Some(s) => {
                assert_eq!(flag.value, 0.0);
                assert_eq!(s.value, w["exact_match"].as_f64().unwrap(), "{text:?}");
                decided += 1;
            }
            None => {
                assert_eq!(flag.value, 1.0, "{text:?}");
                assert!(
                    flag.explanation
                        .as_deref()
                        .unwrap()
                        .contains("not computed")
                );
                open += 1;
            }
        }
    }
    // integers, integer fractions, `[invalidanswer]` and empty answers are decided; decimals,
    // radicals, intervals and `a/b` are left to a computer-algebra system
    assert_eq!((decided, open), (15, 9));
}

#[test]
fn malformed_records_are_named() {
    let bad = |text: &str| {
        import(
            "math-hard",
            text.as_bytes(),
            "algebra.jsonl",
            &ImportOptions::default(),
        )
        .unwrap_err()
        .to_string()
    };
    let e = bad("{\"problem\": \"p\", \"solution\": \"no box here\", \"level\": \"Level 5\"}\n");
    assert!(
        e.contains("algebra.jsonl") && e.contains("solution") && e.contains('1'),
        "{e}"
    );
    let e = bad("{\"problem\": \"p\", \"solution\": \"$\\\\boxed{1}$\", \"type\": \"Geometry\"}\n");
    assert!(e.contains("type") && e.contains("Geometry"), "{e}");
    let e = bad("{\"solution\": \"$\\\\boxed{1}$\"}\n");
    assert!(e.contains("problem") && e.contains("missing"), "{e}");
    let e = bad("");
    assert!(e.contains("no records"), "{e}");
    // a full MATH file: other levels are left out and counted in the description
    let s = import(
        "math-hard",
        b"{\"problem\": \"p\", \"solution\": \"$\\\\boxed{1}$\", \"level\": \"Level 2\"}\n{\"problem\": \"q\", \"solution\": \"$\\\\boxed{2}$\", \"level\": \"Level 5\"}\n",
        "algebra.jsonl",
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(s.items.len(), 1);
    assert!(
        s.spec.description.contains("1 × Level 2"),
        "{}",
        s.spec.description
    );
}
