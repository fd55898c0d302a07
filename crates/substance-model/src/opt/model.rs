//! OPT forward pass.

use burn::tensor::activation::relu;
use burn::tensor::module::embedding;
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::OptConfig;
use crate::cache::KvCache;
use crate::error::Result;
use crate::lm::{Architecture, CausalLm};
use crate::nn::{LayerNorm, Linear, TokenEmbedding, attend, split_qkv};

/// OPT's learned positions start at row 2 (rows 0–1 are a fairseq leftover).
pub(crate) const POSITION_OFFSET: usize = 2;

/// One decoder block.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub attn_norm: LayerNorm,
    /// Fused q/k/v `[hidden, 3·hidden]`.
    pub qkv: Linear,
    pub out: Linear,
    pub ffn_norm: LayerNorm,
    pub fc1: Linear,
    pub fc2: Linear,
}

/// A loaded OPT model.
#[derive(Debug, Clone)]
pub struct Opt {
    pub(crate) config: OptConfig,
    pub(crate) device: Device,
    /// Token embedding + output projection.
    pub(crate) embed_tokens: TokenEmbedding,
    /// `[max_position_embeddings + 2, hidden]`.
    pub(crate) embed_positions: Tensor<2>,
    pub(crate) project_in: Option<Linear>,
    pub(crate) project_out: Option<Linear>,
    pub(crate) blocks: Vec<Block>,
    pub(crate) final_norm: Option<LayerNorm>,
}

impl Opt {
    /// The config it was built from.
    pub fn config(&self) -> &OptConfig {
        &self.config
    }
}

impl CausalLm for Opt {
    fn architecture(&self) -> Architecture {
        Architecture::Opt
    }
    fn device(&self) -> &Device {
        &self.device
    }
    fn vocab_size(&self) -> usize {
        self.config.vocab_size
    }
    fn max_context(&self) -> usize {
        self.config.max_position_embeddings
    }
    fn num_layers(&self) -> usize {
        self.blocks.len()
    }

    fn forward_hidden(&self, tokens: Tensor<2, Int>, cache: &mut KvCache) -> Result<Tensor<3>> {
        let [b, s] = tokens.dims();
        let plan = cache.plan(b, s, self.max_context(), &self.device)?;
        let positions: Vec<i64> = plan
            .positions
            .iter()
            .map(|p| p + POSITION_OFFSET as i64)
            .collect();
        let positions: Tensor<2, Int> =
            Tensor::from_data(TensorData::new(positions, [b, s]), &self.device);
        let mut h = self.embed_tokens.lookup(tokens);
        if let Some(p) = &self.project_in {
            h = p.forward(h);
        }
        h = h + embedding(self.embed_positions.clone(), positions);
        let heads = self.config.num_attention_heads;
        let head_dim = self.config.hidden_size / heads;
        let pre = self.config.do_layer_norm_before;
        for (block, layer) in self.blocks.iter().zip(cache.layers.iter_mut()) {
            let x = if pre {
                block.attn_norm.forward(h.clone())
            } else {
                h.clone()
            };
            let (q, k, v) = split_qkv(block.qkv.forward(x), heads, heads, head_dim);
            let a = block
                .out
                .forward(attend(q, k, v, layer, plan.mask.as_ref()));
            h = h + a;
            if !pre {
                h = block.attn_norm.forward(h);
            }
            let x = if pre {
                block.ffn_norm.forward(h.clone())
            } else {
                h.clone()
            };
            let f = block.fc2.forward(relu(block.fc1.forward(x)));
            h = h + f;
            if !pre {
                h = block.ffn_norm.forward(h);
            }
        }
        if let Some(n) = &self.final_norm {
            h = n.forward(h);
        }
        if let Some(p) = &self.project_out {
            h = p.forward(h);
        }
        Ok(h)
    }

    fn project_columns(&self, hidden: Tensor<2>) -> Tensor<2> {
        self.embed_tokens.project_columns(hidden)
    }

    fn project(&self, hidden: Tensor<3>) -> Tensor<3> {
        self.embed_tokens.project(hidden)
    }
}
