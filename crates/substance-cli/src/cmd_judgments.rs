//! `substance judgments`: read recorded judgments in any format the library reads, say what was read,
//! and write them as judged pairs (JSONL of `JudgedPair`). `substance bias` and `substance judge` read
//! that file. The format comes from `--format` or is detected from the file's name and first record.
//!
//! The reading itself is `substance_judge::import::load`, the one loader the page's judge lab calls too,
//! so a file reads the same way everywhere, under the reading policy of `substance_core::input`; this
//! module adds only what needs a file system (a PandaLM test set found beside its verdict files, MT-Bench
//! text files named by options). `substance bias --format F` uses it too. A pair id given twice across
//! the files is refused, naming both files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use clap::builder::PossibleValue;
pub use substance_judge::import::load::Loaded;
use substance_judge::import::load::{
    self as judge_load, Detected, Format as LibFormat, NamedBytes,
};
use substance_judge::import::mt_bench;

use crate::cmd_judge::write_pairs;
use crate::util::print_json;

/// `--format`: `auto` (detect from each file's name and first record) or one of the library's formats
/// (`substance_judge::import::load::Format`, listed with their descriptions in `--help`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Format(pub Option<LibFormat>);

impl Format {
    /// JSONL of JudgedPair.
    pub const PAIRS: Format = Format(Some(LibFormat::Pairs));

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        self.0.map_or("auto", LibFormat::name)
    }
}

impl clap::ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        const ALL: [Format; 14] = {
            let mut all = [Format(None); 14];
            let mut i = 0;
            while i < 13 {
                all[i + 1] = Format(Some(LibFormat::ALL[i]));
                i += 1;
            }
            all
        };
        &ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()).help(match self.0 {
            None => "detect from each file's name and first record",
            Some(f) => f.summary(),
        }))
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
    /// MT-Bench: `question.jsonl`, for the question texts (files given among the judgment files are
    /// recognised too).
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

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn named(path: &Path) -> Result<NamedBytes> {
    Ok(NamedBytes {
        name: path.display().to_string(),
        bytes: read_bytes(path)?,
    })
}

/// Read `files` as `format` with the library's one loader ([`judge_load::load`]); what only a file
/// system gives is added here: `--testset` (or `testset-v1.json` beside the first PandaLM verdict file)
/// and the MT-Bench text files named by options.
pub fn load(format: Format, files: &[PathBuf], opts: &LoadArgs) -> Result<Loaded> {
    anyhow::ensure!(!files.is_empty(), "give the judgment file(s)");
    let mut inputs = files.iter().map(|f| named(f)).collect::<Result<Vec<_>>>()?;
    let pandalm = |f: &NamedBytes| match format.0 {
        Some(fmt) => fmt == LibFormat::Pandalm,
        None => matches!(
            judge_load::detect(&f.name, &f.bytes),
            Ok(Detected::Judgments(LibFormat::Pandalm))
        ),
    };
    if inputs.iter().any(pandalm) {
        let has_set = inputs.iter().any(|f| {
            substance_judge::import::pandalm::file_kind(&f.bytes, &f.name)
                .is_ok_and(|k| k == substance_judge::import::pandalm::FileKind::TestSet)
        });
        match (&opts.testset, has_set) {
            (Some(t), false) => inputs.push(named(t)?),
            (Some(_), true) => {
                anyhow::bail!("give one PandaLM test set (as a file or with --testset, not both)")
            }
            (None, true) => {}
            (None, false) => {
                let beside = files[0]
                    .parent()
                    .unwrap_or(Path::new("."))
                    .join("testset-v1.json");
                inputs.push(named(&beside).context(
                    "PandaLM verdicts need the test set: give testset-v1.json as a file or with --testset",
                )?);
            }
        }
    }
    let lib_opts = judge_load::LoadOptions {
        adversarial: opts.adversarial,
        baseline: opts.baseline.clone(),
        texts: mt_bench_texts(opts)?,
    };
    Ok(judge_load::load(format.0, inputs, &lib_opts)?)
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
            "format": loaded.format.name(),
            "files": loaded.files.iter().map(|f| serde_json::json!({
                "file": f.file,
                "format": f.format.map(LibFormat::name),
                "companion": f.companion,
                "pairs": f.pairs,
            })).collect::<Vec<_>>(),
            "pairs": loaded.pairs.len(),
            "human_labels": human,
            "verdicts": judges,
            "out": a.out.as_ref().map(|p| p.display().to_string()),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    for f in &loaded.files {
        match (f.format, f.companion) {
            (Some(fmt), _) => outln!("{}: {} pairs ({})", f.file, f.pairs, fmt.name()),
            (None, Some(c)) => outln!(
                "{}: texts ({})",
                f.file,
                serde_json::to_value(c)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ),
            (None, None) => {}
        }
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
