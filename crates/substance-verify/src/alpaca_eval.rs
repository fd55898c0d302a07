//! AlpacaEval: `annotations.json` (one record per instruction: `generator_1` the baseline,
//! `generator_2` the model, `preference` in [1, 2]) recomputed with `substance_leaderboard`'s
//! reproduction of `alpaca_eval` (@cd543a1: `get_winrate`, `get_length_controlled_winrate`) and
//! compared with a leaderboard CSV (`<annotator>_leaderboard.csv`, as the repository publishes it)
//! given among the inputs, or with `--claims`.
//!
//! - Every number of a leaderboard row is checked: `win_rate`, `standard_error`, `n_wins`,
//!   `n_wins_base`, `n_draws`, `n_total`, `discrete_win_rate`, `avg_length`, and
//!   `length_controlled_winrate` when `instruction_difficulty.csv` and `df_gamed.csv` (the hub files
//!   of the leaderboard's `length_controlled_v1` GLM) are given too.
//! - Tolerances: a leaderboard prints full-precision floats, but annotation files often store
//!   `preference` rounded (`"1.0000001827"`), so the weighted win rate and its standard error are
//!   matched within 100 × the largest half unit of a printed preference (the most that rounding can
//!   move them). The LC win rate is matched within 0.5 points: the reference's liblinear stops at
//!   `tol = 1e-4` and its cross-validated `C` can tip between grid neighbours (see
//!   `substance-leaderboard`'s `alpaca_lc` test); the fit here is solved to convergence.
//! - Annotations without a preference (null, NaN) are left out as the reference leaves them out, and
//!   listed as skipped with their record.

use std::collections::BTreeMap;

use serde_json::Value;
use substance_core::input::{self, Skipped};
use substance_leaderboard::alpaca::{LcInputs, LcVariant, alpaca_eval};
use substance_leaderboard::formats::{
    parse_alpaca_annotations, parse_gamed_rows, parse_instruction_difficulty,
};

use crate::claims::parse_value;
use crate::report::{Check, Recomputed, Report};
use crate::{Claim, ClaimBook, Format, VerifyError};

/// Tolerance of the length-controlled win rate against the reference's liblinear fit (points).
pub const LC_TOLERANCE: f64 = 0.5;

/// The numeric columns of a leaderboard CSV that are claims.
const COLUMNS: [&str; 9] = [
    "win_rate",
    "standard_error",
    "n_wins",
    "n_wins_base",
    "n_draws",
    "n_total",
    "discrete_win_rate",
    "avg_length",
    "length_controlled_winrate",
];

/// The columns that count something (matched exactly).
const COUNTS: [&str; 5] = ["n_wins", "n_wins_base", "n_draws", "n_total", "avg_length"];

/// Whether the first record of a JSON array is an AlpacaEval annotation.
pub fn looks_like(first: &serde_json::Map<String, Value>) -> bool {
    first.contains_key("generator_1")
        && first.contains_key("generator_2")
        && (first.contains_key("preference") || first.contains_key("output_2"))
}

/// Whether a CSV (by name and header line) is an AlpacaEval leaderboard.
pub fn looks_like_leaderboard(base: &str, text: &str) -> bool {
    let header = text.lines().next().unwrap_or("");
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    base.to_ascii_lowercase().ends_with(".csv")
        && ["win_rate", "standard_error", "n_total"]
            .iter()
            .all(|c| cols.contains(c))
}

/// The annotator (leaderboard) a table is about: its file name without `_leaderboard.csv`.
pub fn table_name(file: &str) -> String {
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let stem = base.strip_suffix(".csv").unwrap_or(base);
    stem.strip_suffix("_leaderboard").unwrap_or(stem).to_owned()
}

/// The claims of a leaderboard CSV: one per numeric cell, about the row's model, for the task named
/// after the file ([`table_name`]); each matches within its printed precision.
pub fn leaderboard_claims(text: &str, file: &str) -> Result<Vec<Claim>, VerifyError> {
    let task = table_name(file);
    let body = input::strip_bom(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(file, &e))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let mut out = Vec::new();
    let mut seen = input::UniqueKeys::new("model");
    let mut rows = 0;
    for rec in reader.records() {
        let rec = rec.map_err(|e| csv_error(file, &e))?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        rows += 1;
        let model = rec.get(0).unwrap_or("").trim().to_owned();
        if model.is_empty() {
            return Err(crate::line_error(
                file,
                line,
                "model",
                "a row without a model name",
            ));
        }
        seen.insert(&model, file, line)?;
        for (cell, name) in rec.iter().zip(&header) {
            if !COLUMNS.contains(&name.as_str()) || cell.trim().is_empty() {
                continue;
            }
            let (value, printed) =
                parse_value(cell).map_err(|m| crate::line_error(file, line, name, m))?;
            // counts are whole numbers, however they are printed (`17` or `17.0`)
            let tolerance = if COUNTS.contains(&name.as_str()) {
                0.0
            } else {
                printed
            };
            out.push(Claim {
                model: model.clone(),
                task: task.clone(),
                metric: name.clone(),
                value,
                tolerance,
                source: format!("{file} line {line}"),
                percent: false,
            });
        }
    }
    input::require_records(rows, text, file)?;
    Ok(out)
}

fn csv_error(file: &str, e: &csv::Error) -> VerifyError {
    let line = e.position().map_or(0, |p| p.line() as usize);
    crate::line_error(file, line, "row", e.to_string())
}

fn leaderboard_error(file: &str, e: impl std::fmt::Display) -> VerifyError {
    VerifyError::Format {
        file: file.to_owned(),
        message: e.to_string(),
    }
}

/// The length-control inputs found among the files (hub files of the leaderboard's GLM).
#[derive(Debug, Clone, Default)]
pub struct LcFiles {
    /// `instruction_difficulty.csv` (name, bytes).
    pub difficulty: Option<(String, Vec<u8>)>,
    /// `df_gamed.csv` (name, bytes).
    pub gamed: Option<(String, Vec<u8>)>,
}

impl LcFiles {
    /// Whether a file name is one of the LC inputs.
    pub fn is_lc_file(base: &str) -> bool {
        matches!(base, "instruction_difficulty.csv" | "df_gamed.csv")
    }

    fn read(&self) -> Result<LcInputs, VerifyError> {
        Ok(LcInputs {
            instruction_difficulty: match &self.difficulty {
                Some((n, b)) => {
                    Some(parse_instruction_difficulty(b, n).map_err(|e| leaderboard_error(n, e))?)
                }
                None => None,
            },
            gamed: match &self.gamed {
                Some((n, b)) => Some(parse_gamed_rows(b, n).map_err(|e| leaderboard_error(n, e))?),
                None => None,
            },
        })
    }
}

/// How finely the file prints preferences: values are taken as rounded at the most decimals any
/// preference shows (a writer that rounds to k decimals prints 1.5 as `1.5`), so the bound is half a unit
/// of that digit; 0 when every preference is a multiple of ½ (AlpacaEval 1's discrete 1, 1.5, 2 and a
/// baseline against itself are exact).
fn printed_precision(raw: &[Value]) -> f64 {
    let texts: Vec<String> = raw
        .iter()
        .filter_map(|i| match i.get("preference") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
        .collect();
    let discrete = texts.iter().all(|t| {
        t.trim()
            .parse::<f64>()
            .is_ok_and(|v| (2.0 * v).fract() == 0.0)
    });
    if discrete {
        return 0.0;
    }
    texts
        .iter()
        .filter_map(|t| parse_value(t).ok().map(|(_, h)| h))
        .fold(f64::INFINITY, f64::min)
        .min(0.5)
}

/// Verify an `annotations.json`: one report per model (`generator_2`) it holds.
pub fn verify(
    file: &str,
    text: &str,
    lc_files: &LcFiles,
    claims: &mut ClaimBook,
) -> Result<Vec<Report>, VerifyError> {
    let anns =
        parse_alpaca_annotations(text.as_bytes(), file).map_err(|e| leaderboard_error(file, e))?;
    let raw: Vec<Value> = match input::strict_value(input::strip_bom(text), file, 1)? {
        Value::Array(a) => a,
        _ => Vec::new(),
    };
    let annotator = |i: usize| {
        raw.get(i)
            .and_then(|r| r.get("annotator"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    // the table the numbers belong to: the annotator named in the records, else the folder
    let scope = annotator(0)
        .filter(|a| (0..raw.len()).all(|i| annotator(i).as_deref() == Some(a)))
        .or_else(|| {
            file.rsplit_once(['/', '\\'])
                .and_then(|(d, _)| d.rsplit(['/', '\\']).next())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "alpaca_eval".to_owned());
    let mut seen = input::UniqueKeys::new("annotation (generator_2, instruction)");
    for (i, a) in anns.iter().enumerate() {
        seen.insert(
            &format!("{}, {}", a.generator_2, a.instruction),
            file,
            i + 1,
        )?;
    }
    let half = printed_precision(&raw);
    let lc = lc_files.read()?;
    let rows = alpaca_eval(&anns, &lc).map_err(|e| leaderboard_error(file, e))?;
    let mut by_model: BTreeMap<&str, (usize, Vec<Skipped>)> = BTreeMap::new();
    for (i, a) in anns.iter().enumerate() {
        let e = by_model.entry(&a.generator_2).or_default();
        e.0 += 1;
        if a.preference.is_none() {
            e.1.push(Skipped {
                file: file.to_owned(),
                line: i + 1,
                reason: "no preference (null or NaN): left out of every number, as AlpacaEval \
                         leaves it out"
                    .to_owned(),
            });
        }
    }
    let mut out = Vec::new();
    for row in &rows {
        let Some((n, skipped)) = by_model.remove(row.model.as_str()) else {
            continue;
        };
        let model = Some(row.model.as_str());
        let h = &row.head2head;
        let no_claim = format!(
            "no published number: give the leaderboard CSV (`{scope}_leaderboard.csv`) or --claims"
        );
        let check = |metric: &str, value: f64, extra: f64, claims: &mut ClaimBook| {
            Check::against_points(
                scope.clone(),
                metric,
                h.n_total,
                Recomputed::Value { value },
                model,
                claims,
                extra,
                &no_claim,
            )
        };
        let rounding = 100.0 * half;
        let mut checks = vec![
            check("win_rate", h.win_rate, rounding, claims),
            check("standard_error", h.standard_error, rounding, claims),
            check("n_wins", h.n_wins as f64, 0.0, claims),
            check("n_wins_base", h.n_wins_base as f64, 0.0, claims),
            check("n_draws", h.n_draws as f64, 0.0, claims),
            check("n_total", h.n_total as f64, 0.0, claims),
            check("discrete_win_rate", row.discrete_win_rate, 0.0, claims),
        ];
        if let Some(len) = row.avg_length {
            checks.push(check("avg_length", len as f64, 0.0, claims));
        }
        match &row.length_controlled {
            Some(l) if l.variant == LcVariant::V1 => {
                let mut c = check("length_controlled_winrate", l.winrate, LC_TOLERANCE, claims);
                c.detail = Some(format!(
                    "length_controlled_v1 solved to convergence (C = {:.6}); matched within ±{LC_TOLERANCE} points of liblinear's stopping slack",
                    l.c
                ));
                checks.push(c);
            }
            other => {
                let got = other.as_ref().map_or_else(
                    || {
                        row.lc_note
                            .clone()
                            .unwrap_or_else(|| "not fitted".to_owned())
                    },
                    |l| format!("{} here gives {:.4}", l.variant.name(), l.winrate),
                );
                checks.push(Check::not_checkable(
                    scope.clone(),
                    "length_controlled_winrate",
                    h.n_total,
                    model,
                    claims,
                    &format!(
                        "the leaderboard's LC win rate is the length_controlled_v1 GLM, which needs \
                         instruction_difficulty.csv and df_gamed.csv (hub files) beside the annotations ({got})"
                    ),
                ));
            }
        }
        let mut report = Report::new(file, Format::AlpacaEval, Some(row.model.clone()));
        report.items_checked = n - skipped.len();
        report.checks = checks;
        report.skipped = skipped;
        report.notes.push(format!(
            "baseline {} (generator_1); annotator table `{scope}`",
            row.baseline
        ));
        if rounding > 0.0 {
            report.notes.push(format!(
                "preferences are printed to ±{half:.1e}: win_rate and standard_error are matched within ±{rounding:.1e} points more"
            ));
        }
        report.conclude();
        out.push(report);
    }
    Ok(out)
}
