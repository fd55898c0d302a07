//! The model runtime of substance: small causal language models (OPT, GPT-2, Llama-family such as
//! SmolLM2-135M) run on [burn](https://burn.dev) 0.22 — natively for the CLI and in the browser for the
//! demos and receipt re-runs — with exact Hugging Face semantics.
//!
//! # What it does
//!
//! - **Architectures** behind one trait, [`CausalLm`]: [`opt::Opt`], [`gpt2::Gpt2`], [`llama::Llama`]. Each
//!   lives in `src/<arch>/{config,model,loader}.rs`: a config struct mirroring `config.json` (serde,
//!   unknown fields ignored), the forward pass, and a loader whose module doc is the **weight-name table**.
//! - **Loading** from a Hugging Face folder or its files as bytes ([`HfFiles`]; the browser passes
//!   bytes), and from GGUF ([`Model::from_gguf_bytes`]: F32/F16/BF16/Q8_0/Q4_0/Q4_1/K-quants…,
//!   llama.cpp's Q/K row permutation undone, tokenizer and chat template taken from the metadata). Files
//!   are read by range — the header, then one tensor at a time ([`Model::from_gguf_source`] over a
//!   [`weights::ByteSource`]: a file on disk, the page's buffer or Blob; safetensors likewise) — so a load
//!   never holds the whole file besides the model. On the
//!   CPU the quantised matrices stay in their blocks ([`LoadOptions`], default) and run on
//!   `substance-quant`'s kernels; [`LoadOptions::f32`] (and every GPU device) dequantises them to f32 with
//!   `substance-gguf`, the reference path. [`ModelMeta::numeric`] names the path for receipts. Spec strings (`gguf:PATH`, `hf:DIR`, `hf:ORG/NAME`) parse into [`ModelSpec`]. Every
//!   missing, unused or mis-shaped tensor, truncated file or bad config field is a typed [`ModelError`]
//!   naming it.
//! - **Hub downloads** (`hub` module; native only, feature `hub`, on by default): `hf:ORG/NAME` is
//!   fetched once from the Hugging Face hub into `$SUBSTANCE_MODELS/hf/ORG/NAME` (temporary file +
//!   rename, sha256 checked against the hub's LFS digest) and read from there afterwards without any
//!   request. It is the crate's only network I/O and only fills a folder that the ordinary folder loader
//!   then reads; no network → [`ModelError::Offline`] naming the folder to fill by hand.
//! - **Tokenizer**: Hugging Face `tokenizers` built with fancy-regex (no onig) on every target, so native
//!   and wasm tokenize identically. **Chat templates are recognised, not executed**: ChatML (SmolLM2)
//!   is rendered by [`ChatTemplate`]; any other Jinja template is a clear error.
//! - **Generation** ([`Model::start_async`] / [`Model::next_token_async`], a step API a JS loop can drive)
//!   with greedy or seeded temperature/top-k/top-p [`Sampling`], stop sequences on decoded text, EOS and
//!   max tokens; **log-likelihood** ([`Model::loglikelihood_async`]) with lm-eval's `HFLM` semantics;
//!   [`LocalModel`] adapts both to `substance-core`'s requests and responses.
//!
//! # Design choices
//!
//! - **Why burn, Flex + wgpu.** One implementation of each architecture runs on burn's pure-Rust Flex CPU
//!   backend (native, and wasm32 with SIMD128 — the fallback that always works) and on its wgpu backend
//!   (Vulkan/Metal/GL natively, WebGPU in the page). burn 0.22 picks the backend at run time through
//!   [`burn::tensor::Device`] (no backend type parameter), so the model types are plain structs and the
//!   caller chooses `Device::flex()` or `Device::wgpu_options().init()/init_async()`. The crate's `wgpu`
//!   feature enables burn's WGSL path only (no SPIR-V compiler): one dependency tree and the same shaders
//!   natively and in the browser, and a shorter build.
//! - **The model is borrowed, the cache is owned** (llama-burn's split): [`CausalLm::forward`] takes
//!   `&self` and a caller-owned [`KvCache`], so one loaded model serves any number of sequences, and a
//!   generation's whole state ([`GenerationState`]) is a value the caller keeps between steps.
//! - **Right padding.** Batched requests (log-likelihood, batched logits) are right-padded; the cache
//!   tracks, per row, which positions are real, gives new tokens per-row positions and masks padded
//!   keys. With causal attention a real token never sees the padding after it, so a padded batch gives
//!   the same logits as each row alone (tested to 1e-5).
//! - **Async reads only.** Every tensor read goes through [`read::read_f32`] / [`read::read_i64`]
//!   (`into_data_async().await`): WebGPU panics on synchronous read-back. Forward passes build lazily and
//!   only reads await. Native callers get blocking wrappers (`pollster`); sampling and argmax-free
//!   bookkeeping happen on the host after one read of the last position's logits.
//! - **No wasted vocabulary projections.** [`CausalLm::forward_hidden`] and [`CausalLm::project`] are
//!   separate: generation projects only the last position, log-likelihood only the continuation
//!   positions (gathered across the batch), and reads back one log-probability and one argmax per token
//!   instead of full logits.
//! - **Layouts chosen at load time.** Linear weights are transposed once to `[in, out]`; q/k/v (and
//!   Llama's gate/up) are fused into one matmul; the output projection is stored `[hidden, vocab]`
//!   contiguous — for a tied head that one matrix also serves the embedding lookup (column gather), so
//!   the embedding is held once. A transposed *view* of `[vocab, hidden]` made the CPU decode step ~9×
//!   slower.
//! - **Quantised weights as a layer variant.** [`nn::Linear`] holds either a dense `[in, out]` tensor or
//!   the file's blocks ([`nn::LinearWeight`]); the quantised forward reads the activations back from the
//!   CPU tensor (Flex reads complete at once, on wasm too), multiplies with 16-bit activations and makes
//!   a tensor of the result, so every other op stays burn's. The tied embedding looks rows up from its
//!   blocks (the same values as the f32 table) and log-likelihood scoring reads `log p(target)` from the
//!   kernel's logits on the host ([`CausalLm::score_on_host`]). Tolerances: `tests/quantized.rs`.
//! - **Shared contexts.** A log-likelihood batch runs its rows' common prefix — the context an item's
//!   choices share — once on one row and repeats its cache for the continuations
//!   ([`KvCache::repeat_rows`]): the same logits up to f32 rounding, several times less work for
//!   multiple-choice suites.
//! - **Shared models.** [`CausalLm`] is `Send + Sync`: the CLI's parallel runs share one loaded model
//!   between worker threads, each with its own caches.
//! - **Grouped-query attention without copies**: the query heads sharing a key/value head are stacked
//!   along the sequence axis, so each cached key/value head is read once, through burn's fused
//!   `attention` op.
//!
//! # What is hand-written, and why
//!
//! The layers ([`nn`]) are plain structs of tensors rather than `burn::nn` modules: nothing is trained,
//! weights come from foreign files through name tables, and the loader must control layouts (fusing,
//! pre-transposing). The safetensors reader is the `safetensors` crate; GGUF parsing and dequantisation
//! are `substance-gguf`. The chat-template renderer is hand-written because executing Jinja would mean a
//! template engine for one format. Sampling is hand-written on the host because backends lack async
//! top-k and because a host sampler is identical everywhere.
//!
//! # Accuracy
//!
//! Logits agree with transformers (fp32, eager attention) to max-abs ≤ 1e-4 on every fixture prompt on
//! the Flex and wgpu backends; greedy generations and lm-eval log-likelihoods follow. See
//! `tests/fixtures/models/README.md` for the fixtures and the scripts that made them.

pub mod cache;
pub mod config;
pub mod error;
pub mod gguf;
pub mod gpt2;
#[cfg(all(feature = "hub", not(target_arch = "wasm32")))]
pub mod hub;
pub mod llama;
pub mod lm;
pub mod load;
pub mod local;
pub mod nn;
pub mod opt;
pub mod read;
pub mod runtime;
pub mod sampling;
pub mod tokenizer;
pub mod weights;

pub use cache::KvCache;
pub use error::{ModelError, Result};
pub use lm::{Architecture, CausalLm};
pub use load::{HfFiles, LoadOptions, ModelSpec};
pub use local::LocalModel;
pub use runtime::{
    FinishReason, GenerateOptions, GenerationState, LogLikelihood, LoglikOptions, Model, ModelMeta,
};
pub use sampling::{Sampler, Sampling};
pub use tokenizer::{ChatTemplate, MAX_TEXT_BYTES, Tokenizer};
