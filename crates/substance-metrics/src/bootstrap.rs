//! Seeded, platform-independent nonparametric bootstrap.
//!
//! **Procedure (the contract — changing any step changes every published interval):**
//! 1. The generator is [`rand_chacha::ChaCha8Rng`] created with `SeedableRng::seed_from_u64(seed)` (rand_core's
//!    documented PCG32 seed expansion), so the stream depends only on `seed`.
//! 2. Replicates are drawn one after another. For each replicate, `n` indices are drawn in order, each with
//!    [`uniform_index`]: take `x = next_u64()`, form the 128-bit product `m = x · n`; the index is `m >> 64`
//!    unless the low 64 bits of `m` are below `2⁶⁴ mod n`, in which case `x` is redrawn (Lemire's unbiased
//!    multiply-and-reject). Only integer arithmetic is involved, with `n` widened to `u64`, so wasm32 and
//!    64-bit hosts produce the same indices — no floating-point sampling, no `usize`-width dependence, no
//!    reliance on `rand`'s distribution code (whose algorithms may change between versions).
//! 3. The statistic is evaluated on each index multiset. Replicates for which it is NaN (e.g. a correlation
//!    of a resample with no variance) are dropped before taking percentiles.
//! 4. The interval is the percentile interval: the `(1−level)/2` and `(1+level)/2` quantiles of the kept
//!    replicates with NumPy's default linear interpolation ([`quantile_sorted`]).
//!
//! NumPy's generators cannot be reproduced bit-for-bit from Rust, so intervals agree with Python
//! implementations in distribution, not in value (SPEC §9.3).

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// A fresh generator for `seed` (see the module docs for why this exact generator).
pub fn rng_from_seed(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// An unbiased uniform integer in `0..n` by Lemire's multiply-and-reject over `u64`. Returns 0 for `n == 0`
/// (callers never ask for that).
pub fn uniform_index<R: RngCore>(rng: &mut R, n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let mut m = u128::from(rng.next_u64()) * u128::from(n);
    let mut low = m as u64;
    if low < n {
        let threshold = n.wrapping_neg() % n;
        while low < threshold {
            m = u128::from(rng.next_u64()) * u128::from(n);
            low = m as u64;
        }
    }
    (m >> 64) as u64
}

/// Run `resamples` bootstrap replicates over `n` items: for each, draw `n` indices with replacement and
/// evaluate `stat` on them. Returns the replicate values in draw order (NaN values included). Empty when
/// `n == 0` or `resamples == 0`.
pub fn bootstrap<F>(n: usize, resamples: usize, seed: u64, mut stat: F) -> Vec<f64>
where
    F: FnMut(&[usize]) -> f64,
{
    if n == 0 || resamples == 0 {
        return Vec::new();
    }
    let mut rng = rng_from_seed(seed);
    let mut idx = vec![0usize; n];
    let mut out = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        for slot in idx.iter_mut() {
            // The result is < n, which came from a usize, so the narrowing cast is lossless.
            *slot = uniform_index(&mut rng, n as u64) as usize;
        }
        out.push(stat(&idx));
    }
    out
}

/// The `q`-quantile (`0 ≤ q ≤ 1`) of an ascending slice with NumPy's default (`linear`, Hyndman–Fan type 7)
/// interpolation: position `h = (len−1)·q`, value `x[⌊h⌋] + (h−⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋])`. `None` for an empty
/// slice or `q` outside `[0, 1]`.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor();
    let i = lo as usize;
    let frac = h - lo;
    let a = sorted[i];
    match sorted.get(i + 1) {
        Some(&b) if frac > 0.0 => Some(a + frac * (b - a)),
        _ => Some(a),
    }
}

/// Percentile interval `[q_lo, q_hi]` at confidence `level` (e.g. 0.95 → 2.5th and 97.5th percentiles) of
/// `replicates`, ignoring NaN values. `None` when `level` is not strictly between 0 and 1 or when no finite
/// replicate is left.
pub fn percentile_interval(replicates: &[f64], level: f64) -> Option<[f64; 2]> {
    if !(level > 0.0 && level < 1.0) {
        return None;
    }
    let mut kept: Vec<f64> = replicates.iter().copied().filter(|v| !v.is_nan()).collect();
    if kept.is_empty() {
        return None;
    }
    kept.sort_by(f64::total_cmp);
    let alpha = (1.0 - level) / 2.0;
    Some([
        quantile_sorted(&kept, alpha)?,
        quantile_sorted(&kept, 1.0 - alpha)?,
    ])
}

/// Percentile bootstrap confidence interval of the (optionally weighted) mean of `values`.
///
/// Items are resampled with their weights; each replicate is `Σwᵢxᵢ / Σwᵢ` over the resampled items (a
/// replicate whose weights sum to zero is dropped). `None` for empty input, a weight-length mismatch,
/// negative or non-finite weights, NaN values, `resamples == 0`, or a `level` outside `(0, 1)`.
pub fn bootstrap_mean_ci(
    values: &[f64],
    weights: Option<&[f64]>,
    resamples: usize,
    seed: u64,
    level: f64,
) -> Option<[f64; 2]> {
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    if let Some(w) = weights {
        if w.len() != values.len() || crate::stats::check_weights(w).is_err() {
            return None;
        }
    }
    let reps = bootstrap(values.len(), resamples, seed, |idx| match weights {
        None => idx.iter().map(|&i| values[i]).sum::<f64>() / idx.len() as f64,
        Some(w) => {
            let total: f64 = idx.iter().map(|&i| w[i]).sum();
            if total > 0.0 {
                idx.iter().map(|&i| values[i] * w[i]).sum::<f64>() / total
            } else {
                f64::NAN
            }
        }
    });
    percentile_interval(&reps, level)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy_linear() {
        let x = [1.0, 2.0, 3.0, 4.0];
        // np.percentile([1,2,3,4], [0, 2.5, 50, 97.5, 100]) = [1, 1.075, 2.5, 3.925, 4]
        assert_eq!(quantile_sorted(&x, 0.0), Some(1.0));
        assert!((quantile_sorted(&x, 0.025).unwrap() - 1.075).abs() < 1e-12);
        assert_eq!(quantile_sorted(&x, 0.5), Some(2.5));
        assert!((quantile_sorted(&x, 0.975).unwrap() - 3.925).abs() < 1e-12);
        assert_eq!(quantile_sorted(&x, 1.0), Some(4.0));
        assert_eq!(quantile_sorted(&[], 0.5), None);
    }

    #[test]
    fn same_seed_same_draws() {
        let a = bootstrap(10, 5, 42, |idx| idx.iter().sum::<usize>() as f64);
        let b = bootstrap(10, 5, 42, |idx| idx.iter().sum::<usize>() as f64);
        let c = bootstrap(10, 5, 43, |idx| idx.iter().sum::<usize>() as f64);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn indices_in_range_and_roughly_uniform() {
        let mut rng = rng_from_seed(7);
        let mut counts = [0usize; 7];
        for _ in 0..70_000 {
            counts[uniform_index(&mut rng, 7) as usize] += 1;
        }
        for c in counts {
            assert!((9_500..10_500).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn mean_ci_brackets_the_mean() {
        let v: Vec<f64> = (0..200).map(|i| f64::from(i % 2)).collect();
        let [lo, hi] = bootstrap_mean_ci(&v, None, 2000, 1, 0.95).unwrap();
        assert!(lo < 0.5 && 0.5 < hi && lo > 0.35 && hi < 0.65, "{lo} {hi}");
        let w = vec![1.0; 200];
        assert_eq!(
            bootstrap_mean_ci(&v, Some(&w), 500, 3, 0.9),
            bootstrap_mean_ci(&v, None, 500, 3, 0.9)
        );
        assert_eq!(bootstrap_mean_ci(&[], None, 10, 1, 0.95), None);
        assert_eq!(bootstrap_mean_ci(&v, None, 10, 1, 1.0), None);
        assert_eq!(bootstrap_mean_ci(&v, Some(&[1.0]), 10, 1, 0.95), None);
    }
}
