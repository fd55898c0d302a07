//! Shared helpers of the integration tests.
#![allow(dead_code, clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;

/// `$SUBSTANCE_DATA`, default `<crate>/../../../shared/data`; `None` (with a printed reason) when absent.
pub fn data_root(sub: &str) -> Option<PathBuf> {
    let root = std::env::var_os("SUBSTANCE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let dir = root.join(sub);
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "SKIPPED: {} not found (set SUBSTANCE_DATA to the shared data folder to run this test)",
            dir.display()
        );
        None
    }
}

/// Split one CSV line with RFC 4180 quotes.
pub fn split_csv(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut q = false;
    let mut it = line.chars().peekable();
    while let Some(c) = it.next() {
        match (q, c) {
            (true, '"') if it.peek() == Some(&'"') => {
                cur.push('"');
                it.next();
            }
            (true, '"') => q = false,
            (false, '"') => q = true,
            (false, ',') => cells.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    cells.push(cur);
    cells
}

/// A CSV as (header, rows).
pub fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).expect("read csv");
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = split_csv(lines.next().expect("header"));
    (header, lines.map(split_csv).collect())
}
