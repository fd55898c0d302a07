//! Arena-Hard-Auto judgment files (SPEC §2.1), one JSON object per line.
//!
//! - **v0.1** `{question_id, model, judge, games: [{user_prompt, judgment, score}, …]}`: game 0 shows the
//!   baseline as Assistant A, game 1 the model. The pair is oriented `answer_a` = baseline,
//!   `answer_b` = model; question and answers are recovered from the recorded `user_prompt`
//!   ([`split_user_prompt`]). A game's verdict is its recorded `score` (`null` = no label); when the
//!   `score` key is absent the `judgment` is re-parsed with the v0.1 rule.
//! - **v2** `{uid, category, judge, model, baseline, games: [{score, judgment: {answer, …}, prompt:
//!   [messages]} | null, …]}`: same orientation; the user message of `prompt` is split the same way; a
//!   missing `score` is re-parsed from `judgment.answer` with the v2 rule.

use serde_json::Value;

use super::{Loc, Rec, parse_jsonl, utf8};
use crate::ImportError;
use crate::label::Verdict;
use crate::pair::{JudgedPair, RecordedVerdict};
use crate::protocol::arena::{parse_v01, parse_v2, split_user_prompt};

fn verdict_from_score(
    rec: &Rec<'_>,
    field: &str,
    game: &serde_json::Map<String, Value>,
    reparse: impl Fn() -> Option<String>,
) -> Result<(Option<Verdict>, bool), ImportError> {
    match game.get("score") {
        None => Ok((reparse().map(|label| Verdict::Arena { label }), true)),
        Some(Value::Null) => Ok((None, false)),
        Some(Value::String(s)) => Ok((Some(Verdict::Arena { label: s.clone() }), false)),
        Some(other) => Err(rec.err(
            field,
            format!(
                "expected a label string or null, found {}",
                super::kind(other)
            ),
        )),
    }
}

/// Import a v0.1 judgment file. `baseline` names the baseline model (it is not recorded in the file).
pub fn import_v01(
    bytes: &[u8],
    file: &str,
    baseline: &str,
) -> Result<Vec<JudgedPair>, ImportError> {
    let text = utf8(bytes, file)?;
    let mut out = Vec::new();
    for (line, v) in parse_jsonl(text, file)? {
        let rec = Rec::new(file, Loc::Line(line), &v)?;
        let qid = rec.id("question_id")?;
        let model = rec.str("model")?;
        let judge = rec.str("judge")?;
        let games = rec.array("games")?;
        let mut pair = JudgedPair::new(&format!("{model}/{qid}"), "", "", Some(""));
        let mut texts = None;
        for (i, g) in games.iter().enumerate() {
            let field = format!("games[{i}]");
            let Some(game) = g.as_object() else {
                return Err(rec.err(&field, "expected an object"));
            };
            let judgment = match game.get("judgment") {
                Some(Value::String(s)) => s.as_str(),
                None | Some(Value::Null) => "",
                Some(_) => return Err(rec.err(&format!("{field}.judgment"), "expected a string")),
            };
            let (verdict, reparsed) =
                verdict_from_score(&rec, &format!("{field}.score"), game, || {
                    parse_v01(judgment).label
                })?;
            let swapped = i % 2 == 1;
            let mut rv = RecordedVerdict::new(judge, "arena-hard-v0.1", swapped, verdict);
            rv.raw = Some(judgment.to_owned());
            rv.meta.insert("game".into(), Value::from(i));
            if reparsed {
                rv.meta.insert("reparsed".into(), Value::Bool(true));
            }
            if let Some(Value::String(up)) = game.get("user_prompt") {
                if texts.is_none() {
                    texts = split_user_prompt(up).map(|p| {
                        if swapped {
                            (p.question, p.answer_b, p.answer_a)
                        } else {
                            (p.question, p.answer_a, p.answer_b)
                        }
                    });
                }
            }
            pair.verdicts.push(rv);
        }
        if let Some((q, a, b)) = texts {
            pair.question = q;
            pair.answer_a = a;
            pair.answer_b = Some(b);
        } else {
            pair.meta.insert(
                "texts".into(),
                Value::from("unavailable: no parsable user_prompt"),
            );
        }
        pair.meta.insert("question_id".into(), Value::from(qid));
        pair.meta.insert("model".into(), Value::from(model));
        pair.meta.insert("baseline".into(), Value::from(baseline));
        pair.meta.insert("judge".into(), Value::from(judge));
        out.push(pair);
    }
    Ok(out)
}

/// Import a v2 judgment file.
pub fn import_v2(bytes: &[u8], file: &str) -> Result<Vec<JudgedPair>, ImportError> {
    let text = utf8(bytes, file)?;
    let mut out = Vec::new();
    for (line, v) in parse_jsonl(text, file)? {
        let rec = Rec::new(file, Loc::Line(line), &v)?;
        let uid = rec.id("uid")?;
        let model = rec.str("model")?;
        let judge = rec.str("judge")?;
        let baseline = rec.str("baseline")?;
        let category = rec.opt_str("category")?;
        let games = rec.array("games")?;
        let mut pair = JudgedPair::new(&format!("{model}/{uid}"), "", "", Some(""));
        let mut texts = None;
        for (i, g) in games.iter().enumerate() {
            let field = format!("games[{i}]");
            let swapped = i % 2 == 1;
            let mut rv = RecordedVerdict::new(judge, "arena-hard-v2", swapped, None);
            rv.meta.insert("game".into(), Value::from(i));
            match g {
                Value::Null => {
                    rv.meta.insert("game_missing".into(), Value::Bool(true));
                }
                Value::Object(game) => {
                    let answer = match game.get("judgment") {
                        Some(Value::Object(j)) => match j.get("answer") {
                            Some(Value::String(s)) => Some(s.as_str()),
                            None | Some(Value::Null) => None,
                            Some(_) => {
                                return Err(rec.err(
                                    &format!("{field}.judgment.answer"),
                                    "expected a string",
                                ));
                            }
                        },
                        Some(Value::String(s)) => Some(s.as_str()),
                        None | Some(Value::Null) => None,
                        Some(_) => {
                            return Err(rec.err(
                                &format!("{field}.judgment"),
                                "expected an object or string",
                            ));
                        }
                    };
                    let (verdict, reparsed) =
                        verdict_from_score(&rec, &format!("{field}.score"), game, || {
                            answer.and_then(parse_v2)
                        })?;
                    rv.verdict = verdict;
                    rv.raw = answer.map(str::to_owned);
                    if reparsed {
                        rv.meta.insert("reparsed".into(), Value::Bool(true));
                    }
                    if let Some(Value::Array(msgs)) = game.get("prompt") {
                        let user = msgs.iter().rev().find_map(|m| {
                            (m.get("role")?.as_str()? == "user")
                                .then(|| m.get("content")?.as_str())?
                        });
                        if let (None, Some(u)) = (&texts, user) {
                            texts = split_user_prompt(u).map(|p| {
                                if swapped {
                                    (p.question, p.answer_b, p.answer_a)
                                } else {
                                    (p.question, p.answer_a, p.answer_b)
                                }
                            });
                        }
                    }
                }
                _ => return Err(rec.err(&field, "expected an object or null")),
            }
            pair.verdicts.push(rv);
        }
        if let Some((q, a, b)) = texts {
            pair.question = q;
            pair.answer_a = a;
            pair.answer_b = Some(b);
        } else {
            pair.meta.insert(
                "texts".into(),
                Value::from("unavailable: no parsable prompt"),
            );
        }
        pair.meta.insert("uid".into(), Value::from(uid));
        pair.meta.insert("model".into(), Value::from(model));
        pair.meta.insert("baseline".into(), Value::from(baseline));
        pair.meta.insert("judge".into(), Value::from(judge));
        if let Some(c) = category {
            pair.meta.insert("category".into(), Value::from(c));
        }
        out.push(pair);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::Preference;

    fn user(q: &str, a: &str, b: &str) -> String {
        format!(
            "<|User Prompt|>\n{q}\n\n<|The Start of Assistant A's Answer|>\n{a}\n<|The End of Assistant A's Answer|>\n\n<|The Start of Assistant B's Answer|>\n{b}\n<|The End of Assistant B's Answer|>"
        )
    }

    #[test]
    fn v01_layout() {
        let l1 = serde_json::json!({
            "question_id": "q1", "model": "m", "judge": "gpt-4-1106-preview",
            "games": [
                {"user_prompt": user("Q", "base", "mod"), "judgment": "... [[B>A]]", "score": "B>A"},
                {"user_prompt": user("Q", "mod", "base"), "judgment": "... [[A>>B]]"},
            ]
        });
        let l2 = serde_json::json!({"question_id": 7, "model": "m", "judge": "j", "games": [{"judgment": "x", "score": null}]});
        let text = format!("{l1}\n\n{l2}\n");
        let pairs = import_v01(text.as_bytes(), "m.jsonl", "gpt-4-0314").unwrap();
        assert_eq!(pairs.len(), 2);
        let p = &pairs[0];
        assert_eq!(
            (
                p.question.as_str(),
                p.answer_a.as_str(),
                p.answer_b.as_deref()
            ),
            ("Q", "base", Some("mod"))
        );
        assert_eq!(p.verdicts[0].preference(), Some(Preference::B));
        assert_eq!(p.verdicts[1].preference(), Some(Preference::B)); // model first said A>>B
        assert_eq!(p.verdicts[1].meta.get("reparsed"), Some(&Value::Bool(true)));
        assert_eq!(pairs[1].verdicts[0].verdict, None);
        assert_eq!(pairs[1].id, "m/7");
        let e = import_v01(b"{\"question_id\": 1, \"model\": \"m\", \"judge\": \"j\", \"games\": [{\"score\": 3}]}", "f", "b").unwrap_err();
        assert!(e.to_string().contains("f:1: field `games[0].score`"), "{e}");
    }

    #[test]
    fn v2_layout() {
        let l = serde_json::json!({
            "uid": "u", "category": "hard_prompt", "judge": "gpt-4.1", "model": "m", "baseline": "o3-mini",
            "games": [
                {"score": "A>B", "judgment": {"answer": "[[A>B]]"}, "prompt": [{"role": "system", "content": "s"}, {"role": "user", "content": user("Q", "base", "mod")}]},
                null
            ]
        });
        let pairs = import_v2(l.to_string().as_bytes(), "v2.jsonl").unwrap();
        assert_eq!(pairs[0].answer_b.as_deref(), Some("mod"));
        assert_eq!(pairs[0].verdicts[0].preference(), Some(Preference::A));
        assert_eq!(pairs[0].verdicts[1].verdict, None);
        assert_eq!(pairs[0].meta["category"], "hard_prompt");
    }
}

// ── the other way: a model's answers to judge, and the judgments written as the upstream file ───────

/// The pairs that judge `model`'s Arena-Hard answers against `baseline`'s, v0.1 orientation (`answer_a` =
/// the baseline, shown first in game 0): one per question the model answered, in question order, with
/// `meta` `question_id`, `model` and `baseline`. `questions` are `(id, prompt)` in file order; answers map
/// question id → text. A model answer to no listed question, or a question the model answered and the
/// baseline did not, is an error naming it (never a pair dropped without a word); questions the model did
/// not answer (a run with a limit) are simply not judged, and the caller reports how many.
pub fn pairs_to_judge(
    questions: &[(String, String)],
    baseline: (&str, &std::collections::BTreeMap<String, String>),
    model: (&str, &std::collections::BTreeMap<String, String>),
) -> Result<Vec<JudgedPair>, ImportError> {
    let (base_name, base) = baseline;
    let (model_name, answers) = model;
    let files_error = |message: String| ImportError::Files { message };
    if let Some(id) = answers
        .keys()
        .find(|id| !questions.iter().any(|(q, _)| q == *id))
    {
        return Err(files_error(format!(
            "{model_name}: an answer to question `{id}`, which the question file does not have"
        )));
    }
    let mut out = Vec::new();
    for (id, prompt) in questions {
        let Some(answer) = answers.get(id) else {
            continue;
        };
        let Some(base_answer) = base.get(id) else {
            return Err(files_error(format!(
                "question `{id}`: {model_name} answered it but the baseline {base_name} did not"
            )));
        };
        let mut pair = JudgedPair::new(
            &format!("{model_name}/{id}"),
            prompt,
            base_answer,
            Some(answer),
        );
        pair.meta
            .insert("question_id".into(), Value::from(id.as_str()));
        pair.meta.insert("model".into(), Value::from(model_name));
        pair.meta.insert("baseline".into(), Value::from(base_name));
        out.push(pair);
    }
    if out.is_empty() {
        return Err(files_error(format!(
            "{model_name}: no answers to judge (none of its answers matches a question)"
        )));
    }
    Ok(out)
}

/// The Arena-Hard v0.1 judgment file of one model (`model_judgment/<judge>/<model>.jsonl`) from pairs
/// made by [`pairs_to_judge`] and judged with the `arena-hard-v0.1` protocol by `judge_id`: one line
/// per pair `{question_id, model, judge, games: [{user_prompt, judgment, score}, …]}` in game order, with
/// `score` the parsed label or `null`, exactly what [`import_v01`] and the leaderboard read back.
pub fn judgment_file_v01(
    pairs: &[JudgedPair],
    judge_id: &str,
) -> Result<String, crate::JudgeError> {
    let judge = crate::Judge::new(crate::JudgeProtocol::ArenaHardV01);
    let games = judge.games();
    let mut out = String::new();
    for pair in pairs {
        let meta = |k: &str| {
            pair.meta
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| crate::JudgeError::BadInput {
                    protocol: "arena-hard-v0.1",
                    message: format!(
                        "pair {}: no `{k}` in its meta (made by pairs_to_judge?)",
                        pair.id
                    ),
                })
        };
        let mut lines = Vec::new();
        for game in &games {
            let v = pair
                .verdicts
                .iter()
                .find(|v| {
                    v.judge == judge_id
                        && v.protocol == "arena-hard-v0.1"
                        && v.meta.get("game").and_then(Value::as_u64) == Some(game.index as u64)
                })
                .ok_or_else(|| crate::JudgeError::BadInput {
                    protocol: "arena-hard-v0.1",
                    message: format!(
                        "pair {}: no verdict of {judge_id} for game {}",
                        pair.id, game.index
                    ),
                })?;
            let rendered = judge.render(&pair.judge_input(), *game)?;
            let user_prompt = rendered
                .messages
                .iter()
                .rev()
                .find(|m| m.role == "user")
                .map(|m| m.content.clone())
                .unwrap_or_default();
            let score = match &v.verdict {
                Some(Verdict::Arena { label }) => Value::from(label.as_str()),
                _ => Value::Null,
            };
            lines.push(serde_json::json!({
                "user_prompt": user_prompt,
                "judgment": v.raw.clone().unwrap_or_default(),
                "score": score,
            }));
        }
        let line = serde_json::json!({
            "question_id": meta("question_id")?,
            "model": meta("model")?,
            "judge": judge_id,
            "games": lines,
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod round_trip_tests {
    use std::collections::BTreeMap;

    use super::*;

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn judged_pairs_written_and_read_back() {
        let questions = vec![
            ("q1".to_owned(), "What is 2+2?".to_owned()),
            ("q2".to_owned(), "Name a prime.".to_owned()),
            ("q3".to_owned(), "Unanswered.".to_owned()),
        ];
        let base = answers(&[("q1", "4"), ("q2", "7"), ("q3", "x")]);
        let model = answers(&[("q1", "Four."), ("q2", "9")]);
        let mut pairs = pairs_to_judge(&questions, ("base", &base), ("m", &model)).unwrap();
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[0].answer_a, "4");
        for (p, labels) in pairs.iter_mut().zip([["B>A", "A>B"], ["A>>B", "nothing"]]) {
            for (g, text) in labels.iter().enumerate() {
                let reply = format!("My verdict: [[{text}]]");
                let parsed = crate::protocol::arena::parse_v01(&reply).label;
                let mut v = RecordedVerdict::new(
                    "judge-x",
                    "arena-hard-v0.1",
                    g == 1,
                    parsed.map(|label| Verdict::Arena { label }),
                );
                v.raw = Some(reply);
                v.meta.insert("game".into(), Value::from(g));
                p.verdicts.push(v);
            }
        }
        let file = judgment_file_v01(&pairs, "judge-x").unwrap();
        let back = import_v01(file.as_bytes(), "judge-x/m.jsonl", "base").unwrap();
        assert_eq!(back.len(), 2);
        for (a, b) in pairs.iter().zip(&back) {
            assert_eq!(b.id, a.id);
            assert_eq!(
                (&b.question, &b.answer_a, &b.answer_b),
                (&a.question, &a.answer_a, &a.answer_b)
            );
            let labels = |p: &JudgedPair| {
                p.verdicts
                    .iter()
                    .map(|v| v.verdict.clone())
                    .collect::<Vec<_>>()
            };
            assert_eq!(labels(b), labels(a));
        }
        // A null game stays null.
        assert!(file.lines().nth(1).unwrap().contains(r#""score":null"#));
        // An answer the baseline lacks, or to an unknown question, is refused with its id.
        let e = pairs_to_judge(
            &questions,
            ("base", &answers(&[("q1", "4")])),
            ("m", &model),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("q2") && e.contains("base"), "{e}");
        let e = pairs_to_judge(&questions, ("base", &base), ("m", &answers(&[("q9", "?")])))
            .unwrap_err()
            .to_string();
        assert!(e.contains("q9"), "{e}");
    }
}
