//! The one error type of the crate.

use thiserror::Error;

/// Why a metric could not be computed. Every metric function validates its input and returns one of these
/// instead of panicking or silently producing a number for malformed input.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MetricError {
    /// An input that must hold at least one element is empty.
    #[error("`{what}` is empty")]
    Empty {
        /// The name of the empty argument.
        what: &'static str,
    },
    /// Two inputs that must be parallel have different lengths.
    #[error("length mismatch: `{left}` has {left_len} entries but `{right}` has {right_len}")]
    LengthMismatch {
        /// Name of the first argument.
        left: &'static str,
        /// Its length.
        left_len: usize,
        /// Name of the second argument.
        right: &'static str,
        /// Its length.
        right_len: usize,
    },
    /// A gold index does not address one of the choices.
    #[error("gold index {index} is out of range for {choices} choices")]
    GoldOutOfRange {
        /// The offending gold index.
        index: usize,
        /// The number of choices.
        choices: usize,
    },
    /// An input holds NaN or +∞ where a log-likelihood (or another finite number) is required.
    #[error("`{what}[{index}]` = {value} is not allowed here (NaN and +inf are rejected)")]
    NonFinite {
        /// Name of the argument.
        what: &'static str,
        /// Position of the offending value.
        index: usize,
        /// The value itself.
        value: f64,
    },
    /// `acc_norm`/`acc_bytes` would divide by the length of an empty choice string.
    #[error("choice {index} is the empty string; length normalisation would divide by zero")]
    EmptyChoice {
        /// Position of the empty choice.
        index: usize,
    },
    /// The input is well-formed but the quantity is mathematically undefined for it.
    #[error("{metric} is undefined for this input: {reason}")]
    Undefined {
        /// The metric or statistic.
        metric: &'static str,
        /// Why it is undefined.
        reason: String,
    },
    /// A parameter (weight, level, size…) is outside its domain.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}
