//! The shared causal-LM trait.

use burn::tensor::{Device, Int, Tensor};

use crate::cache::KvCache;
use crate::error::Result;

/// Which architecture family a model is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// Meta OPT (`OPTForCausalLM`).
    Opt,
    /// OpenAI GPT-2 (`GPT2LMHeadModel`).
    Gpt2,
    /// Llama family (`LlamaForCausalLM`: Llama, SmolLM2, TinyLlama, …).
    Llama,
}

impl Architecture {
    /// Lower-case name (`opt`, `gpt2`, `llama`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Opt => "opt",
            Self::Gpt2 => "gpt2",
            Self::Llama => "llama",
        }
    }
}

/// A decoder-only language model.
///
/// The model is borrowed immutably; the [`KvCache`] that grows with a sequence is owned by the caller,
/// so one loaded model can serve several independent sequences. A forward call takes the *new* tokens
/// `[batch, seq]`, attends to everything already in the cache, appends the new keys/values, and returns
/// per-position outputs for the new tokens only.
///
/// `Send + Sync`: a loaded model is shared read-only by the worker threads of a parallel run.
pub trait CausalLm: Send + Sync {
    /// The architecture family.
    fn architecture(&self) -> Architecture;
    /// The device the weights live on.
    fn device(&self) -> &Device;
    /// Rows of the output projection (may exceed the tokenizer's vocabulary, e.g. OPT's 50272).
    fn vocab_size(&self) -> usize;
    /// Longest sequence (cache + new tokens) the model accepts.
    fn max_context(&self) -> usize;
    /// Number of transformer blocks.
    fn num_layers(&self) -> usize;
    /// A fresh cache for `batch` rows.
    fn new_cache(&self, batch: usize) -> KvCache {
        KvCache::new(batch, self.num_layers())
    }
    /// Final hidden states `[batch, seq, hidden]` (after the last norm), before the output projection.
    fn forward_hidden(&self, tokens: Tensor<2, Int>, cache: &mut KvCache) -> Result<Tensor<3>>;
    /// The output projection: hidden `[batch, n, hidden]` → logits `[batch, n, vocab]`. Split from
    /// [`CausalLm::forward_hidden`] so callers project only the positions they read.
    fn project(&self, hidden: Tensor<3>) -> Tensor<3>;
    /// Log-probability of `targets[i]` and the argmax token at each of `n` hidden states `[n, hidden]`,
    /// computed on the host from logits that never become a tensor — when the model has such a path
    /// (quantised output projection on the CPU); `None`: use [`CausalLm::project_columns`].
    fn score_on_host(&self, hidden: &Tensor<2>, targets: &[i64]) -> Option<(Vec<f32>, Vec<i64>)> {
        let _ = (hidden, targets);
        None
    }
    /// Logits of `n` hidden states `[n, hidden]`, laid out `[vocab, n]` (one column per state): the
    /// layout the CPU computes fastest (`W · xᵀ`), used by log-likelihood scoring to avoid a transpose.
    fn project_columns(&self, hidden: Tensor<2>) -> Tensor<2> {
        self.project(hidden.unsqueeze_dim(0))
            .squeeze_dim::<2>(0)
            .transpose()
    }
    /// Logits `[batch, seq, vocab]` for every new position.
    fn forward(&self, tokens: Tensor<2, Int>, cache: &mut KvCache) -> Result<Tensor<3>> {
        Ok(self.project(self.forward_hidden(tokens, cache)?))
    }
}
