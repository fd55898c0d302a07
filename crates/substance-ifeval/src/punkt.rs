//! Punkt sentence segmentation with NLTK's pretrained English model.
//!
//! A re-implementation of the *behaviour* of NLTK's `PunktSentenceTokenizer.tokenize` (nltk 3.8.x,
//! the releases that still loaded `tokenizers/punkt/english.pickle`, which upstream IFEval uses)
//! with the parameters of `punkt_tab/english` (same model, shipped as tables in
//! `data/punkt_english.tsv`). The pipeline is the same as NLTK's:
//!
//! 1. find every `.`, `?`, `!` followed by a non-word character or by whitespace and a token
//!    (the "period context"), together with the word before it;
//! 2. for each context, split it into Punkt word tokens, annotate them (first pass: sentence-end
//!    characters, ellipses, known abbreviations; second pass: collocations, the orthographic
//!    heuristic, frequent sentence starters, initials and ordinals) and break there if any token but
//!    the last is a sentence break;
//! 3. realign closing quotes and brackets that follow a break onto the previous sentence.
//!
//! All positions are character (code point) offsets, as in Python.
//!
//! Deviation: nltk ≥ 3.9 added curly quotes and guillemets to the realignment and non-word
//! character sets; this module follows the 3.8 sets (ASCII only), which is what produced the
//! reference IFEval results.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use regex::Regex;

use crate::pystr;

const PUNKT_TSV: &str = include_str!("../data/punkt_english.tsv");

const ORTHO_BEG_UC: u32 = 1 << 1;
const ORTHO_MID_UC: u32 = 1 << 2;
const ORTHO_UNK_UC: u32 = 1 << 3;
const ORTHO_BEG_LC: u32 = 1 << 4;
const ORTHO_MID_LC: u32 = 1 << 5;
const ORTHO_UNK_LC: u32 = 1 << 6;
const ORTHO_UC: u32 = ORTHO_BEG_UC | ORTHO_MID_UC | ORTHO_UNK_UC;
const ORTHO_LC: u32 = ORTHO_BEG_LC | ORTHO_MID_LC | ORTHO_UNK_LC;

/// The trained Punkt parameters.
struct Params {
    abbrev_types: HashSet<String>,
    collocations: HashSet<(String, String)>,
    sent_starters: HashSet<String>,
    ortho_context: HashMap<String, u32>,
}

fn params() -> &'static Params {
    static P: OnceLock<Params> = OnceLock::new();
    P.get_or_init(|| {
        let mut p = Params {
            abbrev_types: HashSet::new(),
            collocations: HashSet::new(),
            sent_starters: HashSet::new(),
            ortho_context: HashMap::new(),
        };
        let mut section = "";
        // Lines before the first `[section]` are comments; keys may start with `#`.
        for line in PUNKT_TSV.lines() {
            if line.is_empty() {
                continue;
            }
            if line.starts_with('[') && line.ends_with(']') {
                section = line;
                continue;
            }
            match section {
                "[abbrev_types]" => {
                    p.abbrev_types.insert(line.to_owned());
                }
                "[sent_starters]" => {
                    p.sent_starters.insert(line.to_owned());
                }
                "[collocations]" => {
                    if let Some((a, b)) = line.split_once('\t') {
                        p.collocations.insert((a.to_owned(), b.to_owned()));
                    }
                }
                "[ortho_context]" => {
                    if let Some((k, v)) = line.rsplit_once('\t')
                        && let Ok(v) = v.parse()
                    {
                        p.ortho_context.insert(k.to_owned(), v);
                    }
                }
                _ => {}
            }
        }
        p
    })
}

fn numeric_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| pystr::compile(r"^-?[.,]?\d[\d,.\-]*\.?$"))
}

/// Python's `string.whitespace` (ASCII only), used by `_get_last_whitespace_index`.
fn is_ascii_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{0b}' | '\u{0c}')
}

fn is_sent_end(c: char) -> bool {
    matches!(c, '.' | '?' | '!')
}

/// `_re_non_word_chars`: characters that cannot appear within words.
fn is_non_word(c: char) -> bool {
    matches!(
        c,
        ')' | '"' | ';' | '}' | ']' | '*' | ':' | '@' | '\'' | '(' | '{' | '[' | '!' | '?'
    )
}

/// Characters excluded from starting a word token (`_re_word_start` is their complement).
fn is_bad_word_start(c: char) -> bool {
    matches!(
        c,
        '(' | '"'
            | '`'
            | '{'
            | '['
            | ':'
            | ';'
            | '&'
            | '#'
            | '*'
            | '@'
            | ')'
            | '}'
            | ']'
            | '-'
            | ','
    )
}

/// Length of `_re_multi_char_punct` (`-{2,}|\.{2,}|(?:\.\s){2,}\.`) matched at `i`, if any.
fn multi_char_at(s: &[char], i: usize) -> Option<usize> {
    let at = |k: usize| s.get(k).copied();
    if at(i) == Some('-') && at(i + 1) == Some('-') {
        let mut j = i;
        while at(j) == Some('-') {
            j += 1;
        }
        return Some(j - i);
    }
    if at(i) == Some('.') && at(i + 1) == Some('.') {
        let mut j = i;
        while at(j) == Some('.') {
            j += 1;
        }
        return Some(j - i);
    }
    // (?:\.\s){2,}\.  — greedy pairs, then backtrack until a '.' follows.
    let mut pairs = 0;
    let mut j = i;
    while at(j) == Some('.') && at(j + 1).is_some_and(pystr::is_space) {
        pairs += 1;
        j += 2;
    }
    let mut k = pairs;
    while k >= 2 {
        let end = i + 2 * k;
        if at(end) == Some('.') {
            return Some(end + 1 - i);
        }
        k -= 1;
    }
    None
}

/// Punkt's word tokenizer (`PunktLanguageVars.word_tokenize`) on one line.
fn word_tokenize_line(line: &[char]) -> Vec<String> {
    let mut out = Vec::new();
    let n = line.len();
    let mut i = 0;
    while i < n {
        let c = line[i];
        if pystr::is_space(c) {
            i += 1;
            continue;
        }
        if let Some(len) = multi_char_at(line, i) {
            out.push(line[i..i + len].iter().collect());
            i += len;
            continue;
        }
        if !is_bad_word_start(c) {
            // \S+? up to the first position where a word end is seen.
            let is_end = |j: usize| -> bool {
                if j >= n {
                    return true;
                }
                let d = line[j];
                if pystr::is_space(d) || is_non_word(d) || multi_char_at(line, j).is_some() {
                    return true;
                }
                if d == ',' {
                    return j + 1 >= n
                        || pystr::is_space(line[j + 1])
                        || is_non_word(line[j + 1])
                        || multi_char_at(line, j + 1).is_some();
                }
                false
            };
            let mut j = i + 1;
            while !is_end(j) {
                j += 1;
            }
            out.push(line[i..j].iter().collect());
            i = j;
            continue;
        }
        out.push(c.to_string());
        i += 1;
    }
    out
}

/// One annotated Punkt token.
struct Token {
    tok: String,
    typ: String,
    period_final: bool,
    sentbreak: bool,
    abbr: bool,
    ellipsis: bool,
}

impl Token {
    fn new(tok: String) -> Self {
        let lower = pystr::lower(&tok);
        let typ = if numeric_re().is_match(&lower) {
            "##number##".to_owned()
        } else {
            lower
        };
        let period_final = tok.ends_with('.');
        Token {
            tok,
            typ,
            period_final,
            sentbreak: false,
            abbr: false,
            ellipsis: false,
        }
    }

    fn type_no_period(&self) -> &str {
        if self.typ.chars().count() > 1 && self.typ.ends_with('.') {
            &self.typ[..self.typ.len() - 1]
        } else {
            &self.typ
        }
    }

    fn type_no_sentperiod(&self) -> &str {
        if self.sentbreak {
            self.type_no_period()
        } else {
            &self.typ
        }
    }

    fn first_char(&self) -> Option<char> {
        self.tok.chars().next()
    }

    fn first_upper(&self) -> bool {
        self.first_char()
            .is_some_and(|c| pystr::is_upper(c.encode_utf8(&mut [0; 4])))
    }

    fn first_lower(&self) -> bool {
        self.first_char()
            .is_some_and(|c| pystr::is_lower(c.encode_utf8(&mut [0; 4])))
    }

    /// `\.\.+$` matched at the start.
    fn is_ellipsis(&self) -> bool {
        self.tok.len() >= 2 && self.tok.chars().all(|c| c == '.')
    }

    /// `[^\W\d]\.$` matched at the start: one letter-like character and a period.
    fn is_initial(&self) -> bool {
        let mut cs = self.tok.chars();
        match (cs.next(), cs.next(), cs.next()) {
            (Some(c), Some('.'), None) => pystr::is_word(c) && !is_decimal(c),
            _ => false,
        }
    }
}

/// Python's `\d` (Unicode decimal digit, category Nd) for one character.
fn is_decimal(c: char) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    RE.get_or_init(|| pystr::compile(r"^\d$"))
        .is_match(c.encode_utf8(&mut [0; 4]))
}

fn first_pass(t: &mut Token, p: &Params) {
    let tok = t.tok.as_str();
    if tok == "." || tok == "?" || tok == "!" {
        t.sentbreak = true;
    } else if t.is_ellipsis() {
        t.ellipsis = true;
    } else if t.period_final && !tok.ends_with("..") {
        let stem = pystr::lower(&tok[..tok.len() - 1]);
        let last = stem.rsplit('-').next().unwrap_or("");
        if p.abbrev_types.contains(&stem) || p.abbrev_types.contains(last) {
            t.abbr = true;
        } else {
            t.sentbreak = true;
        }
    }
}

#[derive(PartialEq)]
enum Ortho {
    Starter,
    NotStarter,
    Unknown,
}

fn ortho_heuristic(t: &Token, p: &Params) -> Ortho {
    if matches!(t.tok.as_str(), ";" | ":" | "," | "." | "!" | "?") {
        return Ortho::NotStarter;
    }
    let ctx = p
        .ortho_context
        .get(t.type_no_sentperiod())
        .copied()
        .unwrap_or(0);
    if t.first_upper() && ctx & ORTHO_LC != 0 && ctx & ORTHO_MID_UC == 0 {
        return Ortho::Starter;
    }
    if t.first_lower() && (ctx & ORTHO_UC != 0 || ctx & ORTHO_BEG_LC == 0) {
        return Ortho::NotStarter;
    }
    Ortho::Unknown
}

/// Second-pass annotation of `t1` given the (first-pass annotated) next token `t2`.
fn second_pass(t1: &mut Token, t2: &Token, p: &Params) {
    if !t1.period_final {
        return;
    }
    let typ = t1.type_no_period().to_owned();
    let next_typ = t2.type_no_sentperiod().to_owned();
    let is_initial = t1.is_initial();
    if p.collocations.contains(&(typ.clone(), next_typ.clone())) {
        t1.sentbreak = false;
        t1.abbr = true;
        return;
    }
    if (t1.abbr || t1.ellipsis) && !is_initial {
        if ortho_heuristic(t2, p) == Ortho::Starter {
            t1.sentbreak = true;
            return;
        }
        if t2.first_upper() && p.sent_starters.contains(&next_typ) {
            t1.sentbreak = true;
            return;
        }
    }
    if is_initial || typ == "##number##" {
        let o = ortho_heuristic(t2, p);
        if o == Ortho::NotStarter {
            t1.sentbreak = false;
            t1.abbr = true;
            return;
        }
        if o == Ortho::Unknown
            && is_initial
            && t2.first_upper()
            && p.ortho_context.get(&next_typ).copied().unwrap_or(0) & ORTHO_LC == 0
        {
            t1.sentbreak = false;
            t1.abbr = true;
        }
    }
}

/// Punkt tokens of `text`, fully annotated.
fn annotated_tokens(text: &[char], p: &Params) -> Vec<Token> {
    let mut toks: Vec<Token> = Vec::new();
    for line in text.split(|c| *c == '\n') {
        if line.iter().all(|c| pystr::is_space(*c)) {
            continue;
        }
        toks.extend(word_tokenize_line(line).into_iter().map(Token::new));
    }
    for t in &mut toks {
        first_pass(t, p);
    }
    for k in 0..toks.len().saturating_sub(1) {
        let (a, b) = toks.split_at_mut(k + 1);
        second_pass(&mut a[k], &b[0], p);
    }
    toks
}

/// `text_contains_sentbreak`: some token other than the last one is a sentence break.
fn contains_sentbreak(context: &[char], p: &Params) -> bool {
    let toks = annotated_tokens(context, p);
    toks.iter()
        .take(toks.len().saturating_sub(1))
        .any(|t| t.sentbreak)
}

/// A period-context match: the sentence-end character at `pos`, what follows it.
struct EndMatch {
    pos: usize,
    /// End (exclusive) of the `after_tok` group.
    after_end: usize,
    /// Start of the `next_tok` group, when the match continued with whitespace and a token.
    next_tok: Option<usize>,
}

fn period_contexts(s: &[char]) -> Vec<EndMatch> {
    let mut out = Vec::new();
    for (pos, &c) in s.iter().enumerate() {
        if !is_sent_end(c) {
            continue;
        }
        let Some(&d) = s.get(pos + 1) else { continue };
        if is_non_word(d) {
            out.push(EndMatch {
                pos,
                after_end: pos + 2,
                next_tok: None,
            });
        } else if pystr::is_space(d) {
            let mut j = pos + 1;
            while j < s.len() && pystr::is_space(s[j]) {
                j += 1;
            }
            if j == s.len() {
                continue;
            }
            let start = j;
            while j < s.len() && !pystr::is_space(s[j]) {
                j += 1;
            }
            out.push(EndMatch {
                pos,
                after_end: j,
                next_tok: Some(start),
            });
        }
    }
    out
}

/// Sentence spans (character offsets, end exclusive) as `PunktSentenceTokenizer.span_tokenize`.
pub(crate) fn sentence_spans(s: &[char]) -> Vec<(usize, usize)> {
    let p = params();
    // _match_potential_end_contexts + _slices_from_text
    let mut slices: Vec<(usize, usize)> = Vec::new();
    let mut last_break = 0;
    let mut prev_slice = (0usize, 0usize);
    let mut prev_match: Option<EndMatch> = None;
    let mut handle = |m: &EndMatch, word: (usize, usize), slices: &mut Vec<(usize, usize)>| {
        let mut context: Vec<char> = s[word.0..word.1].to_vec();
        context.extend_from_slice(&s[m.pos..m.after_end]);
        if contains_sentbreak(&context, p) {
            slices.push((last_break, m.pos + 1));
            last_break = m.next_tok.unwrap_or(m.pos + 1);
        }
    };
    for m in period_contexts(s) {
        let before = &s[prev_slice.1..m.pos];
        let last_ws = before.iter().rposition(|c| is_ascii_ws(*c)).unwrap_or(0);
        let start = if last_ws != 0 {
            last_ws + prev_slice.1 + 1
        } else {
            prev_slice.0
        };
        let word = (start, m.pos);
        if let Some(pm) = &prev_match
            && prev_slice.1 <= word.0
        {
            handle(pm, prev_slice, &mut slices);
        }
        prev_match = Some(m);
        prev_slice = word;
    }
    if let Some(pm) = &prev_match {
        handle(pm, prev_slice, &mut slices);
    }
    let end = s.len() - s.iter().rev().take_while(|c| pystr::is_space(**c)).count();
    slices.push((last_break, end));
    realign(s, &slices)
}

/// `_realign_boundaries`.
fn realign(s: &[char], slices: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut shift = 0;
    for (k, &(start1, stop1)) in slices.iter().enumerate() {
        let s1 = (start1 + shift, stop1);
        let nonempty = s1.0 < s1.1;
        let Some(&(start2, stop2)) = slices.get(k + 1) else {
            if nonempty {
                out.push(s1);
            }
            continue;
        };
        let text2 = if start2 < stop2 {
            &s[start2..stop2]
        } else {
            &[][..]
        };
        if let Some((kept, consumed)) = boundary_realignment(text2) {
            out.push((s1.0, start2 + kept));
            shift = consumed;
        } else {
            shift = 0;
            if nonempty {
                out.push(s1);
            }
        }
    }
    out
}

/// `re_boundary_realignment.match`: `["')\]}]+?(?:\s+|(?=--)|$)` (MULTILINE) at the start of `t`.
/// Returns (length of the match without trailing whitespace, length of the match).
fn boundary_realignment(t: &[char]) -> Option<(usize, usize)> {
    let quotes = t
        .iter()
        .take_while(|c| matches!(c, '"' | '\'' | ')' | ']' | '}'))
        .count();
    for j in 1..=quotes {
        match t.get(j) {
            None => return Some((j, j)),
            Some(c) if pystr::is_space(*c) => {
                let ws = t[j..].iter().take_while(|c| pystr::is_space(**c)).count();
                return Some((j, j + ws));
            }
            Some('-') if t.get(j + 1) == Some(&'-') => return Some((j, j)),
            _ => {}
        }
    }
    None
}

/// The sentences of `text` (`PunktSentenceTokenizer.tokenize`).
pub(crate) fn sentences(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    sentence_spans(&chars)
        .into_iter()
        .map(|(a, b)| chars[a..b].iter().collect())
        .collect()
}

/// `len(tokenizer.tokenize(text))`.
pub(crate) fn count_sentences(text: &str) -> usize {
    let chars: Vec<char> = text.chars().collect();
    sentence_spans(&chars).len()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn model_loads() {
        let p = params();
        assert!(p.abbrev_types.contains("dr") && p.abbrev_types.contains("u.s"));
        assert!(p.sent_starters.contains("however"));
        assert!(p.ortho_context.len() > 10_000);
    }

    #[test]
    fn punkt_words() {
        let line: Vec<char> = "Hello, world... (don't) --x. . . end".chars().collect();
        assert_eq!(
            word_tokenize_line(&line),
            [
                "Hello", ",", "world", "...", "(", "don", "'t", ")", "--", "x", ". . .", "end"
            ]
        );
    }

    #[test]
    fn splits_like_nltk() {
        assert_eq!(
            sentences("Mr. Smith went to Washington. He arrived at 5 p.m. Then he left."),
            [
                "Mr. Smith went to Washington.",
                "He arrived at 5 p.m. Then he left."
            ]
        );
        assert_eq!(
            sentences(
                "(How does it deal with this parenthesis?)  \"It should be part of the previous sentence.\" \"(And the same with this one.)\""
            ),
            [
                "(How does it deal with this parenthesis?)",
                "\"It should be part of the previous sentence.\"",
                "\"(And the same with this one.)\""
            ]
        );
        assert_eq!(count_sentences(""), 0);
        assert_eq!(count_sentences("   "), 0);
        assert_eq!(count_sentences("no end"), 1);
        assert_eq!(count_sentences("Wow!!! Really?"), 2);
    }
}
