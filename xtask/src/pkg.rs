//! `cargo xtask pkg [--dev] [--cpu-only] [--wasm-opt]`: the npm package of the bindings in `pkg/`.
//!
//! Plain `cargo build --target wasm32-unknown-unknown -p substance-wasm` + `wasm-bindgen --target web`
//! (wasm-pack adds nothing we need, and would pick up Debian's broken `wasm-opt`, TOOLCHAIN.md; the
//! release package drops the `name` section, 6.5 MB of function names). Then `wasm-opt -Oz` when a
//! recent one (binaryen ≥ 116) is on the PATH, or with `--wasm-opt`, npm's `binaryen@132` installed into
//! `target/tools/binaryen` (it takes ~6 minutes and ~0.9 GB here for ~11% less gzip, so the first command
//! does not pay for it); a `package.json` (version = the crate's), and the gzip sizes of what a page
//! downloads, printed and written to `pkg/SIZES.txt`.
//!
//! Profiles: `web` (optimised, no LTO) by default — what the app serves; `--dev` builds with
//! `wasm-dev`, the profile every other wasm32 build of `cargo xtask test` shares, which is what the
//! end-to-end tests use (a few minutes instead of a second cold build of every dependency).

use std::io::Write;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{cargo, command_output, ensure_wasm_target, root, run};

/// wasm-bindgen-cli must be exactly the version of the `wasm-bindgen` crate pinned in Cargo.toml.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// Install wasm-bindgen-cli (pinned) when missing.
pub fn ensure_wasm_bindgen() -> Result<()> {
    ensure_wasm_target()?;
    let have = command_output("wasm-bindgen", &["--version"]).unwrap_or_default();
    if !have.contains(WASM_BINDGEN_VERSION) {
        // Without --locked: a locked dependency of 0.2.130 is missing from the index (TOOLCHAIN.md).
        run(cargo().args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            WASM_BINDGEN_VERSION,
        ]))?;
    }
    Ok(())
}

/// Options of `cargo xtask pkg`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PkgOptions {
    /// Build with the shared `wasm-dev` profile (fast to build, slow to run).
    pub dev: bool,
    /// Leave burn's wgpu backend out (CPU wasm only).
    pub cpu_only: bool,
    /// Install npm's binaryen when no usable `wasm-opt` is on the PATH, and optimise for size.
    pub wasm_opt: bool,
}

impl PkgOptions {
    /// Parse `--dev` / `--cpu-only` / `--wasm-opt`.
    pub fn parse(args: &[String]) -> Result<Self> {
        let mut o = Self::default();
        for a in args {
            match a.as_str() {
                "--dev" => o.dev = true,
                "--cpu-only" => o.cpu_only = true,
                "--wasm-opt" => o.wasm_opt = true,
                other => {
                    bail!(
                        "unknown argument to `cargo xtask pkg`: {other} (use --dev, --cpu-only, --wasm-opt)"
                    )
                }
            }
        }
        Ok(o)
    }

    fn profile(self) -> &'static str {
        if self.dev { "wasm-dev" } else { "web" }
    }
}

/// npm's `binaryen@132` (TOOLCHAIN.md: it works with wasm-bindgen 0.2.130), installed into
/// `target/tools/binaryen` when missing: the command that runs its `wasm-opt`, and its version.
fn npm_wasm_opt() -> Result<(Command, String)> {
    let dir = root().join("target/tools/binaryen");
    let bin = dir.join("node_modules/binaryen/bin/wasm-opt");
    if !bin.is_file() {
        std::fs::create_dir_all(&dir)?;
        if !dir.join("package.json").is_file() {
            std::fs::write(dir.join("package.json"), "{\"private\": true}\n")?;
        }
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "binaryen@132.0.0"])
            .current_dir(&dir))
        .context("npm install binaryen@132.0.0 (Node 20+ and npm are needed)")?;
    }
    let mut cmd = Command::new("node");
    cmd.arg(&bin);
    Ok((cmd, "binaryen 132 (npm)".to_owned()))
}

/// A `wasm-opt` that does not break wasm-bindgen's glue (binaryen ≥ 116; Debian's 108 does, TOOLCHAIN.md).
fn usable_wasm_opt() -> Option<String> {
    let v = command_output("wasm-opt", &["--version"])?;
    let n: u32 = v
        .split_whitespace()
        .find_map(|w| w.trim_start_matches('v').parse().ok())?;
    (n >= 116).then_some(v.trim().to_owned())
}

fn gzip_size(path: &Path) -> Result<u64> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&bytes)?;
    Ok(enc.finish()?.len() as u64)
}

fn mib(n: u64) -> String {
    format!("{:.2} MiB", n as f64 / (1u64 << 20) as f64)
}

/// The linker's constructor function must be called from exactly one place: substance-wasm's start
/// function (`run_constructors`). When nothing calls it, `wasm-ld` wraps every export with a call to it,
/// re-running all static constructors on each call into the package (~7 ms per generated token). This
/// reads the linked module (its name section, which cargo's output keeps) and counts the call sites.
fn check_constructors_run_once(wasm: &Path) -> Result<()> {
    let bytes = std::fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
    match constructor_call_sites(&bytes)
        .with_context(|| format!("cannot parse {}", wasm.display()))?
    {
        None => eprintln!(
            "(no function named __wasm_call_ctors in {}: constructor check skipped)",
            wasm.display()
        ),
        Some(1) => {}
        Some(n) => bail!(
            "{}: __wasm_call_ctors is called from {n} places, not once: the linker has wrapped the \
             exports, so every call into the package re-runs the static constructors (does \
             substance-wasm's start function still call run_constructors?)",
            wasm.display()
        ),
    }
    Ok(())
}

/// How many `call` instructions target `__wasm_call_ctors` (`None` when no function has that name).
fn constructor_call_sites(bytes: &[u8]) -> Result<Option<usize>> {
    use wasmparser::{KnownCustom, Name, Operator, Parser, Payload, TypeRef};
    let mut imported = 0u32;
    let mut ctors = None;
    let mut bodies = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if matches!(import?.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)) {
                        imported += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => bodies.push(body),
            Payload::CustomSection(c) => {
                if let KnownCustom::Name(names) = c.as_known() {
                    for name in names {
                        if let Name::Function(map) = name? {
                            for naming in map {
                                let naming = naming?;
                                if naming.name == "__wasm_call_ctors" {
                                    ctors = Some(naming.index);
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let Some(ctors) = ctors else { return Ok(None) };
    if ctors < imported {
        return Ok(Some(0));
    }
    let mut sites = 0;
    for body in bodies {
        let mut ops = body.get_operators_reader()?;
        while !ops.eof() {
            if let Operator::Call { function_index } = ops.read()? {
                sites += usize::from(function_index == ctors);
            }
        }
    }
    Ok(Some(sites))
}

/// Build `pkg/`.
pub fn build(opts: PkgOptions) -> Result<()> {
    ensure_wasm_bindgen()?;
    let profile = opts.profile();
    let mut build = cargo();
    build.args([
        "build",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "substance-wasm",
        "--profile",
        profile,
    ]);
    if opts.cpu_only {
        build.arg("--no-default-features");
    }
    run(&mut build)?;
    let wasm = root()
        .join("target/wasm32-unknown-unknown")
        .join(profile)
        .join("substance_wasm.wasm");
    check_constructors_run_once(&wasm)?;
    let pkg = root().join("pkg");
    // Keep pkg/README.md (committed); everything else is regenerated.
    if pkg.is_dir() {
        for e in std::fs::read_dir(&pkg)? {
            let p = e?.path();
            if p.file_name().is_some_and(|n| n != "README.md") {
                if p.is_dir() {
                    std::fs::remove_dir_all(&p)?;
                } else {
                    std::fs::remove_file(&p)?;
                }
            }
        }
    }
    let mut bindgen = Command::new("wasm-bindgen");
    bindgen
        .arg(&wasm)
        .args(["--target", "web", "--out-dir"])
        .arg(&pkg);
    if !opts.dev {
        // Function names only serve stack traces; the dev package keeps them.
        bindgen.args(["--remove-name-section", "--remove-producers-section"]);
    }
    run(&mut bindgen)?;
    let bg = pkg.join("substance_wasm_bg.wasm");
    let wasm_opt = match usable_wasm_opt() {
        Some(v) => Some((Command::new("wasm-opt"), v)),
        None if opts.wasm_opt && !opts.dev => Some(npm_wasm_opt()?),
        None => None,
    };
    match wasm_opt {
        Some((mut cmd, v)) if !opts.dev => {
            eprintln!("wasm-opt: {v}");
            run(cmd
                .arg("-Oz")
                .arg("--strip-debug")
                .arg("--enable-simd")
                .arg("--enable-bulk-memory")
                .arg("--enable-nontrapping-float-to-int")
                .arg("--enable-sign-ext")
                .arg("--enable-mutable-globals")
                .arg(&bg)
                .arg("-o")
                .arg(&bg))?;
        }
        Some(_) => {}
        None => eprintln!(
            "(no wasm-opt ≥ 116 on the PATH: the package is not size-optimised; `--wasm-opt` installs one)"
        ),
    }
    let version = env!("CARGO_PKG_VERSION");
    let webgpu = if opts.cpu_only {
        "CPU wasm only"
    } else {
        "WebGPU and CPU wasm"
    };
    std::fs::write(
        pkg.join("package.json"),
        format!(
            r#"{{
  "name": "substance-wasm",
  "version": "{version}",
  "description": "substance evaluation kit in WebAssembly: suites, receipts and their verification, a burn model runtime ({webgpu}), judges, bias probes and leaderboards.",
  "license": "Apache-2.0",
  "type": "module",
  "main": "substance_wasm.js",
  "module": "substance_wasm.js",
  "types": "substance_wasm.d.ts",
  "files": ["substance_wasm.js", "substance_wasm.d.ts", "substance_wasm_bg.wasm", "substance_wasm_bg.wasm.d.ts", "snippets", "README.md", "API.md"],
  "sideEffects": ["./snippets/*"]
}}
"#
        ),
    )?;
    std::fs::copy(
        root().join("crates/substance-wasm/API.md"),
        pkg.join("API.md"),
    )?;
    let mut sizes = String::new();
    for f in ["substance_wasm_bg.wasm", "substance_wasm.js"] {
        let p = pkg.join(f);
        let raw = std::fs::metadata(&p)?.len();
        let gz = gzip_size(&p)?;
        sizes.push_str(&format!("{f}\t{raw}\t{gz}\n"));
        println!("pkg/{f}: {} raw, {} gzip", mib(raw), mib(gz));
    }
    std::fs::write(
        pkg.join("SIZES.txt"),
        format!("# file\tbytes\tgzip bytes (profile {profile}, {webgpu})\n{sizes}"),
    )?;
    Ok(())
}
