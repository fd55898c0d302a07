// Shared by the tabs: the compute-worker client, error display, engine state.

import { $, h, setChildren } from './dom.js';
import { WorkerClient } from './rpc.js';

// ── the worker client ────────────────────────────────────────────────────────────────────────────────

export const worker = new WorkerClient(new URL('../worker.js', import.meta.url));

// ── errors ───────────────────────────────────────────────────────────────────────────────────────────

/** Show an error the user can read and dismiss; the page keeps working. Text only. */
export function showError(context, err) {
  const name = err?.name && err.name !== 'Error' ? `${err.name}: ` : '';
  const box = h('div', { class: 'error' },
    h('b', {}, context),
    h('span', { class: 'msg' }, `${name}${err?.message ?? String(err)}`),
    h('button', { type: 'button', class: 'small', 'aria-label': 'dismiss', onclick: () => box.remove() }, '×'));
  $('errors').append(box);
  // eslint-disable-next-line no-console
  console.warn(context, err);
  return box;
}

export function clearErrors() { setChildren($('errors')); }

// ── engine status and backend choice ─────────────────────────────────────────────────────────────────

export const engine = { info: null, webgpu: null, backend: 'auto' };

function setStatus(text, state) {
  const s = $('engine-status');
  s.textContent = text;
  s.dataset.state = state;
}
export { setStatus as setEngineStatus };

export async function initEngine() {
  setStatus('loading wasm…', 'loading');
  try {
    const { info, webgpu } = await worker.call('init');
    engine.info = info;
    engine.webgpu = webgpu;
    setStatus(webgpu.available && !webgpu.software ? 'ready · WebGPU available'
      : webgpu.software ? 'ready · CPU (wasm) · WebGPU is a software renderer here, Auto uses the CPU'
        : 'ready · CPU (wasm)', 'ready');
    $('engine-status').title = webgpu.reason || '';
    document.dispatchEvent(new CustomEvent('engine-ready', { detail: engine }));
  } catch (e) {
    setStatus('wasm failed to load', 'error');
    showError('Starting the compute engine', e);
  }
}

worker.onRestart((why) => { if (why === 'spawn' && engine.info) initEngine(); });

