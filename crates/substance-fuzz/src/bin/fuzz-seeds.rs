//! `fuzz-seeds TARGET OUT_DIR [DATA_DIR]`: writes a target's starting corpus into `OUT_DIR` — its
//! committed corpus and seeds cut from the shared benchmark data (default `../shared/data`, or
//! `$SUBSTANCE_DATA`). Run by `cargo xtask fuzz` before each target's fuzzing.
#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(target), Some(out)) = (args.first(), args.get(1)) else {
        eprintln!("usage: fuzz-seeds TARGET OUT_DIR [DATA_DIR]");
        return ExitCode::from(2);
    };
    if substance_fuzz::target(target).is_none() {
        eprintln!("unknown target `{target}`");
        return ExitCode::from(2);
    }
    let data = args
        .get(2)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("SUBSTANCE_DATA").map(PathBuf::from))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let out = Path::new(out);
    if let Err(e) = std::fs::create_dir_all(out) {
        eprintln!("cannot create {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    let committed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&committed)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| std::fs::read(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    seeds.extend(substance_fuzz::data_seeds(&data, target, 8, 16 * 1024));
    for (i, s) in seeds.iter().enumerate() {
        let path = out.join(format!("seed-{i:04}"));
        if let Err(e) = std::fs::write(&path, s) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    eprintln!("{target}: {} seeds in {}", seeds.len(), out.display());
    ExitCode::SUCCESS
}
