//! Verdict vocabulary: the 3-class [`Preference`] every pairwise judgment reduces to, Arena-Hard's
//! labels ([`ArenaLabel`]), SOS-Bench's factors ([`Factor`]) and the typed [`Verdict`] a parser returns.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::JudgeError;

/// Which answer of a pair is preferred, in the pair's own orientation (`A` = the first answer shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Preference {
    /// The first answer (`answer_a`) is better.
    #[serde(rename = "A")]
    A,
    /// The second answer (`answer_b`) is better.
    #[serde(rename = "B")]
    B,
    /// Neither is better.
    #[serde(rename = "tie")]
    Tie,
}

impl Preference {
    /// The three classes in the order metrics report them.
    pub const ALL: [Preference; 3] = [Preference::A, Preference::B, Preference::Tie];

    /// The same judgment seen with the two answers exchanged (`A` ↔ `B`, tie stays).
    pub fn swapped(self) -> Self {
        match self {
            Preference::A => Preference::B,
            Preference::B => Preference::A,
            Preference::Tie => Preference::Tie,
        }
    }

    /// `swapped()` when `swap` is true.
    pub fn swap_if(self, swap: bool) -> Self {
        if swap { self.swapped() } else { self }
    }

    /// `"A"`, `"B"` or `"tie"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Preference::A => "A",
            Preference::B => "B",
            Preference::Tie => "tie",
        }
    }

    /// The JudgeLM encoding: `+1` (assistant 1 wins), `−1` (assistant 2 wins), `0` (tie).
    pub fn judgelm_code(self) -> i8 {
        match self {
            Preference::A => 1,
            Preference::B => -1,
            Preference::Tie => 0,
        }
    }

    /// Index 0, 1, 2 for A, B, tie (confusion-matrix order).
    pub fn index(self) -> usize {
        match self {
            Preference::A => 0,
            Preference::B => 1,
            Preference::Tie => 2,
        }
    }

    /// The decisive side, `None` for a tie.
    pub fn side(self) -> Option<Side> {
        match self {
            Preference::A => Some(Side::A),
            Preference::B => Some(Side::B),
            Preference::Tie => None,
        }
    }
}

impl fmt::Display for Preference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One of the two answers of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Side {
    /// `answer_a`.
    A,
    /// `answer_b`.
    B,
}

impl Side {
    /// The other answer.
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }

    /// The preference for this side.
    pub fn preference(self) -> Preference {
        match self {
            Side::A => Preference::A,
            Side::B => Preference::B,
        }
    }
}

/// An Arena-Hard-Auto verdict label (SPEC §2.2–2.3). The first five are the labels the judge is asked
/// for; the last five are the mirrored spellings v2's `label_to_score` also accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ArenaLabel {
    /// `A>>B`
    #[serde(rename = "A>>B")]
    AMuchBetter,
    /// `A>B`
    #[serde(rename = "A>B")]
    ABetter,
    /// `A=B`
    #[serde(rename = "A=B")]
    Tie,
    /// `B>A`
    #[serde(rename = "B>A")]
    BBetter,
    /// `B>>A`
    #[serde(rename = "B>>A")]
    BMuchBetter,
    /// `B=A` (v2 only)
    #[serde(rename = "B=A")]
    TieBA,
    /// `A<B` (v2 only)
    #[serde(rename = "A<B")]
    ALessB,
    /// `A<<B` (v2 only)
    #[serde(rename = "A<<B")]
    AMuchLessB,
    /// `B<A` (v2 only)
    #[serde(rename = "B<A")]
    BLessA,
    /// `B<<A` (v2 only)
    #[serde(rename = "B<<A")]
    BMuchLessA,
}

impl ArenaLabel {
    /// All ten spellings, the five v0.1 labels first.
    pub const ALL: [ArenaLabel; 10] = [
        ArenaLabel::AMuchBetter,
        ArenaLabel::ABetter,
        ArenaLabel::Tie,
        ArenaLabel::BBetter,
        ArenaLabel::BMuchBetter,
        ArenaLabel::TieBA,
        ArenaLabel::ALessB,
        ArenaLabel::AMuchLessB,
        ArenaLabel::BLessA,
        ArenaLabel::BMuchLessA,
    ];

    /// The label text, e.g. `"A>>B"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ArenaLabel::AMuchBetter => "A>>B",
            ArenaLabel::ABetter => "A>B",
            ArenaLabel::Tie => "A=B",
            ArenaLabel::BBetter => "B>A",
            ArenaLabel::BMuchBetter => "B>>A",
            ArenaLabel::TieBA => "B=A",
            ArenaLabel::ALessB => "A<B",
            ArenaLabel::AMuchLessB => "A<<B",
            ArenaLabel::BLessA => "B<A",
            ArenaLabel::BMuchLessA => "B<<A",
        }
    }

    /// One of the five labels the v0.1 battle construction knows (`A>>B A>B A=B B>A B>>A`).
    pub fn is_v01(self) -> bool {
        matches!(
            self,
            ArenaLabel::AMuchBetter
                | ArenaLabel::ABetter
                | ArenaLabel::Tie
                | ArenaLabel::BBetter
                | ArenaLabel::BMuchBetter
        )
    }

    /// Direction of the verdict in the judged (presented) orientation.
    pub fn preference(self) -> Preference {
        match self {
            ArenaLabel::AMuchBetter
            | ArenaLabel::ABetter
            | ArenaLabel::BLessA
            | ArenaLabel::BMuchLessA => Preference::A,
            ArenaLabel::BBetter
            | ArenaLabel::BMuchBetter
            | ArenaLabel::ALessB
            | ArenaLabel::AMuchLessB => Preference::B,
            ArenaLabel::Tie | ArenaLabel::TieBA => Preference::Tie,
        }
    }

    /// Whether the label says "significantly" (`>>` / `<<`), which counts `w = 3` times.
    pub fn is_strong(self) -> bool {
        matches!(
            self,
            ArenaLabel::AMuchBetter
                | ArenaLabel::BMuchBetter
                | ArenaLabel::AMuchLessB
                | ArenaLabel::BMuchLessA
        )
    }

    /// v2's `label_to_score[label]`: the outcomes from assistant **A**'s side (1 = A wins, 0.5 = tie).
    pub fn v2_scores(self) -> &'static [f64] {
        match self.preference() {
            Preference::A if self.is_strong() => &[1.0, 1.0, 1.0],
            Preference::A => &[1.0],
            Preference::B if self.is_strong() => &[0.0, 0.0, 0.0],
            Preference::B => &[0.0],
            Preference::Tie => &[0.5],
        }
    }
}

impl FromStr for ArenaLabel {
    type Err = JudgeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ArenaLabel::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| JudgeError::UnknownLabel {
                what: "arena-hard",
                label: s.to_owned(),
            })
    }
}

impl fmt::Display for ArenaLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The five SOS-Bench judge factors (SPEC §1.4), in template order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    /// 1. Correctness
    Correctness,
    /// 2. Completeness
    Completeness,
    /// 3. Safety
    Safety,
    /// 4. Conciseness
    Conciseness,
    /// 5. Style
    Style,
}

impl Factor {
    /// The five factors in template order.
    pub const ALL: [Factor; 5] = [
        Factor::Correctness,
        Factor::Completeness,
        Factor::Safety,
        Factor::Conciseness,
        Factor::Style,
    ];

    /// The capitalised name used in judge output (`Correctness`, …).
    pub fn title(self) -> &'static str {
        match self {
            Factor::Correctness => "Correctness",
            Factor::Completeness => "Completeness",
            Factor::Safety => "Safety",
            Factor::Conciseness => "Conciseness",
            Factor::Style => "Style",
        }
    }

    /// The field the SOS fork writes (`correctness_score`, …).
    pub fn field(self) -> &'static str {
        match self {
            Factor::Correctness => "correctness_score",
            Factor::Completeness => "completeness_score",
            Factor::Safety => "safety_score",
            Factor::Conciseness => "conciseness_score",
            Factor::Style => "style_score",
        }
    }
}

/// A parsed judge verdict, always in the orientation the judge saw (answer "A"/"Assistant 1" = the
/// first answer in the prompt). [`crate::RecordedVerdict`] says whether that orientation was swapped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// An Arena-Hard `[[…]]` label exactly as matched (`[AB<>=]+`, so also strings such as `A<>B` that no
    /// reference maps; see [`Verdict::arena_label`]).
    Arena {
        /// The matched label text.
        label: String,
    },
    /// A 3-class choice (MT-Bench `[[A]]/[[B]]/[[C]]`, LLMBar, PandaLM, human votes).
    Preference {
        /// The choice.
        winner: Preference,
    },
    /// One rating of one answer (MT-Bench single grading, Prometheus absolute grading).
    Rating {
        /// The rating.
        rating: f64,
    },
    /// One score per answer (JudgeLM: `"8 9"`; MT-Bench `[[rating_a,rating_b]]`).
    Scores {
        /// The scores, in presented order.
        scores: Vec<f64>,
    },
    /// SOS-Bench five-factor verdict: per-factor `((…))` labels and the overall `[[…]]` label.
    Factors {
        /// The overall label (v0.1 rule), when one was found.
        overall: Option<String>,
        /// Per factor, the first `((…))` label; `""` when absent (the reference writes `''`).
        factors: BTreeMap<Factor, String>,
    },
    /// A class label (XSTest: `1_full_compliance`, `2_full_refusal`, `3_partial_refusal`).
    Category {
        /// The label.
        label: String,
    },
    /// AlpacaEval preference in `[1, 2]` (1 = output_1 better, 2 = output_2 better; 0 or 1.5 = draw).
    Alpaca {
        /// The preference value.
        preference: f64,
    },
}

impl Verdict {
    /// A 3-class preference verdict.
    pub fn preference_of(winner: Preference) -> Self {
        Verdict::Preference { winner }
    }

    /// The typed Arena-Hard label, when this is an Arena verdict with one of the ten known spellings.
    pub fn arena_label(&self) -> Option<ArenaLabel> {
        match self {
            Verdict::Arena { label } => label.parse().ok(),
            Verdict::Factors {
                overall: Some(label),
                ..
            } => label.parse().ok(),
            _ => None,
        }
    }

    /// The generic 3-class reading in the presented orientation:
    /// Arena labels by direction (all ten spellings; use the protocol's own mapping for v0.1's five-label
    /// rule); `Scores` with two entries by JudgeLM's rule (`s1 − s2 > 0` → A, `< 0` → B, else tie);
    /// AlpacaEval `< 1.5` → A, `> 1.5` → B, `1.5` or `0` → tie; ratings and categories have none.
    pub fn preference(&self) -> Option<Preference> {
        match self {
            Verdict::Arena { .. } | Verdict::Factors { .. } => {
                self.arena_label().map(ArenaLabel::preference)
            }
            Verdict::Preference { winner } => Some(*winner),
            Verdict::Scores { scores } if scores.len() == 2 => Some(
                crate::protocol::judgelm::win_label(scores[0], scores[1], 0.0),
            ),
            Verdict::Alpaca { preference } => {
                let p = *preference;
                if p == 0.0 || p == 1.5 {
                    Some(Preference::Tie)
                } else if (1.0..1.5).contains(&p) {
                    Some(Preference::A)
                } else if p > 1.5 && p <= 2.0 {
                    Some(Preference::B)
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn arena_labels_round_trip_and_score() {
        for l in ArenaLabel::ALL {
            assert_eq!(l.as_str().parse::<ArenaLabel>().unwrap(), l);
            let json = serde_json::to_string(&l).unwrap();
            assert_eq!(json, format!("\"{}\"", l.as_str()));
        }
        assert_eq!(ArenaLabel::AMuchBetter.v2_scores(), &[1.0, 1.0, 1.0]);
        assert_eq!(ArenaLabel::BLessA.v2_scores(), &[1.0]);
        assert_eq!(ArenaLabel::AMuchLessB.v2_scores(), &[0.0, 0.0, 0.0]);
        assert_eq!(ArenaLabel::TieBA.v2_scores(), &[0.5]);
        assert!("A<>B".parse::<ArenaLabel>().is_err());
        assert_eq!(ArenaLabel::ALL.iter().filter(|l| l.is_v01()).count(), 5);
    }

    #[test]
    fn generic_preference() {
        let v = Verdict::Scores {
            scores: vec![8.0, 9.0],
        };
        assert_eq!(v.preference(), Some(Preference::B));
        let v = Verdict::Alpaca {
            preference: 1.0000002,
        };
        assert_eq!(v.preference(), Some(Preference::A));
        let v = Verdict::Alpaca { preference: 0.0 };
        assert_eq!(v.preference(), Some(Preference::Tie));
        let v = Verdict::Arena {
            label: "B<<A".into(),
        };
        assert_eq!(v.preference(), Some(Preference::A));
        assert_eq!(Verdict::Rating { rating: 5.0 }.preference(), None);
        assert_eq!(Preference::A.swap_if(true), Preference::B);
    }
}
