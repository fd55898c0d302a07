//! AlpacaEval 2 metrics (`tatsu-lab/alpaca_eval` @cd543a1; SPEC §5): raw and discrete win rates
//! (`metrics/helpers.py`, `metrics/winrate.py`) and the length-controlled win rate (`metrics/glm_winrate.py`).
//!
//! **Win rates — exact.** [`head2head`] is `AbsoluteScoringRule().describe_head2head` and
//! [`discrete_win_rate`] is `ZeroOneScoringRule().describe_head2head(...)["win_rate"]`:
//! - weighted: preference `0` → `1.5` (draw); `n_draws` counts `1.5`/`0`; values outside `[1, 2]` (and
//!   NaN/None) are dropped; `x = pref − 1`; `win_rate = 100·mean(x)`, `standard_error = 100·sem(x)` (ddof 1),
//!   `n_wins = #(x > 0.5)`, `n_wins_base = #(x < 0.5)`, `n_total` = kept rows;
//! - discrete: `1.5 → 0`, then NumPy rounding (half to even) to an integer, `0 → 1.5` (draw), the same
//!   filter, so `x ∈ {0, ½, 1}`. (A value such as 0.4 rounds to 0 and becomes a draw, as in the reference.)
//!
//! **Length-controlled win rate — the GLM, solved exactly, cross-validated approximately.**
//! `length_controlled_v1`: `y = pref − 1` (draw 0 → ½, NaN rows not trained on) regressed on
//! `tanh(std_delta_len) + instruction_difficulty + not_gamed_baseline` without intercept, where
//! `delta_len = len(output_1) − len(output_2)` in Unicode characters and `std_delta_len` divides it by its
//! sample std over this model's rows; the `df_gamed.csv` rows (prompted verbose/concise baselines,
//! `not_gamed_baseline = 0`) are appended with weight `λ/2 = 0.1`; soft labels as weighted rows; L1 penalty
//! (liblinear's `C`) chosen by 5-fold group cross-validation over `Cs = logspace(−4, 4, 10)` with the weighted
//! continuous log-loss, then refitted; `LC = 100·mean σ(θ_diff·γᵢ + θ_notgamed)` over all rows, its
//! `lc_standard_error` the sem of those probabilities. Variants: `length_controlled_noreg` (no gamed rows:
//! used when only `instruction_difficulty.csv` is given) and `length_controlled_minimal` (no difficulty term:
//! used when neither file is given; then every prediction is the same and the standard error is 0).
//! Deviations: (1) each fit is solved to convergence (liblinear stops at `tol = 1e-4`); (2) the fold
//! assignment follows scikit-learn's `GroupKFold` greedy rule with a stable ordering of the equal-size groups
//! (NumPy's unstable `argsort` decides the reference's order), which can only change *which* `C` wins; (3) a
//! model whose `output_1`/`output_2` is missing gets no LC (patsy would silently drop the row).

use std::collections::BTreeMap;

use substance_core::input::Skipped;

use crate::error::{LeaderboardError, Result};
use crate::formats::{AlpacaAnnotation, GamedRow};
use crate::logistic::{self, Design, Penalty};
use crate::num::{mean, sem, sigmoid, std_sample};

/// Raw (weighted) head-to-head statistics.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct HeadToHead {
    /// `100·mean(pref − 1)`.
    pub win_rate: f64,
    /// `100·sem(pref − 1)`; NaN with fewer than two kept rows.
    pub standard_error: f64,
    /// Rows with `pref − 1 > 0.5`.
    pub n_wins: usize,
    /// Rows with `pref − 1 < 0.5`.
    pub n_wins_base: usize,
    /// Rows with `pref == 1.5` or `0` (counted before the `[1, 2]` filter, as the reference).
    pub n_draws: usize,
    /// Kept rows.
    pub n_total: usize,
    /// Rows left out, as the reference leaves them out: a missing (`null`/`NaN`) preference or one
    /// outside `[1, 2]` after 0 → 1.5. Counted so the reader knows what the win rate leaves out.
    pub n_dropped: usize,
}

fn is_draw(p: f64) -> bool {
    p == 1.5 || p == 0.0
}

/// `AbsoluteScoringRule().describe_head2head(preferences)`.
pub fn head2head(preferences: &[Option<f64>]) -> HeadToHead {
    let p: Vec<f64> = preferences
        .iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .map(|v| if v == 0.0 { 1.5 } else { v })
        .collect();
    let n_draws = p.iter().filter(|&&v| is_draw(v)).count();
    let x: Vec<f64> = p
        .iter()
        .filter(|&&v| (1.0..=2.0).contains(&v))
        .map(|v| v - 1.0)
        .collect();
    HeadToHead {
        win_rate: mean(&x) * 100.0,
        standard_error: sem(&x) * 100.0,
        n_wins: x.iter().filter(|&&v| v > 0.5).count(),
        n_wins_base: x.iter().filter(|&&v| v < 0.5).count(),
        n_draws,
        n_total: x.len(),
        n_dropped: p.len() - x.len(),
    }
}

/// `ZeroOneScoringRule().describe_head2head(preferences)["win_rate"]`.
pub fn discrete_win_rate(preferences: &[Option<f64>]) -> f64 {
    let x: Vec<f64> = preferences
        .iter()
        .filter_map(|v| *v)
        .filter(|v| !v.is_nan())
        .map(|v| if v == 1.5 { 0.0 } else { v })
        .map(f64::round_ties_even)
        .map(|v| if v == 0.0 { 1.5 } else { v })
        .filter(|v| (1.0..=2.0).contains(v))
        .map(|v| v - 1.0)
        .collect();
    mean(&x) * 100.0
}

/// Which GLM was fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum LcVariant {
    /// `length_controlled_v1`: difficulty + regularisation to the gamed baselines (the leaderboard's LC).
    #[serde(rename = "length_controlled_v1")]
    V1,
    /// `length_controlled_noreg`: difficulty, no gamed rows.
    #[serde(rename = "length_controlled_noreg")]
    NoReg,
    /// `length_controlled_minimal`: length and the not-gamed intercept only.
    #[serde(rename = "length_controlled_minimal")]
    Minimal,
}

impl LcVariant {
    /// The reference's GLM name.
    pub fn name(self) -> &'static str {
        match self {
            LcVariant::V1 => "length_controlled_v1",
            LcVariant::NoReg => "length_controlled_noreg",
            LcVariant::Minimal => "length_controlled_minimal",
        }
    }
}

/// A length-controlled win rate.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LengthControlled {
    /// Which GLM.
    pub variant: LcVariant,
    /// `100·mean(p̂)`.
    pub winrate: f64,
    /// `100·sem(p̂)`.
    pub standard_error: f64,
    /// Fitted coefficients by patsy column name.
    pub weights: Vec<(String, f64)>,
    /// The cross-validated `C`.
    pub c: f64,
    /// The reference's "extreme change" warning condition.
    pub extreme_change: bool,
}

/// The optional LC inputs (both hub-only in the reference).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LcInputs {
    /// `instruction_difficulty.csv`, by annotation position.
    pub instruction_difficulty: Option<Vec<f64>>,
    /// `df_gamed.csv` rows.
    pub gamed: Option<Vec<GamedRow>>,
}

/// One AlpacaEval leaderboard row.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AlpacaRow {
    /// `generator_2`.
    pub model: String,
    /// `generator_1`.
    pub baseline: String,
    /// Weighted statistics.
    #[serde(flatten)]
    pub head2head: HeadToHead,
    /// Discrete win rate.
    pub discrete_win_rate: f64,
    /// `int(mean character length of output_2)`.
    pub avg_length: Option<u64>,
    /// The LC win rate, when it could be fitted.
    pub length_controlled: Option<LengthControlled>,
    /// Why LC is missing, when it is.
    pub lc_note: Option<String>,
    /// Each annotation the win rate leaves out (`n_dropped` of them), with its file, record and why.
    pub skipped: Vec<Skipped>,
}

/// The annotation as a skipped record when the reference's win rate leaves it out (see [`head2head`]).
fn skipped_annotation(a: &AlpacaAnnotation) -> Option<Skipped> {
    let why = match a.preference {
        None => "has no preference (null, NaN or missing)".to_owned(),
        Some(p) if p.is_nan() => "has no preference (null, NaN or missing)".to_owned(),
        Some(p) if p == 0.0 || (1.0..=2.0).contains(&p) => return None,
        Some(p) => format!("has the preference {p}, outside [1, 2]"),
    };
    Some(Skipped {
        file: a.file.clone(),
        line: a.record,
        reason: format!(
            "{} against {}: the annotation {why}; left out of the win rate, as the reference leaves it out",
            a.generator_2, a.generator_1
        ),
    })
}

/// `get_is_extreme_changes(prev, new)` with the defaults `abs_diff = 10`, `rel_diff = 4`.
pub fn is_extreme_change(prev: f64, new: f64) -> bool {
    let too_small = new < (prev - prev / 4.0).min(prev - 10.0);
    let too_large = new > (prev + (100.0 - prev) / 4.0).max(prev + 10.0);
    too_small || too_large
}

/// Per-model AlpacaEval metrics for annotations of any number of models (grouped by `generator_2`; each
/// group must have a single `generator_1`). Rows are sorted by win rate, descending.
pub fn alpaca_eval(annotations: &[AlpacaAnnotation], lc: &LcInputs) -> Result<Vec<AlpacaRow>> {
    let mut groups: BTreeMap<&str, Vec<&AlpacaAnnotation>> = BTreeMap::new();
    for a in annotations {
        groups.entry(&a.generator_2).or_default().push(a);
    }
    let mut rows = Vec::with_capacity(groups.len());
    for (model, anns) in groups {
        let baseline = &anns[0].generator_1;
        if anns.iter().any(|a| &a.generator_1 != baseline) {
            return Err(LeaderboardError::Invalid(format!(
                "model {model:?} is compared with more than one baseline (generator_1)"
            )));
        }
        let prefs: Vec<Option<f64>> = anns.iter().map(|a| a.preference).collect();
        let h = head2head(&prefs);
        let lens: Option<Vec<f64>> = anns
            .iter()
            .map(|a| a.output_2.as_ref().map(|o| o.chars().count() as f64))
            .collect();
        let avg_length = lens
            .map(|l| mean(&l))
            .filter(|m| m.is_finite())
            .map(|m| m.floor() as u64);
        let (length_controlled, lc_note) = match length_controlled(&anns, lc) {
            Ok(mut l) => {
                l.extreme_change = is_extreme_change(h.win_rate, l.winrate);
                (Some(l), None)
            }
            Err(e) => (None, Some(e)),
        };
        rows.push(AlpacaRow {
            model: model.to_string(),
            baseline: baseline.clone(),
            head2head: h,
            discrete_win_rate: discrete_win_rate(&prefs),
            avg_length,
            length_controlled,
            lc_note,
            skipped: anns.iter().filter_map(|a| skipped_annotation(a)).collect(),
        });
    }
    rows.sort_by(|a, b| {
        b.head2head
            .win_rate
            .total_cmp(&a.head2head.win_rate)
            .then_with(|| a.model.cmp(&b.model))
    });
    Ok(rows)
}

/// `np.logspace(-4, 4, 10)`, LogisticRegressionCV's default grid.
pub fn default_cs() -> Vec<f64> {
    let step = 8.0 / 9.0;
    (0..10)
        .map(|k| 10f64.powf(-4.0 + k as f64 * step))
        .collect()
}

/// One training row of the GLM.
struct Row {
    x: Vec<f64>,
    y: f64,
    w: f64,
}

/// The length-controlled win rate of one model (`get_length_controlled_winrate`), with the variant chosen
/// by what `lc` holds: difficulty and gamed rows → v1; difficulty only → noreg; nothing → minimal.
pub fn length_controlled(
    anns: &[&AlpacaAnnotation],
    lc: &LcInputs,
) -> std::result::Result<LengthControlled, String> {
    let difficulty: Option<Vec<f64>> = match (&lc.instruction_difficulty, &lc.gamed) {
        (Some(d), _) => Some(d.clone()),
        (None, Some(g)) => {
            // `df_gamed.drop_duplicates("index")["instruction_difficulty"]`, looked up by position.
            let mut d: BTreeMap<usize, f64> = BTreeMap::new();
            for r in g {
                d.entry(r.index).or_insert(r.instruction_difficulty);
            }
            let n = d.keys().next_back().map_or(0, |k| k + 1);
            Some(
                (0..n)
                    .map(|i| d.get(&i).copied().unwrap_or(f64::NAN))
                    .collect(),
            )
        }
        (None, None) => None,
    };
    let variant = match (&difficulty, &lc.gamed) {
        (Some(_), Some(_)) => LcVariant::V1,
        (Some(_), None) => LcVariant::NoReg,
        _ => LcVariant::Minimal,
    };
    let names: Vec<String> = match variant {
        LcVariant::Minimal => vec![
            "np.tanh(std_delta_len)".into(),
            "not_gamed_baseline.astype(float)".into(),
        ],
        _ => vec![
            "np.tanh(std_delta_len)".into(),
            "instruction_difficulty".into(),
            "not_gamed_baseline.astype(float)".into(),
        ],
    };
    let n = anns.len();
    if n == 0 {
        return Err("no annotations".into());
    }
    if anns[0].generator_1 == anns[0].generator_2 {
        let p = vec![0.5; n];
        return Ok(LengthControlled {
            variant,
            winrate: 50.0,
            standard_error: sem(&p) * 100.0,
            weights: names.into_iter().map(|s| (s, 0.0)).collect(),
            c: f64::NAN,
            extreme_change: false,
        });
    }
    let mut delta = Vec::with_capacity(n);
    for (i, a) in anns.iter().enumerate() {
        match (&a.output_1, &a.output_2) {
            (Some(o1), Some(o2)) => {
                delta.push(o1.chars().count() as f64 - o2.chars().count() as f64)
            }
            _ => {
                return Err(format!(
                    "annotation {} has no output_1/output_2, so no length difference",
                    i + 1
                ));
            }
        }
    }
    let sd = std_sample(&delta);
    if !(sd > 0.0 && sd.is_finite()) {
        return Err("the length difference has zero variance".into());
    }
    let gamma = |i: usize| -> std::result::Result<f64, String> {
        let d = difficulty.as_ref().ok_or("no difficulty")?;
        d.get(i).copied().filter(|v| v.is_finite()).ok_or_else(|| {
            format!(
                "no instruction difficulty for row {i} (the file has {} rows)",
                d.len()
            )
        })
    };
    let mut rows: Vec<Row> = Vec::new();
    if variant == LcVariant::V1 {
        for g in lc.gamed.iter().flatten() {
            if g.preference.is_nan() {
                continue;
            }
            rows.push(Row {
                x: vec![
                    g.std_delta_len.tanh(),
                    g.instruction_difficulty,
                    if g.not_gamed_baseline { 1.0 } else { 0.0 },
                ],
                y: g.preference,
                w: if g.not_gamed_baseline { 1.0 } else { 0.1 },
            });
        }
    }
    let mut test = Vec::with_capacity(n);
    for (i, a) in anns.iter().enumerate() {
        let t = (delta[i] / sd).tanh();
        let (x, xt) = match variant {
            LcVariant::Minimal => (vec![t, 1.0], vec![0.0, 1.0]),
            _ => {
                let g = gamma(i)?;
                (vec![t, g, 1.0], vec![0.0, g, 1.0])
            }
        };
        test.push(xt);
        let Some(p) = a.preference.filter(|p| !p.is_nan()) else {
            continue;
        };
        let y = if p == 0.0 { 0.5 } else { p - 1.0 };
        if !(0.0..=1.0).contains(&y) {
            // Outside [1, 2] the reference would train with negative sample weights; skip instead.
            continue;
        }
        rows.push(Row { x, y, w: 1.0 });
    }
    if rows.len() < 5 {
        return Err(format!(
            "only {} usable preferences; the 5-fold fit needs more",
            rows.len()
        ));
    }
    let (beta, c) = fit_lc(&rows)?;
    let p: Vec<f64> = test
        .iter()
        .map(|x| sigmoid(x.iter().zip(&beta).map(|(a, b)| a * b).sum()))
        .collect();
    Ok(LengthControlled {
        variant,
        winrate: mean(&p) * 100.0,
        standard_error: sem(&p) * 100.0,
        weights: names.into_iter().zip(beta).collect(),
        c,
        extreme_change: false,
    })
}

/// `GroupKFold(5)` fold of each training row (one group per row; scikit-learn's greedy "largest group to the
/// lightest fold" with a stable order of the equal-size groups, i.e. groups taken from the last to the
/// first, dealt round-robin).
fn group_kfold(n: usize, k: usize) -> Vec<usize> {
    let mut fold = vec![0; n];
    for (t, g) in (0..n).rev().enumerate() {
        fold[g] = t % k;
    }
    fold
}

fn design_of(rows: &[Row], idx: &[usize]) -> (Design, Vec<f64>) {
    let p = rows.first().map_or(0, |r| r.x.len());
    let mut d = Design::new(p);
    let mut w = Vec::with_capacity(idx.len());
    for &i in idx {
        let r = &rows[i];
        let e: Vec<(usize, f64)> = r.x.iter().copied().enumerate().collect();
        d.push(&e, r.y);
        w.push(r.w);
    }
    (d, w)
}

/// `logloss_continuous` on one fold: `−mean_r w_r·[y log q + (1−y) log(1−q)]`, q clipped to `[1e-15, 1−1e-15]`.
fn fold_score(rows: &[Row], idx: &[usize], beta: &[f64]) -> f64 {
    let eps = 1e-15;
    let total: f64 = idx
        .iter()
        .map(|&i| {
            let r = &rows[i];
            let q = sigmoid(r.x.iter().zip(beta).map(|(a, b)| a * b).sum()).clamp(eps, 1.0 - eps);
            r.w * (r.y * q.ln() + (1.0 - r.y) * (1.0 - q).ln())
        })
        .sum();
    total / idx.len() as f64
}

/// LogisticRegressionCV(l1, liblinear, GroupKFold(5), continuous log-loss) then the refit at the best `C`.
fn fit_lc(rows: &[Row]) -> std::result::Result<(Vec<f64>, f64), String> {
    let k = 5;
    let fold = group_kfold(rows.len(), k);
    let cs = default_cs();
    let mut scores = vec![0.0; cs.len()];
    for f in 0..k {
        let train: Vec<usize> = (0..rows.len()).filter(|&i| fold[i] != f).collect();
        let test: Vec<usize> = (0..rows.len()).filter(|&i| fold[i] == f).collect();
        let (d, w) = design_of(rows, &train);
        for (ci, &c) in cs.iter().enumerate() {
            let beta = logistic::fit(&d, &w, Penalty::L1 { c }, &[])?;
            scores[ci] += fold_score(rows, &test, &beta);
        }
    }
    let mut best = 0;
    for (i, s) in scores.iter().enumerate() {
        if *s > scores[best] {
            best = i;
        }
    }
    let all: Vec<usize> = (0..rows.len()).collect();
    let (d, w) = design_of(rows, &all);
    let beta = logistic::fit(&d, &w, Penalty::L1 { c: cs[best] }, &[])?;
    Ok((beta, cs[best]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Every annotation the win rate leaves out is listed with its file, record and why (issue 11).
    #[test]
    fn left_out_annotations_are_listed() {
        let json = br#"[
            {"instruction": "a", "generator_1": "b", "generator_2": "m", "output_2": "x", "preference": 2.0},
            {"instruction": "b", "generator_1": "b", "generator_2": "m", "output_2": "x", "preference": null},
            {"instruction": "c", "generator_1": "b", "generator_2": "m", "output_2": "x", "preference": NaN},
            {"instruction": "d", "generator_1": "b", "generator_2": "m", "output_2": "x", "preference": 2.5},
            {"instruction": "e", "generator_1": "b", "generator_2": "m", "output_2": "x", "preference": 0}
        ]"#;
        let anns = crate::formats::parse_alpaca_annotations(json, "ann.json").unwrap();
        let rows = alpaca_eval(&anns, &LcInputs::default()).unwrap();
        let r = &rows[0];
        assert_eq!(r.head2head.n_dropped, r.skipped.len());
        let got: Vec<(String, usize)> =
            r.skipped.iter().map(|s| (s.file.clone(), s.line)).collect();
        assert_eq!(
            got,
            [
                ("ann.json".to_owned(), 2),
                ("ann.json".to_owned(), 3),
                ("ann.json".to_owned(), 4)
            ]
        );
        assert!(
            r.skipped[2]
                .reason
                .contains("the preference 2.5, outside [1, 2]"),
            "{:?}",
            r.skipped
        );
    }

    #[test]
    fn head2head_rules() {
        let p = [
            Some(2.0),
            Some(1.0),
            Some(1.5),
            Some(0.0),
            None,
            Some(2.5),
            Some(1.75),
        ];
        let h = head2head(&p);
        // kept: 2, 1, 1.5, 1.5(0), 1.75 → x = 1, 0, .5, .5, .75
        assert_eq!(h.n_total, 5);
        // None and 2.5 are left out, and counted.
        assert_eq!(h.n_dropped, 2);
        assert_eq!(h.n_draws, 2);
        assert_eq!(h.n_wins, 2);
        assert_eq!(h.n_wins_base, 1);
        assert!((h.win_rate - 55.0).abs() < 1e-12);
        // discrete: 2→1, 1→0, 1.5→draw, 0→draw, 2.5→2 (half-even)→1, 1.75→2→1: x = 1,0,.5,.5,1,1
        assert!((discrete_win_rate(&p) - 400.0 / 6.0).abs() < 1e-12);
        // 0.4 rounds to 0 → a draw in the reference.
        assert!((discrete_win_rate(&[Some(0.4), Some(2.0)]) - 75.0).abs() < 1e-12);
    }

    #[test]
    fn folds_are_balanced() {
        let f = group_kfold(12, 5);
        assert_eq!(f[11], 0);
        assert_eq!(f[10], 1);
        let counts: Vec<usize> = (0..5)
            .map(|k| f.iter().filter(|&&x| x == k).count())
            .collect();
        assert_eq!(counts, vec![3, 3, 2, 2, 2]);
    }

    #[test]
    fn extreme_change_rule() {
        assert!(is_extreme_change(20.0, 9.0));
        assert!(!is_extreme_change(20.0, 11.0));
        assert!(is_extreme_change(50.0, 63.0));
        assert!(!is_extreme_change(50.0, 62.0));
    }
}
