//! A recogniser for exactly the texts CPython's `json.loads(str)` accepts.
//!
//! `detectable_format:json_format` only asks "would `json.loads` raise?", so this module decides
//! acceptance without building a value. It follows CPython's C scanner rather than RFC 8259:
//!
//! - `NaN`, `Infinity` and `-Infinity` are accepted (serde_json rejects them);
//! - any top-level value is accepted (`"3"`, `"true"`, `"\"x\""`), surrounded by the JSON
//!   whitespace `[ \t\n\r]` only; anything after the value is "Extra data";
//! - a leading U+FEFF is rejected ("Unexpected UTF-8 BOM");
//! - raw control characters U+0000..U+001F inside strings are rejected (`strict=True`), every
//!   `\u` escape needs four hex digits, lone surrogate escapes are accepted;
//! - numbers follow the JSON grammar (`01`, `1.`, `.5`, `+1` are rejected); huge exponents are
//!   accepted (CPython turns them into `inf`); an integer literal with more than 4300 digits is
//!   rejected (CPython's integer string-conversion limit raises `ValueError`).
//!
//! Deliberate difference: CPython raises `RecursionError` (not a `ValueError`, so upstream IFEval
//! crashes) past roughly 1000 nested arrays/objects; this recogniser is iterative and accepts any
//! depth.

/// CPython's default `sys.get_int_max_str_digits()`.
const INT_MAX_STR_DIGITS: usize = 4300;

/// Whether CPython's `json.loads(text)` would return without raising `ValueError`.
pub(crate) fn python_json_loads_ok(text: &str) -> bool {
    let s: Vec<char> = text.chars().collect();
    if s.first() == Some(&'\u{feff}') {
        return false;
    }
    let mut p = Parser { s: &s, i: 0 };
    p.ws();
    if !p.value() {
        return false;
    }
    p.ws();
    p.i == s.len()
}

#[derive(Clone, Copy)]
enum Frame {
    /// Inside an array, after a value.
    Array,
    /// Inside an object, after a member value.
    Object,
}

struct Parser<'a> {
    s: &'a [char],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.i += 1;
        }
    }

    fn literal(&mut self, word: &str) -> bool {
        let n = word.chars().count();
        if self.s.len() >= self.i + n && self.s[self.i..self.i + n].iter().copied().eq(word.chars())
        {
            self.i += n;
            true
        } else {
            false
        }
    }

    /// One complete value starting at `self.i` (no leading whitespace), iteratively.
    fn value(&mut self) -> bool {
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            // Parse one value; containers push a frame and continue with their first element.
            match self.peek() {
                Some('[') => {
                    self.i += 1;
                    self.ws();
                    if self.peek() == Some(']') {
                        self.i += 1;
                    } else {
                        stack.push(Frame::Array);
                        continue;
                    }
                }
                Some('{') => {
                    self.i += 1;
                    self.ws();
                    if self.peek() == Some('}') {
                        self.i += 1;
                    } else {
                        if !self.member_key() {
                            return false;
                        }
                        stack.push(Frame::Object);
                        continue;
                    }
                }
                _ => {
                    if !self.scalar() {
                        return false;
                    }
                }
            }
            // A value just ended: close containers or move to the next element.
            loop {
                let Some(top) = stack.last().copied() else {
                    return true;
                };
                self.ws();
                match (top, self.peek()) {
                    (Frame::Array, Some(']')) | (Frame::Object, Some('}')) => {
                        self.i += 1;
                        stack.pop();
                    }
                    (Frame::Array, Some(',')) => {
                        self.i += 1;
                        self.ws();
                        break;
                    }
                    (Frame::Object, Some(',')) => {
                        self.i += 1;
                        self.ws();
                        if !self.member_key() {
                            return false;
                        }
                        break;
                    }
                    _ => return false,
                }
            }
        }
    }

    /// `"key" ws : ws` of an object member, leaving `self.i` at the value.
    fn member_key(&mut self) -> bool {
        if self.peek() != Some('"') || !self.string() {
            return false;
        }
        self.ws();
        if self.peek() != Some(':') {
            return false;
        }
        self.i += 1;
        self.ws();
        true
    }

    fn scalar(&mut self) -> bool {
        match self.peek() {
            Some('"') => self.string(),
            Some('n') => self.literal("null"),
            Some('t') => self.literal("true"),
            Some('f') => self.literal("false"),
            Some('N') => self.literal("NaN"),
            Some('I') => self.literal("Infinity"),
            Some('-') if self.s.get(self.i + 1) == Some(&'I') => self.literal("-Infinity"),
            Some(_) => self.number(),
            None => false,
        }
    }

    fn digit_at(&self, i: usize) -> bool {
        self.s.get(i).is_some_and(char::is_ascii_digit)
    }

    fn number(&mut self) -> bool {
        let start = self.i;
        if self.peek() == Some('-') {
            self.i += 1;
        }
        let int_start = self.i;
        match self.peek() {
            Some('1'..='9') => {
                while self.digit_at(self.i) {
                    self.i += 1;
                }
            }
            Some('0') => self.i += 1,
            _ => return false,
        }
        let int_digits = self.i - int_start;
        let mut is_float = false;
        if self.peek() == Some('.') && self.digit_at(self.i + 1) {
            is_float = true;
            self.i += 2;
            while self.digit_at(self.i) {
                self.i += 1;
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let e_start = self.i;
            self.i += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.i += 1;
            }
            let digits_start = self.i;
            while self.digit_at(self.i) {
                self.i += 1;
            }
            if self.i > digits_start {
                is_float = true;
            } else {
                self.i = e_start;
            }
        }
        debug_assert!(self.i > start);
        is_float || int_digits <= INT_MAX_STR_DIGITS
    }

    /// A string starting at the opening quote.
    fn string(&mut self) -> bool {
        self.i += 1;
        loop {
            let Some(c) = self.peek() else {
                return false;
            };
            self.i += 1;
            match c {
                '"' => return true,
                '\\' => {
                    let Some(e) = self.peek() else {
                        return false;
                    };
                    self.i += 1;
                    match e {
                        '"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't' => {}
                        'u' => {
                            for _ in 0..4 {
                                if !self.peek().is_some_and(|h| h.is_ascii_hexdigit()) {
                                    return false;
                                }
                                self.i += 1;
                            }
                        }
                        _ => return false,
                    }
                }
                c if (c as u32) < 0x20 => return false,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::python_json_loads_ok as ok;

    #[test]
    fn accepts_what_cpython_accepts() {
        for t in [
            "{}",
            "[]",
            " {\"a\": [1, 2.5e-3, -0, true, false, null]} ",
            "3",
            "\"x\"",
            "NaN",
            "[-Infinity, Infinity]",
            "1e400",
            "\"\\ud800\"",
            "{\"a\":{\"b\":{}}}",
            "\n\r\t[1]\n",
        ] {
            assert!(ok(t), "{t:?}");
        }
    }

    #[test]
    fn rejects_what_cpython_rejects() {
        for t in [
            "",
            " ",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "01",
            "1.",
            ".5",
            "+1",
            "1e",
            "[1] x",
            "\u{feff}[]",
            "\"a\nb\"",
            "\"\\x\"",
            "\"\\u12\"",
            "'a'",
            "nan",
            "[1 2]",
            "{\"a\" 1}",
            "\u{a0}[]",
        ] {
            assert!(!ok(t), "{t:?}");
        }
        let huge = "1".repeat(4301);
        assert!(!ok(&huge));
        assert!(ok(&"1".repeat(4300)));
        assert!(ok(&format!("{huge}.0")));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(ok(&deep));
        assert!(!ok(&"[".repeat(100_000)));
    }
}
