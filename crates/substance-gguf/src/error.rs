//! The crate's one error type.

use crate::types::GgmlType;

/// Everything that can go wrong reading a GGUF file, dequantising one of its tensors or deriving something
/// (tokenizer, hyperparameters) from its metadata.
///
/// Parse errors name the byte offset (from the start of the file) of the field that is wrong, and the
/// metadata key or tensor it belongs to when one is known; accessor errors name the key or tensor asked for.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GgufError {
    /// The file ends before a field that must be there.
    #[error(
        "file truncated: {context} needs {needed} bytes at byte {offset}, only {available} left"
    )]
    Truncated {
        /// What was being read (`"header"`, `metadata key \"general.name\"`, ...).
        context: String,
        /// Byte offset where the field starts.
        offset: u64,
        /// Bytes the field needs.
        needed: u64,
        /// Bytes left in the file from `offset`.
        available: u64,
    },
    /// Only from [`Gguf::parse_prefix`](crate::Gguf::parse_prefix): the header (metadata and tensor
    /// table) goes on past the bytes given. Read at least `needed` bytes of the file and parse again.
    #[error("the header goes on past the first {have} bytes given: read at least {needed}")]
    PrefixTooShort {
        /// Bytes given.
        have: u64,
        /// Bytes the field being read ends at.
        needed: u64,
    },
    /// The first four bytes are not `GGUF`.
    #[error("not a GGUF file: magic bytes {found:02x?} at byte 0, expected \"GGUF\"")]
    BadMagic {
        /// The four bytes found.
        found: [u8; 4],
    },
    /// A version other than 2 or 3 (version 1 used 32-bit counts and is long obsolete; a byte-swapped 2 or 3
    /// is a big-endian file, which this reader does not support).
    #[error("unsupported GGUF version {version} at byte 4 (supported: 2 and 3){}", big_endian_hint(*.version))]
    UnsupportedVersion {
        /// The version field as read little-endian.
        version: u32,
    },
    /// A metadata value type id outside the GGUF specification.
    #[error("{context}: unknown metadata value type {value_type} at byte {offset}")]
    UnknownValueType {
        /// The key (and array level) being read.
        context: String,
        /// The type id found.
        value_type: u32,
        /// Byte offset of the type field.
        offset: u64,
    },
    /// A count or length that the remaining bytes cannot possibly hold; rejected before anything is
    /// allocated for it.
    #[error("{context}: {what} {count} at byte {offset} cannot fit in the {remaining} bytes left")]
    CountTooLarge {
        /// The key, tensor or header being read.
        context: String,
        /// Which count (`"metadata key count"`, `"array length"`, `"string length"`, ...).
        what: &'static str,
        /// The count found.
        count: u64,
        /// Byte offset of the count field.
        offset: u64,
        /// Bytes left in the file after the count field.
        remaining: u64,
    },
    /// A string (key, value, tensor name) that is not valid UTF-8.
    #[error("{context}: string at byte {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// The key or tensor being read.
        context: String,
        /// Byte offset of the string's first byte.
        offset: u64,
    },
    /// A boolean stored as a byte other than 0 or 1.
    #[error("{context}: boolean byte {value} at byte {offset} is neither 0 nor 1")]
    InvalidBool {
        /// The key being read.
        context: String,
        /// The byte found.
        value: u8,
        /// Byte offset of the byte.
        offset: u64,
    },
    /// Arrays nested deeper than [`crate::MAX_ARRAY_DEPTH`].
    #[error("{context}: arrays nested deeper than {max} levels at byte {offset}")]
    NestingTooDeep {
        /// The key being read.
        context: String,
        /// The limit.
        max: usize,
        /// Byte offset of the innermost array header.
        offset: u64,
    },
    /// The same metadata key twice.
    #[error("duplicate metadata key {key:?} at byte {offset}")]
    DuplicateKey {
        /// The key.
        key: String,
        /// Byte offset of the second occurrence.
        offset: u64,
    },
    /// The same tensor name twice.
    #[error("duplicate tensor name {name:?} at byte {offset}")]
    DuplicateTensor {
        /// The tensor name.
        name: String,
        /// Byte offset of the second tensor info.
        offset: u64,
    },
    /// `general.alignment` that is zero, not a power of two, or not an unsigned 32-bit integer.
    #[error("general.alignment {value} is not a power of two fitting in u32")]
    InvalidAlignment {
        /// The value as written.
        value: String,
    },
    /// A tensor with more dimensions than ggml supports (4).
    #[error("tensor {tensor:?}: {n_dims} dimensions at byte {offset}, at most {max} supported")]
    TooManyDims {
        /// The tensor name.
        tensor: String,
        /// The dimension count found.
        n_dims: u32,
        /// The limit (ggml's `GGML_MAX_DIMS`).
        max: u32,
        /// Byte offset of the dimension count.
        offset: u64,
    },
    /// A ggml type id this reader does not know (so the tensor's size cannot be computed).
    #[error("tensor {tensor:?}: unknown ggml type id {type_id} at byte {offset}")]
    UnknownGgmlType {
        /// The tensor name.
        tensor: String,
        /// The type id found.
        type_id: u32,
        /// Byte offset of the type field.
        offset: u64,
    },
    /// A shape whose element count overflows, or whose first dimension is not a whole number of blocks.
    #[error(
        "tensor {tensor:?}: invalid shape {dims:?} for {ggml_type} ({reason}), tensor info at byte {offset}"
    )]
    InvalidShape {
        /// The tensor name.
        tensor: String,
        /// The dimensions, fastest-varying first (ggml order).
        dims: Vec<u64>,
        /// The tensor's type.
        ggml_type: GgmlType,
        /// What is wrong.
        reason: &'static str,
        /// Byte offset of the tensor info.
        offset: u64,
    },
    /// A tensor data offset that is not a multiple of the file's alignment.
    #[error(
        "tensor {tensor:?}: data offset {data_offset} is not a multiple of the alignment {alignment}"
    )]
    MisalignedTensor {
        /// The tensor name.
        tensor: String,
        /// Offset relative to the start of the data section.
        data_offset: u64,
        /// The file's alignment.
        alignment: u64,
    },
    /// Tensor data reaching past the end of the file.
    #[error("tensor {tensor:?}: data bytes {start}..{end} lie outside the {file_len}-byte file")]
    TensorOutOfBounds {
        /// The tensor name.
        tensor: String,
        /// Absolute start offset.
        start: u64,
        /// Absolute end offset (exclusive), saturated at `u64::MAX`.
        end: u64,
        /// The file length.
        file_len: u64,
    },
    /// Two tensors whose data regions overlap.
    #[error(
        "tensors {first:?} and {second:?} overlap: {second:?} starts at byte {second_start}, before {first:?} ends at byte {first_end}"
    )]
    OverlappingTensors {
        /// The tensor that starts first.
        first: String,
        /// The tensor that starts inside `first`.
        second: String,
        /// Absolute end of `first` (exclusive).
        first_end: u64,
        /// Absolute start of `second`.
        second_start: u64,
    },
    /// A metadata key that an accessor needs is absent.
    #[error("metadata key {key:?} is missing")]
    MissingKey {
        /// The key.
        key: String,
    },
    /// A metadata key holding a value of another type than the accessor reads.
    #[error("metadata key {key:?} holds {found}, expected {expected}")]
    WrongType {
        /// The key.
        key: String,
        /// What the accessor reads.
        expected: &'static str,
        /// What the file holds (type name).
        found: String,
    },
    /// An integer metadata value that does not fit the accessor's type (e.g. a negative `i32` read as `u32`).
    #[error("metadata key {key:?} holds {value}, which does not fit {expected}")]
    ValueOutOfRange {
        /// The key.
        key: String,
        /// The accessor's type.
        expected: &'static str,
        /// The value found.
        value: String,
    },
    /// No tensor of that name.
    #[error("no tensor named {name:?}")]
    TensorNotFound {
        /// The name asked for.
        name: String,
    },
    /// Dequantisation of a ggml type this crate does not implement.
    #[error("tensor {tensor:?}: dequantisation of {ggml_type} is not implemented")]
    UnsupportedType {
        /// The tensor name (empty for raw byte slices).
        tensor: String,
        /// Its type.
        ggml_type: GgmlType,
    },
    /// A caller-supplied buffer or byte slice of the wrong length.
    #[error("tensor {tensor:?}: {what} has length {got}, expected {expected}")]
    LengthMismatch {
        /// The tensor name (empty for raw byte slices).
        tensor: String,
        /// Which buffer.
        what: &'static str,
        /// The length needed.
        expected: u64,
        /// The length given.
        got: u64,
    },
    /// Metadata that is present and well-typed but cannot describe a tokenizer this crate can build.
    #[error("tokenizer: {reason}")]
    Tokenizer {
        /// What is wrong.
        reason: String,
    },
    /// Hyperparameters or arguments that are inconsistent (zero heads, rows not divisible by heads, ...).
    #[error("invalid parameters: {reason}")]
    InvalidParams {
        /// What is wrong.
        reason: String,
    },
}

fn big_endian_hint(version: u32) -> &'static str {
    match version.swap_bytes() {
        2 | 3 => "; this looks like a big-endian GGUF, which is not supported",
        _ => "",
    }
}
