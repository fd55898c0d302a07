//! End-to-end test of `substance merge`: the receipts of `run --shard 0/3`, `1/3`, `2/3` merge into the
//! unsharded run's receipt byte for byte, which verifies; a missing shard is named and nothing is written.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::path::{Path, PathBuf};

mod support;
use support::{bin, repo, run_ok};

/// Made-up, deterministic log-likelihoods for every item of the bundled knowledge suite.
fn knowledge_replay(dir: &Path) -> PathBuf {
    let items =
        std::fs::read_to_string(repo().join("suites/sample-knowledge/items.jsonl")).unwrap();
    let mut lines = String::new();
    for (i, l) in items.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let choices: Vec<serde_json::Value> = (0..v["choices"].as_array().unwrap().len())
            .map(|j| serde_json::json!({"ll": -(((i * 5 + j * 7) % 13) as f64) / 3.0, "is_greedy": j == i % 4}))
            .collect();
        let line = serde_json::json!({"id": v["id"], "response": {"kind": "log_likelihood", "choices": choices}});
        lines.push_str(&format!("{line}\n"));
    }
    let p = dir.join("replay.jsonl");
    std::fs::write(&p, lines).unwrap();
    p
}

fn run_shard(suite: &Path, model: &str, shard: Option<&str>, out: &Path) {
    let mut cmd = bin();
    cmd.arg("run")
        .arg(suite)
        .arg("--model")
        .arg(model)
        .args(["--bootstrap", "300", "--seed", "11", "--out"])
        .arg(out);
    if let Some(s) = shard {
        cmd.args(["--shard", s]);
    }
    run_ok(&mut cmd);
}

#[test]
fn merge_of_three_shards_equals_the_unsharded_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let suite = repo().join("suites/sample-knowledge");
    let model = format!("replay:{}", knowledge_replay(d).display());
    let full = d.join("full.jsonl");
    run_shard(&suite, &model, None, &full);
    let shards: Vec<PathBuf> = (0..3).map(|i| d.join(format!("shard{i}.jsonl"))).collect();
    for (i, s) in shards.iter().enumerate() {
        run_shard(&suite, &model, Some(&format!("{i}/3")), s);
    }
    let merged = d.join("merged.jsonl");
    let out = run_ok(
        bin()
            .arg("merge")
            .arg(&shards[2])
            .arg(&shards[0])
            .arg(&shards[1])
            .arg("--out")
            .arg(&merged)
            .arg("--json"),
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["n_items"], 40);
    let (a, b) = (
        std::fs::read(&merged).unwrap(),
        std::fs::read(&full).unwrap(),
    );
    assert!(a == b, "the merged receipt differs from the unsharded one");
    let v = run_ok(bin().arg("verify").arg(&merged).arg("--suite").arg(&suite));
    assert!(String::from_utf8_lossy(&v.stdout).starts_with("OK"));

    // A missing shard is named; nothing is written.
    let none = d.join("none.jsonl");
    let res = bin()
        .arg("merge")
        .arg(&shards[0])
        .arg(&shards[1])
        .arg("--out")
        .arg(&none)
        .output()
        .unwrap();
    assert!(!res.status.success());
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("missing shard 2/3"), "{err}");
    assert!(!none.exists() && !d.join("none.jsonl.partial").exists());
    // The output may not be one of the inputs.
    let res = bin()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&shards[1])
        .output()
        .unwrap();
    assert!(!res.status.success());
    assert!(String::from_utf8_lossy(&res.stderr).contains("is one of the receipts to merge"));
}
