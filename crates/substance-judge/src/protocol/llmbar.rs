//! LLMBar's output parsing (`LLMEvaluator/evaluate.py: completion_with_parsing`): the completion is
//! stripped (Python `str.strip()`), then each `(label, pattern)` of the evaluator's config is tried in
//! order with `re.search`; the first match gives the winner (`"1"` = Output (a), `"2"` = Output (b)),
//! none gives `None`. On the swapped game the reference reverses the parsed winner before storing it.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::label::Preference;
use crate::py;

/// Which evaluator family's patterns to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LlmBarParsing {
    /// `Vanilla*`, `Metrics*`, `Reference*` prompts: the answer is the first thing written,
    /// `(?:^|\n) ?Output \(a\)` / `(?:^|\n) ?Output \(b\)`.
    Vanilla,
    /// `CoT` and `Swap_CoT`: `Output \(a\) is better.` / `Output \(b\) is better.` (the `.` is a regex
    /// wildcard, as upstream).
    Cot,
}

impl LlmBarParsing {
    /// The two patterns, for Output (a) and Output (b), in the order they are tried.
    pub fn patterns(self) -> [&'static str; 2] {
        match self {
            LlmBarParsing::Vanilla => [r"(?:^|\n) ?Output \(a\)", r"(?:^|\n) ?Output \(b\)"],
            LlmBarParsing::Cot => [r"Output \(a\) is better.", r"Output \(b\) is better."],
        }
    }

    /// The parsing used by an LLMBar evaluator directory name (`Vanilla`, `CoT`, `Swap_CoT`, …).
    pub fn for_evaluator(name: &str) -> Self {
        if name.contains("CoT") {
            LlmBarParsing::Cot
        } else {
            LlmBarParsing::Vanilla
        }
    }
}

#[allow(clippy::expect_used)] // constant patterns, exercised by every test
static RES: LazyLock<[[Regex; 2]; 2]> = LazyLock::new(|| {
    [LlmBarParsing::Vanilla, LlmBarParsing::Cot]
        .map(|p| p.patterns().map(|s| Regex::new(s).expect("valid pattern")))
});

/// Parse a completion in the presented orientation: `A` = Output (a).
pub fn parse(completion: &str, parsing: LlmBarParsing) -> Option<Preference> {
    let text = py::strip(completion);
    let res = &RES[parsing as usize];
    if res[0].is_match(text) {
        Some(Preference::A)
    } else if res[1].is_match(text) {
        Some(Preference::B)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        use LlmBarParsing::*;
        assert_eq!(parse("Output (a)", Vanilla), Some(Preference::A));
        assert_eq!(parse("\n  Output (b)", Vanilla), Some(Preference::B)); // stripped first
        assert_eq!(parse("I pick\n Output (b)", Vanilla), Some(Preference::B));
        assert_eq!(parse("I pick Output (b)", Vanilla), None);
        assert_eq!(
            parse("Output (b) ... \nOutput (a)", Vanilla),
            Some(Preference::A)
        );
        assert_eq!(parse("So Output (b) is better.", Cot), Some(Preference::B));
        assert_eq!(parse("Output (a) is better!", Cot), Some(Preference::A));
        assert_eq!(parse("Output (a) is best.", Cot), None);
        assert_eq!(LlmBarParsing::for_evaluator("Swap_CoT"), Cot);
    }
}
