//! `substance bias`: bias probes on a judge and the [`BiasReport`] (flip rate, position consistency,
//! length preference, style-vs-substance, each with a seeded bootstrap CI).
//!
//! - **Live** (`--judge SPEC`): each probe is applied to every pair with the seed (per-item seeds derived
//!   from it; seed and probe are recorded in the report's `probes`), the original and the probed pair are
//!   judged (the protocol's first game, answers as presented), and every (original, probed) verdict pair
//!   is an observation.
//! - **Recorded** (`--recorded`): no judge is called. The recorded verdicts of each judge that has both
//!   games of a pair (unswapped and swapped) give position-swap observations; the other probes need a
//!   live judge and are reported as skipped.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use substance_core::GenerationSpec;
use substance_judge::probe::{Placement, RestyleOptions};
use substance_judge::{
    BiasObservation, BiasReport, Game, Judge, JudgeProtocol, JudgedPair, Probe, ReportOptions,
    bias_report,
};

use crate::cmd_judge::{judge_pairs, open_judge, read_pairs};
use crate::util::print_json;

/// `substance bias`.
#[derive(Args)]
pub struct BiasArgs {
    /// Pairs: JSONL of `substance-judge` JudgedPair.
    #[arg(long)]
    pub pairs: PathBuf,
    /// Live judge model spec.
    #[arg(
        long,
        conflicts_with = "recorded",
        required_unless_present = "recorded"
    )]
    pub judge: Option<String>,
    /// Replay the recorded verdicts instead of calling a judge.
    #[arg(long)]
    pub recorded: bool,
    /// Only this recorded judge (default: every judge with both games recorded).
    #[arg(long)]
    pub judge_name: Option<String>,
    /// Protocol of the live judge.
    #[arg(long, default_value = "arena-hard-v0.1")]
    pub protocol: String,
    /// Probes: swap, padding, markdown, corrupt, reference-drop.
    #[arg(long, value_delimiter = ',', default_value = "swap")]
    pub probes: Vec<String>,
    /// Seed of the probes and of the bootstrap.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Bootstrap resamples.
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    /// Most tokens per judge reply (live).
    #[arg(long, default_value_t = 1024)]
    pub max_tokens: usize,
    /// Environment variable holding the endpoint's API key.
    #[arg(long)]
    pub api_key_env: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

fn probe_of(name: &str) -> Result<Probe> {
    Ok(match name.trim() {
        "swap" | "position_swap" => Probe::PositionSwap,
        "padding" | "verbosity_padding" => Probe::VerbosityPadding {
            side: None,
            sentences: 3,
            placement: Placement::End,
        },
        "markdown" | "markdown_restyle" => Probe::MarkdownRestyle {
            side: None,
            options: RestyleOptions::default(),
        },
        "corrupt" | "substance_corruption" => Probe::SubstanceCorruption {
            side: None,
            kind: None,
        },
        "reference-drop" | "reference_drop" => Probe::ReferenceDrop,
        other => {
            bail!("unknown probe `{other}`: use swap, padding, markdown, corrupt, reference-drop")
        }
    })
}

/// Position-swap observations from recorded verdicts (every judge with both games of a pair).
pub fn recorded_observations(
    pairs: &[JudgedPair],
    judge_name: Option<&str>,
) -> Vec<BiasObservation> {
    let mut out = Vec::new();
    for p in pairs {
        let mut judges: Vec<&str> = p.verdicts.iter().map(|v| v.judge.as_str()).collect();
        judges.sort_unstable();
        judges.dedup();
        for j in judges {
            if judge_name.is_some_and(|n| n != j) {
                continue;
            }
            if let Some(o) = BiasObservation::from_recorded_swap(p, j, None) {
                out.push(o);
            }
        }
    }
    out
}

pub fn run(a: BiasArgs) -> Result<ExitCode> {
    let pairs = read_pairs(&a.pairs)?;
    let probes: Vec<Probe> = a
        .probes
        .iter()
        .map(|p| probe_of(p))
        .collect::<Result<_>>()?;
    let opts = ReportOptions {
        resamples: a.bootstrap,
        seed: a.seed,
        level: 0.95,
    };
    let report: BiasReport = if a.recorded {
        for p in &probes {
            if !matches!(p, Probe::PositionSwap) {
                eprintln!(
                    "note: probe {} needs a live judge (--judge); skipped in --recorded mode",
                    p.name()
                );
            }
        }
        let obs = recorded_observations(&pairs, a.judge_name.as_deref());
        let label = format!(
            "recorded verdicts in {} ({})",
            a.pairs.display(),
            a.judge_name.as_deref().unwrap_or("all judges")
        );
        bias_report(&label, &obs, opts)
    } else {
        let spec = a.judge.as_deref().context("--judge or --recorded")?;
        let protocol: JudgeProtocol = a
            .protocol
            .parse()
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("--protocol")?;
        // one game per judgment: the answers as presented
        let judge = Judge::new(protocol);
        let mut model = open_judge(spec, a.api_key_env.clone())?;
        let settings = GenerationSpec {
            max_tokens: a.max_tokens,
            stop: Vec::new(),
            temperature: 0.0,
        };
        let first = |p: &JudgedPair, id: &str| {
            p.verdicts
                .iter()
                .rev()
                .find(|v| v.judge == id && v.meta.get("game") == Some(&Game::FIRST.index.into()))
                .and_then(|v| v.preference())
        };
        let judge_id = model.info().id;
        let mut originals: Vec<JudgedPair> = pairs
            .iter()
            .map(|p| {
                let mut q = p.clone();
                q.verdicts.clear();
                q
            })
            .collect();
        judge_pairs(&judge, model.as_mut(), &settings, &mut originals, |_| {
            BTreeMap::new()
        })?;
        let mut obs = Vec::new();
        let mut records = Vec::new();
        for probe in &probes {
            let mut perturbed = Vec::new();
            for p in &originals {
                let seed = substance_judge::probe::item_seed(a.seed, &p.id);
                match probe.apply(p, seed) {
                    Ok(x) => perturbed.push((p, x)),
                    Err(e) => eprintln!("note: {} on {}: {e}; skipped", probe.name(), p.id),
                }
            }
            let mut probed: Vec<JudgedPair> =
                perturbed.iter().map(|(_, x)| x.pair.clone()).collect();
            judge_pairs(&judge, model.as_mut(), &settings, &mut probed, |_| {
                BTreeMap::new()
            })?;
            for ((orig, x), jp) in perturbed.iter().zip(&probed) {
                obs.push(BiasObservation::from_probe(
                    orig,
                    first(orig, &judge_id),
                    None,
                    x,
                    first(jp, &judge_id),
                ));
                records.push(x.record.clone());
            }
        }
        let label = format!("{judge_id} ({protocol}) on {}", a.pairs.display());
        let mut r = bias_report(&label, &obs, opts);
        r.probes = records;
        r
    };
    if a.json {
        print_json(&report)?;
    } else {
        print_report(&report);
    }
    Ok(ExitCode::SUCCESS)
}

fn fmt_est(e: &substance_judge::report::Estimate) -> String {
    match (e.value, e.ci) {
        (Some(v), Some([l, h])) => format!("{v:.4}  [{l:.4}, {h:.4}]  (n = {})", e.n),
        (Some(v), None) => format!("{v:.4}  (n = {})", e.n),
        _ => "-  (no units)".into(),
    }
}

fn print_report(r: &BiasReport) {
    println!("{}", r.label);
    println!(
        "{} observations ({} with a missing verdict); bootstrap {} × seed {}",
        r.n_observations, r.n_missing, r.options.resamples, r.options.seed
    );
    println!("{:<24} {}", "flip rate", fmt_est(&r.flip_rate));
    for (p, e) in &r.flip_rate_by_probe {
        println!("  {:<22} {}", p, fmt_est(e));
    }
    println!(
        "{:<24} {}",
        "position consistency",
        fmt_est(&r.position_consistency)
    );
    println!(
        "{:<24} {}",
        "length preference",
        fmt_est(&r.length_preference)
    );
    println!(
        "{:<24} {}",
        "style vs substance",
        fmt_est(&r.style_vs_substance)
    );
}
