//! `substance judgments`: read recorded judgments in any format the library reads, say what was read,
//! and write them as judged pairs (JSONL of `JudgedPair`). `substance bias` and `substance judge` read
//! that file. The format comes from `--format` or is detected from the file's name and first record.
//!
//! This is the one loader of recorded-judgment files in the CLI. `substance bias --format F` uses it too,
//! so a file reads the same way everywhere, under the reading policy of `substance_core::input`. A
//! pair id given twice across the files is refused, naming both files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use serde_json::Value;
use substance_judge::JudgedPair;
use substance_judge::import::{
    alpaca_eval, arena_hard, llmbar, mt_bench, pandalm, prometheus, xstest,
};

use crate::cmd_judge::write_pairs;
use crate::util::print_json;

/// How recorded-judgment files are read.
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum Format {
    /// Detect from the file name and its first record.
    Auto,
    /// JSONL of `substance-judge` JudgedPair (what this command writes).
    Pairs,
    /// LLMBar `dataset.json` / `evaluators/<judge>/<mode>/result.json` (subset and evaluator from the path).
    Llmbar,
    /// PandaLM `testset-v1.json` and verdict files (`gpt-3.5-turbo-testset-v1.json`, …), joined on `idx`.
    Pandalm,
    /// Arena-Hard-Auto v0.1 judgments (`model_judgment/<judge>/<model>.jsonl`; baseline from `--baseline`).
    #[value(name = "arena-hard-v0.1")]
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
    /// XSTest completions with their labels (`xstest_v2_completions_<model>[_gpteval|_streval].csv`).
    Xstest,
    /// Prometheus-eval Auto-J pairwise set.
    PrometheusAutoj,
    /// Prometheus-eval HHH alignment set.
    PrometheusHhh,
    /// Prometheus-eval MT-Bench / Vicuna absolute-grading sets.
    PrometheusAbsolute,
}

impl Format {
    /// The name `--format` takes.
    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default()
    }
}

/// Options some formats need.
#[derive(Args, Clone, Default)]
pub struct LoadArgs {
    /// LLMBar: treat the non-gold output as the adversarial distractor even when the path does not say
    /// `Adversarial/…`.
    #[arg(long)]
    pub adversarial: bool,
    /// PandaLM: the test set (default: a test set among the files, else `testset-v1.json` beside the
    /// first verdict file).
    #[arg(long)]
    pub testset: Option<PathBuf>,
    /// Arena-Hard v0.1: the baseline model the judgments compare against (the files do not record it).
    #[arg(long, default_value = "gpt-4-0314")]
    pub baseline: String,
    /// MT-Bench: `question.jsonl`, for the question texts.
    #[arg(long)]
    pub questions: Option<PathBuf>,
    /// MT-Bench: model-answer files (`model_answer/<model>.jsonl`, the model named by the file name),
    /// for the answer texts.
    #[arg(long)]
    pub answers: Vec<PathBuf>,
    /// MT-Bench: a reference-answer file (`reference_answer/gpt-4.jsonl`).
    #[arg(long)]
    pub references: Option<PathBuf>,
}

/// The pairs read from the files, with what they were.
pub struct Loaded {
    /// The pairs, in file order.
    pub pairs: Vec<JudgedPair>,
    /// A label for reports (format and files).
    pub label: String,
    /// PandaLM: the judges whose verdict files were attached.
    pub judges: Vec<String>,
    /// Per file: its name, the format it was read as, and how many pairs it gave.
    pub files: Vec<(String, Format, usize)>,
}

/// A file and its bytes.
type Input = (PathBuf, Vec<u8>);

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The format of one file, from its name and the keys of its first record.
pub fn detect(path: &Path, bytes: &[u8]) -> Result<Format> {
    let name = path.display().to_string();
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = substance_core::input::text(bytes, &name)?;
    let trimmed = text.trim_start();
    if base.to_ascii_lowercase().ends_with(".csv") {
        let header = trimmed.lines().next().unwrap_or_default();
        if header.split(',').any(|c| c.trim() == "final_label") {
            return Ok(Format::Xstest);
        }
        bail!("{name}: a CSV without a `final_label` column is no judgment format this kit reads");
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
        bail!(
            "{name}: no JSON record to detect the format from (give --format; see `substance judgments --help`)"
        );
    };
    let has = |k: &str| rec.contains_key(k);
    let format = if has("games") && has("uid") {
        Format::ArenaHardV2
    } else if has("games") && has("question_id") {
        Format::ArenaHardV01
    } else if has("generator_1") && has("generator_2") {
        Format::AlpacaEval
    } else if has("g1_winner") {
        Format::MtBenchPair
    } else if has("model_a") && has("model_b") && has("winner") {
        Format::MtBenchVotes
    } else if has("judge") && has("score") && has("turn") {
        Format::MtBenchSingle
    } else if has("response1") || has("gpt_result") || has("pandalm_result") {
        Format::Pandalm
    } else if has("output_1") && has("output_2") && has("label") {
        Format::Llmbar
    } else if has("response 1") && has("response 2") {
        Format::PrometheusAutoj
    } else if has("chosen_instruction") {
        Format::PrometheusHhh
    } else if has("gpt4_score") || has("gpt4_feedback") {
        Format::PrometheusAbsolute
    } else if has("answer_a") && has("question") {
        Format::Pairs
    } else {
        let mut keys: Vec<&str> = rec.keys().map(String::as_str).collect();
        keys.truncate(8);
        bail!(
            "{name}: records with fields {} are no judgment format this kit reads (give --format)",
            keys.join(", ")
        );
    };
    Ok(format)
}

/// Read `files` as `format` (`Auto`: each file detected; the files must agree).
pub fn load(format: Format, files: &[PathBuf], opts: &LoadArgs) -> Result<Loaded> {
    if files.is_empty() {
        bail!("give the judgment file(s)");
    }
    let mut by_format: BTreeMap<String, (Format, Vec<Input>)> = BTreeMap::new();
    for f in files {
        let bytes = read_bytes(f)?;
        let fmt = match format {
            Format::Auto => detect(f, &bytes)?,
            other => other,
        };
        by_format
            .entry(fmt.name())
            .or_insert_with(|| (fmt, Vec::new()))
            .1
            .push((f.clone(), bytes));
    }
    if by_format.len() > 1 {
        let found: Vec<String> = by_format
            .iter()
            .map(|(n, (_, fs))| format!("{n} ({} files)", fs.len()))
            .collect();
        bail!(
            "the files are of different formats: {}; read one format at a time",
            found.join(", ")
        );
    }
    let Some((_, (fmt, inputs))) = by_format.into_iter().next() else {
        bail!("give the judgment file(s)");
    };
    let mut loaded = match fmt {
        Format::Llmbar => load_llmbar(&inputs, opts.adversarial)?,
        Format::Pandalm => load_pandalm(inputs, opts.testset.as_deref())?,
        _ => load_each(fmt, &inputs, opts)?,
    };
    // One id per pair across the files (rule 4 of the reading policy).
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut start = 0;
    for (fi, (_, _, n)) in loaded.files.iter().enumerate() {
        for p in &loaded.pairs[start..start + n] {
            if let Some(&first) = seen.get(p.id.as_str()) {
                bail!(
                    "pair `{}` is in {} and again in {}: the same judgments twice?",
                    &p.id,
                    loaded.files[first].0,
                    loaded.files[fi].0
                );
            }
            seen.insert(&p.id, fi);
        }
        start += n;
    }
    if loaded.pairs.is_empty() {
        bail!("{}: no pairs", loaded.label);
    }
    loaded.label = format!("{} ({})", loaded.label, fmt.name());
    Ok(loaded)
}

/// Formats read file by file with no join.
fn load_each(fmt: Format, inputs: &[Input], opts: &LoadArgs) -> Result<Loaded> {
    let texts = mt_bench_texts(opts)?;
    let mut pairs = Vec::new();
    let mut files = Vec::new();
    for (path, bytes) in inputs {
        let name = path.display().to_string();
        let got = match fmt {
            Format::Pairs => substance_judge::examples::parse_pairs(
                substance_core::input::text(bytes, &name)?,
                &name,
            )?,
            Format::ArenaHardV01 => arena_hard::import_v01(bytes, &name, &opts.baseline)?,
            Format::ArenaHardV2 => arena_hard::import_v2(bytes, &name)?,
            Format::AlpacaEval => alpaca_eval::import_annotations(bytes, &name)?,
            Format::MtBenchSingle => mt_bench::import_single(bytes, &name, texts.as_ref())?,
            Format::MtBenchPair => mt_bench::import_pair(bytes, &name, texts.as_ref())?,
            Format::MtBenchVotes => mt_bench::import_votes(bytes, &name)?,
            Format::Xstest => xstest::import_completions(bytes, &name)?,
            Format::PrometheusAutoj => prometheus::import_autoj_pairwise(bytes, &name)?,
            Format::PrometheusHhh => prometheus::import_hhh(bytes, &name)?,
            Format::PrometheusAbsolute => prometheus::import_absolute(bytes, &name)?,
            Format::Auto | Format::Llmbar | Format::Pandalm => {
                bail!("{name}: {} is read with a join", fmt.name())
            }
        };
        files.push((name, fmt, got.len()));
        pairs.extend(got);
    }
    Ok(Loaded {
        label: path_label(inputs),
        pairs,
        judges: Vec::new(),
        files,
    })
}

/// MT-Bench question, answer and reference texts, when given.
fn mt_bench_texts(opts: &LoadArgs) -> Result<Option<mt_bench::MtBenchTexts>> {
    if opts.questions.is_none() && opts.answers.is_empty() && opts.references.is_none() {
        return Ok(None);
    }
    let mut t = mt_bench::MtBenchTexts::default();
    if let Some(q) = &opts.questions {
        t.add_questions(&read_bytes(q)?, &q.display().to_string())?;
    }
    for a in &opts.answers {
        let model = a
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .context("an answer file needs a file name (the model)")?;
        t.add_answers(&read_bytes(a)?, &a.display().to_string(), Some(&model))?;
    }
    if let Some(r) = &opts.references {
        t.add_references(&read_bytes(r)?, &r.display().to_string())?;
    }
    Ok(Some(t))
}

fn path_label(inputs: &[Input]) -> String {
    inputs
        .iter()
        .map(|(f, _)| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn load_llmbar(inputs: &[Input], force_adversarial: bool) -> Result<Loaded> {
    let mut pairs: Vec<JudgedPair> = Vec::new();
    let mut parts = Vec::new();
    let mut files = Vec::new();
    for (f, bytes) in inputs {
        let name = f.display().to_string();
        let layout = llmbar::layout_of(&name);
        let adversarial = layout.adversarial || force_adversarial;
        let imported = llmbar::import(
            bytes,
            &name,
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
        files.push((name, Format::Llmbar, imported.len()));
        pairs.extend(imported);
    }
    Ok(Loaded {
        pairs,
        label: format!("LLMBar {}", parts.join(" + ")),
        judges: Vec::new(),
        files,
    })
}

fn load_pandalm(inputs: Vec<Input>, testset: Option<&Path>) -> Result<Loaded> {
    let mut sets = Vec::new();
    let mut verdicts = Vec::new();
    for (f, bytes) in inputs {
        match pandalm::file_kind(&bytes, &f.display().to_string())? {
            pandalm::FileKind::TestSet => sets.push((f, bytes)),
            pandalm::FileKind::Verdicts => verdicts.push((f, bytes)),
        }
    }
    let (set_path, set_bytes) = match (testset, sets.len()) {
        (Some(t), 0) => (t.to_path_buf(), read_bytes(t)?),
        (None, 1) => sets.remove(0),
        (None, 0) => {
            let beside = verdicts
                .first()
                .and_then(|(p, _)| p.parent())
                .unwrap_or(Path::new("."))
                .join("testset-v1.json");
            let bytes = read_bytes(&beside).with_context(|| {
                "PandaLM verdicts need the test set: give testset-v1.json as a file or with --testset"
            })?;
            (beside, bytes)
        }
        _ => bail!("give one PandaLM test set (as a file or with --testset, not both)"),
    };
    let set_name = set_path.display().to_string();
    let mut pairs = pandalm::import_testset(&set_bytes, &set_name)?;
    let mut judges = Vec::new();
    for (path, bytes) in &verdicts {
        let name = path.display().to_string();
        let judge = pandalm::judge_of_file(&name);
        if judges.contains(&judge) {
            bail!("{name}: a second verdict file of judge `{judge}`");
        }
        pandalm::attach_verdicts(&mut pairs, bytes, &name, &judge)?;
        judges.push(judge);
    }
    Ok(Loaded {
        label: format!("PandaLM {set_name}"),
        files: vec![(set_name, Format::Pandalm, pairs.len())],
        pairs,
        judges,
    })
}

/// `substance judgments`.
#[derive(Args)]
pub struct JudgmentsArgs {
    /// Files of recorded judgments, all of one format (several files are pooled; pair ids must stay
    /// unique across them).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// How the files are read.
    #[arg(long, value_enum, default_value = "auto")]
    pub format: Format,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Write the pairs here (JSONL of JudgedPair, what `substance bias --format pairs` and `substance
    /// judge --pairs` read).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: JudgmentsArgs) -> Result<ExitCode> {
    let loaded = load(a.format, &a.files, &a.load)?;
    // Recorded verdicts per judge, and pairs with a human label.
    let mut judges: BTreeMap<String, usize> = BTreeMap::new();
    for p in &loaded.pairs {
        for v in &p.verdicts {
            *judges.entry(v.judge.clone()).or_default() += 1;
        }
    }
    let human = loaded
        .pairs
        .iter()
        .filter(|p| p.human_label.is_some())
        .count();
    if let Some(out) = &a.out {
        write_pairs(out, &loaded.pairs)?;
    }
    if a.json {
        print_json(&serde_json::json!({
            "format": loaded.files.first().map(|f| f.1.name()),
            "files": loaded.files.iter().map(|(n, f, k)| serde_json::json!({
                "file": n, "format": f.name(), "pairs": k,
            })).collect::<Vec<_>>(),
            "pairs": loaded.pairs.len(),
            "human_labels": human,
            "verdicts": judges,
            "out": a.out.as_ref().map(|p| p.display().to_string()),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    for (name, fmt, n) in &loaded.files {
        outln!("{}: {} pairs ({})", name, n, fmt.name());
    }
    outln!("{} pairs, {} with a human label", loaded.pairs.len(), human);
    for (judge, n) in &judges {
        outln!("  {n} recorded verdicts of {}", judge);
    }
    if let Some(out) = &a.out {
        outln!("pairs written to {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}
