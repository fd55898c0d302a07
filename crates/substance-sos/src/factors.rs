//! Per-model factor scores (SPEC §1.3).
//!
//! For every model of the results CSV:
//! 1. each mapped cell `x` is scaled (`x · scale`), then — in [`NormMode::ChanceCorrected`] — mapped to
//!    `max(0, (x − b) / (1 − b))` with the column's chance level `b`, then inverted (`1 − x`) for
//!    `invert = true` benchmarks (WMDP);
//! 2. a benchmark score is the mean of its available (non-`N/A`) columns;
//! 3. a factor score is the mean of its available benchmark scores.
//!
//! A benchmark or factor with nothing available is `None`, and the model's `notes` say why. Means are
//! plain left-to-right sums in mapping order ([`substance_metrics::stats::mean`]).

use crate::SosError;
use crate::config::{AliasTable, BenchmarkSpec, ColumnSpec, Factor, Mapping, Resolution, Source};
use crate::table::{Row, Table};
use serde::Serialize;
use std::collections::HashMap;
use substance_metrics::stats::mean;

/// How raw cells are normalised before averaging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NormMode {
    /// Use the (scaled) values as they are.
    Raw,
    /// Open-LLM-Leaderboard-v2 chance correction per column, `max(0, (x − b) / (1 − b))`, `b` the chance
    /// level of the column (0 for generative metrics, which leaves them unchanged).
    #[default]
    ChanceCorrected,
}

impl NormMode {
    /// `raw` or `chance_corrected`.
    pub fn as_str(self) -> &'static str {
        match self {
            NormMode::Raw => "raw",
            NormMode::ChanceCorrected => "chance_corrected",
        }
    }
}

impl std::str::FromStr for NormMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "raw" => Ok(NormMode::Raw),
            "chance_corrected" | "chance-corrected" | "chance" => Ok(NormMode::ChanceCorrected),
            other => Err(format!(
                "unknown normalisation `{other}` (expected raw or chance_corrected)"
            )),
        }
    }
}

/// The normalised value of one cell (see the module docs).
pub fn normalize_cell(raw: f64, bench: &BenchmarkSpec, col: &ColumnSpec, mode: NormMode) -> f64 {
    let x = raw * bench.scale;
    let x = match mode {
        NormMode::Raw => x,
        NormMode::ChanceCorrected => {
            let b = col.baseline();
            ((x - b) / (1.0 - b)).max(0.0)
        }
    };
    if bench.invert { 1.0 - x } else { x }
}

/// One benchmark score of one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchmarkScore {
    /// Benchmark name from the mapping.
    pub name: String,
    /// Its factor.
    pub factor: Factor,
    /// Mean of the available normalised columns; `None` when none is available.
    pub score: Option<f64>,
    /// How many of its columns had a value.
    pub columns_used: usize,
    /// How many columns it has.
    pub columns_total: usize,
}

/// One factor score of one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactorScore {
    /// The factor.
    pub factor: Factor,
    /// Mean of the available benchmark scores; `None` when none is available.
    pub score: Option<f64>,
    /// How many benchmarks contributed.
    pub benchmarks_used: usize,
    /// How many benchmarks the mapping assigns to the factor (LiveBench ones only when a LiveBench CSV
    /// was given).
    pub benchmarks_total: usize,
}

/// All scores of one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelFactors {
    /// Model name as in the results CSV.
    pub model: String,
    /// The LiveBench row joined to this model, if any.
    pub livebench_name: Option<String>,
    /// WK, IF, Safety, in that order.
    pub factors: Vec<FactorScore>,
    /// Every benchmark, in mapping order.
    pub benchmarks: Vec<BenchmarkScore>,
    /// Why something is missing (empty when everything is available).
    pub notes: Vec<String>,
}

impl ModelFactors {
    /// The score of `factor`.
    pub fn get(&self, factor: Factor) -> Option<f64> {
        self.factors
            .iter()
            .find(|f| f.factor == factor)
            .and_then(|f| f.score)
    }
}

/// How LiveBench rows were joined to results models.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LivebenchJoin {
    /// Label of the LiveBench input.
    pub file: String,
    /// `(LiveBench name, results model)` pairs, in LiveBench file order.
    pub matched: Vec<(String, String)>,
    /// Results models with no LiveBench row.
    pub results_without_livebench: Vec<String>,
    /// Number of LiveBench rows that match no results model (LiveBench covers many unrelated models, so
    /// these are counted, not listed).
    pub unmatched_rows: usize,
}

/// Factor scores of every model of the results CSV.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactorTable {
    /// Normalisation used.
    pub norm: NormMode,
    /// Label of the results input.
    pub results_file: String,
    /// One entry per results row, in file order.
    pub models: Vec<ModelFactors>,
    /// LiveBench join details, when a LiveBench CSV was given.
    pub livebench: Option<LivebenchJoin>,
    /// Benchmarks left out because their source table was not provided.
    pub skipped_benchmarks: Vec<String>,
}

impl FactorTable {
    /// The scores of `model`, if it is in the results CSV.
    pub fn model(&self, model: &str) -> Option<&ModelFactors> {
        self.models.iter().find(|m| m.model == model)
    }
}

/// Compute factor scores.
///
/// `results` is the wide lm-eval CSV; `livebench` the optional LiveBench groups CSV (its rows are joined to
/// results models through `aliases.livebench`, then identical spelling). Errors: a mapped column missing
/// from its table, or a non-numeric cell in a mapped column (of any row).
pub fn factor_scores(
    results: &Table,
    livebench: Option<&Table>,
    mapping: &Mapping,
    aliases: &AliasTable,
    norm: NormMode,
) -> Result<FactorTable, SosError> {
    // Resolve every column once, so a missing column fails before any arithmetic.
    let mut active: Vec<(&BenchmarkSpec, &Table, Vec<usize>)> = Vec::new();
    let mut skipped = Vec::new();
    for b in &mapping.benchmark {
        let table = match b.source {
            Source::Results => results,
            Source::Livebench => match livebench {
                Some(t) => t,
                None => {
                    skipped.push(b.name.clone());
                    continue;
                }
            },
        };
        let hint = format!(" (needed by benchmark `{}`)", b.name);
        let cols = b
            .columns
            .iter()
            .map(|c| table.column(&c.column, &hint))
            .collect::<Result<Vec<_>, _>>()?;
        active.push((b, table, cols));
    }
    // Validate every mapped cell of every row, matched or not.
    for (_, table, cols) in &active {
        for row in &table.rows {
            for &c in cols {
                table.number(row, c)?;
            }
        }
    }

    // LiveBench join.
    let mut lb_rows: HashMap<&str, &Row> = HashMap::new();
    let mut lb_join = None;
    if let Some(lb) = livebench {
        let has = |n: &str| results.row(n).is_some();
        let mut matched = Vec::new();
        let mut unmatched_rows = 0;
        for row in &lb.rows {
            match aliases.resolve_livebench(&row.model, &has) {
                Resolution::Matched(target) => {
                    if let Some(r) = results.row(&target) {
                        if lb_rows.contains_key(r.model.as_str()) {
                            unmatched_rows += 1; // a second LiveBench row for the same model: first wins
                        } else {
                            lb_rows.insert(r.model.as_str(), row);
                            matched.push((row.model.clone(), r.model.clone()));
                        }
                    }
                }
                Resolution::Unmatched(_) => unmatched_rows += 1,
            }
        }
        let results_without_livebench = results
            .models()
            .filter(|m| !lb_rows.contains_key(m))
            .map(str::to_string)
            .collect();
        lb_join = Some(LivebenchJoin {
            file: lb.file.clone(),
            matched,
            results_without_livebench,
            unmatched_rows,
        });
    }

    let mut models = Vec::with_capacity(results.rows.len());
    for row in &results.rows {
        let lb_row = lb_rows.get(row.model.as_str()).copied();
        let mut notes = Vec::new();
        if livebench.is_some() && lb_row.is_none() {
            notes.push("no LiveBench row: LiveBench benchmarks missing".to_string());
        }
        let mut benchmarks = Vec::with_capacity(active.len());
        for (b, table, cols) in &active {
            let source_row = match b.source {
                Source::Results => Some(row),
                Source::Livebench => lb_row,
            };
            let mut vals = Vec::new();
            if let Some(r) = source_row {
                for (spec, &c) in b.columns.iter().zip(cols) {
                    if let Some(x) = table.number(r, c)? {
                        vals.push(normalize_cell(x, b, spec, norm));
                    }
                }
            }
            if source_row.is_some() && vals.is_empty() {
                notes.push(format!(
                    "{}: all {} columns are N/A",
                    b.name,
                    b.columns.len()
                ));
            }
            benchmarks.push(BenchmarkScore {
                name: b.name.clone(),
                factor: b.factor,
                score: if vals.is_empty() {
                    None
                } else {
                    Some(mean(&vals))
                },
                columns_used: vals.len(),
                columns_total: b.columns.len(),
            });
        }
        let mut factors = Vec::with_capacity(3);
        for f in Factor::ALL {
            let of_factor: Vec<&BenchmarkScore> =
                benchmarks.iter().filter(|b| b.factor == f).collect();
            let vals: Vec<f64> = of_factor.iter().filter_map(|b| b.score).collect();
            if vals.is_empty() {
                notes.push(if of_factor.is_empty() {
                    format!(
                        "{}: no benchmark of this factor in the mapping/inputs",
                        f.label()
                    )
                } else {
                    format!(
                        "{}: none of its {} benchmarks has a value",
                        f.label(),
                        of_factor.len()
                    )
                });
            }
            factors.push(FactorScore {
                factor: f,
                score: if vals.is_empty() {
                    None
                } else {
                    Some(mean(&vals))
                },
                benchmarks_used: vals.len(),
                benchmarks_total: of_factor.len(),
            });
        }
        models.push(ModelFactors {
            model: row.model.clone(),
            livebench_name: lb_row.map(|r| r.model.clone()),
            factors,
            benchmarks,
            notes,
        });
    }
    Ok(FactorTable {
        norm,
        results_file: results.file.clone(),
        models,
        livebench: lb_join,
        skipped_benchmarks: skipped,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::table::{parse_livebench_csv, parse_results_csv};

    const MAP: &str = r#"
version = 1
[[benchmark]]
name = "A"
factor = "wk"
source = "results"
columns = [{ column = "a1", num_choices = 4 }, { column = "a2" }]
[[benchmark]]
name = "W"
factor = "safety"
source = "results"
invert = true
columns = [{ column = "w", num_choices = 4 }]
[[benchmark]]
name = "L"
factor = "if"
source = "livebench"
scale = 0.01
columns = [{ column = "inst" }]
"#;

    #[test]
    fn by_hand() {
        let m = Mapping::from_toml("m", MAP).unwrap();
        let a = AliasTable::from_toml("a", "version=1\n[livebench]\nmy-x='X'\n").unwrap();
        let r = parse_results_csv("r", b"Name,a1,a2,w\nX,0.5,0.3,0.25\nY,N/A,N/A,0.7\n").unwrap();
        let lb = parse_livebench_csv("l", b"model,inst\nmy-x,40\nother,10\n").unwrap();

        let raw = factor_scores(&r, Some(&lb), &m, &a, NormMode::Raw).unwrap();
        let x = raw.model("X").unwrap();
        assert!((x.get(Factor::WorldKnowledge).unwrap() - 0.4).abs() < 1e-15);
        assert!((x.get(Factor::Safety).unwrap() - 0.75).abs() < 1e-15);
        assert!((x.get(Factor::InstructionFollowing).unwrap() - 0.4).abs() < 1e-15);
        let y = raw.model("Y").unwrap();
        assert_eq!(y.get(Factor::WorldKnowledge), None);
        assert_eq!(y.get(Factor::InstructionFollowing), None);
        assert!(y.notes.iter().any(|n| n.contains("LiveBench")));
        assert!(y.notes.iter().any(|n| n.starts_with("A: all 2 columns")));
        let join = raw.livebench.as_ref().unwrap();
        assert_eq!(join.matched, vec![("my-x".to_string(), "X".to_string())]);
        assert_eq!(join.unmatched_rows, 1);

        let cc = factor_scores(&r, Some(&lb), &m, &a, NormMode::ChanceCorrected).unwrap();
        let x = cc.model("X").unwrap();
        // a1: (0.5-0.25)/0.75 = 1/3, a2: 0.3 → WK = (1/3 + 0.3)/2
        assert!((x.get(Factor::WorldKnowledge).unwrap() - (1.0 / 3.0 + 0.3) / 2.0).abs() < 1e-15);
        // w: max(0, (0.25-0.25)/0.75) = 0 → inverted 1
        assert_eq!(x.get(Factor::Safety), Some(1.0));

        let no_lb = factor_scores(&r, None, &m, &a, NormMode::Raw).unwrap();
        assert_eq!(no_lb.skipped_benchmarks, vec!["L".to_string()]);
        assert_eq!(
            no_lb.model("X").unwrap().get(Factor::InstructionFollowing),
            None
        );
    }

    #[test]
    fn missing_and_bad_cells_are_errors() {
        let m = Mapping::from_toml("m", MAP).unwrap();
        let a = AliasTable::default();
        let r = parse_results_csv("r.csv", b"Name,a1,w\nX,0.5,0.2\n").unwrap();
        let e = factor_scores(&r, None, &m, &a, NormMode::Raw).unwrap_err();
        assert_eq!(
            e.to_string(),
            "r.csv: missing column `a2` (needed by benchmark `A`)"
        );
        let r =
            parse_results_csv("r.csv", b"Name,a1,a2,w\nX,0.5,0.2,0.1\nY,0.5,oops,0.1\n").unwrap();
        let e = factor_scores(&r, None, &m, &a, NormMode::Raw).unwrap_err();
        assert_eq!(
            e.to_string(),
            "r.csv:3: column `a2`: `oops` is not a number"
        );
    }
}
