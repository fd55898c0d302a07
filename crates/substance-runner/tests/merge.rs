//! Merging the receipts of a sharded run: the merged receipt is the unsharded run's, byte for byte, for
//! every split (including shards with no items); shards of different runs, missing or repeated shards and
//! incomplete or edited shards are refused with the receipt, line and field named.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use substance_core::{Seeds, Selection};
use substance_runner::{ReplayModel, RunError, RunOptions, merge_receipts, run};
use substance_score::verify_reader;

mod common;
use common::{REPLAY, suite};

fn receipt_with(sel: Selection, replay_name: &str, seed: u64, created: Option<&str>) -> String {
    let mut model = ReplayModel::parse(REPLAY, replay_name).unwrap();
    let opts = RunOptions {
        selection: sel,
        seeds: Seeds {
            bootstrap: seed,
            bootstrap_resamples: 60,
            sampling: None,
        },
        created: created.map(str::to_owned),
    };
    let mut out = Vec::new();
    run(&suite(), &mut model, &opts, &mut out, |_, _| {}).unwrap();
    String::from_utf8(out).unwrap()
}

fn receipt(sel: Selection) -> String {
    receipt_with(sel, "replay.jsonl", 7, None)
}

fn shard(i: usize, n: usize) -> Selection {
    Selection {
        limit: None,
        shard: Some([i, n]),
    }
}

fn merge(inputs: &[(&str, &str)]) -> Result<String, RunError> {
    let mut out = Vec::new();
    merge_receipts(
        inputs
            .iter()
            .map(|(name, text)| ((*name).to_owned(), text.as_bytes()))
            .collect(),
        &mut out,
    )?;
    Ok(String::from_utf8(out).unwrap())
}

fn merge_err(inputs: &[(&str, &str)]) -> String {
    match merge(inputs) {
        Ok(_) => panic!("merged what it should refuse"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn merged_shards_equal_the_unsharded_receipt_for_every_split() {
    let full = receipt(Selection::default());
    for n in 1..=7 {
        let texts: Vec<String> = (0..n).map(|i| receipt(shard(i, n))).collect();
        let names: Vec<String> = (0..n).map(|i| format!("s{i}.jsonl")).collect();
        // Given in reverse order: the merge orders them.
        let inputs: Vec<(&str, &str)> = names
            .iter()
            .zip(&texts)
            .rev()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let merged = merge(&inputs).unwrap();
        assert_eq!(merged, full, "{n} shards");
        let s = suite();
        let report = verify_reader(merged.as_bytes(), Some(&s));
        assert!(report.ok, "{n} shards: {:?}", report.mismatches);
    }
    // An unsharded receipt merges into itself.
    assert_eq!(merge(&[("full.jsonl", &full)]).unwrap(), full);
}

#[test]
fn merged_header_keeps_the_first_shards_creation_time() {
    let t = "2025-01-02T03:04:05Z";
    let full = receipt_with(Selection::default(), "replay.jsonl", 7, Some(t));
    let a = receipt_with(shard(0, 2), "replay.jsonl", 7, Some(t));
    let b = receipt_with(shard(1, 2), "replay.jsonl", 7, Some("2025-01-02T09:00:00Z"));
    let mut out = Vec::new();
    let merged = merge_receipts(
        vec![("b".into(), b.as_bytes()), ("a".into(), a.as_bytes())],
        &mut out,
    )
    .unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), full);
    assert_eq!(merged.shards, 2);
    assert_eq!(merged.header.created.as_deref(), Some(t));
    assert_eq!(merged.header.selection, Selection::default());
    assert_eq!(merged.summary.n_items, 5);
}

#[test]
fn shards_of_other_runs_or_splits_are_refused_naming_the_field() {
    let s0 = receipt(shard(0, 2));
    let other_model = receipt_with(shard(1, 2), "other.jsonl", 7, None);
    let e = merge_err(&[("a.jsonl", &s0), ("b.jsonl", &other_model)]);
    assert!(
        e.contains("`model.id` differs between a.jsonl") && e.contains("b.jsonl"),
        "{e}"
    );
    let other_seed = receipt_with(shard(1, 2), "replay.jsonl", 8, None);
    let e = merge_err(&[("a.jsonl", &s0), ("b.jsonl", &other_seed)]);
    assert!(e.contains("`seeds` differs"), "{e}");
    let three = receipt(shard(1, 3));
    let e = merge_err(&[("a.jsonl", &s0), ("b.jsonl", &three)]);
    assert!(e.contains("split the suite differently"), "{e}");
    assert!(e.contains("shard 0/2") && e.contains("shard 1/3"), "{e}");
    let limited = receipt(Selection {
        limit: Some(2),
        shard: Some([1, 2]),
    });
    let e = merge_err(&[("a.jsonl", &s0), ("b.jsonl", &limited)]);
    assert!(
        e.contains("b.jsonl: line 1") && e.contains("--limit 2"),
        "{e}"
    );
}

#[test]
fn missing_or_repeated_shards_are_named() {
    let s: Vec<String> = (0..4).map(|i| receipt(shard(i, 4))).collect();
    let e = merge_err(&[("s0", &s[0]), ("s2", &s[2])]);
    assert!(e.contains("missing shards 1/4, 3/4"), "{e}");
    let e = merge_err(&[("s0", &s[0]), ("s1", &s[1]), ("s2", &s[2])]);
    assert!(e.contains("missing shard 3/4"), "{e}");
    let e = merge_err(&[
        ("s0", &s[0]),
        ("s1", &s[1]),
        ("s1-again", &s[1]),
        ("s2", &s[2]),
        ("s3", &s[3]),
    ]);
    assert!(
        e.contains("shard 1/4 is given twice: s1 and s1-again"),
        "{e}"
    );
    assert!(merge_err(&[]).contains("no receipts"));
}

#[test]
fn incomplete_or_edited_shards_are_refused_naming_the_line() {
    let s0 = receipt(shard(0, 2));
    let s1 = receipt(shard(1, 2));
    let lines: Vec<&str> = s1.lines().collect();
    // Interrupted (no summary line).
    let cut = format!("{}\n{}\n{}\n", lines[0], lines[1], lines[2]);
    let e = merge_err(&[("s0", &s0), ("s1", &cut)]);
    assert!(e.contains("s1") && e.contains("incomplete"), "{e}");
    // Interrupted before its last item.
    let short = format!("{}\n{}\n", lines[0], lines[1]);
    let e = merge_err(&[("s0", &s0), ("s1", &short)]);
    assert!(
        e.contains("ends after 1 items; its part of the suite has 2"),
        "{e}"
    );
    // A torn last line.
    let torn = format!("{}\n{}\n{}", lines[0], lines[1], &lines[2][..40]);
    let e = merge_err(&[("s0", &s0), ("s1", &torn)]);
    assert!(e.starts_with("s1: receipt line 3"), "{e}");
    // An edited response: the line digest no longer matches.
    let edited = s1.replacen("-7.0", "-1.0", 1);
    let e = merge_err(&[("s0", &s0), ("s1", &edited)]);
    assert!(
        e.contains("s1: line 2") && e.contains("item `q2`") && e.contains("digest"),
        "{e}"
    );
    // Items out of order.
    let swapped = format!("{}\n{}\n{}\n{}\n", lines[0], lines[2], lines[1], lines[3]);
    let e = merge_err(&[("s0", &s0), ("s1", &swapped)]);
    assert!(e.contains("item `q4` has index 3, expected 1"), "{e}");
    // A summary that does not match its lines.
    let mut summary: serde_json::Value = serde_json::from_str(lines[3]).unwrap();
    summary["n_items"] = 3.into();
    let bad_summary = format!("{}\n{}\n{}\n{summary}\n", lines[0], lines[1], lines[2]);
    let e = merge_err(&[("s0", &s0), ("s1", &bad_summary)]);
    assert!(e.contains("s1: line 4") && e.contains("digests"), "{e}");
}
