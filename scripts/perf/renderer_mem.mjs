// Peak resident memory (VmHWM) of the headless Chromium renderer processes a Node driver launched, read
// from /proc: shared by the bench drivers (web_bench.mjs, page_suite.mjs). Linux only.
import fs from 'node:fs';

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
export function rendererPeakMb(browserPid) {
  let peak = 0;
  for (const p of descendants(browserPid)) {
    let cmd = '';
    try { cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8'); } catch { continue; }
    if (cmd.includes('--type=renderer')) peak = Math.max(peak, hwmMb(p));
  }
  return peak;
}
