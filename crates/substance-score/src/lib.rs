//! Scoring, aggregation and verification: the part of the kit that turns responses into numbers and
//! checks that published numbers follow from their responses.
//!
//! - [`scorers`]: the scorer registry. A scorer is a named, pure function `(Item, Response) → metrics`;
//!   suites refer to scorers by name, so a suite file stays data and a receipt can be re-scored anywhere
//!   (natively or in the browser) by the same code that scored it.
//! - [`aggregate`]: streaming aggregation into [`substance_core::Aggregate`]s — mean, lm-eval standard
//!   error (ddof = 1), size-weighted group means with pooled standard errors, and a seeded percentile
//!   bootstrap whose seed is part of the receipt header.
//! - [`verify`]: a line-at-a-time verifier. It re-hashes every item, checks every line digest, re-scores
//!   every response, rebuilds every prompt when the suite is at hand, re-aggregates, and compares with what
//!   the receipt claims, naming each mismatching line and item. Being incremental, it verifies receipts of
//!   any size in constant memory per item (one float per metric) and can report progress in a page.
//! - [`bundle`]: a bundle run's results-table row, from its verified receipts only.
//!
//! Floats are compared with an absolute tolerance of [`TOLERANCE`] (1e-9): the kit's own receipts
//! reproduce bit-for-bit, the tolerance only admits receipts written by other implementations that sum in a
//! different order.

pub mod aggregate;
pub mod bundle;
pub mod error;
pub mod scorers;
pub mod verify;

pub use aggregate::Aggregator;
pub use bundle::{BundleRowError, CheckedReceipt, bundle_row};
pub use error::ScoreError;
pub use scorers::{Scorer, score_item, scorer, scorer_names};
pub use verify::{Mismatch, Verifier, VerifyReport, verify_reader};

/// Absolute tolerance used when comparing recomputed floats with claimed ones.
pub const TOLERANCE: f64 = 1e-9;
