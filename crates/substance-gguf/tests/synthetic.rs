//! The synthetic fixtures written by `scripts/gguf_reference.py` with gguf-py: every metadata type, one tensor
//! of every implemented ggml type (compared bit for bit with `gguf.quants.dequantize`), a tiny tokenizer
//! whose ids come from transformers, and convert_hf_to_gguf's Q/K permutation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::str::FromStr;

use common::{fixture_bytes, fixture_json, gguf_py_type, same_f32, to_json};
use substance_gguf::{
    GgmlType, Gguf, GgufError, LlamaParams, PreTokenizerFlavor, Value, chat_template, dequantize,
    dequantize_into, dequantize_raw, hf_tokenizer_json, hf_tokenizer_json_with, permute_qk,
    special_tokens, unpermute_qk,
};

fn expected_values() -> Vec<f32> {
    fixture_bytes("synthetic_expected.bin")
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[test]
fn header_and_layout() {
    let bytes = fixture_bytes("synthetic.gguf");
    let g = Gguf::parse(&bytes).unwrap();
    assert_eq!(g.version(), 3);
    assert_eq!(g.alignment(), 64);
    assert_eq!(g.data_start() % 64, 0);
    assert_eq!(g.architecture().unwrap(), "llama");
    for t in g.tensors() {
        assert_eq!(t.data_offset() % 64, 0, "{}", t.name());
    }
}

#[test]
fn metadata_matches_gguf_py() {
    let bytes = fixture_bytes("synthetic.gguf");
    let g = Gguf::parse(&bytes).unwrap();
    let manifest = fixture_json("synthetic.json");
    let meta = manifest["metadata"].as_object().unwrap();
    for (key, want) in meta {
        let got = g.get(key).unwrap_or_else(|| panic!("missing {key}"));
        assert_eq!(
            gguf_py_type(got),
            want["type"].as_str().unwrap(),
            "type of {key}"
        );
        let got_json = to_json(got);
        match (got, &want["value"]) {
            (Value::F32(x), w) => assert_eq!(*x, w.as_f64().unwrap() as f32, "{key}"),
            (Value::Array(a), w) if a.element_type() == substance_gguf::ValueType::F32 => {
                let w: Vec<f32> = w
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap() as f32)
                    .collect();
                assert_eq!(a.to_f32_vec().unwrap(), w, "{key}");
            }
            _ => assert_eq!(&got_json, &want["value"], "{key}"),
        }
    }
    // general.architecture and general.alignment come from the writer itself
    assert_eq!(g.metadata().len(), meta.len() + 2);
}

#[test]
fn typed_accessors() {
    let bytes = fixture_bytes("synthetic.gguf");
    let g = Gguf::parse(&bytes).unwrap();
    assert_eq!(g.get_u8("test.u8").unwrap(), 200);
    assert_eq!(
        g.get_u32("test.u8").unwrap(),
        200,
        "integers widen losslessly"
    );
    assert_eq!(g.get_i8("test.i8").unwrap(), -100);
    assert_eq!(g.get_u16("test.u16").unwrap(), 60000);
    assert_eq!(g.get_i16("test.i16").unwrap(), -30000);
    assert_eq!(g.get_u32("test.u32").unwrap(), 4_000_000_000);
    assert_eq!(g.get_i32("test.i32").unwrap(), -2_000_000_000);
    assert_eq!(g.get_u64("test.u64").unwrap(), 18_000_000_000_000_000_000);
    assert_eq!(g.get_i64("test.i64").unwrap(), -9_000_000_000_000_000_000);
    assert_eq!(g.get_f32("test.f32").unwrap(), 0.15625);
    assert_eq!(g.get_f64("test.f64").unwrap(), -1.0e300);
    assert!(g.get_bool("test.bool_true").unwrap());
    assert!(!g.get_bool("test.bool_false").unwrap());
    assert_eq!(g.get_str("test.string").unwrap(), "héllo, wörld ✓ 日本");
    assert_eq!(g.get_str("test.empty_string").unwrap(), "");
    assert_eq!(
        g.get_str_array("test.arr_str").unwrap(),
        &["a", "", "ünï", "x y"]
    );
    assert_eq!(g.get_i32_array("test.arr_i8").unwrap(), vec![-128, 0, 127]);
    assert_eq!(
        g.get_u32_array("test.arr_u32").unwrap(),
        vec![1, 2, 4_294_967_295]
    );
    assert_eq!(
        g.get_f32_array("test.arr_f64").unwrap(),
        vec![0.1f64 as f32, -1.0e-300f64 as f32]
    );
    let nested = g.get_array("test.arr_nested").unwrap();
    let inner = nested.as_arrays().unwrap();
    assert_eq!(inner.len(), 3);
    assert_eq!(inner[0].to_i32_vec().unwrap(), vec![1, 2, 3]);
    assert_eq!(nested.get(2), Some(Value::Array(inner[2].clone())));
    assert_eq!(
        g.get_array("test.arr_bool").unwrap().to_bool_vec().unwrap(),
        vec![true, false, true]
    );

    // errors name the key
    match g.get_u32("no.such.key") {
        Err(GgufError::MissingKey { key }) => assert_eq!(key, "no.such.key"),
        other => panic!("{other:?}"),
    }
    match g.get_u32("test.string") {
        Err(GgufError::WrongType {
            key,
            expected,
            found,
        }) => {
            assert_eq!(
                (key.as_str(), expected, found.as_str()),
                ("test.string", "u32", "string")
            );
        }
        other => panic!("{other:?}"),
    }
    match g.get_u32("test.i8") {
        Err(GgufError::ValueOutOfRange { key, value, .. }) => {
            assert_eq!((key.as_str(), value.as_str()), ("test.i8", "-100"))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        g.get_u8("test.u16"),
        Err(GgufError::ValueOutOfRange { .. })
    ));
    assert!(matches!(
        g.get_f32("test.u8"),
        Err(GgufError::WrongType { .. })
    ));
    assert!(matches!(
        g.get_str_array("test.arr_u8"),
        Err(GgufError::WrongType { .. })
    ));
    assert!(matches!(
        g.get_u32_array("test.arr_i8"),
        Err(GgufError::ValueOutOfRange { .. })
    ));
    assert!(matches!(
        g.get_i32_array("test.arr_str"),
        Err(GgufError::WrongType { .. })
    ));
    let err = g.get_bool("test.arr_nested").unwrap_err().to_string();
    assert!(
        err.contains("test.arr_nested") && err.contains("array of array"),
        "{err}"
    );
    assert!(matches!(
        g.tensor("nope"),
        Err(GgufError::TensorNotFound { .. })
    ));
}

#[test]
fn every_tensor_dequantises_bit_exactly() {
    let bytes = fixture_bytes("synthetic.gguf");
    let g = Gguf::parse(&bytes).unwrap();
    let manifest = fixture_json("synthetic.json");
    let expected = expected_values();
    let tensors = manifest["tensors"].as_array().unwrap();
    assert_eq!(tensors.len(), g.tensors().len());
    let mut types_seen = std::collections::BTreeSet::new();
    for want in tensors {
        let name = want["name"].as_str().unwrap();
        let t = g.tensor(name).unwrap();
        assert_eq!(
            t.ggml_type().name(),
            want["type"].as_str().unwrap(),
            "{name}"
        );
        let dims: Vec<u64> = want["dims"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap())
            .collect();
        assert_eq!(t.dims(), dims.as_slice(), "{name}");
        let n = want["n_elements"].as_u64().unwrap() as usize;
        assert_eq!(t.n_elements() as usize, n);
        let off = want["expected_offset"].as_u64().unwrap() as usize;
        let reference = &expected[off..off + n];

        let got = dequantize(t).unwrap();
        let mismatches: Vec<usize> = (0..n)
            .filter(|&i| !same_f32(got[i], reference[i]))
            .collect();
        assert!(
            mismatches.is_empty(),
            "{name} ({}): {} mismatches, first at {} (got {}, want {})",
            t.ggml_type(),
            mismatches.len(),
            mismatches[0],
            got[mismatches[0]],
            reference[mismatches[0]]
        );

        // into a caller buffer, and row by row through the raw entry point
        let mut buf = vec![f32::NAN; n];
        dequantize_into(t, &mut buf).unwrap();
        assert!(
            buf.iter().zip(reference).all(|(a, b)| same_f32(*a, *b)),
            "{name} into"
        );
        let row = t.row_len() as usize;
        let row_bytes = t.ggml_type().bytes_for(row as u64).unwrap() as usize;
        let mut row_buf = vec![0f32; row];
        for (r, chunk) in t.data().chunks_exact(row_bytes).enumerate() {
            dequantize_raw(t.ggml_type(), chunk, &mut row_buf).unwrap();
            assert!(
                row_buf
                    .iter()
                    .zip(&reference[r * row..])
                    .all(|(a, b)| same_f32(*a, *b)),
                "{name} row {r}"
            );
        }
        let mut short = vec![0f32; n - 1];
        assert!(matches!(
            dequantize_into(t, &mut short),
            Err(GgufError::LengthMismatch { .. })
        ));
        types_seen.insert(t.ggml_type().name());
    }
    for ty in [
        GgmlType::F32,
        GgmlType::F16,
        GgmlType::BF16,
        GgmlType::Q4_0,
        GgmlType::Q4_1,
        GgmlType::Q5_0,
        GgmlType::Q5_1,
        GgmlType::Q8_0,
        GgmlType::Q2_K,
        GgmlType::Q3_K,
        GgmlType::Q4_K,
        GgmlType::Q5_K,
        GgmlType::Q6_K,
        GgmlType::IQ4_NL,
        GgmlType::IQ4_XS,
        GgmlType::TQ2_0,
        GgmlType::MXFP4,
    ] {
        assert!(types_seen.contains(ty.name()), "fixture lacks {ty}");
    }
}

#[test]
fn llama_params_and_template() {
    let bytes = fixture_bytes("tiny_bpe.gguf");
    let g = Gguf::parse(&bytes).unwrap();
    let p = LlamaParams::from_gguf(&g).unwrap();
    assert_eq!(p.block_count, 2);
    assert_eq!(p.context_length, 128);
    assert_eq!(p.embedding_length, 64);
    assert_eq!(p.feed_forward_length, 96);
    assert_eq!(p.head_count, 4);
    assert_eq!(p.head_count_kv, 2);
    assert_eq!(p.head_dim(), 16);
    assert_eq!(p.rope_dimension_count, 16, "defaults to the head dimension");
    assert_eq!(p.rope_freq_base, 500000.0);
    assert_eq!(p.rms_eps, 1e-6);
    assert_eq!(
        p.vocab_size,
        g.get_str_array("tokenizer.ggml.tokens").unwrap().len(),
        "from the token list"
    );
    assert_eq!(
        chat_template(&g),
        Some("{% for m in messages %}{{ m['content'] }}{% endfor %}")
    );
    let s = special_tokens(&g).unwrap();
    assert_eq!(
        (s.bos, s.eos, s.unk, s.pad, s.add_bos, s.add_eos),
        (Some(0), Some(2), None, Some(1), true, false)
    );
}

#[test]
fn tiny_tokenizer_matches_transformers() {
    let bytes = fixture_bytes("tiny_bpe.gguf");
    let g = Gguf::parse(&bytes).unwrap();
    let json = hf_tokenizer_json(&g).unwrap();
    // "llama-bpe" is a name both references map to the same Split regex
    assert_eq!(
        json,
        hf_tokenizer_json_with(&g, PreTokenizerFlavor::Transformers).unwrap()
    );
    let tok = tokenizers::Tokenizer::from_str(&json).unwrap();
    let manifest = fixture_json("synthetic.json");
    let cases = manifest["tokenizer"]["cases"].as_array().unwrap();
    assert!(cases.len() >= 8);
    for case in cases {
        let text = case["text"].as_str().unwrap();
        let want: Vec<u32> = case["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u32)
            .collect();
        let got = tok.encode(text, true).unwrap().get_ids().to_vec();
        assert_eq!(got, want, "{text:?}");
    }
    // the mislabelled control token outside the byte alphabet is not an added token, "<think>" is, unspecial
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let added: Vec<(&str, bool)> = v["added_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["content"].as_str().unwrap(),
                a["special"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        added,
        vec![
            ("<|begin_of_text|>", true),
            ("<|end_of_text|>", true),
            ("<|eot_id|>", true),
            ("<think>", false)
        ]
    );
    assert!(
        v["model"]["vocab"].get("xĠy").is_some(),
        "a token with a space is respelled"
    );
}

#[test]
fn permutation_matches_convert_hf_to_gguf() {
    let fx = fixture_json("permute_qk.json");
    for case in fx["cases"].as_array().unwrap() {
        let heads = case["n_head_kv"]
            .as_u64()
            .or(case["n_head"].as_u64())
            .unwrap() as usize;
        let cols = case["cols"].as_u64().unwrap() as usize;
        let f = |k: &str| -> Vec<f32> {
            case[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect()
        };
        let (hf, gguf) = (f("hf"), f("gguf"));
        assert_eq!(permute_qk(&hf, heads, cols).unwrap(), gguf, "{case}");
        assert_eq!(unpermute_qk(&gguf, heads, cols).unwrap(), hf, "{case}");
    }
}
