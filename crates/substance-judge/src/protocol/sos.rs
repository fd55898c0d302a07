//! SOS-Bench's explicit-criteria ("five-factor") judge (SPEC §1.4): per-factor extraction with the 2024
//! and 2025 regexes, plus the overall `[[…]]` label with the Arena-Hard v0.1 rule.
//!
//! Reproduced behaviour (`utils.write_with_subscores` in the authors' Arena-Hard fork): for each factor,
//! `re.search` of the factor pattern on the game's judgment; the **first** match's label, `''` when there
//! is none. The 2024 pattern is `Factor: \(\(([AB<>=]+)\)\)`; the 2025 pattern also accepts bold factor
//! names and a full-width colon, `(?:\*\*)?Factor(?:\*\*)?\s*(?::|：)\s*\(\(([AB<>=]+)\)\)` (with `\s` as
//! Python's). Factor names are case-sensitive, as upstream.
//!
//! Per-factor leaderboards (`show_result.py --target-metric <factor>_score`) run the v0.1 battle
//! construction on the factor label instead of the overall one: feed each game's factor label to
//! [`super::arena::v01_battle`] (an empty label drops the game, as an unknown one does upstream).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::label::Factor;
use crate::py::PY_SPACE;

/// Which generation of the factor regexes to apply.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum FactorRegex {
    /// `Factor: ((label))` (August 2024).
    #[default]
    Sos2024,
    /// Optional `**` around the name, any whitespace, `:` or `：` (2025).
    Sos2025,
}

impl FactorRegex {
    /// The Python pattern for one factor.
    pub fn pattern(self, factor: Factor) -> String {
        let name = factor.title();
        match self {
            FactorRegex::Sos2024 => format!(r"{name}: \(\(([AB<>=]+)\)\)"),
            FactorRegex::Sos2025 => {
                format!(r"(?:\*\*)?{name}(?:\*\*)?{PY_SPACE}*(?::|：){PY_SPACE}*\(\(([AB<>=]+)\)\)")
            }
        }
    }
}

#[allow(clippy::expect_used)] // constant patterns, exercised by every test
static REGEXES: LazyLock<BTreeMap<(FactorRegex, Factor), Regex>> = LazyLock::new(|| {
    let mut m = BTreeMap::new();
    for r in [FactorRegex::Sos2024, FactorRegex::Sos2025] {
        for f in Factor::ALL {
            m.insert((r, f), Regex::new(&r.pattern(f)).expect("valid pattern"));
        }
    }
    m
});

/// Extract one factor label (first match; `""` when absent, as the reference writes it).
pub fn extract_factor(judgment: &str, factor: Factor, regex: FactorRegex) -> String {
    REGEXES
        .get(&(regex, factor))
        .and_then(|re| re.captures(judgment))
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default()
}

/// Extract all five factor labels.
pub fn extract_factors(judgment: &str, regex: FactorRegex) -> BTreeMap<Factor, String> {
    Factor::ALL
        .into_iter()
        .map(|f| (f, extract_factor(judgment, f, regex)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_generations() {
        let text = "Correctness: ((A>>B)). Completeness: ((A=B)).\n**Safety**： ((B>A))\nConciseness:((A>B))\n\
                    Style: ((B>>A)) Style: ((A=B)) My final verdict is tie: [[A=B]]";
        let f24 = extract_factors(text, FactorRegex::Sos2024);
        assert_eq!(f24[&Factor::Correctness], "A>>B");
        assert_eq!(f24[&Factor::Completeness], "A=B");
        assert_eq!(f24[&Factor::Safety], "");
        assert_eq!(f24[&Factor::Conciseness], "");
        assert_eq!(f24[&Factor::Style], "B>>A");
        let f25 = extract_factors(text, FactorRegex::Sos2025);
        assert_eq!(f25[&Factor::Safety], "B>A");
        assert_eq!(f25[&Factor::Conciseness], "A>B");
        assert_eq!(f25[&Factor::Style], "B>>A");
        assert_eq!(
            extract_factor(
                "correctness: ((A>B))",
                Factor::Correctness,
                FactorRegex::Sos2025
            ),
            ""
        );
        assert_eq!(
            extract_factor(
                "**Correctness**\u{1F}:\u{1C}((A>B))",
                Factor::Correctness,
                FactorRegex::Sos2025
            ),
            "A>B"
        );
    }
}
