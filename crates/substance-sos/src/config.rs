//! The two pieces of shipped data: the column → factor **mapping** and the model-name **alias table**.
//! Both are TOML, embedded in the binary ([`DEFAULT_MAPPING_TOML`], [`DEFAULT_ALIASES_TOML`]) and documented
//! line by line in the files themselves (`crates/substance-sos/data/`). Users can load their own with
//! [`Mapping::from_toml`] / [`AliasTable::from_toml`]; unknown keys are rejected so typos surface.

use crate::SosError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The shipped SOS-Bench mapping (`data/sos_mapping.toml`).
pub const DEFAULT_MAPPING_TOML: &str = include_str!("../data/sos_mapping.toml");
/// The shipped alias table (`data/aliases.toml`).
pub const DEFAULT_ALIASES_TOML: &str = include_str!("../data/aliases.toml");

/// The three SOS-Bench factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Factor {
    /// World knowledge (`wk`).
    #[serde(rename = "wk")]
    WorldKnowledge,
    /// Instruction following (`if`).
    #[serde(rename = "if")]
    InstructionFollowing,
    /// Safety (`safety`).
    #[serde(rename = "safety")]
    Safety,
}

impl Factor {
    /// All factors in report order.
    pub const ALL: [Factor; 3] = [
        Factor::WorldKnowledge,
        Factor::InstructionFollowing,
        Factor::Safety,
    ];

    /// The key used in TOML and JSON: `wk`, `if`, `safety`.
    pub fn key(self) -> &'static str {
        match self {
            Factor::WorldKnowledge => "wk",
            Factor::InstructionFollowing => "if",
            Factor::Safety => "safety",
        }
    }

    /// The short label used in tables: `WK`, `IF`, `Safety`.
    pub fn label(self) -> &'static str {
        match self {
            Factor::WorldKnowledge => "WK",
            Factor::InstructionFollowing => "IF",
            Factor::Safety => "Safety",
        }
    }
}

impl std::fmt::Display for Factor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Which input table a benchmark's columns come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The wide lm-eval results CSV.
    Results,
    /// The LiveBench groups CSV (optional input).
    Livebench,
}

/// One CSV column feeding a benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// Exact header of the column.
    pub column: String,
    /// Number of answer options; the chance level is `1 / num_choices`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_choices: Option<u32>,
    /// Explicit chance level (instead of `num_choices`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chance: Option<f64>,
}

impl ColumnSpec {
    /// The chance level `b` used by chance correction: `1/num_choices`, the explicit `chance`, or 0.
    pub fn baseline(&self) -> f64 {
        match (self.num_choices, self.chance) {
            (Some(n), _) if n > 0 => 1.0 / f64::from(n),
            (_, Some(c)) => c,
            _ => 0.0,
        }
    }
}

fn one() -> f64 {
    1.0
}

/// One benchmark (a row of the SOS-Bench README table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkSpec {
    /// Display name.
    pub name: String,
    /// The factor it feeds.
    pub factor: Factor,
    /// The table its columns come from.
    pub source: Source,
    /// Multiplier applied to raw cells (0.01 for 0–100 tables).
    #[serde(default = "one")]
    pub scale: f64,
    /// Score as `1 − value` (WMDP).
    #[serde(default)]
    pub invert: bool,
    /// The columns averaged into the benchmark score.
    pub columns: Vec<ColumnSpec>,
}

/// The column → benchmark → factor mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Format version (1).
    pub version: u32,
    /// The benchmarks, in report order.
    pub benchmark: Vec<BenchmarkSpec>,
}

impl Mapping {
    /// Every column the mapping reads from the results table, in mapping order (the header of a
    /// results table built in code, [`crate::Table::with_columns`]).
    pub fn results_columns(&self) -> Vec<String> {
        self.benchmark
            .iter()
            .filter(|b| b.source == Source::Results)
            .flat_map(|b| b.columns.iter().map(|c| c.column.clone()))
            .collect()
    }
}

fn config_err(file: &str, what: &'static str, message: impl Into<String>) -> SosError {
    SosError::Config {
        file: file.to_string(),
        what,
        message: message.into(),
    }
}

impl Mapping {
    /// The shipped SOS-Bench mapping.
    pub fn sos_default() -> Result<Mapping, SosError> {
        Mapping::from_toml("<built-in sos_mapping.toml>", DEFAULT_MAPPING_TOML)
    }

    /// Parse and validate a mapping. `file` labels errors.
    ///
    /// Validation: version 1; at least one benchmark; unique non-empty benchmark names; every benchmark has
    /// at least one column and no column twice; `scale` finite and positive; `num_choices ≥ 2`; `chance` in
    /// `[0, 1)`; not both `num_choices` and `chance`.
    pub fn from_toml(file: &str, text: &str) -> Result<Mapping, SosError> {
        let m: Mapping =
            toml::from_str(text).map_err(|e| config_err(file, "mapping", e.to_string()))?;
        if m.version != 1 {
            return Err(config_err(
                file,
                "mapping",
                format!("unsupported version {}", m.version),
            ));
        }
        if m.benchmark.is_empty() {
            return Err(config_err(file, "mapping", "no [[benchmark]] entries"));
        }
        let mut names = std::collections::BTreeSet::new();
        for b in &m.benchmark {
            let ctx =
                |msg: String| config_err(file, "mapping", format!("benchmark `{}`: {msg}", b.name));
            if b.name.trim().is_empty() {
                return Err(config_err(file, "mapping", "a benchmark has an empty name"));
            }
            if !names.insert(b.name.as_str()) {
                return Err(ctx("name used twice".into()));
            }
            if b.columns.is_empty() {
                return Err(ctx("no columns".into()));
            }
            if !(b.scale.is_finite() && b.scale > 0.0) {
                return Err(ctx(format!(
                    "scale {} must be finite and positive",
                    b.scale
                )));
            }
            let mut cols = std::collections::BTreeSet::new();
            for c in &b.columns {
                if !cols.insert(c.column.as_str()) {
                    return Err(ctx(format!("column `{}` listed twice", c.column)));
                }
                match (c.num_choices, c.chance) {
                    (Some(_), Some(_)) => {
                        return Err(ctx(format!(
                            "column `{}`: give num_choices or chance, not both",
                            c.column
                        )));
                    }
                    (Some(n), None) if n < 2 => {
                        return Err(ctx(format!(
                            "column `{}`: num_choices must be at least 2",
                            c.column
                        )));
                    }
                    (None, Some(p)) if !(0.0..1.0).contains(&p) => {
                        return Err(ctx(format!(
                            "column `{}`: chance must be in [0, 1)",
                            c.column
                        )));
                    }
                    _ => {}
                }
            }
        }
        Ok(m)
    }

    /// The benchmarks of one factor, in mapping order.
    pub fn benchmarks_of(&self, factor: Factor) -> impl Iterator<Item = &BenchmarkSpec> {
        self.benchmark.iter().filter(move |b| b.factor == factor)
    }
}

/// Model-name aliases: names as written in the judge and LiveBench CSVs → names in the results CSV.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AliasTable {
    /// Format version (1).
    pub version: u32,
    /// Judge-CSV name → results-CSV name.
    #[serde(default)]
    pub judge: BTreeMap<String, String>,
    /// Judge-CSV names known to have no results counterpart → reason.
    #[serde(default)]
    pub judge_unmatched: BTreeMap<String, String>,
    /// LiveBench-CSV name → results-CSV name.
    #[serde(default)]
    pub livebench: BTreeMap<String, String>,
}

/// The outcome of resolving one foreign model name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Matched a results model (through the table, or because the name is spelled identically).
    Matched(String),
    /// Not matched, with the reason.
    Unmatched(String),
}

impl AliasTable {
    /// The shipped alias table for the SOS-Bench artifacts.
    pub fn sos_default() -> Result<AliasTable, SosError> {
        AliasTable::from_toml("<built-in aliases.toml>", DEFAULT_ALIASES_TOML)
    }

    /// Parse and validate an alias table: version 1, no name both mapped and declared unmatched, no two
    /// names of one table mapped to the same results model (that would silently merge two rows).
    pub fn from_toml(file: &str, text: &str) -> Result<AliasTable, SosError> {
        let a: AliasTable =
            toml::from_str(text).map_err(|e| config_err(file, "alias table", e.to_string()))?;
        if a.version != 1 {
            return Err(config_err(
                file,
                "alias table",
                format!("unsupported version {}", a.version),
            ));
        }
        if let Some(k) = a.judge.keys().find(|k| a.judge_unmatched.contains_key(*k)) {
            return Err(config_err(
                file,
                "alias table",
                format!("`{k}` is both mapped and unmatched"),
            ));
        }
        for (name, table) in [("judge", &a.judge), ("livebench", &a.livebench)] {
            let mut targets: BTreeMap<&str, &str> = BTreeMap::new();
            for (k, v) in table {
                if let Some(prev) = targets.insert(v.as_str(), k.as_str()) {
                    return Err(config_err(
                        file,
                        "alias table",
                        format!("[{name}]: `{prev}` and `{k}` both map to `{v}`"),
                    ));
                }
            }
        }
        Ok(a)
    }

    fn resolve_in(
        table: &BTreeMap<String, String>,
        unmatched: Option<&BTreeMap<String, String>>,
        name: &str,
        results_has: &dyn Fn(&str) -> bool,
    ) -> Resolution {
        if let Some(target) = table.get(name) {
            return if results_has(target) {
                Resolution::Matched(target.clone())
            } else {
                Resolution::Unmatched(format!(
                    "alias target `{target}` is not a model of the results CSV"
                ))
            };
        }
        if let Some(reason) = unmatched.and_then(|u| u.get(name)) {
            return Resolution::Unmatched(reason.clone());
        }
        if results_has(name) {
            return Resolution::Matched(name.to_string());
        }
        Resolution::Unmatched(
            "not in the alias table and no results model has this exact name".into(),
        )
    }

    /// Resolve a judge-CSV name against the results models (`results_has` tells whether a results model
    /// exists): the alias table first, then the declared-unmatched list, then an identical spelling.
    pub fn resolve_judge(&self, name: &str, results_has: &dyn Fn(&str) -> bool) -> Resolution {
        Self::resolve_in(&self.judge, Some(&self.judge_unmatched), name, results_has)
    }

    /// Resolve a LiveBench-CSV name (alias table, then identical spelling).
    pub fn resolve_livebench(&self, name: &str, results_has: &dyn Fn(&str) -> bool) -> Resolution {
        Self::resolve_in(&self.livebench, None, name, results_has)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn shipped_data_parses() {
        let m = Mapping::sos_default().unwrap();
        assert_eq!(m.benchmark.len(), 24, "the SOS README lists 24 rows");
        assert_eq!(m.benchmarks_of(Factor::WorldKnowledge).count(), 10);
        assert_eq!(m.benchmarks_of(Factor::InstructionFollowing).count(), 2);
        assert_eq!(m.benchmarks_of(Factor::Safety).count(), 12);
        let wmdp = m.benchmark.iter().find(|b| b.name == "WMDP").unwrap();
        assert!(wmdp.invert);
        let a = AliasTable::sos_default().unwrap();
        assert_eq!(a.judge.len() + a.judge_unmatched.len(), 36);
    }

    #[test]
    fn invalid_mappings_are_rejected() {
        let bad = [
            "version = 2\n[[benchmark]]\nname='a'\nfactor='wk'\nsource='results'\ncolumns=[{column='x'}]",
            "version = 1\nbenchmark = []",
            "version = 1\n[[benchmark]]\nname='a'\nfactor='wk'\nsource='results'\ncolumns=[]",
            "version = 1\n[[benchmark]]\nname='a'\nfactor='xx'\nsource='results'\ncolumns=[{column='x'}]",
            "version = 1\n[[benchmark]]\nname='a'\nfactor='wk'\nsource='results'\ncolumns=[{column='x', num_choices=1}]",
            "version = 1\n[[benchmark]]\nname='a'\nfactor='wk'\nsource='results'\ncolumns=[{column='x', chance=1.0}]",
            "version = 1\n[[benchmark]]\nname='a'\nfactor='wk'\nsource='results'\ncolumns=[{column='x', typo=1}]",
            "version = 1\n[[benchmark]]\nname='a'\nfactor='wk'\nsource='results'\nscale=0\ncolumns=[{column='x'}]",
            "version = 1\n[[benchmark]]\nname='a'\nfactor='wk'\nsource='results'\ncolumns=[{column='x'},{column='x'}]",
            "not toml at all [",
        ];
        for text in bad {
            let e = Mapping::from_toml("m.toml", text).unwrap_err();
            assert!(matches!(e, SosError::Config { .. }), "{text}: {e}");
        }
    }

    #[test]
    fn alias_resolution() {
        let a = AliasTable::from_toml(
            "a.toml",
            "version=1\n[judge]\nfoo='Foo'\nbar='Missing'\n[judge_unmatched]\ngpt='baseline'\n",
        )
        .unwrap();
        let has = |n: &str| n == "Foo" || n == "same";
        assert_eq!(
            a.resolve_judge("foo", &has),
            Resolution::Matched("Foo".into())
        );
        assert_eq!(
            a.resolve_judge("same", &has),
            Resolution::Matched("same".into())
        );
        assert!(matches!(
            a.resolve_judge("bar", &has),
            Resolution::Unmatched(_)
        ));
        assert_eq!(
            a.resolve_judge("gpt", &has),
            Resolution::Unmatched("baseline".into())
        );
        assert!(matches!(
            a.resolve_judge("other", &has),
            Resolution::Unmatched(_)
        ));
        assert!(AliasTable::from_toml("a", "version=1\n[judge]\na='X'\nb='X'\n").is_err());
        assert!(
            AliasTable::from_toml("a", "version=1\n[judge]\na='X'\n[judge_unmatched]\na='r'\n")
                .is_err()
        );
    }
}
