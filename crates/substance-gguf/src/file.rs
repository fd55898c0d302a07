//! The parser and the [`Gguf`] view over a file's bytes.

use std::collections::HashMap;
use std::fmt;

use crate::error::GgufError;
use crate::types::{GgmlType, ValueType};
use crate::value::{Array, ArrayData, Value, decode_fixed};

/// Default data alignment when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// Deepest array nesting accepted (an array of arrays is depth 2). Bounds recursion on hostile input.
pub const MAX_ARRAY_DEPTH: usize = 16;
/// Most dimensions a tensor may have (ggml's `GGML_MAX_DIMS`).
pub const MAX_DIMS: u32 = 4;

/// Smallest possible encoding of one metadata entry: key length (8) + type (4) + one-byte value.
const MIN_KV_BYTES: u64 = 8 + 4 + 1;
/// Smallest possible tensor info: name length (8) + n_dims (4) + type (4) + offset (8).
const MIN_TENSOR_INFO_BYTES: u64 = 8 + 4 + 4 + 8;
/// Cap on up-front `Vec` reservations driven by counts in the file; larger vectors grow as data is read.
const MAX_PREALLOC: usize = 1 << 16;

/// One tensor's description and its data bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo<'a> {
    name: &'a str,
    dims: Vec<u64>,
    ggml_type: GgmlType,
    data_offset: u64,
    info_offset: u64,
    n_elements: u64,
    /// Absolute offset of the data in the file.
    file_offset: u64,
    n_bytes: u64,
    /// The data, or empty when it lies past the bytes [`Gguf::parse_prefix`] was given.
    data: &'a [u8],
}

impl<'a> TensorInfo<'a> {
    /// The tensor's name (`"blk.0.attn_q.weight"`).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// Dimensions in ggml order: `dims()[0]` is the fastest-varying (row length). A 2-D weight stored
    /// as `[in, out]` here is the row-major `[out, in]` matrix of PyTorch / NumPy.
    pub fn dims(&self) -> &[u64] {
        &self.dims
    }

    /// Dimensions in row-major (NumPy / PyTorch) order: `dims()` reversed.
    pub fn shape(&self) -> Vec<u64> {
        self.dims.iter().rev().copied().collect()
    }

    /// The element type.
    pub fn ggml_type(&self) -> GgmlType {
        self.ggml_type
    }

    /// Offset of the data relative to the start of the data section (as stored in the file).
    pub fn data_offset(&self) -> u64 {
        self.data_offset
    }

    /// Byte offset of this tensor info in the file (for diagnostics).
    pub fn info_offset(&self) -> u64 {
        self.info_offset
    }

    /// Number of elements (product of the dimensions; 1 for a 0-d tensor).
    pub fn n_elements(&self) -> u64 {
        self.n_elements
    }

    /// Length of one row (`dims()[0]`, 1 for a 0-d tensor).
    pub fn row_len(&self) -> u64 {
        self.dims.first().copied().unwrap_or(1)
    }

    /// The tensor's bytes, exactly `n_bytes()` long, borrowed from the file — or empty when the file was
    /// parsed from a prefix ([`Gguf::parse_prefix`]) that ends before them ([`TensorInfo::has_data`]):
    /// read [`TensorInfo::file_range`] from the file then.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Whether [`TensorInfo::data`] holds the tensor's bytes (always, for [`Gguf::parse`]).
    pub fn has_data(&self) -> bool {
        self.data.len() as u64 == self.n_bytes
    }

    /// The absolute byte range of the data in the file (checked to lie inside it).
    pub fn file_range(&self) -> std::ops::Range<u64> {
        self.file_offset..self.file_offset + self.n_bytes
    }

    /// Size of the data in bytes.
    pub fn n_bytes(&self) -> u64 {
        self.n_bytes
    }
}

/// A parsed GGUF file borrowing its bytes: header, metadata in file order, tensor infos in file order,
/// with tensor data slices resolved and bounds-checked.
#[derive(Debug, Clone)]
pub struct Gguf<'a> {
    bytes: &'a [u8],
    version: u32,
    alignment: u64,
    data_start: u64,
    metadata: Vec<(&'a str, Value<'a>)>,
    key_index: HashMap<&'a str, usize>,
    tensors: Vec<TensorInfo<'a>>,
    tensor_index: HashMap<&'a str, usize>,
}

/// What a read belongs to, for error messages; formatted only when an error is built.
#[derive(Clone, Copy)]
enum Ctx<'s> {
    Header,
    KeyName(u64),
    Key(&'s str),
    TensorName(u64),
    Tensor(&'s str),
}

impl fmt::Display for Ctx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ctx::Header => f.write_str("header"),
            Ctx::KeyName(i) => write!(f, "name of metadata entry #{i}"),
            Ctx::Key(k) => write!(f, "metadata key {k:?}"),
            Ctx::TensorName(i) => write!(f, "name of tensor info #{i}"),
            Ctx::Tensor(t) => write!(f, "tensor info {t:?}"),
        }
    }
}

/// A bounds-checked little-endian cursor over the first bytes of a file of `file_len` bytes (all of
/// them for [`Gguf::parse`]).
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    file_len: u64,
}

impl<'a> Cursor<'a> {
    /// Bytes left in the file (not only in the bytes given).
    fn remaining(&self) -> u64 {
        self.file_len - self.pos as u64
    }

    fn take(&mut self, n: u64, ctx: Ctx<'_>) -> Result<&'a [u8], GgufError> {
        let available = self.remaining();
        if n > available {
            return Err(GgufError::Truncated {
                context: ctx.to_string(),
                offset: self.pos as u64,
                needed: n,
                available,
            });
        }
        let have = self.bytes.len() - self.pos;
        if n > have as u64 {
            return Err(GgufError::PrefixTooShort {
                have: self.bytes.len() as u64,
                needed: self.pos as u64 + n,
            });
        }
        // n <= have <= usize::MAX
        let n = n as usize;
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, ctx: Ctx<'_>) -> Result<[u8; N], GgufError> {
        let b = self.take(N as u64, ctx)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    fn u32(&mut self, ctx: Ctx<'_>) -> Result<u32, GgufError> {
        Ok(u32::from_le_bytes(self.array(ctx)?))
    }

    fn u64(&mut self, ctx: Ctx<'_>) -> Result<u64, GgufError> {
        Ok(u64::from_le_bytes(self.array(ctx)?))
    }

    /// A length-prefixed UTF-8 string.
    fn string(&mut self, ctx: Ctx<'_>) -> Result<&'a str, GgufError> {
        let len_offset = self.pos as u64;
        let len = self.u64(ctx)?;
        if len > self.remaining() {
            return Err(GgufError::CountTooLarge {
                context: ctx.to_string(),
                what: "string length",
                count: len,
                offset: len_offset,
                remaining: self.remaining(),
            });
        }
        let start = self.pos as u64;
        let b = self.take(len, ctx)?;
        std::str::from_utf8(b).map_err(|_| GgufError::InvalidUtf8 {
            context: ctx.to_string(),
            offset: start,
        })
    }

    /// A count that must leave room for `count * min_each` more bytes.
    fn count(
        &mut self,
        min_each: u64,
        what: &'static str,
        ctx: Ctx<'_>,
    ) -> Result<usize, GgufError> {
        let offset = self.pos as u64;
        let count = self.u64(ctx)?;
        let remaining = self.remaining();
        let fits = count
            .checked_mul(min_each)
            .is_some_and(|need| need <= remaining);
        if !fits {
            return Err(GgufError::CountTooLarge {
                context: ctx.to_string(),
                what,
                count,
                offset,
                remaining,
            });
        }
        usize::try_from(count).map_err(|_| GgufError::CountTooLarge {
            context: ctx.to_string(),
            what,
            count,
            offset,
            remaining,
        })
    }

    fn value_type(&mut self, ctx: Ctx<'_>) -> Result<ValueType, GgufError> {
        let offset = self.pos as u64;
        let id = self.u32(ctx)?;
        ValueType::from_id(id).ok_or_else(|| GgufError::UnknownValueType {
            context: ctx.to_string(),
            value_type: id,
            offset,
        })
    }

    fn value(&mut self, ty: ValueType, depth: usize, ctx: Ctx<'_>) -> Result<Value<'a>, GgufError> {
        match ty {
            ValueType::String => Ok(Value::String(self.string(ctx)?)),
            ValueType::Array => Ok(Value::Array(self.array_value(depth + 1, ctx)?)),
            ValueType::Bool => {
                let offset = self.pos as u64;
                let [b] = self.array::<1>(ctx)?;
                check_bool(b, offset, ctx)?;
                Ok(Value::Bool(b == 1))
            }
            fixed => {
                let size = fixed.fixed_size().unwrap_or(1) as u64;
                let b = self.take(size, ctx)?;
                // `fixed` is a fixed-width type and `b` has its size, so decoding succeeds.
                decode_fixed(fixed, b).ok_or_else(|| GgufError::Truncated {
                    context: ctx.to_string(),
                    offset: self.pos as u64,
                    needed: size,
                    available: 0,
                })
            }
        }
    }

    fn array_value(&mut self, depth: usize, ctx: Ctx<'_>) -> Result<Array<'a>, GgufError> {
        let header = self.pos as u64;
        if depth > MAX_ARRAY_DEPTH {
            return Err(GgufError::NestingTooDeep {
                context: ctx.to_string(),
                max: MAX_ARRAY_DEPTH,
                offset: header,
            });
        }
        let element_type = self.value_type(ctx)?;
        match element_type {
            ValueType::String => {
                let len = self.count(8, "string array length", ctx)?;
                let mut v = Vec::with_capacity(len.min(MAX_PREALLOC));
                for _ in 0..len {
                    v.push(self.string(ctx)?);
                }
                Ok(Array {
                    element_type,
                    len,
                    data: ArrayData::Strings(v),
                })
            }
            ValueType::Array => {
                let len = self.count(4 + 8, "array-of-arrays length", ctx)?;
                let mut v = Vec::with_capacity(len.min(MAX_PREALLOC));
                for _ in 0..len {
                    v.push(self.array_value(depth + 1, ctx)?);
                }
                Ok(Array {
                    element_type,
                    len,
                    data: ArrayData::Arrays(v),
                })
            }
            fixed => {
                let size = fixed.fixed_size().unwrap_or(1) as u64;
                let len = self.count(size, "array length", ctx)?;
                let start = self.pos as u64;
                let raw = self.take(len as u64 * size, ctx)?;
                if fixed == ValueType::Bool {
                    for (i, &b) in raw.iter().enumerate() {
                        check_bool(b, start + i as u64, ctx)?;
                    }
                }
                Ok(Array {
                    element_type,
                    len,
                    data: ArrayData::Raw(raw),
                })
            }
        }
    }
}

fn check_bool(b: u8, offset: u64, ctx: Ctx<'_>) -> Result<(), GgufError> {
    if b > 1 {
        return Err(GgufError::InvalidBool {
            context: ctx.to_string(),
            value: b,
            offset,
        });
    }
    Ok(())
}

/// A tensor info before its data is resolved.
struct RawTensor<'a> {
    name: &'a str,
    dims: Vec<u64>,
    ggml_type: GgmlType,
    data_offset: u64,
    info_offset: u64,
    n_elements: u64,
    n_bytes: u64,
}

impl<'a> Gguf<'a> {
    /// Parse a whole GGUF file held in memory. Validates everything but the tensor values themselves:
    /// structure, types, counts, UTF-8, duplicate keys and names, alignment, and that every tensor's data
    /// lies inside `bytes`, aligned and not overlapping another tensor's.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, GgufError> {
        Self::parse_inner(bytes, bytes.len() as u64)
    }

    /// Parse a file of `file_len` bytes from its first bytes, `prefix` (at least the header, metadata and
    /// tensor table): what a reader that fetches tensors by range needs, without the whole file in
    /// memory. Everything [`Gguf::parse`] checks is checked against `file_len`; the data of a tensor that
    /// lies past the prefix is not read ([`TensorInfo::has_data`] is false; read its
    /// [`TensorInfo::file_range`]). A prefix that ends inside the header is
    /// [`GgufError::PrefixTooShort`], which says how many bytes to read instead; a `prefix` longer than
    /// `file_len` is cut to it.
    pub fn parse_prefix(prefix: &'a [u8], file_len: u64) -> Result<Self, GgufError> {
        let n = usize::try_from(file_len).map_or(prefix.len(), |n| n.min(prefix.len()));
        Self::parse_inner(&prefix[..n], file_len)
    }

    fn parse_inner(bytes: &'a [u8], file_len: u64) -> Result<Self, GgufError> {
        let mut c = Cursor {
            bytes,
            pos: 0,
            file_len,
        };
        let magic: [u8; 4] = c.array(Ctx::Header)?;
        if &magic != b"GGUF" {
            return Err(GgufError::BadMagic { found: magic });
        }
        let version = c.u32(Ctx::Header)?;
        if version != 2 && version != 3 {
            return Err(GgufError::UnsupportedVersion { version });
        }
        let n_tensors_offset = c.pos as u64;
        let n_tensors = c.u64(Ctx::Header)?;
        let n_kv = c.count(MIN_KV_BYTES, "metadata entry count", Ctx::Header)?;
        // Tensor infos follow the metadata; check their count against what is left after the header now
        // (loosely) and again, exactly, once the metadata is read.
        if n_tensors
            .checked_mul(MIN_TENSOR_INFO_BYTES)
            .is_none_or(|need| need > c.remaining())
        {
            return Err(GgufError::CountTooLarge {
                context: Ctx::Header.to_string(),
                what: "tensor count",
                count: n_tensors,
                offset: n_tensors_offset,
                remaining: c.remaining(),
            });
        }

        let mut metadata = Vec::with_capacity(n_kv.min(MAX_PREALLOC));
        let mut key_index = HashMap::with_capacity(n_kv.min(MAX_PREALLOC));
        for i in 0..n_kv as u64 {
            let key_offset = c.pos as u64;
            let key = c.string(Ctx::KeyName(i))?;
            let ctx = Ctx::Key(key);
            let ty = c.value_type(ctx)?;
            let value = c.value(ty, 0, ctx)?;
            if key_index.insert(key, metadata.len()).is_some() {
                return Err(GgufError::DuplicateKey {
                    key: key.to_owned(),
                    offset: key_offset,
                });
            }
            metadata.push((key, value));
        }

        let remaining = c.remaining();
        if n_tensors
            .checked_mul(MIN_TENSOR_INFO_BYTES)
            .is_none_or(|need| need > remaining)
        {
            return Err(GgufError::CountTooLarge {
                context: Ctx::Header.to_string(),
                what: "tensor count",
                count: n_tensors,
                offset: n_tensors_offset,
                remaining,
            });
        }
        // Fits in usize: n_tensors * 24 <= remaining bytes.
        let n_tensors = n_tensors as usize;

        let mut raw = Vec::with_capacity(n_tensors.min(MAX_PREALLOC));
        let mut tensor_index = HashMap::with_capacity(n_tensors.min(MAX_PREALLOC));
        for i in 0..n_tensors as u64 {
            let info_offset = c.pos as u64;
            let name = c.string(Ctx::TensorName(i))?;
            let ctx = Ctx::Tensor(name);
            let dims_offset = c.pos as u64;
            let n_dims = c.u32(ctx)?;
            if n_dims > MAX_DIMS {
                return Err(GgufError::TooManyDims {
                    tensor: name.to_owned(),
                    n_dims,
                    max: MAX_DIMS,
                    offset: dims_offset,
                });
            }
            let mut dims = Vec::with_capacity(n_dims as usize);
            for _ in 0..n_dims {
                dims.push(c.u64(ctx)?);
            }
            let type_offset = c.pos as u64;
            let type_id = c.u32(ctx)?;
            let ggml_type =
                GgmlType::from_id(type_id).ok_or_else(|| GgufError::UnknownGgmlType {
                    tensor: name.to_owned(),
                    type_id,
                    offset: type_offset,
                })?;
            let data_offset = c.u64(ctx)?;
            let shape_err = |reason| GgufError::InvalidShape {
                tensor: name.to_owned(),
                dims: dims.clone(),
                ggml_type,
                reason,
                offset: info_offset,
            };
            // ggml limits each dimension to i64; the product must not overflow either.
            if dims.iter().any(|&d| d > i64::MAX as u64) {
                return Err(shape_err("dimension larger than i64::MAX"));
            }
            let n_elements = dims
                .iter()
                .try_fold(1u64, |acc, &d| acc.checked_mul(d))
                .filter(|&n| n <= i64::MAX as u64)
                .ok_or_else(|| shape_err("element count overflows"))?;
            let row = dims.first().copied().unwrap_or(1);
            if row % ggml_type.block_size() != 0 {
                return Err(shape_err("row length is not a multiple of the block size"));
            }
            let n_bytes = ggml_type
                .bytes_for(n_elements)
                .ok_or_else(|| shape_err("byte size overflows"))?;
            if tensor_index.insert(name, raw.len()).is_some() {
                return Err(GgufError::DuplicateTensor {
                    name: name.to_owned(),
                    offset: info_offset,
                });
            }
            raw.push(RawTensor {
                name,
                dims,
                ggml_type,
                data_offset,
                info_offset,
                n_elements,
                n_bytes,
            });
        }

        let alignment = match key_index.get("general.alignment").map(|&i| &metadata[i].1) {
            None => DEFAULT_ALIGNMENT,
            Some(Value::U32(a)) if *a != 0 && a.is_power_of_two() => u64::from(*a),
            Some(other) => {
                return Err(GgufError::InvalidAlignment {
                    value: format!("{other:?}"),
                });
            }
        };
        // pos <= len < 2^64 - alignment for any real input; saturate rather than overflow.
        let data_start = (c.pos as u64)
            .checked_next_multiple_of(alignment)
            .unwrap_or(u64::MAX);

        let mut tensors = Vec::with_capacity(raw.len());
        for t in raw {
            if t.data_offset % alignment != 0 {
                return Err(GgufError::MisalignedTensor {
                    tensor: t.name.to_owned(),
                    data_offset: t.data_offset,
                    alignment,
                });
            }
            let start = data_start.checked_add(t.data_offset);
            let end = start.and_then(|s| s.checked_add(t.n_bytes));
            let data = match (start, end) {
                // inside the bytes given (`e` ≤ their length ≤ usize::MAX)
                (Some(s), Some(e)) if e <= bytes.len() as u64 => &bytes[s as usize..e as usize],
                (Some(_), Some(e)) if e <= file_len => &[],
                _ => {
                    return Err(GgufError::TensorOutOfBounds {
                        tensor: t.name.to_owned(),
                        start: start.unwrap_or(u64::MAX),
                        end: end.unwrap_or(u64::MAX),
                        file_len,
                    });
                }
            };
            tensors.push(TensorInfo {
                name: t.name,
                dims: t.dims,
                ggml_type: t.ggml_type,
                data_offset: t.data_offset,
                info_offset: t.info_offset,
                n_elements: t.n_elements,
                // both exist and fit: checked above
                file_offset: start.unwrap_or(0),
                n_bytes: t.n_bytes,
                data,
            });
        }

        let mut order: Vec<usize> = (0..tensors.len())
            .filter(|&i| tensors[i].n_bytes > 0)
            .collect();
        order.sort_by_key(|&i| tensors[i].data_offset);
        for pair in order.windows(2) {
            let (a, b) = (&tensors[pair[0]], &tensors[pair[1]]);
            let a_end = a.data_offset + a.n_bytes();
            if b.data_offset < a_end {
                return Err(GgufError::OverlappingTensors {
                    first: a.name.to_owned(),
                    second: b.name.to_owned(),
                    first_end: data_start + a_end,
                    second_start: data_start + b.data_offset,
                });
            }
        }

        Ok(Gguf {
            bytes,
            version,
            alignment,
            data_start,
            metadata,
            key_index,
            tensors,
            tensor_index,
        })
    }

    /// The bytes this view was parsed from.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// GGUF format version (2 or 3).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Data alignment (`general.alignment`, default 32).
    pub fn alignment(&self) -> u64 {
        self.alignment
    }

    /// Absolute byte offset of the data section (may equal or exceed the file length when there is no
    /// tensor data).
    pub fn data_start(&self) -> u64 {
        self.data_start
    }

    /// All metadata entries in file order.
    pub fn metadata(&self) -> &[(&'a str, Value<'a>)] {
        &self.metadata
    }

    /// The value of a metadata key.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.key_index.get(key).map(|&i| &self.metadata[i].1)
    }

    /// Whether a metadata key is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.key_index.contains_key(key)
    }

    /// All tensor infos in file order.
    pub fn tensors(&self) -> &[TensorInfo<'a>] {
        &self.tensors
    }

    /// The tensor of that name, or [`GgufError::TensorNotFound`].
    pub fn tensor(&self, name: &str) -> Result<&TensorInfo<'a>, GgufError> {
        self.tensor_index
            .get(name)
            .map(|&i| &self.tensors[i])
            .ok_or_else(|| GgufError::TensorNotFound {
                name: name.to_owned(),
            })
    }

    fn require(&self, key: &str) -> Result<&Value<'a>, GgufError> {
        self.get(key).ok_or_else(|| GgufError::MissingKey {
            key: key.to_owned(),
        })
    }

    fn integer<T: TryFrom<i128>>(&self, key: &str, expected: &'static str) -> Result<T, GgufError> {
        let v = self.require(key)?;
        let i = v.as_integer().ok_or_else(|| GgufError::WrongType {
            key: key.to_owned(),
            expected,
            found: v.type_description(),
        })?;
        T::try_from(i).map_err(|_| GgufError::ValueOutOfRange {
            key: key.to_owned(),
            expected,
            value: i.to_string(),
        })
    }

    /// An integer key as `u8`. Like all integer accessors, accepts any GGUF integer type whose value fits
    /// (writers disagree on widths: `u32` here, `u64` there) and rejects other types and lossy values.
    pub fn get_u8(&self, key: &str) -> Result<u8, GgufError> {
        self.integer(key, "u8")
    }

    /// An integer key as `i8` (see [`Gguf::get_u8`]).
    pub fn get_i8(&self, key: &str) -> Result<i8, GgufError> {
        self.integer(key, "i8")
    }

    /// An integer key as `u16` (see [`Gguf::get_u8`]).
    pub fn get_u16(&self, key: &str) -> Result<u16, GgufError> {
        self.integer(key, "u16")
    }

    /// An integer key as `i16` (see [`Gguf::get_u8`]).
    pub fn get_i16(&self, key: &str) -> Result<i16, GgufError> {
        self.integer(key, "i16")
    }

    /// An integer key as `u32` (see [`Gguf::get_u8`]).
    pub fn get_u32(&self, key: &str) -> Result<u32, GgufError> {
        self.integer(key, "u32")
    }

    /// An integer key as `i32` (see [`Gguf::get_u8`]).
    pub fn get_i32(&self, key: &str) -> Result<i32, GgufError> {
        self.integer(key, "i32")
    }

    /// An integer key as `u64` (see [`Gguf::get_u8`]).
    pub fn get_u64(&self, key: &str) -> Result<u64, GgufError> {
        self.integer(key, "u64")
    }

    /// An integer key as `i64` (see [`Gguf::get_u8`]).
    pub fn get_i64(&self, key: &str) -> Result<i64, GgufError> {
        self.integer(key, "i64")
    }

    /// An integer key as `usize` (see [`Gguf::get_u8`]).
    pub fn get_usize(&self, key: &str) -> Result<usize, GgufError> {
        self.integer(key, "usize")
    }

    /// A float key as `f32`: an `f32` value, or an `f64` value rounded to `f32`.
    pub fn get_f32(&self, key: &str) -> Result<f32, GgufError> {
        self.get_f64(key).map(|v| v as f32)
    }

    /// A float key as `f64`: an `f64` value, or an `f32` value widened.
    pub fn get_f64(&self, key: &str) -> Result<f64, GgufError> {
        let v = self.require(key)?;
        v.as_float().ok_or_else(|| GgufError::WrongType {
            key: key.to_owned(),
            expected: "f32 or f64",
            found: v.type_description(),
        })
    }

    /// A `bool` key.
    pub fn get_bool(&self, key: &str) -> Result<bool, GgufError> {
        match self.require(key)? {
            Value::Bool(b) => Ok(*b),
            v => Err(wrong(key, "bool", v)),
        }
    }

    /// A string key, borrowed from the file.
    pub fn get_str(&self, key: &str) -> Result<&'a str, GgufError> {
        match self.require(key)? {
            Value::String(s) => Ok(s),
            v => Err(wrong(key, "string", v)),
        }
    }

    /// An array key of any element type.
    pub fn get_array(&self, key: &str) -> Result<&Array<'a>, GgufError> {
        match self.require(key)? {
            Value::Array(a) => Ok(a),
            v => Err(wrong(key, "array", v)),
        }
    }

    /// A string-array key, zero-copy.
    pub fn get_str_array(&self, key: &str) -> Result<&[&'a str], GgufError> {
        let a = self.get_array(key)?;
        a.as_strs()
            .ok_or_else(|| wrong(key, "array of string", &Value::Array(a.clone_header())))
    }

    /// An integer-array key (any integer element type) as `i32`s, rejecting values that do not fit.
    pub fn get_i32_array(&self, key: &str) -> Result<Vec<i32>, GgufError> {
        self.integer_array(key, "array of i32")
    }

    /// An integer-array key (any integer element type) as `u32`s, rejecting values that do not fit.
    pub fn get_u32_array(&self, key: &str) -> Result<Vec<u32>, GgufError> {
        self.integer_array(key, "array of u32")
    }

    /// A float-array key (`f32` or `f64` elements) as `f32`s.
    pub fn get_f32_array(&self, key: &str) -> Result<Vec<f32>, GgufError> {
        let a = self.get_array(key)?;
        if let Some(v) = a.to_f32_vec() {
            return Ok(v);
        }
        if let Some(v) = a.to_f64_vec() {
            return Ok(v.into_iter().map(|x| x as f32).collect());
        }
        Err(wrong(key, "array of f32", &Value::Array(a.clone_header())))
    }

    fn integer_array<T: TryFrom<i128>>(
        &self,
        key: &str,
        expected: &'static str,
    ) -> Result<Vec<T>, GgufError> {
        let a = self.get_array(key)?;
        if a.raw_bytes().is_none() || !is_integer_type(a.element_type()) {
            return Err(wrong(key, expected, &Value::Array(a.clone_header())));
        }
        a.iter()
            .map(|v| {
                let i = v.as_integer().unwrap_or_default();
                T::try_from(i).map_err(|_| GgufError::ValueOutOfRange {
                    key: key.to_owned(),
                    expected,
                    value: i.to_string(),
                })
            })
            .collect()
    }

    /// `general.architecture` (`"llama"`).
    pub fn architecture(&self) -> Result<&'a str, GgufError> {
        self.get_str("general.architecture")
    }
}

fn is_integer_type(t: ValueType) -> bool {
    use ValueType::*;
    matches!(t, U8 | I8 | U16 | I16 | U32 | I32 | U64 | I64)
}

fn wrong(key: &str, expected: &'static str, v: &Value<'_>) -> GgufError {
    GgufError::WrongType {
        key: key.to_owned(),
        expected,
        found: v.type_description(),
    }
}

impl Array<'_> {
    /// An empty array of the same element type, for describing the type in errors without copying.
    fn clone_header(&self) -> Self {
        Array {
            element_type: self.element_type,
            len: 0,
            data: ArrayData::Raw(&[]),
        }
    }
}
