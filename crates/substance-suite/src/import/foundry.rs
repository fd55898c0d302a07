//! llm-foundry ICL JSONL files (ARC, PIQA, BoolQ, any `query/choices/gold` task, WinoGrande).
//!
//! llm-foundry stores a pre-rendered `query`; these importers undo its prefixes so that the prompt is
//! byte-for-byte lm-eval's:
//!
//! | task | foundry `query` | lm-eval `doc_to_text` | here: `input` / template |
//! |---|---|---|---|
//! | ARC | `Question: {q}` | `Question: {q}\nAnswer:` | `{q}` / `Question: {input}\nAnswer:` |
//! | PIQA | `Question: {goal}\n` | `Question: {goal}\nAnswer:` | `{goal}` / `Question: {input}\nAnswer:` |
//! | BoolQ | `Passage: {p}\nQuestion: {q}?` | `{p}\nQuestion: {q}?\nAnswer:` | `{p}\nQuestion: {q}?` / `{input}\nAnswer:` |
//!
//! Choices are the answer texts (ARC, PIQA) or `no`/`yes` (BoolQ), each sent as `" " + choice`.
//!
//! **WinoGrande** is *partial scoring* in lm-eval: the two options differ in the context
//! (`"… so Sarah"` vs `"… so Maria"`) and share the continuation (`"always got the easier cases."`); the
//! model scores `(context_i, " " + continuation)` and only the continuation's tokens count. The importer
//! represents this faithfully: `choices` = the per-option contexts (lm-eval's `doc_to_choice`, also what
//! `acc_norm` would length-normalise by), `input` = the shared continuation, `gold` = the right option,
//! and `meta.scoring = "partial"`. [`crate::build_requests`] produces lm-eval's exact requests;
//! [`crate::build_prompt`] reports that the core `Prompt` type cannot carry per-choice contexts.

use serde::Deserialize;
use substance_core::{Item, OutputType, Suite};

use super::{ImportOptions, base_spec, file_stem, finish, item, utf8};
use crate::SuiteError;
use crate::file::parse_jsonl_lines;
use crate::prompt::{PARTIAL_SCORING, SCORING_KEY};

#[derive(Deserialize)]
struct McRow {
    query: String,
    choices: Vec<String>,
    gold: Gold,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Gold {
    One(usize),
    Many(Vec<usize>),
}

impl Gold {
    fn to_vec(&self) -> Vec<usize> {
        match self {
            Gold::One(g) => vec![*g],
            Gold::Many(g) => g.clone(),
        }
    }
}

fn parse_mc(
    bytes: &[u8],
    origin: &str,
    id_prefix: &str,
    map_query: impl Fn(&str) -> String,
) -> Result<Vec<Item>, SuiteError> {
    let text = utf8(bytes, origin)?;
    let rows = parse_jsonl_lines::<McRow>(text, origin)?;
    let mut out = Vec::with_capacity(rows.len());
    for (i, (line, row)) in rows.into_iter().enumerate() {
        let gold = row.gold.to_vec();
        if let Some(g) = gold.iter().find(|g| **g >= row.choices.len()) {
            return Err(SuiteError::field_error(
                origin,
                Some(line),
                "gold",
                format!(
                    "index {g} is out of range for {} choices",
                    row.choices.len()
                ),
            ));
        }
        let mut it = item(format!("{id_prefix}{i}"), map_query(&row.query));
        it.choices = row.choices;
        it.gold = gold;
        out.push(it);
    }
    Ok(out)
}

fn mc_suite(
    items: Vec<Item>,
    name: &str,
    description: &str,
    template: &str,
    scorers: &[&str],
    origin: &str,
    opts: &ImportOptions,
) -> Result<Suite, SuiteError> {
    let spec = base_spec(
        name,
        description,
        OutputType::MultipleChoice,
        template,
        scorers,
    );
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

fn default_name(origin: &str, fallback: &str) -> String {
    let stem = file_stem(origin);
    if stem.is_empty() {
        fallback.to_owned()
    } else {
        stem.to_owned()
    }
}

/// ARC (easy or challenge; the name comes from the file, e.g. `arc_challenge`). acc, acc_norm.
pub fn import_arc(bytes: &[u8], origin: &str, opts: &ImportOptions) -> Result<Suite, SuiteError> {
    let name = default_name(origin, "arc");
    let items = parse_mc(bytes, origin, &format!("{name}-"), |q| {
        q.strip_prefix("Question: ").unwrap_or(q).to_owned()
    })?;
    mc_suite(
        items,
        &name,
        "AI2 Reasoning Challenge, lm-eval format: \"Question: ...\\nAnswer:\", answer texts scored by log-likelihood (acc, acc_norm).",
        "Question: {input}\nAnswer:",
        &["acc", "acc_norm"],
        origin,
        opts,
    )
}

/// PIQA. acc, acc_norm.
pub fn import_piqa(bytes: &[u8], origin: &str, opts: &ImportOptions) -> Result<Suite, SuiteError> {
    let items = parse_mc(bytes, origin, "piqa-", |q| {
        let q = q.strip_prefix("Question: ").unwrap_or(q);
        q.strip_suffix('\n').unwrap_or(q).to_owned()
    })?;
    mc_suite(
        items,
        "piqa",
        "Physical Interaction QA, lm-eval format: \"Question: {goal}\\nAnswer:\", the two solutions scored by log-likelihood (acc, acc_norm).",
        "Question: {input}\nAnswer:",
        &["acc", "acc_norm"],
        origin,
        opts,
    )
}

/// BoolQ. acc.
pub fn import_boolq(bytes: &[u8], origin: &str, opts: &ImportOptions) -> Result<Suite, SuiteError> {
    let items = parse_mc(bytes, origin, "boolq-", |q| {
        q.strip_prefix("Passage: ").unwrap_or(q).to_owned()
    })?;
    mc_suite(
        items,
        "boolq",
        "BoolQ, lm-eval format: \"{passage}\\nQuestion: {question}?\\nAnswer:\", choices no/yes (acc).",
        "{input}\nAnswer:",
        &["acc"],
        origin,
        opts,
    )
}

/// Any llm-foundry multiple-choice file: the query is the whole prompt. acc, acc_norm.
pub fn import_generic(
    bytes: &[u8],
    origin: &str,
    opts: &ImportOptions,
) -> Result<Suite, SuiteError> {
    let name = default_name(origin, "llm-foundry");
    let items = parse_mc(bytes, origin, &format!("{name}-"), str::to_owned)?;
    mc_suite(
        items,
        &name,
        "Multiple-choice task imported from llm-foundry ICL JSONL; the query is used verbatim (acc, acc_norm).",
        "{input}",
        &["acc", "acc_norm"],
        origin,
        opts,
    )
}

#[derive(Deserialize)]
struct WinoRow {
    context_options: Vec<String>,
    continuation: String,
    gold: usize,
}

/// WinoGrande with partial scoring (see the module docs). acc.
pub fn import_winogrande(
    bytes: &[u8],
    origin: &str,
    opts: &ImportOptions,
) -> Result<Suite, SuiteError> {
    let text = utf8(bytes, origin)?;
    let rows = parse_jsonl_lines::<WinoRow>(text, origin)?;
    let mut items = Vec::with_capacity(rows.len());
    for (i, (line, row)) in rows.into_iter().enumerate() {
        if row.gold >= row.context_options.len() {
            return Err(SuiteError::field_error(
                origin,
                Some(line),
                "gold",
                format!(
                    "index {} is out of range for {} context options",
                    row.gold,
                    row.context_options.len()
                ),
            ));
        }
        // lm-eval's doc_to_target strips the continuation (`sentence[idx+1:].strip()`).
        let mut it = item(
            format!("winogrande-{i}"),
            row.continuation.trim().to_owned(),
        );
        it.choices = row.context_options;
        it.gold = vec![row.gold];
        it.meta.insert(
            SCORING_KEY.to_owned(),
            serde_json::Value::String(PARTIAL_SCORING.to_owned()),
        );
        items.push(it);
    }
    mc_suite(
        items,
        "winogrande",
        "WinoGrande with lm-eval's partial scoring: each option completes the context, the shared continuation is scored (acc).",
        "{input}",
        &["acc"],
        origin,
        opts,
    )
}
