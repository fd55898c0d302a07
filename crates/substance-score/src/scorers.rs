//! The scorer registry.
//!
//! Adding a scorer: implement [`Scorer`] in this file (or a new module), add one line to [`REGISTRY`],
//! and add rows to `tests/scorer_cases.json`.

use std::collections::BTreeMap;

use serde_json::json;
use substance_core::{ChoiceLogLik, Item, OutputType, Response, Score, SuiteSpec};
use substance_metrics::{extract, mc};

use crate::ScoreError;

/// Metrics produced by one scorer on one item, by metric name.
pub type Scores = BTreeMap<String, Score>;

/// A named, pure scoring rule.
pub trait Scorer: Sync {
    /// Registry name (what suites write in `scorers = [...]`).
    fn name(&self) -> &'static str;
    /// Which suites it applies to.
    fn output_type(&self) -> OutputType;
    /// One-line description for `substance suite show` and the docs.
    fn describe(&self) -> &'static str;
    /// Score one response.
    fn score(&self, item: &Item, response: &Response) -> Result<Scores, ScoreError>;
}

/// Every scorer of this build.
pub static REGISTRY: &[&dyn Scorer] = &[
    &McScorer {
        name: "acc",
        rule: McRule::Acc,
    },
    &McScorer {
        name: "acc_norm",
        rule: McRule::AccNorm,
    },
    &McScorer {
        name: "acc_bytes",
        rule: McRule::AccBytes,
    },
    &McScorer {
        name: "mc1",
        rule: McRule::Mc1,
    },
    &McScorer {
        name: "mc2",
        rule: McRule::Mc2,
    },
    &McScorer {
        name: "acc_mutual_info",
        rule: McRule::MutualInfo,
    },
    &McScorer {
        name: "brier_score",
        rule: McRule::Brier,
    },
    &McScorer {
        name: "greedy_match",
        rule: McRule::Greedy,
    },
    &ExactMatch {
        name: "exact_match",
        rule: Extract::Whole,
    },
    &ExactMatch {
        name: "exact_match_gsm8k",
        rule: Extract::Gsm8k,
    },
    &ExactMatch {
        name: "exact_match_last_number",
        rule: Extract::LastNumber,
    },
    &ExactMatch {
        name: "exact_match_math",
        rule: Extract::MathBoxed,
    },
    &MathHard,
    &IfevalScorer,
    &JudgeGraded {
        name: "arena_hard",
        what: "Arena-Hard: judged pairwise against a baseline's answers",
    },
    &JudgeGraded {
        name: "mt_bench",
        what: "MT-Bench: graded by an LLM judge",
    },
    &JudgeGraded {
        name: "alpaca_eval",
        what: "AlpacaEval: judged against a reference model's outputs by an LLM annotator",
    },
];

/// The Open LLM Leaderboard's MATH-hard (`leaderboard_math_*_hard`, lm-eval at the commit SOS-Bench ran):
/// the answer of `Final Answer: The final answer is … . I hope it is correct.` (else `[invalidanswer]`),
/// Minerva-normalised, against the item's `target` (the normalised box of the reference solution, as the
/// importer `math-hard` writes it). The task decides equality with sympy (`parse_latex` + `simplify`);
/// [`extract::math_hard_equiv`] decides the cases that need no computer-algebra system. An item it cannot
/// decide gets no `exact_match` — the aggregate is over the decided items, its `n` says how many — and
/// `exact_match_not_computed` = 1 with the two strings, so the summary says what share was left out.
struct MathHard;

impl Scorer for MathHard {
    fn name(&self) -> &'static str {
        "exact_match_math_hard"
    }
    fn output_type(&self) -> OutputType {
        OutputType::Generate
    }
    fn describe(&self) -> &'static str {
        "MATH-hard (Open LLM Leaderboard): the Minerva final answer, normalised, equal to the target as sympy would decide it; items that need a computer-algebra system are not computed (exact_match_not_computed)"
    }
    fn score(&self, item: &Item, response: &Response) -> Result<Scores, ScoreError> {
        let Response::Generation { text, .. } = response else {
            return Err(mismatch(
                item,
                self.name(),
                "needs generated text, got log-likelihoods",
            ));
        };
        let gold = item
            .target
            .as_deref()
            .ok_or_else(|| mismatch(item, self.name(), "the item has no `target`"))?;
        let raw = extract::minerva_answer(text).unwrap_or_else(|| extract::INVALID_ANSWER.into());
        let answer = extract::normalize_final_answer(&raw);
        let mut out = Scores::new();
        let mut flag = Score::value(0.0);
        match extract::math_hard_equiv(&answer, gold) {
            Some(equal) => {
                let mut score = Score::value(f64::from(u8::from(equal)));
                score.explanation = Some(format!("answer `{answer}`, expected `{gold}`"));
                score.answer = Some(answer);
                out.insert("exact_match".into(), score);
            }
            None => {
                flag.value = 1.0;
                flag.explanation = Some(format!(
                    "not computed: whether `{answer}` equals `{gold}` needs a computer-algebra system (the task uses sympy's parse_latex and simplify)"
                ));
                flag.answer = Some(answer);
            }
        }
        out.insert("exact_match_not_computed".into(), flag);
        Ok(out)
    }
}

/// A judge-graded benchmark (Arena-Hard, MT-Bench): nothing to score when the answer is generated. The
/// run keeps every answer in its receipt with no metric (`substance answers` exports them in the
/// benchmark's `model_answer` layout; the judge grades them afterwards), so a generation run of such a
/// suite completes instead of failing on an unknown scorer and losing its answers.
pub struct JudgeGraded {
    name: &'static str,
    what: &'static str,
}

impl JudgeGraded {
    /// Whether `name` is a judge-graded scorer (no metric at run time).
    pub fn is(name: &str) -> bool {
        matches!(name, "arena_hard" | "mt_bench" | "alpaca_eval")
    }
}

impl Scorer for JudgeGraded {
    fn name(&self) -> &'static str {
        self.name
    }
    fn output_type(&self) -> OutputType {
        OutputType::Generate
    }
    fn describe(&self) -> &'static str {
        self.what
    }
    fn score(&self, _item: &Item, _response: &Response) -> Result<Scores, ScoreError> {
        Ok(Scores::new())
    }
}

/// Look a scorer up by name.
pub fn scorer(name: &str) -> Result<&'static dyn Scorer, ScoreError> {
    REGISTRY
        .iter()
        .copied()
        .find(|s| s.name() == name)
        .ok_or_else(|| ScoreError::UnknownScorer {
            name: name.to_owned(),
            known: scorer_names().join(", "),
        })
}

/// Names of every registered scorer.
pub fn scorer_names() -> Vec<&'static str> {
    REGISTRY.iter().map(|s| s.name()).collect()
}

/// Run every scorer of a suite on one response and merge their metrics.
pub fn score_item(
    spec: &SuiteSpec,
    item: &Item,
    response: &Response,
) -> Result<Scores, ScoreError> {
    let mut out = Scores::new();
    for name in &spec.scorers {
        let s = scorer(name)?;
        if s.output_type() != spec.output_type {
            return Err(ScoreError::Mismatch {
                item: item.id.clone(),
                scorer: name.clone(),
                message: format!(
                    "scorer is for {:?} suites, the suite is {:?}",
                    s.output_type(),
                    spec.output_type
                ),
            });
        }
        out.extend(s.score(item, response)?);
    }
    Ok(out)
}

fn mismatch(item: &Item, scorer: &str, message: impl Into<String>) -> ScoreError {
    ScoreError::Mismatch {
        item: item.id.clone(),
        scorer: scorer.to_owned(),
        message: message.into(),
    }
}

fn single(name: &str, score: Score) -> Scores {
    [(name.to_owned(), score)].into_iter().collect()
}

#[derive(Clone, Copy)]
enum McRule {
    Acc,
    AccNorm,
    AccBytes,
    Mc1,
    Mc2,
    MutualInfo,
    Brier,
    Greedy,
}

struct McScorer {
    name: &'static str,
    rule: McRule,
}

impl McScorer {
    fn loglikelihoods<'a>(
        &self,
        item: &Item,
        response: &'a Response,
    ) -> Result<(&'a [ChoiceLogLik], Option<&'a [f64]>), ScoreError> {
        match response {
            Response::LogLikelihood {
                choices,
                unconditional,
            } => {
                if choices.len() != item.choices.len() {
                    return Err(mismatch(
                        item,
                        self.name,
                        format!(
                            "{} log-likelihoods for {} choices",
                            choices.len(),
                            item.choices.len()
                        ),
                    ));
                }
                Ok((choices, unconditional.as_deref()))
            }
            Response::Generation { .. } => Err(mismatch(
                item,
                self.name,
                "needs per-choice log-likelihoods, got generated text",
            )),
        }
    }
}

impl Scorer for McScorer {
    fn name(&self) -> &'static str {
        self.name
    }
    fn output_type(&self) -> OutputType {
        OutputType::MultipleChoice
    }
    fn describe(&self) -> &'static str {
        match self.rule {
            McRule::Acc => "argmax of log-likelihood is a gold choice (lm-eval acc)",
            McRule::AccNorm => "argmax of log-likelihood / character length (lm-eval acc_norm)",
            McRule::AccBytes => "argmax of log-likelihood / UTF-8 byte length (lm-eval acc_bytes)",
            McRule::Mc1 => "TruthfulQA MC1: argmax is choice 0",
            McRule::Mc2 => "TruthfulQA MC2: softmax probability mass on the gold choices",
            McRule::MutualInfo => "argmax of conditional − unconditional log-likelihood",
            McRule::Brier => "Brier score of softmax(log-likelihood) against the gold choice",
            McRule::Greedy => {
                "the gold continuation is the greedy decode (lm-eval exact_match for MC)"
            }
        }
    }
    fn score(&self, item: &Item, response: &Response) -> Result<Scores, ScoreError> {
        let (choices, uncond) = self.loglikelihoods(item, response)?;
        let lls: Vec<f64> = choices.iter().map(|c| c.ll).collect();
        let texts: Vec<&str> = item.choices.iter().map(String::as_str).collect();
        let gold = &item.gold;
        let err = |e: substance_metrics::MetricError| mismatch(item, self.name, e.to_string());
        let (value, answer) = match self.rule {
            McRule::Acc => (mc::acc(&lls, gold).map_err(err)?, mc::argmax(&lls)),
            McRule::AccNorm => {
                let norm: Vec<f64> = lls
                    .iter()
                    .zip(&texts)
                    .map(|(l, t)| l / t.chars().count().max(1) as f64)
                    .collect();
                (
                    mc::acc_norm(&lls, &texts, gold).map_err(err)?,
                    mc::argmax(&norm),
                )
            }
            McRule::AccBytes => {
                let norm: Vec<f64> = lls
                    .iter()
                    .zip(&texts)
                    .map(|(l, t)| l / t.len().max(1) as f64)
                    .collect();
                (
                    mc::acc_bytes(&lls, &texts, gold).map_err(err)?,
                    mc::argmax(&norm),
                )
            }
            McRule::Mc1 => (mc::mc1(&lls).map_err(err)?, mc::argmax(&lls)),
            McRule::Mc2 => (mc::mc2(&lls, gold).map_err(err)?, None),
            McRule::MutualInfo => {
                let u = uncond.ok_or_else(|| {
                    mismatch(item, self.name, "needs unconditional log-likelihoods")
                })?;
                (mc::acc_mutual_info(&lls, u, gold).map_err(err)?, None)
            }
            McRule::Brier => (mc::brier_score(&lls, gold).map_err(err)?, None),
            McRule::Greedy => {
                let greedy: Vec<bool> = choices.iter().map(|c| c.is_greedy).collect();
                (mc::greedy_exact_match(&greedy, gold).map_err(err)?, None)
            }
        };
        let mut score = Score::value(value);
        score.answer = answer.map(|i| i.to_string());
        Ok(single(self.name, score))
    }
}

#[derive(Clone, Copy)]
enum Extract {
    Whole,
    Gsm8k,
    LastNumber,
    MathBoxed,
}

struct ExactMatch {
    name: &'static str,
    rule: Extract,
}

impl Scorer for ExactMatch {
    fn name(&self) -> &'static str {
        self.name
    }
    fn output_type(&self) -> OutputType {
        OutputType::Generate
    }
    fn describe(&self) -> &'static str {
        match self.rule {
            Extract::Whole => "the stripped response equals the target",
            Extract::Gsm8k => {
                "GSM8K: the number after `#### ` (else the last number) equals the target number"
            }
            Extract::LastNumber => "the last number in the response equals the target number",
            Extract::MathBoxed => {
                "MATH: the last \\boxed{…} answer, normalised, equals the normalised target"
            }
        }
    }
    fn score(&self, item: &Item, response: &Response) -> Result<Scores, ScoreError> {
        let Response::Generation { text, .. } = response else {
            return Err(mismatch(
                item,
                self.name,
                "needs generated text, got log-likelihoods",
            ));
        };
        let target = item
            .target
            .as_deref()
            .ok_or_else(|| mismatch(item, self.name, "the item has no `target`"))?;
        let (answer, reference, correct) = match self.rule {
            Extract::Whole => {
                let a = text.trim().to_owned();
                let ok = a == target.trim();
                (Some(a), target.trim().to_owned(), ok)
            }
            Extract::Gsm8k => {
                // lm-eval's strict `#### n` filter, falling back to its flexible last-number filter; both
                // sides then go through lm-eval's GSM8K normalisation (commas, `$`, trailing `.`).
                let raw = extract::gsm8k_strict(text).or_else(|| extract::gsm8k_flexible(text));
                let ok = extract::gsm8k_is_correct(raw.as_deref(), target);
                (
                    raw.map(|r| extract::gsm8k_normalize(&r)),
                    extract::gsm8k_normalize(target),
                    ok,
                )
            }
            Extract::LastNumber => {
                let a = extract::last_number(text).map(|s| extract::normalize_number(&s));
                let r = extract::normalize_number(target);
                let ok = a.as_deref() == Some(r.as_str());
                (a, r, ok)
            }
            Extract::MathBoxed => {
                let a = extract::extract_boxed(text);
                let r = extract::extract_boxed(target).unwrap_or_else(|| target.to_owned());
                let ok = a
                    .as_deref()
                    .is_some_and(|a| extract::math_answers_match(a, &r));
                (a, r, ok)
            }
        };
        let value = f64::from(u8::from(correct));
        let mut score = Score::value(value);
        score.explanation = Some(match &answer {
            Some(a) => format!("extracted `{a}`, expected `{reference}`"),
            None => format!("no answer found, expected `{reference}`"),
        });
        score.answer = answer;
        Ok(single(self.name, score))
    }
}

struct IfevalScorer;

/// Metric names produced by the `ifeval` scorer.
pub const IFEVAL_METRICS: [&str; 4] = [
    "prompt_level_strict_acc",
    "inst_level_strict_acc",
    "prompt_level_loose_acc",
    "inst_level_loose_acc",
];

impl Scorer for IfevalScorer {
    fn name(&self) -> &'static str {
        "ifeval"
    }
    fn output_type(&self) -> OutputType {
        OutputType::Generate
    }
    fn describe(&self) -> &'static str {
        "IFEval: prompt- and instruction-level accuracy, strict and loose"
    }
    fn score(&self, item: &Item, response: &Response) -> Result<Scores, ScoreError> {
        let Response::Generation { text, .. } = response else {
            return Err(mismatch(
                item,
                "ifeval",
                "needs generated text, got log-likelihoods",
            ));
        };
        if item.instructions.is_empty() {
            return Err(mismatch(item, "ifeval", "the item has no `instructions`"));
        }
        let prompt = item
            .meta
            .get("ifeval_prompt")
            .and_then(|v| v.as_str())
            .unwrap_or(&item.input);
        let verdict = substance_ifeval::check_response(prompt, &item.instructions, text)
            .map_err(|e| mismatch(item, "ifeval", e.to_string()))?;
        let n = verdict.strict.len() as f64;
        let frac = |flags: &[bool]| flags.iter().filter(|f| **f).count() as f64 / n;
        let all = |flags: &[bool]| f64::from(u8::from(flags.iter().all(|f| *f)));
        let ids: Vec<&str> = item.instructions.iter().map(|i| i.id.as_str()).collect();
        let mut out = Scores::new();
        let mut prompt_strict = Score::value(all(&verdict.strict));
        prompt_strict.metadata = Some(
            json!({"instruction_id_list": ids, "strict": verdict.strict, "loose": verdict.loose}),
        );
        out.insert(IFEVAL_METRICS[0].to_owned(), prompt_strict);
        out.insert(
            IFEVAL_METRICS[1].to_owned(),
            Score {
                weight: Some(n),
                ..Score::value(frac(&verdict.strict))
            },
        );
        out.insert(
            IFEVAL_METRICS[2].to_owned(),
            Score::value(all(&verdict.loose)),
        );
        out.insert(
            IFEVAL_METRICS[3].to_owned(),
            Score {
                weight: Some(n),
                ..Score::value(frac(&verdict.loose))
            },
        );
        Ok(out)
    }
}
