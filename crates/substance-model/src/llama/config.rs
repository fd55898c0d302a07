//! Llama's `config.json`.

use serde::Deserialize;

use crate::config::{TokenIds, bad, context, dim, product};
use crate::error::Result;

/// `rope_parameters` / `rope_scaling` (transformers ≥ 5 writes the former).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RopeParameters {
    /// Base.
    #[serde(default)]
    pub rope_theta: Option<f64>,
    /// Only `default` (no scaling) is supported.
    #[serde(default)]
    pub rope_type: Option<String>,
    /// Older spelling of `rope_type`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// The fields of Hugging Face `LlamaConfig` the runtime reads (unknown fields are ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct LlamaConfig {
    /// Embedding rows.
    pub vocab_size: usize,
    /// Model width.
    pub hidden_size: usize,
    /// Feed-forward width.
    pub intermediate_size: usize,
    /// Blocks.
    pub num_hidden_layers: usize,
    /// Query heads.
    pub num_attention_heads: usize,
    /// Key/value heads (grouped-query attention); defaults to `num_attention_heads`.
    #[serde(default)]
    pub num_key_value_heads: Option<usize>,
    /// Per-head width; defaults to `hidden_size / num_attention_heads`.
    #[serde(default)]
    pub head_dim: Option<usize>,
    /// RMSNorm epsilon.
    #[serde(default = "default_eps")]
    pub rms_norm_eps: f64,
    /// RoPE base (transformers < 5).
    #[serde(default)]
    pub rope_theta: Option<f64>,
    /// RoPE parameters (transformers ≥ 5).
    #[serde(default)]
    pub rope_parameters: Option<RopeParameters>,
    /// RoPE scaling; only absent / `default` is supported.
    #[serde(default)]
    pub rope_scaling: Option<RopeParameters>,
    /// Longest sequence.
    pub max_position_embeddings: usize,
    /// Output projection tied to the embedding (SmolLM2: true; Llama 2: false).
    #[serde(default)]
    pub tie_word_embeddings: bool,
    /// Biases on q/k/v/o.
    #[serde(default)]
    pub attention_bias: bool,
    /// Biases on gate/up/down.
    #[serde(default)]
    pub mlp_bias: bool,
    /// Activation; `silu` only.
    #[serde(default = "default_act")]
    pub hidden_act: String,
    /// BOS id.
    #[serde(default)]
    pub bos_token_id: TokenIds,
    /// EOS id(s).
    #[serde(default)]
    pub eos_token_id: TokenIds,
    /// Padding id.
    #[serde(default)]
    pub pad_token_id: TokenIds,
}

fn default_eps() -> f64 {
    1e-6
}
fn default_act() -> String {
    "silu".to_owned()
}

impl LlamaConfig {
    /// Key/value heads.
    pub fn kv_heads(&self) -> usize {
        self.num_key_value_heads.unwrap_or(self.num_attention_heads)
    }
    /// Per-head width.
    pub fn head_dim(&self) -> usize {
        self.head_dim
            .unwrap_or(self.hidden_size / self.num_attention_heads.max(1))
    }
    /// RoPE base.
    pub fn theta(&self) -> f64 {
        self.rope_parameters
            .as_ref()
            .and_then(|p| p.rope_theta)
            .or(self.rope_theta)
            .unwrap_or(10_000.0)
    }

    /// Check the values this implementation relies on.
    pub fn validate(&self, file: &str) -> Result<()> {
        dim(file, "vocab_size", self.vocab_size)?;
        dim(file, "hidden_size", self.hidden_size)?;
        dim(file, "intermediate_size", self.intermediate_size)?;
        dim(file, "num_hidden_layers", self.num_hidden_layers)?;
        dim(file, "num_attention_heads", self.num_attention_heads)?;
        dim(file, "num_key_value_heads", self.kv_heads())?;
        dim(file, "head_dim", self.head_dim())?;
        context(
            file,
            "max_position_embeddings",
            self.max_position_embeddings,
        )?;
        product(file, "vocab_size", &[self.vocab_size, self.hidden_size])?;
        product(
            file,
            "intermediate_size",
            &[2, self.intermediate_size, self.hidden_size],
        )?;
        product(
            file,
            "num_attention_heads",
            &[self.num_attention_heads, self.head_dim(), self.hidden_size],
        )?;
        product(
            file,
            "num_key_value_heads",
            &[2, self.kv_heads(), self.head_dim(), self.hidden_size],
        )?;
        if self.num_attention_heads % self.kv_heads() != 0 {
            return Err(bad(
                file,
                "num_key_value_heads",
                format!(
                    "{} query heads are not a multiple of {} key/value heads",
                    self.num_attention_heads,
                    self.kv_heads()
                ),
            ));
        }
        if self.head_dim() % 2 != 0 {
            return Err(bad(
                file,
                "head_dim",
                "rotary embedding needs an even head width",
            ));
        }
        if self.hidden_act != "silu" {
            return Err(bad(
                file,
                "hidden_act",
                format!("`{}` is not supported (only `silu`)", self.hidden_act),
            ));
        }
        let theta = self.theta();
        if !(theta.is_finite() && theta > 1.0) {
            return Err(bad(
                file,
                "rope_theta",
                format!("{theta} is not a valid RoPE base"),
            ));
        }
        if !(self.rms_norm_eps > 0.0 && self.rms_norm_eps < 1.0) {
            return Err(bad(file, "rms_norm_eps", "must be in (0, 1)"));
        }
        for (field, p) in [
            ("rope_parameters", &self.rope_parameters),
            ("rope_scaling", &self.rope_scaling),
        ] {
            if let Some(p) = p {
                let kind = p
                    .rope_type
                    .as_deref()
                    .or(p.kind.as_deref())
                    .unwrap_or("default");
                if kind != "default" {
                    return Err(bad(
                        file,
                        field,
                        format!("RoPE type `{kind}` is not supported (only `default`)"),
                    ));
                }
            }
        }
        Ok(())
    }
}
