//! Typed scoring errors.

use thiserror::Error;

/// Why an item could not be scored.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ScoreError {
    /// The suite names a scorer this build does not have.
    #[error("unknown scorer `{name}` (known: {known})")]
    UnknownScorer {
        /// The requested name.
        name: String,
        /// The registry's names.
        known: String,
    },
    /// The response does not fit the item (wrong kind, wrong number of choices…).
    #[error("item `{item}`: scorer `{scorer}`: {message}")]
    Mismatch {
        /// Item id.
        item: String,
        /// Scorer name.
        scorer: String,
        /// What does not fit.
        message: String,
    },
}
