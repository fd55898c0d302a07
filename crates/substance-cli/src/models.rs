//! `--model SPEC` → something that answers a suite: recorded responses, a local burn model, or an
//! OpenAI-compatible endpoint. The adapters are thin: each forwards to its crate's typed API and turns
//! errors into the runner's per-item messages.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use substance_core::{ChoiceLogLik, GenerationSpec, Item, ModelInfo, Prompt, Response};
use substance_endpoint::{ClientConfig, EndpointClient, EndpointModel, NativeTransport, Secret};
use substance_runner::{LanguageModel, ReplayModel};

use crate::util::read_text;

/// Options that shape how a model spec is opened.
pub struct ModelOptions {
    /// Seed for sampled generation (recorded in the receipt).
    pub sampling_seed: u64,
    /// Environment variable holding the API key of an endpoint (default: the spec's own, e.g. OPENAI_API_KEY).
    pub api_key_env: Option<String>,
    /// Concurrent requests to an endpoint.
    pub concurrency: usize,
    /// How a local GGUF's weights are held (quantised blocks by default; `--f32-weights`).
    pub weights: substance_model::LoadOptions,
}

/// A model opened for a run, and — for a local model — the loaded weights the run's extra workers share.
pub struct Opened {
    /// The model the first worker asks.
    pub model: Box<dyn LanguageModel>,
    /// What opens another handle on the same local model for one more worker thread (the weights are
    /// shared read-only, each worker keeps its own caches); `None` for replays and endpoints.
    pub sharer: Option<Sharer>,
}

/// A local model's shared weights, handed to the extra workers of a parallel run.
pub struct Sharer {
    model: Arc<substance_model::LocalModel>,
    seed: u64,
}

impl Sharer {
    /// One more handle on the model.
    pub fn open(&self) -> Box<dyn LanguageModel> {
        Box::new(Local {
            model: Arc::clone(&self.model),
            seed: self.seed,
        })
    }
}

/// Whether a model spec is an endpoint (several connections answer at once) rather than a local model
/// or a replay (loaded once, one request at a time).
pub fn is_endpoint(spec: &str) -> bool {
    ["openai:", "http://", "https://"]
        .iter()
        .any(|p| spec.starts_with(p))
}

/// Open a model spec.
pub fn open(spec: &str, opts: &ModelOptions) -> Result<Box<dyn LanguageModel>> {
    open_run(spec, opts).map(|o| o.model)
}

/// Open a model spec for a run whose extra workers may share a local model ([`Opened::another`]).
pub fn open_run(spec: &str, opts: &ModelOptions) -> Result<Opened> {
    if spec.starts_with("gguf:") || spec.starts_with("hf:") {
        let device = burn::tensor::Device::flex();
        errln!("loading {spec} on the CPU (burn Flex)…");
        let model = Arc::new(
            load_local(spec, &device, opts.weights)
                .with_context(|| format!("cannot load {spec}"))?,
        );
        errln!("  weights: {}", model.model().meta().numeric);
        let sharer = Sharer {
            model,
            seed: opts.sampling_seed,
        };
        return Ok(Opened {
            model: sharer.open(),
            sharer: Some(sharer),
        });
    }
    open_remote(spec, opts).map(|model| Opened {
        model,
        sharer: None,
    })
}

/// Replays and endpoints.
fn open_remote(spec: &str, opts: &ModelOptions) -> Result<Box<dyn LanguageModel>> {
    if let Some(path) = spec.strip_prefix("replay:") {
        let p = Path::new(path);
        return Ok(Box::new(ReplayModel::parse(
            &read_text(p)?,
            &p.display().to_string(),
        )?));
    }
    if is_endpoint(spec) {
        let parsed = substance_endpoint::ModelSpec::parse(spec)?;
        let mut config = ClientConfig::new(parsed.base_url.clone());
        config.concurrency = opts.concurrency.max(1);
        let var = opts.api_key_env.clone().or(parsed.default_key_var.clone());
        if let Some(var) = var {
            match std::env::var(&var) {
                Ok(k) if !k.is_empty() => config.api_key = Some(Secret::new(k)),
                _ if opts.api_key_env.is_some() => {
                    bail!("environment variable {var} (the API key) is not set")
                }
                _ => errln!("note: {var} is not set; sending no API key"),
            }
        }
        let client = EndpointClient::new(config, NativeTransport::new());
        let model = EndpointModel::new(client, parsed.model.clone(), parsed.id.clone());
        return Ok(Box::new(Endpoint {
            model,
            seed: opts.sampling_seed,
        }));
    }
    bail!(
        "unknown model spec `{spec}`: use replay:FILE, gguf:PATH, hf:DIR, hf:ORG/NAME[@REV], openai:NAME or \
         http(s)://HOST:PORT/v1#NAME"
    )
}

/// Load a local model spec (`gguf:PATH`, `hf:DIR`, `hf:ORG/NAME`). A hub model the cache lacks is
/// downloaded (`HF_ENDPOINT`, `HF_TOKEN`, `HF_HUB_OFFLINE`, `SUBSTANCE_MODELS`), with a message naming
/// the cache folder and a progress bar per file on stderr.
pub fn load_local(
    spec: &str,
    device: &burn::tensor::Device,
    weights: substance_model::LoadOptions,
) -> Result<substance_model::LocalModel, substance_model::ModelError> {
    use indicatif::{ProgressBar, ProgressStyle};
    use substance_model::hub::{HubEvent, HubOptions};

    let opts = HubOptions::from_env();
    let mut announced = false;
    let mut bar: Option<ProgressBar> = None;
    let mut on_event = |e: HubEvent<'_>| match e {
        HubEvent::Start { file, total } => {
            if !announced {
                announced = true;
                errln!(
                    "{spec} is not fully cached: downloading from {} into {}",
                    opts.endpoint,
                    opts.cache_dir.display()
                );
            }
            let pb = match total {
                Some(n) => ProgressBar::new(n).with_style(
                    ProgressStyle::with_template(
                        "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                ),
                None => ProgressBar::new_spinner(),
            };
            pb.set_message(crate::term::escape(file).into_owned());
            bar = Some(pb);
        }
        HubEvent::Progress { done, .. } => {
            if let Some(pb) = &bar {
                pb.set_position(done);
            }
        }
        HubEvent::Done {
            file,
            bytes,
            sha256_checked,
        } => {
            if let Some(pb) = bar.take() {
                pb.finish_and_clear();
            }
            let check = if sha256_checked {
                "sha256 verified"
            } else {
                "no digest from the hub"
            };
            errln!("  {file}: {bytes} bytes, {check}");
        }
        HubEvent::Absent { file } => errln!("  {file}: not in the repository (optional)"),
    };
    let model =
        substance_model::LocalModel::load_with_options(spec, device, &opts, &mut on_event, weights);
    if let Some(pb) = bar.take() {
        pb.abandon();
    }
    if let Ok(m) = &model {
        for w in &m.model().meta().warnings {
            errln!("warning: {w}");
        }
    }
    model
}

struct Local {
    model: Arc<substance_model::LocalModel>,
    seed: u64,
}

impl LanguageModel for Local {
    fn info(&self) -> ModelInfo {
        self.model.info()
    }
    fn loglikelihood(
        &mut self,
        _: &Item,
        requests: &[[String; 2]],
    ) -> Result<Vec<ChoiceLogLik>, String> {
        self.model
            .loglikelihood(requests)
            .map_err(|e| e.to_string())
    }
    fn generate(
        &mut self,
        _: &Item,
        prompt: &Prompt,
        settings: &GenerationSpec,
    ) -> Result<Response, String> {
        self.model
            .generate(prompt, settings, self.seed)
            .map_err(|e| e.to_string())
    }
}

struct Endpoint {
    model: EndpointModel<NativeTransport>,
    seed: u64,
}

impl LanguageModel for Endpoint {
    fn info(&self) -> ModelInfo {
        self.model.info()
    }
    fn loglikelihood(
        &mut self,
        _: &Item,
        requests: &[[String; 2]],
    ) -> Result<Vec<ChoiceLogLik>, String> {
        self.model
            .loglikelihood(requests)
            .map_err(|e| e.to_string())
    }
    fn generate(
        &mut self,
        _: &Item,
        prompt: &Prompt,
        settings: &GenerationSpec,
    ) -> Result<Response, String> {
        self.model
            .generate(prompt, settings, self.seed)
            .map_err(|e| e.to_string())
    }
}
