//! The few pieces of Python semantics the reference parsers rely on, reproduced exactly: `str.isspace`
//! (which is what `\s` means in a Python 3 `str` pattern), `str.strip()`, `float(str)` and `str.format`
//! with keyword fields.
//!
//! Rust's `regex` crate and Python's `re` agree on every construct the judge patterns use (literal
//! brackets, character classes, `\d` = Unicode `Nd`, `.` not matching `\n`, `^` = start of text without
//! `MULTILINE`) except `\s`: Python counts U+001C–U+001F (the information separators) as whitespace,
//! Rust's Unicode `White_Space` does not. Every pattern in this crate that needs `\s` therefore uses
//! [`PY_SPACE`] instead.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::JudgeError;

/// A regex character class equal to Python 3's `\s` on `str` patterns (`str.isspace`).
pub const PY_SPACE: &str = r"[\s\x1C-\x1F]";

/// Python's `str.isspace()` for one character (bidirectional class WS, B or S, or category Zs).
pub fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{0B}'
            | '\u{0C}'
            | '\r'
            | '\u{1C}'..='\u{1F}'
            | ' '
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200A}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202F}'
            | '\u{205F}'
            | '\u{3000}'
    )
}

/// Python's `str.strip()` (no argument).
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

#[allow(clippy::expect_used)] // a constant pattern; compiled in every test run
static ND: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\p{Nd}$").expect("valid pattern"));

/// The value of a Unicode decimal digit (`Nd`), as Python's `int()`/`float()` read it; `None` for any
/// other character. Unicode encodes every decimal digit set as a contiguous, ascending run of ten
/// starting at zero, so the value is the number of `Nd` characters directly before `c`, modulo ten.
pub fn digit_value(c: char) -> Option<u32> {
    if c.is_ascii_digit() {
        return Some(c as u32 - '0' as u32);
    }
    let mut buf = [0u8; 4];
    if c.is_ascii() || !ND.is_match(c.encode_utf8(&mut buf)) {
        return None;
    }
    let mut cp = c as u32;
    let mut v = 0u32;
    while let Some(prev) = cp.checked_sub(1).and_then(char::from_u32) {
        if !ND.is_match(prev.encode_utf8(&mut buf)) {
            break;
        }
        v += 1;
        cp -= 1;
    }
    Some(v % 10)
}

/// Python's `float(s)` for a `str`: surrounding whitespace is ignored, an optional sign, `inf`,
/// `infinity` and `nan` in any case, Unicode decimal digits, single underscores between digits, an
/// optional fraction and exponent. `None` where Python raises `ValueError`.
pub fn float(s: &str) -> Option<f64> {
    let t = strip(s);
    let (sign, body) = match t.strip_prefix(['+', '-']) {
        Some(rest) => (&t[..1], rest),
        None => ("", t),
    };
    let lower = body.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return format!("{sign}{lower}").parse().ok();
    }
    // Normalise digits to ASCII and check the grammar
    //   number ::= [digitpart] "." digitpart | digitpart ["."];  exponent ::= (e|E) [sign] digitpart
    // where digitpart ::= digit (["_"] digit)*.
    let mut out = String::with_capacity(body.len() + 1);
    out.push_str(sign);
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    let digitpart = |i: &mut usize, out: &mut String| -> Option<bool> {
        // Returns Some(true) if at least one digit was read, None on a misplaced underscore.
        let mut any = false;
        while *i < chars.len() {
            let c = chars[*i];
            if let Some(v) = digit_value(c) {
                out.push(char::from_digit(v, 10)?);
                any = true;
                *i += 1;
            } else if c == '_' {
                let next_is_digit = chars.get(*i + 1).is_some_and(|n| digit_value(*n).is_some());
                if !any || !next_is_digit {
                    return None;
                }
                *i += 1;
            } else {
                break;
            }
        }
        Some(any)
    };
    let int_digits = digitpart(&mut i, &mut out)?;
    let mut frac_digits = false;
    if chars.get(i) == Some(&'.') {
        out.push('.');
        i += 1;
        frac_digits = digitpart(&mut i, &mut out)?;
    }
    if !int_digits && !frac_digits {
        return None;
    }
    if matches!(chars.get(i), Some('e' | 'E')) {
        out.push('e');
        i += 1;
        if let Some(c @ ('+' | '-')) = chars.get(i) {
            out.push(*c);
            i += 1;
        }
        if !digitpart(&mut i, &mut out)? {
            return None;
        }
    }
    if i != chars.len() {
        return None;
    }
    out.parse().ok()
}

/// Python's `str.format(**fields)` restricted to what prompt templates use: `{name}` fields (an
/// identifier), `{{` and `}}` escapes. A missing field is [`JudgeError::MissingField`] (Python raises
/// `KeyError`); positional fields, attribute/index access, conversions and format specs are
/// [`JudgeError::Template`] (unsupported here, never used by the reference prompts). Substituted values
/// are inserted verbatim, never re-scanned.
pub fn format(
    template: &str,
    template_name: &str,
    fields: &BTreeMap<&str, &str>,
) -> Result<String, JudgeError> {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    let bad = |message: String| JudgeError::Template {
        template: template_name.to_owned(),
        message,
    };
    while let Some(pos) = rest.find(['{', '}']) {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push('}');
            rest = after;
        } else if tail.starts_with('}') {
            return Err(bad("single '}' encountered in format string".into()));
        } else {
            let close = tail
                .find('}')
                .ok_or_else(|| bad("'{' without a matching '}'".into()))?;
            let name = &tail[1..close];
            if name.is_empty()
                || !name.chars().all(|c| c.is_alphanumeric() || c == '_')
                || name.chars().next().is_some_and(|c| c.is_numeric())
            {
                return Err(bad(format!(
                    "unsupported replacement field `{{{name}}}` (only `{{identifier}}` is supported)"
                )));
            }
            let value = fields.get(name).ok_or_else(|| JudgeError::MissingField {
                template: template_name.to_owned(),
                field: name.to_owned(),
            })?;
            out.push_str(value);
            rest = &tail[close + 1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn python_float_grammar() {
        for (s, v) in [
            ("8", 8.0),
            (" 8\t", 8.0),
            ("9\r", 9.0),
            ("+5", 5.0),
            ("-2.5", -2.5),
            ("1.", 1.0),
            (".5", 0.5),
            ("1_000", 1000.0),
            ("1e3", 1000.0),
            ("1E-1", 0.1),
            ("\u{FF18}", 8.0),   // fullwidth 8
            ("\u{0663}.5", 3.5), // Arabic-Indic 3
            ("\u{1D7D9}", 1.0),  // mathematical double-struck 1 (run starts at 1D7D8)
            ("1\u{1C}", 1.0),    // Python strips U+001C
        ] {
            assert_eq!(float(s), Some(v), "{s:?}");
        }
        assert!(float("inf").unwrap().is_infinite());
        assert!(float("-Infinity").unwrap() < 0.0);
        assert!(float("NaN").unwrap().is_nan());
        for s in [
            "", " ", "1__0", "_1", "1_", "1e", ".", "e5", "1.5.", "0x10", "8/10", "1 0", "++1",
            "in f",
        ] {
            assert_eq!(float(s), None, "{s:?}");
        }
    }

    #[test]
    fn python_format() {
        let mut f = BTreeMap::new();
        f.insert("question", "Q {answer}");
        f.insert("answer", "A");
        assert_eq!(
            format("[{question}] {{x}} {answer}", "t", &f).unwrap(),
            "[Q {answer}] {x} A"
        );
        assert!(matches!(
            format("{missing}", "t", &f),
            Err(JudgeError::MissingField { .. })
        ));
        for bad in ["{", "}", "{0}", "{}", "{a.b}", "{answer!r}", "{answer:>5}"] {
            assert!(
                matches!(format(bad, "t", &f), Err(JudgeError::Template { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn whitespace_matches_python() {
        let re = Regex::new(&format!("^{PY_SPACE}+$")).unwrap();
        for c in [
            '\u{1C}', '\u{1F}', '\u{85}', '\u{A0}', '\u{3000}', '\t', '\u{0B}',
        ] {
            assert!(is_space(c) && re.is_match(&c.to_string()), "{c:?}");
        }
        for c in ['\u{180E}', '\u{200B}', 'x', '\u{FEFF}'] {
            assert!(!is_space(c) && !re.is_match(&c.to_string()), "{c:?}");
        }
        assert_eq!(strip("\u{1F} a \u{3000}"), "a");
    }
}
