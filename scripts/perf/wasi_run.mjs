// Runs a wasm32-wasip1 program (the model runtime's `speed` example) under Node's WASI, with one folder
// pre-opened at the same path inside, and prints the Node process's peak RSS afterwards (a WASI program
// cannot read /proc): one `WASI_JSON {"peak_rss_mb": …}` line on stdout.
//
// usage: node --no-incremental-marking wasi_run.mjs PROGRAM.wasm DIR [ARGS…]
//
// --no-incremental-marking: Node 20's V8 can die in a garbage collection that a wasm memory grow triggers
// (`Fatal error … unreachable code` in MarkCompactCollector::ProcessEphemerons under
// WasmMemoryObject::Grow → FinalizeIncrementalMarkingIfComplete); the program's many grows while loading
// 500 MB of weights hit it in most runs. Without incremental marking that path is never taken.
import fs from 'node:fs';
import path from 'node:path';
import { WASI } from 'node:wasi';

const [wasmPath, dir, ...args] = process.argv.slice(2);
const root = path.resolve(dir);
const wasi = new WASI({
  version: 'preview1',
  args: [path.basename(wasmPath), ...args],
  env: {},
  preopens: { [root]: root },
  returnOnExit: true,
});
const module = await WebAssembly.compile(fs.readFileSync(wasmPath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
const code = wasi.start(instance);
console.log('WASI_JSON ' + JSON.stringify({ exit: code, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
process.exit(code);
