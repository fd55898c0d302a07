//! `substance judge`: run a judge protocol over pairs with a live judge model (endpoint or local) and
//! write the judged pairs.
//!
//! For each pair and each game of the protocol (two, answers swapped in the second, for Arena-Hard,
//! SOS and MT-Bench pairwise), the judge's messages are rendered by `substance-judge`
//! ([`Judge::conversation`]), sent as a chat prompt, and each reply is recorded in the
//! [`substance_judge::Conversation`], which reproduces the reference's attempt loop (Arena-Hard v0.1 /
//! SOS ask again once when no label was found, and parse the replies joined). The verdict is appended to
//! the pair as a [`RecordedVerdict`] whose `raw` is the judgment text the parser read, so re-parsing
//! `raw` reproduces `verdict`.
//!
//! `--concurrency N` (default 8, as `run --concurrency`) judges the pair × game conversations on N
//! workers, each with its own connection to the endpoint; each conversation stays sequential (a retry
//! follows its first reply), every conversation is judged once, and the verdicts are appended in input
//! order whatever the completion order, so the output equals a `--concurrency 1` run whenever the judge
//! answers a request the same way whenever it comes. A local model is loaded once and judges one request
//! at a time.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use clap::Args;
use substance_core::{GenerationSpec, Item, Prompt, Response};
use substance_judge::metrics::{Reading, human_preferences, judge_preferences};
use substance_judge::{
    Game, Judge, JudgeProtocol, JudgedPair, Labels, Missing, RecordedVerdict, Step, agreement,
};
use substance_runner::LanguageModel;

use crate::util::{print_json, read_text};

/// `substance judge`.
#[derive(Args)]
pub struct JudgeArgs {
    /// Protocol: arena-hard-v0.1, arena-hard-v2, sos-factors, sos-factors-2025, mt-bench-single,
    /// mt-bench-pair, mt-bench-pair-scores, judgelm.
    #[arg(long)]
    pub protocol: String,
    /// Pairs to judge: JSONL of `substance-judge` JudgedPair (recorded verdicts are kept). Or, for
    /// Arena-Hard, give `--questions`, `--answers` and `--baseline-answers` instead.
    #[arg(
        long,
        required_unless_present = "questions",
        conflicts_with = "questions"
    )]
    pub pairs: Option<PathBuf>,
    /// Arena-Hard (`--protocol arena-hard-v0.1`): the question file. With `--answers` and
    /// `--baseline-answers`, each model's answers are judged against the baseline's (both games), and
    /// `--judgments-out` writes the upstream judgment files that `substance leaderboard` reads.
    #[arg(long, requires_all = ["answers", "baseline_answers"])]
    pub questions: Option<PathBuf>,
    /// Arena-Hard: the `model_answer/<model>.jsonl` files of the models to judge (what `substance
    /// answers` writes).
    #[arg(long, num_args = 1..)]
    pub answers: Vec<PathBuf>,
    /// Arena-Hard: the baseline's `model_answer` file.
    #[arg(long)]
    pub baseline_answers: Option<PathBuf>,
    /// Arena-Hard: write `<model>.jsonl` judgment files (v0.1 layout) into this folder.
    #[arg(long, requires = "questions")]
    pub judgments_out: Option<PathBuf>,
    /// Judge model spec (as `run --model`: `http(s)://HOST:PORT/v1#NAME`, `openai:NAME`, `gguf:`/`hf:`).
    #[arg(long)]
    pub judge: String,
    /// Judge prompts that replace the built-in ones of the same name: FastChat's `judge_prompts.jsonl`
    /// (the upstream MT-Bench texts; the shipped MT-Bench prompts are substance's own wording), or a
    /// `.toml` file in `substance-judge`'s prompt layout.
    #[arg(long, value_name = "FILE")]
    pub judge_prompts: Option<PathBuf>,
    /// Write the judged pairs (JSONL) here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Most tokens per judge reply.
    #[arg(long, default_value_t = 1024)]
    pub max_tokens: usize,
    /// Sampling temperature of the judge (0 = greedy).
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f64,
    /// Environment variable holding the endpoint's API key.
    #[arg(long)]
    pub api_key_env: Option<String>,
    /// Concurrent requests to an endpoint judge (pair × game conversations judged at once; the output
    /// is in input order whatever the concurrency). A local judge model answers one at a time.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Print the agreement as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Read a JudgedPair JSONL file.
pub fn read_pairs(path: &Path) -> Result<Vec<JudgedPair>> {
    let name = path.display().to_string();
    Ok(substance_judge::examples::parse_pairs(
        &read_text(path)?,
        &name,
    )?)
}

/// Write pairs as JSONL.
pub fn write_pairs(path: &Path, pairs: &[JudgedPair]) -> Result<()> {
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    for p in pairs {
        serde_json::to_writer(&mut f, p)?;
        f.write_all(b"\n")?;
    }
    f.flush()
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Open the judge model.
pub fn open_judge(spec: &str, api_key_env: Option<String>) -> Result<Box<dyn LanguageModel>> {
    crate::models::open(spec, &judge_model_options(api_key_env))
}

fn judge_model_options(api_key_env: Option<String>) -> crate::models::ModelOptions {
    crate::models::ModelOptions {
        sampling_seed: 0,
        api_key_env,
        // Each worker has its own model and sends one request at a time.
        concurrency: 1,
        weights: substance_model::LoadOptions::default(),
    }
}

/// Judge every pair with `model` (all games of the protocol), appending one verdict per game, on
/// `workers` workers: `model` judges on this thread, and each of the other
/// `workers − 1` opens its own model with `open_more` on its own thread. The pair × game conversations
/// are handed out one at a time; each is judged exactly once, and the verdicts are appended per pair in
/// game order. On failure, no new conversation starts, the pairs are left untouched, and the error of
/// the first failed conversation (in input order) is returned. A progress bar named `what` counts the
/// conversations on stderr (cleared when done, then a one-line count).
pub fn judge_with_progress(
    what: &str,
    judge: &Judge,
    model: &mut dyn LanguageModel,
    open_more: &(dyn Fn() -> Result<Box<dyn LanguageModel>> + Sync),
    workers: usize,
    settings: &GenerationSpec,
    pairs: &mut [JudgedPair],
) -> Result<()> {
    let judge_id = model.info().id;
    let games = judge.games();
    let units: Vec<(usize, Game)> = (0..pairs.len())
        .flat_map(|p| games.iter().map(move |g| (p, *g)))
        .collect();
    let progress = crate::util::progress(units.len() as u64, what);
    let shared: &[JudgedPair] = pairs;
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<RecordedVerdict>>>> =
        Mutex::new((0..units.len()).map(|_| None).collect());
    let open_errors: Mutex<Vec<anyhow::Error>> = Mutex::new(Vec::new());
    let work = |model: &mut dyn LanguageModel| {
        while !failed.load(Ordering::SeqCst) {
            let u = next.fetch_add(1, Ordering::SeqCst);
            let Some(&(p, game)) = units.get(u) else {
                break;
            };
            let r = judge_game(judge, model, &judge_id, settings, &shared[p], game);
            progress.inc(1);
            if r.is_err() {
                failed.store(true, Ordering::SeqCst);
            }
            if let Ok(mut slots) = results.lock() {
                slots[u] = Some(r);
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 1..workers.min(units.len()) {
            s.spawn(|| match open_more() {
                Ok(mut m) => work(m.as_mut()),
                Err(e) => {
                    failed.store(true, Ordering::SeqCst);
                    if let Ok(mut errs) = open_errors.lock() {
                        errs.push(e);
                    }
                }
            });
        }
        work(model);
    });
    let results = results
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a judge worker panicked"))?;
    if let Some(e) = open_errors
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a judge worker panicked"))?
        .into_iter()
        .next()
    {
        return Err(e.context("cannot open another connection to the judge"));
    }
    let mut verdicts = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Some(r) => verdicts.push(r?),
            None => bail!("a judge conversation was not run"),
        }
    }
    let mut verdicts = verdicts.into_iter();
    for pair in pairs.iter_mut() {
        pair.verdicts.extend(verdicts.by_ref().take(games.len()));
    }
    progress.finish_and_clear();
    errln!("{what}: {} conversations judged", progress.position());
    Ok(())
}

/// A judge prompt file: `.toml` in the crate's layout, anything else FastChat's `judge_prompts.jsonl`.
fn read_prompts(path: &Path) -> Result<substance_judge::PromptSet> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
    let set = if path.extension().is_some_and(|e| e == "toml") {
        substance_judge::PromptSet::from_toml(&text, &name)?
    } else {
        substance_judge::PromptSet::from_fastchat_jsonl(&text, &name)?
    };
    let names: Vec<&str> = set.prompts.iter().map(|p| p.name.as_str()).collect();
    errln!(
        "judge prompts from {name} (replacing built-in ones of the same name): {}",
        names.join(", ")
    );
    Ok(set)
}

/// Arena-Hard pairs: every model's answers against the baseline's, per question of the question file.
fn arena_pairs(
    questions: &Path,
    answers: &[PathBuf],
    baseline: Option<&Path>,
) -> Result<Vec<JudgedPair>> {
    let name = questions.display().to_string();
    let bytes = std::fs::read(questions).with_context(|| format!("cannot read {name}"))?;
    let suite = substance_suite::import::import(
        "arena-hard",
        &bytes,
        &name,
        &substance_suite::import::ImportOptions::default(),
    )?;
    let qs: Vec<(String, String)> = suite
        .items
        .iter()
        .map(|i| (i.id.clone(), i.input.clone()))
        .collect();
    let by_model = |path: &Path| -> Result<BTreeMap<String, BTreeMap<String, String>>> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
        let answers = substance_leaderboard::parse_answers(&bytes, &name)?;
        Ok(substance_leaderboard::formats::answers_by_model(
            &answers, &name,
        )?)
    };
    let Some(baseline) = baseline else {
        bail!("--questions needs --baseline-answers");
    };
    let base = by_model(baseline)?;
    let [(base_name, base_answers)] = base.iter().collect::<Vec<_>>()[..] else {
        bail!(
            "{}: a baseline answer file holds one model's answers",
            baseline.display()
        );
    };
    let mut pairs = Vec::new();
    let mut seen = BTreeMap::new();
    for f in answers {
        for (model, ans) in by_model(f)? {
            if model == *base_name {
                bail!(
                    "{}: {model} is the baseline; it is not judged against itself",
                    f.display()
                );
            }
            if let Some(first) = seen.insert(model.clone(), f.display().to_string()) {
                bail!("answers of {model} in {first} and again in {}", f.display());
            }
            let got = substance_judge::import::arena_hard::pairs_to_judge(
                &qs,
                (base_name, base_answers),
                (&model, &ans),
            )?;
            errln!(
                "{model}: {} of {} questions answered, judged against {base_name}",
                got.len(),
                qs.len()
            );
            pairs.extend(got);
        }
    }
    Ok(pairs)
}

/// `DIR/<model>.jsonl` per judged model, in Arena-Hard v0.1's judgment layout.
fn write_arena_judgments(dir: &Path, pairs: &[JudgedPair], judge_id: &str) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut by_model: BTreeMap<&str, Vec<JudgedPair>> = BTreeMap::new();
    for p in pairs {
        let model = p
            .meta
            .get("model")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        by_model.entry(model).or_default().push(p.clone());
    }
    for (model, ps) in by_model {
        // The name comes from an answer file: it names a file here, so it must not leave the folder.
        if model.is_empty() || model.contains(['/', '\\']) || model.starts_with('.') {
            bail!("model name `{model}` cannot name a judgment file (empty, a path, or hidden)");
        }
        let text = substance_judge::import::arena_hard::judgment_file_v01(&ps, judge_id)?;
        let path = dir.join(format!("{model}.jsonl"));
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        errln!(
            "{} judgments of {model} written to {}",
            ps.len(),
            path.display()
        );
    }
    Ok(())
}

/// One game of one pair: the conversation with the judge until the protocol has a verdict.
fn judge_game(
    judge: &Judge,
    model: &mut dyn LanguageModel,
    judge_id: &str,
    settings: &GenerationSpec,
    pair: &JudgedPair,
    game: Game,
) -> Result<RecordedVerdict> {
    let item = Item {
        id: pair.id.clone(),
        input: pair.question.clone(),
        choices: Vec::new(),
        gold: Vec::new(),
        target: None,
        group: None,
        instructions: Vec::new(),
        meta: BTreeMap::new(),
    };
    let mut conv = judge
        .conversation(&pair.judge_input(), game)
        .with_context(|| format!("pair {}: cannot render the judge prompt", pair.id))?;
    let parsed = loop {
        let prompt = Prompt::Chat {
            messages: conv.messages().to_vec(),
        };
        let reply = match model.generate(&item, &prompt, settings) {
            Ok(Response::Generation { text, .. }) => text,
            Ok(_) => bail!("pair {}: the judge did not answer with text", pair.id),
            Err(e) => bail!("pair {}: the judge failed: {e}", pair.id),
        };
        if let Step::Done(p) = conv.record(&reply) {
            break p;
        }
    };
    let mut v = RecordedVerdict::new(
        judge_id,
        judge.protocol.name(),
        game.swapped,
        parsed.verdict,
    );
    v.raw = Some(conv.judgment().to_owned());
    v.meta.insert("game".into(), game.index.into());
    v.meta.insert("attempts".into(), conv.attempts().into());
    Ok(v)
}

pub fn run(a: JudgeArgs) -> Result<ExitCode> {
    let protocol: JudgeProtocol = a
        .protocol
        .parse()
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("--protocol")?;
    if protocol.family().is_none() {
        bail!("{protocol} is parse-only (its prompts are not shipped); it cannot judge live");
    }
    let judge = match &a.judge_prompts {
        // The file's prompts replace the built-in ones of the same name; the others stay.
        Some(path) => Judge::with_prompts(
            protocol,
            Judge::new(protocol).prompts.overlay(read_prompts(path)?),
        ),
        None => Judge::new(protocol),
    };
    let mut pairs = match (&a.pairs, &a.questions) {
        (Some(p), _) => read_pairs(p)?,
        (None, Some(q)) => {
            if protocol != JudgeProtocol::ArenaHardV01 {
                bail!("--questions builds Arena-Hard pairs: use --protocol arena-hard-v0.1");
            }
            arena_pairs(q, &a.answers, a.baseline_answers.as_deref())?
        }
        (None, None) => bail!("give --pairs, or --questions with --answers and --baseline-answers"),
    };
    let mut model = open_judge(&a.judge, a.api_key_env.clone())?;
    let judge_id = model.info().id;
    let settings = GenerationSpec {
        max_tokens: a.max_tokens,
        stop: Vec::new(),
        temperature: a.temperature,
    };
    let workers = if crate::models::is_endpoint(&a.judge) {
        a.concurrency.max(1)
    } else {
        1
    };
    errln!(
        "judging {} pairs with {judge_id} ({protocol}, {} game(s) each, {workers} at a time)",
        pairs.len(),
        judge.games().len()
    );
    let open_more = || open_judge(&a.judge, a.api_key_env.clone());
    judge_with_progress(
        "judging",
        &judge,
        model.as_mut(),
        &open_more,
        workers,
        &settings,
        &mut pairs,
    )?;
    if let Some(out) = &a.out {
        write_pairs(out, &pairs)?;
        errln!("judged pairs written to {}", out.display());
    }
    if let Some(dir) = &a.judgments_out {
        write_arena_judgments(dir, &pairs, &judge_id)?;
    }
    // Agreement with human labels, on the verdicts just made.
    let mine: Vec<JudgedPair> = pairs
        .iter()
        .map(|p| {
            let mut q = p.clone();
            q.verdicts.retain(|v| {
                v.judge == judge_id && v.protocol == protocol.name() && v.meta.contains_key("game")
            });
            q
        })
        .collect();
    let reading = if judge.games().len() > 1 {
        Reading::Combined
    } else {
        Reading::First
    };
    let gold = human_preferences(&mine);
    let pred = judge_preferences(&mine, &judge_id, reading);
    let n_verdicts: usize = mine.iter().map(|p| p.verdicts.len()).sum();
    let n_parsed: usize = mine
        .iter()
        .flat_map(|p| &p.verdicts)
        .filter(|v| v.verdict.is_some())
        .count();
    let agree = if gold.iter().any(Option::is_some) && protocol.is_pairwise() {
        Some(agreement(&gold, &pred, Missing::Drop, Labels::Present).map_err(anyhow::Error::msg)?)
    } else {
        None
    };
    if a.json {
        print_json(&serde_json::json!({
            "judge": judge_id,
            "protocol": protocol.name(),
            "pairs": pairs.len(),
            "verdicts": n_verdicts,
            "parsed": n_parsed,
            "agreement": agree,
        }))?;
    } else {
        outln!(
            "{} pairs, {n_verdicts} verdicts ({n_parsed} parsed) by {judge_id} ({protocol})",
            pairs.len()
        );
        match &agree {
            Some(ag) => outln!(
                "agreement with human labels: {:.4} (n = {}, {} without a verdict), macro F1 {:.4}, κ {}",
                ag.accuracy,
                ag.n,
                ag.n_missing,
                ag.macro_prf.f1,
                ag.kappa
                    .map(|k| format!("{k:.4}"))
                    .unwrap_or_else(|| "-".into())
            ),
            None => {
                outln!("no human labels (or a single-answer protocol): no agreement computed")
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
