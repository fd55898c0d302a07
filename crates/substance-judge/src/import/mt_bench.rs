//! FastChat MT-Bench files (SPEC §4).
//!
//! - Single-grade judgments (`model_judgment/gpt-4_single.jsonl`): `{question_id, model, judge: [judge,
//!   prompt name], user_prompt, judgment, score, turn, tstamp}` → a single-answer pair per (model,
//!   question, turn); verdict = [`Verdict::Rating`] of the recorded `score`, `-1` → no verdict.
//! - Pairwise judgments (`gpt-4_pair.jsonl`): `{question_id, model_1, model_2, g1_winner, g2_winner,
//!   judge, g1_user_prompt, g1_judgment, g2_user_prompt, g2_judgment, turn, tstamp}`; winners are model
//!   names' slots (`model_1`/`model_2`/`tie`/`error`). Pair: `answer_a` = model_1. Game 1 is unswapped,
//!   game 2 swapped; each verdict is stored as the judge said it (presented orientation).
//! - Human judgments (`lmsys/mt_bench_human_judgments`, JSON array or JSONL): `{question_id, model_a,
//!   model_b, winner, judge, conversation_a?, conversation_b?, turn}` → one pair per vote with the vote as
//!   `human_label` (`tie (bothbad)` counts as a tie, as `compute_agreement.py` does).
//!
//! Question and answer texts come from an optional [`MtBenchTexts`] (questions, model answers, reference
//! answers); without it they are left empty (the rendered `user_prompt` is kept in the verdict's meta).

use std::collections::HashMap;

use serde_json::Value;

use super::{Loc, Rec, parse_jsonl, parse_records, utf8};
use crate::ImportError;
use crate::label::{Preference, Verdict};
use crate::pair::{JudgedPair, RecordedVerdict};

/// Questions, model answers and reference answers, keyed by question id (as text).
#[derive(Debug, Clone, Default)]
pub struct MtBenchTexts {
    /// question id → (category, turns).
    pub questions: HashMap<String, (String, Vec<String>)>,
    /// (model, question id) → answer turns (first choice).
    pub answers: HashMap<(String, String), Vec<String>>,
    /// question id → reference answer turns.
    pub references: HashMap<String, Vec<String>>,
}

fn answer_turns(rec: &Rec<'_>) -> Result<Vec<String>, ImportError> {
    let choices = rec.array("choices")?;
    let first = choices
        .first()
        .and_then(|c| c.get("turns"))
        .and_then(Value::as_array)
        .ok_or_else(|| rec.err("choices[0].turns", "expected an array of turns"))?;
    first
        .iter()
        .enumerate()
        .map(|(i, t)| match t {
            Value::String(s) => Ok(s.clone()),
            // Arena-Hard's older layout: {"content": …}
            Value::Object(o) => o
                .get("content")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| rec.err(&format!("choices[0].turns[{i}]"), "expected a string")),
            _ => Err(rec.err(&format!("choices[0].turns[{i}]"), "expected a string")),
        })
        .collect()
}

impl MtBenchTexts {
    /// Add `question.jsonl` (`{question_id, category, turns}`).
    pub fn add_questions(&mut self, bytes: &[u8], file: &str) -> Result<(), ImportError> {
        for (line, v) in parse_jsonl(utf8(bytes, file)?, file)? {
            let rec = Rec::new(file, Loc::Line(line), &v)?;
            let id = rec.id("question_id")?;
            let category = rec.opt_str("category")?.unwrap_or("").to_owned();
            let turns = rec
                .array("turns")?
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    t.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| rec.err(&format!("turns[{i}]"), "expected a string"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            self.questions.insert(id, (category, turns));
        }
        Ok(())
    }

    /// Add a model-answer file (`{question_id, model_id, choices: [{turns}]}`). `model` overrides the
    /// recorded `model_id` (FastChat names judgments by the file name).
    pub fn add_answers(
        &mut self,
        bytes: &[u8],
        file: &str,
        model: Option<&str>,
    ) -> Result<(), ImportError> {
        for (line, v) in parse_jsonl(utf8(bytes, file)?, file)? {
            let rec = Rec::new(file, Loc::Line(line), &v)?;
            let id = rec.id("question_id")?;
            let m = match model {
                Some(m) => m.to_owned(),
                None => rec.str("model_id")?.to_owned(),
            };
            self.answers.insert((m, id), answer_turns(&rec)?);
        }
        Ok(())
    }

    /// Add a reference-answer file (same layout as model answers).
    pub fn add_references(&mut self, bytes: &[u8], file: &str) -> Result<(), ImportError> {
        for (line, v) in parse_jsonl(utf8(bytes, file)?, file)? {
            let rec = Rec::new(file, Loc::Line(line), &v)?;
            let id = rec.id("question_id")?;
            self.references.insert(id, answer_turns(&rec)?);
        }
        Ok(())
    }

    fn question(&self, qid: &str, turn: usize) -> (String, Option<String>) {
        match self.questions.get(qid) {
            Some((cat, turns)) => (
                turns
                    .get(turn.saturating_sub(1))
                    .cloned()
                    .unwrap_or_default(),
                (!cat.is_empty()).then(|| cat.clone()),
            ),
            None => (String::new(), None),
        }
    }

    fn answer(&self, model: &str, qid: &str, turn: usize) -> String {
        self.answers
            .get(&(model.to_owned(), qid.to_owned()))
            .and_then(|t| t.get(turn.saturating_sub(1)))
            .cloned()
            .unwrap_or_default()
    }

    fn reference(&self, qid: &str, turn: usize) -> Option<String> {
        self.references
            .get(qid)?
            .get(turn.saturating_sub(1))
            .cloned()
    }
}

fn judge_of(rec: &Rec<'_>) -> Result<(String, String), ImportError> {
    match rec.value("judge")? {
        Value::Array(a) => Ok((
            a.first().and_then(Value::as_str).unwrap_or("").to_owned(),
            a.get(1).and_then(Value::as_str).unwrap_or("").to_owned(),
        )),
        Value::String(s) => Ok((s.clone(), String::new())),
        other => Err(rec.err(
            "judge",
            format!(
                "expected [judge, prompt] or a string, found {}",
                super::kind(other)
            ),
        )),
    }
}

fn turn_of(rec: &Rec<'_>) -> Result<usize, ImportError> {
    match rec.get("turn") {
        None | Some(Value::Null) => Ok(1),
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|t| (1..=16).contains(t))
            .map(|t| t as usize)
            .ok_or_else(|| rec.err("turn", "expected a small positive integer")),
        Some(other) => Err(rec.err(
            "turn",
            format!("expected a number, found {}", super::kind(other)),
        )),
    }
}

fn fill(
    pair: &mut JudgedPair,
    texts: Option<&MtBenchTexts>,
    qid: &str,
    turn: usize,
    models: &[&str],
) {
    pair.meta.insert("question_id".into(), Value::from(qid));
    pair.meta.insert("turn".into(), Value::from(turn));
    let Some(t) = texts else { return };
    let (q, cat) = t.question(qid, turn);
    pair.question = q;
    if let Some(c) = cat {
        pair.meta.insert("category".into(), Value::from(c));
    }
    pair.reference = t.reference(qid, turn);
    if let Some(m) = models.first() {
        pair.answer_a = t.answer(m, qid, turn);
    }
    if let (Some(m), Some(b)) = (models.get(1), pair.answer_b.as_mut()) {
        *b = t.answer(m, qid, turn);
    }
}

/// Import single-grade judgments.
pub fn import_single(
    bytes: &[u8],
    file: &str,
    texts: Option<&MtBenchTexts>,
) -> Result<Vec<JudgedPair>, ImportError> {
    let mut out = Vec::new();
    for (line, v) in parse_jsonl(utf8(bytes, file)?, file)? {
        let rec = Rec::new(file, Loc::Line(line), &v)?;
        let qid = rec.id("question_id")?;
        let model = rec.str("model")?;
        let (judge, prompt) = judge_of(&rec)?;
        let turn = turn_of(&rec)?;
        let score = rec
            .opt_f64("score")?
            .ok_or_else(|| rec.err("score", "missing or null"))?;
        let mut pair = JudgedPair::new(&format!("{model}/{qid}/turn{turn}"), "", "", None);
        fill(&mut pair, texts, &qid, turn, &[model]);
        pair.meta.insert("model".into(), Value::from(model));
        let verdict = (score != -1.0).then_some(Verdict::Rating { rating: score });
        let mut rv =
            RecordedVerdict::new(&judge, &format!("mt-bench-single/{prompt}"), false, verdict);
        rv.raw = rec.opt_str("judgment")?.map(str::to_owned);
        if let Some(up) = rec.opt_str("user_prompt")? {
            rv.meta.insert("user_prompt".into(), Value::from(up));
        }
        rv.meta.insert("prompt".into(), Value::from(prompt));
        pair.verdicts.push(rv);
        out.push(pair);
    }
    Ok(out)
}

fn slot_winner(rec: &Rec<'_>, field: &str) -> Result<Option<Preference>, ImportError> {
    match rec.str(field)? {
        "model_1" => Ok(Some(Preference::A)),
        "model_2" => Ok(Some(Preference::B)),
        "tie" => Ok(Some(Preference::Tie)),
        "error" => Ok(None),
        other => Err(rec.err(
            field,
            format!("unknown winner `{other}` (model_1, model_2, tie, error)"),
        )),
    }
}

/// Import pairwise judgments.
pub fn import_pair(
    bytes: &[u8],
    file: &str,
    texts: Option<&MtBenchTexts>,
) -> Result<Vec<JudgedPair>, ImportError> {
    let mut out = Vec::new();
    for (line, v) in parse_jsonl(utf8(bytes, file)?, file)? {
        let rec = Rec::new(file, Loc::Line(line), &v)?;
        let qid = rec.id("question_id")?;
        let m1 = rec.str("model_1")?;
        let m2 = rec.str("model_2")?;
        let (judge, prompt) = judge_of(&rec)?;
        let turn = turn_of(&rec)?;
        let mut pair = JudgedPair::new(&format!("{m1}/{m2}/{qid}/turn{turn}"), "", "", Some(""));
        fill(&mut pair, texts, &qid, turn, &[m1, m2]);
        pair.meta.insert("model_1".into(), Value::from(m1));
        pair.meta.insert("model_2".into(), Value::from(m2));
        for (g, swapped) in [("g1", false), ("g2", true)] {
            // Recorded winners are in model terms; store them as the judge saw them.
            let w = slot_winner(&rec, &format!("{g}_winner"))?.map(|p| p.swap_if(swapped));
            let mut rv = RecordedVerdict::new(
                &judge,
                &format!("mt-bench-pair/{prompt}"),
                swapped,
                w.map(Verdict::preference_of),
            );
            rv.raw = rec.opt_str(&format!("{g}_judgment"))?.map(str::to_owned);
            if let Some(up) = rec.opt_str(&format!("{g}_user_prompt"))? {
                rv.meta.insert("user_prompt".into(), Value::from(up));
            }
            pair.verdicts.push(rv);
        }
        out.push(pair);
    }
    Ok(out)
}

fn last_assistant(v: Option<&Value>, turn: usize) -> String {
    let Some(Value::Array(msgs)) = v else {
        return String::new();
    };
    msgs.iter()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
        .nth(turn.saturating_sub(1))
        .and_then(|m| m.get("content")?.as_str())
        .unwrap_or("")
        .to_owned()
}

fn nth_user(v: Option<&Value>, turn: usize) -> Option<String> {
    let Value::Array(msgs) = v? else { return None };
    msgs.iter()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .nth(turn.saturating_sub(1))
        .and_then(|m| m.get("content")?.as_str())
        .map(str::to_owned)
}

/// Import human (or GPT-4) votes in the `mt_bench_human_judgments` layout.
pub fn import_votes(bytes: &[u8], file: &str) -> Result<Vec<JudgedPair>, ImportError> {
    let mut out = Vec::new();
    for (loc, v) in parse_records(utf8(bytes, file)?, file)? {
        let rec = Rec::new(file, loc, &v)?;
        let qid = rec.id("question_id")?;
        let ma = rec.str("model_a")?;
        let mb = rec.str("model_b")?;
        let turn = turn_of(&rec)?;
        let winner = rec.str("winner")?;
        let pref = match winner {
            "model_a" => Preference::A,
            "model_b" => Preference::B,
            w if w.contains("tie") => Preference::Tie,
            other => return Err(rec.err("winner", format!("unknown winner `{other}`"))),
        };
        let judge = match rec.value("judge")? {
            Value::String(s) => s.clone(),
            Value::Array(a) => a
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("/"),
            other => {
                return Err(rec.err(
                    "judge",
                    format!("expected a string, found {}", super::kind(other)),
                ));
            }
        };
        let ca = rec.get("conversation_a");
        let question = nth_user(ca, turn).unwrap_or_default();
        let mut pair = JudgedPair::new(
            &format!("{ma}/{mb}/{qid}/turn{turn}/{judge}"),
            &question,
            &last_assistant(ca, turn),
            Some(&last_assistant(rec.get("conversation_b"), turn)),
        );
        pair.human_label = Some(Verdict::preference_of(pref));
        pair.meta.insert("question_id".into(), Value::from(qid));
        pair.meta.insert("turn".into(), Value::from(turn));
        pair.meta.insert("model_a".into(), Value::from(ma));
        pair.meta.insert("model_b".into(), Value::from(mb));
        pair.meta.insert("judge".into(), Value::from(judge));
        pair.meta.insert("winner".into(), Value::from(winner));
        out.push(pair);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pair_layout() {
        let l = serde_json::json!({"question_id": 81, "model_1": "x", "model_2": "y", "g1_winner": "model_1",
            "g2_winner": "model_1", "judge": ["gpt-4", "pair-v2"], "g1_judgment": "[[A]]", "g2_judgment": "[[B]]", "turn": 1});
        let p = import_pair(l.to_string().as_bytes(), "p.jsonl", None)
            .unwrap()
            .remove(0);
        assert_eq!(
            p.verdicts[0].verdict,
            Some(Verdict::preference_of(Preference::A))
        );
        assert_eq!(
            p.verdicts[1].verdict,
            Some(Verdict::preference_of(Preference::B))
        );
        assert_eq!(p.verdicts[1].preference(), Some(Preference::A));
        let bad = l
            .to_string()
            .replace("\"g2_winner\":\"model_1\"", "\"g2_winner\":\"zzz\"");
        let e = import_pair(bad.as_bytes(), "p.jsonl", None).unwrap_err();
        assert!(e.to_string().contains("g2_winner"), "{e}");
    }

    #[test]
    fn votes_layout() {
        let doc = serde_json::json!([{"question_id": 81, "model_a": "x", "model_b": "y", "winner": "tie (bothbad)",
            "judge": "expert_0", "turn": 2,
            "conversation_a": [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"},
                                {"role": "user", "content": "q2"}, {"role": "assistant", "content": "a2"}]}]);
        let p = import_votes(doc.to_string().as_bytes(), "h.json")
            .unwrap()
            .remove(0);
        assert_eq!(p.human_preference(), Some(Preference::Tie));
        assert_eq!((p.question.as_str(), p.answer_a.as_str()), ("q2", "a2"));
    }
}
