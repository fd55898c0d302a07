//! The run loop: suite × model → receipt.
//!
//! A [`LanguageModel`] answers the two kinds of request a suite makes — per-choice log-likelihoods and
//! generations. The loop builds each prompt with `substance-suite` (lm-eval request construction), asks the
//! model, scores the response with the suite's scorers, writes one sealed receipt line per item (flushed,
//! so an interrupted run keeps what it finished) and closes with the aggregated summary.
//!
//! This first version is synchronous and ships one model kind, [`ReplayModel`], which answers from
//! recorded responses (a JSONL of `{id, response}` lines or an earlier receipt). The local burn runtime
//! and HTTP endpoints plug in behind the same trait.

use std::collections::HashMap;
use std::io::Write;

use serde::Deserialize;
use substance_core::{
    ChoiceLogLik, GenerationSpec, Header, Item, ItemRecord, ModelInfo, Prompt, RECEIPT_SCHEMA,
    ReceiptError, ReceiptLine, ReceiptReader, ReceiptWriter, Response, Seeds, Selection, Suite,
    SuiteRef, Summary, ToolInfo,
};
use substance_score::{Aggregator, ScoreError, score_item};
use thiserror::Error;

/// Errors of a run.
#[derive(Debug, Error)]
pub enum RunError {
    /// The model failed on an item.
    #[error("model `{model}` on item `{item}`: {message}")]
    Model {
        /// Model id.
        model: String,
        /// Item id.
        item: String,
        /// What went wrong.
        message: String,
    },
    /// The prompt could not be built.
    #[error(transparent)]
    Suite(#[from] substance_suite::SuiteError),
    /// Scoring failed.
    #[error(transparent)]
    Score(#[from] ScoreError),
    /// Writing the receipt failed.
    #[error(transparent)]
    Receipt(#[from] ReceiptError),
    /// Hashing failed.
    #[error(transparent)]
    Core(#[from] substance_core::CoreError),
    /// A replay file is malformed.
    #[error("{origin}:{line}: {message}")]
    Replay {
        /// File name.
        origin: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Bad options.
    #[error("{0}")]
    Options(String),
}

/// Something that answers a suite's requests.
pub trait LanguageModel {
    /// Identity written into the receipt header.
    fn info(&self) -> ModelInfo;
    /// Log-likelihood of each `[context, continuation]` pair (one per choice).
    fn loglikelihood(
        &mut self,
        item: &Item,
        requests: &[[String; 2]],
    ) -> Result<Vec<ChoiceLogLik>, String>;
    /// Generate a completion.
    fn generate(
        &mut self,
        item: &Item,
        prompt: &Prompt,
        settings: &GenerationSpec,
    ) -> Result<Response, String>;
}

impl<M: LanguageModel + ?Sized> LanguageModel for Box<M> {
    fn info(&self) -> ModelInfo {
        (**self).info()
    }
    fn loglikelihood(
        &mut self,
        item: &Item,
        requests: &[[String; 2]],
    ) -> Result<Vec<ChoiceLogLik>, String> {
        (**self).loglikelihood(item, requests)
    }
    fn generate(
        &mut self,
        item: &Item,
        prompt: &Prompt,
        settings: &GenerationSpec,
    ) -> Result<Response, String> {
        (**self).generate(item, prompt, settings)
    }
}

/// Answers from recorded responses, keyed by item id.
pub struct ReplayModel {
    id: String,
    responses: HashMap<String, Response>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayLine {
    id: String,
    #[serde(default)]
    response: Option<Response>,
    #[serde(default)]
    text: Option<String>,
}

impl ReplayModel {
    /// Parse a replay JSONL (`{"id": …, "response": {…}}` or the shorthand `{"id": …, "text": "…"}`) or a
    /// receipt (its item lines' responses are replayed).
    pub fn parse(text: &str, origin: &str) -> Result<Self, RunError> {
        let first = text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default();
        let mut responses = HashMap::new();
        if first.contains("\"type\"") && first.contains("\"header\"") {
            for line in ReceiptReader::new(text.as_bytes()) {
                if let ReceiptLine::Item(r) = line? {
                    responses.insert(r.id.clone(), r.response.clone());
                }
            }
        } else {
            for (i, l) in text.lines().enumerate() {
                if l.trim().is_empty() {
                    continue;
                }
                let bad = |message: String| RunError::Replay {
                    origin: origin.to_owned(),
                    line: i + 1,
                    message,
                };
                let r: ReplayLine = serde_json::from_str(l).map_err(|e| bad(e.to_string()))?;
                let resp = match (r.response, r.text) {
                    (Some(resp), None) => resp,
                    (None, Some(text)) => Response::Generation {
                        text,
                        finish_reason: None,
                    },
                    _ => return Err(bad("give exactly one of `response` and `text`".into())),
                };
                if responses.insert(r.id.clone(), resp).is_some() {
                    return Err(bad(format!("duplicate id `{}`", r.id)));
                }
            }
        }
        // The id names the file, not where it lay on the machine that ran it (receipts are shared).
        let name = origin.rsplit(['/', '\\']).next().unwrap_or(origin);
        Ok(Self {
            id: format!("replay:{name}"),
            responses,
        })
    }

    fn take(&self, item: &Item) -> Result<Response, String> {
        self.responses
            .get(&item.id)
            .cloned()
            .ok_or_else(|| format!("no recorded response for item `{}`", item.id))
    }
}

impl LanguageModel for ReplayModel {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            id: self.id.clone(),
            weights_sha256: None,
            source: Some("recorded responses".into()),
        }
    }
    fn loglikelihood(
        &mut self,
        item: &Item,
        requests: &[[String; 2]],
    ) -> Result<Vec<ChoiceLogLik>, String> {
        match self.take(item)? {
            Response::LogLikelihood { choices, .. } if choices.len() == requests.len() => {
                Ok(choices)
            }
            _ => Err(format!(
                "recorded response for `{}` is not {} log-likelihoods",
                item.id,
                requests.len()
            )),
        }
    }
    fn generate(
        &mut self,
        item: &Item,
        _: &Prompt,
        _: &GenerationSpec,
    ) -> Result<Response, String> {
        self.take(item)
    }
}

/// Run options.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Which items.
    pub selection: Selection,
    /// Seeds (bootstrap; sampling when used).
    pub seeds: Seeds,
    /// Creation time to record, if any.
    pub created: Option<String>,
}

/// Indices of the items a selection covers.
pub fn selected_indices(n_items: usize, sel: &Selection) -> Result<Vec<usize>, RunError> {
    let mut idx: Vec<usize> = (0..n_items).collect();
    if let Some([i, n]) = sel.shard {
        if n == 0 || i >= n {
            return Err(RunError::Options(format!("shard {i}/{n}: need 0 ≤ i < n")));
        }
        idx.retain(|k| k % n == i);
    }
    if let Some(l) = sel.limit {
        idx.truncate(l);
    }
    Ok(idx)
}

/// Run `suite` on `model`, streaming the receipt into `out`; `progress(done, total)` after each item.
pub fn run<W: Write, M: LanguageModel + ?Sized>(
    suite: &Suite,
    model: &mut M,
    opts: &RunOptions,
    out: W,
    mut progress: impl FnMut(usize, usize),
) -> Result<Summary, RunError> {
    let header = Header {
        schema: RECEIPT_SCHEMA.to_owned(),
        suite: SuiteRef {
            name: suite.spec.name.clone(),
            version: suite.spec.version.clone(),
            sha256: suite.sha256()?,
            n_items: suite.items.len(),
            spec: suite.spec.clone(),
        },
        selection: opts.selection.clone(),
        model: model.info(),
        generation: suite.spec.generation.clone(),
        seeds: opts.seeds.clone(),
        tool: ToolInfo {
            name: "substance".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        created: opts.created.clone(),
    };
    let indices = selected_indices(suite.items.len(), &opts.selection)?;
    let mut writer = ReceiptWriter::new(out, &header)?;
    let mut agg = Aggregator::new();
    let model_id = header.model.id.clone();
    for (done, &index) in indices.iter().enumerate() {
        let item = &suite.items[index];
        let prompt = substance_suite::build_prompt(suite, index)?;
        let fail = |message: String| RunError::Model {
            model: model_id.clone(),
            item: item.id.clone(),
            message,
        };
        let response = match &prompt {
            Prompt::LogLikelihood {
                context,
                continuations,
            } => {
                let pairs: Vec<[String; 2]> = continuations
                    .iter()
                    .map(|c| [context.clone(), c.clone()])
                    .collect();
                Response::LogLikelihood {
                    choices: model.loglikelihood(item, &pairs).map_err(fail)?,
                    unconditional: None,
                }
            }
            // Partial scoring (WinoGrande): one context per choice, recorded as sent.
            Prompt::LogLikelihoodPairs { requests } => Response::LogLikelihood {
                choices: model.loglikelihood(item, requests).map_err(fail)?,
                unconditional: None,
            },
            Prompt::Completion { .. } | Prompt::Chat { .. } => model
                .generate(item, &prompt, &suite.spec.generation)
                .map_err(fail)?,
        };
        let scores = score_item(&suite.spec, item, &response)?;
        agg.push(item.group.as_deref(), &scores);
        writer.write_item(ItemRecord {
            index,
            id: item.id.clone(),
            item_sha256: String::new(),
            item: item.clone(),
            prompt,
            response,
            scores,
            digest: String::new(),
        })?;
        progress(done + 1, indices.len());
    }
    let (n_items, selection_sha256, items_digest) = writer.digests();
    let (metrics, groups) = agg.finish(opts.seeds.bootstrap, opts.seeds.bootstrap_resamples);
    let summary = Summary {
        n_items,
        selection_sha256,
        items_digest,
        metrics,
        groups,
    };
    writer.finish(&summary)?;
    Ok(summary)
}
