//! `cargo xtask bench verify [--mb N] [--runs N] [--no-page] [--no-pkg-build] [--no-peer]` (see `mod.rs`).
//!
//! Verifying a large lm-evaluation-harness output folder, natively and in the page, beside lm-eval's own
//! Python recomputing the same numbers from the same samples:
//!
//! 1. **The set**: `scripts/perf/verify_bench.py make` grows the committed real lm-eval 0.4.13 run
//!    (three tasks and a group) to about `--mb` megabytes (default 100: ~21,000 sample lines of ~4.7 KB,
//!    the size of an Open LLM Leaderboard details set), with every hash, stderr and count recomputed so
//!    that it verifies, into `target/bench-verify/set/`.
//! 2. **Native**: `cargo build --release -p substance-cli`, then `substance verify SET --json` `--runs`
//!    times (default 3) under `/usr/bin/time`: wall seconds and the process's peak RSS. The run must
//!    verify (exit 0).
//! 3. **Page** (unless `--no-page`): the package (`cargo xtask pkg`, unless `--no-pkg-build`) in headless
//!    Chromium (`scripts/perf/web_bench.mjs`, a fresh browser): `tests/bench/verify.mjs` fetches the set's
//!    files from the bench server and calls `verifyFiles` once in the page's main thread; the time of the
//!    call, and the renderer's peak memory (VmHWM).
//! 4. **Peer** (unless `--no-peer`): `scripts/perf/verify_bench.py peer` — lm-eval's `hash_string`,
//!    `mean`, `mean_stderr` and numpy's argmax over the same samples — with the Python in
//!    `$LMEVAL_PYTHON`, else a venv `target/bench-venv-lmeval` with `lm-eval==0.4.13` (created when
//!    missing; a large install). Its time excludes the imports.
//!
//! The 1-minute load average is printed before and after: figures taken under load are not comparable.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::leaderboard::value;
use super::model::{capture, load1, tagged};
use crate::http::{Reply, Request, Server};
use crate::{cargo, root, run as run_cmd};

/// URL prefix → folder (relative to the repository root) of the bench server.
const MOUNTS: &[(&str, &str)] = &[
    ("/bench/", "tests/bench"),
    ("/pkg/", "pkg"),
    ("/set/", "target/bench-verify/set"),
];

fn respond(req: &Request) -> Reply {
    super::web::respond_from(MOUNTS, req)
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The Python with lm-eval for the peer: `$LMEVAL_PYTHON`, else a venv made here.
fn peer_python() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("LMEVAL_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let venv = root().join("target/bench-venv-lmeval");
    let py = venv.join("bin/python");
    if !py.is_file() {
        run_cmd(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run_cmd(Command::new(&py).args(["-m", "pip", "install", "-q", "lm-eval==0.4.13"]))?;
    }
    Ok(py)
}

/// Run the `verify` benchmark.
pub fn run(args: &[String]) -> Result<()> {
    for a in args {
        if a.starts_with("--")
            && !matches!(
                a.as_str(),
                "--mb" | "--runs" | "--no-page" | "--no-pkg-build" | "--no-peer"
            )
        {
            bail!(
                "unknown argument to `cargo xtask bench verify`: {a} (use --mb N, --runs N, --no-page, --no-pkg-build, --no-peer)"
            );
        }
    }
    let flag = |n: &str| args.iter().any(|a| a == n);
    let mb = value(args, "--mb", 100)?;
    let runs = value(args, "--runs", 3)?.max(1);
    let set = root().join("target/bench-verify/set");
    let load_before = load1();

    // 1. the set
    let out = capture(
        Command::new("python3")
            .arg(root().join("scripts/perf/verify_bench.py"))
            .arg("make")
            .arg(&set)
            .args(["--mb", &mb.to_string()]),
    )?;
    let made = tagged(&out, "MAKE_JSON")?
        .into_iter()
        .next()
        .context("no MAKE_JSON line")?;
    let mut files: Vec<String> = std::fs::read_dir(&set)?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "manifest.json")
        .collect();
    files.sort();
    std::fs::write(set.join("manifest.json"), serde_json::to_vec(&files)?)?;

    // 2. native
    run_cmd(cargo().args(["build", "--release", "-p", "substance-cli"]))?;
    let bin = super::leaderboard::target_dir().join("release/substance");
    let mut native = Vec::new();
    let mut native_peak = 0.0f64;
    for _ in 0..runs {
        let timing = std::env::temp_dir().join("substance-bench-verify.time");
        let status = Command::new("/usr/bin/time")
            .args(["-f", "%e %M", "-o"])
            .arg(&timing)
            .arg(&bin)
            .arg("verify")
            .arg(&set)
            .arg("--json")
            .stdout(std::process::Stdio::null())
            .status()
            .context("cannot run /usr/bin/time (apt-get install -y time)")?;
        if !status.success() {
            bail!("substance verify did not verify the bench set ({status})");
        }
        let t = std::fs::read_to_string(&timing)?;
        let mut w = t.split_whitespace().rev().take(2);
        let kb: f64 = w.next().context("time output")?.parse()?;
        let secs: f64 = w.next().context("time output")?.parse()?;
        native.push(secs);
        native_peak = native_peak.max(kb / 1024.0);
    }

    // 3. page
    let page = if flag("--no-page") {
        None
    } else {
        Some(page_job(!flag("--no-pkg-build"))?)
    };

    // 4. peer
    let peer = if flag("--no-peer") {
        None
    } else {
        let py = peer_python()?;
        let out = capture(
            Command::new(py)
                .arg(root().join("scripts/perf/verify_bench.py"))
                .arg("peer")
                .arg(&set)
                .args(["--runs", &runs.to_string()]),
        )?;
        Some(
            tagged(&out, "PEER_JSON")?
                .into_iter()
                .next()
                .context("no PEER_JSON line")?,
        )
    };

    let f = |v: &serde_json::Value, k: &str| v.get(k).and_then(serde_json::Value::as_f64);
    println!();
    println!(
        "## cargo xtask bench verify — {} ({} cores); load {load_before} before, {} after",
        crate::command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
            .unwrap_or_default()
            .trim(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load1()
    );
    println!(
        "set: {:.1} MB, {} sample lines (lm-eval 0.4.13 layout, 3 tasks + a group)",
        f(&made, "bytes").unwrap_or(0.0) / 1e6,
        made.get("samples")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    );
    println!();
    println!("| engine | runs | seconds (median, min–max) | peak MB | vs peer |");
    println!("|---|---|---|---|---|");
    let peer_median = peer.as_ref().and_then(|p| {
        let s: Vec<f64> = p
            .get("seconds")?
            .as_array()?
            .iter()
            .filter_map(|x| x.as_f64())
            .collect();
        (!s.is_empty()).then(|| (median(&s), s))
    });
    let ratio = |ours: f64| {
        peer_median.as_ref().map_or("—".to_owned(), |(p, _)| {
            format!("{:.1}× faster", p / ours)
        })
    };
    let nm = median(&native);
    println!(
        "| substance verify (native, release) | {runs} | {nm:.2} ({:.2}–{:.2}) | {native_peak:.0} | {} |",
        native.iter().copied().fold(f64::INFINITY, f64::min),
        native.iter().copied().fold(0.0, f64::max),
        ratio(nm)
    );
    if let Some(p) = &page {
        let secs = p
            .get("result")
            .and_then(|r| f(r, "verify_s"))
            .unwrap_or(f64::NAN);
        println!(
            "| verifyFiles in the page (wasm, main thread) | 1 | {secs:.2} (fetch {:.2} s more) | {:.0} (renderer) | {} |",
            p.get("result")
                .and_then(|r| f(r, "fetch_s"))
                .unwrap_or(f64::NAN),
            f(p, "renderer_peak_mb").unwrap_or(f64::NAN),
            ratio(secs)
        );
    }
    if let (Some(p), Some((m, s))) = (&peer, &peer_median) {
        println!(
            "| lm-eval 0.4.13 Python (hash_string, mean, mean_stderr, numpy argmax) | {} | {m:.2} ({:.2}–{:.2}) | {:.0} | 1.0× |",
            s.len(),
            s.iter().copied().fold(f64::INFINITY, f64::min),
            s.iter().copied().fold(0.0, f64::max),
            f(p, "peak_rss_mb").unwrap_or(f64::NAN)
        );
        println!();
        println!(
            "peer: {} numbers recomputed, {} mismatches (the set is consistent for lm-eval too)",
            f(p, "checked").unwrap_or(0.0),
            f(p, "mismatches").unwrap_or(f64::NAN)
        );
    }
    if let Some(r) = page.as_ref().and_then(|p| p.get("result")) {
        println!(
            "page: ok = {}, {} report(s)",
            r.get("ok").unwrap_or(&serde_json::Value::Null),
            r.get("reports").unwrap_or(&serde_json::Value::Null)
        );
    }
    Ok(())
}

/// The page job: package built (optionally), served with the set, one fresh browser.
fn page_job(build_pkg: bool) -> Result<serde_json::Value> {
    if !Path::new("/usr/bin/chromium").is_file() && std::env::var_os("CHROMIUM").is_none() {
        bail!(
            "bench verify's page job needs Debian's chromium (apt-get install -y chromium), or --no-page"
        );
    }
    let e2e = root().join("tests/e2e");
    if !e2e.join("node_modules/playwright-core").is_dir() {
        run_cmd(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&e2e),
        )?;
    }
    if build_pkg {
        let t0 = Instant::now();
        crate::pkg::build(crate::pkg::PkgOptions::default())?;
        eprintln!(
            "bench verify: package built in {:.0} s",
            t0.elapsed().as_secs_f64()
        );
    }
    let server = Server::start(0, Arc::new(respond))?;
    let out = capture(
        Command::new("node")
            .arg(root().join("scripts/perf/web_bench.mjs"))
            .arg(&server.origin)
            .arg("engine=verify")
            .arg("1200"),
    );
    server.stop();
    let j = tagged(&out?, "WEB_JSON")?
        .into_iter()
        .next()
        .context("no WEB_JSON line")?;
    if let Some(e) = j.get("error") {
        bail!("bench page: {}", e.as_str().unwrap_or("?"));
    }
    Ok(j)
}
