//! MuSR (Sprague et al., 2024) as the Open LLM Leaderboard v2 runs it: lm-eval's
//! `leaderboard_musr_{murder_mysteries,object_placements,team_allocation}` (`tasks/leaderboard/musr`):
//! zero-shot multiple choice, the prompt `"{narrative}\n\n{question}\n\n1 - {choice}\n2 - …\n\nAnswer:"`
//! (the harness's `utils.doc_to_text`: each choice on its own line as `"{i+1} - {choice}\n"`, then
//! `"\nAnswer:"`), the choices themselves as continuations after the default `target_delimiter` `" "`
//! (the task files at the harness commit SOS-Bench names, 74d23a67, and in lm-eval 0.4.9 set none; a
//! later fork's `target_delimiter: ""` is not what the leaderboard ran), gold the index of
//! `answer_choice`, metric `acc_norm` (and `acc`).
//!
//! Two upstream layouts are read, detected per file:
//! - the Hugging Face dataset `TAUR-Lab/MuSR` exported as JSON or JSONL (one split per file:
//!   `narrative`, `question`, `choices` — a Python list literal, as the dataset stores it, or a JSON
//!   list — `answer_index`, `answer_choice`); the item id is the row's 1-based index;
//! - the MuSR repository's JSON (`datasets/*.json`, `viewer/small_datasets/*.json`: a list of
//!   `{context, questions}`, `questions` a Python literal or JSON list of `{question, choices, answer}`),
//!   the item id `{story}-{question}` (1-based), the narrative the story's `context`.
//!
//! The split comes from the file name (`murder`, `object`, `team`) or `--subject`. The dataset stores
//! Python literals, read with [`super::pylit::py_literal`].

use serde_json::{Map, Value};
use substance_core::{Item, OutputType, Suite};

use super::pylit::py_literal;
use super::{ImportOptions, base_spec, file_stem, finish, item, json_records, record_error, utf8};
use crate::SuiteError;

/// The leaderboard's prompt, with the choices block rendered per item into `meta.choices_text`.
pub const MUSR_TEMPLATE: &str = "{input}\n\n{question}\n\n{choices_text}\nAnswer:";

/// The three MuSR splits: (file-name word, lm-eval split and task suffix).
const SPLITS: [(&str, &str); 3] = [
    ("murder", "murder_mysteries"),
    ("object", "object_placements"),
    ("team", "team_allocation"),
];

/// `choices_text` as `utils.doc_to_text` builds it.
fn choices_text(choices: &[String]) -> String {
    choices
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{} - {c}\n", i + 1))
        .collect()
}

/// A list of strings given as a JSON list or as a Python list literal in a string.
fn string_list(
    v: &Value,
    origin: &str,
    record: usize,
    field: &str,
) -> Result<Vec<String>, SuiteError> {
    let parsed;
    let list = match v {
        Value::Array(a) => a,
        Value::String(s) => {
            parsed = py_literal(s).map_err(|e| {
                record_error(
                    origin,
                    record,
                    field,
                    format!("not a Python list literal: {e}"),
                )
            })?;
            match &parsed {
                Value::Array(a) => a,
                _ => return Err(record_error(origin, record, field, "not a list")),
            }
        }
        _ => {
            return Err(record_error(
                origin,
                record,
                field,
                "expected a list of strings",
            ));
        }
    };
    let out: Option<Vec<String>> = list.iter().map(|c| c.as_str().map(str::to_owned)).collect();
    match out {
        Some(v) if v.len() >= 2 => Ok(v),
        Some(_) => Err(record_error(
            origin,
            record,
            field,
            "fewer than two choices",
        )),
        None => Err(record_error(
            origin,
            record,
            field,
            "a choice is not a string",
        )),
    }
}

fn string_field<'a>(
    m: &'a Map<String, Value>,
    key: &str,
    origin: &str,
    record: usize,
) -> Result<&'a str, SuiteError> {
    match m.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) => Err(record_error(origin, record, key, "empty")),
        Some(_) => Err(record_error(origin, record, key, "expected a string")),
        None => Err(record_error(origin, record, key, "missing")),
    }
}

fn index(
    m: &Map<String, Value>,
    key: &str,
    n: usize,
    origin: &str,
    record: usize,
) -> Result<usize, SuiteError> {
    let i = m.get(key).and_then(Value::as_u64).ok_or_else(|| {
        record_error(origin, record, key, "missing or not a non-negative integer")
    })?;
    usize::try_from(i).ok().filter(|i| *i < n).ok_or_else(|| {
        record_error(
            origin,
            record,
            key,
            format!("{i} is outside the {n} choices"),
        )
    })
}

fn musr_item(
    id: String,
    narrative: &str,
    question: &str,
    choices: Vec<String>,
    gold: usize,
) -> Item {
    let mut it = item(id, narrative.to_owned());
    it.meta
        .insert("question".to_owned(), Value::String(question.to_owned()));
    it.meta.insert(
        "choices_text".to_owned(),
        Value::String(choices_text(&choices)),
    );
    it.choices = choices;
    it.gold = vec![gold];
    it
}

/// Import one MuSR split (either layout).
pub fn import(bytes: &[u8], origin: &str, opts: &ImportOptions) -> Result<Suite, SuiteError> {
    let text = utf8(bytes, origin)?;
    let word = opts
        .subject
        .as_deref()
        .unwrap_or(file_stem(origin))
        .to_ascii_lowercase();
    let split = SPLITS
        .iter()
        .find(|(w, s)| word.contains(w) || word.contains(s))
        .map(|(_, s)| *s)
        .ok_or_else(|| {
            SuiteError::syntax(
                origin,
                None,
                "which MuSR split? the file name (or --subject) must say murder, object or team",
            )
        })?;
    let records = json_records(text, origin)?;
    let mut items = Vec::new();
    for (k, (record, m)) in records.iter().enumerate() {
        if m.contains_key("narrative") {
            let choices = string_list(
                m.get("choices").unwrap_or(&Value::Null),
                origin,
                *record,
                "choices",
            )?;
            let gold = index(m, "answer_index", choices.len(), origin, *record)?;
            if let Some(a) = m.get("answer_choice") {
                if a.as_str() != Some(choices[gold].as_str()) {
                    return Err(record_error(
                        origin,
                        *record,
                        "answer_choice",
                        format!("is not choice {gold} (`answer_index`)"),
                    ));
                }
            }
            items.push(musr_item(
                (k + 1).to_string(),
                string_field(m, "narrative", origin, *record)?,
                string_field(m, "question", origin, *record)?,
                choices,
                gold,
            ));
        } else if m.contains_key("context") {
            let narrative = string_field(m, "context", origin, *record)?;
            let qs = match m.get("questions") {
                Some(Value::String(s)) => py_literal(s).map_err(|e| {
                    record_error(
                        origin,
                        *record,
                        "questions",
                        format!("not a Python literal: {e}"),
                    )
                })?,
                Some(v @ Value::Array(_)) => v.clone(),
                _ => {
                    return Err(record_error(
                        origin,
                        *record,
                        "questions",
                        "missing or not a list",
                    ));
                }
            };
            let Value::Array(qs) = qs else {
                return Err(record_error(origin, *record, "questions", "not a list"));
            };
            for (j, q) in qs.iter().enumerate() {
                let Value::Object(q) = q else {
                    return Err(record_error(
                        origin,
                        *record,
                        &format!("questions[{j}]"),
                        "not a dict",
                    ));
                };
                let choices = string_list(
                    q.get("choices").unwrap_or(&Value::Null),
                    origin,
                    *record,
                    &format!("questions[{j}].choices"),
                )?;
                let gold = index(q, "answer", choices.len(), origin, *record)
                    .map_err(|e| retag(e, &format!("questions[{j}].answer")))?;
                let question = string_field(q, "question", origin, *record)
                    .map_err(|e| retag(e, &format!("questions[{j}].question")))?;
                items.push(musr_item(
                    format!("{}-{}", k + 1, j + 1),
                    narrative,
                    question,
                    choices,
                    gold,
                ));
            }
        } else {
            return Err(record_error(
                origin,
                *record,
                "record",
                "neither a Hugging Face row (`narrative`, `question`, `choices`, `answer_index`) nor a MuSR story (`context`, `questions`)",
            ));
        }
    }
    let spec = base_spec(
        &format!("musr_{split}"),
        &format!(
            "MuSR {split} as the Open LLM Leaderboard v2 runs it (lm-eval leaderboard_musr_{split}): zero-shot, numbered choices, the choice text as continuation (acc_norm, acc)"
        ),
        OutputType::MultipleChoice,
        MUSR_TEMPLATE,
        &["acc", "acc_norm"],
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

/// The same error naming another field (a question inside a story).
fn retag(e: SuiteError, field: &str) -> SuiteError {
    match e {
        SuiteError::Field {
            file,
            line,
            message,
            ..
        } => SuiteError::Field {
            file,
            line,
            field: field.to_owned(),
            message,
        },
        other => other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn row(narrative: &str, choices: &str, idx: usize, answer: &str) -> String {
        serde_json::json!({"narrative": narrative, "question": "Who did it?", "choices": choices,
            "answer_index": idx, "answer_choice": answer})
        .to_string()
    }

    #[test]
    fn hugging_face_rows_and_repository_stories_give_the_leaderboard_prompt() {
        let jsonl = format!(
            "{}\n{}\n",
            row("Story one.", "['Ann', 'Bob']", 1, "Bob"),
            row("Story two.", "['Cy', 'Di']", 0, "Cy")
        );
        let s = import(
            jsonl.as_bytes(),
            "murder_mysteries.jsonl",
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(s.spec.name, "musr_murder_mysteries");
        assert_eq!(s.items.len(), 2);
        assert_eq!(s.items[0].gold, [1]);
        let reqs = crate::build_requests(&s, 0).unwrap();
        assert_eq!(
            reqs[0].context,
            "Story one.\n\nWho did it?\n\n1 - Ann\n2 - Bob\n\nAnswer:"
        );
        assert_eq!(reqs[1].continuation, " Bob");

        let story = serde_json::json!([{"context": "A tale.",
            "questions": "[{'question': 'Where is the key?', 'answer': 2, 'choices': ['box', 'bag', 'shelf'], 'intermediate_trees': [{'depth': 3}]}]"}]);
        let s = import(
            story.to_string().as_bytes(),
            "small_object_placements.json",
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(s.spec.name, "musr_object_placements");
        assert_eq!(s.items[0].id, "1-1");
        assert_eq!(s.items[0].gold, [2]);

        let bad = |text: String, name: &str| {
            import(text.as_bytes(), name, &ImportOptions::default())
                .unwrap_err()
                .to_string()
        };
        assert!(bad(row("S", "['a', 'b']", 1, "a"), "murder.jsonl").contains("answer_choice"));
        assert!(
            bad(row("S", "['a', 'b']", 2, "a"), "murder.jsonl").contains("outside the 2 choices")
        );
        assert!(
            bad(row("S", "['a', 'b'", 0, "a"), "murder.jsonl")
                .contains("not a Python list literal")
        );
        assert!(bad(row("S", "['a', 'b']", 0, "a"), "other.jsonl").contains("which MuSR split"));
        assert!(bad("[1]".to_owned(), "team.json").contains("expected an object"));
        assert!(bad(String::new(), "team.jsonl").contains("the suite has no items"));
    }
}
