//! Benchmark-quality statistics of the Arena-Hard paper (arXiv 2406.11939; SPEC §2.6), as the repository
//! notebook `notebook/benchmark_statistics.ipynb` @0489bf3 computes them from `bootstrap_stats_*.jsonl`
//! records (`{model, score, lower, upper, results}`; see [`crate::formats::parse_bootstrap_stats`]).
//!
//! - [`separability`] (`get_unique_overlapping_interval_pairs`): intervals sorted by lower end; a pair
//!   overlaps when the later one starts strictly before the earlier one ends; pairs of *identical interval
//!   values* are counted once (the notebook de-duplicates by value); separability = 1 − overlapping/C(n,2).
//!   [`separability_from_replicates`] first recomputes the intervals as percentiles of `results`
//!   (`get_unique_overlapping_interval_pairs_general`, e.g. 10/90).
//! - [`agreement_with_confidence`] (the notebook's "With Confidence" cells): over model pairs whose
//!   *reference* intervals do not overlap (`max(0, min(hi) − max(lo)) > 0` means overlap), +1 when the
//!   benchmark's intervals do not overlap and order the pair like the reference, +½ when the benchmark's
//!   intervals overlap, 0 when they disagree; divided by the number of such pairs. Orders compare
//!   `(lower, upper)` tuples lexicographically, as the notebook's Python does. The paper's text describes
//!   −1 for a confident disagreement; [`agreement_with_confidence_paper`] implements that reading (+1 / −1 /
//!   0 over the same pairs) — issue #58 notes that notebook and Colab disagree.
//! - [`pair_rank_brier`] (`calculate_predictions_and_labels` + `brier_score_loss`/`log_loss`): for every pair
//!   (a, b) of sorted model names, `P(a < b) = Φ(−(μ_a − μ_b)/√(σ²_a + σ²_b))` with the mean and population
//!   variance of the bootstrap replicates, against the label `rating_a < rating_b` of the reference ranking.

use crate::formats::BootstrapStats;
use crate::num::{mean, normal_cdf, percentile};

/// Result of [`separability`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Separability {
    /// Overlapping (distinct-valued) pairs.
    pub overlapping_pairs: usize,
    /// `C(n, 2)`.
    pub total_pairs: usize,
    /// `1 − overlapping/total` (NaN with fewer than two models).
    pub separability: f64,
}

/// Separability from `(lower, upper)` intervals.
pub fn separability(intervals: &[(f64, f64)]) -> Separability {
    let mut iv: Vec<(f64, f64)> = intervals.to_vec();
    iv.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut pairs: Vec<((f64, f64), (f64, f64))> = Vec::new();
    for i in 0..iv.len() {
        for j in i + 1..iv.len() {
            if iv[j].0 < iv[i].1 {
                let p = (iv[i], iv[j]);
                if !pairs.iter().any(|q| *q == p || *q == (p.1, p.0)) {
                    pairs.push(p);
                }
            } else {
                break;
            }
        }
    }
    let n = intervals.len();
    let total = n * n.saturating_sub(1) / 2;
    Separability {
        overlapping_pairs: pairs.len(),
        total_pairs: total,
        separability: if total == 0 {
            f64::NAN
        } else {
            1.0 - pairs.len() as f64 / total as f64
        },
    }
}

/// Separability with intervals recomputed as the `[lo_pct, hi_pct]` percentiles of each record's
/// bootstrap `results`.
pub fn separability_from_replicates(
    stats: &[BootstrapStats],
    lo_pct: f64,
    hi_pct: f64,
) -> Separability {
    let iv: Vec<(f64, f64)> = stats
        .iter()
        .map(|s| {
            (
                percentile(&s.results, lo_pct),
                percentile(&s.results, hi_pct),
            )
        })
        .collect();
    separability(&iv)
}

fn overlap(a: (f64, f64), b: (f64, f64)) -> bool {
    (a.1.min(b.1) - a.0.max(b.0)).max(0.0) > 0.0
}

fn tuple_lt(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 < b.0 || (a.0 == b.0 && a.1 < b.1)
}

/// A model with its interval.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Interval {
    /// Model name (already mapped to the reference's naming).
    pub model: String,
    /// Lower end.
    pub lower: f64,
    /// Upper end.
    pub upper: f64,
}

/// `(bench a, bench b, reference a, reference b)` intervals of one model pair.
type PairIntervals = ((f64, f64), (f64, f64), (f64, f64), (f64, f64));

fn pairs<'a>(
    bench: &'a [Interval],
    reference: &'a [Interval],
) -> impl Iterator<Item = PairIntervals> + 'a {
    let find = move |m: &str| {
        reference
            .iter()
            .find(|r| r.model == m)
            .map(|r| (r.lower, r.upper))
    };
    (0..bench.len())
        .flat_map(move |i| (i + 1..bench.len()).map(move |j| (i, j)))
        .filter_map(move |(i, j)| {
            let (a, b) = (&bench[i], &bench[j]);
            Some((
                (a.lower, a.upper),
                (b.lower, b.upper),
                find(&a.model)?,
                find(&b.model)?,
            ))
        })
}

/// The notebook's agreement with confidence (+1 / +½ / 0); `None` when no pair is separated by the
/// reference. Models missing from `reference` are skipped.
pub fn agreement_with_confidence(bench: &[Interval], reference: &[Interval]) -> Option<f64> {
    let (mut count, mut total) = (0.0, 0usize);
    for (sa, sb, ea, eb) in pairs(bench, reference) {
        if overlap(ea, eb) {
            continue;
        }
        total += 1;
        if overlap(sa, sb) {
            count += 0.5;
            continue;
        }
        if (tuple_lt(sa, sb) && tuple_lt(ea, eb)) || (tuple_lt(sb, sa) && tuple_lt(eb, ea)) {
            count += 1.0;
        }
    }
    (total > 0).then(|| count / total as f64)
}

/// The paper's reading: +1 confident agreement, −1 confident disagreement, 0 when the benchmark's intervals
/// overlap; averaged over pairs the reference separates.
pub fn agreement_with_confidence_paper(bench: &[Interval], reference: &[Interval]) -> Option<f64> {
    let (mut count, mut total) = (0.0, 0usize);
    for (sa, sb, ea, eb) in pairs(bench, reference) {
        if overlap(ea, eb) {
            continue;
        }
        total += 1;
        if overlap(sa, sb) {
            continue;
        }
        let same = (tuple_lt(sa, sb) && tuple_lt(ea, eb)) || (tuple_lt(sb, sa) && tuple_lt(eb, ea));
        count += if same { 1.0 } else { -1.0 };
    }
    (total > 0).then(|| count / total as f64)
}

/// Pair-rank calibration of a benchmark's bootstrap against a reference ranking.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PairRank {
    /// Pairs scored.
    pub pairs: usize,
    /// Brier score `mean((P(a<b) − label)²)`.
    pub brier: f64,
    /// Log loss with probabilities clipped to `[ε, 1 − ε]`, ε = f64 machine epsilon (scikit-learn ≥ 1.5).
    pub log_loss: f64,
}

/// A reference model rating.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Rating {
    /// Model.
    pub model: String,
    /// Rating (higher is better).
    pub rating: f64,
}

/// [`PairRank`] of `bench` (bootstrap replicates in `results`) against `reference` ratings. Pairs with a
/// model missing from the reference are skipped; `None` when no pair remains.
pub fn pair_rank_brier(bench: &[BootstrapStats], reference: &[Rating]) -> Option<PairRank> {
    let mut models: Vec<&BootstrapStats> = bench.iter().collect();
    models.sort_by(|a, b| a.model.cmp(&b.model));
    let rating = |m: &str| reference.iter().find(|r| r.model == m).map(|r| r.rating);
    let moments = |s: &BootstrapStats| {
        let v: Vec<f64> = s.results.iter().copied().filter(|x| !x.is_nan()).collect();
        let mu = mean(&v);
        let var = v.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>() / v.len() as f64;
        (mu, var)
    };
    let eps = f64::EPSILON;
    let (mut n, mut brier, mut ll) = (0usize, 0.0, 0.0);
    for i in 0..models.len() {
        for j in i + 1..models.len() {
            let (a, b) = (models[i], models[j]);
            let (Some(ra), Some(rb)) = (rating(&a.model), rating(&b.model)) else {
                continue;
            };
            let ((ma, va), (mb, vb)) = (moments(a), moments(b));
            let sd = (va + vb).sqrt();
            let p = if sd > 0.0 {
                normal_cdf(-(ma - mb) / sd)
            } else if ma < mb {
                1.0
            } else if ma > mb {
                0.0
            } else {
                0.5
            };
            let label = if ra < rb { 1.0 } else { 0.0 };
            brier += (p - label) * (p - label);
            let pc = p.clamp(eps, 1.0 - eps);
            ll -= label * pc.ln() + (1.0 - label) * (1.0 - pc).ln();
            n += 1;
        }
    }
    (n > 0).then(|| PairRank {
        pairs: n,
        brier: brier / n as f64,
        log_loss: ll / n as f64,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn separability_counts() {
        let s = separability(&[(0.0, 2.0), (1.0, 3.0), (5.0, 6.0), (2.5, 4.0)]);
        // overlaps: (0,2)-(1,3), (1,3)-(2.5,4)
        assert_eq!((s.overlapping_pairs, s.total_pairs), (2, 6));
        assert!((s.separability - 4.0 / 6.0).abs() < 1e-15);
        // identical intervals are de-duplicated by value
        let d = separability(&[(0.0, 1.0), (0.0, 1.0), (0.5, 2.0)]);
        assert_eq!(d.overlapping_pairs, 2);
        // touching is not overlapping
        assert_eq!(separability(&[(0.0, 1.0), (1.0, 2.0)]).overlapping_pairs, 0);
    }

    fn iv(m: &str, lo: f64, hi: f64) -> Interval {
        Interval {
            model: m.into(),
            lower: lo,
            upper: hi,
        }
    }

    #[test]
    fn agreement_rules() {
        let reference = [iv("a", 0.0, 1.0), iv("b", 2.0, 3.0), iv("c", 4.0, 5.0)];
        let bench = [iv("a", 0.0, 1.0), iv("b", 0.5, 1.5), iv("c", -2.0, -1.0)];
        // a-b: bench overlaps → ½; a-c: opposite → 0; b-c: opposite → 0.
        assert!((agreement_with_confidence(&bench, &reference).unwrap() - 0.5 / 3.0).abs() < 1e-15);
        assert!(
            (agreement_with_confidence_paper(&bench, &reference).unwrap() + 2.0 / 3.0).abs()
                < 1e-15
        );
    }

    #[test]
    fn brier_of_a_perfect_split() {
        let s = |m: &str, v: f64| BootstrapStats {
            model: m.into(),
            score: v,
            lower: v,
            upper: v,
            results: vec![v - 1.0, v + 1.0],
        };
        let r = pair_rank_brier(
            &[s("a", 0.0), s("b", 100.0)],
            &[
                Rating {
                    model: "a".into(),
                    rating: 1.0,
                },
                Rating {
                    model: "b".into(),
                    rating: 2.0,
                },
            ],
        )
        .unwrap();
        assert_eq!(r.pairs, 1);
        assert!(r.brier < 1e-12);
    }
}
