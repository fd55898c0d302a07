//! MT-Bench results (FastChat `fastchat/llm_judge/show_result.py`; SPEC §4).
//!
//! - [`mt_bench_single`] = `display_result_single`: ratings of `-1` are dropped; per model the mean rating of
//!   turn 1, of turn 2, and of all kept ratings together (the "MT-Bench score" is this pooled mean, not the
//!   mean of the two turn means).
//! - [`mt_bench_pairwise`] = `display_result_pairwise`: rows with an `error` in either game are dropped; a match
//!   whose first game is a tie **or whose two games disagree** (position-swap inconsistency) is a tie for
//!   both models; otherwise the agreed winner wins. `win_rate = win/(win+loss+tie)`, `loss_rate` likewise,
//!   `win_rate_adjusted = (win + ½·tie)/total`. With a baseline (`pairwise-baseline`), only matches involving
//!   it count and it is left out of the table; without one, all pairs (`pairwise-all`).

use std::collections::BTreeMap;

use crate::formats::{MtBenchPair, MtBenchSingle, PairWinner};

/// One model's single-grade results.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SingleRow {
    /// Model.
    pub model: String,
    /// Mean turn-1 rating (`None` without kept turn-1 ratings).
    pub turn1: Option<f64>,
    /// Mean turn-2 rating.
    pub turn2: Option<f64>,
    /// Mean of all kept ratings (the MT-Bench score).
    pub score: f64,
    /// Kept ratings per turn `[turn 1, turn 2]`.
    pub n: [usize; 2],
    /// Dropped judgments (rating `-1`).
    pub n_missing: usize,
}

/// `display_result_single`, rows sorted by score (descending). Models whose every rating is missing are
/// listed with a NaN score.
pub fn mt_bench_single(records: &[MtBenchSingle]) -> Vec<SingleRow> {
    #[derive(Default)]
    struct Acc {
        sum: [f64; 2],
        n: [usize; 2],
        all: (f64, usize),
        missing: usize,
    }
    let mut acc: BTreeMap<&str, Acc> = BTreeMap::new();
    for r in records {
        let a = acc.entry(&r.model).or_default();
        if r.score == -1.0 || r.score.is_nan() {
            a.missing += 1;
            continue;
        }
        if let Some(t) = (r.turn as usize).checked_sub(1).filter(|t| *t < 2) {
            a.sum[t] += r.score;
            a.n[t] += 1;
        }
        a.all.0 += r.score;
        a.all.1 += 1;
    }
    let mut rows: Vec<SingleRow> = acc
        .into_iter()
        .map(|(m, a)| {
            let mean = |s: f64, n: usize| (n > 0).then(|| s / n as f64);
            SingleRow {
                model: m.to_string(),
                turn1: mean(a.sum[0], a.n[0]),
                turn2: mean(a.sum[1], a.n[1]),
                score: mean(a.all.0, a.all.1).unwrap_or(f64::NAN),
                n: a.n,
                n_missing: a.missing,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.model.cmp(&b.model))
    });
    rows
}

/// One model's pairwise results.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PairRow {
    /// Model.
    pub model: String,
    /// Wins.
    pub win: usize,
    /// Losses.
    pub loss: usize,
    /// Ties (including swap-inconsistent matches).
    pub tie: usize,
    /// `win / total`.
    pub win_rate: f64,
    /// `loss / total`.
    pub loss_rate: f64,
    /// `(win + tie/2) / total`.
    pub win_rate_adjusted: f64,
}

/// `display_result_pairwise` (`pairwise-baseline` when `baseline` is given, else `pairwise-all`);
/// `model_list`, when given, keeps only rows whose `model_1` is listed (the reference filters on `model_1`
/// only). Rows sorted by `win_rate_adjusted`, descending.
pub fn mt_bench_pairwise(
    records: &[MtBenchPair],
    baseline: Option<&str>,
    model_list: Option<&[String]>,
) -> Vec<PairRow> {
    let mut acc: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    for r in records {
        if r.g1_winner == PairWinner::Error || r.g2_winner == PairWinner::Error {
            continue;
        }
        if let Some(list) = model_list {
            if !list.iter().any(|m| m == &r.model_1) {
                continue;
            }
        }
        if let Some(b) = baseline {
            if r.model_1 != b && r.model_2 != b {
                continue;
            }
        }
        if r.g1_winner == PairWinner::Tie || r.g1_winner != r.g2_winner {
            acc.entry(&r.model_1).or_default()[2] += 1;
            acc.entry(&r.model_2).or_default()[2] += 1;
        } else {
            let (w, l) = if r.g1_winner == PairWinner::Model1 {
                (&r.model_1, &r.model_2)
            } else {
                (&r.model_2, &r.model_1)
            };
            acc.entry(w).or_default()[0] += 1;
            acc.entry(l).or_default()[1] += 1;
        }
    }
    let mut rows: Vec<PairRow> = acc
        .into_iter()
        .filter(|(m, _)| Some(*m) != baseline)
        .map(|(m, [win, loss, tie])| {
            let total = (win + loss + tie) as f64;
            PairRow {
                model: m.to_string(),
                win,
                loss,
                tie,
                win_rate: win as f64 / total,
                loss_rate: loss as f64 / total,
                win_rate_adjusted: (win as f64 + 0.5 * tie as f64) / total,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.win_rate_adjusted
            .total_cmp(&a.win_rate_adjusted)
            .then_with(|| a.model.cmp(&b.model))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(model: &str, turn: u32, score: f64) -> MtBenchSingle {
        MtBenchSingle {
            question_id: "1".into(),
            model: model.into(),
            turn,
            score,
        }
    }

    #[test]
    fn single_means() {
        let rows = mt_bench_single(&[
            s("a", 1, 8.0),
            s("a", 1, 6.0),
            s("a", 2, 4.0),
            s("a", 2, -1.0),
            s("b", 1, 9.0),
        ]);
        assert_eq!(rows[0].model, "b");
        let a = &rows[1];
        assert_eq!(a.turn1, Some(7.0));
        assert_eq!(a.turn2, Some(4.0));
        assert_eq!(a.score, 6.0);
        assert_eq!(a.n_missing, 1);
    }

    fn p(m1: &str, m2: &str, g1: PairWinner, g2: PairWinner) -> MtBenchPair {
        MtBenchPair {
            question_id: "1".into(),
            model_1: m1.into(),
            model_2: m2.into(),
            g1_winner: g1,
            g2_winner: g2,
            turn: Some(1),
        }
    }

    #[test]
    fn pairwise_swap_inconsistent_is_a_tie() {
        use PairWinner::*;
        let recs = [
            p("a", "base", Model1, Model1),
            p("a", "base", Model1, Model2),
            p("a", "base", Tie, Tie),
            p("a", "base", Model2, Model2),
            p("a", "base", Error, Model1),
            p("a", "c", Model1, Model1),
        ];
        let rows = mt_bench_pairwise(&recs, Some("base"), None);
        assert_eq!(rows.len(), 1);
        let a = &rows[0];
        assert_eq!((a.win, a.loss, a.tie), (1, 1, 2));
        assert_eq!(a.win_rate_adjusted, 0.5);
        let all = mt_bench_pairwise(&recs, None, None);
        assert_eq!(all.len(), 3);
    }
}
