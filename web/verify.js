// Verify tab: drop receipts → every item and aggregate recomputed by verifyReceipt in the worker;
// green/red per item and per aggregate, mismatch details. Needs nothing from the network.

import { $, h, setChildren, fmt, dropZone, readText } from './lib/dom.js';
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
    const texts = [];
    for (const f of files) texts.push({ name: f.name, text: await readText(f) });
    verifyTexts(texts);
  });
  loadExamples();
}
