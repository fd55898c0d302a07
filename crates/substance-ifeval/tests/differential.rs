//! Differential test against the real Python libraries (nltk 3.8.1 Punkt and `word_tokenize`,
//! `RegexpTokenizer(r"\w+")`, langdetect 1.0.9 seeded with 0).
//!
//! The oracle file is produced by `tools/oracle.py` (see its docstring) and is not part of the
//! repository; set `SUBSTANCE_IFEVAL_ORACLE=/path/to/oracle.json` to run this comparison. Without
//! it the test prints why it is skipped and passes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use serde_json::Value;
use substance_ifeval::{langdetect, text};

#[test]
fn rust_ports_agree_with_python_oracle() {
    let Ok(path) = std::env::var("SUBSTANCE_IFEVAL_ORACLE") else {
        eprintln!(
            "SKIP differential test: SUBSTANCE_IFEVAL_ORACLE is not set (see tools/oracle.py)"
        );
        return;
    };
    let raw = std::fs::read_to_string(&path).expect("read oracle");
    let rows: Vec<Value> = serde_json::from_str(&raw).expect("parse oracle");
    let (mut sent_bad, mut tok_bad, mut words_bad, mut lang_bad) = (0, 0, 0, 0);
    for row in &rows {
        let t = row["text"].as_str().expect("text");
        let short: String = t.chars().take(100).collect();
        let want_s: Vec<String> = serde_json::from_value(row["sentences"].clone()).expect("s");
        let got_s = text::sentences(t);
        if got_s != want_s {
            sent_bad += 1;
            eprintln!("SENTENCES {short:?}\n  want {want_s:?}\n  got  {got_s:?}");
        }
        let want_w: Vec<String> = serde_json::from_value(row["word_tokenize"].clone()).expect("w");
        let got_w = text::word_tokenize(t);
        if got_w != want_w {
            tok_bad += 1;
            eprintln!("WORD_TOKENIZE {short:?}\n  want {want_w:?}\n  got  {got_w:?}");
        }
        let want_n = row["count_words"].as_u64().expect("n") as usize;
        if text::count_words(t) != want_n {
            words_bad += 1;
            eprintln!(
                "COUNT_WORDS {short:?}: want {want_n} got {}",
                text::count_words(t)
            );
        }
        let want_l = row["langdetect"].as_str().map(str::to_owned);
        let got_l = langdetect::detect(t).ok();
        if got_l != want_l {
            lang_bad += 1;
            eprintln!("LANGDETECT {short:?}: want {want_l:?} got {got_l:?}");
        }
    }
    eprintln!(
        "{} texts: sentence mismatches {sent_bad}, word_tokenize {tok_bad}, count_words {words_bad}, langdetect {lang_bad}",
        rows.len()
    );
    assert_eq!((sent_bad, tok_bad, words_bad, lang_bad), (0, 0, 0, 0));
}
