//! The one error type of the crate.

use thiserror::Error;

/// Why a leaderboard could not be computed. Parsers name the file, the 1-based line and the field; the math
/// names the model or the reason. Nothing in this crate panics on input.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LeaderboardError {
    /// An input record could not be read.
    #[error("{file}:{line}: {}{message}", field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
    Parse {
        /// The file (or a caller-chosen label for an in-memory input).
        file: String,
        /// 1-based line (JSONL) or record number (JSON arrays, CSV rows); 0 for the whole file.
        line: usize,
        /// The offending field, when one is to blame.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A v2 judgment carries a verdict label outside the ten known ones (the reference raises `KeyError`).
    #[error("unknown verdict label {label:?} (question {question_id}, model {model})")]
    UnknownLabel {
        /// The label as found.
        label: String,
        /// The question it belongs to.
        question_id: String,
        /// The judged model.
        model: String,
    },
    /// There is nothing to rank.
    #[error("no battles to fit (every judgment was dropped or the input is empty)")]
    NoBattles,
    /// The baseline named by the caller has judgments of its own against the baseline (v0.1): it is one
    /// of the judged models, not the model every battle is against.
    #[error(
        "model {0:?} has its own judgments, so it is not the baseline: the baseline is the model every judged model was compared with (v0.1 judgment files do not record it; it is usually the one model with answers and no judgment file)"
    )]
    BaselineJudged(String),
    /// The baseline named by the caller is not among the battles.
    #[error("baseline model {0:?} does not appear in any battle")]
    MissingBaseline(String),
    /// A style feature needs answer metadata that is not there.
    #[error(
        "no answer metadata for model {model:?}, question {question_id:?} (style control needs token length and markdown counts: a `token_len` in the answer file, or its text in a build with the `tiktoken` feature, as the CLI is)"
    )]
    MissingMetadata {
        /// The model whose answer is missing.
        model: String,
        /// The question.
        question_id: String,
    },
    /// A style feature column is constant, so it cannot be z-scored (the reference divides by zero and fails).
    #[error(
        "style feature `{0}` has zero variance over the battles; drop it or use another control mode"
    )]
    DegenerateFeature(&'static str),
    /// The maximum-likelihood estimate does not exist or the solver failed.
    #[error("the logistic fit failed: {0}")]
    Fit(String),
    /// An argument is out of its domain.
    #[error("invalid argument: {0}")]
    Invalid(String),
}

impl LeaderboardError {
    /// A parse error at `file:line` about `field`.
    pub(crate) fn parse(
        file: &str,
        line: usize,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self::Parse {
            file: file.to_string(),
            line,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }
}

/// Result alias of the crate.
pub type Result<T> = std::result::Result<T, LeaderboardError>;
