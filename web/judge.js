// Judge lab: recorded judgments (bundled original examples or dropped files) or a live judge; probes
// applied by the Rust bindings; verdicts side by side with the changed text highlighted; bias charts.

import { $, h, setChildren, fmt, dropZone, readBytes } from './lib/dom.js';
import { worker, showError, engine } from './lib/core.js';
import { ciChart } from './lib/plots.js';
import { endpointModel, ensureModel } from './run.js';

let pairs = [];
let rows = [];
let selected = null;
let liveCall = null;

const radio = (name) => document.querySelector(`input[name="${name}"]:checked`)?.value;
const PROBE_LABELS = { swap: 'position swap', padding: 'verbosity padding', markdown: 'markdown restyle', corrupt: 'substance corruption', 'reference-drop': 'reference drop' };

function verdictText(p) { return p == null ? '—' : p === 'tie' ? 'tie' : `${p} wins`; }
const swap = (p) => (p === 'A' ? 'B' : p === 'B' ? 'A' : p);

function protocols() {
  const set = new Set();
  for (const p of pairs) for (const v of p.verdicts || []) set.add(v.protocol);
  return [...set];
}

async function setPairs(next, source) {
  pairs = next;
  rows = [];
  selected = null;
  setChildren($('judge-applicability'));
  const protos = protocols();
  const known = new Set(engine.info?.judge_protocols || []);
  setChildren($('judge-protocol'), (protos.length ? protos : [...known]).map((p) => h('option', { value: p }, p)));
  $('judge-info').textContent = `${pairs.length} judged pair(s) from ${source}; recorded protocols: ${protos.join(', ') || 'none'}`;
  $('judge-apply').disabled = pairs.length === 0;
  renderPairs();
  setChildren($('judge-detail'), h('p', { class: 'muted' }, 'Apply probes, then pick a row to see both versions side by side.'));
  await recordedReport();
}

async function recordedReport() {
  const out = $('judge-report');
  if (!pairs.length) { setChildren(out); return; }
  try {
    const report = await worker.call('recordedReport', { pairs, protocol: $('judge-protocol').value, seed: Number($('judge-seed').value) || 0 });
    setChildren(out, report ? reportView(report, 'Recorded verdicts: answers shown in both orders') : h('p', { class: 'muted' }, 'These judgments have no two-game (swapped) verdicts for this protocol.'));
  } catch (e) {
    showError('Bias report of the recorded verdicts', e);
  }
}

// ── tables and detail ────────────────────────────────────────────────────────────────────────────────

function renderPairs() {
  const body = $('judge-pairs').tBodies[0];
  const protocol = $('judge-protocol').value;
  if (!rows.length) {
    // Before probing: one row per pair with its recorded verdicts.
    body.replaceChildren(...pairs.map((p) => {
      const vs = (p.verdicts || []).filter((v) => v.protocol === protocol);
      const g0 = vs.find((v) => !v.swapped);
      const g1 = vs.find((v) => v.swapped);
      return h('tr', { dataset: { pair: p.id } },
        h('td', { class: 'mono' }, p.id),
        h('td', {}, p.meta?.category ?? ''),
        h('td', {}, g0 ? labelOf(g0) : '—'),
        h('td', {}, g1 ? labelOf(g1) : '—'),
        h('td', {}, ''), h('td', {}, ''));
    }));
    return;
  }
  body.replaceChildren(...rows.map((r, i) => {
    const pair = pairs.find((p) => p.id === r.pair_id);
    const flipped = r.have_probed && r.original != null && r.probed_in_original != null && r.original !== r.probed_in_original;
    return h('tr', { class: `clickable ${selected === i ? 'sel' : ''}`, dataset: { pair: r.pair_id, probe: r.probe, flip: flipped ? '1' : '0' }, onclick: () => { selected = i; renderPairs(); renderDetail(r); } },
      h('td', { class: 'mono' }, r.pair_id),
      h('td', {}, pair?.meta?.category ?? ''),
      h('td', {}, verdictText(r.original)),
      h('td', {}, PROBE_LABELS[r.probe] || r.probe),
      h('td', {}, r.have_probed ? verdictText(r.probed_in_original) : h('span', { class: 'muted', title: 'recorded judgments only cover the swapped game: use a live judge for this probe' }, 'needs a live judge')),
      h('td', {}, flipped ? h('span', { class: 'flip' }, 'FLIP') : r.have_probed ? 'same' : ''));
  }));
}

/** A recorded verdict as the judge wrote it (label text), for the table before probing. */
function labelOf(v) {
  const d = v.verdict;
  if (!d) return 'no verdict';
  const label = d.label ?? d.winner ?? (d.scores ? d.scores.join(' / ') : d.rating ?? JSON.stringify(d));
  return `${label}${v.swapped ? ' (swapped)' : ''}`;
}

/** Text with its diff spans highlighted: `which` = 'old' (Equal + Delete) or 'new' (Equal + Insert). */
function diffText(spans, which) {
  const out = [];
  for (const s of spans) {
    const kind = s.kind ?? s.op;
    if (kind === 'equal') out.push(s.text);
    else if (kind === 'delete' && which === 'old') out.push(h('del', {}, s.text));
    else if (kind === 'insert' && which === 'new') out.push(h('ins', {}, s.text));
  }
  return out;
}

function field(pair, f) { return { question: pair.question, answer_a: pair.answer_a, answer_b: pair.answer_b, reference: pair.reference }[f]; }

function renderDetail(r) {
  const pair = pairs.find((p) => p.id === r.pair_id);
  const probed = r.perturbed.pair;
  const diffs = Object.fromEntries((r.perturbed.diffs || []).map((d) => [d.field, d.spans]));
  const side = (title, p, which, verdict) => h('div', { class: 'side' },
    h('h4', {}, title, ' — ', h('span', { class: 'verdict' }, verdict)),
    ['question', 'reference', 'answer_a', 'answer_b'].filter((f) => field(p, f) != null || diffs[f]).map((f) => h('div', { class: 'field', dataset: { field: f } },
      h('div', { class: 'muted' }, f.replace('_', ' ')),
      h('div', { class: 'textbox' }, diffs[f] ? diffText(diffs[f], which) : (field(p, f) ?? h('i', { class: 'muted' }, '(removed)'))))));
  setChildren($('judge-detail'),
    h('p', {}, h('b', {}, PROBE_LABELS[r.probe] || r.probe), ': ', r.perturbed.description),
    r.perturbed.swapped ? h('p', { class: 'notice' }, 'Answers A and B are exchanged in the probed pair; its verdict is shown mapped back to the original order.') : null,
    h('div', { class: 'sides' },
      side('Original', pair, 'old', verdictText(r.original)),
      side('Probed', probed, 'new', r.have_probed ? `${verdictText(r.probed)} as shown${r.perturbed.swapped ? ` = ${verdictText(swap(r.probed))} originally` : ''}` : 'needs a live judge')),
    r.reply != null ? h('details', {}, h('summary', {}, 'judge reply'), h('pre', { class: 'textbox' }, r.reply)) : null,
    r.recorded?.g0 != null ? h('details', {}, h('summary', {}, 'recorded judge outputs'),
      h('pre', { class: 'textbox' }, `game 1 (as given):\n${r.recorded.g0}`),
      r.recorded.g1 != null ? h('pre', { class: 'textbox' }, `game 2 (swapped):\n${r.recorded.g1}`) : null) : null);
}

// ── bias report ──────────────────────────────────────────────────────────────────────────────────────

const est = (label, e) => ({ label, value: e?.value ?? null, lo: e?.ci?.[0] ?? e?.value, hi: e?.ci?.[1] ?? e?.value, n: e?.n });

export function reportView(report, title) {
  const main = [
    est('flip rate', report.flip_rate),
    est('position consistency', report.position_consistency),
    est('prefers the longer answer', report.length_preference),
    est('style over substance', report.style_vs_substance),
  ];
  const byProbe = Object.entries(report.flip_rate_by_probe || {}).map(([k, e]) => est(`flips: ${k}`, e));
  const table = h('table', { class: 'stats' },
    h('thead', {}, h('tr', {}, h('th', {}, 'measure'), h('th', { class: 'num' }, 'value'), h('th', {}, '95% CI'), h('th', { class: 'num' }, 'n'))),
    h('tbody', {}, [...main, ...byProbe].map((r) => h('tr', { dataset: { measure: r.label } },
      h('td', {}, r.label), h('td', { class: 'num' }, fmt(r.value)),
      h('td', {}, r.value == null ? '—' : `[${fmt(r.lo)}, ${fmt(r.hi)}]`), h('td', { class: 'num' }, r.n ?? '—')))));
  let chart = null;
  try {
    chart = ciChart([...main, ...byProbe], { title, ref: 0.5 });
  } catch (e) {
    showError('Drawing the bias chart', e);
  }
  return h('div', { class: 'bias' },
    h('h3', {}, title),
    h('p', { class: 'muted' }, `${report.label} · ${report.n_observations} observation(s), ${report.n_missing} without a verdict · bootstrap ${report.options?.resamples} resamples, seed ${report.options?.seed}`),
    h('div', { class: 'report' }, chart, table));
}

/** Per probe: to how many pairs it applied, and why the others were skipped. */
function renderApplicability(list) {
  setChildren($('judge-applicability'), list.map((a) => {
    const reasons = Object.entries(a.reasons || {}).map(([why, n]) => `${n} × ${why}`).join('; ');
    return h('li', { dataset: { probe: a.probe, applied: String(a.applied), skipped: String(a.skipped) } },
      `${PROBE_LABELS[a.probe] || a.probe}: applies to ${a.applied} of ${a.total} pair(s)`,
      a.skipped ? ` — ${a.skipped} skipped (${reasons})` : '');
  }));
}

// ── loading judgment files ───────────────────────────────────────────────────────────────────────────

const example = (p) => new URL(`./examples/${p}`, import.meta.url);

/** Files of recorded judgments (any format the library reads, detected unless a format is chosen). */
async function loadJudgmentFiles(files) {
  if (!files.length) return;
  try {
    const format = $('judge-format').value;
    const loaded = await worker.call('loadJudgments', { files, format });
    const read = loaded.files.map((f) => `${f.file}: ${f.format ? `${f.pairs} pair(s), ${f.format}` : `texts (${f.companion})`}`);
    $('judge-format-used').textContent = `read as ${loaded.format}${format === 'auto' ? ' (detected)' : ''} — ${read.join('; ')}`;
    await setPairs(loaded.pairs, loaded.label);
  } catch (e) {
    showError(`Reading ${files.map((f) => f.name).join(', ')}`, e);
  }
}

/** Judgment files by URL (the full upstream files when online); `null`: the bundled LLMBar excerpt. */
async function loadUrls(urls) {
  try {
    let list;
    if (urls) {
      list = urls.map((u) => ({ url: new URL(u, location.href), name: new URL(u, location.href).pathname }));
    } else {
      const manifest = await (await fetch(example('llmbar/manifest.json'))).json();
      list = manifest.files.map((f) => ({ url: example(`llmbar/${f.path}`), name: f.path }));
    }
    $('judge-info').textContent = `downloading ${list.length} file(s)…`;
    const files = [];
    for (const { url, name } of list) {
      let r;
      try {
        r = await fetch(url, { credentials: 'omit' });
      } catch (e) {
        throw Object.assign(new Error(`cannot download ${url}: ${e.message || e}`), { name: 'NetworkError' });
      }
      if (!r.ok) throw Object.assign(new Error(`cannot download ${url}: HTTP ${r.status}`), { name: 'NetworkError' });
      files.push({ name: decodeURIComponent(name), bytes: new Uint8Array(await r.arrayBuffer()) });
    }
    await loadJudgmentFiles(files);
  } catch (e) {
    $('judge-info').textContent = '';
    showError('Loading judgments', e);
  }
}

/** "verdict 3 / 180 · 9.1 s per verdict · about 26 min left" (live), "probing 12 / 150" (recorded). */
function probeProgress(p) {
  if (!p.verdicts_total) return `probing: ${p.done} / ${p.total}`;
  const per = p.verdicts ? p.elapsed_ms / p.verdicts / 1000 : null;
  const left = per == null ? null : per * (p.verdicts_total - p.verdicts);
  const eta = left == null ? '' : left >= 90 ? ` · about ${Math.round(left / 60)} min left` : ` · about ${Math.round(left)} s left`;
  return `live judge: verdict ${p.verdicts} / ${p.verdicts_total}${per == null ? '' : ` · ${fmt(per, 1)} s per verdict`}${eta}`;
}

// ── probing ──────────────────────────────────────────────────────────────────────────────────────────

async function applyProbes() {
  const probes = [...document.querySelectorAll('#judge-probes input:checked')].map((i) => i.value);
  if (!probes.length) { showError('Judge lab', new Error('tick at least one probe')); return; }
  const mode = radio('judge-mode');
  const protocol = $('judge-protocol').value;
  $('judge-apply').disabled = true;
  $('judge-cancel').disabled = false;
  try {
    let judge = null;
    if (mode === 'live') {
      const src = radio('model-src');
      if (src === 'endpoint') judge = endpointModel();
      else { await ensureModel((t) => { $('judge-info').textContent = t; }); judge = { kind: 'local' }; }
    }
    liveCall = worker.start('probe', { pairs, probes, seed: Number($('judge-seed').value) || 0, protocol, mode, judge }, {
      onProgress: (p) => { $('judge-info').textContent = probeProgress(p); },
    });
    const res = await liveCall.promise;
    rows = res.rows;
    selected = null;
    renderApplicability(res.applicability || []);
    renderPairs();
    const flips = rows.filter((r) => r.have_probed && r.original != null && r.probed_in_original != null && r.original !== r.probed_in_original).length;
    $('judge-info').textContent = `${rows.length} probed pair(s), ${flips} flip(s)${res.cancelled ? ' (cancelled: partial)' : ''}`;
    const first = rows.findIndex((r) => r.have_probed && r.original !== r.probed_in_original);
    if (first >= 0) { selected = first; renderPairs(); renderDetail(rows[first]); }
    if (res.report) {
      $('judge-report').prepend(reportView(res.report, mode === 'live' ? 'Live judge on probed pairs' : 'Probes with recorded verdicts'));
    }
  } catch (e) {
    showError('Applying probes', e);
  } finally {
    liveCall = null;
    $('judge-apply').disabled = pairs.length === 0;
    $('judge-cancel').disabled = true;
  }
}

export function initJudge() {
  $('judge-load-examples').addEventListener('click', async () => {
    try { await setPairs(await worker.call('judgeExamples'), 'the bundled examples'); } catch (e) { showError('Loading the examples', e); }
  });
  dropZone($('judge-drop'), $('judge-file'), async (files) => {
    // A folder's relative path keeps what LLMBar reads from it (subset, evaluator).
    const named = await Promise.all(files.map(async (f) => ({ name: f.webkitRelativePath || f.name, bytes: await readBytes(f) })));
    await loadJudgmentFiles(named);
  });
  $('judge-load-llmbar').addEventListener('click', () => loadUrls(null));
  $('judge-load-url').addEventListener('click', () => {
    const urls = $('judge-url').value.split(/\s+/).filter(Boolean);
    if (urls.length) loadUrls(urls);
  });
  $('judge-protocol').addEventListener('change', () => { rows = []; renderPairs(); recordedReport(); });
  $('judge-apply').addEventListener('click', applyProbes);
  $('judge-cancel').addEventListener('click', () => { if (liveCall) worker.cancel(liveCall.id); });
  document.addEventListener('engine-ready', () => {
    const probes = engine.info?.probes || [];
    setChildren($('judge-probes'), probes.map((p) => h('label', {}, h('input', { type: 'checkbox', value: p, checked: true }), ` ${PROBE_LABELS[p] || p}`)));
    worker.call('judgmentFormats').then((formats) => {
      setChildren($('judge-format'),
        h('option', { value: 'auto' }, 'format: auto (detect)'),
        formats.map((f) => h('option', { value: f.name, title: f.summary }, `format: ${f.name}`)));
    }, (e) => showError('Judgment formats', e));
  });
}

