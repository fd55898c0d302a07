//! `cargo xtask bench leaderboard` (see `mod.rs`).

use anyhow::{Result, bail};

/// Run the `leaderboard` benchmark.
pub fn run(_args: &[String]) -> Result<()> {
    bail!("`cargo xtask bench leaderboard` is not built yet")
}
