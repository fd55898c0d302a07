//! Compare against the NumPy/SciPy numbers of `scripts/metrics_reference.py`
//! (committed as `tests/fixtures/metrics_reference.json`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use serde_json::Value;
use substance_metrics::bootstrap::quantile_sorted;
use substance_metrics::correlation::{kendall_tau_b, pearson, rank_average, spearman};
use substance_metrics::{mc, stats};

fn fixture() -> Value {
    let text = include_str!("fixtures/metrics_reference.json");
    serde_json::from_str(text).unwrap()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

#[test]
fn multiple_choice_matches_lm_eval() {
    let fx = fixture();
    let cases = fx["mc"].as_array().unwrap();
    assert!(cases.len() >= 20);
    let mut flips = 0;
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let lls = f64s(&c["lls"]);
        let choices = strings(&c["choices"]);
        let gold = usizes(&c["gold"]);
        assert_eq!(
            mc::pred(&lls).unwrap(),
            c["pred"].as_u64().unwrap() as usize,
            "{name}"
        );
        assert_eq!(
            mc::pred_norm(&lls, &choices, mc::LengthUnit::Chars).unwrap(),
            c["pred_norm"].as_u64().unwrap() as usize,
            "{name}"
        );
        assert_eq!(
            mc::acc(&lls, &gold).unwrap(),
            c["acc"].as_f64().unwrap(),
            "{name}"
        );
        assert_eq!(
            mc::acc_norm(&lls, &choices, &gold).unwrap(),
            c["acc_norm"].as_f64().unwrap(),
            "{name}"
        );
        assert_eq!(
            mc::acc_bytes(&lls, &choices, &gold).unwrap(),
            c["acc_bytes"].as_f64().unwrap(),
            "{name}"
        );
        assert!(
            close(
                mc::mc2(&lls, &gold).unwrap(),
                c["mc2"].as_f64().unwrap(),
                1e-12
            ),
            "{name}"
        );
        assert!(
            close(
                mc::brier_score(&lls, &gold).unwrap(),
                c["brier"].as_f64().unwrap(),
                1e-12
            ),
            "{name}"
        );
        if let Some(g) = c.get("is_greedy") {
            let greedy: Vec<bool> = g
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b.as_bool().unwrap())
                .collect();
            assert_eq!(
                mc::greedy_exact_match(&greedy, &gold).unwrap(),
                c["greedy_exact_match"].as_f64().unwrap(),
                "{name}"
            );
        }
        if let Some(u) = c.get("uncond") {
            assert_eq!(
                mc::acc_mutual_info(&lls, &f64s(u), &gold).unwrap(),
                c["acc_mutual_info"].as_f64().unwrap(),
                "{name}"
            );
        }
        if c["pred_norm"] != c["pred_bytes"] {
            flips += 1;
        }
    }
    // The fixture must contain non-ASCII cases where counting characters vs bytes changes the prediction.
    assert!(flips >= 3, "only {flips} char/byte flips");
}

#[test]
fn stats_match_lm_eval() {
    let fx = fixture();
    for s in fx["stats"]["series"].as_array().unwrap() {
        let v = f64s(&s["values"]);
        assert!(close(stats::mean(&v), s["mean"].as_f64().unwrap(), 1e-14));
        assert!(close(
            stats::sample_std(&v),
            s["sample_std"].as_f64().unwrap(),
            1e-13
        ));
        assert!(close(
            stats::sample_std(&v),
            s["np_std_ddof1"].as_f64().unwrap(),
            1e-12
        ));
        assert!(close(
            stats::stderr_mean(&v),
            s["stderr_mean"].as_f64().unwrap(),
            1e-13
        ));
    }
    for g in fx["stats"]["groups"].as_array().unwrap() {
        let sizes = usizes(&g["sizes"]);
        let scores = f64s(&g["scores"]);
        let ses = f64s(&g["stderrs"]);
        let gm: Vec<(usize, f64)> = sizes.iter().copied().zip(scores).collect();
        let ps: Vec<(usize, f64)> = sizes.iter().copied().zip(ses).collect();
        assert!(close(
            stats::group_mean(&gm).unwrap(),
            g["group_mean"].as_f64().unwrap(),
            1e-14
        ));
        assert!(close(
            stats::pooled_stderr(&ps).unwrap(),
            g["pooled_stderr"].as_f64().unwrap(),
            1e-13
        ));
    }
    let pc = &fx["stats"]["pooled_concat"];
    let parts: Vec<Vec<f64>> = pc["parts"].as_array().unwrap().iter().map(f64s).collect();
    let ps: Vec<(usize, f64)> = parts
        .iter()
        .map(|p| (p.len(), stats::stderr_mean(p)))
        .collect();
    let pooled = stats::pooled_stderr(&ps).unwrap();
    assert!(close(pooled, pc["pooled_stderr"].as_f64().unwrap(), 1e-13));
    // Pooled stderr approximates the stderr of the concatenation (exact only for equal subtask means).
    assert!((pooled - pc["concat_stderr"].as_f64().unwrap()).abs() < 2e-3);
    let w = &fx["stats"]["weighted"];
    let wm = stats::weighted_mean(&f64s(&w["values"]), &f64s(&w["weights"])).unwrap();
    assert!(close(wm, w["weighted_mean"].as_f64().unwrap(), 1e-13));
}

#[test]
fn correlations_match_scipy() {
    let fx = fixture();
    for c in fx["correlation"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let x = f64s(&c["x"]);
        let y = f64s(&c["y"]);
        assert_eq!(rank_average(&x), f64s(&c["rank_x"]), "{name}");
        for (key, got) in [
            ("pearson", pearson(&x, &y)),
            ("spearman", spearman(&x, &y)),
            ("kendall_tau_b", kendall_tau_b(&x, &y)),
        ] {
            match c[key].as_f64() {
                None => assert_eq!(got, None, "{name} {key}"),
                Some(want) => {
                    let got = got.unwrap_or_else(|| panic!("{name} {key}: None, want {want}"));
                    assert!((got - want).abs() < 1e-12, "{name} {key}: {got} vs {want}");
                }
            }
        }
    }
}

#[test]
fn quantiles_match_numpy() {
    let fx = fixture();
    for c in fx["quantiles"].as_array().unwrap() {
        let v = f64s(&c["sorted"]);
        for (q, want) in f64s(&c["q"]).into_iter().zip(f64s(&c["expected"])) {
            let got = quantile_sorted(&v, q).unwrap();
            assert!(close(got, want, 1e-12), "q={q}: {got} vs {want}");
        }
    }
}
