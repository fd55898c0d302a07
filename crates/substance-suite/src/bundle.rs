//! Bundles: a declarative list of suites that are run together on one model (`substance run --bundle`),
//! each with the SOS-Bench factor it feeds and the results-table task its metrics become columns of, so
//! the receipts of a bundle run turn into one row of the wide results table `substance sos` reads
//! (`<task>/<metric>`, the layout of SOS-Bench's `eleuther_wandb.csv`) with nothing else to configure.
//!
//! A bundle is data, like a suite: `suites/bundles/NAME.toml`, `format = 1`, one `[[suite]]` per entry.
//! An entry names a bundled suite (`suite = "sample-safety"`) or an upstream file to import
//! (`import = "xstest"`, `file = "xstest/xstest_prompts.csv"`, relative to the data folder given at run
//! time: upstream benchmark files are never shipped; `fewshot` names the few-shot examples' file the
//! same way), an optional item `limit` (the `sos-lite` bundle
//! takes a few hundred items per factor), and the `metrics` that become columns (default: every metric
//! of the receipt's summary). Errors name the file, the entry and the field.
//!
//! After a run, [`BundleRun`] (`bundle.json` beside the receipts) records what ran: the model, each
//! entry's receipt file and its summary metrics; [`BundleRun::columns`] gives the results-table row.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::SuiteError;

/// The factors of SOS-Bench an entry can feed.
pub const FACTORS: [&str; 3] = ["wk", "if", "safety"];

/// A bundle file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// Format version (1).
    pub format: u32,
    /// The bundle's name (`sos-lite`).
    pub name: String,
    /// What it is, in a sentence.
    pub description: String,
    /// The entries, in run order.
    #[serde(rename = "suite")]
    pub suites: Vec<BundleSuite>,
}

/// One entry of a bundle.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BundleSuite {
    /// The entry's name: its receipt is `<name>.receipt.jsonl` (letters, digits, `.`, `_`, `-`).
    pub name: String,
    /// The SOS-Bench factor it feeds (`wk`, `if`, `safety`).
    pub factor: String,
    /// The results-table task its metrics become columns of (`<task>/<metric>`).
    pub task: String,
    /// A bundled suite (name, or folder relative to the bundle file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<String>,
    /// An importer (`substance suite import --format`), with `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<String>,
    /// The upstream file to import, relative to the data folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// With `import`: the few-shot examples' file (MMLU-Pro's validation split), relative to the data
    /// folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fewshot: Option<String>,
    /// Run only the items of shard `i/n` (index ≡ i mod n): a sample spread over the whole file,
    /// where `limit` takes its head (files sorted by type, such as XSTest's, need the spread).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Run only the first N items (after the shard).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// The summary metrics that become columns (default: all of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<String>>,
    /// A results-table group this entry's metrics also feed: `<group>/<metric>` is the mean over the
    /// group's entries weighted by their items, as lm-eval's size-weighted groups (`bbq`, `wmdp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// Where an entry's suite comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuiteSource<'a> {
    /// A bundled suite (name or folder).
    Bundled(&'a str),
    /// An importer and the file (relative to the data folder).
    Import {
        /// The importer.
        format: &'a str,
        /// The file.
        file: &'a str,
    },
}

impl BundleSuite {
    /// Where the suite comes from (checked by [`parse`]).
    pub fn source(&self) -> Option<SuiteSource<'_>> {
        match (&self.suite, &self.import, &self.file) {
            (Some(s), None, None) => Some(SuiteSource::Bundled(s)),
            (None, Some(f), Some(file)) => Some(SuiteSource::Import { format: f, file }),
            _ => None,
        }
    }
}

fn field_error(file: &str, entry: usize, field: &str, message: impl Into<String>) -> SuiteError {
    SuiteError::Field {
        file: file.to_owned(),
        line: None,
        field: format!("suite[{entry}].{field}"),
        message: message.into(),
    }
}

fn plain_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// A relative path inside the data folder: no root, no `..`, no backslash.
fn inside(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains(':')
        && path.split('/').all(|p| !p.is_empty() && p != "..")
}

/// Parse and check a bundle file (`file` names it in errors).
pub fn parse(text: &str, file: &str) -> Result<Bundle, SuiteError> {
    let b: Bundle = toml::from_str(substance_core::input::strip_bom(text))
        .map_err(|e| SuiteError::syntax(file, None, format!("TOML: {}", e.message())))?;
    if b.format != 1 {
        return Err(SuiteError::Field {
            file: file.to_owned(),
            line: None,
            field: "format".to_owned(),
            message: format!("format {} is not known (this version reads 1)", b.format),
        });
    }
    if b.suites.is_empty() {
        return Err(SuiteError::syntax(
            file,
            None,
            "no records (a bundle lists at least one [[suite]])",
        ));
    }
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    let mut columns: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, s) in b.suites.iter().enumerate() {
        if !plain_name(&s.name) {
            return Err(field_error(
                file,
                i,
                "name",
                format!(
                    "`{}` is not a plain file name (letters, digits, `.`, `_`, `-`)",
                    s.name
                ),
            ));
        }
        if let Some(first) = names.insert(&s.name, i) {
            return Err(field_error(
                file,
                i,
                "name",
                format!("`{}` is given twice (first in suite[{first}])", s.name),
            ));
        }
        if !FACTORS.contains(&s.factor.as_str()) {
            return Err(field_error(
                file,
                i,
                "factor",
                format!("`{}` is not one of wk, if, safety", s.factor),
            ));
        }
        if s.task.is_empty() || s.task.contains('/') {
            return Err(field_error(
                file,
                i,
                "task",
                "a results-table task name, without `/`",
            ));
        }
        if let Some(g) = &s.group {
            if g.is_empty() || g.contains('/') || g == &s.task {
                return Err(field_error(
                    file,
                    i,
                    "group",
                    "a results-table group name, without `/`, other than the entry's task",
                ));
            }
        }
        if let Some(first) = columns.insert(&s.task, i) {
            return Err(field_error(
                file,
                i,
                "task",
                format!(
                    "`{}` is fed by suite[{first}] too: two entries would write the same columns",
                    s.task
                ),
            ));
        }
        match s.source() {
            Some(SuiteSource::Import { file: f, .. }) if !inside(f) => {
                return Err(field_error(
                    file,
                    i,
                    "file",
                    format!("`{f}` leaves the data folder (give a relative path)"),
                ));
            }
            Some(_) => {}
            None => {
                return Err(field_error(
                    file,
                    i,
                    "suite",
                    "give either `suite` (a bundled suite) or `import` and `file` (an upstream file)",
                ));
            }
        }
        match (&s.fewshot, s.source()) {
            (Some(f), _) if !inside(f) => {
                return Err(field_error(
                    file,
                    i,
                    "fewshot",
                    format!("`{f}` leaves the data folder (give a relative path)"),
                ));
            }
            (Some(_), Some(SuiteSource::Bundled(_))) => {
                return Err(field_error(
                    file,
                    i,
                    "fewshot",
                    "a bundled suite has its own few-shot pool; `fewshot` goes with `import`",
                ));
            }
            _ => {}
        }
        if let Some(sh) = &s.shard {
            let ok = sh.split_once('/').and_then(|(i, n)| {
                let (i, n) = (
                    i.trim().parse::<usize>().ok()?,
                    n.trim().parse::<usize>().ok()?,
                );
                (n > 0 && i < n).then_some(())
            });
            if ok.is_none() {
                return Err(field_error(
                    file,
                    i,
                    "shard",
                    format!("`{sh}` is not i/n with 0 ≤ i < n"),
                ));
            }
        }
        if s.limit == Some(0) {
            return Err(field_error(file, i, "limit", "0 items is no run"));
        }
        if s.metrics.as_ref().is_some_and(Vec::is_empty) {
            return Err(field_error(
                file,
                i,
                "metrics",
                "an empty list feeds no column",
            ));
        }
    }
    for (i, s) in b.suites.iter().enumerate() {
        if let Some(g) = &s.group {
            if let Some(other) = columns.get(g.as_str()) {
                return Err(field_error(
                    file,
                    i,
                    "group",
                    format!(
                        "`{g}` is the task of suite[{other}]: the group's columns would overwrite its"
                    ),
                ));
            }
        }
    }
    Ok(b)
}

/// What a bundle run wrote: `bundle.json` beside its receipts.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BundleRun {
    /// Format version (1).
    pub format: u32,
    /// The bundle's name.
    pub bundle: String,
    /// The model id the receipts name.
    pub model: String,
    /// One entry per suite, in run order.
    pub suites: Vec<BundleRunSuite>,
}

/// One suite of a bundle run.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BundleRunSuite {
    /// The entry's name.
    pub name: String,
    /// Its factor.
    pub factor: String,
    /// Its results-table task.
    pub task: String,
    /// The suite's own name (from its spec).
    pub suite: String,
    /// The receipt, relative to `bundle.json`.
    pub receipt: String,
    /// Items run.
    pub n_items: usize,
    /// The summary's metric means that become columns.
    pub metrics: BTreeMap<String, f64>,
    /// The results-table group it also feeds (size-weighted), when the bundle entry names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

impl BundleRun {
    /// Parse `bundle.json` (`file` names it in errors).
    pub fn parse(text: &str, file: &str) -> Result<BundleRun, SuiteError> {
        let run: BundleRun =
            substance_core::input::record(substance_core::input::strip_bom(text), file, 1)?;
        if run.format != 1 {
            return Err(SuiteError::Field {
                file: file.to_owned(),
                line: None,
                field: "format".to_owned(),
                message: format!("format {} is not known (this version reads 1)", run.format),
            });
        }
        if run.suites.is_empty() {
            return Err(SuiteError::syntax(file, None, "no records (no suite ran)"));
        }
        for (i, s) in run.suites.iter().enumerate() {
            if !plain_name(&s.receipt) {
                return Err(field_error(
                    file,
                    i,
                    "receipt",
                    format!("`{}` is not a file beside bundle.json", s.receipt),
                ));
            }
        }
        Ok(run)
    }

    /// `<task>/<metric>` → (value, items behind it), for every suite (group scores weight by items),
    /// and `<group>/<metric>` for every group: the mean of its suites' values weighted by their items.
    pub fn columns_with_items(&self) -> BTreeMap<String, (f64, usize)> {
        let mut out: BTreeMap<String, (f64, usize)> = BTreeMap::new();
        let mut groups: BTreeMap<String, (f64, usize)> = BTreeMap::new();
        for s in &self.suites {
            for (m, v) in &s.metrics {
                out.insert(format!("{}/{m}", s.task), (*v, s.n_items));
                if let Some(g) = &s.group {
                    let e = groups.entry(format!("{g}/{m}")).or_insert((0.0, 0));
                    e.0 += v * s.n_items as f64;
                    e.1 += s.n_items;
                }
            }
        }
        for (k, (sum, n)) in groups {
            if n > 0 {
                out.insert(k, (sum / n as f64, n));
            }
        }
        out
    }

    /// The results-table row: `<task>/<metric>` → value, for every suite, and every group's
    /// size-weighted `<group>/<metric>`.
    pub fn columns(&self) -> BTreeMap<String, f64> {
        self.columns_with_items()
            .into_iter()
            .map(|(k, (v, _))| (k, v))
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const OK: &str = r#"
format = 1
name = "mini"
description = "two suites"

[[suite]]
name = "xstest"
factor = "safety"
task = "xstest"
import = "xstest"
file = "xstest/xstest_prompts.csv"
limit = 50

[[suite]]
name = "knowledge"
factor = "wk"
task = "sample_knowledge"
suite = "sample-knowledge"
metrics = ["acc"]
"#;

    #[test]
    fn a_bundle_reads_and_each_rule_names_the_entry_and_field() {
        let b = parse(OK, "mini.toml").unwrap();
        assert_eq!(b.suites.len(), 2);
        assert_eq!(
            b.suites[0].source(),
            Some(SuiteSource::Import {
                format: "xstest",
                file: "xstest/xstest_prompts.csv"
            })
        );
        assert_eq!(
            b.suites[1].source(),
            Some(SuiteSource::Bundled("sample-knowledge"))
        );
        let bad = |from: &str, to: &str| {
            let text = OK.replacen(from, to, 1);
            assert_ne!(text, OK, "{from}");
            parse(&text, "mini.toml").unwrap_err().to_string()
        };
        assert!(bad("factor = \"wk\"", "factor = \"style\"").contains("suite[1].factor"));
        assert!(bad("name = \"knowledge\"", "name = \"xstest\"").contains("given twice"));
        assert!(bad("task = \"sample_knowledge\"", "task = \"xstest\"").contains("suite[1].task"));
        assert!(
            bad("xstest/xstest_prompts.csv", "../secret.csv").contains("leaves the data folder")
        );
        assert!(bad("xstest/xstest_prompts.csv", "/etc/passwd").contains("leaves the data folder"));
        assert!(bad("suite = \"sample-knowledge\"", "").contains("give either"));
        assert!(bad("limit = 50", "fewshot = \"../v.jsonl\"").contains("suite[0].fewshot"));
        assert!(bad("metrics = [\"acc\"]", "fewshot = \"v.jsonl\"").contains("goes with `import`"));
        assert!(bad("limit = 50", "limit = 0").contains("suite[0].limit"));
        assert!(bad("limit = 50", "shard = \"3/3\"").contains("suite[0].shard"));
        assert!(parse(&OK.replacen("limit = 50", "shard = \"0/3\"", 1), "m.toml").is_ok());
        assert!(bad("limit = 50", "limits = 50").contains("TOML"));
        assert!(bad("name = \"knowledge\"", "name = \"../k\"").contains("plain file name"));
        assert!(bad("format = 1", "format = 2").contains("format 2"));
        let empty = "format = 1\nname = \"e\"\ndescription = \"\"\nsuite = []\n";
        assert!(
            parse(empty, "e.toml")
                .unwrap_err()
                .to_string()
                .contains("no records")
        );
    }

    #[test]
    fn a_group_is_the_size_weighted_mean_of_its_entries() {
        let json = r#"{"format": 1, "bundle": "b", "model": "m",
          "suites": [
            {"name": "age", "factor": "safety", "task": "bbq_age", "suite": "bbq-age", "group": "bbq",
             "receipt": "age.receipt.jsonl", "n_items": 30, "metrics": {"acc": 0.5}},
            {"name": "ses", "factor": "safety", "task": "bbq_ses", "suite": "bbq-ses", "group": "bbq",
             "receipt": "ses.receipt.jsonl", "n_items": 10, "metrics": {"acc": 0.9}}]}"#;
        let cols = BundleRun::parse(json, "bundle.json")
            .unwrap()
            .columns_with_items();
        assert_eq!(cols["bbq_age/acc"], (0.5, 30));
        let (v, n) = cols["bbq/acc"];
        assert!((v - (0.5 * 30.0 + 0.9 * 10.0) / 40.0).abs() < 1e-15, "{v}");
        assert_eq!(n, 40);
        // a group may not be another entry's task, nor the entry's own
        let text = OK.replacen("limit = 50", "group = \"sample_knowledge\"", 1);
        let e = parse(&text, "mini.toml").unwrap_err().to_string();
        assert!(e.contains("suite[0].group"), "{e}");
        let text = OK.replacen("limit = 50", "group = \"xstest\"", 1);
        assert!(
            parse(&text, "mini.toml")
                .unwrap_err()
                .to_string()
                .contains("suite[0].group")
        );
        assert!(
            parse(
                &OK.replacen("limit = 50", "group = \"safety_all\"", 1),
                "m.toml"
            )
            .is_ok()
        );
    }

    #[test]
    fn a_bundle_run_gives_its_results_row() {
        let json = r#"{"format": 1, "bundle": "mini", "model": "m",
          "suites": [
            {"name": "xstest", "factor": "safety", "task": "xstest", "suite": "xstest",
             "receipt": "xstest.receipt.jsonl", "n_items": 3, "metrics": {"acc": 0.5, "acc_norm": 0.25}},
            {"name": "k", "factor": "wk", "task": "k", "suite": "sample-knowledge",
             "receipt": "k.receipt.jsonl", "n_items": 2, "metrics": {"acc": 1.0}}]}"#;
        let run = BundleRun::parse(json, "bundle.json").unwrap();
        let cols: Vec<(String, f64)> = run.columns().into_iter().collect();
        assert_eq!(
            cols,
            [
                ("k/acc".to_owned(), 1.0),
                ("xstest/acc".to_owned(), 0.5),
                ("xstest/acc_norm".to_owned(), 0.25)
            ]
        );
        let bad = json.replace("xstest.receipt.jsonl", "../x.jsonl");
        assert!(
            BundleRun::parse(&bad, "bundle.json")
                .unwrap_err()
                .to_string()
                .contains("beside bundle.json")
        );
        let dup = json.replace("\"n_items\": 3,", "\"n_items\": 3, \"n_items\": 4,");
        assert!(BundleRun::parse(&dup, "bundle.json").is_err());
    }
}
