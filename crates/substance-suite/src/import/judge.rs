//! Judge-scored generate suites: MT-Bench and Arena-Hard-Auto questions. The suite only carries the
//! questions and the generation settings; the judging protocol (SPEC §2, §4) belongs to the judge crate,
//! named here by the scorer `mt_bench` / `arena_hard`.
//!
//! - **MT-Bench** (`question.jsonl`: `{question_id, category, turns, reference?}`): `input` = the first
//!   turn, `meta.turns` = all turns (the second turn needs the model's first answer, so it is run by the
//!   multi-turn driver, not by a static prompt), `meta.reference` when present, `group` = category, and
//!   `meta.temperature` = FastChat's per-category sampling temperature (writing/roleplay 0.7,
//!   stem/humanities 0.1, others 0); the suite-level temperature is 0 and a runner that honours FastChat's
//!   setting reads the item's. Chat, up to 1024 new tokens (FastChat's `max_new_token`).
//! - **Arena-Hard** questions in any of the three published layouts: v0.1 `{uid, category, cluster,
//!   prompt}`, the older v0.1 `{question_id, category, cluster, turns: [{content}]}` and v2.0 `{uid,
//!   category, subcategory, prompt}`. `id` = `uid` / `question_id`; `group` = v2's `subcategory` (which
//!   selects the baseline), else absent; `meta.category` and `meta.cluster` kept. Chat, up to 4096 new
//!   tokens, temperature 0.
//! - **AlpacaEval** `model_outputs.json` (a JSON array of `{instruction, output, generator, dataset}`,
//!   the layout of the eval set and of every model's outputs): the instructions become the items, `id`
//!   = the record's 0-based position (the format has none; AlpacaEval joins outputs on the instruction
//!   text, so an instruction given twice is refused), `group` = `dataset`; the recorded `output` is not
//!   used. Chat, up to 2048 new tokens, temperature 0. Scorer `alpaca_eval`: judged against a reference
//!   model's outputs by an annotator, afterwards.

use serde::Deserialize;
use serde_json::Value;
use substance_core::{OutputType, Suite};

use super::{ImportOptions, base_spec, finish, item, utf8};
use crate::SuiteError;
use crate::file::parse_jsonl_lines;

#[derive(Deserialize)]
struct MtRow {
    question_id: Value,
    category: String,
    turns: Vec<String>,
    #[serde(default)]
    reference: Option<Value>,
}

/// FastChat's answer temperature for an MT-Bench category.
pub fn mt_bench_temperature(category: &str) -> f64 {
    match category {
        "writing" | "roleplay" => 0.7,
        "stem" | "humanities" => 0.1,
        _ => 0.0,
    }
}

fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// MT-Bench `question.jsonl`.
pub fn import_mt_bench(
    bytes: &[u8],
    origin: &str,
    opts: &ImportOptions,
) -> Result<Suite, SuiteError> {
    let text = utf8(bytes, origin)?;
    let rows = parse_jsonl_lines::<MtRow>(text, origin)?;
    let mut items = Vec::with_capacity(rows.len());
    for (line, row) in rows {
        let id = id_string(&row.question_id).ok_or_else(|| {
            SuiteError::field_error(
                origin,
                Some(line),
                "question_id",
                "expected a number or a non-empty string",
            )
        })?;
        let first = row
            .turns
            .first()
            .cloned()
            .ok_or_else(|| SuiteError::field_error(origin, Some(line), "turns", "no turns"))?;
        let mut it = item(id, first);
        it.meta.insert(
            "turns".into(),
            Value::Array(row.turns.into_iter().map(Value::String).collect()),
        );
        if let Some(r) = row.reference {
            it.meta.insert("reference".into(), r);
        }
        if let Some(t) = serde_json::Number::from_f64(mt_bench_temperature(&row.category)) {
            it.meta.insert("temperature".into(), Value::Number(t));
        }
        it.meta
            .insert("category".into(), Value::String(row.category.clone()));
        it.group = Some(row.category);
        items.push(it);
    }
    judged_chat_suite(
        "mt-bench",
        "MT-Bench: 80 two-turn questions in 8 categories, answered in chat mode and graded 1-10 by an LLM judge (first turn here; the turns are in meta).",
        "mt_bench",
        1024,
        items,
        origin,
        opts,
    )
}

#[derive(Deserialize)]
struct Turn {
    content: String,
}

#[derive(Deserialize)]
struct ArenaRow {
    #[serde(default)]
    uid: Option<Value>,
    #[serde(default)]
    question_id: Option<Value>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    subcategory: Option<String>,
    #[serde(default)]
    cluster: Option<String>,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    turns: Option<Vec<Turn>>,
}

/// Arena-Hard `question.jsonl` (v0.1, old v0.1 or v2.0; detected per line).
pub fn import_arena_hard(
    bytes: &[u8],
    origin: &str,
    opts: &ImportOptions,
) -> Result<Suite, SuiteError> {
    let text = utf8(bytes, origin)?;
    let rows = parse_jsonl_lines::<ArenaRow>(text, origin)?;
    let mut items = Vec::with_capacity(rows.len());
    let mut v2 = false;
    let mut categories = std::collections::BTreeSet::new();
    for (line, row) in rows {
        let id = row
            .uid
            .as_ref()
            .or(row.question_id.as_ref())
            .and_then(id_string)
            .ok_or_else(|| {
                SuiteError::field_error(
                    origin,
                    Some(line),
                    "uid",
                    "no `uid` (v0.1/v2) or `question_id` (old v0.1)",
                )
            })?;
        let prompt = match (row.prompt, row.turns) {
            (Some(p), _) => p,
            (None, Some(turns)) => {
                turns.into_iter().next().map(|t| t.content).ok_or_else(|| {
                    SuiteError::field_error(origin, Some(line), "turns", "no turns")
                })?
            }
            (None, None) => {
                return Err(SuiteError::field_error(
                    origin,
                    Some(line),
                    "prompt",
                    "no `prompt` (v0.1/v2) or `turns` (old v0.1)",
                ));
            }
        };
        let mut it = item(id, prompt);
        if let Some(c) = &row.category {
            categories.insert(c.clone());
            it.meta.insert("category".into(), Value::String(c.clone()));
        }
        if let Some(c) = row.cluster {
            it.meta.insert("cluster".into(), Value::String(c));
        }
        if let Some(s) = row.subcategory {
            v2 = true;
            it.meta
                .insert("subcategory".into(), Value::String(s.clone()));
            it.group = Some(s);
        }
        items.push(it);
    }
    let name = if v2 {
        "arena-hard-v2"
    } else if categories.iter().any(|c| c == "arena-hard-v0.1") {
        "arena-hard-v01"
    } else {
        "arena-hard"
    };
    judged_chat_suite(
        name,
        "Arena-Hard-Auto questions, answered in chat mode and judged pairwise against a baseline by an LLM judge.",
        "arena_hard",
        4096,
        items,
        origin,
        opts,
    )
}

#[derive(Deserialize)]
struct AlpacaRow {
    instruction: String,
    #[serde(default)]
    dataset: Option<String>,
}

/// AlpacaEval `model_outputs.json` (or the eval set itself).
pub fn import_alpaca_eval(
    bytes: &[u8],
    origin: &str,
    opts: &ImportOptions,
) -> Result<Suite, SuiteError> {
    let text = utf8(bytes, origin)?;
    let Value::Array(rows) = substance_core::input::strict_value(text, origin, 1)? else {
        return Err(SuiteError::syntax(
            origin,
            Some(1),
            "expected a JSON array of {instruction, output, generator, dataset} records",
        ));
    };
    let mut items = Vec::with_capacity(rows.len());
    let mut seen = substance_core::input::UniqueKeys::new("instruction");
    for (i, row) in rows.into_iter().enumerate() {
        let Value::Object(map) = row else {
            return Err(SuiteError::field_error(
                origin,
                None,
                format!("[{i}]"),
                "a record is not an object",
            ));
        };
        let row: AlpacaRow = substance_core::input::from_object(map, origin, i + 1)?;
        if row.instruction.trim().is_empty() {
            return Err(SuiteError::field_error(
                origin,
                None,
                format!("[{i}].instruction"),
                "empty",
            ));
        }
        seen.insert(&row.instruction, origin, i + 1)?;
        let mut it = item(i.to_string(), row.instruction);
        if let Some(d) = row.dataset {
            it.meta.insert("dataset".into(), Value::String(d.clone()));
            it.group = Some(d);
        }
        items.push(it);
    }
    substance_core::input::require_records(items.len(), text, origin)?;
    judged_chat_suite(
        "alpaca-eval",
        "AlpacaEval instructions, answered in chat mode and judged against a reference model's outputs by an LLM annotator.",
        "alpaca_eval",
        2048,
        items,
        origin,
        opts,
    )
}

/// A judge-graded suite: chat generation of `{input}` up to `max_tokens`, scored by `scorer` afterwards.
fn judged_chat_suite(
    name: &str,
    description: &str,
    scorer: &str,
    max_tokens: usize,
    items: Vec<substance_core::Item>,
    origin: &str,
    opts: &ImportOptions,
) -> Result<Suite, SuiteError> {
    let mut spec = base_spec(
        name,
        description,
        OutputType::Generate,
        "{input}",
        &[scorer],
    );
    spec.prompt.chat = true;
    spec.generation.max_tokens = max_tokens;
    finish(
        Suite {
            spec,
            items,
            fewshot_pool: Vec::new(),
        },
        origin,
        opts,
    )
}

// ── answers, the other way: a run's generations as the benchmark's `model_answer` file ─────────────

/// The `model_answer` layout a judge-graded suite's answers are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerLayout {
    /// Arena-Hard-Auto (current v0.1 / v2 code): `{uid, ans_id, model, messages: [{role: "user",
    /// content}, {role: "assistant", content: {answer}}]}`.
    ArenaHard,
    /// FastChat MT-Bench: `{question_id, answer_id, model_id, choices: [{index: 0, turns: [answer]}]}` —
    /// the first turn only (the second needs a multi-turn run).
    MtBench,
    /// AlpacaEval `model_outputs.json`: one JSON array of `{instruction, output, generator, dataset}`.
    AlpacaEval,
}

impl AnswerLayout {
    /// The layout of a suite scored by `arena_hard` / `mt_bench` / `alpaca_eval`, else `None` (not
    /// judge-graded).
    pub fn of(scorers: &[String]) -> Option<AnswerLayout> {
        if scorers.iter().any(|s| s == "arena_hard") {
            Some(AnswerLayout::ArenaHard)
        } else if scorers.iter().any(|s| s == "mt_bench") {
            Some(AnswerLayout::MtBench)
        } else if scorers.iter().any(|s| s == "alpaca_eval") {
            Some(AnswerLayout::AlpacaEval)
        } else {
            None
        }
    }

    /// The file name the benchmark expects for `model`'s answers: `<model>.jsonl` in `model_answer/`,
    /// or AlpacaEval's `model_outputs.json`.
    pub fn file_name(self, model: &str) -> String {
        match self {
            AnswerLayout::ArenaHard | AnswerLayout::MtBench => format!("{model}.jsonl"),
            AnswerLayout::AlpacaEval => "model_outputs.json".to_owned(),
        }
    }
}

/// The `model_answer/<model>.jsonl` text of a run's generations: one line per answered item in receipt
/// order. `ans_id` is the start of the item line's digest, so the same receipt always gives the same
/// file; the upstream `tstamp` is left out (no reader of these files uses it, and the receipt header
/// keeps the run's time). AlpacaEval's layout is one JSON array instead of lines. An item whose
/// response is not a generation is an error naming it.
pub fn answers_jsonl(
    layout: AnswerLayout,
    model: &str,
    records: &[substance_core::ItemRecord],
) -> Result<String, SuiteError> {
    let mut out = String::new();
    let mut array = Vec::new();
    for r in records {
        let substance_core::Response::Generation { text, .. } = &r.response else {
            return Err(SuiteError::field_error(
                &format!("receipt item {}", r.id),
                None,
                "response",
                "not a generation: only a generate run's answers can be exported",
            ));
        };
        let ans_id: String = r.digest.chars().take(22).collect();
        let line = match layout {
            AnswerLayout::ArenaHard => serde_json::json!({
                "uid": r.id,
                "ans_id": ans_id,
                "model": model,
                "messages": [
                    {"role": "user", "content": r.item.input},
                    {"role": "assistant", "content": {"answer": text}},
                ],
            }),
            AnswerLayout::MtBench => serde_json::json!({
                "question_id": r.id.parse::<u64>().map_or_else(|_| Value::from(r.id.clone()), Value::from),
                "answer_id": ans_id,
                "model_id": model,
                "choices": [{"index": 0, "turns": [text]}],
            }),
            AnswerLayout::AlpacaEval => {
                let mut rec = serde_json::json!({
                    "instruction": r.item.input,
                    "output": text,
                    "generator": model,
                });
                if let Some(d) = r.item.meta.get("dataset") {
                    rec["dataset"] = d.clone();
                }
                array.push(rec);
                continue;
            }
        };
        out.push_str(&line.to_string());
        out.push('\n');
    }
    if !array.is_empty() {
        out = serde_json::to_string_pretty(&array).map_err(|e| {
            SuiteError::syntax("receipt", None, format!("cannot write the answers: {e}"))
        })?;
        out.push('\n');
    }
    if out.is_empty() {
        return Err(SuiteError::syntax(
            "receipt",
            None,
            "no answered items to export",
        ));
    }
    Ok(out)
}
