//! Arena-Hard-Auto (SPEC §2.2–2.3): verdict parsing for v0.1 and v2, the v0.1 retry rule, the user-prompt
//! layout (render and split) and the mapping of the two games' labels to battles (v0.1) or to outcome
//! lists (v2).
//!
//! Reproduced behaviour:
//! - **v0.1** (`gen_judgment.get_score`): `findall(r"\[\[([AB<>=]+)\]\]")` on the accumulated judgment,
//!   empty matches dropped; 0 distinct matches → no label and *try again*; exactly 1 distinct → that
//!   label; more than 1 distinct → no label, no retry. Retries append the judge's reply as an assistant
//!   turn and the user turn [`RETRY_PROMPT`]; the recorded judgment is `"\n" + reply₁ [+ "\n" + reply₂]`
//!   ([`accumulate`]); at most [`V01_MAX_ATTEMPTS`] attempts.
//! - **v2** (`get_score`): patterns `\[\[([AB<>=]+)\]\]` then `\[([AB<>=]+)\]`, each `findall` on
//!   `judgment.upper()`; the **last** match of the first pattern that matches anything. No retry.
//! - Python's `str.upper()` is reproduced by Rust's `str::to_uppercase` (both apply Unicode's full,
//!   unconditional case mapping, e.g. `ß` → `SS`); only the `[AB<>=]` characters matter to the patterns.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::JudgeError;
use crate::label::{ArenaLabel, Preference};

/// v0.1 verdict pattern.
pub const V01_PATTERN: &str = r"\[\[([AB<>=]+)\]\]";
/// v2 verdict patterns, tried in order on the upper-cased judgment.
pub const V2_PATTERNS: [&str; 2] = [r"\[\[([AB<>=]+)\]\]", r"\[([AB<>=]+)\]"];
/// The user turn v0.1 appends when a judgment has no label (SPEC §2.2, verbatim).
pub const RETRY_PROMPT: &str =
    "continue your judgment and finish by outputting a final verdict label";
/// v0.1 makes at most this many judge calls per game.
pub const V01_MAX_ATTEMPTS: usize = 2;
/// Weight of a "significantly better" label in the v0.1 battle construction.
pub const STRONG_WEIGHT: usize = 3;

#[allow(clippy::expect_used)] // constant patterns, exercised by every test
static V01_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(V01_PATTERN).expect("valid pattern"));
#[allow(clippy::expect_used)]
static V2_RES: LazyLock<[Regex; 2]> =
    LazyLock::new(|| V2_PATTERNS.map(|p| Regex::new(p).expect("valid pattern")));

/// Result of the v0.1 parser on one (accumulated) judgment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V01Parse {
    /// The label when exactly one distinct label was found.
    pub label: Option<String>,
    /// True when no label was found at all (the reference asks the judge again).
    pub retry: bool,
    /// The distinct labels found, in order of first appearance.
    pub distinct: Vec<String>,
}

/// Parse a judgment with the v0.1 rule.
pub fn parse_v01(judgment: &str) -> V01Parse {
    let mut distinct: Vec<String> = Vec::new();
    for c in V01_RE.captures_iter(judgment) {
        if let Some(m) = c.get(1) {
            let s = m.as_str();
            if !s.is_empty() && !distinct.iter().any(|d| d == s) {
                distinct.push(s.to_owned());
            }
        }
    }
    match distinct.len() {
        0 => V01Parse {
            label: None,
            retry: true,
            distinct,
        },
        1 => V01Parse {
            label: distinct.first().cloned(),
            retry: false,
            distinct,
        },
        _ => V01Parse {
            label: None,
            retry: false,
            distinct,
        },
    }
}

/// Parse a judgment with the v2 rule (last match of the first matching pattern, upper-cased text).
pub fn parse_v2(judgment: &str) -> Option<String> {
    let upper = judgment.to_uppercase();
    for re in V2_RES.iter() {
        let last = re
            .captures_iter(&upper)
            .filter_map(|c| c.get(1))
            .map(|m| m.as_str())
            .filter(|s| !s.is_empty())
            .last();
        if let Some(s) = last {
            return Some(s.to_owned());
        }
    }
    None
}

/// Append one judge reply to the accumulated v0.1 judgment (`judgment += "\n" + reply`).
pub fn accumulate(judgment: &mut String, reply: &str) {
    judgment.push('\n');
    judgment.push_str(reply);
}

const USER_PROMPT_HEAD: &str = "<|User Prompt|>\n";
const A_START: &str = "\n\n<|The Start of Assistant A's Answer|>\n";
const A_END: &str =
    "\n<|The End of Assistant A's Answer|>\n\n<|The Start of Assistant B's Answer|>\n";
const B_END: &str = "\n<|The End of Assistant B's Answer|>";

/// Question and answers recovered from a rendered Arena-Hard user prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPromptParts {
    /// The user prompt (question).
    pub question: String,
    /// Assistant A's answer.
    pub answer_a: String,
    /// Assistant B's answer.
    pub answer_b: String,
}

/// Split a user turn rendered with the Arena-Hard template back into question and answers. The answer
/// markers are searched from the outside in (first A-start, last B-end, and the A-end/B-start separator
/// after A-start), so answers that themselves quote the markers can be mis-split; `None` when the layout
/// does not match.
pub fn split_user_prompt(prompt: &str) -> Option<UserPromptParts> {
    let body = prompt.strip_prefix(USER_PROMPT_HEAD)?;
    let body = body.strip_suffix(B_END)?;
    let a_start = body.find(A_START)?;
    let question = &body[..a_start];
    let after_a = &body[a_start + A_START.len()..];
    let sep = after_a.rfind(A_END)?;
    Some(UserPromptParts {
        question: question.to_owned(),
        answer_a: after_a[..sep].to_owned(),
        answer_b: after_a[sep + A_END.len()..].to_owned(),
    })
}

/// Who a v0.1 battle row credits. Battles are written with `model_a` = the baseline and `model_b` = the
/// evaluated model, whatever the game's presentation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BattleWinner {
    /// The baseline (`model_a`).
    ModelA,
    /// The evaluated model (`model_b`).
    ModelB,
    /// A tie.
    Tie,
}

/// The battle rows one v0.1 game contributes: `count` identical rows with this winner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct V01Battle {
    /// Winner of every row.
    pub winner: BattleWinner,
    /// Number of identical rows (1, or `weight` for a "significantly" label; 1 for a tie).
    pub count: usize,
}

/// v0.1 `get_battles_from_row` for one game: `game` 0 shows baseline first (A = baseline), game 1 shows
/// the model first. Labels outside the five v0.1 labels, and `None`, drop the game.
pub fn v01_battle(game: usize, label: Option<&str>, weight: usize) -> Option<V01Battle> {
    let label: ArenaLabel = label?.parse().ok()?;
    if !label.is_v01() {
        return None;
    }
    let swapped = game % 2 == 1;
    // Direction in the baseline/model frame: presented A is the baseline in game 0, the model in game 1.
    let winner = match label.preference().swap_if(swapped) {
        Preference::A => BattleWinner::ModelA,
        Preference::B => BattleWinner::ModelB,
        Preference::Tie => BattleWinner::Tie,
    };
    let count = if label.is_strong() { weight } else { 1 };
    Some(V01Battle { winner, count })
}

/// v2 `load_judgments` for one row: the outcome list from the **model's** side (1 = model wins),
/// `L[game1] ++ [1 − s for s in L[game0]]`, where game 0 shows the baseline first and `L` is
/// `label_to_score` with the reference's weight ([`STRONG_WEIGHT`]). `Ok(None)` when either game has no
/// label (the row is dropped); an unknown label is an error (the reference raises).
pub fn v2_outcomes(
    game0: Option<&str>,
    game1: Option<&str>,
) -> Result<Option<Vec<f64>>, JudgeError> {
    v2_outcomes_weighted(game0, game1, STRONG_WEIGHT)
}

/// [`v2_outcomes`] with `load_judgments(weight=…)`: a "significantly" label (`>>` / `<<`) contributes
/// `weight` identical outcomes. Game 1's label is read first, as the reference evaluates it, so when both
/// are unknown the error names game 1's.
pub fn v2_outcomes_weighted(
    game0: Option<&str>,
    game1: Option<&str>,
    weight: usize,
) -> Result<Option<Vec<f64>>, JudgeError> {
    let (Some(g0), Some(g1)) = (game0, game1) else {
        return Ok(None);
    };
    let l1: ArenaLabel = g1.parse()?;
    let l0: ArenaLabel = g0.parse()?;
    let scores = |l: ArenaLabel| {
        let v = match l.preference() {
            Preference::A => 1.0,
            Preference::B => 0.0,
            Preference::Tie => 0.5,
        };
        std::iter::repeat_n(v, if l.is_strong() { weight } else { 1 })
    };
    Ok(Some(
        scores(l1).chain(scores(l0).map(|s| 1.0 - s)).collect(),
    ))
}

/// Count the v0.1 labels of many games (a quick summary for reports), keyed by label text; `None` labels
/// are counted under `"null"`.
pub fn label_counts<'a>(
    labels: impl IntoIterator<Item = Option<&'a str>>,
) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for l in labels {
        *m.entry(l.unwrap_or("null").to_owned()).or_insert(0) += 1;
    }
    m
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn v01_rules() {
        let p = parse_v01("blah [[A>B]] and again [[A>B]]");
        assert_eq!(p.label.as_deref(), Some("A>B"));
        assert!(!p.retry);
        let p = parse_v01("[[A>B]] but then [[B>A]]");
        assert_eq!(p.label, None);
        assert!(!p.retry);
        assert_eq!(p.distinct, vec!["A>B", "B>A"]);
        let p = parse_v01("no verdict [A>B] [[ A>B ]] [[]]");
        assert_eq!(p.label, None);
        assert!(p.retry);
        // Case-sensitive in v0.1: lower-case labels are not labels.
        assert!(parse_v01("[[a>b]]").retry);
        // Unknown but pattern-valid strings are labels for the parser.
        assert_eq!(parse_v01("[[A<>B]]").label.as_deref(), Some("A<>B"));
        assert_eq!(parse_v01("[[A<<B]]").label.as_deref(), Some("A<<B"));
        assert_eq!(parse_v01("[A>B]").label, None);
        let mut j = String::new();
        accumulate(&mut j, "first");
        accumulate(&mut j, "[[B>>A]]");
        assert_eq!(j, "\nfirst\n[[B>>A]]");
        assert_eq!(parse_v01(&j).label.as_deref(), Some("B>>A"));
    }

    #[test]
    fn v2_rules() {
        assert_eq!(
            parse_v2("[[A>B]] ... final [[b>>a]]").as_deref(),
            Some("B>>A")
        );
        assert_eq!(parse_v2("single [a=b] only").as_deref(), Some("A=B"));
        // The double-bracket pattern wins even when a single-bracket label comes later.
        assert_eq!(parse_v2("[[A>B]] then [B>A]").as_deref(), Some("A>B"));
        assert_eq!(parse_v2("nothing"), None);
        // The last match of the first pattern that matches, after upper-casing.
        assert_eq!(parse_v2("[[a>b]] then [[b>a]]").as_deref(), Some("B>A"));
        assert_eq!(parse_v2("[A>B] [[B>>A]]").as_deref(), Some("B>>A"));
        // `ß` upper-cases to `SS`, which must not create a label; `[[ab]]` upper-cases to one.
        assert_eq!(parse_v2("straße [[ab]]").as_deref(), Some("AB"));
    }

    #[test]
    fn battles_v01() {
        let b = v01_battle(0, Some("A>>B"), 3).unwrap();
        assert_eq!((b.winner, b.count), (BattleWinner::ModelA, 3));
        let b = v01_battle(1, Some("A>>B"), 3).unwrap();
        assert_eq!((b.winner, b.count), (BattleWinner::ModelB, 3));
        let b = v01_battle(1, Some("B>A"), 3).unwrap();
        assert_eq!((b.winner, b.count), (BattleWinner::ModelA, 1));
        assert_eq!(
            v01_battle(0, Some("A=B"), 3).unwrap().winner,
            BattleWinner::Tie
        );
        assert_eq!(v01_battle(0, Some("A<B"), 3), None);
        assert_eq!(v01_battle(0, None, 3), None);
    }

    #[test]
    fn outcomes_v2() {
        // game0: baseline first says A>B (baseline wins) → [0]; game1: model first says A>>B → [1,1,1].
        assert_eq!(
            v2_outcomes(Some("A>B"), Some("A>>B")).unwrap().unwrap(),
            vec![1.0, 1.0, 1.0, 0.0]
        );
        assert_eq!(v2_outcomes(None, Some("A>B")).unwrap(), None);
        assert!(v2_outcomes(Some("A<>B"), Some("A>B")).is_err());
        // Every label equals `label_to_score` (ArenaLabel::v2_scores) at weight 3, mirrored for game 0.
        for l0 in ArenaLabel::ALL {
            for l1 in ArenaLabel::ALL {
                let mut want = l1.v2_scores().to_vec();
                want.extend(l0.v2_scores().iter().map(|s| 1.0 - s));
                let got = v2_outcomes(Some(l0.as_str()), Some(l1.as_str())).unwrap();
                assert_eq!(got, Some(want), "{l0} {l1}");
            }
        }
        // Other weights repeat the strong outcomes; game 1's unknown label is the one reported.
        assert_eq!(
            v2_outcomes_weighted(Some("B<<A"), Some("A<B"), 2).unwrap(),
            Some(vec![0.0, 0.0, 0.0])
        );
        let e = v2_outcomes(Some("X"), Some("Y")).unwrap_err();
        assert!(
            matches!(&e, JudgeError::UnknownLabel { label, .. } if label == "Y"),
            "{e:?}"
        );
    }

    #[test]
    fn split_round_trip() {
        let fields = BTreeMap::from([
            ("QUESTION", "What?\n\nTwo lines"),
            ("ANSWER_A", "a1\n<|The End of Assistant A's Answer|>"),
            ("ANSWER_B", "b"),
        ]);
        let tpl = crate::protocol::PromptSet::builtin(crate::protocol::PromptFamily::ArenaHard);
        let user = tpl.get("arena-hard-user").unwrap();
        let text = crate::py::format(&user.template, "u", &fields).unwrap();
        let parts = split_user_prompt(&text).unwrap();
        assert_eq!(parts.question, "What?\n\nTwo lines");
        assert_eq!(parts.answer_a, "a1\n<|The End of Assistant A's Answer|>");
        assert_eq!(parts.answer_b, "b");
        assert!(split_user_prompt("nope").is_none());
    }
}
