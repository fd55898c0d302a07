//! Suites for the substance kit: the suite file format, lm-eval-exact request construction, and importers
//! for the published files of standard benchmarks.
//!
//! # What it is for
//! A *suite* ([`substance_core::Suite`]) is a benchmark as data: a declarative spec (how prompts are built,
//! how answers are scored) plus items. This crate reads and writes suites, turns an item into the exact
//! prompt a model sees ([`build_prompt`]), and converts benchmark files (MMLU CSVs, HellaSwag text,
//! IFEval JSONL, …) into suites ([`import()`]). The CLI, the runner and the browser page all go through it,
//! so the prompt a receipt records is the prompt any other consumer would rebuild.
//!
//! # Design choices
//! - **Declarative TOML + JSONL, no code in suites.** `suite.toml` holds exactly the fields of
//!   [`substance_core::SuiteSpec`] (plus `data` / `fewshot_data` or a `[source]`); items are JSONL, one
//!   [`substance_core::Item`] per line. Nothing is executed: a suite can be diffed, hashed, reviewed and
//!   loaded in a browser without trusting it. TOML is pleasant to write by hand for the few rules; JSONL is
//!   streamable, grep-able and diff-friendly for thousands of items, and every line is independently
//!   parseable, so an error names its line. The format is versioned (`format = 1`).
//! - **Request construction mirrors lm-eval line by line** ([`prompt`] module): description (itself a
//!   template rendered against the evaluated item, as lm-eval renders it against the doc), `first_n`
//!   few-shot examples (optionally from the item's own group, e.g. an MMLU subject's dev set), each as
//!   `render(ex) + target_delimiter + target(ex) + fewshot_delimiter`, then the item; every choice becomes
//!   `target_delimiter + choice`, and the context's trailing whitespace (Python `isspace`) moves to the
//!   front of each continuation, as `_encode_pair` does. Templates know only `{input}` and string fields of
//!   `meta` (`{{`/`}}` escape braces), so they are total functions with typed errors, never Jinja.
//! - **Importers are pure functions of bytes** with a default spec reproducing lm-eval's standard task or
//!   SOS-Bench's safety task, documented per module where the source file forces a difference (TruthfulQA's
//!   CSV answer sets, HellaSwag's lost `ctx_b` boundary, WinoGrande's partial scoring).
//! - **Works in the browser.** Everything operates on `&str`/`&[u8]`; the file-system helpers
//!   ([`load_suite_dir`], [`write_suite_dir`], [`import_path`]) sit behind the default `fs` feature, and the
//!   crate builds for `wasm32-unknown-unknown`.
//! - **Bundles** ([`bundle`]) list suites run together, each with the SOS-Bench factor and results-table
//!   task it feeds, in the same declarative way (TOML, no code).
//! - **Errors are typed and precise** ([`SuiteError`]): the file, the 1-based line (JSONL, CSV, TOML) and
//!   the field (`prompt.template`, `gold[0]`, a CSV column). Input-driven paths never panic (property
//!   tests feed arbitrary and mutated files).
//!
//! # Example
//! ```
//! let toml = r#"
//! format = 1
//! name = "tiny"
//! version = "1"
//! output_type = "multiple_choice"
//! scorers = ["acc"]
//! data = "items.jsonl"
//! [prompt]
//! template = "Question: {input}\nAnswer:"
//! "#;
//! let items = r#"{"id": "q1", "input": "2+2?", "choices": ["4", "5"], "gold": [0]}"#;
//! let suite = substance_suite::load_suite_from_parts(toml, items, None, "suites/tiny").unwrap();
//! let prompt = substance_suite::build_prompt(&suite, 0).unwrap();
//! assert_eq!(
//!     prompt,
//!     substance_core::Prompt::LogLikelihood {
//!         context: "Question: 2+2?\nAnswer:".into(),
//!         continuations: vec![" 4".into(), " 5".into()],
//!     }
//! );
//! ```

pub mod bundle;
pub mod error;
pub mod file;
pub mod import;
pub mod parquet;
pub mod prompt;

pub use error::SuiteError;
pub use file::{
    SourceSpec, SuiteFile, load_suite_from_parts, parse_items_jsonl, parse_suite_toml,
    render_items_jsonl, render_suite_toml,
};
#[cfg(feature = "fs")]
pub use file::{load_suite_dir, write_suite_dir};
#[cfg(feature = "fs")]
pub use import::import_path;
pub use import::{AuxFile, ImportOptions, import, importer_names};
pub use prompt::{LoglikelihoodRequest, build_prompt, build_requests, render_template};
