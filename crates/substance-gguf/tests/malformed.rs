//! Malformed input: every structural defect is a typed error naming the key or tensor and the byte offset,
//! never a panic or a huge allocation; random, truncated and mutated files are property-tested.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::fixture_bytes;
use proptest::prelude::*;
use substance_gguf::{
    Gguf, GgufError, LlamaParams, MAX_ARRAY_DEPTH, dequantize, hf_tokenizer_json, special_tokens,
};

/// A minimal GGUF writer for hand-made (and hand-broken) files.
#[derive(Default)]
struct Builder {
    version: u32,
    kvs: Vec<u8>,
    n_kv: u64,
    infos: Vec<u8>,
    n_tensors: u64,
    data: Vec<u8>,
    alignment: usize,
}

fn string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s);
}

impl Builder {
    fn new() -> Self {
        Builder {
            version: 3,
            alignment: 32,
            ..Default::default()
        }
    }

    /// A key with a raw value: type id then the encoded value.
    fn kv_raw(mut self, key: &str, type_id: u32, value: &[u8]) -> Self {
        string(&mut self.kvs, key.as_bytes());
        self.kvs.extend_from_slice(&type_id.to_le_bytes());
        self.kvs.extend_from_slice(value);
        self.n_kv += 1;
        self
    }

    fn kv_u32(self, key: &str, v: u32) -> Self {
        self.kv_raw(key, 4, &v.to_le_bytes())
    }

    fn kv_str(self, key: &str, v: &str) -> Self {
        let mut b = Vec::new();
        string(&mut b, v.as_bytes());
        self.kv_raw(key, 8, &b)
    }

    fn kv_str_array(self, key: &str, items: &[&str]) -> Self {
        let mut b = Vec::new();
        b.extend_from_slice(&8u32.to_le_bytes());
        b.extend_from_slice(&(items.len() as u64).to_le_bytes());
        for s in items {
            string(&mut b, s.as_bytes());
        }
        self.kv_raw(key, 9, &b)
    }

    fn tensor(mut self, name: &str, dims: &[u64], type_id: u32, offset: u64) -> Self {
        string(&mut self.infos, name.as_bytes());
        self.infos
            .extend_from_slice(&(dims.len() as u32).to_le_bytes());
        for d in dims {
            self.infos.extend_from_slice(&d.to_le_bytes());
        }
        self.infos.extend_from_slice(&type_id.to_le_bytes());
        self.infos.extend_from_slice(&offset.to_le_bytes());
        self.n_tensors += 1;
        self
    }

    fn data(mut self, bytes: &[u8]) -> Self {
        self.data.extend_from_slice(bytes);
        self
    }

    fn build(&self) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&self.n_tensors.to_le_bytes());
        out.extend_from_slice(&self.n_kv.to_le_bytes());
        out.extend_from_slice(&self.kvs);
        out.extend_from_slice(&self.infos);
        while out.len() % self.alignment != 0 {
            out.push(0);
        }
        out.extend_from_slice(&self.data);
        out
    }
}

fn err(bytes: &[u8]) -> GgufError {
    match Gguf::parse(bytes) {
        Ok(_) => panic!("parsed a malformed file"),
        Err(e) => e,
    }
}

#[test]
fn minimal_files_parse() {
    let b = Builder::new().build();
    let g = Gguf::parse(&b).unwrap();
    assert_eq!(
        (g.version(), g.metadata().len(), g.tensors().len()),
        (3, 0, 0)
    );
    let mut v2 = Builder::new();
    v2.version = 2;
    assert_eq!(Gguf::parse(&v2.build()).unwrap().version(), 2);

    // empty arrays of every kind (gguf-py cannot write them)
    let mut b = Builder::new();
    for t in [0u32, 4, 7, 8, 9, 12] {
        let mut v = t.to_le_bytes().to_vec();
        v.extend_from_slice(&0u64.to_le_bytes());
        b = b.kv_raw(&format!("empty.{t}"), 9, &v);
    }
    let bytes = b.build();
    let g = Gguf::parse(&bytes).unwrap();
    assert!(
        g.metadata()
            .iter()
            .all(|(_, v)| matches!(v, substance_gguf::Value::Array(a) if a.is_empty()))
    );
    assert_eq!(g.get_str_array("empty.8").unwrap().len(), 0);
    assert_eq!(g.get_u32_array("empty.4").unwrap(), Vec::<u32>::new());

    // a tensor whose data is exactly at the end of the file; a 0-d tensor (one element)
    let bytes = Builder::new()
        .tensor("w", &[32, 2], 8, 0)
        .tensor("s", &[], 0, 96)
        .data(&[0u8; 96 + 4])
        .build();
    let g = Gguf::parse(&bytes).unwrap();
    assert_eq!(g.tensor("w").unwrap().n_bytes(), 68);
    assert_eq!(g.tensor("s").unwrap().n_elements(), 1);
    assert_eq!(dequantize(g.tensor("s").unwrap()).unwrap(), vec![0.0]);
}

#[test]
fn header_errors() {
    assert!(matches!(err(b""), GgufError::Truncated { offset: 0, .. }));
    assert!(matches!(err(b"GGU"), GgufError::Truncated { .. }));
    assert!(matches!(err(b"GGML\x03\0\0\0"), GgufError::BadMagic { found } if &found == b"GGML"));
    let mut b = Builder::new();
    b.version = 1;
    assert!(matches!(
        err(&b.build()),
        GgufError::UnsupportedVersion { version: 1 }
    ));
    b.version = 3u32.swap_bytes();
    let e = err(&b.build());
    assert!(e.to_string().contains("big-endian"), "{e}");
    let full = Builder::new().build();
    assert!(matches!(
        err(&full[..20]),
        GgufError::Truncated { offset: 16, .. }
    ));
}

#[test]
fn absurd_counts_are_rejected_before_allocating() {
    // 2^60 keys in a 24-byte file
    let mut b = b"GGUF\x03\0\0\0".to_vec();
    b.extend_from_slice(&0u64.to_le_bytes());
    b.extend_from_slice(&(1u64 << 60).to_le_bytes());
    assert!(
        matches!(err(&b), GgufError::CountTooLarge { what: "metadata entry count", count, .. } if count == 1 << 60)
    );
    // u64::MAX tensors
    let mut b = b"GGUF\x03\0\0\0".to_vec();
    b.extend_from_slice(&u64::MAX.to_le_bytes());
    b.extend_from_slice(&0u64.to_le_bytes());
    assert!(matches!(
        err(&b),
        GgufError::CountTooLarge {
            what: "tensor count",
            ..
        }
    ));
    // a string claiming 2^40 bytes
    let mut v = Vec::new();
    v.extend_from_slice(&(1u64 << 40).to_le_bytes());
    let e = err(&Builder::new().kv_raw("big.string", 8, &v).build());
    match &e {
        GgufError::CountTooLarge { context, what, .. } => {
            assert!(context.contains("big.string"), "{e}");
            assert_eq!(*what, "string length");
        }
        other => panic!("{other:?}"),
    }
    // an array of 2^62 u64s, of 2^61 strings, of 2^60 arrays
    for (elem, what) in [
        (10u32, "array length"),
        (8, "string array length"),
        (9, "array-of-arrays length"),
    ] {
        let mut v = elem.to_le_bytes().to_vec();
        v.extend_from_slice(&(1u64 << 62).to_le_bytes());
        let e = err(&Builder::new().kv_raw("big.array", 9, &v).build());
        assert!(
            matches!(&e, GgufError::CountTooLarge { what: w, .. } if *w == what),
            "{e}"
        );
    }
}

#[test]
fn metadata_errors_name_the_key_and_offset() {
    let e = err(&Builder::new().kv_raw("k.bad_type", 13, &[]).build());
    match e {
        GgufError::UnknownValueType {
            context,
            value_type,
            offset,
        } => {
            assert!(context.contains("k.bad_type"));
            assert_eq!((value_type, offset), (13, 24 + 8 + 10));
        }
        other => panic!("{other:?}"),
    }
    let mut v = 99u32.to_le_bytes().to_vec();
    v.extend_from_slice(&1u64.to_le_bytes());
    assert!(matches!(
        err(&Builder::new().kv_raw("k.arr", 9, &v).build()),
        GgufError::UnknownValueType { value_type: 99, .. }
    ));
    assert!(matches!(
        err(&Builder::new().kv_raw("k.bool", 7, &[2]).build()),
        GgufError::InvalidBool { value: 2, .. }
    ));
    let mut v = 7u32.to_le_bytes().to_vec();
    v.extend_from_slice(&2u64.to_le_bytes());
    v.extend_from_slice(&[1, 5]);
    assert!(matches!(
        err(&Builder::new().kv_raw("k.bools", 9, &v).build()),
        GgufError::InvalidBool { value: 5, .. }
    ));
    let mut bad_utf8 = Vec::new();
    string(&mut bad_utf8, b"\xff\xfe");
    assert!(matches!(
        err(&Builder::new().kv_raw("k.s", 8, &bad_utf8).build()),
        GgufError::InvalidUtf8 { .. }
    ));
    let mut b = Builder::new();
    string(&mut b.kvs, b"\xc3");
    b.kvs.extend_from_slice(&4u32.to_le_bytes());
    b.kvs.extend_from_slice(&0u32.to_le_bytes());
    b.n_kv = 1;
    assert!(matches!(
        err(&b.build()),
        GgufError::InvalidUtf8 { offset: 32, .. }
    ));

    let e = err(&Builder::new()
        .kv_u32("k.dup", 1)
        .kv_u32("k.other", 2)
        .kv_u32("k.dup", 3)
        .build());
    assert!(
        matches!(&e, GgufError::DuplicateKey { key, .. } if key == "k.dup"),
        "{e}"
    );

    // truncated inside a value
    let b = Builder::new().kv_str("k.s", "hello");
    let full = b.build();
    let e = err(&full[..24 + b.kvs.len() - 2]);
    assert!(
        matches!(&e, GgufError::CountTooLarge { context, what: "string length", .. } if context.contains("k.s")),
        "{e}"
    );
    let e = err(&full[..24 + b.kvs.len() - 9]);
    assert!(
        matches!(&e, GgufError::Truncated { context, .. } if context.contains("k.s")),
        "{e}"
    );

    // nesting
    let mut v = Vec::new();
    for _ in 0..MAX_ARRAY_DEPTH + 5 {
        v.extend_from_slice(&9u32.to_le_bytes());
        v.extend_from_slice(&1u64.to_le_bytes());
    }
    v.extend_from_slice(&4u32.to_le_bytes());
    v.extend_from_slice(&0u64.to_le_bytes());
    assert!(matches!(
        err(&Builder::new().kv_raw("k.deep", 9, &v).build()),
        GgufError::NestingTooDeep { .. }
    ));

    // alignment
    for bad in [0u32, 3, 48] {
        assert!(matches!(
            err(&Builder::new().kv_u32("general.alignment", bad).build()),
            GgufError::InvalidAlignment { .. }
        ));
    }
    assert!(matches!(
        err(&Builder::new().kv_str("general.alignment", "32").build()),
        GgufError::InvalidAlignment { .. }
    ));
}

#[test]
fn tensor_errors_name_the_tensor() {
    let name_of = |e: &GgufError| e.to_string();
    let e = err(&Builder::new()
        .tensor("t.dims", &[1, 1, 1, 1, 1], 0, 0)
        .build());
    assert!(
        matches!(&e, GgufError::TooManyDims { n_dims: 5, .. }) && name_of(&e).contains("t.dims")
    );
    let e = err(&Builder::new().tensor("t.type", &[4], 4, 0).build());
    assert!(
        matches!(&e, GgufError::UnknownGgmlType { type_id: 4, .. })
            && name_of(&e).contains("t.type")
    );
    let e = err(&Builder::new()
        .tensor("t.block", &[33], 2, 0)
        .data(&[0; 64])
        .build());
    assert!(
        matches!(&e, GgufError::InvalidShape { .. }) && name_of(&e).contains("t.block"),
        "{e}"
    );
    let e = err(&Builder::new()
        .tensor("t.huge", &[1 << 40, 1 << 40], 0, 0)
        .build());
    assert!(matches!(&e, GgufError::InvalidShape { .. }), "{e}");
    let e = err(&Builder::new().tensor("t.neg", &[u64::MAX], 0, 0).build());
    assert!(matches!(&e, GgufError::InvalidShape { .. }), "{e}");
    let e = err(&Builder::new()
        .tensor("t.oob", &[16], 0, 0)
        .data(&[0; 60])
        .build());
    assert!(
        matches!(&e, GgufError::TensorOutOfBounds { end, .. } if *end > 0)
            && name_of(&e).contains("t.oob"),
        "{e}"
    );
    let e = err(&Builder::new()
        .tensor("t.far", &[1], 0, u64::MAX - 31)
        .data(&[0; 64])
        .build());
    assert!(matches!(&e, GgufError::TensorOutOfBounds { .. }), "{e}");
    let e = err(&Builder::new()
        .tensor("t.unaligned", &[1], 0, 4)
        .data(&[0; 64])
        .build());
    assert!(
        matches!(
            &e,
            GgufError::MisalignedTensor {
                data_offset: 4,
                alignment: 32,
                ..
            }
        ),
        "{e}"
    );
    let e = err(&Builder::new()
        .tensor("a", &[16], 0, 0)
        .tensor("b", &[16], 0, 32)
        .data(&[0; 128])
        .build());
    assert!(
        matches!(&e, GgufError::OverlappingTensors { first, second, .. } if first == "a" && second == "b"),
        "{e}"
    );
    let e = err(&Builder::new()
        .tensor("same", &[8], 0, 0)
        .tensor("same", &[8], 0, 32)
        .data(&[0; 64])
        .build());
    assert!(
        matches!(&e, GgufError::DuplicateTensor { name, .. } if name == "same"),
        "{e}"
    );
    // a type the parser knows but the dequantiser does not
    let bytes = Builder::new()
        .tensor("t.iq2", &[256], 16, 0)
        .data(&[0; 66])
        .build();
    let g = Gguf::parse(&bytes).unwrap();
    let e = dequantize(g.tensor("t.iq2").unwrap()).unwrap_err();
    assert!(
        matches!(&e, GgufError::UnsupportedType { tensor, .. } if tensor == "t.iq2"),
        "{e}"
    );
}

#[test]
fn derived_data_errors() {
    let bytes = Builder::new().build();
    let g = Gguf::parse(&bytes).unwrap();
    assert!(
        matches!(LlamaParams::from_gguf(&g), Err(GgufError::MissingKey { key }) if key == "general.architecture")
    );
    assert!(
        matches!(hf_tokenizer_json(&g), Err(GgufError::MissingKey { key }) if key == "tokenizer.ggml.model")
    );

    let bytes = Builder::new()
        .kv_str("tokenizer.ggml.model", "llama")
        .build();
    let g = Gguf::parse(&bytes).unwrap();
    assert!(matches!(
        hf_tokenizer_json(&g),
        Err(GgufError::Tokenizer { .. })
    ));

    let bytes = Builder::new()
        .kv_str("tokenizer.ggml.model", "gpt2")
        .kv_str_array("tokenizer.ggml.tokens", &["a", "b", "ab"])
        .kv_str_array("tokenizer.ggml.merges", &["ab"])
        .build();
    let g = Gguf::parse(&bytes).unwrap();
    let e = hf_tokenizer_json(&g).unwrap_err();
    assert!(e.to_string().contains("merges[0]"), "{e}");
    let bytes = Builder::new()
        .kv_str("tokenizer.ggml.model", "gpt2")
        .kv_str_array("tokenizer.ggml.tokens", &["a"])
        .kv_u32("tokenizer.ggml.eos_token_id", 7)
        .build();
    let g = Gguf::parse(&bytes).unwrap();
    assert!(matches!(
        special_tokens(&g),
        Err(GgufError::Tokenizer { .. })
    ));

    let bytes = Builder::new()
        .kv_str("general.architecture", "llama")
        .kv_u32("llama.block_count", 1)
        .kv_u32("llama.embedding_length", 10)
        .kv_u32("llama.feed_forward_length", 1)
        .kv_u32("llama.attention.head_count", 3)
        .kv_raw(
            "llama.attention.layer_norm_rms_epsilon",
            6,
            &1e-5f32.to_le_bytes(),
        )
        .kv_u32("llama.context_length", 8)
        .kv_u32("llama.vocab_size", 8)
        .build();
    let g = Gguf::parse(&bytes).unwrap();
    assert!(matches!(
        LlamaParams::from_gguf(&g),
        Err(GgufError::InvalidParams { .. })
    ));
}

/// Run everything a caller might do with a parsed file; must never panic.
fn exercise(bytes: &[u8]) {
    // a reader by range parses the first bytes with the file's length
    let _ = Gguf::parse_prefix(&bytes[..bytes.len() / 2], bytes.len() as u64);
    if let Ok(g) = Gguf::parse(bytes) {
        for t in g.tensors() {
            if t.n_elements() <= 1 << 20 {
                let _ = dequantize(t);
            }
        }
        let _ = hf_tokenizer_json(&g);
        let _ = LlamaParams::from_gguf(&g);
        for (k, v) in g.metadata() {
            let _ = (
                g.get_u32(k),
                g.get_f32(k),
                g.get_str_array(k),
                g.get_i32_array(k),
                v.type_description(),
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 0..512), valid_header in any::<bool>()) {
        if valid_header && bytes.len() >= 8 {
            bytes[..8].copy_from_slice(b"GGUF\x03\0\0\0");
        }
        exercise(&bytes);
    }

    #[test]
    fn truncated_files_are_errors(cut in 0usize..16_576) {
        let bytes = fixture_bytes("synthetic.gguf");
        // gguf-py pads after the last tensor too: only cuts before its end must fail
        let g = Gguf::parse(&bytes).unwrap();
        let data_end = g.tensors().iter().map(|t| g.data_start() + t.data_offset() + t.n_bytes()).max().unwrap();
        let cut = cut.min(data_end as usize - 1);
        prop_assert!(Gguf::parse(&bytes[..cut]).is_err());
    }

    #[test]
    fn mutated_files_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        which in 0usize..2,
    ) {
        let mut bytes = fixture_bytes(["synthetic.gguf", "tiny_bpe.gguf"][which]);
        // bias edits towards the header and metadata, where structure lives
        let structural = bytes.len().min(4096);
        for (i, b) in edits {
            let at = i.index(structural);
            bytes[at] = b;
        }
        exercise(&bytes);
    }

    #[test]
    fn mutated_counts_never_panic(field in 0usize..3, value in any::<u64>()) {
        let mut bytes = fixture_bytes("synthetic.gguf");
        let at = [8, 16, 24 + 8][field];
        bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
        exercise(&bytes);
    }
}

#[test]
fn truncation_at_every_byte_of_the_metadata() {
    let bytes = fixture_bytes("tiny_bpe.gguf");
    let g = Gguf::parse(&bytes).unwrap();
    let end = g.data_start() as usize;
    for cut in 0..end.min(bytes.len()) {
        // the padding before the data section may be cut when there are no tensors
        if let Ok(short) = Gguf::parse(&bytes[..cut]) {
            assert_eq!(short.metadata().len(), g.metadata().len(), "cut at {cut}");
        }
    }
}

/// `parse_prefix` at every cut of the header: either the same file as `parse` reads (metadata, tensor
/// table, data ranges; tensor data only where the cut holds it) or `PrefixTooShort` naming a length past
/// the cut, from which parsing goes on; a cut file is still `Truncated` or out of bounds.
#[test]
fn prefix_parses_agree_with_whole_file_parses() {
    for name in ["synthetic.gguf", "tiny_bpe.gguf"] {
        let bytes = fixture_bytes(name);
        let whole = Gguf::parse(&bytes).unwrap();
        let len = bytes.len() as u64;
        let header_end = (whole.data_start() as usize).min(bytes.len());
        let mut steps_to_header = 0;
        for cut in (0..=header_end + 256).filter(|&c| c <= bytes.len()) {
            match Gguf::parse_prefix(&bytes[..cut], len) {
                Ok(g) => {
                    assert_eq!(g.metadata(), whole.metadata(), "{name} cut {cut}");
                    assert_eq!(g.data_start(), whole.data_start());
                    for (a, b) in g.tensors().iter().zip(whole.tensors()) {
                        assert_eq!(
                            (
                                a.name(),
                                a.dims(),
                                a.ggml_type(),
                                a.n_bytes(),
                                a.file_range()
                            ),
                            (
                                b.name(),
                                b.dims(),
                                b.ggml_type(),
                                b.n_bytes(),
                                b.file_range()
                            )
                        );
                        assert_eq!(a.has_data(), a.file_range().end <= cut as u64);
                        if a.has_data() {
                            assert_eq!(a.data(), b.data());
                        } else {
                            assert!(a.data().is_empty());
                        }
                        let r = b.file_range();
                        assert_eq!(&bytes[r.start as usize..r.end as usize], b.data());
                    }
                    assert_eq!(g.tensors().len(), whole.tensors().len());
                }
                Err(GgufError::PrefixTooShort { have, needed }) => {
                    assert_eq!(have, cut as u64);
                    assert!(needed > have && needed <= len, "{name} cut {cut}: {needed}");
                    // the length it asks for gets further: parsing from a cut converges
                    if cut == 0 {
                        let mut n = needed as usize;
                        loop {
                            steps_to_header += 1;
                            match Gguf::parse_prefix(&bytes[..n], len) {
                                Ok(_) => break,
                                Err(GgufError::PrefixTooShort { needed, .. }) => {
                                    assert!(needed as usize > n);
                                    n = needed as usize;
                                }
                                Err(e) => panic!("{name} from {n}: {e}"),
                            }
                        }
                    }
                }
                Err(e) => panic!("{name} cut {cut}: {e}"),
            }
        }
        assert!(steps_to_header > 0, "{name}");
        // the same bytes from a file said to be shorter: the file's own errors
        let data_end = whole.tensors().iter().map(|t| t.file_range().end).max();
        for short in [0, 7, header_end as u64 / 2]
            .into_iter()
            .chain(data_end.map(|e| e - 1))
        {
            let Err(e) = Gguf::parse_prefix(&bytes, short) else {
                panic!("{name} as {short} bytes parsed");
            };
            assert!(
                matches!(
                    e,
                    GgufError::Truncated { .. }
                        | GgufError::TensorOutOfBounds { .. }
                        | GgufError::CountTooLarge { .. }
                ),
                "{name} as {short} bytes: {e}"
            );
        }
    }
}
