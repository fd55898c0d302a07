// Run tab: suite × model → receipt, streamed item by item from the worker.

import { $, h, setChildren, fmt, bytes, excerpt, download, readText, readBytes } from './lib/dom.js';
import { worker, showError, engine, setEngineStatus } from './lib/core.js';

const DEFAULT_MODEL_URL = new URL('../models/SmolLM2-135M-Instruct.Q4_1.gguf', import.meta.url).href;
const DEFAULT_MODEL_ID = 'SmolLM2-135M-Instruct.Q4_1.gguf';
const CACHE = 'substance-weights-v1';
const REMEMBER_KEY = 'substance.endpoint';

/** The receipt being built: header, item lines and summary, exactly as the worker streamed them. */
let receipt = { lines: [], name: 'run', complete: false };
/** The loaded model: which source and backend, and its info. */
let loaded = null;
let running = null;

const radio = (name) => document.querySelector(`input[name="${name}"]:checked`)?.value;

// ── weights cache ────────────────────────────────────────────────────────────────────────────────────

async function cacheSize() {
  if (!('caches' in self)) return { n: 0, size: 0 };
  const cache = await caches.open(CACHE);
  let size = 0;
  const keys = await cache.keys();
  for (const req of keys) {
    const r = await cache.match(req);
    // a cached body is a disk-backed Blob: its size costs no read
    size += r ? (await r.blob()).size : 0;
  }
  return { n: keys.length, size };
}

export async function refreshCache() {
  try {
    const { n, size } = await cacheSize();
    $('cache-size').textContent = n ? `${bytes(size)} in ${n} file${n === 1 ? '' : 's'}` : 'empty';
  } catch (e) {
    $('cache-size').textContent = 'unavailable';
  }
}

// ── model source ─────────────────────────────────────────────────────────────────────────────────────

function endpointSpec() {
  const url = $('endpoint-url').value.trim().replace(/\/+$/, '');
  const name = $('endpoint-model').value.trim();
  if (!url) throw Object.assign(new Error('enter the endpoint URL (e.g. http://127.0.0.1:8000/v1)'), { name: 'InputError' });
  if (!name) throw Object.assign(new Error('enter the model name the endpoint serves'), { name: 'InputError' });
  return `${url}#${name}`;
}

/** The judge/runner model the form describes, for the worker: local (loaded) or endpoint. */
export function endpointModel() {
  return { kind: 'endpoint', spec: endpointSpec(), key: $('endpoint-key').value || undefined };
}

async function modelSource() {
  const src = radio('model-src');
  if (src === 'default') return { key: `url:${DEFAULT_MODEL_URL}`, source: { kind: 'url', url: DEFAULT_MODEL_URL, format: 'gguf', id: DEFAULT_MODEL_ID } };
  if (src === 'hf') {
    const url = $('model-hf').value.trim();
    if (!url) throw Object.assign(new Error('enter a Hugging Face URL (a .gguf file, or a model folder)'), { name: 'InputError' });
    return { key: `url:${url}`, source: hfSource(url) };
  }
  if (src === 'file') {
    const files = [...$('model-file').files];
    if (!files.length) throw Object.assign(new Error('pick a .gguf file, or config.json + model.safetensors + tokenizer.json'), { name: 'InputError' });
    const key = `file:${files.map((f) => `${f.name}/${f.size}/${f.lastModified}`).join(',')}`;
    const gguf = files.find((f) => f.name.toLowerCase().endsWith('.gguf'));
    // the File itself: the worker reads it a tensor at a time, never whole into memory
    if (gguf) return { key, source: { kind: 'gguf', bytes: gguf, file_name: gguf.name } };
    const by = (n) => files.find((f) => f.name === n);
    const need = { config: 'config.json', weights: 'model.safetensors', tokenizer: 'tokenizer.json' };
    const out = {};
    for (const [k, n] of Object.entries(need)) {
      const f = by(n);
      if (!f) throw Object.assign(new Error(`missing ${n} among the picked files (a Hugging Face folder needs config.json, model.safetensors and tokenizer.json; or pick one .gguf)`), { name: 'InputError' });
      out[k] = k === 'weights' ? f : await readBytes(f);
    }
    for (const [k, n] of Object.entries({ generation_config: 'generation_config.json', tokenizer_config: 'tokenizer_config.json' })) {
      if (by(n)) out[k] = await readBytes(by(n));
    }
    return { key, source: { kind: 'hf', files: out, id: files.find((f) => f.webkitRelativePath)?.webkitRelativePath.split('/')[0] || 'local model' } };
  }
  return null; // endpoint or replay: nothing to load
}

/** A Hugging Face URL → what to fetch: a .gguf file, or a model folder (…/resolve/main/). */
function hfSource(url) {
  let u;
  try { u = new URL(url); } catch { throw Object.assign(new Error(`not a URL: ${url}`), { name: 'InputError' }); }
  if (u.pathname.toLowerCase().endsWith('.gguf')) {
    const file = u.pathname.split('/').pop();
    if (u.hostname === 'huggingface.co') u.pathname = u.pathname.replace('/blob/', '/resolve/');
    return { kind: 'url', url: u.href, format: 'gguf', id: file };
  }
  const parts = u.pathname.split('/').filter(Boolean);
  if (u.hostname === 'huggingface.co' && parts.length >= 2 && !parts.includes('resolve')) {
    return { kind: 'url', url: `https://huggingface.co/${parts[0]}/${parts[1]}/resolve/main/`, format: 'hf', id: `${parts[0]}/${parts[1]}` };
  }
  return { kind: 'url', url: u.href.endsWith('/') ? u.href : `${u.href}/`, format: 'hf', id: parts.slice(-2).join('/') };
}

/** Load the chosen local model unless it is already loaded on the chosen backend. */
export async function ensureModel(onStatus) {
  const m = await modelSource();
  if (!m) return null;
  const key = `${m.key}|${engine.backend}`;
  if (loaded && loaded.key === key) return loaded.info;
  onStatus?.('loading model…');
  setEngineStatus('loading model…', 'busy');
  // a picked file goes as its File (cloned by reference, read by range in the worker): nothing to transfer
  const transfer = m.source.bytes?.buffer ? [m.source.bytes.buffer] : [];
  try {
    const info = await worker.call('loadModel', { source: m.source, backend: engine.backend }, {
      onDownload: (done, total, url) => {
        onStatus?.(`downloading ${url.split('/').pop()}: ${bytes(done)}${total ? ` of ${bytes(total)}` : ''}`);
        if (total) { $('run-progress').max = total; $('run-progress').value = done; }
      },
    }, transfer);
    loaded = { key, info };
    setEngineStatus(`${info.id} · ${info.backend === 'webgpu' ? 'WebGPU' : 'CPU'}`, 'ready');
    $('engine-status').title = `${info.backend_reason}; weights: ${info.numeric}`;
    refreshCache();
    return info;
  } catch (e) {
    loaded = null;
    setEngineStatus('no model', 'error');
    refreshCache();
    throw e;
  }
}

// ── suite source ─────────────────────────────────────────────────────────────────────────────────────

async function suiteSource() {
  const src = radio('suite-src');
  if (src === 'bundled') return { kind: 'sample', name: $('suite-bundled').value };
  if (src === 'url') {
    const url = $('suite-url').value.trim();
    if (!url) throw Object.assign(new Error('enter a suite URL'), { name: 'InputError' });
    let resp;
    try { resp = await fetch(url, { credentials: 'omit' }); } catch (e) { throw Object.assign(new Error(`cannot fetch ${url}: ${e.message}`), { name: 'NetworkError' }); }
    if (!resp.ok) throw Object.assign(new Error(`cannot fetch ${url}: HTTP ${resp.status}`), { name: 'NetworkError' });
    return { kind: 'import', format: $('suite-format').value || 'auto', bytes: new Uint8Array(await resp.arrayBuffer()), file_name: url.split('/').pop() || 'suite' };
  }
  const files = [...$('suite-file').files];
  if (!files.length) throw Object.assign(new Error('pick suite files'), { name: 'InputError' });
  const toml = files.find((f) => f.name.endsWith('.toml'));
  if (toml) {
    const items = files.find((f) => f.name !== toml.name && !/fewshot/i.test(f.name) && !/sample_responses/.test(f.name));
    const fewshot = files.find((f) => /fewshot/i.test(f.name));
    if (!items) throw Object.assign(new Error('pick the items file (items.jsonl) together with suite.toml'), { name: 'InputError' });
    return { kind: 'files', toml: await readText(toml), items: await readText(items), fewshot: fewshot ? await readText(fewshot) : undefined, origin: toml.name };
  }
  return { kind: 'import', format: $('suite-format').value || 'auto', bytes: await readBytes(files[0]), file_name: files[0].name };
}

/** The suite's description line; for an import, the importer used (detected with format auto). */
function suiteLine(info) {
  const how = info.imported_as ? ` · format auto → ${info.imported_as.format} (${info.imported_as.reason})` : '';
  return `${info.name} — ${info.n_items} items, ${info.output_type.replace('_', ' ')}${how}`;
}

async function describeImport() {
  if (radio('suite-src') !== 'file' || !$('suite-file').files.length) return;
  try {
    const suite = await suiteSource();
    const info = await worker.call('suiteInfo', { suite });
    $('suite-info').textContent = suiteLine(info);
  } catch (e) {
    $('suite-info').textContent = '';
    showError('Reading the suite file', e);
  }
}

// ── the run ──────────────────────────────────────────────────────────────────────────────────────────

function responseText(resp, score) {
  if (!resp) return '';
  if (resp.kind === 'generation') return resp.text;
  if (resp.kind === 'log_likelihood') {
    return resp.choices.map((c, i) => `${i}: ${fmt(c.ll, 2)}`).join('  ');
  }
  return JSON.stringify(resp);
}

function promptText(p) {
  if (!p) return '';
  switch (p.kind) {
    case 'completion': return p.text;
    case 'chat': return p.messages.map((m) => `${m.role}: ${m.content}`).join('\n');
    case 'log_likelihood': return `${p.context}\n→ ${p.continuations.map((c) => JSON.stringify(c)).join(' | ')}`;
    case 'log_likelihood_pairs': return p.requests.map(([c, x]) => `${c}${x}`).join('\n---\n');
    default: return JSON.stringify(p);
  }
}

function scoreCell(scores) {
  return h('td', {}, Object.entries(scores || {}).map(([k, s]) => h('div', { title: s.explanation || '' },
    h('span', { class: `tag ${s.value >= 1 ? 'ok' : s.value <= 0 ? 'bad' : ''}` }, `${k} ${fmt(s.value)}`),
    s.answer != null ? h('span', { class: 'muted' }, ` answer ${s.answer}`) : null)));
}

/**
 * A multiple-choice answer as a reader wants it: each option with its log-likelihood, the option the
 * model chose (highest log-likelihood) and the gold one(s).
 */
function choicesView(item, resp) {
  const lls = resp.choices.map((c) => c.ll);
  const chosen = lls.indexOf(Math.max(...lls));
  const gold = new Set(item.gold);
  return h('ol', { class: 'choices' }, item.choices.map((text, i) => h('li', {
    class: `${i === chosen ? 'chosen' : ''} ${gold.has(i) ? 'gold' : ''}`.trim(),
    dataset: { choice: String(i), chosen: i === chosen ? '1' : '0', gold: gold.has(i) ? '1' : '0' },
  },
  h('span', { class: 'opt' }, text),
  h('span', { class: 'll num' }, ` ${fmt(lls[i], 2)}`),
  i === chosen ? h('span', { class: 'tag' }, ' chosen') : null,
  gold.has(i) ? h('span', { class: 'tag ok' }, ' gold') : null)));
}

function addItemRow(item) {
  const prompt = promptText(item.prompt);
  const mc = item.response?.kind === 'log_likelihood' && item.item?.choices?.length === item.response.choices.length;
  // For multiple choice the cell shows this item's question (the few-shot block is in the tooltip and in
  // the receipt), not the start of the prompt.
  const question = mc ? item.item.input : prompt;
  const row = h('tr', { dataset: { id: item.id } },
    h('td', { class: 'num' }, item.index),
    h('td', { class: 'mono' }, item.id),
    h('td', { class: 'text', title: prompt }, excerpt(question, 220)),
    h('td', { class: 'text response' }, mc ? choicesView(item.item, item.response) : responseText(item.response)),
    scoreCell(item.scores));
  $('run-items').tBodies[0].append(row);
}

function showSummary(summary, note) {
  if (summary && !Object.keys(summary.metrics || {}).length && judgeGraded()) {
    note = `A judge-graded suite: no metric at run time. The ${summary.n_items} answer(s) are kept in the receipt; “Download answers” gives them in the benchmark’s own layout (model_answer JSONL, or AlpacaEval’s model_outputs.json), for a judge (the CLI’s \`substance judge\`, or the upstream scripts).`;
  }
  const boxes = Object.entries(summary?.metrics || {}).map(([name, a]) => h('div', { class: 'metric', dataset: { metric: name } },
    h('div', { class: 'name' }, name),
    h('div', { class: 'value' }, fmt(a.value)),
    // The bootstrap interval stays inside the metric's range (a normal interval at small n does not:
    // [-0.080, 0.880]); the ± is lm-eval's stderr, kept for parity.
    h('div', { class: 'ci' }, a.bootstrap_ci95
      ? `± ${fmt(a.stderr)} (stderr) · 95% CI [${fmt(a.bootstrap_ci95[0])}, ${fmt(a.bootstrap_ci95[1])}] (bootstrap) · n = ${a.n}`
      : `± ${fmt(a.stderr)} (stderr) · 95% CI [${fmt(a.ci95?.[0])}, ${fmt(a.ci95?.[1])}] (normal) · n = ${a.n}`)));
  setChildren($('run-summary'), note ? h('div', { class: 'notice' }, note) : null, boxes);
}

/** Whether the kept receipt is of a judge-graded suite (its scorers name a judge, not a metric). */
function judgeGraded() {
  try {
    const scorers = JSON.parse(receipt.lines[0] || '{}').suite?.spec?.scorers || [];
    return scorers.some((s) => s === 'arena_hard' || s === 'mt_bench' || s === 'alpaca_eval');
  } catch { return false; }
}

function setRunning(on) {
  $('run-start').disabled = on;
  $('run-cancel').disabled = !on;
  $('run-answers').disabled = on || receipt.lines.length < 2 || !judgeGraded();
  // A receipt is worth downloading once it holds an item (a header alone records nothing).
  $('run-download').disabled = on || receipt.lines.length < 2;
}

async function startRun() {
  const status = (t) => { $('run-status').textContent = t; };
  setChildren($('run-summary'));
  $('run-items').tBodies[0].replaceChildren();
  $('run-progress').value = 0;
  receipt = { lines: [], name: 'run', complete: false };
  setRunning(true);
  running = { id: null, cancelRequested: false };
  try {
    const suite = await suiteSource();
    if (suite.kind === 'import') $('suite-info').textContent = suiteLine(await worker.call('suiteInfo', { suite }));
    const src = radio('model-src');
    let model;
    if (src === 'endpoint') model = endpointModel();
    else if (src === 'replay') model = { kind: 'replay-sample' };
    else {
      await ensureModel(status);
      model = { kind: 'local' };
    }
    if (running.cancelRequested) throw Object.assign(new Error('cancelled'), { name: 'Cancelled' });
    const limit = Number($('run-limit').value) || undefined;
    const workers = model.kind === 'local' ? Math.max(1, Number($('run-workers').value) || 1) : 1;
    receipt.name = `${suite.name || suite.file_name || suite.origin || 'suite'}`.replace(/[^\w.-]+/g, '_');
    status('starting…');
    const call = worker.start('run', { suite, model, limit, workers }, {
      onStatus: status,
      onLine: (line) => { receipt.lines.push(line); $('run-download').disabled = receipt.lines.length < 2; },
      onProgress: (p, item) => {
        $('run-progress').max = Math.max(1, p.total);
        $('run-progress').value = p.done;
        status(`${p.done} / ${p.total} items · ${fmt(p.items_per_second, 2)} items/s · ${fmt(p.tokens_per_second, 1)} tokens/s · ${fmt(p.elapsed_ms / 1000, 1)} s`);
        if (item) addItemRow(item);
      },
    });
    running.id = call.id;
    const res = await call.promise;
    if (res.cancelled) {
      showSummary(null, `Cancelled after ${receipt.lines.length - 1} item(s): the receipt so far (header and finished items, no summary) can still be downloaded.`);
      status('cancelled');
    } else {
      receipt.complete = true;
      showSummary(res.summary);
      const on = res.workers > 1 ? ` · ${res.workers} workers` : '';
      status(`${$('run-status').textContent.replace(/^starting…$/, '')}${on} · done`);
    }
  } catch (e) {
    if (e.name === 'Cancelled') {
      status('cancelled');
      if (receipt.lines.length) showSummary(null, `Cancelled: ${receipt.lines.length - 1} finished item(s) kept; the partial receipt can be downloaded with “Download receipt”.`);
    } else {
      status('failed');
      showError('Run', e);
      if (receipt.lines.length > 1) showSummary(null, `The run stopped with an error; the ${receipt.lines.length - 1} finished item(s) are kept and the partial receipt can be downloaded.`);
    }
  } finally {
    running = null;
    setRunning(false);
    document.dispatchEvent(new CustomEvent('run-finished', { detail: { judgeGraded: receipt.lines.length > 1 && judgeGraded() } }));
  }
}

function cancelRun() {
  if (!running) return;
  running.cancelRequested = true;
  $('run-status').textContent = 'cancelling…';
  if (running.id != null) {
    worker.cancel(running.id);
    // The worker stops between two tokens and keeps the model loaded. Only a step that cannot be
    // interrupted (a model load, a hung request) makes the page terminate the worker, after 15 s.
    const id = running.id;
    setTimeout(() => {
      if (running && running.id === id) { loaded = null; worker.hardCancel(); }
    }, 15000);
  } else {
    loaded = null;
    worker.hardCancel();
  }
}

/** The last run's answers as a model_answer file (judge-graded suites): { file_name, text, n }. */
export async function runAnswers() {
  return worker.call('answersFile', { text: receipt.lines.join('') });
}

async function downloadAnswers() {
  try {
    const a = await runAnswers();
    download(a.file_name, a.text);
  } catch (e) {
    showError('Exporting the answers', e);
  }
}

function downloadReceipt() {
  const suffix = receipt.complete ? 'receipt.jsonl' : 'partial.receipt.jsonl';
  download(`${receipt.name}.${suffix}`, receipt.lines.join(''));
}

// ── setup ────────────────────────────────────────────────────────────────────────────────────────────

async function fillSuites() {
  try {
    const suites = await worker.call('suites');
    const sel = $('suite-bundled');
    setChildren(sel, suites.map((s) => h('option', { value: s.name, dataset: { replay: s.has_sample_responses ? '1' : '' } },
      `${s.name} — ${s.n_items} items, ${s.output_type.replace('_', ' ')}${s.has_sample_responses ? ', recorded responses' : ''}`)));
    sel.dispatchEvent(new Event('change'));
  } catch (e) {
    showError('Listing the bundled suites', e);
  }
  const fmtSel = $('suite-format');
  setChildren(fmtSel, h('option', { value: 'auto' }, 'format: auto'),
    (engine.info?.importers || []).map((i) => h('option', { value: i.name, title: i.summary }, i.name)));
}

function restoreEndpoint() {
  try {
    const saved = JSON.parse(localStorage.getItem(REMEMBER_KEY) || 'null');
    if (saved) {
      $('endpoint-url').value = saved.url || '';
      $('endpoint-model').value = saved.model || '';
      $('endpoint-key').value = saved.key || '';
      $('endpoint-remember').checked = true;
    }
  } catch { /* storage unavailable: nothing remembered */ }
}

function rememberEndpoint() {
  try {
    if ($('endpoint-remember').checked) {
      localStorage.setItem(REMEMBER_KEY, JSON.stringify({ url: $('endpoint-url').value, model: $('endpoint-model').value, key: $('endpoint-key').value }));
    } else {
      localStorage.removeItem(REMEMBER_KEY);
    }
  } catch { /* storage unavailable */ }
}

export function initRun() {
  // A pool of workers for local CPU models: one per core by default (the worker caps it by memory).
  $('run-workers').value = String(Math.max(1, Math.min(8, Number(navigator.hardwareConcurrency) || 1)));
  // A "recorded responses" model choice, for suites shipped with sample responses (replay, as the CLI demo).
  const replayRow = h('div', { class: 'row' }, h('label', {}, h('input', { type: 'radio', name: 'model-src', value: 'replay' }), ' Recorded sample responses of the suite (replay)'));
  $('model-hf').closest('.row').before(replayRow);
  $('suite-bundled').addEventListener('change', () => {
    const opt = $('suite-bundled').selectedOptions[0];
    $('suite-info').textContent = opt ? opt.textContent : '';
  });
  // A picked or fetched suite file: say what it is (with format auto: which importer was chosen, and why).
  for (const id of ['suite-file', 'suite-format']) $(id).addEventListener('change', describeImport);
  $('run-start').addEventListener('click', startRun);
  $('run-cancel').addEventListener('click', cancelRun);
  $('run-download').addEventListener('click', downloadReceipt);
  $('run-answers').addEventListener('click', downloadAnswers);
  $('cache-clear').addEventListener('click', async () => {
    try { await caches.delete(CACHE); } catch (e) { showError('Clearing the cache', e); }
    refreshCache();
  });
  for (const id of ['endpoint-url', 'endpoint-model', 'endpoint-key', 'endpoint-remember']) {
    $(id).addEventListener('change', rememberEndpoint);
  }
  // Picking a file / typing a URL selects that source.
  const pick = (id, name, value) => $(id).addEventListener('input', () => {
    const r = document.querySelector(`input[name="${name}"][value="${value}"]`);
    if (r) r.checked = true;
  });
  pick('model-file', 'model-src', 'file');
  pick('model-hf', 'model-src', 'hf');
  pick('endpoint-url', 'model-src', 'endpoint');
  pick('suite-file', 'suite-src', 'file');
  pick('suite-url', 'suite-src', 'url');
  document.addEventListener('backend-changed', () => {
    // Reload a loaded model on the new backend right away, so the status shows where it runs.
    if (!loaded || running) { loaded = null; return; }
    loaded = null;
    ensureModel((t) => { $('run-status').textContent = t; })
      .then(() => { $('run-status').textContent = 'model reloaded'; })
      .catch((e) => showError('Switching the backend', e));
  });
  document.addEventListener('engine-ready', fillSuites);
  restoreEndpoint();
  refreshCache();
}
