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
