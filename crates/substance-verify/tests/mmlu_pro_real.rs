//! MMLU-Pro verification on the real published prediction files (`mmlu-pro/*.zip` under
//! `$SUBSTANCE_DATA`, default `<crate>/../../../shared/data`), against the reference values that
//! `scripts/mmlu_pro_reference.py` computed with MMLU-Pro's own extraction code
//! (`tests/fixtures/mmlu-pro/reference.json`). Skips with a message when the data is absent.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::path::PathBuf;

use serde_json::Value;
use substance_verify::mmlu_pro;
use substance_verify::{Claim, Input, Recomputed, Severity, Status, verify_inputs};

fn data_dir() -> PathBuf {
    match std::env::var_os("SUBSTANCE_DATA") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
    .join("mmlu-pro")
}

fn reference() -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/mmlu-pro/reference.json");
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12
}

#[test]
fn extraction_and_accuracy_equal_the_reference_on_published_files() {
    let dir = data_dir();
    if !dir.is_dir() {
        eprintln!(
            "SKIP: {} not found (set SUBSTANCE_DATA to the shared data folder)",
            dir.display()
        );
        return;
    }
    let reference = reference();
    let files = reference["files"].as_object().unwrap();
    assert_eq!(files.len(), 2);
    for (name, want) in files {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        // the zip as published, opened in memory
        let (entries, _) = substance_verify::unzip(&bytes, name).unwrap();
        assert_eq!(entries.len(), 1);
        let text = std::str::from_utf8(&entries[0].1).unwrap();
        let records = mmlu_pro::read(text, &entries[0].0).unwrap();
        let got: String = records
            .iter()
            .map(|r| mmlu_pro::extract(&r.response).map_or('-', |(c, _)| c))
            .collect();
        let want_letters = want["extracted"].as_str().unwrap();
        let first_diff = got
            .chars()
            .zip(want_letters.chars())
            .position(|(a, b)| a != b);
        assert_eq!(first_diff, None, "{name}: first differing item");
        assert_eq!(got.len(), want_letters.len());

        // the whole pipeline, with the published leaderboard figure as a claim
        let claim = Claim {
            model: mmlu_pro::model_from_file_name(name).unwrap(),
            task: "mmlu_pro".into(),
            metric: "acc".into(),
            value: want["legacy"].as_f64().unwrap(),
            tolerance: 0.0,
            source: "test".into(),
            percent: false,
        };
        let out = verify_inputs(
            vec![Input {
                name: name.clone(),
                bytes,
            }],
            vec![claim],
        );
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        assert!(out.unused_claims.is_empty());
        let report = &out.reports[0];
        assert!(report.ok, "{}", report.verdict);
        let overall = &report.checks[0];
        assert_eq!(overall.scope, "mmlu_pro");
        assert!(matches!(overall.status, Status::Match { .. }));
        let Recomputed::Range { lo, hi, expected } = overall.recomputed else {
            panic!("{name}: unanswered items leave a range")
        };
        for (got, key) in [(lo, "lo"), (hi, "hi"), (expected, "expected")] {
            assert!(
                close(got, want[key].as_f64().unwrap()),
                "{name} {key}: {got}"
            );
        }
        let legacy = want["legacy"].as_f64().unwrap();
        assert!(
            overall
                .detail
                .as_deref()
                .unwrap()
                .ends_with(&legacy.to_string()),
            "{name}: {:?}",
            overall.detail
        );
        let unanswered = want["unanswered"].as_u64().unwrap() as usize;
        assert_eq!(
            report.findings_of(Severity::NotCheckable).count(),
            unanswered
        );
        assert_eq!(report.findings_of(Severity::Differs).count(), 0);
        // per category
        let cats = want["categories"].as_object().unwrap();
        assert_eq!(report.checks.len(), 1 + cats.len());
        for (check, (cat, w)) in report.checks[1..].iter().zip(cats) {
            assert_eq!(check.scope, format!("mmlu_pro/{cat}"));
            assert_eq!(check.n, w["n"].as_u64().unwrap() as usize);
            let (lo, hi, expected) = match check.recomputed {
                Recomputed::Range { lo, hi, expected } => (lo, hi, expected),
                Recomputed::Value { value } => (value, value, value),
                ref other => panic!("{name} {cat}: {other:?}"),
            };
            assert!(close(lo, w["lo"].as_f64().unwrap()), "{name} {cat} lo");
            assert!(close(hi, w["hi"].as_f64().unwrap()), "{name} {cat} hi");
            assert!(
                close(expected, w["expected"].as_f64().unwrap()),
                "{name} {cat} expected"
            );
            assert!(matches!(check.status, Status::NotCheckable { .. }));
        }
    }
}
