// DOM helpers. Every string that reaches the page goes through `textContent` or an attribute setter:
// model outputs, judge replies, file contents and receipt fields are never parsed as HTML. This module is
// the only place elements are built, so that rule is easy to check (grep the app for innerHTML: none).

/**
 * Build an element: `h('td', {class: 'num', title: t}, 'text', childNode, ...)`.
 * Attributes named `on*` take functions (added as listeners, never as attribute strings); `class`, `for`,
 * `hidden`, `disabled`, `checked`, `value` and the rest are set as attributes or properties. Children may be
 * strings (added as text nodes), numbers, nodes, arrays of those, or null/undefined/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected') {
      el[k] = v;
    } else if (k.startsWith('on')) {
      throw new Error(`refusing to set ${k} as an attribute string`);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

/** Append children (strings become text nodes). */
export function append(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replace all children of `el`. */
export function setChildren(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** `document.getElementById` that fails loudly. */
export function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing element #${id}`);
  return el;
}

/** Format a number for tables: fixed digits, '—' for null/NaN. */
export function fmt(x, digits = 3) {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (typeof x !== 'number') return String(x);
  return Number.isInteger(x) ? String(x) : x.toFixed(digits);
}

/** Human-readable byte count. */
export function bytes(n) {
  if (!Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Shorten a long text for a table cell (the full text goes in the title / details). */
export function excerpt(s, n = 160) {
  s = String(s ?? '');
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/**
 * Show an SVG document string as an image. The SVG comes from the Rust bindings and may contain model
 * names from user files: as an <img> from a blob: URL it can neither run script nor load anything, and
 * malformed markup only fails to draw.
 */
/**
 * Records a reader or an aggregate left out on purpose, as the reference tool leaves them out (the
 * reading policy's rule 6): a count and, folded, one line per record with its file, line and why.
 */
export function skippedList(skipped, what = 'record(s)') {
  if (!skipped || skipped.length === 0) return null;
  return h('details', { class: 'skipped' },
    h('summary', {}, `${skipped.length} ${what} left out, as the reference leaves them out`),
    h('ul', {}, skipped.map((sk) => h('li', {}, `${sk.file}: line ${sk.line}: ${sk.reason}`))));
}

export function svgImage(svg, alt) {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  const img = h('img', { class: 'plot', alt: alt || 'plot', src: url });
  img.addEventListener('load', () => URL.revokeObjectURL(url), { once: true });
  img.addEventListener('error', () => URL.revokeObjectURL(url), { once: true });
  return img;
}

/** Offer a text as a file download. */
export function download(name, text, type = 'application/x-ndjson') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Read a File as text / bytes. */
export const readText = (file) => file.text();
export const readBytes = async (file) => new Uint8Array(await file.arrayBuffer());

/**
 * Make `zone` accept dropped files (and clicks open `input`); `onFiles(FileList)` gets them.
 */
export function dropZone(zone, input, onFiles) {
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer?.files?.length) onFiles([...e.dataTransfer.files]);
  });
  input.addEventListener('change', () => {
    if (input.files?.length) onFiles([...input.files]);
    input.value = '';
  });
}
