//! `cargo xtask bench model [--no-wasm] [--no-peer] [--no-smollm2] [--wgpu] [--no-build]` (see `mod.rs`;
//! `--no-build` runs the `speed` binaries already in `target/`).
//!
//! One run, identical weights and token ids for every engine:
//!
//! 1. **Peer setup** (idempotent, into the git-ignored `target/perf/`, each step timed and skipped when its
//!    output is present): a Python venv with pinned torch / transformers / optimum-onnx;
//!    `scripts/perf/make_opt.py` builds `OPTForCausalLM(OPTConfig())` under `torch.manual_seed(0)` as
//!    safetensors, the token ids (`inputs.json`) and PyTorch's prefill logits and greedy tokens;
//!    `optimum-cli export onnx` makes the ONNX model, laid out for transformers.js; an npm project with
//!    `@huggingface/transformers@4.3.1` (`.npmrc` `onnxruntime-node-install=skip`, or its postinstall
//!    tries to download CUDA).
//! 2. **Ours**: the model runtime's `speed` example (`crates/substance-model/examples/speed.rs`) built
//!    with `--release`, natively (burn Flex CPU backend) and for `wasm32-wasip1` (SIMD128) run under Node's
//!    WASI (`scripts/perf/wasi_run.mjs`), on the same safetensors folder (`--hf`) and on
//!    SmolLM2-135M-Instruct (`cargo xtask fetch-model`) on both numeric paths (dequantised to f32, and its
//!    Q4_1/Q8_0 blocks kept with `substance-quant`'s kernels); one process per model, so peak memory is
//!    that model's. `--wgpu` adds the wgpu backend (lavapipe here: correctness only, never a speed figure).
//! 3. **Peer**: transformers.js 4.3.1 + onnxruntime-web WASM, fp32, one thread, in Node
//!    (`scripts/perf/tjs_node.mjs`).
//!
//! The method is ANCHORS.md's (`shared/perf/`): prefill = median of 5 forwards over the 32-token prompt
//! with full logits; decode = median single-token step time (forward + logits + argmax), median of 3
//! runs of 127 steps; scoring = one 8×128 forward with full logits, 1024 / median of 3; peak = the
//! process's peak RSS (VmHWM natively, Node's maxRSS for wasm and the peer). Logits agreement = max-abs
//! difference of each engine's prefill logits `[32, 50272]` from PyTorch's (fp32, one thread), and how
//! many of the 128 greedy tokens equal PyTorch's. The 1-minute load average is printed beside every run:
//! the machine has 2 cores and is shared, so a figure taken under load is not comparable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::{cargo, fetch_model, root, run as run_cmd};

/// The Python packages of the peer setup, pinned to ANCHORS.md's versions (torch's random init is
/// bit-reproducible only with the same torch and transformers).
pub(super) const PIP_PINS: &[&str] = &[
    "torch==2.15.0",
    "transformers==4.57.6",
    "safetensors==0.8.0",
    "numpy==2.4.6",
    "optimum-onnx==0.1.0",
    "onnx==1.23.2",
    "onnxruntime==1.32.0",
];
/// The peer's npm package.
pub(super) const TJS: &str = "@huggingface/transformers@4.3.1";

/// The goals (issue 3): decode ≥ 1.15× the peer, scoring ≥ 2× the peer, peak ≤ 2× the weights.
const GOAL_DECODE: f64 = 1.15;
const GOAL_SCORE: f64 = 2.0;
const GOAL_PEAK_OVER_WEIGHTS: f64 = 2.0;

/// `target/perf/`: everything the benchmarks set up and write.
pub(super) fn perf_dir() -> PathBuf {
    root().join("target/perf")
}

/// The 1-minute load average.
pub(super) fn load1() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// Run a command (in the repository root), capture stdout (stderr passes through), fail on failure.
pub(super) fn capture(cmd: &mut Command) -> Result<String> {
    eprintln!("$ {cmd:?}");
    let out = cmd
        .current_dir(root())
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    eprint!("{text}");
    if !out.status.success() {
        bail!("{cmd:?} failed with {}", out.status);
    }
    Ok(text)
}

/// The JSON objects after `tag ` on the lines of `text`.
pub(super) fn tagged(text: &str, tag: &str) -> Result<Vec<serde_json::Value>> {
    text.lines()
        .filter_map(|l| l.strip_prefix(tag).map(str::trim))
        .map(|j| serde_json::from_str(j).with_context(|| format!("bad {tag} line: {j}")))
        .collect()
}

fn timed(
    what: &str,
    times: &mut Vec<(String, String)>,
    f: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let t0 = Instant::now();
    f()?;
    times.push((what.into(), format!("{:.0} s", t0.elapsed().as_secs_f64())));
    Ok(())
}

/// Set up the peer into `target/perf/` (each step skipped when done); returns what each step took.
pub(super) fn setup_peer() -> Result<Vec<(String, String)>> {
    let perf = perf_dir();
    std::fs::create_dir_all(&perf)?;
    let mut times = Vec::new();
    let venv = perf.join("venv");
    let py = venv.join("bin/python");
    let pins_stamp = venv.join("substance-pins.txt");
    let pins = PIP_PINS.join("\n");
    if std::fs::read_to_string(&pins_stamp).ok().as_deref() != Some(pins.as_str()) {
        timed(
            "python venv + pip install (torch from PyPI, ~3 GB)",
            &mut times,
            || {
                let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
                run_cmd(Command::new(python).args(["-m", "venv"]).arg(&venv))?;
                run_cmd(
                    Command::new(&py)
                        .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
                        .args(PIP_PINS),
                )?;
                Ok(std::fs::write(&pins_stamp, &pins)?)
            },
        )?;
    } else {
        times.push(("python venv + pip install".into(), "present".into()));
    }
    if !perf.join("torch.json").is_file()
        || !perf.join("opt125m-wordlevel-tokenizer.json").is_file()
    {
        timed(
            "make_opt.py (model, inputs, torch reference)",
            &mut times,
            || {
                run_cmd(
                    Command::new(&py)
                        .arg(root().join("scripts/perf/make_opt.py"))
                        .arg(&perf),
                )
            },
        )?;
    } else {
        times.push(("make_opt.py".into(), "present".into()));
    }
    let tjs_model = perf.join("tjs/opt125m");
    if !tjs_model.join("onnx/model.onnx").is_file() {
        timed("optimum-cli export onnx", &mut times, || {
            let raw = perf.join("onnx");
            run_cmd(
                Command::new(venv.join("bin/optimum-cli"))
                    .args(["export", "onnx", "--model"])
                    .arg(perf.join("opt125m-random"))
                    .args(["--task", "text-generation-with-past"])
                    .arg(&raw),
            )?;
            // transformers.js reads MODEL/{config.json,generation_config.json,onnx/model.onnx}
            std::fs::create_dir_all(tjs_model.join("onnx"))?;
            for f in ["config.json", "generation_config.json"] {
                std::fs::copy(raw.join(f), tjs_model.join(f))?;
            }
            std::fs::hard_link(raw.join("model.onnx"), tjs_model.join("onnx/model.onnx")).or_else(
                |_| {
                    std::fs::copy(raw.join("model.onnx"), tjs_model.join("onnx/model.onnx"))
                        .map(|_| ())
                },
            )?;
            Ok(())
        })?;
    } else {
        times.push(("optimum-cli export onnx".into(), "present".into()));
    }
    let js = perf.join("js");
    let tjs_pkg = js.join("node_modules/@huggingface/transformers/package.json");
    let have = std::fs::read_to_string(&tjs_pkg).unwrap_or_default();
    if !have.contains("\"version\": \"4.3.1\"") {
        timed(&format!("npm install {TJS}"), &mut times, || {
            std::fs::create_dir_all(&js)?;
            // Without this onnxruntime-node's postinstall tries to download CUDA (TOOLCHAIN.md).
            std::fs::write(js.join(".npmrc"), "onnxruntime-node-install=skip\n")?;
            std::fs::write(
                js.join("package.json"),
                "{\"name\": \"substance-perf-peer\", \"private\": true, \"type\": \"module\"}\n",
            )?;
            run_cmd(
                Command::new("npm")
                    .args(["install", "--no-audit", "--no-fund", "--prefix"])
                    .arg(&js)
                    .arg(TJS),
            )
        })?;
    } else {
        times.push((format!("npm install {TJS}"), "present".into()));
    }
    Ok(times)
}

fn read_f32(path: &Path) -> Result<Vec<f32>> {
    let b = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Max-abs difference of two logit dumps, and the share of rows (of `vocab`) whose argmax agrees.
pub(super) fn compare_logits(a: &[f32], b: &[f32], vocab: usize) -> Result<(f64, usize, usize)> {
    if a.len() != b.len() || a.is_empty() || !a.len().is_multiple_of(vocab) {
        bail!("logit dumps differ in size: {} vs {}", a.len(), b.len());
    }
    let max_abs = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from((x - y).abs()))
        .fold(0.0, f64::max);
    let argmax = |r: &[f32]| {
        r.iter()
            .enumerate()
            .fold(
                (0, f32::NEG_INFINITY),
                |m, (i, &v)| if v > m.1 { (i, v) } else { m },
            )
            .0
    };
    let rows = a.len() / vocab;
    let same = a
        .chunks_exact(vocab)
        .zip(b.chunks_exact(vocab))
        .filter(|(x, y)| argmax(x) == argmax(y))
        .count();
    Ok((max_abs, same, rows))
}

/// How many leading-aligned tokens of `a` equal `b`'s (over the shorter).
pub(super) fn same_tokens(a: &serde_json::Value, b: &serde_json::Value) -> String {
    let ids = |v: &serde_json::Value| -> Vec<u64> {
        v.as_array()
            .map(|a| a.iter().filter_map(serde_json::Value::as_u64).collect())
            .unwrap_or_default()
    };
    let (a, b) = (ids(a), ids(b));
    let n = a.len().min(b.len());
    let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
    format!("{same}/{n}")
}

/// One row of the table.
pub(super) struct Row {
    pub engine: String,
    pub model: String,
    pub load: String,
    pub figures: serde_json::Value,
    pub logits: String,
    pub tokens: String,
    pub note: String,
}

pub(super) fn f(v: &serde_json::Value, key: &str) -> Option<f64> {
    v.get(key)
        .and_then(serde_json::Value::as_f64)
        .filter(|x| x.is_finite())
}

fn fmt(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "-".into(), |x| format!("{x:.digits$}"))
}

fn ratio(ours: Option<f64>, peer: Option<f64>) -> String {
    match (ours, peer) {
        (Some(a), Some(b)) if b > 0.0 => format!(" ({:.2}x)", a / b),
        _ => String::new(),
    }
}

struct Options {
    wasm: bool,
    peer: bool,
    smollm2: bool,
    wgpu: bool,
    build: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut o = Self {
            wasm: true,
            peer: true,
            smollm2: true,
            wgpu: false,
            build: true,
        };
        for a in args {
            match a.as_str() {
                "--no-wasm" => o.wasm = false,
                "--no-peer" => o.peer = false,
                "--no-smollm2" => o.smollm2 = false,
                "--wgpu" => o.wgpu = true,
                "--no-build" => o.build = false,
                other => bail!(
                    "unknown argument to `cargo xtask bench model`: {other} (use --no-wasm, --no-peer, --no-smollm2, --wgpu, --no-build)"
                ),
            }
        }
        Ok(o)
    }
}

/// Run the `model` benchmark.
pub fn run(args: &[String]) -> Result<()> {
    let opts = Options::parse(args)?;
    let perf = perf_dir();
    let setup = setup_peer()?;
    let smollm2 = if opts.smollm2 {
        Some(fetch_model()?)
    } else {
        None
    };
    let mut builds = Vec::new();
    let features: &[&str] = if opts.wgpu {
        &["--features", "wgpu"]
    } else {
        &[]
    };
    if !opts.build {
        builds.push(("speed example".into(), "not rebuilt (--no-build)".into()));
    }
    if opts.build {
        timed(
            "cargo build --release --example speed (native)",
            &mut builds,
            || {
                run_cmd(
                    cargo()
                        .args([
                            "build",
                            "--release",
                            "-p",
                            "substance-model",
                            "--example",
                            "speed",
                        ])
                        .args(features),
                )
            },
        )?;
    }
    if opts.wasm && opts.build {
        timed(
            "cargo build --release --example speed (wasm32-wasip1)",
            &mut builds,
            || {
                if !crate::command_output("rustup", &["target", "list", "--installed"])
                    .unwrap_or_default()
                    .contains("wasm32-wasip1")
                {
                    run_cmd(Command::new("rustup").args(["target", "add", "wasm32-wasip1"]))?;
                }
                run_cmd(
                    cargo()
                        .args([
                            "build",
                            "--release",
                            "-p",
                            "substance-model",
                            "--example",
                            "speed",
                            "--target",
                            "wasm32-wasip1",
                        ])
                        .env(
                            "CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS",
                            "-C target-feature=+simd128",
                        ),
                )
            },
        )?;
    }

    let hf = perf.join("opt125m-random");
    let inputs = perf.join("inputs.json");
    let torch: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(perf.join("torch.json"))?)?;
    let torch_logits = read_f32(&perf.join("torch_prefill.f32"))?;
    let weights_mb = std::fs::metadata(hf.join("model.safetensors"))?.len() as f64 / 1e6;
    let native = root().join("target/release/examples/speed");
    let wasm = root().join("target/wasm32-wasip1/release/examples/speed.wasm");
    let wasi_run = root().join("scripts/perf/wasi_run.mjs");
    let mut rows: Vec<Row> = Vec::new();

    // One engine on one model: run, parse, compare its prefill logits with PyTorch's.
    let mut ours =
        |engine: &str, wasm_run: bool, model: &str, extra: &[&str], note: &str| -> Result<()> {
            let dump = perf.join(format!(
                "prefill_{}.f32",
                engine.replace([' ', '/', '(', ')'], "_")
            ));
            let _ = std::fs::remove_file(&dump);
            let load = load1();
            let mut cmd = if wasm_run {
                let mut c = Command::new("node");
                // (see wasi_run.mjs for the V8 flag)
                c.args(["--no-warnings", "--no-incremental-marking"])
                    .arg(&wasi_run)
                    .arg(&wasm)
                    .arg(root());
                c
            } else {
                Command::new(&native)
            };
            cmd.arg("--json").arg("--inputs").arg(&inputs).args(extra);
            let is_opt = model.starts_with("OPT");
            if is_opt {
                cmd.arg("--hf").arg(&hf).arg("--dump-prefill").arg(&dump);
            }
            let out = capture(&mut cmd)?;
            let mut j = tagged(&out, "SPEED_JSON")?
                .into_iter()
                .next()
                .context("no SPEED_JSON line")?;
            if let Some(w) = tagged(&out, "WASI_JSON")?.first() {
                j["peak_rss_mb"] = w["peak_rss_mb"].clone();
            }
            let (logits, tokens) = if is_opt {
                let (m, same, n) = compare_logits(&read_f32(&dump)?, &torch_logits, 50272)?;
                (
                    format!("{m:.2e} (argmax {same}/{n})"),
                    same_tokens(&j["tokens"], &torch["tokens"]),
                )
            } else {
                ("-".into(), "-".into())
            };
            rows.push(Row {
                engine: engine.into(),
                model: model.into(),
                load,
                figures: j,
                logits,
                tokens,
                note: note.into(),
            });
            Ok(())
        };
    let opt = "OPT-125m-shaped (torch seed 0)";
    // SmolLM2 on both numeric paths: dequantised to f32 (the reference) and its Q4_1/Q8_0 blocks kept
    let smol = "SmolLM2-135M (Q4_1 -> f32)";
    let smol_q = "SmolLM2-135M (Q4_1 quantised)";
    let gguf = smollm2.as_ref().map(|p| p.display().to_string());
    ours("ours native CPU (Flex)", false, opt, &[], "")?;
    if let Some(g) = &gguf {
        ours(
            "ours native CPU (Flex)",
            false,
            smol,
            &["--gguf", g, "--f32"],
            "",
        )?;
        ours("ours native CPU (Flex)", false, smol_q, &["--gguf", g], "")?;
    }
    if opts.wasm {
        ours("ours wasm32-wasip1 SIMD128, Node WASI", true, opt, &[], "")?;
        if let Some(g) = &gguf {
            for (model, extra) in [
                (smol, vec!["--gguf", g, "--f32"]),
                (smol_q, vec!["--gguf", g]),
            ] {
                ours(
                    "ours wasm32-wasip1 SIMD128, Node WASI",
                    true,
                    model,
                    &extra,
                    "",
                )?;
            }
        }
    }
    if opts.wgpu {
        ours(
            "ours native wgpu (lavapipe)",
            false,
            opt,
            &["--backend", "wgpu", "--quick"],
            "correctness only: lavapipe is a CPU emulation",
        )?;
    }
    if opts.peer {
        let dump = perf.join("prefill_peer.f32");
        let load = load1();
        let out = capture(
            Command::new("node")
                .arg(root().join("scripts/perf/tjs_node.mjs"))
                .arg(perf.join("js"))
                .arg(perf.join("tjs"))
                .arg(&inputs)
                .arg(&dump)
                .arg("1"),
        )?;
        let j = tagged(&out, "PEER_JSON")?
            .into_iter()
            .next()
            .context("no PEER_JSON line")?;
        let (m, same, n) = compare_logits(&read_f32(&dump)?, &torch_logits, 50272)?;
        rows.push(Row {
            engine: format!(
                "peer: {}, 1 thread, Node",
                j["engine"].as_str().unwrap_or("?")
            ),
            model: opt.into(),
            load,
            tokens: same_tokens(&j["tokens"], &torch["tokens"]),
            figures: j,
            logits: format!("{m:.2e} (argmax {same}/{n})"),
            note: String::new(),
        });
    }

    print_table(&rows, opt, weights_mb, &torch, &setup, &builds);
    Ok(())
}

fn print_table(
    rows: &[Row],
    opt: &str,
    weights_mb: f64,
    torch: &serde_json::Value,
    setup: &[(String, String)],
    builds: &[(String, String)],
) {
    let peer = rows.iter().find(|r| r.engine.starts_with("peer"));
    let pf = |k: &str| peer.and_then(|p| f(&p.figures, k));
    println!();
    println!(
        "## cargo xtask bench model — {} ({} cores)",
        crate::command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
            .unwrap_or_default()
            .trim(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "OPT weights: target/perf/opt125m-random/model.safetensors, {weights_mb:.0} MB fp32, sha256 {} (torch {}, transformers {}); reference logits and greedy tokens: PyTorch fp32, 1 thread.",
        torch["safetensors_sha256"].as_str().unwrap_or("?"),
        torch["torch"].as_str().unwrap_or("?"),
        torch["transformers"].as_str().unwrap_or("?"),
    );
    println!("Ratios in parentheses are ours / peer (OPT rows only).");
    println!();
    println!(
        "| engine | model | load avg | prefill 32 tok ms | decode tok/s | e2e 128 tok/s | scoring 8x128 tok/s | peak RSS MB | prefill logits max-abs vs torch | greedy = torch | note |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let is_peer = r.engine.starts_with("peer");
        let cmp = r.model == opt && !is_peer;
        let g = |k: &str| f(&r.figures, k);
        let rr = |k: &str, inverse: bool| {
            if !cmp {
                String::new()
            } else if inverse {
                ratio(pf(k), g(k))
            } else {
                ratio(g(k), pf(k))
            }
        };
        let peak = g("peak_rss_mb");
        let peak_note = if r.model == opt {
            peak.map_or(String::new(), |p| {
                format!(" ({:.2}x weights)", p / weights_mb)
            })
        } else {
            String::new()
        };
        println!(
            "| {} | {} | {} | {}{} | {}{} | {}{} | {}{} | {}{} | {} | {} | {} |",
            r.engine,
            r.model,
            r.load,
            fmt(g("prefill_ms"), 1),
            rr("prefill_ms", true),
            fmt(g("decode_tok_s"), 1),
            rr("decode_tok_s", false),
            fmt(g("e2e_tok_s"), 1),
            rr("e2e_tok_s", false),
            fmt(g("score_tok_s"), 1),
            rr("score_tok_s", false),
            fmt(peak, 0),
            peak_note,
            r.logits,
            r.tokens,
            r.note
        );
    }
    println!();
    println!(
        "Prefill ratio = peer ms / our ms (higher is faster). Goals (issue 3): decode >= {GOAL_DECODE}x peer, scoring >= {GOAL_SCORE}x peer, peak <= {GOAL_PEAK_OVER_WEIGHTS}x weights."
    );
    let mut verdicts = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.model == opt && !r.engine.starts_with("peer") && r.note.is_empty())
    {
        let g = |k: &str| f(&r.figures, k);
        let mut v = Vec::new();
        if let (Some(a), Some(b)) = (g("decode_tok_s"), pf("decode_tok_s")) {
            v.push(goal("decode", a / b, GOAL_DECODE, true));
        }
        if let (Some(a), Some(b)) = (g("score_tok_s"), pf("score_tok_s")) {
            v.push(goal("scoring", a / b, GOAL_SCORE, true));
        }
        if let Some(p) = g("peak_rss_mb") {
            v.push(goal(
                "peak/weights",
                p / weights_mb,
                GOAL_PEAK_OVER_WEIGHTS,
                false,
            ));
        }
        verdicts.insert(r.engine.clone(), v.join("; "));
    }
    for (engine, v) in verdicts {
        println!("- {engine}: {v}");
    }
    println!();
    println!("Setup (target/perf/): {}", join_times(setup));
    println!("Builds: {}", join_times(builds));
}

fn goal(what: &str, x: f64, target: f64, at_least: bool) -> String {
    let met = if at_least { x >= target } else { x <= target };
    let op = if at_least { ">=" } else { "<=" };
    format!(
        "{what} {x:.2}x ({} goal {op} {target}x)",
        if met { "meets" } else { "MISSES" }
    )
}

fn join_times(t: &[(String, String)]) -> String {
    t.iter()
        .map(|(w, s)| format!("{w}: {s}"))
        .collect::<Vec<_>>()
        .join("; ")
}
