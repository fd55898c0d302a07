//! GPT-2's `config.json`.

use serde::Deserialize;

use crate::config::{TokenIds, bad, context, dim, product};
use crate::error::Result;

/// The fields of Hugging Face `GPT2Config` the runtime reads (unknown fields are ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct Gpt2Config {
    /// Embedding rows.
    pub vocab_size: usize,
    /// Model width.
    pub n_embd: usize,
    /// Blocks.
    pub n_layer: usize,
    /// Attention heads.
    pub n_head: usize,
    /// Longest sequence.
    pub n_positions: usize,
    /// Feed-forward width (`null` → 4·n_embd).
    #[serde(default)]
    pub n_inner: Option<usize>,
    /// Activation; `gelu_new` (and its aliases) only.
    #[serde(default = "default_activation")]
    pub activation_function: String,
    /// LayerNorm epsilon.
    #[serde(default = "default_eps")]
    pub layer_norm_epsilon: f64,
    /// Must be true (scores scaled by 1/√d).
    #[serde(default = "crate::config::default_true")]
    pub scale_attn_weights: bool,
    /// Must be false.
    #[serde(default)]
    pub scale_attn_by_inverse_layer_idx: bool,
    /// Must be false.
    #[serde(default)]
    pub reorder_and_upcast_attn: bool,
    /// Must be true (GPT-2 always ties).
    #[serde(default = "crate::config::default_true")]
    pub tie_word_embeddings: bool,
    /// BOS id.
    #[serde(default)]
    pub bos_token_id: TokenIds,
    /// EOS id.
    #[serde(default)]
    pub eos_token_id: TokenIds,
}

fn default_activation() -> String {
    "gelu_new".to_owned()
}
fn default_eps() -> f64 {
    1e-5
}

impl Gpt2Config {
    /// Check the values this implementation relies on.
    pub fn validate(&self, file: &str) -> Result<()> {
        dim(file, "vocab_size", self.vocab_size)?;
        dim(file, "n_embd", self.n_embd)?;
        dim(file, "n_layer", self.n_layer)?;
        dim(file, "n_head", self.n_head)?;
        context(file, "n_positions", self.n_positions)?;
        product(file, "vocab_size", &[self.vocab_size, self.n_embd])?;
        product(file, "n_inner", &[self.inner(), self.n_embd])?;
        product(file, "n_embd", &[3, self.n_embd, self.n_embd])?;
        if let Some(n) = self.n_inner {
            dim(file, "n_inner", n)?;
        }
        if self.n_embd % self.n_head != 0 {
            return Err(bad(
                file,
                "n_head",
                format!(
                    "n_embd {} is not divisible by {} heads",
                    self.n_embd, self.n_head
                ),
            ));
        }
        // gelu_new, gelu_pytorch_tanh and gelu_fast are the same tanh approximation up to rounding
        if !matches!(
            self.activation_function.as_str(),
            "gelu_new" | "gelu_pytorch_tanh"
        ) {
            return Err(bad(
                file,
                "activation_function",
                format!(
                    "`{}` is not supported (only `gelu_new`)",
                    self.activation_function
                ),
            ));
        }
        if !self.scale_attn_weights {
            return Err(bad(file, "scale_attn_weights", "only `true` is supported"));
        }
        if self.scale_attn_by_inverse_layer_idx {
            return Err(bad(
                file,
                "scale_attn_by_inverse_layer_idx",
                "only `false` is supported",
            ));
        }
        if self.reorder_and_upcast_attn {
            return Err(bad(
                file,
                "reorder_and_upcast_attn",
                "only `false` is supported",
            ));
        }
        if !(self.layer_norm_epsilon > 0.0 && self.layer_norm_epsilon < 1.0) {
            return Err(bad(file, "layer_norm_epsilon", "must be in (0, 1)"));
        }
        Ok(())
    }

    /// Feed-forward width.
    pub fn inner(&self) -> usize {
        self.n_inner.unwrap_or(4 * self.n_embd)
    }
}
