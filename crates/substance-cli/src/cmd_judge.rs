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

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use substance_core::{GenerationSpec, Item, Prompt, Response};
use substance_judge::metrics::{Reading, human_preferences, judge_preferences};
use substance_judge::{
    Judge, JudgeProtocol, JudgedPair, Labels, Missing, RecordedVerdict, Step, agreement,
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
    /// Pairs to judge: JSONL of `substance-judge` JudgedPair (recorded verdicts are kept).
    #[arg(long)]
    pub pairs: PathBuf,
    /// Judge model spec (as `run --model`: `http(s)://HOST:PORT/v1#NAME`, `openai:NAME`, `gguf:`/`hf:`).
    #[arg(long)]
    pub judge: String,
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
    /// Print the agreement as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Read a JudgedPair JSONL file.
pub fn read_pairs(path: &Path) -> Result<Vec<JudgedPair>> {
    read_text(path)?
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{}: line {}", path.display(), i + 1))
        })
        .collect()
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
    crate::models::open(
        spec,
        &crate::models::ModelOptions {
            sampling_seed: 0,
            api_key_env,
            concurrency: 1,
        },
    )
}

/// Judge every pair with `model` (all games of the protocol), appending one verdict per game.
pub fn judge_pairs(
    judge: &Judge,
    model: &mut dyn LanguageModel,
    settings: &GenerationSpec,
    pairs: &mut [JudgedPair],
    mut meta: impl FnMut(&JudgedPair) -> BTreeMap<String, serde_json::Value>,
) -> Result<()> {
    let judge_id = model.info().id;
    for pair in pairs.iter_mut() {
        let input = pair.judge_input();
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
        let extra = meta(pair);
        for game in judge.games() {
            let mut conv = judge
                .conversation(&input, game)
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
                &judge_id,
                judge.protocol.name(),
                game.swapped,
                parsed.verdict,
            );
            v.raw = Some(conv.judgment().to_owned());
            v.meta.insert("game".into(), game.index.into());
            v.meta.insert("attempts".into(), conv.attempts().into());
            v.meta.extend(extra.clone());
            pair.verdicts.push(v);
        }
    }
    Ok(())
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
    let judge = Judge::new(protocol);
    let mut pairs = read_pairs(&a.pairs)?;
    let mut model = open_judge(&a.judge, a.api_key_env.clone())?;
    let judge_id = model.info().id;
    let settings = GenerationSpec {
        max_tokens: a.max_tokens,
        stop: Vec::new(),
        temperature: a.temperature,
    };
    eprintln!(
        "judging {} pairs with {judge_id} ({protocol}, {} game(s) each)",
        pairs.len(),
        judge.games().len()
    );
    judge_pairs(&judge, model.as_mut(), &settings, &mut pairs, |_| {
        BTreeMap::new()
    })?;
    if let Some(out) = &a.out {
        write_pairs(out, &pairs)?;
        eprintln!("judged pairs written to {}", out.display());
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
        println!(
            "{} pairs, {n_verdicts} verdicts ({n_parsed} parsed) by {judge_id} ({protocol})",
            pairs.len()
        );
        match &agree {
            Some(ag) => println!(
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
                println!("no human labels (or a single-answer protocol): no agreement computed")
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
