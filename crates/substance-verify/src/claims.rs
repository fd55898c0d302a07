//! Published numbers given from outside the result files (`--claims`): what a leaderboard page shows,
//! saved by the user as CSV (`model,task,metric,value[,tolerance]`) or JSON (an array of objects with
//! those members).
//!
//! A value is a proportion (`0.4425`) or a percentage (`44.25%`). Unless a tolerance is given, a claim
//! matches within half a unit of its last printed digit (`0.4425` → ±0.00005), because leaderboards
//! print rounded numbers; a claim printed with 17 significant digits is in effect checked exactly.

use serde_json::Value;
use substance_core::input;

use crate::VerifyError;

/// One published number.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Claim {
    /// The model it is about (`*` or empty: any model).
    pub model: String,
    /// Task or scope (`mmlu_pro`, `mmlu_pro/biology`).
    pub task: String,
    /// Metric (`acc`).
    pub metric: String,
    /// The value as a proportion.
    pub value: f64,
    /// How far a recomputation may be and still match.
    pub tolerance: f64,
    /// Where it was read (`claims.csv line 3`).
    pub source: String,
    /// Written as a percentage (`44.25%`): compared with a number published in percentage points (a
    /// win rate of 44.25), it stands for 44.25, not 0.4425.
    pub percent: bool,
}

impl Claim {
    fn in_percent(self, percent: bool) -> Self {
        Self { percent, ..self }
    }

    /// The claim in percentage points, for a number published in points: a claim written `44.25%`
    /// (read as 0.4425) stands for 44.25; a bare number is taken as printed.
    pub fn in_points(&self) -> (f64, f64) {
        if self.percent {
            (self.value * 100.0, self.tolerance * 100.0)
        } else {
            (self.value, self.tolerance)
        }
    }

    /// Whether this claim is about `model` (case-insensitive; `org/name` also matches `name`).
    pub fn is_about(&self, model: Option<&str>) -> bool {
        let want = self.model.trim();
        if want.is_empty() || want == "*" {
            return true;
        }
        let Some(model) = model else {
            return false;
        };
        let last = |s: &str| s.rsplit('/').next().unwrap_or(s).to_ascii_lowercase();
        want.eq_ignore_ascii_case(model) || last(want) == last(model)
    }
}

/// A printed number as (proportion, half a unit of its last digit).
pub(crate) fn parse_value(text: &str) -> Result<(f64, f64), String> {
    let t = text.trim();
    let (digits, scale) = match t.strip_suffix('%') {
        Some(d) => (d.trim(), 0.01),
        None => (t, 1.0),
    };
    let v = input::finite(digits)?;
    let mantissa = digits
        .split(['e', 'E'])
        .next()
        .unwrap_or(digits)
        .trim_start_matches(['+', '-']);
    let exponent: i32 = match digits.split_once(['e', 'E']) {
        Some((_, e)) => e.parse().map_err(|_| format!("`{t}` is not a number"))?,
        None => 0,
    };
    let decimals = mantissa.split_once('.').map_or(0, |(_, f)| f.len()) as i32;
    let half_unit = 0.5 * 10f64.powi(exponent - decimals);
    Ok((v * scale, half_unit * scale))
}

fn tolerance_cell(text: &str) -> Result<f64, String> {
    let (v, _) = parse_value(text)?;
    if v < 0.0 {
        return Err(format!("a tolerance cannot be negative (`{text}`)"));
    }
    Ok(v)
}

const COLUMNS: [&str; 5] = ["model", "task", "metric", "value", "tolerance"];

/// Read a claims file (CSV or JSON, told apart by its first character).
pub fn read_claims(bytes: &[u8], file: &str) -> Result<Vec<Claim>, VerifyError> {
    let text = input::text(bytes, file)?;
    let claims = match text.trim_start().chars().next() {
        Some('[') => json_claims(text, file)?,
        _ => csv_claims(text, file)?,
    };
    input::require_records(claims.len(), text, file)?;
    let mut seen = input::UniqueKeys::new("claim (model, task, metric)");
    for (line, c) in &claims {
        seen.insert(
            &format!("{}, {}, {}", c.model, c.task, c.metric),
            file,
            *line,
        )?;
    }
    Ok(claims.into_iter().map(|(_, c)| c).collect())
}

/// Claims with the line (CSV) or record (JSON) each was read from.
type Numbered = Vec<(usize, Claim)>;

fn csv_claims(text: &str, file: &str) -> Result<Numbered, VerifyError> {
    let body = input::strip_bom(text);
    // csv's own line count is off by one after a CRLF header, and its offset may point at the end of
    // the previous line: count the line ends up to the record's first character instead
    let line_at = |p: &csv::Position| {
        let bytes = body.as_bytes();
        let mut at = (p.byte() as usize).min(bytes.len());
        while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n') {
            at += 1;
        }
        bytes[..at].iter().filter(|b| **b == b'\n').count() + 1
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(body.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| crate::line_error(file, 1, "header", e.to_string()))?
        .clone();
    let mut at = [None; 5];
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().to_ascii_lowercase();
        let Some(k) = COLUMNS.iter().position(|c| *c == h) else {
            return Err(crate::line_error(
                file,
                1,
                &h,
                format!(
                    "unknown column; a claims CSV has the columns {}",
                    COLUMNS.join(", ")
                ),
            ));
        };
        if at[k].replace(i).is_some() {
            return Err(crate::line_error(file, 1, &h, "column given twice"));
        }
    }
    for (k, name) in COLUMNS.iter().enumerate().take(4) {
        if at[k].is_none() {
            return Err(crate::line_error(file, 1, name, "missing column"));
        }
    }
    let mut out = Vec::new();
    for row in rdr.records() {
        let row = row.map_err(|e| {
            let line = e.position().map_or(0, line_at);
            crate::line_error(file, line, "row", e.to_string())
        })?;
        let line = row.position().map_or(0, line_at);
        let cell = |k: usize| at[k].and_then(|i| row.get(i)).unwrap_or("");
        let (value, printed) =
            parse_value(cell(3)).map_err(|m| crate::line_error(file, line, "value", m))?;
        let tolerance = match cell(4).trim() {
            "" => printed,
            t => tolerance_cell(t).map_err(|m| crate::line_error(file, line, "tolerance", m))?,
        };
        out.push((
            line,
            claim(file, line, cell(0), cell(1), cell(2), value, tolerance)?
                .in_percent(cell(3).trim().ends_with('%')),
        ));
    }
    Ok(out)
}

fn claim(
    file: &str,
    line: usize,
    model: &str,
    task: &str,
    metric: &str,
    value: f64,
    tolerance: f64,
) -> Result<Claim, VerifyError> {
    for (name, v) in [("task", task), ("metric", metric)] {
        if v.trim().is_empty() {
            return Err(crate::line_error(file, line, name, "empty"));
        }
    }
    Ok(Claim {
        model: model.trim().to_owned(),
        task: task.trim().to_owned(),
        metric: metric.trim().to_owned(),
        value,
        tolerance,
        source: format!("{file} line {line}"),
        percent: false,
    })
}

fn json_claims(text: &str, file: &str) -> Result<Numbered, VerifyError> {
    let Value::Array(rows) = input::strict_value(input::strip_bom(text), file, 1)? else {
        return Err(crate::line_error(
            file,
            1,
            "claims",
            "expected a JSON array of objects",
        ));
    };
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let record = i + 1;
        let Value::Object(m) = row else {
            return Err(crate::line_error(
                file,
                record,
                "claims",
                format!("record {record} is {}, not an object", input::kind(row)),
            ));
        };
        if let Some(k) = m.keys().find(|k| !COLUMNS.contains(&k.as_str())) {
            return Err(crate::line_error(file, record, k, "unknown member"));
        }
        let text_of = |k: &str| -> Result<String, VerifyError> {
            match m.get(k) {
                None if k == "model" => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(other) => Err(crate::line_error(
                    file,
                    record,
                    k,
                    format!("expected a string, found {}", input::kind(other)),
                )),
                None => Err(crate::line_error(file, record, k, "missing")),
            }
        };
        let number = |k: &str| -> Result<Option<(f64, f64)>, VerifyError> {
            match m.get(k) {
                None => Ok(None),
                Some(Value::Number(n)) => parse_value(&n.to_string())
                    .map(Some)
                    .map_err(|e| crate::line_error(file, record, k, e)),
                Some(Value::String(s)) => parse_value(s)
                    .map(Some)
                    .map_err(|e| crate::line_error(file, record, k, e)),
                Some(other) => Err(crate::line_error(
                    file,
                    record,
                    k,
                    format!("expected a number, found {}", input::kind(other)),
                )),
            }
        };
        let (value, printed) =
            number("value")?.ok_or_else(|| crate::line_error(file, record, "value", "missing"))?;
        let tolerance = match number("tolerance")? {
            Some((t, _)) if t < 0.0 => {
                return Err(crate::line_error(file, record, "tolerance", "negative"));
            }
            Some((t, _)) => t,
            None => printed,
        };
        let c = claim(
            file,
            record,
            &text_of("model")?,
            &text_of("task")?,
            &text_of("metric")?,
            value,
            tolerance,
        )?;
        out.push((
            record,
            Claim {
                source: format!("{file} record {record}"),
                ..c.in_percent(
                    matches!(m.get("value"), Some(Value::String(s)) if s.trim().ends_with('%')),
                )
            },
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_precision_sets_the_tolerance() {
        let (v, t) = parse_value("0.4425").unwrap();
        assert!((v - 0.4425).abs() < 1e-15 && (t - 0.00005).abs() < 1e-15);
        let (v, t) = parse_value("44.25%").unwrap();
        assert!((v - 0.4425).abs() < 1e-15 && (t - 0.00005).abs() < 1e-15);
        let (v, t) = parse_value("4.425e-1").unwrap();
        assert!((v - 0.4425).abs() < 1e-15 && (t - 0.00005).abs() < 1e-15);
        assert!(parse_value("NaN").is_err() && parse_value("x").is_err());
    }

    #[test]
    fn csv_and_json_claims() {
        let c = read_claims(
            b"\xEF\xBB\xBFmodel,task,metric,value\r\nLlama,mmlu_pro,acc,44.25%\r\n",
            "c.csv",
        )
        .unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].source, "c.csv line 2");
        let lf = read_claims(b"model,task,metric,value\nLlama,mmlu_pro,acc,1\n", "c.csv").unwrap();
        assert_eq!(lf[0].source, "c.csv line 2");
        assert!(c[0].is_about(Some("meta/llama")) && !c[0].is_about(Some("other")));
        let j = read_claims(
            br#"[{"task": "mmlu_pro", "metric": "acc", "value": 0.5, "tolerance": 0.01}]"#,
            "c.json",
        )
        .unwrap();
        assert_eq!((j[0].value, j[0].tolerance), (0.5, 0.01));
        assert!(j[0].is_about(None));
        for bad in [
            &b"model,task,metric\nm,t,acc\n"[..],
            b"model,task,metric,value,extra\nm,t,acc,1,2\n",
            b"model,task,metric,value\nm,t,acc,NaN\n",
            b"model,task,metric,value\n",
            b"",
            br#"[{"task": "t", "metric": "acc", "value": 1, "task": "u"}]"#,
            br#"[["t", "acc", 1]]"#,
            b"model,task,metric,value\nm,t,acc,1\nm,t,acc,0.5\n",
            br#"[{"task": "t", "metric": "acc", "value": "1", "note": "x"}]"#,
        ] {
            assert!(
                read_claims(bad, "c").is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
