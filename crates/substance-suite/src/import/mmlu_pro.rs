//! MMLU-Pro (Wang et al., 2024) as the Open LLM Leaderboard v2 runs it: lm-eval's
//! `leaderboard_mmlu_pro` (`tasks/leaderboard/mmlu_pro`, unchanged from the commit SOS-Bench names,
//! 74d23a67, to lm-eval 0.4.9): 5-shot multiple choice, the first five rows of the `validation`
//! split as examples (`sampler: first_n`, whatever their category), no description,
//!
//! ```text
//! {question}\nA. {options[0]}\nB. {options[1]}\n…\nAnswer:     ← utils.doc_to_text
//! choices " A" " B" … (one letter per option, up to ten)      ← utils.doc_to_choice
//! ```
//!
//! each example followed by `" {answer}"` and a blank line, metric `acc`. The question is used as it
//! is (no `strip()`), the letters are `string.ascii_uppercase`.
//!
//! Input: the `test` split as JSON or JSONL rows of `TIGER-Lab/MMLU-Pro` (`question_id`, `question`,
//! `options`, `answer`, `answer_index`, `category`; MMLU-Pro's own `model_outputs_*.json` files carry
//! the same fields, `options` as a Python list literal, and read too), and the `validation` split the same way as the few-shot file
//! ([`ImportOptions::fewshot`]; without it the suite is zero-shot, and says so). The gold is the letter
//! `answer` (lm-eval's `doc_to_target: answer`; `answer_index` is not read); `group` = `category`. The
//! item id is `question_id`, unique.

use serde_json::{Map, Value};
use substance_core::{Item, OutputType, Suite};

use super::pylit::py_literal;
use super::{ImportOptions, base_spec, finish, item, json_records, record_error, utf8};
use crate::SuiteError;

/// The letters `string.ascii_uppercase` gives the options.
const LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// One row as an item: `input` = `doc_to_text(doc)`, the letters as choices.
fn row_item(m: &Map<String, Value>, origin: &str, record: usize) -> Result<Item, SuiteError> {
    let id = match m.get("question_id") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => {
            return Err(record_error(
                origin,
                record,
                "question_id",
                "missing or empty",
            ));
        }
    };
    let question = match m.get("question") {
        Some(Value::String(s)) => s.as_str(),
        _ => {
            return Err(record_error(
                origin,
                record,
                "question",
                "missing or not a string",
            ));
        }
    };
    // a JSON list, or (MMLU-Pro's prediction files) the list's Python literal
    let parsed;
    let list = match m.get("options") {
        Some(Value::Array(a)) => a,
        Some(Value::String(s)) => {
            parsed = py_literal(s).map_err(|e| {
                record_error(
                    origin,
                    record,
                    "options",
                    format!("not a Python list literal: {e}"),
                )
            })?;
            parsed
                .as_array()
                .ok_or_else(|| record_error(origin, record, "options", "not a list"))?
        }
        _ => {
            return Err(record_error(
                origin,
                record,
                "options",
                "missing or not a list",
            ));
        }
    };
    let options: Vec<&str> = list
        .iter()
        .map(Value::as_str)
        .collect::<Option<_>>()
        .ok_or_else(|| record_error(origin, record, "options", "an option is not a string"))?;
    if options.is_empty() || options.len() > LETTERS.len() {
        return Err(record_error(
            origin,
            record,
            "options",
            format!("{} options (1 to 26 have letters)", options.len()),
        ));
    }
    let letters: Vec<String> = LETTERS
        .chars()
        .take(options.len())
        .map(String::from)
        .collect();
    // the gold is `answer` indexed in the letters, as lm-eval's `doc_to_target: answer` makes it;
    // `answer_index` is not read (one row of MMLU-Pro's Llama-3.1 prediction file disagrees with its
    // `answer`, and the harness goes by `answer`)
    let index = m
        .get("answer")
        .and_then(Value::as_str)
        .and_then(|a| letters.iter().position(|l| l == a))
        .ok_or_else(|| {
            record_error(
                origin,
                record,
                "answer",
                format!(
                    "missing, or not one of the {} option letters",
                    options.len()
                ),
            )
        })?;
    let mut input = format!("{question}\n");
    for (l, o) in letters.iter().zip(&options) {
        input.push_str(&format!("{l}. {o}\n"));
    }
    input.push_str("Answer:");
    let mut it = item(id, input);
    it.choices = letters;
    it.gold = vec![index];
    it.group = m.get("category").and_then(Value::as_str).map(str::to_owned);
    Ok(it)
}

fn read_items(bytes: &[u8], origin: &str) -> Result<Vec<Item>, SuiteError> {
    let mut seen = substance_core::input::UniqueKeys::new("question_id");
    let mut out = Vec::new();
    let text = utf8(bytes, origin)?;
    for (r, m) in json_records(text, origin)? {
        let it = row_item(&m, origin, r)?;
        seen.insert(&it.id, origin, r)?;
        out.push(it);
    }
    substance_core::input::require_records(out.len(), text, origin)?;
    Ok(out)
}

/// Import the test split (and, with [`ImportOptions::fewshot`], the validation split as examples).
pub fn import(bytes: &[u8], origin: &str, opts: &ImportOptions) -> Result<Suite, SuiteError> {
    let items = read_items(bytes, origin)?;
    let pool = match &opts.fewshot {
        Some(f) => read_items(&f.bytes, &f.origin)?,
        None => Vec::new(),
    };
    let mut spec = base_spec(
        "leaderboard_mmlu_pro",
        if pool.is_empty() {
            "MMLU-Pro as the Open LLM Leaderboard v2 prompts it (lm-eval leaderboard_mmlu_pro), zero-shot here: no validation file was given for the five examples (acc)"
        } else {
            "MMLU-Pro as the Open LLM Leaderboard v2 runs it (lm-eval leaderboard_mmlu_pro): 5-shot from the first validation rows, letters A–J (acc)"
        },
        OutputType::MultipleChoice,
        "{input}",
        &["acc"],
    );
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn row(id: u64, q: &str, options: &[&str], index: usize) -> String {
        serde_json::json!({"question_id": id, "question": q, "options": options,
            "answer": LETTERS[index..=index].to_owned(), "answer_index": index, "category": "math"})
        .to_string()
    }

    #[test]
    fn five_examples_from_the_validation_rows_then_the_question() {
        let test = format!("{}\n", row(7, "What is 2+2?", &["3", "4", "5"], 1));
        let val: String = (0..6)
            .map(|i| {
                format!(
                    "{}\n",
                    row(100 + i, &format!("Q{i}?"), &["x", "y"], (i % 2) as usize)
                )
            })
            .collect();
        let opts = ImportOptions {
            fewshot: Some(super::super::AuxFile {
                origin: "validation.jsonl".to_owned(),
                bytes: val.into_bytes(),
            }),
            ..Default::default()
        };
        let s = import(test.as_bytes(), "test.jsonl", &opts).unwrap();
        let reqs = crate::build_requests(&s, 0).unwrap();
        let shots: String = (0..5)
            .map(|i| format!("Q{i}?\nA. x\nB. y\nAnswer: {}\n\n", ["A", "B"][i % 2]))
            .collect();
        assert_eq!(
            reqs[0].context,
            format!("{shots}What is 2+2?\nA. 3\nB. 4\nC. 5\nAnswer:")
        );
        assert_eq!(
            reqs.iter()
                .map(|r| r.continuation.as_str())
                .collect::<Vec<_>>(),
            [" A", " B", " C"]
        );
        assert_eq!(s.items[0].gold, [1]);
        assert_eq!(s.items[0].group.as_deref(), Some("math"));
        // zero-shot without a validation file, said in the description
        let s = import(test.as_bytes(), "test.jsonl", &ImportOptions::default()).unwrap();
        assert!(s.spec.description.contains("zero-shot here"));

        let bad = |t: String| {
            import(t.as_bytes(), "t.jsonl", &ImportOptions::default())
                .unwrap_err()
                .to_string()
        };
        assert!(
            bad(row(1, "q", &["a", "b"], 1).replace("\"answer\":\"B\"", "\"answer\":\"C\""))
                .contains("not one of the 2 option letters")
        );
        assert!(
            bad(format!(
                "{}\n{}\n",
                row(1, "q", &["a", "b"], 0),
                row(1, "r", &["a", "b"], 0)
            ))
            .contains("(first at line 1)")
        );
        assert!(bad("[1]".to_owned()).contains("expected an object"));
        assert!(bad(String::new()).contains("no records (empty file)"));
        assert!(bad("[]".to_owned()).contains("no records"));
    }
}
