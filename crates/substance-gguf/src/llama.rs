//! What a Llama-family loader needs from a GGUF: hyperparameters, and undoing the converter's Q/K row
//! permutation.

use crate::error::GgufError;
use crate::file::Gguf;

/// Llama hyperparameters, read from `{arch}.*` keys where `arch` is `general.architecture`.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaParams {
    /// `general.architecture` (`"llama"`).
    pub architecture: String,
    /// `{arch}.block_count`: transformer layers.
    pub block_count: usize,
    /// `{arch}.embedding_length`: hidden size.
    pub embedding_length: usize,
    /// `{arch}.feed_forward_length`: MLP intermediate size.
    pub feed_forward_length: usize,
    /// `{arch}.attention.head_count`.
    pub head_count: usize,
    /// `{arch}.attention.head_count_kv` (absent: `head_count`, i.e. no grouped-query attention).
    pub head_count_kv: usize,
    /// `{arch}.rope.freq_base` (absent: 10000, llama.cpp's default).
    pub rope_freq_base: f32,
    /// `{arch}.rope.dimension_count` (absent: the head dimension).
    pub rope_dimension_count: usize,
    /// `{arch}.attention.layer_norm_rms_epsilon`.
    pub rms_eps: f32,
    /// `{arch}.context_length`: trained context window.
    pub context_length: usize,
    /// `{arch}.vocab_size`, else the length of `tokenizer.ggml.tokens`, else the second dimension of
    /// `token_embd.weight`.
    pub vocab_size: usize,
}

impl LlamaParams {
    /// Read and check the hyperparameters: every count positive, heads dividing the hidden size, KV heads
    /// dividing the heads.
    pub fn from_gguf(g: &Gguf<'_>) -> Result<Self, GgufError> {
        let arch = g.architecture()?;
        let key = |k: &str| format!("{arch}.{k}");
        let head_count = g.get_usize(&key("attention.head_count"))?;
        let head_count_kv_key = key("attention.head_count_kv");
        let head_count_kv = if g.contains_key(&head_count_kv_key) {
            g.get_usize(&head_count_kv_key)?
        } else {
            head_count
        };
        let embedding_length = g.get_usize(&key("embedding_length"))?;
        let rope_key = key("rope.freq_base");
        let rope_freq_base = if g.contains_key(&rope_key) {
            g.get_f32(&rope_key)?
        } else {
            10_000.0
        };
        let vocab_key = key("vocab_size");
        let vocab_size = if g.contains_key(&vocab_key) {
            g.get_usize(&vocab_key)?
        } else if let Ok(tokens) = g.get_str_array("tokenizer.ggml.tokens") {
            tokens.len()
        } else {
            let t = g.tensor("token_embd.weight")?;
            usize::try_from(t.dims().get(1).copied().unwrap_or(0)).unwrap_or(0)
        };
        let p = LlamaParams {
            architecture: arch.to_owned(),
            block_count: g.get_usize(&key("block_count"))?,
            embedding_length,
            feed_forward_length: g.get_usize(&key("feed_forward_length"))?,
            head_count,
            head_count_kv,
            rope_freq_base,
            rope_dimension_count: 0,
            rms_eps: g.get_f32(&key("attention.layer_norm_rms_epsilon"))?,
            context_length: g.get_usize(&key("context_length"))?,
            vocab_size,
        };
        let bad = |reason: String| Err(GgufError::InvalidParams { reason });
        for (name, v) in [
            ("block_count", p.block_count),
            ("embedding_length", p.embedding_length),
            ("feed_forward_length", p.feed_forward_length),
            ("head_count", p.head_count),
            ("head_count_kv", p.head_count_kv),
            ("vocab_size", p.vocab_size),
        ] {
            if v == 0 {
                return bad(format!("{arch}: {name} is 0"));
            }
        }
        if p.embedding_length % p.head_count != 0 {
            return bad(format!(
                "{arch}: embedding_length {} is not a multiple of head_count {}",
                p.embedding_length, p.head_count
            ));
        }
        if p.head_count % p.head_count_kv != 0 {
            return bad(format!(
                "{arch}: head_count {} is not a multiple of head_count_kv {}",
                p.head_count, p.head_count_kv
            ));
        }
        let rope_dim_key = key("rope.dimension_count");
        let rope_dimension_count = if g.contains_key(&rope_dim_key) {
            g.get_usize(&rope_dim_key)?
        } else {
            p.head_dim()
        };
        Ok(LlamaParams {
            rope_dimension_count,
            ..p
        })
    }

    /// Dimension of one attention head (`embedding_length / head_count`).
    pub fn head_dim(&self) -> usize {
        self.embedding_length / self.head_count.max(1)
    }
}

fn check_shape(len: usize, row_len: usize, n_head: usize) -> Result<(usize, usize), GgufError> {
    let bad = |reason: String| Err(GgufError::InvalidParams { reason });
    if row_len == 0 || n_head == 0 {
        return bad(format!(
            "row_len {row_len} and n_head {n_head} must be positive"
        ));
    }
    if len % row_len != 0 {
        return bad(format!(
            "{len} values are not a whole number of {row_len}-long rows"
        ));
    }
    let n_rows = len / row_len;
    if n_rows % (2 * n_head) != 0 {
        return bad(format!(
            "{n_rows} rows cannot be split into {n_head} heads of an even number of rows"
        ));
    }
    Ok((n_rows, n_rows / n_head))
}

/// Undo llama.cpp's RoPE permutation of a Q or K projection: GGUF row order → Hugging Face row order.
///
/// `convert_hf_to_gguf.py` (`LlamaModel.permute`) reorders each head's rows from HF's half-split RoPE
/// layout (first half of the head dimension = real parts, second half = imaginary parts) into llama.cpp's
/// interleaved pairs: GGUF row `h*hd + 2i + j` is HF row `h*hd + j*hd/2 + i`. This function maps back, so
/// a loader written for HF checkpoints (rotate-half RoPE) can use GGUF weights.
///
/// `data` is the dequantised weight, row-major with `row_len` columns (`dims()[0]` of the tensor); `n_head`
/// is the number of heads of *this* projection — `head_count` for `attn_q`, `head_count_kv` for `attn_k`.
/// Works on any element type (also on a bias vector with `row_len = 1`).
pub fn unpermute_qk<T: Copy>(
    data: &[T],
    n_head: usize,
    row_len: usize,
) -> Result<Vec<T>, GgufError> {
    let (n_rows, hd) = check_shape(data.len(), row_len, n_head)?;
    let half = hd / 2;
    let mut out = Vec::with_capacity(data.len());
    for hf_row in 0..n_rows {
        let (h, r) = (hf_row / hd, hf_row % hd);
        let (j, i) = (r / half, r % half);
        let src = h * hd + 2 * i + j;
        out.extend_from_slice(&data[src * row_len..(src + 1) * row_len]);
    }
    Ok(out)
}

/// The converter's permutation itself (HF row order → GGUF row order); the inverse of [`unpermute_qk`].
pub fn permute_qk<T: Copy>(data: &[T], n_head: usize, row_len: usize) -> Result<Vec<T>, GgufError> {
    let (n_rows, hd) = check_shape(data.len(), row_len, n_head)?;
    let half = hd / 2;
    let mut out = Vec::with_capacity(data.len());
    for gguf_row in 0..n_rows {
        let (h, r) = (gguf_row / hd, gguf_row % hd);
        let (i, j) = (r / 2, r % 2);
        let src = h * hd + j * half + i;
        out.extend_from_slice(&data[src * row_len..(src + 1) * row_len]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_round_trips() {
        let data: Vec<u32> = (0..(3 * 8 * 5)).collect();
        let p = permute_qk(&data, 3, 5).unwrap_or_default();
        assert_ne!(p, data);
        assert_eq!(unpermute_qk(&p, 3, 5).unwrap_or_default(), data);
    }

    #[test]
    fn permutation_rejects_bad_shapes() {
        let data = [0f32; 30];
        assert!(unpermute_qk(&data, 0, 5).is_err());
        assert!(unpermute_qk(&data, 1, 0).is_err());
        assert!(unpermute_qk(&data, 1, 7).is_err());
        assert!(unpermute_qk(&data, 2, 5).is_err()); // 6 rows, 3 per head: odd
    }
}
