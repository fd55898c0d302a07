//! Judge metrics: agreement with a gold/human label, the 3-class confusion matrix with macro
//! precision/recall/F1, Cohen's κ, JudgeLM's swap consistency and position-preference rates, and
//! MT-Bench's agreement with humans with and without ties.
//!
//! Definitions (each reproduces a named reference):
//! - **Accuracy / macro P, R, F1** — scikit-learn `accuracy_score`, `precision_score(average='macro')`,
//!   … as JudgeLM's `calculate_metrics` calls them: per-class precision `TP/(TP+FP)`, recall
//!   `TP/(TP+FN)`, `F1 = 2PR/(P+R)`, each `0` when its denominator is `0` (sklearn's `zero_division`
//!   default, which warns), macro = unweighted mean over the classes — [`Labels::Present`] (sklearn: the
//!   classes that occur in gold or prediction) or [`Labels::All`] (PandaLM's `compute_metrics.py`: always
//!   A, B, tie).
//! - **Cohen's κ** — sklearn `cohen_kappa_score` (unweighted): `1 − Σ w∘C / Σ w∘E` with `E` the outer
//!   product of the marginals over `n`, `w = 1 − I`; `None` where sklearn returns NaN (`Σ w∘E = 0`).
//! - **Swap consistency** — JudgeLM `eval_model_judgement.calculate_metrics`: flip the first pass
//!   (A ↔ B), compare with the reversed pass; `consistency = same/N`; with codes A = +1, B = −1, tie = 0,
//!   `prefer_first` counts `flipped − reversed < 0` (JudgeLM's `perfer_before`) and `prefer_second` counts
//!   `> 0`; `delta_bias = |first − second|/N`, `total_bias = (first + second)/N`.
//! - **Agreement with humans** — FastChat `compute_agreement.py`: every (judge vote, human vote) pair of
//!   the same match counts once; "without ties" drops pairs where either vote is a tie. Human–human: all
//!   pairs of human votes on the same match.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::JudgeError;
use crate::label::Preference;
use crate::pair::JudgedPair;

/// What to do with a prediction that is missing (no verdict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// Leave the item out.
    Drop,
    /// Count it as a tie (JudgeLM's `[-1, -1]` sentinel, PandaLM's `garbage`).
    AsTie,
}

/// Which classes a macro average runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Labels {
    /// Classes present in gold or prediction (scikit-learn's default).
    Present,
    /// Always A, B and tie (PandaLM).
    All,
}

/// A 3×3 confusion matrix, `counts[gold][pred]` in the order A, B, tie.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    /// `counts[gold.index()][pred.index()]`.
    pub counts: [[usize; 3]; 3],
}

/// Precision, recall and F1 (of one class, or macro-averaged).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prf {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

impl Confusion {
    /// Count `(gold, prediction)` pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (Preference, Preference)>) -> Self {
        let mut c = Confusion::default();
        for (g, p) in pairs {
            c.counts[g.index()][p.index()] += 1;
        }
        c
    }

    /// Number of items.
    pub fn total(&self) -> usize {
        self.counts.iter().flatten().sum()
    }

    /// Items on the diagonal.
    pub fn correct(&self) -> usize {
        (0..3).map(|i| self.counts[i][i]).sum()
    }

    /// Accuracy (`None` for an empty matrix).
    pub fn accuracy(&self) -> Option<f64> {
        let n = self.total();
        (n > 0).then(|| ratio(self.correct(), n))
    }

    /// Precision, recall and F1 of one class (0 where undefined, as sklearn's `zero_division` default).
    pub fn class_prf(&self, class: Preference) -> Prf {
        let k = class.index();
        let tp = self.counts[k][k];
        let pred: usize = (0..3).map(|g| self.counts[g][k]).sum();
        let gold: usize = self.counts[k].iter().sum();
        let precision = ratio(tp, pred);
        let recall = ratio(tp, gold);
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        Prf {
            precision,
            recall,
            f1,
        }
    }

    /// Whether a class occurs in gold or prediction.
    pub fn present(&self, class: Preference) -> bool {
        let k = class.index();
        (0..3).any(|i| self.counts[k][i] > 0 || self.counts[i][k] > 0)
    }

    /// Macro-averaged precision, recall and F1 (`None` when no class is selected).
    pub fn macro_prf(&self, labels: Labels) -> Option<Prf> {
        let classes: Vec<Preference> = Preference::ALL
            .into_iter()
            .filter(|c| labels == Labels::All || self.present(*c))
            .collect();
        if classes.is_empty() {
            return None;
        }
        let n = classes.len() as f64;
        let per: Vec<Prf> = classes.iter().map(|c| self.class_prf(*c)).collect();
        Some(Prf {
            precision: per.iter().map(|p| p.precision).sum::<f64>() / n,
            recall: per.iter().map(|p| p.recall).sum::<f64>() / n,
            f1: per.iter().map(|p| p.f1).sum::<f64>() / n,
        })
    }

    /// Cohen's κ between gold and prediction.
    pub fn kappa(&self) -> Option<f64> {
        let labels: Vec<usize> = (0..3)
            .filter(|&k| (0..3).any(|i| self.counts[k][i] > 0 || self.counts[i][k] > 0))
            .collect();
        let m: Vec<Vec<f64>> = labels
            .iter()
            .map(|&g| labels.iter().map(|&p| self.counts[g][p] as f64).collect())
            .collect();
        kappa_from_matrix(&m)
    }
}

/// sklearn's `cohen_kappa_score` on a confusion matrix (rows: rater 1, columns: rater 2).
fn kappa_from_matrix(c: &[Vec<f64>]) -> Option<f64> {
    let k = c.len();
    if k == 0 {
        return None;
    }
    let sum0: Vec<f64> = (0..k).map(|j| c.iter().map(|r| r[j]).sum()).collect();
    let sum1: Vec<f64> = c.iter().map(|r| r.iter().sum()).collect();
    let n: f64 = sum0.iter().sum();
    let mut num = 0.0;
    let mut den = 0.0;
    for i in 0..k {
        for j in 0..k {
            if i != j {
                num += c[i][j];
                den += sum0[i] * sum1[j] / n;
            }
        }
    }
    let v = 1.0 - num / den;
    v.is_finite().then_some(v)
}

/// Cohen's κ between two raters' labels of any type (sklearn `cohen_kappa_score`, unweighted). `None`
/// for empty or unequal-length input, or where sklearn returns NaN.
pub fn cohen_kappa<T: Ord + Clone>(a: &[T], b: &[T]) -> Option<f64> {
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    let mut labels: Vec<T> = a.iter().chain(b).cloned().collect();
    labels.sort();
    labels.dedup();
    let idx = |x: &T| labels.binary_search(x).unwrap_or(0);
    let mut m = vec![vec![0.0; labels.len()]; labels.len()];
    for (x, y) in a.iter().zip(b) {
        m[idx(x)][idx(y)] += 1.0;
    }
    kappa_from_matrix(&m)
}

/// Agreement of a judge with gold labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Items scored.
    pub n: usize,
    /// Items left out because the gold label was missing.
    pub n_no_gold: usize,
    /// Items whose prediction was missing (dropped or counted as ties, per `missing`).
    pub n_missing: usize,
    /// The missing-prediction policy used.
    pub missing: Missing,
    /// The macro label set used.
    pub labels: Labels,
    /// Accuracy (= agreement).
    pub accuracy: f64,
    /// Macro precision/recall/F1.
    pub macro_prf: Prf,
    /// Cohen's κ (gold vs prediction).
    pub kappa: Option<f64>,
    /// The confusion matrix.
    pub confusion: Confusion,
}

/// Agreement of predictions with gold labels. Items without a gold label are always left out (JudgeLM
/// drops items whose GPT-4 reference failed to parse); missing predictions follow `missing`.
pub fn agreement(
    gold: &[Option<Preference>],
    pred: &[Option<Preference>],
    missing: Missing,
    labels: Labels,
) -> Result<Agreement, JudgeError> {
    if gold.len() != pred.len() {
        return Err(JudgeError::Metric {
            metric: "agreement",
            message: format!("{} gold labels but {} predictions", gold.len(), pred.len()),
        });
    }
    let mut n_no_gold = 0;
    let mut n_missing = 0;
    let mut rows = Vec::with_capacity(gold.len());
    for (g, p) in gold.iter().zip(pred) {
        let Some(g) = g else {
            n_no_gold += 1;
            continue;
        };
        match (p, missing) {
            (Some(p), _) => rows.push((*g, *p)),
            (None, Missing::AsTie) => {
                n_missing += 1;
                rows.push((*g, Preference::Tie));
            }
            (None, Missing::Drop) => n_missing += 1,
        }
    }
    let confusion = Confusion::from_pairs(rows);
    let (Some(accuracy), Some(macro_prf)) = (confusion.accuracy(), confusion.macro_prf(labels))
    else {
        return Err(JudgeError::Metric {
            metric: "agreement",
            message: "no item has both a gold label and a prediction".into(),
        });
    };
    Ok(Agreement {
        n: confusion.total(),
        n_no_gold,
        n_missing,
        missing,
        labels,
        accuracy,
        macro_prf,
        kappa: confusion.kappa(),
        confusion,
    })
}

impl fmt::Display for Agreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "n = {} (no gold: {}, missing verdict: {} → {})",
            self.n,
            self.n_no_gold,
            self.n_missing,
            match self.missing {
                Missing::Drop => "dropped",
                Missing::AsTie => "tie",
            }
        )?;
        writeln!(f, "accuracy  {:>7.4}", self.accuracy)?;
        writeln!(f, "precision {:>7.4}  (macro)", self.macro_prf.precision)?;
        writeln!(f, "recall    {:>7.4}  (macro)", self.macro_prf.recall)?;
        writeln!(f, "F1        {:>7.4}  (macro)", self.macro_prf.f1)?;
        match self.kappa {
            Some(k) => writeln!(f, "kappa     {k:>7.4}")?,
            None => writeln!(f, "kappa         n/a")?,
        }
        writeln!(f, "gold\\pred       A       B     tie")?;
        for g in Preference::ALL {
            let r = self.confusion.counts[g.index()];
            writeln!(f, "{:<8} {:>7} {:>7} {:>7}", g.as_str(), r[0], r[1], r[2])?;
        }
        Ok(())
    }
}

/// JudgeLM's swap-consistency statistics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SwapConsistency {
    /// Items compared.
    pub n: usize,
    /// Share of items with the same verdict after the swap.
    pub consistency: f64,
    /// Share where the judge favoured the answer shown first (JudgeLM `perfer_before_rate`).
    pub prefer_first: f64,
    /// Share where the judge favoured the answer shown second (JudgeLM `perfer_after_rate`).
    pub prefer_second: f64,
    /// `|prefer_first − prefer_second|`.
    pub delta_bias: f64,
    /// `prefer_first + prefer_second`.
    pub total_bias: f64,
}

/// Swap consistency from the two passes, each in the orientation the judge saw: `first[i]` judged
/// (a, b), `second[i]` judged (b, a).
pub fn swap_consistency(
    first: &[Preference],
    second: &[Preference],
) -> Result<SwapConsistency, JudgeError> {
    if first.len() != second.len() || first.is_empty() {
        return Err(JudgeError::Metric {
            metric: "swap_consistency",
            message: format!(
                "{} first-pass and {} second-pass verdicts (need equal, non-zero)",
                first.len(),
                second.len()
            ),
        });
    }
    let (mut same, mut before, mut after) = (0usize, 0usize, 0usize);
    for (f, r) in first.iter().zip(second) {
        let flipped = f.swapped().judgelm_code();
        let rev = r.judgelm_code();
        match flipped.cmp(&rev) {
            std::cmp::Ordering::Equal => same += 1,
            std::cmp::Ordering::Greater => after += 1,
            std::cmp::Ordering::Less => before += 1,
        }
    }
    let n = first.len();
    Ok(SwapConsistency {
        n,
        consistency: ratio(same, n),
        prefer_first: ratio(before, n),
        prefer_second: ratio(after, n),
        delta_bias: ratio(before.abs_diff(after), n),
        total_bias: ratio(before + after, n),
    })
}

/// Agree/total counts of MT-Bench's agreement statistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteAgreement {
    /// Agreeing vote pairs.
    pub agree: usize,
    /// Vote pairs compared.
    pub total: usize,
}

impl VoteAgreement {
    /// `agree / total` (`None` when nothing was compared).
    pub fn ratio(&self) -> Option<f64> {
        (self.total > 0).then(|| ratio(self.agree, self.total))
    }
}

/// Judge–human agreement: each match has one judge vote and any number of human votes.
pub fn judge_human_agreement(
    matches: &[(Preference, Vec<Preference>)],
    with_ties: bool,
) -> VoteAgreement {
    let mut out = VoteAgreement { agree: 0, total: 0 };
    for (j, humans) in matches {
        if !with_ties && *j == Preference::Tie {
            continue;
        }
        for h in humans {
            if !with_ties && *h == Preference::Tie {
                continue;
            }
            out.total += 1;
            out.agree += usize::from(h == j);
        }
    }
    out
}

/// Human–human agreement: all pairs of votes on the same match.
pub fn human_human_agreement(matches: &[Vec<Preference>], with_ties: bool) -> VoteAgreement {
    let mut out = VoteAgreement { agree: 0, total: 0 };
    for votes in matches {
        for i in 0..votes.len() {
            for j in i + 1..votes.len() {
                if !with_ties && (votes[i] == Preference::Tie || votes[j] == Preference::Tie) {
                    continue;
                }
                out.total += 1;
                out.agree += usize::from(votes[i] == votes[j]);
            }
        }
    }
    out
}

/// Which of a judge's recorded verdicts on a pair to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reading {
    /// The unswapped game.
    First,
    /// The swapped game (mapped back to the pair's orientation).
    Second,
    /// Both games combined with MT-Bench's rule (tie unless both agree on a winner).
    Combined,
}

/// One judge's preferences over pairs, in the pairs' orientation (`None` where no verdict).
pub fn judge_preferences(
    pairs: &[JudgedPair],
    judge: &str,
    reading: Reading,
) -> Vec<Option<Preference>> {
    pairs
        .iter()
        .map(|p| {
            let first = p.verdict(judge, false).and_then(|v| v.preference());
            let second = p.verdict(judge, true).and_then(|v| v.preference());
            match reading {
                Reading::First => first,
                Reading::Second => second,
                Reading::Combined => {
                    crate::protocol::mt_bench::combine_games(first, second.map(Preference::swapped))
                }
            }
        })
        .collect()
}

/// The human labels as preferences.
pub fn human_preferences(pairs: &[JudgedPair]) -> Vec<Option<Preference>> {
    pairs.iter().map(JudgedPair::human_preference).collect()
}

/// MT-Bench's vote key: `(question id, first model, second model, turn)` with the models sorted; votes
/// are mirrored when the pair lists them the other way round (`compute_agreement.get_mt_bench_votes_data`).
pub type VoteKey = (String, String, String, u64);

/// Group human votes (imported with [`crate::import::mt_bench::import_votes`]) by match, oriented to the
/// sorted model order. Pairs without the needed meta fields are skipped.
pub fn group_votes(pairs: &[JudgedPair]) -> BTreeMap<VoteKey, Vec<Preference>> {
    let mut out: BTreeMap<VoteKey, Vec<Preference>> = BTreeMap::new();
    for p in pairs {
        let get = |k: &str| p.meta.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let (Some(q), Some(a), Some(b), Some(h)) = (
            get("question_id"),
            get("model_a"),
            get("model_b"),
            p.human_preference(),
        ) else {
            continue;
        };
        let turn = p.meta.get("turn").and_then(|v| v.as_u64()).unwrap_or(1);
        let (key, vote) = if a < b {
            ((q, a, b, turn), h)
        } else {
            ((q, b, a, turn), h.swapped())
        };
        out.entry(key).or_default().push(vote);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use Preference::*;

    #[test]
    fn hand_computed_prf() {
        // gold:  A A A B B T
        // pred:  A A B B T T
        let gold = [A, A, A, B, B, Tie].map(Some);
        let pred = [A, A, B, B, Tie, Tie].map(Some);
        let r = agreement(&gold, &pred, Missing::Drop, Labels::Present).unwrap();
        assert_eq!(r.n, 6);
        assert!((r.accuracy - 4.0 / 6.0).abs() < 1e-15);
        // A: P 2/2, R 2/3, F1 0.8; B: P 1/2, R 1/2, F1 0.5; T: P 1/2, R 1, F1 2/3
        assert!((r.macro_prf.precision - (1.0 + 0.5 + 0.5) / 3.0).abs() < 1e-15);
        assert!((r.macro_prf.recall - (2.0 / 3.0 + 0.5 + 1.0) / 3.0).abs() < 1e-15);
        assert!((r.macro_prf.f1 - (0.8 + 0.5 + 2.0 / 3.0) / 3.0).abs() < 1e-15);
        // κ: po = 4/6; marginals gold (3,2,1), pred (2,2,2); pe = (6+4+2)/36 = 1/3 → κ = (2/3−1/3)/(2/3) = 0.5
        assert!((r.kappa.unwrap() - 0.5).abs() < 1e-12);
        assert!((cohen_kappa(&gold, &pred).unwrap() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn absent_class_and_missing() {
        let gold = [Some(A), Some(B), None, Some(A)];
        let pred = [Some(A), None, Some(A), Some(B)];
        let d = agreement(&gold, &pred, Missing::Drop, Labels::Present).unwrap();
        assert_eq!((d.n, d.n_no_gold, d.n_missing), (2, 1, 1));
        // present classes A, B: A P=1 R=1/2; B P=0 R=0 → macro P = 0.5, R = 0.25
        assert!((d.macro_prf.precision - 0.5).abs() < 1e-15);
        assert!((d.macro_prf.recall - 0.25).abs() < 1e-15);
        let all = agreement(&gold, &pred, Missing::Drop, Labels::All).unwrap();
        assert!((all.macro_prf.precision - 1.0 / 3.0).abs() < 1e-15);
        let t = agreement(&gold, &pred, Missing::AsTie, Labels::Present).unwrap();
        assert_eq!(t.n, 3);
        assert!(agreement(&[None], &[Some(A)], Missing::Drop, Labels::All).is_err());
        assert!(agreement(&[Some(A)], &[], Missing::Drop, Labels::All).is_err());
        // κ undefined when both raters use one label.
        assert_eq!(cohen_kappa(&[A, A], &[A, A]), None);
        assert_eq!(cohen_kappa(&[1, 2, 1, 2], &[1, 2, 2, 1]), Some(0.0));
    }

    #[test]
    fn judgelm_consistency() {
        // item 1: consistent A (second pass says B = same answer); item 2: always first → prefer first;
        // item 3: first pass tie, second pass says second shown (original A) wins → flipped 0 − (−1) > 0.
        let first = [A, A, Tie, B];
        let second = [B, A, B, A];
        let s = swap_consistency(&first, &second).unwrap();
        assert_eq!(s.n, 4);
        assert!((s.consistency - 0.5).abs() < 1e-15);
        assert!((s.prefer_first - 0.25).abs() < 1e-15);
        assert!((s.prefer_second - 0.25).abs() < 1e-15);
        assert!((s.delta_bias - 0.0).abs() < 1e-15);
        assert!((s.total_bias - 0.5).abs() < 1e-15);
        assert!(swap_consistency(&[], &[]).is_err());
    }

    #[test]
    fn mt_bench_agreement() {
        let m = vec![(A, vec![A, B, Tie]), (Tie, vec![Tie, A])];
        let with = judge_human_agreement(&m, true);
        assert_eq!((with.agree, with.total), (2, 5));
        let without = judge_human_agreement(&m, false);
        assert_eq!((without.agree, without.total), (1, 2));
        let hh = human_human_agreement(&[vec![A, A, Tie], vec![B]], true);
        assert_eq!((hh.agree, hh.total), (1, 3));
        let hh = human_human_agreement(&[vec![A, A, Tie]], false);
        assert_eq!((hh.agree, hh.total), (1, 1));
        assert_eq!(VoteAgreement { agree: 0, total: 0 }.ratio(), None);
    }
}
