//! `cargo xtask <command>`: the project's repeatable commands, so the README, CI and a newcomer all run
//! exactly the same steps.
//!
//! - `demo`: score every bundled sample suite that has recorded sample responses, write the receipts to
//!   `out/`, then verify each receipt (the main job until the browser app lands).
//! - `test`: everything CI checks — formatting, the workspace tests, clippy, and that every pure crate
//!   compiles for `wasm32-unknown-unknown` (installing the target with rustup if missing).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Crates that must compile for `wasm32-unknown-unknown` (everything but the CLI and xtask).
const WASM_CRATES: &[&str] = &[
    "substance-core",
    "substance-metrics",
    "substance-ifeval",
    "substance-suite",
    "substance-score",
    "substance-sos",
    "substance-runner",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {:?}", cmd);
    let status = cmd
        .current_dir(root())
        .status()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn ensure_wasm_target() -> Result<()> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match out {
        Ok(o) if String::from_utf8_lossy(&o.stdout).contains("wasm32-unknown-unknown") => Ok(()),
        Ok(_) => run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"])),
        Err(e) => bail!("rustup is needed to add the wasm32 target: {e}"),
    }
}

fn test() -> Result<()> {
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo().args(["test", "--workspace", "--all-targets"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    ensure_wasm_target()?;
    let mut wasm = cargo();
    wasm.args(["build", "--target", "wasm32-unknown-unknown"]);
    for c in WASM_CRATES {
        wasm.args(["-p", c]);
    }
    run(&mut wasm)?;
    // The demo is part of the test: the README's first command must keep working.
    demo()
}

fn demo() -> Result<()> {
    run(cargo().args(["build", "-p", "substance-cli"]))?;
    let bin = root().join("target/debug/substance");
    let out = root().join("out");
    std::fs::create_dir_all(&out)?;
    let mut any = false;
    let mut suites: Vec<PathBuf> = std::fs::read_dir(root().join("suites"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("suite.toml").is_file())
        .collect();
    suites.sort();
    for suite in suites {
        let responses = suite.join("sample_responses.jsonl");
        if !responses.is_file() {
            continue;
        }
        any = true;
        let name = suite
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let receipt = out.join(format!("{name}.receipt.jsonl"));
        run(Command::new(&bin)
            .arg("run")
            .arg(&suite)
            .arg("--model")
            .arg(format!("replay:{}", responses.display()))
            .arg("--out")
            .arg(&receipt))?;
        run(Command::new(&bin)
            .arg("verify")
            .arg(&receipt)
            .arg("--suite")
            .arg(&suite))?;
    }
    if !any {
        bail!("no suite under suites/ has sample_responses.jsonl");
    }
    println!(
        "\nReceipts are in {}. Verify any of them again with `target/debug/substance verify <receipt>`.",
        out.display()
    );
    Ok(())
}

fn main() -> Result<()> {
    let cmd = std::env::args().nth(1).unwrap_or_default();
    match cmd.as_str() {
        "test" => test(),
        "demo" => demo(),
        _ => bail!("usage: cargo xtask <demo|test>"),
    }
}
