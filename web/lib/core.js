// Shared by the tabs: the compute-worker client, error display, engine state.

import { $, h, setChildren } from './dom.js';

// ── the worker client ────────────────────────────────────────────────────────────────────────────────

/**
 * Requests to the compute worker. `call(op, args, {onLine, onProgress, onDownload})` returns a Promise of
 * the result; streamed messages go to the callbacks as they arrive. `cancel(id)` asks the worker to stop
 * an op between steps; `hardCancel()` terminates the worker (an op stuck inside one long step) and starts a
 * new one. When the worker dies (a Rust panic), pending calls reject and a fresh worker is started.
 */
class WorkerClient {
  constructor() {
    this.next = 1;
    this.pending = new Map();
    this.listeners = new Set();
    this.spawn();
  }

  spawn() {
    this.worker = new Worker(new URL('../worker.js', import.meta.url), { type: 'module' });
    this.worker.onmessage = (ev) => this.onMessage(ev.data);
    this.worker.onerror = (ev) => {
      ev.preventDefault();
      this.restart(new Error(`the compute worker failed: ${ev.message || 'could not load worker.js or the wasm package'}`));
    };
    this.generation = (this.generation || 0) + 1;
    for (const f of this.listeners) f('spawn');
  }

  onRestart(f) { this.listeners.add(f); }

  restart(err) {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.worker.terminate();
    this.spawn();
  }

  onMessage(msg) {
    if (msg.type === 'fatal') {
      const e = new Error(`the wasm module panicked (${msg.error.message}); the worker was restarted — reload the model to continue`);
      e.name = 'Panic';
      this.restart(e);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    switch (msg.type) {
      case 'result': this.pending.delete(msg.id); p.resolve(msg.value); break;
      case 'error': {
        this.pending.delete(msg.id);
        const e = new Error(msg.error.message);
        e.name = msg.error.name;
        p.reject(e);
        break;
      }
      case 'line': p.onLine?.(msg.line); break;
      case 'progress': p.onProgress?.(msg.progress, msg.item); break;
      case 'download': p.onDownload?.(msg.loaded, msg.total, msg.url); break;
      default: break;
    }
  }

  /** Start an op; returns { id, promise }. */
  start(op, args = {}, handlers = {}, transfer = []) {
    const id = this.next++;
    const promise = new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...handlers });
    });
    this.worker.postMessage({ id, op, ...args }, transfer);
    return { id, promise };
  }

  call(op, args, handlers, transfer) { return this.start(op, args, handlers, transfer).promise; }

  cancel(id) { this.worker.postMessage({ op: 'cancel', target: id }); }

  hardCancel() {
    const e = new Error('cancelled');
    e.name = 'Cancelled';
    this.restart(e);
  }
}

export const worker = new WorkerClient();

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

