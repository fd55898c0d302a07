//! The key/value cache, owned by the caller.
//!
//! A model is borrowed immutably by every call; everything that changes while a sequence grows lives
//! here (llama-burn's split). Besides the per-layer key/value tensors the cache keeps, on the host, which
//! cached positions are real tokens and which are padding, and how many real tokens each row has seen.
//! That is all the bookkeeping right-padded batches need:
//!
//! - **Positions** of new tokens are per row: row `r`'s `i`-th new token sits at position
//!   `n_valid[r] + i`, so a right-padded row continues at its own length, not at the padded width.
//! - **Mask**: a query sees a key when the key is not in its future and the key is a real token.
//!   With right padding and a fresh cache the second clause never fires for real queries (the pads come
//!   after them), which is why a padded batch gives the same logits as each row alone.

use burn::tensor::{Bool, Device, Tensor, TensorData};

use crate::error::{ModelError, Result};

/// Per-layer key/value tensors `[batch, kv_heads, cached, head_dim]` plus padding bookkeeping.
#[derive(Debug)]
pub struct KvCache {
    batch: usize,
    pub(crate) layers: Vec<Option<(Tensor<4>, Tensor<4>)>>,
    /// `valid[r][j]`: cached position `j` of row `r` is a real token.
    valid: Vec<Vec<bool>>,
    /// Real tokens seen per row.
    n_valid: Vec<usize>,
    /// Real tokens per row in the next forward chunk (right padding); `None` = all real.
    next_lengths: Option<Vec<usize>>,
}

/// What one forward step needs from the cache: positions of the new tokens and the attention mask.
#[derive(Debug)]
pub(crate) struct StepPlan {
    /// Position ids `[batch, seq]` (before any architecture offset), row-major.
    pub positions: Vec<i64>,
    /// `[batch, 1, seq, total]`, `true` = masked; `None` when every query may see every key.
    pub mask: Option<Tensor<4, Bool>>,
}

impl KvCache {
    /// An empty cache for `batch` rows of a model with `n_layers` layers.
    pub fn new(batch: usize, n_layers: usize) -> Self {
        Self {
            batch,
            layers: vec![None; n_layers],
            valid: vec![Vec::new(); batch],
            n_valid: vec![0; batch],
            next_lengths: None,
        }
    }

    /// Number of rows.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Number of cached positions (padding included).
    pub fn len(&self) -> usize {
        self.valid.first().map_or(0, Vec::len)
    }

    /// Whether nothing is cached yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Real (non-padding) tokens cached for each row.
    pub fn lengths(&self) -> &[usize] {
        &self.n_valid
    }

    /// A one-row cache repeated into `rows` identical rows (the shared context of several
    /// continuations, computed once); `None` unless this cache has exactly one row.
    pub fn repeat_rows(&self, rows: usize) -> Option<Self> {
        if self.batch != 1 || rows == 0 {
            return None;
        }
        Some(Self {
            batch: rows,
            layers: self
                .layers
                .iter()
                .map(|l| {
                    l.as_ref().map(|(k, v)| {
                        (k.clone().repeat_dim(0, rows), v.clone().repeat_dim(0, rows))
                    })
                })
                .collect(),
            valid: vec![self.valid[0].clone(); rows],
            n_valid: vec![self.n_valid[0]; rows],
            next_lengths: None,
        })
    }

    /// Forget everything (keeps the batch size).
    pub fn reset(&mut self) {
        let n = self.layers.len();
        *self = Self::new(self.batch, n);
    }

    /// Declare that in the next forward call row `r` holds `lengths[r]` real tokens followed by padding
    /// (right padding). Without this call every token is real.
    pub fn set_next_lengths(&mut self, lengths: Vec<usize>) -> Result<()> {
        if lengths.len() != self.batch {
            return Err(ModelError::Input(format!(
                "{} lengths for a batch of {}",
                lengths.len(),
                self.batch
            )));
        }
        self.next_lengths = Some(lengths);
        Ok(())
    }

    /// Register `seq` new tokens per row: check the context, compute positions and the mask.
    pub(crate) fn plan(
        &mut self,
        batch: usize,
        seq: usize,
        max_context: usize,
        device: &Device,
    ) -> Result<StepPlan> {
        if batch != self.batch {
            return Err(ModelError::Input(format!(
                "input batch {batch} does not match the cache's batch {}",
                self.batch
            )));
        }
        if seq == 0 {
            return Err(ModelError::Input("empty input sequence".into()));
        }
        let lengths = match self.next_lengths.take() {
            Some(l) => {
                if let Some(bad) = l.iter().find(|&&n| n > seq) {
                    return Err(ModelError::Input(format!(
                        "row length {bad} exceeds the input width {seq}"
                    )));
                }
                if let Some(r) = (0..batch).find(|&r| l[r] == 0 && self.n_valid[r] == 0) {
                    return Err(ModelError::Input(format!("row {r} has no real token")));
                }
                l
            }
            None => vec![seq; batch],
        };
        let past = self.len();
        let total = past + seq;
        for (r, &n) in lengths.iter().enumerate() {
            let need = self.n_valid[r] + n;
            if need > max_context {
                return Err(ModelError::ContextOverflow {
                    len: need,
                    max: max_context,
                });
            }
        }
        let mut positions = Vec::with_capacity(batch * seq);
        for r in 0..batch {
            for i in 0..seq {
                // padding positions are clamped into the table; their outputs are never read
                positions.push((self.n_valid[r] + i).min(max_context.saturating_sub(1)) as i64);
            }
        }
        let any_pad_before = self.valid.iter().any(|v| v.iter().any(|x| !x));
        let any_pad_now = lengths.iter().any(|&n| n < seq);
        for ((valid, n_valid), &len) in self.valid.iter_mut().zip(&mut self.n_valid).zip(&lengths) {
            valid.extend((0..seq).map(|i| i < len));
            *n_valid += len;
        }
        let mask = if seq == 1 && !any_pad_before && !any_pad_now {
            None
        } else {
            let mut m = Vec::with_capacity(batch * seq * total);
            for r in 0..batch {
                for i in 0..seq {
                    for j in 0..total {
                        m.push(j > past + i || !self.valid[r][j]);
                    }
                }
            }
            Some(Tensor::from_data(
                TensorData::new(m, [batch, 1, seq, total]),
                device,
            ))
        };
        Ok(StepPlan { positions, mask })
    }
}
