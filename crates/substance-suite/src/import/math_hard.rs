//! MATH level 5 as the Open LLM Leaderboard v2 runs it: lm-eval's `leaderboard_math_<subject>_hard`
//! (`tasks/leaderboard/math` at 74d23a67, the harness commit SOS-Bench's results name) on
//! `lighteval/MATH-Hard` (`problem`, `solution`, `level`, `type`; one subject per file, JSON or JSONL):
//! the prompt `"Problem:\n{problem}\n\nSolution:"` after the task's four fixed few-shot examples (each
//! followed by `" "` and its worked solution, then `"\n\n"`), greedy generation of up to 1024 tokens
//! until `Problem:`, scored by `exact_match_math_hard`.
//!
//! The target is what the task's `process_docs` computes: the last `\boxed{…}` of the solution, unboxed
//! and Minerva-normalised (`substance_metrics::extract`); a solution without a box is an error naming
//! the record (the harness would crash on it). The harness's prompt strings, few-shot examples and
//! generation settings are data, shipped in `data/leaderboard_math_hard.json` with their source and
//! licence, written from the task files by `scripts/math_hard_reference.py data`. The subject comes from
//! `--subject`, the file name (`algebra.jsonl`) or the records' `type`; a record of another subject is
//! an error. MATH-Hard holds Level 5 only; a record of another level (a full MATH file) is left out,
//! and the suite's description says how many.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;
use substance_core::{OutputType, Suite};
use substance_metrics::extract;

use super::{ImportOptions, base_spec, file_stem, finish, item, json_records, record_error, utf8};
use crate::SuiteError;

/// The shipped prompt strings (see the module doc).
const DATA: &str = include_str!("../../data/leaderboard_math_hard.json");

#[derive(Deserialize)]
struct Data {
    doc_to_text: [String; 2],
    num_fewshot: usize,
    target_delimiter: String,
    fewshot_delimiter: String,
    until: Vec<String>,
    max_gen_toks: usize,
    fewshot: Vec<Sample>,
    subtasks: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Sample {
    problem: String,
    solution: String,
}

static DATA_PARSED: OnceLock<Result<Data, String>> = OnceLock::new();

fn data() -> Result<&'static Data, SuiteError> {
    DATA_PARSED
        .get_or_init(|| serde_json::from_str(DATA).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| SuiteError::syntax("leaderboard_math_hard.json (shipped)", None, e.clone()))
}

/// The dataset's `type` of each subject (lighteval/MATH-Hard, as in the MATH release).
const TYPES: [(&str, &str); 7] = [
    ("algebra", "Algebra"),
    ("counting_and_prob", "Counting & Probability"),
    ("geometry", "Geometry"),
    ("intermediate_algebra", "Intermediate Algebra"),
    ("num_theory", "Number Theory"),
    ("prealgebra", "Prealgebra"),
    ("precalculus", "Precalculus"),
];

/// The seven subjects (lm-eval's dataset names).
pub fn subjects() -> Vec<&'static str> {
    TYPES.iter().map(|(s, _)| *s).collect()
}

fn str_field<'a>(
    m: &'a serde_json::Map<String, Value>,
    key: &str,
    origin: &str,
    record: usize,
) -> Result<&'a str, SuiteError> {
    match m.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(record_error(origin, record, key, "expected a string")),
        None => Err(record_error(origin, record, key, "missing")),
    }
}

/// The target of a solution as the task's `process_docs` computes it; `None` when it has no box.
pub fn gold_answer(solution: &str) -> Option<String> {
    let boxed = extract::last_boxed_only_string(solution)?;
    Some(extract::normalize_final_answer(&extract::remove_boxed(
        &boxed,
    )?))
}

/// Import one MATH-Hard subject file.
pub fn import(bytes: &[u8], origin: &str, opts: &ImportOptions) -> Result<Suite, SuiteError> {
    let d = data()?;
    let records = json_records(utf8(bytes, origin)?, origin)?;
    if records.is_empty() {
        return Err(SuiteError::syntax(origin, None, "no records"));
    }
    let known = |s: &str| TYPES.iter().find(|(name, _)| *name == s).copied();
    let (subject, type_name) = match opts.subject.as_deref() {
        Some(s) => known(s).ok_or_else(|| {
            SuiteError::syntax(
                origin,
                None,
                format!(
                    "--subject {s} is not a MATH-hard subject ({})",
                    subjects().join(", ")
                ),
            )
        })?,
        None => match known(file_stem(origin)) {
            Some(t) => t,
            None => {
                let (line, first) = &records[0];
                let ty = str_field(first, "type", origin, *line)?;
                TYPES.iter().find(|(_, t)| *t == ty).copied().ok_or_else(|| {
                    record_error(
                        origin,
                        *line,
                        "type",
                        format!(
                            "`{ty}` is not a MATH subject; name the file after one ({}) or give --subject",
                            subjects().join(", ")
                        ),
                    )
                })?
            }
        },
    };
    let task = d.subtasks.get(subject).ok_or_else(|| {
        SuiteError::syntax(
            origin,
            None,
            format!("the shipped data has no subject {subject}"),
        )
    })?;
    let mut items = Vec::new();
    let mut other_levels = BTreeMap::<String, usize>::new();
    for (i, (line, rec)) in records.iter().enumerate() {
        if let Some(ty) = rec.get("type") {
            if ty.as_str() != Some(type_name) {
                return Err(record_error(
                    origin,
                    *line,
                    "type",
                    format!("{ty} in a {subject} file (one subject per file: `{type_name}`)"),
                ));
            }
        }
        if let Some(level) = rec.get("level") {
            let level = level
                .as_str()
                .ok_or_else(|| record_error(origin, *line, "level", "expected a string"))?;
            if level != "Level 5" {
                *other_levels.entry(level.to_owned()).or_default() += 1;
                continue;
            }
        }
        let problem = str_field(rec, "problem", origin, *line)?;
        let solution = str_field(rec, "solution", origin, *line)?;
        let gold = gold_answer(solution).ok_or_else(|| {
            record_error(
                origin,
                *line,
                "solution",
                "no \\boxed{…} answer to take the target from",
            )
        })?;
        let mut it = item(format!("{subject}-{i}"), problem.to_owned());
        it.target = Some(gold);
        it.meta
            .insert("solution".into(), Value::String(solution.to_owned()));
        items.push(it);
    }
    if items.is_empty() {
        return Err(SuiteError::syntax(
            origin,
            None,
            "no Level 5 record (MATH-hard is MATH's level 5)",
        ));
    }
    let pool = d
        .fewshot
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut it = item(format!("{subject}-fewshot-{i}"), s.problem.clone());
            it.target = Some(s.solution.clone());
            it
        })
        .collect();
    let mut description = format!(
        "MATH level 5, {type_name}, as the Open LLM Leaderboard v2 runs it (lm-eval {task}, harness 74d23a67): {}-shot generation, exact match as sympy would decide it (items that need a computer-algebra system are not computed: exact_match_not_computed)",
        d.num_fewshot
    );
    if !other_levels.is_empty() {
        let left: Vec<String> = other_levels
            .iter()
            .map(|(l, n)| format!("{n} × {l}"))
            .collect();
        description.push_str(&format!(
            ". Left out, not level 5: {} ({} records)",
            left.join(", "),
            other_levels.values().sum::<usize>()
        ));
    }
    let template = format!("{}{{input}}{}", d.doc_to_text[0], d.doc_to_text[1]);
    let mut spec = base_spec(
        task,
        &description,
        OutputType::Generate,
        &template,
        &["exact_match_math_hard"],
    );
    spec.prompt.target_delimiter = d.target_delimiter.clone();
    spec.prompt.fewshot_delimiter = d.fewshot_delimiter.clone();
    spec.fewshot.n = d.num_fewshot;
    spec.generation.max_tokens = d.max_gen_toks;
    spec.generation.stop = d.until.clone();
    spec.generation.temperature = 0.0;
    finish(
        Suite {
            spec,
            items,
            fewshot_pool: pool,
        },
        origin,
        opts,
    )
}
