//! `suite list | show | import`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use serde_json::json;

use crate::util::{load_suite, print_json, suite_roots};

/// Suite tools.
#[derive(Subcommand)]
pub enum SuiteCommand {
    /// List bundled suites (and those under `$SUBSTANCE_SUITES` / `./suites`).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a suite: spec, hash, item count, scorers and the first prompt exactly as it will be sent.
    Show {
        /// Suite folder or bundled name.
        suite: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the importers of foreign benchmark formats.
    Formats,
    /// Import a foreign benchmark file (or folder) into a suite folder.
    Import {
        /// Importer name (`substance suite formats` lists them), or `auto`: told from the file's name and
        /// first record (the importer chosen and why are printed).
        #[arg(long, default_value = "auto")]
        format: String,
        /// Input file or folder.
        file: PathBuf,
        /// Output suite folder.
        #[arg(long)]
        out: PathBuf,
        /// Suite name (default: derived from the format and file).
        #[arg(long)]
        name: Option<String>,
        /// Few-shot source file (e.g. an MMLU dev CSV, BBH CoT prompts), when not found automatically.
        #[arg(long)]
        fewshot: Option<PathBuf>,
    },
}

pub fn run(c: SuiteCommand) -> Result<ExitCode> {
    match c {
        SuiteCommand::List { json } => list(json),
        SuiteCommand::Show { suite, json } => show(&suite, json),
        SuiteCommand::Formats => {
            for i in substance_suite::import::importers() {
                outln!("{:<16} {}", i.name, i.summary);
            }
            Ok(ExitCode::SUCCESS)
        }
        SuiteCommand::Import {
            format,
            file,
            out,
            name,
            fewshot,
        } => import(&format, &file, &out, name, fewshot.as_deref()),
    }
}

fn list(as_json: bool) -> Result<ExitCode> {
    let mut rows = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for root in suite_roots() {
        let Ok(entries) = std::fs::read_dir(&root) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("suite.toml").is_file())
            .collect();
        dirs.sort();
        for dir in dirs {
            let Ok(canon) = dir.canonicalize() else {
                continue;
            };
            if !seen.insert(canon) {
                continue;
            }
            match substance_suite::load_suite_dir(&dir) {
                Ok(s) => rows.push(json!({
                    "name": s.spec.name, "version": s.spec.version, "items": s.items.len(),
                    "output_type": s.spec.output_type, "scorers": s.spec.scorers, "path": dir.display().to_string(),
                })),
                Err(e) => errln!("warning: skipping {}: {e}", dir.display()),
            }
        }
    }
    if as_json {
        print_json(&rows)?;
    } else {
        outln!(
            "{:<24} {:<8} {:>6}  {:<16} scorers",
            "name",
            "version",
            "items",
            "output"
        );
        for r in &rows {
            outln!(
                "{:<24} {:<8} {:>6}  {:<16} {}",
                r["name"].as_str().unwrap_or_default(),
                r["version"].as_str().unwrap_or_default(),
                r["items"],
                r["output_type"].as_str().unwrap_or_default(),
                r["scorers"]
                    .as_array()
                    .map(|a| a
                        .iter()
                        .filter_map(|v| v.as_str())
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show(arg: &str, as_json: bool) -> Result<ExitCode> {
    let (dir, suite) = load_suite(arg)?;
    let sha = suite.sha256()?;
    let first = if suite.items.is_empty() {
        None
    } else {
        Some(substance_suite::build_prompt(&suite, 0)?)
    };
    if as_json {
        print_json(&json!({
            "path": dir.display().to_string(), "sha256": sha, "items": suite.items.len(),
            "fewshot_pool": suite.fewshot_pool.len(), "spec": suite.spec, "first_prompt": first,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} {} — {}",
        suite.spec.name,
        suite.spec.version,
        dir.display()
    );
    if !suite.spec.description.is_empty() {
        outln!("{}", suite.spec.description);
    }
    outln!("sha256      {sha}");
    outln!(
        "items       {} (few-shot pool {})",
        suite.items.len(),
        suite.fewshot_pool.len()
    );
    outln!("output      {:?}", suite.spec.output_type);
    for name in &suite.spec.scorers {
        let d = substance_score::scorer(name)
            .map(|s| s.describe())
            .unwrap_or("(unknown scorer)");
        outln!("scorer      {name}: {d}");
    }
    if let Some(p) = first {
        outln!(
            "\nfirst prompt, exactly as sent:\n{}",
            serde_json::to_string_pretty(&p)?
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn import(
    format: &str,
    file: &std::path::Path,
    out: &std::path::Path,
    name: Option<String>,
    fewshot: Option<&std::path::Path>,
) -> Result<ExitCode> {
    let opts = substance_suite::import::ImportOptions {
        name,
        ..Default::default()
    };
    let format = if format == "auto" {
        if file.is_dir() {
            bail!(
                "{}: a folder is imported with a named importer: give --format (`substance suite formats` lists them)",
                file.display()
            );
        }
        let bytes =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let d = substance_suite::import::detect::detect(&bytes, &file.display().to_string())?;
        errln!("format auto: {} ({})", d.format, d.reason);
        d.format
    } else {
        format
    };
    // Folders work too: MMLU `test/` (its dev split is found beside it), BBH (CoT prompts), BBQ.
    let suite = substance_suite::import::import_path(format, file, fewshot, &opts)
        .with_context(|| format!("importing {} as `{format}`", file.display()))?;
    substance_suite::write_suite_dir(&suite, out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    errln!(
        "wrote {} ({} items, sha256 {})",
        out.display(),
        suite.items.len(),
        suite.sha256()?
    );
    Ok(ExitCode::SUCCESS)
}
