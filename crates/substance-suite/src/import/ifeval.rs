//! IFEval `input_data.jsonl` (`{key, prompt, instruction_id_list, kwargs}`) as a generate suite scored by
//! the `ifeval` scorer: greedy, up to 1280 new tokens, no stop strings (SPEC §7), sent as one chat turn by
//! default (the Open LLM Leaderboard setting; `chat: Some(false)` gives lm-eval's plain `ifeval`).
//!
//! Each item: `id` = `key`, `input` = `prompt`, `instructions[i]` = `{id: instruction_id_list[i],
//! kwargs: kwargs[i]}` with **null-valued kwargs dropped** (the released file pads every kwargs object with
//! nulls for the arguments an instruction does not take). Other falsy values (`0`, `""`) are kept as data;
//! lm-eval's `{k: v for k, v in kwargs.items() if v}` is the checker's business (`substance-ifeval`).

use serde::Deserialize;
use serde_json::Value;
use substance_core::{Instruction, OutputType, Suite};

use super::{ImportOptions, base_spec, finish, item, utf8};
use crate::SuiteError;
use crate::file::parse_jsonl_lines;

#[derive(Deserialize)]
struct Row {
    key: Value,
    prompt: String,
    instruction_id_list: Vec<String>,
    kwargs: Vec<serde_json::Map<String, Value>>,
}

/// Import `input_data.jsonl`.
pub fn import(bytes: &[u8], origin: &str, opts: &ImportOptions) -> Result<Suite, SuiteError> {
    let text = utf8(bytes, origin)?;
    let rows = parse_jsonl_lines::<Row>(text, origin)?;
    let mut items = Vec::with_capacity(rows.len());
    for (line, row) in rows {
        if row.instruction_id_list.len() != row.kwargs.len() {
            return Err(SuiteError::field_error(
                origin,
                Some(line),
                "kwargs",
                format!(
                    "{} kwargs objects for {} instruction ids",
                    row.kwargs.len(),
                    row.instruction_id_list.len()
                ),
            ));
        }
        let id = match &row.key {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => {
                return Err(SuiteError::field_error(
                    origin,
                    Some(line),
                    "key",
                    format!("expected a number or a string, found {other}"),
                ));
            }
        };
        let mut it = item(id, row.prompt);
        it.instructions = row
            .instruction_id_list
            .into_iter()
            .zip(row.kwargs)
            .map(|(id, kw)| Instruction {
                id,
                kwargs: Value::Object(kw.into_iter().filter(|(_, v)| !v.is_null()).collect()),
            })
            .collect();
        items.push(it);
    }
    let mut spec = base_spec(
        "ifeval",
        "IFEval: 541 prompts with verifiable instructions; greedy generation, prompt- and instruction-level strict/loose accuracy.",
        OutputType::Generate,
        "{input}",
        &["ifeval"],
    );
    spec.prompt.chat = true;
    spec.generation.max_tokens = 1280;
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
