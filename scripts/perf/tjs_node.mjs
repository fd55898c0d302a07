// Peer side of `cargo xtask bench model`: transformers.js 4.3.1 on onnxruntime-web's WASM backend, fp32, in
// Node, one thread. Prints one `PEER_JSON {...}` line on stdout (the xtask parses it).
//
// usage: node tjs_node.mjs JS_DIR MODEL_ROOT INPUTS_JSON [PREFILL_DUMP] [THREADS]
//   JS_DIR       npm project with @huggingface/transformers@4.3.1 in node_modules
//   MODEL_ROOT   folder holding opt125m/{config.json,generation_config.json,onnx/model.onnx}
//   INPUTS_JSON  {"prompt": [32 ids], "batch": [8 x 128 ids], "new_tokens": 128}
//   PREFILL_DUMP where to write the prefill logits ([32, vocab] float32 little-endian)
//
// onnxruntime-web is injected (globalThis[Symbol.for('onnxruntime')]) before transformers.js is imported,
// so transformers.js uses it instead of onnxruntime-node. An injected runtime registers no devices in
// transformers.js 4.3.1: `device: 'wasm'` would throw, so the device is 'auto' and the execution provider
// is named in the session options (shared/perf/ANCHORS.md).
//
// Method (as ANCHORS.md): prefill = median of 5 forwards over the prompt (empty past, full logits) after
// 2 warm-ups; decode = per generate() run the median time between successive streamer put() calls (forward
// + logits processing + sampling + KV bookkeeping), median over 3 runs after a warm-up; scoring = one
// forward over 8x128 (no cache, full logits), tokens / median of 3 after a warm-up; peak = maxRSS.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const [jsDir, modelRoot, inputsPath, dumpPath, threadsArg] = process.argv.slice(2);
const threads = Number(threadsArg ?? 1);
const req = createRequire(path.join(path.resolve(jsDir), 'package.json'));
const inputs = JSON.parse(fs.readFileSync(inputsPath, 'utf8'));
const wasmDir = path.join(path.dirname(req.resolve('onnxruntime-web')), '/');

const ort = await import(req.resolve('onnxruntime-web'));
ort.env.wasm.wasmPaths = wasmDir;
ort.env.wasm.numThreads = threads;
globalThis[Symbol.for('onnxruntime')] = ort;
const tjs = await import(req.resolve('@huggingface/transformers'));
const { env, AutoModelForCausalLM, Tensor } = tjs;
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = path.resolve(modelRoot) + '/';
env.backends.onnx.wasm.wasmPaths = wasmDir;
env.backends.onnx.wasm.numThreads = threads;

const clock = () => performance.now();
const mid = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};
const int64 = (rows) =>
  new Tensor('int64', BigInt64Array.from(rows.flat(), (t) => BigInt(t)), [rows.length, rows[0].length]);
const mask = (b, n) => new Tensor('int64', new BigInt64Array(b * n).fill(1n), [b, n]);

let t = clock();
const model = await AutoModelForCausalLM.from_pretrained('opt125m', {
  dtype: 'fp32',
  device: 'auto',
  session_options: { executionProviders: ['wasm'] },
});
const loadS = (clock() - t) / 1e3;

const P = inputs.prompt.length;
const promptIds = int64([inputs.prompt]);
const prefill = () => model.forward({ input_ids: promptIds, attention_mask: mask(1, P) });
const first = await prefill();
if (dumpPath) {
  const d = first.logits.data;
  fs.writeFileSync(dumpPath, Buffer.from(d.buffer, d.byteOffset, d.byteLength));
}
await prefill();
const prefillMs = [];
for (let i = 0; i < 5; i++) {
  t = clock();
  await prefill();
  prefillMs.push(clock() - t);
}

async function generate(n) {
  const stamps = [];
  const streamer = { put: () => stamps.push(clock()), end: () => {} };
  const t0 = clock();
  const out = await model.generate({
    input_ids: promptIds,
    attention_mask: mask(1, P),
    max_new_tokens: n,
    min_new_tokens: n,
    do_sample: false,
    streamer,
  });
  const total = clock() - t0;
  // put #0 is the prompt, put #k the k-th new token: gaps from #2 on are single-token decode steps
  const gaps = stamps.slice(2).map((s, i) => s - stamps[i + 1]);
  return { total, step: mid(gaps), tokens: Array.from(out.data.slice(P), Number) };
}
const N = inputs.new_tokens;
await generate(8);
const runs = [];
for (let r = 0; r < 3; r++) runs.push(await generate(N));

const batchIds = int64(inputs.batch);
const batchMask = mask(inputs.batch.length, inputs.batch[0].length);
const nTok = inputs.batch.length * inputs.batch[0].length;
await model.forward({ input_ids: batchIds, attention_mask: batchMask });
const scoreS = [];
for (let r = 0; r < 3; r++) {
  t = clock();
  await model.forward({ input_ids: batchIds, attention_mask: batchMask });
  scoreS.push((clock() - t) / 1e3);
}

const decodeMs = mid(runs.map((r) => r.step));
const result = {
  engine: `transformers.js ${env.version} + onnxruntime-web ${ort.env.versions?.web ?? '?'} WASM`,
  threads,
  load_s: loadS,
  prefill_ms: mid(prefillMs),
  decode_ms: decodeMs,
  decode_tok_s: 1e3 / decodeMs,
  e2e_tok_s: N / (mid(runs.map((r) => r.total)) / 1e3),
  score_tok_s: nTok / mid(scoreS),
  peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  tokens: runs[runs.length - 1].tokens,
};
console.log('PEER_JSON ' + JSON.stringify(result));
process.exit(0);
