//! The crate's typed error.

use thiserror::Error;

/// Everything that can go wrong while loading or running a model.
///
/// Every variant that comes from an input (a file, a spec string, a prompt) names that input — the file,
/// the tensor, the config field — so the message is actionable without a backtrace.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A config file (or GGUF metadata) is malformed or holds an unsupported value.
    #[error("{file}: field `{field}`: {message}")]
    Config {
        /// The config file (`config.json`, a GGUF file, …).
        file: String,
        /// The offending field (`hidden_size`, `llama.rope.freq_base`, …); `-` for the whole file.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The weights file is malformed: truncated, a bad header, offsets out of bounds.
    #[error("{file}: malformed weights file: {message}")]
    Weights {
        /// The weights file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A tensor the architecture needs is absent.
    #[error("{file}: missing tensor `{name}`")]
    MissingTensor {
        /// The weights file.
        file: String,
        /// The tensor name as the file would spell it.
        name: String,
    },
    /// Tensors in the file that the architecture does not use (a sign of a wrong architecture or a
    /// mis-mapped name; loading refuses rather than silently ignoring weights).
    #[error("{file}: unused tensor(s) {}", .names.join(", "))]
    UnusedTensors {
        /// The weights file.
        file: String,
        /// The unused names, sorted.
        names: Vec<String>,
    },
    /// A tensor does not have the shape the config implies.
    #[error("{file}: tensor `{name}` has shape {found:?}, expected {expected:?}")]
    Shape {
        /// The weights file.
        file: String,
        /// The tensor name.
        name: String,
        /// Shape found in the file (in the file's own dimension order).
        found: Vec<usize>,
        /// Shape the config implies.
        expected: Vec<usize>,
    },
    /// A tensor's element type cannot be converted to f32 by this crate.
    #[error("{file}: tensor `{name}`: unsupported element type {dtype}")]
    Dtype {
        /// The weights file.
        file: String,
        /// The tensor name.
        name: String,
        /// The element type as the file names it.
        dtype: String,
    },
    /// The GGUF reader rejected the file (structure, metadata, an unsupported tensor type).
    #[error("{file}: {source}")]
    Gguf {
        /// The GGUF file.
        file: String,
        /// The reader's error.
        #[source]
        source: substance_gguf::GgufError,
    },
    /// The tokenizer could not be built or failed on an input.
    #[error("{file}: tokenizer: {message}")]
    Tokenizer {
        /// Where the tokenizer came from (`tokenizer.json`, a GGUF file).
        file: String,
        /// What went wrong.
        message: String,
    },
    /// The chat template is not one this crate can render.
    #[error("chat template: {0}")]
    ChatTemplate(String),
    /// A model spec string is malformed.
    #[error("model spec `{spec}`: {message}")]
    Spec {
        /// The spec string.
        spec: String,
        /// What is wrong.
        message: String,
    },
    /// A hub model (`hf:ORG/NAME`) is not in the local cache and cannot be downloaded: no network, the
    /// hub unreachable, `HF_HUB_OFFLINE` set, or a build without downloads (wasm32, or without the `hub`
    /// feature).
    #[error(
        "offline: `{name}` is not cached and {reason}; place its files (config.json, model.safetensors, \
         tokenizer.json) in {dir} by hand, or pass `hf:DIR` / `gguf:PATH`"
    )]
    Offline {
        /// `ORG/NAME`.
        name: String,
        /// The cache folder the files are looked up in (and downloaded to).
        dir: String,
        /// Why it cannot be downloaded.
        reason: String,
    },
    /// The hub has no such file (HTTP 404).
    #[error("hub: `{file}` not found in {repo} at revision {revision} ({url} answered 404)")]
    HubNotFound {
        /// `ORG/NAME`.
        repo: String,
        /// Branch, tag or commit.
        revision: String,
        /// The file.
        file: String,
        /// The URL asked (no credentials).
        url: String,
    },
    /// The hub answered a download with an error status other than 404.
    #[error("hub: {repo}: `{file}`: HTTP {status}: {message}")]
    HubStatus {
        /// `ORG/NAME`.
        repo: String,
        /// The file.
        file: String,
        /// HTTP status.
        status: u16,
        /// The URL and, for 401/403/429, what to do.
        message: String,
    },
    /// A downloaded file does not match what the hub announced (its sha256 or its length); nothing was
    /// put into the cache.
    #[error("hub: {repo}: `{file}` failed verification: {message}; nothing was cached")]
    HubIntegrity {
        /// `ORG/NAME`.
        repo: String,
        /// The file.
        file: String,
        /// The mismatch.
        message: String,
    },
    /// Another download failure: a broken transfer, a redirect loop, a layout the loader cannot read
    /// (sharded weights).
    #[error("hub: {repo}: `{file}`: {message}")]
    Hub {
        /// `ORG/NAME`.
        repo: String,
        /// The file.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// The input does not fit the model's context window.
    #[error("input of {len} tokens exceeds the model's context of {max} tokens")]
    ContextOverflow {
        /// Tokens requested (cache + new).
        len: usize,
        /// The model's maximum context.
        max: usize,
    },
    /// A token id is outside the model's embedding table.
    #[error("token id {id} is outside the vocabulary of {vocab} rows")]
    TokenOutOfRange {
        /// The id.
        id: u32,
        /// Number of embedding rows.
        vocab: usize,
    },
    /// A request or argument is invalid (empty input, batch mismatch, bad sampling parameter, …).
    #[error("invalid input: {0}")]
    Input(String),
    /// The caller stopped a generation between two tokens (the model stays usable).
    #[error("cancelled after {tokens} generated token(s)")]
    Cancelled {
        /// Tokens generated before the stop.
        tokens: usize,
    },
    /// The compute device failed (initialisation, a read-back).
    #[error("device: {0}")]
    Device(String),
}

/// Result alias.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;
