//! Leaderboards (`substance-leaderboard`: Arena-Hard Bradley–Terry, AlpacaEval) and SOS-Bench factor
//! correlations (`substance-sos`), from files given as text.

use serde::Deserialize;
use substance_leaderboard::{
    Answer, ArenaJudgment, ArenaV01Options, ArenaV2Options, ArenaVersion, LcInputs, StyleControl,
};
use substance_sos::{AliasTable, CorrelationOptions, Mapping, NormMode};
use wasm_bindgen::prelude::*;

use crate::convert::{TextFile, from_js, js_error, named, to_js};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArenaOptions {
    version: Option<String>,
    judgments: Vec<TextFile>,
    #[serde(default)]
    answers: Vec<TextFile>,
    baseline: Option<String>,
    category: Option<String>,
    style_control: Option<String>,
    bootstrap: Option<usize>,
    seed: Option<u64>,
}

/// The Arena-Hard-Auto leaderboard (v0.1 or v2), with or without style control.
#[wasm_bindgen(js_name = arenaHardLeaderboard, unchecked_return_type = "ArenaLeaderboard")]
pub fn arena_hard_leaderboard(
    #[wasm_bindgen(unchecked_param_type = "ArenaOptions")] opts: JsValue,
) -> Result<JsValue, JsValue> {
    let o: ArenaOptions = from_js(opts, "opts")?;
    let lb = named::<substance_leaderboard::LeaderboardError>("LeaderboardError");
    let version = match o.version.as_deref().unwrap_or("v0.1") {
        "v0.1" | "arena-hard-v0.1" => ArenaVersion::V01,
        "v2" | "v2.0" | "arena-hard-v2" | "arena-hard-v2.0" => ArenaVersion::V2,
        other => {
            return Err(js_error(
                "InputError",
                format!("opts.version: `{other}` (use \"v0.1\" or \"v2\")"),
            ));
        }
    };
    let style_control = match o.style_control.as_deref().unwrap_or("none") {
        "none" => StyleControl::None,
        "full" => StyleControl::Full,
        "length" => StyleControl::LengthOnly,
        "markdown" => StyleControl::MarkdownOnly,
        other => {
            return Err(js_error(
                "InputError",
                format!("opts.style_control: `{other}` (use none, full, length or markdown)"),
            ));
        }
    };
    let mut judgments: Vec<ArenaJudgment> = Vec::new();
    for f in &o.judgments {
        judgments.extend(
            substance_leaderboard::parse_arena_judgments(f.text.as_bytes(), &f.file_name, version)
                .map_err(&lb)?,
        );
    }
    let mut answers: Vec<Answer> = Vec::new();
    for f in &o.answers {
        answers.extend(
            substance_leaderboard::parse_answers(f.text.as_bytes(), &f.file_name).map_err(&lb)?,
        );
    }
    let board = match version {
        ArenaVersion::V01 => {
            let d = ArenaV01Options::default();
            substance_leaderboard::arena_hard_v01_leaderboard(
                &judgments,
                &answers,
                &ArenaV01Options {
                    baseline: o.baseline.unwrap_or(d.baseline.clone()),
                    style_control,
                    bootstrap: o.bootstrap.unwrap_or(d.bootstrap),
                    seed: o.seed.unwrap_or(d.seed),
                    ..d
                },
            )
        }
        ArenaVersion::V2 => {
            let d = ArenaV2Options::default();
            substance_leaderboard::arena_hard_v2_leaderboard(
                &judgments,
                &answers,
                &ArenaV2Options {
                    baseline: o.baseline.unwrap_or(d.baseline),
                    category: o.category,
                    style_control,
                    bootstrap: o.bootstrap.unwrap_or(d.bootstrap),
                    seed: o.seed.unwrap_or(d.seed),
                },
            )
        }
    }
    .map_err(&lb)?;
    to_js(&board)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlpacaOptions {
    annotations: Vec<TextFile>,
    instruction_difficulty: Option<TextFile>,
    gamed: Option<TextFile>,
}

/// AlpacaEval win rates (and the length-controlled win rate) from annotation files.
#[wasm_bindgen(js_name = alpacaEval, unchecked_return_type = "AlpacaRow[]")]
pub fn alpaca_eval(
    #[wasm_bindgen(unchecked_param_type = "AlpacaOptions")] opts: JsValue,
) -> Result<JsValue, JsValue> {
    let o: AlpacaOptions = from_js(opts, "opts")?;
    let lb = named::<substance_leaderboard::LeaderboardError>("LeaderboardError");
    let mut annotations = Vec::new();
    for f in &o.annotations {
        annotations.extend(
            substance_leaderboard::parse_alpaca_annotations(f.text.as_bytes(), &f.file_name)
                .map_err(&lb)?,
        );
    }
    let lc = LcInputs {
        instruction_difficulty: match &o.instruction_difficulty {
            Some(f) => Some(
                substance_leaderboard::formats::parse_instruction_difficulty(
                    f.text.as_bytes(),
                    &f.file_name,
                )
                .map_err(&lb)?,
            ),
            None => None,
        },
        gamed: match &o.gamed {
            Some(f) => Some(
                substance_leaderboard::formats::parse_gamed_rows(f.text.as_bytes(), &f.file_name)
                    .map_err(&lb)?,
            ),
            None => None,
        },
    };
    to_js(&substance_leaderboard::alpaca_eval(&annotations, &lc).map_err(&lb)?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SosOptions {
    results: Option<TextFile>,
    judge: Option<TextFile>,
    bundle: Option<SosBundle>,
    livebench: Option<TextFile>,
    norm: Option<String>,
    bootstrap: Option<usize>,
    seed: Option<u64>,
}

/// A bundle run to place among the results' models: `bundle.json` and the receipts it names.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SosBundle {
    files: Vec<TextFile>,
    name: Option<String>,
    judge_score: Option<f64>,
}

/// A verified bundle run: the model's name, its results-table row, the receipts checked, and the Open
/// LLM Leaderboard scores its leaderboard tasks give.
type BundleRow = (
    String,
    std::collections::BTreeMap<String, f64>,
    Vec<substance_score::CheckedReceipt>,
    Vec<substance_verify::open_llm::Score>,
);

/// The bundle run's row: `bundle.json` among `files` (by file name), every receipt verified.
fn bundle_row(b: &SosBundle) -> Result<BundleRow, JsValue> {
    let base = |n: &str| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned();
    let json = b
        .files
        .iter()
        .find(|f| base(&f.file_name) == "bundle.json")
        .ok_or_else(|| js_error("InputError", "opts.bundle.files: no bundle.json among them"))?;
    let run = substance_suite::bundle::BundleRun::parse(&json.text, &json.file_name)
        .map_err(named("SuiteError"))?;
    let (row, checked) = substance_score::bundle_row(&run, |name| {
        b.files
            .iter()
            .find(|f| base(&f.file_name) == name)
            .map(|f| Box::new(f.text.as_bytes()) as Box<dyn std::io::BufRead>)
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "not among the dropped files (drop bundle.json with every receipt it names)",
                )
            })
    })
    .map_err(named("BundleRowError"))?;
    let open_llm = substance_verify::open_llm::scores(&substance_verify::open_llm::BundleValues(
        run.columns_with_items(),
    ));
    Ok((b.name.clone().unwrap_or(run.model), row, checked, open_llm))
}

/// SOS-Bench factor scores and their correlations with a judge's scores; with `bundle`, a bundle run's
/// verified receipts joined as one more model and its `placement` (score and rank per factor).
#[wasm_bindgen(js_name = sosReport, unchecked_return_type = "SosReport")]
pub fn sos_report(
    #[wasm_bindgen(unchecked_param_type = "SosOptions")] opts: JsValue,
) -> Result<JsValue, JsValue> {
    let o: SosOptions = from_js(opts, "opts")?;
    let sos = named::<substance_sos::SosError>("SosError");
    let mapping = Mapping::sos_default().map_err(&sos)?;
    let results = match &o.results {
        Some(f) => {
            Some(substance_sos::parse_results_csv(&f.file_name, f.text.as_bytes()).map_err(&sos)?)
        }
        None => None,
    };
    let livebench = match &o.livebench {
        Some(f) => Some(
            substance_sos::parse_livebench_csv(&f.file_name, f.text.as_bytes()).map_err(&sos)?,
        ),
        None => None,
    };
    let judge = match &o.judge {
        Some(f) => {
            Some(substance_sos::parse_judge_csv(&f.file_name, f.text.as_bytes()).map_err(&sos)?)
        }
        None => None,
    };
    let (results, judge, added) = match &o.bundle {
        Some(b) => {
            let (name, row, checked, open_llm) = bundle_row(b)?;
            let j = substance_sos::join_new_model(
                results,
                "bundle run",
                &mapping,
                &name,
                row,
                judge,
                b.judge_score,
            )
            .map_err(&sos)?;
            (
                j.results,
                j.judge,
                Some((name, checked, j.unused, open_llm)),
            )
        }
        None => match results {
            Some(r) => (r, judge, None),
            None => {
                return Err(js_error(
                    "InputError",
                    "opts: give `results` (a results CSV) or `bundle` (a bundle run)",
                ));
            }
        },
    };
    let norm = match o.norm.as_deref().unwrap_or("chance") {
        "chance" => NormMode::ChanceCorrected,
        "raw" => NormMode::Raw,
        other => {
            return Err(js_error(
                "InputError",
                format!("opts.norm: `{other}` (use \"chance\" or \"raw\")"),
            ));
        }
    };
    let d = CorrelationOptions::default();
    let options = CorrelationOptions {
        resamples: o.bootstrap.unwrap_or(d.resamples),
        seed: o.seed.unwrap_or(d.seed),
        ..d
    };
    let report = substance_sos::build_report(
        &results,
        livebench.as_ref(),
        judge.as_ref(),
        &mapping,
        &AliasTable::sos_default().map_err(&sos)?,
        norm,
        &options,
    )
    .map_err(&sos)?;
    /// The report, with the bundle run's placement when one was given.
    #[derive(serde::Serialize)]
    struct WithBundle<'a> {
        #[serde(flatten)]
        report: &'a substance_sos::SosReport,
        #[serde(skip_serializing_if = "Option::is_none")]
        bundle: Option<serde_json::Value>,
    }
    let bundle = added.map(|(name, checked, unused, open_llm)| {
        let placement = substance_sos::placement(&report.factors, &name);
        serde_json::json!({"model": name, "placement": placement, "receipts": checked,
            "unused_columns": unused, "open_llm_leaderboard": open_llm})
    });
    to_js(&WithBundle {
        report: &report,
        bundle,
    })
}

/// Arena-Hard pairs to judge (v0.1 orientation: the baseline's answer is A in game 0): every model's
/// answers in `answers` against `baseline`'s, per question of the question file, as `substance judge
/// --questions` builds them. Errors name a question the baseline did not answer, an answer to no
/// question, a model given twice.
#[wasm_bindgen(js_name = arenaPairsToJudge, unchecked_return_type = "JudgedPair[]")]
pub fn arena_pairs_to_judge(
    #[wasm_bindgen(unchecked_param_type = "TextFile")] questions: JsValue,
    #[wasm_bindgen(unchecked_param_type = "TextFile[]")] answers: JsValue,
    baseline: &str,
) -> Result<JsValue, JsValue> {
    let q: TextFile = from_js(questions, "questions")?;
    let files: Vec<TextFile> = from_js(answers, "answers")?;
    let lb = named::<substance_leaderboard::LeaderboardError>("LeaderboardError");
    let suite = substance_suite::import::import(
        "arena-hard",
        q.text.as_bytes(),
        &q.file_name,
        &substance_suite::import::ImportOptions::default(),
    )
    .map_err(named("SuiteError"))?;
    let qs: Vec<(String, String)> = suite
        .items
        .iter()
        .map(|i| (i.id.clone(), i.input.clone()))
        .collect();
    let mut by_model = std::collections::BTreeMap::new();
    for f in &files {
        let parsed =
            substance_leaderboard::parse_answers(f.text.as_bytes(), &f.file_name).map_err(&lb)?;
        for (model, ans) in
            substance_leaderboard::formats::answers_by_model(&parsed, &f.file_name).map_err(&lb)?
        {
            if by_model.insert(model.clone(), ans).is_some() {
                return Err(js_error(
                    "InputError",
                    format!("the answers of {model} are given twice"),
                ));
            }
        }
    }
    let base = by_model.remove(baseline).ok_or_else(|| {
        js_error(
            "InputError",
            format!("no answer file of the baseline {baseline}"),
        )
    })?;
    let mut pairs = Vec::new();
    for (model, ans) in &by_model {
        pairs.extend(
            substance_judge::import::arena_hard::pairs_to_judge(
                &qs,
                (baseline, &base),
                (model, ans),
            )
            .map_err(named("ImportError"))?,
        );
    }
    if pairs.is_empty() {
        return Err(js_error(
            "InputError",
            "no model besides the baseline has answers to judge",
        ));
    }
    to_js(&pairs)
}

/// The Arena-Hard v0.1 judgment files of pairs judged live (both games) by `judge`: one `{ file_name:
/// "<judge>/<model>.jsonl", text }` per model, the upstream layout `arenaHardLeaderboard` reads.
#[wasm_bindgen(js_name = arenaJudgmentFiles, unchecked_return_type = "TextFile[]")]
pub fn arena_judgment_files(
    #[wasm_bindgen(unchecked_param_type = "JudgedPair[]")] pairs: JsValue,
    judge: &str,
) -> Result<JsValue, JsValue> {
    let pairs: Vec<substance_judge::JudgedPair> = from_js(pairs, "pairs")?;
    let mut by_model: std::collections::BTreeMap<String, Vec<substance_judge::JudgedPair>> =
        Default::default();
    for p in pairs {
        let model = p
            .meta
            .get("model")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned();
        by_model.entry(model).or_default().push(p);
    }
    let dir: String = judge
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut out = Vec::new();
    for (model, ps) in by_model {
        let text = substance_judge::import::arena_hard::judgment_file_v01(&ps, judge)
            .map_err(named("JudgeError"))?;
        out.push(serde_json::json!({ "file_name": format!("{dir}/{model}.jsonl"), "text": text }));
    }
    to_js(&out)
}
