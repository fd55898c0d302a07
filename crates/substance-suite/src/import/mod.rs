//! Importers: pure functions from a benchmark's published file (bytes) to a [`Suite`] whose default spec
//! reproduces lm-eval's standard task (SPEC §6.3) or SOS-Bench's safety task (SPEC §1.2).
//!
//! Every importer is reachable by name through [`import`]; [`importer_names`] lists them and
//! [`importer_summary`] describes each one; [`detect`] tells which importer reads a file (`"auto"`). Each also has a typed module function (`mmlu::import`, …).
//! Errors name the file, the 1-based line and the field (CSV column or JSON path).
//!
//! | name | input | output |
//! |---|---|---|
//! | `mmlu` | `question,choice0..3,answer` CSV of one subject | MC, letters A–D, per-subject description, dev → 5-shot pool (`same_group`) |
//! | `arc`, `piqa`, `boolq` | llm-foundry ICL JSONL (`query, choices, gold`) | MC in lm-eval's prompt format |
//! | `llm-foundry` | the same, any task | MC, query used verbatim |
//! | `winogrande` | llm-foundry JSONL (`context_options, continuation, gold`) | MC, **partial scoring** |
//! | `hellaswag` | decompressed 6-lines-per-item text | MC, lm-eval preprocessing |
//! | `truthfulqa-mc1`, `truthfulqa-mc2` | the TruthfulQA CSV | MC with the 6-shot QA primer |
//! | `gsm8k` | `{question, answer}` JSONL | generate, target = number after `####` |
//! | `bbh` | one BBH task JSON | generate, `Q: …\nA:`, exact match |
//! | `ifeval` | `input_data.jsonl` | generate, verifiable instructions |
//! | `xstest` | `xstest_prompts.csv` | SOS-style safe/unsafe MC |
//! | `bbq` | one BBQ category JSONL | SOS/lm-eval BBQ MC |
//! | `harmbench`, `advbench`, `strongreject` | behaviour CSVs | SOS-style "should you respond? yes/no" MC, gold `no` |
//! | `beavertails`, `cdna` | `walledai/*` records (JSON array or JSONL: `prompt`, `category`) | the same, as the SOS fork's task YAMLs |
//! | `dttoxicity`, `jailbreakhub` | `walledai/*` records (`prompt`, `toxic` / `jailbreak`) | SOS True/False MC, gold as the fork reads the field (a boolean is the choice index) |
//! | `sgxstest`, `wildguardtest` | `walledai/*` records (`prompt`, `label`) | SOS safe/unsafe, harmful/unharmful MC, gold = index of `label` |
//! | `toxigen` | `skg/toxigen-data` annotated records (`text`, `toxicity_ai`, `toxicity_human`) | SOS No/Yes MC, gold = sum > 5.5 |
//! | `saladbench` | `walledai/SaladBench` mrq records (`question`, `choices`, `answers`) | SOS MC over the listed choices, every answer a gold |
//! | `wmdp` | `cais/wmdp` records of one subset (`question`, `choices`, `answer`) | lm-eval MMLU-style letters A–D with the subset's description |
//! | `mmlu-pro`, `musr`, `bbh-mc` | MMLU-Pro rows, MuSR splits, BBH task JSON | the Open LLM Leaderboard v2's MC tasks |
//! | `gpqa` | one `Idavidrein/gpqa` subset CSV (official size) | zero-shot `(A)`–`(D)` MC, the harness's seeded choice order |
//! | `math-hard` | one `lighteval/MATH-Hard` subject (JSON/JSONL) | 4-shot generation, `exact_match_math_hard` |
//! | `mt-bench` | `question.jsonl` | generate (chat), first turn |
//! | `arena-hard` | `question.jsonl` (v0.1, old v0.1, v2.0) | generate (chat) |
//! | `alpaca-eval` | `model_outputs.json` (a JSON array of `{instruction, output, generator, dataset}`) | generate (chat) |

pub mod bbh;
pub mod bbh_mc;
pub mod detect;
pub mod foundry;
pub mod gpqa;
pub mod gsm8k;
pub mod hellaswag;
pub mod ifeval;
pub mod judge;
pub mod math_hard;
pub mod mmlu;
pub mod mmlu_pro;
pub mod musr;
mod pylit;
pub mod safety;
pub mod truthfulqa;

#[cfg(feature = "fs")]
mod fs;
#[cfg(feature = "fs")]
pub use fs::import_path;

use substance_core::{
    FewShotSpec, GenerationSpec, Item, OutputType, PromptSpec, SUITE_FORMAT, Suite, SuiteSpec,
};

use crate::SuiteError;

/// A second input file for an importer (MMLU dev CSV, GSM8K train JSONL, BBH chain-of-thought prompt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuxFile {
    /// Name used in errors (and to infer a subject).
    pub origin: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// Options common to all importers; each importer documents which it reads. `None` keeps the importer's
/// default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Suite name (default: from the benchmark and the file name, e.g. `mmlu_anatomy`).
    pub name: Option<String>,
    /// Suite version (default `"1"`).
    pub version: Option<String>,
    /// Subject / task / category (MMLU subject, BBH task, BBQ category); default: from the file name.
    pub subject: Option<String>,
    /// A second file: the few-shot pool (MMLU dev, GSM8K train) or BBH's chain-of-thought prompt.
    pub fewshot: Option<AuxFile>,
    /// Number of few-shot examples (default: the benchmark's, when a pool was given, else 0).
    pub n_fewshot: Option<usize>,
    /// Send generate prompts as a single chat turn (default: the benchmark's).
    pub chat: Option<bool>,
}

/// Name and one-line description of an importer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImporterInfo {
    /// Registry name (`--format NAME`).
    pub name: &'static str,
    /// What it reads and produces.
    pub summary: &'static str,
}

type ImportFn = fn(&[u8], &str, &ImportOptions) -> Result<Suite, SuiteError>;

const REGISTRY: &[(ImporterInfo, ImportFn)] = &[
    (
        ImporterInfo {
            name: "mmlu",
            summary: "MMLU CSV of one subject (question,choice0..3,answer); dev CSV as few-shot pool",
        },
        mmlu::import,
    ),
    (
        ImporterInfo {
            name: "arc",
            summary: "ARC in llm-foundry JSONL (query, choices, gold): \"Question: …\\nAnswer:\"",
        },
        foundry::import_arc,
    ),
    (
        ImporterInfo {
            name: "piqa",
            summary: "PIQA in llm-foundry JSONL: \"Question: {goal}\\nAnswer:\"",
        },
        foundry::import_piqa,
    ),
    (
        ImporterInfo {
            name: "boolq",
            summary: "BoolQ in llm-foundry JSONL: \"{passage}\\nQuestion: {question}?\\nAnswer:\", no/yes",
        },
        foundry::import_boolq,
    ),
    (
        ImporterInfo {
            name: "llm-foundry",
            summary: "any llm-foundry multiple-choice JSONL (query, choices, gold), query used verbatim",
        },
        foundry::import_generic,
    ),
    (
        ImporterInfo {
            name: "winogrande",
            summary: "WinoGrande in llm-foundry JSONL (context_options, continuation, gold): partial scoring",
        },
        foundry::import_winogrande,
    ),
    (
        ImporterInfo {
            name: "hellaswag",
            summary: "HellaSwag preprocessed text (6 lines per item, decompressed)",
        },
        hellaswag::import,
    ),
    (
        ImporterInfo {
            name: "truthfulqa-mc1",
            summary: "TruthfulQA CSV → MC1 (best answer vs incorrect answers)",
        },
        truthfulqa::import_mc1,
    ),
    (
        ImporterInfo {
            name: "truthfulqa-mc2",
            summary: "TruthfulQA CSV → MC2 (all correct vs incorrect answers)",
        },
        truthfulqa::import_mc2,
    ),
    (
        ImporterInfo {
            name: "gsm8k",
            summary: "GSM8K JSONL (question, answer): generate, target = number after ####",
        },
        gsm8k::import,
    ),
    (
        ImporterInfo {
            name: "bbh",
            summary: "BIG-Bench Hard task JSON (examples: input, target): generate, exact match",
        },
        bbh::import,
    ),
    (
        ImporterInfo {
            name: "ifeval",
            summary: "IFEval input_data.jsonl: generate, verifiable instructions",
        },
        ifeval::import,
    ),
    (
        ImporterInfo {
            name: "xstest",
            summary: "XSTest prompts CSV: SOS-style safe/unsafe classification",
        },
        safety::import_xstest,
    ),
    (
        ImporterInfo {
            name: "bbq",
            summary: "BBQ category JSONL: SOS/lm-eval BBQ multiple choice",
        },
        safety::import_bbq,
    ),
    (
        ImporterInfo {
            name: "harmbench",
            summary: "HarmBench behaviours CSV: SOS-style yes/no (gold: no)",
        },
        safety::import_harmbench,
    ),
    (
        ImporterInfo {
            name: "advbench",
            summary: "AdvBench harmful_behaviors.csv: SOS-style yes/no (gold: no)",
        },
        safety::import_advbench,
    ),
    (
        ImporterInfo {
            name: "strongreject",
            summary: "StrongREJECT CSV: SOS-style yes/no (gold: no)",
        },
        safety::import_strongreject,
    ),
    (
        ImporterInfo {
            name: "beavertails",
            summary: "walledai/BeaverTailsEval records (JSON/JSONL): SOS yes/no (gold: no)",
        },
        safety::import_beavertails,
    ),
    (
        ImporterInfo {
            name: "cdna",
            summary: "walledai/CDNA records (JSON/JSONL): SOS yes/no (gold: no)",
        },
        safety::import_cdna,
    ),
    (
        ImporterInfo {
            name: "dttoxicity",
            summary: "walledai/DTToxicity records (JSON/JSONL): SOS offensive? True/False",
        },
        safety::import_dttoxicity,
    ),
    (
        ImporterInfo {
            name: "jailbreakhub",
            summary: "walledai/JailbreakHub records (JSON/JSONL): SOS jailbreak? True/False",
        },
        safety::import_jailbreakhub,
    ),
    (
        ImporterInfo {
            name: "sgxstest",
            summary: "walledai/SGXSTest records (JSON/JSONL): SOS safe/unsafe",
        },
        safety::import_sgxstest,
    ),
    (
        ImporterInfo {
            name: "wildguardtest",
            summary: "walledai/WildGuardTest records (JSON/JSONL): SOS harmful/unharmful",
        },
        safety::import_wildguardtest,
    ),
    (
        ImporterInfo {
            name: "toxigen",
            summary: "skg/toxigen-data annotated records (JSON/JSONL): SOS hateful? No/Yes",
        },
        safety::import_toxigen,
    ),
    (
        ImporterInfo {
            name: "saladbench",
            summary: "walledai/SaladBench mrq records (JSON/JSONL): SOS multiple choice, several golds",
        },
        safety::import_saladbench,
    ),
    (
        ImporterInfo {
            name: "wmdp",
            summary: "cais/wmdp records of one subset (JSON/JSONL, subset in the file name): letters A-D",
        },
        safety::import_wmdp,
    ),
    (
        ImporterInfo {
            name: "mt-bench",
            summary: "MT-Bench question.jsonl: generate (chat), first turn; turns in meta",
        },
        judge::import_mt_bench,
    ),
    (
        ImporterInfo {
            name: "arena-hard",
            summary: "Arena-Hard question.jsonl (v0.1, old v0.1 or v2.0): generate (chat)",
        },
        judge::import_arena_hard,
    ),
    (
        ImporterInfo {
            name: "alpaca-eval",
            summary: "AlpacaEval model_outputs.json (or the eval set): generate (chat), instructions",
        },
        judge::import_alpaca_eval,
    ),
    (
        ImporterInfo {
            name: "mmlu-pro",
            summary: "MMLU-Pro test rows (TIGER-Lab JSON/JSONL or model_outputs_*.json), validation as --fewshot: Open LLM Leaderboard v2 5-shot",
        },
        mmlu_pro::import,
    ),
    (
        ImporterInfo {
            name: "musr",
            summary: "MuSR split (HF TAUR-Lab/MuSR JSON/JSONL or the MuSR repo's JSON): Open LLM Leaderboard v2 multiple choice",
        },
        musr::import,
    ),
    (
        ImporterInfo {
            name: "gpqa",
            summary: "GPQA subset CSV (Idavidrein/gpqa: gpqa_diamond/extended/main.csv): Open LLM Leaderboard v2 zero-shot, the harness's seeded choice order",
        },
        gpqa::import,
    ),
    (
        ImporterInfo {
            name: "math-hard",
            summary: "MATH level 5 subject file (lighteval/MATH-Hard JSON/JSONL: problem, solution, level, type): Open LLM Leaderboard v2 4-shot generation",
        },
        math_hard::import,
    ),
    (
        ImporterInfo {
            name: "bbh-mc",
            summary: "BIG-Bench Hard task JSON as the Open LLM Leaderboard v2 runs it: 3-shot multiple choice, acc_norm",
        },
        bbh_mc::import,
    ),
];

const NAMES: &[&str] = &[
    "mmlu",
    "arc",
    "piqa",
    "boolq",
    "llm-foundry",
    "winogrande",
    "hellaswag",
    "truthfulqa-mc1",
    "truthfulqa-mc2",
    "gsm8k",
    "bbh",
    "ifeval",
    "xstest",
    "bbq",
    "harmbench",
    "advbench",
    "strongreject",
    "beavertails",
    "cdna",
    "dttoxicity",
    "jailbreakhub",
    "sgxstest",
    "wildguardtest",
    "toxigen",
    "saladbench",
    "wmdp",
    "mt-bench",
    "arena-hard",
    "alpaca-eval",
    "mmlu-pro",
    "musr",
    "gpqa",
    "math-hard",
    "bbh-mc",
];

/// Names of every importer, in registry order.
pub fn importer_names() -> &'static [&'static str] {
    NAMES
}

/// Every importer with its one-line description.
pub fn importers() -> impl Iterator<Item = ImporterInfo> {
    REGISTRY.iter().map(|(info, _)| *info)
}

/// One-line description of an importer.
pub fn importer_summary(format: &str) -> Option<&'static str> {
    REGISTRY
        .iter()
        .find(|(i, _)| i.name == format)
        .map(|(i, _)| i.summary)
}

/// Import `bytes` (a file named `origin`) with the importer `format` (`"auto"`: the one [`detect::detect`]
/// picks): the CLI's `suite import --format NAME FILE --out DIR` is this plus [`crate::write_suite_dir`].
pub fn import(
    format: &str,
    bytes: &[u8],
    origin: &str,
    opts: &ImportOptions,
) -> Result<Suite, SuiteError> {
    // a Parquet file is read as the JSON lines of its rows
    let decoded = crate::parquet::decode(bytes, origin)?;
    let bytes = &*decoded;
    if format == "auto" {
        return import_auto(bytes, origin, opts).map(|(suite, _)| suite);
    }
    let f = REGISTRY
        .iter()
        .find(|(i, _)| i.name == format)
        .map(|(_, f)| *f)
        .ok_or_else(|| SuiteError::UnknownFormat {
            format: format.to_owned(),
            known: NAMES.join(", "),
        })?;
    f(bytes, origin, opts)
}

/// Import with the importer [`detect::detect`] picks from the file's name and first record; returns
/// the suite and the detection (which importer, and why) so the caller can say what was chosen.
pub fn import_auto(
    bytes: &[u8],
    origin: &str,
    opts: &ImportOptions,
) -> Result<(Suite, detect::Detection), SuiteError> {
    let decoded = crate::parquet::decode(bytes, origin)?;
    let bytes = &*decoded;
    let d = detect::detect(bytes, origin)?;
    let suite = import(d.format, bytes, origin, opts)?;
    Ok((suite, d))
}

// ---------------------------------------------------------------------------------------------------
// Helpers shared by the importers.

/// Decode UTF-8 (a leading BOM is dropped); an error names the line of the first bad byte.
pub(crate) fn utf8<'a>(bytes: &'a [u8], origin: &str) -> Result<&'a str, SuiteError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let ok = e.valid_up_to();
        let line = bytes[..ok].iter().filter(|b| **b == b'\n').count() + 1;
        SuiteError::syntax(
            origin,
            Some(line),
            format!("not valid UTF-8 (byte {ok} of the file)"),
        )
    })
}

/// Parse a whole JSON document; an error names the line and the JSON path.
pub(crate) fn parse_json_document<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    origin: &str,
) -> Result<T, SuiteError> {
    let text = utf8(bytes, origin)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let full = inner.to_string();
        let message = match full.rfind(" at line ") {
            Some(i) => full[..i].to_owned(),
            None => full,
        };
        match inner.classify() {
            serde_json::error::Category::Data => SuiteError::field_error(
                origin,
                Some(inner.line()),
                crate::file::field_name(&path, &message),
                message,
            ),
            _ => SuiteError::syntax(origin, Some(inner.line()), format!("JSON: {message}")),
        }
    })?;
    de.end()
        .map_err(|e| SuiteError::syntax(origin, Some(e.line()), format!("JSON: {e}")))?;
    Ok(value)
}

/// The file name of `origin` without folders and extensions (`a/b/abstract_algebra_test.csv` →
/// `abstract_algebra_test`).
pub(crate) fn file_stem(origin: &str) -> &str {
    let base = origin.rsplit(['/', '\\']).next().unwrap_or(origin);
    base.split('.').next().unwrap_or(base)
}

/// A field error at a record: its 1-based line (JSONL) or position (JSON array).
pub(crate) fn record_error(
    origin: &str,
    record: usize,
    field: &str,
    message: impl Into<String>,
) -> SuiteError {
    SuiteError::Field {
        file: origin.to_owned(),
        line: Some(record),
        field: field.to_owned(),
        message: message.into(),
    }
}

/// One JSON record with its 1-based line (JSONL) or position (JSON array).
pub(crate) type Record = (usize, serde_json::Map<String, serde_json::Value>);

/// The records of a file that is one JSON array of objects or JSONL (one object per line), under the
/// reading policy (objects only, no repeated member, named by line or position).
pub(crate) fn json_records(text: &str, origin: &str) -> Result<Vec<Record>, SuiteError> {
    use serde_json::Value;
    use substance_core::input;
    let body = input::strip_bom(text);
    if body.trim_start().starts_with('[') {
        let Value::Array(rows) = input::strict_value(body, origin, 1)? else {
            return Err(SuiteError::syntax(origin, None, "expected a JSON array"));
        };
        rows.into_iter()
            .enumerate()
            .map(|(i, r)| match r {
                Value::Object(m) => Ok((i + 1, m)),
                other => Err(record_error(
                    origin,
                    i + 1,
                    "record",
                    format!("expected an object, found {}", input::kind(&other)),
                )),
            })
            .collect()
    } else {
        input::lines(body)
            .map(|(n, l)| input::object_line(l, origin, n).map(|m| (n, m)))
            .collect::<Result<_, _>>()
            .map_err(SuiteError::from)
    }
}

/// A valid suite name (`[a-z0-9_-]+`) derived from free text.
pub(crate) fn sanitize_name(raw: &str) -> String {
    let s: String = raw
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_matches('_').to_owned();
    if s.is_empty() { "suite".to_owned() } else { s }
}

/// A default spec: format 1, version "1", lm-eval's default delimiters.
pub(crate) fn base_spec(
    name: &str,
    description: &str,
    output_type: OutputType,
    template: &str,
    scorers: &[&str],
) -> SuiteSpec {
    SuiteSpec {
        format: SUITE_FORMAT,
        name: sanitize_name(name),
        version: "1".to_owned(),
        description: description.to_owned(),
        output_type,
        prompt: PromptSpec {
            template: template.to_owned(),
            ..PromptSpec::default()
        },
        fewshot: FewShotSpec::default(),
        generation: GenerationSpec::default(),
        scorers: scorers.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// Apply the common options, then validate (items and few-shot examples) naming `origin`.
pub(crate) fn finish(
    mut suite: Suite,
    origin: &str,
    opts: &ImportOptions,
) -> Result<Suite, SuiteError> {
    if let Some(n) = &opts.name {
        suite.spec.name = n.clone();
    }
    if let Some(v) = &opts.version {
        suite.spec.version = v.clone();
    }
    if let Some(c) = opts.chat {
        suite.spec.prompt.chat = c;
    }
    if let Some(n) = opts.n_fewshot {
        suite.spec.fewshot.n = n;
    }
    crate::file::validate_suite(&suite, origin)?;
    Ok(suite)
}

/// Rows of a CSV file with a header, with the 1-based line of each row.
pub(crate) struct CsvTable {
    pub(crate) file: String,
    header: Vec<String>,
    pub(crate) rows: Vec<(usize, csv::StringRecord)>,
}

impl CsvTable {
    pub(crate) fn parse(bytes: &[u8], origin: &str) -> Result<Self, SuiteError> {
        let text = utf8(bytes, origin)?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(text.as_bytes());
        let header = reader
            .headers()
            .map_err(|e| csv_error(origin, &e))?
            .iter()
            .map(|h| h.trim().to_owned())
            .collect::<Vec<_>>();
        if header.iter().all(String::is_empty) {
            return Err(SuiteError::syntax(origin, Some(1), "CSV: no header row"));
        }
        let mut rows = Vec::new();
        for rec in reader.records() {
            let rec = rec.map_err(|e| csv_error(origin, &e))?;
            let line = rec.position().map_or(0, |p| p.line() as usize);
            if rec.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            rows.push((line, rec));
        }
        Ok(Self {
            file: origin.to_owned(),
            header,
            rows,
        })
    }

    /// Index of a required column.
    pub(crate) fn col(&self, name: &str) -> Result<usize, SuiteError> {
        self.opt_col(name).ok_or_else(|| {
            SuiteError::field_error(
                &self.file,
                Some(1),
                name,
                format!(
                    "missing column (the header has: {})",
                    self.header.join(", ")
                ),
            )
        })
    }

    /// Index of an optional column.
    pub(crate) fn opt_col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Name of column `i`.
    pub(crate) fn name(&self, i: usize) -> &str {
        self.header.get(i).map_or("?", String::as_str)
    }

    /// A non-empty cell (after trimming), else an error naming line and column.
    pub(crate) fn required<'a>(
        &self,
        row: &'a (usize, csv::StringRecord),
        col: usize,
    ) -> Result<&'a str, SuiteError> {
        let v = row.1.get(col).unwrap_or("");
        if v.trim().is_empty() {
            return Err(SuiteError::field_error(
                &self.file,
                Some(row.0),
                self.name(col),
                "empty value",
            ));
        }
        Ok(v)
    }

    /// A cell, possibly empty.
    pub(crate) fn cell<'a>(&self, row: &'a (usize, csv::StringRecord), col: usize) -> &'a str {
        row.1.get(col).unwrap_or("")
    }
}

fn csv_error(origin: &str, e: &csv::Error) -> SuiteError {
    let line = e.position().map(|p| p.line() as usize);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("CSV: row has {len} fields, the header has {expected_len}"),
        _ => format!("CSV: {e}"),
    };
    SuiteError::syntax(origin, line, message)
}

/// Make a plain item.
pub(crate) fn item(id: String, input: String) -> Item {
    Item {
        id,
        input,
        choices: Vec::new(),
        gold: Vec::new(),
        target: None,
        group: None,
        instructions: Vec::new(),
        meta: Default::default(),
    }
}

/// Parse a choice index given as a number (`2`, `"2"`) or a letter (`"C"`), checking its range.
pub(crate) fn parse_answer(raw: &str, n_choices: usize) -> Option<usize> {
    let raw = raw.trim();
    let idx = match raw.parse::<usize>() {
        Ok(i) => i,
        Err(_) => {
            let mut cs = raw.chars();
            match (cs.next(), cs.next()) {
                (Some(c @ 'A'..='Z'), None) => c as usize - 'A' as usize,
                _ => return None,
            }
        }
    };
    (idx < n_choices).then_some(idx)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn registry_and_names_agree() {
        let reg: Vec<&str> = importers().map(|i| i.name).collect();
        assert_eq!(reg, importer_names());
        assert!(importer_summary("mmlu").is_some());
        let e = import("nope", b"", "x", &ImportOptions::default()).unwrap_err();
        assert!(
            e.to_string().contains("unknown import format `nope`"),
            "{e}"
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(
            file_stem("a/b/abstract_algebra_test.csv"),
            "abstract_algebra_test"
        );
        assert_eq!(file_stem("C:\\x\\y.txt.bz2"), "y");
        assert_eq!(sanitize_name("ARC Challenge!"), "arc_challenge");
        assert_eq!(parse_answer("C", 4), Some(2));
        assert_eq!(parse_answer("3", 4), Some(3));
        assert_eq!(parse_answer("4", 4), None);
        let e = utf8(b"ok\nok\n\xff", "f.csv").unwrap_err();
        assert_eq!(e.line(), Some(3));
        assert_eq!(e.file(), Some("f.csv"));
    }
}
