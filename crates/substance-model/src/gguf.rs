//! GGUF files (llama.cpp's format) as a [`TensorSource`] for the Llama loader.
//!
//! Parsing and dequantisation are `substance-gguf`'s (zero-copy, every ggml type it implements — F32,
//! F16, BF16, Q8_0, Q4_0, Q4_1, Q5_*, K-quants… — dequantised to f32 exactly as gguf-py does). This module
//! renames llama.cpp's tensors to the Hugging Face names the Llama loader's table uses, reverses the shape
//! order (ggml lists the row length first), and **undoes the converter's Q/K row permutation**: llama.cpp
//! rotates adjacent pairs, this runtime rotates halves as transformers does, so `attn_q` rows are
//! un-permuted over `head_count` heads and `attn_k` rows over `head_count_kv` heads.
//!
//! | GGUF name                      | Hugging Face name (Llama loader table)              | note |
//! |--------------------------------|-----------------------------------------------------|------|
//! | `token_embd.weight`            | `model.embed_tokens.weight`                         | |
//! | `blk.{i}.attn_norm.weight`     | `model.layers.{i}.input_layernorm.weight`           | |
//! | `blk.{i}.attn_q.{weight,bias}` | `model.layers.{i}.self_attn.q_proj.{weight,bias}`   | rows un-permuted (`head_count`) |
//! | `blk.{i}.attn_k.{weight,bias}` | `model.layers.{i}.self_attn.k_proj.{weight,bias}`   | rows un-permuted (`head_count_kv`) |
//! | `blk.{i}.attn_v.{weight,bias}` | `model.layers.{i}.self_attn.v_proj.{weight,bias}`   | |
//! | `blk.{i}.attn_output.{weight,bias}` | `model.layers.{i}.self_attn.o_proj.{weight,bias}` | |
//! | `blk.{i}.ffn_norm.weight`      | `model.layers.{i}.post_attention_layernorm.weight`  | |
//! | `blk.{i}.ffn_gate.weight`      | `model.layers.{i}.mlp.gate_proj.weight`             | |
//! | `blk.{i}.ffn_up.weight`        | `model.layers.{i}.mlp.up_proj.weight`               | |
//! | `blk.{i}.ffn_down.weight`      | `model.layers.{i}.mlp.down_proj.weight`             | |
//! | `output_norm.weight`           | `model.norm.weight`                                 | |
//! | `output.weight`                | `lm_head.weight`                                    | absent = tied head |
//!
//! Any other tensor (e.g. `rope_freqs.weight` of Llama 3.1's scaled RoPE) keeps its GGUF name and is
//! reported as unused, so an unsupported variant fails loudly. Errors name tensors by their GGUF names.
//!
//! **Read by range.** A file on disk or the page's downloaded buffer need not be in memory whole:
//! [`read_header`] reads the file's first bytes until they hold the header (metadata and tensor table,
//! `Gguf::parse_prefix`), and [`GgufSource::ranged`] reads each tensor's bytes from its
//! [`ByteSource`] when the loader asks for it. Loading then holds the model's tensors and one tensor's
//! bytes besides, not a second copy of the whole file — for a quantised model kept in its blocks the
//! file copy was nearly half of the peak.

use std::borrow::Cow;

use substance_gguf::{Gguf, GgufError, LlamaParams, TensorInfo, dequantize_bytes, unpermute_qk};

use crate::config::TokenIds;
use crate::error::{ModelError, Result};
use crate::llama::LlamaConfig;
use crate::weights::{ByteSource, TensorSource};
use substance_quant::QMatrix;

/// `(gguf suffix, hf suffix)` for per-block tensors (`blk.{i}.` ↔ `model.layers.{i}.`).
const BLOCK_NAMES: [(&str, &str); 13] = [
    ("attn_norm.weight", "input_layernorm.weight"),
    ("attn_q.weight", "self_attn.q_proj.weight"),
    ("attn_q.bias", "self_attn.q_proj.bias"),
    ("attn_k.weight", "self_attn.k_proj.weight"),
    ("attn_k.bias", "self_attn.k_proj.bias"),
    ("attn_v.weight", "self_attn.v_proj.weight"),
    ("attn_v.bias", "self_attn.v_proj.bias"),
    ("attn_output.weight", "self_attn.o_proj.weight"),
    ("attn_output.bias", "self_attn.o_proj.bias"),
    ("ffn_norm.weight", "post_attention_layernorm.weight"),
    ("ffn_gate.weight", "mlp.gate_proj.weight"),
    ("ffn_up.weight", "mlp.up_proj.weight"),
    ("ffn_down.weight", "mlp.down_proj.weight"),
];

/// Top-level `(gguf, hf)` names.
const GLOBAL_NAMES: [(&str, &str); 3] = [
    ("token_embd.weight", "model.embed_tokens.weight"),
    ("output_norm.weight", "model.norm.weight"),
    ("output.weight", "lm_head.weight"),
];

/// GGUF name → Hugging Face name (unknown names map to themselves).
pub fn gguf_to_hf(name: &str) -> String {
    if let Some((_, hf)) = GLOBAL_NAMES.iter().find(|(g, _)| *g == name) {
        return (*hf).to_owned();
    }
    if let Some(rest) = name.strip_prefix("blk.") {
        if let Some((i, suffix)) = rest.split_once('.') {
            if i.parse::<usize>().is_ok() {
                if let Some((_, hf)) = BLOCK_NAMES.iter().find(|(g, _)| *g == suffix) {
                    return format!("model.layers.{i}.{hf}");
                }
            }
        }
    }
    name.to_owned()
}

/// Hugging Face name → GGUF name (unknown names map to themselves).
pub fn hf_to_gguf(name: &str) -> String {
    if let Some((g, _)) = GLOBAL_NAMES.iter().find(|(_, h)| *h == name) {
        return (*g).to_owned();
    }
    if let Some(rest) = name.strip_prefix("model.layers.") {
        if let Some((i, suffix)) = rest.split_once('.') {
            if let Some((g, _)) = BLOCK_NAMES.iter().find(|(_, h)| *h == suffix) {
                return format!("blk.{i}.{g}");
            }
        }
    }
    name.to_owned()
}

/// Bytes read first for the header; more when the header is longer (SmolLM2's is ~2.5 MB: its
/// tokenizer's vocabulary and merges).
const FIRST_READ: u64 = 4 << 20;

/// Headers larger than this are refused rather than read into memory (real ones are a few MB; the
/// largest vocabularies, ~250k tokens with merges, stay far below).
const MAX_HEADER: u64 = 256 << 20;

/// The first bytes of a GGUF file up to its data section: its whole header (metadata and tensor
/// table), for `Gguf::parse_prefix(&prefix, src.byte_len())`, and no tensor data (every tensor is read
/// by range). Errors of the header are the file's ([`ModelError::Gguf`] naming `file`).
pub fn read_header(file: &str, src: &dyn ByteSource) -> Result<Vec<u8>> {
    let len = src.byte_len();
    let mut n = len.min(FIRST_READ);
    loop {
        let mut prefix = vec![0u8; usize::try_from(n).unwrap_or(usize::MAX)];
        src.read_at(0, &mut prefix)
            .map_err(|e| ModelError::Weights {
                file: file.to_owned(),
                message: format!("cannot read the header: {e}"),
            })?;
        match Gguf::parse_prefix(&prefix, len) {
            Ok(g) => {
                let header = usize::try_from(g.data_start()).unwrap_or(usize::MAX);
                prefix.truncate(header);
                return Ok(prefix);
            }
            // `needed` ≤ len (checked by the parser), and each read is longer than the last
            Err(GgufError::PrefixTooShort { needed, .. }) if needed <= MAX_HEADER => {
                n = needed.max(n * 2).min(len).min(MAX_HEADER);
            }
            Err(GgufError::PrefixTooShort { needed, .. }) => {
                return Err(ModelError::Weights {
                    file: file.to_owned(),
                    message: format!(
                        "the header (metadata and tensor table) goes on past {needed} bytes; headers over {MAX_HEADER} bytes are refused"
                    ),
                });
            }
            Err(e) => return Err(gguf_err(file, e)),
        }
    }
}

/// A parsed GGUF file seen through Hugging Face Llama names.
pub struct GgufSource<'a> {
    file: String,
    gguf: &'a Gguf<'a>,
    params: LlamaParams,
    /// Where tensors past the parsed bytes are read from ([`GgufSource::ranged`]).
    bytes: Option<&'a dyn ByteSource>,
}

impl<'a> GgufSource<'a> {
    /// Wrap a file parsed whole (`Gguf::parse`); `file` names it in errors.
    pub fn new(file: &str, gguf: &'a Gguf<'a>) -> Result<Self> {
        let params = LlamaParams::from_gguf(gguf).map_err(|e| gguf_err(file, e))?;
        Ok(Self {
            file: file.to_owned(),
            gguf,
            params,
            bytes: None,
        })
    }

    /// Wrap a file parsed from its first bytes ([`read_header`], `Gguf::parse_prefix`) whose tensors
    /// are read from `bytes` when asked for.
    pub fn ranged(file: &str, gguf: &'a Gguf<'a>, bytes: &'a dyn ByteSource) -> Result<Self> {
        Ok(Self {
            bytes: Some(bytes),
            ..Self::new(file, gguf)?
        })
    }

    /// A tensor's bytes: borrowed from the parsed bytes, or read from the file.
    fn tensor_bytes(&self, t: &TensorInfo<'a>) -> Result<Cow<'a, [u8]>> {
        if t.has_data() {
            return Ok(Cow::Borrowed(t.data()));
        }
        let unreadable = |message: String| ModelError::Weights {
            file: self.file.clone(),
            message: format!("cannot read tensor `{}`: {message}", t.name()),
        };
        let src = self
            .bytes
            .ok_or_else(|| unreadable("its data lies past the bytes given".into()))?;
        let n = usize::try_from(t.n_bytes()).map_err(|e| unreadable(e.to_string()))?;
        let mut buf = vec![0u8; n];
        src.read_at(t.file_range().start, &mut buf)
            .map_err(|e| unreadable(e.to_string()))?;
        Ok(Cow::Owned(buf))
    }

    /// The hyperparameters.
    pub fn params(&self) -> &LlamaParams {
        &self.params
    }

    fn info(&self, hf_name: &str) -> Option<&TensorInfo<'a>> {
        let g = hf_to_gguf(hf_name);
        self.gguf.tensors().iter().find(|t| t.name() == g)
    }

    /// The Llama config these tensors and metadata describe.
    pub fn llama_config(&self) -> Result<LlamaConfig> {
        let p = &self.params;
        let bad = |field: &str, message: String| ModelError::Config {
            file: self.file.clone(),
            field: field.to_owned(),
            message,
        };
        if p.architecture != "llama" {
            return Err(bad(
                "general.architecture",
                format!("`{}` is not supported (only `llama`)", p.architecture),
            ));
        }
        if p.rope_dimension_count != p.head_dim() {
            return Err(bad(
                "llama.rope.dimension_count",
                format!(
                    "partial rotary embedding ({} of {}) is not supported",
                    p.rope_dimension_count,
                    p.head_dim()
                ),
            ));
        }
        // the embedding's rows are the model's vocabulary
        let vocab = match self.info("model.embed_tokens.weight") {
            Some(t) => usize::try_from(t.dims().get(1).copied().unwrap_or(0)).unwrap_or(0),
            None => {
                return Err(ModelError::MissingTensor {
                    file: self.file.clone(),
                    name: "token_embd.weight".into(),
                });
            }
        };
        let special =
            substance_gguf::special_tokens(self.gguf).map_err(|e| gguf_err(&self.file, e))?;
        let one = |id: Option<u32>| id.map_or(TokenIds::None, TokenIds::One);
        Ok(LlamaConfig {
            vocab_size: vocab,
            hidden_size: p.embedding_length,
            intermediate_size: p.feed_forward_length,
            num_hidden_layers: p.block_count,
            num_attention_heads: p.head_count,
            num_key_value_heads: Some(p.head_count_kv),
            head_dim: Some(p.head_dim()),
            rms_norm_eps: f64::from(p.rms_eps),
            rope_theta: Some(f64::from(p.rope_freq_base)),
            rope_parameters: None,
            rope_scaling: None,
            max_position_embeddings: p.context_length,
            tie_word_embeddings: self.info("lm_head.weight").is_none(),
            attention_bias: self.info("model.layers.0.self_attn.q_proj.bias").is_some(),
            mlp_bias: false,
            hidden_act: "silu".into(),
            bos_token_id: one(special.bos),
            eos_token_id: one(special.eos),
            pad_token_id: one(special.pad),
        })
    }
}

fn gguf_err(file: &str, source: GgufError) -> ModelError {
    ModelError::Gguf {
        file: file.to_owned(),
        source,
    }
}

impl TensorSource for GgufSource<'_> {
    fn file(&self) -> &str {
        &self.file
    }
    fn names(&self) -> Vec<String> {
        self.gguf
            .tensors()
            .iter()
            .map(|t| gguf_to_hf(t.name()))
            .collect()
    }
    fn shape(&self, name: &str) -> Option<Vec<usize>> {
        let t = self.info(name)?;
        t.dims()
            .iter()
            .rev()
            .map(|&d| usize::try_from(d).ok())
            .collect()
    }
    fn read_f32(&self, name: &str) -> Result<Vec<f32>> {
        let Some(t) = self.info(name) else {
            return Err(ModelError::MissingTensor {
                file: self.file.clone(),
                name: self.describe(name),
            });
        };
        let bytes = self.tensor_bytes(t)?;
        let v = dequantize_bytes(t, &bytes).map_err(|e| gguf_err(&self.file, e))?;
        let heads = if name.ends_with("self_attn.q_proj.weight")
            || name.ends_with("self_attn.q_proj.bias")
        {
            Some(self.params.head_count)
        } else if name.ends_with("self_attn.k_proj.weight")
            || name.ends_with("self_attn.k_proj.bias")
        {
            Some(self.params.head_count_kv)
        } else {
            None
        };
        match heads {
            Some(n) => {
                let row_len = if t.dims().len() == 1 {
                    1
                } else {
                    usize::try_from(t.row_len()).unwrap_or(0)
                };
                unpermute_qk(&v, n, row_len).map_err(|e| gguf_err(&self.file, e))
            }
            None => Ok(v),
        }
    }
    fn describe(&self, name: &str) -> String {
        hf_to_gguf(name)
    }
    fn stores_quantized(&self, name: &str) -> bool {
        self.info(name).is_some_and(|t| {
            t.dims().len() == 2 && t.ggml_type().can_dequantize() && t.ggml_type().block_size() > 1
        })
    }
    fn read_quantized(&self, name: &str) -> Option<Result<QMatrix>> {
        if !self.stores_quantized(name) {
            return None;
        }
        let t = self.info(name)?;
        let ty = t.ggml_type();
        let dims = t.dims();
        let (cols, rows) = (
            usize::try_from(dims[0]).ok()?,
            usize::try_from(dims[1]).ok()?,
        );
        let heads = if name.ends_with("self_attn.q_proj.weight") {
            Some(self.params.head_count)
        } else if name.ends_with("self_attn.k_proj.weight") {
            Some(self.params.head_count_kv)
        } else {
            None
        };
        let quant_err = |e: substance_quant::QuantError| ModelError::Weights {
            file: self.file.clone(),
            message: format!("tensor `{}`: {e}", t.name()),
        };
        Some((|| {
            let bytes = self.tensor_bytes(t)?;
            let m = QMatrix::from_ggml(ty, &bytes, rows, cols).map_err(quant_err)?;
            match heads {
                // the same row permutation `read_f32` undoes, applied to whole rows of blocks
                Some(n) => {
                    let order: Vec<usize> = (0..rows).collect();
                    let src = unpermute_qk(&order, n, 1).map_err(|e| gguf_err(&self.file, e))?;
                    m.select_rows(&src).map_err(quant_err)
                }
                None => Ok(m),
            }
        })())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_both_ways() {
        for (g, h) in [
            ("token_embd.weight", "model.embed_tokens.weight"),
            (
                "blk.12.attn_k.weight",
                "model.layers.12.self_attn.k_proj.weight",
            ),
            (
                "blk.0.ffn_down.weight",
                "model.layers.0.mlp.down_proj.weight",
            ),
            ("output.weight", "lm_head.weight"),
            ("rope_freqs.weight", "rope_freqs.weight"),
            ("blk.x.attn_q.weight", "blk.x.attn_q.weight"),
        ] {
            assert_eq!(gguf_to_hf(g), h);
            assert_eq!(hf_to_gguf(h), g);
        }
    }
}
