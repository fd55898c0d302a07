//! The results-table row of a bundle run (`substance sos --receipts`, the page's SOS view): every
//! receipt `bundle.json` names is verified ([`verify_reader`]), must be of the model `bundle.json`
//! names, and its summary must give exactly the metric values `bundle.json` copies from it; only then
//! do those values become the row `<task>/<metric>` → value. A bundle whose numbers cannot be
//! re-checked from its receipts gives no row.

use std::collections::BTreeMap;
use std::io::BufRead;

use substance_core::{ReceiptLine, ReceiptReader};
use substance_suite::bundle::BundleRun;
use thiserror::Error;

use crate::verify_reader;

/// Why a bundle run gives no row.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum BundleRowError {
    /// A receipt could not be opened.
    #[error("{receipt}: cannot read: {message}")]
    Io {
        /// The receipt.
        receipt: String,
        /// Why.
        message: String,
    },
    /// A receipt does not verify.
    #[error("{receipt}: the receipt does not verify ({mismatches} mismatch(es), first {first})")]
    NotVerified {
        /// The receipt.
        receipt: String,
        /// How many mismatches.
        mismatches: usize,
        /// The first, as `line N: field`.
        first: String,
    },
    /// A receipt is of another model than `bundle.json` says.
    #[error("{receipt}: the receipt is of model {found:?}, bundle.json says {expected}")]
    Model {
        /// The receipt.
        receipt: String,
        /// The receipt's model.
        found: Option<String>,
        /// bundle.json's.
        expected: String,
    },
    /// `bundle.json` gives a number its receipt does not.
    #[error("{receipt}: `{metric}` is {claimed} in bundle.json but {found} in the receipt")]
    Metric {
        /// The receipt.
        receipt: String,
        /// The metric.
        metric: String,
        /// bundle.json's value.
        claimed: f64,
        /// The receipt's (or `absent`).
        found: String,
    },
}

/// What was checked of one receipt.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CheckedReceipt {
    /// The receipt (as `bundle.json` names it).
    pub receipt: String,
    /// Items verified.
    pub items: usize,
}

/// Verify every receipt of `run` (`open` gives a receipt by the name `bundle.json` uses) and return its
/// results-table row with what was checked.
pub fn bundle_row<'a>(
    run: &BundleRun,
    mut open: impl FnMut(&str) -> std::io::Result<Box<dyn BufRead + 'a>>,
) -> Result<(BTreeMap<String, f64>, Vec<CheckedReceipt>), BundleRowError> {
    let mut checked = Vec::new();
    for s in &run.suites {
        let io = |e: std::io::Error| BundleRowError::Io {
            receipt: s.receipt.clone(),
            message: e.to_string(),
        };
        let report = verify_reader(open(&s.receipt).map_err(io)?, None);
        if !report.ok {
            return Err(BundleRowError::NotVerified {
                receipt: s.receipt.clone(),
                mismatches: report.mismatches.len(),
                first: report
                    .mismatches
                    .first()
                    .map_or("incomplete".to_owned(), |m| {
                        format!("line {}: {}", m.line, m.field)
                    }),
            });
        }
        if report.model.as_deref() != Some(run.model.as_str()) {
            return Err(BundleRowError::Model {
                receipt: s.receipt.clone(),
                found: report.model,
                expected: run.model.clone(),
            });
        }
        // the summary the receipt claims (verified above to follow from its items)
        let mut reader = ReceiptReader::new(open(&s.receipt).map_err(io)?);
        let mut summary = None;
        while let Ok(Some(line)) = reader.next_line() {
            if let ReceiptLine::Summary(sm) = line {
                summary = Some(sm);
            }
        }
        for (m, v) in &s.metrics {
            let found = summary.as_ref().and_then(|sm| sm.metrics.get(m));
            if found.map(|a| a.value.to_bits()) != Some(v.to_bits()) {
                return Err(BundleRowError::Metric {
                    receipt: s.receipt.clone(),
                    metric: m.clone(),
                    claimed: *v,
                    found: found.map_or("absent".to_owned(), |a| a.value.to_string()),
                });
            }
        }
        checked.push(CheckedReceipt {
            receipt: s.receipt.clone(),
            items: report.items_checked,
        });
    }
    Ok((run.columns(), checked))
}
