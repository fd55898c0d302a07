// Driver of `cargo xtask bench web`: opens tests/bench/index.html?QUERY in a fresh headless Chromium
// (Debian's /usr/bin/chromium through playwright-core, new profile, so nothing is cached), waits for the
// page's window.__bench, reads the peak resident memory (VmHWM) of the browser's renderer processes, and
// prints one `WEB_JSON {...}` line on stdout.
//
// usage: node web_bench.mjs ORIGIN QUERY [TIMEOUT_S] [webgpu]
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { rendererPeakMb } from './renderer_mem.mjs';

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
