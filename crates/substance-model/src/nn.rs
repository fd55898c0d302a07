//! Hand-written building blocks shared by the architectures.
//!
//! These are plain structs of tensors rather than `burn::nn` modules: the runtime never trains, the
//! weights come from foreign files through a name table, and owning the layout lets a projection be
//! stored pre-transposed (`[in, out]`) and fused (QKV, gate/up) at load time.

use burn::tensor::module::{attention, layer_norm, linear};
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

use std::sync::Arc;

use substance_quant::{QActs, QMatrix};

use crate::error::Result;
use crate::weights::{WeightMap, fuse_biases, fuse_linear_weights};

/// A linear layer: `x · W + b`.
#[derive(Debug, Clone)]
pub struct Linear {
    /// The weights.
    pub weight: LinearWeight,
    /// `[out]` (dense weights only; quantised layers hold their bias on the host).
    pub bias: Option<Tensor<1>>,
}

/// How a [`Linear`] holds its weights.
// A burn tensor handle is large (256 bytes) and the quantised variant an `Arc`; a layer holds one of
// them for its lifetime, so boxing the dense one would only add an indirection to every forward.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum LinearWeight {
    /// `[in, out]` floats on the device.
    Dense(Tensor<2>),
    /// The file's quantised blocks on the CPU (`substance-quant`), shared read-only.
    Quantized(Arc<QuantLinear>),
}

/// A quantised projection: one block matrix per fused part (`[out_i, in]` rows, in output order) and the
/// fused bias.
#[derive(Debug)]
pub struct QuantLinear {
    parts: Vec<QMatrix>,
    bias: Option<Vec<f32>>,
}

impl QuantLinear {
    /// `y = x · Wᵀ (+ b)` for `m` rows of `x` (`m × in`, row-major) → `m × out`.
    fn apply(&self, x: &[f32], m: usize, k: usize) -> Vec<f32> {
        let mut y = quantized_product(&self.parts, x, m, k);
        if let Some(b) = &self.bias {
            for row in y.chunks_exact_mut(b.len().max(1)) {
                for (v, c) in row.iter_mut().zip(b) {
                    *v += c;
                }
            }
        }
        y
    }

    /// The ggml types of the parts (`"Q4_1"`, `"Q6_K→Q8"`).
    pub fn origins(&self) -> Vec<String> {
        self.parts.iter().map(|p| p.origin().label()).collect()
    }
}

/// `x · [W₁; W₂; …]ᵀ` for `m` rows of `x` (`m × k`): the parts' outputs side by side, `m × Σ rows`.
/// Shapes are fixed at load time, so the kernels' shape errors cannot occur; were one to, the output
/// would be NaN rather than a panic.
fn quantized_product(parts: &[QMatrix], x: &[f32], m: usize, k: usize) -> Vec<f32> {
    let d_out: usize = parts.iter().map(QMatrix::rows).sum();
    let mut y = vec![0f32; m * d_out];
    let done = QActs::quantize(x, m, k).and_then(|a| {
        let mut offset = 0;
        for p in parts {
            p.matmul(&a, &mut y, d_out, offset)?;
            offset += p.rows();
        }
        Ok(())
    });
    if done.is_err() {
        y.fill(f32::NAN);
    }
    y
}

/// The fused projections' biases side by side, zeros for a projection without one next to one with;
/// `None` when none has a bias.
fn fused_bias(biases: Vec<Option<Vec<f32>>>, prefixes: &[(&str, usize)]) -> Option<Vec<f32>> {
    if biases.iter().all(Option::is_none) {
        return None;
    }
    let filled: Vec<Vec<f32>> = biases
        .into_iter()
        .zip(prefixes)
        .map(|(b, (_, o))| b.unwrap_or_else(|| vec![0.0; *o]))
        .collect();
    let refs: Vec<&[f32]> = filled.iter().map(Vec::as_slice).collect();
    Some(fuse_biases(&refs))
}

/// `f` of a CPU tensor's values, borrowed when they are f32 (Flex reads complete at once, so the
/// synchronous read is safe on every target).
fn with_host_values<const D: usize, R>(x: Tensor<D>, f: impl FnOnce(&[f32]) -> R) -> R {
    let data = x.into_data();
    match data.as_slice::<f32>() {
        Ok(s) => f(s),
        Err(_) => f(&data.iter::<f32>().collect::<Vec<f32>>()),
    }
}

impl Linear {
    /// Apply to `[..., in]`.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match &self.weight {
            LinearWeight::Dense(w) => linear(x, w.clone(), self.bias.clone()),
            LinearWeight::Quantized(q) => {
                let mut dims = x.dims();
                let k = dims[D - 1];
                let m = dims[..D - 1].iter().product();
                let device = x.device();
                let y = with_host_values(x, |v| q.apply(v, m, k));
                dims[D - 1] = q.parts.iter().map(QMatrix::rows).sum();
                Tensor::from_data(TensorData::new(y, dims), &device)
            }
        }
    }

    /// The ggml types of a quantised layer's parts; empty for dense weights.
    pub fn quantized_origins(&self) -> Vec<String> {
        match &self.weight {
            LinearWeight::Dense(_) => Vec::new(),
            LinearWeight::Quantized(q) => q.origins(),
        }
    }

    /// Load Hugging Face `nn.Linear` weights (`{prefix}.weight` `[out, in]`, optional `{prefix}.bias`)
    /// for one or several projections fused side by side (`prefixes` in output order).
    pub fn load_hf(
        w: &mut WeightMap<'_>,
        prefixes: &[(&str, usize)],
        d_in: usize,
        bias: Bias,
    ) -> Result<Self> {
        if w.quantized()
            && prefixes
                .iter()
                .all(|(p, _)| w.stores_quantized(&format!("{p}.weight")))
        {
            return Self::load_quantized(w, prefixes, d_in, bias);
        }
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
        let bias = fused_bias(biases, prefixes)
            .map(|b| Tensor::from_data(TensorData::new(b, [d_out]), w.device()));
        Ok(Self {
            weight: LinearWeight::Dense(weight),
            bias,
        })
    }

    /// [`Linear::load_hf`] keeping the file's quantised blocks.
    fn load_quantized(
        w: &mut WeightMap<'_>,
        prefixes: &[(&str, usize)],
        d_in: usize,
        bias: Bias,
    ) -> Result<Self> {
        let mut parts = Vec::with_capacity(prefixes.len());
        let mut biases = Vec::with_capacity(prefixes.len());
        for (p, d_out) in prefixes {
            parts.push(w.take_blocks(&format!("{p}.weight"), *d_out, d_in)?);
            let name = format!("{p}.bias");
            biases.push(match bias {
                Bias::Required => Some(w.take(&name, &[*d_out])?),
                Bias::Optional => w.take_opt(&name, &[*d_out])?,
                Bias::None => None,
            });
        }
        let bias = fused_bias(biases, prefixes);
        Ok(Self {
            weight: LinearWeight::Quantized(Arc::new(QuantLinear { parts, bias })),
            bias: None,
        })
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
        Ok(Self {
            weight: LinearWeight::Dense(weight),
            bias,
        })
    }
}

/// Token embedding and output projection (tied or not).
///
/// Both matrices are kept as the files store them, `[vocab, hidden]`, and the output projection is
/// computed as `W · xᵀ` (one dot product per vocabulary row, the matrix streamed once) and transposed
/// back. For single-token decoding that is the fastest CPU form: `x · Wᵀ` through a transposed view
/// made the step ~15× slower, and `x · W'` with a pre-transposed `[hidden, vocab]` copy ~1.4× slower
/// (its 200 KB accumulator row does not stay in L1). A tied model holds its embedding once.
///
/// On a GPU the matrices are held in row blocks of at most [`GPU_BLOCK_BYTES`]: a storage buffer larger
/// than the device's binding limit cannot be created (WebGPU's default limit is 128 MiB, and lavapipe
/// has no more; OPT-125m's tied embedding is 154 MB). A lookup then gathers from every block with the
/// ids outside it masked out, and a projection concatenates the blocks' logits. On the CPU there is one
/// block and both are exactly the unblocked operations.
#[derive(Debug, Clone)]
pub struct TokenEmbedding {
    /// `[vocab, hidden]` lookup table, in row blocks of `block_rows` (the last may be shorter).
    table: Vec<Tensor<2>>,
    /// `[vocab, hidden]` output projection when untied, in the same blocks.
    head: Option<Vec<Tensor<2>>>,
    /// Rows per block.
    block_rows: usize,
    /// The file's quantised blocks instead of `table`/`head` (then both empty), on the CPU.
    quant: Option<Arc<QuantEmbedding>>,
}

/// A quantised embedding table and, when untied, output projection (`[vocab, hidden]` each).
#[derive(Debug)]
struct QuantEmbedding {
    table: QMatrix,
    head: Option<QMatrix>,
}

/// Rows whose vocabulary-sized logits [`TokenEmbedding::score_on_host`] makes at once (32 × SmolLM2's
/// 49,152 floats = 6 MB; the kernels multiply 16 rows per pass over the weights anyway).
const SCORE_ROWS: usize = 32;

/// Largest block of an embedding matrix on a GPU device (WebGPU's default `maxStorageBufferBindingSize`).
pub const GPU_BLOCK_BYTES: usize = 128 << 20;

/// Rows per block of a `[rows, cols]` f32 matrix on `device`: all of them on the CPU, at most
/// [`GPU_BLOCK_BYTES`] worth elsewhere.
pub fn block_rows(device: &Device, cols: usize) -> usize {
    if *device == Device::flex() {
        usize::MAX
    } else {
        gpu_block_rows(cols)
    }
}

/// Rows of a `[rows, cols]` f32 matrix that fit in [`GPU_BLOCK_BYTES`] (at least one).
pub fn gpu_block_rows(cols: usize) -> usize {
    (GPU_BLOCK_BYTES / (4 * cols.max(1))).max(1)
}

impl TokenEmbedding {
    /// Load `embed` (`[vocab, hidden]`) and, when untied, `head` (`[vocab, hidden]`), in the device's
    /// blocks ([`block_rows`]).
    pub fn load(
        w: &mut WeightMap<'_>,
        embed: &str,
        head: Option<&str>,
        vocab: usize,
        hidden: usize,
    ) -> Result<Self> {
        let rows = block_rows(w.device(), hidden);
        Self::load_blocked(w, embed, head, vocab, hidden, rows)
    }

    /// [`TokenEmbedding::load`] with `block_rows` rows per block.
    pub fn load_blocked(
        w: &mut WeightMap<'_>,
        embed: &str,
        head: Option<&str>,
        vocab: usize,
        hidden: usize,
        block_rows: usize,
    ) -> Result<Self> {
        let block_rows = block_rows.clamp(1, vocab.max(1));
        if w.quantized() && w.stores_quantized(embed) && head.is_none_or(|h| w.stores_quantized(h))
        {
            let table = w.take_blocks(embed, vocab, hidden)?;
            let head = match head {
                Some(h) => Some(w.take_blocks(h, vocab, hidden)?),
                None => None,
            };
            return Ok(Self {
                table: Vec::new(),
                head: None,
                block_rows,
                quant: Some(Arc::new(QuantEmbedding { table, head })),
            });
        }
        let table = w.row_blocks(embed, vocab, hidden, block_rows)?;
        let head = match head {
            Some(h) => Some(w.row_blocks(h, vocab, hidden, block_rows)?),
            None => None,
        };
        Ok(Self {
            table,
            head,
            block_rows,
            quant: None,
        })
    }

    /// The ggml types of a quantised table (and head); empty when dense.
    pub fn quantized_origins(&self) -> Vec<String> {
        match &self.quant {
            None => Vec::new(),
            Some(q) => std::iter::once(&q.table)
                .chain(&q.head)
                .map(|m| m.origin().label())
                .collect(),
        }
    }

    /// Embeddings of `tokens` `[batch, seq]` → `[batch, seq, hidden]`.
    pub fn lookup(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        if let Some(q) = &self.quant {
            let [b, n] = tokens.dims();
            let device = tokens.device();
            let h = q.table.cols();
            let ids: Vec<i64> = tokens.into_data().iter::<i64>().collect();
            let mut out = vec![0f32; b * n * h];
            for (row, &id) in out.chunks_exact_mut(h.max(1)).zip(&ids) {
                // an id outside the vocabulary (the tokenizer never makes one) gives a NaN row
                let ok = usize::try_from(id).is_ok_and(|i| q.table.row_f32(i, row).is_ok());
                if !ok {
                    row.fill(f32::NAN);
                }
            }
            return Tensor::from_data(TensorData::new(out, [b, n, h]), &device);
        }
        if let [table] = self.table.as_slice() {
            return burn::tensor::module::embedding(table.clone(), tokens);
        }
        let mut sum: Option<Tensor<3>> = None;
        for (i, block) in self.table.iter().enumerate() {
            let lo = (i * self.block_rows) as i64;
            let rows = block.dims()[0] as i64;
            // Ids of this block, shifted to it; the others are clamped into it and masked out.
            let inside = tokens
                .clone()
                .greater_equal_elem(lo)
                .float()
                .mul(tokens.clone().lower_elem(lo + rows).float());
            let local = (tokens.clone() - lo).clamp(0, rows - 1);
            let part =
                burn::tensor::module::embedding(block.clone(), local) * inside.unsqueeze_dim(2);
            sum = Some(match sum {
                Some(s) => s + part,
                None => part,
            });
        }
        sum.unwrap_or_else(|| {
            let [b, n] = tokens.dims();
            Tensor::zeros([b, n, 0], &tokens.device())
        })
    }

    /// The output projection's blocks.
    fn head_blocks(&self) -> &[Tensor<2>] {
        self.head.as_deref().unwrap_or(&self.table)
    }

    /// Quantised logits (`m × vocab`, row-major) of `m` hidden rows.
    fn logits_quantized(q: &QuantEmbedding, hidden: Tensor<2>) -> (Vec<f32>, usize) {
        let [m, d] = hidden.dims();
        let head = q.head.as_ref().unwrap_or(&q.table);
        let y = with_host_values(hidden, |v| {
            quantized_product(std::slice::from_ref(head), v, m, d)
        });
        (y, head.rows())
    }

    /// Quantised logits `[m, vocab]` of `m` hidden rows.
    fn project_quantized(q: &QuantEmbedding, hidden: Tensor<2>) -> Tensor<2> {
        let m = hidden.dims()[0];
        let device = hidden.device();
        let (y, vocab) = Self::logits_quantized(q, hidden);
        Tensor::from_data(TensorData::new(y, [m, vocab]), &device)
    }

    /// [`crate::CausalLm::score_on_host`] for a quantised projection: `log p(target)` and the argmax
    /// (the first maximal token) at each row, from the kernel's logits in f32 as the tensor path
    /// computes them (`x[t] − (ln Σ exp(x − max) + max)`).
    pub fn score_on_host(
        &self,
        hidden: &Tensor<2>,
        targets: &[i64],
    ) -> Option<(Vec<f32>, Vec<i64>)> {
        let q = self.quant.as_ref()?;
        let head = q.head.as_ref().unwrap_or(&q.table);
        let (vocab, d) = (head.rows().max(1), hidden.dims()[1]);
        let mut chosen = Vec::with_capacity(targets.len());
        let mut argmax = Vec::with_capacity(targets.len());
        with_host_values(hidden.clone(), |h| {
            // `SCORE_ROWS` rows' logits at a time: a few MB, not `vocab ×` every row (each row's
            // logits are the same bits however the rows are grouped)
            for (x, ts) in h
                .chunks(SCORE_ROWS * d.max(1))
                .zip(targets.chunks(SCORE_ROWS))
            {
                let y = quantized_product(std::slice::from_ref(head), x, ts.len(), d);
                for (row, &t) in y.chunks_exact(vocab).zip(ts) {
                    let (mut best, mut max) = (0usize, f32::NEG_INFINITY);
                    for (v, &x) in row.iter().enumerate() {
                        if x > max {
                            (best, max) = (v, x);
                        }
                    }
                    let lse = row.iter().map(|&x| (x - max).exp()).sum::<f32>().ln() + max;
                    let logit = usize::try_from(t)
                        .ok()
                        .and_then(|t| row.get(t))
                        .copied()
                        .unwrap_or(f32::NAN);
                    chosen.push(logit - lse);
                    argmax.push(i64::try_from(best).unwrap_or(i64::MAX));
                }
            }
        });
        Some((chosen, argmax))
    }

    /// Logits `[batch, n, vocab]` of hidden states `[batch, n, hidden]`.
    pub fn project(&self, hidden: Tensor<3>) -> Tensor<3> {
        let [b, n, d] = hidden.dims();
        if let Some(q) = &self.quant {
            let logits = Self::project_quantized(q, hidden.reshape([b * n, d]));
            let v = logits.dims()[1];
            return logits.reshape([b, n, v]);
        }
        let x = hidden.reshape([b * n, d]);
        let logits = if b * n < PROJECT_ROWS_DIRECT {
            cat(
                self.head_blocks()
                    .iter()
                    .map(|w| w.clone().matmul(x.clone().transpose()))
                    .collect(),
                0,
            )
            .transpose()
        } else {
            // Many positions: `x · Wᵀ` straight into `[b·n, vocab]` (gemm reads the transposed view
            // through its strides): no `[vocab, b·n]` intermediate and transposed copy, which for
            // 8×128 OPT-125m logits cost 206 MB more and ran ~15% slower natively.
            cat(
                self.head_blocks()
                    .iter()
                    .map(|w| x.clone().matmul(w.clone().transpose()))
                    .collect(),
                1,
            )
        };
        let v = logits.dims()[1];
        logits.reshape([b, n, v])
    }

    /// Logits `[vocab, n]` of hidden states `[n, hidden]` (no transpose back).
    pub fn project_columns(&self, hidden: Tensor<2>) -> Tensor<2> {
        if let Some(q) = &self.quant {
            return Self::project_quantized(q, hidden).transpose();
        }
        let xt = hidden.transpose();
        cat(
            self.head_blocks()
                .iter()
                .map(|w| w.clone().matmul(xt.clone()))
                .collect(),
            0,
        )
    }
}

/// The blocks' results joined along `dim` (one block: itself, not a copy).
fn cat(mut parts: Vec<Tensor<2>>, dim: usize) -> Tensor<2> {
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        Tensor::cat(parts, dim)
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
    use crate::weights::MemorySource;

    const V: usize = 23;
    const D: usize = 8;

    fn values(n: usize, a: usize, m: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * a % m) as f32 - (m / 2) as f32) / 25.0)
            .collect()
    }

    /// The embedding `[V, D]` (and, when `untied`, a different head) loaded in blocks of `block_rows`.
    fn embedding(block_rows: usize, untied: bool) -> TokenEmbedding {
        let mut src = MemorySource::new("test.safetensors");
        src.insert("embed", vec![V, D], values(V * D, 37, 101));
        src.insert("head", vec![V, D], values(V * D, 29, 89));
        let device = Device::flex();
        let mut w = WeightMap::new(&src, &device);
        let head = untied.then_some("head");
        TokenEmbedding::load_blocked(&mut w, "embed", head, V, D, block_rows).unwrap()
    }

    fn host<const N: usize>(t: Tensor<N>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    /// Largest absolute difference (the lengths must agree). The projection's sums may be ordered
    /// differently when the matrix is split, so they agree to rounding, not bit for bit.
    fn max_abs(a: Vec<f32>, b: Vec<f32>) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }

    /// Both forms of the output projection — `W · xᵀ` transposed back (few positions) and `x · Wᵀ`
    /// (from [`PROJECT_ROWS_DIRECT`] positions on) — equal the plain sum of products, whole or in blocks.
    #[test]
    fn projection_equals_the_plain_product_on_both_paths() {
        let device = Device::flex();
        let wv = values(V * D, 37, 101);
        for block_rows in [V, 5] {
            let emb = embedding(block_rows, false);
            assert_eq!(emb.table.len(), V.div_ceil(block_rows));
            for (b, n) in [(1, 3), (2, PROJECT_ROWS_DIRECT / 2), (2, 35), (1, 70)] {
                let xv = values(b * n * D, 13, 97);
                let x = Tensor::<3>::from_data(TensorData::new(xv.clone(), [b, n, D]), &device);
                let got = host(emb.project(x));
                assert_eq!(got.len(), b * n * V);
                for r in 0..b * n {
                    for c in 0..V {
                        let want: f32 = (0..D).map(|k| xv[r * D + k] * wv[c * D + k]).sum();
                        let g = got[r * V + c];
                        assert!(
                            (g - want).abs() <= 1e-5,
                            "blocks of {block_rows}, {b}x{n}: [{r},{c}] {g} vs {want}"
                        );
                    }
                }
            }
        }
    }

    /// Blocks (as on a GPU, where one buffer may not hold the matrix) give the values of the whole
    /// matrix: lookups (exactly) of ids in every block and at the block edges, and every projection form
    /// (to rounding).
    #[test]
    fn blocked_embedding_equals_the_whole_one() {
        let device = Device::flex();
        for untied in [false, true] {
            let whole = embedding(V, untied);
            let blocked = embedding(5, untied);
            assert_eq!((whole.table.len(), blocked.table.len()), (1, 5));
            let ids: Vec<i64> = vec![0, 4, 5, 9, 10, 22, 14, 3];
            let tokens = || int_tensor(ids.clone(), 2, 4, &device);
            assert_eq!(host(whole.lookup(tokens())), host(blocked.lookup(tokens())));
            let table = values(V * D, 37, 101);
            let looked = host(blocked.lookup(tokens()));
            for (p, &id) in ids.iter().enumerate() {
                let id = id as usize;
                assert_eq!(
                    looked[p * D..(p + 1) * D],
                    table[id * D..(id + 1) * D],
                    "id {id}"
                );
            }
            for n in [2, 70] {
                let x = Tensor::<3>::from_data(
                    TensorData::new(values(n * D, 13, 97), [1, n, D]),
                    &device,
                );
                let diff = max_abs(host(whole.project(x.clone())), host(blocked.project(x)));
                assert!(diff <= 1e-5, "project, {n} positions: max-abs {diff}");
            }
            let x = Tensor::<2>::from_data(TensorData::new(values(3 * D, 11, 83), [3, D]), &device);
            let diff = max_abs(
                host(whole.project_columns(x.clone())),
                host(blocked.project_columns(x)),
            );
            assert!(diff <= 1e-5, "project_columns: max-abs {diff}");
        }
    }

    #[test]
    fn gpu_blocks_stay_under_the_binding_limit() {
        assert_eq!(block_rows(&Device::flex(), 768), usize::MAX);
        // OPT-125m (50272 x 768): 154 MB of embedding in two blocks of at most 128 MiB; SmolLM2-135M
        // (49152 x 576, 113 MB) in one; a row wider than the limit still gets a block of one row.
        for (vocab, hidden, blocks) in [(50_272_usize, 768, 2), (49_152, 576, 1), (10, 1 << 26, 10)]
        {
            let rows = gpu_block_rows(hidden);
            assert!(
                rows == 1 || rows * hidden * 4 <= GPU_BLOCK_BYTES,
                "{hidden}: {rows} rows"
            );
            assert!(
                (rows + 1) * hidden * 4 > GPU_BLOCK_BYTES,
                "{hidden}: one more row would fit"
            );
            assert_eq!(vocab.div_ceil(rows), blocks, "{vocab} x {hidden}");
        }
    }
}
