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
    /// A 2-D tensor kept in its file's quantised blocks (`[out, in]` rows, Hugging Face row order), when
    /// the file stores it quantised; `None` for a float tensor or a source without quantised tensors.
    fn read_quantized(&self, name: &str) -> Option<Result<substance_quant::QMatrix>> {
        let _ = name;
        None
    }
    /// Whether [`TensorSource::read_quantized`] gives `name` (cheap: no blocks are read).
    fn stores_quantized(&self, name: &str) -> bool {
        let _ = name;
        false
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
        // The crate keeps the last of two same-named tensors: check the header's JSON first.
        if let Some(header) = bytes
            .get(..8)
            .and_then(|n| <[u8; 8]>::try_from(n).ok())
            .map(u64::from_le_bytes)
            .and_then(|n| usize::try_from(n).ok())
            .and_then(|n| bytes.get(8..8usize.checked_add(n)?))
        {
            header_json(file, header)?;
        }
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
        to_f32(&self.file, name, t.dtype(), t.data())
    }
}

/// Little-endian `dtype` values → f32 (`F32`, `F16`, `BF16`, `F64`; anything else is
/// [`ModelError::Dtype`]).
fn to_f32(file: &str, name: &str, dtype: Dtype, data: &[u8]) -> Result<Vec<f32>> {
    Ok(match dtype {
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
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32)
            .collect(),
        other => {
            return Err(ModelError::Dtype {
                file: file.to_owned(),
                name: name.to_owned(),
                dtype: format!("{other:?}"),
            });
        }
    })
}

/// One tensor's entry in a safetensors header.
#[derive(serde::Deserialize)]
struct HeaderEntry {
    dtype: Dtype,
    shape: Vec<usize>,
    data_offsets: (u64, u64),
}

/// Random access to the bytes of one weights file: a file on disk ([`FileBytes`]), or a buffer that
/// lives outside the model's memory (the browser keeps the downloaded file in a JS `ArrayBuffer`).
pub trait ByteSource {
    /// Length in bytes.
    fn byte_len(&self) -> u64;
    /// Fill `into` with the bytes from `offset` on (an error if the source ends first).
    fn read_at(&self, offset: u64, into: &mut [u8]) -> std::io::Result<()>;
}

/// SHA-256 (hex) of all of a source's bytes, read 4 MiB at a time (the weights hash of a file that is
/// never held whole: on disk, or the page's buffer or Blob).
pub fn sha256_of(src: &dyn ByteSource) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    const STEP: u64 = 4 << 20;
    let len = src.byte_len();
    let mut h = Sha256::new();
    let mut buf = vec![0u8; STEP.min(len) as usize];
    let mut off = 0u64;
    while off < len {
        let n = STEP.min(len - off) as usize;
        src.read_at(off, &mut buf[..n])?;
        h.update(&buf[..n]);
        off += n as u64;
    }
    Ok(hex::encode(h.finalize()))
}

/// A file on disk as a [`ByteSource`].
pub struct FileBytes {
    handle: std::sync::Mutex<std::fs::File>,
    len: u64,
}

impl FileBytes {
    /// Open `path`.
    pub fn open(path: &std::path::Path) -> std::io::Result<Self> {
        let handle = std::fs::File::open(path)?;
        let len = handle.metadata()?.len();
        Ok(Self {
            handle: std::sync::Mutex::new(handle),
            len,
        })
    }
}

impl ByteSource for FileBytes {
    fn byte_len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, into: &mut [u8]) -> std::io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = self
            .handle
            .lock()
            .map_err(|_| std::io::Error::other("the file handle was poisoned by a panic"))?;
        f.seek(SeekFrom::Start(offset))?;
        f.read_exact(into)
    }
}

/// A `.safetensors` file read tensor by tensor: only the header is parsed up front, and each tensor is
/// read from its byte range when asked for, so loading holds the model's tensors and at most one
/// tensor's bytes — not the whole file besides (the file is as large as the weights: that copy made a
/// load's peak memory twice the weights). The header is checked as the `safetensors` crate checks a
/// buffer (every range inside the data section, sized by dtype × shape, no overlaps); the crate's own
/// parser needs the whole file in memory, which is what this source avoids.
pub struct SafetensorsRanged<B: ByteSource> {
    file: String,
    bytes: B,
    /// Byte offset of the data section.
    data_start: u64,
    tensors: std::collections::BTreeMap<String, HeaderEntry>,
}

/// [`SafetensorsRanged`] over a file on disk.
pub type SafetensorsFile = SafetensorsRanged<FileBytes>;

/// Headers larger than this are refused (the `safetensors` crate's limit).
const MAX_HEADER: u64 = 100_000_000;

impl SafetensorsRanged<FileBytes> {
    /// Open `path` and parse its header. A truncated file, a header that is not the format's JSON, or
    /// a tensor range outside the file is a [`ModelError::Weights`] naming the file.
    pub fn open(path: &std::path::Path) -> Result<Self> {
        let file = path.display().to_string();
        let bytes = FileBytes::open(path).map_err(|source| ModelError::Io {
            path: file.clone(),
            source,
        })?;
        Self::parse(&file, bytes)
    }
}

/// The JSON header of a `.safetensors` file under the reading policy (`substance_core::input`): an
/// object whose tensor names are unique (a name given twice is refused, naming it) and whose
/// `__metadata__`, if any, maps strings to strings.
fn header_json(file: &str, header: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>> {
    let bad = |message: String| ModelError::Weights {
        file: file.to_owned(),
        message,
    };
    let text = std::str::from_utf8(header).map_err(|e| bad(format!("header: not UTF-8: {e}")))?;
    let value = substance_core::input::strict_value(text, file, 1).map_err(|e| match e {
        substance_core::InputError::Member { key, .. } => {
            bad(format!("header: tensor `{key}` is given twice"))
        }
        other => bad(format!("header: {other}")),
    })?;
    let serde_json::Value::Object(map) = value else {
        return Err(bad("header: not a JSON object".into()));
    };
    if let Some(meta) = map.get("__metadata__") {
        let all_strings = meta
            .as_object()
            .is_some_and(|m| m.values().all(serde_json::Value::is_string));
        if !all_strings {
            return Err(bad(
                "header: `__metadata__` must map strings to strings".into()
            ));
        }
    }
    Ok(map)
}

impl<B: ByteSource> SafetensorsRanged<B> {
    /// Parse the header of `bytes` (named `file` in errors). A truncated source, a header that is not
    /// the format's JSON, or a tensor range outside the data is a [`ModelError::Weights`].
    pub fn parse(file: &str, bytes: B) -> Result<Self> {
        let bad = |message: String| ModelError::Weights {
            file: file.to_owned(),
            message,
        };
        let len = bytes.byte_len();
        let mut n = [0u8; 8];
        bytes
            .read_at(0, &mut n)
            .map_err(|e| bad(format!("cannot read the header length: {e}")))?;
        let n = u64::from_le_bytes(n);
        if n > MAX_HEADER || n.saturating_add(8) > len {
            return Err(bad(format!(
                "header length {n} does not fit the file ({len} bytes)"
            )));
        }
        let mut header = vec![0u8; n as usize];
        bytes
            .read_at(8, &mut header)
            .map_err(|e| bad(format!("cannot read the header: {e}")))?;
        let map = header_json(file, &header)?;
        let data_start = 8 + n;
        let data_len = len - data_start;
        let mut tensors = std::collections::BTreeMap::new();
        let mut ranges = Vec::new();
        for (name, v) in map {
            if name == "__metadata__" {
                continue;
            }
            let e: HeaderEntry = serde_json::from_value(v)
                .map_err(|e| bad(format!("header entry `{name}`: {e}")))?;
            let (start, end) = e.data_offsets;
            let want = e
                .shape
                .iter()
                .try_fold(e.dtype.bitsize() as u64, |a, &d| a.checked_mul(d as u64))
                .map(|bits| bits.div_ceil(8));
            if start > end || end > data_len || want != Some(end - start) {
                return Err(bad(format!(
                    "tensor `{name}`: bytes {start}..{end} do not hold {:?} {:?} within the \
                     {data_len}-byte data section (truncated or corrupt file?)",
                    e.dtype, e.shape
                )));
            }
            ranges.push((start, end, name.clone()));
            tensors.insert(name, e);
        }
        ranges.sort_unstable();
        if let Some(w) = ranges.windows(2).find(|w| w[1].0 < w[0].1) {
            return Err(bad(format!(
                "tensors `{}` and `{}` overlap",
                w[0].2, w[1].2
            )));
        }
        // As the format (and the `safetensors` crate) wants: the data section is exactly the tensors.
        let end = ranges.iter().map(|r| r.1).max().unwrap_or(0);
        if end != data_len {
            return Err(bad(format!(
                "{} bytes after the last tensor (the data section is {data_len} bytes, the tensors \
                 end at {end})",
                data_len - end.min(data_len)
            )));
        }
        Ok(Self {
            file: file.to_owned(),
            bytes,
            data_start,
            tensors,
        })
    }

    /// Size in bytes of the largest tensor once converted to f32.
    pub fn largest_f32_bytes(&self) -> u64 {
        self.tensors
            .values()
            .map(|e| {
                e.shape
                    .iter()
                    .map(|&d| d as u64)
                    .product::<u64>()
                    .saturating_mul(4)
            })
            .max()
            .unwrap_or(0)
    }

    fn read_range(&self, name: &str, e: &HeaderEntry, into: &mut [u8]) -> Result<()> {
        self.bytes
            .read_at(self.data_start + e.data_offsets.0, into)
            .map_err(|err| ModelError::Weights {
                file: self.file.clone(),
                message: format!("cannot read tensor `{name}`: {err}"),
            })
    }
}

impl<B: ByteSource> TensorSource for SafetensorsRanged<B> {
    fn file(&self) -> &str {
        &self.file
    }
    fn names(&self) -> Vec<String> {
        self.tensors.keys().cloned().collect()
    }
    fn shape(&self, name: &str) -> Option<Vec<usize>> {
        self.tensors.get(name).map(|e| e.shape.clone())
    }
    fn read_f32(&self, name: &str) -> Result<Vec<f32>> {
        let e = self
            .tensors
            .get(name)
            .ok_or_else(|| ModelError::MissingTensor {
                file: self.file.clone(),
                name: name.to_owned(),
            })?;
        let bytes = (e.data_offsets.1 - e.data_offsets.0) as usize;
        if e.dtype == Dtype::F32 {
            // Straight into the f32 buffer: no second copy of the largest tensors.
            let mut v = vec![0f32; bytes / 4];
            self.read_range(name, e, bytemuck::cast_slice_mut(&mut v))?;
            if cfg!(target_endian = "big") {
                for x in &mut v {
                    *x = f32::from_bits(u32::from_le(x.to_bits()));
                }
            }
            return Ok(v);
        }
        let mut raw = vec![0u8; bytes];
        self.read_range(name, e, &mut raw)?;
        to_f32(&self.file, name, e.dtype, &raw)
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
    quantized: bool,
}

impl<'s> WeightMap<'s> {
    /// Wrap a source; tensors are created on `device`.
    pub fn new(src: &'s dyn TensorSource, device: &Device) -> Self {
        Self {
            src,
            used: BTreeSet::new(),
            device: device.clone(),
            quantized: false,
        }
    }

    /// Keep the file's quantised matrices quantised ([`WeightMap::take_quantized`]); only meaningful on
    /// the CPU device, where the kernels of `substance-quant` run.
    pub fn with_quantized(mut self, on: bool) -> Self {
        self.quantized = on && self.device == Device::flex();
        self
    }

    /// Whether quantised matrices are kept quantised.
    pub fn quantized(&self) -> bool {
        self.quantized
    }

    /// [`WeightMap::take_quantized`] for a tensor [`WeightMap::stores_quantized`] said is quantised:
    /// no blocks is an error naming it.
    pub fn take_blocks(
        &mut self,
        name: &str,
        rows: usize,
        cols: usize,
    ) -> Result<substance_quant::QMatrix> {
        self.take_quantized(name, rows, cols)?
            .ok_or_else(|| ModelError::Weights {
                file: self.src.file().to_owned(),
                message: format!(
                    "tensor `{}` has no quantised blocks",
                    self.src.describe(name)
                ),
            })
    }

    /// Whether the file stores `name` in quantised blocks.
    pub fn stores_quantized(&self, name: &str) -> bool {
        self.src.stores_quantized(name)
    }

    /// `name` (`[rows, cols]`) in its quantised blocks, marked used — or `None` (nothing marked) when
    /// quantised weights are off or the file stores it as floats.
    pub fn take_quantized(
        &mut self,
        name: &str,
        rows: usize,
        cols: usize,
    ) -> Result<Option<substance_quant::QMatrix>> {
        if !self.quantized {
            return Ok(None);
        }
        let Some(found) = self.src.shape(name) else {
            return Err(ModelError::MissingTensor {
                file: self.src.file().to_owned(),
                name: self.src.describe(name),
            });
        };
        if found != [rows, cols] {
            return Err(ModelError::Shape {
                file: self.src.file().to_owned(),
                name: self.src.describe(name),
                found,
                expected: vec![rows, cols],
            });
        }
        match self.src.read_quantized(name) {
            None => Ok(None),
            Some(m) => {
                let m = m?;
                self.used.insert(name.to_owned());
                Ok(Some(m))
            }
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

    /// Whether any tensor name of the file starts with `prefix`. Loaders pick a checkpoint's naming
    /// scheme (`transformer.` or none, `model.decoder.` or `decoder.`) with this, from every name rather
    /// than from one tensor, so a file that lacks that one tensor is still read with its own scheme and
    /// the missing tensor is named as the file would spell it.
    pub fn any_starts_with(&self, prefix: &str) -> bool {
        self.src.names().iter().any(|n| n.starts_with(prefix))
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

    /// A 2-D tensor `[rows, cols]` as row blocks of at most `block_rows` rows, each its own tensor on the
    /// device (one block — the whole matrix, no copy — when `block_rows >= rows`).
    pub fn row_blocks(
        &mut self,
        name: &str,
        rows: usize,
        cols: usize,
        block_rows: usize,
    ) -> Result<Vec<Tensor<2>>> {
        let v = self.take(name, &[rows, cols])?;
        let block_rows = block_rows.max(1);
        if block_rows >= rows {
            return Ok(vec![Tensor::from_data(
                TensorData::new(v, [rows, cols]),
                &self.device,
            )]);
        }
        Ok((0..rows)
            .step_by(block_rows)
            .map(|lo| {
                let hi = (lo + block_rows).min(rows);
                Tensor::from_data(
                    TensorData::new(v[lo * cols..hi * cols].to_vec(), [hi - lo, cols]),
                    &self.device,
                )
            })
            .collect())
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

    /// The tensors of the file never taken or ignored, as the file names them, sorted.
    pub fn unused(&self) -> Vec<String> {
        let mut unused: Vec<String> = self
            .src
            .names()
            .into_iter()
            .filter(|n| !self.used.contains(n))
            .map(|n| self.src.describe(&n))
            .collect();
        unused.sort();
        unused
    }

    /// Fail if any tensor of the file was never taken or ignored (llama.cpp refuses a GGUF whose
    /// tensors are not all used: an unused one means a variant this loader does not know).
    pub fn finish(self) -> Result<()> {
        let unused = self.unused();
        if unused.is_empty() {
            return Ok(());
        }
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

/// The index of a sharded checkpoint (`model.safetensors.index.json`): which shard file holds each
/// tensor. Shard names are plain file names inside the model folder: a name with a path separator,
/// `..`, or an absolute path is refused (a checkpoint from the hub must not make the loader read files
/// outside its folder), and so is a tensor given twice (the reading policy of `substance_core::input`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardIndex {
    /// Tensor name → shard file name, sorted by tensor.
    pub weight_map: std::collections::BTreeMap<String, String>,
}

/// The index file's name.
pub const SHARD_INDEX: &str = "model.safetensors.index.json";

impl ShardIndex {
    /// Parse `model.safetensors.index.json`.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |field: &str, message: String| ModelError::Config {
            file: SHARD_INDEX.to_owned(),
            field: field.to_owned(),
            message,
        };
        let value = substance_core::input::strict_value(
            substance_core::input::strip_bom(text),
            SHARD_INDEX,
            1,
        )
        .map_err(|e| match e {
            substance_core::InputError::Member { key, .. } => {
                bad(&key, "given twice in one object".into())
            }
            other => bad("-", other.to_string()),
        })?;
        let Some(map) = value
            .get("weight_map")
            .and_then(serde_json::Value::as_object)
        else {
            return Err(bad("weight_map", "missing or not an object".into()));
        };
        let mut weight_map = std::collections::BTreeMap::new();
        for (tensor, shard) in map {
            let Some(shard) = shard.as_str() else {
                return Err(bad(
                    &format!("weight_map.{tensor}"),
                    "not a file name".into(),
                ));
            };
            let plain = !shard.is_empty()
                && shard != "."
                && shard != ".."
                && !shard.contains(['/', '\\'])
                && !shard.contains(':');
            if !plain {
                return Err(bad(
                    &format!("weight_map.{tensor}"),
                    format!("shard `{shard}` is not a file name inside the model folder"),
                ));
            }
            weight_map.insert(tensor.clone(), shard.to_owned());
        }
        if weight_map.is_empty() {
            return Err(bad("weight_map", "no tensors".into()));
        }
        Ok(Self { weight_map })
    }

    /// The shard file names, sorted, each once.
    pub fn shards(&self) -> Vec<&str> {
        let set: std::collections::BTreeSet<&str> =
            self.weight_map.values().map(String::as_str).collect();
        set.into_iter().collect()
    }
}

/// A sharded checkpoint: one tensor source per shard, each tensor read from the shard its index names.
/// A tensor the index names must be in its shard; a tensor of a shard that the index does not name is
/// not part of the model (transformers reads by the index) and shows up as unused.
pub struct ShardedSource<S> {
    file: String,
    shards: Vec<(String, S)>,
    /// Tensor → position in `shards`.
    place: std::collections::BTreeMap<String, usize>,
}

impl<S: TensorSource> ShardedSource<S> {
    /// Assemble from the index and the opened shards (`(file name, source)`, every shard of the index).
    pub fn new(index: &ShardIndex, shards: Vec<(String, S)>) -> Result<Self> {
        let mut place = std::collections::BTreeMap::new();
        for (tensor, shard) in &index.weight_map {
            let Some(k) = shards.iter().position(|(n, _)| n == shard) else {
                return Err(ModelError::Config {
                    file: SHARD_INDEX.to_owned(),
                    field: format!("weight_map.{tensor}"),
                    message: format!("shard `{shard}` was not opened"),
                });
            };
            if shards[k].1.shape(tensor).is_none() {
                return Err(ModelError::MissingTensor {
                    file: shard.clone(),
                    name: tensor.clone(),
                });
            }
            place.insert(tensor.clone(), k);
        }
        Ok(Self {
            file: SHARD_INDEX.to_owned(),
            shards,
            place,
        })
    }
}

impl<S: TensorSource> TensorSource for ShardedSource<S> {
    fn file(&self) -> &str {
        &self.file
    }
    fn names(&self) -> Vec<String> {
        // Every tensor of every shard: those the index does not name are reported as unused.
        let mut all: std::collections::BTreeSet<String> = self.place.keys().cloned().collect();
        for (_, s) in &self.shards {
            all.extend(s.names());
        }
        all.into_iter().collect()
    }
    fn shape(&self, name: &str) -> Option<Vec<usize>> {
        let k = *self.place.get(name)?;
        self.shards[k].1.shape(name)
    }
    fn read_f32(&self, name: &str) -> Result<Vec<f32>> {
        match self.place.get(name) {
            Some(&k) => self.shards[k].1.read_f32(name),
            None => Err(ModelError::MissingTensor {
                file: self.file.clone(),
                name: name.to_owned(),
            }),
        }
    }
    fn describe(&self, name: &str) -> String {
        match self.place.get(name) {
            Some(&k) => format!("{name} ({})", self.shards[k].0),
            None => name.to_owned(),
        }
    }
}
