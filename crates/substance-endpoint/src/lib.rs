//! OpenAI-compatible endpoints for the substance kit: a client that runs natively and in the browser,
//! the model adapter the runner uses, `--model` spec parsing, and the wire types a local server
//! (`substance serve`) shares with the client.
//!
//! ```text
//! ModelSpec::parse("http://127.0.0.1:8000/v1#name")      spec.rs   — openai:NAME | URL#NAME, key source
//!        │
//! EndpointModel  loglikelihood / generate (+ _async)    model.rs  — Prompt → requests → Response
//!        │
//! EndpointClient concurrency · retries · cache · parse  client.rs — identical on every target
//!        │
//! Transport::send(HttpRequest) -> HttpResponse          transport.rs
//!   ├─ NativeTransport  ureq on a helper thread         native.rs (not wasm32)
//!   ├─ WasmTransport    global fetch + AbortController  wasm.rs   (wasm32)
//!   └─ MockTransport    scripted replies, records calls
//! ```
//!
//! # Design choices
//!
//! - **One transport seam, everything else shared.** A [`Transport`] sends one request and reads one
//!   whole body, enforcing the per-request timeout and a body-size limit; it never retries or parses.
//!   Retries, backoff, `Retry-After`, the concurrency limit, the cache and parsing live in
//!   [`EndpointClient`], the same code on every target, so the mock tests exercise exactly what runs in
//!   the browser. The trait uses `async fn` (no `Send` bound: the browser's futures are not `Send`), so
//!   clients are generic over the transport rather than boxed.
//! - **No async runtime.** The client needs a semaphore, `join_all`, a one-shot channel and a sleep;
//!   [`rt`] has them in ~200 lines. Natively the transport blocks a helper thread per in-flight request
//!   (bounded by the semaphore) and the blocking wrappers ([`EndpointModel::generate`],
//!   [`EndpointModel::loglikelihood`], [`block_on`]) park the caller. tokio + reqwest would add hyper,
//!   hyper-util, tower, tokio-rustls, url/idna and tokio's drivers (67 crates new to the workspace
//!   against 19, see below) for concurrency an evaluation does not need (tens of requests in flight,
//!   not thousands).
//! - **Dependencies, chosen for compile time** (CI builds the whole workspace on 2 cores). Natively:
//!   `ureq` 3 with `default-features = false` (no gzip, no JSON helpers — this crate parses with limits
//!   and typed errors itself) plus, behind the default `tls` feature, rustls + ring + webpki-roots for
//!   `https://` (ring is the only C compiled; `--no-default-features` leaves plain `http://`, enough for
//!   local servers). `httpdate` (one small file) parses `Retry-After` dates. The server side
//!   ([`server`]) is std only. On wasm32: `web-sys` (six features), `js-sys`, `wasm-bindgen-futures` —
//!   already in the graph through burn's WebGPU stack.
//!
//!   Measured (dev profile, `CARGO_TARGET_DIR` empty, 2 cores shared with other builds at load ≈ 3):
//!   cold build of this crate with everything under it **69 s wall** (94 s CPU) with `tls`, **43 s**
//!   without. Of that, the crates nobody else in the workspace builds natively are 19 (`ureq`,
//!   `ureq-proto`, `http`, `httparse`, `httpdate`, `percent-encoding`, `utf8-zero`, rustls, ring, `cc`,
//!   webpki and friends) for **≈ 70 s of CPU time, 53 s of it TLS** (rustls 20 s, ring + its C build
//!   15 s, `cc` 12 s); the rest (serde, syn, thiserror, `substance-core`) is shared. For comparison,
//!   `reqwest` (`default-features = false`, `json`, `rustls-tls`) + tokio would add 67 crates the
//!   workspace does not have — the same TLS stack plus hyper, hyper-util, tower, tokio, url and the ICU
//!   crates behind idna — for nothing an evaluation needs.
//! - **Secrets.** Keys live in [`Secret`], whose `Debug`/`Display` print `***` and which is not
//!   `Serialize`. The transports alone call [`Secret::expose`], to write `Authorization`. Errors name
//!   the endpoint by `host[:port]` only, and any text a server sends back (error bodies, snippets) is
//!   scrubbed of the key before it enters an error, since a misconfigured proxy may echo headers. Specs
//!   refuse `user:pass@` URLs and query strings, and a URL spec sends no key unless asked — a user's
//!   `OPENAI_API_KEY` is not handed to another host by default. The cache key hashes URL and body only.
//! - **Garbage in, typed error out.** Non-JSON, HTML error pages, wrong shapes (with the JSON path),
//!   missing or empty `choices`, truncated bodies (by framing or by JSON), oversized bodies: each is an
//!   [`EndpointError`] naming the host and what was wrong; nothing on an input path panics (property
//!   tests feed arbitrary bytes).
//! - **Reproducible retries.** Jitter comes from a seeded SplitMix64, the clock and sleeper are
//!   injectable ([`Clock`], [`MockClock`]), so tests assert every backoff delay without waiting.
//! - **Server side prepared.** The request types deserialize every form clients send (string or list
//!   `stop`, text/texts/token-id `prompt`, string or parts `content`) and the response types serialize
//!   what OpenAI clients expect, including legacy `logprobs` with `text_offset`
//!   ([`CompletionLogprobs::from_tokens`]); [`ApiError`] is the error body. [`server`] (native) is a
//!   small std-only HTTP/1.1 server over a [`server::ServeBackend`] trait: `substance serve` implements
//!   the trait with the burn runtime and calls [`server::Server::start`]. The tests run this client
//!   against it over real sockets, so the echo log-likelihood contract is checked from both ends.
//! - **Numbers are reproducible.** The cache stores the exact body text, so a cache hit parses the same
//!   bytes as the original answer (serde_json's default float parsing is not round-trip exact, so
//!   re-serialising parsed values could move a log-prob by an ulp).

pub mod api;
pub mod cache;
pub mod client;
pub mod error;
pub mod model;
pub mod retry;
pub mod rt;
pub mod secret;
pub mod spec;
pub mod transport;

#[cfg(not(target_arch = "wasm32"))]
pub mod native;
#[cfg(not(target_arch = "wasm32"))]
pub mod server;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use api::{
    ApiError, ApiErrorBody, ChatChoice, ChatCompletionRequest, ChatCompletionResponse, ChatContent,
    ChatMessage, ChatResponseMessage, CompletionChoice, CompletionLogprobs, CompletionPrompt,
    CompletionRequest, CompletionResponse, ModelList, ModelObject, OneOrMany, Usage,
};
pub use cache::{ResponseCache, cache_key};
pub use client::{ClientConfig, ClientStats, EndpointClient};
pub use error::{EndpointError, SpecError, TransportError};
pub use model::{EndpointModel, ModelOptions, continuation_loglik};
pub use retry::{RetryPolicy, parse_retry_after};
pub use rt::{Clock, MockClock, SystemClock};
pub use secret::Secret;
pub use spec::{ModelSpec, OPENAI_BASE_URL, OPENAI_KEY_VAR};
pub use transport::{HttpRequest, HttpResponse, Method, MockReply, MockTransport, Transport};

#[cfg(not(target_arch = "wasm32"))]
pub use native::NativeTransport;
#[cfg(not(target_arch = "wasm32"))]
pub use rt::block_on;
#[cfg(target_arch = "wasm32")]
pub use wasm::WasmTransport;

/// The platform's transport: [`NativeTransport`] natively, `WasmTransport` in the browser.
#[cfg(not(target_arch = "wasm32"))]
pub type DefaultTransport = NativeTransport;
/// The platform's transport: `NativeTransport` natively, [`WasmTransport`] in the browser.
#[cfg(target_arch = "wasm32")]
pub type DefaultTransport = WasmTransport;

/// Build the model a spec names, with the platform transport: `key` is the resolved key (see
/// [`ModelSpec::resolve_key`]); `config` adjusts the client defaults (its `base_url` and `api_key` are
/// taken from the spec and `key`).
pub fn model_from_spec(
    spec: &ModelSpec,
    key: Option<Secret>,
    mut config: ClientConfig,
    cache: Option<std::sync::Arc<ResponseCache>>,
) -> EndpointModel<DefaultTransport> {
    config.base_url = spec.base_url.clone();
    config.api_key = key;
    let client = EndpointClient::build(
        config,
        DefaultTransport::default(),
        std::sync::Arc::new(SystemClock),
        cache,
    );
    EndpointModel::new(client, spec.model.clone(), spec.id.clone())
}
