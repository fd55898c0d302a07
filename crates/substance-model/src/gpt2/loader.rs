//! GPT-2 weight names → [`Gpt2`].
//!
//! Name table (Hugging Face `GPT2LMHeadModel`; `{P}` is `transformer.` — or empty in checkpoints saved
//! from the bare `GPT2Model`, such as the original `gpt2` repository; `{i}` is the block index).
//! GPT-2's `Conv1D` stores weights `[in, out]`: they are used as stored, **not transposed** (a square
//! 768×768 transpose mistake would pass every shape check; only the parity tests catch it).
//!
//! | file name                                | shape                  | goes to                          |
//! |------------------------------------------|------------------------|----------------------------------|
//! | `{P}wte.weight`                          | `[vocab, h]`           | token embedding + tied head      |
//! | `{P}wpe.weight`                          | `[n_positions, h]`     | learned positions (no offset)    |
//! | `{P}h.{i}.ln_1.{weight,bias}`            | `[h]`                  | attention LayerNorm              |
//! | `{P}h.{i}.attn.c_attn.{weight,bias}`     | `[h, 3h]`, `[3h]`      | fused QKV (q, k, v side by side) |
//! | `{P}h.{i}.attn.c_proj.{weight,bias}`     | `[h, h]`, `[h]`        | attention output                 |
//! | `{P}h.{i}.ln_2.{weight,bias}`            | `[h]`                  | feed-forward LayerNorm           |
//! | `{P}h.{i}.mlp.c_fc.{weight,bias}`        | `[h, inner]`, `[inner]`| feed-forward in (`gelu_new`)     |
//! | `{P}h.{i}.mlp.c_proj.{weight,bias}`      | `[inner, h]`, `[h]`    | feed-forward out                 |
//! | `{P}ln_f.{weight,bias}`                  | `[h]`                  | final LayerNorm                  |
//! | `{P}h.{i}.attn.bias`, `{P}h.{i}.attn.masked_bias` | —             | ignored: causal-mask buffers older exports save |
//! | `lm_head.weight`                         | `[vocab, h]`           | ignored: a saved copy of the tied `wte` |

use super::Gpt2Config;
use super::model::{Block, Gpt2};
use crate::error::{ModelError, Result};
use crate::nn::{LayerNorm, Linear, TokenEmbedding};
use crate::weights::WeightMap;

impl Gpt2 {
    /// Build from a config and a weight map (every tensor must be used).
    pub fn load(config: Gpt2Config, w: &mut WeightMap<'_>) -> Result<Self> {
        config.validate(w.file())?;
        if !config.tie_word_embeddings {
            return Err(ModelError::Config {
                file: w.file().to_owned(),
                field: "tie_word_embeddings".into(),
                message: "untied GPT-2 heads are not supported".into(),
            });
        }
        let c = &config;
        let p = if w.any_starts_with("transformer.") {
            "transformer."
        } else {
            ""
        };
        let h = c.n_embd;
        let inner = c.inner();
        let eps = c.layer_norm_epsilon;
        let wte = TokenEmbedding::load(w, &format!("{p}wte.weight"), None, c.vocab_size, h)?;
        let wpe = w.matrix(&format!("{p}wpe.weight"), c.n_positions, h)?;
        let mut blocks = Vec::with_capacity(c.n_layer);
        for i in 0..c.n_layer {
            let l = format!("{p}h.{i}.");
            w.ignore(&format!("{l}attn.bias"));
            w.ignore(&format!("{l}attn.masked_bias"));
            blocks.push(Block {
                ln_1: LayerNorm::load(w, &format!("{l}ln_1"), h, eps, true)?,
                c_attn: Linear::load_conv1d(w, &format!("{l}attn.c_attn"), h, 3 * h)?,
                c_proj: Linear::load_conv1d(w, &format!("{l}attn.c_proj"), h, h)?,
                ln_2: LayerNorm::load(w, &format!("{l}ln_2"), h, eps, true)?,
                c_fc: Linear::load_conv1d(w, &format!("{l}mlp.c_fc"), h, inner)?,
                mlp_proj: Linear::load_conv1d(w, &format!("{l}mlp.c_proj"), inner, h)?,
            });
        }
        let ln_f = LayerNorm::load(w, &format!("{p}ln_f"), h, eps, true)?;
        w.ignore("lm_head.weight");
        let device = w.device().clone();
        Ok(Gpt2 {
            config,
            device,
            wte,
            wpe,
            blocks,
            ln_f,
        })
    }
}
