//! MMLU-Pro prediction files (`model_outputs_<model>_<k>shots.json`, TIGER-AI-Lab/MMLU-Pro): one JSON
//! array of the test questions, each with the model's output, the `pred` the evaluation script
//! extracted from it, and the gold `answer`.
//!
//! Rules (MMLU-Pro `evaluate_from_local.py` / `compute_accuracy.py`, read at f418b11):
//! - the answer is extracted with three patterns in order: `answer is \(?([A-J])\)?` (first match);
//!   `.*[aA]nswer:\s*([A-J])` (Python `re.search`: `.` stops at a newline, so the first line holding one,
//!   its last occurrence there); `\b[A-J]\b(?!.*\b[A-J]\b)` with DOTALL, i.e. the last standalone letter.
//!   The look-ahead is implemented as "last match" (equivalent: one-letter matches cannot overlap), and
//!   Python's `\s`/`\b` are matched with Python's character classes (`str.isspace` includes
//!   U+001C–U+001F; a word character is a letter, a number or `_`).
//! - an item with no extractable answer is scored by a random guess among its options. The current
//!   script seeds once per run, so the reported accuracy is one draw: we report the exact range
//!   `[lo, hi]` and the expected value, and name those items. The 2024 script re-seeded with 12345
//!   before every guess, which makes the guess a function of the option count ([`LEGACY_GUESS`]); the
//!   accuracy under that rule is given as a detail.
//! - the response field is `model_outputs` (current) or `generated_text` (files of mid-2024).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;
use serde::Deserialize;
use serde_json::Value;
use substance_core::input::{self, UniqueKeys};

use crate::report::{Check, Finding, Recomputed, Report, Severity, Status};
use crate::{ClaimBook, VerifyError};

/// Task name used for checks and claims (`mmlu_pro`, `mmlu_pro/<category>`).
pub const TASK: &str = "mmlu_pro";

/// `random.seed(12345); random.randint(0, n - 1)` in CPython for n = 1..=10 (the 2024 script's guess;
/// produced by `scripts/mmlu_pro_reference.py --legacy-table`).
pub const LEGACY_GUESS: [usize; 10] = [0, 1, 1, 3, 3, 3, 3, 6, 6, 6];

const LETTERS: &[u8; 10] = b"ABCDEFGHIJ";

/// One question of a prediction file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 1-based position in the array.
    pub record: usize,
    /// `question_id` as text.
    pub question_id: String,
    /// Number of options (1..=10).
    pub n_options: usize,
    /// The gold letter (`answer`), against which an extracted answer is scored.
    pub answer: char,
    /// Index of the gold option (`answer_index`), against which a random guess is scored. It names
    /// the same option as `answer` except in a few published files (kept as the reference reads
    /// them, and reported as a note).
    pub answer_index: usize,
    /// Subject category.
    pub category: String,
    /// The letter the file's script extracted (`None` for null or empty).
    pub pred: Option<char>,
    /// The model's output.
    pub response: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Id {
    Int(u64),
    Text(String),
}

#[derive(Deserialize)]
struct Raw {
    question_id: Id,
    options: Vec<String>,
    answer: String,
    answer_index: usize,
    category: String,
    #[serde(default)]
    pred: Option<String>,
    #[serde(default)]
    model_outputs: Option<String>,
    #[serde(default)]
    generated_text: Option<String>,
}

fn letter_of(s: &str) -> Option<char> {
    match s.as_bytes() {
        [b] if LETTERS.contains(b) => Some(*b as char),
        _ => None,
    }
}

/// Whether the parsed JSON looks like a prediction file (for format detection).
pub fn looks_like(first: &serde_json::Map<String, Value>) -> bool {
    ["question_id", "options", "answer", "pred"]
        .iter()
        .all(|k| first.contains_key(*k))
        && (first.contains_key("model_outputs") || first.contains_key("generated_text"))
}

/// Read a prediction file: a JSON array of question objects (the reading policy of
/// [`substance_core::input`]; a repeated `question_id` is an error naming both records).
pub fn read(text: &str, file: &str) -> Result<Vec<Record>, VerifyError> {
    let value = input::strict_value(input::strip_bom(text), file, 1)?;
    let Value::Array(rows) = value else {
        return Err(VerifyError::Format {
            file: file.to_owned(),
            message: format!(
                "an MMLU-Pro prediction file is a JSON array of questions, found {}",
                input::kind(&value)
            ),
        });
    };
    input::require_records(rows.len(), text, file)?;
    let mut ids = UniqueKeys::new("question_id");
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let record = i + 1;
        let Value::Object(map) = row else {
            return Err(crate::record_error(
                file,
                record,
                "record",
                format!("expected a JSON object, found {}", input::kind(&row)),
            ));
        };
        let raw: Raw = input::from_object(map, file, record).map_err(|e| match e {
            input::InputError::Field {
                field: f, message, ..
            } => crate::record_error(file, record, &f, message),
            other => VerifyError::Input(other),
        })?;
        let question_id = match raw.question_id {
            Id::Int(n) => n.to_string(),
            Id::Text(s) if s.trim().is_empty() => {
                return Err(crate::record_error(file, record, "question_id", "empty"));
            }
            Id::Text(s) => s,
        };
        ids.insert(&question_id, file, record)
            .map_err(|e| match e {
                input::InputError::Duplicate { first_line, .. } => crate::record_error(
                    file,
                    record,
                    "question_id",
                    format!("`{question_id}` given twice (first in record {first_line})"),
                ),
                other => VerifyError::Input(other),
            })?;
        let n_options = raw.options.len();
        if !(1..=10).contains(&n_options) {
            return Err(crate::record_error(
                file,
                record,
                "options",
                format!("{n_options} options; MMLU-Pro has 1 to 10 (letters A–J)"),
            ));
        }
        if raw.answer_index >= n_options {
            return Err(crate::record_error(
                file,
                record,
                "answer_index",
                format!(
                    "{} is not an option index (0..{n_options})",
                    raw.answer_index
                ),
            ));
        }
        let answer = letter_of(&raw.answer).ok_or_else(|| {
            crate::record_error(
                file,
                record,
                "answer",
                format!("`{}` is not a letter A–J", raw.answer),
            )
        })?;
        let pred = match raw.pred.as_deref() {
            None | Some("") => None,
            Some(p) => Some(letter_of(p).ok_or_else(|| {
                crate::record_error(file, record, "pred", format!("`{p}` is not a letter A–J"))
            })?),
        };
        let response = match (raw.model_outputs, raw.generated_text) {
            (Some(r), None) | (None, Some(r)) => r,
            (Some(_), Some(_)) => {
                return Err(crate::record_error(
                    file,
                    record,
                    "model_outputs",
                    "both `model_outputs` and `generated_text` are given; which one was scored is unclear",
                ));
            }
            (None, None) => {
                return Err(crate::record_error(
                    file,
                    record,
                    "model_outputs",
                    "missing (neither `model_outputs` nor `generated_text`)",
                ));
            }
        };
        out.push(Record {
            record,
            question_id,
            n_options,
            answer,
            answer_index: raw.answer_index,
            category: raw.category,
            pred,
            response,
        });
    }
    Ok(out)
}

fn regexes() -> &'static [Regex; 3] {
    static R: OnceLock<[Regex; 3]> = OnceLock::new();
    R.get_or_init(|| {
        // Literal patterns, compiled once; a failure would be a bug caught by every test.
        #[allow(clippy::expect_used)]
        let re = |p: &str| Regex::new(p).expect("valid pattern");
        [
            re(r"answer is \(?([A-J])\)?"),
            // Python's `\s` on str is `str.isspace`, which adds U+001C..U+001F to Unicode White_Space.
            re(r"(?-s).*[aA]nswer:[\s\x1C-\x1F]*([A-J])"),
            // Python's word characters: `str.isalnum()` (letters and numbers) or `_`.
            re(r"^[\p{L}\p{N}_]$"),
        ]
    })
}

fn python_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    let mut buf = [0u8; 4];
    regexes()[2].is_match(c.encode_utf8(&mut buf))
}

/// The last standalone letter A–J (`\b[A-J]\b(?!.*\b[A-J]\b)`, DOTALL, Python semantics).
fn last_standalone_letter(text: &str) -> Option<char> {
    let mut found = None;
    let mut prev: Option<char> = None;
    let mut it = text.chars().peekable();
    while let Some(c) = it.next() {
        if c.is_ascii() && LETTERS.contains(&(c as u8)) {
            let before = prev.is_none_or(|p| !python_word(p));
            let after = it.peek().is_none_or(|n| !python_word(*n));
            if before && after {
                found = Some(c);
            }
        }
        prev = Some(c);
    }
    found
}

/// Which of the three patterns found the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// `answer is (X)`.
    AnswerIs,
    /// `Answer: X`.
    AnswerColon,
    /// The last standalone letter.
    LastLetter,
}

/// The reference's extraction: the answer letter and the pattern that found it, or `None`.
pub fn extract(text: &str) -> Option<(char, Pattern)> {
    let r = regexes();
    let group = |re: &Regex| {
        re.captures(text)
            .and_then(|c| c.get(1))
            .and_then(|m| m.as_str().chars().next())
    };
    if let Some(c) = group(&r[0]) {
        return Some((c, Pattern::AnswerIs));
    }
    if let Some(c) = group(&r[1]) {
        return Some((c, Pattern::AnswerColon));
    }
    last_standalone_letter(text).map(|c| (c, Pattern::LastLetter))
}

/// The model name in a file name `model_outputs_<model>_<k>shots.json` (or `.zip`).
pub fn model_from_file_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = base
        .strip_suffix(".json")
        .or_else(|| base.strip_suffix(".zip"))?;
    let rest = stem.strip_prefix("model_outputs_")?;
    let (model, shots) = rest.rsplit_once('_')?;
    let k = shots.strip_suffix("shots")?;
    (!model.is_empty() && !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
        .then(|| model.to_owned())
}

#[derive(Default)]
struct Tally {
    n: usize,
    correct: usize,
    unanswered: usize,
    expected_guess: f64,
    legacy_correct: usize,
}

impl Tally {
    fn add(&mut self, r: &Record, extracted: Option<char>) {
        self.n += 1;
        match extracted {
            Some(c) => {
                let hit = c == r.answer;
                self.correct += usize::from(hit);
                self.legacy_correct += usize::from(hit);
            }
            None => {
                self.unanswered += 1;
                self.expected_guess += 1.0 / r.n_options as f64;
                self.legacy_correct += usize::from(LEGACY_GUESS[r.n_options - 1] == r.answer_index);
            }
        }
    }

    fn recomputed(&self) -> Recomputed {
        let n = self.n as f64;
        if self.unanswered == 0 {
            return Recomputed::Value {
                value: self.correct as f64 / n,
            };
        }
        Recomputed::Range {
            lo: self.correct as f64 / n,
            hi: (self.correct + self.unanswered) as f64 / n,
            expected: (self.correct as f64 + self.expected_guess) / n,
        }
    }

    fn detail(&self) -> Option<String> {
        (self.unanswered > 0).then(|| {
            format!(
                "{} of {} items have no extractable answer and are scored by a random guess; with the 2024 \
                 script's guess (re-seeded with 12345 each time) the accuracy is exactly {}",
                self.unanswered,
                self.n,
                self.legacy_correct as f64 / self.n as f64
            )
        })
    }
}

fn check(scope: String, tally: &Tally, model: Option<&str>, claims: &mut ClaimBook) -> Check {
    let recomputed = tally.recomputed();
    let claim = claims.take(model, &scope, "acc");
    let status = match &claim {
        Some(c) => Status::of(c.value, &recomputed, c.tolerance),
        None => Status::NotCheckable {
            reason: "the file carries no accuracy; give the published one with --claims".to_owned(),
        },
    };
    Check {
        metric: "acc".to_owned(),
        n: tally.n,
        claimed: claim.as_ref().map(|c| c.value),
        claimed_from: claim.map(|c| c.source),
        recomputed,
        status,
        detail: tally.detail(),
        scope,
    }
}

/// Verify a prediction file: re-extract every answer, compare with `pred`, recompute overall and
/// per-category accuracy and compare them with the claims about this model.
pub fn verify(file: &str, records: &[Record], claims: &mut ClaimBook) -> Report {
    let model = model_from_file_name(file);
    let mut overall = Tally::default();
    let mut by_category: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut findings = Vec::new();
    let mut counts = [0usize; 3];
    for r in records {
        let extracted = extract(&r.response);
        let letter = extracted.map(|(c, _)| c);
        overall.add(r, letter);
        by_category.entry(&r.category).or_default().add(r, letter);
        if let Some((_, p)) = extracted {
            counts[p as usize] += 1;
        }
        let finding = |severity, claimed: String, recomputed: String, reason: String| {
            Finding {
                text: None,
                record: r.record,
                id: r.question_id.clone(),
                field: "pred".to_owned(),
                claimed,
                recomputed,
                severity,
                reason,
            }
            .with_text(&r.response)
        };
        let index_letter = LETTERS[r.answer_index] as char;
        if index_letter != r.answer {
            findings.push(Finding {
                text: None,
                record: r.record,
                id: r.question_id.clone(),
                field: "answer".to_owned(),
                claimed: r.answer.to_string(),
                recomputed: format!("answer_index {} ({index_letter})", r.answer_index),
                severity: Severity::Note,
                reason: "`answer` and `answer_index` name different options; as in the reference, an \
                         extracted answer is scored against `answer` and a guess against `answer_index`"
                    .to_owned(),
            });
        }
        let shown = |c: Option<char>| c.map_or_else(|| "null".to_owned(), String::from);
        match (r.pred, letter) {
            (p, e) if p == e && e.is_some() => {}
            (Some(p), Some(e)) => findings.push(finding(
                Severity::Differs,
                p.to_string(),
                e.to_string(),
                format!("the reference's patterns extract {e} from the model output, not {p}"),
            )),
            (None, Some(e)) => findings.push(finding(
                Severity::Note,
                "null".to_owned(),
                e.to_string(),
                format!(
                    "the file's script found no answer; the reference's later patterns find {e} (scored as {e})"
                ),
            )),
            (p, None) => findings.push(finding(
                Severity::NotCheckable,
                shown(p),
                "no answer".to_owned(),
                format!(
                    "no extractable answer: the reference scores a random guess among {} options",
                    r.n_options
                ),
            )),
        }
    }
    let mut checks = vec![check(TASK.to_owned(), &overall, model.as_deref(), claims)];
    for (cat, tally) in &by_category {
        checks.push(check(
            format!("{TASK}/{cat}"),
            tally,
            model.as_deref(),
            claims,
        ));
    }
    let mut report = Report {
        file: file.to_owned(),
        format: crate::Format::MmluPro.name().to_owned(),
        model,
        ok: false,
        verdict: String::new(),
        items_checked: records.len(),
        checks,
        findings,
        notes: vec![format!(
            "answers extracted by pattern: `answer is (X)` {}, `Answer: X` {}, last standalone letter {}, none {}",
            counts[0], counts[1], counts[2], overall.unanswered
        )],
        skipped: Vec::new(),
    };
    report.conclude();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_patterns_in_order() {
        assert_eq!(
            extract("so the answer is (C). Answer: D"),
            Some(('C', Pattern::AnswerIs))
        );
        assert_eq!(extract("the answer is B"), Some(('B', Pattern::AnswerIs)));
        // second pattern: the first line holding one, its last occurrence on that line
        assert_eq!(
            extract("Answer: A then Answer: B\nAnswer: C"),
            Some(('B', Pattern::AnswerColon))
        );
        // `\s*` crosses lines
        assert_eq!(extract("answer:\n\n  E"), Some(('E', Pattern::AnswerColon)));
        // Python's \s includes U+001F, Rust's White_Space does not
        assert_eq!(extract("answer:\u{1f}F"), Some(('F', Pattern::AnswerColon)));
        // third: the last standalone letter, across lines
        assert_eq!(
            extract("I think A.\nOr maybe (B) or C!"),
            Some(('C', Pattern::LastLetter))
        );
        assert_eq!(extract("ABC DEF"), None);
        assert_eq!(
            extract("x_A A1 Aé"),
            None,
            "letters, numbers and _ are word characters"
        );
        assert_eq!(
            extract("A\u{301}"),
            Some(('A', Pattern::LastLetter)),
            "a mark is not a word character in Python"
        );
        assert_eq!(
            extract("½A"),
            None,
            "a number is a word character in Python"
        );
        assert_eq!(extract("K"), None);
    }

    #[test]
    fn file_names_give_the_model() {
        assert_eq!(
            model_from_file_name("model_outputs_Meta-Llama-3_1-8B-Instruct_5shots.json").as_deref(),
            Some("Meta-Llama-3_1-8B-Instruct")
        );
        assert_eq!(
            model_from_file_name("x/model_outputs_gpt4o_0shots.zip").as_deref(),
            Some("gpt4o")
        );
        assert_eq!(model_from_file_name("model_outputs_x.json"), None);
    }
}
