//! lm-evaluation-harness output: `results_<ts>.json` (`results.json` before v0.4.3) and the sample logs
//! `samples_<task>_<ts>.jsonl` (v0.4.3+: one JSON object per line and per (doc, filter), with
//! `doc_hash`/`prompt_hash`/`target_hash`; v0.4.7+ with `filter` and `metrics`; before v0.4.3 one
//! pretty-printed JSON array named `<model_args>_<task>.jsonl`). A folder of them is one run.
//!
//! Rules (lm-eval `evaluator.py`, `api/metrics.py`, `loggers/evaluation_tracker.py`, read in v0.4.13):
//! - `doc_hash` = sha256 of `json.dumps(doc, indent=2, ensure_ascii=False)` ([`crate::pyjson`]);
//!   `prompt_hash` = sha256 of the first request's first argument; `target_hash` = sha256 of
//!   `str(target)`; a task's entry of `task_hashes` = sha256 of the concatenated three hashes of its
//!   samples in file order.
//! - A metric with `mean` aggregation is the mean of the per-sample values of one filter; its stderr is
//!   the sample standard deviation over √n. `matthews_corrcoef` and `f1` are recomputed from the logged
//!   (gold, prediction) pairs, their bootstrap stderrs replayed with lm-eval's own seeds (CPython's
//!   Mersenne Twister, `substance_metrics::pyrandom`: bit-identical resamples). Other aggregations are reported as
//!   not checkable (yet), never as passed.
//! - Multiple choice: `acc` = 1 when the first maximum of the choices' log-likelihoods is the gold index;
//!   `acc_norm` divides each by the character length of the choice (the continuation without the
//!   task's `target_delimiter`); `acc_mutual_info` subtracts each choice's unconditional log-likelihood.
//!   Recomputed from `filtered_resps` for every sample.
//!
//! - Groups (`group_subtasks`): each metric is the mean of the members' values in the results file
//!   weighted by their number of docs (`n-samples`, else the docs in the sample logs; a subgroup counts
//!   the docs of its members that report the metric), its stderr lm-eval's pooled sample stderr, and
//!   (v0.4.3+) `sample_count` the docs behind it. The results file does not record a group's
//!   `weight_by_size`: an unweighted mean matches too, and the detail says which one did.
//!
//! - Open LLM Leaderboard v2 tasks (`leaderboard_*`): the six normalised scores and the average, see
//!   [`crate::open_llm`].
//!
//! - Generation tasks: filters re-applied to `resps` and `exact_match` re-scored ([`crate::lm_eval_gen`]).
//!
//! - IFEval samples: every instruction re-checked on the logged response with `substance-ifeval`, and
//!   `agg_inst_level_acc` recomputed.
//!
//! - Memory: sample logs are read one record at a time ([`read_samples_from`]), each sample checked as
//!   it is read and then reduced to what the aggregates need ([`Run`]), so a run of any size verifies in
//!   memory proportional to its number of samples, not to its bytes.
//!
//! Not yet here: other aggregations (`perplexity`, `bleu`, …), MATH per-sample
//! scores.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use substance_core::input;
use substance_metrics::stats;

use crate::report::{Check, Finding, Recomputed, Report, Severity, Status};
use crate::{ClaimBook, VerifyError};

/// Tolerance of a recomputed mean (the same sum in the same order; float noise only).
pub const MEAN_TOLERANCE: f64 = 1e-12;
/// Tolerance of a recomputed mean stderr.
pub const STDERR_TOLERANCE: f64 = 1e-9;

/// A task's configuration as the results file records it.
#[derive(Debug, Clone, Default)]
pub struct TaskConfig {
    /// `multiple_choice`, `generate_until`, `loglikelihood`, …
    pub output_type: Option<String>,
    /// Put between context and continuation (default `" "`).
    pub target_delimiter: String,
    /// Metric → aggregation name.
    pub aggregation: BTreeMap<String, String>,
    /// The task computes its per-sample metrics with its own `process_results` function.
    pub custom_process_results: bool,
    /// Names of `filter_list`, in order (`none` when there is none).
    pub filters: Vec<String>,
    /// Each `filter_list` entry's pipeline, or why it is not re-applied here.
    pub pipelines: Vec<(String, Result<crate::lm_eval_gen::Pipeline, String>)>,
    /// `exact_match`'s options from `metric_list`, when the task uses it.
    pub exact_match: Option<Result<crate::lm_eval_gen::ExactMatch, String>>,
}

/// A results file.
#[derive(Debug, Clone)]
pub struct Results {
    /// The file.
    pub file: String,
    /// Task or group → (`metric,filter` → value).
    pub results: BTreeMap<String, Map<String, Value>>,
    /// Names under `groups`.
    pub groups: Vec<String>,
    /// Task configs.
    pub configs: BTreeMap<String, TaskConfig>,
    /// `task_hashes` (v0.4.3+).
    pub task_hashes: BTreeMap<String, String>,
    /// `model_name` or the `pretrained=` model argument.
    pub model: Option<String>,
    /// `group_subtasks`: group → its tasks and subgroups.
    pub group_subtasks: BTreeMap<String, Vec<String>>,
    /// `n-samples` (v0.4.3+): task → effective number of docs.
    pub n_samples: BTreeMap<String, usize>,
    /// `config.bootstrap_iters` (the resamples of bootstrap stderrs; lm-eval's default 100000).
    pub bootstrap_iters: Option<u64>,
}

/// One logged sample (one doc under one filter).
#[derive(Debug, Clone)]
pub struct Sample {
    /// 1-based line (JSONL) or record (JSON array).
    pub record: usize,
    /// `doc_id`.
    pub doc_id: String,
    /// The filter (v0.4.7+).
    pub filter: Option<String>,
    /// The doc's JSON text as written (for `doc_hash`).
    pub doc_json: Option<String>,
    /// `target`.
    pub target: Value,
    /// Each request's arguments.
    pub arguments: Vec<Vec<Value>>,
    /// `resps`: per request, the model's responses.
    pub resps: Vec<Value>,
    /// `filtered_resps`.
    pub filtered_resps: Vec<Value>,
    /// Per-sample metric values.
    pub metrics: BTreeMap<String, Value>,
    /// The logged hashes.
    pub hashes: [Option<String>; 3],
}

fn fmt_err(file: &str, message: impl Into<String>) -> VerifyError {
    VerifyError::Format {
        file: file.to_owned(),
        message: message.into(),
    }
}

/// Whether `name`/`head` look like an lm-eval results file.
pub fn looks_like_results(base: &str, head: &str) -> bool {
    base.starts_with("results")
        && base.ends_with(".json")
        && head.trim_start().starts_with('{')
        && head.contains("\"results\"")
}

/// Whether a first record looks like an lm-eval sample.
pub fn looks_like_sample(first: &Map<String, Value>) -> bool {
    first.contains_key("doc_id")
        && first.contains_key("doc")
        && (first.contains_key("resps") || first.contains_key("filtered_resps"))
}

/// Read a results file.
pub fn read_results(text: &str, file: &str) -> Result<Results, VerifyError> {
    let Value::Object(mut top) = input::strict_value(input::strip_bom(text), file, 1)? else {
        return Err(fmt_err(file, "an lm-eval results file is a JSON object"));
    };
    let Some(Value::Object(res)) = top.remove("results") else {
        return Err(fmt_err(file, "no `results` object"));
    };
    let mut results = BTreeMap::new();
    for (task, v) in res {
        let Value::Object(m) = v else {
            return Err(fmt_err(file, format!("results.{task}: expected an object")));
        };
        results.insert(task, m);
    }
    input::require_records(results.len(), text, file)?;
    let groups = match top.get("groups") {
        Some(Value::Object(g)) => g.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let mut configs = BTreeMap::new();
    if let Some(Value::Object(cs)) = top.get("configs") {
        for (task, c) in cs {
            let mut tc = TaskConfig {
                output_type: c
                    .get("output_type")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                target_delimiter: c
                    .get("target_delimiter")
                    .and_then(Value::as_str)
                    .unwrap_or(" ")
                    .to_owned(),
                aggregation: BTreeMap::new(),
                custom_process_results: c.get("process_results").is_some_and(|v| !v.is_null()),
                filters: match c.get("filter_list") {
                    Some(Value::Array(fs)) => fs
                        .iter()
                        .filter_map(|f| f.get("name").and_then(Value::as_str).map(str::to_owned))
                        .collect(),
                    _ => Vec::new(),
                },
                pipelines: match c.get("filter_list") {
                    Some(Value::Array(fs)) => fs
                        .iter()
                        .map(|f| {
                            (
                                f.get("name")
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_owned(),
                                crate::lm_eval_gen::Pipeline::from_config(f),
                            )
                        })
                        .collect(),
                    _ => Vec::new(),
                },
                exact_match: None,
            };
            if let Some(Value::Array(ms)) = c.get("metric_list") {
                for m in ms {
                    if m.get("metric").and_then(Value::as_str) == Some("exact_match") {
                        tc.exact_match = Some(crate::lm_eval_gen::ExactMatch::from_config(m));
                    }
                    if let (Some(name), Some(agg)) = (
                        m.get("metric").and_then(Value::as_str),
                        m.get("aggregation").and_then(Value::as_str),
                    ) {
                        tc.aggregation.insert(name.to_owned(), agg.to_owned());
                    }
                }
            }
            configs.insert(task.clone(), tc);
        }
    }
    let mut task_hashes = BTreeMap::new();
    if let Some(Value::Object(h)) = top.get("task_hashes") {
        for (t, v) in h {
            if let Some(s) = v.as_str() {
                task_hashes.insert(t.clone(), s.to_owned());
            }
        }
    }
    let model = top
        .get("model_name")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            let args = top.get("config")?.get("model_args")?.as_str()?;
            args.split(',')
                .find_map(|kv| kv.strip_prefix("pretrained="))
                .map(str::to_owned)
        });
    let mut group_subtasks = BTreeMap::new();
    if let Some(Value::Object(g)) = top.get("group_subtasks") {
        for (group, tasks) in g {
            if let Value::Array(ts) = tasks {
                group_subtasks.insert(
                    group.clone(),
                    ts.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                );
            }
        }
    }
    let mut n_samples = BTreeMap::new();
    if let Some(Value::Object(ns)) = top.get("n-samples") {
        for (task, v) in ns {
            if let Some(n) = v.get("effective").and_then(Value::as_u64) {
                n_samples.insert(task.clone(), n as usize);
            }
        }
    }
    let bootstrap_iters = top
        .get("config")
        .and_then(|c| c.get("bootstrap_iters"))
        .and_then(Value::as_u64);
    Ok(Results {
        file: file.to_owned(),
        results,
        groups,
        configs,
        task_hashes,
        group_subtasks,
        n_samples,
        bootstrap_iters,
        model,
    })
}

const FIELDS: [&str; 11] = [
    "doc_id",
    "doc",
    "target",
    "arguments",
    "resps",
    "filtered_resps",
    "filter",
    "metrics",
    "doc_hash",
    "prompt_hash",
    "target_hash",
];

/// The raw JSON text of the `doc` member of the object `obj` (for `doc_hash`, which needs the member
/// order that a parsed map would lose).
fn raw_doc(obj: &str) -> Option<&str> {
    #[derive(serde::Deserialize)]
    struct Raw<'a> {
        #[serde(borrow)]
        doc: Option<&'a serde_json::value::RawValue>,
    }
    serde_json::from_str::<Raw<'_>>(obj)
        .ok()?
        .doc
        .map(serde_json::value::RawValue::get)
}

fn sample(
    map: Map<String, Value>,
    raw: Option<&str>,
    file: &str,
    record: usize,
) -> Result<Sample, VerifyError> {
    let doc_id = match map.get("doc_id") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            return Err(crate::record_error(
                file,
                record,
                "doc_id",
                "missing or not a number",
            ));
        }
    };
    let arguments = match map.get("arguments") {
        Some(Value::Array(reqs)) => reqs
            .iter()
            .map(|r| match r {
                Value::Array(a) => Ok(a.clone()),
                _ => Err(crate::record_error(
                    file,
                    record,
                    "arguments",
                    "a request's arguments are not a list",
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        // v0.4.7+: {"gen_args_0": {"arg_0": …, "arg_1": …}, …}, ordered by the number
        Some(Value::Object(reqs)) => {
            let mut v: Vec<(usize, Vec<Value>)> = Vec::new();
            for (k, args) in reqs {
                let i: usize = k
                    .strip_prefix("gen_args_")
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| {
                        crate::record_error(
                            file,
                            record,
                            "arguments",
                            format!("unexpected key `{k}`"),
                        )
                    })?;
                let Value::Object(a) = args else {
                    return Err(crate::record_error(
                        file,
                        record,
                        "arguments",
                        format!("`{k}` is not an object"),
                    ));
                };
                let mut parts: Vec<(usize, Value)> = Vec::new();
                for (ak, av) in a {
                    let j: usize = ak
                        .strip_prefix("arg_")
                        .and_then(|n| n.parse().ok())
                        .ok_or_else(|| {
                            crate::record_error(
                                file,
                                record,
                                "arguments",
                                format!("unexpected key `{ak}`"),
                            )
                        })?;
                    parts.push((j, av.clone()));
                }
                parts.sort_by_key(|(j, _)| *j);
                v.push((i, parts.into_iter().map(|(_, a)| a).collect()));
            }
            v.sort_by_key(|(i, _)| *i);
            v.into_iter().map(|(_, a)| a).collect()
        }
        _ => Vec::new(),
    };
    let filtered_resps = match map.get("filtered_resps") {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let resps = match map.get("resps") {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let listed: Option<Vec<String>> = match map.get("metrics") {
        Some(Value::Array(a)) => Some(
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => None,
    };
    let mut metrics = BTreeMap::new();
    for (k, v) in &map {
        let is_metric = match &listed {
            Some(l) => l.contains(k),
            None => !FIELDS.contains(&k.as_str()),
        };
        if is_metric {
            metrics.insert(k.clone(), v.clone());
        }
    }
    let hash = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_owned);
    Ok(Sample {
        record,
        doc_id,
        filter: map.get("filter").and_then(Value::as_str).map(str::to_owned),
        doc_json: raw.map(str::to_owned),
        target: map.get("target").cloned().unwrap_or(Value::Null),
        arguments,
        resps,
        filtered_resps,
        metrics,
        hashes: [hash("doc_hash"), hash("prompt_hash"), hash("target_hash")],
    })
}

/// Read a sample log (JSONL, or the one JSON array of versions before v0.4.3) held in memory.
pub fn read_samples(text: &str, file: &str) -> Result<Vec<Sample>, VerifyError> {
    let mut out = Vec::new();
    read_samples_from(text.as_bytes(), file, |s| {
        out.push(s);
        Ok(())
    })?;
    Ok(out)
}

/// Read a sample log from `reader` one record at a time, each handed to `each` as soon as it is read:
/// JSONL line by line, and the one JSON array of versions before v0.4.3 element by element, so a log
/// of any size is read in memory bounded by its longest record. The reading policy is the in-memory
/// one's (BOM, CRLF, objects only, no repeated member, no record is an error, a doc logged twice under
/// one filter is an error). Returns the number of samples.
pub fn read_samples_from<R: std::io::BufRead>(
    mut reader: R,
    file: &str,
    mut each: impl FnMut(Sample) -> Result<(), VerifyError>,
) -> Result<usize, VerifyError> {
    // v0.4.7+ names each line's filter: a doc logged twice under one filter would count twice
    let mut seen = input::UniqueKeys::new("sample (doc_id, filter)");
    let mut n = 0;
    let mut one = |s: Sample| -> Result<(), VerifyError> {
        if let Some(f) = &s.filter {
            seen.insert(&format!("{}, {f}", s.doc_id), file, s.record)?;
        }
        n += 1;
        each(s)
    };
    // the first byte after a BOM and blank space tells the layouts apart
    let head = reader.fill_buf().map_err(|e| io_error(file, &e))?;
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        read_array(reader, file, &mut one)?;
        if n == 0 {
            return Err(input::InputError::Empty {
                file: file.to_owned(),
                what: "no record in it".to_owned(),
            }
            .into());
        }
    } else {
        input::for_each_line(reader, file, |line, text| {
            let m = input::object_line(text, file, line)?;
            one(sample(m, raw_doc(text), file, line)?)
        })?;
    }
    Ok(n)
}

fn io_error(file: &str, e: &std::io::Error) -> VerifyError {
    input::InputError::Io {
        file: file.to_owned(),
        message: e.to_string(),
    }
    .into()
}

/// A reader that counts the lines it has handed out (serde_json's reader takes one byte at a time, so
/// the count is exact at the end of each array element).
struct LineCounter<R> {
    inner: R,
    lines: std::rc::Rc<std::cell::Cell<usize>>,
}

impl<R: std::io::Read> std::io::Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        let nl = buf[..k].iter().filter(|b| **b == b'\n').count();
        self.lines.set(self.lines.get() + nl);
        Ok(k)
    }
}

/// The pre-v0.4.3 layout, one JSON array, read element by element.
fn read_array<R: std::io::BufRead>(
    mut reader: R,
    file: &str,
    one: &mut dyn FnMut(Sample) -> Result<(), VerifyError>,
) -> Result<(), VerifyError> {
    use serde::de::{Deserializer as _, SeqAccess, Visitor};
    if reader
        .fill_buf()
        .map_err(|e| io_error(file, &e))?
        .starts_with(b"\xEF\xBB\xBF")
    {
        reader.consume(3);
    }
    let lines = std::rc::Rc::new(std::cell::Cell::new(0));
    struct Elements<'a> {
        file: &'a str,
        lines: std::rc::Rc<std::cell::Cell<usize>>,
        one: &'a mut dyn FnMut(Sample) -> Result<(), VerifyError>,
        failed: &'a mut Option<VerifyError>,
    }
    impl<'de> Visitor<'de> for Elements<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON array of samples")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut record = 0;
            while let Some(raw) = seq.next_element::<Box<serde_json::value::RawValue>>()? {
                record += 1;
                let text = raw.get();
                // the element's first line: the lines read so far less the ones inside it
                let line = 1 + self.lines.get() - text.bytes().filter(|b| *b == b'\n').count();
                let result = input::strict_value(text, self.file, line)
                    .map_err(VerifyError::from)
                    .and_then(|v| match v {
                        Value::Object(m) => sample(m, raw_doc(text), self.file, record),
                        other => Err(crate::record_error(
                            self.file,
                            record,
                            "record",
                            format!("expected an object, found {}", input::kind(&other)),
                        )),
                    })
                    .and_then(|s| (self.one)(s));
                if let Err(e) = result {
                    *self.failed = Some(e);
                    return Err(serde::de::Error::custom("stopped"));
                }
            }
            Ok(())
        }
    }
    let mut failed = None;
    let mut de = serde_json::Deserializer::from_reader(LineCounter {
        inner: reader,
        lines: lines.clone(),
    });
    let result = de
        .deserialize_seq(Elements {
            file,
            lines,
            one,
            failed: &mut failed,
        })
        .and_then(|()| de.end());
    if let Some(e) = failed {
        return Err(e);
    }
    result.map_err(|e| {
        if e.is_io() {
            return io_error(file, &std::io::Error::other(e.to_string()));
        }
        let full = e.to_string();
        let message = full
            .rfind(" at line ")
            .map_or(full.clone(), |i| full[..i].to_owned());
        input::InputError::Syntax {
            file: file.to_owned(),
            line: e.line(),
            message: format!("JSON: {message}"),
        }
        .into()
    })
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn hex_digest(h: Sha256) -> String {
    hex::encode(h.finalize())
}

/// Python's `str(target)` where it is simple; `None` for other shapes.
fn python_str(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// First index of the maximum (numpy's `argmax`).
fn argmax(xs: &[f64]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, x) in xs.iter().enumerate() {
        if best.is_none_or(|b| *x > xs[b]) {
            best = Some(i);
        }
    }
    best
}

/// scikit-learn's `matthews_corrcoef` (via the confusion matrix, 0 when a marginal is constant).
pub fn matthews_corrcoef(pairs: &[(i64, i64)]) -> f64 {
    let mut labels: Vec<i64> = pairs.iter().flat_map(|&(g, p)| [g, p]).collect();
    labels.sort_unstable();
    labels.dedup();
    let k = labels.len();
    let idx = |v: i64| labels.binary_search(&v).unwrap_or(0);
    let (mut t_sum, mut p_sum) = (vec![0.0f64; k], vec![0.0f64; k]);
    let mut correct = 0.0;
    for &(g, p) in pairs {
        t_sum[idx(g)] += 1.0;
        p_sum[idx(p)] += 1.0;
        if g == p {
            correct += 1.0;
        }
    }
    let n: f64 = p_sum.iter().sum();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let cov_ytyp = correct * n - dot(&t_sum, &p_sum);
    let cov_ypyp = n * n - dot(&p_sum, &p_sum);
    let cov_ytyt = n * n - dot(&t_sum, &t_sum);
    if cov_ypyp * cov_ytyt == 0.0 {
        return 0.0;
    }
    cov_ytyp / (cov_ytyt * cov_ypyp).sqrt()
}

/// scikit-learn's binary `f1_score` (positive label 1; 0 when there is no positive at all).
pub fn f1_binary(pairs: &[(i64, i64)]) -> f64 {
    let (mut tp, mut fp, mut fn_) = (0.0f64, 0.0f64, 0.0f64);
    for &(g, p) in pairs {
        match (g == 1, p == 1) {
            (true, true) => tp += 1.0,
            (false, true) => fp += 1.0,
            (true, false) => fn_ += 1.0,
            (false, false) => {}
        }
    }
    let denom = 2.0 * tp + fp + fn_;
    if denom == 0.0 { 0.0 } else { 2.0 * tp / denom }
}

/// lm-eval's `bootstrap_stderr(f, xs, iters)` replayed: `iters / 1000` chunks of 1000 resamples, chunk
/// `i` drawn by `random.Random(i).choices`, then `sample_stddev` of all replicates (plain sums, as
/// Python 3.11's `sum`).
pub fn bootstrap_stderr(xs: &[(i64, i64)], iters: u64, f: fn(&[(i64, i64)]) -> f64) -> f64 {
    let chunk = iters.min(1000);
    let mut reps = Vec::with_capacity(iters as usize);
    let mut draw = Vec::with_capacity(xs.len());
    for i in 0..iters / chunk {
        // CPython's `random.Random(i)`, as lm-eval's bootstrap seeds each chunk
        let mut rnd = substance_metrics::pyrandom::PyRandom::new(i as u32);
        for _ in 0..chunk {
            rnd.choices(xs, &mut draw);
            reps.push(f(&draw));
        }
    }
    let n = reps.len() as f64;
    let mut sum = 0.0;
    for r in &reps {
        sum += r;
    }
    let mu = sum / n;
    let mut ss = 0.0;
    for r in &reps {
        ss += (r - mu).powi(2);
    }
    (ss / (n - 1.0)).sqrt()
}

/// Most resamples × items a bootstrap stderr is replayed for (more is reported as not checkable).
const MAX_BOOTSTRAP_WORK: u64 = 400_000_000;

/// A metric aggregated over (gold, prediction) pairs (`matthews_corrcoef`, `f1`) and its bootstrap
/// stderr, recomputed from the samples' logged pairs.
fn pair_metric_checks(
    task: &str,
    key: &str,
    claimed: f64,
    claimed_stderr: Option<(String, f64)>,
    agg: &str,
    rows: &[&Row],
    results: &Results,
) -> Vec<Check> {
    let metric = key.split_once(',').map_or(key, |(m, _)| m);
    let mut base = Check::claimed_in(task, key, claimed, &results.file, "not recomputed");
    base.n = rows.len();
    // in doc order, as lm-eval collects them
    let mut sorted: Vec<&&Row> = rows.iter().collect();
    sorted.sort_by_key(|s| s.doc_id.parse::<u64>().unwrap_or(u64::MAX));
    let pairs: Option<Vec<(i64, i64)>> = sorted
        .iter()
        .map(|s| match s.metrics.get(metric) {
            Some(Value::Array(a)) if a.len() == 2 => Some((a[0].as_i64()?, a[1].as_i64()?)),
            _ => None,
        })
        .collect();
    let Some(pairs) = pairs else {
        base.status = Status::NotCheckable {
            reason: "a sample does not log this metric as a (gold, prediction) pair of integers"
                .to_owned(),
        };
        return vec![base];
    };
    let f: fn(&[(i64, i64)]) -> f64 = if agg == "f1" {
        if pairs
            .iter()
            .any(|&(g, p)| !(0..=1).contains(&g) || !(0..=1).contains(&p))
        {
            base.status = Status::NotCheckable {
                reason: "f1 of labels other than 0 and 1 (scikit-learn's binary f1 raises)"
                    .to_owned(),
            };
            return vec![base];
        }
        f1_binary
    } else {
        matthews_corrcoef
    };
    let v = f(&pairs);
    base.recomputed = Recomputed::Value { value: v };
    base.status = Status::of(claimed, &base.recomputed, MEAN_TOLERANCE);
    base.detail = Some(format!("{agg} of {} (gold, prediction) pairs", pairs.len()));
    let mut out = vec![base.clone()];
    if let Some((skey, se)) = claimed_stderr {
        let iters = results.bootstrap_iters.unwrap_or(100_000);
        let mut c = base;
        c.metric = skey;
        c.claimed = Some(se);
        if iters < 2 || iters.saturating_mul(pairs.len() as u64) > MAX_BOOTSTRAP_WORK {
            c.recomputed = Recomputed::None;
            c.status = Status::NotCheckable {
                reason: format!(
                    "a bootstrap of {iters} resamples of {} items is not replayed here",
                    pairs.len()
                ),
            };
        } else {
            c.recomputed = Recomputed::Value {
                value: bootstrap_stderr(&pairs, iters, f),
            };
            c.status = Status::of(se, &c.recomputed, STDERR_TOLERANCE);
            c.detail = Some(format!(
                "lm-eval's seeded bootstrap replayed: {iters} resamples, chunk i drawn by CPython's random.Random(i)"
            ));
        }
        out.push(c);
    }
    out
}

/// A sample's logged prompt (the first request's context) and response, as plain text.
fn sample_text(s: &Sample) -> String {
    let prompt = s
        .arguments
        .first()
        .and_then(|a| a.first())
        .and_then(Value::as_str)
        .unwrap_or("");
    fn first_text(v: &Value) -> Option<&str> {
        match v {
            Value::String(t) => Some(t),
            Value::Array(a) => a.iter().find_map(first_text),
            _ => None,
        }
    }
    let response = s.resps.iter().find_map(first_text).map_or_else(
        || Value::Array(s.filtered_resps.clone()).to_string(),
        str::to_owned,
    );
    format!("prompt:\n{prompt}\n\nresponse:\n{response}")
}

/// Python's truthiness of a JSON value (lm-eval drops falsy kwargs before building an instruction).
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Whether upstream builds the instruction with a random argument (so its verdict is left to chance):
/// a `letter` that is not an ASCII letter is replaced by a random one; an argument the checker refuses
/// (an empty keyword list, a negative count) is drawn at random too.
fn left_to_chance(id: &str, kwargs: &Value) -> bool {
    id == "keywords:letter_frequency"
        && kwargs
            .get("letter")
            .and_then(Value::as_str)
            .is_some_and(|l| {
                !(l.chars().count() == 1 && l.chars().all(|c| c.is_ascii_alphabetic()))
            })
}

/// One IFEval sample (lm-eval's `ifeval` / `leaderboard_ifeval`): the doc's instructions checked on the
/// logged response with `substance-ifeval` (Google's checker, as lm-eval's `process_results` runs it:
/// falsy kwargs dropped), compared instruction by instruction with `inst_level_*_acc` and as a whole
/// with `prompt_level_*_acc`.
fn ifeval_findings(s: &Sample, file: &str, findings: &mut Vec<Finding>, counts: &mut GenCounts) {
    let Some(doc) = s
        .doc_json
        .as_deref()
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
    else {
        return;
    };
    let (Some(ids), Some(kwargs)) = (
        doc.get("instruction_id_list").and_then(Value::as_array),
        doc.get("kwargs").and_then(Value::as_array),
    ) else {
        return;
    };
    let Some(response) = s.filtered_resps.first().and_then(Value::as_str) else {
        return;
    };
    counts.ifeval += 1;
    let mut strict = Vec::new();
    let mut loose = Vec::new();
    let mut chance = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let id = id.as_str().unwrap_or("");
        let kw: serde_json::Map<String, Value> = kwargs
            .get(i)
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter(|(_, v)| truthy(v))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let kw = Value::Object(kw);
        match substance_ifeval::Check::from_kwargs(i, id, &kw) {
            Ok(check) => {
                let v = substance_ifeval::evaluate(std::slice::from_ref(&check), response);
                strict.push(v.strict[0]);
                loose.push(v.loose[0]);
                chance.push(left_to_chance(id, &kw));
            }
            Err(_) => {
                strict.push(false);
                loose.push(false);
                chance.push(true);
            }
        }
    }
    let finding = |field: &str, claimed: String, recomputed: String, by_chance: bool| Finding {
        text: None,
        record: s.record,
        id: s.doc_id.clone(),
        field: format!("{file}: {field}"),
        claimed,
        recomputed,
        severity: if by_chance {
            Severity::NotCheckable
        } else {
            Severity::Differs
        },
        reason: if by_chance {
            "upstream builds this instruction with a random argument: its verdict is left to chance"
                .to_owned()
        } else {
            "the instruction check on the logged response gives another verdict".to_owned()
        },
    };
    for (level, ours) in [("strict", &strict), ("loose", &loose)] {
        if let Some(Value::Array(logged)) = s.metrics.get(&format!("inst_level_{level}_acc")) {
            for (i, (l, o)) in logged.iter().zip(ours.iter()).enumerate() {
                if l.as_bool() != Some(*o) {
                    findings.push(finding(
                        &format!(
                            "inst_level_{level}_acc[{i}] ({})",
                            ids[i].as_str().unwrap_or("")
                        ),
                        l.to_string(),
                        o.to_string(),
                        chance[i],
                    ));
                }
            }
        }
        if let Some(logged) = s.metrics.get(&format!("prompt_level_{level}_acc")) {
            let all = ours.iter().all(|x| *x);
            if logged.as_bool() != Some(all) {
                findings.push(finding(
                    &format!("prompt_level_{level}_acc"),
                    logged.to_string(),
                    all.to_string(),
                    chance.iter().any(|c| *c),
                ));
            }
        }
    }
}

/// What the generation re-checks of one task did.
#[derive(Default)]
struct GenCounts {
    filtered: usize,
    scored: usize,
    ifeval: usize,
    unsupported: Vec<String>,
}

/// One generation sample: its filter re-applied to `resps` (compared with `filtered_resps`) and its
/// `exact_match` re-scored against `target` (compared with the logged value). `nth` is the sample's
/// position among its doc's lines (its filter before v0.4.7).
fn generation_findings(
    s: &Sample,
    cfg: &TaskConfig,
    file: &str,
    nth: usize,
    findings: &mut Vec<Finding>,
    counts: &mut GenCounts,
) {
    let name = match &s.filter {
        Some(f) => Some(f.as_str()),
        None => cfg.filters.get(nth).map(String::as_str),
    };
    let Some((fname, pipeline)) = name.and_then(|n| cfg.pipelines.iter().find(|(p, _)| p == n))
    else {
        return;
    };
    let pipeline = match pipeline {
        Ok(p) => p,
        Err(why) => {
            let note = format!("filter `{fname}` not re-applied: {why}");
            if !counts.unsupported.contains(&note) {
                counts.unsupported.push(note);
            }
            return;
        }
    };
    let Some(filtered) = pipeline.apply(&s.resps) else {
        return;
    };
    counts.filtered += 1;
    if filtered != s.filtered_resps {
        findings.push(Finding {
            text: None,
            record: s.record,
            id: s.doc_id.clone(),
            field: format!("{file}: filtered_resps ({fname})"),
            claimed: Value::Array(s.filtered_resps.clone()).to_string(),
            recomputed: Value::Array(filtered.clone()).to_string(),
            severity: Severity::Differs,
            reason: format!(
                "the `{fname}` filter applied to the logged resps gives another answer"
            ),
        });
    }
    let (Some(Ok(em)), Some(logged), Some(pred), Some(target)) = (
        &cfg.exact_match,
        s.metrics.get("exact_match").and_then(number),
        filtered.first().and_then(Value::as_str),
        s.target.as_str(),
    ) else {
        return;
    };
    if cfg.custom_process_results {
        return;
    }
    counts.scored += 1;
    let again = em.score(pred, target);
    if again != logged {
        findings.push(Finding {
            text: None,
            record: s.record,
            id: s.doc_id.clone(),
            field: format!("{file}: exact_match ({fname})"),
            claimed: logged.to_string(),
            recomputed: again.to_string(),
            severity: Severity::Differs,
            reason: format!("exact_match of the filtered answer {pred:?} against the target"),
        });
    }
}

/// The multiple-choice metrics of one sample, recomputed from `filtered_resps`.
fn mc_metrics(s: &Sample, cfg: &TaskConfig) -> Result<BTreeMap<&'static str, f64>, String> {
    let mutual = s.metrics.contains_key("acc_mutual_info");
    let n_req = s.filtered_resps.len();
    let n = if mutual { n_req / 2 } else { n_req };
    if n == 0 || s.arguments.len() != n_req {
        return Err(format!(
            "{n_req} responses for {} requests",
            s.arguments.len()
        ));
    }
    // With mutual information every choice has a conditional and an unconditional (empty-context)
    // request: v0.4.7+ logs all conditional ones first, earlier versions alternate them.
    let context = |i: usize| s.arguments[i].first().and_then(Value::as_str);
    let interleaved = mutual && n_req >= 2 && context(1) == Some("") && context(0) != Some("");
    let conditional: Vec<usize> = if interleaved {
        (0..n).map(|i| 2 * i).collect()
    } else {
        (0..n).collect()
    };
    let lls = conditional
        .iter()
        .map(|&i| &s.filtered_resps[i])
        .map(|r| match r {
            Value::Array(pair) => pair.first().and_then(number),
            other => number(other),
        })
        .collect::<Option<Vec<f64>>>()
        .ok_or("a log-likelihood is not a number")?;
    let conts = conditional
        .iter()
        .map(|&i| s.arguments[i].get(1).and_then(Value::as_str))
        .collect::<Option<Vec<&str>>>()
        .ok_or("a request's continuation is not text")?;
    let gold = match &s.target {
        Value::Number(x) => x.as_u64().map(|g| g as usize),
        Value::String(t) => t.trim().parse().ok().or_else(|| {
            conts
                .iter()
                .position(|c| c.strip_prefix(cfg.target_delimiter.as_str()).unwrap_or(c) == t)
        }),
        _ => None,
    }
    .filter(|g| *g < n)
    .ok_or("the target is not a choice index or a choice")?;
    let lens: Vec<f64> = conts
        .iter()
        .map(|c| {
            c.strip_prefix(cfg.target_delimiter.as_str())
                .unwrap_or(c)
                .chars()
                .count() as f64
        })
        .collect();
    let norm: Vec<f64> = lls.iter().zip(&lens).map(|(l, n)| l / n).collect();
    let hit = |i: Option<usize>| f64::from(u8::from(i == Some(gold)));
    let mut out = BTreeMap::from([("acc", hit(argmax(&lls))), ("acc_norm", hit(argmax(&norm)))]);
    if mutual {
        // the unconditional request of choice i: right after it (before v0.4.7) or after all of them
        let unconditional = (0..n)
            .map(|i| if interleaved { 2 * i + 1 } else { n + i })
            .map(|i| match &s.filtered_resps[i] {
                Value::Array(pair) => pair.first().and_then(number),
                other => number(other),
            })
            .collect::<Option<Vec<f64>>>()
            .ok_or("an unconditional log-likelihood is not a number")?;
        let mi: Vec<f64> = lls.iter().zip(&unconditional).map(|(c, u)| c - u).collect();
        out.insert("acc_mutual_info", hit(argmax(&mi)));
    }
    Ok(out)
}

fn mean_and_stderr(xs: &[f64]) -> (f64, Option<f64>) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, None);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, Some(var.sqrt() / n.sqrt()))
}

/// One value of a group's member for `metric,filter` and its size: a task's value from the results
/// file with its number of docs, or a subgroup's value with the docs of its members that report it.
fn member_value(
    results: &Results,
    member: &str,
    key: &str,
    sizes: &BTreeMap<String, usize>,
    depth: usize,
) -> Result<Option<(f64, f64, usize)>, String> {
    let Some(r) = results.results.get(member) else {
        return Ok(None);
    };
    let Some(v) = r.get(key).and_then(number) else {
        return Ok(None);
    };
    let (metric, filter) = key.split_once(',').unwrap_or((key, "none"));
    let se = r
        .get(&format!("{metric}_stderr,{filter}"))
        .and_then(number)
        .unwrap_or(f64::NAN);
    let n = match results.group_subtasks.get(member) {
        Some(members) if depth < 8 => {
            let mut n = 0;
            for m in members {
                if let Some((_, _, k)) = member_value(results, m, key, sizes, depth + 1)? {
                    n += k;
                }
            }
            n
        }
        Some(_) => return Err("groups nest too deep".to_owned()),
        None => *sizes.get(member).ok_or_else(|| {
            format!("the number of docs of `{member}` is unknown (no n-samples and no sample log)")
        })?,
    };
    Ok(Some((v, se, n)))
}

/// Recompute a group's `metric,filter` (and its stderr) from its members' values in the results file,
/// as lm-eval's `consolidate_group_results`: the mean weighted by the members' sizes (or, with
/// `weight_by_size: false`, unweighted: the results file does not say which, so either matches and the
/// detail says which), the pooled sample stderr, and the `sample_count` (v0.4.3+).
fn group_checks(
    results: &Results,
    group: &str,
    metric: &str,
    filter: &str,
    claimed: f64,
    sizes: &BTreeMap<String, usize>,
) -> Vec<Check> {
    let key = format!("{metric},{filter}");
    let base = |m: &str, claimed: f64| {
        Check::claimed_in(group, m, claimed, &results.file, "not recomputed")
    };
    let not_checkable = |why: String| {
        let mut c = base(&key, claimed);
        c.status = Status::NotCheckable { reason: why };
        vec![c]
    };
    let Some(members) = results.group_subtasks.get(group) else {
        return not_checkable("the results file does not list the group's subtasks".to_owned());
    };
    let mut parts = Vec::new();
    for m in members {
        match member_value(results, m, &key, sizes, 0) {
            Ok(Some(p)) => parts.push(p),
            Ok(None) => {}
            Err(why) => return not_checkable(why),
        }
    }
    if parts.is_empty() {
        return not_checkable(format!("no subtask of `{group}` reports `{key}`"));
    }
    let total: usize = parts.iter().map(|p| p.2).sum();
    let by_size: Vec<(usize, f64)> = parts.iter().map(|p| (p.2, p.0)).collect();
    let Ok(weighted) = stats::group_mean(&by_size) else {
        return not_checkable(format!("the subtasks of `{group}` have no docs"));
    };
    let unweighted = parts.iter().map(|p| p.0).sum::<f64>() / parts.len() as f64;
    let mut out = Vec::new();
    let mut c = base(&key, claimed);
    c.n = total;
    let w = Recomputed::Value { value: weighted };
    c.status = Status::of(claimed, &w, MEAN_TOLERANCE);
    c.detail = Some(format!(
        "size-weighted mean of {} subtask value(s) in the results file (each checked on its own)",
        parts.len()
    ));
    if c.status == Status::Differs
        && Status::of(
            claimed,
            &Recomputed::Value { value: unweighted },
            MEAN_TOLERANCE,
        ) != Status::Differs
    {
        c.status = Status::Match {
            tolerance: MEAN_TOLERANCE,
        };
        c.recomputed = Recomputed::Value { value: unweighted };
        c.detail = Some(format!(
            "unweighted mean of {} subtask value(s) (the group's weight_by_size: false)",
            parts.len()
        ));
    } else {
        c.recomputed = w;
    }
    out.push(c);
    let skey = format!("{metric}_stderr,{filter}");
    if let Some(claimed_se) = results
        .results
        .get(group)
        .and_then(|r| r.get(&skey))
        .and_then(number)
    {
        let ses: Vec<(usize, f64)> = parts.iter().map(|p| (p.2, p.1)).collect();
        let mut c = base(&skey, claimed_se);
        c.n = total;
        match stats::pooled_stderr(&ses) {
            Ok(se) => {
                c.recomputed = Recomputed::Value { value: se };
                c.status = Status::of(claimed_se, &c.recomputed, STDERR_TOLERANCE);
                c.detail = Some(
                    "pooled sample stderr of the subtasks (lm-eval's pooled_sample_stderr)"
                        .to_owned(),
                );
            }
            Err(e) => {
                c.status = Status::NotCheckable {
                    reason: format!("the subtasks' stderrs cannot be pooled: {e}"),
                };
            }
        }
        out.push(c);
    }
    if let Some(count) = results
        .results
        .get(group)
        .and_then(|r| r.get("sample_count"))
        .and_then(|c| c.get(&key))
        .and_then(number)
    {
        let mut c = base(&format!("sample_count,{filter}"), count);
        c.metric = format!("sample_count[{key}]");
        c.n = total;
        c.recomputed = Recomputed::Value {
            value: total as f64,
        };
        c.status = Status::of(count, &c.recomputed, 0.0);
        out.push(c);
    }
    out
}

/// What a sample leaves behind once its own checks are done: what the aggregates need.
#[derive(Debug)]
struct Row {
    doc_id: String,
    filter: Option<String>,
    metrics: BTreeMap<String, Value>,
}

/// The most findings of one sample log that carry the logged text (the drill-down), so a log where every
/// sample differs still verifies in bounded memory; later findings name their record only.
pub const MAX_FINDING_TEXTS: usize = 1000;

/// One task's sample log, checked sample by sample as it is read.
struct TaskLog {
    file: String,
    rows: Vec<Row>,
    findings: Vec<Finding>,
    /// sha256 of the concatenated logged hashes, in file order (`task_hashes`)
    task_hash: Sha256,
    all_hashed: bool,
    counts: GenCounts,
    /// lines seen per doc (a line's filter before v0.4.7)
    lines_of_doc: BTreeMap<String, usize>,
    texts: usize,
}

impl TaskLog {
    fn new(file: &str) -> Self {
        TaskLog {
            file: file.to_owned(),
            rows: Vec::new(),
            findings: Vec::new(),
            task_hash: Sha256::new(),
            all_hashed: true,
            counts: GenCounts::default(),
            lines_of_doc: BTreeMap::new(),
            texts: 0,
        }
    }

    /// The per-sample re-checks of one sample: its hashes, its IFEval verdicts, its filters and
    /// `exact_match`, its multiple-choice metrics; then only its [`Row`] is kept.
    fn add(&mut self, s: Sample, cfg: &TaskConfig) {
        let file = self.file.as_str();
        let findings = &mut self.findings;
        let first_finding = findings.len();
        if let [Some(dh), Some(ph), Some(th)] = &s.hashes {
            self.task_hash.update(dh.as_bytes());
            self.task_hash.update(ph.as_bytes());
            self.task_hash.update(th.as_bytes());
            let doc = s.doc_json.as_deref().map(crate::pyjson::dumps_indent2);
            let prompt = s
                .arguments
                .first()
                .and_then(|a| a.first())
                .and_then(Value::as_str);
            let recomputed = [
                match doc {
                    Some(Ok(d)) => Some(sha256_hex(&d)),
                    _ => None,
                },
                prompt.map(sha256_hex),
                python_str(&s.target).map(|t| sha256_hex(&t)),
            ];
            for ((name, logged), got) in ["doc_hash", "prompt_hash", "target_hash"]
                .iter()
                .zip([dh, ph, th])
                .zip(recomputed)
            {
                match got {
                    Some(g) if &g == logged => {}
                    Some(g) => findings.push(Finding {
                        text: None,
                        record: s.record,
                        id: s.doc_id.clone(),
                        field: format!("{file}: {name}"),
                        claimed: logged.clone(),
                        recomputed: g,
                        severity: Severity::Differs,
                        reason: format!("the logged {name} is not the hash of the logged content"),
                    }),
                    None => findings.push(Finding {
                        text: None,
                        record: s.record,
                        id: s.doc_id.clone(),
                        field: format!("{file}: {name}"),
                        claimed: logged.clone(),
                        recomputed: "—".to_owned(),
                        severity: Severity::NotCheckable,
                        reason: format!(
                            "{name} cannot be recomputed from this record (its content is not plain text)"
                        ),
                    }),
                }
            }
        } else {
            self.all_hashed = false;
        }
        if s.metrics.contains_key("prompt_level_strict_acc")
            || s.metrics.contains_key("inst_level_strict_acc")
        {
            ifeval_findings(&s, file, findings, &mut self.counts);
        }
        if cfg.output_type.as_deref() == Some("generate_until") {
            let nth = {
                let k = self.lines_of_doc.entry(s.doc_id.clone()).or_insert(0);
                *k += 1;
                *k - 1
            };
            generation_findings(&s, cfg, file, nth, findings, &mut self.counts);
        }
        if cfg.output_type.as_deref() == Some("multiple_choice")
            && !cfg.custom_process_results
            && ["acc", "acc_norm", "acc_mutual_info"]
                .iter()
                .any(|m| s.metrics.contains_key(*m))
        {
            match mc_metrics(&s, cfg) {
                Ok(got) => {
                    for (m, v) in got {
                        let Some(logged) = s.metrics.get(m).and_then(number) else {
                            continue;
                        };
                        if logged != v {
                            findings.push(Finding {
                                text: None,
                                record: s.record,
                                id: s.doc_id.clone(),
                                field: format!("{file}: {m}"),
                                claimed: logged.to_string(),
                                recomputed: v.to_string(),
                                severity: Severity::Differs,
                                reason: format!("{m} recomputed from the logged log-likelihoods"),
                            });
                        }
                    }
                }
                Err(why) => findings.push(Finding {
                    text: None,
                    record: s.record,
                    id: s.doc_id.clone(),
                    field: format!("{file}: acc"),
                    claimed: "—".to_owned(),
                    recomputed: "—".to_owned(),
                    severity: Severity::NotCheckable,
                    reason: format!("multiple-choice metrics not recomputed: {why}"),
                }),
            }
        }
        // the logged prompt and response behind this sample's findings, for the drill-down
        if findings.len() > first_finding && self.texts < MAX_FINDING_TEXTS {
            let text = Finding::cut(&sample_text(&s));
            for f in &mut findings[first_finding..] {
                if f.text.is_none() && self.texts < MAX_FINDING_TEXTS {
                    f.text = Some(text.clone());
                    self.texts += 1;
                }
            }
        }
        self.rows.push(Row {
            doc_id: s.doc_id,
            filter: s.filter,
            metrics: s.metrics,
        });
    }
}

/// One run being verified: its results file, and the sample logs of its tasks, each checked as it is
/// streamed in ([`Run::add_samples`]) and kept as compact rows until [`Run::finish`] recomputes the
/// aggregates. Memory grows with the number of samples (a few hundred bytes each), not with the size
/// of the logs (docs, prompts and responses are dropped once checked).
pub struct Run<'r> {
    results: &'r Results,
    logs: BTreeMap<String, TaskLog>,
    notes: Vec<String>,
}

impl<'r> Run<'r> {
    /// A run with no sample logs yet.
    pub fn new(results: &'r Results) -> Self {
        Run {
            results,
            logs: BTreeMap::new(),
            notes: Vec::new(),
        }
    }

    /// The results file's name.
    pub fn file(&self) -> String {
        self.results.file.clone()
    }

    /// The task a sample log belongs to: the longest task name its file name holds.
    fn task_of(&self, name: &str) -> Option<String> {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let stem = base
            .strip_suffix(".jsonl")
            .or_else(|| base.strip_suffix(".json"))
            .unwrap_or(base);
        self.results
            .results
            .keys()
            .filter(|t| {
                stem.strip_prefix("samples_")
                    .is_some_and(|r| r.starts_with(&format!("{t}_")))
                    || stem.ends_with(&format!("_{t}"))
            })
            .max_by_key(|t| t.len())
            .cloned()
    }

    /// Read one sample log from `reader` (see [`read_samples_from`]) and check each sample as it
    /// comes. On an error nothing of the file is kept.
    pub fn add_samples<R: std::io::BufRead>(
        &mut self,
        name: &str,
        reader: R,
    ) -> Result<(), VerifyError> {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let Some(task) = self.task_of(name) else {
            // still read to the end: a malformed file is an error whatever it is for
            read_samples_from(reader, name, |_| Ok(()))?;
            self.notes.push(format!(
                "{base}: no task of {} matches this sample file",
                self.results.file
            ));
            return Ok(());
        };
        let cfg = self.results.configs.get(&task).cloned().unwrap_or_default();
        let mut log = TaskLog::new(name);
        read_samples_from(reader, name, |s| {
            log.add(s, &cfg);
            Ok(())
        })?;
        if self.logs.insert(task.clone(), log).is_some() {
            self.notes.push(format!(
                "two sample files for task `{task}`; the last one ({base}) was used"
            ));
        }
        Ok(())
    }

    /// Recompute every aggregate from the rows and compare it with the results file.
    pub fn finish(self, claims: &mut ClaimBook) -> Report {
        let Run {
            results,
            logs,
            mut notes,
        } = self;
        let mut checks = Vec::new();
        let mut findings = Vec::new();
        let mut items = 0;
        // the number of docs of each task: `n-samples` (v0.4.3+), else the distinct docs of its samples
        let mut sizes: BTreeMap<String, usize> = results.n_samples.clone();
        for (task, log) in &logs {
            sizes.entry(task.clone()).or_insert_with(|| {
                log.rows
                    .iter()
                    .map(|s| s.doc_id.as_str())
                    .collect::<std::collections::BTreeSet<_>>()
                    .len()
            });
        }
        let mut logs = logs;
        for (task, claimed) in &results.results {
            let is_group = results.groups.contains(task) || claimed.contains_key("sample_count");
            let not_checkable = |metric: &str, value: f64, reason: &str| {
                Check::claimed_in(task, metric, value, &results.file, reason)
            };
            let entry = logs.get_mut(task.as_str());
            let cfg = results.configs.get(task).cloned().unwrap_or_default();
            if let Some(log) = entry {
                items += log.rows.len();
                findings.append(&mut log.findings);
                let counts = &log.counts;
                if counts.ifeval > 0 {
                    notes.push(format!(
                        "{task}: {} IFEval response(s) re-checked instruction by instruction (strict and loose)",
                        counts.ifeval
                    ));
                }
                if counts.filtered + counts.scored > 0 {
                    notes.push(format!(
                        "{task}: {} filtered response(s) re-derived from `resps` with the task's filter_list, {} exact_match score(s) re-scored",
                        counts.filtered, counts.scored
                    ));
                }
                for why in &counts.unsupported {
                    notes.push(format!("{task}: {why}"));
                }
                match results.task_hashes.get(task) {
                    Some(h) if log.all_hashed => {
                        let got = hex_digest(log.task_hash.clone());
                        checks.push(Check {
                            scope: task.clone(),
                            metric: "task_hash".to_owned(),
                            n: log.rows.len(),
                            claimed: None,
                            claimed_from: Some(format!("{}: task_hashes {h}", results.file)),
                            status: if &got == h {
                                Status::Match { tolerance: 0.0 }
                            } else {
                                Status::Differs
                            },
                            detail: None,
                            recomputed: Recomputed::Hash { value: got },
                        });
                    }
                    Some(_) => notes.push(format!(
                        "{task}: task_hashes given but some samples carry no hashes"
                    )),
                    None => {}
                }
            }
            let entry = logs.get(task.as_str()).map(|l| &l.rows);
            for (key, value) in claimed {
                let Some((metric, filter)) = key.split_once(',') else {
                    continue;
                };
                if metric.ends_with("_stderr") {
                    continue;
                }
                let Some(value) = number(value) else { continue };
                if is_group {
                    checks.extend(group_checks(results, task, metric, filter, value, &sizes));
                    continue;
                }
                let Some(ss) = entry else {
                    checks.push(not_checkable(
                        key,
                        value,
                        "no sample log of this task among the files",
                    ));
                    continue;
                };
                let agg = cfg.aggregation.get(metric).map(String::as_str);
                // IFEval's instruction-level aggregation is logged as its Python source
                let inst_level = agg.is_some_and(|a| a.contains("def agg_inst_level_acc"));
                if !inst_level && !matches!(agg, Some("mean" | "matthews_corrcoef" | "f1")) {
                    let why = match agg {
                        Some(a) => format!("aggregation `{a}` is not recomputed yet"),
                        None => {
                            "the results file does not give this metric's aggregation".to_owned()
                        }
                    };
                    checks.push(not_checkable(key, value, &why));
                    continue;
                }
                let filters: Vec<&str> = claimed
                    .keys()
                    .filter_map(|k| k.split_once(','))
                    .filter(|(m, _)| *m == metric)
                    .map(|(_, f)| f)
                    .collect();
                // Before v0.4.7 a line does not name its filter: lm-eval writes each doc once per filter,
                // in the order of the task's filter_list, so the k-th line of a doc is the k-th filter.
                let position = cfg.filters.iter().position(|f| f == filter);
                let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
                let rows: Vec<&Row> = ss
                    .iter()
                    .filter(|s| match &s.filter {
                        Some(f) => f == filter,
                        None if filters.len() == 1 => true,
                        None => {
                            let k = seen.entry(s.doc_id.as_str()).or_insert(0);
                            *k += 1;
                            position == Some(*k - 1) && cfg.filters.len() == filters.len()
                        }
                    })
                    .collect();
                if rows.is_empty() {
                    checks.push(not_checkable(
                        key,
                        value,
                        "the sample lines do not name their filter (before v0.4.7) and the task has several",
                    ));
                    continue;
                }
                if let Some(agg @ ("matthews_corrcoef" | "f1")) = agg {
                    let skey = format!("{metric}_stderr,{filter}");
                    checks.extend(pair_metric_checks(
                        task,
                        key,
                        value,
                        claimed.get(&skey).and_then(number).map(|se| (skey, se)),
                        agg,
                        &rows,
                        results,
                    ));
                    continue;
                }
                let xs: Option<Vec<f64>> = if inst_level {
                    // agg_inst_level_acc: the mean over every instruction of every sample
                    rows.iter()
                        .map(|s| match s.metrics.get(metric) {
                            Some(Value::Array(a)) => a
                                .iter()
                                .map(|x| {
                                    x.as_bool()
                                        .map(|b| f64::from(u8::from(b)))
                                        .or_else(|| number(x))
                                })
                                .collect::<Option<Vec<f64>>>(),
                            _ => None,
                        })
                        .collect::<Option<Vec<Vec<f64>>>>()
                        .map(|v| v.concat())
                } else {
                    rows.iter()
                        .map(|s| s.metrics.get(metric).and_then(number))
                        .collect()
                };
                let Some(xs) = xs else {
                    checks.push(not_checkable(
                        key,
                        value,
                        "a sample lacks a numeric value of this metric",
                    ));
                    continue;
                };
                let (mean, stderr) = mean_and_stderr(&xs);
                checks.push(Check {
                    scope: task.clone(),
                    metric: key.clone(),
                    n: xs.len(),
                    claimed: Some(value),
                    claimed_from: Some(results.file.clone()),
                    status: Status::of(value, &Recomputed::Value { value: mean }, MEAN_TOLERANCE),
                    recomputed: Recomputed::Value { value: mean },
                    detail: None,
                });
                let skey = format!("{metric}_stderr,{filter}");
                if let (Some(claimed_se), Some(se)) = (claimed.get(&skey).and_then(number), stderr)
                {
                    checks.push(Check {
                        scope: task.clone(),
                        metric: skey,
                        n: xs.len(),
                        claimed: Some(claimed_se),
                        claimed_from: Some(results.file.clone()),
                        status: Status::of(
                            claimed_se,
                            &Recomputed::Value { value: se },
                            STDERR_TOLERANCE,
                        ),
                        recomputed: Recomputed::Value { value: se },
                        detail: None,
                    });
                }
            }
        }
        if crate::open_llm::applies(results) {
            checks.extend(crate::open_llm::checks(results, claims));
        }
        let mut report = Report {
            file: results.file.clone(),
            format: crate::Format::LmEvalResults.name().to_owned(),
            model: results.model.clone(),
            ok: false,
            verdict: String::new(),
            items_checked: items,
            checks,
            findings,
            notes,
            skipped: Vec::new(),
        };
        report.conclude();
        report
    }
}
