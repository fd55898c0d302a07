//! Token-level text diff (Myers' O(ND) algorithm) for highlighting what a probe changed.
//!
//! Texts are cut into tokens — runs of alphanumeric characters, runs of whitespace, and single other
//! characters — and the shortest edit script between the two token sequences is returned as spans.
//! Concatenating the `Equal` and `Delete` spans gives the original text; `Equal` and `Insert` spans give the
//! new text (tested).

use serde::{Deserialize, Serialize};

/// What a span is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanKind {
    /// In both texts.
    Equal,
    /// Only in the new text.
    Insert,
    /// Only in the original text.
    Delete,
}

/// A run of text with its diff status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Status.
    pub kind: SpanKind,
    /// The text.
    pub text: String,
}

/// Cut a text into diff tokens.
pub fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut class: Option<u8> = None;
    for (i, c) in s.char_indices() {
        let k = if c.is_alphanumeric() || c == '_' {
            0
        } else if c.is_whitespace() {
            1
        } else {
            2
        };
        match class {
            Some(prev) if prev == k && k != 2 => {}
            Some(_) => {
                out.push(&s[start..i]);
                start = i;
            }
            None => {}
        }
        class = Some(k);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// The diff of `old` → `new` as merged spans.
pub fn diff(old: &str, new: &str) -> Vec<Span> {
    let a = tokens(old);
    let b = tokens(new);
    // Common prefix and suffix first: probes touch little, so this keeps the search small.
    let mut pre = 0;
    while pre < a.len() && pre < b.len() && a[pre] == b[pre] {
        pre += 1;
    }
    let mut suf = 0;
    while suf < a.len() - pre && suf < b.len() - pre && a[a.len() - 1 - suf] == b[b.len() - 1 - suf]
    {
        suf += 1;
    }
    let mut ops: Vec<(SpanKind, &str)> = a[..pre].iter().map(|t| (SpanKind::Equal, *t)).collect();
    ops.extend(myers(&a[pre..a.len() - suf], &b[pre..b.len() - suf]));
    ops.extend(a[a.len() - suf..].iter().map(|t| (SpanKind::Equal, *t)));
    let mut spans: Vec<Span> = Vec::new();
    for (k, t) in ops {
        match spans.last_mut() {
            Some(last) if last.kind == k => last.text.push_str(t),
            _ => spans.push(Span {
                kind: k,
                text: t.to_owned(),
            }),
        }
    }
    spans
}

/// Myers' greedy shortest edit script, returning the tokens in order with their status.
fn myers<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<(SpanKind, &'a str)> {
    let n = a.len() as isize;
    let m = b.len() as isize;
    let max = (n + m) as usize;
    if max == 0 {
        return Vec::new();
    }
    let off = max as isize;
    let mut v = vec![0isize; 2 * max + 2];
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let mut found = false;
    for d in 0..=max as isize {
        trace.push(v.clone());
        let mut k = -d;
        while k <= d {
            let idx = (k + off) as usize;
            let mut x = if k == -d || (k != d && v[idx - 1] < v[idx + 1]) {
                v[idx + 1]
            } else {
                v[idx - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[idx] = x;
            if x >= n && y >= m {
                found = true;
                break;
            }
            k += 2;
        }
        if found {
            break;
        }
    }
    // Backtrack.
    let mut out = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (0..trace.len() as isize).rev() {
        let v = &trace[d as usize];
        let k = x - y;
        let idx = (k + off) as usize;
        let prev_k = if k == -d || (k != d && v[idx - 1] < v[idx + 1]) {
            k + 1
        } else {
            k - 1
        };
        let prev_x = v[(prev_k + off) as usize];
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            x -= 1;
            y -= 1;
            out.push((SpanKind::Equal, a[x as usize]));
        }
        if d > 0 {
            if x == prev_x {
                y -= 1;
                out.push((SpanKind::Insert, b[y as usize]));
            } else {
                x -= 1;
                out.push((SpanKind::Delete, a[x as usize]));
            }
        }
    }
    out.reverse();
    out
}

/// Rebuild `(old, new)` from spans.
pub fn sides(spans: &[Span]) -> (String, String) {
    let mut old = String::new();
    let mut new = String::new();
    for s in spans {
        match s.kind {
            SpanKind::Equal => {
                old.push_str(&s.text);
                new.push_str(&s.text);
            }
            SpanKind::Delete => old.push_str(&s.text),
            SpanKind::Insert => new.push_str(&s.text),
        }
    }
    (old, new)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_cases() {
        let d = diff("The sky is blue.", "The sky is not blue.");
        assert_eq!(
            d.iter()
                .filter(|s| s.kind == SpanKind::Insert)
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>(),
            vec!["not "]
        );
        let d = diff("It has 3 moons.", "It has 7 moons.");
        assert!(
            d.iter()
                .any(|s| s.kind == SpanKind::Delete && s.text == "3")
        );
        assert!(
            d.iter()
                .any(|s| s.kind == SpanKind::Insert && s.text == "7")
        );
        assert_eq!(diff("", ""), vec![]);
        assert_eq!(
            diff("a", "a"),
            vec![Span {
                kind: SpanKind::Equal,
                text: "a".into()
            }]
        );
        assert_eq!(tokens("ab  c,d"), vec!["ab", "  ", "c", ",", "d"]);
    }

    proptest! {
        #[test]
        fn spans_rebuild_both_texts(a in "[ab ,.\\n]{0,40}", b in "[ab ,.\\n]{0,40}") {
            let d = diff(&a, &b);
            prop_assert_eq!(sides(&d), (a.clone(), b.clone()));
        }
    }
}
