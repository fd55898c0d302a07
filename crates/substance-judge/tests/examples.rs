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

/// Arena-Hard judgment files in the original v0.1 and v2 layouts, written from the examples with the
/// shipped template, import back to the same texts and verdicts, and give the v0.1 battles / v2 outcomes.
#[test]
fn arena_layouts_round_trip_through_files() {
    use substance_judge::import::arena_hard;
    use substance_judge::protocol::arena::{BattleWinner, v01_battle, v2_outcomes};
    let pairs = examples::judge_lab().unwrap();
    let judge = Judge::new(JudgeProtocol::ArenaHardV01);
    let mut v01 = String::new();
    let mut v2 = String::new();
    for (i, p) in pairs.iter().enumerate() {
        let games: Vec<_> = p
            .verdicts
            .iter()
            .filter(|v| v.protocol == "arena-hard-v0.1")
            .collect();
        let mut g01 = Vec::new();
        let mut g2 = Vec::new();
        for (g, v) in games.iter().enumerate() {
            let r = judge.render(&p.judge_input(), judge.games()[g]).unwrap();
            let label = match &v.verdict {
                Some(substance_judge::Verdict::Arena { label }) => label.clone(),
                _ => panic!(),
            };
            // Odd items omit `score` so the importer re-parses the judgment.
            let mut game =
                serde_json::json!({"user_prompt": r.messages[1].content, "judgment": v.raw});
            if i % 2 == 0 {
                game["score"] = serde_json::json!(label);
            }
            g01.push(game);
            g2.push(serde_json::json!({"score": label, "judgment": {"answer": v.raw}, "prompt": r.messages}));
        }
        v01.push_str(&serde_json::json!({"question_id": p.id, "model": "example-model", "judge": "example-judge", "games": g01}).to_string());
        v01.push('\n');
        v2.push_str(&serde_json::json!({"uid": p.id, "category": "hard_prompt", "model": "example-model", "baseline": "example-baseline", "judge": "example-judge", "games": g2}).to_string());
        v2.push('\n');
    }
    let a = arena_hard::import_v01(
        v01.as_bytes(),
        "example-judge/example-model.jsonl",
        "example-baseline",
    )
    .unwrap();
    let b = arena_hard::import_v2(v2.as_bytes(), "v2/example-model.jsonl").unwrap();
    let mut wins = [0usize; 3];
    for ((orig, x), y) in pairs.iter().zip(&a).zip(&b) {
        for imported in [x, y] {
            assert_eq!(
                (&imported.question, &imported.answer_a, &imported.answer_b),
                (&orig.question, &orig.answer_a, &orig.answer_b)
            );
            assert_eq!(
                imported.verdicts[0].preference(),
                orig.verdicts[0].preference()
            );
            assert_eq!(
                imported.verdicts[1].preference(),
                orig.verdicts[1].preference()
            );
        }
        let label = |k: usize| match &x.verdicts[k].verdict {
            Some(substance_judge::Verdict::Arena { label }) => Some(label.as_str()),
            _ => None,
        };
        for g in 0..2 {
            let battle = v01_battle(g, label(g), 3).unwrap();
            wins[match battle.winner {
                BattleWinner::ModelA => 0,
                BattleWinner::ModelB => 1,
                BattleWinner::Tie => 2,
            }] += battle.count;
        }
        let outcomes = v2_outcomes(label(0), label(1)).unwrap().unwrap();
        assert!(outcomes.iter().all(|o| (0.0..=1.0).contains(o)));
    }
    // 30 items × 2 games; strong labels count three times. Answer A plays the baseline here.
    assert_eq!(
        wins.iter().sum::<usize>(),
        pairs
            .iter()
            .flat_map(|p| p.verdicts.iter().take(2))
            .map(|v| {
                if v.verdict
                    .as_ref()
                    .and_then(|v| v.arena_label())
                    .unwrap()
                    .is_strong()
                {
                    3
                } else {
                    1
                }
            })
            .sum::<usize>()
    );
}
