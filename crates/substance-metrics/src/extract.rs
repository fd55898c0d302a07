//! Answer extraction and string comparison for exact-match scoring of generated answers.
//!
//! - **GSM8K** (lm-eval `tasks/gsm8k/gsm8k.yaml`): references end with `#### <n>`
//!   ([`gsm8k_reference`]); model outputs go through the `strict-match` filter ([`gsm8k_strict`], first
//!   match of `#### (\-?[0-9\.\,]+)`) or the `flexible-extract` filter ([`gsm8k_flexible`], **last** match of
//!   `(-?[$0-9.,]{2,})|(-?[0-9]+)`). lm-eval then compares with `exact_match(ignore_case=True,
//!   regexes_to_ignore=[",", "\$", "(?s).*#### ", "\.$"])`, which is [`gsm8k_normalize`] on both sides
//!   ([`gsm8k_is_correct`]). lm-eval's fallback string `"[invalid]"` is `None` here.
//! - **Numbers**: [`last_number`] finds the last number-looking token; [`normalize_number`] canonicalises
//!   `"1,000.00"` → `"1000"`, `"$-0.50"` → `"-0.5"` by string manipulation (no float round trip, so large
//!   integers stay exact).
//! - **MATH** (lm-eval `hendrycks_math`, `minerva_math`, `leaderboard_math_*`): [`last_boxed_only_string`] and
//!   [`remove_boxed`] (balanced braces, `\boxed{…}`, `\boxed x` and `\fbox{…}` forms, as lm-eval's helpers),
//!   [`minerva_answer`] (the `Final Answer: The final answer is … I hope it is correct.` line),
//!   [`normalize_final_answer`] (the Minerva normalisation of Lewkowycz et al. 2022, appendix D, ported
//!   rule for rule from lm-eval) and [`strip_math_string`] (the Hendrycks `strip_string` normalisation used by
//!   `hendrycks_math`'s `is_equiv`). [`math_answers_match`] combines them. Symbolic equivalence (lm-eval's
//!   sympy / math-verify step) is **not** attempted: `\frac{1}{2}` and `0.5` only match through the explicit
//!   Hendrycks rule, `x+1` and `1+x` never do.
//! - **Generic**: [`exact_match`] is HuggingFace `evaluate`'s `exact_match` (what lm-eval uses) with
//!   `ignore_case` and `ignore_punctuation` (ASCII `string.punctuation`); no whitespace stripping.
//!
//! Python-vs-Rust details that matter are handled explicitly: Python's `$` also matches before a final
//! `\n` (emulated in [`gsm8k_normalize`]); `str.isdigit` is approximated by ASCII digits; `str.lower` by
//! Rust's Unicode `to_lowercase`.

use regex::Regex;
use std::sync::LazyLock;

// The patterns below are literals covered by the unit tests, so compiling them cannot fail at run time.
#[allow(clippy::expect_used)]
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("literal regex compiles")
}

static GSM8K_STRICT: LazyLock<Regex> = LazyLock::new(|| re(r"#### (\-?[0-9\.\,]+)"));
static GSM8K_FLEX: LazyLock<Regex> = LazyLock::new(|| re(r"(-?[$0-9.,]{2,})|(-?[0-9]+)"));
static GSM8K_PREFIX: LazyLock<Regex> = LazyLock::new(|| re(r"(?s).*#### "));
static LAST_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| re(r"-?(?:[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?|\.[0-9]+)"));
static MINERVA_FINAL: LazyLock<Regex> =
    LazyLock::new(|| re(r"Final Answer: The final answer is(.*?). I hope it is correct."));
static MINERVA_DOLLARS: LazyLock<Regex> = LazyLock::new(|| re(r"(.*?)(\$)(.*?)(\$)(.*)"));
static MINERVA_TEXT: LazyLock<Regex> = LazyLock::new(|| re(r"(\\text\{)(.*?)(\})"));
static MINERVA_TEXTBF: LazyLock<Regex> = LazyLock::new(|| re(r"(\\textbf\{)(.*?)(\})"));
static MINERVA_OVERLINE: LazyLock<Regex> = LazyLock::new(|| re(r"(\\overline\{)(.*?)(\})"));
static MINERVA_BOXED: LazyLock<Regex> = LazyLock::new(|| re(r"(\\boxed\{)(.*)(\})"));
static MINERVA_FRAC: LazyLock<Regex> = LazyLock::new(|| re(r"(frac)([^{])(.)"));
static MINERVA_SQRT: LazyLock<Regex> = LazyLock::new(|| re(r"(sqrt)([^{])"));

// ---------------------------------------------------------------------------------------------------------
// Generic exact match

/// Python's `string.punctuation`.
pub const ASCII_PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// HuggingFace `evaluate` exact match of one prediction against one reference (as lm-eval's
/// `exact_match_hf_evaluate`): optionally lowercase both, optionally delete ASCII punctuation from both,
/// then compare the strings exactly (whitespace is significant).
pub fn exact_match(pred: &str, target: &str, ignore_case: bool, ignore_punctuation: bool) -> bool {
    let prep = |s: &str| {
        let s = if ignore_case {
            s.to_lowercase()
        } else {
            s.to_string()
        };
        if ignore_punctuation {
            s.chars()
                .filter(|c| !ASCII_PUNCTUATION.contains(*c))
                .collect()
        } else {
            s
        }
    };
    prep(pred) == prep(target)
}

// ---------------------------------------------------------------------------------------------------------
// GSM8K

/// The final answer of a GSM8K reference solution: the text after the last `"#### "`, normalised with
/// [`gsm8k_normalize`] (commas, `$` and a trailing `.` removed, lowercased, trimmed). `None` when the
/// reference has no `#### ` marker or nothing after it.
pub fn gsm8k_reference(answer: &str) -> Option<String> {
    let pos = answer.rfind("#### ")?;
    let tail = gsm8k_normalize(&answer[pos..]);
    let tail = tail.trim();
    if tail.is_empty() {
        None
    } else {
        Some(tail.to_string())
    }
}

/// lm-eval's GSM8K `strict-match` filter: the first group of the first match of `#### (\-?[0-9\.\,]+)`,
/// stripped. `None` where lm-eval yields `"[invalid]"`.
pub fn gsm8k_strict(output: &str) -> Option<String> {
    GSM8K_STRICT
        .captures(output)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().trim().to_string())
}

/// lm-eval's GSM8K `flexible-extract` filter: the **last** match of `(-?[$0-9.,]{2,})|(-?[0-9]+)`, taking
/// whichever group matched, stripped. `None` where lm-eval yields `"[invalid]"`.
pub fn gsm8k_flexible(output: &str) -> Option<String> {
    let caps = GSM8K_FLEX.captures_iter(output).last()?;
    let m = caps.get(1).or_else(|| caps.get(2))?;
    Some(m.as_str().trim().to_string())
}

/// The transformation lm-eval's GSM8K metric applies to both prediction and reference before comparing:
/// delete `,`, delete `$`, delete everything up to and including the last `"#### "`, delete one `.` at the
/// end (Python `\.$`, which also matches before a final newline), then lowercase.
pub fn gsm8k_normalize(s: &str) -> String {
    let mut t: String = s.chars().filter(|&c| c != ',' && c != '$').collect();
    t = GSM8K_PREFIX.replace(&t, "").into_owned();
    if t.ends_with(".\n") {
        t.remove(t.len() - 2);
    } else if t.ends_with('.') {
        t.pop();
    }
    t.to_lowercase()
}

/// Whether an extracted GSM8K prediction (from [`gsm8k_strict`] or [`gsm8k_flexible`]) matches the reference
/// solution, as lm-eval scores it (`None` predictions are wrong).
pub fn gsm8k_is_correct(prediction: Option<&str>, reference_answer: &str) -> bool {
    match prediction {
        Some(p) => gsm8k_normalize(p) == gsm8k_normalize(reference_answer),
        None => false,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Numbers

/// The last number in `text`: an optional `-`, digits with optional `,` thousands groups and an optional
/// decimal part, or a bare decimal such as `.5`. Returned verbatim (use [`normalize_number`] to compare).
pub fn last_number(text: &str) -> Option<String> {
    LAST_NUMBER
        .find_iter(text)
        .last()
        .map(|m| m.as_str().to_string())
}

/// Canonical form of a number written in plain decimal notation: surrounding whitespace, a leading `+`, `$`
/// signs and `,` separators are removed; leading zeros of the integer part and trailing zeros of the
/// fraction are dropped, as is a bare trailing `.`; `-0` becomes `0`. `"1,000.00"` → `"1000"`,
/// `"-003.50"` → `"-3.5"`, `".5"` → `"0.5"`. Anything that is not such a number after the removals
/// (e.g. `"1e3"`, `"3/4"`, `"abc"`) is returned trimmed but otherwise unchanged.
pub fn normalize_number(s: &str) -> String {
    let trimmed = s.trim();
    let cleaned: String = trimmed.chars().filter(|&c| c != ',' && c != '$').collect();
    let (neg, body) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    let all_digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !all_digits(int_part)
        || !all_digits(frac_part)
    {
        return trimmed.to_string();
    }
    let int_norm = int_part.trim_start_matches('0');
    let frac_norm = frac_part.trim_end_matches('0');
    let int_norm = if int_norm.is_empty() { "0" } else { int_norm };
    let mut out = String::new();
    let is_zero = int_norm == "0" && frac_norm.is_empty();
    if neg && !is_zero {
        out.push('-');
    }
    out.push_str(int_norm);
    if !frac_norm.is_empty() {
        out.push('.');
        out.push_str(frac_norm);
    }
    out
}

// ---------------------------------------------------------------------------------------------------------
// MATH

/// The last `\boxed{…}` (or `\fbox{…}`) of `text` including the command, with balanced braces, as lm-eval's
/// `last_boxed_only_string`. If the text contains the space form `\boxed ` anywhere, that form wins (as in
/// lm-eval): `"\boxed "` + the text after the last `\boxed ` up to the next `$`. `None` when there is no box
/// or its braces never close.
pub fn last_boxed_only_string(text: &str) -> Option<String> {
    if text.contains("\\boxed ") {
        let after = text.rsplit("\\boxed ").next().unwrap_or("");
        let until_dollar = after.split('$').next().unwrap_or("");
        return Some(format!("\\boxed {until_dollar}"));
    }
    let idx = text.rfind("\\boxed").or_else(|| text.rfind("\\fbox"))?;
    let mut depth: i64 = 0;
    for (off, b) in text.as_bytes()[idx..].iter().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(text[idx..=idx + off].to_string());
                }
            }
            _ => {}
        }
    }
    None
}

/// Strip the `\boxed{` … `}` (or `\boxed ` prefix) from the output of [`last_boxed_only_string`]. `None` where
/// lm-eval's `remove_boxed` would fail its assertions (e.g. an `\fbox{…}`).
pub fn remove_boxed(s: &str) -> Option<String> {
    if s.contains("\\boxed ") {
        return s.strip_prefix("\\boxed ").map(str::to_string);
    }
    s.strip_prefix("\\boxed{")
        .and_then(|r| r.strip_suffix('}'))
        .map(str::to_string)
}

/// The content of the last box of `text`: `remove_boxed(last_boxed_only_string(text))`.
pub fn extract_boxed(text: &str) -> Option<String> {
    remove_boxed(&last_boxed_only_string(text)?)
}

/// The raw answer of a Minerva-format generation: the text between `Final Answer: The final answer is`
/// and `. I hope it is correct.` (the closing sentence is appended first, as lm-eval does, so a truncated
/// generation still matches), stripped. `None` where lm-eval yields `"[invalidanswer]"`.
pub fn minerva_answer(text: &str) -> Option<String> {
    let t = format!("{text}I hope it is correct.");
    MINERVA_FINAL
        .captures(&t)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().trim().to_string())
}

const MINERVA_SUBSTITUTIONS: [(&str, &str); 10] = [
    ("an ", ""),
    ("a ", ""),
    (".$", "$"),
    ("\\$", ""),
    ("\\ ", ""),
    (" ", ""),
    ("mbox", "text"),
    (",\\text{and}", ","),
    ("\\text{and}", ","),
    ("\\text{m}", "\\text{}"),
];

const MINERVA_REMOVED: [&str; 42] = [
    "square",
    "ways",
    "integers",
    "dollars",
    "mph",
    "inches",
    "ft",
    "hours",
    "km",
    "units",
    "\\ldots",
    "sue",
    "points",
    "feet",
    "minutes",
    "digits",
    "cents",
    "degrees",
    "cm",
    "gm",
    "pounds",
    "meters",
    "meals",
    "edges",
    "students",
    "childrentickets",
    "multiples",
    "\\text{s}",
    "\\text{.}",
    "\\text{\ns}",
    "\\text{}^2",
    "\\text{}^3",
    "\\text{\n}",
    "\\text{}",
    "\\mathrm{th}",
    "^\\circ",
    "^{\\circ}",
    "\\;",
    ",\\!",
    "{,}",
    "\"",
    "\\dots",
];

/// Minerva answer normalisation (`normalize_final_answer` in lm-eval's `minerva_math/utils.py`), rule for
/// rule: keep the text after the last `=`; apply the fixed substitutions (drop `"an "`, `"a "`, `\$`,
/// `"\ "`, spaces; `mbox`→`text`; `\text{and}`→`,`…); delete unit words and TeX noise (`square`, `ways`,
/// `dollars`, `cm`, `\text{}`, `^\circ`, `\;`, `,\!`, `{,}`, `\dots`…); keep only the first `$…$` span;
/// unwrap `\text{}`, `\textbf{}`, `\overline{}`, `\boxed{}`; expand `\fracab`→`\frac{a}{b}` and
/// `\sqrta`→`\sqrt{a}`; delete `$`; and drop `,` from an answer that is otherwise all digits
/// (`100,000`→`100000`).
///
/// Quirks are preserved on purpose (e.g. `"ft"` is deleted inside any word and `"a "` at any word end),
/// because reference answers were normalised the same way. Python's `str.isdigit` is taken as ASCII digits.
pub fn normalize_final_answer(answer: &str) -> String {
    let mut s = answer.rsplit('=').next().unwrap_or("").to_string();
    for (before, after) in MINERVA_SUBSTITUTIONS {
        s = s.replace(before, after);
    }
    for expr in MINERVA_REMOVED {
        s = s.replace(expr, "");
    }
    s = MINERVA_DOLLARS.replace_all(&s, "$$${3}$$").into_owned();
    s = MINERVA_TEXT.replace_all(&s, "${2}").into_owned();
    s = MINERVA_TEXTBF.replace_all(&s, "${2}").into_owned();
    s = MINERVA_OVERLINE.replace_all(&s, "${2}").into_owned();
    s = MINERVA_BOXED.replace_all(&s, "${2}").into_owned();
    s = MINERVA_FRAC
        .replace_all(&s, "frac{${2}}{${3}}")
        .into_owned();
    s = MINERVA_SQRT.replace_all(&s, "sqrt{${2}}").into_owned();
    s = s.replace('$', "");
    let no_commas = s.replace(',', "");
    if !no_commas.is_empty() && no_commas.chars().all(|c| c.is_ascii_digit()) {
        s = no_commas;
    }
    s
}

fn fix_fracs(s: &str) -> String {
    let mut parts = s.split("\\frac");
    let mut out = parts.next().unwrap_or("").to_string();
    for sub in parts {
        out.push_str("\\frac");
        let mut chars = sub.chars();
        match (chars.next(), chars.next()) {
            (Some('{'), _) => out.push_str(sub),
            (Some(a), Some(b)) => {
                let rest = chars.as_str();
                if b != '{' {
                    out.push_str(&format!("{{{a}}}{{{b}}}{rest}"));
                } else {
                    out.push_str(&format!("{{{a}}}{b}{rest}"));
                }
            }
            // Fewer than two characters after \frac: lm-eval returns the input unchanged.
            _ => return s.to_string(),
        }
    }
    out
}

fn fix_a_slash_b(s: &str) -> String {
    let parts: Vec<&str> = s.split('/').collect();
    if parts.len() != 2 {
        return s.to_string();
    }
    // Python: int(a), int(b), and the string must round-trip as "{a}/{b}".
    let canon = |p: &str| p.parse::<i128>().ok().map(|v| (v, v.to_string()));
    match (canon(parts[0]), canon(parts[1])) {
        (Some((_, a)), Some((_, b))) if format!("{a}/{b}") == s => format!("\\frac{{{a}}}{{{b}}}"),
        _ => s.to_string(),
    }
}

fn fix_sqrt(s: &str) -> Option<String> {
    if !s.contains("\\sqrt") {
        return Some(s.to_string());
    }
    let mut parts = s.split("\\sqrt");
    let mut out = parts.next().unwrap_or("").to_string();
    for sub in parts {
        let mut chars = sub.chars();
        // Python indexes split[0] and raises on an empty piece; is_equiv then falls back to raw equality.
        let first = chars.next()?;
        if first != '{' {
            out.push_str(&format!("\\sqrt{{{first}}}{}", chars.as_str()));
        } else {
            out.push_str("\\sqrt");
            out.push_str(sub);
        }
    }
    Some(out)
}

/// What the Open LLM Leaderboard's MATH-hard task (lm-eval `leaderboard/math`, the commit SOS-Bench ran)
/// writes for a generation with no `Final Answer: The final answer is … . I hope it is correct.`
pub const INVALID_ANSWER: &str = "[invalidanswer]";

/// A rational number written as the MATH-hard normalisation leaves it: an integer (`-?[0-9]+`) or
/// `\frac{p}{q}` with integer `p`, `q` (`q` ≠ 0), optionally negated. Up to 30 digits a part.
fn latex_rational(s: &str) -> Option<(i128, i128)> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let int = |t: &str| -> Option<i128> {
        (!t.is_empty() && t.len() <= 30 && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let (p, q) = if let Some(rest) = body.strip_prefix("\\frac{") {
        let (p, rest) = rest.split_once("}{")?;
        let q = rest.strip_suffix('}')?;
        (int(p)?, int(q)?)
    } else {
        (int(body)?, 1)
    };
    if q == 0 {
        return None;
    }
    Some((if neg { -p } else { p }, q))
}

/// The part of the MATH-hard task's `is_equiv(answer, gold)` that needs no computer-algebra system.
/// The task parses both normalised strings with sympy's `parse_latex` and calls them equal when
/// `simplify(a - b) == 0` (a string that does not parse is *never* equal, not even to itself: `[2,5)`
/// scores 0 against `[2,5)`). Decided here: both sides integers or integer fractions (sympy's exact
/// rationals, compared exactly), `[invalidanswer]` (which sympy reads as a product of 13 symbols)
/// against such a number (never equal), and an empty answer (never parses, so never equal). Everything else — decimals (sympy's 15-digit floats),
/// radicals, intervals, expressions — is `None`: not computed, never guessed.
pub fn math_hard_equiv(answer: &str, gold: &str) -> Option<bool> {
    // An empty answer never parses (LaTeXParsingError), so it equals nothing.
    if answer.trim().is_empty() {
        return Some(false);
    }
    let g = latex_rational(gold)?;
    if answer == INVALID_ANSWER {
        return Some(false);
    }
    let a = latex_rational(answer)?;
    // p1/q1 == p2/q2 ⇔ p1·q2 == p2·q1 (q > 0); a product past i128 is not computed
    Some(match (a.0.checked_mul(g.1), g.0.checked_mul(a.1)) {
        (Some(x), Some(y)) => x == y,
        _ => return None,
    })
}

/// Hendrycks MATH normalisation (`strip_string` in lm-eval's `hendrycks_math/utils.py`): remove newlines,
/// `\!`, `\left`, `\right`, degree marks, `\$`, `\%`, a right-hand `\text{ unit}`, spaces; `\\`→`\`;
/// `tfrac`/`dfrac`→`frac`; add the leading zero of `.5`; drop a short `k = ` prefix; brace `\sqrt3` and
/// `\frac12`; `0.5`→`\frac{1}{2}`; integer `a/b`→`\frac{a}{b}`. `None` where the Python code raises (then
/// `is_equiv` compares the raw strings; [`math_answers_match`] does the same).
pub fn strip_math_string(s: &str) -> Option<String> {
    let mut s = s.replace('\n', "");
    s = s.replace("\\!", "");
    s = s.replace("\\\\", "\\");
    s = s.replace("tfrac", "frac");
    s = s.replace("dfrac", "frac");
    s = s.replace("\\left", "");
    s = s.replace("\\right", "");
    s = s.replace("^{\\circ}", "");
    s = s.replace("^\\circ", "");
    s = s.replace("\\$", "");
    if s.contains("\\text{ ") {
        let splits: Vec<&str> = s.split("\\text{ ").collect();
        if splits.len() != 2 {
            return None;
        }
        s = splits[0].to_string();
    }
    // lm-eval removes "\\%" and then "\%"; in a non-raw Python string both are backslash + percent.
    s = s.replace("\\%", "");
    s = s.replace(" .", " 0.");
    s = s.replace("{.", "{0.");
    if s.is_empty() {
        return Some(s);
    }
    if s.starts_with('.') {
        s.insert(0, '0');
    }
    let eq: Vec<&str> = s.split('=').collect();
    if eq.len() == 2 && eq[0].chars().count() <= 2 {
        s = eq[1].to_string();
    }
    s = fix_sqrt(&s)?;
    s = s.replace(' ', "");
    s = fix_fracs(&s);
    if s == "0.5" {
        s = "\\frac{1}{2}".to_string();
    }
    Some(fix_a_slash_b(&s))
}

/// Whether two MATH answers match after normalisation: equal after [`normalize_final_answer`], or equal after
/// [`strip_math_string`] (raw equality where that fails), or both plain decimal numbers that are equal after
/// [`normalize_number`] (so `2.0` matches `2` and `1,000` matches `1000`). No symbolic equivalence.
pub fn math_answers_match(pred: &str, target: &str) -> bool {
    let (a, b) = (normalize_final_answer(pred), normalize_final_answer(target));
    if a == b {
        return true;
    }
    let stripped = match (strip_math_string(pred), strip_math_string(target)) {
        (Some(x), Some(y)) => x == y,
        _ => pred == target,
    };
    if stripped {
        return true;
    }
    let (na, nb) = (normalize_number(&a), normalize_number(&b));
    let is_num = |s: &str| {
        let body = s.strip_prefix('-').unwrap_or(s);
        !body.is_empty() && body.chars().all(|c| c.is_ascii_digit() || c == '.')
    };
    is_num(&na) && na == nb
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn regexes_compile() {
        for r in [
            &GSM8K_STRICT,
            &GSM8K_FLEX,
            &GSM8K_PREFIX,
            &LAST_NUMBER,
            &MINERVA_FINAL,
            &MINERVA_DOLLARS,
            &MINERVA_TEXT,
            &MINERVA_TEXTBF,
            &MINERVA_OVERLINE,
            &MINERVA_BOXED,
            &MINERVA_FRAC,
            &MINERVA_SQRT,
        ] {
            assert!(!r.as_str().is_empty());
        }
    }

    #[test]
    fn gsm8k_filters() {
        let out = "She has 3 + 4 = 7 apples.\n#### 1,234.\nThen 99";
        assert_eq!(gsm8k_strict(out).as_deref(), Some("1,234."));
        assert_eq!(gsm8k_flexible(out).as_deref(), Some("99"));
        assert_eq!(
            gsm8k_flexible("The answer is $18.").as_deref(),
            Some("$18.")
        );
        assert_eq!(gsm8k_flexible("no digits").as_deref(), None);
        assert_eq!(gsm8k_flexible("x 5 y").as_deref(), Some("5"));
        assert_eq!(gsm8k_strict("the answer is 5"), None);
        assert_eq!(
            gsm8k_reference("blah <<3*4=12>>12\n#### 1,200").as_deref(),
            Some("1200")
        );
        assert!(gsm8k_is_correct(Some("1,234."), "... #### 1234"));
        assert!(gsm8k_is_correct(Some("$18."), "#### 18"));
        assert!(!gsm8k_is_correct(Some("18.0"), "#### 18"));
        assert!(!gsm8k_is_correct(None, "#### 18"));
        assert_eq!(gsm8k_normalize("18.\n"), "18\n");
    }

    #[test]
    fn numbers() {
        assert_eq!(normalize_number("1,000.00"), "1000");
        assert_eq!(normalize_number(" -003.50 "), "-3.5");
        assert_eq!(normalize_number(".5"), "0.5");
        assert_eq!(normalize_number("-0.000"), "0");
        assert_eq!(normalize_number("$12."), "12");
        assert_eq!(normalize_number("+7"), "7");
        assert_eq!(normalize_number("1e3"), "1e3");
        assert_eq!(normalize_number("3/4"), "3/4");
        assert_eq!(normalize_number("-"), "-");
        assert_eq!(normalize_number("."), ".");
        assert_eq!(
            normalize_number("123456789012345678901234567890"),
            "123456789012345678901234567890"
        );
        assert_eq!(
            last_number("costs $1,200.50 and then 3 more").as_deref(),
            Some("3")
        );
        assert_eq!(last_number("was -4.25.").as_deref(), Some("-4.25"));
        assert_eq!(last_number("none"), None);
    }

    #[test]
    fn boxed_forms() {
        let s = r"so $x = \boxed{\frac{1}{2}}$ and finally \boxed{3\sqrt{2}}.";
        assert_eq!(
            last_boxed_only_string(s).as_deref(),
            Some(r"\boxed{3\sqrt{2}}")
        );
        assert_eq!(extract_boxed(s).as_deref(), Some(r"3\sqrt{2}"));
        assert_eq!(
            extract_boxed(r"answer is $\boxed 5$.").as_deref(),
            Some("5")
        );
        assert_eq!(
            last_boxed_only_string(r"\fbox{7}").as_deref(),
            Some(r"\fbox{7}")
        );
        assert_eq!(extract_boxed(r"\fbox{7}"), None);
        assert_eq!(extract_boxed(r"\boxed{unclosed"), None);
        assert_eq!(extract_boxed("nothing"), None);
        assert_eq!(extract_boxed(r"\boxed{a{b}c}").as_deref(), Some("a{b}c"));
    }

    #[test]
    fn minerva_normalisation_cases() {
        assert_eq!(normalize_final_answer("x = 5"), "5");
        assert_eq!(normalize_final_answer("$\\$10,000$"), "10000");
        assert_eq!(normalize_final_answer("\\text{(B)}"), "(B)");
        assert_eq!(normalize_final_answer("\\frac12"), "\\frac{1}{2}");
        assert_eq!(normalize_final_answer("\\sqrt2"), "\\sqrt{2}");
        assert_eq!(normalize_final_answer("5\\text{ cm}"), "5");
        assert_eq!(normalize_final_answer("90^\\circ"), "90");
        assert_eq!(normalize_final_answer("\\boxed{7}"), "7");
        assert_eq!(normalize_final_answer("1,\\!000"), "1000");
        assert_eq!(
            minerva_answer("Final Answer: The final answer is $24$. I hope it is correct.")
                .as_deref(),
            Some("$24$")
        );
        assert_eq!(
            minerva_answer("Final Answer: The final answer is 7. "),
            Some("7".into())
        );
        // Without the space lm-eval's pattern does not match either.
        assert_eq!(minerva_answer("Final Answer: The final answer is 7."), None);
        assert_eq!(minerva_answer("no final line"), None);
    }

    #[test]
    fn hendrycks_strip_cases() {
        assert_eq!(
            strip_math_string("\\dfrac{1}{2}").as_deref(),
            Some("\\frac{1}{2}")
        );
        assert_eq!(strip_math_string("0.5").as_deref(), Some("\\frac{1}{2}"));
        assert_eq!(strip_math_string("3/4").as_deref(), Some("\\frac{3}{4}"));
        assert_eq!(strip_math_string("k = 7").as_deref(), Some("7"));
        assert_eq!(
            strip_math_string("\\left( 1, 2 \\right)").as_deref(),
            Some("(1,2)")
        );
        assert_eq!(strip_math_string("50\\%").as_deref(), Some("50"));
        assert_eq!(strip_math_string("5 \\text{ cm}").as_deref(), Some("5"));
        assert_eq!(strip_math_string("\\sqrt"), None);
        assert!(math_answers_match("\\frac12", "\\dfrac{1}{2}"));
        assert!(math_answers_match("2.0", "2"));
        assert!(math_answers_match("1,000", "1000"));
        assert!(!math_answers_match("x+1", "1+x"));
    }

    #[test]
    fn hf_exact_match() {
        assert!(exact_match("Hello, World!", "hello world", true, true));
        assert!(!exact_match("Hello", "hello", false, false));
        assert!(!exact_match(" a", "a", true, true));
    }
}
