//! Tokenizer golden ids (Python `tokenizers` reference, tests/fixtures/tokenizers/goldens.json).
//!
//! The files are embedded with `include_bytes!` so the same test runs natively and on wasm32 (where the
//! `tokenizers` crate uses fancy-regex instead of onig): identical ids on both are the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use substance_model::Tokenizer;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const GOLDENS: &str = include_str!("../../../tests/fixtures/tokenizers/goldens.json");

fn file(name: &str) -> &'static [u8] {
    match name {
        "gpt2" => include_bytes!("../../../tests/fixtures/tokenizers/gpt2/tokenizer.json"),
        "smollm2" => include_bytes!("../../../tests/fixtures/tokenizers/smollm2/tokenizer.json"),
        "tiny-opt" => include_bytes!("../../../tests/fixtures/models/tiny-opt/tokenizer.json"),
        "tiny-gpt2" => include_bytes!("../../../tests/fixtures/models/tiny-gpt2/tokenizer.json"),
        "tiny-llama" => include_bytes!("../../../tests/fixtures/models/tiny-llama/tokenizer.json"),
        other => panic!("no tokenizer {other}"),
    }
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

#[test]
fn golden_ids_and_round_trips() {
    let g: Value = serde_json::from_str(GOLDENS).unwrap();
    let mut checked = 0;
    for (name, spec) in g["tokenizers"].as_object().unwrap() {
        let tok = Tokenizer::from_json_bytes(name, file(name)).unwrap();
        for case in spec["cases"].as_array().unwrap() {
            let text = case["text"].as_str().unwrap();
            assert_eq!(
                tok.encode(text, false).unwrap(),
                ids(&case["ids"]),
                "{name}: {text:?}"
            );
            assert_eq!(
                tok.encode(text, true).unwrap(),
                ids(&case["ids_with_special"]),
                "{name} (special): {text:?}"
            );
            assert_eq!(
                tok.decode(&ids(&case["ids"]), false).unwrap(),
                case["decoded"].as_str().unwrap(),
                "{name} decode: {text:?}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 5 * 24);
}

/// A text up to `MAX_TEXT_BYTES` is tokenised (one grapheme of many combining marks included: one
/// token per UTF-8 byte here, nothing lost); one byte more is refused with its size, not tokenised.
#[test]
fn texts_over_the_size_limit_are_refused_with_their_size() {
    let t = Tokenizer::from_json_bytes("smollm2", file("smollm2")).unwrap();
    let marks = format!("e{}", "\u{0301}".repeat(5_000));
    assert_eq!(t.encode(&marks, false).unwrap().len(), 1 + 2 * 5_000);
    let at_limit = "a".repeat(substance_model::MAX_TEXT_BYTES);
    assert!(!t.encode(&at_limit, false).unwrap().is_empty());
    let over = format!("{at_limit}a");
    let e = t.encode(&over, false).unwrap_err().to_string();
    assert!(
        e.contains(&format!("{} bytes", substance_model::MAX_TEXT_BYTES + 1)),
        "{e}"
    );
}
