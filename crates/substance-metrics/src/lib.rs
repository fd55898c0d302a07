//! Pure scoring math of the substance kit: no I/O, no allocation-heavy dependencies, identical results on
//! native targets and `wasm32-unknown-unknown`.
//!
//! | module | what |
//! |---|---|
//! | [`mc`] | lm-evaluation-harness multiple-choice rules per document: `acc`, `acc_norm` (Unicode characters), `acc_bytes`, greedy `exact_match`, TruthfulQA MC1/MC2, `acc_mutual_info`, Brier score |
//! | [`stats`] | mean, sample std (ddof = 1), stderr of the mean, weighted and size-weighted group means, lm-eval's pooled group stderr |
//! | [`bootstrap`] | seeded percentile bootstrap over index multisets (ChaCha8, integer-only sampling) |
//! | [`correlation`] | Pearson, Spearman (average ranks), Kendall τ-b (SciPy's tie handling), bootstrap CIs over pairs |
//! | [`extract`] | exact-match answer extraction: GSM8K strict/flexible filters, last number, number normalisation, MATH `\boxed{}` and Minerva/Hendrycks answer normalisation |
//!
//! Design choices:
//! - **Parity with the reference implementation is the spec.** Each function names the lm-eval / SciPy /
//!   NumPy function it reproduces and keeps its quirks (first-maximum argmax with NumPy's NaN rule,
//!   `acc_norm` dividing by characters not bytes, pooled stderr with `Σn − k`). Where the reference crashes
//!   or silently scores garbage (out-of-range gold, NaN log-likelihoods, empty choices), this crate returns a
//!   typed [`MetricError`] instead; nothing here panics on input.
//! - **Undefined statistics are explicit.** Scalar summaries ([`stats::mean`], [`stats::stderr_mean`]) use NaN
//!   for "undefined", as NumPy does and as lm-eval's `"N/A"` stderr means; correlations and intervals return
//!   `Option`; per-document metrics return `Result`.
//! - **Reproducible randomness.** The bootstrap is specified down to the integer sampling step (see
//!   [`bootstrap`]), so the same seed gives the same interval on every platform and in the browser.
//!   Intervals cannot match NumPy's RNG bit for bit; they agree in distribution.
//! - **Numbers are checked against the reference.** `scripts/metrics_reference.py` recomputes the test
//!   vectors with NumPy/SciPy; its output is committed as `tests/fixtures/metrics_reference.json`.

pub mod bootstrap;
pub mod correlation;
pub mod error;
pub mod extract;
pub mod mc;
pub mod pyrandom;
pub mod stats;

pub use correlation::CorrMethod;
pub use error::MetricError;
