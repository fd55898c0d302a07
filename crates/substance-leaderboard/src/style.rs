//! Style features of an answer (Arena-Hard `add_markdown_info.py`, identical at @0489bf3 and @196f6b8;
//! SPEC §2.5): token length and markdown element counts.
//!
//! 1. Fenced code is stripped first, exactly as the reference does it: every **inner** text captured by
//!    ```` ```([^`]*)``` ```` is removed with `str.replace(inner, "")`, one after another — which also removes
//!    other occurrences of the same text outside code, and leaves the fences in place.
//! 2. On the stripped text: headers `^#{k}\s` for k = 1..6 (multi-line; `^#{1}\s` needs "# "), ordered lists
//!    `^\s*\d+\.\s`, unordered lists `^\s*[-*+]\s`, bold `\*\*[^*\n]+\*\*` and `__[^_\n]+__`. Each family is
//!    collapsed to its sum, as both leaderboards do.
//! 3. `token_len` is the tiktoken length of the **full** answer (`disallowed_special=()`, i.e. ordinary
//!    encoding): `cl100k_base` (`encoding_for_model("gpt-3.5-turbo")`, v0.1) or `o200k_base` (`"gpt-4o"`,
//!    v2). Needs the `tiktoken` feature; without it only precomputed lengths can be used.
//!
//! Python's `\s` (str patterns) also matches U+001C..U+001F, which Unicode's `White_Space` (Rust's `\s`)
//! does not; the patterns below spell `[\s\x1C-\x1F]` so both engines agree. `\d` is Unicode `Nd` in both.

use std::sync::OnceLock;

use regex::Regex;

/// Markdown element counts, each family summed.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MarkdownCounts {
    /// h1..h6 headers.
    pub header: f64,
    /// Ordered + unordered list items.
    pub list: f64,
    /// `**bold**` + `__bold__` spans.
    pub bold: f64,
}

/// The four style features of one answer.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StyleMeta {
    /// Token length.
    pub token_len: f64,
    /// Markdown counts.
    pub markdown: MarkdownCounts,
}

impl StyleMeta {
    /// Bundle a length and markdown counts.
    pub fn new(token_len: f64, markdown: MarkdownCounts) -> Self {
        Self {
            token_len,
            markdown,
        }
    }

    /// `[token_len, header, list, bold]`, the reference's column order.
    pub fn as_array(&self) -> [f64; 4] {
        [
            self.token_len,
            self.markdown.header,
            self.markdown.list,
            self.markdown.bold,
        ]
    }
}

/// Which tiktoken encoding measures length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `cl100k_base` (Arena-Hard v0.1).
    Cl100kBase,
    /// `o200k_base` (Arena-Hard v2).
    O200kBase,
}

struct Patterns {
    code: Regex,
    headers: [Regex; 6],
    ordered: Regex,
    unordered: Regex,
    bold_star: Regex,
    bold_under: Regex,
}

fn patterns() -> Option<&'static Patterns> {
    static P: OnceLock<Option<Patterns>> = OnceLock::new();
    P.get_or_init(|| {
        let h = |k: usize| Regex::new(&format!(r"(?m)^#{{{k}}}[\s\x1C-\x1F]")).ok();
        Some(Patterns {
            code: Regex::new(r"```([^`]*)```").ok()?,
            headers: [h(1)?, h(2)?, h(3)?, h(4)?, h(5)?, h(6)?],
            ordered: Regex::new(r"(?m)^[\s\x1C-\x1F]*\d+\.[\s\x1C-\x1F]").ok()?,
            unordered: Regex::new(r"(?m)^[\s\x1C-\x1F]*[-*+][\s\x1C-\x1F]").ok()?,
            bold_star: Regex::new(r"\*\*[^*\n]+\*\*").ok()?,
            bold_under: Regex::new(r"__[^_\n]+__").ok()?,
        })
    })
    .as_ref()
}

/// `remove_pattern(answer, re.compile("```([^`]*)```"))`: remove each captured inner text with
/// `str.replace`, in match order.
pub fn strip_code_blocks(answer: &str) -> String {
    let Some(p) = patterns() else {
        return answer.to_string();
    };
    let blocks: Vec<String> = p
        .code
        .captures_iter(answer)
        .filter_map(|c| c.get(1).map(|m| m.as_str().to_string()))
        .collect();
    let mut out = answer.to_string();
    for b in blocks {
        if !b.is_empty() {
            out = out.replace(&b, "");
        }
    }
    out
}

/// Markdown counts of an answer, code stripped first (the reference's `count_markdown_elements` after
/// `remove_pattern`).
pub fn count_markdown(answer: &str) -> MarkdownCounts {
    let Some(p) = patterns() else {
        return MarkdownCounts::default();
    };
    let text = strip_code_blocks(answer);
    let n = |re: &Regex| re.find_iter(&text).count() as f64;
    MarkdownCounts {
        header: p.headers.iter().map(n).sum(),
        list: n(&p.ordered) + n(&p.unordered),
        bold: n(&p.bold_star) + n(&p.bold_under),
    }
}

/// Token length of `text` under `encoding` (ordinary encoding, special-token text counted as text). `None`
/// without the `tiktoken` feature.
#[cfg(feature = "tiktoken")]
pub fn token_len(text: &str, encoding: Encoding) -> Option<usize> {
    let bpe = match encoding {
        Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
        Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
    };
    Some(bpe.encode_ordinary(text).len())
}

/// Token length of `text` under `encoding`. `None`: this build has no `tiktoken` feature.
#[cfg(not(feature = "tiktoken"))]
pub fn token_len(_text: &str, _encoding: Encoding) -> Option<usize> {
    None
}

/// Style metadata computed from the answer text alone.
pub fn style_meta_from_text(text: &str, encoding: Encoding) -> Option<StyleMeta> {
    Some(StyleMeta::new(
        token_len(text, encoding)? as f64,
        count_markdown(text),
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn markdown_counts_follow_the_reference_regexes() {
        let t = "# Title\n## Sub\n#NoSpace\n### x\n1. one\n  2. two\n- a\n* b\n+ c\n-no\n**bold** and __also__ and **not\nbold**";
        let c = count_markdown(t);
        assert_eq!(c.header, 3.0);
        assert_eq!(c.list, 5.0);
        assert_eq!(c.bold, 2.0);
    }

    #[test]
    fn code_blocks_are_stripped_by_replace() {
        // The inner text "\n# not a header\n" is removed; the fences stay.
        let t = "```\n# not a header\n```\n# header\n";
        assert_eq!(strip_code_blocks(t), "``````\n# header\n");
        assert_eq!(count_markdown(t).header, 1.0);
        // The same text outside the block goes too (str.replace semantics).
        let t2 = "x**b**y\n```**b**```\n**b**";
        assert_eq!(strip_code_blocks(t2), "xy\n``````\n");
    }

    #[test]
    fn python_whitespace_includes_separators() {
        assert_eq!(count_markdown("#\x1ftitle").header, 1.0);
        assert_eq!(count_markdown("-\u{a0}item").list, 1.0);
    }

    #[cfg(feature = "tiktoken")]
    #[test]
    fn token_lengths() {
        assert_eq!(token_len("hello world", Encoding::Cl100kBase), Some(2));
        assert_eq!(token_len("", Encoding::O200kBase), Some(0));
    }
}
