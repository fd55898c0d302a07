//! `substance sos`: SOS-Bench factor scores and judge-vs-ground-truth correlations.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use substance_sos::{
    AliasTable, CorrelationOptions, Mapping, NormMode, build_report, parse_judge_csv,
    parse_livebench_csv, parse_results_csv, read_input,
};

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
    /// Wide lm-eval results CSV (form of SOS-Bench `eleuther_wandb.csv`).
    #[arg(long)]
    results: PathBuf,
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
    let results = parse_results_csv(&a.results.display().to_string(), &read_input(&a.results)?)?;
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
    let mapping = match &a.mapping {
        Some(p) => Mapping::from_toml(&p.display().to_string(), &read_text(p)?)?,
        None => Mapping::sos_default()?,
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
    if a.json {
        print_json(&report)?;
    } else {
        out!("{report}");
    }
    Ok(ExitCode::SUCCESS)
}
