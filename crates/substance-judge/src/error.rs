//! The error types of the crate: [`JudgeError`] for rendering, parsing rules and metrics, and
//! [`ImportError`] for reading recorded judgments (always naming the file, the 1-based line or record,
//! and the field).

use thiserror::Error;

/// Why a prompt could not be rendered, a verdict mapped, or a metric computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum JudgeError {
    /// A prompt template names a field the input does not provide (Python's `str.format` raises `KeyError`).
    #[error("template `{template}` needs field `{field}`, which this input does not provide")]
    MissingField {
        /// The template's name.
        template: String,
        /// The missing field.
        field: String,
    },
    /// A prompt template is malformed or uses an unsupported replacement field.
    #[error("template `{template}`: {message}")]
    Template {
        /// The template's name.
        template: String,
        /// What is wrong.
        message: String,
    },
    /// The prompt set has no template of this name.
    #[error("no prompt named `{name}` in this prompt set (available: {available})")]
    UnknownPrompt {
        /// The requested name.
        name: String,
        /// The names that exist, comma-separated.
        available: String,
    },
    /// The input does not fit the protocol (e.g. a pairwise protocol given one answer).
    #[error("{protocol}: {message}")]
    BadInput {
        /// The protocol.
        protocol: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A verdict label that the reference maps with a dictionary lookup is unknown (the reference raises).
    #[error("unknown {what} label `{label}`")]
    UnknownLabel {
        /// Which label set.
        what: &'static str,
        /// The label.
        label: String,
    },
    /// A metric is undefined or its inputs are inconsistent.
    #[error("{metric}: {message}")]
    Metric {
        /// The metric.
        metric: &'static str,
        /// Why.
        message: String,
    },
    /// A probe cannot be applied to this input (e.g. nothing to corrupt).
    #[error("probe `{probe}`: {message}")]
    Probe {
        /// The probe name.
        probe: &'static str,
        /// Why.
        message: String,
    },
    /// A probe does not apply to this pair (no reference to drop, nothing to corrupt, no answer B): the
    /// pair is skipped for that probe and counted as such, never an error of the whole application.
    #[error("probe `{probe}` does not apply: {message}")]
    NotApplicable {
        /// The probe name.
        probe: &'static str,
        /// Why.
        message: String,
    },
    /// A prompt file could not be read.
    #[error(transparent)]
    Import(#[from] ImportError),
}

impl JudgeError {
    /// Whether this is a probe that does not apply to one pair (skip the pair) rather than a bad
    /// configuration or input (stop).
    pub fn is_not_applicable(&self) -> bool {
        matches!(self, JudgeError::NotApplicable { .. })
    }
}

/// Why a file of recorded judgments could not be imported.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ImportError {
    /// The bytes are not UTF-8.
    #[error("{file}: not valid UTF-8 (byte {offset})")]
    Utf8 {
        /// The input label (normally its path).
        file: String,
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// A JSON document or JSONL line does not parse, or does not have the expected shape.
    #[error("{file}:{line}: {field}: {message}")]
    Json {
        /// The input label.
        file: String,
        /// 1-based line (JSONL: the line; JSON: the line of the error inside the document).
        line: usize,
        /// The JSON path of the offending value (`$` for the whole record).
        field: String,
        /// The parser's message.
        message: String,
    },
    /// A record parses but one field has an unusable value.
    #[error("{file}:{line}: field `{field}`: {message}")]
    Field {
        /// The input label.
        file: String,
        /// 1-based line of the record (JSON arrays: the record's index + 1 is given as `record`).
        line: usize,
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A JSON array element has an unusable field.
    #[error("{file}: record {record}: field `{field}`: {message}")]
    Record {
        /// The input label.
        file: String,
        /// 0-based index of the record in the top-level array.
        record: usize,
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The CSV reader failed or a CSV row is unusable.
    #[error("{file}:{line}: {field}: {message}")]
    Csv {
        /// The input label.
        file: String,
        /// 1-based line.
        line: u64,
        /// The column (or `row`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The input broke the reading policy ([`substance_core::input`]): no records, a JSON object
    /// member given twice, JSON syntax.
    #[error(transparent)]
    Input(#[from] substance_core::InputError),
    /// A set of files cannot be read together (formats that differ, a verdict file without its test
    /// set, a pair id in two files) or a file's format cannot be told.
    #[error("{message}")]
    Files {
        /// What is wrong, naming the files.
        message: String,
    },
    /// Two files that must describe the same items disagree (lengths, ids).
    #[error("{file}: does not match {other}: {message}")]
    Mismatch {
        /// The input label.
        file: String,
        /// The other input.
        other: String,
        /// How they differ.
        message: String,
    },
}
