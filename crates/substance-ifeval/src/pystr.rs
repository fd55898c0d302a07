//! Python 3 `str` and `re` character semantics that the checks depend on.
//!
//! IFEval runs on CPython, so "whitespace", "word character", "upper case" and friends mean what
//! CPython says they mean. Rust's and the `regex` crate's definitions differ at the edges (for example
//! `regex`'s `\w` matches combining marks, Python's does not, so Python splits `हिन्दी` into three
//! words), so every pattern in this crate is written with the classes below instead of `\w`, `\s`
//! or `\b`.

use std::sync::OnceLock;

use regex::Regex;

/// Python's `\s` for `str` patterns (`str.isspace()`): Unicode `White_Space` plus the four ASCII
/// information separators U+001C..U+001F, which CPython also treats as whitespace.
pub(crate) const PY_S: &str = r"[\s\x1C-\x1F]";
/// Python's `\w` for `str` patterns: `str.isalnum()` or `_`, i.e. general categories L* and N*.
pub(crate) const PY_W: &str = r"[\p{L}\p{N}_]";

/// `str.isspace()` for one character.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
}

/// `str.strip()` with no argument.
pub(crate) fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// `str.split()` with no argument: runs of whitespace separate, empty pieces are dropped.
pub(crate) fn split_whitespace(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_space).filter(|p| !p.is_empty())
}

fn word_char_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| compile(&format!("^{PY_W}$")))
}

/// Compile one of this crate's own (constant) patterns. They are all tested; a failure here is a
/// programming error, reported as a never-matching regex rather than a panic.
#[allow(clippy::unwrap_used)] // the fallback is a literal that is known to compile
pub(crate) fn compile(pattern: &str) -> Regex {
    match Regex::new(pattern) {
        Ok(re) => re,
        Err(_) => {
            debug_assert!(false, "invalid built-in pattern {pattern}");
            // `[^\s\S]` matches nothing.
            Regex::new(r"[^\s\S]").unwrap()
        }
    }
}

/// Python's `\w` for one character.
pub(crate) fn is_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    let mut buf = [0u8; 4];
    word_char_re().is_match(c.encode_utf8(&mut buf))
}

/// Python's `\b` at byte offset `at` of `s` (which must be a char boundary).
pub(crate) fn is_word_boundary(s: &str, at: usize) -> bool {
    let before = s[..at].chars().next_back().is_some_and(is_word);
    let after = s[at..].chars().next().is_some_and(is_word);
    before != after
}

/// Titlecase letters (general category Lt), which `str.isupper()`/`islower()` treat specially.
fn is_title(c: char) -> bool {
    matches!(c as u32,
        0x01C5 | 0x01C8 | 0x01CB | 0x01F2
        | 0x1F88..=0x1F8F | 0x1F98..=0x1F9F | 0x1FA8..=0x1FAF
        | 0x1FBC | 0x1FCC | 0x1FFC)
}

/// `str.isupper()`: at least one cased character and no lowercase or titlecase character.
pub(crate) fn is_upper(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if c.is_lowercase() || is_title(c) {
            return false;
        }
        if c.is_uppercase() {
            cased = true;
        }
    }
    cased
}

/// `str.islower()`: at least one cased character and no uppercase or titlecase character.
pub(crate) fn is_lower(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if c.is_uppercase() || is_title(c) {
            return false;
        }
        if c.is_lowercase() {
            cased = true;
        }
    }
    cased
}

/// `str.lower()` (full Unicode lowercasing with the final-sigma rule, as CPython does).
pub(crate) fn lower(s: &str) -> String {
    s.to_lowercase()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn python_whitespace_and_case() {
        assert_eq!(strip("\u{1c} a b\u{a0}\n"), "a b");
        assert_eq!(
            split_whitespace(" a\u{3000}b  c ").collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert!(is_upper("HELLO, WORLD 1"));
        assert!(!is_upper("123 !"));
        assert!(!is_upper("ǅ"));
        assert!(is_lower("ª"));
        assert!(is_lower("hello ß"));
        assert!(!is_lower("hello World"));
        assert_eq!(lower("ΣΑΣ"), "σας");
    }

    #[test]
    fn python_word_chars() {
        assert!(is_word('é') && is_word('²') && is_word('_') && is_word('ह'));
        assert!(!is_word('\u{93f}')); // DEVANAGARI VOWEL SIGN I (Mc)
        assert!(!is_word('-'));
        assert!(is_word_boundary("a b", 1));
        assert!(!is_word_boundary("ab", 1));
        assert!(is_word_boundary("a", 0));
    }
}
