//! Joining judge scores to results models and correlating across models.
//!
//! Pairs: judge vs each factor (over the models that have both a judge score and that factor), and each
//! pair of factors (over **all** results models that have both factors, judged or not). Each pair gets
//! Pearson, Spearman and Kendall τ-b (SciPy conventions, [`substance_metrics::correlation`]) and a
//! percentile bootstrap CI over models (pairs resampled with the seeded, platform-independent procedure of
//! [`substance_metrics::bootstrap`]; every pair and method uses the same seed).

use crate::config::{AliasTable, Factor, Resolution};
use crate::factors::FactorTable;
use crate::table::JudgeScores;
use serde::{Serialize, Serializer};
use substance_metrics::correlation::{CorrMethod, bootstrap_correlation_ci, correlation};

/// One judge row matched to a results model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JudgeMatch {
    /// Name in the judge CSV.
    pub judge_name: String,
    /// Name in the results CSV.
    pub model: String,
    /// The judge score.
    pub score: f64,
}

/// A judge row that could not be matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unmatched {
    /// Name in the judge CSV.
    pub name: String,
    /// Why it is not matched.
    pub reason: String,
}

/// The judge ↔ results join.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JudgeJoin {
    /// Label of the judge input.
    pub file: String,
    /// Matched rows, in judge file order.
    pub matched: Vec<JudgeMatch>,
    /// Judge rows with no results model.
    pub unmatched: Vec<Unmatched>,
    /// Results models with no judge score.
    pub models_without_judge: Vec<String>,
}

/// Match judge rows to the models of `factors` through `aliases` (alias table, then declared-unmatched
/// list, then identical spelling). A second judge row resolving to an already matched model is reported
/// as unmatched; judge rows with a missing score are reported as unmatched too.
pub fn join_judge(factors: &FactorTable, judge: &JudgeScores, aliases: &AliasTable) -> JudgeJoin {
    let has = |n: &str| factors.model(n).is_some();
    let mut matched: Vec<JudgeMatch> = Vec::new();
    let mut unmatched = Vec::new();
    for (name, score) in &judge.scores {
        match aliases.resolve_judge(name, &has) {
            Resolution::Matched(model) => {
                if let Some(prev) = matched.iter().find(|m| m.model == model) {
                    unmatched.push(Unmatched {
                        name: name.clone(),
                        reason: format!(
                            "`{model}` is already matched by judge row `{}`",
                            prev.judge_name
                        ),
                    });
                } else {
                    matched.push(JudgeMatch {
                        judge_name: name.clone(),
                        model,
                        score: *score,
                    });
                }
            }
            Resolution::Unmatched(reason) => unmatched.push(Unmatched {
                name: name.clone(),
                reason,
            }),
        }
    }
    for name in &judge.missing {
        unmatched.push(Unmatched {
            name: name.clone(),
            reason: "judge score is N/A".into(),
        });
    }
    let models_without_judge = factors
        .models
        .iter()
        .filter(|m| !matched.iter().any(|j| j.model == m.model))
        .map(|m| m.model.clone())
        .collect();
    JudgeJoin {
        file: judge.file.clone(),
        matched,
        unmatched,
        models_without_judge,
    }
}

fn ser_methods<S: Serializer>(methods: &[CorrMethod], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(methods.iter().map(|m| m.as_str()))
}

/// Which coefficients to compute and how to bootstrap them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorrelationOptions {
    /// Coefficients, in output order.
    #[serde(serialize_with = "ser_methods")]
    pub methods: Vec<CorrMethod>,
    /// Bootstrap resamples (0 disables the intervals).
    pub resamples: usize,
    /// Bootstrap seed.
    pub seed: u64,
    /// Confidence level of the percentile interval.
    pub level: f64,
}

impl Default for CorrelationOptions {
    /// Pearson, Spearman and Kendall τ-b; 2000 resamples; seed 2409 (the paper's arXiv month); 95 %.
    fn default() -> Self {
        CorrelationOptions {
            methods: CorrMethod::ALL.to_vec(),
            resamples: 2000,
            seed: 2409,
            level: 0.95,
        }
    }
}

/// One coefficient between two per-model variables.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Correlation {
    /// First variable: `judge`, `wk`, `if` or `safety`.
    pub x: String,
    /// Second variable.
    pub y: String,
    /// `pearson`, `spearman` or `kendall_tau_b`.
    pub method: String,
    /// Number of models with both values.
    pub n: usize,
    /// The coefficient (`None` when undefined, e.g. fewer than two models or no variation).
    pub estimate: Option<f64>,
    /// Percentile bootstrap interval (`None` when disabled or undefined).
    pub ci: Option<[f64; 2]>,
    /// The models used, in results order.
    pub models: Vec<String>,
}

fn corr_rows(
    x: &str,
    y: &str,
    models: Vec<String>,
    xs: &[f64],
    ys: &[f64],
    opts: &CorrelationOptions,
) -> Vec<Correlation> {
    opts.methods
        .iter()
        .map(|&m| Correlation {
            x: x.to_string(),
            y: y.to_string(),
            method: m.as_str().to_string(),
            n: xs.len(),
            estimate: correlation(m, xs, ys),
            ci: if opts.resamples > 0 {
                bootstrap_correlation_ci(xs, ys, m, opts.resamples, opts.seed, opts.level)
            } else {
                None
            },
            models: models.clone(),
        })
        .collect()
}

/// Correlations across models: judge vs WK/IF/Safety (when `judge` is given), then WK–IF, WK–Safety,
/// IF–Safety.
pub fn correlate(
    factors: &FactorTable,
    judge: Option<&JudgeJoin>,
    opts: &CorrelationOptions,
) -> Vec<Correlation> {
    let mut out = Vec::new();
    if let Some(j) = judge {
        for f in Factor::ALL {
            let (mut names, mut xs, mut ys) = (Vec::new(), Vec::new(), Vec::new());
            for m in &factors.models {
                let Some(jm) = j.matched.iter().find(|jm| jm.model == m.model) else {
                    continue;
                };
                let Some(v) = m.get(f) else { continue };
                names.push(m.model.clone());
                xs.push(jm.score);
                ys.push(v);
            }
            out.extend(corr_rows("judge", f.key(), names, &xs, &ys, opts));
        }
    }
    for (i, fa) in Factor::ALL.iter().enumerate() {
        for fb in &Factor::ALL[i + 1..] {
            let (mut names, mut xs, mut ys) = (Vec::new(), Vec::new(), Vec::new());
            for m in &factors.models {
                if let (Some(a), Some(b)) = (m.get(*fa), m.get(*fb)) {
                    names.push(m.model.clone());
                    xs.push(a);
                    ys.push(b);
                }
            }
            out.extend(corr_rows(fa.key(), fb.key(), names, &xs, &ys, opts));
        }
    }
    out
}
