//! Open LLM Leaderboard v2: the six scores and the average the leaderboard shows, computed from an
//! lm-eval results file of the `leaderboard` tasks (`open-llm-leaderboard/<org>__<model>-details`).
//!
//! Rules (the leaderboard's normalisation page and the official Colab it links; lm-eval
//! `tasks/leaderboard/*` for the choice counts): `normalize(v, lb) = max(v − lb, 0) / (1 − lb) · 100`
//! with `lb = 1 / choices` (0 for generated answers);
//! - **IFEval**: the mean of `prompt_level_strict_acc` and `inst_level_strict_acc` of
//!   `leaderboard_ifeval`, × 100;
//! - **BBH**: each of the 24 `leaderboard_bbh_*` subtasks' `acc_norm` normalised with its own number of
//!   choices, then the unweighted mean (subtasks absent from the file are left out of the mean, as the
//!   Colab does, and named in the detail);
//! - **MATH Lvl 5**: `exact_match` of the group `leaderboard_math_hard`, × 100;
//! - **GPQA**: `acc_norm` of the group `leaderboard_gpqa`, normalised with 0.25;
//! - **MuSR**: the three subtasks' `acc_norm` normalised with 1/2, 1/5 and 1/3, unweighted mean;
//! - **MMLU-PRO**: `acc` of `leaderboard_mmlu_pro`, normalised with 0.1;
//! - **Average**: the mean of the six, unrounded (the leaderboard prints two decimals).
//!
//! A group entry that is missing or empty (lm-eval wrote empty group entries between mid 2024 and April
//! 2025) is rebuilt as the size-weighted mean of its subtasks (`n-samples`), and the detail says so.
//! Scores are in points (0–100), like the leaderboard's; they are compared with `--claims` (task
//! `open_llm_leaderboard`, metrics `ifeval`, `bbh`, `math_lvl5`, `gpqa`, `musr`, `mmlu_pro`, `average`).

use crate::ClaimBook;
use crate::lm_eval::Results;
use crate::report::{Check, Recomputed};

/// BBH subtasks (`leaderboard_bbh_` + name) and their number of choices.
pub const BBH: [(&str, u32); 24] = [
    ("boolean_expressions", 2),
    ("causal_judgement", 2),
    ("date_understanding", 6),
    ("disambiguation_qa", 3),
    ("formal_fallacies", 2),
    ("geometric_shapes", 11),
    ("hyperbaton", 2),
    ("logical_deduction_five_objects", 5),
    ("logical_deduction_seven_objects", 7),
    ("logical_deduction_three_objects", 3),
    ("movie_recommendation", 6),
    ("navigate", 2),
    ("object_counting", 19),
    ("penguins_in_a_table", 5),
    ("reasoning_about_colored_objects", 18),
    ("ruin_names", 6),
    ("salient_translation_error_detection", 6),
    ("snarks", 2),
    ("sports_understanding", 2),
    ("temporal_sequences", 4),
    ("tracking_shuffled_objects_five_objects", 5),
    ("tracking_shuffled_objects_seven_objects", 7),
    ("tracking_shuffled_objects_three_objects", 3),
    ("web_of_lies", 2),
];

/// MuSR subtasks (`leaderboard_musr_` + name) and their number of choices.
pub const MUSR: [(&str, u32); 3] = [
    ("murder_mysteries", 2),
    ("object_placements", 5),
    ("team_allocation", 3),
];

/// The scope of the checks.
pub const SCOPE: &str = "open_llm_leaderboard";

/// `normalize_within_range(value, lower_bound, 1)`: 0 below the random baseline, else the share of the
/// way from it to 1, in points.
pub fn normalize(value: f64, lower_bound: f64) -> f64 {
    (value - lower_bound).max(0.0) / (1.0 - lower_bound) * 100.0
}

fn raw(results: &Results, task: &str, key: &str) -> Option<f64> {
    results.results.get(task)?.get(key)?.as_f64()
}

/// A group's value, or (missing or empty) the size-weighted mean of its subtasks: (value, how).
fn group_value(results: &Results, group: &str, key: &str) -> Option<(f64, String)> {
    if let Some(v) = raw(results, group, key) {
        return Some((v, format!("{group} {key} = {v:.6}")));
    }
    let prefix = format!("{group}_");
    let (mut num, mut den) = (0.0, 0usize);
    for (task, n) in &results.n_samples {
        if task.starts_with(&prefix) {
            if let Some(v) = raw(results, task, key) {
                num += v * *n as f64;
                den += n;
            }
        }
    }
    (den > 0).then(|| {
        let v = num / den as f64;
        (
            v,
            format!(
                "{group} has no {key}: rebuilt as the size-weighted mean of its subtasks = {v:.6}"
            ),
        )
    })
}

/// Where the task values come from: an lm-eval results file, or a bundle run's receipts.
pub trait TaskValues {
    /// `metric` (`acc_norm`, …) of `task`.
    fn value(&self, task: &str, metric: &str) -> Option<f64>;
    /// `metric` of a group (its own entry, else its subtasks' size-weighted mean), with how.
    fn group(&self, group: &str, metric: &str) -> Option<(f64, String)>;
}

impl TaskValues for Results {
    fn value(&self, task: &str, metric: &str) -> Option<f64> {
        raw(self, task, &format!("{metric},none"))
    }
    fn group(&self, group: &str, metric: &str) -> Option<(f64, String)> {
        group_value(self, group, &format!("{metric},none"))
    }
}

/// Task values of a bundle run: `<task>/<metric>` → (value, items behind it).
#[derive(Debug, Clone, Default)]
pub struct BundleValues(pub std::collections::BTreeMap<String, (f64, usize)>);

impl TaskValues for BundleValues {
    fn value(&self, task: &str, metric: &str) -> Option<f64> {
        self.0.get(&format!("{task}/{metric}")).map(|(v, _)| *v)
    }
    fn group(&self, group: &str, metric: &str) -> Option<(f64, String)> {
        if let Some(v) = self.value(group, metric) {
            return Some((v, format!("{group} {metric} = {v:.6}")));
        }
        let prefix = format!("{group}_");
        let suffix = format!("/{metric}");
        let parts: Vec<(&str, f64, usize)> = self
            .0
            .iter()
            .filter_map(|(k, (v, n))| {
                let task = k.strip_suffix(&suffix)?;
                task.starts_with(&prefix).then_some((task, *v, *n))
            })
            .collect();
        let den: usize = parts.iter().map(|p| p.2).sum();
        (den > 0).then(|| {
            let v = parts.iter().map(|p| p.1 * p.2 as f64).sum::<f64>() / den as f64;
            let names: Vec<&str> = parts.iter().map(|p| p.0).collect();
            (
                v,
                format!(
                    "{group} {metric}: size-weighted mean of {} = {v:.6}",
                    names.join(", ")
                ),
            )
        })
    }
}

/// One of the leaderboard's scores, in points.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Score {
    /// `ifeval`, `bbh`, `math_lvl5`, `gpqa`, `musr`, `mmlu_pro` or `average`.
    pub metric: &'static str,
    /// The score (0–100).
    pub value: f64,
    /// How it was computed, and what was absent.
    pub detail: String,
}

/// The six scores the values allow (a task with no value is left out) and, when all six are there,
/// the average.
pub fn scores(values: &dyn TaskValues) -> Vec<Score> {
    let mut out = Vec::new();
    let mut push = |metric: &'static str, value: Option<(f64, String)>| {
        if let Some((value, detail)) = value {
            out.push(Score {
                metric,
                value,
                detail,
            });
        }
    };
    let ifeval = match (
        values.value("leaderboard_ifeval", "prompt_level_strict_acc"),
        values.value("leaderboard_ifeval", "inst_level_strict_acc"),
    ) {
        (Some(p), Some(i)) => Some((
            (p * 100.0 + i * 100.0) / 2.0,
            format!("mean of prompt-level strict {p:.6} and instruction-level strict {i:.6}"),
        )),
        _ => None,
    };
    push("ifeval", ifeval);
    let subtasks = |family: &str, list: &[(&str, u32)]| -> Option<(f64, String)> {
        let mut scores = Vec::new();
        let mut missing = Vec::new();
        for (name, k) in list {
            match values.value(&format!("leaderboard_{family}_{name}"), "acc_norm") {
                Some(v) => scores.push(normalize(v, 1.0 / f64::from(*k))),
                None => missing.push(*name),
            }
        }
        if scores.is_empty() {
            return None;
        }
        let mean = scores.iter().sum::<f64>() / scores.len() as f64;
        let mut d = format!(
            "unweighted mean of {} normalised subtask acc_norm (lower bound 1/choices)",
            scores.len()
        );
        if !missing.is_empty() {
            d.push_str(&format!("; absent: {}", missing.join(", ")));
        }
        Some((mean, d))
    };
    push("bbh", subtasks("bbh", &BBH));
    push(
        "math_lvl5",
        values
            .group("leaderboard_math_hard", "exact_match")
            .map(|(v, d)| (normalize(v, 0.0), d)),
    );
    push(
        "gpqa",
        values
            .group("leaderboard_gpqa", "acc_norm")
            .map(|(v, d)| (normalize(v, 0.25), format!("{d}, normalised with 0.25"))),
    );
    push("musr", subtasks("musr", &MUSR));
    push(
        "mmlu_pro",
        values.value("leaderboard_mmlu_pro", "acc").map(|v| {
            (
                normalize(v, 0.1),
                format!("acc {v:.6}, normalised with 0.1"),
            )
        }),
    );
    if out.len() == 6 {
        let avg = out.iter().map(|s| s.value).sum::<f64>() / 6.0;
        out.push(Score {
            metric: "average",
            value: avg,
            detail: "mean of the six normalised scores".to_owned(),
        });
    }
    out
}

/// Whether a results file holds any Open LLM Leaderboard task.
pub fn applies(results: &Results) -> bool {
    results
        .results
        .keys()
        .any(|t| t.starts_with("leaderboard_"))
}

/// The leaderboard's scores from the results file, as checks against `--claims`.
pub fn checks(results: &Results, claims: &mut ClaimBook) -> Vec<Check> {
    let model = results.model.as_deref();
    scores(results)
        .into_iter()
        .map(|s| {
            let mut c = Check::against_points(
                SCOPE.to_owned(),
                s.metric,
                0,
                Recomputed::Value { value: s.value },
                model,
                claims,
                0.0,
                if s.metric == "average" {
                    "give the average the leaderboard shows with --claims (task open_llm_leaderboard)"
                } else {
                    "give the score the leaderboard shows with --claims (task open_llm_leaderboard)"
                },
            );
            c.detail = Some(s.detail);
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_examples() {
        // the leaderboard's normalisation page: GPQA 0.6 → 46.67; MuSR (0.7, 0.4, 0.6) → 35.00
        assert!((normalize(0.6, 0.25) - 46.666_666_666_666_664).abs() < 1e-9);
        let musr = (normalize(0.7, 0.5) + normalize(0.4, 0.2) + normalize(0.6, 1.0 / 3.0)) / 3.0;
        assert!((musr - 35.0).abs() < 1e-9, "{musr}");
        assert_eq!(normalize(0.45, 0.5), 0.0, "below the random baseline");
        assert_eq!(BBH.len(), 24);
    }

    #[test]
    fn a_bundle_run_gives_the_scores_it_has() {
        let v = BundleValues(
            [
                ("leaderboard_musr_murder_mysteries/acc_norm", (0.7, 5)),
                ("leaderboard_musr_object_placements/acc_norm", (0.4, 20)),
                ("leaderboard_musr_team_allocation/acc_norm", (0.6, 5)),
                ("leaderboard_gpqa_main/acc_norm", (0.5, 10)),
                ("leaderboard_gpqa_diamond/acc_norm", (0.2, 30)),
                ("xstest/acc", (0.9, 450)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        );
        let s = scores(&v);
        let musr = s.iter().find(|s| s.metric == "musr").unwrap();
        assert!((musr.value - 35.0).abs() < 1e-9, "{musr:?}");
        // GPQA from its subsets, size-weighted: (0.5·10 + 0.2·30) / 40 = 0.275 → normalised 3.33
        let gpqa = s.iter().find(|s| s.metric == "gpqa").unwrap();
        assert!(
            (gpqa.value - normalize(0.275, 0.25)).abs() < 1e-9,
            "{gpqa:?}"
        );
        assert_eq!(s.len(), 2, "no average without all six: {s:?}");
    }
}
