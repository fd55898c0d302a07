//! Where one model lands among the others of a factor table (`substance sos --receipts`: a new model
//! run with a bundle, placed among the paper's models): per factor its score, its rank (1 = best, ties
//! share the better rank) and how many models have that factor.

use serde::Serialize;

use crate::config::Factor;
use crate::factors::FactorTable;

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
        FactorPlace {
            factor: f,
            score,
            rank: score.map(|s| 1 + scores.iter().filter(|&&x| x > s).count()),
            of: scores.len(),
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
                    writeln!(f, "  {name:<22} {s:.4}  rank {r} of {}", p.of)?;
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
