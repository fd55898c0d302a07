//! The data model of the substance kit: what a benchmark *is* ([`SuiteSpec`], [`Item`]), what a model
//! *said* ([`Prompt`], [`Response`]), what a scorer *concluded* ([`Score`], [`Aggregate`]) and the
//! [`receipt`] that binds them into a record anyone can re-check.
//!
//! Design choices:
//! - **No I/O and no heavy dependencies.** This crate is compiled into the browser bundle and into every
//!   other crate; it only needs `serde`, `sha2` and `thiserror`.
//! - **One reading policy** ([`input`]): every reader of outside bytes in the kit decodes text, reads
//!   JSONL records, detects duplicates and counts skips through that module, so no two readers disagree
//!   on the same bytes. Reading files is the caller's job; the
//!   receipt reader works over any [`std::io::BufRead`] so a browser `ReadableStream` adapter, a file or an
//!   in-memory buffer all stream the same way.
//! - **Hashes are over canonical JSON** ([`hash::canonical_json`]: object keys sorted, no whitespace,
//!   shortest round-trip floats), computed here and nowhere else, so the CLI and the wasm page cannot
//!   disagree about what an item's hash is — even if some other crate in the graph turns on serde_json's
//!   `preserve_order`.
//! - **Receipts are self-contained and streamed.** Each item line embeds the item, the prompt exactly as
//!   sent, the raw response and every score, plus a digest of the line; the summary carries a digest over
//!   all line digests. A verifier can therefore recompute everything from the receipt alone, one line at a
//!   time, and name the exact line that was edited.
//! - **Types are plain data.** Typed semantics (IFEval kwargs, metric rules) belong to the crates that own
//!   them; here kwargs stay `serde_json::Value` so new checks never require a schema bump.

pub mod error;
pub mod hash;
pub mod input;
pub mod receipt;
pub mod types;

pub use error::{CoreError, ReceiptError};
pub use hash::{canonical_json, sha256_hex};
pub use input::{InputError, Skipped};
pub use receipt::{
    Header, ItemRecord, ModelInfo, RECEIPT_SCHEMA, ReceiptLine, ReceiptReader, ReceiptWriter,
    Seeds, Selection, SuiteRef, Summary, ToolInfo,
};
pub use types::*;
