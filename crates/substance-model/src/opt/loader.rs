//! OPT weight names → [`Opt`].
//!
//! Name table (Hugging Face `OPTForCausalLM` state dict; `{P}` is `model.decoder.` — or `decoder.` in
//! checkpoints saved from the bare `OPTModel`; `{i}` is the block index). Linear weights are stored
//! `[out, in]` in the file and transposed to `[in, out]` here; q/k/v are fused into one `[h, 3h]`.
//!
//! | file name                                            | shape              | goes to                         |
//! |------------------------------------------------------|--------------------|---------------------------------|
//! | `{P}embed_tokens.weight`                             | `[vocab, e]`       | token embedding (+ tied head)   |
//! | `{P}embed_positions.weight`                          | `[max_pos + 2, h]` | learned positions (offset 2)    |
//! | `{P}project_in.weight` (only when `e ≠ h`)           | `[h, e]`           | embedding → width               |
//! | `{P}project_out.weight` (only when `e ≠ h`)          | `[e, h]`           | width → embedding               |
//! | `{P}layers.{i}.self_attn_layer_norm.{weight,bias}`   | `[h]`              | attention LayerNorm             |
//! | `{P}layers.{i}.self_attn.{q,k,v}_proj.{weight,bias}` | `[h, h]`, `[h]`    | fused QKV (q scaled at run time by the attention's 1/√d) |
//! | `{P}layers.{i}.self_attn.out_proj.{weight,bias}`     | `[h, h]`, `[h]`    | attention output                |
//! | `{P}layers.{i}.final_layer_norm.{weight,bias}`       | `[h]`              | feed-forward LayerNorm          |
//! | `{P}layers.{i}.fc1.{weight,bias}`                    | `[f, h]`, `[f]`    | feed-forward in (ReLU)          |
//! | `{P}layers.{i}.fc2.{weight,bias}`                    | `[h, f]`, `[h]`    | feed-forward out                |
//! | `{P}final_layer_norm.{weight,bias}`                  | `[h]`              | final LayerNorm (pre-LN models) |
//! | `lm_head.weight`                                     | `[vocab, e]`       | output projection when untied; ignored when tied (some exports save the tied copy) |
//!
//! Biases are required when `enable_bias`; LayerNorm parameters when `layer_norm_elementwise_affine`.

use super::OptConfig;
use super::model::{Block, Opt};
use crate::error::Result;
use crate::nn::{Bias, LayerNorm, Linear, TokenEmbedding};
use crate::weights::WeightMap;

const LN_EPS: f64 = 1e-5;

impl Opt {
    /// Build from a config and a weight map (every tensor must be used).
    pub fn load(config: OptConfig, w: &mut WeightMap<'_>) -> Result<Self> {
        config.validate(w.file())?;
        let c = &config;
        let p = if w.any_starts_with("model.decoder.") {
            "model.decoder."
        } else {
            "decoder."
        };
        let h = c.hidden_size;
        let e = c.embed_dim();
        let f = c.ffn_dim;
        let bias = if c.enable_bias {
            Bias::Required
        } else {
            Bias::None
        };
        let affine = c.layer_norm_elementwise_affine;
        if c.tie_word_embeddings {
            w.ignore("lm_head.weight");
        }
        let embed_tokens = TokenEmbedding::load(
            w,
            &format!("{p}embed_tokens.weight"),
            (!c.tie_word_embeddings).then_some("lm_head.weight"),
            c.vocab_size,
            e,
        )?;
        let embed_positions = w.matrix(
            &format!("{p}embed_positions.weight"),
            c.max_position_embeddings + super::model::POSITION_OFFSET,
            h,
        )?;
        let (project_in, project_out) = if e != h {
            (
                Some(Linear::load_hf(
                    w,
                    &[(&format!("{p}project_in"), h)],
                    e,
                    Bias::None,
                )?),
                Some(Linear::load_hf(
                    w,
                    &[(&format!("{p}project_out"), e)],
                    h,
                    Bias::None,
                )?),
            )
        } else {
            (None, None)
        };
        let mut blocks = Vec::with_capacity(c.num_hidden_layers);
        for i in 0..c.num_hidden_layers {
            let l = format!("{p}layers.{i}.");
            blocks.push(Block {
                attn_norm: LayerNorm::load(
                    w,
                    &format!("{l}self_attn_layer_norm"),
                    h,
                    LN_EPS,
                    affine,
                )?,
                qkv: Linear::load_hf(
                    w,
                    &[
                        (&format!("{l}self_attn.q_proj"), h),
                        (&format!("{l}self_attn.k_proj"), h),
                        (&format!("{l}self_attn.v_proj"), h),
                    ],
                    h,
                    bias,
                )?,
                out: Linear::load_hf(w, &[(&format!("{l}self_attn.out_proj"), h)], h, bias)?,
                ffn_norm: LayerNorm::load(w, &format!("{l}final_layer_norm"), h, LN_EPS, affine)?,
                fc1: Linear::load_hf(w, &[(&format!("{l}fc1"), f)], h, bias)?,
                fc2: Linear::load_hf(w, &[(&format!("{l}fc2"), h)], f, bias)?,
            });
        }
        let final_norm = if c.do_layer_norm_before && !c.remove_final_layer_norm {
            Some(LayerNorm::load(
                w,
                &format!("{p}final_layer_norm"),
                h,
                LN_EPS,
                affine,
            )?)
        } else {
            None
        };
        let device = w.device().clone();
        Ok(Opt {
            config,
            device,
            embed_tokens,
            embed_positions,
            project_in,
            project_out,
            blocks,
            final_norm,
        })
    }
}
