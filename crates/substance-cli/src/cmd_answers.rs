//! `substance answers`: the answers of a judge-graded run (Arena-Hard, MT-Bench, AlpacaEval) in the
//! benchmark's layout (`model_answer/<model>.jsonl`, or AlpacaEval's `model_outputs.json` array), so the
//! upstream judging scripts (or `substance judge` on pairs built
//! from them) can grade them. The run itself keeps every answer in its receipt with no metric; this is
//! the second half of that two-step job. The layout comes from the suite's scorer
//! (`substance_suite::import::judge::answers_jsonl`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use substance_core::{ReceiptLine, ReceiptReader};
use substance_suite::import::judge::{AnswerLayout, answers_jsonl};

use crate::util::open;

/// `substance answers`.
#[derive(Args)]
pub struct AnswersArgs {
    /// The receipt of a run of an Arena-Hard or MT-Bench question suite (a partial receipt works too).
    pub receipt: PathBuf,
    /// The model name written into the file (default: the receipt's model id without its
    /// `gguf:`/`hf:` prefix and folders).
    #[arg(long)]
    pub model: Option<String>,
    /// Write here (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(a: AnswersArgs) -> Result<ExitCode> {
    let name = a.receipt.display().to_string();
    let mut reader = ReceiptReader::new(open(&a.receipt)?);
    let mut header = None;
    let mut items = Vec::new();
    while let Some(line) = reader
        .next_line()
        .with_context(|| format!("{name}: line {}", reader.line_number()))?
    {
        match line {
            ReceiptLine::Header(h) => header = Some(h),
            ReceiptLine::Item(r) => items.push(*r),
            ReceiptLine::Summary(_) => {}
        }
    }
    let Some(header) = header else {
        bail!("{name}: no header line: not a receipt");
    };
    let Some(layout) = AnswerLayout::of(&header.suite.spec.scorers) else {
        bail!(
            "{name}: suite {} is scored by {} at run time, not by a judge: there are no answers to export",
            header.suite.name,
            header.suite.spec.scorers.join(", ")
        );
    };
    let model = a.model.unwrap_or_else(|| {
        let id = header.model.id.as_str();
        let id = id.split_once(':').map_or(id, |(_, rest)| rest);
        id.rsplit(['/', '\\']).next().unwrap_or(id).to_owned()
    });
    let text = answers_jsonl(layout, &model, &items)?;
    match &a.out {
        Some(out) => {
            std::fs::write(out, &text)
                .with_context(|| format!("cannot write {}", out.display()))?;
            errln!(
                "{} answers of {model} written to {} ({layout:?} layout; the benchmark names it {})",
                items.len(),
                out.display(),
                layout.file_name(&model)
            );
        }
        None => outln!("{}", text.trim_end()),
    }
    Ok(ExitCode::SUCCESS)
}
