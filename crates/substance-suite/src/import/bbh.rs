//! BIG-Bench Hard: one task file `{"canary": …, "examples": [{"input", "target"}]}` as lm-eval's
//! `bbh_zeroshot_<task>`: `"Q: {input}\nA:"`, greedy generation until `</s>`, `Q:` or a blank line,
//! exact match against `target`.
//!
//! The task description lm-eval prepends ("Evaluate the result of a random Boolean expression.\n\n") lives
//! in the task's chain-of-thought prompt file (`cot-prompts/<task>.txt`); pass that file as
//! [`ImportOptions::fewshot`] to get it. Its three worked examples also become the few-shot pool (target =
//! the chain of thought, `"Let's think step by step. … So the answer is X."`), used only when `n_fewshot`
//! is set (3 gives the original BBH CoT prompt; the default 0 is lm-eval's zero-shot task). Each item
//! carries its description in `meta.task_description` and the spec's description is
//! `"{task_description}"`, so the 27 tasks can share one suite (`group` = task).

use serde::Deserialize;
use serde_json::Value;
use substance_core::{Item, OutputType, Suite};

use super::{ImportOptions, base_spec, file_stem, finish, item, parse_json_document, utf8};
use crate::SuiteError;

/// A BBH task file (`{"canary": …, "examples": [{"input", "target"}]}`), also read by [`super::bbh_mc`].
#[derive(Deserialize)]
pub(crate) struct TaskFile {
    pub(crate) examples: Vec<Example>,
}

/// One BBH example.
#[derive(Deserialize)]
pub(crate) struct Example {
    pub(crate) input: String,
    pub(crate) target: String,
}

/// The parts of a BBH chain-of-thought prompt file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CotPrompt {
    /// The task description, followed by `"\n\n"` (lm-eval's `description`).
    pub description: String,
    /// The worked examples `(question, chain of thought)`.
    pub examples: Vec<(String, String)>,
}

/// Parse a `cot-prompts/<task>.txt` file: canary line, `-----`, description, then `Q: …\nA: …` blocks.
pub fn parse_cot_prompt(text: &str, origin: &str) -> Result<CotPrompt, SuiteError> {
    let text = text.replace("\r\n", "\n");
    let body = match text.split_once("-----\n") {
        Some((_, b)) => b,
        None => text.as_str(),
    };
    let mut blocks = body.split("\n\nQ: ");
    let description = blocks.next().unwrap_or("").trim().to_owned();
    if description.is_empty() || description.starts_with("Q: ") {
        return Err(SuiteError::syntax(
            origin,
            None,
            "no task description before the first `Q:`",
        ));
    }
    let mut examples = Vec::new();
    for b in blocks {
        let (q, a) = b
            .split_once("\nA: ")
            .ok_or_else(|| SuiteError::syntax(origin, None, "a `Q:` block without an `A:` line"))?;
        examples.push((q.trim().to_owned(), a.trim().to_owned()));
    }
    Ok(CotPrompt {
        description: format!("{description}\n\n"),
        examples,
    })
}

/// Import one BBH task (`subject` = task name, default from the file name).
pub fn import(bytes: &[u8], origin: &str, opts: &ImportOptions) -> Result<Suite, SuiteError> {
    let task = opts
        .subject
        .clone()
        .unwrap_or_else(|| file_stem(origin).to_owned());
    let file: TaskFile = parse_json_document(bytes, origin)?;
    let cot = match &opts.fewshot {
        Some(f) => Some(parse_cot_prompt(utf8(&f.bytes, &f.origin)?, &f.origin)?),
        None => None,
    };
    let with_desc = |mut it: Item| {
        it.group = Some(task.clone());
        if let Some(c) = &cot {
            it.meta.insert(
                "task_description".to_owned(),
                Value::String(c.description.clone()),
            );
        }
        it
    };
    let mut items = Vec::with_capacity(file.examples.len());
    for (i, ex) in file.examples.into_iter().enumerate() {
        let mut it = item(format!("{task}-{i}"), ex.input);
        it.target = Some(ex.target);
        items.push(with_desc(it));
    }
    let pool: Vec<Item> = cot
        .as_ref()
        .map(|c| {
            c.examples
                .iter()
                .enumerate()
                .map(|(i, (q, a))| {
                    let mut it = item(format!("{task}-cot-{i}"), q.clone());
                    it.target = Some(a.clone());
                    with_desc(it)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut spec = base_spec(
        &format!("bbh_{task}"),
        "BIG-Bench Hard, lm-eval zero-shot format: \"Q: ...\\nA:\", greedy generation, exact match on the target.",
        OutputType::Generate,
        "Q: {input}\nA:",
        &["exact_match"],
    );
    if cot.is_some() {
        spec.prompt.description = "{task_description}".to_owned();
    }
    spec.fewshot.same_group = true;
    spec.generation.stop = vec!["</s>".into(), "Q:".into(), "\n\n".into()];
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
