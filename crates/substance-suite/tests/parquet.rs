//! Parquet input: the Parquet copy of a committed JSON-lines fixture (pyarrow, Snappy, as Hugging Face
//! writes its dataset files; `scripts/make_parquet_fixtures.py`) imports to the same suite, through a
//! named importer and through format detection; a cut file and an unsupported codec are typed errors
//! naming the file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use substance_suite::import::{ImportOptions, import, import_auto};

fn read(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[test]
fn a_parquet_file_imports_as_its_json_lines() {
    for (format, parquet, jsonl) in [
        (
            "math-hard",
            "tests/fixtures/parquet/algebra.parquet",
            "../substance-score/tests/fixtures/math_hard/algebra.jsonl",
        ),
        (
            "saladbench",
            "tests/fixtures/parquet/saladbench.parquet",
            "tests/fixtures/walledai/saladbench.jsonl",
        ),
        (
            "toxigen",
            "tests/fixtures/parquet/toxigen.parquet",
            "tests/fixtures/walledai/toxigen.jsonl",
        ),
    ] {
        let name = |p: &str| p.rsplit('/').next().unwrap().to_owned();
        let from_jsonl = import(
            format,
            &read(jsonl),
            &name(jsonl),
            &ImportOptions::default(),
        )
        .unwrap();
        let from_parquet = import(
            format,
            &read(parquet),
            &name(parquet),
            &ImportOptions::default(),
        )
        .unwrap();
        assert!(!from_parquet.items.is_empty());
        assert_eq!(from_parquet.items, from_jsonl.items, "{parquet}");
        assert_eq!(from_parquet.spec, from_jsonl.spec, "{parquet}");
        let (auto, d) =
            import_auto(&read(parquet), &name(parquet), &ImportOptions::default()).unwrap();
        assert_eq!(d.format, format, "{parquet}: {}", d.reason);
        assert_eq!(auto.items, from_jsonl.items);
    }
}

#[test]
fn a_cut_file_and_an_unsupported_codec_are_named() {
    let bytes = read("tests/fixtures/parquet/algebra.parquet");
    let opts = ImportOptions::default();
    let e = import(
        "math-hard",
        &bytes[..bytes.len() / 2],
        "algebra.parquet",
        &opts,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("algebra.parquet") && e.contains("cut"), "{e}");
    let mut broken = bytes.clone();
    let mid = broken.len() / 2;
    broken[mid - 40..mid].fill(0xff);
    let e = import("math-hard", &broken, "algebra.parquet", &opts)
        .unwrap_err()
        .to_string();
    assert!(e.contains("algebra.parquet"), "{e}");
    let gz = read("tests/fixtures/parquet/algebra-gzip.parquet");
    let e = import("math-hard", &gz, "algebra-gzip.parquet", &opts)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("algebra-gzip.parquet") && e.to_lowercase().contains("gzip"),
        "{e}"
    );
}
