// Our package (pkg/, crates/substance-wasm/API.md) in the page's main thread.
import initWasm, * as S from '/pkg/substance_wasm.js';
import { bytes, maxAbs, median, now, reference, sameTokens } from './common.mjs';

export async function run(q, log) {
  const job = q.get('job') ?? 'speed';
  const marks = { module: now() };
  await initWasm();
  S.init();
  marks.wasm_ready = now();
  if (job === 'first-item') return firstItem(q, log, marks);
  return speed(q, log, marks);
}

// Time to the first scored item: navigation start -> the package instantiated -> the default model
// (SmolLM2-135M-Instruct Q4_1 GGUF, 98 MB, from this server; the browser profile is fresh, so nothing is
// cached) fetched -> loaded on the CPU -> the bundled sample suite -> WasmRun.step() of its first item.
async function firstItem(q, log, marks) {
  const file = 'SmolLM2-135M-Instruct.Q4_1.gguf';
  const gguf = await bytes(`/models/${file}`);
  marks.model_fetched = now();
  const model = await S.WasmModel.load(gguf, { format: 'gguf', backend: q.get('backend') ?? 'cpu', file_name: file, id: file });
  marks.model_loaded = now();
  const suite = S.WasmSuite.sample(q.get('suite') ?? 'sample-knowledge');
  const run = S.WasmRun.withModel(suite, model, { limit: 1 });
  run.header();
  const step = await run.step();
  marks.first_item = now();
  log(JSON.stringify(marks));
  return { job: 'first-item', suite: suite.info().name, item: step.id, scores: step.scores, info: model.info(), marks };
}

async function speed(q, log, marks) {
  const backend = q.get('backend') ?? 'cpu';
  // WebGPU here is SwiftShader (a CPU emulation): a correctness check only, as small as possible
  const check = backend === 'webgpu';
  const quick = q.get('quick') === '1' || check;
  const { inputs, torch } = await reference();
  const files = {
    config: await bytes('/perf/opt125m-random/config.json'),
    weights: await bytes('/perf/opt125m-random/model.safetensors'),
    tokenizer: await bytes('/perf/opt125m-wordlevel-tokenizer.json'),
    generation_config: await bytes('/perf/opt125m-random/generation_config.json'),
  };
  marks.fetched = now();
  const model = await S.WasmModel.load(files, { format: 'hf', backend, id: 'opt125m-random' });
  marks.loaded = now();
  const info = model.info();
  log(`loaded: ${info.backend} (${info.backend_reason})`);
  const res = { job: 'speed', backend: info.backend, backend_reason: info.backend_reason, load_s: (marks.loaded - marks.fetched) / 1e3 };

  // decode: start() runs the prefill; each next() is one token (forward + read-back + argmax + detokenise).
  // Per run the median gap between successive next() calls from the 2nd token on; median over the runs.
  const N = check ? 4 : quick ? 8 : inputs.new_tokens;
  async function generate(n) {
    const t0 = now();
    const gen = await model.start({ ids: inputs.prompt }, { max_tokens: n, stop_at_eos: false });
    const t1 = now();
    const stamps = [];
    for (;;) {
      const s = await gen.next();
      if (s.token === null) break;
      stamps.push(now());
      if (s.done) break;
    }
    const total = now() - t0;
    const ids = Array.from(gen.generatedIds());
    gen.free();
    const gaps = stamps.slice(1).map((s, i) => s - stamps[i]);
    return { start_ms: t1 - t0, step: median(gaps), total, ids };
  }
  if (!check) await generate(8);
  const runs = [];
  for (let r = 0; r < (quick ? 1 : 3); r++) {
    runs.push(await generate(N));
    log(`decode run ${r}: ${runs.at(-1).step.toFixed(1)} ms/token`);
  }
  res.prefill_ms = median(runs.map((r) => r.start_ms));
  res.decode_ms = median(runs.map((r) => r.step));
  res.decode_tok_s = 1e3 / res.decode_ms;
  res.e2e_tok_s = N / (median(runs.map((r) => r.total)) / 1e3);
  res.tokens = runs.at(-1).ids;
  res.greedy_vs_torch = sameTokens(res.tokens, torch.tokens);

  // scoring: loglikelihood() of the 8 rows (context = token 0, continuation = tokens 1..127), written as
  // WordLevel words "t<id>" that tokenise back to exactly these ids.
  const rows = inputs.batch.slice(0, check ? 1 : quick ? 2 : 8);
  const reqs = rows.map((r) => [`t${r[0]}`, ' ' + r.slice(1).map((t) => `t${t}`).join(' ')]);
  const nTok = rows.length * rows[0].length;
  let ll = check ? null : await model.loglikelihood(reqs, { max_batch: 8 });
  const st = [];
  for (let r = 0; r < (quick ? 1 : 3); r++) {
    const t0 = now();
    ll = await model.loglikelihood(reqs, { max_batch: 8 });
    st.push((now() - t0) / 1e3);
  }
  res.score_tok_s = nTok / median(st);
  res.loglik_max_abs_vs_torch = maxAbs(ll.map((x) => x.logprob), torch.batch_loglik.slice(0, rows.length));
  res.continuation_tokens = ll.map((x) => x.continuation_ids.length);
  model.free();
  res.marks = marks;
  return res;
}
