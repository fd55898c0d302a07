//! The small original example judgments shipped with the crate (`data/examples/judge_lab.jsonl`, see its
//! README), for the browser's judge lab and for tests that need judged pairs without the shared data.

use crate::ImportError;
use crate::import::{Loc, Rec, parse_jsonl};
use crate::pair::JudgedPair;

/// The raw JSONL text of the judge-lab examples.
pub const JUDGE_LAB_JSONL: &str = include_str!("../data/examples/judge_lab.jsonl");

/// The judge-lab examples as pairs.
pub fn judge_lab() -> Result<Vec<JudgedPair>, ImportError> {
    parse_pairs(JUDGE_LAB_JSONL, "judge_lab.jsonl")
}

/// Read JSON Lines of [`JudgedPair`]s (the crate's own JSON shape).
pub fn parse_pairs(text: &str, file: &str) -> Result<Vec<JudgedPair>, ImportError> {
    let mut ids = substance_core::input::UniqueKeys::new("id");
    parse_jsonl(text, file)?
        .into_iter()
        .map(|(line, v)| {
            Rec::new(file, Loc::Line(line), &v)?;
            let pair: JudgedPair = serde_json::from_value(v).map_err(|e| ImportError::Json {
                file: file.to_owned(),
                line,
                field: "$".into(),
                message: e.to_string(),
            })?;
            ids.insert(&pair.id, file, line)?;
            Ok(pair)
        })
        .collect()
}
