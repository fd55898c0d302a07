//! lm-evaluation-harness multiple-choice rules (`api/task.py`, `output_type: multiple_choice`; SPEC §6.2).
//!
//! Every function scores **one document**: `lls[i]` is the summed log-likelihood of choice `i` (the
//! continuation `" " + choice` after the context) and `gold` is the set of correct choice indices. A single
//! gold index is `&[g]`; with several golds (lm-eval "multiple target", e.g. SaladBench) a prediction counts
//! when it is *in* the gold set. A task's score is the mean of the per-document values
//! ([`crate::stats::mean`]), its stderr [`crate::stats::stderr_mean`].
//!
//! | function | lm-eval metric | rule |
//! |---|---|---|
//! | [`acc`] | `acc` | `argmax(ll) ∈ gold` |
//! | [`acc_norm`] | `acc_norm` | `argmax(ll / len_chars(choice)) ∈ gold` — **Unicode scalar values**, as Python `len(str)` (issue #3278) |
//! | [`acc_bytes`] | `acc_bytes` | `argmax(ll / len_utf8(choice)) ∈ gold` |
//! | [`greedy_exact_match`] | `exact_match` (MC) | `is_greedy[g]` for the gold (any gold when several) |
//! | [`mc1`] | TruthfulQA MC1 | `argmax(ll) == 0` |
//! | [`mc2`] | TruthfulQA MC2 | `Σ_{g∈gold} softmax(ll)_g` |
//! | [`acc_mutual_info`] | `acc_mutual_info` | `argmax(ll_cond − ll_uncond) ∈ gold` |
//! | [`brier_score`] | `brier_score` | `Σ_i (softmax(ll)_i − y_i)²` |
//!
//! **Validation.** Log-likelihoods must not be NaN or +∞ ([`MetricError::NonFinite`]); −∞ (probability 0) is
//! accepted. Empty inputs, length mismatches, empty gold sets and out-of-range gold indices are errors. lm-eval
//! itself maps an out-of-range gold to `-100` and scores 0 with a warning; here that is an error, because it
//! always means the task definition is broken.

use crate::MetricError;

/// Index of the first maximum, with NumPy's `np.argmax` semantics: ties go to the **lowest** index, and if any
/// element is NaN the index of the **first NaN** is returned (NumPy treats NaN as larger than everything).
/// `None` for an empty slice. −∞ and +∞ compare as usual.
pub fn argmax(values: &[f64]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, &v) in values.iter().enumerate() {
        if v.is_nan() {
            return Some(i);
        }
        match best {
            Some((_, b)) if v <= b => {}
            _ => best = Some((i, v)),
        }
    }
    best.map(|(i, _)| i)
}

/// How a choice's length is measured for length normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthUnit {
    /// Unicode scalar values (`str::chars().count()`, Python `len(str)`): what lm-eval's `acc_norm` uses.
    Chars,
    /// UTF-8 bytes (`len(s.encode("utf-8"))`): lm-eval's `acc_bytes`.
    Bytes,
}

impl LengthUnit {
    /// The length of `s` in this unit.
    pub fn len(self, s: &str) -> usize {
        match self {
            LengthUnit::Chars => s.chars().count(),
            LengthUnit::Bytes => s.len(),
        }
    }
}

fn check_lls(what: &'static str, lls: &[f64]) -> Result<(), MetricError> {
    if lls.is_empty() {
        return Err(MetricError::Empty { what });
    }
    for (index, &value) in lls.iter().enumerate() {
        if value.is_nan() || value == f64::INFINITY {
            return Err(MetricError::NonFinite { what, index, value });
        }
    }
    Ok(())
}

fn check_gold(gold: &[usize], choices: usize) -> Result<(), MetricError> {
    if gold.is_empty() {
        return Err(MetricError::Empty { what: "gold" });
    }
    for &index in gold {
        if index >= choices {
            return Err(MetricError::GoldOutOfRange { index, choices });
        }
    }
    Ok(())
}

fn hit(pred: Option<usize>, gold: &[usize]) -> f64 {
    match pred {
        Some(p) if gold.contains(&p) => 1.0,
        _ => 0.0,
    }
}

/// The predicted choice: `argmax(lls)` after validation.
pub fn pred(lls: &[f64]) -> Result<usize, MetricError> {
    check_lls("lls", lls)?;
    argmax(lls).ok_or(MetricError::Empty { what: "lls" })
}

/// Log-likelihoods divided by the length of each choice (without the `" "` target delimiter).
///
/// Errors on a length mismatch, an empty choice (division by zero), or invalid log-likelihoods.
pub fn length_normalized<S: AsRef<str>>(
    lls: &[f64],
    choices: &[S],
    unit: LengthUnit,
) -> Result<Vec<f64>, MetricError> {
    check_lls("lls", lls)?;
    if lls.len() != choices.len() {
        return Err(MetricError::LengthMismatch {
            left: "lls",
            left_len: lls.len(),
            right: "choices",
            right_len: choices.len(),
        });
    }
    lls.iter()
        .zip(choices)
        .enumerate()
        .map(|(index, (&ll, c))| match unit.len(c.as_ref()) {
            0 => Err(MetricError::EmptyChoice { index }),
            n => Ok(ll / n as f64),
        })
        .collect()
}

/// The length-normalised prediction `argmax(ll / len(choice))`.
pub fn pred_norm<S: AsRef<str>>(
    lls: &[f64],
    choices: &[S],
    unit: LengthUnit,
) -> Result<usize, MetricError> {
    let normed = length_normalized(lls, choices, unit)?;
    argmax(&normed).ok_or(MetricError::Empty { what: "lls" })
}

/// `acc`: 1.0 when `argmax(lls)` is a gold index, else 0.0.
pub fn acc(lls: &[f64], gold: &[usize]) -> Result<f64, MetricError> {
    let p = pred(lls)?;
    check_gold(gold, lls.len())?;
    Ok(hit(Some(p), gold))
}

/// `acc_norm`: 1.0 when `argmax(ll / chars(choice))` is a gold index. The length is the number of Unicode
/// scalar values of the choice string without the target delimiter — what lm-eval's code does (the docs say
/// bytes; see [`acc_bytes`] for that).
pub fn acc_norm<S: AsRef<str>>(
    lls: &[f64],
    choices: &[S],
    gold: &[usize],
) -> Result<f64, MetricError> {
    let p = pred_norm(lls, choices, LengthUnit::Chars)?;
    check_gold(gold, lls.len())?;
    Ok(hit(Some(p), gold))
}

/// `acc_bytes`: like [`acc_norm`] but dividing by the UTF-8 byte length of each choice.
pub fn acc_bytes<S: AsRef<str>>(
    lls: &[f64],
    choices: &[S],
    gold: &[usize],
) -> Result<f64, MetricError> {
    let p = pred_norm(lls, choices, LengthUnit::Bytes)?;
    check_gold(gold, lls.len())?;
    Ok(hit(Some(p), gold))
}

/// Multiple-choice `exact_match`: 1.0 when the gold continuation is the model's greedy continuation
/// (`is_greedy[gold]`). With several golds, 1.0 when any of them is greedy (lm-eval's multiple-target rule).
pub fn greedy_exact_match(is_greedy: &[bool], gold: &[usize]) -> Result<f64, MetricError> {
    if is_greedy.is_empty() {
        return Err(MetricError::Empty { what: "is_greedy" });
    }
    check_gold(gold, is_greedy.len())?;
    Ok(if gold.iter().any(|&g| is_greedy[g]) {
        1.0
    } else {
        0.0
    })
}

/// TruthfulQA MC1: the correct answer is always choice 0, so this is `acc(lls, &[0])`.
pub fn mc1(lls: &[f64]) -> Result<f64, MetricError> {
    acc(lls, &[0])
}

/// Softmax of `lls`, computed stably (`exp(ll − max)` normalised). Errors when every entry is −∞.
pub fn softmax(lls: &[f64]) -> Result<Vec<f64>, MetricError> {
    check_lls("lls", lls)?;
    let max = lls.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return Err(MetricError::Undefined {
            metric: "softmax",
            reason: "every log-likelihood is -inf".into(),
        });
    }
    let exps: Vec<f64> = lls.iter().map(|&l| (l - max).exp()).collect();
    let total: f64 = exps.iter().sum();
    Ok(exps.into_iter().map(|e| e / total).collect())
}

/// TruthfulQA MC2: the probability mass of the true answers after a softmax over the **raw** (not
/// length-normalised) log-likelihoods of all choices. lm-eval computes `exp(ll)/Σexp(ll)` directly, which
/// underflows to NaN for very negative log-likelihoods; this shifts by the maximum first, which gives the
/// same value whenever lm-eval's is finite. `gold` holds the indices whose label is 1 (lm-eval: all
/// indices before the first 0 label). A duplicated gold index is counted once.
pub fn mc2(lls: &[f64], gold: &[usize]) -> Result<f64, MetricError> {
    let probs = softmax(lls)?;
    check_gold(gold, lls.len())?;
    Ok(probs
        .iter()
        .enumerate()
        .filter(|(i, _)| gold.contains(i))
        .map(|(_, p)| p)
        .sum())
}

/// `acc_mutual_info`: 1.0 when `argmax(ll_cond − ll_uncond)` is a gold index, where `uncond` are the
/// log-likelihoods of the same continuations after an empty context. The difference goes through
/// [`argmax`] exactly like NumPy, so `−∞ − (−∞) = NaN` wins the argmax as it does in lm-eval.
pub fn acc_mutual_info(cond: &[f64], uncond: &[f64], gold: &[usize]) -> Result<f64, MetricError> {
    check_lls("cond", cond)?;
    check_lls("uncond", uncond)?;
    if cond.len() != uncond.len() {
        return Err(MetricError::LengthMismatch {
            left: "cond",
            left_len: cond.len(),
            right: "uncond",
            right_len: uncond.len(),
        });
    }
    check_gold(gold, cond.len())?;
    let diff: Vec<f64> = cond.iter().zip(uncond).map(|(c, u)| c - u).collect();
    Ok(hit(argmax(&diff), gold))
}

/// Per-document Brier score `Σ_i (p_i − y_i)²` with `p = softmax(lls)` and `y` the one-hot gold vector
/// (lower is better; the task score is the mean over documents). With several golds `y` is multi-hot
/// (1 at every gold index); lm-eval defines the metric for a single gold only.
pub fn brier_score(lls: &[f64], gold: &[usize]) -> Result<f64, MetricError> {
    let probs = softmax(lls)?;
    check_gold(gold, lls.len())?;
    Ok(probs
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let y = if gold.contains(&i) { 1.0 } else { 0.0 };
            (p - y) * (p - y)
        })
        .sum())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn argmax_numpy_semantics() {
        assert_eq!(argmax(&[]), None);
        assert_eq!(argmax(&[1.0, 3.0, 3.0, 2.0]), Some(1));
        assert_eq!(argmax(&[f64::NEG_INFINITY, f64::NEG_INFINITY]), Some(0));
        assert_eq!(argmax(&[1.0, f64::NAN, 5.0, f64::NAN]), Some(1));
        assert_eq!(argmax(&[1.0, f64::INFINITY, 5.0]), Some(1));
        assert_eq!(argmax(&[-0.0, 0.0]), Some(0));
    }

    #[test]
    fn acc_and_multi_gold() {
        let lls = [-3.0, -1.0, -2.0];
        assert_eq!(acc(&lls, &[1]).unwrap(), 1.0);
        assert_eq!(acc(&lls, &[0]).unwrap(), 0.0);
        assert_eq!(acc(&lls, &[0, 1]).unwrap(), 1.0);
        assert_eq!(mc1(&[-1.0, -2.0]).unwrap(), 1.0);
        assert_eq!(mc1(&[-2.0, -1.0]).unwrap(), 0.0);
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(acc(&[], &[0]), Err(MetricError::Empty { what: "lls" }));
        assert_eq!(acc(&[-1.0], &[]), Err(MetricError::Empty { what: "gold" }));
        assert_eq!(
            acc(&[-1.0, -2.0], &[2]),
            Err(MetricError::GoldOutOfRange {
                index: 2,
                choices: 2
            })
        );
        assert!(matches!(
            acc(&[-1.0, f64::NAN], &[0]),
            Err(MetricError::NonFinite { index: 1, .. })
        ));
        assert!(matches!(
            acc_norm(&[-1.0, -2.0], &["a"], &[0]),
            Err(MetricError::LengthMismatch { .. })
        ));
        assert_eq!(
            acc_norm(&[-1.0, -2.0], &["a", ""], &[0]),
            Err(MetricError::EmptyChoice { index: 1 })
        );
        assert!(matches!(
            mc2(&[f64::NEG_INFINITY, f64::NEG_INFINITY], &[0]),
            Err(MetricError::Undefined { .. })
        ));
        assert!(matches!(
            acc_mutual_info(&[-1.0], &[-1.0, -2.0], &[0]),
            Err(MetricError::LengthMismatch { .. })
        ));
        assert_eq!(
            greedy_exact_match(&[true], &[1]),
            Err(MetricError::GoldOutOfRange {
                index: 1,
                choices: 1
            })
        );
    }

    #[test]
    fn acc_norm_counts_characters_not_bytes() {
        // "éé" is 2 characters but 4 bytes; "abc" is 3 of each.
        // chars: -2/2 = -1.0 vs -2.7/3 = -0.9 → choice 1.  bytes: -2/4 = -0.5 vs -0.9 → choice 0.
        let lls = [-2.0, -2.7];
        let choices = ["éé", "abc"];
        assert_eq!(acc_norm(&lls, &choices, &[1]).unwrap(), 1.0);
        assert_eq!(acc_bytes(&lls, &choices, &[1]).unwrap(), 0.0);
        assert_eq!(acc_bytes(&lls, &choices, &[0]).unwrap(), 1.0);
        // Strings are accepted as well as &str.
        let owned: Vec<String> = choices.iter().map(|s| s.to_string()).collect();
        assert_eq!(acc_norm(&lls, &owned, &[1]).unwrap(), 1.0);
    }

    #[test]
    fn mc2_and_brier_by_hand() {
        // softmax(ln 1, ln 2, ln 1) = (0.25, 0.5, 0.25)
        let lls = [0.0, 2f64.ln(), 0.0];
        assert!((mc2(&lls, &[0, 1]).unwrap() - 0.75).abs() < 1e-15);
        assert!((mc2(&lls, &[0, 0]).unwrap() - 0.25).abs() < 1e-15);
        // brier with gold 1: 0.25² + 0.5² + 0.25² = 0.375
        assert!((brier_score(&lls, &[1]).unwrap() - 0.375).abs() < 1e-15);
        // Very negative lls do not underflow.
        let tiny = [-2000.0, -2000.0 + 3f64.ln()];
        assert!((mc2(&tiny, &[1]).unwrap() - 0.75).abs() < 1e-12);
    }

    #[test]
    fn mutual_info_and_greedy() {
        // cond - uncond = (-1, 0.5, -0.5) → choice 1
        assert_eq!(
            acc_mutual_info(&[-3.0, -2.5, -1.0], &[-2.0, -3.0, -0.5], &[1]).unwrap(),
            1.0
        );
        assert_eq!(greedy_exact_match(&[false, true], &[1]).unwrap(), 1.0);
        assert_eq!(greedy_exact_match(&[false, true], &[0]).unwrap(), 0.0);
        assert_eq!(greedy_exact_match(&[false, true], &[0, 1]).unwrap(), 1.0);
    }
}
