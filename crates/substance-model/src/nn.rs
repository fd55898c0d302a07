//! Hand-written building blocks shared by the architectures.
//!
//! These are plain structs of tensors rather than `burn::nn` modules: the runtime never trains, the
//! weights come from foreign files through a name table, and owning the layout lets a projection be
//! stored pre-transposed (`[in, out]`) and fused (QKV, gate/up) at load time.

use burn::tensor::module::{attention, layer_norm, linear};
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

use crate::error::Result;
use crate::weights::{WeightMap, fuse_biases, fuse_linear_weights};

/// A linear layer stored as `[in, out]` (+ bias), computed as `x · W + b`.
#[derive(Debug, Clone)]
pub struct Linear {
    /// `[in, out]`.
    pub weight: Tensor<2>,
    /// `[out]`.
    pub bias: Option<Tensor<1>>,
}

impl Linear {
    /// Apply to `[..., in]`.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        linear(x, self.weight.clone(), self.bias.clone())
    }

    /// Load Hugging Face `nn.Linear` weights (`{prefix}.weight` `[out, in]`, optional `{prefix}.bias`)
    /// for one or several projections fused side by side (`prefixes` in output order).
    pub fn load_hf(
        w: &mut WeightMap<'_>,
        prefixes: &[(&str, usize)],
        d_in: usize,
        bias: Bias,
    ) -> Result<Self> {
        let mut weights = Vec::with_capacity(prefixes.len());
        let mut biases = Vec::with_capacity(prefixes.len());
        for (p, d_out) in prefixes {
            weights.push(w.take(&format!("{p}.weight"), &[*d_out, d_in])?);
            let name = format!("{p}.bias");
            let b = match bias {
                Bias::Required => Some(w.take(&name, &[*d_out])?),
                Bias::Optional => w.take_opt(&name, &[*d_out])?,
                Bias::None => None,
            };
            biases.push(b);
        }
        let parts: Vec<(&[f32], usize)> = weights
            .iter()
            .zip(prefixes)
            .map(|(v, (_, o))| (v.as_slice(), *o))
            .collect();
        let fused = fuse_linear_weights(&parts, d_in);
        drop(weights);
        let d_out: usize = prefixes.iter().map(|(_, o)| o).sum();
        let weight = Tensor::from_data(TensorData::new(fused, [d_in, d_out]), w.device());
        let bias = if biases.iter().all(Option::is_none) {
            None
        } else {
            // a projection without bias next to one with: fill zeros
            let filled: Vec<Vec<f32>> = biases
                .into_iter()
                .zip(prefixes)
                .map(|(b, (_, o))| b.unwrap_or_else(|| vec![0.0; *o]))
                .collect();
            let refs: Vec<&[f32]> = filled.iter().map(Vec::as_slice).collect();
            Some(Tensor::from_data(
                TensorData::new(fuse_biases(&refs), [d_out]),
                w.device(),
            ))
        };
        Ok(Self { weight, bias })
    }

    /// Load GPT-2 `Conv1D` weights, already `[in, out]` (no transpose), with bias.
    pub fn load_conv1d(
        w: &mut WeightMap<'_>,
        prefix: &str,
        d_in: usize,
        d_out: usize,
    ) -> Result<Self> {
        let weight = w.matrix(&format!("{prefix}.weight"), d_in, d_out)?;
        let bias = Some(w.vector(&format!("{prefix}.bias"), d_out)?);
        Ok(Self { weight, bias })
    }
}

/// Token embedding and output projection (tied or not).
///
/// Both matrices are kept as the files store them, `[vocab, hidden]`, and the output projection is
/// computed as `W · xᵀ` (one dot product per vocabulary row, the matrix streamed once) and transposed
/// back. For single-token decoding that is the fastest CPU form: `x · Wᵀ` through a transposed view
/// made the step ~15× slower, and `x · W'` with a pre-transposed `[hidden, vocab]` copy ~1.4× slower
/// (its 200 KB accumulator row does not stay in L1). A tied model holds its embedding once.
#[derive(Debug, Clone)]
pub struct TokenEmbedding {
    /// `[vocab, hidden]` lookup table.
    table: Tensor<2>,
    /// `[vocab, hidden]` output projection when untied.
    head: Option<Tensor<2>>,
}

impl TokenEmbedding {
    /// Load `embed` (`[vocab, hidden]`) and, when untied, `head` (`[vocab, hidden]`).
    pub fn load(
        w: &mut WeightMap<'_>,
        embed: &str,
        head: Option<&str>,
        vocab: usize,
        hidden: usize,
    ) -> Result<Self> {
        let table = w.matrix(embed, vocab, hidden)?;
        let head = match head {
            Some(h) => Some(w.matrix(h, vocab, hidden)?),
            None => None,
        };
        Ok(Self { table, head })
    }

    /// Embeddings of `tokens` `[batch, seq]` → `[batch, seq, hidden]`.
    pub fn lookup(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        burn::tensor::module::embedding(self.table.clone(), tokens)
    }

    /// Logits `[batch, n, vocab]` of hidden states `[batch, n, hidden]`.
    pub fn project(&self, hidden: Tensor<3>) -> Tensor<3> {
        let [b, n, d] = hidden.dims();
        let w = self.head.as_ref().unwrap_or(&self.table).clone();
        let v = w.dims()[0];
        let x = hidden.reshape([b * n, d]);
        if b * n < PROJECT_ROWS_DIRECT {
            w.matmul(x.transpose()).transpose().reshape([b, n, v])
        } else {
            // Many positions: `x · Wᵀ` straight into `[b·n, vocab]` (gemm reads the transposed view
            // through its strides): no `[vocab, b·n]` intermediate and transposed copy, which for
            // 8×128 OPT-125m logits cost 206 MB more and ran ~15% slower natively.
            x.matmul(w.transpose()).reshape([b, n, v])
        }
    }

    /// Logits `[vocab, n]` of hidden states `[n, hidden]` (no transpose back).
    pub fn project_columns(&self, hidden: Tensor<2>) -> Tensor<2> {
        let w = self.head.as_ref().unwrap_or(&self.table).clone();
        w.matmul(hidden.transpose())
    }
}

/// From this many positions on, [`TokenEmbedding::project`] computes `x · Wᵀ` directly.
const PROJECT_ROWS_DIRECT: usize = 64;

/// Whether a projection has a bias.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bias {
    /// `{prefix}.bias` must exist.
    Required,
    /// Taken when present.
    Optional,
    /// Never read (an unexpected one is reported as unused).
    None,
}

/// LayerNorm over the last dimension.
#[derive(Debug, Clone)]
pub struct LayerNorm {
    gamma: Tensor<1>,
    beta: Option<Tensor<1>>,
    eps: f64,
}

impl LayerNorm {
    /// Load `{prefix}.weight` / `{prefix}.bias`; `affine = false` means no parameters (ones/zeros).
    pub fn load(
        w: &mut WeightMap<'_>,
        prefix: &str,
        d: usize,
        eps: f64,
        affine: bool,
    ) -> Result<Self> {
        if affine {
            Ok(Self {
                gamma: w.vector(&format!("{prefix}.weight"), d)?,
                beta: Some(w.vector(&format!("{prefix}.bias"), d)?),
                eps,
            })
        } else {
            Ok(Self {
                gamma: Tensor::ones([d], w.device()),
                beta: None,
                eps,
            })
        }
    }

    /// Apply.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        layer_norm(x, self.gamma.clone(), self.beta.clone(), self.eps)
    }
}

/// RMSNorm as Hugging Face Llama computes it: `w · x / sqrt(mean(x²) + eps)`.
#[derive(Debug, Clone)]
pub struct RmsNorm {
    weight: Tensor<1>,
    eps: f64,
}

impl RmsNorm {
    /// Load `{name}` `[d]`.
    pub fn load(w: &mut WeightMap<'_>, name: &str, d: usize, eps: f64) -> Result<Self> {
        Ok(Self {
            weight: w.vector(name, d)?,
            eps,
        })
    }

    /// Apply.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let d = x.dims()[2];
        let ms = x.clone().square().mean_dim(2);
        let inv = ms.add_scalar(self.eps).sqrt().recip();
        (x * inv) * self.weight.clone().reshape([1, 1, d])
    }
}

/// Rotary position embedding tables (Hugging Face "default" rope, half-split layout).
#[derive(Debug, Clone)]
pub struct Rope {
    cos: Tensor<2>,
    sin: Tensor<2>,
}

impl Rope {
    /// Tables for positions `0..max_positions`, `head_dim` wide, base `theta`.
    ///
    /// Computed as transformers does, in f32: `inv_freq = 1 / theta^(2i/d)`, angle = `pos · inv_freq`,
    /// duplicated over both halves.
    pub fn new(head_dim: usize, max_positions: usize, theta: f64, device: &Device) -> Self {
        let half = head_dim / 2;
        let inv: Vec<f32> = (0..half)
            .map(|i| {
                let exponent = (2 * i) as f32 / head_dim as f32;
                1.0f32 / (theta as f32).powf(exponent)
            })
            .collect();
        let mut cos = Vec::with_capacity(max_positions * head_dim);
        let mut sin = Vec::with_capacity(max_positions * head_dim);
        for p in 0..max_positions {
            for k in 0..head_dim {
                let angle = p as f32 * inv[k % half];
                cos.push((angle as f64).cos() as f32);
                sin.push((angle as f64).sin() as f32);
            }
        }
        Self {
            cos: Tensor::from_data(TensorData::new(cos, [max_positions, head_dim]), device),
            sin: Tensor::from_data(TensorData::new(sin, [max_positions, head_dim]), device),
        }
    }

    /// Cos/sin rows for `positions` `[batch, seq]`, shaped `[batch, 1, seq, head_dim]`.
    pub fn tables(&self, positions: &Tensor<2, Int>) -> (Tensor<4>, Tensor<4>) {
        let cos = burn::tensor::module::embedding(self.cos.clone(), positions.clone());
        let sin = burn::tensor::module::embedding(self.sin.clone(), positions.clone());
        (cos.unsqueeze_dim(1), sin.unsqueeze_dim(1))
    }

    /// Rotate `x` `[batch, heads, seq, head_dim]`.
    pub fn apply(x: Tensor<4>, cos: &Tensor<4>, sin: &Tensor<4>) -> Tensor<4> {
        let d = x.dims()[3];
        let half = d / 2;
        let x1 = x.clone().narrow(3, 0, half);
        let x2 = x.clone().narrow(3, half, half);
        let rotated = Tensor::cat(vec![x2.neg(), x1], 3);
        x * cos.clone() + rotated * sin.clone()
    }
}

/// Split a fused `[batch, seq, (h_q + 2·h_kv)·d]` projection into `q [b, h_q, s, d]`,
/// `k, v [b, h_kv, s, d]`.
pub fn split_qkv(
    qkv: Tensor<3>,
    n_heads: usize,
    n_kv_heads: usize,
    head_dim: usize,
) -> (Tensor<4>, Tensor<4>, Tensor<4>) {
    let [b, s, _] = qkv.dims();
    let q_w = n_heads * head_dim;
    let kv_w = n_kv_heads * head_dim;
    let q = qkv.clone().narrow(2, 0, q_w);
    let k = qkv.clone().narrow(2, q_w, kv_w);
    let v = qkv.narrow(2, q_w + kv_w, kv_w);
    let heads = |t: Tensor<3>, h: usize| t.reshape([b, s, h, head_dim]).swap_dims(1, 2);
    (
        heads(q, n_heads),
        heads(k, n_kv_heads),
        heads(v, n_kv_heads),
    )
}

/// Scaled dot-product attention with the cache: appends `k`, `v` to `layer`, attends `q` to every
/// cached key under `mask` (`[b, 1, s, total]`, `true` = masked), returns `[b, s, h·d]`.
///
/// Grouped-query attention without copying keys: the `n_rep` query heads that share a key/value head
/// are stacked along the sequence axis (`[b, h_kv, n_rep·s, d]`), so each key/value head is read once.
pub fn attend(
    q: Tensor<4>,
    k: Tensor<4>,
    v: Tensor<4>,
    layer: &mut Option<(Tensor<4>, Tensor<4>)>,
    mask: Option<&Tensor<4, Bool>>,
) -> Tensor<3> {
    let [b, h, s, d] = q.dims();
    let h_kv = k.dims()[1];
    let (k, v) = match layer.take() {
        Some((pk, pv)) => (Tensor::cat(vec![pk, k], 2), Tensor::cat(vec![pv, v], 2)),
        None => (k, v),
    };
    *layer = Some((k.clone(), v.clone()));
    let total = k.dims()[2];
    let n_rep = h / h_kv;
    let q = if n_rep > 1 {
        q.reshape([b, h_kv, n_rep * s, d])
    } else {
        q
    };
    let rows = n_rep * s;
    let mask = mask.map(|m| {
        let m = if n_rep > 1 {
            m.clone().repeat_dim(2, n_rep)
        } else {
            m.clone()
        };
        m.expand([b, h_kv, rows, total])
    });
    let out = attention(q, k, v, mask, None, AttentionModuleOptions::default());
    out.reshape([b, h, s, d])
        .swap_dims(1, 2)
        .reshape([b, s, h * d])
}

/// Reference attention written with plain tensor ops (used by tests to cross-check [`attend`]).
#[cfg(test)]
pub fn attend_reference(
    q: Tensor<4>,
    k: Tensor<4>,
    v: Tensor<4>,
    mask: Option<Tensor<4, Bool>>,
) -> Tensor<4> {
    use burn::tensor::activation::softmax;
    let d = q.dims()[3];
    let scores = q.matmul(k.swap_dims(2, 3)) / (d as f64).sqrt();
    let scores = match mask {
        Some(m) => scores.mask_fill(m, f32::NEG_INFINITY),
        None => scores,
    };
    softmax(scores, 3).matmul(v)
}

/// Token ids `[batch, seq]` (row-major) as an Int tensor.
pub fn int_tensor(ids: Vec<i64>, batch: usize, seq: usize, device: &Device) -> Tensor<2, Int> {
    Tensor::from_data(TensorData::new(ids, [batch, seq]), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both forms of the output projection — `W · xᵀ` transposed back (few positions) and `x · Wᵀ`
    /// (from [`PROJECT_ROWS_DIRECT`] positions on) — equal the plain sum of products.
    #[test]
    fn projection_equals_the_plain_product_on_both_paths() {
        let device = Device::flex();
        let (v, d) = (23, 8);
        let wv: Vec<f32> = (0..v * d)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
            .collect();
        let emb = TokenEmbedding {
            table: Tensor::<2>::from_data(TensorData::new(wv.clone(), [v, d]), &device),
            head: None,
        };
        for (b, n) in [(1, 3), (2, PROJECT_ROWS_DIRECT / 2), (2, 35), (1, 70)] {
            let xv: Vec<f32> = (0..b * n * d)
                .map(|i| ((i * 13 % 97) as f32 - 48.0) / 30.0)
                .collect();
            let x = Tensor::<3>::from_data(TensorData::new(xv.clone(), [b, n, d]), &device);
            let got = emb.project(x).into_data().try_to_vec::<f32>().unwrap();
            assert_eq!(got.len(), b * n * v);
            for r in 0..b * n {
                for c in 0..v {
                    let want: f32 = (0..d).map(|k| xv[r * d + k] * wv[c * d + k]).sum();
                    let g = got[r * v + c];
                    assert!((g - want).abs() <= 1e-5, "{b}x{n}: [{r},{c}] {g} vs {want}");
                }
            }
        }
    }
}
