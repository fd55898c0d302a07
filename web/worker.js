// The compute worker of the substance app. Every evaluation number the page shows is computed here by
// the Rust package in ../pkg (wasm-bindgen, see crates/substance-wasm/API.md); this file only owns the
// loops (so that cancel works between steps), downloads and the weights cache. The page never blocks.
//
// ── Message protocol ─────────────────────────────────────────────────────────────────────────────
// Page → worker: { id, op, ...args }   (id: a number unique per request)
//   { op: 'init' }                                    → { info, webgpu }            (info(), webgpuStatus())
//   { op: 'loadModel', source, backend }              → ModelInfo of the loaded model (replaces the old one)
//        source: { kind: 'url', url, format: 'gguf'|'hf', id }            fetched (HF folders: url ends in /),
//                                                                          kept in the Cache API
//              | { kind: 'gguf', bytes: Blob, file_name }                a picked .gguf file (its File)
//              | { kind: 'hf', files: { config, weights, tokenizer, … }, id }   picked HF files (Uint8Arrays;
//                                                                          weights: its File)
//        backend: 'auto' | 'webgpu' | 'cpu'
//   { op: 'unloadModel' }                             → null
//   { op: 'suites' }                                  → SuiteInfo[] (bundled samples)
//   { op: 'suiteInfo', suite }                        → SuiteInfo  (suite: see 'run')
//   { op: 'run', suite, model, limit, workers }       streams 'line' + 'progress' (+ 'status'), then
//                                                     → { summary, cancelled, workers }
//        workers: how many workers answer a local model's items (default 1). With n > 1 on the CPU
//        backend this worker starts n − 1 helper workers (this same script), loads the same model in each
//        and hands them requests (WasmRun.nextRequest → WasmModel.answer → WasmRun.complete): the
//        receipt is byte for byte the one-worker receipt. The helpers stay loaded for the next run and
//        go when the model changes. WebGPU, endpoints and replays run on one worker.
//   { op: 'answer', request }                         → WasmModel.answer(request) on the loaded model
//                                                     (what a helper does); requests run one at a time
//        suite: { kind: 'sample', name } | { kind: 'files', toml, items, fewshot, origin }
//             | { kind: 'import', format, bytes, file_name }
//        model: { kind: 'local' } | { kind: 'endpoint', spec, key } | { kind: 'replay', text, file_name }
//             | { kind: 'replay-sample' }  (the suite's bundled recorded responses)
//   { op: 'verify', text, file_name }                 → VerifyResult
//   { op: 'verifyFiles', files: [{name, bytes}], claims } → verifyFiles' result (receipts and other tools' files)
//   { op: 'judgeExamples' }                           → JudgedPair[]
//   { op: 'parsePairs', text, file_name }             → JudgedPair[]
//   { op: 'judgmentFormats' }                         → [{ name, summary }] (judgmentFormats())
//   { op: 'judgeArena', questions, answers, baseline, judge } Arena-Hard answers judged live (both games),
//        streams 'progress' with verdicts / verdicts_total; → { files (judgment TextFiles), n_pairs, judge,
//        no_label, cancelled }
//   { op: 'answersFile', text, model? }               → answersFile(text, model): a judge-graded run's
//        answers as the benchmark's model_answer JSONL { file_name, text, n }
//   { op: 'loadJudgments', files: [{name, bytes}], format } → loadJudgments(files, { format }): every
//        recorded-judgment format, detected when format is 'auto'; { format, pairs, label, judges, files }
//   { op: 'probe', pairs, probes, seed, protocol, mode, judge }
//        applies every probe to every pair (applyProbe); mode 'recorded' takes verdicts from the recorded
//        games, mode 'live' asks the judge (judge: { kind: 'endpoint', spec, key } | { kind: 'local' }) and
//        streams 'progress'; → { rows: [{ pair_id, probe, perturbed, original, probed, observation }],
//        report: BiasReport, applicability: [{ probe, total, applied, skipped, reasons }], cancelled }
//        a probe that does not fit a pair (applyProbe throws NotApplicable) skips that pair, counted
//   { op: 'leaderboard', opts }                       → arenaHardLeaderboard(opts)
//   { op: 'sos', opts }                               → sosReport(opts)
//   { op: 'cancel', target }                          (no reply) the op `target` stops before its next step
// Worker → page, for request `id`:
//   { id, type: 'result', value }                     the op finished
//   { id, type: 'error', error: { name, message } }   it failed; the worker stays usable
//   { id, type: 'line', line }                        a receipt line, in order (header, items…, summary):
//                                                     the page keeps them, so a cancel or an error later
//                                                     loses nothing already finished
//   { id, type: 'progress', progress, item? }         Progress { done, total, tokens, elapsed_ms,
//                                                     tokens_per_second }, item: a finished item's view
//   { id, type: 'download', loaded, total, url }      bytes of a model download so far
//   { id, type: 'status', text }                      what a long op is doing (starting the helpers)
// Unsolicited: { type: 'fatal', error } when the wasm module died (a Rust panic): the page restarts the worker.

import initWasm, * as S from '../pkg/substance_wasm.js';
import { WorkerClient } from './lib/rpc.js';

const CACHE = 'substance-weights-v1';
let ready = null;            // Promise of the initialised module
let model = null;            // the loaded WasmModel
let modelSource = null;      // what loaded it, to load the same model in pool helpers
let pool = null;             // { helpers: WorkerClient[] } holding `model` too (see 'run', workers)
const cancelled = new Set(); // ids of ops asked to stop
const onCancel = new Map();  // op id → what else to do when it is cancelled (stop the helpers' requests)

function post(msg, transfer) { self.postMessage(msg, transfer || []); }

// ── cancellation ─────────────────────────────────────────────────────────────────────────────────────
// On the CPU backend a whole generation resolves through promise microtasks only, so without a real
// yield the worker never reads the page's cancel message. `goOn(id)` is awaited before every generated
// token: every 50 ms it yields to the event loop (a timer task: queued messages run first), then it
// says whether op `id` may go on. A cancel therefore lands within one token and the model stays loaded.
let lastYield = 0;
async function goOn(id) {
  const now = performance.now();
  if (now - lastYield > 50) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    lastYield = performance.now();
  }
  return !cancelled.has(id);
}
const cancelledError = () => Object.assign(new Error('cancelled'), { name: 'Cancelled' });

function errorOf(e) {
  if (e && typeof e === 'object') {
    return { name: String(e.name || 'Error'), message: String(e.message || e) };
  }
  return { name: 'Error', message: String(e) };
}

function isPanic(e) {
  return e instanceof WebAssembly.RuntimeError || (e && e.name === 'RuntimeError');
}

async function start() {
  if (!ready) {
    ready = (async () => {
      await initWasm();
      S.init();
      // for the bench drivers (scripts/perf/page_suite.mjs): this worker's wasm heap, in bytes
      self.substanceWasmMemoryBytes = () => S.wasmMemoryBytes();
    })();
  }
  return ready;
}

// ── downloads and the weights cache ─────────────────────────────────────────────────────────────────

const cancelledDownload = () => Object.assign(new Error('download cancelled'), { name: 'Cancelled' });

/**
 * `url` through the Cache API, as a Blob: downloaded into the cache first when missing (posting progress
 * for request `id`), streamed, never held whole here. Chromium keeps a cached body on disk, and the model
 * reads a Blob a tensor at a time (`WasmModel.load`), so the weights file is never in this worker's memory.
 */
async function cachedBlob(id, url) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(url);
  if (hit) return hit.blob();
  let resp;
  try {
    resp = await fetch(url, { mode: 'cors', credentials: 'omit' });
  } catch (e) {
    throw Object.assign(new Error(`cannot download ${url}: ${e.message || e}`), { name: 'NetworkError' });
  }
  if (!resp.ok) {
    throw Object.assign(new Error(`cannot download ${url}: HTTP ${resp.status} ${resp.statusText}`), { name: 'NetworkError' });
  }
  const total = Number(resp.headers.get('Content-Length')) || 0;
  let loaded = 0;
  let last = 0;
  const counted = resp.body.pipeThrough(new TransformStream({
    transform(chunk, ctl) {
      if (cancelled.has(id)) throw cancelledDownload();
      loaded += chunk.length;
      const now = performance.now();
      if (now - last > 100) {
        last = now;
        post({ id, type: 'download', loaded, total, url });
      }
      ctl.enqueue(chunk);
    },
  }));
  try {
    await cache.put(url, new Response(counted, { headers: { 'Content-Type': 'application/octet-stream' } }));
  } catch (e) {
    if (cancelled.has(id)) throw cancelledDownload();
    throw Object.assign(new Error(`cannot download ${url}: ${e.message || e}`), { name: 'NetworkError' });
  }
  post({ id, type: 'download', loaded, total: total || loaded, url });
  const stored = await cache.match(url);
  if (!stored) throw Object.assign(new Error(`cannot keep ${url} in the browser's cache (storage full?)`), { name: 'NetworkError' });
  return stored.blob();
}

/** `url` through the Cache API, as bytes (the small files of a Hugging Face folder). */
async function cachedBytes(id, url) {
  return new Uint8Array(await (await cachedBlob(id, url)).arrayBuffer());
}

const HF_FILES = {
  config: 'config.json', weights: 'model.safetensors', tokenizer: 'tokenizer.json',
};
const HF_OPTIONAL = { generation_config: 'generation_config.json', tokenizer_config: 'tokenizer_config.json' };

async function loadModel(id, { source, backend }) {
  await start();
  let bytes;
  let opts = { backend: backend || 'auto' };
  if (source.kind === 'url' && source.format !== 'hf') {
    bytes = await cachedBlob(id, source.url);
    opts = { ...opts, format: 'gguf', id: source.id || source.url.split('/').pop(), file_name: source.url.split('/').pop() };
  } else if (source.kind === 'url') {
    const base = source.url.endsWith('/') ? source.url : `${source.url}/`;
    const files = {};
    for (const [k, f] of Object.entries(HF_FILES)) {
      files[k] = k === 'weights' ? await cachedBlob(id, base + f) : await cachedBytes(id, base + f);
    }
    for (const [k, f] of Object.entries(HF_OPTIONAL)) {
      try { files[k] = await cachedBytes(id, base + f); } catch { /* optional */ }
    }
    bytes = files;
    opts = { ...opts, format: 'hf', id: source.id || base.replace(/\/+$/, '').split('/').slice(-2).join('/') };
  } else if (source.kind === 'gguf') {
    bytes = source.bytes;
    opts = { ...opts, format: 'gguf', id: source.file_name, file_name: source.file_name };
  } else if (source.kind === 'hf') {
    bytes = source.files;
    opts = { ...opts, format: 'hf', id: source.id || 'local model' };
  } else {
    throw new Error(`unknown model source ${source.kind}`);
  }
  const next = await S.WasmModel.load(bytes, opts);
  dropPool();
  if (model) model.free();
  model = next;
  // Helpers load the same bytes with the same options: a URL again (the Cache API has it now), picked
  // files from the same File objects (read by range, as here: no copy of the weights in memory).
  const sizeOf = (b) => (b instanceof Blob ? b.size : b?.length || 0);
  const size = bytes instanceof Uint8Array || bytes instanceof Blob ? sizeOf(bytes)
    : Object.values(bytes).reduce((a, b) => a + sizeOf(b), 0);
  modelSource = { source, backend: model.info().backend, size };
  return model.info();
}

// ── the worker pool ─────────────────────────────────────────────────────────────────────────────────

function dropPool() {
  if (!pool) return;
  for (const h of pool.helpers) h.terminate();
  pool = null;
}

const sameModel = (a, b) => a.id === b.id && a.weights_sha256 === b.weights_sha256
  && a.backend === b.backend && a.numeric === b.numeric;

/**
 * How many workers fit: at most `asked`, the cores, and what half the device memory holds at ~1.3× the
 * model file per worker plus 160 MB of runtime (its wasm instance and code; measured: each worker beyond
 * the first adds ~266 MB to the renderer for the 98 MB default GGUF, `cargo xtask bench web --suite-only`).
 * navigator.deviceMemory, in GiB, is rounded down and capped at 8 by browsers; 4 when it is not told.
 * Each worker holds its own copy of the weights (read from the file by range, not the file itself).
 */
function poolSize(asked) {
  const cores = Math.max(1, Number(self.navigator?.hardwareConcurrency) || 1);
  const budget = (Number(self.navigator?.deviceMemory) || 4) * 2 ** 30 / 2;
  const perWorker = (modelSource?.size || 0) * 1.3 + 160 * 2 ** 20;
  const byMemory = Math.max(1, Math.floor(budget / perWorker));
  return { n: Math.max(1, Math.min(asked, cores, byMemory, 16)), cores, byMemory };
}

/**
 * `n − 1` helper workers holding the loaded model (started and loaded when missing; kept across runs).
 * Each is checked to hold the same model on the same numeric path as this worker, or the run is refused:
 * a helper that computed differently would change the receipt.
 */
async function ensurePool(id, n) {
  const want = n - 1;
  if (pool && (pool.helpers.length !== want || pool.helpers.some((h) => h.dead))) dropPool();
  if (pool) return pool.helpers;
  const here = model.info();
  const helpers = [];
  for (let i = 0; i < want; i++) helpers.push(new WorkerClient(new URL('./worker.js', import.meta.url), { respawn: false }));
  const stop = () => { for (const h of helpers) h.terminate(); };
  onCancel.set(id, stop);
  post({ id, type: 'status', text: `starting ${want} helper worker${want === 1 ? '' : 's'} and loading the model in each…` });
  try {
    await Promise.all(helpers.map(async (h, i) => {
      await h.call('init');
      const info = await h.call('loadModel', { source: modelSource.source, backend: modelSource.backend });
      if (!sameModel(info, here)) {
        throw Object.assign(new Error(`helper worker ${i + 1} loaded ${info.id} on ${info.backend} (${info.numeric}), not ${here.id} on ${here.backend} (${here.numeric}) as this worker: run with 1 worker`), { name: 'ModelError' });
      }
    }));
  } catch (e) {
    stop();
    throw cancelled.has(id) ? cancelledError() : e;
  } finally {
    onCancel.delete(id);
  }
  pool = { helpers };
  return helpers;
}

/** Helpers answer one request at a time, in the order they came (two may be queued at once). */
let answering = Promise.resolve();
function answerHere(id, request) {
  const job = answering.then(async () => {
    if (!model) throw Object.assign(new Error('no model is loaded'), { name: 'InputError' });
    if (cancelled.has(id)) throw cancelledError();
    return model.answer(request, () => goOn(id));
  });
  answering = job.catch(() => {});
  return job;
}

/**
 * Drive run `r` on this worker and `helpers`: one lane answers here, two per helper (so a helper always
 * has its next request queued while this worker is busy). Lines come back from `r.complete` in selection
 * order and are posted as they are released. The first failure or a cancel stops every lane; what was
 * posted stays.
 */
async function drivePool(id, r, helpers) {
  let stopped = false;
  let failure = null;
  const out = new Map(); // helper op id → helper, for cancel
  const cancelAll = () => {
    stopped = true;
    for (const [hid, h] of out) h.cancel(hid);
  };
  onCancel.set(id, cancelAll);
  const fail = (e) => { if (!failure) failure = e; cancelAll(); };
  const lane = async (ask) => {
    while (!stopped) {
      if (!(await goOn(id))) { cancelAll(); return; }
      if (stopped) return;
      let handed;
      try {
        handed = r.nextRequest();
      } catch (e) { fail(e); return; }
      if (handed === null) return;
      let answer;
      try {
        answer = await ask(handed.request);
      } catch (e) {
        if (e?.name === 'Cancelled' || cancelled.has(id)) { cancelAll(); return; }
        fail(r.fail(handed.index, `${e?.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e?.message ?? e}`));
        return;
      }
      if (stopped) return;
      try {
        for (const st of r.complete(handed.index, answer)) {
          post({ id, type: 'line', line: st.line });
          post({ id, type: 'progress', progress: st.progress, item: itemView(st) });
        }
      } catch (e) { fail(e); return; }
    }
  };
  const viaHelper = (h) => async (request) => {
    const call = h.start('answer', { request });
    out.set(call.id, h);
    try { return await call.promise; } finally { out.delete(call.id); }
  };
  const lanes = [lane((request) => model.answer(request, () => goOn(id)))];
  for (const h of helpers) lanes.push(lane(viaHelper(h)), lane(viaHelper(h)));
  try {
    await Promise.all(lanes);
  } finally {
    onCancel.delete(id);
  }
  if (failure) {
    // A helper that died (a panic) is not reused.
    if (helpers.some((h) => h.dead)) dropPool();
    throw failure;
  }
  return !cancelled.has(id);
}

// ── suites and runs ─────────────────────────────────────────────────────────────────────────────────

function openSuite(suite) {
  switch (suite.kind) {
    case 'sample': return S.WasmSuite.sample(suite.name);
    case 'files': return S.WasmSuite.fromFiles(suite.toml, suite.items, suite.fewshot || undefined, suite.origin || 'suite');
    case 'import': return S.WasmSuite.import(suite.format || 'auto', suite.bytes, suite.file_name);
    default: throw new Error(`unknown suite source ${suite.kind}`);
  }
}

function itemView(step) {
  // Only what the table shows; the full line goes to the page as the receipt line.
  let prompt = null;
  let target = null;
  let item = null;
  try {
    const v = JSON.parse(step.line);
    prompt = v.prompt ?? null;
    target = v.item?.target ?? null;
    if (v.item) item = { input: v.item.input, choices: v.item.choices ?? [], gold: v.item.gold ?? [] };
  } catch { /* the line is the receipt's; display falls back to the step */ }
  return { index: step.index, id: step.id, scores: step.scores, response: step.response, prompt, target, item };
}

async function run(id, { suite, model: m, limit, workers }) {
  await start();
  const s = openSuite(suite);
  let endpoint = null;
  let r = null;
  try {
    const opts = limit ? { limit } : {};
    if (m.kind === 'local') {
      if (!model) throw Object.assign(new Error('no model is loaded'), { name: 'InputError' });
      r = S.WasmRun.withModel(s, model, opts);
    } else if (m.kind === 'endpoint') {
      endpoint = new S.WasmEndpoint(m.spec, m.key || undefined);
      r = S.WasmRun.withEndpoint(s, endpoint, opts);
    } else if (m.kind === 'replay') {
      r = S.WasmRun.replay(s, m.text, m.file_name, opts);
    } else if (m.kind === 'replay-sample') {
      const text = s.sampleResponses();
      if (text == null) throw Object.assign(new Error(`suite ${s.info().name} has no recorded sample responses`), { name: 'InputError' });
      r = S.WasmRun.replay(s, text, 'sample_responses.jsonl', opts);
    } else {
      throw new Error(`unknown model kind ${m.kind}`);
    }
    r.setInterrupt(() => goOn(id));
    // A pool for a local model on the CPU; one worker otherwise (one GPU is not shared faster).
    const asked = Math.max(1, Math.floor(Number(workers) || 1));
    const pooled = m.kind === 'local' && model.info().backend === 'cpu';
    const size = poolSize(asked);
    const n = pooled ? size.n : 1;
    if (n < asked) {
      const why = m.kind !== 'local' ? 'only a local model runs on a pool'
        : !pooled ? 'a WebGPU model runs on one worker'
          : `${size.cores} core(s), memory for ${size.byMemory} copies of the model`;
      post({ id, type: 'status', text: `running on ${n} worker${n === 1 ? '' : 's'} of ${asked} asked (${why})` });
    }
    const helpers = n > 1 ? await ensurePool(id, n) : [];
    post({ id, type: 'line', line: r.header() });
    post({ id, type: 'progress', progress: r.progress() });
    if (n > 1) {
      if (!(await drivePool(id, r, helpers))) return { cancelled: true, summary: null, workers: n };
      const fin = r.finish();
      post({ id, type: 'line', line: fin.line });
      return { cancelled: false, summary: fin.summary, workers: n };
    }
    for (;;) {
      if (!(await goOn(id))) return { cancelled: true, summary: null };
      let step;
      try {
        step = await r.step();
      } catch (e) {
        if (e?.name === 'Cancelled') return { cancelled: true, summary: null };
        throw e;
      }
      if (step === null) break;
      post({ id, type: 'line', line: step.line });
      post({ id, type: 'progress', progress: step.progress, item: itemView(step) });
    }
    const fin = r.finish();
    post({ id, type: 'line', line: fin.line });
    return { cancelled: false, summary: fin.summary, workers: 1 };
  } finally {
    if (r) r.free();
    if (endpoint) endpoint.free();
    s.free();
  }
}

// ── judge lab ────────────────────────────────────────────────────────────────────────────────────────

/**
 * The recorded verdicts of `pair` for `protocol`: game 0 (answers as given) and game 1 (answers swapped),
 * each with the preference the judge *said* (in the orientation it saw), parsed from the raw reply by the
 * protocol's own parser (judgeParse) — or null when nothing was recorded or no verdict parses.
 */
function recordedGames(pair, protocol) {
  const vs = (pair.verdicts || []).filter((v) => v.protocol === protocol);
  const said = (v) => (v ? S.recordedPreference(v) ?? null : null);
  const g0 = vs.find((v) => !v.swapped) || null;
  const g1 = vs.find((v) => v.swapped) || null;
  return { g0, g1, p0: said(g0), p1: said(g1) };
}

function swapPref(p) { return p === 'A' ? 'B' : p === 'B' ? 'A' : p; }

async function liveVerdict(id, judge, protocol, pair, game) {
  const input = { question: pair.question, answers: [pair.answer_a, pair.answer_b].filter((x) => x != null), reference: pair.reference ?? null };
  // The reference's attempt loop (judgeStep): Arena-Hard v0.1 and SOS ask once more, with the reply
  // and a retry turn, when a reply has no label; the judgment is the replies as the reference records it.
  const replies = [];
  let step = S.judgeStep(protocol, input, game, replies);
  while (!step.done) {
    replies.push(await askJudge(id, judge, step.messages));
    step = S.judgeStep(protocol, input, game, replies);
  }
  // The preference as the judge said it (the orientation of the pair it was shown).
  return { reply: step.judgment, preference: step.preference ?? null, attempts: step.attempts };
}

/** One judge call: the reply text to `messages`, from the endpoint or the loaded model (cancellable
 * between tokens). */
async function askJudge(id, judge, messages) {
  let reply;
  if (judge.kind === 'endpoint') {
    const ep = new S.WasmEndpoint(judge.spec, judge.key || undefined);
    try {
      const resp = await ep.generate({ kind: 'chat', messages }, { max_tokens: 512, stop: [], temperature: 0 });
      reply = resp.text ?? '';
    } finally { ep.free(); }
  } else {
    if (!model) throw Object.assign(new Error('no model is loaded'), { name: 'InputError' });
    const g = await model.start({ messages }, { max_tokens: 256, temperature: 0 });
    try {
      let st;
      do {
        if (!(await goOn(id))) throw cancelledError();
        st = await g.next();
      } while (!st.done);
      reply = g.text();
    } finally { g.free(); }
  }
  return reply;
}

async function probe(id, { pairs, probes, seed, protocol, mode, judge }) {
  await start();
  const rows = [];
  const observations = [];
  const total = pairs.length * probes.length;
  const skipped = {};  // probe → { pairs, reasons: { why: count } }
  let done = 0;
  // Live mode: one verdict for each original and each probed pair; progress counts verdicts, with the
  // mean time per verdict so the page can estimate what is left.
  const t0 = performance.now();
  let verdicts = 0;
  const verdictsTotal = mode === 'live' ? pairs.length * (1 + probes.length) : 0;
  const progress = () => post({ id, type: 'progress', progress: {
    done, total, verdicts, verdicts_total: verdictsTotal, elapsed_ms: performance.now() - t0, tokens: 0, tokens_per_second: 0,
  } });
  const verdict = async (pair) => {
    const v = await liveVerdict(id, judge, protocol, pair, 0);
    verdicts += 1;
    progress();
    return v;
  };
  try {
    for (const pair of pairs) {
      if (!(await goOn(id))) break;
      const rec = recordedGames(pair, protocol);
      let original = rec.p0;
      if (mode === 'live') original = (await verdict(pair)).preference;
      for (const name of probes) {
        if (!(await goOn(id))) break;
        let perturbed;
        try {
          perturbed = S.applyProbe(pair, name, seed);
        } catch (e) {
          if (e?.name !== 'NotApplicable') throw e;
          // This probe does not fit this pair: skipped and counted, never the end of the application.
          const sk = skipped[name] ??= { pairs: 0, reasons: {} };
          sk.pairs += 1;
          const why = String(e.message).replace(/^probe `[^`]*` does not apply: /, '');
          sk.reasons[why] = (sk.reasons[why] || 0) + 1;
          done += 1;
          if (mode === 'live') verdicts += 1;  // a verdict that will not be asked for
          progress();
          continue;
        }
        let probed = null;
        let reply = null;
        if (mode === 'live') {
          const live = await verdict(perturbed.pair);
          probed = live.preference;
          reply = live.reply;
        } else if (name === 'swap') {
          // The recorded second game is the judge's verdict on exactly this perturbation (answers
          // swapped), as it said it — the probed pair's orientation, which is what biasObservation takes.
          probed = rec.p1;
        }
        const haveProbed = mode === 'live' || (name === 'swap' && rec.g1);
        const observation = haveProbed ? S.biasObservation(pair, original, perturbed, probed) : null;
        if (observation) observations.push(observation);
        rows.push({ pair_id: pair.id, probe: name, perturbed, original, probed,
          probed_in_original: probed == null ? null : (perturbed.swapped ? swapPref(probed) : probed),
          have_probed: !!haveProbed, reply,
          recorded: { g0: rec.g0?.raw ?? null, g1: rec.g1?.raw ?? null } });
        done += 1;
        progress();
      }
    }
  } catch (e) {
    // A cancel inside a verdict: what finished is kept and reported.
    if (e?.name !== 'Cancelled') throw e;
  }
  const opts = { resamples: 1000, seed: Number(seed) || 0 };
  const report = observations.length ? S.biasReport(observations, opts, `${mode} verdicts, ${protocol}`) : null;
  const applicability = probes.map((name) => ({
    probe: name,
    total: pairs.length,
    applied: rows.filter((r) => r.probe === name).length,
    skipped: skipped[name]?.pairs ?? 0,
    reasons: skipped[name]?.reasons ?? {},
  }));
  return { rows, report, applicability, cancelled: cancelled.has(id) };
}

/**
 * Arena-Hard answers judged live: every model's answers against the baseline's (arenaPairsToJudge), both
 * games per question (game 1 shows the answers swapped), each game the reference's exchange (asked once
 * more when a reply has no label, as `substance judge` does) parsed by the v0.1 parser; the judged pairs
 * become the upstream judgment files (arenaJudgmentFiles). Cancel keeps the pairs judged in both games
 * so far.
 */
async function judgeArena(id, { questions, answers, baseline, judge }) {
  await start();
  const protocol = 'arena-hard-v0.1';
  const pairs = S.arenaPairsToJudge(questions, answers, baseline);
  // The endpoint's model name (spec "URL#NAME"), or the local model's id.
  const judgeId = judge.kind === 'endpoint' ? String(judge.spec).split('#').pop() : (model ? model.info().id : 'local');
  const t0 = performance.now();
  let verdicts = 0;
  let noLabel = 0;
  const done = [];
  try {
    for (const pair of pairs) {
      for (const game of [0, 1]) {
        const { reply, attempts } = await liveVerdict(id, judge, protocol, pair, game);
        const parsed = S.judgeParse(protocol, reply);
        if (!parsed.verdict) noLabel += 1;
        (pair.verdicts ??= []).push({ judge: judgeId, protocol, swapped: game === 1, verdict: parsed.verdict ?? null, raw: reply, meta: { game, attempts } });
        verdicts += 1;
        post({ id, type: 'progress', progress: { done: verdicts, total: pairs.length * 2, verdicts, verdicts_total: pairs.length * 2, elapsed_ms: performance.now() - t0, tokens: 0, tokens_per_second: 0 } });
      }
      done.push(pair);
      if (!(await goOn(id))) break;
    }
  } catch (e) {
    if (e?.name !== 'Cancelled') throw e;
  }
  const files = done.length ? S.arenaJudgmentFiles(done, judgeId) : [];
  return { files, n_pairs: done.length, judge: judgeId, no_label: noLabel, cancelled: cancelled.has(id) };
}

function recordedReport({ pairs, protocol, seed }) {
  const judges = [...new Set(pairs.flatMap((p) => (p.verdicts || []).filter((v) => v.protocol === protocol).map((v) => v.judge)))];
  const obs = S.recordedObservations(pairs.map((p) => ({ ...p, verdicts: (p.verdicts || []).filter((v) => v.protocol === protocol) })), judges[0]);
  return obs.length ? S.biasReport(obs, { resamples: 1000, seed: Number(seed) || 0 }, `recorded two-game verdicts, ${protocol}`) : null;
}

// ── dispatch ─────────────────────────────────────────────────────────────────────────────────────────

const ops = {
  async init() {
    await start();
    return { info: S.info(), webgpu: await S.webgpuStatus() };
  },
  loadModel: (id, msg) => loadModel(id, msg),
  async unloadModel() { dropPool(); if (model) { model.free(); model = null; } modelSource = null; return null; },
  answer: (id, { request }) => answerHere(id, request),
  async suites() { await start(); return S.sampleSuites(); },
  async suiteInfo(id, { suite }) {
    await start();
    const s = openSuite(suite);
    try { return s.info(); } finally { s.free(); }
  },
  run: (id, msg) => run(id, msg),
  async verify(id, { text, file_name }) {
    await start();
    const r = S.verifyReceipt(text);
    return { ...r, file_name };
  },
  async verifyFiles(id, { files, claims }) {
    await start();
    return S.verifyFiles(files, claims ?? null);
  },
  async judgeExamples() { await start(); return S.judgeLabExamples(); },
  async parsePairs(id, { text, file_name }) { await start(); return S.parseJudgedPairs(text, file_name); },
  async judgmentFormats() { await start(); return S.judgmentFormats(); },
  judgeArena: (id, msg) => judgeArena(id, msg),
  async answersFile(id, { text, model }) { await start(); return S.answersFile(text, model ?? undefined); },
  async loadJudgments(id, { files, format }) { await start(); return S.loadJudgments(files, { format }); },
  probe: (id, msg) => probe(id, msg),
  async recordedReport(id, msg) { await start(); return recordedReport(msg); },
  async leaderboard(id, { opts }) { await start(); return S.arenaHardLeaderboard(opts); },
  async sos(id, { opts }) { await start(); return S.sosReport(opts); },
};

self.onmessage = async (ev) => {
  const msg = ev.data || {};
  if (msg.op === 'cancel') { cancelled.add(msg.target); onCancel.get(msg.target)?.(); return; }
  const { id, op } = msg;
  const f = ops[op];
  if (!f) { post({ id, type: 'error', error: { name: 'InputError', message: `unknown op ${op}` } }); return; }
  try {
    const value = await f(id, msg);
    post({ id, type: 'result', value });
  } catch (e) {
    post({ id, type: 'error', error: errorOf(e) });
    if (isPanic(e)) post({ type: 'fatal', error: errorOf(e) });
  } finally {
    cancelled.delete(id);
  }
};
