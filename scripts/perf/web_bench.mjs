// Driver of `cargo xtask bench web`: opens tests/bench/index.html?QUERY in a fresh headless Chromium
// (Debian's /usr/bin/chromium through playwright-core, new profile, so nothing is cached), waits for the
// page's window.__bench, reads the peak resident memory (VmHWM) of the browser's renderer processes, and
// prints one `WEB_JSON {...}` line on stdout.
//
// usage: node web_bench.mjs ORIGIN QUERY [TIMEOUT_S] [webgpu]
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const [origin, query, timeoutArg, gpu] = process.argv.slice(2);
const here = path.dirname(fileURLToPath(import.meta.url));
const req = createRequire(path.join(here, '../../tests/e2e/package.json'));
const { chromium } = req('playwright-core');
const timeoutMs = Number(timeoutArg ?? 600) * 1e3;

const args = [
  '--no-sandbox',
  '--no-first-run',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// WebGPU in headless Chromium without a GPU: SwiftShader (a CPU emulation, correctness only)
args.push(gpu === 'webgpu' ? '--enable-unsafe-webgpu' : '--disable-gpu');

/** Descendant processes of `pid` (from /proc), with their command lines. */
function descendants(pid) {
  const kids = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  const out = [];
  const todo = [pid];
  while (todo.length) {
    for (const k of kids.get(todo.pop()) ?? []) { out.push(k); todo.push(k); }
  }
  return out;
}
function hwmMb(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch { return 0; }
}
function rendererPeakMb(browserPid) {
  let peak = 0;
  for (const p of descendants(browserPid)) {
    let cmd = '';
    try { cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8'); } catch { continue; }
    if (cmd.includes('--type=renderer')) peak = Math.max(peak, hwmMb(p));
  }
  return peak;
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args });
// the browser is a child of this Node process (playwright launches it): its renderers are our descendants
const pid = process.pid;
let out;
try {
  const page = await (await browser.newContext()).newPage();
  const consoleLines = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleLines.push(m.text()); });
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  const t0 = Date.now();
  await page.goto(`${origin}/bench/index.html?${query}`);
  await page.waitForFunction(() => window.__bench && window.__bench.done, null, { timeout: timeoutMs, polling: 500 });
  const b = await page.evaluate(() => window.__bench);
  out = { query, wall_s: (Date.now() - t0) / 1e3, renderer_peak_mb: pid ? rendererPeakMb(pid) : null, ...b, console_errors: consoleLines.slice(0, 5) };
} catch (e) {
  out = { query, error: String(e.message || e), renderer_peak_mb: pid ? rendererPeakMb(pid) : null };
}
await browser.close();
console.log('WEB_JSON ' + JSON.stringify(out));
