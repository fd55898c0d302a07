//! Arena-Hard v0.1 parity with the reference computation of `scripts/leaderboard_reference.py`
//! (arena-hard-auto @0489bf3 code, scikit-learn) on the committed synthetic judgment set.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use substance_leaderboard::arena::{
    ArenaV01Options, BattleOptions, StyleControl, arena_hard_v01_leaderboard, battles_v01,
    compute_mle_elo, win_rate_vs,
};
use substance_leaderboard::formats::{
    Answer, ArenaJudgment, ArenaVersion, parse_answers, parse_arena_judgments,
};
use substance_leaderboard::style::count_markdown;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/arena_v01")
}

fn read_dir_jsonl(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    v.sort();
    v
}

fn load() -> (Vec<ArenaJudgment>, Vec<Answer>, Value) {
    let mut judgments = Vec::new();
    for p in read_dir_jsonl(&fixture().join("judgments/judge-x")) {
        let bytes = std::fs::read(&p).unwrap();
        judgments.extend(
            parse_arena_judgments(&bytes, &p.display().to_string(), ArenaVersion::V01).unwrap(),
        );
    }
    let mut answers = Vec::new();
    for p in read_dir_jsonl(&fixture().join("answers")) {
        let bytes = std::fs::read(&p).unwrap();
        answers.extend(parse_answers(&bytes, &p.display().to_string()).unwrap());
    }
    let reference: Value =
        serde_json::from_slice(&std::fs::read(fixture().join("reference.json")).unwrap()).unwrap();
    (judgments, answers, reference)
}

fn map(v: &Value) -> BTreeMap<String, f64> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, x)| (k.clone(), x.as_f64().unwrap()))
        .collect()
}

#[test]
fn battles_and_point_estimates_equal_the_reference() {
    let (judgments, answers, reference) = load();
    let battles = battles_v01(&judgments, "gpt-4-0314", BattleOptions::default());
    assert_eq!(
        battles.len() as u64,
        reference["n_battles"].as_u64().unwrap()
    );
    let first = battles_v01(
        &judgments,
        "gpt-4-0314",
        BattleOptions {
            weight: 3,
            first_game_only: true,
        },
    );
    assert_eq!(
        first.len() as u64,
        reference["n_battles_first_game_only"].as_u64().unwrap()
    );

    let elo = compute_mle_elo(&battles, Some("gpt-4-0314")).unwrap();
    let ref_elo = map(&reference["elo"]);
    let ref_wr = map(&reference["win_rate"]);
    let mut max_elo: f64 = 0.0;
    let mut max_wr: f64 = 0.0;
    for (m, r) in &ref_elo {
        max_elo = max_elo.max((elo[m] - r).abs());
        let wr = if m == "gpt-4-0314" {
            50.0
        } else {
            win_rate_vs(elo[m], elo["gpt-4-0314"])
        };
        max_wr = max_wr.max((wr - ref_wr[m]).abs());
    }
    println!(
        "point estimates vs scikit-learn lbfgs: max |ΔElo| = {max_elo:.3e}, max |Δwin rate| = {max_wr:.3e} pp"
    );
    assert!(max_wr < 1e-6, "win rate gap {max_wr}");
    assert!(max_elo < 1e-4, "Elo gap {max_elo}");
    // The same MLE polished by Newton steps in NumPy: agreement to rounding.
    let exact = map(&reference["elo_newton"]);
    let max_exact = exact
        .iter()
        .map(|(m, r)| (elo[m] - r).abs())
        .fold(0.0, f64::max);
    println!("point estimates vs NumPy Newton-polished MLE: max |ΔElo| = {max_exact:.3e}");
    assert!(max_exact < 1e-8, "{max_exact}");

    let opts = ArenaV01Options {
        bootstrap: 100,
        seed: 42,
        ..ArenaV01Options::default()
    };
    let lb = arena_hard_v01_leaderboard(&judgments, &answers, &opts).unwrap();
    for row in &lb.rows {
        assert!(
            (row.score - ref_wr[&row.model]).abs() < 1e-6,
            "{}",
            row.model
        );
        assert!(row.avg_tokens.is_some());
    }
    // Sorted by score, baseline 50 with a zero-width interval.
    assert!(lb.rows.windows(2).all(|w| w[0].score >= w[1].score));
    let base = lb.rows.iter().find(|r| r.model == "gpt-4-0314").unwrap();
    assert_eq!(
        (base.score, base.lower, base.upper, base.ci.as_str()),
        (50.0, 50.0, 50.0, "(-0.00, +0.00)")
    );
}

#[test]
fn bootstrap_is_reproducible_and_close_to_numpy() {
    let (judgments, answers, reference) = load();
    let run = |seed| {
        let opts = ArenaV01Options {
            bootstrap: 100,
            seed,
            ..ArenaV01Options::default()
        };
        arena_hard_v01_leaderboard(&judgments, &answers, &opts).unwrap()
    };
    let a = run(42);
    let b = run(42);
    assert_eq!(a, b, "same seed, same leaderboard");
    let c = run(7);
    let np_lo = map(&reference["numpy_bootstrap"]["win_rate_lower"]);
    let np_hi = map(&reference["numpy_bootstrap"]["win_rate_upper"]);
    let mut max_seed: f64 = 0.0;
    let mut max_np: f64 = 0.0;
    for (ra, rc) in a.rows.iter().zip(&c.rows) {
        assert_eq!(ra.model, rc.model);
        if ra.model != "gpt-4-0314" {
            assert_ne!(ra.bootstrap, rc.bootstrap);
        }
        max_seed = max_seed
            .max((ra.lower - rc.lower).abs())
            .max((ra.upper - rc.upper).abs());
        max_np = max_np
            .max((ra.lower - np_lo[&ra.model]).abs())
            .max((ra.upper - np_hi[&ra.model]).abs());
        println!(
            "{:<14} score {:6.2}  CI seed 42 [{:6.2}, {:6.2}] {}  seed 7 [{:6.2}, {:6.2}]  NumPy [{:6.2}, {:6.2}]",
            ra.model,
            ra.score,
            ra.lower,
            ra.upper,
            ra.ci,
            rc.lower,
            rc.upper,
            np_lo[&ra.model],
            np_hi[&ra.model]
        );
    }
    println!(
        "CI endpoints: max |seed 42 − seed 7| = {max_seed:.2} pp, max |ChaCha − NumPy| = {max_np:.2} pp"
    );
    // ~80 battles per model: endpoints of a 100-round percentile interval move by a few points between
    // streams; a broken bootstrap (wrong resampling unit, wrong percentiles) is off by far more.
    assert!(max_seed < 4.0 && max_np < 4.0);
    assert_eq!(a.bootstrap_failed, 0);
}

#[test]
fn style_control_matches_scikit_learn() {
    let (judgments, answers, reference) = load();
    let sc = &reference["style_control"];
    let opts = ArenaV01Options {
        style_control: StyleControl::Full,
        bootstrap: 20,
        seed: 1,
        ..ArenaV01Options::default()
    };
    let lb = arena_hard_v01_leaderboard(&judgments, &answers, &opts).unwrap();
    let tight = map(&sc["win_rate_tight"]);
    let default = map(&sc["win_rate_default"]);
    let (mut gap_tight, mut gap_default): (f64, f64) = (0.0, 0.0);
    for row in &lb.rows {
        gap_tight = gap_tight.max((row.score - tight[&row.model]).abs());
        gap_default = gap_default.max((row.score - default[&row.model]).abs());
    }
    let coef_tight: Vec<f64> = sc["coef_tight"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let gap_coef = lb
        .style_coefficients
        .iter()
        .zip(&coef_tight)
        .map(|((_, a), b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!(
        "style control: max |Δwin rate| vs sklearn tol=1e-12: {gap_tight:.2e} pp; vs sklearn default tol=1e-4: {gap_default:.2e} pp; max |Δcoef| {gap_coef:.2e}"
    );
    assert!(gap_tight < 1e-6, "{gap_tight}");
    assert!(gap_coef < 1e-7, "{gap_coef}");
    assert!(gap_default < 0.05, "{gap_default}");
}

#[test]
fn markdown_counts_equal_the_python_regexes() {
    let (_, answers, reference) = load();
    let counts = reference["markdown_counts"].as_object().unwrap();
    let mut n = 0;
    for a in &answers {
        let want = &counts[&a.model][&a.question_id];
        let got = count_markdown(a.text.as_deref().unwrap());
        let want: Vec<f64> = want
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(
            vec![got.header, got.list, got.bold],
            want,
            "{} {}",
            a.model,
            a.question_id
        );
        n += 1;
    }
    assert_eq!(n, 7 * 40);
}
