//! Importers of recorded judgments into [`JudgedPair`](crate::JudgedPair).
//!
//! Every importer takes the raw bytes and a label for them (`file`, normally the path) and returns either
//! the pairs or an [`ImportError`] naming the file, the line (JSONL, CSV, JSON syntax errors) or the record
//! index (elements of a JSON array), and the field. No importer panics on any input (property-tested).
//!
//! | module | format |
//! |---|---|
//! | [`arena_hard`] | Arena-Hard-Auto v0.1 and v2 judgment JSONL (`<judge>/<model>.jsonl`) |
//! | [`alpaca_eval`] | AlpacaEval `annotations.json`, and the logprob parser of the weighted annotator |
//! | [`mt_bench`] | FastChat `gpt-4_single.jsonl`, `gpt-4_pair.jsonl`, human judgments; question/answer files |
//! | [`pandalm`] | PandaLM `testset-v1.json` (3 human labels) + GPT-3.5 / PandaLM-7B verdict files |
//! | [`llmbar`] | LLMBar `dataset.json` / `evaluators/<judge>/<mode>/result.json` (natural + adversarial) |
//! | [`xstest`] | XSTest model-completion CSVs with human, GPT-4 and string-match labels |
//! | [`prometheus`] | Prometheus-eval benchmark sets: Auto-J pairwise, HHH alignment, MT-Bench/Vicuna absolute |
//!
//! [`load`] is the one entry point over all of them: it detects each file's format from its name and first
//! record and joins the files that belong together; the CLI and the page both use it.

pub mod alpaca_eval;
pub mod arena_hard;
pub mod llmbar;
pub mod load;
pub mod mt_bench;
pub mod pandalm;
pub mod prometheus;
pub mod xstest;

use serde_json::{Map, Value};

use crate::ImportError;

/// The bytes as UTF-8 (a leading BOM is skipped).
pub(crate) fn utf8<'a>(bytes: &'a [u8], file: &str) -> Result<&'a str, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| ImportError::Utf8 {
        file: file.to_owned(),
        offset: e.valid_up_to(),
    })
}

/// Where a record sits in its file.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Loc {
    /// 1-based line (JSONL).
    Line(usize),
    /// 0-based index in a top-level JSON array.
    Record(usize),
}

/// A JSON object with typed, error-naming field access.
pub(crate) struct Rec<'a> {
    pub file: &'a str,
    pub loc: Loc,
    pub map: &'a Map<String, Value>,
}

impl<'a> Rec<'a> {
    pub fn new(file: &'a str, loc: Loc, value: &'a Value) -> Result<Self, ImportError> {
        match value.as_object() {
            Some(map) => Ok(Rec { file, loc, map }),
            None => Err(err(file, loc, "$", "expected a JSON object")),
        }
    }

    pub fn err(&self, field: &str, message: impl Into<String>) -> ImportError {
        err(self.file, self.loc, field, message)
    }

    pub fn get(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field)
    }

    pub fn value(&self, field: &str) -> Result<&'a Value, ImportError> {
        self.get(field)
            .ok_or_else(|| self.err(field, "missing field"))
    }

    pub fn str(&self, field: &str) -> Result<&'a str, ImportError> {
        match self.value(field)? {
            Value::String(s) => Ok(s),
            other => Err(self.err(field, format!("expected a string, found {}", kind(other)))),
        }
    }

    /// Answer text: a string, or a scalar that a pipeline stored unquoted, rendered the way Python's
    /// `str()` would (`true` → `True`, numbers as written). PandaLM's test set has such answers.
    pub fn text(&self, field: &str) -> Result<String, ImportError> {
        match self.value(field)? {
            Value::String(s) => Ok(s.clone()),
            Value::Bool(true) => Ok("True".into()),
            Value::Bool(false) => Ok("False".into()),
            Value::Number(n) => Ok(n.to_string()),
            other => Err(self.err(field, format!("expected a string, found {}", kind(other)))),
        }
    }

    /// A string, or `None` when the field is absent or null.
    pub fn opt_str(&self, field: &str) -> Result<Option<&'a str>, ImportError> {
        match self.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.err(
                field,
                format!("expected a string or null, found {}", kind(other)),
            )),
        }
    }

    /// A number (JSON number), or `None` when absent or null.
    pub fn opt_f64(&self, field: &str) -> Result<Option<f64>, ImportError> {
        match self.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_f64()
                .map(Some)
                .ok_or_else(|| self.err(field, "number out of range")),
            Some(other) => Err(self.err(
                field,
                format!("expected a number or null, found {}", kind(other)),
            )),
        }
    }

    /// An id: a string or an integer, rendered as text.
    pub fn id(&self, field: &str) -> Result<String, ImportError> {
        match self.value(field)? {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            other => Err(self.err(
                field,
                format!("expected a string or number id, found {}", kind(other)),
            )),
        }
    }

    pub fn array(&self, field: &str) -> Result<&'a Vec<Value>, ImportError> {
        match self.value(field)? {
            Value::Array(a) => Ok(a),
            other => Err(self.err(field, format!("expected an array, found {}", kind(other)))),
        }
    }
}

pub(crate) fn err(file: &str, loc: Loc, field: &str, message: impl Into<String>) -> ImportError {
    match loc {
        Loc::Line(line) => ImportError::Field {
            file: file.to_owned(),
            line,
            field: field.to_owned(),
            message: message.into(),
        },
        Loc::Record(record) => ImportError::Record {
            file: file.to_owned(),
            record,
            field: field.to_owned(),
            message: message.into(),
        },
    }
}

use substance_core::input;
pub(crate) use substance_core::input::kind;

/// Parse a JSON document under the reading policy ([`substance_core::input`]): syntax errors name the
/// line, an object member given twice is refused, and a document of whitespace only is an input
/// without records.
pub(crate) fn parse_json(text: &str, file: &str) -> Result<Value, ImportError> {
    input::require_records(usize::from(!text.trim().is_empty()), text, file)?;
    Ok(input::strict_value(text, file, 1)?)
}

/// Parse a top-level JSON array; an empty array is an input without records.
pub(crate) fn parse_json_array(text: &str, file: &str) -> Result<Vec<Value>, ImportError> {
    match parse_json(text, file)? {
        Value::Array(a) => {
            input::require_records(a.len(), text, file)?;
            Ok(a)
        }
        other => Err(ImportError::Json {
            file: file.to_owned(),
            line: 1,
            field: "$".into(),
            message: format!(
                "expected a JSON array at the top level, found {}",
                kind(&other)
            ),
        }),
    }
}

/// Parse JSON Lines: `(1-based line, value)` for every non-blank line; an input without lines is
/// refused, and so is an object member given twice.
pub(crate) fn parse_jsonl(text: &str, file: &str) -> Result<Vec<(usize, Value)>, ImportError> {
    let out = input::lines(text)
        .map(|(n, l)| input::strict_value(l, file, n).map(|v| (n, v)))
        .collect::<Result<Vec<_>, _>>()?;
    input::require_records(out.len(), text, file)?;
    Ok(out)
}

/// Records of a file that is either a JSON array or JSON Lines (Prometheus ships both under `.json`).
pub(crate) fn parse_records(text: &str, file: &str) -> Result<Vec<(Loc, Value)>, ImportError> {
    if text.trim_start().starts_with('[') {
        Ok(parse_json_array(text, file)?
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Loc::Record(i), v))
            .collect())
    } else {
        Ok(parse_jsonl(text, file)?
            .into_iter()
            .map(|(l, v)| (Loc::Line(l), v))
            .collect())
    }
}
