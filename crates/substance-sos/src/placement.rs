//! Where one model lands among the others of a factor table (`substance sos --receipts`: a new model
//! run with a bundle, placed among the paper's models): per factor its score, its rank (1 = best, ties
//! share the better rank) and how many models have that factor.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::SosError;
use crate::config::{Factor, Mapping};
use crate::factors::FactorTable;
use crate::table::{JudgeScores, Table};

/// A new model joined to the tables: the results table with its row, the judge scores with its score.
#[derive(Debug, Clone)]
pub struct Joined {
    /// The results table (the given one, or one of the mapping's columns) with the new row.
    pub results: Table,
    /// The judge scores, with the new model's when it was given.
    pub judge: Option<JudgeScores>,
    /// The row's columns the mapping does not read (left out, named so nothing goes unsaid).
    pub unused: Vec<String>,
}

/// Join a new model (a bundle run's row, `<task>/<metric>` → value) to `results` (or, without it, to a
/// table of the mapping's columns), and its own judge score to `judge`. Columns the mapping does not
/// read are left out and listed; a row that feeds no mapped column, a name already in the tables, and a
/// judge score that is not finite are errors.
pub fn join_new_model(
    results: Option<Table>,
    label: &str,
    mapping: &Mapping,
    model: &str,
    row: BTreeMap<String, f64>,
    judge: Option<JudgeScores>,
    judge_score: Option<f64>,
) -> Result<Joined, SosError> {
    let err = |message: String| SosError::NewModel {
        model: model.to_owned(),
        message,
    };
    let used: std::collections::BTreeSet<String> = mapping.results_columns().into_iter().collect();
    let (values, unused): (BTreeMap<String, f64>, BTreeMap<String, f64>) =
        row.into_iter().partition(|(c, _)| used.contains(c));
    if values.is_empty() {
        return Err(err(
            "no metric of the bundle run feeds a benchmark of the mapping".to_owned(),
        ));
    }
    let mut results =
        results.unwrap_or_else(|| Table::with_columns(label, &mapping.results_columns()));
    results.add_row(model, &values)?;
    let mut judge = judge;
    if let Some(score) = judge_score {
        if !score.is_finite() {
            return Err(err(format!(
                "the judge score {score} is not a finite number"
            )));
        }
        let j = judge.get_or_insert_with(|| JudgeScores {
            file: "the new model's judge score".to_owned(),
            scores: Vec::new(),
            missing: Vec::new(),
        });
        if j.scores.iter().any(|(m, _)| m == model) {
            return Err(err(format!("already has a judge score in {}", j.file)));
        }
        j.scores.push((model.to_owned(), score));
    }
    Ok(Joined {
        results,
        judge,
        unused: unused.into_keys().collect(),
    })
}

/// One factor of a placement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactorPlace {
    /// The factor.
    pub factor: Factor,
    /// The model's score; `None` when its bundle fed no benchmark of the factor.
    pub score: Option<f64>,
    /// 1 + the number of models with a higher score (`None` without a score).
    pub rank: Option<usize>,
    /// Models that have a score for this factor.
    pub of: usize,
    /// Benchmarks of the factor the model's score stands on, and how many the factor has: a bundle
    /// that covers part of a factor is placed on that part only (the paper's models on all of it).
    pub benchmarks_used: usize,
    /// Benchmarks the mapping assigns to the factor.
    pub benchmarks_total: usize,
}

/// The placement of one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Placement {
    /// The model.
    pub model: String,
    /// WK, IF, Safety.
    pub factors: Vec<FactorPlace>,
}

/// The placement of `model` in `table`, or `None` when the table does not have it.
pub fn placement(table: &FactorTable, model: &str) -> Option<Placement> {
    let me = table.model(model)?;
    let factors = [
        Factor::WorldKnowledge,
        Factor::InstructionFollowing,
        Factor::Safety,
    ]
    .into_iter()
    .map(|f| {
        let scores: Vec<f64> = table.models.iter().filter_map(|m| m.get(f)).collect();
        let score = me.get(f);
        let coverage = me.factors.iter().find(|x| x.factor == f);
        FactorPlace {
            factor: f,
            score,
            rank: score.map(|s| 1 + scores.iter().filter(|&&x| x > s).count()),
            of: scores.len(),
            benchmarks_used: coverage.map_or(0, |c| c.benchmarks_used),
            benchmarks_total: coverage.map_or(0, |c| c.benchmarks_total),
        }
    })
    .collect();
    Some(Placement {
        model: model.to_owned(),
        factors,
    })
}

impl std::fmt::Display for Placement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "placement of {}:", self.model)?;
        for p in &self.factors {
            let name = match p.factor {
                Factor::WorldKnowledge => "world knowledge",
                Factor::InstructionFollowing => "instruction following",
                Factor::Safety => "safety",
            };
            match (p.score, p.rank) {
                (Some(s), Some(r)) => {
                    let partial = if p.benchmarks_used < p.benchmarks_total {
                        " — partial: the other models' scores cover every benchmark"
                    } else {
                        ""
                    };
                    writeln!(
                        f,
                        "  {name:<22} {s:.4}  rank {r} of {}  (from {} of {} benchmarks{partial})",
                        p.of, p.benchmarks_used, p.benchmarks_total
                    )?;
                }
                _ => writeln!(
                    f,
                    "  {name:<22} —       (no benchmark of this factor in the bundle)"
                )?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{AliasTable, Mapping, NormMode, Table, factor_scores};

    #[test]
    fn ranks_count_the_better_models_and_ties_share() {
        let mapping = Mapping::sos_default().unwrap();
        let col = "leaderboard_mmlu_pro/acc".to_owned();
        let mut t = Table::with_columns("t", &mapping.results_columns());
        for (m, v) in [("a", 0.5), ("b", 0.3), ("c", 0.5), ("new", 0.4)] {
            t.add_row(m, &std::collections::BTreeMap::from([(col.clone(), v)]))
                .unwrap();
        }
        let ft = factor_scores(
            &t,
            None,
            &mapping,
            &AliasTable::sos_default().unwrap(),
            NormMode::Raw,
        )
        .unwrap();
        let p = placement(&ft, "new").unwrap();
        assert_eq!(p.factors[0].rank, Some(3));
        assert_eq!(p.factors[0].of, 4);
        assert_eq!(p.factors[1].score, None);
        assert_eq!(placement(&ft, "a").unwrap().factors[0].rank, Some(1));
        assert_eq!(placement(&ft, "c").unwrap().factors[0].rank, Some(1));
        assert!(placement(&ft, "nobody").is_none());
        assert!(p.to_string().contains("rank 3 of 4"), "{p}");
    }
}
