//! GSM8K (`{question, answer}` JSONL) as lm-eval's `gsm8k` task:
//! `"Question: {question}\nAnswer:"`, greedy generation until `Question:`, `</s>` or `<|im_end|>`.
//!
//! - Evaluated items: `target` = the final answer after `####` (trimmed), `meta.solution` = the full
//!   reference solution. Scorer `exact_match_gsm8k` (strict `#### n` match, else the last number).
//! - Few-shot pool ([`ImportOptions::fewshot`], e.g. the train split): `target` = the **full** solution,
//!   because lm-eval's few-shot target is `{{answer}}` (the worked solution ending in `#### n`). Default
//!   `n` = 5 when a pool is given (lm-eval samples 5 train examples at random; here they are the first 5,
//!   the deterministic `first_n` order), else 0.

use serde::Deserialize;
use serde_json::Value;
use substance_core::{Item, OutputType, Suite};

use super::{ImportOptions, base_spec, finish, item, utf8};
use crate::SuiteError;
use crate::file::parse_jsonl_lines;

#[derive(Deserialize)]
struct Row {
    question: String,
    answer: String,
}

/// The final answer of a GSM8K solution: the text after the last `####`, trimmed.
pub fn final_answer(solution: &str) -> Option<&str> {
    let (_, a) = solution.rsplit_once("####")?;
    let a = a.trim();
    (!a.is_empty()).then_some(a)
}

fn parse(bytes: &[u8], origin: &str, pool: bool) -> Result<Vec<Item>, SuiteError> {
    let text = utf8(bytes, origin)?;
    let rows = parse_jsonl_lines::<Row>(text, origin)?;
    let mut out = Vec::with_capacity(rows.len());
    for (i, (line, row)) in rows.into_iter().enumerate() {
        let answer = final_answer(&row.answer).ok_or_else(|| {
            SuiteError::field_error(origin, Some(line), "answer", "no final answer after `####`")
        })?;
        let id = if pool {
            format!("gsm8k-fewshot-{i}")
        } else {
            format!("gsm8k-{i}")
        };
        let mut it = item(id, row.question);
        if pool {
            it.target = Some(row.answer);
        } else {
            it.target = Some(answer.to_owned());
            it.meta
                .insert("solution".to_owned(), Value::String(row.answer));
        }
        out.push(it);
    }
    Ok(out)
}

/// Import a GSM8K split; `fewshot` is an optional pool file of the same format.
pub fn import(bytes: &[u8], origin: &str, opts: &ImportOptions) -> Result<Suite, SuiteError> {
    let items = parse(bytes, origin, false)?;
    let pool = match &opts.fewshot {
        Some(f) => parse(&f.bytes, &f.origin, true)?,
        None => Vec::new(),
    };
    let mut spec = base_spec(
        "gsm8k",
        "GSM8K grade-school math, lm-eval format: \"Question: ...\\nAnswer:\", greedy generation, exact match on the number after ####.",
        OutputType::Generate,
        "Question: {input}\nAnswer:",
        &["exact_match_gsm8k"],
    );
    spec.fewshot.n = if pool.is_empty() { 0 } else { 5 };
    spec.generation.max_tokens = 256;
    spec.generation.stop = vec!["Question:".into(), "</s>".into(), "<|im_end|>".into()];
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
