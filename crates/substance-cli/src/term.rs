//! Terminal and log safety: everything the CLI writes goes through here.
//!
//! Model names, item ids, judge verdicts and file texts are untrusted. Printed raw, an `ESC [` sequence
//! in an item id can recolour or clear the terminal, rewrite the title, or (with OSC 8/52) plant links or
//! clipboard contents; a `CR` or `BS` can overwrite what was printed before it; a bidi override can make
//! `ok` read as a different word. So the CLI never calls `println!`/`eprintln!` itself (the workspace
//! lints `print_stdout`/`print_stderr` are on for this crate outside this module): it uses [`outln!`],
//! [`out!`] and [`errln!`], which format first and then escape every control character in the result,
//! and [`crate::util::print_json`], which escapes the same characters with JSON's own `\uXXXX` (the
//! JSON stays valid and means the same string).
//!
//! Escaped: C0 controls except line feed and tab (ESC, BEL, BS, CR, NUL, …), DEL, the C1 controls
//! U+0080–U+009F, the bidi controls (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069) and the line and
//! paragraph separators U+2028/U+2029. Each becomes `\u{XX}` in text. Line feeds pass: the CLI's own
//! tables are made of lines, and a line feed cannot hide or rewrite text already shown.
//! The escaping is applied to whole formatted lines rather than to each field, because the CLI's own
//! format strings never contain such characters: one place, nothing to forget at a call site.

use std::borrow::Cow;
use std::io::Write;

/// Whether `c` is escaped before it reaches a terminal.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{2028}' | '\u{2029}')
}

/// `s` with every [`is_unsafe`] character written `\u{XX}` (borrowed when there is none).
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_with(s, |c, out| out.push_str(&format!("\\u{{{:x}}}", c as u32)))
}

/// JSON text with every [`is_unsafe`] character written as JSON's `\uXXXX` escape. Only for text
/// serde_json produced: it writes C0 controls escaped already, and the others occur only inside
/// strings, where `\uXXXX` means the same character.
pub fn escape_json(s: &str) -> Cow<'_, str> {
    escape_with(s, |c, out| out.push_str(&format!("\\u{:04x}", c as u32)))
}

fn escape_with(s: &str, write: impl Fn(char, &mut String)) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_unsafe(c) {
            write(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Which stream a line goes to.
#[derive(Clone, Copy)]
pub enum Stream {
    /// Standard output: results.
    Out,
    /// Standard error: progress, warnings, errors.
    Err,
}

/// Write already-formatted text, escaped, to a stream. A closed standard output (`substance … | head`)
/// ends the process quietly with the status a SIGPIPE would give; other write errors are ignored, as
/// `eprintln!` would have panicked on them.
pub fn write(stream: Stream, text: std::fmt::Arguments<'_>, newline: bool) {
    let formatted = text.to_string();
    let mut safe = escape(&formatted).into_owned();
    if newline {
        safe.push('\n');
    }
    let result = match stream {
        Stream::Out => {
            let mut o = std::io::stdout().lock();
            o.write_all(safe.as_bytes()).and_then(|()| o.flush())
        }
        Stream::Err => std::io::stderr().lock().write_all(safe.as_bytes()),
    };
    if let Err(e) = result {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
    }
}

/// `println!` with control characters escaped (see the module doc).
#[macro_export]
macro_rules! outln {
    () => { $crate::term::write($crate::term::Stream::Out, format_args!(""), true) };
    ($($t:tt)*) => { $crate::term::write($crate::term::Stream::Out, format_args!($($t)*), true) };
}

/// `print!` with control characters escaped (see the module doc).
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => { $crate::term::write($crate::term::Stream::Out, format_args!($($t)*), false) };
}

/// `eprintln!` with control characters escaped (see the module doc).
#[macro_export]
macro_rules! errln {
    () => { $crate::term::write($crate::term::Stream::Err, format_args!(""), true) };
    ($($t:tt)*) => { $crate::term::write($crate::term::Stream::Err, format_args!($($t)*), true) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_text_is_kept() {
        let hostile = "a\u{1b}[2Jb\u{7}c\u{8}d\re\u{9b}31m\u{202e}olleh\u{2066}x\u{0}";
        let e = escape(hostile);
        assert_eq!(
            e,
            "a\\u{1b}[2Jb\\u{7}c\\u{8}d\\u{d}e\\u{9b}31m\\u{202e}olleh\\u{2066}x\\u{0}"
        );
        assert!(!e.chars().any(is_unsafe));
        assert!(matches!(escape("plain\ttext\nline é 中"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_escapes_keep_the_json_meaning() {
        let v = serde_json::json!({"id": "x\u{202e}y\u{85}z\u{1b}"});
        let text = serde_json::to_string(&v).unwrap_or_default();
        let safe = escape_json(&text);
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap_or_default();
        assert_eq!(back, v);
    }
}
