//! Loading models: Hugging Face folders (or their files as bytes), GGUF files, and spec strings.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use burn::tensor::Device;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::config::{GenerationConfig, TokenIds, bad, parse_json};
use crate::error::{ModelError, Result};
use crate::gpt2::{Gpt2, Gpt2Config};
use crate::llama::{Llama, LlamaConfig};
use crate::lm::CausalLm;
use crate::opt::{Opt, OptConfig};
use crate::runtime::{Model, ModelMeta};
use crate::tokenizer::Tokenizer;
use crate::weights::{SafetensorsSource, TensorSource, WeightMap};

/// How a model's weights are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Keep a GGUF file's quantised matrices in their blocks and multiply them with
    /// `substance-quant`'s kernels (16-bit activations; CPU only — on a GPU every tensor is f32).
    /// Off: every tensor is dequantised to f32, the reference path at parity with transformers.
    pub quantized: bool,
}

impl Default for LoadOptions {
    /// Quantised weights stay quantised.
    fn default() -> Self {
        Self { quantized: true }
    }
}

impl LoadOptions {
    /// Every tensor dequantised to f32.
    pub fn f32() -> Self {
        Self { quantized: false }
    }
}

/// The files of a Hugging Face model folder, as bytes (the browser passes these).
#[derive(Debug, Clone, Copy)]
pub struct HfFiles<'a> {
    /// `config.json`.
    pub config: &'a [u8],
    /// `model.safetensors`.
    pub weights: &'a [u8],
    /// `tokenizer.json`.
    pub tokenizer: &'a [u8],
    /// `generation_config.json`, if any.
    pub generation_config: Option<&'a [u8]>,
    /// `tokenizer_config.json`, if any (for its `chat_template`).
    pub tokenizer_config: Option<&'a [u8]>,
}

#[derive(Deserialize)]
struct ModelType {
    #[serde(default)]
    model_type: Option<String>,
}

#[derive(Deserialize)]
struct TokenizerConfig {
    #[serde(default)]
    chat_template: Option<serde_json::Value>,
}

/// SHA-256 (hex) of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| bad(file, "-", format!("not UTF-8: {e}")))
}

impl Model {
    /// Load a Hugging Face model from its files' bytes. `id` names the model in receipts.
    pub fn from_hf_bytes(id: &str, files: HfFiles<'_>, device: &Device) -> Result<Self> {
        let src = SafetensorsSource::parse("model.safetensors", files.weights)?;
        Self::from_hf_source(id, files, &src, sha256_hex(files.weights), device)
    }

    /// [`Model::from_hf_bytes`] with the weights read from `src` (`files.weights` is not used) and their
    /// SHA-256 given (it names the weights in receipts): for weights read tensor by tensor, from a file
    /// or from a buffer the model's memory does not hold.
    pub fn from_hf_source(
        id: &str,
        files: HfFiles<'_>,
        src: &dyn TensorSource,
        weights_sha256: String,
        device: &Device,
    ) -> Result<Self> {
        let cfg_text = utf8("config.json", files.config)?;
        let kind: ModelType = parse_json("config.json", cfg_text)?;
        let mut w = WeightMap::new(src, device);
        let (lm, ids): (Box<dyn CausalLm>, [TokenIds; 2]) = match kind.model_type.as_deref() {
            Some("opt") => {
                let c: OptConfig = parse_json("config.json", cfg_text)?;
                let ids = [c.bos_token_id.clone(), c.eos_token_id.clone()];
                (Box::new(Opt::load(c, &mut w)?), ids)
            }
            Some("gpt2") => {
                let c: Gpt2Config = parse_json("config.json", cfg_text)?;
                let ids = [c.bos_token_id.clone(), c.eos_token_id.clone()];
                (Box::new(Gpt2::load(c, &mut w)?), ids)
            }
            Some("llama") => {
                let c: LlamaConfig = parse_json("config.json", cfg_text)?;
                let ids = [c.bos_token_id.clone(), c.eos_token_id.clone()];
                (Box::new(Llama::load(c, &mut w)?), ids)
            }
            Some(other) => {
                return Err(bad(
                    "config.json",
                    "model_type",
                    format!("architecture `{other}` is not supported (opt, gpt2, llama)"),
                ));
            }
            None => return Err(bad("config.json", "model_type", "missing")),
        };
        let generation: GenerationConfig = match files.generation_config {
            Some(b) => parse_json("generation_config.json", utf8("generation_config.json", b)?)?,
            None => GenerationConfig::default(),
        };
        let chat_template = match files.tokenizer_config {
            Some(b) => {
                let tc: TokenizerConfig =
                    parse_json("tokenizer_config.json", utf8("tokenizer_config.json", b)?)?;
                tc.chat_template.and_then(template_text)
            }
            None => None,
        };
        let tokenizer = Tokenizer::from_json_bytes("tokenizer.json", files.tokenizer)?;
        let [bos, eos] = ids;
        let eos = if generation.eos_token_id != TokenIds::None {
            generation.eos_token_id.to_vec()
        } else {
            eos.to_vec()
        };
        let bos = generation.bos_token_id.first().or(bos.first());
        // As transformers does, tensors the architecture does not use are a warning, not an error
        // (checkpoints carry buffers such as `attn.masked_bias` or an extra head).
        let warnings = w
            .unused()
            .into_iter()
            .map(|n| {
                format!(
                    "{}: tensor `{n}` is not used by the {} architecture (ignored)",
                    src.file(),
                    lm.architecture().name()
                )
            })
            .collect();
        let meta = ModelMeta {
            id: id.to_owned(),
            weights_sha256,
            architecture: lm.architecture().name().to_owned(),
            source: "hf-safetensors".to_owned(),
            numeric: "f32".to_owned(),
            warnings,
        };
        Self::assemble(lm, tokenizer, chat_template, eos, bos, meta)
    }

    pub(crate) fn assemble(
        lm: Box<dyn CausalLm>,
        tokenizer: Tokenizer,
        chat_template: Option<String>,
        eos: Vec<u32>,
        bos: Option<u32>,
        meta: ModelMeta,
    ) -> Result<Self> {
        if tokenizer.vocab_size() > lm.vocab_size() {
            return Err(ModelError::Tokenizer {
                file: tokenizer.origin().to_owned(),
                message: format!(
                    "{} tokenizer entries but the model has only {} embedding rows",
                    tokenizer.vocab_size(),
                    lm.vocab_size()
                ),
            });
        }
        for &id in eos.iter().chain(bos.iter()) {
            if id as usize >= lm.vocab_size() {
                return Err(ModelError::TokenOutOfRange {
                    id,
                    vocab: lm.vocab_size(),
                });
            }
        }
        Ok(Self {
            lm,
            tokenizer,
            chat_template,
            eos,
            bos,
            meta,
        })
    }
}

/// `chat_template` in tokenizer_config.json is a string or a list of `{name, template}`.
fn template_text(v: serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Array(items) => items.iter().find_map(|it| {
            (it.get("name")?.as_str()? == "default")
                .then(|| it.get("template")?.as_str().map(str::to_owned))
                .flatten()
        }),
        _ => None,
    }
}

/// Where a model comes from, as written on the command line.
///
/// - `gguf:PATH` — a GGUF file.
/// - `hf:DIR` — a local Hugging Face folder (`config.json`, `model.safetensors`, `tokenizer.json`,
///   optionally `generation_config.json` and `tokenizer_config.json`).
/// - `hf:ORG/NAME` — a model on the Hugging Face hub, kept in the cache folder
///   `$SUBSTANCE_MODELS/hf/ORG/NAME` (default `models/hf/ORG/NAME`). Natively, with the `hub` feature
///   (on by default), [`Model::load`] downloads what the cache lacks from `$HF_ENDPOINT` (default
///   `https://huggingface.co`, revision `main`, `$HF_TOKEN` as bearer token) — see [`crate::hub`]; a
///   complete cached folder is used without any request. No network, `HF_HUB_OFFLINE=1`, or a build
///   without downloads (wasm32) → [`ModelError::Offline`], naming the folder to place the files in.
///
/// `hf:` followed by exactly `ORG/NAME` (no leading `/` or `.`) parses as a hub name; at load time a
/// local folder of that relative path, if it holds a `config.json`, is used first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSpec {
    /// `gguf:PATH`.
    Gguf(PathBuf),
    /// `hf:DIR`.
    HfDir(PathBuf),
    /// `hf:ORG/NAME` or `hf:ORG/NAME@REVISION` (a branch, tag or commit: pinning it makes a receipt's
    /// model id name exactly the weights it scored).
    HfHub {
        /// Organisation.
        org: String,
        /// Model name.
        name: String,
        /// Revision when given (`main` otherwise).
        revision: Option<String>,
    },
}

fn hub_part(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl FromStr for ModelSpec {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self> {
        let err = |message: &str| ModelError::Spec {
            spec: s.to_owned(),
            message: message.to_owned(),
        };
        if let Some(path) = s.strip_prefix("gguf:") {
            if path.is_empty() {
                return Err(err("missing path after `gguf:`"));
            }
            return Ok(Self::Gguf(PathBuf::from(path)));
        }
        if let Some(rest) = s.strip_prefix("hf:") {
            if rest.is_empty() {
                return Err(err("missing folder or ORG/NAME after `hf:`"));
            }
            let (repo, revision) = match rest.split_once('@') {
                Some((repo, rev)) => (repo, Some(rev)),
                None => (rest, None),
            };
            let parts: Vec<&str> = repo.split('/').collect();
            if parts.len() == 2 && parts.iter().all(|p| hub_part(p)) {
                if revision.is_some_and(|r| !valid_revision(r)) {
                    return Err(err(
                        "a revision after `@` is a branch, tag or commit: letters, digits, `.`, `_`, `-` \
                         and `/`, without `..`",
                    ));
                }
                return Ok(Self::HfHub {
                    org: parts[0].to_owned(),
                    name: parts[1].to_owned(),
                    revision: revision.map(str::to_owned),
                });
            }
            return Ok(Self::HfDir(PathBuf::from(rest)));
        }
        Err(err("expected `gguf:PATH`, `hf:DIR` or `hf:ORG/NAME`"))
    }
}

impl std::fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Gguf(p) => write!(f, "gguf:{}", p.display()),
            Self::HfDir(p) => write!(f, "hf:{}", p.display()),
            Self::HfHub {
                org,
                name,
                revision: None,
            } => write!(f, "hf:{org}/{name}"),
            Self::HfHub {
                org,
                name,
                revision: Some(r),
            } => write!(f, "hf:{org}/{name}@{r}"),
        }
    }
}

impl ModelSpec {
    /// The spec as a receipt records it: a local file or folder by its own name only (`gguf:x.gguf`,
    /// `hf:my-model`), never the path that leads to it, which would publish the user's directory names
    /// (the weights' sha256 beside it identifies the file); a hub name as written (`hf:ORG/NAME@REV`).
    pub fn public_id(&self) -> String {
        let leaf = |p: &Path| {
            // `hf:.` or `hf:models/x/` name their folder through the canonical path.
            let named = p.file_name().map(|n| n.to_string_lossy().into_owned());
            named
                .or_else(|| {
                    std::fs::canonicalize(p)
                        .ok()
                        .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
                })
                .unwrap_or_else(|| "model".to_owned())
        };
        match self {
            Self::Gguf(p) => format!("gguf:{}", leaf(p)),
            Self::HfDir(p) => format!("hf:{}", leaf(p)),
            Self::HfHub { .. } => self.to_string(),
        }
    }
}

/// Branch and tag names a hub revision may use: letters, digits, `.`, `_`, `-` and `/` (no `..`, no
/// leading `/`), so a revision cannot step out of the cache folder or the URL path.
pub fn valid_revision(revision: &str) -> bool {
    !revision.is_empty()
        && !revision.contains("..")
        && !revision.starts_with('/')
        && revision
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
}

/// The cache folder name of hub model `name` at `revision`: `NAME` for `main`, else `NAME@REVISION`
/// (with `/` written `--`).
pub fn hub_cache_leaf(name: &str, revision: &str) -> String {
    if revision == "main" {
        name.to_owned()
    } else {
        format!("{name}@{}", revision.replace('/', "--"))
    }
}

/// The models folder: `$SUBSTANCE_MODELS`, else `models`.
pub fn models_dir() -> PathBuf {
    std::env::var_os("SUBSTANCE_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("models"))
}

/// The cache folder of a hub model at revision `main`: `models_dir()/hf/ORG/NAME`.
pub fn hub_cache_dir(org: &str, name: &str) -> PathBuf {
    models_dir().join("hf").join(org).join(name)
}

/// Whether a model folder holds the files a load needs (`config.json`, `tokenizer.json`,
/// `model.safetensors` or a shard index). A download renames the weights in last, so an interrupted
/// one is incomplete.
pub fn is_complete_dir(dir: &Path) -> bool {
    ["config.json", "tokenizer.json"]
        .iter()
        .all(|f| dir.join(f).is_file())
        && (dir.join("model.safetensors").is_file()
            || dir.join(crate::weights::SHARD_INDEX).is_file())
}

impl ModelSpec {
    /// A relative folder `ORG/NAME` holding a `config.json` (used before the cache).
    fn local_hub_folder(org: &str, name: &str) -> Option<PathBuf> {
        let rel = Path::new(org).join(name);
        rel.join("config.json").is_file().then_some(rel)
    }

    /// The local path this spec reads, without touching the network: a hub name resolves to a local
    /// `ORG/NAME` folder or its complete cache folder, and is otherwise [`ModelError::Offline`].
    pub fn resolve(&self) -> Result<PathBuf> {
        match self {
            Self::Gguf(p) | Self::HfDir(p) => Ok(p.clone()),
            Self::HfHub {
                org,
                name,
                revision,
            } => {
                if revision.is_none() {
                    if let Some(rel) = Self::local_hub_folder(org, name) {
                        return Ok(rel);
                    }
                }
                let leaf = hub_cache_leaf(name, revision.as_deref().unwrap_or("main"));
                let dir = models_dir().join("hf").join(org).join(leaf);
                if is_complete_dir(&dir) {
                    Ok(dir)
                } else {
                    Err(ModelError::Offline {
                        name: format!("{org}/{name}"),
                        dir: dir.display().to_string(),
                        reason: "this build does not download from the hub".to_owned(),
                    })
                }
            }
        }
    }

    /// The local path this spec reads, downloading a hub model into `opts.cache_dir` when it is not
    /// there yet (see [`crate::hub`]); `progress` hears about each file.
    #[cfg(all(feature = "hub", not(target_arch = "wasm32")))]
    pub fn fetch(
        &self,
        opts: &crate::hub::HubOptions,
        progress: &mut dyn FnMut(crate::hub::HubEvent<'_>),
    ) -> Result<PathBuf> {
        match self {
            Self::Gguf(p) | Self::HfDir(p) => Ok(p.clone()),
            Self::HfHub {
                org,
                name,
                revision: None,
            } => match Self::local_hub_folder(org, name) {
                Some(rel) => Ok(rel),
                None => crate::hub::fetch(org, name, opts, progress),
            },
            Self::HfHub {
                org,
                name,
                revision: Some(r),
            } => {
                let opts = crate::hub::HubOptions {
                    revision: r.clone(),
                    ..opts.clone()
                };
                crate::hub::fetch(org, name, &opts, progress)
            }
        }
    }
}

/// SHA-256 (hex) of a file, streamed ([`crate::weights::sha256_of`]).
#[cfg(not(target_arch = "wasm32"))]
fn sha256_file(path: &Path) -> Result<String> {
    let io = |source| ModelError::Io {
        path: path.display().to_string(),
        source,
    };
    let f = crate::weights::FileBytes::open(path).map_err(io)?;
    crate::weights::sha256_of(&f).map_err(io)
}

#[cfg(not(target_arch = "wasm32"))]
fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| ModelError::Io {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(not(target_arch = "wasm32"))]
fn read_opt(path: &Path) -> Result<Option<Vec<u8>>> {
    if path.is_file() {
        read(path).map(Some)
    } else {
        Ok(None)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Model {
    /// Load a Hugging Face folder. `model.safetensors` is read tensor by tensor
    /// ([`SafetensorsFile`](crate::weights::SafetensorsFile)), never whole, so loading peaks at about
    /// the weights' size rather than twice it.
    ///
    /// A sharded checkpoint (no `model.safetensors`, a `model.safetensors.index.json`) is read through
    /// its index ([`ShardIndex`](crate::weights::ShardIndex): every shard a plain file name inside
    /// `dir`). Its weights sha256 is that of the `sha256sum`-style lines `HEX  NAME` of the index and of
    /// every shard, in byte order of the file names — what
    /// `LC_ALL=C sha256sum model.safetensors.index.json model-*.safetensors | sha256sum` prints when
    /// the shards are named as transformers names them.
    pub fn from_hf_dir(dir: &Path, id: &str, device: &Device) -> Result<Self> {
        let config = read(&dir.join("config.json"))?;
        let weights_path = dir.join("model.safetensors");
        let index_path = dir.join(crate::weights::SHARD_INDEX);
        if !weights_path.is_file() && index_path.is_file() {
            let index_bytes = read(&index_path)?;
            let index = crate::weights::ShardIndex::parse(utf8(
                crate::weights::SHARD_INDEX,
                &index_bytes,
            )?)?;
            let mut lines = vec![(
                crate::weights::SHARD_INDEX.to_owned(),
                sha256_hex(&index_bytes),
            )];
            let mut shards = Vec::new();
            for name in index.shards() {
                let path = dir.join(name);
                shards.push((
                    name.to_owned(),
                    crate::weights::SafetensorsFile::open(&path)?,
                ));
                lines.push((name.to_owned(), sha256_file(&path)?));
            }
            lines.sort();
            let listing: String = lines
                .iter()
                .map(|(name, hex)| format!("{hex}  {name}\n"))
                .collect();
            let src = crate::weights::ShardedSource::new(&index, shards)?;
            return Self::from_hf_parts(
                dir,
                id,
                &config,
                &src,
                sha256_hex(listing.as_bytes()),
                device,
            );
        }
        let src = crate::weights::SafetensorsFile::open(&weights_path)?;
        let weights_sha256 = sha256_file(&weights_path)?;
        Self::from_hf_parts(dir, id, &config, &src, weights_sha256, device)
    }

    /// The rest of [`Model::from_hf_dir`] once the weights are open: tokenizer and optional configs.
    fn from_hf_parts(
        dir: &Path,
        id: &str,
        config: &[u8],
        src: &dyn TensorSource,
        weights_sha256: String,
        device: &Device,
    ) -> Result<Self> {
        let tokenizer = read(&dir.join("tokenizer.json"))?;
        let generation_config = read_opt(&dir.join("generation_config.json"))?;
        let tokenizer_config = read_opt(&dir.join("tokenizer_config.json"))?;
        Self::from_hf_source(
            id,
            HfFiles {
                config,
                weights: &[],
                tokenizer: &tokenizer,
                generation_config: generation_config.as_deref(),
                tokenizer_config: tokenizer_config.as_deref(),
            },
            src,
            weights_sha256,
            device,
        )
    }

    /// Load what a spec names. A hub model not yet cached is downloaded with
    /// [`HubOptions::from_env`](crate::hub::HubOptions::from_env) (with the `hub` feature; without
    /// it, it is [`ModelError::Offline`]).
    pub fn load(spec: &ModelSpec, device: &Device) -> Result<Self> {
        #[cfg(feature = "hub")]
        let path = spec.fetch(&crate::hub::HubOptions::from_env(), &mut |_| {})?;
        #[cfg(not(feature = "hub"))]
        let path = spec.resolve()?;
        Self::load_path(spec, &path, device, LoadOptions::default())
    }

    /// Load what a spec names, downloading a hub model with explicit options and a progress callback.
    #[cfg(feature = "hub")]
    pub fn load_with_hub(
        spec: &ModelSpec,
        device: &Device,
        opts: &crate::hub::HubOptions,
        progress: &mut dyn FnMut(crate::hub::HubEvent<'_>),
    ) -> Result<Self> {
        Self::load_with_options(spec, device, opts, progress, LoadOptions::default())
    }

    /// [`Model::load_with_hub`] with explicit load options.
    #[cfg(feature = "hub")]
    pub fn load_with_options(
        spec: &ModelSpec,
        device: &Device,
        opts: &crate::hub::HubOptions,
        progress: &mut dyn FnMut(crate::hub::HubEvent<'_>),
        load: LoadOptions,
    ) -> Result<Self> {
        let path = spec.fetch(opts, progress)?;
        Self::load_path(spec, &path, device, load)
    }

    fn load_path(
        spec: &ModelSpec,
        path: &Path,
        device: &Device,
        opts: LoadOptions,
    ) -> Result<Self> {
        let id = spec.public_id();
        match spec {
            ModelSpec::Gguf(_) => Self::from_gguf_file_with(path, &id, device, opts),
            ModelSpec::HfDir(_) | ModelSpec::HfHub { .. } => Self::from_hf_dir(path, &id, device),
        }
    }

    /// Load a GGUF file. It is read by range ([`Model::from_gguf_source`]): the header, then one
    /// tensor at a time, never the whole file into memory.
    pub fn from_gguf_file(path: &Path, id: &str, device: &Device) -> Result<Self> {
        Self::from_gguf_file_with(path, id, device, LoadOptions::default())
    }

    /// [`Model::from_gguf_file`] with explicit options.
    pub fn from_gguf_file_with(
        path: &Path,
        id: &str,
        device: &Device,
        opts: LoadOptions,
    ) -> Result<Self> {
        let bytes = crate::weights::FileBytes::open(path).map_err(|source| ModelError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let weights_sha256 =
            crate::weights::sha256_of(&bytes).map_err(|source| ModelError::Io {
                path: path.display().to_string(),
                source,
            })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        Self::from_gguf_source(&name, id, &bytes, weights_sha256, device, opts)
    }
}

impl Model {
    /// Load a GGUF file's bytes (`file` names it in errors; `id` names the model in receipts).
    ///
    /// Only the `llama` architecture is read from GGUF. The tokenizer is rebuilt from the
    /// `tokenizer.ggml.*` metadata by `substance-gguf` (llama.cpp's pre-tokenizer flavour, which is also
    /// the original model's `tokenizer.json`), the chat template is `tokenizer.chat_template`, and the
    /// special ids are `tokenizer.ggml.{bos,eos}_token_id`.
    ///
    /// On the CPU the file's quantised matrices stay quantised ([`LoadOptions::default`]); use
    /// [`Model::from_gguf_bytes_with`] and [`LoadOptions::f32`] for the f32 reference path.
    pub fn from_gguf_bytes(file: &str, id: &str, bytes: &[u8], device: &Device) -> Result<Self> {
        Self::from_gguf_bytes_with(file, id, bytes, device, LoadOptions::default())
    }

    /// [`Model::from_gguf_bytes`] with explicit options.
    pub fn from_gguf_bytes_with(
        file: &str,
        id: &str,
        bytes: &[u8],
        device: &Device,
        opts: LoadOptions,
    ) -> Result<Self> {
        let gguf = substance_gguf::Gguf::parse(bytes).map_err(|source| ModelError::Gguf {
            file: file.to_owned(),
            source,
        })?;
        let src = crate::gguf::GgufSource::new(file, &gguf)?;
        Self::from_gguf_parsed(file, id, &gguf, &src, sha256_hex(bytes), device, opts)
    }

    /// A GGUF file read by range from `bytes` (a file on disk, the page's downloaded buffer): its header
    /// first ([`crate::gguf::read_header`]), then each tensor when the loader takes it, so loading holds
    /// the model's weights and one tensor's bytes besides, never the file whole. `weights_sha256` is the
    /// file's SHA-256 (hex), computed by the caller as it streams the file. Otherwise as
    /// [`Model::from_gguf_bytes_with`], with the same errors.
    pub fn from_gguf_source(
        file: &str,
        id: &str,
        bytes: &dyn crate::weights::ByteSource,
        weights_sha256: String,
        device: &Device,
        opts: LoadOptions,
    ) -> Result<Self> {
        let prefix = crate::gguf::read_header(file, bytes)?;
        let gguf =
            substance_gguf::Gguf::parse_prefix(&prefix, bytes.byte_len()).map_err(|source| {
                ModelError::Gguf {
                    file: file.to_owned(),
                    source,
                }
            })?;
        let src = crate::gguf::GgufSource::ranged(file, &gguf, bytes)?;
        Self::from_gguf_parsed(file, id, &gguf, &src, weights_sha256, device, opts)
    }

    fn from_gguf_parsed(
        file: &str,
        id: &str,
        gguf: &substance_gguf::Gguf<'_>,
        src: &crate::gguf::GgufSource<'_>,
        weights_sha256: String,
        device: &Device,
        opts: LoadOptions,
    ) -> Result<Self> {
        let config = src.llama_config()?;
        let bos = config.bos_token_id.first();
        let eos = config.eos_token_id.to_vec();
        let mut w = WeightMap::new(src, device).with_quantized(opts.quantized);
        let lm = Llama::load(config, &mut w)?;
        w.finish()?;
        let tokenizer_json =
            substance_gguf::hf_tokenizer_json(gguf).map_err(|source| ModelError::Gguf {
                file: file.to_owned(),
                source,
            })?;
        let tokenizer = Tokenizer::from_json_bytes(file, tokenizer_json.as_bytes())?;
        let chat_template = substance_gguf::chat_template(gguf).map(str::to_owned);
        let meta = ModelMeta {
            id: id.to_owned(),
            weights_sha256,
            architecture: lm.architecture().name().to_owned(),
            source: "gguf".to_owned(),
            numeric: lm.numeric(),
            warnings: Vec::new(),
        };
        Self::assemble(Box::new(lm), tokenizer, chat_template, eos, bos, meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_strings_parse() {
        assert_eq!(
            "gguf:models/x.gguf".parse::<ModelSpec>().unwrap(),
            ModelSpec::Gguf("models/x.gguf".into())
        );
        assert_eq!(
            "hf:HuggingFaceTB/SmolLM2-135M"
                .parse::<ModelSpec>()
                .unwrap(),
            ModelSpec::HfHub {
                org: "HuggingFaceTB".into(),
                name: "SmolLM2-135M".into(),
                revision: None,
            }
        );
        assert_eq!(
            "hf:HuggingFaceTB/SmolLM2-135M@refs/pr/3"
                .parse::<ModelSpec>()
                .unwrap(),
            ModelSpec::HfHub {
                org: "HuggingFaceTB".into(),
                name: "SmolLM2-135M".into(),
                revision: Some("refs/pr/3".into()),
            }
        );
        assert_eq!(
            "hf:./tests/fixtures/models/tiny-opt"
                .parse::<ModelSpec>()
                .unwrap(),
            ModelSpec::HfDir("./tests/fixtures/models/tiny-opt".into())
        );
        assert_eq!(
            "hf:/abs/dir".parse::<ModelSpec>().unwrap(),
            ModelSpec::HfDir("/abs/dir".into())
        );
        for bad in [
            "",
            "gguf:",
            "hf:",
            "onnx:x",
            "x.gguf",
            "hf:org/name@",
            "hf:org/name@../../etc",
            "hf:org/name@/abs",
            "hf:org/name@a b",
        ] {
            assert!(bad.parse::<ModelSpec>().is_err(), "{bad}");
        }
        for s in ["hf:org/name", "hf:org/name@v1.0", "hf:org/name@0a1b2c3d"] {
            assert_eq!(s.parse::<ModelSpec>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn a_pinned_revision_has_its_own_cache_folder() {
        let spec: ModelSpec = "hf:no-such-org-xyz/no-such-model@v2/x".parse().unwrap();
        let msg = spec.resolve().unwrap_err().to_string();
        let dir = models_dir().join("hf/no-such-org-xyz/no-such-model@v2--x");
        assert!(msg.contains(&dir.display().to_string()), "{msg}");
    }

    #[test]
    fn hub_names_are_offline_errors_naming_the_folder() {
        let spec: ModelSpec = "hf:no-such-org-xyz/no-such-model".parse().unwrap();
        let e = spec.resolve().unwrap_err();
        assert!(matches!(e, ModelError::Offline { .. }));
        let msg = e.to_string();
        let dir = hub_cache_dir("no-such-org-xyz", "no-such-model");
        assert!(
            msg.contains("offline")
                && msg.contains("no-such-org-xyz/no-such-model")
                && msg.contains(&dir.display().to_string()),
            "{msg}"
        );
    }
}
