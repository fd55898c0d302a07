//! The CI smoke of the fuzz targets: every committed corpus input (original seeds and the minimised
//! inputs of crashes the fuzzer found, kept as regressions) goes through its target, and so do seeds
//! cut from the shared benchmark data when it is present. Seconds, not minutes; the coverage-guided
//! runs themselves are `cargo xtask fuzz` (see the crate doc).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn every_target_passes_its_committed_corpus() {
    for (name, target) in substance_fuzz::TARGETS {
        let inputs = files(&corpus_dir(name));
        assert!(
            !inputs.is_empty(),
            "no corpus for target {name} in {}",
            corpus_dir(name).display()
        );
        for f in inputs {
            let bytes = std::fs::read(&f).unwrap();
            if std::panic::catch_unwind(|| target(&bytes)).is_err() {
                panic!("target {name} failed on {}", f.display());
            }
        }
    }
}

#[test]
fn every_target_passes_seeds_from_the_shared_data() {
    let data = std::env::var_os("SUBSTANCE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if !data.is_dir() {
        eprintln!(
            "SKIP: {} not found (set SUBSTANCE_DATA to the shared data folder to run this test)",
            data.display()
        );
        return;
    }
    let mut n = 0;
    for (name, target) in substance_fuzz::TARGETS {
        for seed in substance_fuzz::data_seeds(&data, name, 3, 4096) {
            if std::panic::catch_unwind(|| target(&seed)).is_err() {
                panic!(
                    "target {name} failed on a data seed starting {:?}",
                    String::from_utf8_lossy(&seed[..seed.len().min(80)])
                );
            }
            n += 1;
        }
    }
    assert!(n > 50, "only {n} data seeds");
}

/// The known target names, so a renamed target cannot leave its corpus behind unnoticed.
#[test]
fn every_corpus_folder_belongs_to_a_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for dir in std::fs::read_dir(&root).unwrap().flatten() {
        let name = dir.file_name().to_string_lossy().into_owned();
        assert!(
            substance_fuzz::target(&name).is_some(),
            "corpus/{name} has no target"
        );
    }
}
