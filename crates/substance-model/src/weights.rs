//! Named f32 weights from a file, with bookkeeping of which names were used.
//!
//! A [`TensorSource`] turns one weights file (safetensors, GGUF) into named tensors in Hugging Face
//! dimension order (`[out, in]` for a linear layer). [`WeightMap`] wraps a source for one architecture's
//! loader: every `take` checks the shape the config implies and marks the name used; `finish` fails on
//! any name that was never taken. That is what makes a mis-mapped name an error instead of a silently
//! random layer.

use std::collections::BTreeSet;

use burn::tensor::{Device, Tensor, TensorData};
use safetensors::{Dtype, SafeTensors};

use crate::error::{ModelError, Result};

/// A weights file seen as named tensors.
pub trait TensorSource {
    /// The file's name, for error messages.
    fn file(&self) -> &str;
    /// Every tensor name in the file.
    fn names(&self) -> Vec<String>;
    /// Shape of a tensor in Hugging Face (row-major, PyTorch) order, `None` if absent.
    fn shape(&self, name: &str) -> Option<Vec<usize>>;
    /// The tensor's values converted to f32, row-major in the order of [`TensorSource::shape`].
    fn read_f32(&self, name: &str) -> Result<Vec<f32>>;
    /// How errors should name a tensor (a GGUF source names its own tensors, not the mapped names).
    fn describe(&self, name: &str) -> String {
        name.to_owned()
    }
}

/// A parsed `.safetensors` buffer.
pub struct SafetensorsSource<'a> {
    file: String,
    st: SafeTensors<'a>,
}

impl<'a> SafetensorsSource<'a> {
    /// Parse the header of `bytes` (no copy). A truncated or inconsistent file is a
    /// [`ModelError::Weights`].
    pub fn parse(file: &str, bytes: &'a [u8]) -> Result<Self> {
        let st = SafeTensors::deserialize(bytes).map_err(|e| ModelError::Weights {
            file: file.to_owned(),
            message: format!("{e:?}"),
        })?;
        Ok(Self {
            file: file.to_owned(),
            st,
        })
    }
}

impl TensorSource for SafetensorsSource<'_> {
    fn file(&self) -> &str {
        &self.file
    }
    fn names(&self) -> Vec<String> {
        self.st.names().into_iter().map(str::to_owned).collect()
    }
    fn shape(&self, name: &str) -> Option<Vec<usize>> {
        self.st.tensor(name).ok().map(|t| t.shape().to_vec())
    }
    fn read_f32(&self, name: &str) -> Result<Vec<f32>> {
        let t = self
            .st
            .tensor(name)
            .map_err(|_| ModelError::MissingTensor {
                file: self.file.clone(),
                name: name.to_owned(),
            })?;
        let data = t.data();
        let out = match t.dtype() {
            Dtype::F32 => data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            Dtype::F16 => data
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            Dtype::BF16 => data
                .chunks_exact(2)
                .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            Dtype::F64 => data
                .chunks_exact(8)
                .map(|c| {
                    f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32
                })
                .collect(),
            other => {
                return Err(ModelError::Dtype {
                    file: self.file.clone(),
                    name: name.to_owned(),
                    dtype: format!("{other:?}"),
                });
            }
        };
        Ok(out)
    }
}

/// Tensors held in memory (built in code: random weights for benchmarks, converted GGUF tensors).
#[derive(Debug, Default)]
pub struct MemorySource {
    file: String,
    tensors: std::collections::BTreeMap<String, (Vec<usize>, Vec<f32>)>,
}

impl MemorySource {
    /// An empty source named `file`.
    pub fn new(file: &str) -> Self {
        Self {
            file: file.to_owned(),
            tensors: Default::default(),
        }
    }

    /// Add a tensor (row-major values in Hugging Face order).
    pub fn insert(&mut self, name: &str, shape: Vec<usize>, values: Vec<f32>) {
        self.tensors.insert(name.to_owned(), (shape, values));
    }
}

impl TensorSource for MemorySource {
    fn file(&self) -> &str {
        &self.file
    }
    fn names(&self) -> Vec<String> {
        self.tensors.keys().cloned().collect()
    }
    fn shape(&self, name: &str) -> Option<Vec<usize>> {
        self.tensors.get(name).map(|(s, _)| s.clone())
    }
    fn read_f32(&self, name: &str) -> Result<Vec<f32>> {
        self.tensors
            .get(name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| ModelError::MissingTensor {
                file: self.file.clone(),
                name: name.to_owned(),
            })
    }
}

/// Shape-checked, use-tracked access to a [`TensorSource`].
pub struct WeightMap<'s> {
    src: &'s dyn TensorSource,
    used: BTreeSet<String>,
    device: Device,
}

impl<'s> WeightMap<'s> {
    /// Wrap a source; tensors are created on `device`.
    pub fn new(src: &'s dyn TensorSource, device: &Device) -> Self {
        Self {
            src,
            used: BTreeSet::new(),
            device: device.clone(),
        }
    }

    /// The device tensors are created on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The file name (for errors).
    pub fn file(&self) -> &str {
        self.src.file()
    }

    /// Whether the file holds `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.src.shape(name).is_some()
    }

    /// Read `name`, check its shape, mark it used.
    pub fn take(&mut self, name: &str, expected: &[usize]) -> Result<Vec<f32>> {
        let Some(found) = self.src.shape(name) else {
            return Err(ModelError::MissingTensor {
                file: self.src.file().to_owned(),
                name: self.src.describe(name),
            });
        };
        if found != expected {
            return Err(ModelError::Shape {
                file: self.src.file().to_owned(),
                name: self.src.describe(name),
                found,
                expected: expected.to_vec(),
            });
        }
        let v = self.src.read_f32(name)?;
        if Some(v.len()) != expected.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) {
            return Err(ModelError::Weights {
                file: self.src.file().to_owned(),
                message: format!(
                    "tensor `{name}` holds {} values for shape {expected:?}",
                    v.len()
                ),
            });
        }
        self.used.insert(name.to_owned());
        Ok(v)
    }

    /// [`WeightMap::take`] when present, `None` when absent.
    pub fn take_opt(&mut self, name: &str, expected: &[usize]) -> Result<Option<Vec<f32>>> {
        if self.contains(name) {
            self.take(name, expected).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Mark a name as deliberately ignored (non-parameter buffers some exporters save).
    pub fn ignore(&mut self, name: &str) {
        if self.contains(name) {
            self.used.insert(name.to_owned());
        }
    }

    /// A 1-D tensor on the device.
    pub fn vector(&mut self, name: &str, n: usize) -> Result<Tensor<1>> {
        let v = self.take(name, &[n])?;
        Ok(Tensor::from_data(TensorData::new(v, [n]), &self.device))
    }

    /// A 2-D tensor on the device, kept in the file's `[rows, cols]` order.
    pub fn matrix(&mut self, name: &str, rows: usize, cols: usize) -> Result<Tensor<2>> {
        let v = self.take(name, &[rows, cols])?;
        Ok(Tensor::from_data(
            TensorData::new(v, [rows, cols]),
            &self.device,
        ))
    }

    /// A 2-D tensor stored `[rows, cols]` in the file, placed on the device transposed (`[cols, rows]`,
    /// contiguous).
    pub fn matrix_transposed(&mut self, name: &str, rows: usize, cols: usize) -> Result<Tensor<2>> {
        let v = self.take(name, &[rows, cols])?;
        let mut t = vec![0.0f32; v.len()];
        for r in 0..rows {
            for (c, x) in v[r * cols..(r + 1) * cols].iter().enumerate() {
                t[c * rows + r] = *x;
            }
        }
        drop(v);
        Ok(Tensor::from_data(
            TensorData::new(t, [cols, rows]),
            &self.device,
        ))
    }

    /// Fail if any tensor of the file was never taken or ignored.
    pub fn finish(self) -> Result<()> {
        let mut unused: Vec<String> = self
            .src
            .names()
            .into_iter()
            .filter(|n| !self.used.contains(n))
            .map(|n| self.src.describe(&n))
            .collect();
        if unused.is_empty() {
            return Ok(());
        }
        unused.sort();
        Err(ModelError::UnusedTensors {
            file: self.src.file().to_owned(),
            names: unused,
        })
    }
}

/// Transpose Hugging Face linear weights `[out_k, in]` and place them side by side as one `[in, Σ out_k]`
/// matrix, so `x · W` computes every projection in one matmul (fused QKV, fused gate/up).
pub fn fuse_linear_weights(parts: &[(&[f32], usize)], d_in: usize) -> Vec<f32> {
    let total: usize = parts.iter().map(|(_, o)| o).sum();
    let mut out = vec![0.0f32; d_in * total];
    let mut col0 = 0;
    for (w, d_out) in parts {
        for o in 0..*d_out {
            let row = &w[o * d_in..(o + 1) * d_in];
            for (i, x) in row.iter().enumerate() {
                out[i * total + col0 + o] = *x;
            }
        }
        col0 += d_out;
    }
    out
}

/// Concatenate bias vectors.
pub fn fuse_biases(parts: &[&[f32]]) -> Vec<f32> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fused_weights_are_transposed_and_side_by_side() {
        // a: [2 out, 3 in], b: [1 out, 3 in]
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [7.0, 8.0, 9.0];
        let f = fuse_linear_weights(&[(&a, 2), (&b, 1)], 3);
        // [in=3, out=3]: row i = (a[0][i], a[1][i], b[0][i])
        assert_eq!(f, vec![1.0, 4.0, 7.0, 2.0, 5.0, 8.0, 3.0, 6.0, 9.0]);
    }
}
