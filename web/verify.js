// Verify tab: drop result files → receipts (every item and aggregate recomputed by verifyReceipt) and
// other tools' published files (lm-eval and inspect_ai output, MMLU-Pro predictions, judge result
// files, zips) through verifyFiles in the worker; green/red per item and per number, claimed against
// recomputed, a per-item drill-down with the logged prompt and response (all text, never HTML). Needs
// nothing from the network.

import { $, h, setChildren, fmt, dropZone, readBytes, skippedList } from './lib/dom.js';
import { worker, showError } from './lib/core.js';

function card(r) {
  const ok = r.ok;
  const head = h('h3', {},
    h('span', { class: `tag ${ok ? 'ok' : 'bad'}`, dataset: { verdict: ok ? 'ok' : 'mismatch' } }, ok ? '✓ verified' : '✗ mismatch'),
    h('span', { class: 'mono' }, r.file_name));
  const meta = h('p', { class: 'muted' },
    `suite ${r.suite ?? '—'} · model ${r.model ?? '—'} · ${r.items_checked} item(s) checked`,
    r.suite_checked ? ' · suite hash checked' : ' · suite text not at hand: item hashes, scores and aggregates checked');

  const aggRows = (r.aggregates || []).map((a) => h('tr', { class: a.ok ? 'ok' : 'bad' },
    h('td', {}, a.group ? `${a.group} / ${a.metric}` : a.metric),
    h('td', { class: 'num' }, fmt(a.claimed, 6)),
    h('td', { class: 'num' }, fmt(a.recomputed, 6)),
    h('td', {}, h('span', { class: `tag ${a.ok ? 'ok' : 'bad'}` }, a.ok ? 'match' : 'differs'))));
  const aggs = aggRows.length ? h('table', { class: 'stats aggregates' },
    h('thead', {}, h('tr', {}, h('th', {}, 'aggregate'), h('th', { class: 'num' }, 'claimed'), h('th', { class: 'num' }, 'recomputed'), h('th', {}, ''))),
    h('tbody', {}, aggRows)) : null;

  const mism = (r.mismatches || []).map((m) => h('li', { class: 'mismatch' },
    `line ${m.line}${m.item != null ? ` · item ${m.item}` : ''} · ${m.field}: claimed ${m.claimed}, recomputed ${m.recomputed}`));

  const badItems = new Set(r.mismatching_items || []);
  const itemRows = (r.items || []).map((it) => h('tr', { class: it.ok ? 'ok' : 'bad', dataset: { item: it.id } },
    h('td', { class: 'num' }, it.index),
    h('td', { class: 'mono' }, it.id),
    h('td', {}, h('span', { class: `tag ${it.ok ? 'ok' : 'bad'}` }, it.ok ? 'ok' : 'mismatch'))));
  const items = h('details', { open: badItems.size > 0 || undefined },
    h('summary', {}, `${(r.items || []).length} items, ${badItems.size} mismatching`),
    h('div', { class: 'table-wrap' }, h('table', { class: 'items verify-items' },
      h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'item'), h('th', {}, ''))),
      h('tbody', {}, itemRows))));

  return h('div', { class: `verify-card ${ok ? 'ok' : 'bad'}`, dataset: { file: r.file_name } },
    head, meta,
    badItems.size ? h('p', { class: 'flip' }, `Mismatching items: ${[...badItems].join(', ')}`) : null,
    mism.length ? h('ul', {}, mism) : null,
    aggs, items);
}

function errorCard(fileName, e) {
  return h('div', { class: 'verify-card bad', dataset: { file: fileName } },
    h('h3', {}, h('span', { class: 'tag bad', dataset: { verdict: 'error' } }, '✗ unreadable'), h('span', { class: 'mono' }, fileName)),
    h('p', { class: 'mismatch' }, `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`));
}

const STATUS_WORDS = { match: 'match', differs: 'differs', not_checkable: 'not checkable' };
const SEVERITY_WORDS = { differs: 'differ', not_checkable: 'not checkable (left to chance)', note: 'notes' };
// Rows rendered per severity; the rest are counted (a 12,000-item file must not freeze the page).
const SHOWN_ROWS = 200;

function recomputedText(r) {
  if (r.kind === 'range') return `${fmt(r.lo, 6)} – ${fmt(r.hi, 6)} (expected ${fmt(r.expected, 6)})`;
  if (r.kind === 'hash') return `sha256 ${r.value.slice(0, 12)}…`;
  if (r.kind === 'none') return '—';
  return fmt(r.value, 6);
}

/** A card for one of another tool's files (the library's Report shape). */
function reportCard(r) {
  const ok = r.ok;
  const head = h('h3', {},
    h('span', { class: `tag ${ok ? 'ok' : 'bad'}`, dataset: { verdict: ok ? 'ok' : 'mismatch' } }, ok ? '✓ consistent' : '✗ mismatch'),
    h('span', { class: 'mono' }, r.file));
  const meta = h('p', { class: 'muted' }, `${r.format} · model ${r.model ?? '—'} · ${r.items_checked} item(s) recomputed`);
  const verdict = h('p', { class: 'verdict' }, r.verdict);
  const rows = r.checks.map((c) => h('tr', { class: c.status === 'differs' ? 'bad' : c.status === 'match' ? 'ok' : 'open', dataset: { scope: c.scope } },
    h('td', {}, c.scope),
    h('td', {}, c.metric),
    h('td', { class: 'num' }, c.n),
    h('td', { class: 'num', title: c.claimed_from ?? '' }, c.claimed == null ? '—' : fmt(c.claimed, 6)),
    h('td', { class: 'num', title: c.detail ?? '' }, recomputedText(c.recomputed)),
    h('td', {}, h('span', { class: `tag ${c.status === 'differs' ? 'bad' : c.status === 'match' ? 'ok' : ''}`, title: c.reason ?? '' }, STATUS_WORDS[c.status] ?? c.status))));
  const checks = h('div', { class: 'table-wrap' }, h('table', { class: 'stats checks' },
    h('thead', {}, h('tr', {}, h('th', {}, 'scope'), h('th', {}, 'metric'), h('th', { class: 'num' }, 'n'),
      h('th', { class: 'num' }, 'claimed'), h('th', { class: 'num' }, 'recomputed'), h('th', {}, ''))),
    h('tbody', {}, rows)));
  const reasons = [...new Set(r.checks.filter((c) => c.status === 'not_checkable').map((c) => c.reason))];
  const details = r.checks.filter((c, i) => c.detail && (i === 0 || c.claimed != null)).map((c) => h('p', { class: 'muted' }, `${c.scope}: ${c.detail}`));
  const groups = ['differs', 'not_checkable', 'note'].map((sev) => {
    const all = r.findings.filter((f) => f.severity === sev);
    if (!all.length) return null;
    const shown = all.slice(0, SHOWN_ROWS).map((f) => h('tr', { class: sev === 'differs' ? 'bad' : '', dataset: f.id ? { item: f.id } : undefined },
      h('td', { class: 'num' }, f.record), h('td', { class: 'mono' }, f.id), h('td', {}, f.field),
      h('td', { class: 'mono' }, f.claimed), h('td', { class: 'mono' }, f.recomputed),
      // the logged prompt and response (or the judge's text) behind the item, as text
      h('td', {}, f.reason, f.text ? h('details', { class: 'logged' }, h('summary', {}, 'logged text'), h('pre', {}, f.text)) : null)));
    return h('details', { open: sev === 'differs' || undefined, dataset: { severity: sev } },
      h('summary', {}, `${all.length} item(s) ${SEVERITY_WORDS[sev]}${all.length > SHOWN_ROWS ? ` (first ${SHOWN_ROWS} shown; all in the CLI's --json)` : ''}`),
      h('div', { class: 'table-wrap' }, h('table', { class: 'items' },
        h('thead', {}, h('tr', {}, h('th', {}, 'record'), h('th', {}, 'id'), h('th', {}, 'field'), h('th', {}, 'file'), h('th', {}, 'recomputed'), h('th', {}, 'why'))),
        h('tbody', {}, shown))));
  });
  return h('div', { class: `verify-card ${ok ? 'ok' : 'bad'}`, dataset: { file: r.file, format: r.format } },
    head, meta, verdict, checks, details,
    reasons.map((why) => h('p', { class: 'muted' }, `not checkable: ${why}`)),
    r.notes.map((n) => h('p', { class: 'muted' }, n)),
    skippedList(r.skipped),
    groups);
}

function unusedClaimsCard(claims) {
  return h('div', { class: 'verify-card bad', dataset: { file: 'claims' } },
    h('h3', {}, h('span', { class: 'tag', dataset: { verdict: 'unchecked' } }, 'unchecked claims'), h('span', {}, `${claims.length} claim(s) no file recomputes`)),
    h('ul', {}, claims.map((c) => h('li', {}, `${c.source}: ${c.model || '*'} ${c.task} ${c.metric} = ${c.value}`))));
}

let claimsFile = null;

/** Verify dropped files of any format; each file gets its own card (newest first). */
export async function verifyFiles(files) {
  const out = $('verify-results');
  try {
    const r = await worker.call('verifyFiles', { files, claims: claimsFile });
    // every file in the library's one report shape (receipts included)
    const cards = [
      ...r.reports.map(reportCard),
      ...r.errors.map((e) => errorCard(e.file, { name: 'InputError', message: e.message })),
    ];
    if (r.unused_claims.length) cards.push(unusedClaimsCard(r.unused_claims));
    for (const c of cards.reverse()) out.prepend(c);
  } catch (e) {
    out.prepend(errorCard(files.map((f) => f.name).join(', '), e));
    showError('Verifying', e);
  }
}

/** Verify receipt texts; each gets its own card (newest first). */
export async function verifyTexts(files) {
  for (const { name, text } of files) {
    const out = $('verify-results');
    try {
      const r = await worker.call('verify', { text, file_name: name });
      out.prepend(card(r));
    } catch (e) {
      out.prepend(errorCard(name, e));
      showError(`Verifying ${name}`, e);
    }
  }
}

async function loadExamples() {
  const box = $('verify-examples');
  try {
    const resp = await fetch(new URL('../out/index.json', import.meta.url));
    if (!resp.ok) return;
    const { receipts } = await resp.json();
    if (!receipts?.length) return;
    setChildren(box, h('span', { class: 'muted' }, 'Receipts of the CLI demo (out/): '),
      receipts.map((name) => {
        const url = new URL(`../out/${encodeURIComponent(name)}`, import.meta.url).href;
        return h('span', { class: 'example' },
          h('button', { type: 'button', class: 'small', dataset: { receipt: name }, onclick: async () => {
            try {
              const r = await fetch(url);
              if (!r.ok) throw new Error(`HTTP ${r.status}`);
              await verifyTexts([{ name, text: await r.text() }]);
            } catch (e) { showError(`Loading ${name}`, e); }
          } }, `verify ${name}`),
          ' ', h('a', { href: url, download: name }, 'download'), ' ');
      }));
  } catch { /* served without out/: no examples */ }
}

export function initVerify() {
  dropZone($('verify-drop'), $('verify-file'), async (files) => {
    const read = [];
    for (const f of files) read.push({ name: f.name, bytes: await readBytes(f) });
    verifyFiles(read);
  });
  $('verify-claims').addEventListener('change', async (ev) => {
    const f = ev.target.files?.[0];
    claimsFile = f ? { name: f.name, bytes: await readBytes(f) } : null;
    $('verify-claims-name').textContent = f ? `claims: ${f.name}` : '';
  });
  loadExamples();
}
