// `cargo xtask bench web`: one engine per page load, driven by scripts/perf/web_bench.mjs (playwright-core).
//
//   ?engine=ours&job=speed&backend=cpu|webgpu   our package (../pkg, API.md) on the OPT-125m-shaped weights
//   ?engine=ours&job=first-item                  time from page load to the first scored item (SmolLM2)
//   ?engine=verify                               `cargo xtask bench verify`: verifyFiles on /set/ (verify.mjs)
//   ?engine=peer                                 transformers.js 4.3.1 (its default browser path) on the same
//                                                weights exported to ONNX
//
// Every timestamp is performance.now(), i.e. milliseconds since this page's navigation started.
const q = new URLSearchParams(location.search);
const logEl = document.getElementById('log');
export const log = (s) => { logEl.textContent += '\n' + s; };
window.__bench = { done: false };
try {
  const engine = q.get('engine');
  const mod = engine === 'ours' ? await import('./ours.mjs')
    : engine === 'peer' ? await import('./peer.mjs')
      : engine === 'verify' ? await import('./verify.mjs') : null;
  if (!mod) throw new Error(`unknown engine ${engine}`);
  const result = await mod.run(q, log);
  window.__bench = { done: true, result };
  log('done');
} catch (e) {
  window.__bench = { done: true, error: String((e && (e.stack || e.message)) || e) };
  log('error: ' + e);
}
