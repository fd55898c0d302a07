//! `cargo xtask bench web [--no-pkg-build] [--no-webgpu] [--quick] [--suite-only]` (see `mod.rs`).
//! `--quick` is a smoke test of the pages (8 tokens, 2 scoring rows), not a measurement; `--suite-only`
//! runs only the whole-suite jobs of point 5 (no peer setup).
//!
//! Our browser package against transformers.js in the same headless Chromium (Debian's, through
//! playwright-core from `tests/e2e/`), on the same weights as `bench model` (the peer setup in
//! `target/perf/` is shared, see `model.rs`):
//!
//! 1. `cargo xtask pkg` (profile `web`: optimised, no LTO), timed — unless `--no-pkg-build`.
//! 2. A static server on 127.0.0.1 (a free port) with cross-origin isolation (COOP/COEP), serving the
//!    bench page `tests/bench/` (not part of the app: it calls the package API directly), `pkg/`,
//!    `models/` and the peer setup `target/perf/`.
//! 3. One fresh browser per job (`scripts/perf/web_bench.mjs`), so each job's renderer peak memory (VmHWM)
//!    is its own and nothing is cached:
//!    - ours on CPU wasm (burn Flex, SIMD128), OPT weights: decode (`start()` + `next()` per token) and
//!      scoring (`loglikelihood()` of the 8×128 rows);
//!    - the peer: transformers.js 4.3.1 default browser path (ORT-web asyncify WASM), fp32, one thread:
//!      decode through `generate()` with a streamer, scoring as one 8×128 forward;
//!    - ours on WebGPU (SwiftShader, a CPU emulation: correctness only, 8 tokens and 2 rows);
//!    - time to the first scored item: navigation start → package instantiated → SmolLM2-135M-Instruct
//!      GGUF (98 MB) fetched from the server → `WasmModel.load` (CPU) → `WasmSuite.sample("sample-knowledge")`
//!      → `WasmRun.step()` resolved for the first item, all in the page's main thread.
//! 5. A whole bundled suite (sample-knowledge, 40 items) through the app itself (`web/`, the Run tab,
//!    `scripts/perf/page_suite.mjs`) on the default SmolLM2 GGUF (quantised CPU path): on one worker and on
//!    a pool of one worker per core; a warm-up item loads the model (and the pool) first; the receipts of
//!    both runs must be the same bytes.
//! 6. gzip sizes (level 9) of what each side downloads besides the weights: ours is
//!    `substance_wasm_bg.wasm` and `substance_wasm.js`; the peer's default browser path is
//!    transformers.js's `dist/transformers.js` and ORT-web's asyncify `.wasm` and `.mjs`.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::model::{capture, f, load1, perf_dir, setup_peer, tagged};
use crate::http::{Reply, Request, Server};
use crate::web::{mime, resolve_in};
use crate::{fetch_model, root};

/// URL prefix → folder (relative to the repository root) of the bench server.
const MOUNTS: &[(&str, &str)] = &[
    ("/bench/", "tests/bench"),
    ("/pkg/", "pkg"),
    ("/models/", "models"),
    ("/perf/", "target/perf"),
    ("/web/", "web"),
];

/// The bench server: static files with cross-origin isolation, on a free port.
fn start_server() -> Result<Server> {
    Server::start(0, Arc::new(respond))
}

fn respond(req: &Request) -> Reply {
    respond_from(MOUNTS, req)
}

/// A static file under one of `mounts` (URL prefix → folder under the repository root), with the
/// cross-origin isolation headers the package needs and no caching.
pub(super) fn respond_from(mounts: &[(&str, &str)], req: &Request) -> Reply {
    let file = resolve_in(&root(), mounts, &req.path)
        .and_then(|p| std::fs::File::open(&p).ok().map(|f| (p, f)));
    let reply = match file {
        Some((p, f)) => Reply::file(f, mime(&p)),
        None => Reply::text(404, format!("not found: {}\n", req.path)),
    };
    reply
        .with("Cross-Origin-Opener-Policy", "same-origin")
        .with("Cross-Origin-Embedder-Policy", "require-corp")
        .with("Cross-Origin-Resource-Policy", "same-origin")
        .with("Cache-Control", "no-store")
}

fn gzip_size(path: &Path) -> Result<(u64, u64)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&bytes)?;
    Ok((bytes.len() as u64, enc.finish()?.len() as u64))
}

fn mb(n: u64) -> String {
    format!("{:.2} MB", n as f64 / 1e6)
}

/// One page job in a fresh browser; the page's result object (or an error).
fn job(
    origin: &str,
    query: &str,
    timeout_s: u32,
    webgpu: bool,
) -> Result<(serde_json::Value, String)> {
    let load = load1();
    let mut cmd = Command::new("node");
    cmd.arg(root().join("scripts/perf/web_bench.mjs"))
        .arg(origin)
        .arg(query)
        .arg(timeout_s.to_string());
    if webgpu {
        cmd.arg("webgpu");
    }
    let out = capture(&mut cmd)?;
    let j = tagged(&out, "WEB_JSON")?
        .into_iter()
        .next()
        .context("no WEB_JSON line")?;
    if let Some(e) = j.get("error") {
        bail!("bench page {query}: {}", e.as_str().unwrap_or("?"));
    }
    Ok((j, load))
}

/// The whole-suite jobs: sample-knowledge through the app on 1 worker and on one per core.
fn suite_jobs(origin: &str) -> Result<Vec<(serde_json::Value, String)>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out = Vec::new();
    for workers in [1, cores.max(2)] {
        let load = load1();
        let text = capture(
            Command::new("node")
                .arg(root().join("scripts/perf/page_suite.mjs"))
                .arg(origin)
                .arg("sample-knowledge")
                .arg(workers.to_string())
                .arg("1200"),
        )?;
        let j = tagged(&text, "SUITE_JSON")?
            .into_iter()
            .next()
            .context("no SUITE_JSON line")?;
        if let Some(e) = j.get("error") {
            bail!(
                "suite run on {workers} worker(s): {}",
                e.as_str().unwrap_or("?")
            );
        }
        out.push((j, load));
    }
    Ok(out)
}

fn print_suites(jobs: &[(serde_json::Value, String)]) -> Result<()> {
    println!();
    println!(
        "Whole suite in the app (web/, Run tab): sample-knowledge on the default SmolLM2-135M-Instruct Q4_1 GGUF, CPU (quantised kernels), after a 1-item warm-up that loads the model and starts the pool:"
    );
    println!();
    println!(
        "| workers | load avg | warm-up s | suite s | items/s | speed-up | renderer peak MB | wasm heap MB | receipt sha256 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let base = jobs.first().and_then(|(j, _)| f(j, "seconds"));
    for (j, load) in jobs {
        let secs = f(j, "seconds");
        let fmt = |x: Option<f64>, d: usize| x.map_or_else(|| "-".into(), |x| format!("{x:.d$}"));
        println!(
            "| {} | {load} | {} | {} | {} | {} | {} | {} | {} |",
            j["workers"],
            fmt(f(j, "warmup_s"), 1),
            fmt(secs, 1),
            fmt(f(j, "items_per_second"), 2),
            match (base, secs) {
                (Some(b), Some(s)) if s > 0.0 => format!("{:.2}x", b / s),
                _ => "-".into(),
            },
            fmt(f(j, "renderer_peak_mb"), 0),
            // each worker the driver could see (the compute worker first)
            j["wasm_memory_mb"].as_array().map_or_else(
                || "-".into(),
                |v| v
                    .iter()
                    .filter_map(serde_json::Value::as_f64)
                    .map(|x| format!("{x:.0}"))
                    .collect::<Vec<_>>()
                    .join(" + ")
            ),
            j["receipt_sha256"]
                .as_str()
                .map_or("-", |h| &h[..16.min(h.len())]),
        );
    }
    let hashes: Vec<_> = jobs
        .iter()
        .map(|(j, _)| j["receipt_sha256"].as_str())
        .collect();
    if hashes.windows(2).any(|w| w[0] != w[1]) {
        bail!("the pooled run's receipt differs from the one-worker receipt");
    }
    println!();
    println!("The receipts are the same bytes.");
    Ok(())
}

/// Run the `web` benchmark.
pub fn run(args: &[String]) -> Result<()> {
    let mut build_pkg = true;
    let mut webgpu = true;
    let mut quick = "";
    let mut suite_only = false;
    for a in args {
        match a.as_str() {
            "--quick" => quick = "&quick=1",
            "--suite-only" => suite_only = true,
            "--no-pkg-build" => build_pkg = false,
            "--no-webgpu" => webgpu = false,
            other => bail!(
                "unknown argument to `cargo xtask bench web`: {other} (use --no-pkg-build, --no-webgpu, --quick, --suite-only)"
            ),
        }
    }
    if !Path::new("/usr/bin/chromium").is_file() && std::env::var_os("CHROMIUM").is_none() {
        bail!("bench web needs Debian's chromium (apt-get install -y chromium)");
    }
    let e2e = root().join("tests/e2e");
    if !e2e.join("node_modules/playwright-core").is_dir() {
        crate::run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&e2e),
        )?;
    }
    let setup = if suite_only {
        Vec::new()
    } else {
        setup_peer()?
    };
    fetch_model()?;
    let pkg_time = if build_pkg {
        let t0 = Instant::now();
        crate::pkg::build(crate::pkg::PkgOptions::default())?;
        format!("{:.0} s", t0.elapsed().as_secs_f64())
    } else {
        "not built (--no-pkg-build)".into()
    };
    let sizes_txt = std::fs::read_to_string(root().join("pkg/SIZES.txt")).unwrap_or_default();
    let pkg_profile = sizes_txt
        .lines()
        .next()
        .and_then(|l| l.split("profile ").nth(1))
        .and_then(|s| s.split([',', ')']).next())
        .unwrap_or("?")
        .to_owned();

    let server = start_server()?;
    eprintln!("bench web: serving on {}", server.origin);
    let o = server.origin.clone();
    let suites = suite_jobs(&o);
    if suite_only {
        server.stop();
        return print_suites(&suites?);
    }
    let results = (|| -> Result<Vec<(String, serde_json::Value, String)>> {
        let mut r = Vec::new();
        let (j, l) = job(
            &o,
            &format!("engine=ours&job=speed&backend=cpu{quick}"),
            1200,
            false,
        )?;
        r.push(("ours".into(), j, l));
        let (j, l) = job(&o, &format!("engine=peer{quick}"), 1200, false)?;
        r.push(("peer".into(), j, l));
        if webgpu {
            match job(
                &o,
                "engine=ours&job=speed&backend=webgpu&quick=1",
                1200,
                true,
            ) {
                Ok((j, l)) => r.push(("ours-webgpu".into(), j, l)),
                Err(e) => eprintln!("WebGPU job failed: {e:#}"),
            }
        }
        let (j, l) = job(&o, "engine=ours&job=first-item&backend=cpu", 600, false)?;
        r.push(("first-item".into(), j, l));
        Ok(r)
    })();
    server.stop();
    let results = results?;
    let suites = suites?;
    let get = |name: &str| results.iter().find(|(n, _, _)| n == name);

    let js = perf_dir().join("js/node_modules");
    let ours_sizes = [
        gzip_size(&root().join("pkg/substance_wasm_bg.wasm"))?,
        gzip_size(&root().join("pkg/substance_wasm.js"))?,
    ];
    let peer_sizes = [
        gzip_size(&js.join("onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm"))?,
        gzip_size(&js.join("onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.mjs"))?,
        gzip_size(&js.join("@huggingface/transformers/dist/transformers.js"))?,
    ];

    println!();
    println!(
        "## cargo xtask bench web — {} ({} cores), headless Chromium {}",
        crate::command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
            .unwrap_or_default()
            .trim(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        crate::command_output("/usr/bin/chromium", &["--version"])
            .unwrap_or_default()
            .trim()
    );
    println!(
        "Weights: target/perf/opt125m-random (OPT-125m-shaped, fp32, torch seed 0) for both sides; ours from model.safetensors, the peer from its ONNX export. Our package: pkg/ (profile {pkg_profile})."
    );
    println!();
    println!(
        "| engine | backend | load avg | load s | prefill 32 tok ms | decode tok/s | e2e 128 tok/s | scoring 8x128 tok/s | renderer peak MB | greedy = torch | log-lik max-abs vs torch | note |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let peer = get("peer").map(|(_, j, _)| &j["result"]);
    let pf = |k: &str| peer.and_then(|p| f(p, k));
    for (name, j, load) in &results {
        if name == "first-item" {
            continue;
        }
        let r = &j["result"];
        let g = |k: &str| f(r, k);
        let ours = name.starts_with("ours");
        let ratio = |k: &str, inv: bool| match (g(k), pf(k)) {
            (Some(a), Some(b)) if name == "ours" && a > 0.0 && b > 0.0 => {
                format!(" ({:.2}x)", if inv { b / a } else { a / b })
            }
            _ => String::new(),
        };
        let (engine, backend, note) = match name.as_str() {
            "ours" => (
                "ours (pkg, burn Flex)".to_owned(),
                "CPU wasm SIMD128, 1 thread".to_owned(),
                "prefill = start() (last-position logits); scoring = loglikelihood() of 8 requests"
                    .to_owned(),
            ),
            "ours-webgpu" => (
                "ours (pkg, burn wgpu)".to_owned(),
                "WebGPU on SwiftShader".to_owned(),
                match j.get("error") {
                    Some(e) => format!("FAILED: {}", e.as_str().unwrap_or("?")),
                    None => "correctness only (CPU emulation; 4 tokens, 1 row)".to_owned(),
                },
            ),
            _ => (
                format!(
                    "peer: {}",
                    r["engine"].as_str().unwrap_or("transformers.js")
                ),
                "ORT-web asyncify WASM, 1 thread".to_owned(),
                "prefill = forward with full logits; scoring = one 8x128 forward".to_owned(),
            ),
        };
        let fmt = |x: Option<f64>, d: usize| x.map_or_else(|| "-".into(), |x| format!("{x:.d$}"));
        println!(
            "| {engine} | {backend} | {load} | {} | {}{} | {}{} | {}{} | {}{} | {}{} | {} | {} | {note} |",
            fmt(g("load_s"), 1),
            fmt(g("prefill_ms"), 1),
            ratio("prefill_ms", true),
            fmt(g("decode_tok_s"), 1),
            ratio("decode_tok_s", false),
            fmt(g("e2e_tok_s"), 1),
            ratio("e2e_tok_s", false),
            fmt(g("score_tok_s"), 1),
            ratio("score_tok_s", false),
            fmt(f(j, "renderer_peak_mb"), 0),
            if ours {
                ratio_mem(
                    f(j, "renderer_peak_mb"),
                    get("peer").and_then(|(_, p, _)| f(p, "renderer_peak_mb")),
                    name == "ours",
                )
            } else {
                String::new()
            },
            r["greedy_vs_torch"].as_str().unwrap_or("-"),
            fmt(g("loglik_max_abs_vs_torch"), 7),
        );
    }
    println!();
    println!(
        "Ratios in parentheses: ours / peer (prefill: peer ms / our ms; memory: our peak / peer peak)."
    );
    if let Some((_, j, load)) = get("first-item") {
        let r = &j["result"];
        let m = &r["marks"];
        let t = |k: &str| f(m, k).map_or_else(|| "-".into(), |x| format!("{:.2} s", x / 1e3));
        println!();
        println!(
            "Time from page load to the first scored item (ours, CPU wasm, main thread, fresh profile; load avg {load}): {} \
             — package instantiated at {}, SmolLM2-135M-Instruct Q4_1 GGUF (98 MB) fetched at {}, loaded at {}, first item of {} ({}) scored at {}; renderer peak {} MB.",
            t("first_item"),
            t("wasm_ready"),
            t("model_fetched"),
            t("model_loaded"),
            r["suite"].as_str().unwrap_or("?"),
            r["item"].as_str().unwrap_or("?"),
            t("first_item"),
            f(j, "renderer_peak_mb").map_or_else(|| "-".into(), |x| format!("{x:.0}")),
        );
    }
    print_suites(&suites)?;
    println!();
    println!("Download sizes (gzip -9) besides the weights:");
    println!(
        "- ours: substance_wasm_bg.wasm {} raw / {} gzip + substance_wasm.js {} / {} gzip (profile {pkg_profile}; WebGPU and CPU in one module)",
        mb(ours_sizes[0].0),
        mb(ours_sizes[0].1),
        mb(ours_sizes[1].0),
        mb(ours_sizes[1].1)
    );
    println!(
        "- peer: ort-wasm-simd-threaded.asyncify.wasm {} / {} gzip + its .mjs {} / {} gzip + transformers.js {} / {} gzip",
        mb(peer_sizes[0].0),
        mb(peer_sizes[0].1),
        mb(peer_sizes[1].0),
        mb(peer_sizes[1].1),
        mb(peer_sizes[2].0),
        mb(peer_sizes[2].1)
    );
    let total = |s: &[(u64, u64)]| s.iter().map(|x| x.1).sum::<u64>();
    println!(
        "- total gzip: ours {}, peer {}",
        mb(total(&ours_sizes)),
        mb(total(&peer_sizes))
    );
    println!();
    println!("cargo xtask pkg (profile web): {pkg_time}");
    println!(
        "Setup (target/perf/): {}",
        setup
            .iter()
            .map(|(w, s)| format!("{w}: {s}"))
            .collect::<Vec<_>>()
            .join("; ")
    );
    Ok(())
}

fn ratio_mem(ours: Option<f64>, peer: Option<f64>, show: bool) -> String {
    match (ours, peer) {
        (Some(a), Some(b)) if show && b > 0.0 => format!(" ({:.2}x)", a / b),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> Reply {
        respond(&Request {
            method: "GET".into(),
            path: path.into(),
        })
    }

    #[test]
    fn the_bench_server_serves_its_mounts_isolated() {
        let page = get("/bench/index.html");
        assert_eq!(page.status, 200);
        let header = |r: &Reply, name: &str| {
            r.headers
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            header(&page, "Content-Type").as_deref(),
            Some("text/html; charset=utf-8")
        );
        // the app is served too (the whole-suite jobs drive its Run tab)
        assert_eq!(get("/web/index.html").status, 200);
        for refused in [
            "/bench/../Cargo.toml",
            "/web/../Cargo.toml",
            "/crates/substance-core/Cargo.toml",
            "/bench/%2e%2e/README.md",
        ] {
            let r = get(refused);
            assert_eq!(r.status, 404, "{refused}");
            assert_eq!(
                header(&r, "Cross-Origin-Embedder-Policy").as_deref(),
                Some("require-corp")
            );
        }
    }
}
