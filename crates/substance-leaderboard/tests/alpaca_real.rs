//! AlpacaEval 2 (and 1) win rates recomputed from the real annotations in the shared data folder, compared with the
//! leaderboard CSV shipped by `tatsu-lab/alpaca_eval` @cd543a1. Skips (with a message) when the data is absent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::panic
)]

mod common;

use std::collections::BTreeMap;

use substance_leaderboard::alpaca::{LcInputs, alpaca_eval};
use substance_leaderboard::formats::parse_alpaca_annotations;

#[test]
fn win_rates_equal_the_leaderboard_csv() {
    let Some(dir) = common::data_root("alpaca-eval") else {
        return;
    };
    // AlpacaEval 2 (continuous preferences, baseline gpt4_1106_preview).
    let n2 = compare(
        &dir,
        "weighted_alpaca_eval_gpt4_turbo",
        "data_AlpacaEval_2/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv",
    );
    assert!(n2 >= 3, "AlpacaEval 2: compared {n2} models");
    // AlpacaEval 1 (discrete 1/2 preferences, 0 and 1.5 draws, a null; baseline text_davinci_003).
    let n1 = compare(
        &dir,
        "alpaca_eval_gpt4",
        "data_AlpacaEval/alpaca_eval_gpt4_leaderboard.csv",
    );
    assert!(n1 >= 3, "AlpacaEval 1: compared {n1} models");
}

fn compare(dir: &std::path::Path, annotator: &str, leaderboard: &str) -> usize {
    let csv = dir.join("leaderboards").join(leaderboard);
    let (header, rows) = common::read_csv(&csv);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let golden: BTreeMap<String, Vec<String>> =
        rows.into_iter().map(|r| (r[0].clone(), r)).collect();

    let mut compared = 0;
    let mut models: Vec<_> = std::fs::read_dir(dir.join("results"))
        .unwrap()
        .flatten()
        .collect();
    models.sort_by_key(|e| e.file_name());
    for entry in models {
        let path = entry.path().join(annotator).join("annotations.json");
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let anns = parse_alpaca_annotations(&bytes, &path.display().to_string()).unwrap();
        let out = alpaca_eval(&anns, &LcInputs::default()).unwrap();
        assert_eq!(out.len(), 1);
        let r = &out[0];
        let Some(g) = golden.get(&r.model) else {
            println!(
                "[{annotator}] {:<22} not in the leaderboard CSV: win_rate {:.6} (n_total {})",
                r.model, r.head2head.win_rate, r.head2head.n_total
            );
            continue;
        };
        let f = |name: &str| g[col(name)].parse::<f64>().unwrap();
        let h = &r.head2head;
        assert!(
            (h.win_rate - f("win_rate")).abs() < 1e-6,
            "{} win_rate {} vs {}",
            r.model,
            h.win_rate,
            f("win_rate")
        );
        assert!(
            (h.standard_error - f("standard_error")).abs() < 1e-6,
            "{} se {} vs {}",
            r.model,
            h.standard_error,
            f("standard_error")
        );
        assert_eq!(h.n_wins as f64, f("n_wins"), "{} n_wins", r.model);
        assert_eq!(
            h.n_wins_base as f64,
            f("n_wins_base"),
            "{} n_wins_base",
            r.model
        );
        assert_eq!(h.n_draws as f64, f("n_draws"), "{} n_draws", r.model);
        assert_eq!(h.n_total as f64, f("n_total"), "{} n_total", r.model);
        assert!(
            (r.discrete_win_rate - f("discrete_win_rate")).abs() < 1e-6,
            "{} discrete",
            r.model
        );
        let lc = r.length_controlled.as_ref().expect("minimal LC");
        let lc_gold = f("length_controlled_winrate");
        println!(
            "[{annotator}] {:<22} win_rate {:>9.6} (Δ {:.1e})  se {:.6} (Δ {:.1e})  n {}/{}/{}/{}  discrete {:.6}  avg_length {:?} (csv {})  {} {:.4} vs csv LC {:.4} (gap {:+.4})",
            r.model,
            h.win_rate,
            h.win_rate - f("win_rate"),
            h.standard_error,
            h.standard_error - f("standard_error"),
            h.n_wins,
            h.n_wins_base,
            h.n_draws,
            h.n_total,
            r.discrete_win_rate,
            r.avg_length,
            g[col("avg_length")],
            lc.variant.name(),
            lc.winrate,
            lc_gold,
            lc.winrate - lc_gold
        );
        compared += 1;
    }
    compared
}
