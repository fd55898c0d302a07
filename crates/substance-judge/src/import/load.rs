//! One loader for every recorded-judgment format: detect each file's format from its name and first
//! record, read the files with their importer (joining the files that belong together: a PandaLM test set
//! and its verdict files, MT-Bench judgments and their question/answer files), and refuse a pair id given
//! twice across the files.
//!
//! The CLI (`substance judgments`, `substance bias`) and the page's judge lab both call [`load`] on
//! in-memory files, so a file reads the same way everywhere; only the CLI's file-system conveniences (a
//! PandaLM test set found beside its verdict files) stay in the CLI.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{alpaca_eval, arena_hard, llmbar, mt_bench, pandalm, prometheus, xstest};
use crate::{ImportError, JudgedPair};

/// A recorded-judgment format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// JSONL of [`JudgedPair`] (what `substance judgments --out` writes).
    Pairs,
    /// LLMBar `dataset.json` / `evaluators/<judge>/<mode>/result.json` (subset and evaluator from the path).
    Llmbar,
    /// PandaLM `testset-v1.json` and verdict files, joined on `idx`.
    Pandalm,
    /// Arena-Hard-Auto v0.1 judgments (the baseline is not in the file: [`LoadOptions::baseline`]).
    #[serde(rename = "arena-hard-v0.1")]
    ArenaHardV01,
    /// Arena-Hard-Auto v2 judgments.
    ArenaHardV2,
    /// AlpacaEval `annotations.json`.
    AlpacaEval,
    /// MT-Bench single-grade judgments (`gpt-4_single.jsonl`).
    MtBenchSingle,
    /// MT-Bench pairwise judgments (`gpt-4_pair.jsonl`).
    MtBenchPair,
    /// MT-Bench human (or GPT-4) votes (`mt_bench_human_judgments`).
    MtBenchVotes,
    /// XSTest completions with their labels.
    Xstest,
    /// Prometheus-eval Auto-J pairwise set.
    PrometheusAutoj,
    /// Prometheus-eval HHH alignment set.
    PrometheusHhh,
    /// Prometheus-eval MT-Bench / Vicuna absolute-grading sets.
    PrometheusAbsolute,
}

impl Format {
    /// Every format, in the order menus list them.
    pub const ALL: [Format; 13] = [
        Format::Pairs,
        Format::Llmbar,
        Format::Pandalm,
        Format::ArenaHardV01,
        Format::ArenaHardV2,
        Format::AlpacaEval,
        Format::MtBenchSingle,
        Format::MtBenchPair,
        Format::MtBenchVotes,
        Format::Xstest,
        Format::PrometheusAutoj,
        Format::PrometheusHhh,
        Format::PrometheusAbsolute,
    ];

    /// The name `--format` and the page take.
    pub fn name(self) -> &'static str {
        match self {
            Format::Pairs => "pairs",
            Format::Llmbar => "llmbar",
            Format::Pandalm => "pandalm",
            Format::ArenaHardV01 => "arena-hard-v0.1",
            Format::ArenaHardV2 => "arena-hard-v2",
            Format::AlpacaEval => "alpaca-eval",
            Format::MtBenchSingle => "mt-bench-single",
            Format::MtBenchPair => "mt-bench-pair",
            Format::MtBenchVotes => "mt-bench-votes",
            Format::Xstest => "xstest",
            Format::PrometheusAutoj => "prometheus-autoj",
            Format::PrometheusHhh => "prometheus-hhh",
            Format::PrometheusAbsolute => "prometheus-absolute",
        }
    }

    /// One line on what the format is.
    pub fn summary(self) -> &'static str {
        match self {
            Format::Pairs => "judged pairs (JSONL, what `substance judgments --out` writes)",
            Format::Llmbar => "LLMBar dataset.json / evaluators/<judge>/<mode>/result.json",
            Format::Pandalm => "PandaLM testset-v1.json + verdict files",
            Format::ArenaHardV01 => "Arena-Hard-Auto v0.1 judgments (<judge>/<model>.jsonl)",
            Format::ArenaHardV2 => "Arena-Hard-Auto v2 judgments",
            Format::AlpacaEval => "AlpacaEval annotations.json",
            Format::MtBenchSingle => "MT-Bench single-grade judgments (gpt-4_single.jsonl)",
            Format::MtBenchPair => "MT-Bench pairwise judgments (gpt-4_pair.jsonl)",
            Format::MtBenchVotes => "MT-Bench human votes (mt_bench_human_judgments)",
            Format::Xstest => "XSTest completions with labels (CSV)",
            Format::PrometheusAutoj => "Prometheus-eval Auto-J pairwise set",
            Format::PrometheusHhh => "Prometheus-eval HHH alignment set",
            Format::PrometheusAbsolute => "Prometheus-eval MT-Bench / Vicuna absolute grading",
        }
    }

    /// The format named `name` (as [`Format::name`] gives it).
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// A file that is not itself a judgment file but gives texts to one (MT-Bench judgments record only ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Companion {
    /// MT-Bench `question.jsonl`.
    MtBenchQuestions,
    /// MT-Bench `model_answer/<model>.jsonl` (the model named by the file name).
    MtBenchAnswers,
    /// MT-Bench `reference_answer/<judge>.jsonl`.
    MtBenchReferences,
}

/// What a file is, from its name and first record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    /// Recorded judgments of this format.
    Judgments(Format),
    /// Texts for judgments given beside it.
    Companion(Companion),
}

/// A file given to [`load`]: a label (its path, or its name in the page) and its bytes.
#[derive(Debug, Clone)]
pub struct NamedBytes {
    /// The label errors name (a path: LLMBar reads its subset and evaluator from it).
    pub name: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// Options some formats need.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// LLMBar: treat the non-gold output as the adversarial distractor even when the path does not say
    /// `Adversarial/…`.
    pub adversarial: bool,
    /// Arena-Hard v0.1: the baseline model the judgments compare against (the files do not record it).
    pub baseline: String,
    /// MT-Bench: question, answer and reference texts given apart from the files.
    pub texts: Option<mt_bench::MtBenchTexts>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            adversarial: false,
            baseline: "gpt-4-0314".to_owned(),
            texts: None,
        }
    }
}

/// One file as it was read.
#[derive(Debug, Clone, Serialize)]
pub struct LoadedFile {
    /// Its label.
    pub file: String,
    /// The judgment format, or `None` for a companion file.
    pub format: Option<Format>,
    /// The companion role, for a file that gave texts.
    pub companion: Option<Companion>,
    /// How many pairs it gave (0 for a companion).
    pub pairs: usize,
}

/// The pairs read from the files, with what they were.
#[derive(Debug, Clone, Serialize)]
pub struct Loaded {
    /// The format every judgment file was read as.
    pub format: Format,
    /// The pairs, in file order.
    pub pairs: Vec<JudgedPair>,
    /// A label for reports (format and files).
    pub label: String,
    /// PandaLM: the judges whose verdict files were attached.
    pub judges: Vec<String>,
    /// Per file: what it was read as and how many pairs it gave.
    pub files: Vec<LoadedFile>,
}

fn files_error(message: impl Into<String>) -> ImportError {
    ImportError::Files {
        message: message.into(),
    }
}

/// The base name of a path (either separator).
fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// What `name` holds, from its extension and the keys of its first record.
pub fn detect(name: &str, bytes: &[u8]) -> Result<Detected, ImportError> {
    let text = substance_core::input::text(bytes, name)?;
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(substance_core::InputError::Empty {
            file: name.to_owned(),
            what: "whitespace only".to_owned(),
        }
        .into());
    }
    let base = base_name(name).to_ascii_lowercase();
    if base.ends_with(".csv") {
        let header = trimmed.lines().next().unwrap_or_default();
        if header.split(',').any(|c| c.trim() == "final_label") {
            return Ok(Detected::Judgments(Format::Xstest));
        }
        return Err(files_error(format!(
            "{name}: a CSV without a `final_label` column is no judgment format this kit reads"
        )));
    }
    // The first record: the first array element, or the first line.
    let first: Option<Value> = if trimmed.starts_with('[') {
        match serde_json::from_str::<Value>(trimmed) {
            Ok(Value::Array(a)) => a.into_iter().next(),
            _ => None,
        }
    } else {
        trimmed
            .lines()
            .next()
            .and_then(|l| serde_json::from_str(l).ok())
    };
    let Some(Value::Object(rec)) = first else {
        return Err(files_error(format!(
            "{name}: no JSON record to detect the format from (JSON array or JSONL of objects); choose the format"
        )));
    };
    let has = |k: &str| rec.contains_key(k);
    let judgments = |f| Ok(Detected::Judgments(f));
    if has("games") && has("uid") {
        judgments(Format::ArenaHardV2)
    } else if has("games") && has("question_id") {
        judgments(Format::ArenaHardV01)
    } else if has("generator_1") && has("generator_2") {
        judgments(Format::AlpacaEval)
    } else if has("g1_winner") {
        judgments(Format::MtBenchPair)
    } else if has("model_a") && has("model_b") && has("winner") {
        judgments(Format::MtBenchVotes)
    } else if has("judge") && has("score") && has("turn") {
        judgments(Format::MtBenchSingle)
    } else if has("response1") || has("gpt_result") || has("pandalm_result") {
        judgments(Format::Pandalm)
    } else if has("output_1") && has("output_2") && has("label") {
        judgments(Format::Llmbar)
    } else if has("response 1") && has("response 2") {
        judgments(Format::PrometheusAutoj)
    } else if has("chosen_instruction") {
        judgments(Format::PrometheusHhh)
    } else if has("gpt4_score") || has("gpt4_feedback") {
        judgments(Format::PrometheusAbsolute)
    } else if has("answer_a") && has("question") {
        judgments(Format::Pairs)
    } else if has("question_id") && has("turns") && has("category") {
        Ok(Detected::Companion(Companion::MtBenchQuestions))
    } else if has("question_id") && has("choices") {
        let reference = name.split(['/', '\\']).any(|p| p == "reference_answer");
        Ok(Detected::Companion(if reference {
            Companion::MtBenchReferences
        } else {
            Companion::MtBenchAnswers
        }))
    } else {
        let mut keys: Vec<&str> = rec.keys().map(String::as_str).collect();
        keys.truncate(8);
        Err(files_error(format!(
            "{name}: records with fields {} are no judgment format this kit reads; choose the format",
            keys.join(", ")
        )))
    }
}

/// The stem of a file name: `model_answer/vicuna-13b.jsonl` → `vicuna-13b`.
fn stem(name: &str) -> &str {
    let base = base_name(name);
    base.rsplit_once('.').map_or(base, |(s, _)| s)
}

/// Read `files` as `format` (`None`: each file detected; the judgment files must agree on one format,
/// and MT-Bench question/answer/reference files among them give the judgments their texts).
pub fn load(
    format: Option<Format>,
    files: Vec<NamedBytes>,
    opts: &LoadOptions,
) -> Result<Loaded, ImportError> {
    if files.is_empty() {
        return Err(files_error("no judgment files given"));
    }
    let mut by_format: BTreeMap<Format, Vec<NamedBytes>> = BTreeMap::new();
    let mut texts = opts.texts.clone();
    let mut companions = Vec::new();
    for f in files {
        let detected = match format {
            Some(fmt) => Detected::Judgments(fmt),
            None => detect(&f.name, &f.bytes)?,
        };
        match detected {
            Detected::Judgments(fmt) => by_format.entry(fmt).or_default().push(f),
            Detected::Companion(role) => {
                let t = texts.get_or_insert_with(mt_bench::MtBenchTexts::default);
                match role {
                    Companion::MtBenchQuestions => t.add_questions(&f.bytes, &f.name)?,
                    Companion::MtBenchAnswers => {
                        t.add_answers(&f.bytes, &f.name, Some(stem(&f.name)))?
                    }
                    Companion::MtBenchReferences => t.add_references(&f.bytes, &f.name)?,
                }
                companions.push(LoadedFile {
                    file: f.name,
                    format: None,
                    companion: Some(role),
                    pairs: 0,
                });
            }
        }
    }
    if by_format.len() > 1 {
        let found: Vec<String> = by_format
            .iter()
            .map(|(f, fs)| format!("{} ({} files)", f.name(), fs.len()))
            .collect();
        return Err(files_error(format!(
            "the files are of different formats: {}; read one format at a time",
            found.join(", ")
        )));
    }
    let Some((fmt, inputs)) = by_format.into_iter().next() else {
        return Err(files_error(
            "only MT-Bench question/answer files were given: add the judgment files they belong to",
        ));
    };
    let mut loaded = match fmt {
        Format::Llmbar => load_llmbar(&inputs, opts.adversarial)?,
        Format::Pandalm => load_pandalm(inputs)?,
        _ => load_each(fmt, &inputs, opts, texts.as_ref())?,
    };
    // One id per pair across the files (rule 4 of the reading policy).
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut start = 0;
    for (fi, f) in loaded.files.iter().enumerate() {
        for p in &loaded.pairs[start..start + f.pairs] {
            if let Some(&first) = seen.get(p.id.as_str()) {
                return Err(files_error(format!(
                    "pair `{}` is in {} and again in {}: the same judgments twice?",
                    p.id, loaded.files[first].file, f.file
                )));
            }
            seen.insert(&p.id, fi);
        }
        start += f.pairs;
    }
    if loaded.pairs.is_empty() {
        return Err(files_error(format!("{}: no pairs", loaded.label)));
    }
    loaded.label = format!("{} ({})", loaded.label, fmt.name());
    loaded.files.extend(companions);
    Ok(loaded)
}

fn path_label(inputs: &[NamedBytes]) -> String {
    inputs
        .iter()
        .map(|f| f.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn loaded_file(name: &str, format: Format, pairs: usize) -> LoadedFile {
    LoadedFile {
        file: name.to_owned(),
        format: Some(format),
        companion: None,
        pairs,
    }
}

/// Formats read file by file with no join.
fn load_each(
    fmt: Format,
    inputs: &[NamedBytes],
    opts: &LoadOptions,
    texts: Option<&mt_bench::MtBenchTexts>,
) -> Result<Loaded, ImportError> {
    let mut pairs = Vec::new();
    let mut files = Vec::new();
    for NamedBytes { name, bytes } in inputs {
        let got = match fmt {
            Format::Pairs => {
                crate::examples::parse_pairs(substance_core::input::text(bytes, name)?, name)?
            }
            Format::ArenaHardV01 => arena_hard::import_v01(bytes, name, &opts.baseline)?,
            Format::ArenaHardV2 => arena_hard::import_v2(bytes, name)?,
            Format::AlpacaEval => alpaca_eval::import_annotations(bytes, name)?,
            Format::MtBenchSingle => mt_bench::import_single(bytes, name, texts)?,
            Format::MtBenchPair => mt_bench::import_pair(bytes, name, texts)?,
            Format::MtBenchVotes => mt_bench::import_votes(bytes, name)?,
            Format::Xstest => xstest::import_completions(bytes, name)?,
            Format::PrometheusAutoj => prometheus::import_autoj_pairwise(bytes, name)?,
            Format::PrometheusHhh => prometheus::import_hhh(bytes, name)?,
            Format::PrometheusAbsolute => prometheus::import_absolute(bytes, name)?,
            Format::Llmbar | Format::Pandalm => {
                return Err(files_error(format!(
                    "{name}: {} is read with a join",
                    fmt.name()
                )));
            }
        };
        files.push(loaded_file(name, fmt, got.len()));
        pairs.extend(got);
    }
    Ok(Loaded {
        format: fmt,
        label: path_label(inputs),
        pairs,
        judges: Vec::new(),
        files,
    })
}

fn load_llmbar(inputs: &[NamedBytes], force_adversarial: bool) -> Result<Loaded, ImportError> {
    let mut pairs: Vec<JudgedPair> = Vec::new();
    let mut parts = Vec::new();
    let mut files = Vec::new();
    for NamedBytes { name, bytes } in inputs {
        let layout = llmbar::layout_of(name);
        let adversarial = layout.adversarial || force_adversarial;
        let imported = llmbar::import(
            bytes,
            name,
            &layout.subset,
            layout.evaluator.as_deref(),
            adversarial,
        )?;
        parts.push(format!(
            "{}{} ({} pairs{})",
            layout.subset,
            layout
                .evaluator
                .as_deref()
                .map(|e| format!(" {e}"))
                .unwrap_or_default(),
            imported.len(),
            if adversarial { ", adversarial" } else { "" }
        ));
        files.push(loaded_file(name, Format::Llmbar, imported.len()));
        pairs.extend(imported);
    }
    Ok(Loaded {
        format: Format::Llmbar,
        pairs,
        label: format!("LLMBar {}", parts.join(" + ")),
        judges: Vec::new(),
        files,
    })
}

/// A PandaLM test set and the verdict files of one or more judges, among `inputs`.
fn load_pandalm(inputs: Vec<NamedBytes>) -> Result<Loaded, ImportError> {
    let mut sets = Vec::new();
    let mut verdicts = Vec::new();
    for f in inputs {
        match pandalm::file_kind(&f.bytes, &f.name)? {
            pandalm::FileKind::TestSet => sets.push(f),
            pandalm::FileKind::Verdicts => verdicts.push(f),
        }
    }
    if sets.len() != 1 {
        return Err(files_error(if sets.is_empty() {
            "PandaLM verdicts need their test set: give testset-v1.json with them".to_owned()
        } else {
            format!(
                "give one PandaLM test set, not {} ({})",
                sets.len(),
                path_label(&sets)
            )
        }));
    }
    let set = sets.remove(0);
    let mut pairs = pandalm::import_testset(&set.bytes, &set.name)?;
    let mut judges = Vec::new();
    for NamedBytes { name, bytes } in &verdicts {
        let judge = pandalm::judge_of_file(name);
        if judges.contains(&judge) {
            return Err(files_error(format!(
                "{name}: a second verdict file of judge `{judge}`"
            )));
        }
        pandalm::attach_verdicts(&mut pairs, bytes, name, &judge)?;
        judges.push(judge);
    }
    Ok(Loaded {
        format: Format::Pandalm,
        label: format!("PandaLM {}", set.name),
        files: vec![loaded_file(&set.name, Format::Pandalm, pairs.len())],
        pairs,
        judges,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn nb(name: &str, text: &str) -> NamedBytes {
        NamedBytes {
            name: name.to_owned(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
            let json = serde_json::to_value(f).unwrap();
            assert_eq!(json, Value::from(f.name()));
        }
        assert_eq!(Format::from_name("auto"), None);
    }

    #[test]
    fn detection_by_first_record() {
        let cases = [
            (
                "a.jsonl",
                r#"{"question_id":"q","model":"m","judge":"j","games":[]}"#,
                Detected::Judgments(Format::ArenaHardV01),
            ),
            (
                "a.jsonl",
                r#"{"uid":"q","model":"m","judge":"j","games":[]}"#,
                Detected::Judgments(Format::ArenaHardV2),
            ),
            (
                "x.json",
                r#"[{"input":"q","output_1":"a","output_2":"b","label":1}]"#,
                Detected::Judgments(Format::Llmbar),
            ),
            (
                "question.jsonl",
                r#"{"question_id":81,"category":"writing","turns":["t"]}"#,
                Detected::Companion(Companion::MtBenchQuestions),
            ),
            (
                "model_answer/m.jsonl",
                r#"{"question_id":81,"model_id":"m","choices":[{"turns":["a"]}]}"#,
                Detected::Companion(Companion::MtBenchAnswers),
            ),
            (
                "mt_bench/reference_answer/gpt-4.jsonl",
                r#"{"question_id":81,"choices":[{"turns":["a"]}]}"#,
                Detected::Companion(Companion::MtBenchReferences),
            ),
        ];
        for (name, text, want) in cases {
            assert_eq!(detect(name, text.as_bytes()).unwrap(), want, "{name}");
        }
        let e = detect("x.jsonl", br#"{"foo":1}"#).unwrap_err().to_string();
        assert!(e.contains("x.jsonl") && e.contains("foo"), "{e}");
        let e = detect("x.jsonl", b"  \n").unwrap_err().to_string();
        assert!(e.contains("x.jsonl"), "{e}");
        let e = detect("x.csv", b"a,b\n1,2\n").unwrap_err().to_string();
        assert!(e.contains("final_label"), "{e}");
    }

    #[test]
    fn llmbar_layout_from_the_path_and_duplicates_refused() {
        let doc = r#"[{"input":"q","output_1":"a","output_2":"b","label":2}]"#;
        let l = load(
            None,
            vec![nb("LLMBar/Adversarial/Manual/dataset.json", doc)],
            &LoadOptions::default(),
        )
        .unwrap();
        assert_eq!(l.format, Format::Llmbar);
        assert_eq!(l.pairs.len(), 1);
        assert_eq!(l.pairs[0].meta["distractor"], Value::from("A"));
        assert!(l.label.contains("Adversarial/Manual"), "{}", l.label);
        let e = load(
            None,
            vec![nb("a/dataset.json", doc), nb("a/dataset.json", doc)],
            &LoadOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("again in"), "{e}");
    }

    #[test]
    fn mixed_formats_and_lonely_verdicts_refused() {
        let llmbar = r#"[{"input":"q","output_1":"a","output_2":"b","label":2}]"#;
        let arena = r#"{"uid":"q","model":"m","judge":"j","games":[]}"#;
        let e = load(
            None,
            vec![nb("d.json", llmbar), nb("j.jsonl", arena)],
            &LoadOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("different formats"), "{e}");
        let verdicts = r#"[{"idx":0,"gpt_result":"1"}]"#;
        let e = load(
            None,
            vec![nb("gpt-3.5-turbo-testset-v1.json", verdicts)],
            &LoadOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("test set"), "{e}");
        let q = r#"{"question_id":81,"category":"writing","turns":["t"]}"#;
        let e = load(None, vec![nb("question.jsonl", q)], &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("judgment files"), "{e}");
    }
}
