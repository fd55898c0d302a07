//! IFEval's JSONL rows and the prompt ↔ response join of the CLI contract.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use substance_core::{InputError, input};

use crate::error::IfevalError;

/// One line of IFEval's `input_data.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputRow {
    /// Prompt id.
    pub key: i64,
    /// The prompt text.
    pub prompt: String,
    /// Instruction ids, e.g. `punctuation:no_comma`.
    pub instruction_id_list: Vec<String>,
    /// One kwargs object per instruction.
    pub kwargs: Vec<Value>,
}

impl InputRow {
    /// The instructions in `substance_core` form (id + kwargs), ready for
    /// [`check_response`](crate::check_response).
    pub fn instructions(&self) -> Vec<substance_core::Instruction> {
        self.instruction_id_list
            .iter()
            .zip(self.kwargs.iter().chain(std::iter::repeat(&Value::Null)))
            .map(|(id, kw)| substance_core::Instruction {
                id: id.clone(),
                kwargs: if kw.is_null() {
                    Value::Object(Map::new())
                } else {
                    kw.clone()
                },
            })
            .collect()
    }
}

/// One line of a response file: `{prompt, response}` as IFEval writes it, optionally with the
/// prompt's `key`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseRow {
    /// The prompt the response answers.
    pub prompt: String,
    /// The model's response.
    pub response: String,
    /// The prompt's key, when the producer kept it; it takes precedence over the prompt text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<i64>,
}

/// A response joined with its input row.
#[derive(Debug, Clone, PartialEq)]
pub struct Joined {
    /// Index of the response in the `responses` slice.
    pub response_index: usize,
    /// Index of the input row in the `inputs` slice.
    pub input_index: usize,
    /// The input row.
    pub input: InputRow,
    /// The response text.
    pub response: String,
}

/// A response that matched no input row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unmatched {
    /// Index of the response in the `responses` slice.
    pub index: usize,
    /// The response's key, if it had one.
    pub key: Option<i64>,
    /// The response's prompt text.
    pub prompt: String,
    /// Why it did not match.
    pub reason: String,
}

/// One output line: the verdicts for one response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    /// Prompt key.
    pub key: i64,
    /// Prompt text.
    pub prompt: String,
    /// Instruction ids.
    pub instruction_id_list: Vec<String>,
    /// Strict verdict per instruction.
    pub strict: Vec<bool>,
    /// Loose verdict per instruction.
    pub loose: Vec<bool>,
}

/// Join responses to input rows: by `key` when the response has one, otherwise by exact prompt
/// text. The same prompt may be answered many times (every answer is joined); input rows from
/// [`parse_inputs`] have unique keys and prompts (were they to repeat, the first row would win). Output order is response order;
/// responses that match nothing are returned, with their index, instead of being dropped.
pub fn join_responses(
    inputs: &[InputRow],
    responses: &[ResponseRow],
) -> (Vec<Joined>, Vec<Unmatched>) {
    let mut by_key: HashMap<i64, usize> = HashMap::new();
    let mut by_prompt: HashMap<&str, usize> = HashMap::new();
    for (i, row) in inputs.iter().enumerate() {
        by_key.entry(row.key).or_insert(i);
        by_prompt.entry(row.prompt.as_str()).or_insert(i);
    }
    let mut joined = Vec::new();
    let mut unmatched = Vec::new();
    for (r, resp) in responses.iter().enumerate() {
        let found = match resp.key {
            Some(k) => by_key
                .get(&k)
                .copied()
                .ok_or_else(|| format!("no input row has key {k}")),
            None => by_prompt
                .get(resp.prompt.as_str())
                .copied()
                .ok_or_else(|| "no input row has this exact prompt text".to_owned()),
        };
        match found {
            Ok(i) => joined.push(Joined {
                response_index: r,
                input_index: i,
                input: inputs[i].clone(),
                response: resp.response.clone(),
            }),
            Err(reason) => unmatched.push(Unmatched {
                index: r,
                key: resp.key,
                prompt: resp.prompt.clone(),
                reason,
            }),
        }
    }
    (joined, unmatched)
}

fn object(line: usize, text: &str) -> Result<Map<String, Value>, IfevalError> {
    input::object_line(text, "", line).map_err(|e| match e {
        InputError::Member { key, .. } => IfevalError::Line {
            line,
            message: format!("JSON object member `{key}` given twice"),
        },
        InputError::Syntax { message, .. } if message.starts_with("expected") => {
            IfevalError::Line { line, message }
        }
        InputError::Syntax { message, .. } => IfevalError::Line {
            line,
            message: format!("malformed {message}"),
        },
        other => IfevalError::Line {
            line,
            message: other.to_string(),
        },
    })
}

fn field_err(line: usize, field: &str, message: impl Into<String>) -> IfevalError {
    IfevalError::Field {
        line,
        field: field.to_owned(),
        message: message.into(),
    }
}

fn get_str(line: usize, m: &Map<String, Value>, field: &str) -> Result<String, IfevalError> {
    match m.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(field_err(line, field, "expected a string")),
        None => Err(field_err(line, field, "missing")),
    }
}

fn get_key(line: usize, m: &Map<String, Value>) -> Result<Option<i64>, IfevalError> {
    match m.get("key") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| field_err(line, "key", "expected an integer")),
        Some(_) => Err(field_err(line, "key", "expected an integer")),
    }
}

/// Parse one `input_data.jsonl` line (`line` is 1-based, for messages).
pub fn parse_input_line(line: usize, text: &str) -> Result<InputRow, IfevalError> {
    let m = object(line, text)?;
    let key = get_key(line, &m)?.ok_or_else(|| field_err(line, "key", "missing"))?;
    let prompt = get_str(line, &m, "prompt")?;
    let ids = match m.get("instruction_id_list") {
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(k, v)| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    field_err(
                        line,
                        &format!("instruction_id_list[{k}]"),
                        "expected a string",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(field_err(line, "instruction_id_list", "expected a list")),
        None => return Err(field_err(line, "instruction_id_list", "missing")),
    };
    let kwargs = match m.get("kwargs") {
        Some(Value::Array(a)) => {
            for (k, v) in a.iter().enumerate() {
                if !(v.is_object() || v.is_null()) {
                    return Err(field_err(
                        line,
                        &format!("kwargs[{k}]"),
                        "expected an object",
                    ));
                }
            }
            a.clone()
        }
        Some(_) => return Err(field_err(line, "kwargs", "expected a list")),
        None => return Err(field_err(line, "kwargs", "missing")),
    };
    if kwargs.len() != ids.len() {
        return Err(field_err(
            line,
            "kwargs",
            format!("{} kwargs for {} instruction ids", kwargs.len(), ids.len()),
        ));
    }
    Ok(InputRow {
        key,
        prompt,
        instruction_id_list: ids,
        kwargs,
    })
}

/// Parse one response line `{prompt, response, key?}`.
pub fn parse_response_line(line: usize, text: &str) -> Result<ResponseRow, IfevalError> {
    let m = object(line, text)?;
    Ok(ResponseRow {
        prompt: get_str(line, &m, "prompt")?,
        response: get_str(line, &m, "response")?,
        key: get_key(line, &m)?,
    })
}

/// The records of a JSONL text under the reading policy ([`substance_core::input`]): BOM and CRLF
/// accepted, blank lines skipped, an input without records refused. Returns each record's line.
fn parse_lines<T>(
    text: &str,
    parse: fn(usize, &str) -> Result<T, IfevalError>,
) -> Result<Vec<(usize, T)>, IfevalError> {
    let rows = input::lines(text)
        .map(|(n, l)| parse(n, l).map(|r| (n, r)))
        .collect::<Result<Vec<_>, _>>()?;
    input::require_records(rows.len(), text, "").map_err(|e| match e {
        InputError::Empty { what, .. } => IfevalError::Empty { what },
        other => IfevalError::Line {
            line: 0,
            message: other.to_string(),
        },
    })?;
    Ok(rows)
}

/// Parse a whole `input_data.jsonl` text (blank lines are skipped; errors name the line). Keys and
/// prompts must be unique: the join finds a row by either, so a repeat would make it ambiguous.
pub fn parse_inputs(text: &str) -> Result<Vec<InputRow>, IfevalError> {
    let rows = parse_lines(text, parse_input_line)?;
    let mut keys = std::collections::BTreeMap::new();
    let mut prompts = std::collections::BTreeMap::new();
    for (line, row) in &rows {
        let dup = |what: &str, key: String, first_line: usize| IfevalError::Duplicate {
            line: *line,
            first_line,
            what: what.to_owned(),
            key,
        };
        if let Some(&first) = keys.get(&row.key) {
            return Err(dup("key", row.key.to_string(), first));
        }
        if let Some(&first) = prompts.get(row.prompt.as_str()) {
            let shown: String = row.prompt.chars().take(60).collect();
            return Err(dup("prompt", shown, first));
        }
        keys.insert(row.key, *line);
        prompts.insert(row.prompt.as_str(), *line);
    }
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

/// Parse a whole response JSONL text (blank lines are skipped; errors name the line). A prompt may
/// be answered many times (samples): every answer is kept.
pub fn parse_responses(text: &str) -> Result<Vec<ResponseRow>, IfevalError> {
    Ok(parse_lines(text, parse_response_line)?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn input(key: i64, prompt: &str) -> InputRow {
        InputRow {
            key,
            prompt: prompt.into(),
            instruction_id_list: vec!["punctuation:no_comma".into()],
            kwargs: vec![Value::Object(Map::new())],
        }
    }

    fn resp(prompt: &str, key: Option<i64>) -> ResponseRow {
        ResponseRow {
            prompt: prompt.into(),
            response: format!("answer to {prompt}"),
            key,
        }
    }

    #[test]
    fn join_by_key_then_prompt_keeps_order_and_reports_unmatched() {
        let inputs = [input(1, "a"), input(2, "b")];
        let responses = [
            resp("b", None),
            resp("zzz", Some(1)),
            resp("b", None),
            resp("c", None),
            resp("a", Some(9)),
        ];
        let (j, u) = join_responses(&inputs, &responses);
        assert_eq!(
            j.iter()
                .map(|x| (x.response_index, x.input.key))
                .collect::<Vec<_>>(),
            [(0, 2), (1, 1), (2, 2)]
        );
        assert_eq!(u.iter().map(|x| x.index).collect::<Vec<_>>(), [3, 4]);
        assert!(u[1].reason.contains("key 9"));
    }

    #[test]
    fn parse_errors_name_line_and_field() {
        let e = parse_inputs(
            "\n{\"key\": 1, \"prompt\": 3, \"instruction_id_list\": [], \"kwargs\": []}",
        )
        .unwrap_err();
        assert_eq!(
            e,
            IfevalError::Field {
                line: 2,
                field: "prompt".into(),
                message: "expected a string".into()
            }
        );
        let e = parse_responses("{\"prompt\": \"p\"}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1") && e.contains("response"), "{e}");
        let e = parse_inputs(
            "{\"key\": 1, \"prompt\": \"p\", \"instruction_id_list\": [\"x\"], \"kwargs\": [3]}",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("kwargs[0]"), "{e}");
        assert!(
            parse_responses("not json")
                .unwrap_err()
                .to_string()
                .contains("line 1")
        );
    }

    #[test]
    fn reading_policy_empty_arrays_repeats_and_bom() {
        let row = |key: i64, prompt: &str| {
            format!(
                "{{\"key\": {key}, \"prompt\": \"{prompt}\", \"instruction_id_list\": [], \"kwargs\": []}}"
            )
        };
        for text in ["", "  \n\n"] {
            assert!(matches!(parse_inputs(text), Err(IfevalError::Empty { .. })));
            assert!(matches!(
                parse_responses(text),
                Err(IfevalError::Empty { .. })
            ));
        }
        let e = parse_responses("[\"p\", \"r\"]").unwrap_err().to_string();
        assert!(
            e.contains("line 1") && e.contains("expected a JSON object"),
            "{e}"
        );
        let e = parse_responses("{\"prompt\": \"p\", \"response\": \"a\", \"response\": \"b\"}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`response` given twice"), "{e}");
        let e = parse_inputs(&format!("{}\n{}\n", row(1, "a"), row(1, "b"))).unwrap_err();
        assert!(
            e.to_string()
                .contains("line 2: duplicate key `1` (first at line 1)"),
            "{e}"
        );
        let e = parse_inputs(&format!("{}\n\n{}\n", row(1, "a"), row(2, "a"))).unwrap_err();
        assert!(
            e.to_string()
                .contains("line 3: duplicate prompt `a` (first at line 1)"),
            "{e}"
        );
        let rows =
            parse_inputs(&format!("\u{feff}{}\r\n{}\r\n", row(1, "a"), row(2, "b"))).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].prompt, "b");
    }
}
