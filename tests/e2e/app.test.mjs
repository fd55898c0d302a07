// End-to-end tests of the browser app (web/) in Debian's headless Chromium, driven by playwright-core.
// `cargo xtask e2e` (and `cargo xtask test`) builds pkg/, serves the repository and sets
// SUBSTANCE_WEB_ORIGIN; screenshots of every tab go to target/e2e-screenshots/ (look at them).
//
// What a person does with the page, in order: run a bundled sample suite on a small model and read the
// score; download the receipt, verify it (green), tamper with it (red, the item named); load recorded
// judgments in the judge lab and see a flip; switch WebGPU ↔ CPU; and the bad inputs — a corrupt model
// file, a malformed receipt, an unreachable endpoint, HTML/script payloads in model outputs and files —
// each shows a visible error (or inert text) while the page keeps working and nothing computed is lost.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as E from './support.mjs';

const { ROOT, TIMEOUT } = E;

let browser;
let page;
let consoleErrors = [];

before(async () => {
  ({ browser, page, consoleErrors } = await E.openApp());
});

after(async () => {
  await browser?.close();
});

const shot = (name) => E.shot(page, name);
const tab = (name) => E.tab(page, name);
const errors = () => E.errors(page);
const dismissErrors = () => E.dismissErrors(page);
const pickTinyModel = () => E.pickTinyModel(page);

async function runAndWait() {
  // The click disables Run at once (before any await in the page): wait for it to come back, so the
  // status read is this run's, not the last one's.
  await page.click('#run-start');
  await page.waitForFunction(() => {
    const s = document.getElementById('run-status').textContent;
    return !document.getElementById('run-start').disabled && /done|failed|cancelled/.test(s);
  });
  return page.textContent('#run-status');
}

/** Download the receipt of the last run; returns its text. */
async function downloadReceipt() {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#run-download')]);
  const file = await dl.path();
  return { name: dl.suggestedFilename(), text: fs.readFileSync(file, 'utf8') };
}

async function verifyText(name, text) {
  await tab('verify');
  const before = await page.$$eval('#verify-results .verify-card', (els) => els.length);
  await page.setInputFiles('#verify-file', { name, mimeType: 'application/x-ndjson', buffer: Buffer.from(text) });
  await page.waitForFunction((n) => document.querySelectorAll('#verify-results .verify-card').length > n, before);
  // Newest first.
  return page.$eval('#verify-results .verify-card', (card) => ({
    verdict: card.querySelector('[data-verdict]')?.dataset.verdict,
    text: card.textContent,
    badItems: [...card.querySelectorAll('tr.bad[data-item]')].map((r) => r.dataset.item),
  }));
}

let receipt = null;

test('run a bundled multiple-choice suite on a small local model: items scored, aggregate shown', { timeout: TIMEOUT }, async () => {
  await tab('run');
  await page.selectOption('#suite-bundled', 'sample-knowledge');
  await page.fill('#run-limit', '6');
  await page.selectOption('#backend', 'cpu');
  await pickTinyModel();
  const status = await runAndWait();
  assert.match(status, /6 \/ 6 items .* tokens\/s .*done/, `status: ${status} · errors: ${await errors()}`);
  const rows = await page.$$eval('#run-items tbody tr', (trs) => trs.length);
  assert.equal(rows, 6);
  const acc = await page.textContent('#run-summary [data-metric="acc"] .value');
  const v = Number(acc);
  assert.ok(v >= 0 && v <= 1, `acc ${acc}`);
  assert.match(await page.textContent('#engine-status'), /CPU/);
  await shot('run');
  receipt = await downloadReceipt();
  assert.match(receipt.name, /sample-knowledge.*\.receipt\.jsonl$/);
  const lines = receipt.text.trim().split('\n');
  assert.equal(lines.length, 8, 'header + 6 items + summary');
  assert.equal(JSON.parse(lines[0]).type, 'header');
  assert.equal(JSON.parse(lines[7]).type, 'summary');
  // The score the page showed is the receipt's (shown with 3 decimals).
  assert.ok(Math.abs(JSON.parse(lines[7]).metrics.acc.value - v) < 5e-4, `${acc} vs the receipt`);
});

test('the downloaded receipt verifies; a tampered copy is red and names the item', { timeout: TIMEOUT }, async () => {
  assert.ok(receipt, 'needs the receipt of the previous test');
  const good = await verifyText(receipt.name, receipt.text);
  assert.equal(good.verdict, 'ok', good.text);
  assert.deepEqual(good.badItems, []);
  // Claim a better log-likelihood for one item's first choice (the line digest is left as it was).
  const lines = receipt.text.split('\n');
  const item = JSON.parse(lines[2]);
  item.response.choices[0].ll += 5;
  lines[2] = JSON.stringify(item);
  const bad = await verifyText('tampered.receipt.jsonl', lines.join('\n'));
  assert.equal(bad.verdict, 'mismatch', bad.text);
  // one row per differing field of the item (the receipt in the library's one report shape)
  assert.deepEqual([...new Set(bad.badItems)], [item.id]);
  assert.match(bad.text, new RegExp(`Mismatching items: ${item.id}`));
  await shot('verify');
});

test('a malformed receipt shows an error and keeps earlier results', { timeout: TIMEOUT }, async () => {
  await tab('verify');
  const cards = await page.$$eval('#verify-results .verify-card', (els) => els.length);
  await page.setInputFiles('#verify-file', { name: 'garbage.receipt.jsonl', mimeType: 'text/plain', buffer: Buffer.from('{"type":"header", this is not json\n\u0000\u0001') });
  await page.waitForFunction((n) => document.querySelectorAll('#verify-results .verify-card').length > n, cards);
  const first = await page.$eval('#verify-results .verify-card', (c) => ({ verdict: c.querySelector('[data-verdict]').dataset.verdict, text: c.textContent }));
  assert.notEqual(first.verdict, 'ok', first.text);
  assert.match(first.text, /garbage\.receipt\.jsonl/);
  assert.match(first.text, /line 1/);
  // Earlier cards are still there.
  assert.equal(await page.$$eval('#verify-results .verify-card', (els) => els.length), cards + 1);
  await dismissErrors();
});

test('an MMLU-Pro prediction file verifies against a claim; a tampered copy is red and names the item', { timeout: TIMEOUT }, async () => {
  await tab('verify');
  const name = 'model_outputs_tiny-model_5shots.json';
  const text = fs.readFileSync(path.join(ROOT, 'tests/fixtures/mmlu-pro', name), 'utf8');
  await page.setInputFiles('#verify-claims', { name: 'claims.csv', mimeType: 'text/csv', buffer: Buffer.from('model,task,metric,value\ntiny-model,mmlu_pro,acc,42%\n') });
  await page.waitForFunction(() => document.querySelector('#verify-claims-name').textContent.includes('claims.csv'));
  const drop = async (fileName, body) => {
    const before = await page.$$eval('#verify-results .verify-card', (els) => els.length);
    await page.setInputFiles('#verify-file', { name: fileName, mimeType: 'application/json', buffer: Buffer.from(body) });
    await page.waitForFunction((n) => document.querySelectorAll('#verify-results .verify-card').length > n, before);
    return page.$eval('#verify-results .verify-card', (card) => ({
      format: card.dataset.format,
      verdict: card.querySelector('[data-verdict]')?.dataset.verdict,
      text: card.textContent,
      overall: card.querySelector('tr[data-scope="mmlu_pro"]')?.textContent,
      badItems: [...card.querySelectorAll('tr.bad[data-item]')].map((r) => r.dataset.item),
    }));
  };
  const good = await drop(name, text);
  assert.equal(good.format, 'mmlu-pro', good.text);
  assert.equal(good.verdict, 'ok', good.text);
  assert.match(good.overall, /0\.420000.*0\.400000 – 0\.600000.*match/, good.overall);
  assert.match(good.text, /1 item\(s\) not checkable \(left to chance\)/);
  const bad = await drop(name, text.replace('"pred": "D"', '"pred": "B"'));
  assert.equal(bad.verdict, 'mismatch', bad.text);
  assert.deepEqual(bad.badItems, ['5']);
  await shot('verify-mmlu-pro');
  await page.setInputFiles('#verify-claims', []);
});

test('an lm-eval output folder verifies (hashes, metrics, stderrs); a tampered sample is red and named', { timeout: TIMEOUT }, async () => {
  await tab('verify');
  const dir = path.join(ROOT, 'tests/fixtures/lm-eval/0.4.13/SmolLM2-135M-Instruct');
  const files = fs.readdirSync(dir).sort().map((name) => ({ name, mimeType: 'application/json', buffer: fs.readFileSync(path.join(dir, name)) }));
  const drop = async (list) => {
    const before = await page.$$eval('#verify-results .verify-card', (els) => els.length);
    await page.setInputFiles('#verify-file', list);
    await page.waitForFunction((n) => document.querySelectorAll('#verify-results .verify-card').length > n, before);
    return page.$eval('#verify-results .verify-card', (card) => ({
      format: card.dataset.format,
      verdict: card.querySelector('[data-verdict]')?.dataset.verdict,
      text: card.textContent,
      badItems: [...card.querySelectorAll('tr.bad[data-item]')].map((r) => r.dataset.item),
    }));
  };
  const good = await drop(files);
  assert.equal(good.format, 'lm-eval-results', good.text);
  assert.equal(good.verdict, 'ok', good.text);
  // 17 task numbers (mcc with its replayed bootstrap stderr) and 12 of the group (size-weighted
  // means, pooled stderrs, sample counts)
  assert.match(good.text, /verified: 29 published number\(s\) recomputed from 88 items/);
  assert.doesNotMatch(good.text, /group aggregates are not recomputed/);
  // lower doc 0's best log-likelihood: its acc no longer follows from the logged responses
  const tampered = files.map((f) => (f.name.startsWith('samples_sub_mc_')
    ? { ...f, buffer: Buffer.from(f.buffer.toString('utf8').replaceAll('"-2.5787487030029297"', '"-99.5"')) }
    : f));
  const bad = await drop(tampered);
  assert.equal(bad.verdict, 'mismatch', bad.text);
  assert.deepEqual([...new Set(bad.badItems)], ['0']);
  // the drill-down holds the logged prompt of the item, as text
  const logged = await page.$eval('#verify-results .verify-card tr.bad details.logged pre', (el) => el.textContent);
  assert.match(logged, /^prompt:\nQuestion: What color is the sky on a clear day\?/);
});

test('inspect_ai logs verify in the page (zstd .eval decoded in wasm); a changed metric is red and named', { timeout: TIMEOUT }, async () => {
  await tab('verify');
  const dir = path.join(ROOT, 'tests/fixtures/inspect');
  const drop = async (name, buffer) => {
    const before = await page.$$eval('#verify-results .verify-card', (els) => els.length);
    await page.setInputFiles('#verify-file', { name, mimeType: 'application/octet-stream', buffer });
    await page.waitForFunction((n) => document.querySelectorAll('#verify-results .verify-card').length > n, before);
    return page.$eval('#verify-results .verify-card', (card) => ({
      format: card.dataset.format,
      verdict: card.querySelector('[data-verdict]')?.dataset.verdict,
      text: card.textContent,
    }));
  };
  const good = await drop('arith.eval', fs.readFileSync(path.join(dir, 'arith.eval')));
  assert.equal(good.format, 'inspect-log', good.text);
  assert.equal(good.verdict, 'ok', good.text);
  assert.match(good.text, /verified: 139 published number\(s\) recomputed from 24 items/);
  const json = fs.readFileSync(path.join(dir, 'arith.json'), 'utf8');
  // the first accuracy of the results (match, mean reducer) raised by 0.01
  const at = json.indexOf('"accuracy": {');
  const tampered = json.slice(0, at) + json.slice(at).replace(/"value": ([0-9.]+)/, (_, v) => `"value": ${Number(v) + 0.01}`);
  const bad = await drop('arith.json', Buffer.from(tampered));
  assert.equal(bad.verdict, 'mismatch', bad.text);
  assert.match(bad.text, /arith\/match \(mean\)/);
  await shot('verify-inspect');
});

test('judge lab: recorded verdicts of the bundled examples, a position swap flips a verdict', { timeout: TIMEOUT }, async () => {
  await tab('judge');
  await page.click('#judge-load-examples');
  await page.waitForSelector('#judge-pairs tbody tr');
  await page.waitForSelector('#judge-report .bias');
  // Only the swap probe: recorded judgments cover the swapped game.
  await page.$$eval('#judge-probes input', (inputs) => inputs.forEach((i) => { i.checked = i.value === 'swap'; }));
  await page.check('input[name="judge-mode"][value="recorded"]');
  await page.click('#judge-apply');
  await page.waitForFunction(() => /probed pair/.test(document.getElementById('judge-info').textContent));
  const info = await page.textContent('#judge-info');
  const flips = Number(/(\d+) flip/.exec(info)?.[1]);
  assert.ok(flips > 0, info);
  const flipRows = await page.$$eval('#judge-pairs tbody tr[data-flip="1"]', (trs) => trs.length);
  assert.equal(flipRows, flips);
  // The first flip is shown side by side, the probed side with its verdict mapped back.
  const detail = await page.textContent('#judge-detail');
  assert.match(detail, /position swap/);
  assert.match(detail, /Original/);
  assert.match(detail, /Probed/);
  const flipRate = await page.textContent('#judge-report [data-measure="flip rate"]');
  assert.match(flipRate, /flip rate\s*0\.\d+/);
  await shot('judge');
});

test('judge lab: probes change the text and highlight what changed', { timeout: TIMEOUT }, async () => {
  await tab('judge');
  await page.$$eval('#judge-probes input', (inputs) => inputs.forEach((i) => { i.checked = i.value === 'padding'; }));
  await page.click('#judge-apply');
  await page.waitForFunction(() => /probed pair/.test(document.getElementById('judge-info').textContent));
  await page.click('#judge-pairs tbody tr[data-probe="padding"]');
  const inserted = await page.$$eval('#judge-detail ins', (els) => els.map((e) => e.textContent).join(''));
  assert.ok(inserted.trim().length > 20, `padding inserts text: ${inserted}`);
});

test('leaderboard: the bundled arena example gives a Bradley–Terry table with CIs', { timeout: TIMEOUT }, async () => {
  await tab('leaderboard');
  await page.click('#lb-load-example');
  await page.waitForSelector('#lb-compute:not([disabled])');
  await page.fill('#lb-bootstrap', '20');
  await page.click('#lb-compute');
  await page.waitForSelector('#lb-out table tbody tr');
  const rows = await page.$$eval('#lb-out table tbody tr', (trs) => trs.map((t) => t.textContent));
  assert.ok(rows.length >= 5, rows.join('\n'));
  await page.click('#sos-load-example');
  await page.waitForSelector('#sos-out table');
  await shot('leaderboard');
});

test('switching WebGPU ↔ CPU reloads the model where asked; WebGPU gives the same scores', { timeout: TIMEOUT }, async () => {
  await tab('run');
  const webgpu = await page.evaluate(async () => !!(navigator.gpu && await navigator.gpu.requestAdapter()));
  await page.selectOption('#suite-bundled', 'sample-knowledge');
  await page.fill('#run-limit', '3');
  await pickTinyModel();
  await page.selectOption('#backend', 'cpu');
  await runAndWait();
  const cpu = await downloadReceipt();
  assert.match(await page.textContent('#engine-status'), /CPU/);
  await page.selectOption('#backend', 'webgpu');
  const status = await runAndWait();
  if (!webgpu) {
    assert.match(status, /failed/);
    assert.match((await errors()).join('\n'), /BackendError/);
    await dismissErrors();
    return;
  }
  assert.match(status, /done/, `${status} · ${await errors()}`);
  assert.match(await page.textContent('#engine-status'), /WebGPU/);
  const gpu = await downloadReceipt();
  const lls = (t) => t.trim().split('\n').slice(1, -1).map((l) => JSON.parse(l).response.choices.map((c) => c.ll)).flat();
  const a = lls(cpu.text);
  const b = lls(gpu.text);
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i += 1) assert.ok(Math.abs(a[i] - b[i]) < 1e-3, `ll ${i}: cpu ${a[i]} webgpu ${b[i]}`);
  await shot('run-webgpu');
  await page.selectOption('#backend', 'cpu');
});

test('a corrupt model file shows a typed error; the page keeps working and the last results stay', { timeout: TIMEOUT }, async () => {
  await tab('run');
  const rowsBefore = await page.$$eval('#run-items tbody tr', (trs) => trs.length);
  const junk = Buffer.concat([Buffer.from('GGUF'), Buffer.from([3, 0, 0, 0]), Buffer.alloc(64, 0xff)]);
  await page.setInputFiles('#model-file', { name: 'broken.gguf', mimeType: 'application/octet-stream', buffer: junk });
  await page.check('input[name="model-src"][value="file"]');
  const status = await runAndWait();
  assert.match(status, /failed/);
  const errs = (await errors()).join('\n');
  assert.match(errs, /ModelError/);
  assert.match(errs, /broken\.gguf/);
  await dismissErrors();
  // The page still runs: recorded sample responses of a generate suite.
  await page.selectOption('#suite-bundled', 'sample-math');
  await page.fill('#run-limit', '');
  await page.check('input[name="model-src"][value="replay"]');
  const ok = await runAndWait();
  assert.match(ok, /done/, `${ok} · ${await errors()}`);
  assert.ok(rowsBefore >= 0);
});

test('an unreachable endpoint shows an error naming it; nothing hangs', { timeout: TIMEOUT }, async () => {
  await tab('run');
  await page.selectOption('#suite-bundled', 'sample-math');
  await page.fill('#run-limit', '2');
  await page.fill('#endpoint-url', 'http://127.0.0.1:9/v1');
  await page.fill('#endpoint-model', 'nobody');
  await page.check('input[name="model-src"][value="endpoint"]');
  const status = await runAndWait();
  assert.match(status, /failed/);
  const errs = (await errors()).join('\n');
  assert.match(errs, /127\.0\.0\.1/);
  // Failed before any item: there is no receipt worth downloading (issue 14, point 11).
  assert.equal(await page.$eval('#run-download', (b) => b.disabled), true);
  // The key field is never echoed into errors, and the page is responsive.
  await dismissErrors();
  await tab('verify');
  await tab('run');
});

test('HTML and script in model outputs, receipts and judgments render as inert text', { timeout: TIMEOUT }, async () => {
  const payloads = ['<img src=x onerror="window.__pwned=1">', '<script>window.__pwned=2</script>', '"><svg onload=window.__pwned=3>'];
  // A replay run whose recorded responses are the payloads.
  await tab('run');
  await page.selectOption('#suite-bundled', 'sample-math');
  await page.fill('#run-limit', '3');
  await page.check('input[name="model-src"][value="replay"]');
  await runAndWait();
  const { text } = await downloadReceipt();
  const lines = text.trim().split('\n');
  // Put the payloads into the receipt (responses and ids) and verify it: red, shown as text.
  for (let i = 1; i <= 3; i += 1) {
    const rec = JSON.parse(lines[i]);
    rec.response.text = payloads[i - 1];
    rec.id = payloads[i - 1];
    lines[i] = JSON.stringify(rec);
  }
  const r = await verifyText('xss.receipt.jsonl', `${lines.join('\n')}\n`);
  assert.equal(r.verdict, 'mismatch');
  assert.ok(r.text.includes(payloads[0]), 'the payload is shown as text');
  // Judged pairs with payloads in the answers, dropped into the judge lab.
  await tab('judge');
  const pair = {
    id: '<b>bold-id</b>', question: payloads[1], answer_a: payloads[0], answer_b: payloads[2], reference: null,
    verdicts: [], meta: { category: '<i>cat</i>' },
  };
  await page.setInputFiles('#judge-file', { name: 'evil.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(`${JSON.stringify(pair)}\n`) });
  await page.waitForFunction(() => /evil\.jsonl/.test(document.getElementById('judge-info').textContent));
  await page.$$eval('#judge-probes input', (inputs) => inputs.forEach((i) => { i.checked = i.value === 'markdown'; }));
  await page.click('#judge-apply');
  await page.waitForFunction(() => /probed pair/.test(document.getElementById('judge-info').textContent));
  await page.click('#judge-pairs tbody tr');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.$$eval('#panel-judge img, #panel-verify img[src="x"], #panel-judge svg[onload], b', (els) => els.filter((e) => e.textContent === 'bold-id' || e.getAttribute('src') === 'x' || e.hasAttribute('onload')).length), 0);
  assert.ok((await page.textContent('#judge-pairs')).includes('<b>bold-id</b>'));
  await shot('xss');
});

test('a pool of workers writes the one-worker receipt byte for byte (quantised GGUF; multiple choice and generation)', { timeout: TIMEOUT }, async () => {
  await tab('run');
  await dismissErrors();
  // The tiny Q4_1 GGUF runs on the SIMD128 quantised kernels in every worker.
  await page.setInputFiles('#model-file', path.join(ROOT, 'tests/fixtures/models/tiny-llama-gguf/tiny-llama-Q4_1.gguf'));
  await page.check('input[name="model-src"][value="file"]');
  await page.selectOption('#backend', 'cpu');
  // The default is one worker per core (Chromium here reports the machine's cores).
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  assert.equal(await page.inputValue('#run-workers'), String(Math.max(1, Math.min(8, cores))));
  for (const [suite, limit] of [['sample-knowledge', '13'], ['sample-math', '3']]) {
    await page.selectOption('#suite-bundled', suite);
    await page.fill('#run-limit', limit);
    const texts = [];
    for (const workers of ['1', '2']) {
      await page.fill('#run-workers', workers);
      const status = await runAndWait();
      const used = cores >= 2 && workers === '2';
      assert.match(status, new RegExp(`${limit} / ${limit} items · [0-9.]+ items/s .*${used ? '2 workers · ' : ''}done`), `${suite}, ${workers} workers: ${status} · errors: ${await errors()}`);
      assert.equal(await page.$$eval('#run-items tbody tr', (trs) => trs.length), Number(limit));
      const r = await downloadReceipt();
      assert.match(r.text, /quantised Q4_1/, 'the receipt names the quantised path');
      texts.push(r.text);
    }
    assert.equal(texts[1], texts[0], `${suite}: the 2-worker receipt differs from the 1-worker one`);
    assert.equal(texts[0].trim().split('\n').length, Number(limit) + 2);
  }
  await page.fill('#run-limit', '');
});

test('a model URL streams into the browser cache and loads from it by range: the same receipt as the picked file, first download and cache hit alike', { timeout: TIMEOUT }, async () => {
  await tab('run');
  await dismissErrors();
  const rel = 'tiny-llama-gguf/tiny-llama-Q4_1.gguf';
  const url = `${E.ORIGIN}/fixtures/models/${rel}`;
  await page.click('#cache-clear');
  await page.waitForFunction(() => document.getElementById('cache-size').textContent === 'empty');
  await page.selectOption('#backend', 'cpu');
  await page.fill('#run-workers', '1');
  await page.selectOption('#suite-bundled', 'sample-knowledge');
  await page.fill('#run-limit', '5');
  const run = async (label) => {
    const status = await runAndWait();
    assert.match(status, /5 \/ 5 items .*done/, `${label}: ${status} · errors: ${await errors()}`);
    return (await downloadReceipt()).text;
  };
  // the picked file (read by range from its File), then the URL (downloaded into the cache), then the
  // picked file again and the URL once more (now read from the cache)
  await page.setInputFiles('#model-file', path.join(ROOT, 'tests/fixtures/models', rel));
  await page.check('input[name="model-src"][value="file"]');
  const picked = await run('picked file');
  await page.fill('#model-hf', url);
  await page.check('input[name="model-src"][value="hf"]');
  const downloaded = await run('first download');
  await page.waitForFunction(() => /in 1 file$/.test(document.getElementById('cache-size').textContent));
  await page.check('input[name="model-src"][value="file"]');
  await run('picked file again');
  await page.check('input[name="model-src"][value="hf"]');
  const cached = await run('cache hit');
  assert.match(picked, /quantised Q4_1/);
  assert.equal(downloaded, picked, 'the downloaded model gives the picked file\'s receipt');
  assert.equal(cached, picked, 'the cached model gives the picked file\'s receipt');
  await page.fill('#run-limit', '');
});

test('no uncaught errors in the page', () => {
  // Errors the app reported on purpose go to console.warn; console.error and page errors are bugs, except
  // the browser's own report of the refused connection to the unreachable endpoint.
  const real = E.realConsoleErrors(consoleErrors);
  assert.deepEqual(real, []);
});
