// `cargo xtask bench verify`: the page side. Fetches the bench set (its manifest.json lists the files) from
// the bench server, then verifies it with one `verifyFiles` call in the page's main thread, as the Verify
// tab does with dropped files.
import initWasm, * as S from '/pkg/substance_wasm.js';
import { now } from './common.mjs';

export async function run(q, log) {
  await initWasm();
  S.init();
  const names = await (await fetch('/set/manifest.json')).json();
  const t0 = now();
  const files = [];
  for (const name of names) {
    const bytes = new Uint8Array(await (await fetch(`/set/${name}`)).arrayBuffer());
    files.push({ name, bytes });
  }
  const t1 = now();
  log(`fetched ${files.length} files in ${((t1 - t0) / 1e3).toFixed(2)} s`);
  const out = S.verifyFiles(files, null);
  const t2 = now();
  log(`verified in ${((t2 - t1) / 1e3).toFixed(2)} s: ok = ${out.ok}`);
  return {
    job: 'verify',
    ok: out.ok,
    reports: out.reports.length,
    errors: out.errors.length,
    checks: out.reports.reduce((n, r) => n + r.checks.length, 0),
    fetch_s: (t1 - t0) / 1e3,
    verify_s: (t2 - t1) / 1e3,
  };
}
