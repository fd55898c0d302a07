//! `substance`: the command-line face of the kit.
//!
//! Results go to stdout (a table, or JSON with `--json`); logs, warnings and progress bars go to stderr,
//! so `substance … --json | jq` always works. This is the only crate that uses `anyhow`: every library
//! below returns typed errors, and here they become messages with context (which file, which line).

#[macro_use]
mod term;

mod cmd_answers;
mod cmd_bias;
mod cmd_bundle;
mod cmd_ifeval;
mod cmd_judge;
mod cmd_judgments;
mod cmd_leaderboard;
mod cmd_merge;
mod cmd_serve;
mod cmd_sos;
mod cmd_suite;
mod cmd_verify;
mod models;
mod util;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Evaluate language models and the LLM judges that grade them; verify published scores.
#[derive(Parser)]
#[command(name = "substance", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a suite on a model and write a receipt.
    Run(cmd_verify::RunArgs),
    /// Recompute every score of a receipt (and optionally write a re-scored receipt).
    Score(cmd_verify::ScoreArgs),
    /// Verify receipts: re-hash, re-score, re-aggregate, compare. Exit 0 only when everything matches.
    Verify(cmd_verify::VerifyArgs),
    /// Merge the receipts of a sharded run (`run --shard i/n`) into the unsharded run's receipt.
    Merge(cmd_merge::MergeArgs),
    /// Check IFEval responses (Google's instruction-following eval).
    Ifeval(cmd_ifeval::IfevalArgs),
    /// SOS-Bench: factor scores from a results CSV and their correlation with an LLM-judge score CSV.
    Sos(cmd_sos::SosArgs),
    /// Leaderboard from recorded pairwise judgments (Arena-Hard-Auto v0.1 / v2).
    Leaderboard(cmd_leaderboard::LeaderboardArgs),
    /// AlpacaEval win rates (and length-controlled win rates) from annotation files.
    AlpacaEval(cmd_leaderboard::AlpacaArgs),
    /// Judge pairs with a live judge model (Arena-Hard, MT-Bench, JudgeLM, SOS five-factor protocols).
    Judge(cmd_judge::JudgeArgs),
    /// Read recorded judgments in any format the kit reads (detected), say what they hold, write them as
    /// judged pairs.
    Judgments(cmd_judgments::JudgmentsArgs),
    /// The answers of a judge-graded run (Arena-Hard, MT-Bench) as the benchmark's model_answer JSONL.
    Answers(cmd_answers::AnswersArgs),
    /// Bias probes on a judge (live or recorded verdicts): flip rate, position consistency, length and style.
    Bias(cmd_bias::BiasArgs),
    /// Serve a local model over an OpenAI-compatible HTTP API (completions with logprobs, chat).
    Serve(cmd_serve::ServeArgs),
    /// List, show and import suites.
    Suite {
        #[command(subcommand)]
        command: cmd_suite::SuiteCommand,
    },
}

fn main() -> ExitCode {
    // `substance … | head` closes stdout early; print! then panics with "failed printing to stdout".
    // Treat that like a SIGPIPE exit (quietly) instead of a crash report.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if msg.contains("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        default_hook(info);
    }));
    let cli = Cli::parse();
    let result: Result<ExitCode> = match cli.command {
        Command::Run(a) => cmd_verify::run(a),
        Command::Score(a) => cmd_verify::score(a),
        Command::Verify(a) => cmd_verify::verify(a),
        Command::Merge(a) => cmd_merge::run(a),
        Command::Ifeval(a) => cmd_ifeval::run(a),
        Command::Sos(a) => cmd_sos::run(a),
        Command::Leaderboard(a) => cmd_leaderboard::leaderboard(a),
        Command::AlpacaEval(a) => cmd_leaderboard::alpaca(a),
        Command::Suite { command } => cmd_suite::run(command),
        Command::Serve(a) => cmd_serve::run(a),
        Command::Judge(a) => cmd_judge::run(a),
        Command::Bias(a) => cmd_bias::run(a),
        Command::Judgments(a) => cmd_judgments::run(a),
        Command::Answers(a) => cmd_answers::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            errln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
