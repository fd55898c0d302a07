//! Runs: suite × model → receipt. The driver of `substance-runner`'s sans-IO [`RunSession`]: the session
//! decides every prompt, score, line and digest; this file only asks the model (local burn model,
//! endpoint through `fetch`, or recorded responses) and counts time and tokens.
//!
//! Two ways to drive a run. `step()` answers one item at a time here. `nextRequest()` / `complete()`
//! hand the requests out instead, so a page can answer them on a pool of workers — each with its own
//! wasm instance and `WasmModel` (`WasmModel.answer`) — while the session still seals the lines in
//! selection order: the receipt is the same bytes whichever worker answered which item.

use std::cell::RefCell;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use substance_core::{GenerationSpec, Prompt, Response, Score, Seeds, Selection, Suite};
use substance_endpoint::{DefaultTransport, EndpointModel};
use substance_runner::{
    ItemLine, LanguageModel, PendingRequest, ReplayModel, Request, RunOptions, RunSession,
};
use wasm_bindgen::prelude::*;

use crate::convert::{from_js, from_js_opt, js_error, to_js};
use crate::endpoint::WasmEndpoint;
use crate::model::{Loaded, WasmModel};
use crate::suite::WasmSuite;

/// Who answers the run's requests.
enum Answerer {
    Local(Rc<Loaded>),
    Endpoint(Rc<EndpointModel<DefaultTransport>>),
    Replay(ReplayModel),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct JsSeeds {
    bootstrap: Option<u64>,
    bootstrap_resamples: Option<usize>,
    sampling: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct JsRunOptions {
    limit: Option<usize>,
    shard: Option<[usize; 2]>,
    seeds: Option<JsSeeds>,
    created: Option<String>,
}

impl JsRunOptions {
    fn into_options(self) -> RunOptions {
        let d = Seeds::default();
        let s = self.seeds.unwrap_or_default();
        RunOptions {
            selection: Selection {
                limit: self.limit,
                shard: self.shard,
            },
            seeds: Seeds {
                bootstrap: s.bootstrap.unwrap_or(d.bootstrap),
                bootstrap_resamples: s.bootstrap_resamples.unwrap_or(d.bootstrap_resamples),
                sampling: s.sampling.or(d.sampling),
            },
            created: self.created,
        }
    }
}

#[derive(Serialize, Clone, Copy)]
struct Progress {
    done: usize,
    total: usize,
    tokens: u64,
    elapsed_ms: f64,
    tokens_per_second: f64,
    items_per_second: f64,
}

#[derive(Serialize)]
struct RunStep<'a> {
    line: &'a str,
    index: usize,
    id: &'a str,
    scores: &'a std::collections::BTreeMap<String, Score>,
    response: &'a Response,
    progress: Progress,
}

impl<'a> RunStep<'a> {
    fn of(line: &'a ItemLine, progress: Progress) -> Self {
        RunStep {
            line: &line.text,
            index: line.record.index,
            id: &line.record.id,
            scores: &line.record.scores,
            response: &line.record.response,
            progress,
        }
    }
}

#[derive(Serialize)]
struct FinishJs<'a> {
    line: &'a str,
    summary: &'a substance_core::Summary,
}

/// A run in progress (suite × model → receipt).
#[wasm_bindgen]
pub struct WasmRun {
    session: RefCell<Option<RunSession<Rc<Suite>>>>,
    answerer: RefCell<Answerer>,
    seed: u64,
    tokens: RefCell<u64>,
    /// Milliseconds spent inside `step()` (model time plus scoring), so idle time between calls (a
    /// paused page) does not lower the reported speed.
    busy_ms: RefCell<f64>,
    failed: RefCell<bool>,
    /// `setInterrupt`'s hook, awaited before each generated token.
    interrupt: RefCell<Option<js_sys::Function>>,
    cancelled: RefCell<bool>,
    /// Requests handed out by `nextRequest()` and not yet completed, by suite index.
    handed_out: RefCell<BTreeMap<usize, PendingRequest>>,
    /// When the first request was handed out: a pooled run's speed is over wall-clock time (its
    /// workers answer at once), a stepped run's over the time spent inside `step()`.
    pool_started_ms: RefCell<Option<f64>>,
}

/// A request as `nextRequest()` hands it out and `WasmModel.answer` takes it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum ModelRequest {
    /// Log-likelihood of each `[context, continuation]` pair, in choice order.
    LogLikelihood { pairs: Vec<[String; 2]> },
    /// Generate from `prompt` with `settings`; `seed` is the run's sampling seed.
    Generate {
        prompt: Prompt,
        settings: GenerationSpec,
        seed: u64,
    },
}

#[derive(Serialize)]
struct Handed<'a> {
    index: usize,
    id: &'a str,
    request: ModelRequest,
}

/// `WasmModel.answer`'s result, given back to `complete()`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    response: Response,
    /// Tokens the model processed for it (scored or generated), for the speed shown.
    tokens: u64,
}

/// Why an item got no answer.
enum AnswerFail {
    /// The interrupt hook said stop (between two tokens).
    Cancelled(usize),
    /// The model or endpoint failed.
    Model(String),
}

impl From<String> for AnswerFail {
    fn from(m: String) -> Self {
        AnswerFail::Model(m)
    }
}

/// Await the JS hook: `true` (or anything but `false`) goes on; a throw stops.
async fn go_on(hook: Option<js_sys::Function>) -> bool {
    let Some(f) = hook else { return true };
    match f.call0(&JsValue::NULL) {
        Ok(v) => wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&v))
            .await
            .is_ok_and(|v| v.as_bool() != Some(false)),
        Err(_) => false,
    }
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn run_error(e: substance_runner::RunError) -> JsValue {
    js_error("RunError", e)
}

/// What a local model is asked: the run's `step()` and `WasmModel.answer` share this.
enum LocalAsk<'a> {
    LogLikelihood(&'a [[String; 2]]),
    Generate(&'a Prompt, &'a GenerationSpec, u64),
}

/// Answer on a local model; returns the response and the tokens it processed (scored or generated).
async fn answer_local(
    l: &Loaded,
    ask: LocalAsk<'_>,
    interrupt: Option<js_sys::Function>,
) -> Result<(Response, u64), AnswerFail> {
    match ask {
        LocalAsk::LogLikelihood(pairs) => {
            let choices = l
                .local
                .loglikelihood_async(pairs)
                .await
                .map_err(|e| e.to_string())?;
            // Tokens scored: every context and continuation token the forward passes read.
            let mut tokens = 0u64;
            for ([context, _], c) in pairs.iter().zip(&choices) {
                let ctx = l.model().encode(context, false).map_or(0, |ids| ids.len());
                tokens += (ctx + c.n_tokens.unwrap_or(0)) as u64;
            }
            Ok((PendingRequest::loglikelihoods(choices), tokens))
        }
        LocalAsk::Generate(prompt, settings, seed) => {
            let (response, generated) = l
                .local
                .generate_interruptible(prompt, settings, seed, || go_on(interrupt.clone()))
                .await
                .map_err(|e| match e {
                    substance_model::ModelError::Cancelled { tokens } => {
                        AnswerFail::Cancelled(tokens)
                    }
                    e => AnswerFail::Model(e.to_string()),
                })?;
            Ok((response, generated as u64))
        }
    }
}

#[wasm_bindgen]
impl WasmModel {
    /// Answer a request that `WasmRun.nextRequest()` handed out (in this worker or another one holding
    /// the same model): `{ response, tokens }`, to give to that run's `complete()`. `interrupt` is
    /// awaited before every generated token, as `WasmRun.setInterrupt`'s hook: `false` stops with an
    /// error named `Cancelled`; a model failure is an error named `ModelError`.
    #[wasm_bindgen(unchecked_return_type = "{ response: Response, tokens: number }")]
    pub async fn answer(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ModelRequest")] request: JsValue,
        interrupt: Option<js_sys::Function>,
    ) -> Result<JsValue, JsValue> {
        let request: ModelRequest = from_js(request, "request")?;
        let ask = match &request {
            ModelRequest::LogLikelihood { pairs } => LocalAsk::LogLikelihood(pairs),
            ModelRequest::Generate {
                prompt,
                settings,
                seed,
            } => LocalAsk::Generate(prompt, settings, *seed),
        };
        let inner = Rc::clone(&self.inner);
        match answer_local(&inner, ask, interrupt).await {
            Ok((response, tokens)) => to_js(&Answer { response, tokens }),
            Err(AnswerFail::Cancelled(n)) => Err(js_error(
                "Cancelled",
                format!("cancelled after {n} generated token(s)"),
            )),
            Err(AnswerFail::Model(m)) => Err(js_error("ModelError", m)),
        }
    }
}

impl WasmRun {
    fn new(
        suite: &WasmSuite,
        answerer: Answerer,
        info: substance_core::ModelInfo,
        opts: JsValue,
    ) -> Result<WasmRun, JsValue> {
        let o: JsRunOptions = from_js_opt(opts, "opts")?;
        let opts = o.into_options();
        let seed = opts.seeds.sampling.unwrap_or(0);
        let session = RunSession::new(Rc::clone(&suite.suite), info, &opts).map_err(run_error)?;
        Ok(WasmRun {
            session: RefCell::new(Some(session)),
            answerer: RefCell::new(answerer),
            seed,
            tokens: RefCell::new(0),
            busy_ms: RefCell::new(0.0),
            failed: RefCell::new(false),
            interrupt: RefCell::new(None),
            cancelled: RefCell::new(false),
            handed_out: RefCell::new(BTreeMap::new()),
            pool_started_ms: RefCell::new(None),
        })
    }

    fn progress_struct(&self) -> Progress {
        let (done, total) = self
            .session
            .borrow()
            .as_ref()
            .map_or((0, 0), |s| (s.done(), s.total()));
        let tokens = *self.tokens.borrow();
        let elapsed_ms = match *self.pool_started_ms.borrow() {
            Some(t0) => now_ms() - t0,
            None => *self.busy_ms.borrow(),
        };
        let per_second = |n: f64| {
            if elapsed_ms > 0.0 {
                n * 1000.0 / elapsed_ms
            } else {
                0.0
            }
        };
        Progress {
            done,
            total,
            tokens,
            elapsed_ms,
            tokens_per_second: per_second(tokens as f64),
            items_per_second: per_second(done as f64),
        }
    }

    /// Refuse to go on after a cancel (when `cancel_too`) or a failed item.
    fn check_usable(&self, cancel_too: bool) -> Result<(), JsValue> {
        if cancel_too && *self.cancelled.borrow() {
            return Err(js_error("Cancelled", "the run was cancelled"));
        }
        if *self.failed.borrow() {
            return Err(js_error(
                "RunError",
                "the run failed on an earlier item and cannot continue",
            ));
        }
        Ok(())
    }

    /// The session's next request; with `alone`, refused while another request is out (`step()`).
    fn next_pending(&self, alone: bool) -> Result<Option<PendingRequest>, JsValue> {
        let mut s = self.session.borrow_mut();
        let s = s
            .as_mut()
            .ok_or_else(|| js_error("RunError", "the run has finished"))?;
        if alone && s.in_flight() > 0 {
            return Err(js_error(
                "InputError",
                "step() called while an earlier request of this run is still pending",
            ));
        }
        s.next_request().map_err(run_error)
    }

    /// Hand item `index`'s response to the session: the lines it releases; an error marks the run failed.
    fn seal(&self, index: usize, response: Response) -> Result<Vec<ItemLine>, JsValue> {
        let mut guard = self.session.borrow_mut();
        let s = guard
            .as_mut()
            .ok_or_else(|| js_error("RunError", "the run has finished"))?;
        s.complete(index, response).map_err(|e| {
            *self.failed.borrow_mut() = true;
            run_error(e)
        })
    }

    /// Ask the answerer; returns the response and the tokens it processed (scored or generated).
    async fn answer(
        answerer: &RefCell<Answerer>,
        p: &PendingRequest,
        seed: u64,
        interrupt: Option<js_sys::Function>,
    ) -> Result<(Response, u64), AnswerFail> {
        // Clone what the await needs, so no RefCell borrow is held across it.
        let (local, endpoint) = match &*answerer.borrow() {
            Answerer::Local(l) => (Some(Rc::clone(l)), None),
            Answerer::Endpoint(e) => (None, Some(Rc::clone(e))),
            Answerer::Replay(_) => (None, None),
        };
        match (&p.request, local, endpoint) {
            (Request::LogLikelihood(pairs), Some(l), _) => {
                answer_local(&l, LocalAsk::LogLikelihood(pairs), interrupt).await
            }
            (Request::Generate(settings), Some(l), _) => {
                answer_local(&l, LocalAsk::Generate(&p.prompt, settings, seed), interrupt).await
            }
            (Request::LogLikelihood(pairs), None, Some(e)) => {
                let choices = e
                    .loglikelihood_async(pairs)
                    .await
                    .map_err(|e| e.to_string())?;
                let tokens = choices.iter().map(|c| c.n_tokens.unwrap_or(0) as u64).sum();
                Ok((PendingRequest::loglikelihoods(choices), tokens))
            }
            (Request::Generate(settings), None, Some(e)) => {
                let r = e
                    .generate_async(&p.prompt, settings, seed)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok((r, 0))
            }
            (request, None, None) => {
                let mut a = answerer.borrow_mut();
                let Answerer::Replay(replay) = &mut *a else {
                    return Err(AnswerFail::Model("internal: no answerer".into()));
                };
                let r = match request {
                    Request::LogLikelihood(pairs) => replay
                        .loglikelihood(&p.item, pairs)
                        .map(PendingRequest::loglikelihoods),
                    Request::Generate(settings) => replay.generate(&p.item, &p.prompt, settings),
                }?;
                Ok((r, 0))
            }
        }
    }
}

#[wasm_bindgen]
impl WasmRun {
    /// A run of `suite` on a local model loaded with `WasmModel.load`.
    #[wasm_bindgen(js_name = withModel)]
    pub fn with_model(
        suite: &WasmSuite,
        model: &WasmModel,
        #[wasm_bindgen(unchecked_param_type = "RunOptions | undefined")] opts: JsValue,
    ) -> Result<WasmRun, JsValue> {
        let info = model.inner.local.info();
        Self::new(suite, Answerer::Local(Rc::clone(&model.inner)), info, opts)
    }

    /// A run of `suite` on an OpenAI-compatible endpoint.
    #[wasm_bindgen(js_name = withEndpoint)]
    pub fn with_endpoint(
        suite: &WasmSuite,
        endpoint: &WasmEndpoint,
        #[wasm_bindgen(unchecked_param_type = "RunOptions | undefined")] opts: JsValue,
    ) -> Result<WasmRun, JsValue> {
        let info = endpoint.model.info();
        Self::new(
            suite,
            Answerer::Endpoint(Rc::clone(&endpoint.model)),
            info,
            opts,
        )
    }

    /// A run that replays recorded responses (replay JSONL or an earlier receipt's text).
    pub fn replay(
        suite: &WasmSuite,
        responses: &str,
        file_name: &str,
        #[wasm_bindgen(unchecked_param_type = "RunOptions | undefined")] opts: JsValue,
    ) -> Result<WasmRun, JsValue> {
        let replay = ReplayModel::parse(responses, file_name).map_err(run_error)?;
        let info = replay.info();
        Self::new(suite, Answerer::Replay(replay), info, opts)
    }

    /// A hook awaited before every token a local model generates (`() => boolean | Promise<boolean>`):
    /// `false` (or a throw) stops the current `step()` with an error named `Cancelled`, between two
    /// tokens; the finished items stay valid and the model stays loaded. In a worker, a hook that
    /// yields to the event loop now and then (a `setTimeout` promise) lets a cancel message arrive.
    #[wasm_bindgen(js_name = setInterrupt)]
    pub fn set_interrupt(&self, hook: Option<js_sys::Function>) {
        *self.interrupt.borrow_mut() = hook;
    }

    /// The receipt's header line (ends with a newline).
    pub fn header(&self) -> Result<String, JsValue> {
        let s = self.session.borrow();
        let s = s
            .as_ref()
            .ok_or_else(|| js_error("RunError", "the run has finished"))?;
        s.header_line().map_err(run_error)
    }

    /// Run the next item: its sealed receipt line, scores and response; `null` when every selected item
    /// is done (then call `finish()`).
    #[wasm_bindgen(unchecked_return_type = "RunStep | null")]
    pub async fn step(&self) -> Result<JsValue, JsValue> {
        self.check_usable(true)?;
        let Some(p) = self.next_pending(true)? else {
            return Ok(JsValue::NULL);
        };
        let t0 = now_ms();
        let hook = self.interrupt.borrow().clone();
        let (response, tokens) = match Self::answer(&self.answerer, &p, self.seed, hook).await {
            Ok(r) => r,
            Err(AnswerFail::Cancelled(n)) => {
                // Not a failure of the item: the receipt so far stays valid, this item is not in it.
                *self.cancelled.borrow_mut() = true;
                return Err(js_error(
                    "Cancelled",
                    format!(
                        "cancelled during item {} after {n} generated token(s); the finished items are kept",
                        p.item.id
                    ),
                ));
            }
            Err(AnswerFail::Model(m)) => {
                *self.failed.borrow_mut() = true;
                let session = self.session.borrow();
                return Err(match session.as_ref() {
                    Some(s) => run_error(s.model_error(&p, m)),
                    None => js_error("RunError", "the run has finished"),
                });
            }
        };
        let lines = self.seal(p.index, response)?;
        *self.busy_ms.borrow_mut() += now_ms() - t0;
        *self.tokens.borrow_mut() += tokens;
        // One request at a time: exactly this item's line comes back.
        let line = lines
            .first()
            .ok_or_else(|| js_error("RunError", "internal: the item's line was not released"))?;
        to_js(&RunStep::of(line, self.progress_struct()))
    }

    /// Hand out the next item's request instead of answering it here (`null` when every selected item
    /// has been handed out): `{ index, id, request }`. Answer `request` with `WasmModel.answer` — in any
    /// worker that loaded the same model with the same options — and give the answer to
    /// `complete(index, answer)`. Several requests may be out at once; do not mix with `step()`.
    #[wasm_bindgen(js_name = nextRequest, unchecked_return_type = "{ index: number, id: string, request: ModelRequest } | null")]
    pub fn next_request(&self) -> Result<JsValue, JsValue> {
        self.check_usable(true)?;
        if !matches!(&*self.answerer.borrow(), Answerer::Local(_)) {
            return Err(js_error(
                "InputError",
                "nextRequest() hands out a local model's requests; drive an endpoint or replay run with step()",
            ));
        }
        let Some(p) = self.next_pending(false)? else {
            return Ok(JsValue::NULL);
        };
        self.pool_started_ms.borrow_mut().get_or_insert_with(now_ms);
        let request = match &p.request {
            Request::LogLikelihood(pairs) => ModelRequest::LogLikelihood {
                pairs: pairs.clone(),
            },
            Request::Generate(settings) => ModelRequest::Generate {
                prompt: p.prompt.clone(),
                settings: settings.clone(),
                seed: self.seed,
            },
        };
        let out = to_js(&Handed {
            index: p.index,
            id: &p.item.id,
            request,
        })?;
        self.handed_out.borrow_mut().insert(p.index, p);
        Ok(out)
    }

    /// Give back the answer (`WasmModel.answer`'s result) to the request of item `index`: the receipt
    /// lines this releases, in selection order — none while an earlier item is still out, several when
    /// it was the one they waited for. Each is a `step()` result (line, scores, response, progress).
    #[wasm_bindgen(unchecked_return_type = "RunStep[]")]
    pub fn complete(
        &self,
        index: usize,
        #[wasm_bindgen(unchecked_param_type = "{ response: Response, tokens: number }")]
        answer: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.check_usable(false)?;
        let answer: Answer = from_js(answer, "answer")?;
        if self.handed_out.borrow_mut().remove(&index).is_none() {
            return Err(js_error(
                "InputError",
                format!("complete({index}): no request of item {index} is out"),
            ));
        }
        let lines = self.seal(index, answer.response)?;
        *self.tokens.borrow_mut() += answer.tokens;
        let progress = self.progress_struct();
        let steps: Vec<RunStep<'_>> = lines.iter().map(|l| RunStep::of(l, progress)).collect();
        to_js(&steps)
    }

    /// The request of item `index` failed (`message` says why): the run stops — the lines released so
    /// far stay valid — and the returned error (named `RunError`, naming the item) is for the caller
    /// to throw.
    pub fn fail(&self, index: usize, message: &str) -> JsValue {
        *self.failed.borrow_mut() = true;
        let Some(p) = self.handed_out.borrow_mut().remove(&index) else {
            return js_error("RunError", format!("item {index}: {message}"));
        };
        match self.session.borrow().as_ref() {
            Some(s) => run_error(s.model_error(&p, message)),
            None => js_error("RunError", format!("item {}: {message}", p.item.id)),
        }
    }

    /// Aggregate and seal the summary line (only after `step()` returned `null`).
    #[wasm_bindgen(unchecked_return_type = "{ line: string, summary: Summary }")]
    pub fn finish(&self) -> Result<JsValue, JsValue> {
        let session = self
            .session
            .borrow_mut()
            .take()
            .ok_or_else(|| js_error("RunError", "the run has finished"))?;
        let done = session.done();
        let total = session.total();
        if done != total {
            let err = js_error(
                "RunError",
                format!(
                    "finish(): {done} of {total} items are done; call step() until it returns null"
                ),
            );
            *self.session.borrow_mut() = Some(session);
            return Err(err);
        }
        let f = session.finish().map_err(run_error)?;
        to_js(&FinishJs {
            line: &f.text,
            summary: &f.summary,
        })
    }

    /// Items done and total, tokens processed and the speed so far.
    #[wasm_bindgen(unchecked_return_type = "Progress")]
    pub fn progress(&self) -> Result<JsValue, JsValue> {
        to_js(&self.progress_struct())
    }
}

/// The answers of a judge-graded run (Arena-Hard, MT-Bench) in the benchmark's `model_answer` layout,
/// from the receipt text the page keeps (a partial receipt works): `{ file_name, text, n }`. `model`
/// names the model in the file (default: the receipt's model id without prefix and folders). Throws
/// `InputError` for a receipt of a suite scored at run time.
#[wasm_bindgen(js_name = answersFile, unchecked_return_type = "{ file_name: string, text: string, n: number }")]
pub fn answers_file(receipt: &str, model: Option<String>) -> Result<JsValue, JsValue> {
    use substance_core::{ReceiptLine, ReceiptReader};
    use substance_suite::import::judge::{AnswerLayout, answers_jsonl};
    let mut reader = ReceiptReader::new(receipt.as_bytes());
    let mut header = None;
    let mut items = Vec::new();
    loop {
        match reader.next_line() {
            Ok(Some(ReceiptLine::Header(h))) => header = Some(h),
            Ok(Some(ReceiptLine::Item(r))) => items.push(*r),
            Ok(Some(ReceiptLine::Summary(_))) => {}
            Ok(None) => break,
            Err(e) => {
                return Err(js_error(
                    "InputError",
                    format!("receipt line {}: {e}", reader.line_number()),
                ));
            }
        }
    }
    let header = header.ok_or_else(|| js_error("InputError", "the receipt has no header"))?;
    let layout = AnswerLayout::of(&header.suite.spec.scorers).ok_or_else(|| {
        js_error(
            "InputError",
            format!(
                "suite {} is scored at run time ({}), not by a judge: no answers to export",
                header.suite.name,
                header.suite.spec.scorers.join(", ")
            ),
        )
    })?;
    let model = model.unwrap_or_else(|| {
        let id = header.model.id.as_str();
        let id = id.split_once(':').map_or(id, |(_, rest)| rest);
        id.rsplit(['/', '\\']).next().unwrap_or(id).to_owned()
    });
    let text = answers_jsonl(layout, &model, &items).map_err(|e| js_error("InputError", e))?;
    to_js(&serde_json::json!({
        "file_name": layout.file_name(&model),
        "text": text,
        "n": items.len(),
    }))
}
