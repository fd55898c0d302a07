//! GPT-2 forward pass.

use burn::tensor::activation::gelu_approximate;
use burn::tensor::module::embedding;
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::Gpt2Config;
use crate::cache::KvCache;
use crate::error::Result;
use crate::lm::{Architecture, CausalLm};
use crate::nn::{LayerNorm, Linear, TokenEmbedding, attend, split_qkv};

/// One block.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub ln_1: LayerNorm,
    /// `c_attn`: `[h, 3h]` as stored.
    pub c_attn: Linear,
    pub c_proj: Linear,
    pub ln_2: LayerNorm,
    pub c_fc: Linear,
    pub mlp_proj: Linear,
}

/// A loaded GPT-2 model.
#[derive(Debug, Clone)]
pub struct Gpt2 {
    pub(crate) config: Gpt2Config,
    pub(crate) device: Device,
    /// Token embedding + tied output projection.
    pub(crate) wte: TokenEmbedding,
    /// `[n_positions, h]`.
    pub(crate) wpe: Tensor<2>,
    pub(crate) blocks: Vec<Block>,
    pub(crate) ln_f: LayerNorm,
}

impl Gpt2 {
    /// The config it was built from.
    pub fn config(&self) -> &Gpt2Config {
        &self.config
    }
}

impl CausalLm for Gpt2 {
    fn architecture(&self) -> Architecture {
        Architecture::Gpt2
    }
    fn device(&self) -> &Device {
        &self.device
    }
    fn vocab_size(&self) -> usize {
        self.config.vocab_size
    }
    fn max_context(&self) -> usize {
        self.config.n_positions
    }
    fn num_layers(&self) -> usize {
        self.blocks.len()
    }

    fn forward_hidden(&self, tokens: Tensor<2, Int>, cache: &mut KvCache) -> Result<Tensor<3>> {
        let [b, s] = tokens.dims();
        let plan = cache.plan(b, s, self.max_context(), &self.device)?;
        let positions: Tensor<2, Int> = Tensor::from_data(
            TensorData::new(plan.positions.clone(), [b, s]),
            &self.device,
        );
        let mut h = self.wte.lookup(tokens) + embedding(self.wpe.clone(), positions);
        let heads = self.config.n_head;
        let head_dim = self.config.n_embd / heads;
        for (block, layer) in self.blocks.iter().zip(cache.layers.iter_mut()) {
            let x = block.ln_1.forward(h.clone());
            let (q, k, v) = split_qkv(block.c_attn.forward(x), heads, heads, head_dim);
            h = h + block
                .c_proj
                .forward(attend(q, k, v, layer, plan.mask.as_ref()));
            let x = block.ln_2.forward(h.clone());
            h = h + block
                .mlp_proj
                .forward(gelu_approximate(block.c_fc.forward(x)));
        }
        Ok(self.ln_f.forward(h))
    }

    fn project_columns(&self, hidden: Tensor<2>) -> Tensor<2> {
        self.wte.project_columns(hidden)
    }

    fn project(&self, hidden: Tensor<3>) -> Tensor<3> {
        self.wte.project(hidden)
    }
}
