//! Small helpers shared by the subcommands: reading files with context, resolving suites, progress bars.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use substance_core::Suite;

/// Largest file read whole into memory (receipts are streamed instead).
pub const MAX_READ: u64 = 1 << 30;

/// Read a whole text file, refusing huge ones with a clear message.
pub fn read_text(path: &Path) -> Result<String> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot open {}", path.display()))?;
    if meta.len() > MAX_READ {
        bail!(
            "{} is {} bytes, more than the {} this command reads into memory",
            path.display(),
            meta.len(),
            MAX_READ
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

/// Open a file for streaming.
pub fn open(path: &Path) -> Result<BufReader<File>> {
    Ok(BufReader::new(File::open(path).with_context(|| {
        format!("cannot open {}", path.display())
    })?))
}

/// Folders searched for suites by name: `$SUBSTANCE_SUITES`, `./suites`, and the repository's `suites/`.
pub fn suite_roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Ok(p) = std::env::var("SUBSTANCE_SUITES") {
        roots.push(PathBuf::from(p));
    }
    roots.push(PathBuf::from("suites"));
    roots.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites"));
    roots
}

/// Resolve a suite argument: a folder with `suite.toml`, a `suite.toml` path, or a bundled suite name.
pub fn resolve_suite(arg: &str) -> Result<PathBuf> {
    let p = PathBuf::from(arg);
    if p.is_file() && p.file_name().is_some_and(|n| n == "suite.toml") {
        return Ok(p.parent().map(Path::to_path_buf).unwrap_or_default());
    }
    if p.join("suite.toml").is_file() {
        return Ok(p);
    }
    for root in suite_roots() {
        let cand = root.join(arg);
        if cand.join("suite.toml").is_file() {
            return Ok(cand);
        }
    }
    bail!(
        "no suite `{arg}`: not a folder with suite.toml, nor a bundled suite (see `substance suite list`)"
    )
}

/// Load a suite folder.
pub fn load_suite(arg: &str) -> Result<(PathBuf, Suite)> {
    let dir = resolve_suite(arg)?;
    let suite = substance_suite::load_suite_dir(&dir)
        .with_context(|| format!("cannot load suite {}", dir.display()))?;
    Ok((dir, suite))
}

/// A progress bar on stderr (hidden when stderr is not a terminal).
pub fn progress(total: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(total);
    let style = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    pb.set_style(style);
    pb.set_message(crate::term::escape(what).into_owned());
    pb
}

/// Print a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(v)?;
    // `print_json` output is JSON: escape with JSON's own `\uXXXX`, not the text form of `outln!`.
    crate::term::write(
        crate::term::Stream::Out,
        format_args!("{}", crate::term::escape_json(&text)),
        true,
    );
    Ok(())
}

/// The most skipped records listed one by one on the terminal (all of them are in `--json`).
const SKIPS_LISTED: usize = 20;

/// Warn on stderr about records a reader or an aggregate left out on purpose, each with its file, line
/// and reason (the reading policy's rule 6), the first [`SKIPS_LISTED`] one by one.
pub fn warn_skipped(skipped: &[substance_core::input::Skipped]) {
    if skipped.is_empty() {
        return;
    }
    errln!(
        "warning: {} record(s) left out, as the reference tool leaves them out:",
        skipped.len()
    );
    for s in skipped.iter().take(SKIPS_LISTED) {
        errln!("  {s}");
    }
    if skipped.len() > SKIPS_LISTED {
        errln!(
            "  … and {} more (all in --json `skipped`)",
            skipped.len() - SKIPS_LISTED
        );
    }
}
