//! `cargo xtask bench leaderboard [--runs N] [--rounds R] [--peer-runs K] [--no-wasm] [--no-peer]`
//! (see `mod.rs`).
//!
//! One synthetic Arena-Hard v0.1-style set for every engine: the `bench` example of substance-leaderboard
//! (`crates/substance-leaderboard/examples/bench.rs`) draws it from a fixed seed — 60 models and the
//! baseline × 500 questions, 30,000 judgments, 60,000 games, ~73,000 battle rows after the weight-3
//! duplication of strong verdicts, with token lengths and markdown counts for style control — and times,
//! each over `--runs` runs (default 5) after a warm-up, with `--rounds` bootstrap rounds (default 100):
//! the v0.1 Bradley–Terry leaderboard, the same with style control, and v2 (bootstrap means) and v2
//! with style control. Each timing is the whole library call from parsed judgments to the leaderboard.
//!
//! 1. **Native**: `cargo build --release --example bench`, run with `--dump target/bench-leaderboard/set`
//!    so the peer reads the very same judgments and answer metadata.
//! 2. **wasm**: the same example for `wasm32-wasip1` (SIMD128; the target is added with rustup when
//!    missing) under Node's WASI (`scripts/perf/wasi_run.mjs`, as `cargo xtask bench model`).
//! 3. **Peer**: `scripts/leaderboard_reference.py --bench` — the reference's own computation
//!    (pandas, scikit-learn `LogisticRegression`, the NumPy bootstrap, as `show_result.py` @0489bf3)
//!    on the dumped set, in the script's pinned venv (here `target/bench-venv`, created when missing).
//!    It runs v0.1 and v0.1 with style control only (v2's reference fits with torch), `--peer-runs`
//!    times (default 1: one run takes minutes).
//!
//! The table gives medians with min–max, wasm/native and ours/peer ratios, and the agreement of our point
//! estimates with the peer's: v0.1 win rates against scikit-learn's lbfgs (`tol = 1e-8`) and against its
//! solution polished by Newton's method (the exact MLE, which we compute), style-controlled win rates
//! against scikit-learn at `tol = 1e-12`. The 1-minute load average is printed before and after: the
//! machine is shared, and figures taken under load are not comparable.

use std::path::PathBuf;
use std::process::Command;

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};

use crate::{cargo, command_output, root, run as run_cmd};

const CASES: [(&str, &str); 4] = [
    ("v01", "v0.1 Bradley–Terry"),
    ("v01-style", "v0.1 + style control"),
    ("v2", "v2 bootstrap means"),
    ("v2-style", "v2 + style control"),
];

fn flag(args: &[String], name: &str) -> bool {
    args.iter().any(|a| a == name)
}

pub(super) fn value(args: &[String], name: &str, default: usize) -> Result<usize> {
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .with_context(|| format!("{name} needs a value"))?
            .parse()
            .with_context(|| format!("{name}: not a whole number")),
        None => Ok(default),
    }
}

pub(super) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| root().join("target"))
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// What one engine printed: `LB_*` lines of `key=value` words.
#[derive(Default)]
struct Lines {
    meta: BTreeMap<String, String>,
    /// case → (battle rows, median, min, max) seconds
    times: BTreeMap<String, (String, f64, f64, f64)>,
    /// case → the peer's seconds of each run
    peer_times: BTreeMap<String, Vec<f64>>,
    /// case → model → win rate (%)
    win_rate: BTreeMap<String, BTreeMap<String, f64>>,
}

impl Lines {
    fn parse(text: &str) -> Result<Self> {
        let mut out = Self::default();
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let Some(tag) = words.next().filter(|t| t.starts_with("LB_")) else {
                continue;
            };
            let kv: BTreeMap<&str, &str> = words.filter_map(|w| w.split_once('=')).collect();
            let get = |k: &str| {
                kv.get(k)
                    .copied()
                    .with_context(|| format!("`{line}` has no {k}="))
            };
            let num = |k: &str| -> Result<f64> {
                get(k)?
                    .parse()
                    .with_context(|| format!("`{line}`: {k} is not a number"))
            };
            match tag {
                "LB_META" => out
                    .meta
                    .extend(kv.iter().map(|(k, v)| (k.to_string(), v.to_string()))),
                "LB_TIME" => {
                    out.times.insert(
                        get("case")?.to_string(),
                        (
                            get("rows")?.to_string(),
                            num("median_s")?,
                            num("min_s")?,
                            num("max_s")?,
                        ),
                    );
                }
                "LB_PEER_TIME" => out
                    .peer_times
                    .entry(get("case")?.to_string())
                    .or_default()
                    .push(num("s")?),
                "LB_WR" => {
                    out.win_rate
                        .entry(get("case")?.to_string())
                        .or_default()
                        .insert(get("model")?.to_string(), num("wr")?);
                }
                _ => {}
            }
        }
        Ok(out)
    }

    fn meta(&self, k: &str) -> &str {
        self.meta.get(k).map(String::as_str).unwrap_or("?")
    }
}

/// Run `cmd`, echo its stderr, and read the `LB_*` lines of its stdout.
fn bench_lines(cmd: &mut Command) -> Result<Lines> {
    eprintln!("$ {cmd:?}");
    let out = cmd
        .current_dir(root())
        .output()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        bail!("{cmd:?} failed with {}", out.status);
    }
    let lines = Lines::parse(&String::from_utf8_lossy(&out.stdout))?;
    if lines.times.is_empty() {
        bail!("{cmd:?} printed no LB_TIME line");
    }
    Ok(lines)
}

/// `cargo build --release` of the `bench` example (SIMD128 on wasm32-wasip1).
fn build_example(extra: &[&str]) -> Result<()> {
    run_cmd(
        cargo()
            .args(["build", "--release", "-p", "substance-leaderboard"])
            .args(["--example", "bench"])
            .args(extra)
            .env(
                "CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS",
                "-C target-feature=+simd128",
            ),
    )
}

fn ensure_wasip1() -> Result<()> {
    let installed = command_output("rustup", &["target", "list", "--installed"])
        .is_some_and(|s| s.lines().any(|l| l.trim() == "wasm32-wasip1"));
    if !installed {
        run_cmd(Command::new("rustup").args(["target", "add", "wasm32-wasip1"]))?;
    }
    Ok(())
}

fn median(xs: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some(0.5 * (v[n / 2 - 1] + v[n / 2])),
    }
}

fn secs(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.3} s")
    } else {
        format!("{x:.1} s")
    }
}

/// `median [min–max]` of one case of an engine's result.
fn timing(r: &Lines, case: &str) -> Option<(f64, String)> {
    let (_, med, min, max) = r.times.get(case)?;
    Some((
        *med,
        format!("{} [{}–{}]", secs(*med), secs(*min), secs(*max)),
    ))
}

/// Largest |ours − theirs| over the models (win rates in %), with the count; `None` unless both have
/// the same models.
fn max_diff(ours: &BTreeMap<String, f64>, theirs: &BTreeMap<String, f64>) -> Option<(f64, usize)> {
    if ours.len() != theirs.len() || ours.is_empty() {
        return None;
    }
    let mut worst = 0.0f64;
    for (m, a) in ours {
        worst = worst.max((a - theirs.get(m)?).abs());
    }
    Some((worst, ours.len()))
}

/// Run the `leaderboard` benchmark.
pub fn run(args: &[String]) -> Result<()> {
    let runs = value(args, "--runs", 5)?.max(1);
    let rounds = value(args, "--rounds", 100)?;
    let peer_runs = value(args, "--peer-runs", 1)?.max(1);
    let out_dir = target_dir().join("bench-leaderboard");
    let set_dir = out_dir.join("set");
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let load_before = load();
    let common = [
        "--runs".to_string(),
        runs.to_string(),
        "--rounds".into(),
        rounds.to_string(),
    ];

    // 1. Native.
    build_example(&[])?;
    let native = bench_lines(
        Command::new(target_dir().join("release/examples/bench"))
            .args(&common)
            .arg("--dump")
            .arg(&set_dir),
    )?;
    let load_native = load();

    // 2. wasm32-wasip1 under Node's WASI.
    let wasm = if flag(args, "--no-wasm") {
        None
    } else {
        ensure_wasip1()?;
        build_example(&["--target", "wasm32-wasip1"])?;
        Some(bench_lines(
            Command::new("node")
                .arg("--no-incremental-marking")
                .arg(root().join("scripts/perf/wasi_run.mjs"))
                .arg(target_dir().join("wasm32-wasip1/release/examples/bench.wasm"))
                .arg(&out_dir)
                .args(&common),
        )?)
    };
    let load_wasm = load();

    // 3. The Python reference on the same set.
    let peer = if flag(args, "--no-peer") {
        None
    } else {
        run_cmd(
            Command::new("python3")
                .arg(root().join("scripts/leaderboard_reference.py"))
                .arg("--bench")
                .arg(&set_dir)
                .args(["--runs", &peer_runs.to_string()])
                .env("SUBSTANCE_REF_VENV", root().join("target/bench-venv")),
        )?;
        let p = set_dir.join("peer.txt");
        let text =
            std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))?;
        Some(Lines::parse(&text)?)
    };
    let load_after = load();

    print_table(&native, wasm.as_ref(), peer.as_ref(), rounds);
    println!(
        "load average (1/5/15 min): before {load_before}; after native {load_native}; after wasm {load_wasm}; after peer {load_after}"
    );
    Ok(())
}

fn print_table(native: &Lines, wasm: Option<&Lines>, peer: Option<&Lines>, rounds: usize) {
    println!(
        "\nleaderboard bench: {} models + baseline × {} questions = {} judgments, {} games; {rounds} bootstrap rounds; seed {}",
        native.meta("models"),
        native.meta("questions"),
        native.meta("judgments"),
        native.meta("games"),
        native.meta("seed")
    );
    if let Some(p) = peer {
        println!(
            "peer: Python {}, numpy {}, pandas {}, scikit-learn {}",
            p.meta("python"),
            p.meta("numpy"),
            p.meta("pandas"),
            p.meta("scikit-learn")
        );
    }
    let peer_runs = peer.map(|p| p.meta("runs")).unwrap_or("0");
    println!(
        "| computation | battle rows | native, median [min–max] | wasm32-wasip1 (Node WASI) | wasm/native | Python reference ({peer_runs} run(s)) | ours/peer |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (case, title) in CASES {
        let (Some((nat, nat_s)), Some((rows, ..))) = (timing(native, case), native.times.get(case))
        else {
            continue;
        };
        let (wasm_s, ratio) = match wasm.and_then(|w| timing(w, case)) {
            Some((w, s)) => (s, format!("{:.2}×", w / nat)),
            None => ("—".into(), "—".into()),
        };
        let (peer_s, ours_peer) = match peer
            .and_then(|p| p.peer_times.get(case))
            .and_then(|v| median(v))
        {
            Some(p) => (secs(p), format!("{:.4}", nat / p)),
            None => ("—".into(), "—".into()),
        };
        println!("| {title} | {rows} | {nat_s} | {wasm_s} | {ratio} | {peer_s} | {ours_peer} |");
    }
    // The same numbers on every target (up to the last bits of the platforms' exp/ln).
    if let Some(w) = wasm {
        for (case, title) in CASES {
            if let (Some(a), Some(b)) = (native.win_rate.get(case), w.win_rate.get(case)) {
                match max_diff(a, b) {
                    Some((d, n)) => println!(
                        "{title}: wasm32 vs native max |Δ win rate| = {d:.1e} pp over {n} rows"
                    ),
                    None => println!("{title}: wasm32 and native rows DIFFER"),
                }
            }
        }
    }
    let Some(peer) = peer else {
        return;
    };
    for (ours, theirs, what) in [
        ("v01", "v01-newton", "v0.1 vs the Newton-polished MLE"),
        ("v01", "v01", "v0.1 vs scikit-learn lbfgs (tol 1e-8)"),
        (
            "v01-style",
            "v01-style-newton",
            "style control vs the exact L2 minimiser (Newton)",
        ),
        (
            "v01-style",
            "v01-style-tight",
            "style control vs scikit-learn (tol 1e-12)",
        ),
        (
            "v01-style",
            "v01-style",
            "style control vs scikit-learn (the reference's tol 1e-4)",
        ),
    ] {
        let d = match (native.win_rate.get(ours), peer.win_rate.get(theirs)) {
            (Some(a), Some(b)) => max_diff(a, b),
            _ => None,
        };
        match d {
            Some((d, n)) => println!(
                "ours vs reference, {what}: max |Δ win rate| = {d:.2e} pp over {n} models ({} 1e-6)",
                if d <= 1e-6 { "within" } else { "NOT within" }
            ),
            None => {
                println!("ours vs reference, {what}: not comparable (missing or different models)")
            }
        }
    }
}
