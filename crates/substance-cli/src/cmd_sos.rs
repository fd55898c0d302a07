//! `substance sos`: SOS-Bench factor scores and judge-vs-ground-truth correlations.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use substance_sos::{
    AliasTable, CorrelationOptions, Mapping, NormMode, build_report, join_new_model,
    parse_judge_csv, parse_livebench_csv, parse_results_csv, read_input,
};
use substance_suite::bundle::BundleRun;

use crate::util::{print_json, read_text};

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
    let results = match &a.results {
        Some(p) => Some(parse_results_csv(
            &p.display().to_string(),
            &read_input(p)?,
        )?),
        None => None,
    };
    let livebench = match &a.livebench {
        Some(p) => Some(parse_livebench_csv(
            &p.display().to_string(),
            &read_input(p)?,
        )?),
        None => None,
    };
    let judge = match &a.judge {
        Some(p) => Some(parse_judge_csv(&p.display().to_string(), &read_input(p)?)?),
        None => None,
    };
    let mut open_llm = Vec::new();
    // a bundle run joins as one more row (and its judge score as one more judge row)
    let (results, judge, added) = match &a.receipts {
        Some(dir) => {
            let (run, row) = receipts_row(dir)?;
            open_llm = substance_verify::open_llm::scores(
                &substance_verify::open_llm::BundleValues(run.columns_with_items()),
            );
            let name = a.name.clone().unwrap_or(run.model);
            let j = join_new_model(
                results,
                &format!("receipts in {}", dir.display()),
                &mapping,
                &name,
                row,
                judge,
                a.judge_score,
            )?;
            for c in &j.unused {
                errln!(
                    "note: {c}: the mapping reads no such column; left out of the factor scores"
                );
            }
            (j.results, j.judge, Some(name))
        }
        None => match results {
            Some(r) => (r, judge, None),
            None => bail!("give --results CSV or --receipts DIR"),
        },
    };
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
            o.insert(
                "open_llm_leaderboard".to_owned(),
                serde_json::to_value(&open_llm)?,
            );
        }
        print_json(&v)?;
    } else {
        out!("{report}");
        if let Some(p) = &placed {
            outln!();
            out!("{p}");
            if !open_llm.is_empty() {
                outln!(
                    "Open LLM Leaderboard v2 scores from the bundle's leaderboard tasks (points; partial when a task or subtask is absent):"
                );
                for s in &open_llm {
                    outln!("  {:<10} {:>6.2}  {}", s.metric, s.value, s.detail);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The row of a bundle run (`substance_score::bundle_row`: every receipt verified, its summary
/// compared with what `bundle.json` says) and the model it names.
fn receipts_row(dir: &Path) -> Result<(BundleRun, BTreeMap<String, f64>)> {
    let path = dir.join("bundle.json");
    let run = BundleRun::parse(&read_text(&path)?, &path.display().to_string())?;
    let (columns, checked) = substance_score::bundle_row(&run, |name| {
        let f = std::fs::File::open(dir.join(name))?;
        Ok(Box::new(std::io::BufReader::new(f)) as Box<dyn std::io::BufRead>)
    })
    .with_context(|| format!("{}: the bundle run gives no row", dir.display()))?;
    for c in &checked {
        errln!(
            "{}: verified ({} items)",
            dir.join(&c.receipt).display(),
            c.items
        );
    }
    Ok((run, columns))
}
