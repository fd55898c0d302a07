//! Llama weight names → [`Llama`].
//!
//! Name table (Hugging Face `LlamaForCausalLM`; `{i}` is the block index; `h` hidden, `d` head width,
//! `n_q`/`n_kv` query/key-value heads, `f` feed-forward width). Linear weights are `[out, in]` in the
//! file, transposed to `[in, out]` here; q/k/v and gate/up are fused. GGUF files reach this table
//! through the GGUF source, which renames llama.cpp's tensors and undoes its q/k row permutation.
//!
//! | file name                                           | shape               | goes to                 |
//! |-----------------------------------------------------|---------------------|-------------------------|
//! | `model.embed_tokens.weight`                         | `[vocab, h]`        | token embedding (+ tied head) |
//! | `model.layers.{i}.input_layernorm.weight`           | `[h]`               | attention RMSNorm       |
//! | `model.layers.{i}.self_attn.q_proj.weight`          | `[n_q·d, h]`        | fused QKV (RoPE after)  |
//! | `model.layers.{i}.self_attn.k_proj.weight`          | `[n_kv·d, h]`       | fused QKV (RoPE after)  |
//! | `model.layers.{i}.self_attn.v_proj.weight`          | `[n_kv·d, h]`       | fused QKV               |
//! | `model.layers.{i}.self_attn.o_proj.weight`          | `[h, n_q·d]`        | attention output        |
//! | `model.layers.{i}.self_attn.{q,k,v,o}_proj.bias`    | `[out]`             | only when `attention_bias` |
//! | `model.layers.{i}.post_attention_layernorm.weight`  | `[h]`               | feed-forward RMSNorm    |
//! | `model.layers.{i}.mlp.gate_proj.weight`             | `[f, h]`            | fused gate/up (SiLU on gate) |
//! | `model.layers.{i}.mlp.up_proj.weight`               | `[f, h]`            | fused gate/up           |
//! | `model.layers.{i}.mlp.down_proj.weight`             | `[h, f]`            | feed-forward out        |
//! | `model.layers.{i}.mlp.{gate,up,down}_proj.bias`     | `[out]`             | only when `mlp_bias`    |
//! | `model.norm.weight`                                 | `[h]`               | final RMSNorm           |
//! | `lm_head.weight`                                    | `[vocab, h]`        | output projection when untied; ignored when tied |
//! | `model.layers.{i}.self_attn.rotary_emb.inv_freq`    | —                   | ignored: a buffer older exports save (recomputed from `rope_theta`) |

use super::LlamaConfig;
use super::model::{Block, Llama};
use crate::error::Result;
use crate::nn::{Bias, Linear, RmsNorm, Rope, TokenEmbedding};
use crate::weights::WeightMap;

impl Llama {
    /// Build from a config and a weight map (every tensor must be used).
    pub fn load(config: LlamaConfig, w: &mut WeightMap<'_>) -> Result<Self> {
        config.validate(w.file())?;
        let c = &config;
        let h = c.hidden_size;
        let d = c.head_dim();
        let n_q = c.num_attention_heads;
        let n_kv = c.kv_heads();
        let f = c.intermediate_size;
        let eps = c.rms_norm_eps;
        let attn_bias = if c.attention_bias {
            Bias::Required
        } else {
            Bias::None
        };
        let mlp_bias = if c.mlp_bias {
            Bias::Required
        } else {
            Bias::None
        };
        if c.tie_word_embeddings {
            w.ignore("lm_head.weight");
        }
        let embed_tokens = TokenEmbedding::load(
            w,
            "model.embed_tokens.weight",
            (!c.tie_word_embeddings).then_some("lm_head.weight"),
            c.vocab_size,
            h,
        )?;
        let mut blocks = Vec::with_capacity(c.num_hidden_layers);
        for i in 0..c.num_hidden_layers {
            let l = format!("model.layers.{i}.");
            w.ignore(&format!("{l}self_attn.rotary_emb.inv_freq"));
            blocks.push(Block {
                input_norm: RmsNorm::load(w, &format!("{l}input_layernorm.weight"), h, eps)?,
                qkv: Linear::load_hf(
                    w,
                    &[
                        (&format!("{l}self_attn.q_proj"), n_q * d),
                        (&format!("{l}self_attn.k_proj"), n_kv * d),
                        (&format!("{l}self_attn.v_proj"), n_kv * d),
                    ],
                    h,
                    attn_bias,
                )?,
                o_proj: Linear::load_hf(
                    w,
                    &[(&format!("{l}self_attn.o_proj"), h)],
                    n_q * d,
                    attn_bias,
                )?,
                post_norm: RmsNorm::load(
                    w,
                    &format!("{l}post_attention_layernorm.weight"),
                    h,
                    eps,
                )?,
                gate_up: Linear::load_hf(
                    w,
                    &[
                        (&format!("{l}mlp.gate_proj"), f),
                        (&format!("{l}mlp.up_proj"), f),
                    ],
                    h,
                    mlp_bias,
                )?,
                down: Linear::load_hf(w, &[(&format!("{l}mlp.down_proj"), h)], f, mlp_bias)?,
            });
        }
        let norm = RmsNorm::load(w, "model.norm.weight", h, eps)?;
        let device = w.device().clone();
        let rope = Rope::new(d, c.max_position_embeddings, c.theta(), &device);
        Ok(Llama {
            config,
            device,
            embed_tokens,
            blocks,
            norm,
            rope,
        })
    }
}
