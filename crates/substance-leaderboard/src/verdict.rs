//! Verdict extraction from recorded judge texts, used when a judgment file carries the text but no parsed
//! score. (Rendering judge prompts and calling judges is another crate's job; these are the importers'
//! fallbacks, exact to the reference rules.)

use std::sync::OnceLock;

use regex::Regex;

fn double_bracket() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\[\[([AB<>=]+)\]\]").unwrap_or_else(|_| unreachable_regex()))
}

fn single_bracket() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\[([AB<>=]+)\]").unwrap_or_else(|_| unreachable_regex()))
}

/// The patterns above are literals that compile; this is never reached. (Keeps `unwrap`/`panic` out.)
fn unreachable_regex() -> Regex {
    #[allow(clippy::unwrap_used)]
    Regex::new("$^").unwrap()
}

/// Arena-Hard v0.1 `get_score` (`gen_judgment.py` @0489bf3): all matches of `\[\[([AB<>=]+)\]\]`; exactly one
/// *distinct* label → that label; none or several distinct labels → `None`. (The reference asks the judge
/// again when there is none; a recorded text is final.)
pub fn parse_verdict_v01(judgment: &str) -> Option<String> {
    let matches: Vec<&str> = double_bracket()
        .captures_iter(judgment)
        .filter_map(|c| c.get(1).map(|m| m.as_str()))
        .filter(|m| !m.is_empty())
        .collect();
    let first = *matches.first()?;
    if matches.iter().all(|m| *m == first) {
        Some(first.trim_matches('\n').to_string())
    } else {
        None
    }
}

/// Arena-Hard v2 `get_score` (`gen_judgment.py` @196f6b8): on `judgment.upper()`, try `\[\[([AB<>=]+)\]\]`
/// then `\[([AB<>=]+)\]`; the **last** match of the first pattern that matches; `None` when neither does.
pub fn parse_verdict_v2(judgment: &str) -> Option<String> {
    let upper = judgment.to_uppercase();
    for re in [double_bracket(), single_bracket()] {
        let last = re
            .captures_iter(&upper)
            .filter_map(|c| c.get(1).map(|m| m.as_str()))
            .filter(|m| !m.is_empty())
            .last();
        if let Some(m) = last {
            return Some(m.trim_matches('\n').to_string());
        }
    }
    None
}

fn rating_double() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\[\[(\d+\.?\d*)\]\]").unwrap_or_else(|_| unreachable_regex()))
}

fn rating_single() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\[(\d+\.?\d*)\]").unwrap_or_else(|_| unreachable_regex()))
}

/// MT-Bench single-answer rating (`fastchat/llm_judge/common.py`, `run_judge_single`): the **first** match of
/// `\[\[(\d+\.?\d*)\]\]`, else of `\[(\d+\.?\d*)\]`, as a number; `None` (the reference's `-1`) otherwise.
///
/// Deviation: Python's `\d` and `ast.literal_eval` accept only what Python parses as a number literal; a
/// rating with leading zeros (`[[07]]`) makes the reference raise, and is read here as 7. Non-ASCII digits
/// (which `\d` matches in both engines but `literal_eval` rejects) give `None`.
pub fn parse_mt_bench_rating(judgment: &str) -> Option<f64> {
    let cap = rating_double()
        .captures(judgment)
        .or_else(|| rating_single().captures(judgment))?;
    let s = cap.get(1)?.as_str();
    if !s.is_ascii() {
        return None;
    }
    s.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v01_rules() {
        assert_eq!(parse_verdict_v01("... [[A>B]]").as_deref(), Some("A>B"));
        assert_eq!(
            parse_verdict_v01("[[A>B]] and again [[A>B]]").as_deref(),
            Some("A>B")
        );
        assert_eq!(parse_verdict_v01("[[A>B]] or [[B>A]]"), None);
        assert_eq!(parse_verdict_v01("no label"), None);
        assert_eq!(parse_verdict_v01("[[a>b]]"), None);
        assert_eq!(parse_verdict_v01("[A>B]"), None);
        assert_eq!(parse_verdict_v01("[[A<<B]]").as_deref(), Some("A<<B"));
    }

    #[test]
    fn v2_rules() {
        assert_eq!(
            parse_verdict_v2("[[a>b]] then [[b>a]]").as_deref(),
            Some("B>A")
        );
        assert_eq!(parse_verdict_v2("final: [A=B]").as_deref(), Some("A=B"));
        assert_eq!(parse_verdict_v2("[A>B] [[B>>A]]").as_deref(), Some("B>>A"));
        assert_eq!(parse_verdict_v2("none"), None);
    }

    #[test]
    fn mt_bench_ratings() {
        assert_eq!(parse_mt_bench_rating("Rating: [[7]]"), Some(7.0));
        assert_eq!(parse_mt_bench_rating("Rating: [[7.5]] [[3]]"), Some(7.5));
        assert_eq!(parse_mt_bench_rating("Rating: [6]"), Some(6.0));
        assert_eq!(parse_mt_bench_rating("[5] then [[8]]"), Some(8.0));
        assert_eq!(parse_mt_bench_rating("Rating: 7/10"), None);
        assert_eq!(parse_mt_bench_rating("[[10.]]"), Some(10.0));
    }
}
