//! Judges: verdict parsing, prompt rendering, the judge-lab examples, probes and bias reports
//! (`substance-judge`).

use serde::{Deserialize, Serialize};
use substance_judge::{
    BiasObservation, Judge, JudgeInput, JudgeProtocol, JudgedPair, Preference, Probe,
    ReportOptions, Verdict,
};
use wasm_bindgen::prelude::*;

use substance_judge::import::load::{Format as JudgmentFormat, LoadOptions, NamedBytes, load};

use crate::convert::{files_arg, from_js, from_js_opt, js_error, named, to_js};

/// Probe short names accepted by [`apply_probe`].
pub(crate) const PROBE_NAMES: [&str; 5] = substance_judge::probe::SHORT_NAMES;

fn protocol(name: &str) -> Result<JudgeProtocol, JsValue> {
    name.parse::<JudgeProtocol>().map_err(named("JudgeError"))
}

#[derive(Serialize)]
struct ParsedJs {
    verdict: Option<Verdict>,
    retry: bool,
    preference: Option<Preference>,
}

/// Parse a judge reply exactly as the protocol's reference parser.
#[wasm_bindgen(js_name = judgeParse, unchecked_return_type = "{ verdict: Verdict | null, retry: boolean, preference: Preference | null }")]
pub fn judge_parse(
    protocol_name: &str,
    reply: &str,
    n_answers: Option<usize>,
) -> Result<JsValue, JsValue> {
    let judge = Judge::new(protocol(protocol_name)?);
    let parsed = match n_answers {
        Some(n) => judge.parse_with(reply, n),
        None => judge.parse(reply),
    };
    let preference = judge.preference(parsed.verdict.as_ref());
    to_js(&ParsedJs {
        verdict: parsed.verdict,
        retry: parsed.retry,
        preference,
    })
}

/// The messages to send a live judge for one game (0 = answers in order, 1 = swapped, where the
/// protocol has two).
#[wasm_bindgen(js_name = judgeRender, unchecked_return_type = "Rendered")]
pub fn judge_render(
    protocol_name: &str,
    #[wasm_bindgen(unchecked_param_type = "JudgeInput")] input: JsValue,
    game: Option<usize>,
) -> Result<JsValue, JsValue> {
    let judge = Judge::new(protocol(protocol_name)?);
    let input: JudgeInput = from_js(input, "input")?;
    let games = judge.games();
    let g = game.unwrap_or(0);
    let game = *games.get(g).ok_or_else(|| {
        js_error(
            "JudgeError",
            format!(
                "protocol {protocol_name} has {} game(s); game {g} does not exist",
                games.len()
            ),
        )
    })?;
    to_js(&judge.render(&input, game).map_err(named("JudgeError"))?)
}

/// One game's exchange with a live judge, replayed from the replies so far (stateless, so the worker
/// keeps no Rust object between two judge calls): with `replies` empty, the messages to send first; after
/// each reply, either `done` with the verdict and the judgment as the reference records it (Arena-Hard
/// v0.1 and SOS accumulate the replies), or the messages to send next (the reply as an assistant turn
/// and the reference's retry turn, when no label was found and an attempt is left).
#[wasm_bindgen(js_name = judgeStep, unchecked_return_type = "{ done: boolean, messages: Message[], judgment: string, attempts: number, verdict: Verdict | null, preference: Preference | null }")]
pub fn judge_step(
    protocol_name: &str,
    #[wasm_bindgen(unchecked_param_type = "JudgeInput")] input: JsValue,
    game: usize,
    #[wasm_bindgen(unchecked_param_type = "string[]")] replies: JsValue,
) -> Result<JsValue, JsValue> {
    let judge = Judge::new(protocol(protocol_name)?);
    let input: JudgeInput = from_js(input, "input")?;
    let replies: Vec<String> = from_js(replies, "replies")?;
    let games = judge.games();
    let g = *games.get(game).ok_or_else(|| {
        js_error(
            "JudgeError",
            format!(
                "protocol {protocol_name} has {} game(s); game {game} does not exist",
                games.len()
            ),
        )
    })?;
    let mut conv = judge.conversation(&input, g).map_err(named("JudgeError"))?;
    let mut done = None;
    for (i, reply) in replies.iter().enumerate() {
        match conv.record(reply) {
            substance_judge::Step::Continue => {}
            substance_judge::Step::Done(parsed) => {
                if i + 1 != replies.len() {
                    return Err(js_error(
                        "JudgeError",
                        format!(
                            "the exchange ended after {} replies; {} were given",
                            i + 1,
                            replies.len()
                        ),
                    ));
                }
                done = Some(parsed);
            }
        }
    }
    let (verdict, preference) = match &done {
        Some(p) => (p.verdict.clone(), judge.preference(p.verdict.as_ref())),
        None => (None, None),
    };
    to_js(&serde_json::json!({
        "done": done.is_some(),
        "messages": conv.messages(),
        "judgment": conv.judgment(),
        "attempts": conv.attempts(),
        "verdict": verdict,
        "preference": preference,
    }))
}

/// The bundled judge-lab examples (original judged pairs).
#[wasm_bindgen(js_name = judgeLabExamples, unchecked_return_type = "JudgedPair[]")]
pub fn judge_lab_examples() -> Result<JsValue, JsValue> {
    to_js(&substance_judge::examples::judge_lab().map_err(named("JudgeError"))?)
}

/// The recorded-judgment formats `loadJudgments` reads: `[{ name, summary }]`.
#[wasm_bindgen(js_name = judgmentFormats, unchecked_return_type = "{ name: string, summary: string }[]")]
pub fn judgment_formats() -> Result<JsValue, JsValue> {
    let list: Vec<serde_json::Value> = JudgmentFormat::ALL
        .iter()
        .map(|f| serde_json::json!({ "name": f.name(), "summary": f.summary() }))
        .collect();
    to_js(&list)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct JsLoadOptions {
    format: Option<String>,
    adversarial: Option<bool>,
    baseline: Option<String>,
}

/// Recorded judgments in any format the library reads, by the same loader as `substance judgments`:
/// each file's format detected from its name (a relative path keeps LLMBar's subset and evaluator) and
/// first record unless `opts.format` names one; PandaLM test set + verdict files and MT-Bench judgments
/// + question/answer files are joined. Returns `{ format, pairs, label, judges, files }`.
#[wasm_bindgen(js_name = loadJudgments, unchecked_return_type = "LoadedJudgments")]
pub fn load_judgments(
    #[wasm_bindgen(unchecked_param_type = "{ name: string, bytes: Uint8Array | string }[]")]
    files: JsValue,
    #[wasm_bindgen(
        unchecked_param_type = "{ format?: string, adversarial?: boolean, baseline?: string } | undefined"
    )]
    opts: JsValue,
) -> Result<JsValue, JsValue> {
    let files = files_arg(&files, "files")?;
    let o: JsLoadOptions = from_js_opt(opts, "opts")?;
    let format = match o.format.as_deref() {
        None | Some("auto") => None,
        Some(name) => Some(JudgmentFormat::from_name(name).ok_or_else(|| {
            js_error(
                "InputError",
                format!(
                    "opts.format: unknown judgment format `{name}` (auto, {})",
                    JudgmentFormat::ALL.map(JudgmentFormat::name).join(", ")
                ),
            )
        })?),
    };
    let d = LoadOptions::default();
    let opts = LoadOptions {
        adversarial: o.adversarial.unwrap_or(d.adversarial),
        baseline: o.baseline.unwrap_or(d.baseline),
        texts: None,
    };
    let inputs = files
        .into_iter()
        .map(|f| NamedBytes {
            name: f.name,
            bytes: f.bytes,
        })
        .collect();
    to_js(&load(format, inputs, &opts).map_err(named("ImportError"))?)
}

/// Judged pairs from JSONL (the shape `substance judge` writes).
#[wasm_bindgen(js_name = parseJudgedPairs, unchecked_return_type = "JudgedPair[]")]
pub fn parse_judged_pairs(text: &str, file_name: &str) -> Result<JsValue, JsValue> {
    to_js(&substance_judge::examples::parse_pairs(text, file_name).map_err(named("JudgeError"))?)
}

/// Apply a probe (short name or `Probe` object) to a pair with a seed: the changed pair, what changed
/// (token diffs per field) and a description. A probe that does not apply to this pair (no reference to
/// drop, nothing to corrupt) throws an error named `NotApplicable`: skip the pair and count it.
#[wasm_bindgen(js_name = applyProbe, unchecked_return_type = "Perturbed")]
pub fn apply_probe(
    #[wasm_bindgen(unchecked_param_type = "JudgedPair")] pair: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Probe")] probe: JsValue,
    seed: f64,
) -> Result<JsValue, JsValue> {
    // A JS number (u64 parameters would demand a BigInt): any integer in 0..=2^53.
    if !(seed.is_finite() && seed >= 0.0 && seed.fract() == 0.0 && seed <= 9_007_199_254_740_992.0)
    {
        return Err(js_error(
            "InputError",
            format!("seed: {seed} is not a non-negative integer"),
        ));
    }
    let seed = seed as u64;
    let pair: JudgedPair = from_js(pair, "pair")?;
    let probe: Probe = match probe.as_string() {
        Some(name) => Probe::from_short_name(&name).map_err(named("JudgeError"))?,
        None => from_js(probe, "probe")?,
    };
    // A probe that does not fit this pair is a `NotApplicable` error: the caller skips the pair.
    let out = probe.apply(&pair, seed).map_err(|e| {
        js_error(
            if e.is_not_applicable() {
                "NotApplicable"
            } else {
                "JudgeError"
            },
            e,
        )
    })?;
    to_js(&out)
}

/// An observation from an original pair, its verdict, a probe's output and the probed pair's verdict
/// (each verdict in its own pair's orientation).
#[wasm_bindgen(js_name = biasObservation, unchecked_return_type = "BiasObservation")]
pub fn bias_observation(
    #[wasm_bindgen(unchecked_param_type = "JudgedPair")] original: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Preference | null")] original_verdict: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Perturbed")] perturbed: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Preference | null")] probed_verdict: JsValue,
) -> Result<JsValue, JsValue> {
    let original: JudgedPair = from_js(original, "original")?;
    let ov: Option<Preference> = from_js_opt(original_verdict, "original_verdict")?;
    let perturbed = from_js(perturbed, "perturbed")?;
    let pv: Option<Preference> = from_js_opt(probed_verdict, "probed_verdict")?;
    to_js(&BiasObservation::from_probe(
        &original, ov, None, &perturbed, pv,
    ))
}

/// The preference a recorded verdict says, in the orientation the judge saw: its raw reply re-parsed by
/// the protocol's parser when the protocol is one of `info().judge_protocols`, else the recorded
/// verdict (files whose protocol is only a label, such as LLMBar's `llmbar/Vanilla`).
#[wasm_bindgen(js_name = recordedPreference, unchecked_return_type = "Preference | null")]
pub fn recorded_preference(
    #[wasm_bindgen(unchecked_param_type = "RecordedVerdict")] verdict: JsValue,
) -> Result<JsValue, JsValue> {
    let v: substance_judge::RecordedVerdict = from_js(verdict, "verdict")?;
    to_js(&v.said_preference())
}

/// Position-swap observations from recorded two-game verdicts (every judge, or only `judge`); a pair
/// that marks its adversarial distractor (LLMBar's adversarial subsets) also gives style vs substance.
#[wasm_bindgen(js_name = recordedObservations, unchecked_return_type = "BiasObservation[]")]
pub fn recorded_observations(
    #[wasm_bindgen(unchecked_param_type = "JudgedPair[]")] pairs: JsValue,
    judge: Option<String>,
) -> Result<JsValue, JsValue> {
    let pairs: Vec<JudgedPair> = from_js(pairs, "pairs")?;
    to_js(
        &substance_judge::report::recorded_observations_with_distractors(&pairs, judge.as_deref()),
    )
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct JsReportOptions {
    resamples: Option<usize>,
    seed: Option<u64>,
    level: Option<f64>,
}

/// The bias report (flip rate, position consistency, length preference, style vs substance, with
/// bootstrap intervals) of a set of observations.
#[wasm_bindgen(js_name = biasReport, unchecked_return_type = "BiasReport")]
pub fn bias_report(
    #[wasm_bindgen(unchecked_param_type = "BiasObservation[]")] observations: JsValue,
    #[wasm_bindgen(
        unchecked_param_type = "{ resamples?: number, seed?: number, level?: number } | undefined"
    )]
    opts: JsValue,
    label: Option<String>,
) -> Result<JsValue, JsValue> {
    let obs: Vec<BiasObservation> = from_js(observations, "observations")?;
    let o: JsReportOptions = from_js_opt(opts, "opts")?;
    let d = ReportOptions::default();
    let opts = ReportOptions {
        resamples: o.resamples.unwrap_or(d.resamples),
        seed: o.seed.unwrap_or(d.seed),
        level: o.level.unwrap_or(d.level),
    };
    to_js(&substance_judge::bias_report(
        label.as_deref().unwrap_or("judge lab"),
        &obs,
        opts,
    ))
}
