//! A loaded model with its tokenizer: logits, generation (step API) and log-likelihood.

use burn::tensor::{Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};
use substance_core::Message;

use crate::cache::KvCache;
use crate::error::{ModelError, Result};
use crate::lm::{Architecture, CausalLm};
use crate::read::{read_f32, read_i64};
use crate::sampling::{Sampler, Sampling};
use crate::tokenizer::{ChatTemplate, Tokenizer};

/// Identity of a loaded model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// Spec string or caller-chosen id.
    pub id: String,
    /// SHA-256 (hex) of the weights file, computed while loading.
    pub weights_sha256: String,
    /// Architecture name (`opt`, `gpt2`, `llama`).
    pub architecture: String,
    /// Where the weights came from (format and file).
    pub source: String,
    /// How the weights are held and multiplied: `"f32"`, or the quantised block types kept as stored
    /// (`"quantised Q4_1+Q8_0 × 16-bit activations"`; see `substance-quant`).
    #[serde(default = "f32_numeric")]
    pub numeric: String,
    /// What the load let pass but the user should know (tensors of the file the architecture does not
    /// use, as transformers warns about them), one message each naming the file and tensor.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

fn f32_numeric() -> String {
    "f32".to_owned()
}

/// A causal LM, its tokenizer and the special tokens generation needs.
pub struct Model {
    pub(crate) lm: Box<dyn CausalLm>,
    pub(crate) tokenizer: Tokenizer,
    pub(crate) chat_template: Option<String>,
    pub(crate) eos: Vec<u32>,
    pub(crate) bos: Option<u32>,
    pub(crate) meta: ModelMeta,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("meta", &self.meta)
            .field("eos", &self.eos)
            .field("bos", &self.bos)
            .finish()
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// A stop sequence appeared (it is not part of the text).
    Stop,
    /// The model produced an end-of-sequence token.
    Eos,
    /// `max_tokens` reached, or the context window is full.
    Length,
}

impl FinishReason {
    /// OpenAI-style name (`stop` for both stop sequences and EOS, `length`).
    pub fn openai(self) -> &'static str {
        match self {
            Self::Stop | Self::Eos => "stop",
            Self::Length => "length",
        }
    }
}

/// Generation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateOptions {
    /// Most new tokens.
    pub max_tokens: usize,
    /// Stop sequences, checked on the decoded text; the text ends before the first one.
    #[serde(default)]
    pub stop: Vec<String>,
    /// Token choice.
    pub sampling: Sampling,
    /// Stop on the model's EOS token(s) (and the chat template's end-of-turn token).
    #[serde(default = "crate::config::default_true")]
    pub stop_at_eos: bool,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            max_tokens: 256,
            stop: Vec::new(),
            sampling: Sampling::Greedy,
            stop_at_eos: true,
        }
    }
}

/// The state of one generation, owned by the caller (a JS loop can hold it between steps).
#[derive(Debug)]
pub struct GenerationState {
    cache: KvCache,
    sampler: Sampler,
    opts: GenerateOptions,
    prompt: Vec<u32>,
    generated: Vec<u32>,
    logits: Option<Vec<f32>>,
    pending: Option<u32>,
    text: String,
    finish: Option<FinishReason>,
    stop_ids: Vec<u32>,
    /// Prompt tokens already in the cache.
    prefilled: usize,
    /// Prompt tokens per prefill step ([`PREFILL_CHUNK`] unless set).
    prefill_chunk: usize,
}

/// Prompt tokens per prefill step. A prompt of `n` tokens is fed in chunks of this many, so the
/// attention scores of one step hold `heads × PREFILL_CHUNK × n` floats, not `heads × n × n` (a full
/// 8192-token context would need 2.4 GB per layer for a 9-head model), and a caller can stop between
/// two chunks (cancel). Prompts up to this length are one step, as before.
pub const PREFILL_CHUNK: usize = 512;

impl GenerationState {
    /// `(prompt tokens prefilled, prompt tokens)`.
    pub fn prefill_progress(&self) -> (usize, usize) {
        (self.prefilled, self.prompt.len())
    }
    /// Feed the prompt `n` tokens per prefill step instead of [`PREFILL_CHUNK`] (at least 1).
    pub fn with_prefill_chunk(mut self, n: usize) -> Self {
        self.prefill_chunk = n.max(1);
        self
    }
    /// Token ids fed as the prompt (after any left truncation).
    pub fn prompt_ids(&self) -> &[u32] {
        &self.prompt
    }
    /// Tokens generated so far (the EOS token is not included).
    pub fn generated_ids(&self) -> &[u32] {
        &self.generated
    }
    /// Decoded text so far (special tokens skipped, stop sequence excluded).
    pub fn text(&self) -> &str {
        &self.text
    }
    /// Why it ended, once it has.
    pub fn finish_reason(&self) -> Option<FinishReason> {
        self.finish
    }
    /// Whether it has ended.
    pub fn is_finished(&self) -> bool {
        self.finish.is_some()
    }
}

/// One log-likelihood request result (lm-eval semantics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLikelihood {
    /// Sum of the continuation tokens' log-probabilities (natural log).
    pub logprob: f64,
    /// Whether every continuation token was the argmax.
    pub is_greedy: bool,
    /// Continuation token ids.
    pub continuation_ids: Vec<u32>,
    /// Per-token log-probabilities.
    pub token_logprobs: Vec<f32>,
}

/// Log-likelihood settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoglikOptions {
    /// Run the tokenizer's post-processor on context and whole string (lm-eval's `add_bos_token`).
    #[serde(default)]
    pub add_special_tokens: bool,
    /// Most rows per forward pass.
    pub max_batch: usize,
    /// Most padded tokens (rows × width) per forward pass.
    pub max_batch_tokens: usize,
    /// Scored positions whose vocabulary-sized logits are made at once: scoring holds
    /// `vocab × score_chunk` floats besides the weights, not `vocab ×` every scored position.
    #[serde(default = "default_score_chunk")]
    pub score_chunk: usize,
    /// Input positions per forward step: a batch wider than this runs a chunk of positions at a time
    /// through the cache, so attention holds `heads × prefill_chunk × width` floats per row, not
    /// `heads × width²` ([`PREFILL_CHUNK`] by default).
    #[serde(default = "default_prefill_chunk")]
    pub prefill_chunk: usize,
}

fn default_score_chunk() -> usize {
    256
}

fn default_prefill_chunk() -> usize {
    PREFILL_CHUNK
}

impl Default for LoglikOptions {
    fn default() -> Self {
        Self {
            add_special_tokens: false,
            max_batch: 8,
            max_batch_tokens: 4096,
            score_chunk: default_score_chunk(),
            prefill_chunk: PREFILL_CHUNK,
        }
    }
}

/// An encoded `(context, continuation)` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPair {
    /// Context ids (lm-eval `context_enc`).
    pub context: Vec<u32>,
    /// Continuation ids (lm-eval `continuation_enc`).
    pub continuation: Vec<u32>,
}

impl Model {
    /// Identity.
    pub fn meta(&self) -> &ModelMeta {
        &self.meta
    }
    /// The network.
    pub fn lm(&self) -> &dyn CausalLm {
        self.lm.as_ref()
    }
    /// The tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }
    /// Architecture.
    pub fn architecture(&self) -> Architecture {
        self.lm.architecture()
    }
    /// End-of-sequence ids.
    pub fn eos_ids(&self) -> &[u32] {
        &self.eos
    }
    /// Beginning-of-sequence id.
    pub fn bos_id(&self) -> Option<u32> {
        self.bos
    }
    /// The raw chat template text, if the model ships one.
    pub fn chat_template_text(&self) -> Option<&str> {
        self.chat_template.as_deref()
    }
    /// The recognised chat template.
    pub fn chat_template(&self) -> Result<ChatTemplate> {
        match &self.chat_template {
            Some(t) => ChatTemplate::detect(t),
            None => Err(ModelError::ChatTemplate(format!(
                "model `{}` has no chat template",
                self.meta.id
            ))),
        }
    }

    /// Render a conversation with the model's chat template (assistant turn opened).
    pub fn render_chat(&self, messages: &[Message]) -> Result<String> {
        self.chat_template()?.render(messages)
    }

    /// Encode text (`add_special_tokens` runs the tokenizer's post-processor).
    pub fn encode(&self, text: &str, add_special_tokens: bool) -> Result<Vec<u32>> {
        self.tokenizer.encode(text, add_special_tokens)
    }

    fn check_ids(&self, ids: &[u32]) -> Result<()> {
        check_ids(self.lm.as_ref(), ids)
    }

    fn tokens_tensor(&self, rows: &[&[u32]], width: usize, pad: u32) -> Tensor<2, Int> {
        tokens_tensor(self.lm.as_ref(), rows, width, pad)
    }

    /// Full logits `[rows][seq][vocab]` for right-padded rows of token ids (one forward, fresh cache).
    /// Used by parity tests; real work should project only the positions it reads.
    pub async fn logits_async(&self, rows: &[Vec<u32>]) -> Result<Vec<Vec<Vec<f32>>>> {
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        if rows.is_empty() || rows.iter().any(Vec::is_empty) {
            return Err(ModelError::Input("empty token row".into()));
        }
        for r in rows {
            self.check_ids(r)?;
        }
        let refs: Vec<&[u32]> = rows.iter().map(Vec::as_slice).collect();
        let mut cache = self.lm.new_cache(rows.len());
        cache.set_next_lengths(rows.iter().map(Vec::len).collect())?;
        let logits = self
            .lm
            .forward(self.tokens_tensor(&refs, width, 0), &mut cache)?;
        let v = self.lm.vocab_size();
        let flat = read_f32(logits).await?;
        Ok(rows
            .iter()
            .enumerate()
            .map(|(r, row)| {
                (0..row.len())
                    .map(|i| {
                        let o = (r * width + i) * v;
                        flat[o..o + v].to_vec()
                    })
                    .collect()
            })
            .collect())
    }

    /// Start a generation from prompt ids: runs the prefill and keeps the next-token logits.
    ///
    /// A prompt longer than `max_context - max_tokens` is truncated from the left (lm-eval does the
    /// same), keeping at least one token.
    pub async fn start_async(
        &self,
        prompt: &[u32],
        opts: GenerateOptions,
    ) -> Result<GenerationState> {
        let mut state = self.begin(prompt, opts)?;
        while !self.prefill_step_async(&mut state).await? {}
        Ok(state)
    }

    /// Prepare a generation without computing anything: [`Model::prefill_step_async`] then feeds the
    /// prompt a chunk at a time ([`Model::start_async`] does both).
    pub fn begin(&self, prompt: &[u32], opts: GenerateOptions) -> Result<GenerationState> {
        if prompt.is_empty() {
            return Err(ModelError::Input("empty prompt".into()));
        }
        self.check_ids(prompt)?;
        let sampler = Sampler::new(opts.sampling.clone())?;
        let max_ctx = self.lm.max_context();
        let keep = max_ctx
            .saturating_sub(opts.max_tokens)
            .max(1)
            .min(prompt.len());
        let prompt = prompt[prompt.len() - keep..].to_vec();
        let mut stop_ids = if opts.stop_at_eos {
            self.eos.clone()
        } else {
            Vec::new()
        };
        if opts.stop_at_eos {
            if let Ok(t) = self.chat_template() {
                for s in t.stop_tokens() {
                    if let Some(id) = self.tokenizer.token_id(s) {
                        stop_ids.push(id);
                    }
                }
            }
        }
        let mut state = GenerationState {
            cache: self.lm.new_cache(1),
            sampler,
            prompt,
            generated: Vec::new(),
            logits: None,
            pending: None,
            text: String::new(),
            finish: None,
            stop_ids,
            opts,
            prefilled: 0,
            prefill_chunk: PREFILL_CHUNK,
        };
        if state.opts.max_tokens == 0 {
            state.finish = Some(FinishReason::Length);
        }
        Ok(state)
    }

    /// Feed the next chunk of prompt tokens ([`PREFILL_CHUNK`] unless set) into the cache; the last
    /// chunk also keeps the next-token logits. `true` once the whole prompt is in (or the generation
    /// has ended).
    pub async fn prefill_step_async(&self, state: &mut GenerationState) -> Result<bool> {
        let n = state.prompt.len();
        if state.finish.is_some() || state.prefilled >= n {
            return Ok(true);
        }
        let end = (state.prefilled + state.prefill_chunk).min(n);
        let chunk = &state.prompt[state.prefilled..end];
        let t = self.tokens_tensor(&[chunk], chunk.len(), 0);
        if end == n {
            state.logits = Some(self.last_logits(t, &mut state.cache).await?);
        } else {
            // Only the cache is wanted from a middle chunk; read one value so a lazy backend has
            // computed the step before the next one is queued.
            let hidden = self.lm.forward_hidden(t, &mut state.cache)?;
            read_f32(hidden.narrow(1, 0, 1).narrow(2, 0, 1)).await?;
        }
        state.prefilled = end;
        Ok(end == n)
    }

    async fn last_logits(&self, tokens: Tensor<2, Int>, cache: &mut KvCache) -> Result<Vec<f32>> {
        let s = tokens.dims()[1];
        let hidden = self.lm.forward_hidden(tokens, cache)?;
        let last = hidden.narrow(1, s - 1, 1);
        read_f32(self.lm.project(last)).await
    }

    /// Produce the next token, or `None` once generation has ended (EOS, stop sequence, length).
    /// The token that completes a stop sequence is returned; [`GenerationState::text`] excludes it.
    pub async fn next_token_async(&self, state: &mut GenerationState) -> Result<Option<u32>> {
        if state.finish.is_some() {
            return Ok(None);
        }
        while !self.prefill_step_async(state).await? {}
        if let Some(t) = state.pending.take() {
            if state.cache.len() + 1 > self.lm.max_context() {
                state.finish = Some(FinishReason::Length);
                return Ok(None);
            }
            let x = self.tokens_tensor(&[&[t]], 1, 0);
            state.logits = Some(self.last_logits(x, &mut state.cache).await?);
        }
        let Some(logits) = state.logits.take() else {
            state.finish = Some(FinishReason::Length);
            return Ok(None);
        };
        let tok = state.sampler.sample(&logits, logits.len())?;
        if state.stop_ids.contains(&tok) {
            state.finish = Some(FinishReason::Eos);
            return Ok(None);
        }
        state.generated.push(tok);
        let text = self.tokenizer.decode(&state.generated, true)?;
        let cut = state
            .opts
            .stop
            .iter()
            .filter(|s| !s.is_empty())
            .filter_map(|s| text.find(s.as_str()))
            .min();
        if let Some(cut) = cut {
            state.text = text[..cut].to_owned();
            state.finish = Some(FinishReason::Stop);
            return Ok(Some(tok));
        }
        state.text = text;
        if state.generated.len() >= state.opts.max_tokens {
            state.finish = Some(FinishReason::Length);
        } else {
            state.pending = Some(tok);
        }
        Ok(Some(tok))
    }

    /// Generate until the end: returns the final state.
    pub async fn generate_ids_async(
        &self,
        prompt: &[u32],
        opts: GenerateOptions,
    ) -> Result<GenerationState> {
        let mut state = self.start_async(prompt, opts).await?;
        while self.next_token_async(&mut state).await?.is_some() {}
        Ok(state)
    }

    /// Generate from text (encoded with the tokenizer's special tokens, e.g. OPT's `</s>`).
    pub async fn generate_text_async(
        &self,
        prompt: &str,
        opts: GenerateOptions,
    ) -> Result<GenerationState> {
        let ids = self.tokenizer.encode(prompt, true)?;
        self.generate_ids_async(&ids, opts).await
    }

    /// Generate an assistant turn for a conversation (chat template; special tokens in the rendered
    /// text are matched as added tokens, nothing else is prepended).
    pub async fn generate_chat_async(
        &self,
        messages: &[Message],
        opts: GenerateOptions,
    ) -> Result<GenerationState> {
        let text = self.render_chat(messages)?;
        let ids = self.tokenizer.encode(&text, false)?;
        self.generate_ids_async(&ids, opts).await
    }

    /// Encode a request as lm-eval's `HFLM._encode_pair` does: trailing whitespace of the context moves
    /// onto the continuation; the whole string is encoded and the continuation is what follows the
    /// context's tokens. An empty context is the BOS/EOS prefix token alone.
    pub fn encode_pair(
        &self,
        context: &str,
        continuation: &str,
        add_special_tokens: bool,
    ) -> Result<EncodedPair> {
        if context.is_empty() {
            let prefix = self
                .bos
                .or_else(|| self.eos.first().copied())
                .ok_or_else(|| {
                    ModelError::Input("empty context and the model has no BOS/EOS token".into())
                })?;
            return Ok(EncodedPair {
                context: vec![prefix],
                continuation: self.tokenizer.encode(continuation, false)?,
            });
        }
        let trimmed = context.trim_end();
        let n_spaces = context.len() - trimmed.len();
        let (ctx, cont) = if n_spaces > 0 {
            (
                trimmed.to_owned(),
                format!("{}{}", &context[trimmed.len()..], continuation),
            )
        } else {
            (context.to_owned(), continuation.to_owned())
        };
        let whole = self
            .tokenizer
            .encode(&format!("{ctx}{cont}"), add_special_tokens)?;
        let context_ids = self.tokenizer.encode(&ctx, add_special_tokens)?;
        let n = context_ids.len().min(whole.len());
        Ok(EncodedPair {
            context: context_ids,
            continuation: whole[n..].to_vec(),
        })
    }

    /// Log-likelihoods of `(context, continuation)` requests, batched: requests are sorted by length
    /// (longest first), right-padded into batches, and only the continuation positions are projected
    /// to the vocabulary. The context is truncated from the left to fit the context window.
    pub async fn loglikelihood_async(
        &self,
        requests: &[(String, String)],
        opts: &LoglikOptions,
    ) -> Result<Vec<LogLikelihood>> {
        let mut pairs = Vec::with_capacity(requests.len());
        for (c, x) in requests {
            pairs.push(self.encode_pair(c, x, opts.add_special_tokens)?);
        }
        self.loglikelihood_tokens_async(&pairs, opts).await
    }

    /// [`Model::loglikelihood_async`] on already encoded pairs.
    pub async fn loglikelihood_tokens_async(
        &self,
        pairs: &[EncodedPair],
        opts: &LoglikOptions,
    ) -> Result<Vec<LogLikelihood>> {
        score_pairs(self.lm.as_ref(), pairs, opts).await
    }
}

/// Blocking wrappers for native callers (the CPU backend resolves reads immediately).
#[cfg(not(target_arch = "wasm32"))]
impl Model {
    /// [`Model::logits_async`], blocking.
    pub fn logits(&self, rows: &[Vec<u32>]) -> Result<Vec<Vec<Vec<f32>>>> {
        crate::read::block_on(self.logits_async(rows))
    }
    /// [`Model::start_async`], blocking.
    pub fn start(&self, prompt: &[u32], opts: GenerateOptions) -> Result<GenerationState> {
        crate::read::block_on(self.start_async(prompt, opts))
    }
    /// [`Model::next_token_async`], blocking.
    pub fn next_token(&self, state: &mut GenerationState) -> Result<Option<u32>> {
        crate::read::block_on(self.next_token_async(state))
    }
    /// [`Model::generate_ids_async`], blocking.
    pub fn generate_ids(&self, prompt: &[u32], opts: GenerateOptions) -> Result<GenerationState> {
        crate::read::block_on(self.generate_ids_async(prompt, opts))
    }
    /// [`Model::generate_text_async`], blocking.
    pub fn generate_text(&self, prompt: &str, opts: GenerateOptions) -> Result<GenerationState> {
        crate::read::block_on(self.generate_text_async(prompt, opts))
    }
    /// [`Model::generate_chat_async`], blocking.
    pub fn generate_chat(
        &self,
        messages: &[Message],
        opts: GenerateOptions,
    ) -> Result<GenerationState> {
        crate::read::block_on(self.generate_chat_async(messages, opts))
    }
    /// [`Model::loglikelihood_async`], blocking.
    pub fn loglikelihood(
        &self,
        requests: &[(String, String)],
        opts: &LoglikOptions,
    ) -> Result<Vec<LogLikelihood>> {
        crate::read::block_on(self.loglikelihood_async(requests, opts))
    }
    /// [`Model::loglikelihood_tokens_async`], blocking.
    pub fn loglikelihood_tokens(
        &self,
        pairs: &[EncodedPair],
        opts: &LoglikOptions,
    ) -> Result<Vec<LogLikelihood>> {
        crate::read::block_on(self.loglikelihood_tokens_async(pairs, opts))
    }
}

/// Logits of every position of `tokens` (`[batch, seq]`), read back to the host as one row-major
/// `[batch, seq, vocab]` vector, the vocabulary projection made `rows_per_chunk` positions at a time.
///
/// The result is the same as reading back [`CausalLm::forward`]; what differs is the memory: burn's CPU
/// backend creates every tensor through an aligned copy of a zeroed buffer, which wasm32 cannot give back,
/// so one `[batch·seq, vocab]` logits tensor (206 MB for 8×128 OPT-125m positions) briefly needs twice
/// its size there. In chunks only the host vector is that large.
pub async fn logits_on_host(
    lm: &dyn CausalLm,
    tokens: Tensor<2, Int>,
    cache: &mut KvCache,
    rows_per_chunk: usize,
) -> Result<Vec<f32>> {
    let hidden = lm.forward_hidden(tokens, cache)?;
    let [b, s, h] = hidden.dims();
    let rows = b * s;
    let flat = hidden.reshape([rows, h]);
    let mut out = Vec::with_capacity(rows * lm.vocab_size());
    let step = rows_per_chunk.max(1);
    for r0 in (0..rows).step_by(step) {
        let r1 = (r0 + step).min(rows);
        let part = flat.clone().slice([r0..r1, 0..h]).reshape([1, r1 - r0, h]);
        let data = crate::read::read_data(lm.project(part)).await?;
        let v = data
            .as_slice::<f32>()
            .map_err(|e| ModelError::Device(format!("{e:?}")))?;
        out.extend_from_slice(v);
    }
    Ok(out)
}

/// Log-likelihoods of encoded pairs on any [`CausalLm`] (lm-eval semantics; see
/// [`Model::loglikelihood_async`]). Token ids must be below the model's vocabulary size.
pub async fn score_pairs(
    lm: &dyn CausalLm,
    pairs: &[EncodedPair],
    opts: &LoglikOptions,
) -> Result<Vec<LogLikelihood>> {
    let max_len = lm.max_context();
    // (input ids, continuation ids) per request: inp = (ctx + cont)[-(max_len + 1):][:-1]
    let mut inputs: Vec<(Vec<u32>, Vec<u32>)> = Vec::with_capacity(pairs.len());
    for p in pairs {
        check_ids(lm, &p.context)?;
        check_ids(lm, &p.continuation)?;
        if p.continuation.len() > max_len {
            return Err(ModelError::ContextOverflow {
                len: p.continuation.len(),
                max: max_len,
            });
        }
        let whole: Vec<u32> = p.context.iter().chain(&p.continuation).copied().collect();
        let start = whole.len().saturating_sub(max_len + 1);
        let inp = whole[start..whole.len().saturating_sub(1)].to_vec();
        inputs.push((inp, p.continuation.clone()));
    }
    let mut results: Vec<Option<LogLikelihood>> = vec![None; pairs.len()];
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    // lm-eval's order: longest first, then by tokens
    order.sort_by(|&a, &b| {
        let la = inputs[a].0.len() + 1;
        let lb = inputs[b].0.len() + 1;
        lb.cmp(&la).then_with(|| inputs[a].0.cmp(&inputs[b].0))
    });
    let mut queue: Vec<usize> = Vec::new();
    for &i in &order {
        if inputs[i].1.is_empty() {
            results[i] = Some(LogLikelihood {
                logprob: 0.0,
                is_greedy: true,
                continuation_ids: Vec::new(),
                token_logprobs: Vec::new(),
            });
        } else {
            queue.push(i);
        }
    }
    let max_batch = opts.max_batch.max(1);
    let mut k = 0;
    while k < queue.len() {
        let width = inputs[queue[k]].0.len();
        let mut end = k + 1;
        while end < queue.len()
            && end - k < max_batch
            && (end - k + 1) * width <= opts.max_batch_tokens
        {
            end += 1;
        }
        let batch = &queue[k..end];
        let rows = batch.iter().map(|&i| &inputs[i]).collect();
        let scored =
            score_batch(lm, rows, opts.score_chunk.max(1), opts.prefill_chunk.max(1)).await?;
        for (&i, r) in batch.iter().zip(scored) {
            results[i] = Some(r);
        }
        k = end;
    }
    results
        .into_iter()
        .map(|r| r.ok_or_else(|| ModelError::Input("internal: unscored request".into())))
        .collect()
}

async fn score_batch(
    lm: &dyn CausalLm,
    rows: Vec<&(Vec<u32>, Vec<u32>)>,
    chunk: usize,
    prefill_chunk: usize,
) -> Result<Vec<LogLikelihood>> {
    let b = rows.len();
    let width = rows.iter().map(|(inp, _)| inp.len()).max().unwrap_or(0);
    let device = lm.device();
    // (row, position) of every continuation token's prediction, and the targets, row-major
    let mut wanted = Vec::new();
    let mut targets = Vec::new();
    for (r, (inp, cont)) in rows.iter().enumerate() {
        let first = inp.len() - cont.len();
        for (j, &t) in cont.iter().enumerate() {
            wanted.push((r, first + j));
            targets.push(i64::from(t));
        }
    }
    let n = wanted.len();
    let mut parts = Vec::new();
    // Each step's hidden states keep only the wanted positions, in row-major order within the step;
    // `order` records which wanted position each kept state is.
    let mut order = Vec::with_capacity(n);
    // The rows' common prefix (the context the choices of a multiple-choice item share) runs once on
    // one row, and its cache is repeated for the rest: the same logits up to f32 rounding, ~b× less
    // work for long contexts and short continuations.
    let shared = if b >= 2 {
        common_prefix(rows.iter().map(|(inp, _)| inp.as_slice()))
    } else {
        0
    };
    let mut cache = if shared > 0 {
        let mut one = lm.new_cache(1);
        let prefix = &rows[0].0[..shared];
        for s0 in (0..shared).step_by(prefill_chunk) {
            let s1 = (s0 + prefill_chunk).min(shared);
            let hidden =
                lm.forward_hidden(tokens_tensor(lm, &[&prefix[s0..s1]], s1 - s0, 0), &mut one)?;
            // one row: every row's wanted position in the prefix reads it
            keep_wanted(hidden, &wanted, s0..s1, false, &mut parts, &mut order);
        }
        one.repeat_rows(b)
            .ok_or_else(|| ModelError::Input("internal: shared-prefix cache".into()))?
    } else {
        lm.new_cache(b)
    };
    // The (rest of the) input positions a chunk at a time (one step when the batch is narrow enough).
    for s0 in (shared..width).step_by(prefill_chunk) {
        let s1 = (s0 + prefill_chunk).min(width);
        let refs: Vec<&[u32]> = rows
            .iter()
            .map(|(inp, _)| &inp[s0.min(inp.len())..s1.min(inp.len())])
            .collect();
        cache.set_next_lengths(refs.iter().map(|r| r.len()).collect())?;
        let hidden = lm.forward_hidden(tokens_tensor(lm, &refs, s1 - s0, 0), &mut cache)?;
        keep_wanted(hidden, &wanted, s0..s1, true, &mut parts, &mut order);
    }
    let mut picked = Tensor::cat(parts, 0);
    let h = picked.dims()[1];
    // back to row-major order when the steps interleaved the rows
    if order.iter().enumerate().any(|(i, &k)| i != k) {
        let mut inverse = vec![0i64; n];
        for (i, &k) in order.iter().enumerate() {
            inverse[k] = i as i64;
        }
        let inverse: Tensor<1, Int> = Tensor::from_data(TensorData::new(inverse, [n]), device);
        picked = picked.select(0, inverse);
    }
    // The vocabulary-sized logits are made `chunk` positions at a time, so scoring holds
    // `vocab × chunk` floats (a few tens of MB) besides the weights, not `vocab × n`.
    let mut chosen = Vec::with_capacity(n);
    let mut argmax = Vec::with_capacity(n);
    for start in (0..n).step_by(chunk) {
        let end = (start + chunk).min(n);
        let part = picked.clone().slice([start..end, 0..h]);
        if let Some((c, a)) = lm.score_on_host(&part, &targets[start..end]) {
            chosen.extend(c);
            argmax.extend(a);
            continue;
        }
        // logits of the picked positions, vocabulary along dim 0 ([vocab, k]: no transpose copy)
        let logits = lm.project_columns(part);
        let t: Vec<i64> = targets[start..end].to_vec();
        let t: Tensor<2, Int> = Tensor::from_data(TensorData::new(t, [1, end - start]), device);
        // log p(target) = logit(target) - logsumexp; the argmax of the logits is the argmax of log p
        let (max, am) = logits.clone().max_dim_with_indices(0);
        let lse = (logits.clone() - max.clone()).exp().sum_dim(0).log() + max;
        let c = logits.gather(0, t) - lse;
        chosen.extend(read_f32(c).await?);
        argmax.extend(read_i64(am).await?);
    }
    let mut out = Vec::with_capacity(b);
    let mut o = 0;
    for (_, cont) in &rows {
        let lp = &chosen[o..o + cont.len()];
        let greedy = cont
            .iter()
            .zip(&argmax[o..o + cont.len()])
            .all(|(&t, &a)| i64::from(t) == a);
        out.push(LogLikelihood {
            logprob: lp.iter().map(|&x| f64::from(x)).sum(),
            is_greedy: greedy,
            continuation_ids: cont.clone(),
            token_logprobs: lp.to_vec(),
        });
        o += cont.len();
    }
    Ok(out)
}

fn check_ids(lm: &dyn CausalLm, ids: &[u32]) -> Result<()> {
    let vocab = lm.vocab_size();
    match ids.iter().find(|&&t| t as usize >= vocab) {
        Some(&id) => Err(ModelError::TokenOutOfRange { id, vocab }),
        None => Ok(()),
    }
}

/// Right-padded `[rows, width]` token tensor.
/// Keep, of one step's hidden states `[rows, s1 − s0, h]`, those at the wanted `(row, position)`s that
/// fall in `s0..s1` (row-major within the step) and record which wanted entry each is. `per_row`: the
/// step has one row per batch row; otherwise it has one row every batch row shares (the prefix).
fn keep_wanted(
    hidden: Tensor<3>,
    wanted: &[(usize, usize)],
    span: std::ops::Range<usize>,
    per_row: bool,
    parts: &mut Vec<Tensor<2>>,
    order: &mut Vec<usize>,
) {
    let [rows, seq, h] = hidden.dims();
    let mut index = Vec::new();
    for (k, &(r, p)) in wanted.iter().enumerate() {
        if span.contains(&p) {
            let row = if per_row { r } else { 0 };
            index.push((row * seq + p - span.start) as i64);
            order.push(k);
        }
    }
    if !index.is_empty() {
        let m = index.len();
        let device = hidden.device();
        let index: Tensor<1, Int> = Tensor::from_data(TensorData::new(index, [m]), &device);
        parts.push(hidden.reshape([rows * seq, h]).select(0, index));
    }
}

/// Length of the longest prefix every row shares.
fn common_prefix<'a>(mut rows: impl Iterator<Item = &'a [u32]>) -> usize {
    let Some(first) = rows.next() else {
        return 0;
    };
    rows.fold(first.len(), |n, r| {
        first[..n].iter().zip(r).take_while(|(a, b)| a == b).count()
    })
}

fn tokens_tensor(lm: &dyn CausalLm, rows: &[&[u32]], width: usize, pad: u32) -> Tensor<2, Int> {
    let mut flat = Vec::with_capacity(rows.len() * width);
    for r in rows {
        flat.extend(r.iter().map(|&t| i64::from(t)));
        flat.extend(std::iter::repeat_n(i64::from(pad), width - r.len()));
    }
    Tensor::from_data(TensorData::new(flat, [rows.len(), width]), lm.device())
}
