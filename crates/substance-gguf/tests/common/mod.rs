//! Shared helpers for the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::Value as Json;
use substance_gguf::{Array, Value};

/// `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

/// Read a fixture's bytes.
pub fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("reading fixture {name}: {e}"))
}

/// Parse a JSON fixture.
pub fn fixture_json(name: &str) -> Json {
    serde_json::from_slice(&fixture_bytes(name)).unwrap()
}

/// Where the real SmolLM2 file lives, if present: `$SUBSTANCE_MODELS/<name>` or `<repo>/models/<name>`.
pub fn smollm2_path() -> Option<PathBuf> {
    const NAME: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
    let mut dirs = Vec::new();
    if let Ok(d) = std::env::var("SUBSTANCE_MODELS") {
        dirs.push(PathBuf::from(d));
    }
    dirs.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models"));
    dirs.into_iter().map(|d| d.join(NAME)).find(|p| p.exists())
}

/// A metadata value as JSON, for comparison with the manifest gguf-py wrote.
pub fn to_json(v: &Value<'_>) -> Json {
    match v {
        Value::U8(x) => (*x).into(),
        Value::I8(x) => (*x).into(),
        Value::U16(x) => (*x).into(),
        Value::I16(x) => (*x).into(),
        Value::U32(x) => (*x).into(),
        Value::I32(x) => (*x).into(),
        Value::U64(x) => (*x).into(),
        Value::I64(x) => (*x).into(),
        Value::F32(x) => f64::from(*x).into(),
        Value::F64(x) => (*x).into(),
        Value::Bool(x) => (*x).into(),
        Value::String(s) => (*s).into(),
        Value::Array(a) => array_to_json(a),
    }
}

fn array_to_json(a: &Array<'_>) -> Json {
    Json::Array(a.iter().map(|v| to_json(&v)).collect())
}

/// gguf-py's type name for a value (`"UINT8"`, `"ARRAY[STRING]"`, `"ARRAY[ARRAY]"`).
pub fn gguf_py_type(v: &Value<'_>) -> String {
    use substance_gguf::ValueType::*;
    let name = |t| match t {
        U8 => "UINT8",
        I8 => "INT8",
        U16 => "UINT16",
        I16 => "INT16",
        U32 => "UINT32",
        I32 => "INT32",
        U64 => "UINT64",
        I64 => "INT64",
        F32 => "FLOAT32",
        F64 => "FLOAT64",
        Bool => "BOOL",
        String => "STRING",
        Array => "ARRAY",
    };
    match v {
        Value::Array(a) => format!("ARRAY[{}]", name(a.element_type())),
        v => name(v.value_type()).to_owned(),
    }
}

/// Compare floats: bit-exact, except that any NaN matches any NaN.
pub fn same_f32(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}
