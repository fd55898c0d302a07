//! Judges of the substance kit: the protocols LLM judges are run with, the parsers that turn their
//! replies into verdicts, importers of recorded judgments, metrics of judge quality, and the bias probes
//! and bias reports at the heart of SOS-Bench ("style outweighs substance") and JudgeLM.
//!
//! Everything here is pure — no network, no file system, no clock — and compiles for
//! `wasm32-unknown-unknown`. The endpoint client renders with [`Judge::render`], sends the messages, and
//! hands each reply to [`Judge::parse`]; the browser's judge lab replays recorded judgments through the
//! same functions.
//!
//! | module | what |
//! |---|---|
//! | [`protocol`] | [`JudgeProtocol`] (Arena-Hard v0.1 / v2, SOS five-factor, MT-Bench single / pairwise / two-score, JudgeLM, LLMBar parse-only), prompt sets, [`Judge::render`], [`Judge::parse`], [`Judge::preference`] |
//! | [`label`] | [`Preference`] (A / B / tie), [`ArenaLabel`], [`Factor`], the typed [`Verdict`] |
//! | [`pair`] | [`JudgedPair`]: question, answers, reference, recorded verdicts, human label and votes |
//! | [`import`] | recorded judgments: Arena-Hard, AlpacaEval, MT-Bench, PandaLM, LLMBar, XSTest, Prometheus |
//! | [`metrics`] | agreement, macro P/R/F1, Cohen's κ, JudgeLM swap consistency, MT-Bench human agreement |
//! | [`probe`] | seeded perturbations: position swap, verbosity padding, markdown restyle, substance corruption, style-over-substance, reference drop/support |
//! | [`report`] | [`report::BiasReport`]: flip rate, position consistency, length preference, style-vs-substance, with bootstrap CIs |
//! | [`diff`] | token-level diffs for highlighting what a probe changed |
//! | [`examples`] | 30 original judged pairs for the judge lab (`data/examples/`) |
//! | [`py`] | the Python semantics the reference parsers depend on (`str.isspace`, `strip`, `float`, `str.format`) |
//!
//! # Reference behaviour reproduced
//!
//! Parsers use the `regex` crate, whose semantics match Python's `re` for every pattern used here except
//! `\s` (Python also counts U+001C–U+001F), which is written as [`py::PY_SPACE`]; `\d` is Unicode `Nd` in
//! both.
//!
//! - **Arena-Hard-Auto v0.1** (`gen_judgment.get_score`): `\[\[([AB<>=]+)\]\]`, exactly one distinct
//!   label, else none; no label at all → ask again with the SPEC retry text (two attempts, replies
//!   joined with `"\n"`). Battles: game 0 shows the baseline first, `>>` counts 3 times, other labels
//!   drop the game ([`protocol::arena::v01_battle`]).
//! - **Arena-Hard-Auto v2**: `\[\[…\]\]` then `\[…\]` on the upper-cased judgment, last match of the first
//!   pattern that matches; ten label spellings; outcome lists `L[g1] ++ (1 − L[g0])`
//!   ([`protocol::arena::v2_outcomes`]).
//! - **SOS-Bench five-factor** (`write_with_subscores`): per factor the first `Factor: ((label))` match,
//!   `''` when absent, with the 2024 or 2025 (bold names, `：`) regexes; the overall label by the v0.1
//!   rule.
//! - **MT-Bench** (`run_judge_single`, `run_judge_pair`): first `[[rating]]`, else first `[rating]`, read
//!   like `ast.literal_eval`; pairwise `[[A]]` before `[[B]]` before `[[C]]` by substring; two-score format
//!   with a 0.1 tie band; two games, a tie or a disagreement is a tie ([`protocol::mt_bench`]).
//! - **JudgeLM** (`parse_score`, `translate_score_to_win_list`): first line, `,` → space, split on one
//!   space, exactly N tokens read with Python's `float`; otherwise `[-1, -1]`, i.e. a tie.
//! - **LLMBar** (`completion_with_parsing`): the evaluator's `Output (a)`/`Output (b)` patterns on the
//!   stripped completion, first match.
//! - **AlpacaEval** (`logprob_parser`): `P(m)/(P(m)+P(M))` from the first token's top logprobs.
//! - **Metrics**: scikit-learn's accuracy / macro P-R-F1 / `cohen_kappa_score` (as JudgeLM and LLMBar call
//!   them), PandaLM's `compute_metrics.py` (all three classes, `garbage` → tie), JudgeLM's consistency and
//!   `perfer_before/after`, FastChat's `compute_agreement.py`.
//!
//! Checked on real recorded judge outputs (`tests/real_parsers.rs`, data from `$SUBSTANCE_DATA`): all
//! 160 MT-Bench single judgments of the instructlab set (120 without a rating), all 2,514 LLMBar GPT-4
//! completions (and LLMBar's `statistics.json`, κ quirk included), all 2,404 AlpacaEval weighted
//! annotations with logprobs, and PandaLM's published accuracy/P/R/F1 for GPT-3.5 and PandaLM-7B.
//!
//! # Deviations and choices
//!
//! - **Prompt texts.** Only what SPEC quotes is shipped verbatim (the Arena-Hard user template, the v0.1
//!   retry turn, JudgeLM's layout). The Arena-Hard/SOS system prompts, MT-Bench's eight judge prompts and
//!   JudgeLM's instruction text are substance's own wording with the same structure, placeholders and
//!   output formats ([`PromptSource::Original`]). To judge with the exact upstream texts, load them:
//!   [`PromptSet::from_fastchat_jsonl`] reads FastChat's `judge_prompts.jsonl`, [`PromptSet::from_toml`]
//!   reads the crate's layout, and [`PromptSet::overlay`] replaces prompts by name. The parsers are the
//!   same either way; [`PromptSet::sha256`] identifies the prompts in a receipt.
//! - **Where the reference crashes**, the parsers return "no verdict": MT-Bench ratings that
//!   `ast.literal_eval` rejects (`[[07]]`, non-ASCII digits) and v2 labels outside `label_to_score` (an
//!   error only when mapped to outcomes, as upstream).
//! - **Verdict orientation.** A [`RecordedVerdict`] stores the verdict as the judge said it, plus a
//!   `swapped` flag; [`RecordedVerdict::preference`] maps it back to the pair. Importers that receive
//!   winners already mapped back (LLMBar, FastChat pair files) convert them, so re-parsing `raw` always
//!   reproduces `verdict`.
//! - **Bootstrap intervals** use [`substance_metrics::bootstrap`] (ChaCha8, seed in the report): the same
//!   seed gives the same interval everywhere, but not NumPy's numbers.

pub mod diff;
pub mod error;
pub mod examples;
pub mod import;
pub mod label;
pub mod metrics;
pub mod pair;
pub mod probe;
pub mod protocol;
pub mod py;
pub mod report;

pub use error::{ImportError, JudgeError};
pub use label::{ArenaLabel, Factor, Preference, Side, Verdict};
pub use metrics::{
    Agreement, Labels, Missing, SwapConsistency, agreement, cohen_kappa, swap_consistency,
};
pub use pair::{JudgedPair, RecordedVerdict};
pub use probe::{Perturbed, Probe, ProbeRecord};
pub use protocol::{
    Conversation, FactorRegex, Game, Judge, JudgeInput, JudgeProtocol, LlmBarParsing, Parsed,
    PromptFamily, PromptSet, PromptSource, PromptTemplate, Rendered, SecondTurn, Step,
};
pub use report::{BiasObservation, BiasReport, ReportOptions, bias_report};
