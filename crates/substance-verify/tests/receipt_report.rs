//! Our own receipts in the one report shape (`substance_verify::receipt`): a committed receipt (the fuzz
//! corpus's `sample_math_3`, written by `substance run`) verifies with its aggregate as a matched check;
//! a changed aggregate is a differing check, a changed response names its item and line; a damaged
//! receipt does not verify.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use substance_verify::receipt::verify_receipt;
use substance_verify::{Severity, Status};

fn receipt() -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../substance-fuzz/corpus/receipt/sample_math_3.receipt.jsonl");
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn a_receipt_in_the_report_shape() {
    let r = verify_receipt("sample_math_3.receipt.jsonl", receipt().as_bytes(), None);
    assert_eq!(r.format, "substance-receipt");
    assert!(r.ok, "{r:#?}");
    assert_eq!(r.items_checked, 3);
    assert_eq!(r.checks.len(), 1);
    assert_eq!(r.checks[0].metric, "exact_match_gsm8k");
    assert_eq!(r.checks[0].status, Status::Match { tolerance: 0.0 });
    assert!(r.findings.is_empty());

    // the claimed aggregate changed
    let text = receipt().replace(
        r#""exact_match_gsm8k":{"value":1.0"#,
        r#""exact_match_gsm8k":{"value":0.9"#,
    );
    let r = verify_receipt("t.receipt.jsonl", text.as_bytes(), None);
    assert!(!r.ok);
    assert_eq!(r.checks[0].status, Status::Differs);
    assert_eq!(r.checks[0].claimed, Some(0.9));

    // one item's recorded target changed: its line and id are named
    let text = receipt().replacen(r#""target":"14"}"#, r#""target":"15"}"#, 1);
    let r = verify_receipt("t.receipt.jsonl", text.as_bytes(), None);
    assert!(!r.ok);
    let items: Vec<_> = r
        .findings_of(Severity::Differs)
        .map(|f| (f.record, f.id.as_str()))
        .collect();
    assert!(items.contains(&(3, "math-02")), "{items:?}");
    assert!(
        r.notes.iter().any(|n| n == "Mismatching items: math-02"),
        "{:?}",
        r.notes
    );

    // a damaged receipt
    let r = verify_receipt("g.receipt.jsonl", b"{\"type\":\"header\", not json\n", None);
    assert!(!r.ok);
    assert!(r.findings.iter().any(|f| f.record == 1), "{r:#?}");
}
