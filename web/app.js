// The page: tabs, the worker client, errors. Each tab lives in its own module (run.js, judge.js,
// verify.js, leaderboard.js); all computation goes through `worker` (worker.js, protocol documented there).

import { $ } from './lib/dom.js';
import { engine, initEngine } from './lib/core.js';
import { initRun } from './run.js';
import { initVerify } from './verify.js';
import { initJudge } from './judge.js';
import { initLeaderboard } from './leaderboard.js';

// ── tabs ─────────────────────────────────────────────────────────────────────────────────────────────

const TABS = ['run', 'judge', 'verify', 'leaderboard'];

function showTab(name) {
  if (!TABS.includes(name)) name = 'run';
  for (const t of TABS) {
    $(`tab-${t}`).setAttribute('aria-selected', String(t === name));
    $(`panel-${t}`).hidden = t !== name;
  }
}

function initTabs() {
  for (const t of TABS) {
    $(`tab-${t}`).addEventListener('click', () => { history.replaceState(null, '', `#${t}`); showTab(t); });
  }
  window.addEventListener('hashchange', () => showTab(location.hash.slice(1)));
  showTab(location.hash.slice(1));
}

// ── start ────────────────────────────────────────────────────────────────────────────────────────────

initTabs();
$('backend').addEventListener('change', () => {
  engine.backend = $('backend').value;
  document.dispatchEvent(new CustomEvent('backend-changed', { detail: engine.backend }));
});
initRun();
initVerify();
initJudge();
initLeaderboard();
initEngine();
