//! The one shape every recorded judgment is imported into: [`JudgedPair`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::label::{Preference, Verdict};
use crate::protocol::JudgeInput;

/// One verdict a judge gave on a pair (or on one answer), as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedVerdict {
    /// The judge (`gpt-4`, `gpt-3.5-turbo`, `PandaLM-7B`, `weighted_alpaca_eval_gpt4_turbo`, …).
    pub judge: String,
    /// Which protocol/prompt produced it (`arena-hard-v0.1`, `mt-bench-single`, `llmbar/GPT-4/CoT`, …).
    pub protocol: String,
    /// The judge saw the answers in reverse order (answer B first).
    #[serde(default)]
    pub swapped: bool,
    /// The verdict in the orientation the judge saw; `None` when the judge gave none.
    pub verdict: Option<Verdict>,
    /// The judge's raw output, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// Anything else recorded with it (the rendered prompt, the recorded score field, timestamps…).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, Value>,
}

impl RecordedVerdict {
    /// A verdict with no raw text and no metadata.
    pub fn new(judge: &str, protocol: &str, swapped: bool, verdict: Option<Verdict>) -> Self {
        RecordedVerdict {
            judge: judge.to_owned(),
            protocol: protocol.to_owned(),
            swapped,
            verdict,
            raw: None,
            meta: BTreeMap::new(),
        }
    }

    /// The preference as the judge said it (the orientation it was shown): the raw reply re-parsed by
    /// the protocol's own parser when `protocol` names a protocol of this crate and the reply was
    /// recorded, else the recorded verdict's generic reading (files whose protocol is only a label, e.g.
    /// LLMBar's `llmbar/Vanilla`).
    pub fn said_preference(&self) -> Option<Preference> {
        if let (Ok(protocol), Some(raw)) = (
            self.protocol.parse::<crate::JudgeProtocol>(),
            self.raw.as_deref(),
        ) {
            let judge = crate::Judge::new(protocol);
            return judge.preference(judge.parse(raw).verdict.as_ref());
        }
        self.verdict.as_ref().and_then(Verdict::preference)
    }

    /// The generic 3-class preference mapped back to the pair's orientation (A = `answer_a`).
    pub fn preference(&self) -> Option<Preference> {
        self.verdict
            .as_ref()
            .and_then(Verdict::preference)
            .map(|p| p.swap_if(self.swapped))
    }
}

/// A judged pair: question, answer A, answer B (absent for single-answer grading), optional reference,
/// the judges' verdicts, the human (gold) label and the human votes it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgedPair {
    /// Stable id within its source (`llmbar/Natural/17`, `pandalm/42`, …).
    pub id: String,
    /// The user question / instruction (with its input, when the source has one).
    pub question: String,
    /// The first answer.
    pub answer_a: String,
    /// The second answer; `None` for single-answer grading (MT-Bench single, XSTest, Prometheus absolute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_b: Option<String>,
    /// A reference answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The judges' verdicts.
    #[serde(default)]
    pub verdicts: Vec<RecordedVerdict>,
    /// The human / gold label (`Preference` for pairs, `Category` for XSTest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub human_label: Option<Verdict>,
    /// The individual human votes the label was derived from (PandaLM's three annotators, XSTest's two).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub human_votes: Vec<Verdict>,
    /// Source-specific fields (model names, category, dataset subset…).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, Value>,
}

impl JudgedPair {
    /// A pair with no verdicts, label or metadata.
    pub fn new(id: &str, question: &str, answer_a: &str, answer_b: Option<&str>) -> Self {
        JudgedPair {
            id: id.to_owned(),
            question: question.to_owned(),
            answer_a: answer_a.to_owned(),
            answer_b: answer_b.map(str::to_owned),
            reference: None,
            verdicts: Vec::new(),
            human_label: None,
            human_votes: Vec::new(),
            meta: BTreeMap::new(),
        }
    }

    /// The human label as a 3-class preference, when it is one.
    pub fn human_preference(&self) -> Option<Preference> {
        self.human_label.as_ref().and_then(Verdict::preference)
    }

    /// The verdicts of one judge, in recorded order.
    pub fn verdicts_by<'a>(
        &'a self,
        judge: &'a str,
    ) -> impl Iterator<Item = &'a RecordedVerdict> + 'a {
        self.verdicts.iter().filter(move |v| v.judge == judge)
    }

    /// The first verdict of `judge` on the given orientation.
    pub fn verdict(&self, judge: &str, swapped: bool) -> Option<&RecordedVerdict> {
        self.verdicts
            .iter()
            .find(|v| v.judge == judge && v.swapped == swapped)
    }

    /// The judge input for this pair (one answer when `answer_b` is absent).
    pub fn judge_input(&self) -> JudgeInput {
        let mut answers = vec![self.answer_a.clone()];
        if let Some(b) = &self.answer_b {
            answers.push(b.clone());
        }
        JudgeInput {
            question: self.question.clone(),
            answers,
            reference: self.reference.clone(),
            category: self
                .meta
                .get("category")
                .and_then(Value::as_str)
                .map(str::to_owned),
            second_turn: None,
        }
    }

    /// The pair with answers A and B exchanged, every verdict's orientation flag flipped (so each still
    /// describes the same judge output) and a preference-valued human label and votes mirrored.
    pub fn swapped(&self) -> Option<JudgedPair> {
        let b = self.answer_b.clone()?;
        let mirror = |v: &Verdict| match v {
            Verdict::Preference { winner } => Verdict::Preference {
                winner: winner.swapped(),
            },
            other => other.clone(),
        };
        let mut p = self.clone();
        p.answer_a = b;
        p.answer_b = Some(self.answer_a.clone());
        for v in &mut p.verdicts {
            v.swapped = !v.swapped;
        }
        p.human_label = self.human_label.as_ref().map(mirror);
        p.human_votes = self.human_votes.iter().map(mirror).collect();
        Some(p)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn said_preference_reparses_known_protocols_and_reads_labels_otherwise() {
        let b = Some(Verdict::preference_of(Preference::B));
        let mut v = RecordedVerdict::new("gpt-4", "llmbar/Vanilla", true, b.clone());
        v.raw = Some("Output (b)".into());
        assert_eq!(v.said_preference(), Some(Preference::B));
        // A protocol of this crate: the raw reply decides (its parser), not the stored verdict.
        let mut v = RecordedVerdict::new("gpt-4", "mt-bench-pair", false, b);
        v.raw = Some("Assistant A is better. [[A]]".into());
        assert_eq!(v.said_preference(), Some(Preference::A));
        v.raw = Some("no verdict here".into());
        assert_eq!(v.said_preference(), None);
    }

    #[test]
    fn swapping_keeps_meaning() {
        let mut p = JudgedPair::new("x", "q", "a", Some("b"));
        p.verdicts.push(RecordedVerdict::new(
            "j",
            "t",
            false,
            Some(Verdict::preference_of(Preference::A)),
        ));
        p.human_label = Some(Verdict::preference_of(Preference::A));
        let s = p.swapped().unwrap();
        assert_eq!(s.answer_a, "b");
        assert_eq!(s.verdicts[0].preference(), Some(Preference::B));
        assert_eq!(s.human_preference(), Some(Preference::B));
        assert_eq!(s.swapped().unwrap(), p);
        assert!(JudgedPair::new("y", "q", "a", None).swapped().is_none());
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<JudgedPair>(&json).unwrap(), p);
    }
}
