//! Arena-Hard-Auto **v0.1** leaderboard (`show_result.py` + `utils_math.py` @0489bf3; SPEC §2.3–§2.5).
//!
//! Pipeline: [`battles_v01`] (two games per judgment → weighted battle rows) → [`compute_mle_elo`]
//! (Bradley–Terry maximum likelihood, Elo scale, anchored at the baseline) → [`bootstrap_elo`] (seeded
//! resampling of battle rows) → win rate vs the baseline with a percentile interval;
//! [`arena_hard_v01_leaderboard`] runs all of it, optionally with style control ([`StyleControl`]).
//!
//! Exactness:
//! - Battles, the duplicated design with ties as one win + one loss, the unpenalised fit, the baseline anchor,
//!   the win-rate formula, the 2.5/97.5 percentiles, and the CSV `CI` string are the reference's. Duplicated
//!   rows are carried as weights and the two rows of a battle as one soft-label row: the same objective.
//! - The fit is solved by Newton's method to machine precision; scikit-learn's lbfgs stops at `tol = 1e-8`,
//!   so point estimates agree to about 1e-6 (checked against `scripts/leaderboard_reference.py`).
//! - The bootstrap draws rows from ChaCha8 ([`substance_metrics::bootstrap`]), not NumPy's global
//!   `np.random.seed(42)` stream, so intervals agree in distribution, not digit for digit.
//! - Style control (v0.1): features `(a − b)/(a + b + 1)` on raw counts (a = baseline), z-scored with the
//!   population std over the battles, appended to the ±ln10 design, fitted with scikit-learn's default L2
//!   penalty `C = 1` — solved exactly here (scikit-learn's default `tol = 1e-4` leaves ~1e-4 of slack).
//!
//! Deviations (all documented on the items): a battle of a model against itself is dropped (the reference's
//! design matrix overwrites one cell with the other); bootstrap replicates in which a model is absent or the
//! fit has no finite solution are skipped (NaN) instead of poisoning the percentile with NaN / huge values;
//! bootstrap fits are anchored at the given baseline unless [`BootstrapAnchor::ReferenceDefault`] asks for the
//! reference's quirk (its bootstrap always anchors at `gpt-4-0314`, or nowhere if that model is absent).

use std::collections::BTreeMap;

use substance_core::input::Skipped;
use substance_judge::protocol::arena::{STRONG_WEIGHT, v01_battle};
use substance_metrics::bootstrap::{rng_from_seed, uniform_index};

use crate::error::{LeaderboardError, Result};
use crate::formats::{Answer, ArenaJudgment};
use crate::logistic::{self, Design, Penalty};
use crate::num::{percentile, py_float_str, py_round, std_pop};
use crate::style::{Encoding, StyleMeta};

/// The reference's `INIT_RATING`, `SCALE` and `BASE`.
const INIT_RATING: f64 = 1000.0;
const SCALE: f64 = 400.0;

/// Who won a battle: `ModelA` (the baseline in Arena-Hard), `ModelB` (the judged model), or a tie (one win
/// plus one loss in the fit). The type is `substance-judge`'s, which owns the battle construction.
pub use substance_judge::protocol::arena::BattleWinner as Winner;

/// One battle row (strong verdicts appear as `weight` identical rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Battle {
    /// Question id.
    pub question_id: String,
    /// Model A (the baseline).
    pub model_a: String,
    /// Model B.
    pub model_b: String,
    /// Outcome.
    pub winner: Winner,
}

/// Options of [`battles_v01`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BattleOptions {
    /// Rows per strong verdict (`--weight`, default 3).
    pub weight: usize,
    /// Keep only game 0 (`--first-game-only`).
    pub first_game_only: bool,
}

impl Default for BattleOptions {
    fn default() -> Self {
        Self {
            weight: STRONG_WEIGHT,
            first_game_only: false,
        }
    }
}

/// `get_battles_from_row` for every judgment: `model_a = baseline`, `model_b = judgment.model`.
///
/// Each game goes through `substance-judge`'s [`v01_battle`]: game 0 (A = baseline): `A=B` tie; `A>B` A ×1;
/// `A>>B` A ×w; `B>A` B ×1; `B>>A` B ×w. Game 1 (positions swapped, so mirrored): `A>B` B ×1; `A>>B` B ×w;
/// `B>A` A ×1; `B>>A` A ×w; `A=B` tie. Any other label (`None`, `A<B`, …), a `null` game or a missing game
/// is dropped.
pub fn battles_v01(
    judgments: &[ArenaJudgment],
    baseline: &str,
    opts: BattleOptions,
) -> Vec<Battle> {
    let mut out = Vec::new();
    let games = if opts.first_game_only { 1 } else { 2 };
    for j in judgments {
        for g in 0..games {
            let label = j.label(g);
            let Some(battle) = v01_battle(g, label, opts.weight) else {
                continue;
            };
            for _ in 0..battle.count {
                out.push(Battle {
                    question_id: j.question_id.clone(),
                    model_a: baseline.to_string(),
                    model_b: j.model.clone(),
                    winner: battle.winner,
                });
            }
        }
    }
    out
}

/// Battles indexed by model (models sorted by name).
#[derive(Debug, Clone)]
struct Indexed {
    models: Vec<String>,
    a: Vec<usize>,
    b: Vec<usize>,
    winner: Vec<Winner>,
    /// Position in the caller's battle slice.
    source: Vec<usize>,
}

impl Indexed {
    fn new(battles: &[Battle]) -> Self {
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        for bt in battles {
            names.insert(&bt.model_a, 0);
            names.insert(&bt.model_b, 0);
        }
        for (i, v) in names.values_mut().enumerate() {
            *v = i;
        }
        let models: Vec<String> = names.keys().map(|s| s.to_string()).collect();
        let mut out = Self {
            models,
            a: vec![],
            b: vec![],
            winner: vec![],
            source: vec![],
        };
        for (i, bt) in battles.iter().enumerate() {
            if bt.model_a == bt.model_b {
                continue;
            }
            out.a.push(names[bt.model_a.as_str()]);
            out.b.push(names[bt.model_b.as_str()]);
            out.winner.push(bt.winner);
            out.source.push(i);
        }
        out
    }

    fn index_of(&self, model: &str) -> Option<usize> {
        self.models.binary_search_by(|m| m.as_str().cmp(model)).ok()
    }

    /// Weight of the `y = 1` copy and of the `y = 0` copy of battle `i` (the duplicated table: a win for A is
    /// two `y = 1` rows, a win for B two `y = 0` rows, a tie one of each).
    fn split(&self, i: usize) -> (f64, f64) {
        match self.winner[i] {
            Winner::ModelA => (2.0, 0.0),
            Winner::ModelB => (0.0, 2.0),
            Winner::Tie => (1.0, 1.0),
        }
    }
}

/// How ratings are anchored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    /// β of this model fixed at 0 (Elo 1000).
    Model(usize),
    /// Minimum-norm solution (Σβ = 0), what lbfgs from zero returns on the rank-deficient design.
    Centered,
}

/// Plain BT fit with per-battle multiplicities `mult`; returns Elo per model (NaN for models with no battle
/// in this sample).
fn fit_plain(ix: &Indexed, mult: &[f64], anchor: Anchor) -> std::result::Result<Vec<f64>, String> {
    let p = ix.models.len();
    // Aggregate by ordered pair: one soft-label row per pair.
    let mut pairs: BTreeMap<(usize, usize), (f64, f64)> = BTreeMap::new();
    let mut present = vec![false; p];
    for i in 0..ix.a.len() {
        if mult[i] == 0.0 {
            continue;
        }
        let (w1, w0) = ix.split(i);
        let e = pairs.entry((ix.a[i], ix.b[i])).or_insert((0.0, 0.0));
        e.0 += mult[i] * w1;
        e.1 += mult[i] * w0;
        present[ix.a[i]] = true;
        present[ix.b[i]] = true;
    }
    if pairs.is_empty() {
        return Err("no battles".into());
    }
    let ln10 = std::f64::consts::LN_10;
    let mut d = Design::new(p);
    let mut w = Vec::with_capacity(pairs.len());
    for (&(a, b), &(w1, w0)) in &pairs {
        d.push(&[(a, ln10), (b, -ln10)], w1 / (w1 + w0));
        w.push(w1 + w0);
    }
    let mut fixed: Vec<usize> = (0..p).filter(|&j| !present[j]).collect();
    let anchor_idx = match anchor {
        Anchor::Model(k) if present[k] => Some(k),
        Anchor::Model(_) => return Err("the anchor model has no battle in this sample".into()),
        Anchor::Centered => (0..p).find(|&j| present[j]),
    };
    if let Some(k) = anchor_idx {
        fixed.push(k);
    }
    let beta = logistic::fit(&d, &w, Penalty::None, &fixed)?;
    let mut beta: Vec<f64> = beta
        .iter()
        .enumerate()
        .map(|(j, &b)| if present[j] { b } else { f64::NAN })
        .collect();
    if anchor == Anchor::Centered {
        let vals: Vec<f64> = beta.iter().copied().filter(|b| !b.is_nan()).collect();
        let m = vals.iter().sum::<f64>() / vals.len() as f64;
        beta.iter_mut().for_each(|b| *b -= m);
    }
    Ok(beta.iter().map(|b| SCALE * b + INIT_RATING).collect())
}

/// `compute_mle_elo(battles, baseline_model=anchor)`: Elo ratings `R = 400·β + 1000` of the unpenalised BT
/// fit, shifted so that `anchor` has 1000 (no shift when `anchor` is `None` or not among the models; then
/// the ratings are centred as lbfgs leaves them). Errors when there are no battles or no finite MLE.
pub fn compute_mle_elo(battles: &[Battle], anchor: Option<&str>) -> Result<BTreeMap<String, f64>> {
    let ix = Indexed::new(battles);
    if ix.a.is_empty() {
        return Err(LeaderboardError::NoBattles);
    }
    let anc = match anchor.and_then(|a| ix.index_of(a)) {
        Some(k) => Anchor::Model(k),
        None => Anchor::Centered,
    };
    let mult = vec![1.0; ix.a.len()];
    let elo = fit_plain(&ix, &mult, anc).map_err(LeaderboardError::Fit)?;
    Ok(ix.models.iter().cloned().zip(elo).collect())
}

/// Win rate (percent) of a model rated `r_m` against one rated `r_b`: `100 / (1 + 10^((r_b − r_m)/400))`
/// (`predict_win_rate` → `get_win_rate_column`).
pub fn win_rate_vs(r_m: f64, r_b: f64) -> f64 {
    100.0 / (1.0 + 10f64.powf((r_b - r_m) / SCALE))
}

/// Which model anchors the bootstrap fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BootstrapAnchor {
    /// The leaderboard's baseline (what the reference intends; identical to it when the baseline is
    /// `gpt-4-0314`).
    #[default]
    Baseline,
    /// The reference's actual behaviour: `get_bootstrap_result` builds `kwargs[baseline_model] = …` keyed by
    /// the model *name*, so the bootstrap fits use the default anchor `gpt-4-0314` when present, and no
    /// anchor otherwise.
    ReferenceDefault,
}

/// Bootstrap replicates of Elo ratings: `rounds` resamples of the battle rows with replacement (ChaCha8 seeded
/// by `seed`, rows drawn with [`uniform_index`]), each refitted. Returns per model (sorted by name) the
/// replicate ratings in draw order; NaN where the model is absent from a resample or the refit has no
/// finite solution.
pub fn bootstrap_elo(
    battles: &[Battle],
    baseline: &str,
    rounds: usize,
    seed: u64,
    anchor: BootstrapAnchor,
) -> Result<BTreeMap<String, Vec<f64>>> {
    let ix = Indexed::new(battles);
    if ix.a.is_empty() {
        return Err(LeaderboardError::NoBattles);
    }
    let anchor_name = match anchor {
        BootstrapAnchor::Baseline => baseline,
        BootstrapAnchor::ReferenceDefault => "gpt-4-0314",
    };
    let anc = ix.index_of(anchor_name);
    let reps = run_bootstrap(&ix, rounds, seed, |mult| {
        let a = match anc {
            Some(k) if mult_has(&ix, mult, k) => Anchor::Model(k),
            Some(_) => return None,
            None => Anchor::Centered,
        };
        fit_plain(&ix, mult, a).ok()
    });
    Ok(collect_replicates(&ix.models, &reps))
}

fn mult_has(ix: &Indexed, mult: &[f64], k: usize) -> bool {
    (0..ix.a.len()).any(|i| mult[i] > 0.0 && (ix.a[i] == k || ix.b[i] == k))
}

/// Draw `rounds` multiplicity vectors and apply `fit` to each (`None` = failed replicate, all NaN).
fn run_bootstrap<F>(ix: &Indexed, rounds: usize, seed: u64, mut fit: F) -> Vec<Vec<f64>>
where
    F: FnMut(&[f64]) -> Option<Vec<f64>>,
{
    let n = ix.a.len();
    let p = ix.models.len();
    let mut rng = rng_from_seed(seed);
    let mut mult = vec![0.0; n];
    let mut out = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        mult.iter_mut().for_each(|m| *m = 0.0);
        for _ in 0..n {
            // < n, which came from a usize: lossless.
            mult[uniform_index(&mut rng, n as u64) as usize] += 1.0;
        }
        out.push(fit(&mult).unwrap_or_else(|| vec![f64::NAN; p]));
    }
    out
}

fn collect_replicates(models: &[String], reps: &[Vec<f64>]) -> BTreeMap<String, Vec<f64>> {
    models
        .iter()
        .enumerate()
        .map(|(j, m)| (m.clone(), reps.iter().map(|r| r[j]).collect()))
        .collect()
}

/// Which style features are controlled for (`--style-control`, `--length-control-only`,
/// `--markdown-control-only`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StyleControl {
    /// Plain Bradley–Terry.
    #[default]
    None,
    /// Length and markdown (4 columns).
    Full,
    /// Length only.
    LengthOnly,
    /// Headers, lists, bold (3 columns).
    MarkdownOnly,
}

impl StyleControl {
    /// Which of `[len, header, list, bold]` are used.
    fn columns(self) -> &'static [usize] {
        match self {
            StyleControl::None => &[],
            StyleControl::Full => &[0, 1, 2, 3],
            StyleControl::LengthOnly => &[0],
            StyleControl::MarkdownOnly => &[1, 2, 3],
        }
    }
}

/// Names of the style columns in `[len, header, list, bold]` order.
pub const STYLE_FEATURES: [&str; 4] = ["length", "header", "list", "bold"];

/// The style-controlled design: `±ln10` model columns then the z-scored style columns.
struct StyleDesign {
    design: Design,
    /// Per battle row, its `(w1, w0)` split (a soft-label row with weight `w1 + w0`).
    split: Vec<(f64, f64)>,
    p_models: usize,
    names: Vec<&'static str>,
}

/// `construct_style_matrices` (v0.1): per battle, `f_k = (a_k − b_k)/(a_k + b_k + 1)` (a = model_a, the
/// baseline), then each column z-scored with the population std.
#[allow(clippy::needless_range_loop)]
fn style_design_v01(
    ix: &Indexed,
    battles: &[Battle],
    meta: &dyn Fn(&str, &str) -> Option<StyleMeta>,
    control: StyleControl,
) -> Result<StyleDesign> {
    let cols = control.columns();
    let k = cols.len();
    let n = ix.a.len();
    let mut feats = vec![vec![0.0; n]; k];
    for i in 0..n {
        let bt = &battles[ix.source[i]];
        let get = |m: &str| {
            meta(m, &bt.question_id).ok_or_else(|| LeaderboardError::MissingMetadata {
                model: m.to_string(),
                question_id: bt.question_id.clone(),
            })
        };
        let fa = get(&bt.model_a)?.as_array();
        let fb = get(&bt.model_b)?.as_array();
        for (c, &col) in cols.iter().enumerate() {
            feats[c][i] = (fa[col] - fb[col]) / (fa[col] + fb[col] + 1.0);
        }
    }
    let p = ix.models.len();
    let mut z = vec![vec![0.0; n]; k];
    for c in 0..k {
        let m = crate::num::mean(&feats[c]);
        let s = std_pop(&feats[c]);
        if s.is_nan() || s <= 0.0 || !s.is_finite() {
            return Err(LeaderboardError::DegenerateFeature(STYLE_FEATURES[cols[c]]));
        }
        for i in 0..n {
            z[c][i] = (feats[c][i] - m) / s;
        }
    }
    let ln10 = std::f64::consts::LN_10;
    let mut design = Design::new(p + k);
    let mut split = Vec::with_capacity(n);
    let mut row = Vec::with_capacity(2 + k);
    for i in 0..n {
        row.clear();
        row.push((ix.a[i], ln10));
        row.push((ix.b[i], -ln10));
        for c in 0..k {
            row.push((p + c, z[c][i]));
        }
        let (w1, w0) = ix.split(i);
        design.push(&row, w1 / (w1 + w0));
        split.push((w1, w0));
    }
    Ok(StyleDesign {
        design,
        split,
        p_models: p,
        names: cols.iter().map(|&c| STYLE_FEATURES[c]).collect(),
    })
}

/// `(Elo per model, style coefficients, all coefficients)` of one style-controlled fit.
type StyleFit = (Vec<f64>, Vec<f64>, Vec<f64>);

/// `fit_bt`: L2 (`C = 1`) logistic fit of the style design with per-battle multiplicities; Elo per model
/// (anchored so `anchor` = 1000) and the style coefficients.
fn fit_style(
    sd: &StyleDesign,
    mult: &[f64],
    anchor: usize,
    init: Option<&[f64]>,
) -> std::result::Result<StyleFit, String> {
    let w: Vec<f64> = sd
        .split
        .iter()
        .zip(mult)
        .map(|(&(w1, w0), &m)| m * (w1 + w0))
        .collect();
    let pen = Penalty::L2 { c: 1.0 };
    let beta = match init {
        Some(b) => logistic::fit_from(&sd.design, &w, pen, &[], b)?,
        None => logistic::fit(&sd.design, &w, pen, &[])?,
    };
    let p = sd.p_models;
    let base = beta[anchor];
    let elo = beta[..p]
        .iter()
        .map(|b| SCALE * (b - base) + INIT_RATING)
        .collect();
    Ok((elo, beta[p..].to_vec(), beta))
}

/// Options of [`arena_hard_v01_leaderboard`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArenaV01Options {
    /// The baseline (`--baseline`, default `gpt-4-0314`).
    pub baseline: String,
    /// Style control mode.
    pub style_control: StyleControl,
    /// Bootstrap rounds (`--num-rounds`, default 100; 0 = no interval).
    pub bootstrap: usize,
    /// Bootstrap seed.
    pub seed: u64,
    /// Battle construction.
    pub battles: BattleOptions,
    /// Bootstrap anchoring (plain BT only; style control always anchors at the baseline, as the reference).
    pub bootstrap_anchor: BootstrapAnchor,
}

impl Default for ArenaV01Options {
    fn default() -> Self {
        Self {
            baseline: "gpt-4-0314".into(),
            style_control: StyleControl::None,
            bootstrap: 100,
            seed: 42,
            battles: BattleOptions::default(),
            bootstrap_anchor: BootstrapAnchor::Baseline,
        }
    }
}

/// One leaderboard row.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LeaderboardRow {
    /// Model.
    pub model: String,
    /// Win rate (%) against the baseline, unrounded (the reference rounds to 2 decimals before printing).
    pub score: f64,
    /// Lower end of the interval (%), unrounded.
    pub lower: f64,
    /// Upper end of the interval (%), unrounded.
    pub upper: f64,
    /// The CSV's `CI` column, `"(-a, +b)"` from the 2-decimal values (`f"(-{score-lower:.2f}, +{upper-score:.2f})"`).
    pub ci: String,
    /// Elo rating (baseline = 1000).
    pub rating: f64,
    /// 2.5th percentile of the bootstrap ratings.
    pub rating_lower: f64,
    /// 97.5th percentile of the bootstrap ratings.
    pub rating_upper: f64,
    /// `int(mean token length)` of the model's answers, when answers were given (`avg_tokens`).
    pub avg_tokens: Option<u64>,
    /// Bootstrap replicates converted to win rates (%), in draw order (NaN = skipped replicate).
    pub bootstrap: Vec<f64>,
}

/// A whole leaderboard.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ArenaLeaderboard {
    /// `"arena-hard-v0.1"` or `"arena-hard-v2.0"`.
    pub protocol: &'static str,
    /// The baseline.
    pub baseline: String,
    /// Rows sorted by score, descending (ties by name).
    pub rows: Vec<LeaderboardRow>,
    /// Battle rows used (after weighting and dropping).
    pub n_battles: usize,
    /// Bootstrap rounds requested.
    pub bootstrap_rounds: usize,
    /// Rounds whose refit failed or missed the anchor (skipped).
    pub bootstrap_failed: usize,
    /// Judged games read (two per judgment, one with `first_game_only`).
    pub n_games: usize,
    /// Games without a usable verdict (a `null` or missing game, no label), dropped as the reference
    /// drops them: counted so the reader knows what the scores leave out.
    pub dropped_games: usize,
    /// Each dropped game: file, line and why (`dropped_games` of them), so every skip can be shown.
    pub skipped: Vec<Skipped>,
    /// Seed.
    pub seed: u64,
    /// Style coefficients of the full-data fit (`(feature, coefficient)`), with style control.
    pub style_coefficients: Vec<(String, f64)>,
    /// Which interval: `"2.5/97.5 percentile"` or `"5/95 quantile"`.
    pub interval: &'static str,
}

impl std::fmt::Display for ArenaLeaderboard {
    /// One line per model, as `show_result.py` prints it: score and interval ends relative to the score,
    /// rounded to 1 decimal (v0.1) or the v2 `(-a / +b)` string, plus `avg_tokens` when known.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} leaderboard (baseline {}, {} battles, {} bootstrap rounds, seed {}, {})",
            self.protocol,
            self.baseline,
            self.n_battles,
            self.bootstrap_rounds,
            self.seed,
            self.interval
        )?;
        for r in &self.rows {
            let ci = if self.protocol == "arena-hard-v0.1" {
                format!(
                    "({}, {})",
                    py_float_str(py_round(r.lower - r.score, 1)),
                    py_float_str(py_round(r.upper - r.score, 1))
                )
            } else {
                r.ci.clone()
            };
            write!(
                f,
                "{:<40} | score: {:>5.1} | CI: {:^16}",
                r.model,
                py_round(r.score, 1),
                ci
            )?;
            match r.avg_tokens {
                Some(t) => writeln!(f, " | average #tokens: {t}")?,
                None => writeln!(f)?,
            }
        }
        if !self.style_coefficients.is_empty() {
            let c: Vec<String> = self
                .style_coefficients
                .iter()
                .map(|(n, v)| format!("{n}: {:.3}", v))
                .collect();
            writeln!(f, "style coefficients: {}", c.join(", "))?;
        }
        if self.dropped_games > 0 {
            writeln!(
                f,
                "note: {} of {} judged games had no verdict and were dropped, as the reference drops them",
                self.dropped_games, self.n_games
            )?;
        }
        if self.bootstrap_failed > 0 {
            writeln!(
                f,
                "note: {} bootstrap rounds had no finite fit and were skipped",
                self.bootstrap_failed
            )?;
        }
        Ok(())
    }
}

/// The CSV `CI` string: both ends rounded to 2 decimals first, as `get_win_rate_column` does.
pub fn ci_string_v01(score: f64, lower: f64, upper: f64) -> String {
    let (s, l, u) = (py_round(score, 2), py_round(lower, 2), py_round(upper, 2));
    format!("(-{:.2}, +{:.2})", s - l, u - s)
}

/// Mean token length per model from answer records (`avg_tokens`, truncated with `int()`): the recorded
/// per-turn `token_len`, else `conv_metadata.token_len`, else the `cl100k_base` length of the text (the
/// reference has no such fallback and fails on answers without a length). A model with an answer of no
/// known length gets `None`.
fn avg_tokens(answers: &[Answer]) -> BTreeMap<String, u64> {
    let mut acc: BTreeMap<&str, Option<(f64, usize)>> = BTreeMap::new();
    for a in answers {
        let len = a.avg_token_len.or(a.token_len).or_else(|| {
            a.text
                .as_deref()
                .and_then(|t| crate::style::token_len(t, Encoding::Cl100kBase))
                .map(|n| n as f64)
        });
        let e = acc.entry(&a.model).or_insert(Some((0.0, 0)));
        *e = match (*e, len) {
            (Some((s, n)), Some(l)) => Some((s + l, n + 1)),
            _ => None,
        };
    }
    acc.into_iter()
        .filter_map(|(m, v)| {
            let (s, n) = v?;
            (n > 0).then(|| (m.to_string(), (s / n as f64).max(0.0).floor() as u64))
        })
        .collect()
}

/// Style metadata lookup `(model, question_id) → StyleMeta` over answer records.
pub fn style_lookup(
    answers: &[Answer],
    encoding: Encoding,
) -> BTreeMap<(String, String), StyleMeta> {
    let mut out = BTreeMap::new();
    for a in answers {
        if let Some(m) = a.style_meta(encoding) {
            out.insert((a.model.clone(), a.question_id.clone()), m);
        }
    }
    out
}

/// The Arena-Hard v0.1 leaderboard (what `python show_result.py [--style-control]` prints and writes to
/// `leaderboard/*.csv`), from parsed judgments and (for `avg_tokens` and style control) answers.
///
/// Score = win rate of the **full-data** fit; interval = 2.5/97.5 percentiles of the bootstrap ratings of the
/// model *and* of the baseline, each converted with [`win_rate_vs`] (the reference converts the `lower` and
/// `upper` columns as rating tables); the baseline gets 50 / 50 / 50.
pub fn arena_hard_v01_leaderboard(
    judgments: &[ArenaJudgment],
    answers: &[Answer],
    opts: &ArenaV01Options,
) -> Result<ArenaLeaderboard> {
    if judgments.iter().any(|j| j.model == opts.baseline) {
        return Err(LeaderboardError::BaselineJudged(opts.baseline.clone()));
    }
    let battles = battles_v01(judgments, &opts.baseline, opts.battles);
    let games = if opts.battles.first_game_only { 1 } else { 2 };
    let mut skipped = Vec::new();
    for j in judgments {
        for g in 0..games {
            let label = j.label(g);
            if v01_battle(g, label, opts.battles.weight).is_none() {
                skipped.push(dropped_game(j, g, label));
            }
        }
    }
    let ix = Indexed::new(&battles);
    if ix.a.is_empty() {
        return Err(LeaderboardError::NoBattles);
    }
    let base = ix
        .index_of(&opts.baseline)
        .ok_or_else(|| LeaderboardError::MissingBaseline(opts.baseline.clone()))?;
    let ones = vec![1.0; ix.a.len()];
    let (elo, reps, coefs) = if opts.style_control == StyleControl::None {
        let elo = fit_plain(&ix, &ones, Anchor::Model(base)).map_err(LeaderboardError::Fit)?;
        let anchor_name = match opts.bootstrap_anchor {
            BootstrapAnchor::Baseline => opts.baseline.as_str(),
            BootstrapAnchor::ReferenceDefault => "gpt-4-0314",
        };
        let anc = ix.index_of(anchor_name);
        let reps = run_bootstrap(&ix, opts.bootstrap, opts.seed, |mult| {
            let a = match anc {
                Some(k) if mult_has(&ix, mult, k) => Anchor::Model(k),
                Some(_) => return None,
                None => Anchor::Centered,
            };
            fit_plain(&ix, mult, a).ok()
        });
        (elo, reps, Vec::new())
    } else {
        let lookup = style_lookup(answers, Encoding::Cl100kBase);
        let meta = |m: &str, q: &str| lookup.get(&(m.to_string(), q.to_string())).copied();
        let sd = style_design_v01(&ix, &battles, &meta, opts.style_control)?;
        let (elo, coef, full) = fit_style(&sd, &ones, base, None).map_err(LeaderboardError::Fit)?;
        let reps = run_bootstrap(&ix, opts.bootstrap, opts.seed, |mult| {
            if !mult_has(&ix, mult, base) {
                return None;
            }
            fit_style(&sd, mult, base, Some(&full))
                .ok()
                .map(|(e, _, _)| e)
        });
        let names = sd.names.iter().map(|s| s.to_string()).zip(coef).collect();
        (elo, reps, names)
    };
    let failed = reps.iter().filter(|r| r.iter().all(|v| v.is_nan())).count();
    let tokens = avg_tokens(answers);
    let pct = |j: usize, q: f64| percentile(&reps.iter().map(|r| r[j]).collect::<Vec<_>>(), q);
    let (base_lo, base_hi) = if opts.bootstrap > 0 {
        (pct(base, 2.5), pct(base, 97.5))
    } else {
        (elo[base], elo[base])
    };
    let mut rows = Vec::with_capacity(ix.models.len());
    for (j, model) in ix.models.iter().enumerate() {
        let (r_lo, r_hi) = if opts.bootstrap > 0 {
            (pct(j, 2.5), pct(j, 97.5))
        } else {
            (elo[j], elo[j])
        };
        let (score, lower, upper) = if j == base {
            (50.0, 50.0, 50.0)
        } else {
            (
                win_rate_vs(elo[j], elo[base]),
                win_rate_vs(r_lo, base_lo),
                win_rate_vs(r_hi, base_hi),
            )
        };
        let bootstrap = reps.iter().map(|r| win_rate_vs(r[j], r[base])).collect();
        rows.push(LeaderboardRow {
            model: model.clone(),
            score,
            lower,
            upper,
            ci: ci_string_v01(score, lower, upper),
            rating: elo[j],
            rating_lower: r_lo,
            rating_upper: r_hi,
            avg_tokens: tokens.get(model).copied(),
            bootstrap,
        });
    }
    sort_rows(&mut rows);
    Ok(ArenaLeaderboard {
        protocol: "arena-hard-v0.1",
        baseline: opts.baseline.clone(),
        rows,
        n_battles: ix.a.len(),
        bootstrap_rounds: opts.bootstrap,
        bootstrap_failed: failed,
        n_games: judgments.len() * games,
        dropped_games: skipped.len(),
        skipped,
        seed: opts.seed,
        style_coefficients: coefs,
        interval: "2.5/97.5 percentile",
    })
}

/// A game the reference drops (no verdict, or a label that gives no battle), as a skipped record.
pub(crate) fn dropped_game(j: &ArenaJudgment, g: usize, label: Option<&str>) -> Skipped {
    let what = match label {
        None => "has no verdict".to_owned(),
        Some(l) => format!("has the label `{l}`, which gives no battle"),
    };
    Skipped {
        file: j.file.clone(),
        line: j.line,
        reason: format!(
            "{} on question {}: game {} {what}; dropped, as the reference drops it",
            j.model,
            j.question_id,
            g + 1
        ),
    }
}

/// Sort by score descending, then by name (the reference's pandas sort is not stable on ties; a fixed order
/// is better than an arbitrary one).
pub(crate) fn sort_rows(rows: &mut [LeaderboardRow]) {
    rows.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.model.cmp(&b.model))
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::formats::Game;

    fn j(model: &str, q: &str, g0: Option<&str>, g1: Option<&str>) -> ArenaJudgment {
        ArenaJudgment {
            question_id: q.into(),
            model: model.into(),
            judge: None,
            category: None,
            games: vec![
                Some(Game {
                    score: g0.map(str::to_string),
                }),
                Some(Game {
                    score: g1.map(str::to_string),
                }),
            ],
            file: String::new(),
            line: 0,
        }
    }

    #[test]
    fn battle_rules() {
        let js = vec![
            j("m", "1", Some("A>>B"), Some("A>>B")),
            j("m", "2", Some("A=B"), Some("B>A")),
            j("m", "3", None, Some("A<B")),
        ];
        let b = battles_v01(&js, "base", BattleOptions::default());
        let w: Vec<Winner> = b.iter().map(|x| x.winner).collect();
        assert_eq!(
            w,
            vec![
                Winner::ModelA,
                Winner::ModelA,
                Winner::ModelA,
                Winner::ModelB,
                Winner::ModelB,
                Winner::ModelB,
                Winner::Tie,
                Winner::ModelA
            ]
        );
        let f = battles_v01(
            &js,
            "base",
            BattleOptions {
                weight: 3,
                first_game_only: true,
            },
        );
        assert_eq!(f.len(), 4);
    }

    /// Games without a verdict are dropped as the reference drops them, and counted in the board and
    /// its printout (issue 11: no record left out without a word).
    #[test]
    fn dropped_games_are_counted() {
        let js = vec![
            j("m", "1", Some("A>>B"), Some("B>A")),
            j("m", "2", Some("A=B"), None),
            j("m", "3", Some("B>A"), Some("A<B")),
        ];
        let opts = ArenaV01Options {
            baseline: "base".into(),
            bootstrap: 0,
            ..Default::default()
        };
        let lb = arena_hard_v01_leaderboard(&js, &[], &opts).unwrap();
        assert_eq!((lb.dropped_games, lb.n_games), (2, 6));
        // each one named with its judgment and why: a missing verdict, a label that is no battle
        let reasons: Vec<&str> = lb.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "m on question 2: game 2 has no verdict; dropped, as the reference drops it",
                "m on question 3: game 2 has the label `A<B`, which gives no battle; dropped, as the reference drops it"
            ]
        );
        assert!(
            lb.to_string()
                .contains("note: 2 of 6 judged games had no verdict and were dropped"),
            "{lb}"
        );
        let all = vec![j("m", "1", Some("A>B"), Some("A>B"))];
        let lb = arena_hard_v01_leaderboard(&all, &[], &opts).unwrap();
        assert_eq!(lb.dropped_games, 0);
        assert!(!lb.to_string().contains("dropped"));
    }

    /// A judged model named as the baseline is refused, naming it (issue 14: it used to be shown at 50
    /// with the real baseline's numbers).
    #[test]
    fn a_judged_model_is_not_a_baseline() {
        let js = vec![
            j("m", "1", Some("A>>B"), Some("B>A")),
            j("n", "1", Some("B>A"), Some("A>B")),
        ];
        let opts = ArenaV01Options {
            baseline: "n".into(),
            bootstrap: 0,
            ..Default::default()
        };
        let e = arena_hard_v01_leaderboard(&js, &[], &opts).unwrap_err();
        assert!(
            matches!(&e, LeaderboardError::BaselineJudged(b) if b == "n"),
            "{e}"
        );
        assert!(e.to_string().contains("its own judgments"), "{e}");
    }

    #[test]
    fn two_player_mle_closed_form() {
        // base vs m: m wins 6 battles, base wins 2, 2 ties → duplicated table: m has 12 + 2 = 14 "wins",
        // base 4 + 2 = 6 → P(m beats base) = 14/20 = 0.7.
        let mut battles = Vec::new();
        let mk = |w| Battle {
            question_id: "q".into(),
            model_a: "base".into(),
            model_b: "m".into(),
            winner: w,
        };
        for _ in 0..6 {
            battles.push(mk(Winner::ModelB));
        }
        for _ in 0..2 {
            battles.push(mk(Winner::ModelA));
        }
        for _ in 0..2 {
            battles.push(mk(Winner::Tie));
        }
        let elo = compute_mle_elo(&battles, Some("base")).unwrap();
        assert_eq!(elo["base"], 1000.0);
        let wr = win_rate_vs(elo["m"], elo["base"]);
        assert!((wr - 70.0).abs() < 1e-9, "{wr}");
        let b1 = bootstrap_elo(&battles, "base", 20, 7, BootstrapAnchor::Baseline).unwrap();
        let b2 = bootstrap_elo(&battles, "base", 20, 7, BootstrapAnchor::Baseline).unwrap();
        let bits = |v: &Vec<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&b1["m"]), bits(&b2["m"]));
        // A resample may hold only wins for one side (no finite MLE): NaN there, 1000 elsewhere.
        assert!(b1["base"].iter().all(|&v| v == 1000.0 || v.is_nan()));
        assert!(b1["base"].iter().filter(|v| !v.is_nan()).count() >= 15);
    }

    #[test]
    fn ci_string_like_the_csv() {
        assert_eq!(ci_string_v01(82.634, 80.7512, 84.6011), "(-1.88, +1.97)");
        assert_eq!(ci_string_v01(50.0, 50.0, 50.0), "(-0.00, +0.00)");
        let lb = ArenaLeaderboard {
            protocol: "arena-hard-v0.1",
            baseline: "b".into(),
            rows: vec![LeaderboardRow {
                model: "m".into(),
                score: 60.04,
                lower: 55.0,
                upper: 66.0,
                ci: ci_string_v01(60.04, 55.0, 66.0),
                rating: 1070.0,
                rating_lower: 1030.0,
                rating_upper: 1110.0,
                avg_tokens: Some(12),
                bootstrap: vec![],
            }],
            n_battles: 10,
            bootstrap_rounds: 0,
            bootstrap_failed: 0,
            n_games: 0,
            dropped_games: 0,
            skipped: Vec::new(),
            seed: 0,
            style_coefficients: vec![],
            interval: "2.5/97.5 percentile",
        };
        let text = lb.to_string();
        assert!(text.contains("score:  60.0 | CI:   (-5.0, 6.0)"), "{text}");
    }
}
