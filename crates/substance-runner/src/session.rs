//! The run as a sans-IO state machine: [`RunSession`].
//!
//! A session owns everything a run decides — which items, in which order, the prompt of each, how a
//! response is checked and scored, the sealed receipt lines and their running digests, the aggregation —
//! and nothing that waits: it never reads a file, never calls a model, never spawns a thread. A *driver*
//! does that: it takes [`PendingRequest`]s from [`RunSession::next_request`], gets the responses however it
//! likes (a blocking loop, a thread pool, `async` `fetch` in a browser), hands them back with
//! [`RunSession::complete`] in any order, and writes the [`ItemLine`]s the session returns — always in
//! selection order, so the receipt is the same whatever the concurrency. [`crate::run`] is the blocking
//! driver used by the CLI.
//!
//! The receipt being written is also the run's journal: [`RunSession::resume`] reads the lines of an
//! interrupted receipt, drops a torn last line, checks that the header is the one this run would write,
//! re-checks every finished line and feeds its scores into the aggregation, and continues after the last
//! finished item. [`Resumed::keep_bytes`] tells the driver where to cut the file before appending.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

use substance_core::hash::ListDigest;
use substance_core::receipt::ITEMS_DIGEST_TAG;
use substance_core::{
    ChoiceLogLik, GenerationSpec, Header, Item, ItemRecord, ModelInfo, Prompt, RECEIPT_SCHEMA,
    ReceiptLine, Response, SELECTION_DIGEST_TAG, Suite, SuiteRef, Summary, ToolInfo,
};
use substance_score::{Aggregator, score_item};

use crate::{RunError, RunOptions, selected_indices};

/// What the model has to answer for one item.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Log-likelihood of each `[context, continuation]` pair, one per choice, in choice order. Answer with
    /// [`Response::LogLikelihood`] holding exactly as many choices (see [`PendingRequest::loglikelihoods`]).
    LogLikelihood(Vec<[String; 2]>),
    /// Generate from [`PendingRequest::prompt`] with these settings. Answer with [`Response::Generation`].
    Generate(GenerationSpec),
}

/// One item handed out by [`RunSession::next_request`]; owned, so a driver can move it into a task.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingRequest {
    /// Position of the item in the suite: pass it back to [`RunSession::complete`].
    pub index: usize,
    /// The item.
    pub item: Item,
    /// The prompt exactly as it will be recorded in the receipt.
    pub prompt: Prompt,
    /// What to ask the model.
    pub request: Request,
}

impl PendingRequest {
    /// The response for a log-likelihood request from its per-choice log-likelihoods.
    pub fn loglikelihoods(choices: Vec<ChoiceLogLik>) -> Response {
        Response::LogLikelihood {
            choices,
            unconditional: None,
        }
    }
}

/// A sealed receipt line, ready to be appended.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemLine {
    /// The sealed record (digests filled in).
    pub record: ItemRecord,
    /// Its JSON line, newline included: write these bytes as they are.
    pub text: String,
}

/// The end of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// The summary.
    pub summary: Summary,
    /// The summary's JSON line, newline included.
    pub text: String,
}

/// What [`RunSession::resume`] found in the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resumed {
    /// Byte length of the valid prefix (header + finished item lines): cut the file here, then append.
    /// 0 when the journal holds no complete header: write [`RunSession::header_line`] first.
    pub keep_bytes: u64,
    /// Finished items kept from the journal.
    pub kept_items: usize,
    /// A torn (unterminated or unparsable) last line was dropped.
    pub dropped_torn_line: bool,
    /// The journal already had a summary line (the run had finished); it is dropped and written again.
    pub dropped_summary: bool,
}

/// The state machine of one run (see the [module docs](self)).
///
/// `S` is anything that borrows a [`Suite`]: `&Suite` for a driver that keeps the suite on its stack,
/// `Suite` or `Rc<Suite>` for one that must own it (e.g. a `wasm-bindgen` object).
///
/// ```
/// use substance_core::{ModelInfo, Response};
/// use substance_runner::{Request, RunOptions, RunSession};
///
/// let suite = substance_suite::load_suite_from_parts(
///     "format = 1\nname = \"m\"\nversion = \"1\"\noutput_type = \"generate\"\nscorers = [\"exact_match\"]\ndata = \"items.jsonl\"\n",
///     "{\"id\":\"a\",\"input\":\"2+2=\",\"target\":\"4\"}\n{\"id\":\"b\",\"input\":\"3+3=\",\"target\":\"6\"}\n",
///     None,
///     "mem",
/// )?;
/// let model = ModelInfo { id: "calculator".into(), weights_sha256: None, source: None };
/// let mut session = RunSession::new(&suite, model, &RunOptions::default())?;
/// let mut receipt = session.header_line()?;
/// // A driver may hold several requests at once; lines come back in selection order.
/// let mut pending = Vec::new();
/// while let Some(p) = session.next_request()? {
///     pending.push(p);
/// }
/// for p in pending.into_iter().rev() {
///     assert!(matches!(p.request, Request::Generate(_)));
///     let text = if p.item.id == "a" { "4" } else { "7" };
///     let response = Response::Generation { text: text.into(), finish_reason: None };
///     for line in session.complete(p.index, response)? {
///         receipt.push_str(&line.text);
///     }
/// }
/// let finished = session.finish()?;
/// receipt.push_str(&finished.text);
/// assert_eq!(finished.summary.metrics["exact_match"].value, 0.5);
/// assert!(substance_score::verify_reader(receipt.as_bytes(), Some(&suite)).ok);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RunSession<S: Borrow<Suite>> {
    suite: S,
    header: Header,
    /// Suite indices of the selection, in receipt order.
    order: Vec<usize>,
    /// Next position of `order` to hand out.
    next: usize,
    /// Positions handed out and not yet completed, by suite index.
    outstanding: HashMap<usize, usize>,
    /// Completed records waiting for an earlier position, by position.
    ready: BTreeMap<usize, ItemRecord>,
    /// Lines emitted (= position of the next line to emit).
    emitted: usize,
    selection_digest: ListDigest,
    items_digest: ListDigest,
    agg: Aggregator,
}

impl<S: Borrow<Suite>> RunSession<S> {
    /// A fresh run of `suite` on the model described by `model`, over `opts.selection`.
    pub fn new(suite: S, model: ModelInfo, opts: &RunOptions) -> Result<Self, RunError> {
        let header = build_header(suite.borrow(), model, opts)?;
        let order = selected_indices(suite.borrow().items.len(), &opts.selection)?;
        Ok(Self {
            suite,
            header,
            order,
            next: 0,
            outstanding: HashMap::new(),
            ready: BTreeMap::new(),
            emitted: 0,
            selection_digest: ListDigest::new(SELECTION_DIGEST_TAG),
            items_digest: ListDigest::new(ITEMS_DIGEST_TAG),
            agg: Aggregator::new(),
        })
    }

    /// Continue the run whose receipt so far (the journal) is `journal`.
    ///
    /// The journal's header must equal the one [`RunSession::new`] would write for these arguments (suite
    /// name, version, sha256 and spec, selection, model, generation settings, seeds, tool; the creation
    /// time is not compared) — otherwise [`RunError::ResumeMismatch`] names the first differing field. Its
    /// item lines must be the first items of the selection, in order, each with a valid digest and the
    /// suite's own item. A last line without its newline, or a last line that does not parse, is a torn
    /// write and is dropped; anything else that is wrong is an error naming the line.
    pub fn resume<R: BufRead>(
        suite: S,
        model: ModelInfo,
        opts: &RunOptions,
        mut journal: R,
    ) -> Result<(Self, Resumed), RunError> {
        let mut session = Self::new(suite, model, opts)?;
        let mut resumed = Resumed {
            keep_bytes: 0,
            kept_items: 0,
            dropped_torn_line: false,
            dropped_summary: false,
        };
        let mut offset = 0u64;
        let mut line_no = 0usize;
        let mut buf = Vec::new();
        let mut seen_header = false;
        loop {
            buf.clear();
            let n = journal
                .read_until(b'\n', &mut buf)
                .map_err(|e| journal_error(line_no + 1, format!("cannot read: {e}")))?;
            if n == 0 {
                break;
            }
            line_no += 1;
            let terminated = buf.last() == Some(&b'\n');
            let parsed = serde_json::from_slice::<ReceiptLine>(&buf);
            let parsed = match parsed {
                Ok(p) if terminated => p,
                Ok(_) => {
                    resumed.dropped_torn_line = true;
                    break;
                }
                Err(e) => {
                    // Only the last line can be torn: is there anything after it?
                    let at_end = !terminated
                        || journal
                            .fill_buf()
                            .map_err(|e| journal_error(line_no + 1, format!("cannot read: {e}")))?
                            .is_empty();
                    if at_end {
                        resumed.dropped_torn_line = true;
                        break;
                    }
                    return Err(journal_error(line_no, e.to_string()));
                }
            };
            match parsed {
                ReceiptLine::Header(h) => {
                    if seen_header {
                        return Err(journal_error(line_no, "a second header line".into()));
                    }
                    compare_headers(&h, &session.header)?;
                    // Keep the journal's header as is (its creation time stays the run's).
                    session.header = *h;
                    seen_header = true;
                }
                ReceiptLine::Item(_) if !seen_header => {
                    return Err(journal_error(
                        line_no,
                        "the first line must be the header".into(),
                    ));
                }
                ReceiptLine::Item(record) => {
                    session.accept_journal_line(*record, line_no)?;
                    resumed.kept_items += 1;
                }
                ReceiptLine::Summary(_) => {
                    resumed.dropped_summary = true;
                    let mut rest = Vec::new();
                    journal
                        .read_to_end(&mut rest)
                        .map_err(|e| journal_error(line_no + 1, format!("cannot read: {e}")))?;
                    if rest.iter().any(|b| !b.is_ascii_whitespace()) {
                        return Err(journal_error(
                            line_no + 1,
                            "content after the summary line".into(),
                        ));
                    }
                    break;
                }
            }
            offset += n as u64;
        }
        if !seen_header {
            // Nothing usable (an empty file, or a torn header): start over.
            resumed.keep_bytes = 0;
            return Ok((session, resumed));
        }
        resumed.keep_bytes = offset;
        Ok((session, resumed))
    }

    fn accept_journal_line(&mut self, record: ItemRecord, line: usize) -> Result<(), RunError> {
        let pos = self.emitted;
        let Some(&index) = self.order.get(pos) else {
            return Err(journal_error(
                line,
                format!(
                    "item `{}` is beyond the selection ({} items)",
                    record.id,
                    self.order.len()
                ),
            ));
        };
        if record.index != index {
            return Err(journal_error(
                line,
                format!(
                    "item `{}` has index {}, expected {index} (item {} of the selection)",
                    record.id,
                    record.index,
                    pos + 1
                ),
            ));
        }
        let digest = record.compute_digest()?;
        if digest != record.digest {
            return Err(journal_error(
                line,
                format!(
                    "item `{}`: the line digest does not match its content",
                    record.id
                ),
            ));
        }
        let suite_item = &self.suite.borrow().items[index];
        if record.item != *suite_item || record.item_sha256 != suite_item.sha256()? {
            return Err(journal_error(
                line,
                format!("item `{}` differs from the suite's item {index}", record.id),
            ));
        }
        self.selection_digest.push(&record.item_sha256);
        self.items_digest.push(&record.digest);
        self.agg.push(record.item.group.as_deref(), &record.scores);
        self.emitted += 1;
        self.next = self.emitted;
        Ok(())
    }

    /// The header of the receipt.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The header's JSON line, newline included (write it first — but not when resuming).
    pub fn header_line(&self) -> Result<String, RunError> {
        line_text(&ReceiptLine::Header(Box::new(self.header.clone())), 1)
    }

    /// The suite.
    pub fn suite(&self) -> &Suite {
        self.suite.borrow()
    }

    /// Number of items in the selection.
    pub fn total(&self) -> usize {
        self.order.len()
    }

    /// Number of item lines emitted so far (including those kept from a journal).
    pub fn done(&self) -> usize {
        self.emitted
    }

    /// Number of requests handed out and not yet completed.
    pub fn in_flight(&self) -> usize {
        self.outstanding.len()
    }

    /// The next item to ask the model about, `None` when every item has been handed out. Requests may be
    /// held and completed in any order.
    pub fn next_request(&mut self) -> Result<Option<PendingRequest>, RunError> {
        let Some(&index) = self.order.get(self.next) else {
            return Ok(None);
        };
        let suite = self.suite.borrow();
        let prompt = substance_suite::build_prompt(suite, index)?;
        let request = match &prompt {
            Prompt::LogLikelihood {
                context,
                continuations,
            } => Request::LogLikelihood(
                continuations
                    .iter()
                    .map(|c| [context.clone(), c.clone()])
                    .collect(),
            ),
            // Partial scoring (WinoGrande): one context per choice, recorded as sent.
            Prompt::LogLikelihoodPairs { requests } => Request::LogLikelihood(requests.clone()),
            Prompt::Completion { .. } | Prompt::Chat { .. } => {
                Request::Generate(suite.spec.generation.clone())
            }
        };
        let pending = PendingRequest {
            index,
            item: suite.items[index].clone(),
            prompt,
            request,
        };
        self.outstanding.insert(index, self.next);
        self.next += 1;
        Ok(Some(pending))
    }

    /// The error to report when the model failed on `request` (names the model and the item).
    pub fn model_error(&self, request: &PendingRequest, message: impl Into<String>) -> RunError {
        RunError::Model {
            model: self.header.model.id.clone(),
            item: request.item.id.clone(),
            message: message.into(),
        }
    }

    /// Hand back the model's response for the item at suite position `index`. Returns the receipt lines
    /// that became ready — this item's and any later ones completed before it — in selection order
    /// (empty while an earlier item is still outstanding).
    pub fn complete(
        &mut self,
        index: usize,
        response: Response,
    ) -> Result<Vec<ItemLine>, RunError> {
        let suite = self.suite.borrow();
        let Some(&pos) = self.outstanding.get(&index) else {
            let id = suite.items.get(index).map_or("?", |i| i.id.as_str());
            return Err(RunError::Options(format!(
                "item {index} (`{id}`) was not handed out by next_request or is already complete"
            )));
        };
        let item = &suite.items[index];
        let prompt = substance_suite::build_prompt(suite, index)?;
        let wrong = |message: String| RunError::Model {
            model: self.header.model.id.clone(),
            item: item.id.clone(),
            message,
        };
        match (&prompt, &response) {
            (
                Prompt::LogLikelihood { continuations, .. },
                Response::LogLikelihood { choices, .. },
            ) if choices.len() != continuations.len() => {
                return Err(wrong(format!(
                    "{} log-likelihoods for {} choices",
                    choices.len(),
                    continuations.len()
                )));
            }
            (Prompt::LogLikelihoodPairs { requests }, Response::LogLikelihood { choices, .. })
                if choices.len() != requests.len() =>
            {
                return Err(wrong(format!(
                    "{} log-likelihoods for {} choices",
                    choices.len(),
                    requests.len()
                )));
            }
            (
                Prompt::LogLikelihood { .. } | Prompt::LogLikelihoodPairs { .. },
                Response::LogLikelihood { .. },
            )
            | (Prompt::Completion { .. } | Prompt::Chat { .. }, Response::Generation { .. }) => {}
            _ => {
                return Err(wrong(
                    "the response kind does not match the request (log-likelihood vs generation)"
                        .into(),
                ));
            }
        }
        let scores = score_item(&suite.spec, item, &response)?;
        let record = ItemRecord {
            index,
            id: item.id.clone(),
            item_sha256: String::new(),
            item: item.clone(),
            prompt,
            response,
            scores,
            digest: String::new(),
        };
        self.outstanding.remove(&index);
        self.ready.insert(pos, record);
        let mut lines = Vec::new();
        while let Some(mut record) = self.ready.remove(&self.emitted) {
            record.seal()?;
            self.selection_digest.push(&record.item_sha256);
            self.items_digest.push(&record.digest);
            self.agg.push(record.item.group.as_deref(), &record.scores);
            self.emitted += 1;
            let record_line = ReceiptLine::Item(Box::new(record));
            let text = line_text(&record_line, self.emitted + 1)?;
            let ReceiptLine::Item(record) = record_line else {
                return Err(RunError::Options("internal: item line lost".into()));
            };
            lines.push(ItemLine {
                record: *record,
                text,
            });
        }
        Ok(lines)
    }

    /// Aggregate and seal the summary. Every item of the selection must be complete.
    pub fn finish(self) -> Result<Finished, RunError> {
        if self.emitted != self.order.len() {
            return Err(RunError::Options(format!(
                "finish: {} of {} items are complete",
                self.emitted,
                self.order.len()
            )));
        }
        let seeds = &self.header.seeds;
        let (metrics, groups) = self.agg.finish(seeds.bootstrap, seeds.bootstrap_resamples);
        let summary = Summary {
            n_items: self.emitted,
            selection_sha256: self.selection_digest.finish(),
            items_digest: self.items_digest.finish(),
            metrics,
            groups,
        };
        let text = line_text(
            &ReceiptLine::Summary(Box::new(summary.clone())),
            self.emitted + 2,
        )?;
        Ok(Finished { summary, text })
    }
}

/// The header a run of `suite` on `model` with `opts` writes.
pub fn build_header(
    suite: &Suite,
    model: ModelInfo,
    opts: &RunOptions,
) -> Result<Header, RunError> {
    Ok(Header {
        schema: RECEIPT_SCHEMA.to_owned(),
        suite: SuiteRef {
            name: suite.spec.name.clone(),
            version: suite.spec.version.clone(),
            sha256: suite.sha256()?,
            n_items: suite.items.len(),
            spec: suite.spec.clone(),
        },
        selection: opts.selection.clone(),
        model,
        generation: suite.spec.generation.clone(),
        seeds: opts.seeds.clone(),
        tool: ToolInfo {
            name: "substance".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        created: opts.created.clone(),
    })
}

/// Compare two headers field by field, ignoring the creation time; the error names the first field that
/// differs (`suite.sha256`, `selection`, `model.id`, `generation`, `seeds`, …) with both values.
pub fn compare_headers(journal: &Header, current: &Header) -> Result<(), RunError> {
    match header_difference(journal, current, &[]) {
        Some((field, journal, current)) => Err(RunError::ResumeMismatch {
            field,
            journal,
            current,
        }),
        None => Ok(()),
    }
}

/// The first header field (in [`compare_headers`]' order, the creation time never compared) that differs
/// between `a` and `b` and is not in `skip`, with its two values as JSON.
pub(crate) fn header_difference(
    a: &Header,
    b: &Header,
    skip: &[&str],
) -> Option<(&'static str, String, String)> {
    fn json<T: serde::Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap_or_default()
    }
    let fields: [(&'static str, String, String); 13] = [
        ("schema", json(&a.schema), json(&b.schema)),
        ("suite.name", json(&a.suite.name), json(&b.suite.name)),
        (
            "suite.version",
            json(&a.suite.version),
            json(&b.suite.version),
        ),
        ("suite.sha256", json(&a.suite.sha256), json(&b.suite.sha256)),
        (
            "suite.n_items",
            json(&a.suite.n_items),
            json(&b.suite.n_items),
        ),
        ("suite.spec", json(&a.suite.spec), json(&b.suite.spec)),
        ("selection", json(&a.selection), json(&b.selection)),
        ("model.id", json(&a.model.id), json(&b.model.id)),
        (
            "model.weights_sha256",
            json(&a.model.weights_sha256),
            json(&b.model.weights_sha256),
        ),
        ("model.source", json(&a.model.source), json(&b.model.source)),
        ("generation", json(&a.generation), json(&b.generation)),
        ("seeds", json(&a.seeds), json(&b.seeds)),
        ("tool", json(&a.tool), json(&b.tool)),
    ];
    fields
        .into_iter()
        .find(|(field, x, y)| x != y && !skip.contains(field))
}

fn journal_error(line: usize, message: String) -> RunError {
    RunError::Journal { line, message }
}

pub(crate) fn line_text(line: &ReceiptLine, number: usize) -> Result<String, RunError> {
    let mut s = serde_json::to_string(line).map_err(|e| RunError::Journal {
        line: number,
        message: format!("cannot serialise: {e}"),
    })?;
    s.push('\n');
    Ok(s)
}
