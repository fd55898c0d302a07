//! Metadata values, borrowed from the file's bytes.

use crate::types::ValueType;

/// One metadata value. Strings and numeric arrays borrow the file's bytes; nothing is copied but the
/// per-element slices of string arrays.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `u8`.
    U8(u8),
    /// `i8`.
    I8(i8),
    /// `u16`.
    U16(u16),
    /// `i16`.
    I16(i16),
    /// `u32`.
    U32(u32),
    /// `i32`.
    I32(i32),
    /// `u64`.
    U64(u64),
    /// `i64`.
    I64(i64),
    /// `f32`.
    F32(f32),
    /// `f64`.
    F64(f64),
    /// `bool`.
    Bool(bool),
    /// UTF-8 string.
    String(&'a str),
    /// Array (possibly of arrays).
    Array(Array<'a>),
}

impl Value<'_> {
    /// The value's GGUF type.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::U8(_) => ValueType::U8,
            Value::I8(_) => ValueType::I8,
            Value::U16(_) => ValueType::U16,
            Value::I16(_) => ValueType::I16,
            Value::U32(_) => ValueType::U32,
            Value::I32(_) => ValueType::I32,
            Value::U64(_) => ValueType::U64,
            Value::I64(_) => ValueType::I64,
            Value::F32(_) => ValueType::F32,
            Value::F64(_) => ValueType::F64,
            Value::Bool(_) => ValueType::Bool,
            Value::String(_) => ValueType::String,
            Value::Array(_) => ValueType::Array,
        }
    }

    /// A type description for error messages: `"u32"`, `"array of string"`.
    pub fn type_description(&self) -> String {
        match self {
            Value::Array(a) => format!("array of {}", a.element_type()),
            v => v.value_type().name().to_owned(),
        }
    }

    /// Any integer value widened to `i128` (so every GGUF integer fits); `None` for other types.
    pub fn as_integer(&self) -> Option<i128> {
        Some(match *self {
            Value::U8(v) => v.into(),
            Value::I8(v) => v.into(),
            Value::U16(v) => v.into(),
            Value::I16(v) => v.into(),
            Value::U32(v) => v.into(),
            Value::I32(v) => v.into(),
            Value::U64(v) => v.into(),
            Value::I64(v) => v.into(),
            _ => return None,
        })
    }

    /// An `f32` or `f64` value as `f64`; `None` for other types.
    pub fn as_float(&self) -> Option<f64> {
        match *self {
            Value::F32(v) => Some(v.into()),
            Value::F64(v) => Some(v),
            _ => None,
        }
    }
}

/// A metadata array: element type, length and the elements.
#[derive(Debug, Clone, PartialEq)]
pub struct Array<'a> {
    pub(crate) element_type: ValueType,
    pub(crate) len: usize,
    pub(crate) data: ArrayData<'a>,
}

/// Storage of an array's elements.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ArrayData<'a> {
    /// Fixed-width elements, little-endian, exactly `len * size` bytes (bools already checked to be 0/1).
    Raw(&'a [u8]),
    /// String elements.
    Strings(Vec<&'a str>),
    /// Array elements.
    Arrays(Vec<Array<'a>>),
}

macro_rules! typed_vec {
    ($(#[$doc:meta])* $name:ident, $variant:ident, $t:ty, $n:literal) => {
        $(#[$doc])*
        pub fn $name(&self) -> Option<Vec<$t>> {
            match (&self.data, self.element_type) {
                (ArrayData::Raw(bytes), ValueType::$variant) => Some(
                    bytes
                        .chunks_exact($n)
                        .map(|c| {
                            let mut b = [0u8; $n];
                            b.copy_from_slice(c);
                            <$t>::from_le_bytes(b)
                        })
                        .collect(),
                ),
                _ => None,
            }
        }
    };
}

impl<'a> Array<'a> {
    /// The element type.
    pub fn element_type(&self) -> ValueType {
        self.element_type
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Element `i` as a [`Value`] (strings and nested arrays are cheap to clone: borrowed slices).
    pub fn get(&self, i: usize) -> Option<Value<'a>> {
        if i >= self.len {
            return None;
        }
        match &self.data {
            ArrayData::Strings(s) => s.get(i).map(|s| Value::String(s)),
            ArrayData::Arrays(a) => a.get(i).cloned().map(Value::Array),
            ArrayData::Raw(bytes) => {
                let size = self.element_type.fixed_size()?;
                let b = bytes.get(i * size..(i + 1) * size)?;
                decode_fixed(self.element_type, b)
            }
        }
    }

    /// All elements as [`Value`]s.
    pub fn iter(&self) -> impl Iterator<Item = Value<'a>> + '_ {
        (0..self.len).filter_map(move |i| self.get(i))
    }

    /// The elements of a string array, zero-copy.
    pub fn as_strs(&self) -> Option<&[&'a str]> {
        match &self.data {
            ArrayData::Strings(s) => Some(s),
            _ => None,
        }
    }

    /// The elements of an array of arrays.
    pub fn as_arrays(&self) -> Option<&[Array<'a>]> {
        match &self.data {
            ArrayData::Arrays(a) => Some(a),
            _ => None,
        }
    }

    /// The raw little-endian bytes of a fixed-width array.
    pub fn raw_bytes(&self) -> Option<&'a [u8]> {
        match self.data {
            ArrayData::Raw(b) => Some(b),
            _ => None,
        }
    }

    typed_vec!(
        /// The elements of a `u8` array.
        to_u8_vec, U8, u8, 1
    );
    typed_vec!(
        /// The elements of an `i8` array.
        to_i8_vec, I8, i8, 1
    );
    typed_vec!(
        /// The elements of a `u16` array.
        to_u16_vec, U16, u16, 2
    );
    typed_vec!(
        /// The elements of an `i16` array.
        to_i16_vec, I16, i16, 2
    );
    typed_vec!(
        /// The elements of a `u32` array.
        to_u32_vec, U32, u32, 4
    );
    typed_vec!(
        /// The elements of an `i32` array.
        to_i32_vec, I32, i32, 4
    );
    typed_vec!(
        /// The elements of a `u64` array.
        to_u64_vec, U64, u64, 8
    );
    typed_vec!(
        /// The elements of an `i64` array.
        to_i64_vec, I64, i64, 8
    );
    typed_vec!(
        /// The elements of an `f32` array.
        to_f32_vec, F32, f32, 4
    );
    typed_vec!(
        /// The elements of an `f64` array.
        to_f64_vec, F64, f64, 8
    );

    /// The elements of a `bool` array.
    pub fn to_bool_vec(&self) -> Option<Vec<bool>> {
        match (&self.data, self.element_type) {
            (ArrayData::Raw(bytes), ValueType::Bool) => {
                Some(bytes.iter().map(|&b| b != 0).collect())
            }
            _ => None,
        }
    }

    /// The elements of any integer array widened to `i64`, or `None` for non-integer arrays and `u64`
    /// values above `i64::MAX`.
    pub fn to_i64_lossless(&self) -> Option<Vec<i64>> {
        if !matches!(self.data, ArrayData::Raw(_)) {
            return None;
        }
        self.iter()
            .map(|v| v.as_integer().and_then(|i| i64::try_from(i).ok()))
            .collect()
    }
}

/// Decode one fixed-width little-endian value; `b` has exactly the type's size.
pub(crate) fn decode_fixed<'a>(ty: ValueType, b: &[u8]) -> Option<Value<'a>> {
    fn arr<const N: usize>(b: &[u8]) -> Option<[u8; N]> {
        b.try_into().ok()
    }
    Some(match ty {
        ValueType::U8 => Value::U8(*b.first()?),
        ValueType::I8 => Value::I8(i8::from_le_bytes(arr(b)?)),
        ValueType::Bool => Value::Bool(*b.first()? != 0),
        ValueType::U16 => Value::U16(u16::from_le_bytes(arr(b)?)),
        ValueType::I16 => Value::I16(i16::from_le_bytes(arr(b)?)),
        ValueType::U32 => Value::U32(u32::from_le_bytes(arr(b)?)),
        ValueType::I32 => Value::I32(i32::from_le_bytes(arr(b)?)),
        ValueType::F32 => Value::F32(f32::from_le_bytes(arr(b)?)),
        ValueType::U64 => Value::U64(u64::from_le_bytes(arr(b)?)),
        ValueType::I64 => Value::I64(i64::from_le_bytes(arr(b)?)),
        ValueType::F64 => Value::F64(f64::from_le_bytes(arr(b)?)),
        ValueType::String | ValueType::Array => return None,
    })
}
