//! Judge metrics on recorded judgments (`$SUBSTANCE_DATA`) against `tests/fixtures/judge_reference.json`,
//! computed by `scripts/judge_reference.py` with scikit-learn (accuracy, macro P/R/F1, Cohen's κ) and
//! from-scratch re-implementations of JudgeLM's consistency and FastChat's agreement statistics.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use common::{data, label, read};
use serde_json::Value;
use substance_judge::import::{llmbar, pandalm};
use substance_judge::metrics::{
    Labels, Missing, Reading, agreement, human_human_agreement, human_preferences,
    judge_human_agreement, judge_preferences, swap_consistency,
};
use substance_judge::{JudgedPair, Preference, Verdict};

fn reference() -> Value {
    serde_json::from_str(include_str!("fixtures/judge_reference.json")).unwrap()
}

fn pandalm_pairs() -> Option<Vec<JudgedPair>> {
    let dir = data("pandalm/data")?;
    let t = dir.join("testset-v1.json");
    let mut pairs = pandalm::import_testset(&read(&t), &label(&t)).unwrap();
    for (file, judge) in [
        ("gpt-3.5-turbo-testset-v1.json", "gpt-3.5-turbo"),
        ("pandalm-7b-testset-v1.json", "PandaLM-7B"),
    ] {
        let f = dir.join(file);
        pandalm::attach_verdicts(&mut pairs, &read(&f), &label(&f), judge).unwrap();
    }
    Some(pairs)
}

fn votes(p: &JudgedPair) -> Vec<Preference> {
    p.human_votes
        .iter()
        .filter_map(Verdict::preference)
        .collect()
}

#[test]
fn pandalm_metrics_match_sklearn_and_fastchat_definitions() {
    let Some(pairs) = pandalm_pairs() else { return };
    let reference = reference();
    let r = &reference["metrics"]["pandalm"];
    let gold = human_preferences(&pairs);
    for judge in ["gpt-3.5-turbo", "PandaLM-7B"] {
        let pred = judge_preferences(&pairs, judge, Reading::First);
        let sk = &r[judge]["sklearn"];
        let a = agreement(&gold, &pred, Missing::Drop, Labels::Present).unwrap();
        assert_eq!(a.n as u64, sk["n"].as_u64().unwrap());
        for (ours, key) in [
            (a.accuracy, "accuracy"),
            (a.macro_prf.precision, "precision"),
            (a.macro_prf.recall, "recall"),
            (a.macro_prf.f1, "f1"),
            (a.kappa.unwrap(), "kappa"),
        ] {
            let theirs = sk[key].as_f64().unwrap();
            assert!(
                (ours - theirs).abs() < 1e-12,
                "{judge} {key}: {ours} vs sklearn {theirs}"
            );
        }
        eprintln!("PandaLM, {judge} vs human majority (missing dropped, sklearn label set):\n{a}");
        // FastChat's agreement: each judge vote against each of the three human votes.
        let matches: Vec<(Preference, Vec<Preference>)> = pairs
            .iter()
            .zip(&pred)
            .filter_map(|(p, j)| Some(((*j)?, votes(p))))
            .collect();
        for (ties, key) in [
            (true, "judge_human_with_ties"),
            (false, "judge_human_without_ties"),
        ] {
            let ag = judge_human_agreement(&matches, ties);
            let exp = &r[judge][key];
            assert_eq!(
                (ag.agree as u64, ag.total as u64),
                (exp[0].as_u64().unwrap(), exp[1].as_u64().unwrap()),
                "{judge} {key}"
            );
            eprintln!(
                "PandaLM, {judge}–human agreement {}: {}/{} = {:.4}",
                if ties { "with ties" } else { "without ties" },
                ag.agree,
                ag.total,
                ag.ratio().unwrap()
            );
        }
    }
    let all: Vec<Vec<Preference>> = pairs.iter().map(votes).collect();
    for (ties, key) in [(true, "with_ties"), (false, "without_ties")] {
        let ag = human_human_agreement(&all, ties);
        let exp = &r["human_human"][key];
        assert_eq!(
            (ag.agree as u64, ag.total as u64),
            (exp[0].as_u64().unwrap(), exp[1].as_u64().unwrap())
        );
        eprintln!(
            "PandaLM, human–human agreement {key}: {}/{} = {:.4}",
            ag.agree,
            ag.total,
            ag.ratio().unwrap()
        );
    }
}

#[test]
fn llmbar_swap_consistency_matches_judgelm_definition() {
    let Some(root) = data("llmbar/LLMBar") else {
        return;
    };
    let reference = reference();
    let adversarial = [
        "Adversarial/Neighbor",
        "Adversarial/GPTInst",
        "Adversarial/GPTOut",
        "Adversarial/Manual",
    ];
    for mode in ["Vanilla", "CoT", "Swap_CoT"] {
        for (subsets, key) in [
            (&adversarial[..], "adversarial"),
            (&["Natural"][..], "natural"),
        ] {
            let (mut first, mut second) = (Vec::new(), Vec::new());
            for s in subsets {
                let f = root
                    .join(s)
                    .join("evaluators/GPT-4")
                    .join(mode)
                    .join("result.json");
                for p in llmbar::import(
                    &read(&f),
                    &label(&f),
                    s,
                    Some(&format!("GPT-4/{mode}")),
                    false,
                )
                .unwrap()
                {
                    // As JudgeLM: each pass in the order it was shown; a missing verdict would count as a tie.
                    let shown = |swapped: bool| {
                        p.verdict("GPT-4", swapped)
                            .and_then(|v| v.verdict.as_ref())
                            .and_then(Verdict::preference)
                            .unwrap_or(Preference::Tie)
                    };
                    first.push(shown(false));
                    second.push(shown(true));
                }
            }
            let c = swap_consistency(&first, &second).unwrap();
            let exp = &reference["metrics"]["llmbar_consistency"][format!("{key}/{mode}")];
            let n = exp["n"].as_u64().unwrap() as usize;
            assert_eq!(c.n, n);
            for (ours, k) in [
                (c.consistency, "same"),
                (c.prefer_first, "prefer_first"),
                (c.prefer_second, "prefer_second"),
            ] {
                let theirs = exp[k].as_u64().unwrap() as f64 / n as f64;
                assert!((ours - theirs).abs() < 1e-15, "{key}/{mode} {k}");
            }
            eprintln!(
                "LLMBar {key} GPT-4/{mode}: consistency {:.3}, prefer first {:.3}, prefer second {:.3}, delta bias {:.3}, total bias {:.3} (n = {})",
                c.consistency, c.prefer_first, c.prefer_second, c.delta_bias, c.total_bias, c.n
            );
        }
    }
}
