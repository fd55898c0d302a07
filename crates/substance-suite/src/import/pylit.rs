//! `ast.literal_eval` for the Python literals benchmark files store (MuSR's `choices` and
//! `questions`, MMLU-Pro's `options` in its prediction files): strings, integers, floats, booleans,
//! `None`, lists, tuples and dicts with string keys, as JSON values. No crate reads Python literals
//! (a Python parser crate would be a large dependency for this small subset), so it is written here.

use serde_json::{Map, Value};

/// `ast.literal_eval` for the literals a dataset stores: strings (single, double or triple quotes;
/// the escapes `\\ \' \" \n \t \r \xhh \uXXXX \UXXXXXXXX` and an escaped newline), integers, floats,
/// `True`/`False`/`None`, lists, tuples and dicts with string keys, as JSON values.
pub(crate) fn py_literal(s: &str) -> Result<Value, String> {
    let mut p = Py {
        s: s.as_bytes(),
        i: 0,
        text: s,
    };
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("unexpected `{}` at byte {}", p.rest(), p.i));
    }
    Ok(v)
}

struct Py<'a> {
    s: &'a [u8],
    i: usize,
    text: &'a str,
}

impl Py<'_> {
    fn rest(&self) -> String {
        self.text
            .get(self.i..)
            .unwrap_or("")
            .chars()
            .take(12)
            .collect()
    }
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > 128 {
            return Err("nested too deep".to_owned());
        }
        self.ws();
        match self.s.get(self.i) {
            None => Err("unexpected end".to_owned()),
            Some(b'[') => self.seq(b']', depth).map(Value::Array),
            Some(b'(') => self.seq(b')', depth).map(Value::Array),
            Some(b'{') => self.dict(depth),
            Some(b'\'' | b'"') => self.string().map(Value::String),
            Some(_) => self.atom(),
        }
    }
    fn seq(&mut self, close: u8, depth: usize) -> Result<Vec<Value>, String> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            self.ws();
            if self.s.get(self.i) == Some(&close) {
                self.i += 1;
                return Ok(out);
            }
            out.push(self.value(depth + 1)?);
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(c) if *c == close => {}
                _ => {
                    return Err(format!(
                        "expected `,` or `{}` at byte {}",
                        close as char, self.i
                    ));
                }
            }
        }
    }
    fn dict(&mut self, depth: usize) -> Result<Value, String> {
        self.i += 1;
        let mut out = Map::new();
        loop {
            self.ws();
            if self.s.get(self.i) == Some(&b'}') {
                self.i += 1;
                return Ok(Value::Object(out));
            }
            let Value::String(k) = self.value(depth + 1)? else {
                return Err(format!(
                    "a dict key that is not a string at byte {}",
                    self.i
                ));
            };
            self.ws();
            if self.s.get(self.i) != Some(&b':') {
                return Err(format!("expected `:` at byte {}", self.i));
            }
            self.i += 1;
            let v = self.value(depth + 1)?;
            // a repeated key keeps the last value in Python; refused here (reading policy rule 4)
            if out.insert(k.clone(), v).is_some() {
                return Err(format!("dict key `{k}` given twice"));
            }
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {}
                _ => return Err(format!("expected `,` or `}}` at byte {}", self.i)),
            }
        }
    }
    fn atom(&mut self) -> Result<Value, String> {
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric()
                || matches!(self.s[self.i], b'.' | b'-' | b'+' | b'_'))
        {
            self.i += 1;
        }
        let word = &self.text[start..self.i];
        match word {
            "True" => Ok(Value::Bool(true)),
            "False" => Ok(Value::Bool(false)),
            "None" => Ok(Value::Null),
            _ => {
                let clean = word.replace('_', "");
                if let Ok(i) = clean.parse::<i64>() {
                    return Ok(Value::from(i));
                }
                clean
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| format!("`{word}` is not a literal (byte {start})"))
            }
        }
    }
    fn string(&mut self) -> Result<String, String> {
        let q = self.s[self.i];
        let triple = self.s.get(self.i..self.i + 3) == Some(&[q, q, q][..]);
        self.i += if triple { 3 } else { 1 };
        let mut out = String::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err("a string is not closed".to_owned());
            };
            if c == q && (!triple || self.s.get(self.i..self.i + 3) == Some(&[q, q, q][..])) {
                self.i += if triple { 3 } else { 1 };
                return Ok(out);
            }
            if c == b'\n' && !triple {
                return Err("a newline inside a one-line string".to_owned());
            }
            if c == b'\\' {
                let Some(&e) = self.s.get(self.i + 1) else {
                    return Err("a string ends in `\\`".to_owned());
                };
                self.i += 2;
                let hex = |p: &mut Self, n: usize| -> Result<char, String> {
                    let h = p.text.get(p.i..p.i + n).ok_or("a short escape")?;
                    let v = u32::from_str_radix(h, 16).map_err(|_| format!("bad escape `{h}`"))?;
                    p.i += n;
                    char::from_u32(v).ok_or_else(|| format!("escape `{h}` is no character"))
                };
                match e {
                    b'\\' => out.push('\\'),
                    b'\'' => out.push('\''),
                    b'"' => out.push('"'),
                    b'n' => out.push('\n'),
                    b't' => out.push('\t'),
                    b'r' => out.push('\r'),
                    b'0' => out.push('\0'),
                    b'\n' => {}
                    b'x' => out.push(hex(self, 2)?),
                    b'u' => out.push(hex(self, 4)?),
                    b'U' => out.push(hex(self, 8)?),
                    // Python keeps an unknown escape as written
                    _ => {
                        out.push('\\');
                        self.i -= 1;
                    }
                }
                continue;
            }
            // one UTF-8 character
            let ch = self.text[self.i..].chars().next().ok_or("bad text")?;
            out.push(ch);
            self.i += ch.len_utf8();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn python_literals_read_as_json() {
        let v = py_literal(
            r#"[{'question': 'Who\'s "it"?', 'answer': 1, 'choices': ['A b', "C\nd"], 'x': (1.5, None, True, -2), 'u': '\u00e9\x41'}]"#,
        )
        .unwrap();
        assert_eq!(v[0]["question"], "Who's \"it\"?");
        assert_eq!(v[0]["choices"][1], "C\nd");
        assert_eq!(v[0]["x"], serde_json::json!([1.5, null, true, -2]));
        assert_eq!(v[0]["u"], "éA");
        assert_eq!(py_literal("'''a\n'b'''").unwrap(), "a\n'b");
        for bad in [
            "[1, 2",
            "{'a': 1, 'a': 2}",
            "[nan]",
            "'open",
            "{1: 2}",
            "[1] 2",
            "os.system('x')",
        ] {
            assert!(py_literal(bad).is_err(), "{bad}");
        }
    }
}
