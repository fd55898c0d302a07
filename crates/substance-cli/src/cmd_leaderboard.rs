//! `leaderboard` (Arena-Hard v0.1 / v2) and `alpaca-eval` (contracts in the README).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use serde_json::json;
use substance_leaderboard::formats::{parse_gamed_rows, parse_instruction_difficulty};
use substance_leaderboard::{
    Answer, ArenaJudgment, ArenaV01Options, ArenaV2Options, ArenaVersion, LcInputs, StyleControl,
    alpaca_eval, arena_hard_v01_leaderboard, arena_hard_v2_leaderboard, parse_alpaca_annotations,
    parse_answers, parse_arena_judgments,
};

use crate::util::{print_json, warn_skipped};

#[derive(Clone, Copy, ValueEnum)]
enum Protocol {
    /// Arena-Hard-Auto v0.1: Bradley–Terry on weighted battles, 2.5/97.5 bootstrap percentiles.
    #[value(name = "arena-hard-v0.1")]
    V01,
    /// Arena-Hard-Auto v2: bootstrap means (5/95), or soft-label Bradley–Terry with style control.
    #[value(name = "arena-hard-v2")]
    V2,
}

/// `substance leaderboard`.
#[derive(Args)]
pub struct LeaderboardArgs {
    /// Judgment protocol and leaderboard rules.
    #[arg(long, value_enum)]
    protocol: Protocol,
    /// Judgment folder: `<model>.jsonl` files, or a folder holding one `<judge>/` folder of them.
    #[arg(long)]
    judgments: PathBuf,
    /// Answer folder (`<model>.jsonl`), for style features and average token counts.
    #[arg(long)]
    answers: Option<PathBuf>,
    /// Baseline model (win rates are against it; it scores 50).
    #[arg(long)]
    baseline: String,
    /// Control for style (length + markdown features).
    #[arg(long)]
    style_control: bool,
    /// Bootstrap rounds.
    #[arg(long, default_value_t = 100)]
    bootstrap: usize,
    /// Bootstrap seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// v2 only: restrict to one category (e.g. `hard_prompt`, `creative_writing`).
    #[arg(long)]
    category: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn jsonl_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    Ok(files)
}

/// The judgment files: `DIR/*.jsonl`, or `DIR/<judge>/*.jsonl` when DIR holds exactly one judge folder.
fn judgment_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let files = jsonl_files(dir)?;
    if !files.is_empty() {
        return Ok(files);
    }
    let subdirs: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    match subdirs.as_slice() {
        [one] => jsonl_files(one),
        [] => bail!("{} holds no .jsonl judgment files", dir.display()),
        _ => bail!(
            "{} holds several judge folders: pass one of them",
            dir.display()
        ),
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

pub fn leaderboard(a: LeaderboardArgs) -> Result<ExitCode> {
    let version = match a.protocol {
        Protocol::V01 => ArenaVersion::V01,
        Protocol::V2 => ArenaVersion::V2,
    };
    let mut judgments: Vec<ArenaJudgment> = Vec::new();
    for f in judgment_files(&a.judgments)? {
        judgments.extend(parse_arena_judgments(
            &read(&f)?,
            &f.display().to_string(),
            version,
        )?);
    }
    let mut answers: Vec<Answer> = Vec::new();
    if let Some(dir) = &a.answers {
        for f in jsonl_files(dir)? {
            answers.extend(parse_answers(&read(&f)?, &f.display().to_string())?);
        }
    }
    if a.style_control && answers.is_empty() {
        bail!("--style-control needs --answers (style features come from the answers)");
    }
    let style_control = if a.style_control {
        StyleControl::Full
    } else {
        StyleControl::None
    };
    let board = match a.protocol {
        Protocol::V01 => arena_hard_v01_leaderboard(
            &judgments,
            &answers,
            &ArenaV01Options {
                baseline: a.baseline,
                style_control,
                bootstrap: a.bootstrap,
                seed: a.seed,
                ..Default::default()
            },
        )?,
        Protocol::V2 => arena_hard_v2_leaderboard(
            &judgments,
            &answers,
            &ArenaV2Options {
                baseline: a.baseline,
                category: a.category,
                style_control,
                bootstrap: a.bootstrap,
                seed: a.seed,
            },
        )?,
    };
    if a.json {
        let rows: Vec<_> = board
            .rows
            .iter()
            .map(|r| json!({"model": r.model, "score": r.score, "lower": r.lower, "upper": r.upper, "ci": r.ci}))
            .collect();
        print_json(
            &json!({"protocol": board.protocol, "baseline": board.baseline, "n_battles": board.n_battles,
            "bootstrap_rounds": board.bootstrap_rounds, "seed": board.seed, "rows": rows,
            "n_games": board.n_games, "dropped_games": board.dropped_games, "skipped": board.skipped}),
        )?;
    } else {
        out!("{board}");
    }
    warn_skipped(&board.skipped);
    Ok(ExitCode::SUCCESS)
}

/// `substance alpaca-eval`.
#[derive(Args)]
pub struct AlpacaArgs {
    /// AlpacaEval `annotations.json` files (baseline = `generator_1`).
    #[arg(long, num_args = 1.., required = true)]
    annotations: Vec<PathBuf>,
    /// `instruction_difficulty.csv` for the full length-controlled model (else the minimal LC variant).
    #[arg(long)]
    instruction_difficulty: Option<PathBuf>,
    /// `df_gamed.csv` (verbose/concise gamed baselines) for the regularised LC model.
    #[arg(long)]
    gamed: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn alpaca(a: AlpacaArgs) -> Result<ExitCode> {
    let mut annotations = Vec::new();
    for f in &a.annotations {
        annotations.extend(parse_alpaca_annotations(
            &read(f)?,
            &f.display().to_string(),
        )?);
    }
    let lc = LcInputs {
        instruction_difficulty: match &a.instruction_difficulty {
            Some(p) => Some(parse_instruction_difficulty(
                &read(p)?,
                &p.display().to_string(),
            )?),
            None => None,
        },
        gamed: match &a.gamed {
            Some(p) => Some(parse_gamed_rows(&read(p)?, &p.display().to_string())?),
            None => None,
        },
    };
    let rows = alpaca_eval(&annotations, &lc)?;
    let skipped: Vec<_> = rows
        .iter()
        .flat_map(|r| r.skipped.iter().cloned())
        .collect();
    if a.json {
        print_json(&rows)?;
        warn_skipped(&skipped);
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{:<32} {:>9} {:>8} {:>6} {:>6} {:>6} {:>6} {:>9} {:>9}  lc variant",
        "model",
        "win_rate",
        "se",
        "wins",
        "base",
        "draws",
        "total",
        "discrete",
        "lc"
    );
    for r in &rows {
        let h = &r.head2head;
        let (lc, variant) = match &r.length_controlled {
            Some(l) => (
                format!("{:.2}", l.winrate),
                serde_json::to_value(l.variant)?
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ),
            None => ("-".into(), String::new()),
        };
        outln!(
            "{:<32} {:>9.4} {:>8.4} {:>6} {:>6} {:>6} {:>6} {:>9.4} {:>9}  {}",
            r.model,
            h.win_rate,
            h.standard_error,
            h.n_wins,
            h.n_wins_base,
            h.n_draws,
            h.n_total,
            r.discrete_win_rate,
            lc,
            variant
        );
    }
    warn_skipped(&skipped);
    Ok(ExitCode::SUCCESS)
}
