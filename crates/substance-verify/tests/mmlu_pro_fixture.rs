//! MMLU-Pro verification on a small original fixture (no shared data needed): the extraction
//! patterns, the range left by unanswered items, claims, tampering and malformed files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::path::PathBuf;

use substance_verify::{Claim, Input, Recomputed, Severity, Status, read_claims, verify_inputs};

const NAME: &str = "model_outputs_tiny-model_5shots.json";

fn fixture() -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/mmlu-pro")
        .join(NAME);
    std::fs::read(p).unwrap()
}

fn run(bytes: Vec<u8>, claims: Vec<Claim>) -> substance_verify::Outcome {
    verify_inputs(
        vec![Input {
            name: NAME.into(),
            bytes,
        }],
        claims,
    )
}

#[test]
fn the_fixture_recomputes_with_its_range_and_findings() {
    let out = run(fixture(), Vec::new());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let r = &out.reports[0];
    assert_eq!(r.format, "mmlu-pro");
    assert_eq!(r.model.as_deref(), Some("tiny-model"));
    assert_eq!(r.items_checked, 5);
    // item 1 correct (pattern 1); item 2 `Answer: A` on the first line holding one → A (wrong, pred
    // agrees); item 3 last letter A (correct; pred null → a note); item 4 nothing (a guess among 10);
    // item 5 pattern 1 → D (wrong, pred agrees).
    let overall = &r.checks[0];
    assert_eq!(
        overall.recomputed,
        Recomputed::Range {
            lo: 2.0 / 5.0,
            hi: 3.0 / 5.0,
            expected: (2.0 + 0.1) / 5.0
        }
    );
    assert!(matches!(overall.status, Status::NotCheckable { .. }));
    // 2024 rule: the guess for 10 options is index 6 (G), not C
    assert!(overall.detail.as_deref().unwrap().ends_with("exactly 0.4"));
    let kinds: Vec<_> = r
        .findings
        .iter()
        .map(|f| (f.id.as_str(), f.severity))
        .collect();
    assert_eq!(
        kinds,
        [("3", Severity::Note), ("4", Severity::NotCheckable)]
    );
    assert!(r.ok, "nothing differs: {}", r.verdict);
    assert!(r.verdict.contains("no published number"), "{}", r.verdict);
    let cats: Vec<_> = r.checks.iter().map(|c| (c.scope.as_str(), c.n)).collect();
    assert_eq!(
        cats,
        [
            ("mmlu_pro", 5),
            ("mmlu_pro/history", 2),
            ("mmlu_pro/math", 3)
        ]
    );
}

#[test]
fn claims_match_within_their_printed_precision_or_fail() {
    let claims = |text: &str| read_claims(text.as_bytes(), "claims.csv").unwrap();
    let ok = run(
        fixture(),
        claims(
            "model,task,metric,value\ntiny-model,mmlu_pro,acc,50%\n*,mmlu_pro/history,acc,0.5\n",
        ),
    );
    let r = &ok.reports[0];
    assert!(r.ok, "{}", r.verdict);
    assert!(matches!(r.checks[0].status, Status::Match { .. }));
    assert_eq!(
        r.checks[0].claimed_from.as_deref(),
        Some("claims.csv line 2")
    );
    assert!(matches!(r.checks[1].status, Status::Match { .. }));
    assert!(ok.unused_claims.is_empty());

    // above the range's top: fails
    let bad = run(
        fixture(),
        claims("model,task,metric,value\ntiny-model,mmlu_pro,acc,0.61\n"),
    );
    assert!(!bad.reports[0].ok);
    assert_eq!(bad.reports[0].checks[0].status, Status::Differs);
    assert!(bad.reports[0].verdict.starts_with("does not verify"));

    // a claim about another model or task is returned unused, never dropped
    let other = run(
        fixture(),
        claims("model,task,metric,value\nother,mmlu_pro,acc,0.5\n"),
    );
    assert_eq!(other.unused_claims.len(), 1);
}

#[test]
fn a_tampered_pred_is_named() {
    let text = String::from_utf8(fixture()).unwrap();
    let tampered = text.replacen(r#""pred": "D""#, r#""pred": "B""#, 1);
    assert_ne!(text, tampered);
    let out = run(tampered.into_bytes(), Vec::new());
    let r = &out.reports[0];
    assert!(!r.ok);
    let bad: Vec<_> = r.findings_of(Severity::Differs).collect();
    assert_eq!(bad.len(), 1);
    assert_eq!((bad[0].id.as_str(), bad[0].record), ("5", 5));
    assert_eq!(
        (bad[0].claimed.as_str(), bad[0].recomputed.as_str()),
        ("B", "D")
    );
}

#[test]
fn malformed_files_are_refused_with_the_place() {
    let text = String::from_utf8(fixture()).unwrap();
    let cases: [(String, &str); 8] = [
        (String::new(), "no records"),
        ("[]".into(), "no records"),
        (
            text.replacen(r#""question_id": 2"#, r#""question_id": 1"#, 1),
            "record 2: field `question_id`",
        ),
        (
            text.replacen(
                r#""answer": "C", "answer_index": 2"#,
                r#""answer": "c", "answer_index": 2"#,
                1,
            ),
            "record 2: field `answer`",
        ),
        (
            text.replacen(r#""answer_index": 0"#, r#""answer_index": 3"#, 1),
            "record 3: field `answer_index`",
        ),
        (
            text.replacen(r#""pred": "B""#, r#""pred": "K""#, 1),
            "record 1: field `pred`",
        ),
        (
            text.replacen(
                r#""model_outputs": "a week"#,
                r#""generated_text": "x", "model_outputs": "a week"#,
                1,
            ),
            "record 4: field `model_outputs`",
        ),
        (
            text.replacen(
                r#""category": "math", "src""#,
                r#""category": "math", "category": "x", "src""#,
                1,
            ),
            "given twice",
        ),
    ];
    for (bytes, want) in cases {
        let out = run(bytes.clone().into_bytes(), Vec::new());
        assert!(out.reports.is_empty(), "accepted: {want}");
        let msg = &out.errors[0].message;
        assert!(msg.contains(want), "{msg} (wanted {want})");
    }
}

fn zip_of(name: &str, bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file(name, zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(bytes).unwrap();
    w.finish().unwrap().into_inner()
}

#[test]
fn archives_open_in_memory_and_nesting_ends() {
    let once = zip_of(NAME, &fixture());
    let out = verify_inputs(
        vec![Input {
            name: "published.zip".into(),
            bytes: once.clone(),
        }],
        Vec::new(),
    );
    assert_eq!(out.reports.len(), 1, "{:?}", out.errors);
    assert_eq!(out.reports[0].file, format!("published.zip/{NAME}"));
    let mut nested = once;
    for i in 0..4 {
        nested = zip_of(&format!("level{i}.zip"), &nested);
    }
    let out = verify_inputs(
        vec![Input {
            name: "deep.zip".into(),
            bytes: nested,
        }],
        Vec::new(),
    );
    assert!(out.reports.is_empty());
    assert!(
        out.errors[0].message.contains("inside 2 archives"),
        "{:?}",
        out.errors
    );
    let out = verify_inputs(
        vec![Input {
            name: "broken.zip".into(),
            bytes: b"PK\x03\x04 not really".to_vec(),
        }],
        Vec::new(),
    );
    assert!(
        out.errors[0].message.contains("not a readable zip archive"),
        "{:?}",
        out.errors
    );
}
