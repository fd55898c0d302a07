//! `--model SPEC` → something that answers a suite: recorded responses, a local burn model, or an
//! OpenAI-compatible endpoint. The adapters are thin: each forwards to its crate's typed API and turns
//! errors into the runner's per-item messages.

use std::path::Path;

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
}

/// Open a model spec.
pub fn open(spec: &str, opts: &ModelOptions) -> Result<Box<dyn LanguageModel>> {
    if let Some(path) = spec.strip_prefix("replay:") {
        let p = Path::new(path);
        return Ok(Box::new(ReplayModel::parse(
            &read_text(p)?,
            &p.display().to_string(),
        )?));
    }
    if spec.starts_with("gguf:") || spec.starts_with("hf:") {
        let device = burn::tensor::Device::flex();
        eprintln!("loading {spec} on the CPU (burn Flex)…");
        let model = substance_model::LocalModel::load(spec, &device)
            .with_context(|| format!("cannot load {spec}"))?;
        return Ok(Box::new(Local {
            model,
            seed: opts.sampling_seed,
        }));
    }
    if spec.starts_with("openai:") || spec.starts_with("http://") || spec.starts_with("https://") {
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
                _ => eprintln!("note: {var} is not set; sending no API key"),
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
        "unknown model spec `{spec}`: use replay:FILE, gguf:PATH, hf:DIR, hf:ORG/NAME, openai:NAME or \
         http(s)://HOST:PORT/v1#NAME"
    )
}

struct Local {
    model: substance_model::LocalModel,
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
