//! Receipt verification and scoring (`substance-score`), and verification of other tools' published
//! files (`substance-verify`).

use serde::Serialize;
use substance_core::{Item, ReceiptLine, ReceiptReader, Response, SuiteSpec, Summary};
use substance_score::{Mismatch, verify_reader};
use wasm_bindgen::prelude::*;

use crate::convert::{bytes_of, file_arg, files_arg, from_js, named, to_js};
use crate::suite::WasmSuite;

#[derive(Serialize)]
struct ItemStatus {
    line: usize,
    index: usize,
    id: String,
    ok: bool,
}

#[derive(Serialize)]
struct AggregateStatus {
    metric: String,
    group: Option<String>,
    claimed: Option<f64>,
    recomputed: Option<f64>,
    ok: bool,
}

#[derive(Serialize)]
struct VerifyResult<'a> {
    ok: bool,
    suite: Option<String>,
    model: Option<String>,
    items_checked: usize,
    suite_checked: bool,
    mismatches: &'a [Mismatch],
    mismatching_items: Vec<&'a str>,
    items: Vec<ItemStatus>,
    aggregates: Vec<AggregateStatus>,
    recomputed: Option<&'a Summary>,
}

/// Verify a receipt (text or bytes): every line digest, item hash, score and aggregate recomputed; each
/// item and aggregate marked green or red.
#[wasm_bindgen(js_name = verifyReceipt, unchecked_return_type = "VerifyResult")]
pub fn verify_receipt(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] receipt: JsValue,
) -> Result<JsValue, JsValue> {
    verify(&receipt, None)
}

/// [`verify_receipt`] with the suite at hand: its hash and every prompt are checked too.
#[wasm_bindgen(js_name = verifyReceiptWithSuite, unchecked_return_type = "VerifyResult")]
pub fn verify_receipt_with_suite(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] receipt: JsValue,
    suite: &WasmSuite,
) -> Result<JsValue, JsValue> {
    verify(&receipt, Some(&suite.suite))
}

fn verify(
    receipt: &JsValue,
    suite_ref: Option<&substance_core::Suite>,
) -> Result<JsValue, JsValue> {
    verify_bytes(&bytes_of(receipt, "receipt")?, suite_ref)
}

fn verify_bytes(
    bytes: &[u8],
    suite_ref: Option<&substance_core::Suite>,
) -> Result<JsValue, JsValue> {
    let report = verify_reader(bytes, suite_ref);
    // Which item lines and claimed aggregates there are (the verifier reports only the mismatches).
    let mut items = Vec::new();
    let mut claimed: Option<Summary> = None;
    let mut reader = ReceiptReader::new(bytes);
    while let Ok(Some(line)) = reader.next_line() {
        let n = reader.line_number();
        match line {
            ReceiptLine::Item(r) => items.push(ItemStatus {
                line: n,
                index: r.index,
                ok: !report.mismatches.iter().any(|m| m.line == n),
                id: r.id,
            }),
            ReceiptLine::Summary(s) => claimed = Some(*s),
            ReceiptLine::Header(_) => {}
        }
    }
    let mut aggregates = Vec::new();
    if let Some(c) = &claimed {
        let rec = report.recomputed.as_ref();
        let bad = |prefix: &str| {
            report
                .mismatches
                .iter()
                .any(|m| m.field == prefix || m.field.starts_with(&format!("{prefix}.")))
        };
        for (metric, a) in &c.metrics {
            let r = rec.and_then(|s| s.metrics.get(metric));
            aggregates.push(AggregateStatus {
                metric: metric.clone(),
                group: None,
                claimed: Some(a.value),
                recomputed: r.map(|r| r.value),
                ok: r.is_some() && !bad(&format!("summary.metrics.{metric}")),
            });
        }
        for (group, metrics) in &c.groups {
            for (metric, a) in metrics {
                let r = rec
                    .and_then(|s| s.groups.get(group))
                    .and_then(|g| g.get(metric));
                aggregates.push(AggregateStatus {
                    metric: metric.clone(),
                    group: Some(group.clone()),
                    claimed: Some(a.value),
                    recomputed: r.map(|r| r.value),
                    ok: r.is_some() && !bad(&format!("summary.groups.{group}.{metric}")),
                });
            }
        }
    }
    // Recomputed metrics the receipt does not claim.
    if let Some(r) = &report.recomputed {
        for (metric, a) in &r.metrics {
            if claimed
                .as_ref()
                .is_none_or(|c| !c.metrics.contains_key(metric))
            {
                aggregates.push(AggregateStatus {
                    metric: metric.clone(),
                    group: None,
                    claimed: None,
                    recomputed: Some(a.value),
                    ok: false,
                });
            }
        }
    }
    to_js(&VerifyResult {
        ok: report.ok,
        suite: report.suite.clone(),
        model: report.model.clone(),
        items_checked: report.items_checked,
        suite_checked: report.suite_checked,
        mismatches: &report.mismatches,
        mismatching_items: report.mismatching_items(),
        items,
        aggregates,
        recomputed: report.recomputed.as_ref(),
    })
}

/// Run a suite's scorers on one response.
#[wasm_bindgen(js_name = scoreItem, unchecked_return_type = "{ [metric: string]: Score }")]
pub fn score_item(
    #[wasm_bindgen(unchecked_param_type = "SuiteSpec")] spec: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Item")] item: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Response")] response: JsValue,
) -> Result<JsValue, JsValue> {
    let spec: SuiteSpec = from_js(spec, "spec")?;
    let item: Item = from_js(item, "item")?;
    let response: Response = from_js(response, "response")?;
    let scores =
        substance_score::score_item(&spec, &item, &response).map_err(named("ScoreError"))?;
    to_js(&scores)
}

/// Verify dropped files of any format `substance verify` reads: receipts (each as `verifyReceipt`
/// does), lm-eval output, inspect_ai logs, MMLU-Pro predictions, judge result files (AlpacaEval,
/// MT-Bench, Arena-Hard, JudgeBench, RewardBench), zips of them. `reports` holds every file in the one
/// report shape (receipts first); `receipts` keeps `verifyReceipt`'s detailed output of each receipt. `claims` is an optional claims file (CSV or JSON, as
/// `--claims`). Returns `{ ok, reports, receipts, errors, unused_claims, left_out }`: `reports` in the
/// library's report shape, `receipts` as `verifyReceipt` results with `file_name`.
#[wasm_bindgen(js_name = verifyFiles, unchecked_return_type = "VerifyFilesResult")]
pub fn verify_files(
    #[wasm_bindgen(unchecked_param_type = "{ name: string, bytes: Uint8Array | string }[]")]
    files: JsValue,
    #[wasm_bindgen(unchecked_param_type = "{ name: string, bytes: Uint8Array | string } | null")]
    claims: JsValue,
) -> Result<JsValue, JsValue> {
    let files = files_arg(&files, "files")?;
    let claims = if claims.is_null() || claims.is_undefined() {
        Vec::new()
    } else {
        let c = file_arg(&claims, "claims")?;
        substance_verify::read_claims(&c.bytes, &c.name).map_err(named("InputError"))?
    };
    // Files that are no foreign format are read as receipts (a damaged receipt gets the receipt
    // reader's line-precise errors), as the CLI does with files it is given by name — unless they are
    // not JSON text at all (random bytes, a picture): those are unreadable, not a receipt that differs.
    let mut receipts = Vec::new();
    let mut inputs = Vec::new();
    let mut unreadable = Vec::new();
    for f in files {
        let head = &f.bytes[..f.bytes.len().min(1 << 16)];
        match substance_verify::detect(&f.name, head) {
            None if !looks_like_json_text(head) => unreadable.push(substance_verify::FileError {
                message: format!(
                    "{}: unreadable: not JSON text, so neither a receipt nor a file of any format this kit verifies",
                    f.name
                ),
                file: f.name,
            }),
            None | Some(substance_verify::Format::Receipt) => receipts.push(f),
            Some(_) => inputs.push(substance_verify::Input {
                name: f.name,
                bytes: f.bytes,
            }),
        }
    }
    let mut outcome = substance_verify::verify_inputs(inputs, claims);
    outcome.errors.splice(0..0, unreadable);
    let receipts: Vec<(String, Vec<u8>)> = receipts
        .into_iter()
        .map(|f| (f.name, f.bytes))
        .chain(outcome.receipts.drain(..).map(|i| (i.name, i.bytes)))
        .collect();
    let results = js_sys::Array::new();
    let mut all_ok = outcome.ok();
    // every file in the one report shape, receipts first
    let receipt_reports: Vec<substance_verify::Report> = receipts
        .iter()
        .map(|(name, bytes)| substance_verify::receipt::verify_receipt(name, bytes, None))
        .collect();
    outcome.reports.splice(0..0, receipt_reports);
    for (name, bytes) in receipts {
        let r = verify_bytes(&bytes, None)?;
        let ok = js_sys::Reflect::get(&r, &JsValue::from_str("ok"))?;
        all_ok &= ok.as_bool() == Some(true);
        js_sys::Reflect::set(
            &r,
            &JsValue::from_str("file_name"),
            &JsValue::from_str(&name),
        )?;
        results.push(&r);
    }
    let out = to_js(&outcome)?;
    js_sys::Reflect::set(&out, &JsValue::from_str("receipts"), &results)?;
    js_sys::Reflect::set(&out, &JsValue::from_str("ok"), &JsValue::from_bool(all_ok))?;
    Ok(out)
}

/// The start of a JSON text: UTF-8 (a cut at the end of the head allowed), a BOM, blanks, then `{` or `[`.
fn looks_like_json_text(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or("")
        }
        Err(_) => return false,
    };
    matches!(text.trim_start().chars().next(), Some('{' | '['))
}
