//! The complete result of an SOS-Bench aggregation, as JSON (`serde::Serialize`) or a text table
//! (`Display`).

use crate::SosError;
use crate::config::{AliasTable, Factor, Mapping, Source};
use crate::correlate::{Correlation, CorrelationOptions, JudgeJoin, correlate, join_judge};
use crate::factors::{FactorTable, NormMode, factor_scores};
use crate::table::{JudgeScores, Table};
use serde::Serialize;
use std::fmt;

/// A mapping benchmark as listed in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchmarkInfo {
    /// Benchmark name.
    pub name: String,
    /// Its factor.
    pub factor: Factor,
    /// `results` or `livebench`.
    pub source: Source,
    /// Number of columns averaged.
    pub columns: usize,
    /// Whether it enters as `1 − value`.
    pub invert: bool,
}

/// Everything an SOS-Bench run produces.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SosReport {
    /// Normalisation mode.
    pub norm: NormMode,
    /// The benchmarks of the mapping used.
    pub mapping: Vec<BenchmarkInfo>,
    /// Per-model factor scores.
    pub factors: FactorTable,
    /// Judge join, when a judge CSV was given.
    pub judge: Option<JudgeJoin>,
    /// Correlation options used.
    pub options: CorrelationOptions,
    /// All correlations (see [`correlate()`]).
    pub correlations: Vec<Correlation>,
}

/// Run the whole pipeline: factor scores, judge join, correlations.
pub fn build_report(
    results: &Table,
    livebench: Option<&Table>,
    judge: Option<&JudgeScores>,
    mapping: &Mapping,
    aliases: &AliasTable,
    norm: NormMode,
    options: &CorrelationOptions,
) -> Result<SosReport, SosError> {
    let factors = factor_scores(results, livebench, mapping, aliases, norm)?;
    let judge = judge.map(|j| join_judge(&factors, j, aliases));
    let correlations = correlate(&factors, judge.as_ref(), options);
    let mapping = mapping
        .benchmark
        .iter()
        .map(|b| BenchmarkInfo {
            name: b.name.clone(),
            factor: b.factor,
            source: b.source,
            columns: b.columns.len(),
            invert: b.invert,
        })
        .collect();
    Ok(SosReport {
        norm,
        mapping,
        factors,
        judge,
        options: options.clone(),
        correlations,
    })
}

impl SosReport {
    /// Pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail; fall back to an error object regardless.
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise report: {e}\"}}"))
    }

    /// The correlation of `x` and `y` (`judge`, `wk`, `if`, `safety`) by `method`, if computed.
    pub fn correlation(&self, x: &str, y: &str, method: &str) -> Option<&Correlation> {
        self.correlations
            .iter()
            .find(|c| c.x == x && c.y == y && c.method == method)
    }
}

fn opt(v: Option<f64>, width: usize, prec: usize) -> String {
    match v {
        Some(x) => format!("{x:>width$.prec$}"),
        None => format!("{:>width$}", "—"),
    }
}

fn var_label(key: &str) -> &str {
    match key {
        "judge" => "judge",
        "wk" => "WK",
        "if" => "IF",
        "safety" => "Safety",
        other => other,
    }
}

impl fmt::Display for SosReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nb = |fac: Factor| self.mapping.iter().filter(|b| b.factor == fac).count();
        writeln!(
            f,
            "SOS-Bench factor scores ({}; {} benchmarks: WK {}, IF {}, Safety {})",
            self.norm.as_str(),
            self.mapping.len(),
            nb(Factor::WorldKnowledge),
            nb(Factor::InstructionFollowing),
            nb(Factor::Safety)
        )?;
        if !self.factors.skipped_benchmarks.is_empty() {
            writeln!(
                f,
                "skipped (input not given): {}",
                self.factors.skipped_benchmarks.join(", ")
            )?;
        }
        let width = self
            .factors
            .models
            .iter()
            .map(|m| m.model.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        writeln!(f)?;
        writeln!(
            f,
            "{:<width$}  {:>7}  {:>7}  {:>7}  {:>7}",
            "model", "judge", "WK", "IF", "Safety"
        )?;
        for m in &self.factors.models {
            let judge = self
                .judge
                .as_ref()
                .and_then(|j| j.matched.iter().find(|jm| jm.model == m.model))
                .map(|jm| jm.score);
            writeln!(
                f,
                "{:<width$}  {}  {}  {}  {}",
                m.model,
                opt(judge, 7, 2),
                opt(m.get(Factor::WorldKnowledge), 7, 4),
                opt(m.get(Factor::InstructionFollowing), 7, 4),
                opt(m.get(Factor::Safety), 7, 4)
            )?;
        }
        if !self.correlations.is_empty() {
            writeln!(f)?;
            let level = self.options.level * 100.0;
            writeln!(
                f,
                "Correlations across models ({level:.0}% percentile bootstrap CI, {} resamples, seed {})",
                self.options.resamples, self.options.seed
            )?;
            writeln!(
                f,
                "{:<16} {:<14} {:>3}  {:>8}  {:>18}",
                "pair", "method", "n", "estimate", "CI"
            )?;
            for c in &self.correlations {
                let ci = match c.ci {
                    Some([lo, hi]) => format!("[{lo:>6.3}, {hi:>6.3}]"),
                    None => "—".to_string(),
                };
                writeln!(
                    f,
                    "{:<16} {:<14} {:>3}  {}  {:>18}",
                    format!("{} ~ {}", var_label(&c.x), var_label(&c.y)),
                    c.method,
                    c.n,
                    opt(c.estimate, 8, 3),
                    ci
                )?;
            }
        }
        if let Some(j) = &self.judge {
            writeln!(f)?;
            writeln!(
                f,
                "Judge rows matched: {} of {}",
                j.matched.len(),
                j.matched.len() + j.unmatched.len()
            )?;
            for u in &j.unmatched {
                writeln!(f, "  unmatched judge row `{}`: {}", u.name, u.reason)?;
            }
            if !j.models_without_judge.is_empty() {
                writeln!(
                    f,
                    "  results models without a judge score: {}",
                    j.models_without_judge.join(", ")
                )?;
            }
        }
        if let Some(lb) = &self.factors.livebench {
            writeln!(f)?;
            writeln!(
                f,
                "LiveBench rows joined: {} ({} other LiveBench rows match no results model)",
                lb.matched.len(),
                lb.unmatched_rows
            )?;
            if !lb.results_without_livebench.is_empty() {
                writeln!(
                    f,
                    "  results models without a LiveBench row: {}",
                    lb.results_without_livebench.join(", ")
                )?;
            }
        }
        Ok(())
    }
}
