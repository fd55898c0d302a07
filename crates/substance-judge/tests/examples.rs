//! The shipped judge-lab examples: well-formed, every recorded verdict is what its protocol's parser
//! returns for the raw text, and the example judge's biases show up in a bias report.

#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stderr)]

use substance_judge::report::{BiasObservation, ReportOptions, bias_report};
use substance_judge::{Judge, JudgeProtocol, Side, examples};

#[test]
fn examples_parse_and_are_consistent() {
    let pairs = examples::judge_lab().unwrap();
    assert_eq!(pairs.len(), 30);
    let mut ids = std::collections::BTreeSet::new();
    for p in &pairs {
        assert!(ids.insert(p.id.clone()), "duplicate {}", p.id);
        assert!(p.human_preference().is_some());
        assert_eq!(p.verdicts.len(), 5, "{}", p.id);
        for v in &p.verdicts {
            let protocol: JudgeProtocol = v.protocol.parse().unwrap();
            let judge = Judge::new(protocol);
            let parsed = judge.parse(v.raw.as_deref().unwrap());
            assert_eq!(parsed.verdict, v.verdict, "{} {}", p.id, v.protocol);
            // The pair renders with every protocol it was judged with.
            for game in judge.games() {
                judge.render(&p.judge_input(), game).unwrap();
            }
        }
    }
}

#[test]
fn example_judge_biases_show() {
    let pairs = examples::judge_lab().unwrap();
    let behaviour =
        |p: &substance_judge::JudgedPair| p.meta["behaviour"].as_str().unwrap().to_owned();
    let obs: Vec<BiasObservation> = pairs
        .iter()
        .map(|p| {
            // In the verbosity and style items the wrong answer is the dressed-up one (always B).
            let styled = matches!(behaviour(p).as_str(), "verbosity" | "style").then_some(Side::B);
            let arena: Vec<_> = p
                .verdicts
                .iter()
                .filter(|v| v.protocol == "arena-hard-v0.1")
                .cloned()
                .collect();
            let mut q = p.clone();
            q.verdicts = arena;
            BiasObservation::from_recorded_swap(&q, "example-judge", styled).unwrap()
        })
        .collect();
    let r = bias_report(
        "judge-lab examples, arena-hard-v0.1 games",
        &obs,
        ReportOptions {
            resamples: 500,
            seed: 1,
            level: 0.95,
        },
    );
    eprintln!("{r}");
    // Position-biased items flip (5 of 30); everything else is swap-consistent.
    assert_eq!(
        (r.position_consistency.hits, r.position_consistency.n),
        (25, 30)
    );
    // Verbosity and style items: the dressed-up wrong answer wins both games (10 items × 2).
    assert_eq!(
        (r.style_vs_substance.hits, r.style_vs_substance.n),
        (20, 20)
    );
}
