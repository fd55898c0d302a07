//! Small numeric helpers with the reference's (Python / NumPy / pandas) conventions.

use substance_metrics::bootstrap::quantile_sorted;

/// Logistic function `1 / (1 + e^{−z})`, evaluated without overflow.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^{z})` without overflow or cancellation.
pub fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// Python's `round(x, ndigits)`: the double nearest to `x` correctly rounded to `ndigits` decimals, ties of
/// the exact binary value to even (Rust's `{:.N}` formatting uses the same rule, checked in the tests).
/// Non-finite values pass through.
pub fn py_round(x: f64, ndigits: usize) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.ndigits$}").parse().unwrap_or(x)
}

/// Python's `str(float)` for the moderate values of score tables: integral values keep one decimal (`6.0`),
/// others print their shortest round-trip form (`1.2`). (Python switches to exponent notation below 1e-4
/// and from 1e16, which these tables never reach.)
pub fn py_float_str(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// NumPy `percentile(values, q)` with the default linear interpolation (`q` in percent); NaN values are
/// dropped first (NumPy would propagate them; see the callers for why dropping is the useful choice). NaN
/// when nothing is left.
pub fn percentile(values: &[f64], q: f64) -> f64 {
    let mut kept: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    kept.sort_by(f64::total_cmp);
    quantile_sorted(&kept, q / 100.0).unwrap_or(f64::NAN)
}

/// Plain mean; NaN for an empty slice.
pub fn mean(values: &[f64]) -> f64 {
    substance_metrics::stats::mean(values)
}

/// pandas `Series.sem()` (ddof = 1): NaN for fewer than two values.
pub fn sem(values: &[f64]) -> f64 {
    substance_metrics::stats::stderr_mean(values)
}

/// Standard normal CDF `Φ(x) = erfc(−x/√2)/2` (SciPy `norm.cdf`), accurate to double precision in the tails.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Population (`ddof = 0`) standard deviation, NumPy `np.std`.
pub fn std_pop(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let m = mean(values);
    (values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / values.len() as f64).sqrt()
}

/// Sample (`ddof = 1`) standard deviation, pandas `Series.std()` / `torch.std`.
pub fn std_sample(values: &[f64]) -> f64 {
    substance_metrics::stats::sample_std(values)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn python_rounding() {
        // round(0.125, 2) == 0.12, round(2.675, 2) == 2.67, round(0.375, 2) == 0.38, round(2.5) == 2
        assert_eq!(py_round(0.125, 2), 0.12);
        assert_eq!(py_round(2.675, 2), 2.67);
        assert_eq!(py_round(0.375, 2), 0.38);
        assert_eq!(py_round(2.5, 0), 2.0);
        assert_eq!(py_round(1.5, 0), 2.0);
        assert_eq!(py_round(82.634_999, 2), 82.63);
    }

    #[test]
    fn logistic_helpers() {
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-15);
        assert!(sigmoid(-800.0) >= 0.0 && sigmoid(800.0) <= 1.0);
        assert!((softplus(0.0) - 2f64.ln()).abs() < 1e-15);
        assert!((softplus(800.0) - 800.0).abs() < 1e-12);
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-16);
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-12);
    }

    #[test]
    fn percentiles_drop_nan() {
        assert!((percentile(&[1.0, 2.0, 3.0, 4.0, f64::NAN], 2.5) - 1.075).abs() < 1e-12);
        assert!(percentile(&[], 50.0).is_nan());
    }
}
