// Shared by ours.mjs and peer.mjs: inputs, the PyTorch reference, timing helpers.
export const now = () => performance.now();
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};
export async function bytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}
export async function json(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}
/** inputs.json (prompt, 8x128 batch, new_tokens) and torch.json (greedy tokens, batch log-likelihoods). */
export async function reference() {
  return { inputs: await json('/perf/inputs.json'), torch: await json('/perf/torch.json') };
}
export function sameTokens(a, b) {
  const n = Math.min(a.length, b.length);
  let same = 0;
  for (let i = 0; i < n; i++) if (a[i] === b[i]) same++;
  return `${same}/${n}`;
}
export function maxAbs(a, b) {
  let m = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
