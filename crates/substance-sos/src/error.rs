//! The error type of the crate. Every variant names the input it concerns (`file`: the label the caller
//! gave the input, normally its path) and, where it makes sense, the 1-based line and the column.

use thiserror::Error;

/// Why an SOS input could not be read or aggregated.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SosError {
    /// Reading a file failed.
    #[error("{file}: cannot read: {message}")]
    Io {
        /// The path.
        file: String,
        /// The I/O error.
        message: String,
    },
    /// The CSV has no header (empty input).
    #[error("{file}: empty file (expected a header line)")]
    Empty {
        /// The input label.
        file: String,
    },
    /// The CSV has a header but no data rows.
    #[error("{file}: no data rows after the header")]
    NoRows {
        /// The input label.
        file: String,
    },
    /// The CSV reader failed (invalid UTF-8, unterminated quote…).
    #[error("{file}:{line}: malformed CSV: {message}")]
    Csv {
        /// The input label.
        file: String,
        /// 1-based line where the problem was found.
        line: u64,
        /// The reader's message.
        message: String,
    },
    /// A row has a different number of fields than the header.
    #[error("{file}:{line}: ragged row: {found} fields, the header has {expected}")]
    Ragged {
        /// The input label.
        file: String,
        /// 1-based line of the row.
        line: u64,
        /// Number of header fields.
        expected: usize,
        /// Number of fields in this row.
        found: usize,
    },
    /// The header names the same column twice.
    #[error("{file}:1: column `{column}` appears twice in the header")]
    DuplicateColumn {
        /// The input label.
        file: String,
        /// The repeated header.
        column: String,
    },
    /// A required column is absent from the header.
    #[error("{file}: missing column `{column}`{hint}")]
    MissingColumn {
        /// The input label.
        file: String,
        /// The column that was looked for.
        column: String,
        /// Extra context (e.g. which benchmark needs it), starting with a separator, or empty.
        hint: String,
    },
    /// Two rows carry the same model name.
    #[error("{file}:{line}: duplicate model `{model}` (first seen on line {first_line})")]
    DuplicateModel {
        /// The input label.
        file: String,
        /// 1-based line of the second occurrence.
        line: u64,
        /// The model name.
        model: String,
        /// 1-based line of the first occurrence.
        first_line: u64,
    },
    /// A row has an empty model name.
    #[error("{file}:{line}: empty model name in column `{column}`")]
    EmptyModelName {
        /// The input label.
        file: String,
        /// 1-based line of the row.
        line: u64,
        /// The model-name column.
        column: String,
    },
    /// A cell that must hold a number holds something else (missing values must be `N/A`, `NA`, `NaN`
    /// or empty).
    #[error("{file}:{line}: column `{column}`: `{value}` is not a number")]
    NonNumeric {
        /// The input label.
        file: String,
        /// 1-based line of the row.
        line: u64,
        /// The column header.
        column: String,
        /// The offending cell (truncated to 60 characters).
        value: String,
    },
    /// The mapping or alias TOML is invalid.
    #[error("{file}: invalid {what}: {message}")]
    Config {
        /// The input label.
        file: String,
        /// "mapping" or "alias table".
        what: &'static str,
        /// What is wrong (TOML errors include line and column).
        message: String,
    },
    /// A new model's row cannot join the tables (`--receipts`).
    #[error("{model}: {message}")]
    NewModel {
        /// The new model.
        model: String,
        /// Why.
        message: String,
    },
}
