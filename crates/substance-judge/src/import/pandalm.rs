//! PandaLM's human-annotated test set and recorded judge verdicts (`WeOpenML/PandaLM/data`).
//!
//! - `testset-v1.json`: `[{idx, motivation_app, cmp_key, instruction, input, response1, response2,
//!   annotator1, annotator2, annotator3}]`, labels `0` = tie, `1` = response 1, `2` = response 2. The
//!   three votes become `human_votes`; `human_label` is their majority with PandaLM's tie-break
//!   (`data/compute_metrics.py: get_majority_vote`, `max` over a dict in insertion order, so the earliest
//!   annotator's vote wins a three-way split).
//! - Verdict files, joined on `idx`: GPT-3.5 (`gpt-3.5-turbo-testset-v1.json`: `gpt_result` ∈ `"1"`,
//!   `"2"`, `"Tie"`, `"garbage"`; `gpt_reason`) and PandaLM-7B (`pandalm-7b-testset-v1.json`:
//!   `pandalm_result` ∈ `0, 1, 2`; `pandalm_reason`). `garbage` is stored as no verdict (PandaLM's metric
//!   script counts it as a tie: use [`Missing::AsTie`](crate::metrics::Missing) to reproduce its figures).
//!
//! The question is the instruction, followed by `"\n\n"` and the input when there is one. Six responses
//! are stored as JSON booleans in the published file; they are read as Python's `str()` of them (`True`).

use std::collections::HashMap;

use serde_json::Value;

use super::{Loc, Rec, kind, parse_json_array, utf8};
use crate::ImportError;
use crate::label::{Preference, Verdict};
use crate::pair::{JudgedPair, RecordedVerdict};

fn label_of(v: &Value) -> Option<Preference> {
    match v {
        Value::Number(n) => match n.as_i64()? {
            0 => Some(Preference::Tie),
            1 => Some(Preference::A),
            2 => Some(Preference::B),
            _ => None,
        },
        Value::String(s) => match s.trim() {
            "0" | "Tie" | "tie" => Some(Preference::Tie),
            "1" => Some(Preference::A),
            "2" => Some(Preference::B),
            _ => None,
        },
        _ => None,
    }
}

/// PandaLM's majority vote: the most frequent vote, ties broken by first appearance.
pub fn majority(votes: &[Preference]) -> Option<Preference> {
    let mut counts: Vec<(Preference, usize)> = Vec::new();
    for v in votes {
        match counts.iter_mut().find(|(p, _)| p == v) {
            Some((_, c)) => *c += 1,
            None => counts.push((*v, 1)),
        }
    }
    let best = counts.iter().map(|(_, c)| *c).max()?;
    counts.into_iter().find(|(_, c)| *c == best).map(|(p, _)| p)
}

/// Import `testset-v1.json`.
pub fn import_testset(bytes: &[u8], file: &str) -> Result<Vec<JudgedPair>, ImportError> {
    let text = utf8(bytes, file)?;
    let mut out = Vec::new();
    for (i, v) in parse_json_array(text, file)?.iter().enumerate() {
        let rec = Rec::new(file, Loc::Record(i), v)?;
        let idx = rec.id("idx")?;
        let instruction = rec.str("instruction")?;
        let input = rec.opt_str("input")?.unwrap_or("");
        let question = if input.is_empty() {
            instruction.to_owned()
        } else {
            format!("{instruction}\n\n{input}")
        };
        let mut pair = JudgedPair::new(
            &format!("pandalm/{idx}"),
            &question,
            &rec.text("response1")?,
            Some(&rec.text("response2")?),
        );
        let mut votes = Vec::new();
        for a in ["annotator1", "annotator2", "annotator3"] {
            let v = rec.value(a)?;
            let p = label_of(v).ok_or_else(|| {
                rec.err(a, format!("expected 0 (tie), 1 or 2, found {}", kind(v)))
            })?;
            votes.push(p);
        }
        pair.human_label = majority(&votes).map(Verdict::preference_of);
        pair.human_votes = votes.into_iter().map(Verdict::preference_of).collect();
        pair.meta.insert("idx".into(), Value::from(idx));
        pair.meta
            .insert("instruction".into(), Value::from(instruction));
        pair.meta.insert("input".into(), Value::from(input));
        for k in ["motivation_app", "cmp_key"] {
            if let Some(s) = rec.opt_str(k)? {
                pair.meta.insert(k.into(), Value::from(s));
            }
        }
        out.push(pair);
    }
    Ok(out)
}

/// Attach a verdict file to imported test-set pairs (joined on `idx`). `judge` names the judge
/// (`gpt-3.5-turbo`, `PandaLM-7B`); the result/reason fields are detected (`gpt_*` or `pandalm_*`).
pub fn attach_verdicts(
    pairs: &mut [JudgedPair],
    bytes: &[u8],
    file: &str,
    judge: &str,
) -> Result<(), ImportError> {
    let text = utf8(bytes, file)?;
    let mut by_idx: HashMap<String, usize> = HashMap::new();
    for (i, p) in pairs.iter().enumerate() {
        if let Some(Value::String(idx)) = p.meta.get("idx") {
            by_idx.insert(idx.clone(), i);
        }
    }
    let rows = parse_json_array(text, file)?;
    if rows.len() != pairs.len() {
        return Err(ImportError::Mismatch {
            file: file.to_owned(),
            other: "the test set".into(),
            message: format!("{} verdicts for {} pairs", rows.len(), pairs.len()),
        });
    }
    for (i, v) in rows.iter().enumerate() {
        let rec = Rec::new(file, Loc::Record(i), v)?;
        let idx = rec.id("idx")?;
        let prefix = if rec.get("gpt_result").is_some() {
            "gpt"
        } else if rec.get("pandalm_result").is_some() {
            "pandalm"
        } else {
            return Err(rec.err(
                "gpt_result",
                "neither `gpt_result` nor `pandalm_result` present",
            ));
        };
        let result_field = format!("{prefix}_result");
        let result = rec.value(&result_field)?;
        let verdict = label_of(result);
        if verdict.is_none() && !matches!(result, Value::String(s) if s == "garbage") {
            return Err(rec.err(&result_field, format!("unknown verdict {result}")));
        }
        let &pi = by_idx.get(&idx).ok_or_else(|| ImportError::Mismatch {
            file: file.to_owned(),
            other: "the test set".into(),
            message: format!("idx {idx} (record {i}) is not in the test set"),
        })?;
        let mut rv =
            RecordedVerdict::new(judge, "pandalm", false, verdict.map(Verdict::preference_of));
        rv.raw = rec.opt_str(&format!("{prefix}_reason"))?.map(str::to_owned);
        rv.meta.insert("result".into(), result.clone());
        if let Some(r) = rec.opt_str(&format!("{prefix}_reference"))? {
            rv.meta.insert("reference".into(), Value::from(r));
        }
        pairs[pi].verdicts.push(rv);
    }
    Ok(())
}

/// What a PandaLM data file holds, from its first record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// The test set (`response1`, `annotator1`, …): read with [`import_testset`].
    TestSet,
    /// A judge's verdicts (`gpt_result` or `pandalm_result`): attach with [`attach_verdicts`].
    Verdicts,
}

/// Tell a test set from a verdict file by the fields of its first record (an empty array holds no
/// records and is refused).
pub fn file_kind(bytes: &[u8], file: &str) -> Result<FileKind, ImportError> {
    let text = utf8(bytes, file)?;
    let rows = parse_json_array(text, file)?;
    let Some(first) = rows.first() else {
        return Ok(FileKind::TestSet);
    };
    let rec = Rec::new(file, Loc::Record(0), first)?;
    if rec.get("gpt_result").is_some() || rec.get("pandalm_result").is_some() {
        Ok(FileKind::Verdicts)
    } else if rec.get("response1").is_some() {
        Ok(FileKind::TestSet)
    } else {
        Err(rec.err(
            "response1",
            "neither a test-set record (`response1`, `annotator1`…) nor a verdict \
             (`gpt_result` / `pandalm_result`)",
        ))
    }
}

/// The judge name a verdict file is published under: its file name up to `-testset`
/// (`gpt-3.5-turbo-testset-v1.json` → `gpt-3.5-turbo`, `pandalm-7b-testset-v1.json` → `pandalm-7b`), or
/// its stem when the name has no `-testset`.
pub fn judge_of_file(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    if let Some((judge, _)) = name.split_once("-testset") {
        return judge.to_owned();
    }
    name.rsplit_once('.')
        .map_or(name, |(stem, _)| stem)
        .to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use Preference::*;

    #[test]
    fn majority_tie_break() {
        assert_eq!(majority(&[A, B, B]), Some(B));
        assert_eq!(majority(&[Tie, A, B]), Some(Tie));
        assert_eq!(majority(&[B, A, Tie]), Some(B));
        assert_eq!(majority(&[]), None);
    }

    #[test]
    fn join() {
        let t = serde_json::json!([{"idx": 0, "instruction": "I", "input": "", "response1": "r1", "response2": "r2",
            "annotator1": 2, "annotator2": 2, "annotator3": 0}]);
        let mut pairs = import_testset(t.to_string().as_bytes(), "t.json").unwrap();
        assert_eq!(pairs[0].human_preference(), Some(B));
        let g = serde_json::json!([{"idx": 0, "gpt_result": "garbage", "gpt_reason": "?"}]);
        attach_verdicts(
            &mut pairs,
            g.to_string().as_bytes(),
            "g.json",
            "gpt-3.5-turbo",
        )
        .unwrap();
        assert_eq!(pairs[0].verdicts[0].verdict, None);
        let bad = serde_json::json!([{"idx": 5, "pandalm_result": 1}]);
        assert!(matches!(
            attach_verdicts(&mut pairs, bad.to_string().as_bytes(), "p.json", "p"),
            Err(ImportError::Mismatch { .. })
        ));
    }

    #[test]
    fn kinds_and_judge_names() {
        let t = br#"[{"idx": 0, "instruction": "I", "response1": "a", "response2": "b", "annotator1": 0, "annotator2": 0, "annotator3": 0}]"#;
        assert_eq!(file_kind(t, "t.json").unwrap(), FileKind::TestSet);
        let g = br#"[{"idx": 0, "gpt_result": "1"}]"#;
        assert_eq!(file_kind(g, "g.json").unwrap(), FileKind::Verdicts);
        // An empty array holds no records: refused (the reading policy), not taken for a test set.
        assert!(file_kind(b"[]", "e.json").is_err());
        let e = file_kind(br#"[{"idx": 0}]"#, "x.json").unwrap_err();
        assert!(
            e.to_string().contains("x.json") && e.to_string().contains("record 0"),
            "{e}"
        );
        assert!(file_kind(b"{", "bad.json").is_err());
        assert_eq!(
            judge_of_file("data/gpt-3.5-turbo-testset-v1.json"),
            "gpt-3.5-turbo"
        );
        assert_eq!(
            judge_of_file("C:\\d\\pandalm-7b-testset-v1.json"),
            "pandalm-7b"
        );
        assert_eq!(judge_of_file("my-judge.json"), "my-judge");
    }
}
