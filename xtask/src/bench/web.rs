//! `cargo xtask bench web` (see `mod.rs`).

use anyhow::{Result, bail};

/// Run the `web` benchmark.
pub fn run(_args: &[String]) -> Result<()> {
    bail!("`cargo xtask bench web` is not built yet")
}
