//! NLTK's `word_tokenize` (Punkt sentences, then the improved Treebank word tokenizer).
//!
//! Re-implements the behaviour of nltk 3.8.x `NLTKWordTokenizer.tokenize` (the regex cascade:
//! starting quotes, punctuation, brackets, double dashes, ending quotes, MacIntyre contractions)
//! applied to each Punkt sentence. `change_case:capital_word_frequency` only counts tokens for which
//! `str.isupper()` holds, so what matters is where cased text is split (contractions such as
//! `DON'T` → `DO` `N'T`, `CANNOT` → `CAN` `NOT`, punctuation such as `A,B` → `A` `,` `B`).
//!
//! Patterns that need look-around or Python's `\b` are implemented by hand with Python's word
//! character class ([`crate::pystr::is_word`]).

use std::sync::OnceLock;

use regex::{Captures, Regex};

use crate::{punkt, pystr};

struct Rules {
    starting: Vec<(Regex, &'static str)>,
    punctuation: Vec<(Regex, &'static str)>,
    parens: Regex,
    double_dash: Regex,
    ending: Vec<(Regex, &'static str)>,
    /// CONTRACTIONS2 without their `\b`s: (pattern, needs a boundary at the end, needs
    /// whitespace after instead).
    contractions2: Vec<(Regex, EndRule)>,
    contractions3: Vec<Regex>,
}

#[derive(Clone, Copy)]
enum EndRule {
    Boundary,
    FollowedBySpace,
}

fn rules() -> &'static Rules {
    static R: OnceLock<Rules> = OnceLock::new();
    R.get_or_init(|| {
        let c = pystr::compile;
        let s = pystr::PY_S;
        Rules {
            starting: vec![
                (c(r"([«“‘„]|`+)"), " $1 "),
                (c(r#"^""#), "``"),
                (c(r"(``)"), " $1 "),
                (c(r#"([ (\[{<])("|'')"#), "$1 `` "),
            ],
            punctuation: vec![
                (
                    c(&format!(r#"([^.])(\.)([\])}}>"'»”’ ]*){s}*\z"#)),
                    "$1 $2 $3 ",
                ),
                (c(r"([:,])([^\d])"), " $1 $2"),
                (c(r"([:,])(\n?)\z"), " $1 $2"),
                (c(r"\.{2,}"), " $0 "),
                (c(r"[;@#$%&]"), " $0 "),
                (c(&format!(r#"([^.])(\.)([\])}}>"']*){s}*\z"#)), "$1 $2$3 "),
                (c(r"[?!]"), " $0 "),
                (c(r"([^'])' "), "$1 ' "),
                (c(r"[*]"), " $0 "),
            ],
            parens: c(r"[\]\[(){}<>]"),
            double_dash: c(r"--"),
            ending: vec![
                (c(r"([»”’])"), " $1 "),
                (c(r"''"), " '' "),
                (c(r#"""#), " '' "),
                (c(r"([^' ])('[sS]|'[mM]|'[dD]|') "), "$1 $2 "),
                (c(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), "$1 $2 "),
            ],
            contractions2: vec![
                (c(r"(?i)(can)(not)"), EndRule::Boundary),
                (c(r"(?i)(d)('ye)"), EndRule::Boundary),
                (c(r"(?i)(gim)(me)"), EndRule::Boundary),
                (c(r"(?i)(gon)(na)"), EndRule::Boundary),
                (c(r"(?i)(got)(ta)"), EndRule::Boundary),
                (c(r"(?i)(lem)(me)"), EndRule::Boundary),
                (c(r"(?i)(more)('n)"), EndRule::Boundary),
                (c(r"(?i)(wan)(na)"), EndRule::FollowedBySpace),
            ],
            contractions3: vec![c(r"(?i) ('t)(is)"), c(r"(?i) ('t)(was)")],
        }
    })
}

/// `re.sub` of a regex whose match must also satisfy Python's `\b` at its start (when
/// `start_boundary`) and the `end` rule, retrying one character later when it does not (as a
/// backtracking engine would).
fn sub_bounded(
    text: &str,
    re: &Regex,
    start_boundary: bool,
    end: Option<EndRule>,
    rep: impl Fn(&Captures<'_>) -> String,
) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut copied = 0;
    let mut from = 0;
    while from <= text.len() {
        let Some(caps) = re.captures_at(text, from) else {
            break;
        };
        let Some(m) = caps.get(0) else { break };
        let ok_start = !start_boundary || pystr::is_word_boundary(text, m.start());
        let ok_end = match end {
            None => true,
            Some(EndRule::Boundary) => pystr::is_word_boundary(text, m.end()),
            Some(EndRule::FollowedBySpace) => {
                text[m.end()..].chars().next().is_some_and(pystr::is_space)
            }
        };
        if ok_start && ok_end && !m.is_empty() {
            out.push_str(&text[copied..m.start()]);
            out.push_str(&rep(&caps));
            copied = m.end();
            from = m.end();
        } else {
            // Next character after the match start.
            match text[m.start()..].chars().next() {
                Some(c) => from = m.start() + c.len_utf8(),
                None => break,
            }
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// `(?i)(\')(?!re|ve|ll|m|t|s|d|n)(\w)\b` → `\1 \2`: an apostrophe before a one-character word
/// that is not one of the contraction letters gets separated.
fn split_quote_letter(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\''
            && let Some(&w) = chars.get(i + 1)
            && pystr::is_word(w)
            && !chars.get(i + 2).copied().is_some_and(pystr::is_word)
            && !matches!(
                w,
                'm' | 't' | 's' | 'd' | 'n' | 'M' | 'T' | 'S' | 'D' | 'N' | 'ſ'
            )
        {
            out.push('\'');
            out.push(' ');
            out.push(w);
            i += 2;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// `NLTKWordTokenizer().tokenize(sentence)`.
pub(crate) fn treebank_tokenize(sentence: &str) -> Vec<String> {
    let r = rules();
    let mut text = sentence.to_owned();
    for (re, rep) in &r.starting {
        text = re.replace_all(&text, *rep).into_owned();
    }
    text = split_quote_letter(&text);
    for (re, rep) in &r.punctuation {
        text = re.replace_all(&text, *rep).into_owned();
    }
    text = r.parens.replace_all(&text, " $0 ").into_owned();
    text = r.double_dash.replace_all(&text, " -- ").into_owned();
    text = format!(" {text} ");
    for (re, rep) in &r.ending {
        text = re.replace_all(&text, *rep).into_owned();
    }
    let pair = |caps: &Captures<'_>| {
        format!(
            " {} {} ",
            caps.get(1).map_or("", |m| m.as_str()),
            caps.get(2).map_or("", |m| m.as_str())
        )
    };
    for (re, end) in &r.contractions2 {
        text = sub_bounded(&text, re, true, Some(*end), pair);
    }
    for re in &r.contractions3 {
        text = sub_bounded(&text, re, false, Some(EndRule::Boundary), pair);
    }
    pystr::split_whitespace(&text).map(str::to_owned).collect()
}

/// `nltk.word_tokenize(text)`.
pub(crate) fn word_tokenize(text: &str) -> Vec<String> {
    punkt::sentences(text)
        .iter()
        .flat_map(|s| treebank_tokenize(s))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn treebank_examples() {
        assert_eq!(
            treebank_tokenize(
                "Good muffins cost $3.88 (roughly 3,36 euros)\nin New York.  Please buy me\ntwo of them.\nThanks."
            ),
            [
                "Good", "muffins", "cost", "$", "3.88", "(", "roughly", "3,36", "euros", ")", "in",
                "New", "York.", "Please", "buy", "me", "two", "of", "them.", "Thanks", "."
            ]
        );
        assert_eq!(
            treebank_tokenize("I CANNOT believe they DON'T know 'bout it, can't they?"),
            [
                "I", "CAN", "NOT", "believe", "they", "DO", "N'T", "know", "'bout", "it", ",",
                "ca", "n't", "they", "?"
            ]
        );
        assert_eq!(
            treebank_tokenize("\"Hello,\" she said: 'x' -- wanna go"),
            [
                "``", "Hello", ",", "''", "she", "said", ":", "'", "x", "'", "--", "wan", "na",
                "go"
            ]
        );
    }

    #[test]
    fn word_tokenize_splits_sentences_first() {
        assert_eq!(
            word_tokenize("Hi there. It WORKS!"),
            ["Hi", "there", ".", "It", "WORKS", "!"]
        );
    }
}
