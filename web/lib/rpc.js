// The request/response client of a compute worker (web/worker.js), shared by the page (its one compute
// worker) and by that worker (the helpers of a run's worker pool). No DOM: it runs in both places.

/**
 * Requests to a worker running web/worker.js. `call(op, args, {onLine, onProgress, onDownload, onStatus})`
 * returns a Promise of the result; streamed messages go to the callbacks as they arrive. `cancel(id)`
 * asks the worker to stop an op between steps; `hardCancel()` terminates the worker (an op stuck inside
 * one long step) and starts a new one. When the worker dies (a Rust panic, a script that fails to load),
 * pending calls reject; with `respawn` (the default) a fresh worker is started, otherwise the client
 * stays dead (`dead` is set) and later calls reject at once.
 */
export class WorkerClient {
  constructor(url, { respawn = true } = {}) {
    this.url = url;
    this.respawn = respawn;
    this.next = 1;
    this.pending = new Map();
    this.listeners = new Set();
    this.dead = null;
    this.spawn();
  }

  spawn() {
    this.worker = new Worker(this.url, { type: 'module' });
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
    if (this.respawn) this.spawn();
    else this.dead = err;
  }

  /** Stop the worker for good (pending calls reject with a `Cancelled` error). */
  terminate() {
    this.respawn = false;
    this.restart(Object.assign(new Error('the worker was stopped'), { name: 'Cancelled' }));
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
      case 'status': p.onStatus?.(msg.text); break;
      default: break;
    }
  }

  /** Start an op; returns { id, promise }. */
  start(op, args = {}, handlers = {}, transfer = []) {
    const id = this.next++;
    if (this.dead) return { id, promise: Promise.reject(this.dead) };
    const promise = new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...handlers });
    });
    this.worker.postMessage({ id, op, ...args }, transfer);
    return { id, promise };
  }

  call(op, args, handlers, transfer) { return this.start(op, args, handlers, transfer).promise; }

  cancel(id) { if (!this.dead) this.worker.postMessage({ op: 'cancel', target: id }); }

  hardCancel() {
    const e = new Error('cancelled');
    e.name = 'Cancelled';
    this.restart(e);
  }
}
