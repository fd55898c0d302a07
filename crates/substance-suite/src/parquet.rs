//! Parquet files (the format Hugging Face serves datasets in) read as JSON records, so every importer
//! that reads JSON/JSONL reads the upstream `.parquet` file too: [`decode`] turns a Parquet file into
//! JSON lines, one object per row, the columns as fields (strings, numbers, booleans, lists as arrays,
//! structs as objects, nulls as `null`), and the importer then names a bad record by its 1-based row.
//!
//! Built on the `parquet` crate's record API (no Arrow), with Snappy, the codec `pyarrow` and
//! `datasets` write by default, and uncompressed pages; a file with another codec is a typed error
//! naming it. Pure Rust, so it builds for wasm32 and the page reads the same files.

use std::borrow::Cow;

use parquet::file::reader::{FileReader, SerializedFileReader};

use crate::SuiteError;

const MAGIC: &[u8] = b"PAR1";

/// Whether `bytes` is a Parquet file (`PAR1` at both ends).
pub fn is_parquet(bytes: &[u8]) -> bool {
    bytes.len() >= 12 && bytes.starts_with(MAGIC) && bytes.ends_with(MAGIC)
}

/// A Parquet file's rows as JSON lines; any other input is returned as it is.
pub fn decode<'a>(bytes: &'a [u8], origin: &str) -> Result<Cow<'a, [u8]>, SuiteError> {
    if !bytes.starts_with(MAGIC) {
        return Ok(Cow::Borrowed(bytes));
    }
    if !is_parquet(bytes) {
        return Err(SuiteError::syntax(
            origin,
            None,
            "Parquet: the file is cut (no PAR1 footer at its end)",
        ));
    }
    let bad = |row: Option<usize>, e: &dyn std::fmt::Display| {
        SuiteError::syntax(origin, row, format!("Parquet: {e}"))
    };
    let reader = SerializedFileReader::new(bytes::Bytes::copy_from_slice(bytes))
        .map_err(|e| bad(None, &e))?;
    let rows = reader.get_row_iter(None).map_err(|e| bad(None, &e))?;
    let mut out = String::new();
    let mut n = 0;
    for (i, row) in rows.enumerate() {
        let row = row.map_err(|e| bad(Some(i + 1), &e))?;
        let line = serde_json::to_string(&row.to_json_value()).map_err(|e| bad(Some(i + 1), &e))?;
        out.push_str(&line);
        out.push('\n');
        n += 1;
    }
    if n == 0 {
        return Err(SuiteError::syntax(origin, None, "Parquet: no rows"));
    }
    Ok(Cow::Owned(out.into_bytes()))
}
