//! MT-Bench / FastChat `llm_judge` (SPEC §4): single-grade and pairwise verdict parsing, the two-score
//! format, game combination with the position-bias rule, and the choice of judge prompt per question.
//!
//! Reproduced behaviour:
//! - **Single** (`run_judge_single`): `re.search(r"\[\[(\d+\.?\d*)\]\]")`, falling back to
//!   `\[(\d+\.?\d*)\]`, first match, `ast.literal_eval`; `-1` (here `None`) when nothing matches.
//!   Deviation: where `ast.literal_eval` *raises* (a leading-zero integer such as `[[07]]`, or non-ASCII
//!   digits, which `\d` accepts but Python's tokenizer does not) FastChat's judging run crashes; here the
//!   rating is `None`.
//! - **Pairwise** (`run_judge_pair`, output format `[[A]]`): substring tests in the order `[[A]]`, `[[B]]`,
//!   `[[C]]` (tie); otherwise `error` (`None`).
//! - **Two scores** (`[[rating_a,rating_b]]`): `\[\[(\d+\.?\d*),\s?(\d+\.?\d*)\]\]` with the single-bracket
//!   fallback; tie when `|a − b| ≤` [`TIE_DELTA`].
//! - **Games**: g1 shows (model_1, model_2), g2 shows (model_2, model_1). A match with an `error` game is
//!   dropped; if g1 is a tie **or** g1 ≠ g2 (after mapping g2 back) the match is a tie; otherwise the
//!   agreed winner.

use std::sync::LazyLock;

use regex::Regex;

use crate::label::Preference;
use crate::py::PY_SPACE;

/// Tie threshold of the two-score format.
pub const TIE_DELTA: f64 = 0.1;
/// Categories judged with reference-guided ("math") prompts.
pub const NEED_REF_CATS: [&str; 4] = ["math", "reasoning", "coding", "arena-hard-200"];

/// `[[rating]]`.
pub const ONE_SCORE_PATTERN: &str = r"\[\[(\d+\.?\d*)\]\]";
/// `[rating]` fallback.
pub const ONE_SCORE_PATTERN_BACKUP: &str = r"\[(\d+\.?\d*)\]";

#[allow(clippy::expect_used)] // constant patterns, exercised by every test
static ONE: LazyLock<[Regex; 2]> = LazyLock::new(|| {
    [ONE_SCORE_PATTERN, ONE_SCORE_PATTERN_BACKUP].map(|p| Regex::new(p).expect("valid pattern"))
});
#[allow(clippy::expect_used)]
static TWO: LazyLock<[Regex; 2]> = LazyLock::new(|| {
    [
        format!(r"\[\[(\d+\.?\d*),{PY_SPACE}?(\d+\.?\d*)\]\]"),
        format!(r"\[(\d+\.?\d*),{PY_SPACE}?(\d+\.?\d*)\]"),
    ]
    .map(|p| Regex::new(&p).expect("valid pattern"))
});

/// `ast.literal_eval` of a string matched by `\d+\.?\d*`: an `int` (no leading zeros unless all zeros)
/// or a `float`; `None` where Python raises (leading-zero integers, non-ASCII digits).
pub fn literal_number(s: &str) -> Option<f64> {
    if !s.is_ascii() {
        return None;
    }
    if !s.contains('.') && s.len() > 1 && s.starts_with('0') && s.bytes().any(|b| b != b'0') {
        return None;
    }
    s.parse().ok()
}

/// Parse a single-grade judgment: the rating, or `None` (FastChat's `-1`).
pub fn parse_rating(judgment: &str) -> Option<f64> {
    let caps = ONE.iter().find_map(|re| re.captures(judgment))?;
    literal_number(caps.get(1)?.as_str())
}

/// Parse a pairwise `[[A]]/[[B]]/[[C]]` judgment (presented orientation); `None` = `error`.
pub fn parse_pair(judgment: &str) -> Option<Preference> {
    if judgment.contains("[[A]]") {
        Some(Preference::A)
    } else if judgment.contains("[[B]]") {
        Some(Preference::B)
    } else if judgment.contains("[[C]]") {
        Some(Preference::Tie)
    } else {
        None
    }
}

/// Parse a `[[rating_a,rating_b]]` judgment into the two ratings.
pub fn parse_two_scores(judgment: &str) -> Option<[f64; 2]> {
    let caps = TWO.iter().find_map(|re| re.captures(judgment))?;
    Some([
        literal_number(caps.get(1)?.as_str())?,
        literal_number(caps.get(2)?.as_str())?,
    ])
}

/// FastChat's rule for comparing two ratings: tie when `|a − b| ≤ 0.1`, else the higher one.
pub fn compare_ratings(a: f64, b: f64) -> Preference {
    if (a - b).abs() <= TIE_DELTA {
        Preference::Tie
    } else if a > b {
        Preference::A
    } else {
        Preference::B
    }
}

/// Combine the two games of a pairwise match. `g1` is in the match's orientation, `g2` as the judge
/// said it (it saw the answers swapped). `None` when either game is an error.
pub fn combine_games(
    g1: Option<Preference>,
    g2_presented: Option<Preference>,
) -> Option<Preference> {
    let g1 = g1?;
    let g2 = g2_presented?.swapped();
    if g1 == Preference::Tie || g1 != g2 {
        Some(Preference::Tie)
    } else {
        Some(g1)
    }
}

/// FastChat's judge prompt name for a question: `single-v1`, `single-math-v1`, `pair-v2`,
/// `pair-math-v1`, with `-multi-turn` for the second turn. Reference-guided ("math") prompts are used for
/// [`NEED_REF_CATS`].
pub fn prompt_name(pairwise: bool, category: Option<&str>, multi_turn: bool) -> String {
    let math = category.is_some_and(|c| NEED_REF_CATS.contains(&c));
    let base = match (pairwise, math) {
        (false, false) => "single-v1",
        (false, true) => "single-math-v1",
        (true, false) => "pair-v2",
        (true, true) => "pair-math-v1",
    };
    if multi_turn {
        format!("{base}-multi-turn")
    } else {
        base.to_owned()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ratings() {
        assert_eq!(parse_rating("Rating: [[7]]"), Some(7.0));
        assert_eq!(parse_rating("Rating: [[7.5]] and [[3]]"), Some(7.5));
        assert_eq!(parse_rating("[8] then [[3]]"), Some(3.0));
        assert_eq!(parse_rating("first [8] then [9]"), Some(8.0));
        assert_eq!(parse_rating("[[5.]]"), Some(5.0));
        assert_eq!(parse_rating("[[0]]"), Some(0.0));
        assert_eq!(parse_rating("[[00]]"), Some(0.0));
        assert_eq!(parse_rating("[[07]]"), None);
        assert_eq!(parse_rating("[[\u{0667}]]"), None);
        assert_eq!(parse_rating("Rating: 7/10"), None);
        assert_eq!(parse_rating("[[.5]]"), None);
        assert_eq!(parse_rating("[[ 7 ]]"), None);
    }

    #[test]
    fn pairs() {
        assert_eq!(parse_pair("[[B]] ... [[A]]"), Some(Preference::A));
        assert_eq!(parse_pair("[[C]] [[B]]"), Some(Preference::B));
        assert_eq!(parse_pair("[[C]]"), Some(Preference::Tie));
        assert_eq!(parse_pair("[[a]] [A]"), None);
        assert_eq!(parse_two_scores("[[8, 7.5]]"), Some([8.0, 7.5]));
        assert_eq!(parse_two_scores("[8,\u{1C}7]"), Some([8.0, 7.0]));
        assert_eq!(parse_two_scores("[[8,  7]]"), None);
        assert_eq!(compare_ratings(8.0, 7.95), Preference::Tie);
        assert_eq!(compare_ratings(8.0, 7.8), Preference::A);
    }

    #[test]
    fn games() {
        use Preference::*;
        assert_eq!(combine_games(Some(A), Some(B)), Some(A));
        assert_eq!(combine_games(Some(A), Some(A)), Some(Tie));
        assert_eq!(combine_games(Some(Tie), Some(Tie)), Some(Tie));
        assert_eq!(combine_games(Some(B), Some(Tie)), Some(Tie));
        assert_eq!(combine_games(None, Some(A)), None);
        assert_eq!(
            prompt_name(true, Some("coding"), true),
            "pair-math-v1-multi-turn"
        );
        assert_eq!(prompt_name(false, Some("writing"), false), "single-v1");
        assert_eq!(prompt_name(false, None, true), "single-v1-multi-turn");
    }
}
