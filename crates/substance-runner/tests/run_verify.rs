//! Run → receipt → verify in memory, and fuzzing of the verifier with mutated receipts.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use substance_core::{Seeds, Selection, Suite};
use substance_runner::{ReplayModel, RunOptions, run};
use substance_score::verify_reader;

mod common;
use common::{ITEMS, REPLAY, SUITE_TOML};

/// The shared fixture's first three items (q1–q3: the counts below are worked out for them).
fn suite() -> Suite {
    let items: String = ITEMS.lines().take(3).map(|l| format!("{l}\n")).collect();
    substance_suite::load_suite_from_parts(SUITE_TOML, &items, None, "mem").unwrap()
}

fn receipt(sel: Selection) -> Vec<u8> {
    let mut model = ReplayModel::parse(REPLAY, "replay.jsonl").unwrap();
    let opts = RunOptions {
        selection: sel,
        seeds: Seeds {
            bootstrap: 3,
            bootstrap_resamples: 50,
            sampling: None,
        },
        created: None,
    };
    let mut out = Vec::new();
    run(&suite(), &mut model, &opts, &mut out, |_, _| {}).unwrap();
    out
}

#[test]
fn run_then_verify() {
    let bytes = receipt(Selection::default());
    let s = suite();
    let report = verify_reader(&bytes[..], Some(&s));
    assert!(report.ok, "{:?}", report.mismatches);
    let m = &report.recomputed.unwrap().metrics;
    // q1: argmax 0 = gold. q2: argmax 1 ≠ gold. q3: argmax 0 ≠ gold 1. → acc 1/3.
    assert!((m["acc"].value - 1.0 / 3.0).abs() < 1e-12);
    // acc_norm: q2: -7/5 = -1.4 vs -6.5/6 = -1.083 → 1 (wrong); q3: -9/4, -9.5/7 = -1.357, -12/5 → 1 (right).
    assert!((m["acc_norm"].value - 2.0 / 3.0).abs() < 1e-12);
}

#[test]
fn sharded_and_limited_receipts_verify() {
    let s = suite();
    for sel in [
        Selection {
            limit: Some(2),
            shard: None,
        },
        Selection {
            limit: None,
            shard: Some([1, 2]),
        },
    ] {
        let bytes = receipt(sel.clone());
        let r = verify_reader(&bytes[..], Some(&s));
        assert!(r.ok, "{sel:?}: {:?}", r.mismatches);
    }
}

/// A receipt whose header selects every item but whose item lines (and summary, recomputed by a real
/// run) cover only some does not verify: the missing items are named, since a dropped item changes the
/// denominator (issue 11).
#[test]
fn a_receipt_missing_item_lines_does_not_verify() {
    let s = suite();
    let full = receipt(Selection::default());
    let part = receipt(Selection {
        limit: Some(2),
        shard: None,
    });
    let header = full.split(|&b| b == b'\n').next().unwrap();
    let rest = part.splitn(2, |&b| b == b'\n').nth(1).unwrap();
    let mut spliced = header.to_vec();
    spliced.push(b'\n');
    spliced.extend_from_slice(rest);
    let r = verify_reader(&spliced[..], Some(&s));
    assert!(!r.ok);
    let m = r
        .mismatches
        .iter()
        .find(|m| m.field == "items")
        .unwrap_or_else(|| panic!("{:?}", r.mismatches));
    assert!(
        m.recomputed.contains("3 items selected") && m.recomputed.contains("missing indices 2"),
        "{m:?}"
    );
    // The same without the suite: coverage is a property of the receipt alone.
    let r = verify_reader(&spliced[..], None);
    assert!(
        !r.ok && r.mismatches.iter().any(|m| m.field == "items"),
        "{:?}",
        r.mismatches
    );
}

#[test]
fn receipt_as_replay_reproduces_the_run() {
    let first = receipt(Selection::default());
    let mut model =
        ReplayModel::parse(std::str::from_utf8(&first).unwrap(), "first.jsonl").unwrap();
    let mut second = Vec::new();
    let opts = RunOptions {
        seeds: Seeds {
            bootstrap: 3,
            bootstrap_resamples: 50,
            sampling: None,
        },
        ..Default::default()
    };
    run(&suite(), &mut model, &opts, &mut second, |_, _| {}).unwrap();
    // Identical except the model id in the header.
    let tail = |b: &[u8]| {
        String::from_utf8(b.to_vec())
            .unwrap()
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(tail(&first), tail(&second));
}

#[test]
fn replay_errors_name_file_and_line() {
    let e = ReplayModel::parse(
        "{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"a\",\"text\":\"y\"}\n",
        "r.jsonl",
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        e.contains("r.jsonl: line 2") && e.contains("duplicate id `a` (first at line 1)"),
        "{e}"
    );
    // The reading policy: no responses, a line that is not an object, a member given twice.
    for (text, wanted) in [
        ("", "no records (empty file)"),
        ("\n \n", "no records (whitespace only)"),
        ("[\"a\", null, \"x\"]\n", "line 1: expected a JSON object"),
        (
            "{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"b\",\"id\":\"c\",\"text\":\"x\"}\n",
            "line 2: JSON object member `id` given twice",
        ),
        (
            "{\"id\":\"\",\"text\":\"x\"}\n",
            "line 1: field `id`: empty",
        ),
    ] {
        let e = ReplayModel::parse(text, "r.jsonl")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains(wanted) && e.contains("r.jsonl"), "{text:?}: {e}");
    }
    // A BOM and CRLF are accepted.
    ReplayModel::parse("\u{feff}{\"id\":\"a\",\"text\":\"x\"}\r\n", "r.jsonl").unwrap();
    let e = ReplayModel::parse("{\"id\":\"a\"}\n", "r.jsonl")
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("r.jsonl:1"), "{e}");
    let mut model = ReplayModel::parse("{\"id\":\"zzz\",\"text\":\"x\"}\n", "r.jsonl").unwrap();
    let e = run(
        &suite(),
        &mut model,
        &RunOptions::default(),
        Vec::new(),
        |_, _| {},
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        e.contains("q1") && e.contains("no recorded response"),
        "{e}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any single-byte change to a receipt is either harmless whitespace or reported; never a panic.
    #[test]
    fn mutated_receipts_never_panic_and_are_caught(pos in 0usize..100_000, byte in any::<u8>()) {
        let mut bytes = receipt(Selection::default());
        let pos = pos % bytes.len();
        let old = bytes[pos];
        prop_assume!(old != byte);
        bytes[pos] = byte;
        let s = suite();
        let report = verify_reader(&bytes[..], Some(&s));
        let harmless = old.is_ascii_whitespace() && byte.is_ascii_whitespace();
        if !harmless {
            // Either the JSON no longer parses, or some hash/score/summary no longer matches — except for
            // edits serde cannot see (e.g. `1.0` → `1.00`, or escaping a character differently).
            let parsed_same = serde_json::from_slice::<serde_json::Value>(&bytes).is_err();
            prop_assert!(!report.ok || parsed_same || equivalent_json(&receipt(Selection::default()), &bytes),
                "undetected change at byte {pos}: {:?} -> {:?}", old as char, byte as char);
        }
    }

    /// Truncation anywhere gives a report (missing summary or a located read error), never a panic.
    #[test]
    fn truncated_receipts_fail(cut in 0usize..100_000) {
        let bytes = receipt(Selection::default());
        let cut = cut % bytes.len();
        // Dropping only the final newline leaves every line whole: that receipt is complete.
        prop_assume!(&bytes[cut..] != b"\n");
        let report = verify_reader(&bytes[..cut], None);
        prop_assert!(!report.ok);
    }
}

/// Whether two receipts hold the same JSON values line by line.
fn equivalent_json(a: &[u8], b: &[u8]) -> bool {
    let parse = |x: &[u8]| -> Option<Vec<serde_json::Value>> {
        std::str::from_utf8(x)
            .ok()?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).ok())
            .collect()
    };
    matches!((parse(a), parse(b)), (Some(x), Some(y)) if x == y)
}

/// Partial-scoring items (WinoGrande) reach the model as per-choice `[context, continuation]` pairs and
/// the receipt records exactly those pairs (regression: they once fell through to generation).
#[test]
fn partial_scoring_items_send_pairs() {
    use substance_core::{ChoiceLogLik, GenerationSpec, Item, ModelInfo, Prompt, Response};
    struct Recorder(Vec<Vec<[String; 2]>>);
    impl substance_runner::LanguageModel for Recorder {
        fn info(&self) -> ModelInfo {
            ModelInfo {
                id: "rec".into(),
                weights_sha256: None,
                source: None,
            }
        }
        fn loglikelihood(
            &mut self,
            _: &Item,
            requests: &[[String; 2]],
        ) -> Result<Vec<ChoiceLogLik>, String> {
            self.0.push(requests.to_vec());
            Ok(requests
                .iter()
                .enumerate()
                .map(|(i, _)| ChoiceLogLik {
                    ll: -(i as f64),
                    is_greedy: i == 0,
                    n_tokens: None,
                })
                .collect())
        }
        fn generate(
            &mut self,
            _: &Item,
            _: &Prompt,
            _: &GenerationSpec,
        ) -> Result<Response, String> {
            Err("generation must not be called for a multiple-choice suite".into())
        }
    }
    let items = r#"{"id":"w","input":"always got the easier cases.","choices":["Sarah was better than Maria so Sarah","Sarah was better than Maria so Maria"],"gold":[1],"meta":{"scoring":"partial"}}
"#;
    let suite = substance_suite::load_suite_from_parts(SUITE_TOML, items, None, "mem").unwrap();
    let mut model = Recorder(Vec::new());
    let mut out = Vec::new();
    let summary = run(
        &suite,
        &mut model,
        &RunOptions::default(),
        &mut out,
        |_, _| {},
    )
    .unwrap();
    assert_eq!(model.0.len(), 1);
    assert_eq!(
        model.0[0][1],
        [
            "Sarah was better than Maria so Maria".to_owned(),
            " always got the easier cases.".to_owned()
        ]
    );
    assert_eq!(summary.metrics["acc"].value, 0.0);
    let report = verify_reader(&out[..], Some(&suite));
    assert!(report.ok, "{:?}", report.mismatches);
}
