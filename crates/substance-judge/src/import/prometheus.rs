//! Prometheus-eval benchmark sets (`prometheus-eval/eval/benchmark/data`).
//!
//! - **Auto-J pairwise** (`autoj_pairwise.json`, JSON Lines): `{scenario, label, prompt, "response 1",
//!   "response 2"}` with Auto-J's labels `0` = response 1 better, `1` = response 2 better, `2` = tie.
//! - **HHH alignment** (`hhh_alignment_eval.json`, JSON array): `{source, chosen_instruction,
//!   rejected_instruction}`, each a full Prometheus absolute-grading prompt around one response. The
//!   instruction, rubric and the two responses are cut out of the prompt sections
//!   (`###The instruction to evaluate:`, `###Response to evaluate:`, `###Reference Answer (Score 5):`,
//!   `###Score Rubrics:`); `answer_a` = chosen, `answer_b` = rejected, so the gold label is always A
//!   (swap the pair to balance positions).
//! - **Absolute grading** (`mt_bench_eval.json`, `vicuna_eval.json`, JSON array): `{idx, response_source,
//!   category, instruction, gpt4_score: [s₁, s₂, s₃], gpt4_feedback: [f₁, f₂, f₃]}` → a single-answer
//!   item with the reference answer from the prompt and three GPT-4 [`Verdict::Rating`]s.

use serde_json::Value;

use super::{Rec, kind, parse_records, utf8};
use crate::ImportError;
use crate::label::{Preference, Verdict};
use crate::pair::{JudgedPair, RecordedVerdict};

const INSTRUCTION: &str = "###The instruction to evaluate:\n";
const RESPONSE: &str = "\n\n###Response to evaluate:\n";
const REFERENCE: &str = "\n\n###Reference Answer (Score 5):\n";
const RUBRIC: &str = "\n\n###Score Rubrics:\n";
const FEEDBACK: &str = "\n\n###Feedback:";

/// The sections of a Prometheus absolute-grading prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsolutePrompt {
    /// The instruction (question).
    pub instruction: String,
    /// The response to evaluate.
    pub response: String,
    /// The score-5 reference answer, when present.
    pub reference: Option<String>,
    /// The score rubric.
    pub rubric: String,
}

/// Cut a Prometheus absolute-grading prompt into its sections; `None` when the layout differs.
pub fn split_absolute_prompt(prompt: &str) -> Option<AbsolutePrompt> {
    let (_, rest) = prompt.split_once(INSTRUCTION)?;
    let (instruction, rest) = rest.split_once(RESPONSE)?;
    let (before_rubric, rest) = rest.rsplit_once(RUBRIC)?;
    let rubric = rest.rsplit_once(FEEDBACK).map_or(rest, |(r, _)| r);
    let (response, reference) = match before_rubric.rsplit_once(REFERENCE) {
        Some((resp, r)) => (resp, Some(r.to_owned())),
        None => (before_rubric, None),
    };
    Some(AbsolutePrompt {
        instruction: instruction.to_owned(),
        response: response.to_owned(),
        reference,
        rubric: rubric.to_owned(),
    })
}

/// Import Auto-J's pairwise test set.
pub fn import_autoj_pairwise(bytes: &[u8], file: &str) -> Result<Vec<JudgedPair>, ImportError> {
    let mut out = Vec::new();
    for (n, (loc, v)) in parse_records(utf8(bytes, file)?, file)?
        .into_iter()
        .enumerate()
    {
        let rec = Rec::new(file, loc, &v)?;
        let label = match rec.value("label")? {
            Value::Number(x) => match x.as_i64() {
                Some(0) => Preference::A,
                Some(1) => Preference::B,
                Some(2) => Preference::Tie,
                _ => return Err(rec.err("label", format!("expected 0, 1 or 2, found {x}"))),
            },
            other => {
                return Err(rec.err("label", format!("expected a number, found {}", kind(other))));
            }
        };
        let mut pair = JudgedPair::new(
            &format!("autoj/{n}"),
            rec.str("prompt")?,
            rec.str("response 1")?,
            Some(rec.str("response 2")?),
        );
        pair.human_label = Some(Verdict::preference_of(label));
        if let Some(s) = rec.opt_str("scenario")? {
            pair.meta.insert("scenario".into(), Value::from(s));
        }
        out.push(pair);
    }
    Ok(out)
}

/// Import the HHH alignment set.
pub fn import_hhh(bytes: &[u8], file: &str) -> Result<Vec<JudgedPair>, ImportError> {
    let mut out = Vec::new();
    for (n, (loc, v)) in parse_records(utf8(bytes, file)?, file)?
        .into_iter()
        .enumerate()
    {
        let rec = Rec::new(file, loc, &v)?;
        let chosen = split_absolute_prompt(rec.str("chosen_instruction")?).ok_or_else(|| {
            rec.err(
                "chosen_instruction",
                "not a Prometheus absolute-grading prompt",
            )
        })?;
        let rejected =
            split_absolute_prompt(rec.str("rejected_instruction")?).ok_or_else(|| {
                rec.err(
                    "rejected_instruction",
                    "not a Prometheus absolute-grading prompt",
                )
            })?;
        let mut pair = JudgedPair::new(
            &format!("hhh/{n}"),
            &chosen.instruction,
            &chosen.response,
            Some(&rejected.response),
        );
        pair.human_label = Some(Verdict::preference_of(Preference::A));
        pair.reference = chosen.reference;
        pair.meta
            .insert("rubric".into(), Value::from(chosen.rubric));
        if let Some(s) = rec.opt_str("source")? {
            pair.meta.insert("source".into(), Value::from(s));
        }
        out.push(pair);
    }
    Ok(out)
}

/// Import an absolute-grading set (MT-Bench or Vicuna bench with GPT-4 scores).
pub fn import_absolute(bytes: &[u8], file: &str) -> Result<Vec<JudgedPair>, ImportError> {
    let mut out = Vec::new();
    for (n, (loc, v)) in parse_records(utf8(bytes, file)?, file)?
        .into_iter()
        .enumerate()
    {
        let rec = Rec::new(file, loc, &v)?;
        let parts = split_absolute_prompt(rec.str("instruction")?)
            .ok_or_else(|| rec.err("instruction", "not a Prometheus absolute-grading prompt"))?;
        let source = rec.opt_str("response_source")?.unwrap_or("");
        let idx = match rec.get("idx") {
            Some(_) => rec.id("idx")?,
            None => n.to_string(),
        };
        let mut pair = JudgedPair::new(
            &format!("{source}/{idx}"),
            &parts.instruction,
            &parts.response,
            None,
        );
        pair.reference = parts.reference;
        let scores = rec.array("gpt4_score")?;
        let feedback = match rec.get("gpt4_feedback") {
            Some(Value::Array(a)) => a.as_slice(),
            _ => &[],
        };
        for (i, s) in scores.iter().enumerate() {
            let rating = s.as_f64().ok_or_else(|| {
                rec.err(
                    &format!("gpt4_score[{i}]"),
                    format!("expected a number, found {}", kind(s)),
                )
            })?;
            let mut rv = RecordedVerdict::new(
                "gpt-4",
                "prometheus-absolute",
                false,
                Some(Verdict::Rating { rating }),
            );
            rv.raw = feedback.get(i).and_then(Value::as_str).map(str::to_owned);
            rv.meta.insert("sample".into(), Value::from(i));
            pair.verdicts.push(rv);
        }
        pair.meta.insert("rubric".into(), Value::from(parts.rubric));
        for k in ["category", "response_source"] {
            if let Some(s) = rec.opt_str(k)? {
                pair.meta.insert(k.into(), Value::from(s));
            }
        }
        out.push(pair);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sections() {
        let p = "###Task Description:\nx\n\n###The instruction to evaluate:\nQ?\n\n###Response to evaluate:\nR\n\n\
                 ###Reference Answer (Score 5):\nRef\n\n###Score Rubrics:\n[crit]\nScore 1: bad\n\n###Feedback: ";
        let s = split_absolute_prompt(p).unwrap();
        assert_eq!((s.instruction.as_str(), s.response.as_str()), ("Q?", "R"));
        assert_eq!(s.reference.as_deref(), Some("Ref"));
        assert_eq!(s.rubric, "[crit]\nScore 1: bad");
        assert!(split_absolute_prompt("nothing").is_none());
        let line = serde_json::json!({"scenario": "s", "label": 2, "prompt": "p", "response 1": "a", "response 2": "b"});
        let pairs =
            import_autoj_pairwise(format!("{line}\n{line}\n").as_bytes(), "autoj.json").unwrap();
        assert_eq!(pairs[1].human_preference(), Some(Preference::Tie));
    }
}
