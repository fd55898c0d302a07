// Shared by the end-to-end test files: the browser launch (Debian's headless Chromium through
// playwright-core), screenshots, tabs, error boxes and the committed tiny model. Each test file opens
// its own browser with `openApp()`; `cargo xtask e2e` serves the repository and sets
// SUBSTANCE_WEB_ORIGIN.

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const ORIGIN = process.env.SUBSTANCE_WEB_ORIGIN;
export const ROOT = process.env.SUBSTANCE_ROOT || path.resolve(import.meta.dirname, '../..');
export const SHOTS = path.join(ROOT, 'target/e2e-screenshots');
export const TINY = path.join(ROOT, 'tests/fixtures/models/tiny-llama');
export const TIMEOUT = 240_000;

if (!ORIGIN) {
  throw new Error('SUBSTANCE_WEB_ORIGIN is not set: run these tests through `cargo xtask e2e`');
}

/** A fresh browser on the app, waiting until the engine is ready; console errors are collected. */
export async function openApp({ width = 1400, height = 1000 } = {}) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width, height } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  await page.goto(`${ORIGIN}/web/`);
  await page.waitForSelector('#engine-status[data-state="ready"]');
  return { browser, context, page, consoleErrors };
}

export async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

export async function tab(page, name) {
  await page.click(`#tab-${name}`);
  await page.waitForSelector(`#panel-${name}:not([hidden])`);
}

/** The texts of the error boxes currently shown. */
export async function errors(page) {
  return page.$$eval('#errors .error', (els) => els.map((e) => e.textContent));
}

export async function dismissErrors(page) {
  await page.$$eval('#errors .error', (els) => els.forEach((e) => e.remove()));
}

/** Pick the committed tiny Llama (HF folder files) as the model. */
export async function pickTinyModel(page) {
  await page.setInputFiles('#model-file', ['config.json', 'model.safetensors', 'tokenizer.json', 'generation_config.json']
    .map((f) => path.join(TINY, f)));
  await page.check('input[name="model-src"][value="file"]');
}

/** Console errors that are not the expected ones of unreachable test endpoints. */
export function realConsoleErrors(list) {
  return list.filter((e) => !/127\.0\.0\.1:9|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e));
}
