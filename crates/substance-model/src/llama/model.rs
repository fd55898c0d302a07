//! Llama forward pass.

use burn::tensor::activation::silu;
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::LlamaConfig;
use crate::cache::KvCache;
use crate::error::Result;
use crate::lm::{Architecture, CausalLm};
use crate::nn::{Linear, RmsNorm, Rope, TokenEmbedding, attend, split_qkv};

/// One block.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub input_norm: RmsNorm,
    /// Fused q/k/v `[h, (n_q + 2·n_kv)·d]`.
    pub qkv: Linear,
    pub o_proj: Linear,
    pub post_norm: RmsNorm,
    /// Fused gate/up `[h, 2·ffn]`.
    pub gate_up: Linear,
    pub down: Linear,
}

/// A loaded Llama-family model.
#[derive(Debug, Clone)]
pub struct Llama {
    pub(crate) config: LlamaConfig,
    pub(crate) device: Device,
    /// Token embedding + output projection.
    pub(crate) embed_tokens: TokenEmbedding,
    pub(crate) blocks: Vec<Block>,
    pub(crate) norm: RmsNorm,
    pub(crate) rope: Rope,
}

impl Llama {
    /// The numeric path of the loaded weights: `"f32"`, or `"quantised Q4_1+Q8_0 × 16-bit activations"`
    /// naming every block type kept quantised (and `"…, rest f32"` when some projections are floats).
    pub fn numeric(&self) -> String {
        let mut types = std::collections::BTreeSet::new();
        let mut dense = false;
        let mut note = |v: Vec<String>| {
            dense |= v.is_empty();
            types.extend(v);
        };
        note(self.embed_tokens.quantized_origins());
        for b in &self.blocks {
            for l in [&b.qkv, &b.o_proj, &b.gate_up, &b.down] {
                note(l.quantized_origins());
            }
        }
        if types.is_empty() {
            return "f32".to_owned();
        }
        let list: Vec<String> = types.into_iter().collect();
        format!(
            "quantised {} × 16-bit activations{}",
            list.join("+"),
            if dense { ", rest f32" } else { "" }
        )
    }

    /// The config it was built from.
    pub fn config(&self) -> &LlamaConfig {
        &self.config
    }
}

impl CausalLm for Llama {
    fn architecture(&self) -> Architecture {
        Architecture::Llama
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
        let positions: Tensor<2, Int> = Tensor::from_data(
            TensorData::new(plan.positions.clone(), [b, s]),
            &self.device,
        );
        let (cos, sin) = self.rope.tables(&positions);
        let n_q = self.config.num_attention_heads;
        let n_kv = self.config.kv_heads();
        let d = self.config.head_dim();
        let ffn = self.config.intermediate_size;
        let mut h = self.embed_tokens.lookup(tokens);
        for (block, layer) in self.blocks.iter().zip(cache.layers.iter_mut()) {
            let x = block.input_norm.forward(h.clone());
            let (q, k, v) = split_qkv(block.qkv.forward(x), n_q, n_kv, d);
            let q = Rope::apply(q, &cos, &sin);
            let k = Rope::apply(k, &cos, &sin);
            h = h + block
                .o_proj
                .forward(attend(q, k, v, layer, plan.mask.as_ref()));
            let x = block.post_norm.forward(h.clone());
            let gu = block.gate_up.forward(x);
            let gate = gu.clone().narrow(2, 0, ffn);
            let up = gu.narrow(2, ffn, ffn);
            h = h + block.down.forward(silu(gate) * up);
        }
        Ok(self.norm.forward(h))
    }

    fn project_columns(&self, hidden: Tensor<2>) -> Tensor<2> {
        self.embed_tokens.project_columns(hidden)
    }

    fn score_on_host(&self, hidden: &Tensor<2>, targets: &[i64]) -> Option<(Vec<f32>, Vec<i64>)> {
        self.embed_tokens.score_on_host(hidden, targets)
    }

    fn project(&self, hidden: Tensor<3>) -> Tensor<3> {
        self.embed_tokens.project(hidden)
    }
}
