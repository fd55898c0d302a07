//! Pure leaderboard math of the substance kit: recorded judge verdicts in, leaderboards out. No I/O besides
//! parsing bytes the caller read; identical results natively and on `wasm32-unknown-unknown`.
//!
//! | module | reproduces | entry points |
//! |---|---|---|
//! | [`formats`] | the recorded file layouts of Arena-Hard v0.1/v2, AlpacaEval, MT-Bench, the Arena-Hard notebook | [`parse_arena_judgments`], [`parse_answers`], [`parse_alpaca_annotations`], [`parse_mt_bench_single`], [`parse_mt_bench_pair`], [`parse_bootstrap_stats`], [`formats::parse_instruction_difficulty`], [`formats::parse_gamed_rows`] |
//! | [`arena`] | Arena-Hard **v0.1** `show_result.py` + `utils_math.py` @0489bf3: battles, `compute_mle_elo`, bootstrap, win rate vs baseline, style control (`construct_style_matrices`, `fit_bt`) | [`arena_hard_v01_leaderboard`], [`arena::battles_v01`], [`arena::compute_mle_elo`], [`arena::bootstrap_elo`] |
//! | [`arena_v2`] | Arena-Hard **v2.0** `show_result.py` + `utils/math_utils.py` @196f6b8: soft battles, bootstrap means, soft-label BT with style control | [`arena_hard_v2_leaderboard`], [`arena_v2::battles_v2`] |
//! | [`style`] | `add_markdown_info.py` (same at both commits): code stripping, markdown counts, tiktoken lengths | [`style::count_markdown`], [`style::token_len`] |
//! | [`alpaca`] | AlpacaEval 2 @cd543a1 `metrics/helpers.py`, `winrate.py`, `glm_winrate.py` | [`alpaca_eval`], [`alpaca::head2head`], [`alpaca::discrete_win_rate`], [`alpaca::length_controlled`] |
//! | [`mtbench`] | FastChat `llm_judge/show_result.py` | [`mtbench::mt_bench_single`], [`mtbench::mt_bench_pairwise`] |
//! | [`separability`] | Arena-Hard notebook `benchmark_statistics.ipynb` @0489bf3 | [`separability::separability`], [`separability::agreement_with_confidence`], [`separability::pair_rank_brier`] |
//!
//! The verdict rules and the battle construction are `substance-judge`'s (its `protocol::arena` and
//! `protocol::mt_bench`), the one place they are written: the importers here re-extract a label with
//! `parse_v01` / `parse_v2` / `parse_rating` when a file has the judge text but no parsed score, and
//! [`arena::battles_v01`] / [`arena_v2::battles_v2`] map each judgment's games through `v01_battle` /
//! `v2_outcomes_weighted`.
//!
//! **What is exact.** Battle construction and the label rules of both versions; AlpacaEval `win_rate`,
//! `standard_error`, `n_*` and `discrete_win_rate` (equal to the published leaderboard CSV to ~1e-14 on the
//! real annotations); the Bradley–Terry point estimates (the maximum-likelihood estimate itself — scikit-learn's
//! lbfgs at `tol = 1e-8` is within 1e-6 of it in win-rate points, checked by `tests/arena_parity.rs` against
//! `scripts/leaderboard_reference.py`); v0.1 style control (exact L2 minimiser, within 2e-7 pp of scikit-learn
//! run to convergence); markdown counts (Python `re` semantics, including `\s` = `[\s\x1C-\x1F]`); the CSV CI
//! strings; MT-Bench means and win rates; the notebook statistics.
//!
//! **What deviates, and why.**
//! - *Bootstrap randomness*: resampling uses ChaCha8 seeded by the caller
//!   ([`substance_metrics::bootstrap`]), not NumPy's stream (v0.1) or the unseeded draws (v2), so intervals
//!   are reproducible from the seed and agree with the reference in distribution, not digit for digit.
//! - *Solvers run to convergence*: every logistic fit is solved by (proximal) Newton to machine precision.
//!   The reference's solvers stop early (scikit-learn lbfgs `tol = 1e-8` / `1e-4`, liblinear `tol = 1e-4`,
//!   torch LBFGS 50 iterations in float32), which moves AlpacaEval LC by up to ~0.06 pp on the real
//!   annotations and v2 style-controlled scores by the LBFGS residual.
//! - *AlpacaEval LC cross-validation*: the `GroupKFold(5)` folds are scikit-learn ≥ 1.6's (stable order); the
//!   pick among `Cs` can still differ from liblinear's where the CV curve is flat to ~1e-7.
//! - *Failure instead of garbage*: a fit with no finite estimate, a degenerate style column, an unknown v2
//!   label, or missing answer metadata is a typed [`LeaderboardError`]; bootstrap replicates that cannot be
//!   fitted are skipped and counted (`bootstrap_failed`).
//! - *Token counts* need the `tiktoken` feature (on by default; `tiktoken-rs` embeds `cl100k_base` and
//!   `o200k_base` and builds for wasm32); without it, answers must carry `token_len` (v0.1 `turns[].token_len`
//!   or `conv_metadata`, v2 `metadata`).

pub mod alpaca;
pub mod arena;
pub mod arena_v2;
pub mod error;
pub mod formats;
pub(crate) mod logistic;
pub mod mtbench;
pub mod num;
pub mod separability;
pub mod style;

pub use alpaca::{AlpacaRow, LcInputs, LengthControlled, alpaca_eval};
pub use arena::{
    ArenaLeaderboard, ArenaV01Options, BattleOptions, BootstrapAnchor, LeaderboardRow,
    StyleControl, arena_hard_v01_leaderboard,
};
pub use arena_v2::{ArenaV2Options, arena_hard_v2_leaderboard};
pub use error::LeaderboardError;
pub use formats::{
    AlpacaAnnotation, Answer, ArenaJudgment, ArenaVersion, parse_alpaca_annotations, parse_answers,
    parse_arena_judgments, parse_bootstrap_stats, parse_mt_bench_pair, parse_mt_bench_single,
};
