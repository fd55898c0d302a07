//! Strict CSV reading: a header, one row per model, the model name in a named column.
//!
//! [`Table::parse`] checks the structure only (header present, no duplicate headers, equal field counts,
//! non-empty unique model names); cells stay strings. Numbers are parsed on demand by [`Table::number`],
//! so only the columns a mapping actually uses have to be numeric, and an error names the exact file,
//! line and column. Missing values are `N/A`, `NA`, `NaN`, `nan` or an empty cell.

use crate::SosError;
use std::collections::HashMap;

/// One data row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The model name (the trimmed cell of the model column).
    pub model: String,
    /// 1-based line number of the row in the file (0 for a row added in code).
    pub line: u64,
    /// All cells, in header order.
    pub cells: Vec<String>,
}

/// A parsed CSV table keyed by model name.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Label used in error messages (normally the path).
    pub file: String,
    /// Header cells, in order.
    pub header: Vec<String>,
    /// Index of the model-name column in `header`.
    pub model_column: usize,
    /// Data rows, in file order.
    pub rows: Vec<Row>,
    by_model: HashMap<String, usize>,
}

fn truncate(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}

/// Whether a cell means "no value".
pub fn is_missing(cell: &str) -> bool {
    matches!(cell.trim(), "" | "N/A" | "NA" | "n/a" | "NaN" | "nan")
}

impl Table {
    /// Parse `bytes` as a CSV whose model names are in the first header named one of `model_columns`.
    pub fn parse(file: &str, bytes: &[u8], model_columns: &[&str]) -> Result<Table, SosError> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut records = rdr.records();
        let csv_err = |e: csv::Error| SosError::Csv {
            file: file.to_string(),
            line: e.position().map(|p| p.line()).unwrap_or(0),
            message: e.to_string(),
        };
        let header: Vec<String> = match records.next() {
            None => {
                return Err(SosError::Empty {
                    file: file.to_string(),
                });
            }
            Some(r) => r
                .map_err(csv_err)?
                .iter()
                .map(|s| s.trim().to_string())
                .collect(),
        };
        if header.iter().all(|h| h.is_empty()) {
            return Err(SosError::Empty {
                file: file.to_string(),
            });
        }
        let mut seen = HashMap::new();
        for h in &header {
            if !h.is_empty() && seen.insert(h.as_str(), ()).is_some() {
                return Err(SosError::DuplicateColumn {
                    file: file.to_string(),
                    column: h.clone(),
                });
            }
        }
        let model_column = model_columns
            .iter()
            .find_map(|name| header.iter().position(|h| h == name))
            .ok_or_else(|| SosError::MissingColumn {
                file: file.to_string(),
                column: model_columns.join("` or `"),
                hint: " (the model-name column)".into(),
            })?;
        let mut rows = Vec::new();
        let mut by_model: HashMap<String, usize> = HashMap::new();
        for rec in records {
            let rec = rec.map_err(csv_err)?;
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            // A completely blank line is not data.
            if rec.len() == 1 && rec.get(0).is_some_and(|c| c.trim().is_empty()) {
                continue;
            }
            if rec.len() != header.len() {
                return Err(SosError::Ragged {
                    file: file.to_string(),
                    line,
                    expected: header.len(),
                    found: rec.len(),
                });
            }
            let cells: Vec<String> = rec.iter().map(str::to_string).collect();
            let model = cells[model_column].trim().to_string();
            if model.is_empty() {
                return Err(SosError::EmptyModelName {
                    file: file.to_string(),
                    line,
                    column: header[model_column].clone(),
                });
            }
            if let Some(&first) = by_model.get(&model) {
                let first_line: u64 = rows.get(first).map(|r: &Row| r.line).unwrap_or(0);
                return Err(SosError::DuplicateModel {
                    file: file.to_string(),
                    line,
                    model,
                    first_line,
                });
            }
            by_model.insert(model.clone(), rows.len());
            rows.push(Row { model, line, cells });
        }
        if rows.is_empty() {
            return Err(SosError::NoRows {
                file: file.to_string(),
            });
        }
        Ok(Table {
            file: file.to_string(),
            header,
            model_column,
            rows,
            by_model,
        })
    }

    /// An empty results table built in code: the model column `Name`, then `columns` in order. Rows are
    /// added with [`Table::add_row`] (the results of a bundle run).
    pub fn with_columns(file: &str, columns: &[String]) -> Table {
        Table {
            file: file.to_string(),
            header: std::iter::once("Name".to_owned())
                .chain(columns.iter().cloned())
                .collect(),
            model_column: 0,
            rows: Vec::new(),
            by_model: HashMap::new(),
        }
    }

    /// Add `model` with `values` by column (the other cells missing), as if the row were a line of the
    /// file: the numbers are written in the shortest form that reads back bit for bit, so a row added
    /// here gives the factor scores the same numbers in a CSV give. A model already present or a column
    /// the header does not have is refused.
    pub fn add_row(
        &mut self,
        model: &str,
        values: &std::collections::BTreeMap<String, f64>,
    ) -> Result<(), SosError> {
        let model = model.trim();
        if model.is_empty() {
            return Err(SosError::EmptyModelName {
                file: self.file.clone(),
                line: 0,
                column: self.header[self.model_column].clone(),
            });
        }
        if let Some(first) = self.row(model) {
            return Err(SosError::DuplicateModel {
                file: self.file.clone(),
                line: 0,
                model: model.to_owned(),
                first_line: first.line,
            });
        }
        let mut cells = vec![String::new(); self.header.len()];
        cells[self.model_column] = model.to_owned();
        for (column, v) in values {
            let col = self.column(column, " (a column the added row gives)")?;
            if !v.is_finite() {
                return Err(SosError::NonNumeric {
                    file: self.file.clone(),
                    line: 0,
                    column: column.clone(),
                    value: v.to_string(),
                });
            }
            cells[col] = v.to_string();
        }
        self.by_model.insert(model.to_owned(), self.rows.len());
        self.rows.push(Row {
            model: model.to_owned(),
            line: 0,
            cells,
        });
        Ok(())
    }

    /// Index of `column` in the header, or [`SosError::MissingColumn`] (with `hint` appended to the message).
    pub fn column(&self, column: &str, hint: &str) -> Result<usize, SosError> {
        self.header
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| SosError::MissingColumn {
                file: self.file.clone(),
                column: column.to_string(),
                hint: hint.to_string(),
            })
    }

    /// The row of `model`, if present.
    pub fn row(&self, model: &str) -> Option<&Row> {
        self.by_model.get(model).and_then(|&i| self.rows.get(i))
    }

    /// Model names in file order.
    pub fn models(&self) -> impl Iterator<Item = &str> {
        self.rows.iter().map(|r| r.model.as_str())
    }

    /// The numeric value of cell `col` of `row`: `Ok(None)` when missing, an error naming file, line and
    /// column when it is neither missing nor a finite number.
    pub fn number(&self, row: &Row, col: usize) -> Result<Option<f64>, SosError> {
        let cell = row.cells.get(col).map(String::as_str).unwrap_or("");
        if is_missing(cell) {
            return Ok(None);
        }
        match cell.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(SosError::NonNumeric {
                file: self.file.clone(),
                line: row.line,
                column: self.header.get(col).cloned().unwrap_or_default(),
                value: truncate(cell),
            }),
        }
    }
}

/// Model-name columns accepted in a results CSV (`Name` in eleuther_wandb.csv).
pub const RESULTS_MODEL_COLUMNS: [&str; 2] = ["Name", "model"];
/// Model-name column of LiveBench and judge CSVs.
pub const MODEL_COLUMN: [&str; 1] = ["model"];

/// Parse a wide lm-eval results CSV (eleuther_wandb.csv layout: model names in `Name`, then
/// `<task>/<metric>` and `<task>/<metric>_stderr` columns).
pub fn parse_results_csv(file: &str, bytes: &[u8]) -> Result<Table, SosError> {
    Table::parse(file, bytes, &RESULTS_MODEL_COLUMNS)
}

/// Parse a LiveBench group CSV (livebench_groups.csv layout: `model`, then one 0–100 column per category).
pub fn parse_livebench_csv(file: &str, bytes: &[u8]) -> Result<Table, SosError> {
    Table::parse(file, bytes, &MODEL_COLUMN)
}

/// Scores of an LLM judge per model, in file order.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JudgeScores {
    /// Label of the input.
    pub file: String,
    /// `(model name as written in the judge CSV, score)`; rows whose score is missing are left out and
    /// listed in `missing`.
    pub scores: Vec<(String, f64)>,
    /// Models whose score cell is `N/A` or empty.
    pub missing: Vec<String>,
}

/// Parse an LLM-judge CSV (arena_hard_auto.csv layout: `model,score,…`; other columns are ignored).
pub fn parse_judge_csv(file: &str, bytes: &[u8]) -> Result<JudgeScores, SosError> {
    let t = Table::parse(file, bytes, &MODEL_COLUMN)?;
    let col = t.column("score", " (the judge score)")?;
    let mut scores = Vec::new();
    let mut missing = Vec::new();
    for row in &t.rows {
        match t.number(row, col)? {
            Some(v) => scores.push((row.model.clone(), v)),
            None => missing.push(row.model.clone()),
        }
    }
    Ok(JudgeScores {
        file: t.file,
        scores,
        missing,
    })
}

/// Read a whole file, mapping the error to [`SosError::Io`].
pub fn read_input(path: &std::path::Path) -> Result<Vec<u8>, SosError> {
    std::fs::read(path).map_err(|e| SosError::Io {
        file: path.display().to_string(),
        message: e.to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn structure_errors() {
        assert_eq!(
            parse_results_csv("f", b""),
            Err(SosError::Empty { file: "f".into() })
        );
        assert_eq!(
            parse_results_csv("f", b"Name,a\n"),
            Err(SosError::NoRows { file: "f".into() })
        );
        assert!(matches!(
            parse_results_csv("f", b"Name,a\nm,1\nn,1,2\n"),
            Err(SosError::Ragged {
                line: 3,
                expected: 2,
                found: 3,
                ..
            })
        ));
        assert!(matches!(
            parse_results_csv("f", b"Name,a\nm,1\nm,2\n"),
            Err(SosError::DuplicateModel {
                line: 3,
                first_line: 2,
                ..
            })
        ));
        assert!(matches!(
            parse_results_csv("f", b"Name,a,a\nm,1,2\n"),
            Err(SosError::DuplicateColumn { .. })
        ));
        assert!(matches!(
            parse_results_csv("f", b"x,a\nm,1\n"),
            Err(SosError::MissingColumn { .. })
        ));
        assert!(matches!(
            parse_results_csv("f", b"Name,a\n ,1\n"),
            Err(SosError::EmptyModelName { line: 2, .. })
        ));
        assert!(matches!(
            parse_results_csv("f", b"Name,a\n\"m,1\n"),
            Err(SosError::Csv { .. }) | Err(SosError::Ragged { .. })
        ));
    }

    #[test]
    fn numbers_and_missing() {
        let t = parse_results_csv("f", b"Name,a,b\nm,0.5,N/A\nn,,abc\n").unwrap();
        let m = t.row("m").unwrap();
        assert_eq!(t.number(m, 1).unwrap(), Some(0.5));
        assert_eq!(t.number(m, 2).unwrap(), None);
        let n = t.row("n").unwrap();
        assert_eq!(t.number(n, 1).unwrap(), None);
        let err = t.number(n, 2).unwrap_err();
        assert_eq!(
            err,
            SosError::NonNumeric {
                file: "f".into(),
                line: 3,
                column: "b".into(),
                value: "abc".into()
            }
        );
        assert_eq!(err.to_string(), "f:3: column `b`: `abc` is not a number");
    }

    #[test]
    fn judge_csv() {
        let j = parse_judge_csv("j", b"model,score,CI\na,1.5,\"(-1, +2)\"\nb,N/A,x\n").unwrap();
        assert_eq!(j.scores, vec![("a".to_string(), 1.5)]);
        assert_eq!(j.missing, vec!["b".to_string()]);
        assert!(matches!(
            parse_judge_csv("j", b"model,x\na,1\n"),
            Err(SosError::MissingColumn { .. })
        ));
    }
}
