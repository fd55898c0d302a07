//! Shared helpers of the integration tests: the real-data folder (`$SUBSTANCE_DATA`, default
//! `<crate>/../../../shared/data`) and a skip message when it is absent.

#![allow(dead_code, clippy::expect_used, clippy::print_stderr)]

use std::path::{Path, PathBuf};

/// The shared data folder.
pub fn data_dir() -> PathBuf {
    match std::env::var_os("SUBSTANCE_DATA") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

/// `Some(path)` when `rel` exists under the data folder; otherwise prints a SKIP line and returns `None`.
pub fn data(rel: &str) -> Option<PathBuf> {
    let p = data_dir().join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "SKIP: {} not found (set SUBSTANCE_DATA to the shared data folder to run this test)",
            p.display()
        );
        None
    }
}

/// Read a file that must exist.
pub fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// The path as a string label.
pub fn label(p: &Path) -> String {
    p.display().to_string()
}
