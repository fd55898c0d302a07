// Leaderboard tab: Arena-Hard v0.1 Bradley–Terry leaderboard (bootstrap CIs, style control) and the SOS
// view (judge score vs ground-truth factor scores), both computed by the Rust bindings in the worker.

import { $, h, setChildren, fmt, readText, download, skippedList } from './lib/dom.js';
import { worker, showError } from './lib/core.js';
import { endpointModel, ensureModel, runAnswers } from './run.js';
import { ciChart, scatter } from './lib/plots.js';

let arenaFiles = null;   // { judgments: TextFile[], answers: TextFile[], source }
let sosFiles = null;     // { results: TextFile, judge: TextFile, source }
let sosBundle = null;    // TextFile[]: a bundle run's bundle.json and receipts, placed among the models

const example = (p) => new URL(`./examples/${p}`, import.meta.url);

async function fetchText(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`cannot load ${url}: HTTP ${r.status}`);
  return r.text();
}

// ── arena ────────────────────────────────────────────────────────────────────────────────────────────

const stem = (f) => f.file_name.split('/').pop().replace(/\.jsonl$/, '');
const REFERENCE_BASELINE = 'gpt-4-0314';  // Arena-Hard v0.1's default

/**
 * The models that can be the baseline. v0.1 judgment files do not record it: it is the model every
 * judged model was compared with, so never a model with a judgment file of its own. With answer files,
 * the candidates are the models that have answers and no judgments; without, the reference's default.
 */
function baselineCandidates(files) {
  const judged = new Set(files.judgments.map(stem));
  const fromAnswers = [...new Set(files.answers.map(stem))].filter((m) => !judged.has(m)).sort();
  return fromAnswers.length ? fromAnswers : [REFERENCE_BASELINE].filter((m) => !judged.has(m));
}

function setArena(files, baseline) {
  arenaFiles = files;
  const candidates = baselineCandidates(files);
  const chosen = candidates.includes(baseline) ? baseline : candidates[0];
  setChildren($('lb-baseline'), candidates.map((m) => h('option', { value: m, selected: m === chosen }, m)));
  $('lb-baseline-note').textContent = !candidates.length
    ? 'No baseline: every model given has judgments of its own. Add the baseline’s answer file (the model every battle is against).'
    : candidates.length > 1
      ? `The judgment files do not record their baseline: ${candidates.length} models have answers and no judgments — pick the one the judge compared against.`
      : `Baseline ${chosen}: the one model with answers and no judgment file${files.answers.length ? '' : ' (no answer files: the reference default)'}.`;
  $('lb-compute').disabled = !candidates.length;
  if (candidates.length) compute();
  else setChildren($('lb-out'));
}

async function loadArenaExample() {
  try {
    const manifest = JSON.parse(await fetchText(example('arena/manifest.json')));
    const judgments = [];
    const answers = [];
    for (const f of manifest.files) {
      const text = await fetchText(example(`arena/${f}`));
      (f.startsWith('model_answer/') ? answers : judgments).push({ file_name: f, text });
    }
    setArena({ judgments, answers, source: 'bundled example (synthetic)' }, manifest.baseline);
  } catch (e) {
    showError('Loading the leaderboard example', e);
  }
}

async function arenaFromFiles(files) {
  const judgments = [];
  const answers = [];
  for (const f of files) {
    const text = await readText(f);
    const path = f.webkitRelativePath || f.name;
    // Answer files have `choices`/`messages`; judgment files have `games`.
    const first = text.split('\n').find((l) => l.trim());
    let isAnswer = /model_answer\//.test(path);
    try { const v = JSON.parse(first || '{}'); isAnswer = isAnswer || ('choices' in v) || ('messages' in v); } catch { /* the parser reports it */ }
    if (isAnswer) answers.push({ file_name: `model_answer/${f.name}`, text });
    else judgments.push({ file_name: path.includes('/') ? path.split('/').slice(-2).join('/') : `judge/${f.name}`, text });
  }
  setArena({ judgments, answers, source: files.map((f) => f.name).join(', ') }, null);
}

async function compute() {
  if (!arenaFiles) return;
  const style = $('lb-style').checked;
  const opts = {
    version: 'v0.1',
    judgments: arenaFiles.judgments,
    answers: arenaFiles.answers,
    baseline: $('lb-baseline').value || undefined,
    style_control: style ? 'full' : 'none',
    bootstrap: Number($('lb-bootstrap').value) || 0,
    seed: 0,
  };
  $('lb-compute').disabled = true;
  setChildren($('lb-out'), h('p', { class: 'muted' }, 'computing…'));
  try {
    const lb = await worker.call('leaderboard', { opts });
    renderArena(lb, style);
  } catch (e) {
    setChildren($('lb-out'));
    showError('Leaderboard', e);
  } finally {
    $('lb-compute').disabled = false;
  }
}

function renderArena(lb, style) {
  const rows = [...(lb.rows || [])].sort((a, b) => b.score - a.score);
  const chartRows = rows.map((r) => ({ label: r.model, value: r.score, lo: r.lower ?? r.score, hi: r.upper ?? r.score }));
  const max = Math.max(100, ...chartRows.map((r) => r.hi));
  let chart = null;
  try {
    chart = ciChart(chartRows, { title: `Win rate vs ${lb.baseline} (%)${style ? ', style-controlled' : ''}`, domain: [0, max], ref: 50, xLabel: 'score (95% bootstrap CI)' });
  } catch (e) { showError('Drawing the leaderboard', e); }
  const table = h('table', { class: 'stats', id: 'lb-table' },
    h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'model'), h('th', { class: 'num' }, 'score'), h('th', {}, '95% CI'), h('th', { class: 'num' }, 'avg tokens'))),
    h('tbody', {}, rows.map((r, i) => h('tr', { dataset: { model: r.model } },
      h('td', { class: 'num' }, i + 1), h('td', {}, r.model), h('td', { class: 'num' }, fmt(r.score, 1)),
      h('td', {}, `[${fmt(r.lower, 1)}, ${fmt(r.upper, 1)}]`), h('td', { class: 'num' }, fmt(r.avg_tokens, 0))))));
  setChildren($('lb-out'),
    h('div', {},
      h('h3', {}, `Bradley–Terry leaderboard${style ? ' — style control on' : ''}`),
      h('p', { class: 'muted' }, `${arenaFiles.source} · protocol ${lb.protocol ?? 'arena-hard-v0.1'} · ${lb.n_battles ?? '?'} battles · ${lb.bootstrap_rounds ?? 0} bootstrap rounds, seed ${lb.seed ?? 0}`),
      lb.dropped_games > 0
        ? h('div', { class: 'warn', id: 'lb-dropped' },
          h('p', {}, `${lb.dropped_games} of ${lb.n_games} judged games had no verdict and were dropped, as the reference drops them.`),
          skippedList(lb.skipped, 'game(s)'))
        : null,
      h('div', { class: 'report' }, chart, table)));
}

// ── SOS ──────────────────────────────────────────────────────────────────────────────────────────────

async function loadSosExample() {
  try {
    sosFiles = {
      results: { file_name: 'results.csv', text: await fetchText(example('sos/results.csv')) },
      judge: { file_name: 'judge.csv', text: await fetchText(example('sos/judge.csv')) },
      source: 'bundled example (synthetic)',
    };
    await computeSos();
  } catch (e) {
    showError('Loading the SOS example', e);
  }
}

async function sosFromFiles(files) {
  const texts = await Promise.all(files.map(async (f) => ({ file_name: f.name, text: await readText(f) })));
  const judge = texts.find((t) => /^model,score/i.test(t.text.trimStart()) || /arena|judge/i.test(t.file_name));
  const results = texts.find((t) => t !== judge);
  if (!results || !judge) { showError('SOS view', new Error('drop two CSVs: the results table (Name, <task>/<metric>…) and the judge scores (model,score,…)')); return; }
  sosFiles = { results, judge, source: files.map((f) => f.name).join(', ') };
  await computeSos();
}

const FACTORS = { wk: 'world knowledge', if: 'instruction following', safety: 'safety' };

async function sosBundleFromFiles(files) {
  sosBundle = await Promise.all(files.map(async (f) => ({ file_name: f.name, text: await readText(f) })));
  $('sos-bundle-clear').disabled = false;
  $('sos-bundle-info').textContent = `${files.length} file(s): ${files.map((f) => f.name).join(', ')}`;
  if (!sosFiles) sosFiles = { source: 'bundle run only' };
  await computeSos();
}

function bundleOpts() {
  if (!sosBundle) return undefined;
  const name = $('sos-bundle-name').value.trim();
  const score = $('sos-bundle-judge').value.trim();
  return { files: sosBundle, name: name || undefined, judge_score: score === '' ? undefined : Number(score) };
}

async function computeSos() {
  setChildren($('sos-out'), h('p', { class: 'muted' }, 'computing…'));
  try {
    // The library's defaults, as the CLI: chance-corrected normalisation, 2000 resamples, seed 2409.
    const rep = await worker.call('sos', { opts: { results: sosFiles.results, judge: sosFiles.judge, bundle: bundleOpts() } });
    renderSos(rep);
  } catch (e) {
    setChildren($('sos-out'));
    showError('SOS view', e);
    if (sosBundle) {
      // a refused bundle run is dropped, so the view does not keep failing on it
      sosBundle = null;
      $('sos-bundle-clear').disabled = true;
      $('sos-bundle-info').textContent = 'the bundle run was refused (see the error); drop it again once fixed';
    }
  }
}

// SosReport (substance-sos serde): factors.models[{model, factors:[{factor, score}]}], judge.matched
// [{judge_name, model, score}], correlations[{x, y, method, n, estimate, ci}] (x/y: judge | wk | if | safety).
function factorOf(m, f) {
  return (m.factors || []).find((x) => x.factor === f)?.score ?? null;
}

const judgeCorr = (rep, f) => (rep.correlations || []).filter((c) => (c.x === 'judge' && c.y === f) || (c.y === 'judge' && c.x === f));

function renderSos(rep) {
  const judged = new Map((rep.judge?.matched || []).map((j) => [j.model, j.score]));
  const models = rep.factors?.models || [];
  const added = rep.bundle?.model;
  const plots = [];
  for (const [f, name] of Object.entries(FACTORS)) {
    // the placed bundle run is labelled so it stands out among the paper's models
    const points = models.map((m) => ({ label: m.model === added ? `▶ ${m.model}` : m.model, x: factorOf(m, f), y: judged.get(m.model) }))
      .filter((p) => p.x != null && p.y != null);
    const caption = judgeCorr(rep, f).map((c) => `${c.method} ${fmt(c.estimate, 2)} [${fmt(c.ci?.[0], 2)}, ${fmt(c.ci?.[1], 2)}]`).join(' · ');
    if (points.length) {
      try {
        plots.push(h('div', { class: 'sos-plot', dataset: { factor: f } }, scatter(points, { title: `Judge score vs ${name}`, xLabel: `${name} (factor score)`, yLabel: 'judge score' }), h('p', { class: 'muted' }, caption || '—')));
      } catch (e) { showError('Drawing the SOS view', e); }
    }
  }
  const corrRows = Object.keys(FACTORS).flatMap((f) => judgeCorr(rep, f)).map((c) => h('tr', {},
    h('td', {}, FACTORS[c.x === 'judge' ? c.y : c.x]), h('td', {}, String(c.method)),
    h('td', { class: 'num' }, fmt(c.estimate, 3)), h('td', {}, c.ci ? `[${fmt(c.ci[0], 2)}, ${fmt(c.ci[1], 2)}]` : '—'),
    h('td', { class: 'num' }, c.n)));
  const place = rep.bundle?.placement;
  const placement = place ? h('div', { id: 'sos-placement' },
    h('h4', {}, `Where ${place.model} lands`),
    h('p', { class: 'muted' }, `${(rep.bundle.receipts || []).length} receipt(s) verified (${(rep.bundle.receipts || []).map((r) => `${r.receipt}: ${r.items} items`).join(', ')})` +
      ((rep.bundle.unused_columns || []).length ? ` · not read by the mapping, left out: ${rep.bundle.unused_columns.join(', ')}` : '')),
    h('table', { class: 'stats' },
      h('thead', {}, h('tr', {}, h('th', {}, 'factor'), h('th', { class: 'num' }, 'score'), h('th', {}, 'rank'))),
      h('tbody', {}, (place.factors || []).map((p) => h('tr', { dataset: { factor: p.factor } },
        h('td', {}, FACTORS[p.factor] || p.factor), h('td', { class: 'num' }, p.score == null ? '—' : fmt(p.score, 3)),
        h('td', {}, p.rank == null ? 'no benchmark of this factor in the bundle'
          : `${p.rank} of ${p.of} (from ${p.benchmarks_used} of ${p.benchmarks_total} benchmarks${p.benchmarks_used < p.benchmarks_total ? '; the other models cover every one' : ''})`))))),
    (rep.bundle.open_llm_leaderboard || []).length ? h('p', { class: 'muted', id: 'sos-open-llm' },
      `Open LLM Leaderboard v2 scores from its leaderboard tasks (partial when a task is absent): ${rep.bundle.open_llm_leaderboard.map((s) => `${s.metric} ${fmt(s.value, 2)}`).join(' · ')}`) : null) : null;
  const unmatched = rep.judge?.unmatched?.length ? h('p', { class: 'muted' }, `judge rows without a results row: ${rep.judge.unmatched.map((u) => u.name).join(', ')}`) : null;
  setChildren($('sos-out'), h('div', {},
    h('h3', {}, 'SOS view — does the judge track substance?'),
    h('p', { class: 'muted' }, `${sosFiles.source} · ${models.length} models, ${judged.size} with a judge score · normalisation ${rep.norm}`),
    placement,
    h('div', { class: 'report' }, plots),
    unmatched,
    corrRows.length ? h('table', { class: 'stats', id: 'sos-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'judge score vs'), h('th', {}, 'method'), h('th', { class: 'num' }, 'r'), h('th', {}, '95% CI'), h('th', { class: 'num' }, 'n'))),
      h('tbody', {}, corrRows)) : null));
}

// ── judging answers live ─────────────────────────────────────────────────────────────────────────────
// A question file and model_answer files (a run's own, from "Download answers" or the Run tab directly,
// and the baseline's) → every model's answers judged against the baseline's by the Run tab's model or
// endpoint, both games per question → the upstream judgment files → the leaderboard above.

const judging = { questions: null, answers: [], judgments: [], call: null };

function answerModel(f) {
  const first = f.text.split('\n').find((l) => l.trim());
  try { const v = JSON.parse(first); return v.model ?? v.model_id ?? stem(f); } catch { return stem(f); }
}

/** Refresh the baseline menu and the Judge button; `describe` also replaces the info line with the files. */
function refreshJudging(describe = true) {
  const models = [...new Set(judging.answers.map(answerModel))].sort();
  const keep = $('lbj-baseline').value;
  setChildren($('lbj-baseline'), models.map((m) => h('option', { value: m, selected: m === keep }, m)));
  $('lbj-judge').disabled = !(judging.questions && models.length >= 2) || !!judging.call;
  if (describe) $('lbj-info').textContent = `${judging.questions ? `questions: ${judging.questions.file_name}` : 'no question file yet'} · answers: ${models.join(', ') || 'none'}`;
}

async function addJudgingFiles(files) {
  for (const f of files) {
    const text = await readText(f);
    const first = text.split('\n').find((l) => l.trim()) || '{}';
    let v = {};
    try { v = JSON.parse(first); } catch { /* the Rust reader names the line */ }
    if ('messages' in v || 'choices' in v) judging.answers.push({ file_name: `model_answer/${f.name}`, text });
    else judging.questions = { file_name: f.name, text };
  }
  refreshJudging();
}

async function judgeAnswers() {
  const baseline = $('lbj-baseline').value;
  $('lbj-judge').disabled = true;
  $('lbj-cancel').disabled = false;
  try {
    const src = document.querySelector('input[name="model-src"]:checked')?.value;
    let judge;
    if (src === 'endpoint') judge = endpointModel();
    else { await ensureModel((t) => { $('lbj-info').textContent = t; }); judge = { kind: 'local' }; }
    judging.call = worker.start('judgeArena', { questions: judging.questions, answers: judging.answers, baseline, judge }, {
      onProgress: (p) => {
        const per = p.verdicts ? p.elapsed_ms / p.verdicts / 1000 : null;
        const left = per == null ? '' : ` · about ${Math.max(0, Math.round(per * (p.verdicts_total - p.verdicts)))} s left`;
        $('lbj-info').textContent = `judging: verdict ${p.verdicts} / ${p.verdicts_total}${per == null ? '' : ` · ${fmt(per, 1)} s per verdict`}${left}`;
      },
    });
    const res = await judging.call.promise;
    judging.judgments = res.files;
    $('lbj-download').disabled = !res.files.length;
    $('lbj-info').textContent = `${res.n_pairs} pair(s) judged in both orders by ${res.judge}${res.cancelled ? ' (cancelled: the finished pairs are kept)' : ''}; ${res.no_label} game(s) without a label`;
    if (res.files.length) setArena({ judgments: res.files, answers: judging.answers, source: `answers judged by ${res.judge}` }, baseline);
  } catch (e) {
    showError('Judging the answers', e);
  } finally {
    judging.call = null;
    $('lbj-cancel').disabled = true;
    refreshJudging(false);
  }
}

export function initLeaderboard() {
  $('lbj-file').addEventListener('change', () => { const f = [...$('lbj-file').files]; $('lbj-file').value = ''; if (f.length) addJudgingFiles(f); });
  $('lbj-judge').addEventListener('click', judgeAnswers);
  $('lbj-cancel').addEventListener('click', () => { if (judging.call) worker.cancel(judging.call.id); });
  $('lbj-download').addEventListener('click', () => {
    for (const f of judging.judgments) download(f.file_name.replace('/', '__'), f.text);
  });
  $('lbj-add-run').addEventListener('click', async () => {
    try {
      const a = await runAnswers();
      judging.answers = judging.answers.filter((f) => f.file_name !== `model_answer/${a.file_name}`);
      judging.answers.push({ file_name: `model_answer/${a.file_name}`, text: a.text });
      refreshJudging();
    } catch (e) { showError('Adding the run’s answers', e); }
  });
  document.addEventListener('run-finished', (ev) => { $('lbj-add-run').disabled = !ev.detail?.judgeGraded; });
  $('lb-load-example').addEventListener('click', loadArenaExample);
  $('lb-file').addEventListener('change', () => { const f = [...$('lb-file').files]; $('lb-file').value = ''; if (f.length) arenaFromFiles(f); });
  $('lb-style').addEventListener('change', compute);
  $('lb-baseline').addEventListener('change', compute);
  $('lb-compute').addEventListener('click', compute);
  $('sos-load-example').addEventListener('click', loadSosExample);
  $('sos-file').addEventListener('change', () => { const f = [...$('sos-file').files]; $('sos-file').value = ''; if (f.length) sosFromFiles(f); });
  $('sos-bundle').addEventListener('change', () => { const f = [...$('sos-bundle').files]; $('sos-bundle').value = ''; if (f.length) sosBundleFromFiles(f); });
  $('sos-bundle-clear').addEventListener('click', () => {
    sosBundle = null; $('sos-bundle-clear').disabled = true; $('sos-bundle-info').textContent = '';
    if (sosFiles?.results) computeSos(); else setChildren($('sos-out'));
  });
  for (const id of ['sos-bundle-name', 'sos-bundle-judge']) $(id).addEventListener('change', () => { if (sosBundle) computeSos(); });
}
