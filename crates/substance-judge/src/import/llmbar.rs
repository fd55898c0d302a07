//! LLMBar (`princeton-nlp/LLMBar/Dataset`): `dataset.json` = `[{input, output_1, output_2, label}]` with
//! `label` 1 or 2 (the output that follows the instruction); an evaluator's `result.json` adds `results`,
//! whose **last** element holds `{"swap = False": {completion: [text, finish_reason], winner},
//! "swap = True": {…}}` (Rating evaluators have scores instead of completions). LLMBar stores the
//! swapped game's winner already mapped back to the original order; here each verdict is stored as the
//! judge said it (presented orientation, `swapped` set), so re-parsing `raw` must reproduce it.
//!
//! In the adversarial subsets the non-gold output is the adversarially built distractor, recorded in
//! `meta.distractor` (`"A"`/`"B"`) for style-vs-substance statistics.

use serde_json::Value;

use super::{Loc, Rec, parse_json_array, utf8};
use crate::ImportError;
use crate::label::{Preference, Side, Verdict};
use crate::pair::{JudgedPair, RecordedVerdict};

/// Import an LLMBar `dataset.json` or `result.json`. `subset` names the source in ids
/// (`Natural`, `Adversarial/Neighbor`, …); `evaluator` names the judge configuration of a result file
/// (`GPT-4/CoT`); `adversarial` marks the non-gold output as the distractor.
pub fn import(
    bytes: &[u8],
    file: &str,
    subset: &str,
    evaluator: Option<&str>,
    adversarial: bool,
) -> Result<Vec<JudgedPair>, ImportError> {
    let text = utf8(bytes, file)?;
    let (judge, mode) = match evaluator.and_then(|e| e.split_once('/')) {
        Some((j, m)) => (j.to_owned(), m.to_owned()),
        None => (evaluator.unwrap_or("unknown").to_owned(), String::new()),
    };
    let mut out = Vec::new();
    for (i, v) in parse_json_array(text, file)?.iter().enumerate() {
        let rec = Rec::new(file, Loc::Record(i), v)?;
        let mut pair = JudgedPair::new(
            &format!("llmbar/{subset}/{i}"),
            rec.str("input")?,
            rec.str("output_1")?,
            Some(rec.str("output_2")?),
        );
        let gold = match rec.value("label")? {
            Value::Number(n) if n.as_i64() == Some(1) => Side::A,
            Value::Number(n) if n.as_i64() == Some(2) => Side::B,
            other => return Err(rec.err("label", format!("expected 1 or 2, found {other}"))),
        };
        pair.human_label = Some(Verdict::preference_of(gold.preference()));
        pair.meta.insert("subset".into(), Value::from(subset));
        if adversarial {
            let d = gold.other();
            pair.meta.insert(
                "distractor".into(),
                Value::from(if d == Side::A { "A" } else { "B" }),
            );
        }
        if let Some(results) = rec.get("results") {
            let Some(last) = results.as_array().and_then(|a| a.last()) else {
                return Err(rec.err("results", "expected a non-empty array"));
            };
            for (key, swapped) in [("swap = False", false), ("swap = True", true)] {
                let field = format!("results[-1].{key}");
                let Some(game) = last.get(key) else {
                    return Err(rec.err(&field, "missing"));
                };
                let winner = match game.get("winner") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) if s == "1" => Some(Preference::A),
                    Some(Value::String(s)) if s == "2" => Some(Preference::B),
                    Some(other) => {
                        return Err(rec.err(
                            &format!("{field}.winner"),
                            format!("expected \"1\", \"2\" or null, found {other}"),
                        ));
                    }
                };
                let presented = winner.map(|w| w.swap_if(swapped));
                let mut rv = RecordedVerdict::new(
                    &judge,
                    &format!("llmbar/{}", if mode.is_empty() { "unknown" } else { &mode }),
                    swapped,
                    presented.map(Verdict::preference_of),
                );
                if let Some(c) = game.get("completion") {
                    match c {
                        Value::Array(a) => {
                            rv.raw = a.first().and_then(Value::as_str).map(str::to_owned);
                            if let Some(fr) = a.get(1).and_then(Value::as_str) {
                                rv.meta.insert("finish_reason".into(), Value::from(fr));
                            }
                        }
                        Value::String(s) => rv.raw = Some(s.clone()),
                        _ => {
                            return Err(rec.err(
                                &format!("{field}.completion"),
                                "expected [text, finish_reason]",
                            ));
                        }
                    }
                }
                rv.meta.insert(
                    "recorded_winner".into(),
                    game.get("winner").cloned().unwrap_or(Value::Null),
                );
                pair.verdicts.push(rv);
            }
            pair.meta
                .insert("evaluator".into(), Value::from(evaluator.unwrap_or("")));
        }
        out.push(pair);
    }
    Ok(out)
}

/// Where an LLMBar file sits in the published `Dataset` tree, read from its path:
/// `…/<subset>/dataset.json` or `…/<subset>/evaluators/<judge>/<mode>/result.json`, where `<subset>` is
/// `Natural`, `Adversarial/<name>` or a case-study folder. These are the `subset`, `evaluator` and
/// `adversarial` arguments of [`import`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLayout {
    /// `Natural`, `Adversarial/Neighbor`, … (the parent folder's name, or the file stem of a bare name).
    pub subset: String,
    /// `<judge>/<mode>` for a result file under `evaluators/`.
    pub evaluator: Option<String>,
    /// The subset sits under an `Adversarial` folder.
    pub adversarial: bool,
}

/// The [`FileLayout`] of `path` (either separator).
pub fn layout_of(path: &str) -> FileLayout {
    let parts: Vec<&str> = path
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let (subset_end, evaluator) = match parts.iter().rposition(|p| *p == "evaluators") {
        Some(e) if e + 3 < parts.len() => (e, Some(format!("{}/{}", parts[e + 1], parts[e + 2]))),
        _ => (parts.len().saturating_sub(1), None),
    };
    if subset_end == 0 {
        let name = parts.last().copied().unwrap_or_default();
        let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
        return FileLayout {
            subset: stem.to_owned(),
            evaluator,
            adversarial: false,
        };
    }
    let name = parts[subset_end - 1];
    let adversarial = subset_end >= 2 && parts[subset_end - 2] == "Adversarial";
    FileLayout {
        subset: if adversarial {
            format!("Adversarial/{name}")
        } else {
            name.to_owned()
        },
        evaluator,
        adversarial,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn result_layout() {
        let doc = serde_json::json!([{"input": "q", "output_1": "a", "output_2": "b", "label": 2, "results": [
            {"swap = False": {"completion": ["Output (b)", "stop"], "winner": "2"},
             "swap = True": {"completion": ["Output (a)", "stop"], "winner": "2"}}]}]);
        let p = import(
            doc.to_string().as_bytes(),
            "r.json",
            "Adversarial/Manual",
            Some("GPT-4/Vanilla"),
            true,
        )
        .unwrap()
        .remove(0);
        assert_eq!(p.human_preference(), Some(Preference::B));
        assert_eq!(p.meta["distractor"], "A");
        assert_eq!(
            p.verdicts[1].verdict,
            Some(Verdict::preference_of(Preference::A))
        );
        assert_eq!(p.verdicts[1].preference(), Some(Preference::B));
        assert_eq!(p.verdicts[0].judge, "GPT-4");
        assert_eq!(p.verdicts[0].protocol, "llmbar/Vanilla");
        let e = import(
            b"[{\"input\": \"q\", \"output_1\": \"a\", \"output_2\": \"b\", \"label\": 3}]",
            "d.json",
            "x",
            None,
            false,
        )
        .unwrap_err();
        assert!(e.to_string().contains("record 0: field `label`"), "{e}");
    }

    #[test]
    fn layout_from_paths() {
        let l =
            layout_of("/d/llmbar/LLMBar/Adversarial/GPTOut/evaluators/GPT-4/Swap_CoT/result.json");
        assert_eq!(
            l,
            FileLayout {
                subset: "Adversarial/GPTOut".into(),
                evaluator: Some("GPT-4/Swap_CoT".into()),
                adversarial: true
            }
        );
        let l = layout_of("LLMBar\\Natural\\evaluators\\LLaMA2\\CoT\\result.json");
        assert_eq!(
            (l.subset.as_str(), l.evaluator.as_deref(), l.adversarial),
            ("Natural", Some("LLaMA2/CoT"), false)
        );
        let l = layout_of("CaseStudy/Base_10/dataset.json");
        assert_eq!(
            (l.subset.as_str(), l.evaluator, l.adversarial),
            ("Base_10", None, false)
        );
        let l = layout_of("Adversarial/Manual/dataset.json");
        assert_eq!(
            (l.subset.as_str(), l.adversarial),
            ("Adversarial/Manual", true)
        );
        let l = layout_of("results.json");
        assert_eq!(
            (l.subset.as_str(), l.evaluator, l.adversarial),
            ("results", None, false)
        );
        // `evaluators` without judge and mode below it is not an evaluator folder.
        let l = layout_of("x/evaluators/result.json");
        assert_eq!((l.subset.as_str(), l.evaluator), ("evaluators", None));
        assert_eq!(layout_of("").subset, "");
    }
}
