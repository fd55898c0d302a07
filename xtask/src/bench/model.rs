//! `cargo xtask bench model` (see `mod.rs`).

use anyhow::{Result, bail};

/// Run the `model` benchmark.
pub fn run(_args: &[String]) -> Result<()> {
    bail!("`cargo xtask bench model` is not built yet")
}
