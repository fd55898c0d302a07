//! The adapter the run loop uses: a loaded model speaking `substance-core`'s request/response types.

use substance_core::{ChoiceLogLik, GenerationSpec, ModelInfo, Prompt, Response};

use crate::error::{ModelError, Result};
use crate::runtime::{GenerateOptions, LoglikOptions, Model};
use crate::sampling::Sampling;

/// A local model as `substance-runner`'s `LanguageModel` needs it.
///
/// Prompts are encoded as lm-eval's `HFLM` does by default (`add_bos_token=False`): the tokenizer's
/// post-processor is **not** run, so OPT gets no `</s>` prefix, for log-likelihoods and generations alike.
/// [`LocalModel::with_special_tokens`] turns it on (lm-eval `add_bos_token=True`). Chat prompts are
/// rendered with the model's chat template and encoded without added specials (the template carries them).
#[derive(Debug)]
pub struct LocalModel {
    model: Model,
    add_special_tokens: bool,
    loglik: LoglikOptions,
    backend: String,
}

impl LocalModel {
    /// Wrap a loaded model.
    pub fn new(model: Model) -> Self {
        let backend = format!("{:?}", model.lm().device());
        Self {
            model,
            add_special_tokens: false,
            loglik: LoglikOptions::default(),
            backend,
        }
    }

    /// Run the tokenizer's post-processor (BOS) on prompts (lm-eval `add_bos_token=True`).
    pub fn with_special_tokens(mut self, on: bool) -> Self {
        self.add_special_tokens = on;
        self.loglik.add_special_tokens = on;
        self
    }

    /// Batching of log-likelihood requests.
    pub fn with_loglik_options(mut self, opts: LoglikOptions) -> Self {
        self.loglik = LoglikOptions {
            add_special_tokens: self.add_special_tokens,
            ..opts
        };
        self
    }

    /// The wrapped model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Identity for the receipt header: id, weights sha256 and provenance.
    pub fn info(&self) -> ModelInfo {
        let m = self.model.meta();
        ModelInfo {
            id: m.id.clone(),
            weights_sha256: Some(m.weights_sha256.clone()),
            // the numeric path is named when it is not the f32 reference (whose receipts keep their
            // earlier form, so they re-run to the same header)
            source: Some(format!(
                "substance-model {} ({}; {}; {}{})",
                env!("CARGO_PKG_VERSION"),
                m.architecture,
                m.source,
                self.backend,
                if m.numeric == "f32" {
                    String::new()
                } else {
                    format!("; {}", m.numeric)
                }
            )),
        }
    }

    /// Log-likelihood of each `[context, continuation]` pair (lm-eval semantics).
    pub async fn loglikelihood_async(&self, requests: &[[String; 2]]) -> Result<Vec<ChoiceLogLik>> {
        let reqs: Vec<(String, String)> = requests
            .iter()
            .map(|[c, x]| (c.clone(), x.clone()))
            .collect();
        Ok(self
            .model
            .loglikelihood_async(&reqs, &self.loglik)
            .await?
            .into_iter()
            .map(|r| ChoiceLogLik {
                ll: r.logprob,
                is_greedy: r.is_greedy,
                n_tokens: Some(r.continuation_ids.len()),
            })
            .collect())
    }

    /// Generate a response to a completion or chat prompt. `temperature == 0` is greedy; otherwise
    /// sampling is seeded with `seed`.
    pub async fn generate_async(
        &self,
        prompt: &Prompt,
        spec: &GenerationSpec,
        seed: u64,
    ) -> Result<Response> {
        Ok(self.generate_counted_async(prompt, spec, seed).await?.0)
    }

    /// [`LocalModel::generate_async`], also returning the number of tokens generated (for speed
    /// reports; the EOS token that ended a generation is not counted).
    pub async fn generate_counted_async(
        &self,
        prompt: &Prompt,
        spec: &GenerationSpec,
        seed: u64,
    ) -> Result<(Response, usize)> {
        self.generate_interruptible(prompt, spec, seed, || std::future::ready(true))
            .await
    }

    /// [`LocalModel::generate_counted_async`] that awaits `go_on()` between two prefill chunks
    /// ([`crate::runtime::PREFILL_CHUNK`] prompt tokens) and before each decoding step, and stops
    /// with [`ModelError::Cancelled`] when it gives `false`. In a browser worker the hook is where the
    /// event loop gets to run (a cancel message is read) and where the cancel is checked, so a cancel
    /// takes effect within one token and leaves the model loaded.
    pub async fn generate_interruptible<F, Fut>(
        &self,
        prompt: &Prompt,
        spec: &GenerationSpec,
        seed: u64,
        mut go_on: F,
    ) -> Result<(Response, usize)>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let opts = GenerateOptions {
            max_tokens: spec.max_tokens,
            stop: spec.stop.clone(),
            sampling: Sampling::from_temperature(spec.temperature, seed),
            stop_at_eos: true,
        };
        let ids = match prompt {
            Prompt::Completion { text } => self.model.encode(text, self.add_special_tokens)?,
            Prompt::Chat { messages } => {
                let text = self.model.render_chat(messages)?;
                self.model.encode(&text, false)?
            }
            Prompt::LogLikelihood { .. } | Prompt::LogLikelihoodPairs { .. } => {
                return Err(ModelError::Input(
                    "a log-likelihood prompt cannot be generated from".into(),
                ));
            }
        };
        // The prompt goes in a chunk at a time, so a long prompt can be cancelled between chunks.
        let mut state = self.model.begin(&ids, opts)?;
        while !self.model.prefill_step_async(&mut state).await? {
            if !go_on().await {
                return Err(ModelError::Cancelled { tokens: 0 });
            }
        }
        loop {
            if !go_on().await {
                return Err(ModelError::Cancelled {
                    tokens: state.generated_ids().len(),
                });
            }
            if self.model.next_token_async(&mut state).await?.is_none() {
                break;
            }
        }
        let response = Response::Generation {
            text: state.text().to_owned(),
            finish_reason: state.finish_reason().map(|f| f.openai().to_owned()),
        };
        Ok((response, state.generated_ids().len()))
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl LocalModel {
    /// Load what a spec string (`gguf:PATH`, `hf:DIR`, `hf:ORG/NAME`) names, on `device`.
    pub fn load(spec: &str, device: &burn::tensor::Device) -> Result<Self> {
        let spec: crate::load::ModelSpec = spec.parse()?;
        Ok(Self::new(Model::load(&spec, device)?))
    }

    /// [`LocalModel::load`] with explicit hub options and a download progress callback (for
    /// `hf:ORG/NAME`; see [`crate::hub`]).
    #[cfg(feature = "hub")]
    pub fn load_with_hub(
        spec: &str,
        device: &burn::tensor::Device,
        opts: &crate::hub::HubOptions,
        progress: &mut dyn FnMut(crate::hub::HubEvent<'_>),
    ) -> Result<Self> {
        Self::load_with_options(spec, device, opts, progress, crate::LoadOptions::default())
    }

    /// [`LocalModel::load_with_hub`] with explicit load options (f32 or quantised weights).
    #[cfg(feature = "hub")]
    pub fn load_with_options(
        spec: &str,
        device: &burn::tensor::Device,
        opts: &crate::hub::HubOptions,
        progress: &mut dyn FnMut(crate::hub::HubEvent<'_>),
        load: crate::LoadOptions,
    ) -> Result<Self> {
        let spec: crate::load::ModelSpec = spec.parse()?;
        Ok(Self::new(Model::load_with_options(
            &spec, device, opts, progress, load,
        )?))
    }

    /// [`LocalModel::loglikelihood_async`], blocking.
    pub fn loglikelihood(&self, requests: &[[String; 2]]) -> Result<Vec<ChoiceLogLik>> {
        crate::read::block_on(self.loglikelihood_async(requests))
    }

    /// [`LocalModel::generate_async`], blocking.
    pub fn generate(&self, prompt: &Prompt, spec: &GenerationSpec, seed: u64) -> Result<Response> {
        crate::read::block_on(self.generate_async(prompt, spec, seed))
    }
}
