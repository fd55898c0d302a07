//! OPT's `config.json`.

use serde::Deserialize;

use crate::config::{TokenIds, bad, context, default_true, dim, product};
use crate::error::Result;

/// The fields of Hugging Face `OPTConfig` the runtime reads (unknown fields are ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct OptConfig {
    /// Embedding rows.
    pub vocab_size: usize,
    /// Model width.
    pub hidden_size: usize,
    /// Blocks.
    pub num_hidden_layers: usize,
    /// Feed-forward width.
    pub ffn_dim: usize,
    /// Attention heads.
    pub num_attention_heads: usize,
    /// Longest sequence (the position table has 2 more rows).
    pub max_position_embeddings: usize,
    /// Embedding width when it differs from `hidden_size` (opt-350m: 512 with project_in/out).
    #[serde(default)]
    pub word_embed_proj_dim: Option<usize>,
    /// Pre-LN blocks (every OPT but opt-350m).
    #[serde(default = "default_true")]
    pub do_layer_norm_before: bool,
    /// Drop the final LayerNorm (some conversions).
    #[serde(default, rename = "_remove_final_layer_norm")]
    pub remove_final_layer_norm: bool,
    /// Feed-forward activation; only `relu` is supported.
    #[serde(default = "default_activation")]
    pub activation_function: String,
    /// Biases on projections.
    #[serde(default = "default_true")]
    pub enable_bias: bool,
    /// LayerNorms have weight and bias.
    #[serde(default = "default_true")]
    pub layer_norm_elementwise_affine: bool,
    /// Output projection tied to the embedding.
    #[serde(default = "default_true")]
    pub tie_word_embeddings: bool,
    /// BOS id.
    #[serde(default)]
    pub bos_token_id: TokenIds,
    /// EOS id.
    #[serde(default)]
    pub eos_token_id: TokenIds,
    /// Padding id.
    #[serde(default)]
    pub pad_token_id: TokenIds,
}

fn default_activation() -> String {
    "relu".to_owned()
}

impl OptConfig {
    /// Check the values this implementation relies on.
    pub fn validate(&self, file: &str) -> Result<()> {
        dim(file, "vocab_size", self.vocab_size)?;
        dim(file, "hidden_size", self.hidden_size)?;
        dim(file, "num_hidden_layers", self.num_hidden_layers)?;
        dim(file, "ffn_dim", self.ffn_dim)?;
        dim(file, "num_attention_heads", self.num_attention_heads)?;
        context(
            file,
            "max_position_embeddings",
            self.max_position_embeddings,
        )?;
        product(file, "vocab_size", &[self.vocab_size, self.embed_dim()])?;
        product(file, "ffn_dim", &[self.ffn_dim, self.hidden_size])?;
        if let Some(p) = self.word_embed_proj_dim {
            dim(file, "word_embed_proj_dim", p)?;
        }
        if self.hidden_size % self.num_attention_heads != 0 {
            return Err(bad(
                file,
                "num_attention_heads",
                format!(
                    "hidden_size {} is not divisible by {} heads",
                    self.hidden_size, self.num_attention_heads
                ),
            ));
        }
        if self.activation_function != "relu" {
            return Err(bad(
                file,
                "activation_function",
                format!(
                    "`{}` is not supported (only `relu`)",
                    self.activation_function
                ),
            ));
        }
        Ok(())
    }

    /// Width of the token embedding.
    pub fn embed_dim(&self) -> usize {
        self.word_embed_proj_dim.unwrap_or(self.hidden_size)
    }
}
