//! HellaSwag from the preprocessed text file (`hellaswag_val_full.txt`, 6 lines per item):
//!
//! ```text
//! activity_label + ": " + ctx
//! label (0-3)
//! ending 0
//! ending 1
//! ending 2
//! ending 3
//! ```
//!
//! The importer takes the **decompressed** text (the published file is bzip2; decompressing is the
//! caller's job so this crate stays dependency-light and wasm-friendly).
//!
//! lm-eval builds `query = preprocess(activity_label + ": " + ctx_a + " " + ctx_b.capitalize())` and
//! `choices = [preprocess(e) for e in endings]`, with `preprocess` = strip, `" [title]"` → `". "`, delete
//! `\[.*?\]`, `"  "` → `" "`. The text file has `ctx = ctx_a + " " + ctx_b` with `ctx_b` *not*
//! capitalised, and the `ctx_a`/`ctx_b` boundary is lost. Reconstruction: when the context does not end
//! with `.`, `!` or `?` (the ActivityNet items, whose `ctx_b` is the start of an unfinished sentence), the
//! text after the last sentence end (`". "`, `"! "`, `"? "`) is taken as `ctx_b` and capitalised with
//! Python's `str.capitalize` semantics (first character upper-cased, the rest lower-cased); WikiHow items
//! (empty `ctx_b`) end with punctuation and are left alone. On the validation file this gives lm-eval's
//! well-known first query, `"Roof shingle removal: A man is sitting on a roof. He"`. `preprocess` is then
//! applied to the query and to every ending, exactly as lm-eval does.

use serde_json::Value;
use substance_core::{OutputType, Suite};

use super::{ImportOptions, base_spec, finish, item, utf8};
use crate::SuiteError;

/// lm-eval's HellaSwag `preprocess`.
pub fn preprocess(text: &str) -> String {
    let text = text.trim();
    let text = text.replace(" [title]", ". ");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    // re.sub("\\[.*?\\]", "", text): non-greedy, no newlines in `.`.
    while let Some(start) = rest.find('[') {
        let after = &rest[start + 1..];
        match after.find([']', '\n']) {
            Some(end) if after[end..].starts_with(']') => {
                out.push_str(&rest[..start]);
                rest = &after[end + 1..];
            }
            Some(end) => {
                // A newline before the closing bracket: this `[` does not start a match.
                out.push_str(&rest[..start + 1 + end]);
                rest = &after[end..];
            }
            None => {
                out.push_str(&rest[..start + 1]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.replace("  ", " ")
}

/// Python's `str.capitalize`.
pub fn py_capitalize(s: &str) -> String {
    let mut cs = s.chars();
    match cs.next() {
        None => String::new(),
        Some(first) => first
            .to_uppercase()
            .chain(cs.flat_map(char::to_lowercase))
            .collect(),
    }
}

/// Capitalise the reconstructed `ctx_b` of a `label: ctx` line (see the module docs).
pub fn reconstruct_query(line: &str) -> String {
    let ends_sentence = line.trim_end().ends_with(['.', '!', '?']);
    if ends_sentence {
        return line.to_owned();
    }
    let boundary = [". ", "! ", "? "]
        .iter()
        .filter_map(|p| line.rfind(p).map(|i| i + p.len()))
        .max();
    match boundary {
        Some(b) => format!("{}{}", &line[..b], py_capitalize(&line[b..])),
        None => line.to_owned(),
    }
}

/// Import the decompressed 6-lines-per-item text. acc, acc_norm.
pub fn import(bytes: &[u8], origin: &str, opts: &ImportOptions) -> Result<Suite, SuiteError> {
    let text = utf8(bytes, origin)?;
    let mut lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    if lines.len() % 6 != 0 {
        return Err(SuiteError::syntax(
            origin,
            Some(lines.len()),
            format!(
                "{} lines is not a multiple of 6 (context, label, 4 endings per item)",
                lines.len()
            ),
        ));
    }
    let mut items = Vec::with_capacity(lines.len() / 6);
    for (i, chunk) in lines.chunks(6).enumerate() {
        let first = i * 6 + 1;
        let ctx = chunk[0];
        if ctx.trim().is_empty() {
            return Err(SuiteError::field_error(
                origin,
                Some(first),
                "context",
                "empty context line",
            ));
        }
        let gold = chunk[1]
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|g| *g < 4)
            .ok_or_else(|| {
                SuiteError::field_error(
                    origin,
                    Some(first + 1),
                    "label",
                    format!("`{}` is not a label 0-3", chunk[1].trim()),
                )
            })?;
        let mut it = item(
            format!("hellaswag-{i}"),
            preprocess(&reconstruct_query(ctx)),
        );
        it.choices = chunk[2..].iter().map(|e| preprocess(e)).collect();
        it.gold = vec![gold];
        if let Some((label, _)) = ctx.split_once(": ") {
            it.meta
                .insert("activity_label".to_owned(), Value::String(label.to_owned()));
        }
        items.push(it);
    }
    let spec = base_spec(
        "hellaswag",
        "HellaSwag validation, lm-eval format: preprocessed \"{activity_label}: {ctx}\" followed by each ending (acc, acc_norm).",
        OutputType::MultipleChoice,
        "{input}",
        &["acc", "acc_norm"],
    );
    finish(
        Suite {
            spec,
            items,
            fewshot_pool: Vec::new(),
        },
        origin,
        opts,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn preprocess_matches_lm_eval() {
        assert_eq!(
            preprocess(" How to X [title] Do it [step] now  ok "),
            "How to X. Do it now ok"
        );
        assert_eq!(preprocess("a [b"), "a [b");
        assert_eq!(preprocess("a [x] [y]z"), "a z");
    }

    #[test]
    fn capitalisation_of_ctx_b() {
        assert_eq!(
            reconstruct_query("Roof shingle removal: A man is sitting on a roof. he"),
            "Roof shingle removal: A man is sitting on a roof. He"
        );
        assert_eq!(
            reconstruct_query("Family Life: How to x. Ask the toddler."),
            "Family Life: How to x. Ask the toddler."
        );
        assert_eq!(py_capitalize("the man in PARIS"), "The man in paris");
        assert_eq!(reconstruct_query("no boundary here"), "no boundary here");
    }
}
