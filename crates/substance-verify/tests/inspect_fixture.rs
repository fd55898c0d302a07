//! inspect_ai logs written by inspect_ai itself (`tests/fixtures/inspect/`, made by
//! `scripts/inspect/make_fixtures.py`: one run as `.json`, as `.eval` with zstd members and as `.eval`
//! with deflate members): every metric of `results.scores` (six reducers, C/P/I/N letters, numbers,
//! an unscored NaN sample, a dict-valued scorer) and every logged reduction recomputes; a changed
//! sample score or metric fails naming the sample or the number.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::io::Write;
use std::path::PathBuf;

use substance_verify::{Input, Report, Severity, Status, unzip, verify_inputs};

fn fixture(name: &str) -> Input {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/inspect")
        .join(name);
    Input {
        name: name.to_owned(),
        bytes: std::fs::read(p).unwrap(),
    }
}

fn one(inputs: Vec<Input>) -> Report {
    let out = verify_inputs(inputs, Vec::new());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.reports.len(), 1);
    out.reports.into_iter().next().unwrap()
}

#[test]
fn every_logged_number_recomputes() {
    for name in ["arith.json", "arith.eval", "arith-deflate.eval"] {
        let r = one(vec![fixture(name)]);
        assert_eq!(r.format, "inspect-log");
        assert!(r.ok, "{name}: {r:#?}");
        assert_eq!(r.items_checked, 24, "{name}: 8 samples x 3 epochs");
        assert!(r.findings.is_empty(), "{name}: {:?}", r.findings);
        let not_checkable: Vec<_> = r
            .checks
            .iter()
            .filter(|c| !matches!(c.status, Status::Match { .. }))
            .collect();
        assert!(not_checkable.is_empty(), "{name}: {not_checkable:#?}");
        // 4 scorers (rubric as two keys) x 6 reducers, with their metrics and sample counts
        assert!(r.checks.len() >= 130, "{name}: {} checks", r.checks.len());
        for reducer in ["mean", "max", "mode", "median", "at_least_2", "pass_at_2"] {
            for scope in ["match", "letters", "closeness", "style", "substance"] {
                let scope = format!("arith/{scope} ({reducer})");
                assert!(
                    r.checks.iter().any(|c| c.scope == scope),
                    "{name}: no {scope}"
                );
            }
        }
        let unscored = r
            .checks
            .iter()
            .find(|c| c.scope == "arith/closeness (mean)" && c.metric == "unscored_samples")
            .unwrap();
        assert_eq!(unscored.claimed, Some(1.0), "the NaN sample is unscored");
    }
}

#[test]
fn a_changed_sample_score_or_metric_fails() {
    // .json: one epoch of q3's letters score changed, and one metric value
    let mut input = fixture("arith.json");
    let text = String::from_utf8(input.bytes.clone()).unwrap();
    let mut v: serde_json::Value =
        serde_json::from_str(&substance_verify::inspect::lenient(&text)).unwrap();
    let s = v["samples"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| s["id"] == "q3" && s["epoch"] == 2)
        .unwrap();
    let was = s["scores"]["letters"]["value"].as_str().unwrap().to_owned();
    s["scores"]["letters"]["value"] = serde_json::Value::from(if was == "C" { "I" } else { "C" });
    input.bytes = serde_json::to_vec_pretty(&v).unwrap();
    let r = one(vec![input]);
    assert!(!r.ok);
    let f: Vec<_> = r.findings_of(Severity::Differs).collect();
    assert!(
        f.iter()
            .all(|f| f.id == "q3" && f.field.starts_with("reductions[letters/")),
        "{f:?}"
    );
    assert!(f.iter().any(|f| f.field == "reductions[letters/mean]"));
    assert!(
        r.checks
            .iter()
            .any(|c| c.scope == "arith/letters (mean)" && c.status == Status::Differs)
    );

    let mut input = fixture("arith.json");
    let text = String::from_utf8(input.bytes.clone()).unwrap();
    let mut v: serde_json::Value =
        serde_json::from_str(&substance_verify::inspect::lenient(&text)).unwrap();
    let entry = v["results"]["scores"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["name"] == "match" && e["reducer"] == "max")
        .unwrap();
    let acc = entry["metrics"]["accuracy"]["value"].as_f64().unwrap();
    entry["metrics"]["accuracy"]["value"] = serde_json::Value::from(acc + 0.01);
    input.bytes = serde_json::to_vec_pretty(&v).unwrap();
    let r = one(vec![input]);
    let bad: Vec<_> = r
        .checks
        .iter()
        .filter(|c| c.status == Status::Differs)
        .map(|c| (c.scope.as_str(), c.metric.as_str()))
        .collect();
    assert_eq!(bad, [("arith/match (max)", "accuracy")]);
    assert!(r.findings.is_empty());
}

#[test]
fn a_changed_sample_inside_an_eval_archive_fails() {
    let eval = fixture("arith.eval");
    let (entries, _) = unzip(&eval.bytes, "arith.eval").unwrap();
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in &entries {
            let member = name.strip_prefix("arith.eval/").unwrap();
            let mut bytes = bytes.clone();
            if member == "samples/q6_epoch_1.json" {
                let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                v["scores"]["closeness"]["value"] = serde_json::Value::from(9.5);
                bytes = serde_json::to_vec(&v).unwrap();
            }
            w.start_file(member, opts).unwrap();
            w.write_all(&bytes).unwrap();
        }
        w.finish().unwrap();
    }
    let r = one(vec![Input {
        name: "tampered.eval".into(),
        bytes: buf.into_inner(),
    }]);
    assert!(!r.ok);
    assert!(
        r.findings_of(Severity::Differs)
            .all(|f| f.id == "q6" && f.field.starts_with("reductions[closeness/"))
    );
    assert!(r.findings_of(Severity::Differs).count() >= 1);

    // an archive cut short is an error naming the file, not a report
    let mut cut = fixture("arith.eval");
    cut.bytes.truncate(cut.bytes.len() / 2);
    let out = verify_inputs(vec![cut], Vec::new());
    assert!(out.reports.is_empty());
    assert_eq!(out.errors.len(), 1);
    assert!(
        out.errors[0].message.contains("arith.eval"),
        "{:?}",
        out.errors
    );
}
