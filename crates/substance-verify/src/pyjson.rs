//! Python's `json.dumps(value, indent=2, ensure_ascii=False)`, byte for byte, from the JSON text of the
//! value (lm-eval's `doc_hash` is the sha256 of that string).
//!
//! Hand-written because no JSON crate reproduces Python's layout and key order: the text is re-emitted
//! token by token, so object members keep their order (serde_json's map would sort them), numbers keep
//! their text (the files were written by Python, so a float already is Python's `repr`), and strings are
//! decoded and re-escaped as Python escapes them (`"`, `\`, `\n`, `\r`, `\t`, `\b`, `\f`, other control
//! characters as `\u00XX`; everything else, non-ASCII included, as is).

/// Re-emit `json` (one JSON value) as Python's `json.dumps(…, indent=2, ensure_ascii=False)`.
pub fn dumps_indent2(json: &str) -> Result<String, String> {
    let mut p = Parser {
        s: json.as_bytes(),
        text: json,
        i: 0,
        out: String::with_capacity(json.len() + json.len() / 4),
    };
    p.ws();
    p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("trailing text at byte {}", p.i));
    }
    Ok(p.out)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    out: String,
}

/// Deep enough for any real document; deeper input is refused instead of overflowing the stack.
const MAX_DEPTH: usize = 128;

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn newline(&mut self, depth: usize) {
        self.out.push('\n');
        for _ in 0..depth * 2 {
            self.out.push(' ');
        }
    }

    fn value(&mut self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("nested too deep".to_owned());
        }
        match self.peek() {
            Some(b'{') => self.container(depth, b'}', true),
            Some(b'[') => self.container(depth, b']', false),
            Some(b'"') => {
                let s = self.string()?;
                self.emit_string(&s);
                Ok(())
            }
            Some(_) => {
                let start = self.i;
                while self.i < self.s.len()
                    && !matches!(
                        self.s[self.i],
                        b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r'
                    )
                {
                    self.i += 1;
                }
                let tok = &self.text[start..self.i];
                let ok = matches!(
                    tok,
                    "true" | "false" | "null" | "NaN" | "Infinity" | "-Infinity"
                ) || (!tok.is_empty()
                    && tok.bytes().all(|b| {
                        b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')
                    }));
                if !ok {
                    return Err(format!("unexpected `{tok}` at byte {start}"));
                }
                self.out.push_str(tok);
                Ok(())
            }
            None => Err("unexpected end".to_owned()),
        }
    }

    fn container(&mut self, depth: usize, close: u8, object: bool) -> Result<(), String> {
        self.out.push(if object { '{' } else { '[' });
        self.i += 1;
        self.ws();
        if self.peek() == Some(close) {
            self.i += 1;
            self.out.push(close as char);
            return Ok(());
        }
        loop {
            self.newline(depth + 1);
            if object {
                if self.peek() != Some(b'"') {
                    return Err(format!("expected a member name at byte {}", self.i));
                }
                let k = self.string()?;
                self.emit_string(&k);
                self.ws();
                if self.peek() != Some(b':') {
                    return Err(format!("expected `:` at byte {}", self.i));
                }
                self.i += 1;
                self.ws();
                self.out.push_str(": ");
            }
            self.value(depth + 1)?;
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.i += 1;
                    self.ws();
                    self.out.push(',');
                }
                Some(c) if c == close => {
                    self.i += 1;
                    self.newline(depth);
                    self.out.push(close as char);
                    return Ok(());
                }
                _ => {
                    return Err(format!(
                        "expected `,` or `{}` at byte {}",
                        close as char, self.i
                    ));
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let h = self
            .text
            .get(self.i..self.i + 4)
            .ok_or_else(|| "short \\u escape".to_owned())?;
        let v = u32::from_str_radix(h, 16).map_err(|_| format!("bad \\u escape `{h}`"))?;
        self.i += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.i;
            while self.i < self.s.len() && !matches!(self.s[self.i], b'"' | b'\\') {
                self.i += 1;
            }
            out.push_str(&self.text[start..self.i]);
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let e = self.peek().ok_or("unterminated escape")?;
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi)
                                && self.text.get(self.i..self.i + 2) == Some("\\u")
                            {
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            // a lone surrogate cannot be UTF-8: Python could not have hashed it either
                            out.push(c.ok_or("a lone surrogate in a \\u escape")?);
                        }
                        other => return Err(format!("bad escape `\\{}`", other as char)),
                    }
                }
                _ => return Err("unterminated string".to_owned()),
            }
        }
    }

    fn emit_string(&mut self, s: &str) {
        self.out.push('"');
        for c in s.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                '\u{8}' => self.out.push_str("\\b"),
                '\u{c}' => self.out.push_str("\\f"),
                c if (c as u32) < 0x20 => self.out.push_str(&format!("\\u{:04x}", c as u32)),
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_layout() {
        // python3 -c 'import json; print(json.dumps(json.loads(S), indent=2, ensure_ascii=False))'
        let got =
            dumps_indent2(r#"{"b": [1, 2.5e-07, {}], "a": "x\u00e9\"\n\u0001", "c": []}"#).unwrap();
        assert_eq!(
            got,
            "{\n  \"b\": [\n    1,\n    2.5e-07,\n    {}\n  ],\n  \"a\": \"xé\\\"\\n\\u0001\",\n  \"c\": []\n}"
        );
        assert_eq!(dumps_indent2(r#""\ud83d\ude00""#).unwrap(), "\"😀\"");
        assert!(dumps_indent2("[1,").is_err() && dumps_indent2("{1: 2}").is_err());
        assert!(dumps_indent2(&"[".repeat(1000)).is_err());
    }
}
