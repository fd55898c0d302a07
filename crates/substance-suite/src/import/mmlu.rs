//! MMLU (`cais/mmlu`) as lm-eval's `mmlu_<subject>` tasks.
//!
//! Input: one subject's CSV with a header `question,choice0,choice1,choice2,choice3,answer` (answer 0–3,
//! or A–D). lm-eval's format:
//!
//! ```text
//! The following are multiple choice questions (with answers) about abstract algebra.\n\n   ← description
//! {question.strip()}\nA. {choice0}\nB. {choice1}\nC. {choice2}\nD. {choice3}\nAnswer:   ← doc_to_text
//! choices " A" " B" " C" " D"                                                          ← continuations
//! ```
//!
//! **Per-subject descriptions.** lm-eval runs 57 tasks, each with its own description. Here one suite
//! can hold any number of subjects: the description is the template
//! `"The following are multiple choice questions (with answers) about {subject}.\n\n"`, rendered against
//! the evaluated item (as lm-eval renders the description against the doc), and every item carries
//! `meta.subject` (the subject with `_` → space) and `group` (the subject's file name). The four choice
//! texts are `meta.A` … `meta.D`, so the template stays declarative:
//! `"{input}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\nAnswer:"`.
//!
//! **Few-shot.** The dev CSV ([`ImportOptions::fewshot`]) becomes the few-shot pool; `fewshot.same_group`
//! keeps each subject's own dev examples and the `first_n` order is the file order, as lm-eval's
//! `fewshot_split: dev` + `sampler: first_n`. Default `n` = 5 when a dev file is given (the classic
//! 5-shot MMLU), else 0 (lm-eval's `mmlu` default).

use serde_json::Value;
use substance_core::{OutputType, Suite};

use super::{CsvTable, ImportOptions, base_spec, file_stem, finish, item, parse_answer};
use crate::SuiteError;

/// The description template (rendered per item from `meta.subject`).
pub const DESCRIPTION: &str =
    "The following are multiple choice questions (with answers) about {subject}.\n\n";
/// The item template.
pub const TEMPLATE: &str = "{input}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\nAnswer:";
const LETTERS: [&str; 4] = ["A", "B", "C", "D"];

/// The subject of a file named like `abstract_algebra_test.csv` (`_test`, `_dev`, `_val` are dropped).
pub fn subject_from_origin(origin: &str) -> String {
    let stem = file_stem(origin);
    for suffix in ["_test", "_dev", "_val", "_validation", "_train"] {
        if let Some(s) = stem.strip_suffix(suffix) {
            return s.to_owned();
        }
    }
    stem.to_owned()
}

/// Parse one subject's CSV into items with ids `<id_prefix><row index>` (0-based, file order).
pub fn parse_items(
    bytes: &[u8],
    origin: &str,
    subject: &str,
    id_prefix: &str,
) -> Result<Vec<substance_core::Item>, SuiteError> {
    let table = CsvTable::parse(bytes, origin)?;
    let q = table.col("question")?;
    let cols = [
        table.col("choice0")?,
        table.col("choice1")?,
        table.col("choice2")?,
        table.col("choice3")?,
    ];
    let a = table.col("answer")?;
    let pretty = subject.replace('_', " ");
    let mut items = Vec::with_capacity(table.rows.len());
    for (i, row) in table.rows.iter().enumerate() {
        let question = table.required(row, q)?;
        let answer_raw = table.cell(row, a);
        let gold = parse_answer(answer_raw, 4).ok_or_else(|| {
            SuiteError::field_error(
                origin,
                Some(row.0),
                "answer",
                format!("`{answer_raw}` is not a choice index 0–3 or a letter A–D"),
            )
        })?;
        let mut it = item(format!("{id_prefix}{i}"), question.trim().to_owned());
        it.choices = LETTERS.iter().map(|l| (*l).to_owned()).collect();
        it.gold = vec![gold];
        it.group = Some(subject.to_owned());
        for (letter, col) in LETTERS.iter().zip(cols) {
            it.meta.insert(
                (*letter).to_owned(),
                Value::String(table.cell(row, col).to_owned()),
            );
        }
        it.meta
            .insert("subject".to_owned(), Value::String(pretty.clone()));
        items.push(it);
    }
    Ok(items)
}

/// Import one subject. Reads `subject` (default: from the file name), `fewshot` (the dev CSV),
/// `n_fewshot`, `name` (default `mmlu_<subject>`), `version`.
pub fn import(bytes: &[u8], origin: &str, opts: &ImportOptions) -> Result<Suite, SuiteError> {
    let subject = opts
        .subject
        .clone()
        .unwrap_or_else(|| subject_from_origin(origin));
    let items = parse_items(bytes, origin, &subject, &format!("{subject}-"))?;
    let pool = match &opts.fewshot {
        Some(dev) => parse_items(
            &dev.bytes,
            &dev.origin,
            &subject,
            &format!("{subject}-dev-"),
        )?,
        None => Vec::new(),
    };
    let mut spec = base_spec(
        &format!("mmlu_{subject}"),
        &format!(
            "MMLU ({}), lm-eval format: letter choices A-D scored by log-likelihood, 5-shot from the subject's dev set when given.",
            subject.replace('_', " ")
        ),
        OutputType::MultipleChoice,
        TEMPLATE,
        &["acc"],
    );
    spec.prompt.description = DESCRIPTION.to_owned();
    spec.fewshot.same_group = true;
    spec.fewshot.n = if pool.is_empty() { 0 } else { 5 };
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
