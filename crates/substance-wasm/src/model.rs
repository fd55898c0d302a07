//! Local models: loading from bytes with a backend choice (WebGPU or CPU wasm), the generation step API
//! and batched log-likelihood. Every tensor read is asynchronous (inside `substance-model`).

use std::cell::RefCell;
use std::rc::Rc;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use substance_core::Message;
use substance_model::nn::GPU_BLOCK_BYTES;
use substance_model::weights::{ByteSource, SafetensorsRanged};
use substance_model::{
    GenerateOptions, GenerationState, HfFiles, LocalModel, LoglikOptions, Model, Sampling,
};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::convert::{from_js, from_js_opt, js_error, named, to_js};

/// A loaded model and how it was placed.
pub(crate) struct Loaded {
    pub(crate) local: LocalModel,
    backend: &'static str,
    backend_reason: String,
    largest_tensor_bytes: u64,
    add_bos: bool,
}

impl Loaded {
    pub(crate) fn model(&self) -> &Model {
        self.local.model()
    }
}

/// A model loaded into this worker (weights stay in Rust / on the GPU).
#[wasm_bindgen]
pub struct WasmModel {
    pub(crate) inner: Rc<Loaded>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LoadOptions {
    format: Option<String>,
    backend: Option<String>,
    id: Option<String>,
    file_name: Option<String>,
    add_bos: Option<bool>,
    quantized: Option<bool>,
}

/// What the adapter offers, read through `navigator.gpu` (no wgpu involved).
#[derive(Serialize, Default)]
pub(crate) struct WebGpuStatus {
    compiled: bool,
    available: bool,
    reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    adapter: Option<AdapterInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_buffer_size: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_storage_buffer_binding_size: Option<f64>,
    /// The adapter is a fallback / software renderer (SwiftShader, llvmpipe, WARP): slower than the
    /// CPU path by two orders of magnitude, so Auto does not pick it.
    software: bool,
}

/// Whether an adapter is a software renderer: the adapter says so (`info.isFallbackAdapter`, or the
/// older `adapter.isFallbackAdapter`), or its info names a known software rasteriser.
fn is_software(adapter: &JsValue, info: Option<&AdapterInfo>) -> bool {
    let flag = |obj: &JsValue| get(obj, "isFallbackAdapter").as_bool() == Some(true);
    if flag(adapter) || flag(&get(adapter, "info")) {
        return true;
    }
    info.is_some_and(|i| {
        let text = format!("{} {} {}", i.vendor, i.architecture, i.description).to_lowercase();
        [
            "swiftshader",
            "llvmpipe",
            "lavapipe",
            "softpipe",
            "microsoft basic render",
        ]
        .iter()
        .any(|s| text.contains(s))
    })
}

#[derive(Serialize)]
struct AdapterInfo {
    vendor: String,
    architecture: String,
    description: String,
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn describe(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Ask the browser for a WebGPU adapter and its limits (works in windows and workers).
async fn probe_webgpu() -> WebGpuStatus {
    let mut st = WebGpuStatus {
        compiled: cfg!(feature = "webgpu"),
        ..WebGpuStatus::default()
    };
    let gpu = get(&get(&js_sys::global(), "navigator"), "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        st.reason =
            "navigator.gpu is missing (no WebGPU in this browser, or it is disabled)".into();
        return st;
    }
    let Ok(request) = get(&gpu, "requestAdapter").dyn_into::<js_sys::Function>() else {
        st.reason = "navigator.gpu.requestAdapter is not a function".into();
        return st;
    };
    let promise = match request.call0(&gpu) {
        Ok(p) => p,
        Err(e) => {
            st.reason = format!("navigator.gpu.requestAdapter() threw: {}", describe(&e));
            return st;
        }
    };
    let adapter = match JsFuture::from(js_sys::Promise::resolve(&promise)).await {
        Ok(a) if !a.is_null() && !a.is_undefined() => a,
        Ok(_) => {
            st.reason = "navigator.gpu.requestAdapter() returned no adapter".into();
            return st;
        }
        Err(e) => {
            st.reason = format!("navigator.gpu.requestAdapter() failed: {}", describe(&e));
            return st;
        }
    };
    let info = get(&adapter, "info");
    if !info.is_undefined() {
        let s = |k: &str| get(&info, k).as_string().unwrap_or_default();
        st.adapter = Some(AdapterInfo {
            vendor: s("vendor"),
            architecture: s("architecture"),
            description: s("description"),
        });
    }
    let limits = get(&adapter, "limits");
    st.max_buffer_size = get(&limits, "maxBufferSize").as_f64();
    st.max_storage_buffer_binding_size = get(&limits, "maxStorageBufferBindingSize").as_f64();
    st.available = true;
    st.software = is_software(&adapter, st.adapter.as_ref());
    st.reason = if st.software {
        "the WebGPU adapter is a software renderer (no GPU): Auto uses the CPU, which is faster"
            .into()
    } else {
        "WebGPU adapter available".into()
    };
    st
}

/// Bytes of this wasm instance's linear memory — which only grows, so it is the instance's peak heap:
/// memory diagnostics (`cargo xtask bench web` splits a renderer's memory into heap and the rest).
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

/// Whether WebGPU is compiled in and the browser offers an adapter, with its limits.
#[wasm_bindgen(js_name = webgpuStatus, unchecked_return_type = "WebGpuStatus")]
pub async fn webgpu_status() -> Result<JsValue, JsValue> {
    to_js(&probe_webgpu().await)
}

#[cfg(feature = "webgpu")]
thread_local! {
    static WGPU_DEVICE: RefCell<Option<Device>> = const { RefCell::new(None) };
}

/// The worker's WebGPU device, created once (burn requests the adapter's full limits).
#[cfg(feature = "webgpu")]
async fn wgpu_device() -> Result<Device, String> {
    if let Some(d) = WGPU_DEVICE.with(|d| d.borrow().clone()) {
        return Ok(d);
    }
    let d = Device::wgpu_options()
        .init_async()
        .await
        .map_err(|e| format!("WebGPU device creation failed: {e}"))?;
    WGPU_DEVICE.with(|slot| *slot.borrow_mut() = Some(d.clone()));
    Ok(d)
}

fn mb(bytes: f64) -> String {
    if bytes >= (1u64 << 30) as f64 {
        format!("{:.1} GiB", bytes / (1u64 << 30) as f64)
    } else {
        format!("{:.0} MiB", bytes / (1u64 << 20) as f64)
    }
}

/// Pick the device: `Ok((device, backend, reason))`, or `Err(reason)` when WebGPU was demanded and
/// cannot hold the model.
async fn choose_device(
    requested: &str,
    largest: u64,
) -> Result<(Device, &'static str, String), String> {
    let cpu = |why: String| Ok((Device::flex(), "cpu", why));
    match requested {
        "cpu" => return cpu("requested: CPU wasm (burn Flex, SIMD128)".into()),
        "auto" | "webgpu" => {}
        other => {
            return Err(format!(
                "unknown backend `{other}` (use \"auto\", \"webgpu\" or \"cpu\")"
            ));
        }
    }
    let demanded = requested == "webgpu";
    let fallback = |why: String| {
        if demanded {
            Err(why)
        } else {
            cpu(format!("auto: {why}; using CPU wasm (burn Flex, SIMD128)"))
        }
    };
    if !cfg!(feature = "webgpu") {
        return fallback("this build of substance-wasm has no WebGPU backend".into());
    }
    let st = probe_webgpu().await;
    if !st.available || (st.software && !demanded) {
        return fallback(st.reason);
    }
    let limit = match (st.max_buffer_size, st.max_storage_buffer_binding_size) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(128.0 * (1u64 << 20) as f64),
    };
    let name = st
        .adapter
        .as_ref()
        .map(|a| format!("{}/{}", a.vendor, a.architecture))
        .unwrap_or_else(|| "(unnamed)".into());
    // The largest buffer the model creates on a GPU: tensors past GPU_BLOCK_BYTES are the token
    // embedding and output head (the only matrices that large at browser scale), and those are held
    // in blocks of at most GPU_BLOCK_BYTES (WebGPU's guaranteed binding size), so OPT-125m's 154 MB
    // table does not rule WebGPU out.
    let largest = largest.min(GPU_BLOCK_BYTES as u64);
    if largest as f64 > limit {
        return fallback(format!(
            "WebGPU adapter {name} cannot hold the model: largest buffer {} > max buffer/binding size {}",
            mb(largest as f64),
            mb(limit)
        ));
    }
    #[cfg(feature = "webgpu")]
    {
        match wgpu_device().await {
            Ok(d) => Ok((
                d,
                "webgpu",
                format!(
                    "{}: WebGPU adapter {name}, largest buffer {} ≤ max buffer/binding size {}",
                    if demanded { "requested" } else { "auto" },
                    mb(largest as f64),
                    mb(limit)
                ),
            )),
            Err(why) => fallback(why),
        }
    }
    #[cfg(not(feature = "webgpu"))]
    {
        fallback("this build of substance-wasm has no WebGPU backend".into())
    }
}

/// f32 bytes of the largest weight tensor (after dequantisation): what one GPU buffer must hold.
fn largest_gguf(file: &str, bytes: &JsBytes) -> Result<u64, JsValue> {
    let header = substance_model::gguf::read_header(file, bytes)
        .map_err(named::<substance_model::ModelError>("ModelError"))?;
    let g = substance_gguf::Gguf::parse_prefix(&header, bytes.byte_len())
        .map_err(|e| js_error("ModelError", format!("{file}: {e}")))?;
    Ok(g.tensors()
        .iter()
        .map(|t| t.n_elements().saturating_mul(4))
        .max()
        .unwrap_or(0))
}

/// The weights file the page holds, read a range at a time: it is never copied whole into wasm memory,
/// so loading holds the tensors and one tensor's bytes besides, not the file too.
/// - a `Uint8Array` (the page read the file);
/// - a `Blob` (a picked `File`, or the Cache API's copy of a download): ranges are read with
///   `FileReaderSync` (dedicated workers only), so the file is not in the page's memory at all —
///   Chromium keeps large blobs on disk.
#[derive(Clone)]
enum JsBytes {
    Array(js_sys::Uint8Array),
    Blob(web_sys::Blob),
}

impl JsBytes {
    /// A `Uint8Array` or `Blob` value (`what` names it in errors).
    fn from_js(v: JsValue, what: &str) -> Result<Self, JsValue> {
        if v.is_instance_of::<js_sys::Uint8Array>() {
            return Ok(Self::Array(v.unchecked_into()));
        }
        if v.is_instance_of::<web_sys::Blob>() {
            return Ok(Self::Blob(v.unchecked_into()));
        }
        Err(js_error(
            "InputError",
            format!("{what}: expected a Uint8Array or a Blob (File)"),
        ))
    }

    fn is_bytes(v: &JsValue) -> bool {
        v.is_instance_of::<js_sys::Uint8Array>() || v.is_instance_of::<web_sys::Blob>()
    }

    /// SHA-256 (hex) of the bytes, streamed.
    fn sha256(&self) -> Result<String, JsValue> {
        substance_model::weights::sha256_of(self)
            .map_err(|e| js_error("ModelError", format!("cannot read the model file: {e}")))
    }
}

/// Largest slice of a Blob read at once.
const BLOB_READ: usize = 4 << 20;

impl ByteSource for JsBytes {
    fn byte_len(&self) -> u64 {
        match self {
            Self::Array(a) => u64::from(a.length()),
            // a Blob's size is a whole number of bytes below 2^53
            Self::Blob(b) => b.size() as u64,
        }
    }
    fn read_at(&self, offset: u64, into: &mut [u8]) -> std::io::Result<()> {
        let end = offset
            .checked_add(into.len() as u64)
            .filter(|&e| e <= self.byte_len())
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "past the end of the file",
                )
            })?;
        match self {
            // Both ends fit in u32: `end` ≤ the array's length, itself a u32.
            Self::Array(a) => a.subarray(offset as u32, end as u32).copy_to(into),
            Self::Blob(b) => {
                let js = |e: JsValue| {
                    std::io::Error::other(
                        e.as_string()
                            .or_else(|| {
                                e.dyn_ref::<js_sys::Error>()
                                    .map(|e| String::from(e.message()))
                            })
                            .unwrap_or_else(|| "the file could not be read".into()),
                    )
                };
                // ≤ 4 MiB per read: each read is a new JS ArrayBuffer, garbage once copied, and a
                // load is one long synchronous call in which V8 may not collect it
                let reader = web_sys::FileReaderSync::new().map_err(js)?;
                for (k, out) in into.chunks_mut(BLOB_READ).enumerate() {
                    let at = offset + (k * BLOB_READ) as u64;
                    let part = b
                        .slice_with_f64_and_f64(at as f64, (at + out.len() as u64) as f64)
                        .map_err(js)?;
                    let buf = reader.read_as_array_buffer(&part).map_err(js)?;
                    let view = js_sys::Uint8Array::new(&buf);
                    if view.length() as usize != out.len() {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "the file changed while it was read",
                        ));
                    }
                    view.copy_to(out);
                }
            }
        }
        Ok(())
    }
}

fn u8s(obj: &JsValue, key: &str, required: bool) -> Result<Option<Vec<u8>>, JsValue> {
    let v = get(obj, key);
    if v.is_undefined() || v.is_null() {
        if required {
            return Err(js_error(
                "InputError",
                format!("source.{key}: missing (an HF model needs config, weights and tokenizer)"),
            ));
        }
        return Ok(None);
    }
    match v.dyn_into::<js_sys::Uint8Array>() {
        Ok(a) => Ok(Some(a.to_vec())),
        Err(_) => Err(js_error(
            "InputError",
            format!("source.{key}: expected a Uint8Array"),
        )),
    }
}

#[derive(Serialize)]
struct ModelInfoJs {
    id: String,
    architecture: String,
    weights_sha256: String,
    source: String,
    numeric: String,
    backend: &'static str,
    backend_reason: String,
    largest_tensor_bytes: u64,
    max_context: usize,
    vocab_size: usize,
    bos_id: Option<u32>,
    eos_ids: Vec<u32>,
    has_chat_template: bool,
    add_bos: bool,
    receipt: substance_core::ModelInfo,
}

#[derive(Deserialize)]
#[serde(untagged, deny_unknown_fields)]
enum GenPrompt {
    Text {
        text: String,
        #[serde(default)]
        add_special_tokens: bool,
    },
    Chat {
        messages: Vec<Message>,
    },
    Ids {
        ids: Vec<u32>,
    },
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct GenOptions {
    max_tokens: Option<usize>,
    stop: Option<Vec<String>>,
    temperature: Option<f32>,
    top_k: Option<usize>,
    top_p: Option<f32>,
    seed: Option<u64>,
    stop_at_eos: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct JsLoglikOptions {
    add_special_tokens: Option<bool>,
    max_batch: Option<usize>,
    max_batch_tokens: Option<usize>,
}

#[wasm_bindgen]
impl WasmModel {
    /// Load a model from bytes: a GGUF file (`Uint8Array` or `Blob`) or a Hugging Face folder's files
    /// (`{config, weights, tokenizer, generation_config?, tokenizer_config?}`; `weights` a `Uint8Array`
    /// or `Blob`), on the chosen backend. The weights are read a tensor at a time ([`JsBytes`]).
    pub async fn load(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | Blob | HfFiles")] source: JsValue,
        #[wasm_bindgen(unchecked_param_type = "LoadOptions | undefined")] opts: JsValue,
    ) -> Result<WasmModel, JsValue> {
        let o: LoadOptions = from_js_opt(opts, "opts")?;
        let is_bytes = JsBytes::is_bytes(&source);
        let format = o
            .format
            .clone()
            .unwrap_or_else(|| if is_bytes { "gguf" } else { "hf" }.into());
        let backend = o.backend.clone().unwrap_or_else(|| "auto".into());
        let add_bos = o.add_bos.unwrap_or(false);
        let load_err = named::<substance_model::ModelError>("ModelError");
        let (model, backend, reason, largest) = match format.as_str() {
            "gguf" => {
                if !is_bytes {
                    return Err(js_error(
                        "InputError",
                        "source: a GGUF model is one Uint8Array or Blob (File)",
                    ));
                }
                // read by range from the page's buffer or file: never copied whole into wasm memory
                let bytes = JsBytes::from_js(source.clone(), "source")?;
                let file = o.file_name.clone().unwrap_or_else(|| "model.gguf".into());
                let id = o.id.clone().unwrap_or_else(|| file.clone());
                let largest = largest_gguf(&file, &bytes)?;
                let (device, backend, reason) = choose_device(&backend, largest)
                    .await
                    .map_err(|e| js_error("BackendError", e))?;
                let numeric = substance_model::LoadOptions {
                    quantized: o.quantized.unwrap_or(true),
                };
                let m =
                    Model::from_gguf_source(&file, &id, &bytes, bytes.sha256()?, &device, numeric)
                        .map_err(load_err)?;
                (m, backend, reason, largest)
            }
            "hf" => {
                if is_bytes || !source.is_object() {
                    return Err(js_error(
                        "InputError",
                        "source: an HF model is {config, weights, tokenizer, generation_config?, tokenizer_config?} of Uint8Arrays",
                    ));
                }
                let config = u8s(&source, "config", true)?.unwrap_or_default();
                let weights = JsBytes::from_js(get(&source, "weights"), "source.weights")?;
                let tokenizer = u8s(&source, "tokenizer", true)?.unwrap_or_default();
                let generation = u8s(&source, "generation_config", false)?;
                let tok_config = u8s(&source, "tokenizer_config", false)?;
                let id =
                    o.id.clone()
                        .or_else(|| o.file_name.clone())
                        .unwrap_or_else(|| "model".into());
                let src = SafetensorsRanged::parse("model.safetensors", weights.clone())
                    .map_err(&load_err)?;
                let largest = src.largest_f32_bytes();
                let (device, backend, reason) = choose_device(&backend, largest)
                    .await
                    .map_err(|e| js_error("BackendError", e))?;
                let files = HfFiles {
                    config: &config,
                    weights: &[],
                    tokenizer: &tokenizer,
                    generation_config: generation.as_deref(),
                    tokenizer_config: tok_config.as_deref(),
                };
                let m = Model::from_hf_source(&id, files, &src, weights.sha256()?, &device)
                    .map_err(load_err)?;
                (m, backend, reason, largest)
            }
            other => {
                return Err(js_error(
                    "InputError",
                    format!("opts.format: unknown format `{other}` (use \"gguf\" or \"hf\")"),
                ));
            }
        };
        Ok(WasmModel {
            inner: Rc::new(Loaded {
                local: LocalModel::new(model).with_special_tokens(add_bos),
                backend,
                backend_reason: reason,
                largest_tensor_bytes: largest,
                add_bos,
            }),
        })
    }

    /// Identity, backend (and why), sizes and special tokens.
    #[wasm_bindgen(unchecked_return_type = "ModelInfo")]
    pub fn info(&self) -> Result<JsValue, JsValue> {
        let l = &self.inner;
        let m = l.model();
        let meta = m.meta();
        to_js(&ModelInfoJs {
            id: meta.id.clone(),
            architecture: meta.architecture.clone(),
            weights_sha256: meta.weights_sha256.clone(),
            source: meta.source.clone(),
            numeric: meta.numeric.clone(),
            backend: l.backend,
            backend_reason: l.backend_reason.clone(),
            largest_tensor_bytes: l.largest_tensor_bytes,
            max_context: m.lm().max_context(),
            vocab_size: m.lm().vocab_size(),
            bos_id: m.bos_id(),
            eos_ids: m.eos_ids().to_vec(),
            has_chat_template: m.chat_template_text().is_some(),
            add_bos: l.add_bos,
            receipt: l.local.info(),
        })
    }

    /// Token ids of `text`.
    pub fn encode(
        &self,
        text: &str,
        add_special_tokens: Option<bool>,
    ) -> Result<Vec<u32>, JsValue> {
        self.inner
            .model()
            .encode(text, add_special_tokens.unwrap_or(false))
            .map_err(named("ModelError"))
    }

    /// Text of token ids.
    pub fn decode(
        &self,
        ids: &[u32],
        skip_special_tokens: Option<bool>,
    ) -> Result<String, JsValue> {
        self.inner
            .model()
            .tokenizer()
            .decode(ids, skip_special_tokens.unwrap_or(true))
            .map_err(named("ModelError"))
    }

    /// A conversation rendered with the model's chat template.
    #[wasm_bindgen(js_name = renderChat)]
    pub fn render_chat(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ role: string, content: string }[]")]
        messages: JsValue,
    ) -> Result<String, JsValue> {
        let messages: Vec<Message> = from_js(messages, "messages")?;
        self.inner
            .model()
            .render_chat(&messages)
            .map_err(named("ModelError"))
    }

    /// Start a generation (runs the prefill); drive it with `next()`.
    pub async fn start(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GenPrompt")] prompt: JsValue,
        #[wasm_bindgen(unchecked_param_type = "GenOptions | undefined")] opts: JsValue,
    ) -> Result<WasmGeneration, JsValue> {
        let prompt: GenPrompt = from_js(prompt, "prompt")?;
        let o: GenOptions = from_js_opt(opts, "opts")?;
        let m = self.inner.model();
        let ids = match prompt {
            GenPrompt::Text {
                text,
                add_special_tokens,
            } => m.encode(&text, add_special_tokens),
            GenPrompt::Chat { messages } => {
                m.render_chat(&messages).and_then(|t| m.encode(&t, false))
            }
            GenPrompt::Ids { ids } => Ok(ids),
        }
        .map_err(named("ModelError"))?;
        let temperature = o.temperature.unwrap_or(0.0);
        let sampling = if temperature > 0.0 {
            Sampling::Random {
                temperature,
                top_k: o.top_k,
                top_p: o.top_p,
                seed: o.seed.unwrap_or(0),
            }
        } else {
            Sampling::Greedy
        };
        let defaults = GenerateOptions::default();
        let gen_opts = GenerateOptions {
            max_tokens: o.max_tokens.unwrap_or(defaults.max_tokens),
            stop: o.stop.unwrap_or_default(),
            sampling,
            stop_at_eos: o.stop_at_eos.unwrap_or(true),
        };
        let state = m
            .start_async(&ids, gen_opts)
            .await
            .map_err(named("ModelError"))?;
        Ok(WasmGeneration {
            model: self.inner.clone(),
            state: RefCell::new(Some(state)),
            shown: RefCell::new(String::new()),
        })
    }

    /// Log-likelihoods of `[context, continuation]` pairs (lm-eval semantics), batched.
    #[wasm_bindgen(unchecked_return_type = "LogLikelihood[]")]
    pub async fn loglikelihood(
        &self,
        #[wasm_bindgen(unchecked_param_type = "[string, string][]")] requests: JsValue,
        #[wasm_bindgen(unchecked_param_type = "LoglikOptions | undefined")] opts: JsValue,
    ) -> Result<JsValue, JsValue> {
        let reqs: Vec<(String, String)> = from_js(requests, "requests")?;
        let o: JsLoglikOptions = from_js_opt(opts, "opts")?;
        let d = LoglikOptions::default();
        let opts = LoglikOptions {
            add_special_tokens: o.add_special_tokens.unwrap_or(self.inner.add_bos),
            max_batch: o.max_batch.unwrap_or(d.max_batch),
            max_batch_tokens: o.max_batch_tokens.unwrap_or(d.max_batch_tokens),
            ..d
        };
        let out = self
            .inner
            .model()
            .loglikelihood_async(&reqs, &opts)
            .await
            .map_err(named("ModelError"))?;
        to_js(&out)
    }
}

/// One generation in progress (its KV cache lives here).
#[wasm_bindgen]
pub struct WasmGeneration {
    model: Rc<Loaded>,
    state: RefCell<Option<GenerationState>>,
    shown: RefCell<String>,
}

#[derive(Serialize)]
struct GenStep {
    token: Option<u32>,
    text: String,
    delta: String,
    rewrite: bool,
    done: bool,
    finish_reason: Option<substance_model::FinishReason>,
    n_tokens: usize,
}

#[wasm_bindgen]
impl WasmGeneration {
    /// Produce one token (or learn that the generation has ended).
    #[wasm_bindgen(unchecked_return_type = "GenStep")]
    pub async fn next(&self) -> Result<JsValue, JsValue> {
        let mut state = self.state.borrow_mut().take().ok_or_else(|| {
            js_error(
                "InputError",
                "next() called while the previous next() of this generation is still pending",
            )
        })?;
        let result = self.model.model().next_token_async(&mut state).await;
        let text = state.text().to_owned();
        let step = GenStep {
            token: None,
            text: String::new(),
            delta: String::new(),
            rewrite: false,
            done: state.is_finished(),
            finish_reason: state.finish_reason(),
            n_tokens: state.generated_ids().len(),
        };
        *self.state.borrow_mut() = Some(state);
        let token = result.map_err(named("ModelError"))?;
        let mut shown = self.shown.borrow_mut();
        let (delta, rewrite) = match text.strip_prefix(shown.as_str()) {
            Some(d) => (d.to_owned(), false),
            None => (text.clone(), true),
        };
        *shown = text.clone();
        to_js(&GenStep {
            token,
            text,
            delta,
            rewrite,
            ..step
        })
    }

    /// Decoded text so far (stop sequence excluded).
    pub fn text(&self) -> String {
        self.state
            .borrow()
            .as_ref()
            .map(|s| s.text().to_owned())
            .unwrap_or_else(|| self.shown.borrow().clone())
    }

    /// Whether the generation has ended.
    #[wasm_bindgen(js_name = isFinished)]
    pub fn is_finished(&self) -> bool {
        self.state
            .borrow()
            .as_ref()
            .is_some_and(GenerationState::is_finished)
    }

    /// Generated token ids (EOS excluded).
    #[wasm_bindgen(js_name = generatedIds)]
    pub fn generated_ids(&self) -> Vec<u32> {
        self.state
            .borrow()
            .as_ref()
            .map(|s| s.generated_ids().to_vec())
            .unwrap_or_default()
    }

    /// Prompt length in tokens (after left truncation to the context window).
    #[wasm_bindgen(js_name = promptTokens)]
    pub fn prompt_tokens(&self) -> usize {
        self.state
            .borrow()
            .as_ref()
            .map_or(0, |s| s.prompt_ids().len())
    }
}
