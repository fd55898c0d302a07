//! GPQA as the Open LLM Leaderboard v2 runs it: on synthetic files with the official row counts and the
//! dataset's quirks, every item's choice order, gold and request equal what the harness's own
//! `utils.process_docs` (Python's global `random` seeded 0, diamond → extended → main) and lm-eval's
//! `apply_template` give (`scripts/gpqa_reference.py` wrote `fixtures/gpqa/reference.json`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};
use substance_suite::build_requests;
use substance_suite::import::{ImportOptions, import};

fn fixture(file: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/gpqa")
            .join(file),
    )
    .unwrap()
}

#[test]
fn choice_orders_golds_and_requests_equal_the_harness() {
    let reference: Value = serde_json::from_slice(&fixture("reference.json")).unwrap();
    let mut full = 0;
    for (subset, want) in reference["subsets"].as_object().unwrap() {
        let file = want["file"].as_str().unwrap();
        let suite = import("gpqa", &fixture(file), file, &ImportOptions::default()).unwrap();
        assert_eq!(suite.spec.name, format!("leaderboard_gpqa_{subset}"));
        let items = want["items"].as_array().unwrap();
        assert_eq!(suite.items.len(), items.len(), "{subset}");
        for (i, w) in items.iter().enumerate() {
            let what = format!("{subset} item {i}");
            let it = &suite.items[i];
            assert_eq!(it.id, w["id"].as_str().unwrap(), "{what}");
            let choices: Vec<&str> = (1..=4)
                .map(|k| it.meta[&format!("choice{k}")].as_str().unwrap())
                .collect();
            let want_choices: Vec<&str> = w["choices"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            assert_eq!(choices, want_choices, "{what}");
            assert_eq!(it.gold, [w["gold"].as_u64().unwrap() as usize], "{what}");
            // lm-eval's request is (context, " " + choice); its `_encode_pair` moves the context's
            // trailing space into the continuation, as `build_requests` returns it
            let reqs = build_requests(&suite, i).unwrap();
            let letters = [" (A)", " (B)", " (C)", " (D)"];
            let moved = reqs[0].continuation.strip_suffix(letters[0]).unwrap();
            let context = format!("{}{moved}", reqs[0].context);
            for (r, letter) in reqs.iter().zip(letters) {
                assert_eq!(r.context, reqs[0].context, "{what}");
                assert_eq!(r.continuation, format!("{moved}{letter}"), "{what}");
            }
            if let Some(c) = w.get("context") {
                assert_eq!(context, c.as_str().unwrap(), "{what}");
                full += 1;
            }
            assert_eq!(
                hex::encode(Sha256::digest(context.as_bytes())),
                w["context_sha256"].as_str().unwrap(),
                "{what}"
            );
        }
    }
    assert!(full >= 9, "{full} full prompts compared");
}

#[test]
fn a_file_that_is_not_the_official_subset_is_refused_by_name() {
    let text = String::from_utf8(fixture("gpqa_main.csv")).unwrap();
    let short: String = text.lines().take(11).map(|l| format!("{l}\n")).collect();
    // (a quoted cell may span lines; the first 11 lines are whole rows here)
    let e = import(
        "gpqa",
        short.as_bytes(),
        "gpqa_main.csv",
        &ImportOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("gpqa_main.csv") && e.contains("448"), "{e}");
    let e = import(
        "gpqa",
        text.as_bytes(),
        "questions.csv",
        &ImportOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("diamond, extended or main"), "{e}");
    let no_col = text.replacen("Correct Answer", "Right Answer", 1);
    let e = import(
        "gpqa",
        no_col.as_bytes(),
        "gpqa_main.csv",
        &ImportOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("Correct Answer") && e.contains("missing column"),
        "{e}"
    );
    // --subject names the subset when the file name does not
    let opts = ImportOptions {
        subject: Some("main".into()),
        ..ImportOptions::default()
    };
    assert_eq!(
        import("gpqa", text.as_bytes(), "questions.csv", &opts)
            .unwrap()
            .items
            .len(),
        448
    );
}
