//! Bias reports on replayed recorded judgments (`$SUBSTANCE_DATA`): LLMBar's GPT-4 results (the two
//! recorded games per pair are a position-swap probe; the adversarial distractor is the styled-but-wrong
//! answer) and PandaLM (length preference of two judges and of the human majority). Every count is
//! checked against `tests/fixtures/judge_reference.json`, written by the independent
//! `scripts/judge_reference.py`, and against LLMBar's own `statistics.json`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use common::{data, label, read};
use serde_json::Value;
use substance_judge::Side;
use substance_judge::import::{llmbar, pandalm};
use substance_judge::metrics::{Reading, human_preferences, judge_preferences};
use substance_judge::report::{BiasObservation, BiasReport, Estimate, ReportOptions, bias_report};

fn reference() -> Value {
    serde_json::from_str(include_str!("fixtures/judge_reference.json")).unwrap()
}

fn check(e: &Estimate, expected: &Value, what: &str) {
    let hits = expected[0].as_u64().unwrap() as usize;
    let n = expected[1].as_u64().unwrap() as usize;
    assert_eq!((e.hits, e.n), (hits, n), "{what}");
    if n > 0 {
        let v = e.value.unwrap();
        assert!((v - hits as f64 / n as f64).abs() < 1e-15, "{what}");
        let [lo, hi] = e.ci.unwrap();
        assert!(lo <= v && v <= hi, "{what}: {v} outside [{lo}, {hi}]");
    }
}

const OPTS: ReportOptions = ReportOptions {
    resamples: 1000,
    seed: 2024,
    level: 0.95,
};

fn llmbar_report(
    subsets: &[&str],
    adversarial: bool,
    mode: &str,
) -> Option<(BiasReport, Vec<Value>)> {
    let root = data("llmbar/LLMBar")?;
    let mut obs = Vec::new();
    let mut stats = Vec::new();
    for s in subsets {
        let dir = root.join(s).join("evaluators/GPT-4").join(mode);
        let f = dir.join("result.json");
        let pairs = llmbar::import(
            &read(&f),
            &label(&f),
            s,
            Some(&format!("GPT-4/{mode}")),
            adversarial,
        )
        .unwrap();
        for p in &pairs {
            let distractor = p
                .meta
                .get("distractor")
                .and_then(Value::as_str)
                .map(|d| if d == "A" { Side::A } else { Side::B });
            obs.push(BiasObservation::from_recorded_swap(p, "GPT-4", distractor).unwrap());
        }
        stats.push(serde_json::from_slice(&read(&dir.join("statistics.json"))).unwrap());
    }
    Some((
        bias_report(
            &format!(
                "LLMBar {} GPT-4/{mode}",
                if adversarial {
                    "adversarial"
                } else {
                    "natural"
                }
            ),
            &obs,
            OPTS,
        ),
        stats,
    ))
}

fn count(v: &Value) -> usize {
    v.as_str()
        .and_then(|s| s.split(" / ").next())
        .and_then(|s| s.trim().parse().ok())
        .unwrap()
}

#[test]
fn llmbar_reports_match_independent_computation() {
    let adversarial = [
        "Adversarial/Neighbor",
        "Adversarial/GPTInst",
        "Adversarial/GPTOut",
        "Adversarial/Manual",
    ];
    let reference = reference();
    for mode in ["Vanilla", "CoT", "Swap_CoT"] {
        for (subsets, adv, key) in [
            (&adversarial[..], true, "adversarial"),
            (&["Natural"][..], false, "natural"),
        ] {
            let Some((r, stats)) = llmbar_report(subsets, adv, mode) else {
                return;
            };
            let exp = &reference["llmbar"][format!("{key}/{mode}")];
            check(&r.flip_rate, &exp["flip"], "flip");
            check(
                &r.position_consistency,
                &exp["position_consistency"],
                "consistency",
            );
            check(&r.length_preference, &exp["length_preference"], "length");
            check(&r.style_vs_substance, &exp["style_vs_substance"], "style");
            // LLMBar's own statistics: `equal` = consistent items; with no missing winner the distractor
            // win rate over both games is 1 − correct_average.
            let equal: usize = stats.iter().map(|s| count(&s["equal"])).sum();
            assert_eq!(r.position_consistency.hits, equal, "{key}/{mode}");
            if adv {
                let correct: usize = stats
                    .iter()
                    .map(|s| count(&s["correct_False"]) + count(&s["correct_True"]))
                    .sum();
                assert_eq!(r.n_missing, 0);
                assert_eq!(
                    r.style_vs_substance.hits,
                    r.style_vs_substance.n - correct,
                    "{key}/{mode}"
                );
            }
            // Same seed, same intervals.
            let (again, _) = llmbar_report(subsets, adv, mode).unwrap();
            assert_eq!(again, r);
            eprintln!("{r}");
        }
    }
}

#[test]
fn pandalm_length_preference_matches_independent_computation() {
    let Some(dir) = data("pandalm/data") else {
        return;
    };
    let t = dir.join("testset-v1.json");
    let mut pairs = pandalm::import_testset(&read(&t), &label(&t)).unwrap();
    for (file, judge) in [
        ("gpt-3.5-turbo-testset-v1.json", "gpt-3.5-turbo"),
        ("pandalm-7b-testset-v1.json", "PandaLM-7B"),
    ] {
        let f = dir.join(file);
        pandalm::attach_verdicts(&mut pairs, &read(&f), &label(&f), judge).unwrap();
    }
    let reference = reference();
    for judge in ["human", "gpt-3.5-turbo", "PandaLM-7B"] {
        let prefs = if judge == "human" {
            human_preferences(&pairs)
        } else {
            judge_preferences(&pairs, judge, Reading::First)
        };
        let obs: Vec<BiasObservation> = pairs
            .iter()
            .zip(prefs)
            .map(|(p, v)| BiasObservation::single(p, v, None))
            .collect();
        let r = bias_report(&format!("PandaLM test set, {judge}"), &obs, OPTS);
        check(
            &r.length_preference,
            &reference["pandalm"][judge]["length_preference"],
            judge,
        );
        assert_eq!(r.flip_rate.n, 0);
        eprintln!("{r}");
    }
}
