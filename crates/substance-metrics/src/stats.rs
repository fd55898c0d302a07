//! Means, standard errors and group aggregation as lm-eval computes them (`api/metrics.py`; SPEC §6.3).
//!
//! Conventions:
//! - [`mean`], [`sample_std`] and [`stderr_mean`] return `f64` and use **NaN for "undefined"**, the way
//!   NumPy does: `mean(&[])` is NaN; `sample_std` and `stderr_mean` are NaN for fewer than two values. lm-eval
//!   reports the stderr of a task with a single sample as the string `"N/A"` (`evaluator_utils.py`:
//!   `stderr_fn(items) if (stderr_fn and len(items) > 1) else "N/A"`), and NaN is its numeric stand-in here —
//!   never 0, which would claim a perfectly certain estimate.
//! - Functions with several parallel or structured arguments ([`weighted_mean`], [`group_mean`],
//!   [`pooled_stderr`]) validate them and return [`MetricError`].
//! - Sums are plain left-to-right `f64` sums (lm-eval uses Python `sum`), so results agree with lm-eval to
//!   the last bit or two, and are identical on every platform.

use crate::MetricError;

/// Arithmetic mean `Σx / n` (Python `sum(arr) / len(arr)`); NaN for an empty slice.
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.iter().sum::<f64>() / values.len() as f64
}

/// Sample standard deviation with Bessel's correction (`ddof = 1`): `√(Σ(x−x̄)² / (n−1))`, as lm-eval's
/// `sample_stddev`. NaN for fewer than two values.
pub fn sample_std(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return f64::NAN;
    }
    let mu = mean(values);
    let ss: f64 = values.iter().map(|x| (x - mu) * (x - mu)).sum();
    (ss / (values.len() - 1) as f64).sqrt()
}

/// Standard error of the mean `sample_std / √n` (lm-eval's `mean_stderr`, the stderr of every `acc`-like
/// metric). NaN for fewer than two values, where lm-eval prints `"N/A"`.
pub fn stderr_mean(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return f64::NAN;
    }
    sample_std(values) / (values.len() as f64).sqrt()
}

/// Weighted mean `Σ wᵢxᵢ / Σ wᵢ`.
///
/// Errors: empty input, length mismatch, a negative or non-finite weight, or weights summing to zero.
pub fn weighted_mean(values: &[f64], weights: &[f64]) -> Result<f64, MetricError> {
    if values.is_empty() {
        return Err(MetricError::Empty { what: "values" });
    }
    if values.len() != weights.len() {
        return Err(MetricError::LengthMismatch {
            left: "values",
            left_len: values.len(),
            right: "weights",
            right_len: weights.len(),
        });
    }
    check_weights(weights)?;
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return Err(MetricError::InvalidParameter {
            name: "weights",
            reason: "weights sum to zero".into(),
        });
    }
    let num: f64 = values.iter().zip(weights).map(|(x, w)| x * w).sum();
    Ok(num / total)
}

pub(crate) fn check_weights(weights: &[f64]) -> Result<(), MetricError> {
    for (index, &w) in weights.iter().enumerate() {
        if !w.is_finite() {
            return Err(MetricError::NonFinite {
                what: "weights",
                index,
                value: w,
            });
        }
        if w < 0.0 {
            return Err(MetricError::InvalidParameter {
                name: "weights",
                reason: format!("weights[{index}] = {w} is negative"),
            });
        }
    }
    Ok(())
}

/// Size-weighted mean of subtask scores, `Σ nᵢ·mᵢ / Σ nᵢ` — lm-eval's `aggregate_subtask_metrics` with
/// `weight_by_size=True`, how a group such as `bbq` or `wmdp` gets its score from its subtasks. Each entry is
/// `(n_i, metric_i)`.
///
/// Errors: empty input or a total size of zero.
pub fn group_mean(groups: &[(usize, f64)]) -> Result<f64, MetricError> {
    if groups.is_empty() {
        return Err(MetricError::Empty { what: "groups" });
    }
    let total: usize = groups.iter().map(|(n, _)| n).sum();
    if total == 0 {
        return Err(MetricError::InvalidParameter {
            name: "groups",
            reason: "all subtask sizes are zero".into(),
        });
    }
    let num: f64 = groups.iter().map(|&(n, m)| m * n as f64).sum();
    Ok(num / total as f64)
}

/// Pooled standard error of a size-weighted group mean, lm-eval's `pooled_sample_stderr`:
///
/// `√( Σ (nᵢ−1)·nᵢ·seᵢ² / (Σnᵢ − k) / Σnᵢ )` for `k` subtasks given as `(n_i, se_i)`.
///
/// (`nᵢ·seᵢ²` recovers each subtask's sample variance; the pooled variance is divided by the total size.)
///
/// Errors: empty input, a non-finite or negative stderr, or `Σnᵢ ≤ k` (the pooled variance's denominator
/// would be zero or negative).
pub fn pooled_stderr(groups: &[(usize, f64)]) -> Result<f64, MetricError> {
    if groups.is_empty() {
        return Err(MetricError::Empty { what: "groups" });
    }
    for (index, &(_, se)) in groups.iter().enumerate() {
        if !se.is_finite() {
            return Err(MetricError::NonFinite {
                what: "stderrs",
                index,
                value: se,
            });
        }
        if se < 0.0 {
            return Err(MetricError::InvalidParameter {
                name: "stderrs",
                reason: format!("stderr {index} = {se} is negative"),
            });
        }
    }
    let total: usize = groups.iter().map(|(n, _)| n).sum();
    let k = groups.len();
    if total <= k {
        return Err(MetricError::Undefined {
            metric: "pooled_stderr",
            reason: format!("total size {total} must exceed the number of subtasks {k}"),
        });
    }
    let num: f64 = groups
        .iter()
        .map(|&(n, se)| (n as f64 - 1.0) * se * se * n as f64)
        .sum();
    let pooled_var = num / (total - k) as f64;
    Ok((pooled_var / total as f64).sqrt())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        assert!(mean(&[]).is_nan());
        assert_eq!(mean(&[1.0, 2.0, 3.0, 4.0]), 2.5);
        // var = (2.25+0.25+0.25+2.25)/3 = 5/3
        assert!((sample_std(&[1.0, 2.0, 3.0, 4.0]) - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert!((stderr_mean(&[1.0, 2.0, 3.0, 4.0]) - (5.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-15);
        assert!(sample_std(&[1.0]).is_nan());
        assert!(stderr_mean(&[1.0]).is_nan());
        assert!(stderr_mean(&[]).is_nan());
    }

    #[test]
    fn weighted_and_group() {
        assert_eq!(weighted_mean(&[1.0, 3.0], &[1.0, 3.0]).unwrap(), 2.5);
        assert!(weighted_mean(&[1.0], &[0.0]).is_err());
        assert!(weighted_mean(&[1.0], &[-1.0]).is_err());
        assert!(weighted_mean(&[1.0, 2.0], &[1.0]).is_err());
        assert_eq!(group_mean(&[(100, 0.5), (300, 0.9)]).unwrap(), 0.8);
        assert!(group_mean(&[(0, 0.5)]).is_err());
    }

    #[test]
    fn pooled_matches_concatenation_for_equal_means() {
        // Two subtasks of 0/1 values with the same mean: pooling equals the stderr of the concatenation
        // up to the (n-1) vs (n-k) denominators.
        let a = [1.0, 0.0, 1.0, 0.0];
        let b = [0.0, 1.0, 0.0, 1.0, 1.0, 0.0];
        let pooled = pooled_stderr(&[(4, stderr_mean(&a)), (6, stderr_mean(&b))]).unwrap();
        // Σ(n-1)·var = 3·(1/3) + 5·(0.3) = 1 + 1.5 = 2.5; /(10-2) = 0.3125; /10 → sqrt(0.03125)
        assert!((pooled - 0.03125f64.sqrt()).abs() < 1e-14);
        assert!(pooled_stderr(&[(1, 0.1)]).is_err());
        assert!(pooled_stderr(&[(10, f64::NAN)]).is_err());
    }
}
