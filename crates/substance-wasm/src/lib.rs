//! The JavaScript face of the substance kit: wasm-bindgen bindings that the browser app (`web/`, in a Web
//! Worker) and anyone embedding the npm package in `pkg/` call. The contract is `API.md` beside this file.
//!
//! # Why it is built this way
//!
//! - **Bindings only, no evaluation logic.** Every function converts its arguments, calls one library
//!   crate (`substance-suite`, `-score`, `-runner`, `-model`, `-judge`, `-leaderboard`, `-sos`,
//!   `-endpoint`) and converts the result. A number the page shows is therefore computed by the same code
//!   as `substance` on the command line, and a receipt made in the page verifies with the CLI and vice
//!   versa. Where the page needed something a library lacked, the function went into the library.
//! - **JSON in, JSON out, via serde-wasm-bindgen** (`Serializer::json_compatible`: plain objects, numbers,
//!   `null`): the shapes are the libraries' serde shapes — the ones in receipts and in the CLI's `--json`
//!   output — so there is one schema to learn, and no hand-written JS mirror types to drift.
//! - **Handles keep big data in Rust** (a suite's items, a model's weights, a generation's KV cache, a
//!   run's aggregator) and JS owns every loop: a generation advances one token per `next()`, a run one
//!   item per `step()`. Streaming, progress and cancellation are JS's business (stop calling), so no
//!   callback crosses the boundary and a cancelled run loses nothing it finished — each `step()` returns
//!   the item's sealed receipt line.
//! - **Async only where the GPU is**: model loading (WebGPU device creation), prefill/decode and
//!   log-likelihood are `async` because burn's WebGPU backend panics on synchronous read-back; every
//!   tensor read in `substance-model` awaits. Everything else is synchronous.
//! - **Typed errors become `Error`s** whose `message` is the library error's `Display` (it names the file,
//!   line, field, item or tensor) and whose `name` is the error type (`SuiteError`, `ModelError`, …).
//!   Panics are hooked to the console (console_error_panic_hook).
//! - **wasm32 only.** On other targets the crate is empty, so the workspace's native build, tests and
//!   clippy spend nothing on it; `cargo xtask pkg` builds it and the browser tests exercise it.
#![cfg(target_arch = "wasm32")]

mod convert;
mod endpoint;
mod judge;
mod leaderboard;
mod model;
mod run;
mod suite;
mod verify;

pub use endpoint::WasmEndpoint;
pub use model::{WasmGeneration, WasmModel};
pub use run::WasmRun;
pub use suite::WasmSuite;

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::convert::to_js;

/// Install the panic hook (idempotent). Also runs when the module starts.
#[wasm_bindgen]
pub fn init() {
    console_error_panic_hook::set_once();
}

#[wasm_bindgen(start)]
fn start() {
    run_constructors();
    init();
}

/// Run the module's static constructors once, at instantiation.
///
/// Some dependencies register things from constructors (cubecl's IR, through `inventory`). `wasm-ld`
/// gathers constructors into `__wasm_call_ctors`, and when nothing in the module calls that function it
/// treats the module as a "command" that is entered once and inserts a call to it at the top of *every*
/// exported function. Each call into the package — every `next()` of a generation, every future poll —
/// then re-ran all constructors: about 7 ms per generated token (the pkg in Node decoded at 33.3
/// ms/token, now 26.3). Calling it here, from the start function wasm-bindgen runs right after
/// instantiation, makes the module a "reactor" and the linker leaves the exports alone (inventory's
/// documentation describes this fix).
#[allow(unsafe_code)]
fn run_constructors() {
    unsafe extern "C" {
        fn __wasm_call_ctors();
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: `__wasm_call_ctors` is synthesised by the linker for every wasm module; it takes no
    // arguments, and `Once` makes sure it runs a single time, before any other code of the package (the
    // start function is the first thing wasm-bindgen's glue calls).
    ONCE.call_once(|| unsafe { __wasm_call_ctors() });
}

#[derive(Serialize)]
struct Importer {
    name: &'static str,
    summary: &'static str,
}

#[derive(Serialize)]
struct Info {
    name: &'static str,
    version: &'static str,
    receipt_schema: &'static str,
    webgpu_compiled: bool,
    scorers: Vec<&'static str>,
    importers: Vec<Importer>,
    judge_protocols: Vec<&'static str>,
    probes: Vec<&'static str>,
}

/// Version, capabilities and registries (scorers, importers, judge protocols, probes).
#[wasm_bindgen(unchecked_return_type = "Info")]
pub fn info() -> Result<JsValue, JsValue> {
    to_js(&Info {
        name: env!("CARGO_PKG_NAME"),
        version: env!("CARGO_PKG_VERSION"),
        receipt_schema: substance_core::RECEIPT_SCHEMA,
        webgpu_compiled: cfg!(feature = "webgpu"),
        scorers: substance_score::scorer_names(),
        importers: substance_suite::import::importers()
            .map(|i| Importer {
                name: i.name,
                summary: i.summary,
            })
            .collect(),
        judge_protocols: substance_judge::JudgeProtocol::ALL
            .iter()
            .map(|p| p.name())
            .collect(),
        probes: judge::PROBE_NAMES.to_vec(),
    })
}
