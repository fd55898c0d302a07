//! Weighted binary logistic regression without intercept, solved to machine precision.
//!
//! Objective (soft targets `yᵢ ∈ [0, 1]`, weights `wᵢ ≥ 0`, `zᵢ = xᵢ·β`):
//! `F(β) = Σ wᵢ (softplus(zᵢ) − yᵢ zᵢ) + penalty(β)` — the weighted cross-entropy, which equals scikit-learn's
//! objective on a table where row `i` is repeated `wᵢ` times (so the reference's "duplicate every battle"
//! tricks become weights here), and PyTorch's `BCEWithLogits(reduction="sum")` for soft labels.
//!
//! * [`Penalty::None`] and [`Penalty::L2`] (`‖β‖²/(2C)`, scikit-learn's `C`): damped Newton with a Cholesky
//!   solve and Armijo backtracking; coordinates listed in `fixed` are held at 0 (how the rank-deficient
//!   Bradley–Terry design is anchored).
//! * [`Penalty::L1`] (`‖β‖₁/C`, liblinear's `C`): proximal Newton (the inner Lasso-QP solved by coordinate
//!   descent), the method of liblinear's newGLMNET, iterated to convergence instead of stopping at
//!   liblinear's `tol = 1e-4`.
//!
//! The rows are sparse (a Bradley–Terry row has two model entries plus the style columns), so one Newton
//! step costs `O(nnz · row width + p³)`.

use crate::num::{sigmoid, softplus};

/// A sparse design matrix with targets, built row by row.
#[derive(Debug, Clone)]
pub(crate) struct Design {
    /// Number of coefficients.
    pub p: usize,
    ptr: Vec<usize>,
    cols: Vec<usize>,
    vals: Vec<f64>,
    /// Targets in `[0, 1]`.
    pub y: Vec<f64>,
}

impl Design {
    pub fn new(p: usize) -> Self {
        Self {
            p,
            ptr: vec![0],
            cols: Vec::new(),
            vals: Vec::new(),
            y: Vec::new(),
        }
    }

    /// Append a row given by its non-zero entries (column indices must be `< p`).
    pub fn push(&mut self, entries: &[(usize, f64)], y: f64) {
        for &(c, v) in entries {
            debug_assert!(c < self.p);
            self.cols.push(c);
            self.vals.push(v);
        }
        self.ptr.push(self.cols.len());
        self.y.push(y);
    }

    pub fn n(&self) -> usize {
        self.y.len()
    }

    fn row(&self, i: usize) -> (&[usize], &[f64]) {
        let (a, b) = (self.ptr[i], self.ptr[i + 1]);
        (&self.cols[a..b], &self.vals[a..b])
    }

    fn dot(&self, i: usize, beta: &[f64]) -> f64 {
        let (c, v) = self.row(i);
        c.iter().zip(v).map(|(&j, &x)| x * beta[j]).sum()
    }

    /// `σ(xᵢ·β)` for every row.
    #[allow(dead_code)]
    pub fn predict(&self, beta: &[f64]) -> Vec<f64> {
        (0..self.n()).map(|i| sigmoid(self.dot(i, beta))).collect()
    }
}

/// The regulariser.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Penalty {
    /// Maximum likelihood.
    None,
    /// `‖β‖² / (2C)`.
    L2 { c: f64 },
    /// `‖β‖₁ / C`.
    L1 { c: f64 },
}

/// Cross-entropy `y·softplus(−z) + (1−y)·softplus(z)` (= `softplus(z) − y·z`, without the cancellation).
fn loss(z: f64, y: f64) -> f64 {
    let mut l = 0.0;
    if y != 0.0 {
        l += y * softplus(-z);
    }
    if y != 1.0 {
        l += (1.0 - y) * softplus(z);
    }
    l
}

#[allow(clippy::needless_range_loop)]
/// Smooth part `Σ wᵢ ℓᵢ` with its gradient and (dense, row-major) Hessian.
fn smooth(d: &Design, w: &[f64], beta: &[f64], want_hess: bool) -> (f64, Vec<f64>, Vec<f64>) {
    let p = d.p;
    let mut f = 0.0;
    let mut g = vec![0.0; p];
    let mut h = if want_hess {
        vec![0.0; p * p]
    } else {
        Vec::new()
    };
    for i in 0..d.n() {
        let wi = w[i];
        if wi == 0.0 {
            continue;
        }
        let z = d.dot(i, beta);
        f += wi * loss(z, d.y[i]);
        let s = sigmoid(z);
        let r = wi * (s - d.y[i]);
        let (cols, vals) = d.row(i);
        for (&j, &x) in cols.iter().zip(vals) {
            g[j] += r * x;
        }
        if want_hess {
            let q = wi * s * (1.0 - s);
            for (a, (&j, &xj)) in cols.iter().zip(vals).enumerate() {
                for (&k, &xk) in cols[a..].iter().zip(&vals[a..]) {
                    let v = q * xj * xk;
                    h[j * p + k] += v;
                    if j != k {
                        h[k * p + j] += v;
                    }
                }
            }
        }
    }
    (f, g, h)
}

#[allow(clippy::needless_range_loop)]
fn objective(d: &Design, w: &[f64], beta: &[f64], pen: Penalty) -> f64 {
    let mut f = 0.0;
    for i in 0..d.n() {
        if w[i] != 0.0 {
            let z = d.dot(i, beta);
            f += w[i] * loss(z, d.y[i]);
        }
    }
    f + penalty_value(beta, pen)
}

fn penalty_value(beta: &[f64], pen: Penalty) -> f64 {
    match pen {
        Penalty::None => 0.0,
        Penalty::L2 { c } => beta.iter().map(|b| b * b).sum::<f64>() / (2.0 * c),
        Penalty::L1 { c } => beta.iter().map(|b| b.abs()).sum::<f64>() / c,
    }
}

/// In-place Cholesky solve of the `m × m` SPD system `a x = b`; `None` when `a` is not positive definite.
fn cholesky_solve(a: &mut [f64], b: &mut [f64], m: usize) -> Option<()> {
    let scale = (0..m)
        .map(|i| a[i * m + i].abs())
        .fold(0.0, f64::max)
        .max(1e-300);
    for j in 0..m {
        let mut s = a[j * m + j];
        for k in 0..j {
            s -= a[j * m + k] * a[j * m + k];
        }
        if s.is_nan() || s <= scale * 1e-14 {
            return None;
        }
        let l = s.sqrt();
        a[j * m + j] = l;
        for i in j + 1..m {
            let mut t = a[i * m + j];
            for k in 0..j {
                t -= a[i * m + k] * a[j * m + k];
            }
            a[i * m + j] = t / l;
        }
    }
    for i in 0..m {
        let mut t = b[i];
        for k in 0..i {
            t -= a[i * m + k] * b[k];
        }
        b[i] = t / a[i * m + i];
    }
    for i in (0..m).rev() {
        let mut t = b[i];
        for k in i + 1..m {
            t -= a[k * m + i] * b[k];
        }
        b[i] = t / a[i * m + i];
    }
    Some(())
}

/// Largest |β| tolerated before the fit is declared divergent (no finite maximum-likelihood estimate, e.g. a
/// model that won or lost every one of its battles): `e^60` odds.
const DIVERGENCE: f64 = 60.0;

/// Minimise `F` with weights `w` (one per row), holding the coordinates in `fixed` at 0. Returns `β`.
pub(crate) fn fit(
    d: &Design,
    w: &[f64],
    pen: Penalty,
    fixed: &[usize],
) -> Result<Vec<f64>, String> {
    if w.len() != d.n() {
        return Err("weight vector does not match the design".into());
    }
    match pen {
        Penalty::L1 { c } => fit_l1(d, w, c),
        _ => fit_newton(d, w, pen, fixed, None),
    }
}

/// [`fit`] for the Newton penalties started from `init` (coordinates in `fixed` are reset to 0). The optimum
/// is the same; a nearby start (a bootstrap refit from the full-data solution) saves iterations.
pub(crate) fn fit_from(
    d: &Design,
    w: &[f64],
    pen: Penalty,
    fixed: &[usize],
    init: &[f64],
) -> Result<Vec<f64>, String> {
    if w.len() != d.n() || init.len() != d.p {
        return Err("weight or start vector does not match the design".into());
    }
    match pen {
        Penalty::L1 { c } => fit_l1(d, w, c),
        _ => fit_newton(d, w, pen, fixed, Some(init)),
    }
}

fn fit_newton(
    d: &Design,
    w: &[f64],
    pen: Penalty,
    fixed: &[usize],
    init: Option<&[f64]>,
) -> Result<Vec<f64>, String> {
    let p = d.p;
    let free: Vec<usize> = (0..p).filter(|j| !fixed.contains(j)).collect();
    let m = free.len();
    let mut beta = match init {
        Some(b) => b
            .iter()
            .map(|v| if v.is_finite() { *v } else { 0.0 })
            .collect(),
        None => vec![0.0; p],
    };
    for &j in fixed {
        beta[j] = 0.0;
    }
    if m == 0 {
        return Ok(beta);
    }
    let l2 = match pen {
        Penalty::L2 { c } => 1.0 / c,
        _ => 0.0,
    };
    for _iter in 0..200 {
        let (f0, mut g, h) = smooth(d, w, &beta, true);
        let f0 = f0 + penalty_value(&beta, pen);
        let mut hs = vec![0.0; m * m];
        let mut rhs = vec![0.0; m];
        for (a, &j) in free.iter().enumerate() {
            g[j] += l2 * beta[j];
            rhs[a] = -g[j];
            for (b, &k) in free.iter().enumerate() {
                hs[a * m + b] = h[j * p + k] + if a == b { l2 } else { 0.0 };
            }
        }
        if cholesky_solve(&mut hs, &mut rhs, m).is_none() {
            return Err("the Hessian is singular: a model has no (weighted) comparisons, or the comparison graph is disconnected".into());
        }
        let gd: f64 = free.iter().zip(&rhs).map(|(&j, &dj)| g[j] * dj).sum();
        // Near the optimum the predicted decrease −gd (the squared Newton decrement) sinks below the
        // rounding error of the objective, a sum over every row, and the Armijo test fails on noise: the
        // step would shrink to nothing and the loop stop short of the optimum (by ~1e-6 in a win rate on
        // 70,000 style-controlled battles). There the full Newton step is taken: quadratic convergence.
        let negligible = -gd <= 1e-9 * f0.abs().max(1.0);
        let mut t = 1.0;
        let mut trial = beta.clone();
        loop {
            for (&j, &dj) in free.iter().zip(&rhs) {
                trial[j] = beta[j] + t * dj;
            }
            if negligible {
                break;
            }
            let f1 = objective(d, w, &trial, pen);
            if f1 <= f0 + 1e-4 * t * gd || t < 1e-12 {
                break;
            }
            t *= 0.5;
        }
        let step = rhs.iter().map(|v| (t * v).abs()).fold(0.0, f64::max);
        beta.copy_from_slice(&trial);
        if beta.iter().any(|b| !b.is_finite() || b.abs() > DIVERGENCE) {
            return Err("the estimate diverges: no finite maximum-likelihood solution (a model won or lost all of its comparisons)".into());
        }
        if step < 1e-11 {
            return Ok(beta);
        }
    }
    Err("Newton's method did not converge in 200 iterations".into())
}

fn soft_threshold(v: f64, t: f64) -> f64 {
    if v > t {
        v - t
    } else if v < -t {
        v + t
    } else {
        0.0
    }
}

fn fit_l1(d: &Design, w: &[f64], c: f64) -> Result<Vec<f64>, String> {
    if c.is_nan() || c <= 0.0 {
        return Err("C must be positive".into());
    }
    let p = d.p;
    let lam = 1.0 / c;
    let pen = Penalty::L1 { c };
    let mut beta = vec![0.0; p];
    for _iter in 0..500 {
        let (f_s, g, h) = smooth(d, w, &beta, true);
        let f0 = f_s + penalty_value(&beta, pen);
        // Inner Lasso-QP over u = β + d by cyclic coordinate descent.
        let mut u = beta.clone();
        for _sweep in 0..10_000 {
            let mut change: f64 = 0.0;
            for j in 0..p {
                let hjj = h[j * p + j];
                let old = u[j];
                if hjj <= 0.0 {
                    // No curvature along j: the linear term alone decides (|g_j| ≤ λ keeps 0).
                    u[j] = if g[j].abs() <= lam { 0.0 } else { old };
                    change = change.max((u[j] - old).abs());
                    continue;
                }
                let mut cj = g[j];
                for k in 0..p {
                    if k != j {
                        cj += h[j * p + k] * (u[k] - beta[k]);
                    }
                }
                let v = beta[j] - cj / hjj;
                u[j] = soft_threshold(v, lam / hjj);
                change = change.max((u[j] - old).abs());
            }
            if change < 1e-15 {
                break;
            }
        }
        let dir: Vec<f64> = u.iter().zip(&beta).map(|(a, b)| a - b).collect();
        let l1_new: f64 = u.iter().map(|v| v.abs()).sum();
        let l1_old: f64 = beta.iter().map(|v| v.abs()).sum();
        let delta: f64 =
            g.iter().zip(&dir).map(|(a, b)| a * b).sum::<f64>() + lam * (l1_new - l1_old);
        let mut t = 1.0;
        let mut trial = beta.clone();
        loop {
            for j in 0..p {
                trial[j] = beta[j] + t * dir[j];
            }
            let f1 = objective(d, w, &trial, pen);
            if f1 <= f0 + 0.01 * t * delta || t < 1e-12 {
                break;
            }
            t *= 0.5;
        }
        let step = dir.iter().map(|v| (t * v).abs()).fold(0.0, f64::max);
        beta.copy_from_slice(&trial);
        if beta.iter().any(|b| !b.is_finite() || b.abs() > 1e6) {
            return Err("the L1 fit diverged".into());
        }
        if step < 1e-12 || delta.abs() < 1e-24 {
            return Ok(beta);
        }
    }
    Err("proximal Newton did not converge in 500 iterations".into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn one_dimensional_mle() {
        // 3 successes, 1 failure on x = 1: β = ln 3.
        let mut d = Design::new(1);
        d.push(&[(0, 1.0)], 1.0);
        d.push(&[(0, 1.0)], 0.0);
        let b = fit(&d, &[3.0, 1.0], Penalty::None, &[]).unwrap();
        assert!((b[0] - 3f64.ln()).abs() < 1e-12, "{b:?}");
        // Soft label 0.75 with weight 4 is the same problem.
        let mut s = Design::new(1);
        s.push(&[(0, 1.0)], 0.75);
        let b2 = fit(&s, &[4.0], Penalty::None, &[]).unwrap();
        assert!((b2[0] - 3f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn l2_and_l1_shrink() {
        let mut d = Design::new(1);
        d.push(&[(0, 1.0)], 1.0);
        d.push(&[(0, 1.0)], 0.0);
        let w = [3.0, 1.0];
        let b2 = fit(&d, &w, Penalty::L2 { c: 1.0 }, &[]).unwrap();
        // Stationarity: 4σ(β) − 3 + β = 0.
        assert!((4.0 * sigmoid(b2[0]) - 3.0 + b2[0]).abs() < 1e-10);
        let b1 = fit(&d, &w, Penalty::L1 { c: 1.0 }, &[]).unwrap();
        // Stationarity with β > 0: 4σ(β) − 3 + 1 = 0 → σ(β) = 1/2 → β = 0 (boundary): subgradient holds.
        assert!(b1[0].abs() < 1e-12, "{b1:?}");
        let b1b = fit(&d, &w, Penalty::L1 { c: 10.0 }, &[]).unwrap();
        assert!((4.0 * sigmoid(b1b[0]) - 3.0 + 0.1).abs() < 1e-10, "{b1b:?}");
    }

    /// A fit of the bench's shape returns a stationary point of the penalised objective. (The case that
    /// stopped short before the full-step rule — `cargo xtask bench leaderboard`'s 73,017 style-controlled
    /// battles, 3.5e-6 pp off the exact minimiser for its strongest model — is checked there against the
    /// reference script's Newton solution; this smaller design does not reproduce the stall.)
    #[test]
    fn large_fit_reaches_stationarity() {
        // The bench's shape: 60 models against a baseline (column 0), 73,000 soft-label rows of
        // weight 2 (ties as y = 1/2), four standardised style columns, L2 with C = 1.
        let (models, n) = (61usize, 73_000usize);
        let p = models + 4;
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let strength: Vec<f64> = (0..models).map(|_| 1.2 * uniform() - 0.6).collect();
        let mut d = Design::new(p);
        let ln10 = std::f64::consts::LN_10;
        for i in 0..n {
            let m = 1 + i % (models - 1);
            // One model far stronger than the baseline, as model-010 of the bench (98 %).
            let extra = if m == 10 { 1.5 } else { 0.0 };
            let feats: Vec<f64> = (0..4).map(|_| 3.4 * uniform() - 1.7).collect();
            let z = ln10 * (strength[0] - strength[m] - extra) + 0.3 * feats[0] - 0.2 * feats[1];
            let (u, q) = (uniform(), 1.0 / (1.0 + (-z).exp()));
            let y = if u < 0.8 * q {
                1.0
            } else if u < 0.8 * q + 0.2 {
                0.5
            } else {
                0.0
            };
            let mut row = vec![(0, ln10), (m, -ln10)];
            row.extend(feats.iter().enumerate().map(|(k, &f)| (models + k, f)));
            d.push(&row, y);
        }
        let w = vec![2.0; n];
        let beta = fit(&d, &w, Penalty::L2 { c: 1.0 }, &[]).unwrap();
        let (_, mut g, _) = smooth(&d, &w, &beta, false);
        for (gj, bj) in g.iter_mut().zip(&beta) {
            *gj += bj;
        }
        let worst = g.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        assert!(worst < 1e-7, "gradient {worst:e} at the returned β: {g:?}");
    }

    #[test]
    fn separation_is_an_error() {
        let mut d = Design::new(1);
        d.push(&[(0, 1.0)], 1.0);
        assert!(fit(&d, &[1.0], Penalty::None, &[]).is_err());
    }
}
