//! Correlation coefficients across paired observations (e.g. models: judge score vs benchmark score), with
//! SciPy's conventions, and seeded bootstrap intervals over pairs.
//!
//! All three functions return `None` when the coefficient is undefined — fewer than two points, slices of
//! different lengths, any NaN, or an input without variation (SciPy returns NaN with a warning there).
//! Infinite values are treated as NaN by [`pearson`] (its sums would be meaningless) but are ordinary values
//! for the rank methods.
//!
//! - [`pearson`] follows `scipy.stats.pearsonr`: centre, scale by the largest absolute deviation, normalise
//!   each vector, dot product, clip to `[-1, 1]`.
//! - [`spearman`] is Pearson on average ranks ([`rank_average`], `scipy.stats.rankdata(method="average")`),
//!   as `scipy.stats.spearmanr` for two 1-D inputs.
//! - [`kendall_tau_b`] is `scipy.stats.kendalltau(variant="b")`: the same integer counts (discordant pairs,
//!   ties in x, ties in y, joint ties) combined in the same order, `τ_b = (P − Q) / √(n₀−n₁) / √(n₀−n₂)`, in
//!   O(n log n) (merge-sort inversion count).

use crate::bootstrap::{bootstrap, percentile_interval};

/// Which correlation coefficient to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CorrMethod {
    /// Pearson's product-moment r.
    Pearson,
    /// Spearman's ρ (Pearson on average ranks).
    Spearman,
    /// Kendall's τ-b (tie-corrected).
    KendallTauB,
}

impl CorrMethod {
    /// All methods, in a stable order.
    pub const ALL: [CorrMethod; 3] = [
        CorrMethod::Pearson,
        CorrMethod::Spearman,
        CorrMethod::KendallTauB,
    ];

    /// A short lowercase name: `pearson`, `spearman`, `kendall_tau_b`.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrMethod::Pearson => "pearson",
            CorrMethod::Spearman => "spearman",
            CorrMethod::KendallTauB => "kendall_tau_b",
        }
    }

    /// The coefficient for this method (see [`correlation`]).
    pub fn compute(self, x: &[f64], y: &[f64]) -> Option<f64> {
        correlation(self, x, y)
    }
}

impl std::fmt::Display for CorrMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn valid_pair(x: &[f64], y: &[f64]) -> bool {
    x.len() == y.len() && x.len() >= 2 && !x.iter().chain(y).any(|v| v.is_nan())
}

/// The coefficient selected by `method`.
pub fn correlation(method: CorrMethod, x: &[f64], y: &[f64]) -> Option<f64> {
    match method {
        CorrMethod::Pearson => pearson(x, y),
        CorrMethod::Spearman => spearman(x, y),
        CorrMethod::KendallTauB => kendall_tau_b(x, y),
    }
}

fn centred_unit(v: &[f64]) -> Option<Vec<f64>> {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let mut d: Vec<f64> = v.iter().map(|x| x - m).collect();
    let max = d.iter().fold(0.0f64, |a, x| a.max(x.abs()));
    if max == 0.0 || !max.is_finite() {
        return None;
    }
    for x in d.iter_mut() {
        *x /= max;
    }
    let norm = d.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return None;
    }
    for x in d.iter_mut() {
        *x /= norm;
    }
    Some(d)
}

/// Pearson's r. `None` when undefined (see the module docs).
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if !valid_pair(x, y) || x.iter().chain(y).any(|v| v.is_infinite()) {
        return None;
    }
    let a = centred_unit(x)?;
    let b = centred_unit(y)?;
    let r: f64 = a.iter().zip(&b).map(|(p, q)| p * q).sum();
    Some(r.clamp(-1.0, 1.0))
}

/// Average ranks, 1-based, ties sharing the mean of the ranks they span (`scipy.stats.rankdata`, method
/// `"average"`). NaN values are ranked as larger than everything (callers here reject them first).
pub fn rank_average(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        // -0.0 and 0.0 are equal values (total_cmp only orders them), so compare with ==.
        while j < order.len() && values[order[j]] == values[order[i]] {
            j += 1;
        }
        // Positions i..j (0-based) hold ranks i+1..=j; their mean is (i+1+j)/2.
        let r = (i + 1 + j) as f64 / 2.0;
        for &k in &order[i..j] {
            ranks[k] = r;
        }
        i = j;
    }
    ranks
}

/// Spearman's ρ: Pearson's r of the average ranks. `None` when undefined.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if !valid_pair(x, y) {
        return None;
    }
    pearson(&rank_average(x), &rank_average(y))
}

/// Dense ranks (0-based, equal values share a rank) of `v`.
fn dense_ranks(v: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut out = vec![0usize; v.len()];
    let mut rank = 0usize;
    for (pos, &k) in order.iter().enumerate() {
        if pos > 0 && v[k] != v[order[pos - 1]] {
            rank += 1;
        }
        out[k] = rank;
    }
    out
}

/// Number of pairs `i < j` with `a[i] > a[j]`, by merge sort (sorts `a`).
fn count_inversions(a: &mut [usize], buf: &mut [usize]) -> u64 {
    let n = a.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let mut inv = {
        let (l, r) = a.split_at_mut(mid);
        let (bl, br) = buf.split_at_mut(mid);
        count_inversions(l, bl) + count_inversions(r, br)
    };
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < mid && j < n {
        if a[i] <= a[j] {
            buf[k] = a[i];
            i += 1;
        } else {
            buf[k] = a[j];
            inv += (mid - i) as u64;
            j += 1;
        }
        k += 1;
    }
    while i < mid {
        buf[k] = a[i];
        i += 1;
        k += 1;
    }
    while j < n {
        buf[k] = a[j];
        j += 1;
        k += 1;
    }
    a.copy_from_slice(&buf[..n]);
    inv
}

/// Σ c(c−1)/2 over runs of equal keys in a sorted key sequence.
fn tied_pairs<T: PartialEq>(sorted: &[T]) -> u64 {
    let mut total = 0u64;
    let mut run = 1u64;
    for w in sorted.windows(2) {
        if w[0] == w[1] {
            run += 1;
        } else {
            total += run * (run - 1) / 2;
            run = 1;
        }
    }
    total + run * (run - 1) / 2
}

/// Kendall's τ-b, tie-corrected as `scipy.stats.kendalltau`. `None` when undefined (including when all of
/// `x` or all of `y` are tied).
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> Option<f64> {
    if !valid_pair(x, y) {
        return None;
    }
    let n = x.len();
    let rx = dense_ranks(x);
    let ry = dense_ranks(y);
    let mut pairs: Vec<(usize, usize)> = rx.into_iter().zip(ry).collect();
    pairs.sort_unstable();
    // Discordant pairs: i before j in (x, y) order with y_i > y_j. Pairs tied in x are ordered by y,
    // so they contribute no inversions.
    let mut ys: Vec<usize> = pairs.iter().map(|p| p.1).collect();
    let mut buf = vec![0usize; n];
    let dis = count_inversions(&mut ys, &mut buf);
    let ntie = tied_pairs(&pairs);
    let xs: Vec<usize> = pairs.iter().map(|p| p.0).collect();
    let xtie = tied_pairs(&xs); // xs is sorted because pairs are
    let ytie = tied_pairs(&ys); // ys is sorted by the merge sort
    let tot = (n as u64) * (n as u64 - 1) / 2;
    if xtie == tot || ytie == tot {
        return None;
    }
    // scipy: con_minus_dis = tot - xtie - ytie + ntie - 2 * dis (as signed integers)
    let con_minus_dis = tot as i128 - xtie as i128 - ytie as i128 + ntie as i128 - 2 * dis as i128;
    let tau = con_minus_dis as f64 / ((tot - xtie) as f64).sqrt() / ((tot - ytie) as f64).sqrt();
    Some(tau.clamp(-1.0, 1.0))
}

/// Percentile bootstrap interval of a correlation coefficient, resampling **pairs** `(x_i, y_i)` with the
/// procedure of [`crate::bootstrap`]. Resamples on which the coefficient is undefined (e.g. all drawn pairs
/// identical) are dropped. `None` when the coefficient is undefined on the full data, `resamples == 0`, or
/// `level` is outside `(0, 1)`.
pub fn bootstrap_correlation_ci(
    x: &[f64],
    y: &[f64],
    method: CorrMethod,
    resamples: usize,
    seed: u64,
    level: f64,
) -> Option<[f64; 2]> {
    correlation(method, x, y)?;
    let mut bx = vec![0.0; x.len()];
    let mut by = vec![0.0; y.len()];
    let reps = bootstrap(x.len(), resamples, seed, |idx| {
        for (k, &i) in idx.iter().enumerate() {
            bx[k] = x[i];
            by[k] = y[i];
        }
        correlation(method, &bx, &by).unwrap_or(f64::NAN)
    });
    percentile_interval(&reps, level)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn naive_tau_b(x: &[f64], y: &[f64]) -> f64 {
        let n = x.len();
        let (mut s, mut tx, mut ty, mut t0) = (0i64, 0i64, 0i64, 0i64);
        for i in 0..n {
            for j in i + 1..n {
                let dx = (x[i] - x[j]).signum() as i64 * i64::from(x[i] != x[j]);
                let dy = (y[i] - y[j]).signum() as i64 * i64::from(y[i] != y[j]);
                s += dx * dy;
                if dx != 0 {
                    tx += 1;
                }
                if dy != 0 {
                    ty += 1;
                }
                t0 += 1;
            }
        }
        let _ = t0;
        s as f64 / ((tx as f64) * (ty as f64)).sqrt()
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(
            rank_average(&[10.0, 20.0, 10.0, 30.0]),
            vec![1.5, 3.0, 1.5, 4.0]
        );
        assert_eq!(rank_average(&[0.0, -0.0]), vec![1.5, 1.5]);
    }

    #[test]
    fn perfect_and_undefined() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let y = [2.0, 4.0, 6.0, 8.0];
        assert_eq!(pearson(&x, &y), Some(1.0));
        assert_eq!(spearman(&x, &[8.0, 6.0, 4.0, 2.0]), Some(-1.0));
        assert_eq!(kendall_tau_b(&x, &y), Some(1.0));
        assert_eq!(pearson(&x, &[1.0, 1.0, 1.0, 1.0]), None);
        assert_eq!(kendall_tau_b(&x, &[1.0, 1.0, 1.0, 1.0]), None);
        assert_eq!(pearson(&[1.0], &[1.0]), None);
        assert_eq!(pearson(&x, &[1.0, 2.0]), None);
        assert_eq!(spearman(&x, &[1.0, f64::NAN, 2.0, 3.0]), None);
    }

    #[test]
    fn tau_b_matches_naive_with_ties() {
        let x = [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0, 1.0];
        let y = [2.0, 1.0, 2.0, 3.0, 1.0, 3.0, 5.0, 5.0, 0.0];
        let fast = kendall_tau_b(&x, &y).unwrap();
        assert!((fast - naive_tau_b(&x, &y)).abs() < 1e-14, "{fast}");
    }

    #[test]
    fn bootstrap_ci_is_deterministic_and_contains_point() {
        let x: Vec<f64> = (0..30).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| v + ((v * 7.0) % 5.0)).collect();
        for m in CorrMethod::ALL {
            let a = bootstrap_correlation_ci(&x, &y, m, 500, 9, 0.95).unwrap();
            let b = bootstrap_correlation_ci(&x, &y, m, 500, 9, 0.95).unwrap();
            assert_eq!(a, b);
            let r = correlation(m, &x, &y).unwrap();
            assert!(a[0] <= r && r <= a[1], "{m}: {a:?} {r}");
        }
    }
}
