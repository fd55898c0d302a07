//! Generation tasks of lm-evaluation-harness: a task's `filter_list` re-applied to each sample's
//! logged `resps`, and `exact_match` re-scored from the result, as lm-eval 0.4.x does
//! (`filters/extraction.py`, `filters/selection.py`, `filters/transformation.py`,
//! `api/metrics.py::exact_match_hf_evaluate`).
//!
//! - `regex` (`RegexFilter`): Python's `findall` per response — the whole match without groups, the
//!   group with one, the tuple of groups with several — then the `group_select`-th (negative counts
//!   from the end), the first non-empty member of a tuple, stripped (Python's `str.strip`); no match or
//!   an empty tuple gives the `fallback` (default `[invalid]`).
//! - `take_first`, `lowercase`, `uppercase`. Any other filter (custom functions, `majority_vote`, …)
//!   makes the pipeline not checkable, and says so.
//! - `exact_match`: `regexes_to_ignore` removed in order from prediction and reference, then
//!   `ignore_case`, `ignore_punctuation` (ASCII `string.punctuation`), `ignore_numbers`; equal or not.
//!   Python's `$` also matches before a final newline: a pattern with an unescaped `$` is applied to the
//!   text without its final newline, which is put back (as Python leaves it).
//!
//! Patterns are compiled with the `regex` crate: Python syntax it does not accept (look-around,
//! back-references) makes the pipeline or metric not checkable rather than approximated.

use regex::Regex;
use serde_json::Value;

/// One step of a filter pipeline.
#[derive(Debug, Clone)]
enum Step {
    Regex {
        re: Regex,
        group_select: i64,
        fallback: String,
    },
    TakeFirst,
    Lowercase,
    Uppercase,
}

/// A `filter_list` entry's pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    steps: Vec<Step>,
}

/// Python's `str.strip()` (Unicode whitespace and the information separators).
fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// Compile a Python pattern; a `$` outside a class is flagged for the final-newline rule.
fn compile(pattern: &str) -> Result<(Regex, bool), String> {
    let re = Regex::new(pattern)
        .map_err(|e| format!("pattern `{pattern}` is not supported here: {e}"))?;
    let mut dollar = false;
    let mut escaped = false;
    let mut in_class = false;
    for c in pattern.chars() {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '[') => in_class = true,
            (false, ']') => in_class = false,
            (false, '$') if !in_class => dollar = true,
            _ => {}
        }
    }
    Ok((re, dollar))
}

impl Pipeline {
    /// The pipeline of one `filter_list` entry (`{"name": …, "filter": [{"function": …, …}]}`).
    pub fn from_config(entry: &Value) -> Result<Self, String> {
        let steps = entry
            .get("filter")
            .and_then(Value::as_array)
            .ok_or("the filter entry lists no functions")?;
        let mut out = Vec::new();
        for s in steps {
            let f = s.get("function").and_then(Value::as_str).unwrap_or("");
            out.push(match f {
                "regex" => {
                    let pattern = s
                        .get("regex_pattern")
                        .and_then(Value::as_str)
                        .unwrap_or(r"#### (\-?[0-9\.\,]+)");
                    let (re, _) = compile(pattern)?;
                    Step::Regex {
                        re,
                        group_select: s.get("group_select").and_then(Value::as_i64).unwrap_or(0),
                        fallback: s
                            .get("fallback")
                            .and_then(Value::as_str)
                            .unwrap_or("[invalid]")
                            .to_owned(),
                    }
                }
                "take_first" => Step::TakeFirst,
                "lowercase" => Step::Lowercase,
                "uppercase" => Step::Uppercase,
                other => return Err(format!("filter function `{other}` is not re-applied here")),
            });
        }
        Ok(Self { steps: out })
    }

    /// The pipeline applied to one doc's `resps` (one list of generations per request); `None` when
    /// the responses are not text.
    pub fn apply(&self, resps: &[Value]) -> Option<Vec<Value>> {
        let mut cur: Vec<Value> = resps.to_vec();
        for step in &self.steps {
            cur = match step {
                Step::TakeFirst => cur
                    .into_iter()
                    .map(|inst| match inst {
                        Value::Array(a) => a.into_iter().next().unwrap_or(Value::Null),
                        other => other,
                    })
                    .collect(),
                Step::Lowercase | Step::Uppercase => {
                    let upper = matches!(step, Step::Uppercase);
                    cur.into_iter()
                        .map(|inst| {
                            map_strings(inst, &|s| {
                                if upper {
                                    s.to_uppercase()
                                } else {
                                    s.to_lowercase()
                                }
                            })
                        })
                        .collect::<Option<Vec<_>>>()?
                }
                Step::Regex {
                    re,
                    group_select,
                    fallback,
                } => cur
                    .into_iter()
                    .map(|inst| {
                        map_strings(inst, &|s| regex_filter(re, *group_select, fallback, s))
                    })
                    .collect::<Option<Vec<_>>>()?,
            };
        }
        Some(cur)
    }
}

/// Apply `f` to each string of an instance (a list of responses, or one response).
fn map_strings(inst: Value, f: &dyn Fn(&str) -> String) -> Option<Value> {
    match inst {
        Value::Array(a) => a
            .into_iter()
            .map(|r| r.as_str().map(|s| Value::String(f(s))))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array),
        Value::String(s) => Some(Value::String(f(&s))),
        _ => None,
    }
}

/// `RegexFilter.apply` on one response.
fn regex_filter(re: &Regex, group_select: i64, fallback: &str, resp: &str) -> String {
    let groups = re.captures_len() - 1;
    // findall: one entry per match
    let found: Vec<Vec<&str>> = re
        .captures_iter(resp)
        .map(|c| match groups {
            0 => vec![c.get(0).map_or("", |m| m.as_str())],
            n => (1..=n)
                .map(|i| c.get(i).map_or("", |m| m.as_str()))
                .collect(),
        })
        .collect();
    if found.is_empty() {
        return fallback.to_owned();
    }
    let n = found.len() as i64;
    let i = if group_select < 0 {
        n + group_select
    } else {
        group_select
    };
    // Python raises IndexError here; lm-eval would crash: keep the fallback
    let Some(pick) = usize::try_from(i).ok().and_then(|i| found.get(i)) else {
        return fallback.to_owned();
    };
    let chosen = if groups > 1 {
        match pick.iter().find(|m| !m.is_empty()) {
            Some(m) => m,
            None => return fallback.to_owned(),
        }
    } else {
        pick[0]
    };
    py_strip(chosen).to_owned()
}

/// `exact_match`'s options (the task's `metric_list` entry).
#[derive(Debug, Clone)]
pub struct ExactMatch {
    ignore: Vec<(Regex, bool)>,
    ignore_case: bool,
    ignore_punctuation: bool,
    ignore_numbers: bool,
}

impl ExactMatch {
    /// From a `metric_list` entry (`{"metric": "exact_match", "ignore_case": …, …}`).
    pub fn from_config(entry: &Value) -> Result<Self, String> {
        let flag = |k: &str| entry.get(k).and_then(Value::as_bool).unwrap_or(false);
        let ignore = match entry.get("regexes_to_ignore") {
            Some(Value::Array(a)) => a
                .iter()
                .map(|p| compile(p.as_str().unwrap_or("")))
                .collect::<Result<Vec<_>, _>>()?,
            _ => Vec::new(),
        };
        Ok(Self {
            ignore,
            ignore_case: flag("ignore_case"),
            ignore_punctuation: flag("ignore_punctuation"),
            ignore_numbers: flag("ignore_numbers"),
        })
    }

    fn prep(&self, s: &str) -> String {
        let mut t = s.to_owned();
        for (re, dollar) in &self.ignore {
            t = match t.strip_suffix('\n') {
                Some(body) if *dollar => format!("{}\n", re.replace_all(body, "")),
                _ => re.replace_all(&t, "").into_owned(),
            };
        }
        if self.ignore_case {
            t = t.to_lowercase();
        }
        if self.ignore_punctuation {
            t.retain(|c| !substance_metrics::extract::ASCII_PUNCTUATION.contains(c));
        }
        if self.ignore_numbers {
            t.retain(|c| !c.is_ascii_digit());
        }
        t
    }

    /// 1.0 when the prediction equals the reference after the options, else 0.0.
    pub fn score(&self, prediction: &str, reference: &str) -> f64 {
        if self.prep(prediction) == self.prep(reference) {
            1.0
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn gsm8k_filters_and_metric() {
        let strict = Pipeline::from_config(&json!({"name": "strict-match", "filter": [
            {"function": "regex", "regex_pattern": "#### (\\-?[0-9\\.\\,]+)"}, {"function": "take_first"}]}))
        .unwrap_or_else(|e| panic!("{e}"));
        let flex = Pipeline::from_config(&json!({"name": "flexible-extract", "filter": [
            {"function": "regex", "group_select": -1, "regex_pattern": "(-?[$0-9.,]{2,})|(-?[0-9]+)"},
            {"function": "take_first"}]}))
        .unwrap_or_else(|e| panic!("{e}"));
        let resps = json!([[" so 3 + 4 = 7 apples.\n#### 7\n\n"]]);
        let resps = resps.as_array().map(Vec::as_slice).unwrap_or(&[]);
        assert_eq!(strict.apply(resps), Some(vec![json!("7")]));
        assert_eq!(flex.apply(resps), Some(vec![json!("7")]));
        let none = json!([["no number at all"]]);
        let none = none.as_array().map(Vec::as_slice).unwrap_or(&[]);
        assert_eq!(strict.apply(none), Some(vec![json!("[invalid]")]));
        let em = ExactMatch::from_config(&json!({"metric": "exact_match", "ignore_case": true,
            "regexes_to_ignore": [",", "\\$", "(?s).*#### ", "\\.$"]}))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(em.score("1,000", "So it is $1000.\n#### 1,000"), 1.0);
        // Python's `$` before a final newline: "5.\n" loses its dot, keeps the newline
        assert_eq!(em.prep("5.\n"), "5\n");
        assert_eq!(em.score("6", "#### 5"), 0.0);
        assert!(
            Pipeline::from_config(&json!({"filter": [{"function": "majority_vote"}]})).is_err()
        );
        assert!(ExactMatch::from_config(&json!({"regexes_to_ignore": ["(?<=a)b"]})).is_err());
    }
}
