//! `substance bias`: bias probes on a judge and the [`BiasReport`] (flip rate, position consistency,
//! length preference, style-vs-substance, each with a seeded bootstrap CI).
//!
//! - **Live** (`--judge SPEC`): each probe is applied to every pair with the seed (per-item seeds derived
//!   from it; seed and probe are recorded in the report's `probes`), the original and the probed pair are
//!   judged (the protocol's first game, answers as presented), and every (original, probed) verdict pair
//!   is an observation.
//! - **Recorded** (`--recorded`): no judge is called. The recorded verdicts of each judge that has both
//!   games of a pair (unswapped and swapped) give position-swap observations, with a pair's marked
//!   distractor (LLMBar's adversarial output) as its styled-but-wrong answer; the other probes need a
//!   live judge and are reported as skipped. PandaLM's verdict files hold one game per pair: they give
//!   single-judgment observations (length and style statistics) of one judge.
//!
//! `--format` says how the input files are read: `pairs` (JudgedPair JSONL, the default), `auto`, or any
//! format `substance judgments` reads (`llmbar`: LLMBar `result.json` / `dataset.json`, subset and
//! evaluator read from the path; `pandalm`: the test set and any verdict files, joined on `idx`;
//! `mt-bench-pair`, `arena-hard-v0.1`, … — one loader, `cmd_judgments::load`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use substance_core::GenerationSpec;
use substance_judge::report::{
    recorded_observations_with_distractors, recorded_single_observations,
};
use substance_judge::{
    BiasObservation, BiasReport, Game, Judge, JudgeProtocol, JudgedPair, Probe, ReportOptions,
    bias_report,
};

use crate::cmd_judge::{judge_with_progress, open_judge};
use crate::cmd_judgments::{Format, LoadArgs, Loaded};
use crate::util::print_json;

/// `substance bias`.
#[derive(Args)]
pub struct BiasArgs {
    /// Input files, read as `--format` says (several LLMBar result files, e.g. the adversarial subsets,
    /// are pooled).
    pub files: Vec<PathBuf>,
    /// How the input files are read (`auto` detects the format from each file; see `substance
    /// judgments --help`).
    #[arg(long, value_enum, default_value = "pairs")]
    pub format: Format,
    /// Pairs: JSONL of `substance-judge` JudgedPair (same as a file with `--format pairs`).
    #[arg(long)]
    pub pairs: Option<PathBuf>,
    #[command(flatten)]
    pub load: LoadArgs,
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
    /// Only this recorded judge (default: every judge with both games recorded; for PandaLM, the one
    /// judge whose verdict file is given).
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
    /// Concurrent requests to an endpoint judge (live; the report is the same whatever the
    /// concurrency). A local judge model answers one at a time.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

fn load(a: &BiasArgs) -> Result<Loaded> {
    let files: Vec<PathBuf> = a.pairs.iter().chain(&a.files).cloned().collect();
    if files.is_empty() {
        bail!("give the input file(s): `substance bias [--format F] FILE…` (or --pairs FILE)");
    }
    if a.pairs.is_some() && a.format != Format::PAIRS {
        bail!(
            "--pairs reads JudgedPair JSONL: give {} files without it",
            a.format.name()
        );
    }
    crate::cmd_judgments::load(a.format, &files, &a.load)
}

pub fn run(a: BiasArgs) -> Result<ExitCode> {
    let input = load(&a)?;
    let pandalm = input.format == substance_judge::import::load::Format::Pandalm;
    let pairs = &input.pairs;
    let probes: Vec<Probe> = a
        .probes
        .iter()
        .map(|p| Probe::from_short_name(p).map_err(anyhow::Error::from))
        .collect::<Result<_>>()?;
    let opts = ReportOptions {
        resamples: a.bootstrap,
        seed: a.seed,
        level: 0.95,
    };
    let report: BiasReport = if a.recorded {
        for p in &probes {
            if !matches!(p, Probe::PositionSwap) {
                errln!(
                    "note: probe {} needs a live judge (--judge); skipped in --recorded mode",
                    p.name()
                );
            }
        }
        let (obs, judges) = if pandalm {
            let judge = match (&a.judge_name, input.judges.as_slice()) {
                (Some(j), _) => j.clone(),
                (None, [j]) => j.clone(),
                (None, []) => bail!(
                    "no PandaLM verdict file given (e.g. gpt-3.5-turbo-testset-v1.json): \
                     --recorded reports a judge's recorded verdicts"
                ),
                (None, many) => bail!(
                    "verdicts of {} judges ({}): pick one with --judge-name",
                    many.len(),
                    many.join(", ")
                ),
            };
            errln!(
                "note: PandaLM records one game per pair: no position-swap statistics, length and \
                 style only"
            );
            (recorded_single_observations(pairs, &judge), judge)
        } else {
            let judges = a.judge_name.as_deref().unwrap_or("all judges").to_owned();
            (
                recorded_observations_with_distractors(pairs, a.judge_name.as_deref()),
                judges,
            )
        };
        if obs.is_empty() {
            bail!(
                "no recorded judgments{} in {}: --recorded needs files with verdicts (for LLMBar an \
                 evaluators/<judge>/<mode>/result.json, not dataset.json; for pairs, both games of a judge)",
                a.judge_name
                    .as_deref()
                    .map(|j| format!(" of judge `{j}`"))
                    .unwrap_or_default(),
                input.label
            );
        }
        let label = format!("recorded verdicts in {} ({judges})", input.label);
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
        // An endpoint judges `--concurrency` conversations at once; a local model one at a time.
        let workers = if crate::models::is_endpoint(spec) {
            a.concurrency.max(1)
        } else {
            1
        };
        let open_more = || open_judge(spec, a.api_key_env.clone());
        let mut judge_all = |what: &str, pairs: &mut [JudgedPair]| {
            judge_with_progress(
                what,
                &judge,
                model.as_mut(),
                &open_more,
                workers,
                &settings,
                pairs,
            )
        };
        errln!(
            "judging {} pairs and {} probe(s) with {judge_id} ({protocol}, {workers} at a time)",
            originals.len(),
            probes.len()
        );
        judge_all("originals", &mut originals)?;
        let mut obs = Vec::new();
        let mut records = Vec::new();
        for probe in &probes {
            let mut perturbed = Vec::new();
            let mut skipped = 0usize;
            for p in &originals {
                let seed = substance_judge::probe::item_seed(a.seed, &p.id);
                match probe.apply(p, seed) {
                    Ok(x) => perturbed.push((p, x)),
                    Err(e) if e.is_not_applicable() => {
                        skipped += 1;
                        errln!("note: {} on {}: {e}; skipped", probe.name(), p.id);
                    }
                    Err(e) => return Err(e).with_context(|| format!("probe {}", probe.name())),
                }
            }
            if skipped > 0 {
                errln!(
                    "note: {}: applies to {} of {} pairs ({skipped} skipped)",
                    probe.name(),
                    perturbed.len(),
                    originals.len()
                );
            }
            let mut probed: Vec<JudgedPair> =
                perturbed.iter().map(|(_, x)| x.pair.clone()).collect();
            judge_all(probe.name(), &mut probed)?;
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
        let label = format!("{judge_id} ({protocol}) on {}", input.label);
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
    outln!("{}", r.label);
    outln!(
        "{} observations ({} with a missing verdict); bootstrap {} × seed {}",
        r.n_observations,
        r.n_missing,
        r.options.resamples,
        r.options.seed
    );
    outln!("{:<24} {}", "flip rate", fmt_est(&r.flip_rate));
    for (p, e) in &r.flip_rate_by_probe {
        outln!("  {:<22} {}", p, fmt_est(e));
    }
    outln!(
        "{:<24} {}",
        "position consistency",
        fmt_est(&r.position_consistency)
    );
    outln!(
        "{:<24} {}",
        "length preference",
        fmt_est(&r.length_preference)
    );
    outln!(
        "{:<24} {}",
        "style vs substance",
        fmt_est(&r.style_vs_substance)
    );
}
