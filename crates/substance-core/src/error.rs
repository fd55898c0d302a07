//! Typed errors of the core crate.

use thiserror::Error;

/// Errors raised while validating core data (suites, items, scores).
#[derive(Debug, Error)]
pub enum CoreError {
    /// A field holds a value outside its allowed domain.
    #[error("{context}: field `{field}`: {message}")]
    Invalid {
        /// What was being validated (a file name, an item id…).
        context: String,
        /// The offending field.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// Serialising a value to JSON failed (should not happen for core types).
    #[error("cannot serialise {what}: {source}")]
    Serialise {
        /// What was being serialised.
        what: &'static str,
        /// The serde_json error.
        #[source]
        source: serde_json::Error,
    },
}

/// Errors raised while reading or writing a receipt. Every variant names the line (1-based) it concerns.
#[derive(Debug, Error)]
pub enum ReceiptError {
    /// The underlying reader or writer failed.
    #[error("receipt line {line}: I/O error: {source}")]
    Io {
        /// 1-based line number.
        line: usize,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A line is not valid JSON for its declared type.
    #[error("receipt line {line}: malformed JSON: {source}")]
    Json {
        /// 1-based line number.
        line: usize,
        /// The serde_json error (it names the field and column).
        #[source]
        source: serde_json::Error,
    },
    /// A line is longer than the reader accepts.
    #[error("receipt line {line}: longer than the limit of {limit} bytes")]
    LineTooLong {
        /// 1-based line number.
        line: usize,
        /// The byte limit.
        limit: usize,
    },
    /// The lines are not in the order header, items…, summary.
    #[error("receipt line {line}: {message}")]
    Structure {
        /// 1-based line number.
        line: usize,
        /// What is out of place.
        message: String,
    },
    /// The header declares a schema this build does not understand.
    #[error("receipt line {line}: unsupported schema `{found}` (this build reads `{expected}`)")]
    Schema {
        /// 1-based line number.
        line: usize,
        /// The schema string found.
        found: String,
        /// The schema string expected.
        expected: &'static str,
    },
}
