//! GGUF loading: tiny-llama in F32/F16/Q8_0/Q4_0/Q4_1 against transformers run on the weights gguf-py
//! dequantises from each file, and the real SmolLM2-135M-Instruct Q4_1 (skipped when absent) against
//! tests/fixtures/models/smollm2-135m-reference.json.
#![cfg(not(target_family = "wasm"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use burn::tensor::Device;
use common::gguf::*;
use common::*;
use substance_core::Message;
use substance_model::{GenerateOptions, Model, ModelError};

#[test]
fn tiny_llama_gguf_files_match_their_dequantised_references() {
    let device = Device::flex();
    for kind in FILES {
        let d = check_tiny(kind, &device);
        eprintln!("tiny-llama-{kind}.gguf: flex last-row max-abs {d:e}");
    }
}

#[test]
fn f32_gguf_equals_the_safetensors_model() {
    let device = Device::flex();
    let a = tiny("F32", &device);
    let b = load_hf("tiny-llama", &device);
    let r = reference("tiny-llama");
    for p in r["prompts"].as_array().unwrap() {
        let row = ids(&p["ids"]);
        let x = a.logits(std::slice::from_ref(&row)).unwrap();
        let y = b.logits(&[row]).unwrap();
        for (u, v) in x[0].iter().zip(&y[0]) {
            assert!(max_abs(u, v) <= 1e-6);
        }
    }
}

#[test]
fn gguf_metadata_gives_tokenizer_template_and_specials() {
    let model = tiny("Q8_0", &Device::flex());
    assert_eq!(model.bos_id(), Some(1));
    assert_eq!(model.eos_ids(), &[2]);
    let rendered = model
        .render_chat(&[Message {
            role: "user".into(),
            content: "hi".into(),
        }])
        .unwrap();
    assert!(
        rendered.starts_with("<|im_start|>") && rendered.ends_with("<|im_start|>assistant\n"),
        "{rendered}"
    );
    // chat generation runs and stops at <|im_end|> or the limit
    let st = model
        .generate_chat(
            &[Message {
                role: "user".into(),
                content: "hi".into(),
            }],
            GenerateOptions {
                max_tokens: 4,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(st.generated_ids().len() <= 4);
    assert!(!st.generated_ids().contains(&2));
}

#[test]
fn malformed_gguf_files_are_typed_errors() {
    let p = fixtures().join("tiny-llama-gguf/tiny-llama-Q4_0.gguf");
    let bytes = std::fs::read(&p).unwrap();
    let device = Device::flex();
    for cut in [0, 3, 100, bytes.len() / 2, bytes.len() - 1] {
        let e = Model::from_gguf_bytes("t.gguf", "t", &bytes[..cut], &device).unwrap_err();
        assert!(
            matches!(e, ModelError::Gguf { ref file, .. } if file == "t.gguf"),
            "{cut}: {e:?}"
        );
    }
    let e = Model::from_gguf_bytes("t.gguf", "t", b"not a gguf at all, definitely", &device)
        .unwrap_err();
    assert!(e.to_string().contains("t.gguf"), "{e}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, failure_persistence: None, ..Default::default() })]
    #[test]
    fn mutated_gguf_files_never_panic(pos in 0usize..130_000, val in proptest::prelude::any::<u8>()) {
        let p = fixtures().join("tiny-llama-gguf/tiny-llama-Q4_1.gguf");
        let mut bytes = std::fs::read(&p).unwrap();
        let i = pos % bytes.len();
        bytes[i] = val;
        let _ = Model::from_gguf_bytes("m.gguf", "m", &bytes, &Device::flex());
    }
}

#[test]
fn smollm2_135m_matches_its_reference() {
    let Some(path) = smollm2_path() else {
        eprintln!(
            "SKIPPED: SmolLM2-135M-Instruct.Q4_1.gguf not found ($SUBSTANCE_MODELS or models/; `cargo xtask fetch-model`)"
        );
        return;
    };
    let device = Device::flex();
    let worst = check_smollm2(&path, &device, SMOLLM2_TOL);
    eprintln!("SmolLM2-135M: flex max-abs {worst:e} (tolerance {SMOLLM2_TOL:e})");
}

/// The tiny-llama F32 GGUF with one more tensor appended (`extra.weight`, 4 floats, aligned as the
/// format wants): the header's tensor count and infos are rewritten, the data section kept byte for byte.
fn gguf_with_extra_tensor(bytes: &[u8]) -> Vec<u8> {
    struct Cur<'a>(&'a [u8], usize);
    impl Cur<'_> {
        fn take(&mut self, n: usize) -> &[u8] {
            let s = &self.0[self.1..self.1 + n];
            self.1 += n;
            s
        }
        fn u32(&mut self) -> u32 {
            u32::from_le_bytes(self.take(4).try_into().unwrap())
        }
        fn u64(&mut self) -> u64 {
            u64::from_le_bytes(self.take(8).try_into().unwrap())
        }
        fn string(&mut self) -> String {
            let n = self.u64() as usize;
            String::from_utf8(self.take(n).to_vec()).unwrap()
        }
        fn value(&mut self, ty: u32) -> Option<u64> {
            match ty {
                0 | 1 | 7 => {
                    self.take(1);
                }
                2 | 3 => {
                    self.take(2);
                }
                4 | 5 => return Some(u64::from(self.u32())),
                6 => {
                    self.take(4);
                }
                8 => {
                    self.string();
                }
                9 => {
                    let inner = self.u32();
                    for _ in 0..self.u64() {
                        self.value(inner);
                    }
                }
                10..=12 => {
                    self.take(8);
                }
                other => panic!("GGUF value type {other}"),
            }
            None
        }
    }
    let mut c = Cur(bytes, 0);
    assert_eq!(c.take(4), b"GGUF");
    c.u32();
    let n_tensors = c.u64();
    let n_kv = c.u64();
    let mut alignment = 32u64;
    for _ in 0..n_kv {
        let key = c.string();
        let ty = c.u32();
        if let Some(v) = c.value(ty)
            && key == "general.alignment"
        {
            alignment = v;
        }
    }
    let kv_end = c.1;
    for _ in 0..n_tensors {
        c.string();
        let dims = c.u32();
        for _ in 0..dims {
            c.u64();
        }
        c.u32();
        c.u64();
    }
    let infos_end = c.1;
    let align = |x: usize| x.div_ceil(alignment as usize) * alignment as usize;
    let data = &bytes[align(infos_end)..];
    let name = "extra.weight";
    let mut out = Vec::new();
    out.extend_from_slice(&bytes[..8]);
    out.extend_from_slice(&(n_tensors + 1).to_le_bytes());
    out.extend_from_slice(&bytes[16..infos_end]);
    out.extend_from_slice(&(name.len() as u64).to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&4u64.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // F32
    out.extend_from_slice(&(align(data.len()) as u64).to_le_bytes());
    out.resize(align(out.len()), 0);
    out.extend_from_slice(data);
    out.resize(out.len() + align(data.len()) - data.len(), 0);
    for x in [1.0f32, 2.0, 3.0, 4.0] {
        out.extend_from_slice(&x.to_le_bytes());
    }
    assert!(kv_end < infos_end);
    out
}

/// A GGUF tensor the architecture does not use is an error naming the file and the tensor (llama.cpp
/// refuses such files too), not a warning as for Hugging Face checkpoints; the unchanged file loads.
#[test]
fn an_unused_gguf_tensor_is_an_error_naming_it() {
    let p = fixtures().join("tiny-llama-gguf/tiny-llama-F32.gguf");
    let bytes = std::fs::read(&p).unwrap();
    let device = Device::flex();
    Model::from_gguf_bytes("t.gguf", "t", &bytes, &device).unwrap();
    let extra = gguf_with_extra_tensor(&bytes);
    match Model::from_gguf_bytes("t.gguf", "t", &extra, &device) {
        Err(ModelError::UnusedTensors { file, names }) => {
            assert_eq!(file, "t.gguf");
            assert_eq!(names, ["extra.weight"]);
        }
        other => panic!("expected UnusedTensors, got {:?}", other.err()),
    }
}

/// Loading a GGUF file reads it by range (header, then one tensor at a time): the same model, bit for
/// bit, as loading its bytes whole, on the quantised and the f32 path.
#[test]
fn a_gguf_file_read_by_range_equals_its_bytes_loaded_whole() {
    use substance_model::LoadOptions;
    let device = Device::flex();
    for kind in ["Q4_1", "Q8_0", "F16"] {
        let p = fixtures().join(format!("tiny-llama-gguf/tiny-llama-{kind}.gguf"));
        let bytes = std::fs::read(&p).unwrap();
        for opts in [LoadOptions::default(), LoadOptions::f32()] {
            let ranged = Model::from_gguf_file_with(&p, "t", &device, opts).unwrap();
            let whole = Model::from_gguf_bytes_with(
                p.file_name().unwrap().to_str().unwrap(),
                "t",
                &bytes,
                &device,
                opts,
            )
            .unwrap();
            assert_eq!(ranged.meta(), whole.meta(), "{kind}");
            let row = vec![1u32, 5, 9, 14, 3, 7];
            let a = ranged.logits(std::slice::from_ref(&row)).unwrap();
            let b = whole.logits(&[row]).unwrap();
            assert_eq!(a, b, "{kind}");
        }
    }
}

/// A file cut short is refused when read by range as when read whole: a typed error naming the file,
/// whether the cut falls in the header or in a tensor's data.
#[test]
fn a_cut_gguf_file_read_by_range_is_a_typed_error() {
    let p = fixtures().join("tiny-llama-gguf/tiny-llama-Q4_1.gguf");
    let bytes = std::fs::read(&p).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut_file = dir.path().join("cut.gguf");
    for cut in [0, 5, 100, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&cut_file, &bytes[..cut]).unwrap();
        let e = Model::from_gguf_file(&cut_file, "t", &Device::flex()).unwrap_err();
        assert!(
            matches!(e, ModelError::Gguf { ref file, .. } if file == "cut.gguf"),
            "{cut}: {e:?}"
        );
    }
}

/// A header that claims more than 256 MB (here a 512 MB metadata string in a 1 GB file) is refused by
/// name before it is read into memory.
#[test]
fn an_oversized_gguf_header_is_refused_before_it_is_read() {
    struct Claimed(Vec<u8>);
    impl substance_model::weights::ByteSource for Claimed {
        fn byte_len(&self) -> u64 {
            1 << 30
        }
        fn read_at(&self, offset: u64, into: &mut [u8]) -> std::io::Result<()> {
            assert!(into.len() <= 256 << 20, "asked for {} bytes", into.len());
            for (i, b) in into.iter_mut().enumerate() {
                *b = self.0.get(offset as usize + i).copied().unwrap_or(0);
            }
            Ok(())
        }
    }
    let mut h = b"GGUF".to_vec();
    h.extend(3u32.to_le_bytes());
    h.extend(0u64.to_le_bytes()); // tensors
    h.extend(1u64.to_le_bytes()); // metadata entries
    h.extend(1u64.to_le_bytes());
    h.push(b'k');
    h.extend(8u32.to_le_bytes()); // a string
    h.extend((512u64 << 20).to_le_bytes());
    let e = substance_model::gguf::read_header("big.gguf", &Claimed(h)).unwrap_err();
    assert!(
        matches!(e, ModelError::Weights { ref file, ref message } if file == "big.gguf" && message.contains("refused")),
        "{e:?}"
    );
}
