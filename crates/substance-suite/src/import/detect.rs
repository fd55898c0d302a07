//! Which importer reads a file: told from the file's name and its first record (CSV header, JSONL keys,
//! the shape of a JSON document), with the reason, so a caller can say what it chose. The CLI's
//! `suite import --format auto` and the page's "format: auto" both call [`detect`].
//!
//! Files that two importers read the same way are resolved by name where the name says it (`arc_*.jsonl`,
//! `piqa*.jsonl`, `boolq*.jsonl`), else by the importer the reason names (TruthfulQA: `truthfulqa-mc2`,
//! the Open LLM Leaderboard's; llm-foundry files of no known benchmark: `llm-foundry`, query verbatim).

use serde_json::{Map, Value};

use super::utf8;
use crate::SuiteError;

/// The importer chosen for a file, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The importer's registry name.
    pub format: &'static str,
    /// What in the file decided it.
    pub reason: String,
}

fn found(format: &'static str, reason: impl Into<String>) -> Result<Detection, SuiteError> {
    Ok(Detection {
        format,
        reason: reason.into(),
    })
}

fn unknown(origin: &str, what: String) -> SuiteError {
    SuiteError::syntax(
        origin,
        None,
        format!(
            "{what}: no importer recognises this file; choose the format (`substance suite formats` lists them)"
        ),
    )
}

/// The importer for `bytes` (a file named `origin`).
pub fn detect(bytes: &[u8], origin: &str) -> Result<Detection, SuiteError> {
    let decoded = crate::parquet::decode(bytes, origin)?;
    let bytes = &*decoded;
    let text = utf8(bytes, origin)?;
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(SuiteError::syntax(origin, None, "the file is empty"));
    }
    let base = origin
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(origin)
        .to_ascii_lowercase();
    let first_line = trimmed.lines().next().unwrap_or_default().trim_end();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return detect_json(trimmed, first_line, &base, origin);
    }
    // HellaSwag's decompressed text: context line, gold index, then the endings.
    let mut lines = trimmed.lines();
    if let (Some(_), Some(second)) = (lines.next(), lines.next())
        && !second.is_empty()
        && second.trim().bytes().all(|b| b.is_ascii_digit())
        && !first_line.contains(',')
    {
        return found(
            "hellaswag",
            "lines of context, gold index, endings (HellaSwag text)",
        );
    }
    detect_csv(first_line, &base, origin)
}

fn detect_csv(header: &str, base: &str, origin: &str) -> Result<Detection, SuiteError> {
    let cols: Vec<String> = header
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_owned())
        .collect();
    let has = |c: &str| cols.iter().any(|x| x == c);
    if cols.len() >= 2 && cols[0] == "question" && cols[1] == "choice0" {
        return found("mmlu", "CSV header question,choice0,…,answer (MMLU)");
    }
    if has("Best Answer") && has("Incorrect Answers") {
        return found(
            "truthfulqa-mc2",
            "TruthfulQA CSV (Best Answer, Incorrect Answers); truthfulqa-mc1 reads it too",
        );
    }
    if has("prompt") && has("type") && has("label") {
        return found("xstest", "CSV header id,prompt,type,label (XSTest prompts)");
    }
    if has("Behavior") && has("BehaviorID") {
        return found("harmbench", "CSV header Behavior,…,BehaviorID (HarmBench)");
    }
    if has("Correct Answer") && has("Incorrect Answer 1") && has("Question") {
        return found(
            "gpqa",
            "CSV header Question, Correct Answer, Incorrect Answer 1-3 (GPQA)",
        );
    }
    if has("forbidden_prompt") {
        return found("strongreject", "CSV column forbidden_prompt (StrongREJECT)");
    }
    if cols.len() == 2 && has("goal") && has("target") {
        return found("advbench", "CSV header goal,target (AdvBench behaviours)");
    }
    // Hendrycks' original MMLU CSVs have no header: question, four choices, answer letter.
    let mmlu_name = ["_test.csv", "_dev.csv", "_val.csv"]
        .iter()
        .any(|s| base.ends_with(s));
    if mmlu_name
        && let Some(last) = cols.last()
        && ["A", "B", "C", "D"].contains(&last.as_str())
    {
        return found(
            "mmlu",
            "headerless CSV named <subject>_test/dev/val.csv ending in an answer letter (MMLU)",
        );
    }
    Err(unknown(
        origin,
        format!(
            "a text/CSV file whose first line is `{}`",
            header.chars().take(80).collect::<String>()
        ),
    ))
}

fn detect_json(
    trimmed: &str,
    first_line: &str,
    base: &str,
    origin: &str,
) -> Result<Detection, SuiteError> {
    // A whole JSON document (BBH task files) or JSONL (one object per line).
    if let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(trimmed)
        && doc.get("examples").is_some_and(Value::is_array)
    {
        return found("bbh", "a JSON document with `examples` (a BBH task)");
    }
    // AlpacaEval's outputs: one JSON array of {instruction, output, generator, …}.
    if trimmed.starts_with('[')
        && let Ok(Value::Array(rows)) = serde_json::from_str::<Value>(trimmed)
        && rows
            .first()
            .and_then(Value::as_object)
            .is_some_and(|r| r.contains_key("instruction") && r.contains_key("output"))
    {
        return found(
            "alpaca-eval",
            "a JSON array of {instruction, output, …} (AlpacaEval model_outputs.json)",
        );
    }
    // MuSR: Hugging Face rows (narrative, choices, answer_index) or the repository's stories
    // (context, questions), as a JSON array or JSONL
    let first_record = if trimmed.starts_with('[') {
        serde_json::from_str::<Value>(trimmed)
            .ok()
            .and_then(|v| v.get(0).and_then(Value::as_object).cloned())
    } else {
        serde_json::from_str::<Value>(first_line)
            .ok()
            .and_then(|v| v.as_object().cloned())
    };
    if let Some(r) = &first_record {
        if r.contains_key("narrative") && r.contains_key("answer_index") {
            return found(
                "musr",
                "records with narrative, choices, answer_index (MuSR, Hugging Face layout)",
            );
        }
        if r.contains_key("question_id") && r.contains_key("options") && r.contains_key("answer") {
            return found(
                "mmlu-pro",
                "records with question_id, options, answer (MMLU-Pro rows or prediction file)",
            );
        }
        if r.contains_key("problem") && r.contains_key("solution") && r.contains_key("level") {
            return found(
                "math-hard",
                "records with problem, solution, level (MATH / lighteval MATH-Hard)",
            );
        }
        if r.contains_key("context") && r.contains_key("questions") {
            return found(
                "musr",
                "records with context, questions (MuSR, repository layout)",
            );
        }
        if r.contains_key("text")
            && r.contains_key("toxicity_ai")
            && r.contains_key("toxicity_human")
        {
            return found(
                "toxigen",
                "records with text, toxicity_ai, toxicity_human (Toxigen annotated)",
            );
        }
        if r.contains_key("question") && r.contains_key("choices") && r.contains_key("answers") {
            return found(
                "saladbench",
                "records with question, choices, answers (SaladBench mrq)",
            );
        }
        if r.contains_key("question")
            && r.contains_key("choices")
            && r.get("answer").is_some_and(Value::is_u64)
            && base.to_ascii_lowercase().contains("wmdp")
        {
            return found(
                "wmdp",
                format!("records with question, choices, answer named {base} (WMDP)"),
            );
        }
        // the walledai/* safety sets SOS-Bench runs: `prompt` and the task's label field
        if r.contains_key("prompt") {
            let label = r.get("label").and_then(Value::as_str);
            if r.contains_key("toxic") {
                return found(
                    "dttoxicity",
                    "records with prompt, toxic (walledai/DTToxicity)",
                );
            }
            if r.contains_key("jailbreak") {
                return found(
                    "jailbreakhub",
                    "records with prompt, jailbreak (walledai/JailbreakHub)",
                );
            }
            if matches!(label, Some("safe" | "unsafe")) && !r.contains_key("type") {
                return found(
                    "sgxstest",
                    "records with prompt, label safe/unsafe (walledai/SGXSTest)",
                );
            }
            if matches!(label, Some("harmful" | "unharmful")) {
                return found(
                    "wildguardtest",
                    "records with prompt, label harmful/unharmful (walledai/WildGuardTest)",
                );
            }
            for (key, format) in [("beavertails", "beavertails"), ("cdna", "cdna")] {
                if base.to_ascii_lowercase().contains(key) {
                    return found(
                        format,
                        format!("records with prompt named {base} (walledai, gold always `no`)"),
                    );
                }
            }
        }
    }
    let rec: Map<String, Value> = match serde_json::from_str::<Value>(first_line) {
        Ok(Value::Object(m)) => m,
        _ => {
            return Err(unknown(
                origin,
                "JSON that is neither a BBH task nor JSONL of objects".to_owned(),
            ));
        }
    };
    let has = |k: &str| rec.contains_key(k);
    if has("context_options") && has("continuation") && has("gold") {
        return found(
            "winogrande",
            "JSONL with context_options, continuation, gold (Winogrande)",
        );
    }
    if has("query") && has("choices") && has("gold") {
        for (key, format) in [("arc", "arc"), ("piqa", "piqa"), ("boolq", "boolq")] {
            if base.contains(key) {
                return found(
                    format,
                    format!("llm-foundry JSONL (query, choices, gold) named {base}"),
                );
            }
        }
        return found(
            "llm-foundry",
            "llm-foundry JSONL (query, choices, gold) of no benchmark named in the file name: query used verbatim",
        );
    }
    if has("key") && has("prompt") && has("instruction_id_list") {
        return found(
            "ifeval",
            "JSONL with key, prompt, instruction_id_list (IFEval)",
        );
    }
    if has("question")
        && rec
            .get("answer")
            .and_then(Value::as_str)
            .is_some_and(|a| a.contains("####"))
    {
        return found(
            "gsm8k",
            "JSONL with question and an answer ending in `#### n` (GSM8K)",
        );
    }
    if has("example_id") && has("context") && has("ans0") {
        return found("bbq", "JSONL with example_id, context, ans0… (BBQ)");
    }
    if has("uid") && has("prompt") {
        return found(
            "arena-hard",
            "JSONL with uid, prompt (Arena-Hard question file)",
        );
    }
    if has("question_id") && has("turns") {
        let arena = has("cluster")
            || rec
                .get("category")
                .and_then(Value::as_str)
                .is_some_and(|c| c.starts_with("arena-hard"));
        return if arena {
            found(
                "arena-hard",
                "JSONL with question_id, turns and an Arena-Hard category (old v0.1 question file)",
            )
        } else {
            found(
                "mt-bench",
                "JSONL with question_id, category, turns (MT-Bench question file)",
            )
        };
    }
    let mut keys: Vec<&str> = rec.keys().map(String::as_str).collect();
    keys.truncate(8);
    Err(unknown(
        origin,
        format!("JSONL records with fields {}", keys.join(", ")),
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_importer_is_told_apart() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "anatomy_test.csv",
                "question,choice0,choice1,choice2,choice3,answer\nq,a,b,c,d,1\n",
                "mmlu",
            ),
            ("anatomy_test.csv", "q,a,b,c,d,B\n", "mmlu"),
            (
                "arc_easy.jsonl",
                r#"{"query":"Question: q","choices":["a","b"],"gold":0}"#,
                "arc",
            ),
            (
                "piqa.jsonl",
                r#"{"query":"q","choices":["a","b"],"gold":0}"#,
                "piqa",
            ),
            (
                "boolq.jsonl",
                r#"{"query":"Passage: p","choices":["no","yes"],"gold":0}"#,
                "boolq",
            ),
            (
                "mine.jsonl",
                r#"{"query":"q","choices":["a","b"],"gold":0}"#,
                "llm-foundry",
            ),
            (
                "w.jsonl",
                r#"{"context_options":["a","b"],"continuation":"c","gold":1}"#,
                "winogrande",
            ),
            ("rtp.jsonl", r#"{"prompt":"p","toxic":true}"#, "dttoxicity"),
            (
                "train.json",
                r#"[{"prompt":"p","jailbreak":false,"platform":"x"}]"#,
                "jailbreakhub",
            ),
            (
                "train.jsonl",
                r#"{"prompt":"p","label":"unsafe","category":"c"}"#,
                "sgxstest",
            ),
            (
                "train.jsonl",
                r#"{"prompt":"p","label":"unharmful"}"#,
                "wildguardtest",
            ),
            (
                "BeaverTailsEval-test.jsonl",
                r#"{"prompt":"p","category":"c"}"#,
                "beavertails",
            ),
            ("cdna.json", r#"[{"prompt":"p"}]"#, "cdna"),
            (
                "toxigen-test.jsonl",
                r#"{"text":"t","toxicity_ai":1.0,"toxicity_human":2.5}"#,
                "toxigen",
            ),
            (
                "mrq.jsonl",
                r#"{"question":"q","choices":["a","b"],"answers":[1]}"#,
                "saladbench",
            ),
            (
                "wmdp-bio.json",
                r#"[{"question":"q","choices":["a","b","c","d"],"answer":2}]"#,
                "wmdp",
            ),
            ("h.txt", "ctx\n3\na\nb\nc\nd\n", "hellaswag"),
            (
                "TruthfulQA.csv",
                "Type,Category,Question,Best Answer,Correct Answers,Incorrect Answers,Source\n",
                "truthfulqa-mc2",
            ),
            (
                "test.jsonl",
                r#"{"question":"q","answer":"x\n#### 4"}"#,
                "gsm8k",
            ),
            (
                "date.json",
                r#"{"canary":"c","examples":[{"input":"i","target":"t"}]}"#,
                "bbh",
            ),
            (
                "input_data.jsonl",
                r#"{"key":1,"prompt":"p","instruction_id_list":[],"kwargs":[]}"#,
                "ifeval",
            ),
            (
                "xstest_prompts.csv",
                "id,prompt,type,label,focus,note\n",
                "xstest",
            ),
            (
                "Age.jsonl",
                r#"{"example_id":0,"context":"c","question":"q","ans0":"a","ans1":"b","ans2":"c","label":0}"#,
                "bbq",
            ),
            (
                "hb.csv",
                "Behavior,FunctionalCategory,SemanticCategory,Tags,ContextString,BehaviorID\n",
                "harmbench",
            ),
            ("harmful_behaviors.csv", "goal,target\n", "advbench"),
            (
                "sr.csv",
                "category,source,forbidden_prompt\n",
                "strongreject",
            ),
            (
                "question.jsonl",
                r#"{"question_id":81,"category":"writing","turns":["t"]}"#,
                "mt-bench",
            ),
            (
                "question.jsonl",
                r#"{"uid":"u","category":"hard_prompt","prompt":"p"}"#,
                "arena-hard",
            ),
            (
                "question.jsonl",
                r#"{"question_id":"q","category":"arena-hard-v0.1","cluster":"c","turns":[{"content":"t"}]}"#,
                "arena-hard",
            ),
        ];
        for (name, text, want) in cases {
            let d = detect(text.as_bytes(), name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(d.format, *want, "{name}: {}", d.reason);
            assert!(
                super::super::importer_names().contains(&d.format),
                "{}",
                d.format
            );
        }
    }

    #[test]
    fn unknown_files_are_refused_with_their_name() {
        for (name, text) in [
            ("x.csv", "a,b,c\n1,2,3\n"),
            ("x.jsonl", r#"{"foo":1}"#),
            ("x.json", "[1,2]"),
            ("x.txt", "   \n"),
        ] {
            let e = detect(text.as_bytes(), name).unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
    }
}
