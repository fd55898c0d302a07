//! `substance sos`: SOS-Bench factor scores and judge-vs-ground-truth correlations.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use substance_score::verify_reader;
use substance_sos::{
    AliasTable, CorrelationOptions, JudgeScores, Mapping, NormMode, Table, build_report,
    parse_judge_csv, parse_livebench_csv, parse_results_csv, read_input,
};
use substance_suite::bundle::BundleRun;

use crate::util::{open, print_json, read_text};

#[derive(Clone, Copy, ValueEnum)]
enum Norm {
    /// Values as they are.
    Raw,
    /// Open LLM Leaderboard v2 chance correction per column.
    Chance,
}

/// `substance sos`.
#[derive(Args)]
pub struct SosArgs {
    /// Wide lm-eval results CSV (form of SOS-Bench `eleuther_wandb.csv`). With `--receipts`, the new
    /// model is placed among its models.
    #[arg(long, required_unless_present = "receipts")]
    results: Option<PathBuf>,
    /// A bundle run's folder (`substance run --bundle … --out DIR`): every receipt is verified, and
    /// its metrics become the model's row of the results table (`<task>/<metric>`).
    #[arg(long)]
    receipts: Option<PathBuf>,
    /// The name of the bundle run's model in the report (default: the model id its receipts name).
    #[arg(long, requires = "receipts")]
    name: Option<String>,
    /// The bundle run's model's own judge score (e.g. its Arena-Hard score), added to `--judge` so the
    /// correlations are recomputed with it included.
    #[arg(long, requires = "receipts")]
    judge_score: Option<f64>,
    /// LLM-judge score CSV (form of `arena_hard_auto.csv`: model, score, …).
    #[arg(long)]
    judge: Option<PathBuf>,
    /// LiveBench group CSV (`livebench_groups.csv`).
    #[arg(long)]
    livebench: Option<PathBuf>,
    /// Column → factor mapping TOML (default: the shipped SOS mapping).
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Model-name alias TOML (default: the shipped alias table).
    #[arg(long)]
    aliases: Option<PathBuf>,
    /// Normalisation before averaging.
    #[arg(long, value_enum, default_value_t = Norm::Chance)]
    norm: Norm,
    /// Bootstrap resamples for the correlation CIs (0 = none).
    #[arg(long, default_value_t = 2000)]
    bootstrap: usize,
    /// Bootstrap seed.
    #[arg(long, default_value_t = 2409)]
    seed: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: SosArgs) -> Result<ExitCode> {
    let mapping = match &a.mapping {
        Some(p) => Mapping::from_toml(&p.display().to_string(), &read_text(p)?)?,
        None => Mapping::sos_default()?,
    };
    let mut results = match &a.results {
        Some(p) => Some(parse_results_csv(
            &p.display().to_string(),
            &read_input(p)?,
        )?),
        None => None,
    };
    let mut added = None;
    if let Some(dir) = &a.receipts {
        let (model, values) = receipts_row(dir, &mapping)?;
        let name = a.name.clone().unwrap_or(model);
        let table = results.get_or_insert_with(|| {
            Table::with_columns(
                &format!("receipts in {}", dir.display()),
                &mapping.results_columns(),
            )
        });
        table
            .add_row(&name, &values)
            .with_context(|| format!("adding {name} from {}", dir.display()))?;
        added = Some(name);
    }
    let Some(results) = results else {
        bail!("give --results CSV or --receipts DIR")
    };
    let livebench = match &a.livebench {
        Some(p) => Some(parse_livebench_csv(
            &p.display().to_string(),
            &read_input(p)?,
        )?),
        None => None,
    };
    let mut judge = match &a.judge {
        Some(p) => Some(parse_judge_csv(&p.display().to_string(), &read_input(p)?)?),
        None => None,
    };
    if let (Some(score), Some(name)) = (a.judge_score, &added) {
        if !score.is_finite() {
            bail!("--judge-score {score}: not a finite number");
        }
        let j = judge.get_or_insert_with(|| JudgeScores {
            file: "--judge-score".to_owned(),
            scores: Vec::new(),
            missing: Vec::new(),
        });
        if j.scores.iter().any(|(m, _)| m == name) {
            bail!("--judge-score: {name} already has a score in {}", j.file);
        }
        j.scores.push((name.clone(), score));
    }
    let aliases = match &a.aliases {
        Some(p) => AliasTable::from_toml(&p.display().to_string(), &read_text(p)?)?,
        None => AliasTable::sos_default()?,
    };
    let norm = match a.norm {
        Norm::Raw => NormMode::Raw,
        Norm::Chance => NormMode::ChanceCorrected,
    };
    let options = CorrelationOptions {
        resamples: a.bootstrap,
        seed: a.seed,
        ..CorrelationOptions::default()
    };
    let report = build_report(
        &results,
        livebench.as_ref(),
        judge.as_ref(),
        &mapping,
        &aliases,
        norm,
        &options,
    )
    .context("SOS aggregation failed")?;
    let placed = added
        .as_deref()
        .and_then(|m| substance_sos::placement(&report.factors, m));
    if a.json {
        let mut v = serde_json::to_value(&report)?;
        if let (Some(o), Some(p)) = (v.as_object_mut(), &placed) {
            o.insert("placement".to_owned(), serde_json::to_value(p)?);
        }
        print_json(&v)?;
    } else {
        out!("{report}");
        if let Some(p) = &placed {
            outln!();
            out!("{p}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The row of a bundle run: `bundle.json` read, every receipt it names verified (digests, scores,
/// aggregates) and its summary compared with what `bundle.json` says, then `<task>/<metric>` → value
/// for the columns the mapping reads. Columns the mapping does not read are named and left out.
fn receipts_row(dir: &Path, mapping: &Mapping) -> Result<(String, BTreeMap<String, f64>)> {
    let path = dir.join("bundle.json");
    let run = BundleRun::parse(&read_text(&path)?, &path.display().to_string())?;
    for s in &run.suites {
        let receipt = dir.join(&s.receipt);
        let report = verify_reader(std::io::BufReader::new(open(&receipt)?), None);
        if !report.ok {
            let first = report
                .mismatches
                .first()
                .map_or("incomplete".to_owned(), |m| {
                    format!("line {}: {}", m.line, m.field)
                });
            bail!(
                "{}: the receipt does not verify ({} mismatch(es), first {first}); run `substance verify {}`",
                receipt.display(),
                report.mismatches.len(),
                receipt.display()
            );
        }
        if report.model.as_deref() != Some(run.model.as_str()) {
            bail!(
                "{}: the receipt is of model {:?}, bundle.json says {}",
                receipt.display(),
                report.model,
                run.model
            );
        }
        let summary =
            substance_verify::receipt::claimed_summary(std::io::BufReader::new(open(&receipt)?))
                .ok_or_else(|| anyhow!("{}: no summary line", receipt.display()))?;
        for (m, v) in &s.metrics {
            match summary.metrics.get(m) {
                Some(agg) if agg.value.to_bits() == v.to_bits() => {}
                other => bail!(
                    "{}: `{m}` is {v} in bundle.json but {} in the receipt",
                    path.display(),
                    other.map_or("absent".to_owned(), |a| a.value.to_string())
                ),
            }
        }
        errln!(
            "{}: verified ({} items)",
            receipt.display(),
            report.items_checked
        );
    }
    let used: BTreeSet<String> = mapping.results_columns().into_iter().collect();
    let (values, unused): (BTreeMap<String, f64>, BTreeMap<String, f64>) = run
        .columns()
        .into_iter()
        .partition(|(c, _)| used.contains(c));
    for c in unused.keys() {
        errln!("note: {c}: the mapping reads no such column; left out of the factor scores");
    }
    if values.is_empty() {
        bail!(
            "{}: no metric of this bundle run feeds a benchmark of the mapping",
            path.display()
        );
    }
    Ok((run.model, values))
}
