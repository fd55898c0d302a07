//! Typed errors. Every variant says where the problem is: the instruction index and id, or the
//! JSONL line and field.

use thiserror::Error;

/// Errors raised while parsing instructions or IFEval JSONL rows.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IfevalError {
    /// The instruction id is not one of the 25 IFEval ids.
    #[error("instruction {index}: unknown instruction id `{id}`")]
    UnknownInstruction {
        /// 0-based position in the instruction list.
        index: usize,
        /// The id as given.
        id: String,
    },
    /// `kwargs` is not a JSON object (or null).
    #[error("instruction {index} (`{id}`): kwargs must be a JSON object, found {found}")]
    KwargsNotObject {
        /// 0-based position in the instruction list.
        index: usize,
        /// Instruction id.
        id: String,
        /// JSON type found.
        found: String,
    },
    /// A required argument is missing (upstream would draw a random value here).
    #[error("instruction {index} (`{id}`): missing kwarg `{field}`")]
    MissingKwarg {
        /// 0-based position in the instruction list.
        index: usize,
        /// Instruction id.
        id: String,
        /// The argument name.
        field: String,
    },
    /// An argument this instruction does not take (upstream raises `TypeError`).
    #[error("instruction {index} (`{id}`): unexpected kwarg `{field}`")]
    UnexpectedKwarg {
        /// 0-based position in the instruction list.
        index: usize,
        /// Instruction id.
        id: String,
        /// The argument name.
        field: String,
    },
    /// An argument has the wrong JSON type or a value outside its domain.
    #[error("instruction {index} (`{id}`): kwarg `{field}`: {message}")]
    InvalidKwarg {
        /// 0-based position in the instruction list.
        index: usize,
        /// Instruction id.
        id: String,
        /// The argument name.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The input holds no records (rule 2 of [`substance_core::input`]).
    #[error("no records ({what})")]
    Empty {
        /// What was found instead (`empty file`, `whitespace only`).
        what: String,
    },
    /// A key or prompt that must be unique appears twice.
    #[error("line {line}: duplicate {what} `{key}` (first at line {first_line})")]
    Duplicate {
        /// 1-based line of the second occurrence.
        line: usize,
        /// 1-based line of the first occurrence.
        first_line: usize,
        /// `key` or `prompt`.
        what: String,
        /// The repeated value.
        key: String,
    },
    /// A JSONL line could not be parsed.
    #[error("line {line}: {message}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong (malformed JSON, or which field is missing or mistyped).
        message: String,
    },
    /// A JSONL field has the wrong type or is missing.
    #[error("line {line}: field `{field}`: {message}")]
    Field {
        /// 1-based line number.
        line: usize,
        /// The field name (`kwargs[2]` for an element).
        field: String,
        /// What is wrong.
        message: String,
    },
}
