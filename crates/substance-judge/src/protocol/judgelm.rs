//! JudgeLM (SPEC §3): the prompt layout (pair, with reference, multi-answer, single-answer grading), score
//! parsing and the win label.
//!
//! Reproduced behaviour:
//! - **Layout** (`conv_judge_pair`): `[Question]\n{q}\n\n` [+ `[Reference Answer]\n{ref}\n\n`] + for each
//!   answer `[The Start of Assistant {i}'s Answer]\n{a_i}\n\n[The End of Assistant {i}'s Answer]\n\n` +
//!   `[System]\n{prompt}\n\n` + `### Response:`. The `{prompt}` texts shipped are substance's own wording
//!   (see `data/prompts/judgelm.toml`).
//! - **Parsing** (`parse_score`): first line (split on `\n`), `,` → space, split on a single space; exactly
//!   N tokens (2 for a pair) each read with Python's `float()`; otherwise the sentinel `[-1, -1]`
//!   (here `None`).
//! - **Win label** (`translate_score_to_win_list`, `T = 0`): `+1` if `s1 − s2 > T`, `−1` if `s2 − s1 > T`,
//!   else `0` — so an unparsable output counts as a tie, as in the reference.

use crate::label::Preference;
use crate::py;

/// Marker that ends the JudgeLM prompt; the model continues after it.
pub const RESPONSE_MARKER: &str = "### Response:";

/// Render the JudgeLM prompt text (without the trailing [`RESPONSE_MARKER`]).
pub fn layout(question: &str, reference: Option<&str>, answers: &[&str], prompt: &str) -> String {
    let mut s = String::with_capacity(question.len() + prompt.len() + 256);
    s.push_str("[Question]\n");
    s.push_str(question);
    s.push_str("\n\n");
    if let Some(r) = reference {
        s.push_str("[Reference Answer]\n");
        s.push_str(r);
        s.push_str("\n\n");
    }
    for (i, a) in answers.iter().enumerate() {
        let n = i + 1;
        s.push_str(&format!("[The Start of Assistant {n}'s Answer]\n"));
        s.push_str(a);
        s.push_str(&format!("\n\n[The End of Assistant {n}'s Answer]\n\n"));
    }
    s.push_str("[System]\n");
    s.push_str(prompt);
    s.push_str("\n\n");
    s
}

/// The completion-style prompt for a local JudgeLM model: [`layout`] followed by `### Response:`.
/// For single-answer grading (`prefill = Some(10)`), the reference goes in as Assistant 1 and the
/// response is pre-filled with its score, so the model only emits Assistant 2's score.
pub fn completion_prompt(text: &str, prefill: Option<u32>) -> String {
    match prefill {
        Some(p) => format!("{text}{RESPONSE_MARKER}{p}"),
        None => format!("{text}{RESPONSE_MARKER}"),
    }
}

/// `parse_score` generalised to `n` answers: `None` where the reference returns `[-1, …]`.
pub fn parse_scores(review: &str, n: usize) -> Option<Vec<f64>> {
    let first = review.split('\n').next().unwrap_or("");
    let line = first.replace(',', " ");
    let tokens: Vec<&str> = line.split(' ').collect();
    if tokens.len() != n {
        return None;
    }
    tokens.into_iter().map(py::float).collect()
}

/// `parse_score` for a pair.
pub fn parse_pair(review: &str) -> Option<[f64; 2]> {
    let v = parse_scores(review, 2)?;
    Some([v[0], v[1]])
}

/// `translate_score_to_win_list` for one pair: A if `s1 − s2 > t`, B if `s2 − s1 > t`, else tie
/// (NaN scores give a tie, as in Python).
pub fn win_label(s1: f64, s2: f64, t: f64) -> Preference {
    if s1 - s2 > t {
        Preference::A
    } else if s2 - s1 > t {
        Preference::B
    } else {
        Preference::Tie
    }
}

/// The reference's reading of a review, parse failures included: `[-1, -1]` → tie.
pub fn review_label(review: &str) -> Preference {
    match parse_pair(review) {
        Some([a, b]) => win_label(a, b, 0.0),
        None => Preference::Tie,
    }
}

/// JudgeLM swap augmentation on a target text: the two leading numbers of the first line exchanged and
/// the strings `Assistant 1` ↔ `Assistant 2` exchanged everywhere else. `None` when the first line is not
/// a score pair.
pub fn swap_review(review: &str) -> Option<String> {
    let (first, rest) = match review.split_once('\n') {
        Some((f, r)) => (f, Some(r)),
        None => (review, None),
    };
    let line = first.replace(',', " ");
    let tokens: Vec<&str> = line.split(' ').collect();
    if tokens.len() != 2 || tokens.iter().any(|t| py::float(t).is_none()) {
        return None;
    }
    let mut out = format!("{} {}", tokens[1], tokens[0]);
    if let Some(r) = rest {
        out.push('\n');
        out.push_str(
            &r.replace("Assistant 1", "\u{0}ASSISTANT_ONE\u{0}")
                .replace("Assistant 2", "Assistant 1")
                .replace("\u{0}ASSISTANT_ONE\u{0}", "Assistant 2"),
        );
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parse_like_reference() {
        assert_eq!(parse_pair("8 9\nbecause"), Some([8.0, 9.0]));
        assert_eq!(parse_pair("8,9"), Some([8.0, 9.0]));
        assert_eq!(parse_pair("8, 9"), None); // "8  9" splits into three tokens
        assert_eq!(parse_pair("8 9 "), None);
        assert_eq!(parse_pair(" 8 9"), None);
        assert_eq!(parse_pair("8\t9"), None);
        assert_eq!(parse_pair("8 9\r\nx"), Some([8.0, 9.0])); // float() strips the \r
        assert_eq!(parse_pair("Scores: 8 9"), None);
        assert_eq!(parse_pair("1e1 7.5"), Some([10.0, 7.5]));
        assert_eq!(parse_pair(""), None);
        assert_eq!(review_label("garbage"), Preference::Tie);
        assert_eq!(review_label("7 9"), Preference::B);
        let nan = parse_pair("nan 3").unwrap();
        assert_eq!(win_label(nan[0], nan[1], 0.0), Preference::Tie);
        assert_eq!(parse_scores("7 8 9\nx", 3), Some(vec![7.0, 8.0, 9.0]));
    }

    #[test]
    fn layout_matches_spec() {
        let t = layout("Q", None, &["a1", "a2"], "P");
        assert_eq!(
            t,
            "[Question]\nQ\n\n[The Start of Assistant 1's Answer]\na1\n\n[The End of Assistant 1's Answer]\n\n\
             [The Start of Assistant 2's Answer]\na2\n\n[The End of Assistant 2's Answer]\n\n[System]\nP\n\n"
        );
        let t = layout("Q", Some("R"), &["a1", "a2"], "P");
        assert!(
            t.starts_with("[Question]\nQ\n\n[Reference Answer]\nR\n\n[The Start of Assistant 1's")
        );
        assert!(completion_prompt(&t, None).ends_with("[System]\nP\n\n### Response:"));
        assert!(completion_prompt(&t, Some(10)).ends_with("### Response:10"));
    }

    #[test]
    fn swap_augmentation() {
        assert_eq!(
            swap_review("8 6\nAssistant 1 is precise; Assistant 2 rambles.").unwrap(),
            "6 8\nAssistant 2 is precise; Assistant 1 rambles."
        );
        assert_eq!(swap_review("no scores"), None);
    }
}
