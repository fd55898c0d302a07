// The peer: transformers.js 4.3.1 on its default browser path (the self-contained dist/transformers.js,
// onnxruntime-web's asyncify WASM build, device 'wasm'), fp32, one thread, on the ONNX export of the same
// weights. Method as shared/perf/ANCHORS.md.
import { maxAbs, median, now, reference, sameTokens } from './common.mjs';

const JS = '/perf/js/node_modules';

export async function run(q, log) {
  const marks = { module: now() };
  const { inputs, torch } = await reference();
  const T = await import(`${JS}/@huggingface/transformers/dist/transformers.js`);
  const { env, AutoModelForCausalLM, Tensor } = T;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = '/perf/tjs/';
  env.useBrowserCache = false;
  env.useWasmCache = false;
  env.backends.onnx.wasm.wasmPaths = {
    mjs: `${JS}/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.mjs`,
    wasm: `${JS}/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm`,
  };
  env.backends.onnx.wasm.numThreads = 1;
  const t0 = now();
  const model = await AutoModelForCausalLM.from_pretrained('opt125m', { dtype: 'fp32', device: 'wasm' });
  marks.loaded = now();
  const res = { job: 'speed', engine: `transformers.js ${env.version}`, ort: env.backends.onnx.versions, load_s: (marks.loaded - t0) / 1e3, crossOriginIsolated: self.crossOriginIsolated };
  log('loaded');

  const i64 = (rows) => new Tensor('int64', BigInt64Array.from(rows.flat(), (t) => BigInt(t)), [rows.length, rows[0].length]);
  const ones = (b, n) => new Tensor('int64', new BigInt64Array(b * n).fill(1n), [b, n]);
  const P = inputs.prompt.length;
  const ids = i64([inputs.prompt]);
  const prefill = () => model.forward({ input_ids: ids, attention_mask: ones(1, P) });
  await prefill();
  await prefill();
  const pt = [];
  for (let i = 0; i < 5; i++) {
    const t = now();
    await prefill();
    pt.push(now() - t);
  }
  res.prefill_ms = median(pt);

  const quick = q.get('quick') === '1';
  const N = quick ? 8 : inputs.new_tokens;
  async function generate(n) {
    const stamps = [];
    const streamer = { put: () => stamps.push(now()), end: () => {} };
    const t = now();
    const out = await model.generate({ input_ids: ids, attention_mask: ones(1, P), max_new_tokens: n, min_new_tokens: n, do_sample: false, streamer });
    const total = now() - t;
    const gaps = stamps.slice(2).map((s, i) => s - stamps[i + 1]);
    return { step: median(gaps), total, ids: Array.from(out.data.slice(P), Number) };
  }
  await generate(8);
  const runs = [];
  for (let r = 0; r < (quick ? 1 : 3); r++) {
    runs.push(await generate(N));
    log(`decode run ${r}: ${runs.at(-1).step.toFixed(1)} ms/token`);
  }
  res.decode_ms = median(runs.map((r) => r.step));
  res.decode_tok_s = 1e3 / res.decode_ms;
  res.e2e_tok_s = N / (median(runs.map((r) => r.total)) / 1e3);
  res.tokens = runs.at(-1).ids;
  res.greedy_vs_torch = sameTokens(res.tokens, torch.tokens);

  // scoring: one forward over 8x128 (no cache, full logits); the 8 log-likelihoods read from its logits
  const bt = i64(inputs.batch);
  const bm = ones(inputs.batch.length, inputs.batch[0].length);
  let out = await model.forward({ input_ids: bt, attention_mask: bm });
  const st = [];
  for (let r = 0; r < (quick ? 1 : 3); r++) {
    const t = now();
    out = await model.forward({ input_ids: bt, attention_mask: bm });
    st.push((now() - t) / 1e3);
  }
  res.score_tok_s = (inputs.batch.length * inputs.batch[0].length) / median(st);
  const V = out.logits.dims.at(-1);
  const L = out.logits.data;
  const W = inputs.batch[0].length;
  const ll = inputs.batch.map((row, b) => {
    let sum = 0;
    for (let p = 1; p < W; p++) {
      const off = (b * W + p - 1) * V;
      let mx = -Infinity;
      for (let v = 0; v < V; v++) mx = Math.max(mx, L[off + v]);
      let z = 0;
      for (let v = 0; v < V; v++) z += Math.exp(L[off + v] - mx);
      sum += L[off + row[p]] - mx - Math.log(z);
    }
    return sum;
  });
  res.loglik_max_abs_vs_torch = maxAbs(ll, torch.batch_loglik);
  res.marks = marks;
  return res;
}
