//! Streaming aggregation of per-item scores into the receipt summary.
//!
//! Rules (lm-eval, SPEC §6.3):
//! - value: mean over items (weighted by [`substance_core::Score::weight`] when present, so IFEval's
//!   instruction-level accuracy equals the flattened mean);
//! - stderr: sample standard deviation (ddof = 1) over √n; for weighted metrics the weighted analogue
//!   `√(Σw(x−m)² / (Σw − 1)) / √Σw`, which equals the flattened value when every instruction of an item
//!   shares the item's verdict and is an approximation otherwise (lm-eval reports no stderr there);
//! - suites with groups: per-group aggregates, and the overall stderr is lm-eval's pooled standard error
//!   of the group stderrs (the overall value is the size-weighted mean, i.e. the plain item mean);
//! - `ci95`: value ± 1.96·stderr; `bootstrap_ci95`: seeded percentile bootstrap over items (seed and
//!   resample count from the receipt header).

use std::collections::BTreeMap;

use substance_core::{Aggregate, Score};
use substance_metrics::{bootstrap, stats};

#[derive(Default, Clone)]
struct Series {
    values: Vec<f64>,
    weights: Vec<f64>,
    weighted: bool,
}

impl Series {
    fn push(&mut self, s: &Score) {
        self.values.push(s.value);
        self.weights.push(s.weight.unwrap_or(1.0));
        self.weighted |= s.weight.is_some();
    }

    fn mean(&self) -> f64 {
        let w: f64 = self.weights.iter().sum();
        if w <= 0.0 {
            return f64::NAN;
        }
        self.values
            .iter()
            .zip(&self.weights)
            .map(|(v, w)| v * w)
            .sum::<f64>()
            / w
    }

    fn stderr(&self) -> f64 {
        if !self.weighted {
            return stats::stderr_mean(&self.values);
        }
        let m = self.mean();
        let w: f64 = self.weights.iter().sum();
        if w <= 1.0 {
            return f64::NAN;
        }
        let ss: f64 = self
            .values
            .iter()
            .zip(&self.weights)
            .map(|(v, wi)| wi * (v - m).powi(2))
            .sum();
        (ss / (w - 1.0)).sqrt() / w.sqrt()
    }
}

/// Accumulates scores item by item.
#[derive(Default, Clone)]
pub struct Aggregator {
    overall: BTreeMap<String, Series>,
    groups: BTreeMap<String, BTreeMap<String, Series>>,
}

/// The aggregates of a run: overall and per group.
pub type Aggregates = (
    BTreeMap<String, Aggregate>,
    BTreeMap<String, BTreeMap<String, Aggregate>>,
);

impl Aggregator {
    /// An empty aggregator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one item's scores.
    pub fn push(&mut self, group: Option<&str>, scores: &BTreeMap<String, Score>) {
        for (name, s) in scores {
            self.overall.entry(name.clone()).or_default().push(s);
            if let Some(g) = group {
                self.groups
                    .entry(g.to_owned())
                    .or_default()
                    .entry(name.clone())
                    .or_default()
                    .push(s);
            }
        }
    }

    /// Compute every aggregate. `resamples == 0` skips the bootstrap.
    pub fn finish(&self, seed: u64, resamples: usize) -> Aggregates {
        let mut groups = BTreeMap::new();
        for (g, metrics) in &self.groups {
            let per: BTreeMap<String, Aggregate> = metrics
                .iter()
                .map(|(name, s)| (name.clone(), plain(s, s.stderr(), seed, 0)))
                .collect();
            groups.insert(g.clone(), per);
        }
        let mut overall = BTreeMap::new();
        for (name, series) in &self.overall {
            let grouped: Vec<(usize, f64)> = groups
                .values()
                .filter_map(|m: &BTreeMap<String, Aggregate>| m.get(name))
                .map(|a| (a.n, a.stderr))
                .collect();
            let all_grouped = grouped.iter().map(|(n, _)| n).sum::<usize>() == series.values.len();
            let se = if groups.len() > 1 && all_grouped && !series.weighted {
                stats::pooled_stderr(&grouped).unwrap_or(f64::NAN)
            } else {
                series.stderr()
            };
            overall.insert(name.clone(), plain(series, se, seed, resamples));
        }
        (overall, groups)
    }
}

fn plain(s: &Series, stderr: f64, seed: u64, resamples: usize) -> Aggregate {
    let value = s.mean();
    let bootstrap_ci95 = if resamples > 0 && s.values.len() > 1 {
        let weights = s.weighted.then_some(s.weights.as_slice());
        bootstrap::bootstrap_mean_ci(&s.values, weights, resamples, seed, 0.95)
    } else {
        None
    };
    // JSON has no NaN: an undefined standard error (fewer than two items) is written as 0.
    let stderr = if stderr.is_finite() { stderr } else { 0.0 };
    Aggregate {
        value,
        stderr,
        n: s.values.len(),
        ci95: [value - 1.96 * stderr, value + 1.96 * stderr],
        bootstrap_ci95,
    }
}
