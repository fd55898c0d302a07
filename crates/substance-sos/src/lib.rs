//! SOS-Bench aggregation ("Style Outweighs Substance", Feuer et al., ICLR 2025; SPEC §1): turn the wide
//! lm-eval results table (and optionally LiveBench group scores) into per-model **world knowledge (WK)**,
//! **instruction following (IF)** and **safety** factor scores, and measure how well an LLM judge's
//! preference score (Arena-Hard-Auto) tracks them across models.
//!
//! Pipeline: [`parse_results_csv`] / [`parse_livebench_csv`] / [`parse_judge_csv`] → [`factor_scores`] →
//! [`join_judge`] → [`correlate()`]; [`build_report`] runs all of it and returns a [`SosReport`]
//! (`Serialize` for JSON, `Display` for a text table).
//!
//! Design choices:
//! - **The mapping is data, not code.** Which columns feed which benchmark and factor, each column's number
//!   of answer options (for chance correction) and WMDP's inversion live in a TOML file shipped with the
//!   crate ([`config::DEFAULT_MAPPING_TOML`], commented line by line) and can be replaced by a user's file.
//!   The SOS repository has no aggregation code (SPEC §1.3), so every choice is written down there.
//! - **Normalisation is explicit** ([`NormMode`]): raw values, or the Open-LLM-Leaderboard-v2 chance
//!   correction `max(0, (x − b)/(1 − b))` per column before any averaging. Benchmark = mean of its
//!   columns, factor = mean of its benchmarks, `N/A` cells excluded; a factor with nothing available is
//!   `None` with a note, never 0.
//! - **Joins are explicit.** Model names differ between the three CSVs; a hand-written alias table
//!   ([`config::DEFAULT_ALIASES_TOML`]) maps judge and LiveBench names to results names, and every name that
//!   does not join is reported with a reason.
//! - **Strict, located errors.** Empty files, ragged rows, duplicate models or headers, missing columns and
//!   non-numeric cells are [`SosError`]s naming the file, the 1-based line and the column. Parsing takes
//!   bytes and never panics (property-tested on arbitrary input).
//! - **A new model joins as a row.** A bundle run's receipts (`substance sos --receipts`) become one row
//!   of the results table ([`Table::add_row`], numbers written so they read back bit for bit), so its
//!   factor scores are the ones the same numbers give in a CSV; [`placement()`] ranks it among the
//!   paper's models.
//! - **Statistics come from `substance-metrics`**: Pearson, Spearman and Kendall τ-b with SciPy's
//!   conventions and seeded, platform-independent bootstrap CIs over models; results are identical in the
//!   CLI and in the browser. `scripts/sos_reference.py` recomputes the factor scores and coefficients
//!   independently with pandas/SciPy from the same TOML files (fixture under `tests/fixtures/`).

pub mod config;
pub mod correlate;
pub mod error;
pub mod factors;
pub mod placement;
pub mod report;
pub mod table;

pub use config::{AliasTable, BenchmarkSpec, ColumnSpec, Factor, Mapping, Resolution, Source};
pub use correlate::{
    Correlation, CorrelationOptions, JudgeJoin, JudgeMatch, Unmatched, correlate, join_judge,
};
pub use error::SosError;
pub use factors::{
    BenchmarkScore, FactorScore, FactorTable, ModelFactors, NormMode, factor_scores,
};
pub use placement::{FactorPlace, Joined, Placement, join_new_model, placement};
pub use report::{BenchmarkInfo, SosReport, build_report};
pub use substance_metrics::correlation::CorrMethod;
pub use table::{
    JudgeScores, Table, parse_judge_csv, parse_livebench_csv, parse_results_csv, read_input,
};
