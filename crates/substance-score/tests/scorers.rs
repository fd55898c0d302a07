//! Scorer cases as data (`scorer_cases.json`): each row is an item, a response, a scorer and the expected
//! metric values, computed by hand (the `why` field shows the arithmetic where it is not obvious).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde::Deserialize;
use std::collections::BTreeMap;
use substance_core::{Item, Response};

#[derive(Deserialize)]
struct Case {
    name: String,
    scorer: String,
    item: Item,
    response: Response,
    expect: BTreeMap<String, f64>,
    #[serde(default)]
    answer: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    why: Option<String>,
}

#[test]
fn scorer_cases() {
    let cases: Vec<Case> = serde_json::from_str(include_str!("scorer_cases.json")).unwrap();
    assert!(cases.len() >= 10);
    for c in cases {
        let s = substance_score::scorer(&c.scorer).unwrap();
        let got = s
            .score(&c.item, &c.response)
            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            c.expect.keys().collect::<Vec<_>>(),
            "{}",
            c.name
        );
        for (k, v) in &c.expect {
            assert!(
                (got[k].value - v).abs() < 1e-12,
                "{}: {k} = {} expected {v}",
                c.name,
                got[k].value
            );
        }
        if let Some(a) = &c.answer {
            let first = got.values().next().unwrap();
            assert_eq!(first.answer.as_deref(), Some(a.as_str()), "{}", c.name);
        }
    }
}

#[test]
fn wrong_response_kind_or_shape_is_a_typed_error() {
    let item: Item =
        serde_json::from_str(r#"{"id":"x","input":"q","choices":["a","b"],"gold":[0]}"#).unwrap();
    let generated = Response::Generation {
        text: "a".into(),
        finish_reason: None,
    };
    let e = substance_score::scorer("acc")
        .unwrap()
        .score(&item, &generated)
        .unwrap_err()
        .to_string();
    assert!(e.contains("item `x`") && e.contains("acc"), "{e}");
    let short: Response =
        serde_json::from_str(r#"{"kind":"log_likelihood","choices":[{"ll":-1,"is_greedy":true}]}"#)
            .unwrap();
    let e = substance_score::scorer("acc")
        .unwrap()
        .score(&item, &short)
        .unwrap_err()
        .to_string();
    assert!(e.contains("1 log-likelihoods for 2 choices"), "{e}");
    let e = substance_score::scorer("nope").err().unwrap().to_string();
    assert!(
        e.contains("unknown scorer `nope`") && e.contains("acc_norm"),
        "{e}"
    );
}

#[test]
fn aggregation_follows_lm_eval() {
    use substance_core::Score;
    let mut agg = substance_score::Aggregator::new();
    // Group a: [1, 0, 1]; group b: [1, 1]. Overall mean 0.8.
    for (g, v) in [("a", 1.0), ("a", 0.0), ("a", 1.0), ("b", 1.0), ("b", 1.0)] {
        let scores: BTreeMap<String, Score> =
            [("acc".to_owned(), Score::value(v))].into_iter().collect();
        agg.push(Some(g), &scores);
    }
    let (overall, groups) = agg.finish(7, 200);
    let a = &groups["a"]["acc"];
    // sample std of [1,0,1] = sqrt(1/3) → se = sqrt(1/3)/sqrt(3) = 1/3
    assert!((a.value - 2.0 / 3.0).abs() < 1e-12 && (a.stderr - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(groups["b"]["acc"].stderr, 0.0);
    let o = &overall["acc"];
    assert!((o.value - 0.8).abs() < 1e-12);
    // pooled: sqrt(((3-1)*3*(1/9) + (2-1)*2*0) / (5 - 2) / 5) = sqrt((2/3)/3/5) = sqrt(2/45)
    assert!(
        (o.stderr - (2.0f64 / 45.0).sqrt()).abs() < 1e-12,
        "{}",
        o.stderr
    );
    let bs = o.bootstrap_ci95.unwrap();
    assert!(bs[0] <= o.value && o.value <= bs[1]);
    // Same seed, same interval; different seed, (almost surely) different.
    let (again, _) = agg.finish(7, 200);
    assert_eq!(again["acc"].bootstrap_ci95, o.bootstrap_ci95);
}

#[test]
fn weighted_metrics_equal_the_flattened_mean() {
    use substance_core::Score;
    let mut agg = substance_score::Aggregator::new();
    // Item 1: 3 instructions, 2 followed; item 2: 1 instruction, followed → flattened 3/4.
    for (v, w) in [(2.0 / 3.0, 3.0), (1.0, 1.0)] {
        let s = Score {
            weight: Some(w),
            ..Score::value(v)
        };
        agg.push(None, &[("inst".to_owned(), s)].into_iter().collect());
    }
    let (o, _) = agg.finish(1, 0);
    assert!((o["inst"].value - 0.75).abs() < 1e-12);
}
