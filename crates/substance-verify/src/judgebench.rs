//! JudgeBench outputs (`outputs/dataset=judgebench,response_model=…,judge_name=…,judge_model=….jsonl`,
//! ScalerLab/JudgeBench @e2c52c2): one line per response pair with the gold `label` (`A>B` / `B>A`) and
//! the judge's `judgments` — the pair in its order, then (double game, the default) the pair swapped,
//! whose decision is stored in the swapped positions.
//!
//! Scoring (`utils/metrics.py::compute_final_metrics`): the second decision is flipped (`A>B` ↔ `B>A`,
//! anything else unchanged); each decision votes +1 when it equals the label, −1 when it equals the
//! flipped label, 0 otherwise (`A=B`, null, other strings); a pair is correct when the votes sum above 0.
//! With one judgment per pair (`--single_game`) a pair is correct when its decision equals the label.
//! Accuracy = 100 · correct / pairs, over every pair whose `source` starts with the category prefix
//! (`mmlu-pro` = Knowledge, `livebench-reasoning`, `livebench-math`, `livecodebench`) and over all pairs
//! (the overall is pair-weighted, not a mean of the categories).
//!
//! Per pair, where the file holds what the decision was made from, the decision is re-derived: reward
//! models (`judgment.scores` = `[s_A, s_B]`: `A>B` when `s_A > s_B`, else `B>A`) and the `arena_hard`
//! judge (the one distinct `[[…]]` label of `judgment.response`, `>>` read as `>`); a recorded decision
//! that differs is an item finding. The files carry no accuracy: compare with `--claims`.

use serde_json::{Map, Value};
use substance_core::input;
use substance_judge::protocol::arena::parse_v01;

use crate::report::{Check, Finding, Recomputed, Report, Severity};
use crate::{ClaimBook, Format, VerifyError};

/// The category prefixes `run_judge.py` reports, in its order.
pub const CATEGORIES: [&str; 4] = [
    "mmlu-pro",
    "livebench-reasoning",
    "livebench-math",
    "livecodebench",
];

/// Whether a first record is a JudgeBench output line.
pub fn looks_like(first: &Map<String, Value>) -> bool {
    ["pair_id", "label", "judgments", "source"]
        .iter()
        .all(|k| first.contains_key(*k))
}

fn flip(d: Option<&str>) -> Option<&str> {
    match d {
        Some("A>B") => Some("B>A"),
        Some("B>A") => Some("A>B"),
        other => other,
    }
}

/// The judge model named in the file name (`…,judge_model=<model>.jsonl`).
pub fn judge_from_file_name(file: &str) -> Option<String> {
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let stem = base.strip_suffix(".jsonl").unwrap_or(base);
    stem.split(',')
        .find_map(|part| part.strip_prefix("judge_model="))
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
}

/// One judgment's decision, and the decision re-derived from what the judgment records (if it can be).
fn decision(
    j: &Value,
    judge_name: &str,
    file: &str,
    line: usize,
    at: &str,
) -> Result<(Option<String>, Option<String>), VerifyError> {
    let o = match j {
        Value::Null => return Ok((None, None)),
        Value::Object(o) => o,
        v => {
            return Err(crate::line_error(
                file,
                line,
                at,
                format!("expected an object or null, found {}", input::kind(v)),
            ));
        }
    };
    let recorded = match o.get("decision") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => {
            return Err(crate::line_error(
                file,
                line,
                &format!("{at}.decision"),
                format!("expected a string or null, found {}", input::kind(v)),
            ));
        }
    };
    let inner = o.get("judgment");
    let scores = inner
        .and_then(|x| x.get("scores"))
        .and_then(Value::as_array)
        .filter(|a| a.len() == 2)
        .and_then(|a| Some((a[0].as_f64()?, a[1].as_f64()?)));
    let again = if let Some((a, b)) = scores {
        Some(if a > b { "A>B" } else { "B>A" }.to_owned())
    } else if judge_name == "arena_hard" {
        inner
            .and_then(|x| x.get("response"))
            .and_then(Value::as_str)
            .map(|t| {
                parse_v01(t)
                    .label
                    .map(|l| l.trim_matches('\n').replace(">>", ">").trim().to_owned())
            })
            .map(|l| l.unwrap_or_default())
    } else {
        None
    };
    Ok((recorded, again))
}

#[derive(Default)]
struct Tally {
    correct: usize,
    n: usize,
}

/// Verify a JudgeBench output file.
pub fn verify(file: &str, text: &str, claims: &mut ClaimBook) -> Result<Report, VerifyError> {
    let mut overall = Tally::default();
    let mut by_cat: Vec<Tally> = CATEGORIES.iter().map(|_| Tally::default()).collect();
    let mut findings = Vec::new();
    let mut seen = input::UniqueKeys::new("pair_id");
    let mut games = [0usize; 2];
    let mut judge_model: Option<String> = None;
    let mut votes = [0usize; 3]; // correct, tie (net 0), wrong
    for (line, raw) in input::lines(text) {
        if raw.trim().is_empty() {
            continue;
        }
        let m = input::object_line(raw, file, line)?;
        let s = |k: &str| -> Result<String, VerifyError> {
            match m.get(k) {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(v) => Err(crate::line_error(
                    file,
                    line,
                    k,
                    format!("expected a string, found {}", input::kind(v)),
                )),
                None => Err(crate::line_error(file, line, k, "missing")),
            }
        };
        let pair_id = s("pair_id")?;
        if pair_id.is_empty() {
            return Err(crate::line_error(file, line, "pair_id", "empty"));
        }
        seen.insert(&pair_id, file, line)?;
        let source = s("source")?;
        let label = s("label")?;
        if !matches!(label.as_str(), "A>B" | "B>A") {
            return Err(crate::line_error(
                file,
                line,
                "label",
                format!("expected A>B or B>A, found {label:?}"),
            ));
        }
        let judge_name = match m.get("judge_name") {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        let js = match m.get("judgments") {
            Some(Value::Array(a)) if matches!(a.len(), 1 | 2) => a,
            Some(Value::Array(a)) => {
                return Err(crate::line_error(
                    file,
                    line,
                    "judgments",
                    format!("expected 1 or 2 judgments, found {}", a.len()),
                ));
            }
            Some(v) => {
                return Err(crate::line_error(
                    file,
                    line,
                    "judgments",
                    format!("expected an array, found {}", input::kind(v)),
                ));
            }
            None => return Err(crate::line_error(file, line, "judgments", "missing")),
        };
        games[js.len() - 1] += 1;
        if judge_model.is_none() {
            judge_model = js
                .iter()
                .find_map(|j| j.get("judgment")?.get("judge_model")?.as_str())
                .map(str::to_owned);
        }
        let mut decisions = Vec::new();
        for (g, j) in js.iter().enumerate() {
            let at = format!("judgments[{g}]");
            let (recorded, again) = decision(j, &judge_name, file, line, &at)?;
            if let Some(again) = again {
                let again_opt = (!again.is_empty()).then_some(again.as_str());
                if again_opt != recorded.as_deref() {
                    // what the decision was made from: the scores or the judge's text
                    let from = j
                        .get("judgment")
                        .map(|x| match x.get("response").and_then(Value::as_str) {
                            Some(t) if !t.is_empty() => t.to_owned(),
                            _ => x.get("scores").map_or_else(String::new, Value::to_string),
                        })
                        .unwrap_or_default();
                    findings.push(Finding {
                        text: Some(Finding::cut(&from)),
                        record: line,
                        id: pair_id.clone(),
                        field: format!("{at}.decision"),
                        claimed: recorded.clone().unwrap_or_else(|| "null".to_owned()),
                        recomputed: again_opt.unwrap_or("null").to_owned(),
                        severity: Severity::Differs,
                        reason:
                            "the decision re-derived from the judgment (scores or [[verdict]]) \
                                 differs from the recorded one"
                                .to_owned(),
                    });
                }
            }
            decisions.push(recorded);
        }
        let correct = if decisions.len() == 2 {
            let d1 = decisions[0].as_deref();
            let d2 = flip(decisions[1].as_deref());
            let vote = |d: Option<&str>| -> i32 {
                if d == Some(label.as_str()) {
                    1
                } else if d == flip(Some(label.as_str())) {
                    -1
                } else {
                    0
                }
            };
            let net = vote(d1) + vote(d2);
            votes[usize::from(net <= 0) + usize::from(net < 0)] += 1;
            net > 0
        } else {
            decisions[0].as_deref() == Some(label.as_str())
        };
        overall.n += 1;
        overall.correct += usize::from(correct);
        for (c, t) in CATEGORIES.iter().zip(by_cat.iter_mut()) {
            if source.starts_with(c) {
                t.n += 1;
                t.correct += usize::from(correct);
            }
        }
    }
    input::require_records(overall.n, text, file)?;
    let model = judge_from_file_name(file).or(judge_model);
    let no_claim = "JudgeBench outputs carry no accuracy: give the published one with --claims";
    let mut check = |scope: String, t: &Tally| {
        let mut c = Check::against_points(
            scope,
            "acc",
            t.n,
            Recomputed::Value {
                value: 100.0 * t.correct as f64 / t.n as f64,
            },
            model.as_deref(),
            claims,
            0.0,
            no_claim,
        );
        c.detail = Some(format!("{} of {} pairs correct", t.correct, t.n));
        c
    };
    let mut checks = vec![check("judgebench".to_owned(), &overall)];
    for (c, t) in CATEGORIES.iter().zip(&by_cat) {
        if t.n > 0 {
            checks.push(check(format!("judgebench/{c}"), t));
        }
    }
    let mut report = Report::new(file, Format::JudgeBench, model);
    report.items_checked = overall.n;
    report.checks = checks;
    report.findings = findings;
    if games[1] > 0 {
        report.notes.push(format!(
            "{} pairs judged in both orders: {} correct (net vote > 0), {} tied (net 0, not correct), {} wrong",
            games[1], votes[0], votes[1], votes[2]
        ));
    }
    if games[0] > 0 {
        report.notes.push(format!(
            "{} pairs judged once (single game): correct when the decision equals the label",
            games[0]
        ));
    }
    report.conclude();
    Ok(report)
}
