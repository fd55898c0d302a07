//! `cargo xtask bench [model|web|leaderboard|verify|all]`: speed and memory, measured side by side with the
//! established peer in the same run and printed as ratios (never asserted in tests).
//!
//! - `model` (`model.rs`): the model runtime natively (CPU, wgpu) and in wasm (Node) against
//!   transformers.js / ONNX Runtime Web on identical weights and token ids.
//! - `web` (`web.rs`): the browser package in headless Chromium against transformers.js in the same
//!   browser: decode and scoring tokens/s, time to the first scored item, gzip sizes, renderer peak memory.
//! - `leaderboard` (`leaderboard.rs`): Bradley–Terry with 100 bootstrap rounds on ≥ 60,000 battles,
//!   natively and in wasm.
//! - `verify` (`verify.rs`): `substance verify` on a ~100 MB lm-eval output folder, natively and in the
//!   page, against lm-eval's own Python recomputing the same numbers.

use anyhow::{Result, bail};

mod leaderboard;
mod model;
mod verify;
mod web;

/// Dispatch `cargo xtask bench <what> [args…]`.
pub fn bench(args: &[String]) -> Result<()> {
    let what = args.first().map(String::as_str).unwrap_or("all");
    let rest = args.get(1..).unwrap_or(&[]);
    match what {
        "model" => model::run(rest),
        "web" => web::run(rest),
        "leaderboard" => leaderboard::run(rest),
        "verify" => verify::run(rest),
        "all" => {
            leaderboard::run(rest)?;
            verify::run(rest)?;
            model::run(rest)?;
            web::run(rest)
        }
        other => bail!("unknown bench `{other}`: expected model, web, leaderboard, verify or all"),
    }
}
