//! Open LLM Leaderboard v2 scores from an lm-eval results file of the `leaderboard` tasks, against the
//! worked examples of the leaderboard's normalisation page (GPQA 0.6 → 46.67, MuSR (0.7, 0.4, 0.6) →
//! 35.00) and hand-checked values; a group entry lm-eval left empty is rebuilt from its subtasks.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use substance_verify::open_llm::BBH;
use substance_verify::{Claim, Input, Recomputed, Report, Status, verify_inputs};

fn results(gpqa_group: Value) -> Value {
    let mut res = serde_json::Map::new();
    res.insert(
        "leaderboard_ifeval".into(),
        json!({"prompt_level_strict_acc,none": 0.5, "inst_level_strict_acc,none": 0.6}),
    );
    for (i, (name, _)) in BBH.iter().enumerate() {
        // binary subtasks at 0.45 fall below their baseline (0); the rest score 0.6
        let v = if i % 2 == 0 { 0.45 } else { 0.6 };
        res.insert(
            format!("leaderboard_bbh_{name}"),
            json!({"acc_norm,none": v}),
        );
    }
    res.insert("leaderboard_gpqa".into(), gpqa_group);
    res.insert(
        "leaderboard_gpqa_diamond".into(),
        json!({"acc_norm,none": 0.5}),
    );
    res.insert(
        "leaderboard_gpqa_main".into(),
        json!({"acc_norm,none": 0.7}),
    );
    res.insert(
        "leaderboard_math_hard".into(),
        json!({"exact_match,none": 0.1}),
    );
    for (name, v) in [
        ("murder_mysteries", 0.7),
        ("object_placements", 0.4),
        ("team_allocation", 0.6),
    ] {
        res.insert(
            format!("leaderboard_musr_{name}"),
            json!({"acc_norm,none": v}),
        );
    }
    res.insert("leaderboard_mmlu_pro".into(), json!({"acc,none": 0.55}));
    json!({
        "results": res,
        "n-samples": {"leaderboard_gpqa_diamond": {"original": 100, "effective": 100},
                      "leaderboard_gpqa_main": {"original": 100, "effective": 100}},
        "model_name": "org/model-x",
    })
}

fn verify(results: &Value, claims: Vec<Claim>) -> Report {
    let out = verify_inputs(
        vec![Input {
            name: "run/results_2026-01-01T00-00-00.000000.json".into(),
            bytes: serde_json::to_vec_pretty(results).unwrap(),
        }],
        claims,
    );
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    out.reports.into_iter().next().unwrap()
}

fn value(r: &Report, metric: &str) -> f64 {
    match r
        .checks
        .iter()
        .find(|c| c.scope == "open_llm_leaderboard" && c.metric == metric)
        .unwrap_or_else(|| panic!("no {metric}"))
        .recomputed
    {
        Recomputed::Value { value } => value,
        ref other => panic!("{other:?}"),
    }
}

fn claim(metric: &str, value: &str) -> Claim {
    let csv =
        format!("model,task,metric,value\norg/model-x,open_llm_leaderboard,{metric},{value}\n");
    substance_verify::read_claims(csv.as_bytes(), "claims.csv")
        .unwrap()
        .remove(0)
}

#[test]
fn the_six_scores_and_the_average() {
    let r = verify(
        &results(json!({"acc_norm,none": 0.6})),
        vec![claim("gpqa", "46.67"), claim("musr", "35.00")],
    );
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert!(close(value(&r, "ifeval"), 55.0));
    // 12 subtasks at 0 (binary ones at 0.45) and 12 at normalize(0.6, 1/k)
    let bbh: f64 = BBH
        .iter()
        .enumerate()
        .map(|(i, (_, k))| {
            let lb = 1.0 / f64::from(*k);
            let v: f64 = if i % 2 == 0 { 0.45 } else { 0.6 };
            ((v - lb).max(0.0) / (1.0 - lb)) * 100.0
        })
        .sum::<f64>()
        / 24.0;
    assert!(close(value(&r, "bbh"), bbh));
    assert!(close(value(&r, "math_lvl5"), 10.0));
    assert!(close(value(&r, "gpqa"), 46.666_666_666_666_67));
    assert!(close(value(&r, "musr"), 35.0));
    assert!(close(value(&r, "mmlu_pro"), 50.0));
    let avg = (55.0 + bbh + 10.0 + 46.666_666_666_666_67 + 35.0 + 50.0) / 6.0;
    assert!(close(value(&r, "average"), avg));
    // the documented examples match as printed (two decimals)
    for m in ["gpqa", "musr"] {
        let c = r.checks.iter().find(|c| c.metric == m).unwrap();
        assert!(matches!(c.status, Status::Match { .. }), "{c:?}");
    }
    // a leaderboard figure one hundredth off does not
    let r = verify(
        &results(json!({"acc_norm,none": 0.6})),
        vec![claim("gpqa", "46.68")],
    );
    let c = r.checks.iter().find(|c| c.metric == "gpqa").unwrap();
    assert_eq!(c.status, Status::Differs);
}

#[test]
fn an_empty_group_entry_is_rebuilt_from_its_subtasks() {
    // lm-eval wrote `{" ": " "}` group entries in 2024: GPQA = size-weighted mean of 0.5 and 0.7 = 0.6
    let r = verify(
        &results(json!({" ": " ", "alias": "leaderboard_gpqa"})),
        Vec::new(),
    );
    assert!((value(&r, "gpqa") - 46.666_666_666_666_67).abs() < 1e-9);
    let c = r.checks.iter().find(|c| c.metric == "gpqa").unwrap();
    assert!(c.detail.as_deref().unwrap().contains("rebuilt"), "{c:?}");
}
