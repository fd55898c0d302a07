//! Bias reports: from (original verdict, probed verdict) observations to flip rate, position
//! consistency, length preference and style-vs-substance win rate, each with a seeded percentile
//! bootstrap interval ([`substance_metrics::bootstrap::bootstrap_mean_ci`]).
//!
//! Definitions (every statistic is the mean of a 0/1 indicator over its units, so its interval is the
//! bootstrap of that mean over the same units):
//! - **flip rate** — over observations where both verdicts exist: the probed verdict, mapped back to the
//!   original orientation, differs from the original verdict (ties count as verdicts). Also per probe.
//! - **position consistency** — over `position_swap` observations with both verdicts: no flip.
//! - **length preference** — over judgments (each original judgment once per item id, plus every probed
//!   judgment) whose verdict is decisive (A or B) and whose two answers differ in length (Unicode
//!   characters): the longer answer won.
//! - **style vs substance** — over judgments where one answer is known to be styled but wrong (the
//!   style-over-substance probe, LLMBar's adversarial distractor) and the verdict exists: that answer won
//!   (a tie does not count as a win).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use substance_metrics::bootstrap::bootstrap_mean_ci;

use crate::label::{Preference, Side};
use crate::pair::JudgedPair;
use crate::probe::{Perturbed, ProbeRecord};

/// Name of the position-swap probe (the one position consistency is computed on).
pub const POSITION_SWAP: &str = "position_swap";

/// One judgment of one pair, in that pair's orientation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgment {
    /// The verdict (`None`: the judge gave none).
    pub verdict: Option<Preference>,
    /// Lengths of answers A and B in Unicode characters.
    pub lengths: [usize; 2],
    /// The answer known to be styled but substantively wrong, if any.
    pub styled_side: Option<Side>,
}

impl Judgment {
    /// A judgment of `pair` (answer B absent counts as length 0).
    pub fn of(pair: &JudgedPair, verdict: Option<Preference>, styled_side: Option<Side>) -> Self {
        Judgment {
            verdict,
            lengths: [
                pair.answer_a.chars().count(),
                pair.answer_b.as_deref().map_or(0, |b| b.chars().count()),
            ],
            styled_side,
        }
    }
}

/// An original judgment and, optionally, the judgment of a probed version of the same pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasObservation {
    /// Item id.
    pub id: String,
    /// Probe name (`None`: no probe, the observation only feeds length and style statistics).
    pub probe: Option<String>,
    /// The judgment of the original pair.
    pub original: Judgment,
    /// The judgment of the probed pair, in the probed pair's orientation.
    pub probed: Option<Judgment>,
    /// The probed pair has A and B exchanged relative to the original.
    pub probed_swapped: bool,
}

impl BiasObservation {
    /// An observation from a pair, a probe output and the two verdicts (each in its own pair's
    /// orientation). `styled_side` marks a styled-but-wrong answer of the original pair, if known.
    pub fn from_probe(
        original: &JudgedPair,
        original_verdict: Option<Preference>,
        styled_side: Option<Side>,
        perturbed: &Perturbed,
        probed_verdict: Option<Preference>,
    ) -> Self {
        let carried = styled_side.map(|s| if perturbed.swapped { s.other() } else { s });
        BiasObservation {
            id: original.id.clone(),
            probe: Some(perturbed.record.probe.clone()),
            original: Judgment::of(original, original_verdict, styled_side),
            probed: Some(Judgment::of(
                &perturbed.pair,
                probed_verdict,
                perturbed.styled_side.or(carried),
            )),
            probed_swapped: perturbed.swapped,
        }
    }

    /// A position-swap observation from a pair with a judge's two recorded games (unswapped and
    /// swapped), as in LLMBar, Arena-Hard and MT-Bench files. `styled_side` as in [`Self::from_probe`].
    pub fn from_recorded_swap(
        pair: &JudgedPair,
        judge: &str,
        styled_side: Option<Side>,
    ) -> Option<Self> {
        let first = pair.verdict(judge, false)?;
        let second = pair.verdict(judge, true)?;
        let swapped_pair = pair.swapped()?;
        Some(BiasObservation {
            id: pair.id.clone(),
            probe: Some(POSITION_SWAP.to_owned()),
            original: Judgment::of(pair, first.preference(), styled_side),
            // The swapped game's verdict in the swapped pair's orientation is what the judge said.
            probed: Some(Judgment::of(
                &swapped_pair,
                second.verdict.as_ref().and_then(crate::Verdict::preference),
                styled_side.map(Side::other),
            )),
            probed_swapped: true,
        })
    }

    /// An observation without a probe (one judgment; length and style statistics only).
    pub fn single(
        pair: &JudgedPair,
        verdict: Option<Preference>,
        styled_side: Option<Side>,
    ) -> Self {
        BiasObservation {
            id: pair.id.clone(),
            probe: None,
            original: Judgment::of(pair, verdict, styled_side),
            probed: None,
            probed_swapped: false,
        }
    }
}

/// Bootstrap settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReportOptions {
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Seed (recorded in the report).
    pub seed: u64,
    /// Interval level (e.g. 0.95).
    pub level: f64,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            resamples: 1000,
            seed: 0,
            level: 0.95,
        }
    }
}

/// A proportion with its bootstrap interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The proportion (`None` when there are no units).
    pub value: Option<f64>,
    /// Units counted.
    pub n: usize,
    /// Units with the indicator set.
    pub hits: usize,
    /// Percentile bootstrap interval.
    pub ci: Option<[f64; 2]>,
}

impl Estimate {
    /// The estimate of a list of indicators.
    pub fn of(indicators: &[bool], opts: &ReportOptions) -> Self {
        let n = indicators.len();
        let hits = indicators.iter().filter(|b| **b).count();
        let values: Vec<f64> = indicators.iter().map(|b| f64::from(u8::from(*b))).collect();
        Estimate {
            value: (n > 0).then(|| hits as f64 / n as f64),
            n,
            hits,
            ci: bootstrap_mean_ci(&values, None, opts.resamples, opts.seed, opts.level),
        }
    }
}

/// The bias report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasReport {
    /// Free-text label (judge and data set).
    pub label: String,
    /// Bootstrap settings.
    pub options: ReportOptions,
    /// Observations given.
    pub n_observations: usize,
    /// Observations with a missing original or probed verdict (excluded from flip statistics).
    pub n_missing: usize,
    /// Flip rate over all probed observations.
    pub flip_rate: Estimate,
    /// Flip rate per probe.
    pub flip_rate_by_probe: BTreeMap<String, Estimate>,
    /// Position consistency (position-swap observations).
    pub position_consistency: Estimate,
    /// How often the longer answer wins a decisive verdict.
    pub length_preference: Estimate,
    /// How often the styled-but-wrong answer wins.
    pub style_vs_substance: Estimate,
    /// The probes applied (for receipts), when the caller supplied them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<ProbeRecord>,
}

fn length_hit(j: &Judgment) -> Option<bool> {
    let side = j.verdict?.side()?;
    let [a, b] = j.lengths;
    if a == b {
        return None;
    }
    let longer = if a > b { Side::A } else { Side::B };
    Some(side == longer)
}

fn style_hit(j: &Judgment) -> Option<bool> {
    let s = j.styled_side?;
    let v = j.verdict?;
    Some(v == s.preference())
}

/// Compute a bias report.
pub fn bias_report(
    label: &str,
    observations: &[BiasObservation],
    opts: ReportOptions,
) -> BiasReport {
    let mut flips = Vec::new();
    let mut by_probe: BTreeMap<String, Vec<bool>> = BTreeMap::new();
    let mut consistent = Vec::new();
    let mut lengths = Vec::new();
    let mut styles = Vec::new();
    let mut n_missing = 0;
    let mut seen_original: BTreeSet<&str> = BTreeSet::new();
    for o in observations {
        let mut judgments: Vec<&Judgment> = Vec::new();
        if seen_original.insert(o.id.as_str()) {
            judgments.push(&o.original);
        }
        if let Some(p) = &o.probed {
            judgments.push(p);
            match (o.original.verdict, p.verdict) {
                (Some(a), Some(b)) => {
                    let flipped = a != b.swap_if(o.probed_swapped);
                    flips.push(flipped);
                    if let Some(name) = &o.probe {
                        by_probe.entry(name.clone()).or_default().push(flipped);
                        if name == POSITION_SWAP {
                            consistent.push(!flipped);
                        }
                    }
                }
                _ => n_missing += 1,
            }
        }
        for j in judgments {
            lengths.extend(length_hit(j));
            styles.extend(style_hit(j));
        }
    }
    BiasReport {
        label: label.to_owned(),
        options: opts,
        n_observations: observations.len(),
        n_missing,
        flip_rate: Estimate::of(&flips, &opts),
        flip_rate_by_probe: by_probe
            .into_iter()
            .map(|(k, v)| (k, Estimate::of(&v, &opts)))
            .collect(),
        position_consistency: Estimate::of(&consistent, &opts),
        length_preference: Estimate::of(&lengths, &opts),
        style_vs_substance: Estimate::of(&styles, &opts),
        probes: Vec::new(),
    }
}

fn row(f: &mut fmt::Formatter<'_>, name: &str, e: &Estimate) -> fmt::Result {
    let value = e
        .value
        .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}"));
    let ci = e.ci.map_or_else(
        || "n/a".to_owned(),
        |[lo, hi]| format!("[{lo:.3}, {hi:.3}]"),
    );
    writeln!(f, "{name:<32} {value:>7}  {ci:<16} {:>6}", e.n)
}

impl fmt::Display for BiasReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "bias report: {} ({} observations, {} with a missing verdict; {:.0}% bootstrap CI, {} resamples, seed {})",
            self.label,
            self.n_observations,
            self.n_missing,
            self.options.level * 100.0,
            self.options.resamples,
            self.options.seed
        )?;
        writeln!(
            f,
            "{:<32} {:>7}  {:<16} {:>6}",
            "metric", "value", "CI", "n"
        )?;
        row(f, "flip rate", &self.flip_rate)?;
        for (k, e) in &self.flip_rate_by_probe {
            row(f, &format!("  flip rate: {k}"), e)?;
        }
        row(f, "position consistency", &self.position_consistency)?;
        row(
            f,
            "length preference (longer wins)",
            &self.length_preference,
        )?;
        row(f, "style beats substance", &self.style_vs_substance)
    }
}

/// Position-swap observations from recorded verdicts: one per pair and judge that has both games
/// (unswapped and swapped) recorded, for every judge or only `judge`.
pub fn recorded_observations(pairs: &[JudgedPair], judge: Option<&str>) -> Vec<BiasObservation> {
    swap_observations(pairs, judge, |_| None)
}

/// As [`recorded_observations`], with each pair's [`marked_distractor`] as its styled-but-wrong answer,
/// so that style vs substance is reported on pairs that mark one (LLMBar's adversarial subsets).
pub fn recorded_observations_with_distractors(
    pairs: &[JudgedPair],
    judge: Option<&str>,
) -> Vec<BiasObservation> {
    swap_observations(pairs, judge, marked_distractor)
}

fn swap_observations(
    pairs: &[JudgedPair],
    judge: Option<&str>,
    styled: impl Fn(&JudgedPair) -> Option<Side>,
) -> Vec<BiasObservation> {
    let mut out = Vec::new();
    for p in pairs {
        let mut judges: Vec<&str> = p.verdicts.iter().map(|v| v.judge.as_str()).collect();
        judges.sort_unstable();
        judges.dedup();
        for j in judges {
            if judge.is_some_and(|n| n != j) {
                continue;
            }
            if let Some(o) = BiasObservation::from_recorded_swap(p, j, styled(p)) {
                out.push(o);
            }
        }
    }
    out
}

/// The answer a pair marks as styled but substantively wrong: `meta.distractor` = `"A"` or `"B"`, as the
/// LLMBar importer records for the adversarially built output of its adversarial subsets.
pub fn marked_distractor(pair: &JudgedPair) -> Option<Side> {
    match pair.meta.get("distractor").and_then(|v| v.as_str()) {
        Some("A") => Some(Side::A),
        Some("B") => Some(Side::B),
        _ => None,
    }
}

/// Single-judgment observations (length and style statistics only) from one judge's recorded unswapped
/// verdicts, for files with one game per pair (PandaLM's verdict files): one per pair that has an
/// unswapped verdict entry of `judge` (its verdict may be missing, e.g. PandaLM's `garbage`), with the
/// pair's [`marked_distractor`].
pub fn recorded_single_observations(pairs: &[JudgedPair], judge: &str) -> Vec<BiasObservation> {
    pairs
        .iter()
        .filter_map(|p| {
            let v = p.verdict(judge, false)?;
            Some(BiasObservation::single(
                p,
                v.preference(),
                marked_distractor(p),
            ))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use Preference::*;

    fn j(v: Option<Preference>, lengths: [usize; 2], styled: Option<Side>) -> Judgment {
        Judgment {
            verdict: v,
            lengths,
            styled_side: styled,
        }
    }

    #[test]
    fn hand_computed() {
        let obs = vec![
            // swap, consistent: original A (A longer), probed B (= original A)
            BiasObservation {
                id: "1".into(),
                probe: Some(POSITION_SWAP.into()),
                original: j(Some(A), [10, 5], None),
                probed: Some(j(Some(B), [5, 10], None)),
                probed_swapped: true,
            },
            // swap, flipped: original A, probed A (= original B); lengths equal → no length units
            BiasObservation {
                id: "2".into(),
                probe: Some(POSITION_SWAP.into()),
                original: j(Some(A), [7, 7], None),
                probed: Some(j(Some(A), [7, 7], None)),
                probed_swapped: true,
            },
            // padding on B: original tie, probed B (padded, longer) → flip; styled side A wins? no
            BiasObservation {
                id: "3".into(),
                probe: Some("verbosity_padding".into()),
                original: j(Some(Tie), [5, 5], None),
                probed: Some(j(Some(B), [5, 20], Some(Side::A))),
                probed_swapped: false,
            },
            // missing probed verdict
            BiasObservation {
                id: "4".into(),
                probe: Some("verbosity_padding".into()),
                original: j(Some(B), [3, 9], Some(Side::B)),
                probed: Some(j(None, [3, 9], None)),
                probed_swapped: false,
            },
            // same item again: its original judgment is not counted twice
            BiasObservation {
                id: "4".into(),
                probe: Some(POSITION_SWAP.into()),
                original: j(Some(B), [3, 9], Some(Side::B)),
                probed: Some(j(Some(A), [9, 3], Some(Side::A))),
                probed_swapped: true,
            },
        ];
        let r = bias_report(
            "t",
            &obs,
            ReportOptions {
                resamples: 200,
                seed: 3,
                level: 0.9,
            },
        );
        assert_eq!(r.n_missing, 1);
        // flips: 1 no, 2 yes, 3 yes, 5 no → 2/4
        assert_eq!((r.flip_rate.hits, r.flip_rate.n), (2, 4));
        assert_eq!(
            (r.position_consistency.hits, r.position_consistency.n),
            (2, 3)
        );
        assert_eq!(r.flip_rate_by_probe["verbosity_padding"].n, 1);
        // length units: obs1 orig (A longer, A wins) ✓, obs1 probed (B longer, B) ✓, obs3 probed (B longer, B) ✓,
        // obs4 orig (B longer, B) ✓, obs5 probed (A longer, A) ✓ → 5/5
        assert_eq!((r.length_preference.hits, r.length_preference.n), (5, 5));
        // style units: obs3 probed (styled A, verdict B) ✗, obs4 orig (styled B, B) ✓, obs5 probed (A, A) ✓
        assert_eq!((r.style_vs_substance.hits, r.style_vs_substance.n), (2, 3));
        let again = bias_report(
            "t",
            &obs,
            ReportOptions {
                resamples: 200,
                seed: 3,
                level: 0.9,
            },
        );
        assert_eq!(r, again);
        let [lo, hi] = r.flip_rate.ci.unwrap();
        assert!(lo <= 0.5 && 0.5 <= hi);
        let table = r.to_string();
        assert!(
            table.contains("position consistency") && table.contains("0.667"),
            "{table}"
        );
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<BiasReport>(&json).unwrap(), r);
    }

    #[test]
    fn empty_report() {
        let r = bias_report("empty", &[], ReportOptions::default());
        assert_eq!(r.flip_rate.value, None);
        assert_eq!(r.flip_rate.ci, None);
        assert!(r.to_string().contains("n/a"));
    }

    #[test]
    fn recorded_observations_carry_marked_distractors() {
        use crate::label::Verdict;
        use crate::pair::RecordedVerdict;
        let mut p = JudgedPair::new("x", "q", "short", Some("a much longer answer"));
        for (swapped, said) in [(false, B), (true, A)] {
            p.verdicts.push(RecordedVerdict::new(
                "j",
                "t",
                swapped,
                Some(Verdict::preference_of(said)),
            ));
        }
        p.verdicts.push(RecordedVerdict::new("k", "t", false, None));
        assert_eq!(marked_distractor(&p), None);
        let plain = recorded_observations(&[p.clone()], None);
        assert_eq!(plain.len(), 1, "only judge j has both games");
        p.meta.insert("distractor".into(), "B".into());
        assert_eq!(marked_distractor(&p), Some(Side::B));
        let marked = recorded_observations_with_distractors(&[p.clone()], Some("j"));
        assert_eq!(marked[0].original.styled_side, Some(Side::B));
        assert_eq!(
            marked[0].probed.as_ref().unwrap().styled_side,
            Some(Side::A)
        );
        // B (the distractor) won both games: the styled answer beat substance twice, consistently.
        let r = bias_report("t", &marked, ReportOptions::default());
        assert_eq!((r.style_vs_substance.hits, r.style_vs_substance.n), (2, 2));
        assert_eq!(r.position_consistency.hits, 1);
        assert_eq!(
            bias_report("t", &plain, ReportOptions::default())
                .style_vs_substance
                .n,
            0
        );
        // One game per judge: single observations, missing verdicts kept as missing.
        let single = recorded_single_observations(&[p.clone()], "k");
        assert_eq!(single.len(), 1);
        assert_eq!(single[0].original.verdict, None);
        assert!(single[0].probed.is_none());
        assert_eq!(
            recorded_single_observations(&[p.clone()], "j")[0]
                .original
                .verdict,
            Some(B)
        );
        assert!(recorded_single_observations(&[p], "nobody").is_empty());
    }
}
