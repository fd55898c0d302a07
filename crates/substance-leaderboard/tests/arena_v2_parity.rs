//! Arena-Hard v2 battles and style-controlled fit vs `scripts/leaderboard_reference.py` (arena-hard-auto
//! @196f6b8 `load_judgments` / `print_leaderboard_with_style_features`, exact float64 MLE).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;
use substance_leaderboard::arena::StyleControl;
use substance_leaderboard::arena_v2::{ArenaV2Options, arena_hard_v2_leaderboard, battles_v2};
use substance_leaderboard::formats::{ArenaVersion, parse_answers, parse_arena_judgments};

fn fx(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/arena_v2")
        .join(name)
}

#[test]
fn v2_battles_and_style_fit_equal_the_reference() {
    let judgments = parse_arena_judgments(
        &std::fs::read(fx("judgments.jsonl")).unwrap(),
        "judgments.jsonl",
        ArenaVersion::V2,
    )
    .unwrap();
    let answers = parse_answers(
        &std::fs::read(fx("answers.jsonl")).unwrap(),
        "answers.jsonl",
    )
    .unwrap();
    let reference: Value =
        serde_json::from_slice(&std::fs::read(fx("reference.json")).unwrap()).unwrap();

    let battles = battles_v2(&judgments, 3).unwrap();
    assert_eq!(
        battles.len() as u64,
        reference["n_battles"].as_u64().unwrap()
    );
    let mut per: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for b in &battles {
        per.entry(b.model.rsplit('/').next().unwrap().to_string())
            .or_default()
            .push(b.score);
    }
    for (m, want) in reference["mean_score"].as_object().unwrap() {
        let v = &per[m];
        assert_eq!(
            v.len() as u64,
            reference["n_battles_per_model"][m].as_u64().unwrap()
        );
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        assert!((mean - want.as_f64().unwrap()).abs() < 1e-12, "{m}");
    }

    let base = |sc, bootstrap| ArenaV2Options {
        baseline: "gpt-4-0314".into(),
        category: Some("hard_prompt".into()),
        style_control: sc,
        bootstrap,
        seed: 3,
    };
    // Full-data fit (bootstrap 0): the exact MLE.
    let lb = arena_hard_v2_leaderboard(&judgments, &answers, &base(StyleControl::Full, 0)).unwrap();
    let mut gap: f64 = 0.0;
    for row in &lb.rows {
        gap =
            gap.max((row.score - reference["style_win_rate"][&row.model].as_f64().unwrap()).abs());
    }
    let coef_gap = lb
        .style_coefficients
        .iter()
        .zip(reference["style_coefficients"].as_array().unwrap())
        .map(|((_, a), b)| (a - b.as_f64().unwrap()).abs())
        .fold(0.0, f64::max);
    println!(
        "v2 style control, full-data fit: max |Δwin rate| {gap:.2e} pp, max |Δcoef| {coef_gap:.2e}"
    );
    assert!(gap < 1e-6 && coef_gap < 1e-8);

    // Bootstrapped leaderboards: reproducible, ordered, intervals bracket the score.
    for sc in [StyleControl::None, StyleControl::Full] {
        let a = arena_hard_v2_leaderboard(&judgments, &answers, &base(sc, 100)).unwrap();
        let b = arena_hard_v2_leaderboard(&judgments, &answers, &base(sc, 100)).unwrap();
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_eq!(a.bootstrap_failed, 0);
        for r in &a.rows {
            assert!(
                r.lower <= r.score + 1e-9 && r.score <= r.upper + 1e-9,
                "{sc:?} {}",
                r.model
            );
            println!("{sc:?} {:<14} {:6.2} {}", r.model, r.score, r.ci);
        }
    }
}
