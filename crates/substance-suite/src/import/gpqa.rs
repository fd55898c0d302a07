//! GPQA (Rein et al., 2023) as the Open LLM Leaderboard v2 runs it: lm-eval's
//! `leaderboard_gpqa_{diamond,extended,main}` (`tasks/leaderboard/gpqa` at 74d23a67, the harness commit
//! SOS-Bench's results name): zero-shot multiple choice over `(A)`…`(D)` after
//! `"What is the correct answer to this question:{Question}\nChoices:\n(A) {choice1}\n…(D) {choice4}\nAnswer: "`,
//! metric `acc_norm` (and `acc`).
//!
//! The dataset (`Idavidrein/gpqa`) is gated, so the input is its local CSV, one subset per file
//! (`gpqa_diamond.csv`, `gpqa_extended.csv`, `gpqa_main.csv`; the subset from the file name or
//! `--subject`). The harness's `process_docs` puts the three incorrect answers and the correct one
//! (each through its `preprocess`: strip, ` [title]` → `. `, bracketed notes removed, double spaces
//! halved) in a list and calls Python's **global** `random.shuffle` on it. That order is reproduced
//! bit for bit ([`PyRandom`]): the stream is seeded 0 (lm-eval's `random_seed`), and the three subsets
//! draw from it in the order the leaderboard group builds them — diamond (198 questions), extended
//! (546), main (448) — each row three `_randbelow` calls in file order; a task's docs are shuffled when
//! it is built and later reads are served from the Hugging Face `datasets` cache. So a file must hold
//! its subset's official number of rows (another count is an error: the order could not be the
//! leaderboard's). Where the cache is off (a fingerprint that cannot be hashed), the harness shuffles
//! again on every read and scores against a different order than it asked about (lm-eval issue 2513):
//! that run cannot be reproduced by anyone, and this importer reproduces the cached one.
//!
//! Cells are read as Hugging Face's CSV builder reads them, through pandas' defaults: an empty cell or
//! one of pandas' NA strings (`None`, `N/A`, `NA`, `null`, `nan`, …) is a missing value, which
//! `preprocess` turns into `" "`. The gold is the first choice equal to the preprocessed correct answer
//! (Python's `list.index`), even when an incorrect answer is the same text. Reference values:
//! `scripts/gpqa_reference.py` (the harness's own `utils.py`, Python's `random`, pandas).

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;
use substance_core::{OutputType, Suite};
use substance_metrics::pyrandom::PyRandom;

use super::{CsvTable, ImportOptions, base_spec, file_stem, finish, item};
use crate::SuiteError;
use crate::prompt::py_isspace;

/// The subsets in the order the leaderboard builds them, with their official row counts.
pub const SUBSETS: [(&str, usize); 3] = [("diamond", 198), ("extended", 546), ("main", 448)];

/// The task's `doc_to_text`, in this kit's placeholder syntax.
pub const GPQA_TEMPLATE: &str = "What is the correct answer to this question:{input}\nChoices:\n(A) {choice1}\n(B) {choice2}\n(C) {choice3}\n(D) {choice4}\nAnswer: ";

/// pandas' default NA strings (`pandas.read_csv`, pandas ≥ 2.0), which the `datasets` CSV builder keeps.
const PANDAS_NA: [&str; 19] = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

static NOTE: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Regex::new(r"\[.*?\]").expect("valid regex")
});

/// The harness's `preprocess` of an answer cell (`None` for a missing value).
pub fn preprocess(text: Option<&str>) -> String {
    let Some(t) = text else {
        return " ".to_owned();
    };
    let t = t.trim_matches(py_isspace).replace(" [title]", ". ");
    NOTE.replace_all(&t, "").replace("  ", " ")
}

fn cell(t: &CsvTable, row: &(usize, csv::StringRecord), col: usize) -> Option<String> {
    let v = t.cell(row, col);
    (!PANDAS_NA.contains(&v)).then(|| v.to_owned())
}

/// Import one GPQA subset file.
pub fn import(bytes: &[u8], origin: &str, opts: &ImportOptions) -> Result<Suite, SuiteError> {
    let stem = file_stem(origin).to_ascii_lowercase();
    let subset = match opts.subject.as_deref() {
        Some(s) => SUBSETS.iter().position(|(n, _)| *n == s).ok_or_else(|| {
            SuiteError::syntax(origin, None, format!("--subject {s}: GPQA subsets are diamond, extended, main"))
        })?,
        None => SUBSETS.iter().position(|(n, _)| stem.contains(n)).ok_or_else(|| {
            SuiteError::syntax(
                origin,
                None,
                "name the GPQA subset: a file name containing diamond, extended or main, or --subject",
            )
        })?,
    };
    let (name, official) = SUBSETS[subset];
    let t = CsvTable::parse(bytes, origin)?;
    let cols = [
        t.col("Question")?,
        t.col("Incorrect Answer 1")?,
        t.col("Incorrect Answer 2")?,
        t.col("Incorrect Answer 3")?,
        t.col("Correct Answer")?,
    ];
    let id_col = t.opt_col("Record ID");
    if t.rows.len() != official {
        return Err(SuiteError::syntax(
            origin,
            None,
            format!(
                "GPQA {name} has {official} questions and this file {}: the leaderboard's choice order comes from one random stream drawn by diamond (198), extended (546) and main (448) in turn, so it can only be reproduced on the official files",
                t.rows.len()
            ),
        ));
    }
    // lm-eval's `random.seed(0)`, then the draws of the subsets built before this one (three
    // `_randbelow` per row, whatever the text).
    let mut rng = PyRandom::new(0);
    for (_, n) in &SUBSETS[..subset] {
        for _ in 0..*n {
            rng.shuffle(&mut [0u8; 4]);
        }
    }
    let mut items = Vec::with_capacity(t.rows.len());
    for (i, row) in t.rows.iter().enumerate() {
        let question = t.required(row, cols[0])?;
        let mut choices: Vec<String> = cols[1..]
            .iter()
            .map(|c| preprocess(cell(&t, row, *c).as_deref()))
            .collect();
        let correct = choices[3].clone();
        rng.shuffle(&mut choices);
        let gold = choices.iter().position(|c| *c == correct).unwrap_or(3);
        let id = id_col
            .map(|c| t.cell(row, c).trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("{name}-{i}"));
        let mut it = item(id, question.to_owned());
        for (k, c) in choices.into_iter().enumerate() {
            it.meta.insert(format!("choice{}", k + 1), Value::String(c));
        }
        it.choices = ["(A)", "(B)", "(C)", "(D)"].map(String::from).to_vec();
        it.gold = vec![gold];
        items.push(it);
    }
    let task = format!("leaderboard_gpqa_{name}");
    let spec = base_spec(
        &task,
        &format!(
            "GPQA {name} as the Open LLM Leaderboard v2 runs it (lm-eval {task}, harness 74d23a67): zero-shot multiple choice over (A)-(D), the choices in the order Python's random stream seeded 0 gives them when diamond, extended and main are built in turn (acc_norm)"
        ),
        OutputType::MultipleChoice,
        GPQA_TEMPLATE,
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
