//! Arena-Hard-Auto **v2.0** leaderboard (`show_result.py` + `utils/math_utils.py` @196f6b8; SPEC §2.3–§2.5).
//!
//! - [`battles_v2`] (`load_judgments`): a judgment is dropped when either game or either score is null;
//!   `scores = L[g1] ++ [1 − s for s in L[g0]]` with `label_to_score` (`A>>B` → `[1,1,1]`, `A>B` → `[1]`,
//!   `A=B`/`B=A` → `[0.5]`, `B>A`/`A<B` → `[0]`, `B>>A`/`A<<B` → `[0,0,0]`, `B<A` → `[1]`, `B<<A` →
//!   `[1,1,1]`), one battle per element; any other label is [`LeaderboardError::UnknownLabel`] (the
//!   reference's `KeyError`).
//! - Without style control ([`arena_hard_v2_leaderboard`] with [`StyleControl::None`], `print_leaderboard`):
//!   no Bradley–Terry; per model (path prefix stripped) `rounds` bootstrap means of its battle scores;
//!   score = **mean** of those means, interval = 5%/95% quantiles (linear); the baseline is appended at 50
//!   with `(-0.0 / +0.0)`.
//! - With style control (`print_leaderboard_with_style_features`): features per battle, m = model,
//!   b = baseline, `f_len = (L_m − L_b)/(L_m + L_b)`, densities `d = count/(L + 1)`,
//!   `f_k = (d_m − d_b)/(d_m + d_b + 1)`, z-scored with the **unbiased** std; one-hot models over
//!   `sorted(models ∪ {baseline})` (+1 model, −1 baseline); soft-label BCE (sum) without penalty; `rounds`
//!   bootstrap refits; WR = σ(θ_m − θ_b); score = **median**, interval = 5%/95% quantiles, all over the
//!   bootstrap (the reference fits no full-data model).
//!
//! Deviations: the reference's bootstrap draws are unseeded (`np.random.randint`, pandas `sample`); here they
//! come from ChaCha8 seeded by `seed`. Its BT fit is torch LBFGS in float32 (lr 0.1, 50 iterations, from
//! all-0.5) — not run to convergence; here each fit is the exact maximum-likelihood estimate (Newton, the
//! baseline anchored, which leaves every win rate unchanged), so style-controlled scores can differ from a
//! reference run by the LBFGS residual as well as by bootstrap noise. Battles of the baseline against itself
//! are dropped from the style fit (the reference's one-hot row would hold only −1).

use std::collections::BTreeMap;

use substance_judge::JudgeError;
use substance_judge::protocol::arena::{STRONG_WEIGHT, v2_outcomes_weighted};
use substance_metrics::bootstrap::{rng_from_seed, uniform_index};

use crate::arena::{ArenaLeaderboard, LeaderboardRow, StyleControl, sort_rows};
use crate::error::{LeaderboardError, Result};
use crate::formats::{Answer, ArenaJudgment};
use crate::logistic::{self, Design, Penalty};
use crate::num::{mean, percentile, py_round, sigmoid, std_sample};
use crate::style::{Encoding, StyleMeta};

/// One v2 battle: the model's outcome in `[0, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct V2Battle {
    /// Question id (`uid`).
    pub question_id: String,
    /// The model as recorded (may carry a path).
    pub model: String,
    /// Category, when recorded.
    pub category: Option<String>,
    /// Outcome for the model: 1 win, 0.5 tie, 0 loss.
    pub score: f64,
}

/// `load_judgments` for parsed judgments (`weight` = 3 in the reference): each judgment's outcome list is
/// `substance-judge`'s [`v2_outcomes_weighted`], one battle per element.
pub fn battles_v2(judgments: &[ArenaJudgment], weight: usize) -> Result<Vec<V2Battle>> {
    let mut out = Vec::new();
    for j in judgments {
        let score = |g: usize| j.label(g);
        let outcomes = v2_outcomes_weighted(score(0), score(1), weight).map_err(|e| {
            let label = match e {
                JudgeError::UnknownLabel { label, .. } => label,
                other => other.to_string(),
            };
            LeaderboardError::UnknownLabel {
                label,
                question_id: j.question_id.clone(),
                model: j.model.clone(),
            }
        })?;
        for s in outcomes.into_iter().flatten() {
            out.push(V2Battle {
                question_id: j.question_id.clone(),
                model: j.model.clone(),
                category: j.category.clone(),
                score: s,
            });
        }
    }
    Ok(out)
}

/// `x.split('/')[-1]`.
fn strip_path(model: &str) -> &str {
    model.rsplit('/').next().unwrap_or(model)
}

/// Options of [`arena_hard_v2_leaderboard`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArenaV2Options {
    /// The category's baseline (`JUDGE_SETTINGS`: `o3-mini-2025-01-31` for hard_prompt/coding/math,
    /// `gemini-2.0-flash-001` for creative_writing).
    pub baseline: String,
    /// Keep only judgments of this category (`--category`); `None` keeps all.
    pub category: Option<String>,
    /// Style control (`--control-features length markdown`).
    pub style_control: StyleControl,
    /// Bootstrap rounds (100 in the reference).
    pub bootstrap: usize,
    /// Seed.
    pub seed: u64,
}

impl Default for ArenaV2Options {
    fn default() -> Self {
        Self {
            baseline: "o3-mini-2025-01-31".into(),
            category: None,
            style_control: StyleControl::None,
            bootstrap: 100,
            seed: 42,
        }
    }
}

/// Python's `str(round(x, 1))` for the CI string (`1.0`, not `1`).
fn py_repr_1(x: f64) -> String {
    crate::num::py_float_str(py_round(x, 1))
}

/// The v2 CI string `(-a / +b)` with `a = round((score − lower)·100, 1)` (inputs as fractions).
pub fn ci_string_v2(score: f64, lower: f64, upper: f64) -> String {
    format!(
        "(-{} / +{})",
        py_repr_1((score - lower) * 100.0),
        py_repr_1((upper - score) * 100.0)
    )
}

/// The Arena-Hard v2 leaderboard from parsed judgments (and answers with `metadata`, for style control).
/// Scores and intervals are in percent.
pub fn arena_hard_v2_leaderboard(
    judgments: &[ArenaJudgment],
    answers: &[Answer],
    opts: &ArenaV2Options,
) -> Result<ArenaLeaderboard> {
    let selected: Vec<ArenaJudgment> = judgments
        .iter()
        .filter(|j| {
            opts.category
                .as_ref()
                .is_none_or(|c| j.category.as_ref() == Some(c))
        })
        .cloned()
        .collect();
    let battles = battles_v2(&selected, STRONG_WEIGHT)?;
    if battles.is_empty() {
        return Err(LeaderboardError::NoBattles);
    }
    let mut board = match opts.style_control {
        StyleControl::None => plain_v2(&battles, opts),
        sc => styled_v2(&battles, answers, opts, sc)?,
    };
    // A game without a label gives no outcome: the reference drops it; count it.
    board.n_games = selected.len() * 2;
    board.skipped = selected
        .iter()
        .flat_map(|j| {
            (0..2).filter_map(move |g| {
                let label = j.label(g);
                label
                    .is_none()
                    .then(|| crate::arena::dropped_game(j, g, None))
            })
        })
        .collect();
    board.dropped_games = board.skipped.len();
    Ok(board)
}

fn plain_v2(battles: &[V2Battle], opts: &ArenaV2Options) -> ArenaLeaderboard {
    let mut by_model: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for b in battles {
        by_model
            .entry(strip_path(&b.model))
            .or_default()
            .push(b.score);
    }
    let mut rng = rng_from_seed(opts.seed);
    let mut reps: BTreeMap<&str, Vec<f64>> = by_model.keys().map(|m| (*m, Vec::new())).collect();
    for _ in 0..opts.bootstrap {
        for (m, scores) in &by_model {
            let n = scores.len();
            let s: f64 = (0..n)
                .map(|_| scores[uniform_index(&mut rng, n as u64) as usize])
                .sum();
            if let Some(v) = reps.get_mut(m) {
                v.push(s / n as f64);
            }
        }
    }
    let mut rows = Vec::new();
    for (m, scores) in &by_model {
        if *m == opts.baseline {
            continue;
        }
        let r = &reps[m];
        let (s, lo, hi) = if r.is_empty() {
            let v = mean(scores);
            (v, v, v)
        } else {
            (mean(r), percentile(r, 5.0), percentile(r, 95.0))
        };
        rows.push(LeaderboardRow {
            model: m.to_string(),
            score: s * 100.0,
            lower: lo * 100.0,
            upper: hi * 100.0,
            ci: ci_string_v2(s, lo, hi),
            rating: f64::NAN,
            rating_lower: f64::NAN,
            rating_upper: f64::NAN,
            avg_tokens: None,
            bootstrap: r.iter().map(|v| v * 100.0).collect(),
        });
    }
    rows.push(LeaderboardRow {
        model: opts.baseline.clone(),
        score: 50.0,
        lower: 50.0,
        upper: 50.0,
        ci: "(-0.0 / +0.0)".into(),
        rating: f64::NAN,
        rating_lower: f64::NAN,
        rating_upper: f64::NAN,
        avg_tokens: None,
        bootstrap: Vec::new(),
    });
    sort_rows(&mut rows);
    ArenaLeaderboard {
        protocol: "arena-hard-v2.0",
        baseline: opts.baseline.clone(),
        rows,
        n_battles: battles.len(),
        bootstrap_rounds: opts.bootstrap,
        bootstrap_failed: 0,
        n_games: 0,
        dropped_games: 0,
        skipped: Vec::new(),
        seed: opts.seed,
        style_coefficients: Vec::new(),
        interval: "5/95 quantile",
    }
}

fn styled_v2(
    battles: &[V2Battle],
    answers: &[Answer],
    opts: &ArenaV2Options,
    sc: StyleControl,
) -> Result<ArenaLeaderboard> {
    let mut lookup: BTreeMap<(&str, &str), StyleMeta> = BTreeMap::new();
    for a in answers {
        if let Some(m) = a.style_meta(Encoding::O200kBase) {
            lookup.insert((&a.model, &a.question_id), m);
        }
    }
    let meta = |model: &str, q: &str| -> Result<StyleMeta> {
        lookup
            .get(&(model, q))
            .copied()
            .ok_or_else(|| LeaderboardError::MissingMetadata {
                model: model.into(),
                question_id: q.into(),
            })
    };
    let kept: Vec<&V2Battle> = battles
        .iter()
        .filter(|b| strip_path(&b.model) != opts.baseline)
        .collect();
    if kept.is_empty() {
        return Err(LeaderboardError::NoBattles);
    }
    let mut feats = vec![vec![0.0; kept.len()]; 4];
    for (i, b) in kept.iter().enumerate() {
        let fm = meta(&b.model, &b.question_id)?.as_array();
        let fb = meta(&opts.baseline, &b.question_id)?.as_array();
        feats[0][i] = (fm[0] - fb[0]) / (fm[0] + fb[0]);
        for k in 1..4 {
            let dm = fm[k] / (fm[0] + 1.0);
            let db = fb[k] / (fb[0] + 1.0);
            feats[k][i] = (dm - db) / (dm + db + 1.0);
        }
    }
    let cols: &[usize] = match sc {
        StyleControl::LengthOnly => &[0],
        StyleControl::MarkdownOnly => &[1, 2, 3],
        _ => &[0, 1, 2, 3],
    };
    let names = ["length", "header", "list", "bold"];
    let mut models: Vec<String> = kept
        .iter()
        .map(|b| strip_path(&b.model).to_string())
        .collect();
    models.push(opts.baseline.clone());
    models.sort();
    models.dedup();
    let p = models.len();
    let idx = |m: &str| models.binary_search_by(|x| x.as_str().cmp(m)).unwrap_or(0);
    let base = idx(&opts.baseline);
    // z-score every feature (the reference normalises all four before selecting), unbiased std.
    let mut z = Vec::new();
    for &c in cols {
        let m = mean(&feats[c]);
        let s = std_sample(&feats[c]);
        if feats[c].iter().any(|v| !v.is_finite()) || s.is_nan() || s <= 0.0 {
            return Err(LeaderboardError::DegenerateFeature(names[c]));
        }
        z.push(feats[c].iter().map(|v| (v - m) / s).collect::<Vec<f64>>());
    }
    let k = cols.len();
    let mut design = Design::new(p + k);
    let mut row = Vec::with_capacity(2 + k);
    for (i, b) in kept.iter().enumerate() {
        row.clear();
        row.push((idx(strip_path(&b.model)), 1.0));
        row.push((base, -1.0));
        for (c, zc) in z.iter().enumerate() {
            row.push((p + c, zc[i]));
        }
        design.push(&row, b.score);
    }
    let n = kept.len();
    let mut reps: Vec<Vec<f64>> = Vec::new();
    let mut failed = 0;
    // The full-data fit: the result when no bootstrap is asked for, the start of every bootstrap refit.
    let full = logistic::fit(&design, &vec![1.0; n], Penalty::None, &[base])
        .map_err(LeaderboardError::Fit)?;
    if opts.bootstrap == 0 {
        reps.push(full);
    } else {
        let mut rng = rng_from_seed(opts.seed);
        let mut w = vec![0.0; n];
        for _ in 0..opts.bootstrap {
            w.iter_mut().for_each(|x| *x = 0.0);
            for _ in 0..n {
                w[uniform_index(&mut rng, n as u64) as usize] += 1.0;
            }
            // A model missing from the resample has no data: hold it at 0 is wrong; mark NaN instead.
            let mut present = vec![false; p];
            present[base] = true;
            for (i, b) in kept.iter().enumerate() {
                if w[i] > 0.0 {
                    present[idx(strip_path(&b.model))] = true;
                }
            }
            let fixed: Vec<usize> = (0..p).filter(|&j| !present[j] || j == base).collect();
            match logistic::fit_from(&design, &w, Penalty::None, &fixed, &full) {
                Ok(mut beta) => {
                    for j in 0..p {
                        if !present[j] {
                            beta[j] = f64::NAN;
                        }
                    }
                    reps.push(beta);
                }
                Err(_) => {
                    failed += 1;
                    reps.push(vec![f64::NAN; p + k]);
                }
            }
        }
    }
    let mut rows = Vec::new();
    for (j, m) in models.iter().enumerate() {
        let wr: Vec<f64> = reps
            .iter()
            .map(|b| 100.0 * sigmoid(b[j] - b[base]))
            .collect();
        let (s, lo, hi) = (
            percentile(&wr, 50.0),
            percentile(&wr, 5.0),
            percentile(&wr, 95.0),
        );
        rows.push(LeaderboardRow {
            model: m.clone(),
            score: s,
            lower: lo,
            upper: hi,
            ci: ci_string_v2(s / 100.0, lo / 100.0, hi / 100.0),
            rating: f64::NAN,
            rating_lower: f64::NAN,
            rating_upper: f64::NAN,
            avg_tokens: None,
            bootstrap: if opts.bootstrap == 0 { Vec::new() } else { wr },
        });
    }
    sort_rows(&mut rows);
    let coefs = cols
        .iter()
        .enumerate()
        .map(|(c, &col)| {
            let v: Vec<f64> = reps.iter().map(|b| b[p + c]).collect();
            (names[col].to_string(), percentile(&v, 50.0))
        })
        .collect();
    Ok(ArenaLeaderboard {
        protocol: "arena-hard-v2.0",
        baseline: opts.baseline.clone(),
        rows,
        n_battles: n,
        bootstrap_rounds: opts.bootstrap,
        bootstrap_failed: failed,
        n_games: 0,
        dropped_games: 0,
        skipped: Vec::new(),
        seed: opts.seed,
        style_coefficients: coefs,
        interval: "5/95 quantile",
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::formats::Game;

    fn j(model: &str, g0: Option<&str>, g1: Option<&str>) -> ArenaJudgment {
        ArenaJudgment {
            question_id: "u".into(),
            model: model.into(),
            judge: None,
            category: Some("hard_prompt".into()),
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
    fn v2_battle_rules() {
        let b = battles_v2(&[j("m", Some("A>>B"), Some("A>B"))], 3).unwrap();
        // L[g1] = [1], then 1 − L[g0] = [0, 0, 0]
        assert_eq!(
            b.iter().map(|x| x.score).collect::<Vec<_>>(),
            vec![1.0, 0.0, 0.0, 0.0]
        );
        assert!(
            battles_v2(&[j("m", None, Some("A>B"))], 3)
                .unwrap()
                .is_empty()
        );
        let e = battles_v2(&[j("m", Some("A>>>B"), Some("A>B"))], 3).unwrap_err();
        assert!(matches!(e, LeaderboardError::UnknownLabel { .. }));
    }

    #[test]
    fn ci_repr_like_python() {
        assert_eq!(ci_string_v2(0.5, 0.45, 0.56), "(-5.0 / +6.0)");
        assert_eq!(ci_string_v2(0.5, 0.4876, 0.5123), "(-1.2 / +1.2)");
    }

    #[test]
    fn plain_v2_means() {
        let js = vec![
            j("org/m", Some("B>A"), Some("A>B")),
            j("org/m", Some("A=B"), Some("B>A")),
        ];
        let lb = arena_hard_v2_leaderboard(
            &js,
            &[],
            &ArenaV2Options {
                bootstrap: 50,
                ..Default::default()
            },
        )
        .unwrap();
        let m = lb.rows.iter().find(|r| r.model == "m").unwrap();
        // scores: [1, 1] and [0, 0.5] → mean 0.625
        assert!((m.score - 62.5).abs() < 10.0);
        assert!(m.lower <= m.score && m.score <= m.upper);
        assert!(
            lb.rows
                .iter()
                .any(|r| r.model == "o3-mini-2025-01-31" && r.ci == "(-0.0 / +0.0)")
        );
    }
}
