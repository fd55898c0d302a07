//! The run loop: suite × model → receipt.
//!
//! A [`LanguageModel`] answers the two kinds of request a suite makes — per-choice log-likelihoods and
//! generations. The loop builds each prompt with `substance-suite` (lm-eval request construction), asks the
//! model, scores the response with the suite's scorers, writes one sealed receipt line per item (flushed,
//! so an interrupted run keeps what it finished) and closes with the aggregated summary.
//!
//! The per-item logic is a sans-IO state machine, [`RunSession`] (no I/O, no threads, builds for
//! `wasm32-unknown-unknown`), so any driver — this crate's blocking [`run`] / [`drive`], a thread pool, an
//! `async` browser loop — produces the same receipt ([`drive_concurrent`] keeps several requests in
//! flight, one model per worker, and writes what [`drive`] writes). The receipt is also the journal:
//! [`RunSession::resume`] continues an interrupted run from it. [`ReplayModel`] answers from recorded
//! responses (a JSONL of `{id, response}` lines or an earlier receipt); local burn models and HTTP
//! endpoints plug in behind [`LanguageModel`] in the CLI. [`merge_receipts`] joins the receipts of a
//! sharded run into the receipt of the unsharded one.

mod merge;
mod session;

pub use merge::{Merged, merge_receipts};
pub use session::{
    Finished, ItemLine, PendingRequest, Request, Resumed, RunSession, build_header, compare_headers,
};

use std::borrow::Borrow;
use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Deserialize;
use substance_core::{
    ChoiceLogLik, GenerationSpec, Item, ModelInfo, Prompt, ReceiptError, ReceiptLine,
    ReceiptReader, Response, Seeds, Selection, Suite, Summary, input,
};
use substance_score::ScoreError;
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
    /// An input file broke the reading policy ([`substance_core::input`]).
    #[error(transparent)]
    Input(#[from] substance_core::InputError),
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
    /// The journal (the receipt of the interrupted run) was written by a different run.
    #[error(
        "cannot resume: `{field}` differs from the interrupted run's (receipt has {journal}, this run has {current})"
    )]
    ResumeMismatch {
        /// Header field (`suite.sha256`, `selection`, `model.id`, `generation`, `seeds`, …).
        field: &'static str,
        /// Its value in the journal (JSON).
        journal: String,
        /// Its value for this run (JSON).
        current: String,
    },
    /// A line of the journal is not a valid continuation of the run.
    #[error("journal line {line}: {message}")]
    Journal {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Receipts to merge are not shards of one run: a header field differs.
    #[error(
        "cannot merge: `{field}` differs between {first} ({first_value}) and {other} ({other_value})"
    )]
    MergeMismatch {
        /// Header field (`suite.sha256`, `model.id`, `generation`, `seeds`, …).
        field: &'static str,
        /// The receipt compared against.
        first: String,
        /// Its value there (JSON).
        first_value: String,
        /// The receipt that differs.
        other: String,
        /// Its value there (JSON).
        other_value: String,
    },
    /// The shards do not cover the suite exactly once (a shard missing or given twice, or shards of
    /// different splits).
    #[error("cannot merge: {0}")]
    MergeCoverage(String),
    /// A receipt to merge cannot be read.
    #[error("{receipt}: {source}")]
    MergeRead {
        /// Receipt name (path).
        receipt: String,
        /// What the reader found.
        #[source]
        source: ReceiptError,
    },
    /// A receipt to merge is not a complete, intact shard.
    #[error("{receipt}: line {line}: {message}")]
    MergeInput {
        /// Receipt name (path).
        receipt: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Writing the receipt failed.
    #[error("writing the receipt: {0}")]
    Io(#[from] std::io::Error),
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
    ///
    /// Follows the reading policy ([`substance_core::input`]): a BOM and CRLF are accepted, a line that
    /// is not a JSON object or repeats a member is refused, an id given twice (in either form) is an
    /// error naming both lines, and a file without responses is an error.
    pub fn parse(text: &str, origin: &str) -> Result<Self, RunError> {
        let text = input::strip_bom(text);
        let first = input::lines(text)
            .next()
            .map(|(_, l)| l)
            .unwrap_or_default();
        let mut responses = HashMap::new();
        let mut ids = input::UniqueKeys::new("id");
        if first.contains("\"type\"") && first.contains("\"header\"") {
            let mut reader = ReceiptReader::new(text.as_bytes());
            while let Some(line) = reader.next_line()? {
                if let ReceiptLine::Item(r) = line {
                    ids.insert(&r.id, origin, reader.line_number())?;
                    responses.insert(r.id.clone(), r.response.clone());
                }
            }
        } else {
            for (line, l) in input::lines(text) {
                let bad = |message: String| RunError::Replay {
                    origin: origin.to_owned(),
                    line,
                    message,
                };
                let r: ReplayLine = input::record(l, origin, line)?;
                let resp = match (r.response, r.text) {
                    (Some(resp), None) => resp,
                    (None, Some(text)) => Response::Generation {
                        text,
                        finish_reason: None,
                    },
                    _ => return Err(bad("give exactly one of `response` and `text`".into())),
                };
                ids.insert(&r.id, origin, line)?;
                responses.insert(r.id, resp);
            }
        }
        input::require_records(responses.len(), text, origin)?;
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

/// Indices of the items a selection covers ([`Selection::indices`]), an invalid shard refused.
pub fn selected_indices(n_items: usize, sel: &Selection) -> Result<Vec<usize>, RunError> {
    sel.indices(n_items).ok_or_else(|| {
        let [i, n] = sel.shard.unwrap_or_default();
        RunError::Options(format!("shard {i}/{n}: need 0 ≤ i < n"))
    })
}

/// Run `suite` on `model`, streaming the receipt into `out`; `progress(done, total)` after each item.
pub fn run<W: Write, M: LanguageModel + ?Sized>(
    suite: &Suite,
    model: &mut M,
    opts: &RunOptions,
    mut out: W,
    progress: impl FnMut(usize, usize),
) -> Result<Summary, RunError> {
    let session = RunSession::new(suite, model.info(), opts)?;
    out.write_all(session.header_line()?.as_bytes())?;
    out.flush()?;
    drive(session, model, out, progress)
}

/// The blocking driver: ask `model` for every remaining item of `session`, append each receipt line to
/// `out` (flushed line by line, so the receipt is a journal an interrupted run resumes from), then the
/// summary. `out` must already hold the header (and any finished lines of a resumed run).
pub fn drive<S: Borrow<Suite>, W: Write, M: LanguageModel + ?Sized>(
    session: RunSession<S>,
    model: &mut M,
    out: W,
    progress: impl FnMut(usize, usize),
) -> Result<Summary, RunError> {
    let pool = Pool::new(session, out, progress);
    pool.work(model);
    pool.finish()
}

/// [`drive`] with up to `workers` requests in flight: `model` answers on the calling thread and each
/// of the other `workers − 1` workers opens its own model with `open_more` on its own scoped thread
/// (so a model need not be `Send`; one endpoint connection per worker). Items are handed out in
/// selection order, each exactly once; the session (on whichever thread holds its lock) writes every
/// line as soon as all earlier ones are written, so the receipt is byte-identical to [`drive`]'s
/// whatever order the answers come in, and it stays a journal: a kill keeps every finished prefix.
///
/// On the first failure no new item is handed out; answers already in flight are still recorded (those
/// that extend the finished prefix reach `out`), and the error of the earliest failed item in selection
/// order is returned. With `workers ≤ 1` no thread is spawned (this is how `wasm32` callers use it).
pub fn drive_concurrent<S, W, M>(
    session: RunSession<S>,
    model: &mut M,
    open_more: &(dyn Fn() -> Result<Box<dyn LanguageModel>, String> + Sync),
    workers: usize,
    out: W,
    progress: impl FnMut(usize, usize) + Send,
) -> Result<Summary, RunError>
where
    S: Borrow<Suite> + Send,
    W: Write + Send,
    M: LanguageModel + ?Sized,
{
    let total = session.total();
    let pool = Pool::new(session, out, progress);
    let remaining = total.saturating_sub(pool.lock()?.session.done());
    let spawn = workers.max(1).min(remaining.max(1)) - 1;
    if spawn == 0 {
        pool.work(model);
    } else {
        std::thread::scope(|s| {
            for _ in 0..spawn {
                s.spawn(|| match open_more() {
                    Ok(mut m) => pool.work(m.as_mut()),
                    Err(message) => pool.fail(
                        usize::MAX,
                        RunError::Options(format!(
                            "cannot open another connection to the model: {message}"
                        )),
                    ),
                });
            }
            pool.work(model);
        });
    }
    pool.finish()
}

/// What the workers of [`drive_concurrent`] share: the session, the receipt and the errors, behind one
/// lock (held only to hand out, record and write, never while a model answers).
struct Pool<S: Borrow<Suite>, W, P> {
    state: Mutex<PoolState<S, W, P>>,
    failed: AtomicBool,
}

struct PoolState<S: Borrow<Suite>, W, P> {
    session: RunSession<S>,
    out: W,
    progress: P,
    /// Items handed out so far (the sequence number of the next one, for ordering errors).
    handed: usize,
    /// Failures, by sequence number of the item (`usize::MAX`: not tied to an item).
    errors: Vec<(usize, RunError)>,
}

impl<S: Borrow<Suite>, W: Write, P: FnMut(usize, usize)> Pool<S, W, P> {
    fn new(session: RunSession<S>, out: W, progress: P) -> Self {
        Self {
            state: Mutex::new(PoolState {
                session,
                out,
                progress,
                handed: 0,
                errors: Vec::new(),
            }),
            failed: AtomicBool::new(false),
        }
    }

    /// The earliest failure, or the sealed summary written after the items.
    fn finish(self) -> Result<Summary, RunError> {
        let PoolState {
            session,
            mut out,
            errors,
            ..
        } = self
            .state
            .into_inner()
            .map_err(|_| RunError::Options("a run worker panicked".into()))?;
        if let Some((_, e)) = errors.into_iter().min_by_key(|(seq, _)| *seq) {
            return Err(e);
        }
        let finished = session.finish()?;
        out.write_all(finished.text.as_bytes())?;
        out.flush()?;
        Ok(finished.summary)
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, PoolState<S, W, P>>, RunError> {
        self.state
            .lock()
            .map_err(|_| RunError::Options("a run worker panicked".into()))
    }

    fn fail(&self, seq: usize, e: RunError) {
        self.failed.store(true, Ordering::SeqCst);
        if let Ok(mut st) = self.state.lock() {
            st.errors.push((seq, e));
        }
    }

    /// One worker: take the next item, answer it with `model` (lock released), record it; until the
    /// items run out or some worker failed.
    fn work<M: LanguageModel + ?Sized>(&self, model: &mut M) {
        while !self.failed.load(Ordering::SeqCst) {
            let next = self.lock().and_then(|mut st| {
                let p = st.session.next_request()?;
                let seq = st.handed;
                st.handed += 1;
                Ok(p.map(|p| (seq, p)))
            });
            let (seq, p) = match next {
                Ok(Some(x)) => x,
                Ok(None) => return,
                Err(e) => return self.fail(usize::MAX, e),
            };
            let answer = match &p.request {
                Request::LogLikelihood(pairs) => model
                    .loglikelihood(&p.item, pairs)
                    .map(PendingRequest::loglikelihoods),
                Request::Generate(settings) => model.generate(&p.item, &p.prompt, settings),
            };
            let recorded = self.lock().and_then(|mut st| {
                let response = answer.map_err(|m| st.session.model_error(&p, m))?;
                let lines = st.session.complete(p.index, response)?;
                if lines.is_empty() {
                    return Ok(());
                }
                for line in &lines {
                    st.out.write_all(line.text.as_bytes())?;
                }
                st.out.flush()?;
                let (done, total) = (st.session.done(), st.session.total());
                (st.progress)(done, total);
                Ok(())
            });
            if let Err(e) = recorded {
                return self.fail(seq, e);
            }
        }
    }
}
