//! `substance run --bundle NAME --model SPEC --out DIR`: every suite of a bundle on one model, one
//! receipt per suite (resumable and sharded like `run`), imported suites written beside them so the
//! receipts verify against them, and `bundle.json` that `substance sos --receipts DIR` reads.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use substance_core::Suite;
use substance_suite::bundle::{self, Bundle, BundleRun, BundleRunSuite, SuiteSource};

use crate::cmd_verify::{RunArgs, run_suite};
use crate::util::{load_suite, print_json, suite_roots};

/// A bundle by name (`suites/bundles/NAME.toml` in the suite roots) or path.
fn load_bundle(arg: &str) -> Result<(PathBuf, Bundle)> {
    let direct = PathBuf::from(arg);
    let path = if direct.is_file() {
        direct
    } else {
        suite_roots()
            .into_iter()
            .map(|r| r.join("bundles").join(format!("{arg}.toml")))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                anyhow!("no bundle `{arg}`: not a file, nor suites/bundles/{arg}.toml")
            })?
    };
    let text = crate::util::read_text(&path)?;
    let b = bundle::parse(&text, &path.display().to_string())?;
    Ok((path, b))
}

/// The folder `import` entries read from: `--data`, else `$SUBSTANCE_DATA`.
fn data_dir(a: &RunArgs) -> Option<PathBuf> {
    a.data
        .clone()
        .or_else(|| std::env::var_os("SUBSTANCE_DATA").map(PathBuf::from))
}

pub fn run(a: &RunArgs, name: &str) -> Result<ExitCode> {
    let (path, bundle) = load_bundle(name)?;
    let out_dir = a
        .out()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("out").join(&bundle.name));
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    // every suite is loaded before the model answers anything: a missing file costs no model time
    let data = data_dir(a);
    let mut suites: Vec<(String, Suite)> = Vec::new();
    for (i, e) in bundle.suites.iter().enumerate() {
        let loaded = match e.source() {
            Some(SuiteSource::Bundled(s)) => {
                let (dir, suite) = load_suite(s)?;
                (dir.display().to_string(), suite)
            }
            Some(SuiteSource::Import { format, file }) => {
                let data = data.as_ref().ok_or_else(|| {
                    anyhow!(
                        "{}: suite[{i}] ({}) imports {file} from the data folder: give --data DIR or set SUBSTANCE_DATA",
                        path.display(),
                        e.name
                    )
                })?;
                let p = data.join(file);
                let bytes =
                    std::fs::read(&p).with_context(|| format!("cannot read {}", p.display()))?;
                let fewshot = match &e.fewshot {
                    Some(f) => {
                        let p = data.join(f);
                        Some(substance_suite::AuxFile {
                            origin: f.clone(),
                            bytes: std::fs::read(&p)
                                .with_context(|| format!("cannot read {}", p.display()))?,
                        })
                    }
                    None => None,
                };
                let opts = substance_suite::ImportOptions {
                    name: Some(e.name.clone()),
                    fewshot,
                    ..Default::default()
                };
                let suite = substance_suite::import(format, &bytes, file, &opts)
                    .with_context(|| format!("suite[{i}] ({})", e.name))?;
                // the imported suite beside its receipt, so `substance verify --suite` can check it
                let dir = out_dir.join("suites").join(&e.name);
                substance_suite::write_suite_dir(&suite, &dir)?;
                (format!("{} ({format})", p.display()), suite)
            }
            None => bail!("{}: suite[{i}]: no source", path.display()),
        };
        suites.push(loaded);
    }
    let mut model = crate::models::open_run(a.model(), &a.model_options())?;
    let model_id = model.model.info().id;
    errln!(
        "bundle {} ({} suites) on {} into {}",
        bundle.name,
        bundle.suites.len(),
        model_id,
        out_dir.display()
    );
    let mut ran = Vec::new();
    for (e, (from, suite)) in bundle.suites.iter().zip(&suites) {
        let receipt = format!("{}.receipt.jsonl", e.name);
        let limit = match (e.limit, a.limit) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        // the entry's own shard (a spread-out sample) wins over --shard, which splits whole runs
        let shard = match &e.shard {
            Some(s) => Some(
                crate::cmd_verify::parse_shard(s)
                    .map_err(|m| anyhow!("{}: {}: shard `{s}`: {m}", path.display(), e.name))?,
            ),
            None => a.shard(),
        };
        let selection = substance_core::Selection { limit, shard };
        let summary = run_suite(
            a,
            suite,
            from,
            &mut model,
            &out_dir.join(&receipt),
            selection,
        )?;
        let metrics = match &e.metrics {
            None => summary
                .metrics
                .iter()
                .map(|(m, agg)| (m.clone(), agg.value))
                .collect(),
            Some(wanted) => wanted
                .iter()
                .filter(|m| {
                    // a metric that may be left uncomputed (MATH-hard's exact match where it needs a
                    // computer-algebra system) and was for every item: no column, said, not an error
                    let none_decided = !summary.metrics.contains_key(*m)
                        && summary.metrics.contains_key(&format!("{m}_not_computed"));
                    if none_decided {
                        errln!(
                            "warning: {}: {}: no item's `{m}` could be computed (see `{m}_not_computed` in its receipt): the column is left out",
                            path.display(),
                            e.name
                        );
                    }
                    !none_decided
                })
                .map(|m| {
                    summary
                        .metrics
                        .get(m)
                        .map(|agg| (m.clone(), agg.value))
                        .ok_or_else(|| {
                            anyhow!(
                                "{}: {}: metric `{m}` is not in the suite's summary ({})",
                                path.display(),
                                e.name,
                                summary
                                    .metrics
                                    .keys()
                                    .cloned()
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        })
                })
                .collect::<Result<_>>()?,
        };
        ran.push(BundleRunSuite {
            name: e.name.clone(),
            factor: e.factor.clone(),
            task: e.task.clone(),
            suite: suite.spec.name.clone(),
            receipt,
            n_items: summary.n_items,
            metrics,
            group: e.group.clone(),
        });
    }
    let run = BundleRun {
        format: 1,
        bundle: bundle.name.clone(),
        model: model_id,
        suites: ran,
    };
    let json = out_dir.join("bundle.json");
    std::fs::write(&json, serde_json::to_string_pretty(&run)? + "\n")
        .with_context(|| format!("cannot write {}", json.display()))?;
    errln!("bundle summary written to {}", json.display());
    if a.json {
        print_json(&run)?;
    } else {
        outln!("{:<24} {:<7} {:>6}  metrics", "suite", "factor", "items");
        for s in &run.suites {
            let m: Vec<String> = s
                .metrics
                .iter()
                .map(|(k, v)| format!("{k} {v:.4}"))
                .collect();
            outln!(
                "{:<24} {:<7} {:>6}  {}",
                s.name,
                s.factor,
                s.n_items,
                m.join(", ")
            );
        }
        outln!(
            "factor scores: substance sos --receipts {}",
            out_dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
