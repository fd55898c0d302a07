//! `cargo xtask fuzz [TARGET|all] [--secs N]`: coverage-guided fuzzing of the readers with libFuzzer
//! (cargo-fuzz), each target for N seconds (default 600).
//!
//! The targets are the plain functions of `substance-fuzz`; the cargo-fuzz package is
//! `crates/substance-fuzz/fuzz`. cargo-fuzz passes rustc flags that only nightly accepts, and this
//! project has the stable toolchain only, so the build runs with `RUSTC_BOOTSTRAP=1` (no nightly
//! feature is used by our code). `--sanitizer none`: the readers are safe Rust, so AddressSanitizer
//! would cost speed and find nothing a panic does not; debug assertions (overflow checks) stay on.
//!
//! Each target starts from its committed corpus plus seeds cut from `../shared/data` (`fuzz-seeds`).
//! A crash stops with the input under `crates/substance-fuzz/fuzz/artifacts/TARGET/`: minimise it
//! (`cargo fuzz tmin`), fix the reader, and commit the input to `crates/substance-fuzz/corpus/TARGET/`
//! so the corpus test replays it in CI from then on.

use std::process::Command;

use anyhow::{Result, bail};

use crate::{cargo, command_output, root, run};

const CARGO_FUZZ_VERSION: &str = "0.13.2";

const TARGETS: &[&str] = &[
    "suite_import",
    "suite_files",
    "receipt",
    "replay",
    "ifeval",
    "judge_import",
    "leaderboard",
    "gguf",
    "verify_foreign",
];

pub fn fuzz(args: &[String]) -> Result<()> {
    let mut secs = 600u64;
    let mut which = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--secs" => {
                secs = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| anyhow::anyhow!("--secs takes a number of seconds"))?;
            }
            "all" => which.extend(TARGETS.iter().map(|t| (*t).to_owned())),
            t if TARGETS.contains(&t) => which.push(t.to_owned()),
            other => bail!(
                "unknown fuzz target or option `{other}` (targets: {}; option --secs N)",
                TARGETS.join(", ")
            ),
        }
    }
    if which.is_empty() {
        which.extend(TARGETS.iter().map(|t| (*t).to_owned()));
    }
    if !command_output("cargo", &["fuzz", "--version"])
        .is_some_and(|v| v.contains(CARGO_FUZZ_VERSION))
    {
        run(cargo().args([
            "install",
            "cargo-fuzz",
            "--version",
            CARGO_FUZZ_VERSION,
            "--locked",
        ]))?;
    }
    let fuzz_dir = root().join("crates/substance-fuzz/fuzz");
    for t in &which {
        let corpus = fuzz_dir.join("corpus").join(t);
        run(cargo()
            .args([
                "run",
                "--quiet",
                "-p",
                "substance-fuzz",
                "--bin",
                "fuzz-seeds",
                "--",
            ])
            .arg(t)
            .arg(&corpus))?;
        let started = std::time::Instant::now();
        run(Command::new("cargo")
            .env("RUSTC_BOOTSTRAP", "1")
            .arg("fuzz")
            .arg("run")
            .arg("--fuzz-dir")
            .arg(&fuzz_dir)
            .args(["--sanitizer", "none"])
            .arg(t)
            .arg(&corpus)
            .arg("--")
            .arg(format!("-max_total_time={secs}"))
            .arg("-max_len=65536")
            .arg("-timeout=10")
            .arg("-rss_limit_mb=4096"))?;
        eprintln!(
            "fuzz {t}: {:.0} s without a crash",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
