//! Separability on the Arena-Hard notebook's own bootstrap files (`notebook/bootstrap_stats_*.jsonl` of
//! lmarena/arena-hard-auto @0489bf3, not in the shared data: point `ARENA_HARD_NOTEBOOK` at a folder holding
//! them), against the numbers the notebook printed (`benchmark_statistics.ipynb` cell outputs).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::path::PathBuf;

use substance_leaderboard::formats::parse_bootstrap_stats;
use substance_leaderboard::separability::{separability, separability_from_replicates};

#[test]
fn separability_equals_the_notebook_outputs() {
    let Some(dir) = std::env::var_os("ARENA_HARD_NOTEBOOK").map(PathBuf::from) else {
        println!(
            "SKIPPED: set ARENA_HARD_NOTEBOOK to a folder with the notebook's bootstrap_stats_*.jsonl"
        );
        return;
    };
    // (file, models, overlapping pairs of the [lower, upper] columns, overlapping pairs of the 10/90
    // percentiles of `results` or None when the notebook only printed it for a subset)
    let cases = [
        ("bootstrap_stats_arena_hard.jsonl", 28, 76, None),
        ("bootstrap_stats_mt_bench.jsonl", 25, 197, None),
        ("bootstrap_stats_alpaca_LC.jsonl", 20, 23, Some(13)),
        ("bootstrap_stats_alpaca.jsonl", 20, 55, Some(33)),
        ("bootstrap_stats_20k_votes.jsonl", 20, 59, None),
    ];
    for (file, n, overlap, overlap_10_90) in cases {
        let path = dir.join(file);
        let stats = parse_bootstrap_stats(&std::fs::read(&path).unwrap(), file).unwrap();
        assert_eq!(stats.len(), n, "{file}");
        let s = separability(&stats.iter().map(|s| (s.lower, s.upper)).collect::<Vec<_>>());
        println!(
            "{file}: {} models, overlapping pairs {} / {} → separability {:.2}%",
            n,
            s.overlapping_pairs,
            s.total_pairs,
            100.0 * s.separability
        );
        assert_eq!(s.overlapping_pairs, overlap, "{file}");
        if let Some(o) = overlap_10_90 {
            let g = separability_from_replicates(&stats, 10.0, 90.0);
            println!(
                "{file}: 10/90 percentiles: overlapping pairs {}",
                g.overlapping_pairs
            );
            assert_eq!(g.overlapping_pairs, o, "{file} 10/90");
        }
    }
}
