//! inspect_ai eval logs: `.json` (one `EvalLog` object) and `.eval` (a zip of `header.json`,
//! `samples/<id>_epoch_<n>.json` and `reductions.json`, members deflate- or zstd-compressed).
//!
//! Every number in `results.scores` is recomputed from the per-sample scores as inspect_ai's
//! `eval_results` computes it (rules read from inspect_ai 0.3.285; `scorer/_metric.py`,
//! `scorer/_reducer/reducer.py`, `scorer/_metrics/*.py`):
//! - values become numbers with `value_to_float` (`C` 1, `P` 0.5, `I`/`N` 0, yes/true 1, no/false 0,
//!   numeric strings, anything else 0); a NaN score is unscored and left out of the metrics
//!   (`scored_samples` / `unscored_samples` are checked);
//! - each sample's epochs are reduced by the entry's `reducer` (absent: mean): mean, median, mode, max,
//!   `at_least_k`, `pass_at_k`, `pass_k_k`; the log's `reductions` are compared per sample;
//! - metrics: accuracy and mean, stderr (`std(ddof=1)/√n`, 0 below two samples), std and var
//!   (ddof 1), matched to 1e-12 relative (inspect_ai sums in completion order, which the log does not
//!   record); `bootstrap_stderr` draws unseeded resamples, so it is matched to its expectation
//!   (`std(ddof=0)/√n`) within 4 standard errors of a `num_samples`-draw estimate; any other metric is
//!   not checkable;
//! - a dict-valued scorer with per-key metrics (`{"*": [mean()]}`) is one results entry per key.
//!
//! Logs write non-finite floats as bare `NaN` / `Infinity` tokens, which JSON does not allow: they are
//! read as such (outside strings only). Older logs (`version` 1, `sample.score`) are refused with a
//! message rather than guessed at.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use substance_core::input;

use crate::report::{Check, Finding, Recomputed, Report, Severity, Status};
use crate::{Format, VerifyError};

const NAN: &str = "\u{0}NaN";
const INF: &str = "\u{0}Infinity";
const NEG_INF: &str = "\u{0}-Infinity";

/// Relative tolerance of a recomputed metric (summation order is not recorded in the log).
pub const RELATIVE: f64 = 1e-12;

/// The JSON text with bare `NaN`, `Infinity` and `-Infinity` tokens (outside strings) turned into
/// marker strings that [`to_float`] reads back as non-finite numbers.
pub fn lenient(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut in_string = false;
    let mut last = 0;
    while i < b.len() {
        let c = b[i];
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if c == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        let marker = [("NaN", NAN), ("Infinity", INF), ("-Infinity", NEG_INF)]
            .into_iter()
            .find(|(tok, _)| b[i..].starts_with(tok.as_bytes()));
        if let Some((tok, m)) = marker {
            out.push_str(&text[last..i]);
            out.push_str(&serde_json::to_string(m).unwrap_or_default());
            i += tok.len();
            last = i;
            continue;
        }
        i += 1;
    }
    out.push_str(&text[last..]);
    out
}

/// `value_to_float` of a score value (a dict or list is 0, as inspect_ai warns and uses 0).
pub fn to_float(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => match s.as_str() {
            NAN => f64::NAN,
            INF => f64::INFINITY,
            NEG_INF => f64::NEG_INFINITY,
            "C" => 1.0,
            "P" => 0.5,
            "I" | "N" => 0.0,
            other => {
                let l = other.trim().to_lowercase();
                match l.as_str() {
                    "yes" | "true" => 1.0,
                    "no" | "false" => 0.0,
                    _ => l
                        .replace('_', "")
                        .parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .unwrap_or(0.0),
                }
            }
        },
        Value::Null | Value::Array(_) | Value::Object(_) => 0.0,
    }
}

/// An unscored value: NaN (or, in logs before 0.3.124, a root `null`).
fn unscored(v: &Value) -> bool {
    matches!(v, Value::Null)
        || (matches!(v, Value::Number(_) | Value::String(_)) && to_float(v).is_nan())
}

/// Whether a parsed JSON object is an inspect_ai log (`.json`).
pub fn looks_like(o: &Map<String, Value>) -> bool {
    o.contains_key("eval") && o.contains_key("version") && o.contains_key("status")
}

/// Whether the head of a `.json` file is an inspect_ai log: inspect_ai writes `version`, `status` and
/// `eval` first; a log re-serialised with sorted keys starts with `eval`, so any order is accepted as
/// long as the head shows an `eval` object and either `version` and `status` or the run and task ids
/// of the eval spec.
pub fn head_looks_like(name: &str, text: &str) -> bool {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(1 << 15)
        .collect();
    let header = (compact.contains("\"version\":2,") || compact.contains("\"version\":1,"))
        && compact.contains("\"status\":\"");
    // sorted keys: `eval` comes first, and its spec names the run and the task
    let spec = compact.contains("\"run_id\":\"") && compact.contains("\"task_id\":\"");
    name.to_ascii_lowercase().ends_with(".json")
        && compact.starts_with('{')
        && compact.contains("\"eval\":{")
        && (header || spec)
}

/// One sample-epoch's scores.
#[derive(Debug, Clone)]
struct SampleScores {
    id: String,
    epoch: u64,
    scores: Map<String, Value>,
}

/// A log, read.
#[derive(Debug, Clone)]
pub struct Log {
    file: String,
    status: String,
    task: Option<String>,
    model: Option<String>,
    /// `eval.config.epochs_reducer` as given (`Some(empty)`: no reduction).
    reducers: Option<Vec<String>>,
    results: Option<Value>,
    samples: Vec<SampleScores>,
    reductions: Option<Value>,
}

fn parse(text: &str, file: &str) -> Result<Value, VerifyError> {
    Ok(input::strict_value(
        &lenient(input::strip_bom(text)),
        file,
        1,
    )?)
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn sample(v: &Value, file: &str, record: usize) -> Result<SampleScores, VerifyError> {
    let o = v
        .as_object()
        .ok_or_else(|| crate::record_error(file, record, "samples", "a sample is not an object"))?;
    if o.contains_key("score") && !o.contains_key("scores") {
        return Err(crate::record_error(
            file,
            record,
            "score",
            "a version-1 log (one `score` per sample, inspect_ai 0.3.17 or earlier): not read",
        ));
    }
    let id = o.get("id").and_then(id_text).ok_or_else(|| {
        crate::record_error(file, record, "id", "missing or not a string / number")
    })?;
    let epoch = o.get("epoch").and_then(Value::as_u64).ok_or_else(|| {
        crate::record_error(file, record, "epoch", "missing or not a whole number")
    })?;
    let scores = match o.get("scores") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(v) => {
            return Err(crate::record_error(
                file,
                record,
                "scores",
                format!("expected an object, found {}", input::kind(v)),
            ));
        }
    };
    Ok(SampleScores { id, epoch, scores })
}

fn header_parts(log: &Value, file: &str) -> Result<Log, VerifyError> {
    let o = log
        .as_object()
        .ok_or_else(|| crate::record_error(file, 1, "(top level)", "not a JSON object"))?;
    match o.get("version").and_then(Value::as_u64) {
        Some(2) => {}
        Some(v) => {
            return Err(crate::record_error(
                file,
                1,
                "version",
                format!("log version {v}: only version 2 (inspect_ai 0.3.18 and later) is read"),
            ));
        }
        None => return Err(crate::record_error(file, 1, "version", "missing")),
    }
    let eval = o.get("eval");
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let reducers = eval
        .and_then(|e| e.get("config"))
        .and_then(|c| c.get("epochs_reducer"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        });
    Ok(Log {
        file: file.to_owned(),
        status: text(o.get("status")).unwrap_or_default(),
        task: text(eval.and_then(|e| e.get("task"))),
        model: text(eval.and_then(|e| e.get("model"))),
        reducers,
        results: o.get("results").cloned(),
        samples: Vec::new(),
        reductions: o.get("reductions").cloned(),
    })
}

/// Read a `.json` log.
pub fn read_json(text: &str, file: &str) -> Result<Log, VerifyError> {
    let v = parse(text, file)?;
    let mut log = header_parts(&v, file)?;
    if let Some(Value::Array(samples)) = v.get("samples") {
        for (i, s) in samples.iter().enumerate() {
            log.samples.push(sample(s, file, i + 1)?);
        }
    }
    Ok(log)
}

/// Read a `.eval` log from its members (name, bytes), as [`crate::unzip`] gives them; a member named
/// twice counts once, the later one (as inspect_ai reads it).
pub fn read_eval(entries: &[(String, Vec<u8>)], file: &str) -> Result<Log, VerifyError> {
    let mut members: BTreeMap<&str, &[u8]> = BTreeMap::new();
    let prefix = format!("{file}/");
    for (name, bytes) in entries {
        members.insert(name.strip_prefix(&prefix).unwrap_or(name), bytes);
    }
    let member = |name: &str| -> Result<Option<Value>, VerifyError> {
        match members.get(name) {
            None => Ok(None),
            Some(b) => {
                let at = format!("{file}/{name}");
                Ok(Some(parse(input::text(b, &at)?, &at)?))
            }
        }
    };
    let header = match member("header.json")? {
        Some(h) => h,
        None => match member("_journal/start.json")? {
            Some(s) => s,
            None => {
                return Err(VerifyError::Format {
                    file: file.to_owned(),
                    message: "an .eval archive without header.json or _journal/start.json"
                        .to_owned(),
                });
            }
        },
    };
    let mut log = header_parts(&header, file)?;
    if log.reductions.is_none() {
        log.reductions = member("reductions.json")?;
    }
    for (name, bytes) in &members {
        let Some(rest) = name.strip_prefix("samples/") else {
            continue;
        };
        if !rest.ends_with(".json") || rest.contains('/') && !rest.ends_with("/sample.json") {
            continue;
        }
        let at = format!("{file}/{name}");
        let v = parse(input::text(bytes, &at)?, &at)?;
        log.samples.push(sample(&v, &at, 1)?);
    }
    log.samples
        .sort_by(|a, b| (a.epoch, &a.id).cmp(&(b.epoch, &b.id)));
    Ok(log)
}

/// `statistics.mean`, to within an ulp (compensated sum).
fn mean(xs: &[f64]) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for &x in xs {
        let t = s + x;
        c += if s.abs() >= x.abs() {
            (s - t) + x
        } else {
            (x - t) + s
        };
        s = t;
    }
    (s + c) / xs.len() as f64
}

fn var(xs: &[f64], ddof: f64) -> f64 {
    let m = mean(xs);
    xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() as f64 - ddof)
}

/// Reduce one sample's epoch values (scalars) by `reducer`; `None` for a reducer not known here.
fn reduce_scalar(values: &[Value], reducer: &str) -> Option<Value> {
    let kept: Vec<&Value> = values.iter().filter(|v| !unscored(v)).collect();
    if kept.is_empty() {
        return Some(Value::String(NAN.to_owned()));
    }
    let f: Vec<f64> = kept.iter().map(|v| to_float(v)).collect();
    let num = |x: f64| {
        Some(serde_json::Number::from_f64(x).map_or(Value::String(NAN.to_owned()), Value::Number))
    };
    let (name, k) = match reducer.rsplit_once('_') {
        Some((n, k)) if k.chars().all(|c| c.is_ascii_digit()) && !k.is_empty() => {
            (n, k.parse::<u64>().ok()?)
        }
        _ => (reducer, 0),
    };
    match name {
        "mean" => num(mean(&f)),
        "median" => {
            let mut s = f.clone();
            s.sort_by(f64::total_cmp);
            let n = s.len();
            num(if n % 2 == 1 {
                s[n / 2]
            } else {
                (s[n / 2 - 1] + s[n / 2]) / 2.0
            })
        }
        "mode" => {
            // Counter(values).most_common(1): the first seen of the most frequent (1 == 1.0 == True)
            let key = |v: &Value| match v {
                Value::Number(_) | Value::Bool(_) => format!("n{}", to_float(v)),
                other => format!("s{other}"),
            };
            let mut counts: Vec<(String, usize, &Value)> = Vec::new();
            for v in &kept {
                let k = key(v);
                match counts.iter_mut().find(|(x, _, _)| *x == k) {
                    Some(e) => e.1 += 1,
                    None => counts.push((k, 1, v)),
                }
            }
            let best = counts.iter().map(|e| e.1).max()?;
            counts.iter().find(|e| e.1 == best).map(|e| (*e.2).clone())
        }
        "max" => {
            let mut best = 0;
            for i in 1..f.len() {
                if f[i] > f[best] {
                    best = i;
                }
            }
            Some((*kept[best]).clone())
        }
        "at_least" if k > 0 => {
            let c = f.iter().filter(|x| **x >= 1.0).count() as u64;
            num(if c >= k { 1.0 } else { 0.0 })
        }
        "pass_at" if k > 0 => {
            let n = f.len() as u64;
            let c = f.iter().filter(|x| **x >= 1.0).count() as u64;
            if n < k {
                num(f64::NAN)
            } else if n - c < k {
                num(1.0)
            } else {
                let p: f64 = ((n - c + 1)..=n)
                    .map(|i| 1.0 - k as f64 / i as f64)
                    .product();
                num(1.0 - p)
            }
        }
        "pass_k" if k > 0 => {
            let n = f.len() as u64;
            let c = f.iter().filter(|x| **x >= 1.0).count() as u64;
            let comb = |n: u64, k: u64| -> f64 {
                if k > n {
                    return 0.0;
                }
                (0..k).map(|i| (n - i) as f64 / (i + 1) as f64).product()
            };
            num(if n < k {
                f64::NAN
            } else {
                comb(c, k) / comb(n, k)
            })
        }
        _ => None,
    }
}

/// Reduce epoch values, key by key for dicts.
fn reduce(values: &[Value], reducer: &str) -> Option<Value> {
    if let Some(Value::Object(first)) = values.first() {
        let mut out = Map::new();
        for key in first.keys() {
            let leaf: Vec<Value> = values
                .iter()
                .map(|v| v.get(key).cloned().unwrap_or(Value::Null))
                .collect();
            out.insert(key.clone(), reduce_scalar(&leaf, reducer)?);
        }
        return Some(Value::Object(out));
    }
    reduce_scalar(values, reducer)
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) if s == NAN => "NaN".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan())
        || a == b
        || (a - b).abs() <= RELATIVE * a.abs().max(b.abs()).max(1.0)
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => close(to_float(a), to_float(b)),
    }
}

/// Verify a log: every results entry recomputed from the samples.
pub fn verify(log: &Log) -> Report {
    let file = &log.file;
    let mut report = Report::new(file, Format::InspectLog, log.model.clone());
    let task = log.task.clone().unwrap_or_else(|| "inspect".to_owned());
    report.items_checked = log.samples.len();
    if log.status != "success" {
        report
            .notes
            .push(format!("the run's status is `{}`", log.status));
    }
    let Some(results) = log.results.as_ref().and_then(Value::as_object) else {
        report.checks.push(Check {
            scope: task,
            metric: "results".to_owned(),
            n: log.samples.len(),
            claimed: None,
            claimed_from: None,
            recomputed: Recomputed::None,
            status: Status::NotCheckable {
                reason: "the log has no results (the run did not finish)".to_owned(),
            },
            detail: None,
        });
        report.conclude();
        return report;
    };
    if log.samples.is_empty() {
        report.notes.push(
            "the log holds no samples (written with log_samples off?): nothing to recompute from"
                .to_owned(),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for s in &log.samples {
        if !seen.insert((s.id.clone(), s.epoch)) {
            report.findings.push(Finding {
                text: None,
                record: 0,
                id: format!("{} epoch {}", s.id, s.epoch),
                field: "samples".to_owned(),
                claimed: "twice".to_owned(),
                recomputed: "once".to_owned(),
                severity: Severity::Differs,
                reason: "the same sample and epoch is logged twice".to_owned(),
            });
        }
    }
    // sample ids in first-seen order, as inspect_ai groups them
    let mut ids: Vec<&str> = Vec::new();
    for s in &log.samples {
        if !ids.contains(&s.id.as_str()) {
            ids.push(&s.id);
        }
    }
    let no_reduction = log.reducers.as_ref().is_some_and(Vec::is_empty);
    let reductions: Vec<&Value> = log
        .reductions
        .as_ref()
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let mut compared_reductions = std::collections::BTreeSet::new();
    for entry in results
        .get("scores")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = entry.get("name").and_then(Value::as_str).unwrap_or("");
        let scorer = entry.get("scorer").and_then(Value::as_str).unwrap_or(name);
        let reducer = entry.get("reducer").and_then(Value::as_str);
        let reducer_name = reducer.unwrap_or("mean");
        let scope = format!(
            "{task}/{name}{}",
            reducer.map_or_else(String::new, |r| format!(" ({r})"))
        );
        // the value each sample-epoch gives this entry: the scorer's, or one key of a dict score
        let value_of = |s: &SampleScores| -> Option<Value> {
            let v = s.scores.get(scorer)?.get("value")?.clone();
            match (&v, name != scorer) {
                (Value::Object(m), true) => Some(m.get(name).cloned().unwrap_or(Value::Null)),
                _ => Some(v),
            }
        };
        let check_metrics = |values: Vec<f64>, report: &mut Report, note: Option<&str>| {
            metric_checks(entry, &scope, values, report, note);
        };
        if no_reduction {
            let values: Vec<Value> = log.samples.iter().filter_map(value_of).collect();
            let kept: Vec<f64> = values
                .iter()
                .filter(|v| !unscored(v))
                .map(to_float)
                .collect();
            check_metrics(
                kept,
                &mut report,
                Some("no reduction (epochs_reducer = [])"),
            );
            continue;
        }
        let mut reduced: Vec<(String, Value)> = Vec::new();
        let mut unknown = false;
        for id in &ids {
            let values: Vec<Value> = log
                .samples
                .iter()
                .filter(|s| s.id == *id)
                .filter_map(value_of)
                .collect();
            if values.is_empty() {
                continue;
            }
            match reduce(&values, reducer_name) {
                Some(v) => reduced.push(((*id).to_owned(), v)),
                None => {
                    unknown = true;
                    break;
                }
            }
        }
        if unknown {
            report.checks.push(Check {
                scope,
                metric: "(all)".to_owned(),
                n: ids.len(),
                claimed: None,
                claimed_from: None,
                recomputed: Recomputed::None,
                status: Status::NotCheckable {
                    reason: format!(
                        "reducer `{reducer_name}` is not one of inspect_ai's built-in reducers"
                    ),
                },
                detail: None,
            });
            continue;
        }
        // the log's own reductions of this scorer and reducer, per sample
        if let Some(red) = reductions.iter().find(|r| {
            r.get("scorer").and_then(Value::as_str) == Some(scorer)
                && r.get("reducer").and_then(Value::as_str).unwrap_or("mean") == reducer_name
        }) {
            if compared_reductions.insert((scorer.to_owned(), reducer_name.to_owned()))
                || name != scorer
            {
                for (k, s) in red
                    .get("samples")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let Some(id) = s.get("sample_id").and_then(id_text) else {
                        continue;
                    };
                    let Some(logged) = s.get("value") else {
                        continue;
                    };
                    let logged = match (logged, name != scorer) {
                        (Value::Object(m), true) => m.get(name).cloned().unwrap_or(Value::Null),
                        (v, _) => v.clone(),
                    };
                    let ours = reduced.iter().find(|(i, _)| *i == id).map(|(_, v)| v);
                    let agrees = ours.is_some_and(|o| same_value(o, &logged));
                    if !agrees {
                        report.findings.push(Finding {
                            text: None,
                            record: k + 1,
                            id: id.clone(),
                            field: format!("reductions[{scorer}/{reducer_name}]{}", if name != scorer { format!(".{name}") } else { String::new() }),
                            claimed: shown(&logged),
                            recomputed: ours.map_or_else(|| "no such sample".to_owned(), shown),
                            severity: Severity::Differs,
                            reason: format!(
                                "the {reducer_name} of the sample's epoch scores is not the logged reduction"
                            ),
                        });
                    }
                }
            }
        }
        let total = reduced.len();
        let kept: Vec<f64> = reduced
            .iter()
            .map(|(_, v)| v)
            .filter(|v| !unscored(v))
            .map(to_float)
            .collect();
        for (key, want) in [
            ("scored_samples", kept.len()),
            ("unscored_samples", total - kept.len()),
        ] {
            if let Some(claimed) = entry.get(key).and_then(Value::as_f64) {
                let recomputed = Recomputed::Value { value: want as f64 };
                report.checks.push(Check {
                    scope: scope.clone(),
                    metric: key.to_owned(),
                    n: total,
                    claimed: Some(claimed),
                    claimed_from: Some(format!("{file} results")),
                    status: Status::of(claimed, &recomputed, 0.0),
                    recomputed,
                    detail: None,
                });
            }
        }
        check_metrics(kept, &mut report, None);
    }
    if let Some(claimed) = results.get("completed_samples").and_then(Value::as_f64) {
        let recomputed = Recomputed::Value {
            value: log.samples.len() as f64,
        };
        report.checks.push(Check {
            scope: task.clone(),
            metric: "completed_samples".to_owned(),
            n: log.samples.len(),
            claimed: Some(claimed),
            claimed_from: Some(format!("{file} results")),
            status: Status::of(claimed, &recomputed, 0.0),
            recomputed,
            detail: Some("sample-epochs in the log".to_owned()),
        });
    }
    report.conclude();
    report
}

fn metric_checks(
    entry: &Value,
    scope: &str,
    values: Vec<f64>,
    report: &mut Report,
    note: Option<&str>,
) {
    let n = values.len();
    let Some(metrics) = entry.get("metrics").and_then(Value::as_object) else {
        return;
    };
    for (key, m) in metrics {
        let claimed = m.get("value").map(to_float);
        let name = m
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(key)
            .trim_start_matches("inspect_ai/");
        let sd = |ddof: f64| {
            if n < 2 {
                0.0
            } else {
                var(&values, ddof).sqrt()
            }
        };
        let (value, tolerance, detail): (Option<f64>, f64, Option<String>) = if n == 0 {
            (Some(f64::NAN), 0.0, Some("no scored sample".to_owned()))
        } else {
            match name {
                "accuracy" | "mean" => (Some(mean(&values)), 0.0, None),
                "stderr" => (Some(sd(1.0) / (n as f64).sqrt()), 0.0, None),
                "std" => (Some(sd(1.0)), 0.0, None),
                "var" => (Some(if n < 2 { 0.0 } else { var(&values, 1.0) }), 0.0, None),
                "bootstrap_stderr" => {
                    let draws = m
                        .get("params")
                        .or_else(|| m.get("options"))
                        .and_then(|p| p.get("num_samples"))
                        .and_then(Value::as_f64)
                        .unwrap_or(1000.0);
                    let expected = sd(0.0) / (n as f64).sqrt();
                    let tol = 4.0 * expected / (2.0 * draws).sqrt();
                    (
                        Some(expected),
                        tol,
                        Some(format!(
                            "unseeded bootstrap ({draws} draws): matched to its expectation std(ddof=0)/√n within ±{tol:.2e} (4 standard errors)"
                        )),
                    )
                }
                _ => (None, 0.0, None),
            }
        };
        let (recomputed, status) = match (value, claimed) {
            (Some(v), Some(c)) => {
                let tol = tolerance + RELATIVE * v.abs().max(1.0);
                let ok = (v.is_nan() && c.is_nan()) || (c - v).abs() <= tol;
                (
                    Recomputed::Value { value: v },
                    if ok {
                        Status::Match {
                            tolerance: if tolerance > 0.0 { tol } else { 0.0 },
                        }
                    } else {
                        Status::Differs
                    },
                )
            }
            (Some(v), None) => (
                Recomputed::Value { value: v },
                Status::NotCheckable {
                    reason: "the log gives no value for this metric".to_owned(),
                },
            ),
            (None, _) => (
                Recomputed::None,
                Status::NotCheckable {
                    reason: format!(
                        "metric `{name}` is not one of the built-in metrics recomputed here"
                    ),
                },
            ),
        };
        report.checks.push(Check {
            scope: scope.to_owned(),
            metric: key.clone(),
            n,
            claimed: claimed.filter(|c| !c.is_nan()).or(claimed),
            claimed_from: Some(format!("{} results", report.file)),
            recomputed,
            status,
            detail: detail.or_else(|| note.map(str::to_owned)),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_tokens_outside_strings_only() {
        let t = r#"{"a": NaN, "b": "NaN in text", "c": [-Infinity, Infinity], "d": "x\"NaN"}"#;
        let v: Value = serde_json::from_str(&lenient(t)).unwrap_or(Value::Null);
        assert!(to_float(&v["a"]).is_nan());
        assert_eq!(v["b"], "NaN in text");
        assert_eq!(to_float(&v["c"][0]), f64::NEG_INFINITY);
        assert_eq!(to_float(&v["c"][1]), f64::INFINITY);
        assert_eq!(v["d"], "x\"NaN");
    }

    #[test]
    fn value_to_float_rules() {
        let f = |s: &str| to_float(&Value::String(s.to_owned()));
        assert_eq!((f("C"), f("P"), f("I"), f("N")), (1.0, 0.5, 0.0, 0.0));
        assert_eq!(
            (f("c"), f("Yes"), f("false"), f(" 2.5 "), f("maybe")),
            (0.0, 1.0, 0.0, 2.5, 0.0)
        );
        assert_eq!(f("inf"), 0.0, "non-finite strings are 0 since 0.3.221");
    }

    #[test]
    fn reducers() {
        let v = |xs: &[&str]| -> Vec<Value> {
            xs.iter().map(|x| Value::String((*x).to_owned())).collect()
        };
        let num = |r: Option<Value>| r.map(|x| to_float(&x));
        assert_eq!(num(reduce(&v(&["C", "I", "C"]), "mean")), Some(2.0 / 3.0));
        assert_eq!(
            reduce(&v(&["I", "C", "C"]), "mode"),
            Some(Value::String("C".into()))
        );
        assert_eq!(
            reduce(&v(&["I", "P", "C"]), "max"),
            Some(Value::String("C".into()))
        );
        assert_eq!(num(reduce(&v(&["I", "P", "C"]), "median")), Some(0.5));
        assert_eq!(num(reduce(&v(&["I", "C", "C"]), "at_least_2")), Some(1.0));
        // n = 3, c = 1, k = 2: 1 − (1 − 2/3) = 2/3
        assert_eq!(
            num(reduce(&v(&["I", "C", "I"]), "pass_at_2")),
            Some(1.0 - (1.0 - 2.0 / 3.0))
        );
        assert_eq!(reduce(&v(&["C"]), "custom"), None);
    }
}
