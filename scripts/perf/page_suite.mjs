// A whole suite run through the app's Run tab (web/), the way a person runs it: the default model
// (SmolLM2-135M-Instruct Q4_1 GGUF from the server's /models/), the CPU backend, a bundled suite, on a
// pool of N workers. One fresh headless Chromium (Debian's, through playwright-core from tests/e2e/) per
// call: a warm-up run of one item loads the model and starts the pool, then the whole suite is timed
// from the click on Run to "done". Prints one `SUITE_JSON {...}` line: seconds, items/s, the status
// line, the receipt's bytes' sha256 (to compare pools), and the renderer's peak resident memory (the
// page and its workers are threads of one renderer process).
//
// usage: node page_suite.mjs ORIGIN [SUITE] [WORKERS] [TIMEOUT_S]
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { rendererPeakMb } from './renderer_mem.mjs';

const [origin, suite = 'sample-knowledge', workers = '1', timeoutArg = '900'] = process.argv.slice(2);
const here = path.dirname(fileURLToPath(import.meta.url));
const req = createRequire(path.join(here, '../../tests/e2e/package.json'));
const { chromium } = req('playwright-core');
const timeoutMs = Number(timeoutArg) * 1e3;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--no-first-run', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-gpu'],
});
let out;
try {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(timeoutMs);
  await page.goto(`${origin}/web/`);
  await page.waitForSelector('#engine-status[data-state="ready"]');
  await page.click('#tab-run');
  await page.check('input[name="model-src"][value="default"]');
  await page.selectOption('#backend', 'cpu');
  await page.selectOption('#suite-bundled', suite);
  await page.fill('#run-workers', String(workers));
  const run = async () => {
    const t0 = Date.now();
    await page.click('#run-start');
    await page.waitForFunction(() => !document.getElementById('run-start').disabled
      && /done|failed|cancelled/.test(document.getElementById('run-status').textContent), null, { polling: 100 });
    return { seconds: (Date.now() - t0) / 1e3, status: await page.textContent('#run-status') };
  };
  await page.fill('#run-limit', '1');
  const warm = await run();
  await page.fill('#run-limit', '');
  const full = await run();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#run-download')]);
  const receipt = fs.readFileSync(await dl.path());
  // each worker's wasm linear memory (its peak heap; helpers are listed when Playwright sees nested workers)
  const heaps = await Promise.all(page.workers().map((w) => w.evaluate(() => self.substanceWasmMemoryBytes?.() ?? null).catch(() => null)));
  const n = receipt.toString('utf8').trim().split('\n').length - 2;
  out = {
    suite, workers: Number(workers), warmup_s: warm.seconds, seconds: full.seconds, items: n,
    items_per_second: n / full.seconds, status: full.status,
    receipt_sha256: crypto.createHash('sha256').update(receipt).digest('hex'),
    renderer_peak_mb: rendererPeakMb(process.pid),
    wasm_memory_mb: heaps.filter((x) => x != null).map((x) => x / 2 ** 20),
  };
} catch (e) {
  out = { suite, workers: Number(workers), error: String(e.message || e), renderer_peak_mb: rendererPeakMb(process.pid) };
}
await browser.close();
console.log(`SUITE_JSON ${JSON.stringify(out)}`);
