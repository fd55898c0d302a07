//! Our own receipts in the one [`Report`] shape, so the CLI's `--json`, the page and other tools render
//! a receipt like any other verified file.
//!
//! The verification itself is `substance_score`'s (every item line re-hashed and re-scored, the summary
//! re-aggregated; streamed, so a receipt of any size verifies in bounded memory). This module only maps
//! its outcome: each claimed aggregate (overall and per group) becomes a [`Check`] of claimed against
//! recomputed, each mismatch a [`Finding`] at its line and item, and whether the suite text was at hand a
//! note.

use substance_core::{ReceiptLine, ReceiptReader, Suite, Summary};
use substance_score::{VerifyReport, verify_reader};

use crate::Format;
use crate::report::{Check, Finding, Recomputed, Report, Severity, Status};

/// The claimed summary of a receipt (its `summary` line), if it has one that parses; streamed.
pub fn claimed_summary<R: std::io::BufRead>(receipt: R) -> Option<Summary> {
    let mut reader = ReceiptReader::new(receipt);
    let mut claimed = None;
    while let Ok(Some(line)) = reader.next_line() {
        if let ReceiptLine::Summary(s) = line {
            claimed = Some(*s);
        }
    }
    claimed
}

/// Verify a receipt held in memory (`suite`: the suite it claims, when at hand).
pub fn verify_receipt(file: &str, bytes: &[u8], suite: Option<&Suite>) -> Report {
    let report = verify_reader(bytes, suite);
    report_of(file, &report, claimed_summary(bytes).as_ref())
}

/// A receipt verification in the report shape. `claimed`: the receipt's own summary line.
pub fn report_of(file: &str, r: &VerifyReport, claimed: Option<&Summary>) -> Report {
    let mut out = Report::new(file, Format::Receipt, r.model.clone());
    out.items_checked = r.items_checked;
    let bad = |prefix: &str| {
        r.mismatches
            .iter()
            .any(|m| m.field == prefix || m.field.starts_with(&format!("{prefix}.")))
    };
    let suite = r.suite.clone().unwrap_or_else(|| "receipt".to_owned());
    if let Some(c) = claimed {
        let rec = r.recomputed.as_ref();
        let mut check = |scope: String,
                         metric: &str,
                         claimed: f64,
                         n: usize,
                         rec: Option<f64>,
                         field: String| {
            let recomputed = rec.map_or(Recomputed::None, |value| Recomputed::Value { value });
            let status = match rec {
                None => Status::NotCheckable {
                    reason: "the item lines give no value of this aggregate".to_owned(),
                },
                Some(_) if bad(&field) => Status::Differs,
                Some(_) => Status::Match { tolerance: 0.0 },
            };
            out.checks.push(Check {
                scope,
                metric: metric.to_owned(),
                n,
                claimed: Some(claimed),
                claimed_from: Some(format!("{file} summary")),
                recomputed,
                status,
                detail: None,
            });
        };
        for (metric, a) in &c.metrics {
            let v = rec.and_then(|s| s.metrics.get(metric)).map(|x| x.value);
            check(
                suite.clone(),
                metric,
                a.value,
                a.n,
                v,
                format!("summary.metrics.{metric}"),
            );
        }
        for (group, metrics) in &c.groups {
            for (metric, a) in metrics {
                let v = rec
                    .and_then(|s| s.groups.get(group))
                    .and_then(|g| g.get(metric))
                    .map(|x| x.value);
                check(
                    format!("{suite}/{group}"),
                    metric,
                    a.value,
                    a.n,
                    v,
                    format!("summary.groups.{group}.{metric}"),
                );
            }
        }
    } else {
        out.notes
            .push("the receipt has no summary line: no aggregate to compare".to_owned());
    }
    for m in &r.mismatches {
        out.findings.push(Finding {
            text: None,
            record: m.line,
            id: m.item.clone().unwrap_or_default(),
            field: m.field.clone(),
            claimed: m.claimed.clone(),
            recomputed: m.recomputed.clone(),
            severity: Severity::Differs,
            reason: format!(
                "line {}: the receipt's claim is not what its content recomputes to",
                m.line
            ),
        });
    }
    let items = r.mismatching_items();
    if !items.is_empty() {
        out.notes
            .push(format!("Mismatching items: {}", items.join(", ")));
    }
    out.notes.push(if r.suite_checked {
        "suite text at hand: suite hash and every prompt checked".to_owned()
    } else {
        "suite text not at hand: item hashes, scores and aggregates checked".to_owned()
    });
    out.conclude();
    // a receipt that is incomplete or damaged fails even without a numeric mismatch
    if !r.ok && out.ok {
        out.ok = false;
        out.verdict = format!("does not verify; {}", out.verdict);
    }
    out
}
