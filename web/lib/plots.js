// Charts with Observable Plot (vendored from npm at a pinned version: web/vendor/, see update.sh there).
// Plot builds SVG through the DOM (labels are text nodes, never parsed markup). Plot also emits a <style>
// element per chart; the page's CSP allows no inline styles, so it is removed before the chart enters the
// document and the same rules live in style.css (`.plot-chart`).

import { h } from './dom.js';

function plotLib() {
  const Plot = globalThis.Plot;
  if (!Plot) throw new Error('the plotting library (web/vendor/plot.umd.min.js) did not load');
  return Plot;
}

function clean(svg) {
  for (const s of svg.querySelectorAll('style')) s.remove();
  if (svg.tagName.toLowerCase() === 'figure') {
    svg.classList.add('plot-figure');
  }
  return svg;
}

const base = { className: 'plot-chart', style: { background: 'white' }, marginLeft: 170 };

/**
 * Estimates with confidence intervals as horizontal bars: rows [{ label, value, lo, hi, n }] on [0, 1]
 * (or `domain`), with a reference line at `ref` (0.5 = no preference).
 */
export function ciChart(rows, { title, domain = [0, 1], ref = null, width = 620, xLabel = 'estimate (95% CI)' } = {}) {
  const Plot = plotLib();
  const data = rows.filter((r) => r.value != null);
  const marks = [
    Plot.gridX({ stroke: '#e4e7eb' }),
    ref != null ? Plot.ruleX([ref], { stroke: '#999', strokeDasharray: '4,3' }) : null,
    Plot.ruleY(data, { y: 'label', x1: 'lo', x2: 'hi', stroke: '#2f5bd3', strokeWidth: 3, strokeOpacity: 0.55 }),
    Plot.dot(data, { y: 'label', x: 'value', fill: '#2f5bd3', r: 5 }),
    Plot.text(data, { y: 'label', x: 'value', text: (d) => `${d.value.toFixed(2)}${d.n != null ? ` (n=${d.n})` : ''}`, dy: -11, fontSize: 11, fill: '#333' }),
  ].filter(Boolean);
  const chart = Plot.plot({
    ...base, width, height: 50 + 40 * Math.max(1, data.length),
    x: { domain, label: xLabel, grid: false },
    y: { label: null, domain: data.map((d) => d.label) },
    marks,
  });
  return figure(title, clean(chart));
}

/** Scatter: points [{ x, y, label }] (the correlations come from the Rust report, shown in the caption). */
export function scatter(points, { title, xLabel, yLabel, width = 420, height = 320 } = {}) {
  const Plot = plotLib();
  const xs = points.map((p) => p.x);
  const mid = (Math.min(...xs) + Math.max(...xs)) / 2;
  const chart = Plot.plot({
    ...base, marginLeft: 50, width, height,
    x: { label: xLabel, grid: true }, y: { label: yLabel, grid: true },
    marks: [
      Plot.dot(points, { x: 'x', y: 'y', fill: '#2f5bd3', r: 4, title: 'label' }),
      // Labels point inwards (right of the dot in the left half, left of it in the right half) so the
      // rightmost names are not clipped by the frame.
      Plot.text(points.filter((p) => p.x <= mid), { x: 'x', y: 'y', text: 'label', dx: 6, textAnchor: 'start', fontSize: 9, fill: '#555' }),
      Plot.text(points.filter((p) => p.x > mid), { x: 'x', y: 'y', text: 'label', dx: -6, textAnchor: 'end', fontSize: 9, fill: '#555' }),
    ],
  });
  return figure(title, clean(chart));
}

function figure(title, chart) {
  return h('figure', { class: 'chart' }, title ? h('figcaption', {}, title) : null, chart);
}
