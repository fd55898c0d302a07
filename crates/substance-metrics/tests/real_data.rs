//! Extraction over the real GSM8K and MATH files. The data directory is `$SUBSTANCE_DATA`, defaulting to
//! `<crate>/../../../shared/data`; every test prints a SKIP line and passes when its file is absent.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::path::PathBuf;
use substance_metrics::extract::{
    extract_boxed, gsm8k_is_correct, gsm8k_reference, gsm8k_strict, last_number,
    math_answers_match, minerva_answer, normalize_final_answer, normalize_number,
    strip_math_string,
};

fn data_file(rel: &str) -> Option<PathBuf> {
    let base = std::env::var_os("SUBSTANCE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let p = base.join(rel);
    if p.is_file() {
        Some(p)
    } else {
        println!(
            "SKIP: {} not found (set SUBSTANCE_DATA to the shared data directory)",
            p.display()
        );
        None
    }
}

fn jsonl(path: &PathBuf) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn gsm8k_every_reference_has_an_answer() {
    let Some(path) = data_file("gsm8k/test.jsonl") else {
        return;
    };
    let rows = jsonl(&path);
    assert_eq!(rows.len(), 1319);
    let mut with_commas = 0;
    for (i, r) in rows.iter().enumerate() {
        let answer = r["answer"].as_str().unwrap();
        let target = gsm8k_reference(answer).unwrap_or_else(|| panic!("row {i}: no #### answer"));
        // Every GSM8K answer is an integer once thousands separators are dropped.
        let body = target.strip_prefix('-').unwrap_or(&target);
        assert!(
            !body.is_empty() && body.chars().all(|c| c.is_ascii_digit()),
            "row {i}: {target:?}"
        );
        assert_eq!(normalize_number(&target), target, "row {i}");
        if answer.rsplit("#### ").next().unwrap().contains(',') {
            with_commas += 1;
        }
        // lm-eval's strict filter applied to the reference scores it as correct.
        let strict = gsm8k_strict(answer);
        assert!(
            gsm8k_is_correct(strict.as_deref(), answer),
            "row {i}: {strict:?}"
        );
    }
    assert!(with_commas > 0, "expected some 1,234-style references");
}

#[test]
fn gsm8k_last_number_reproduces_the_is_correct_labels() {
    let Some(path) = data_file("gsm8k/example_model_solutions.jsonl") else {
        return;
    };
    let rows = jsonl(&path);
    let (mut total, mut agree) = (0usize, 0usize);
    let mut disagreements = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let gt = last_number(r["ground_truth"].as_str().unwrap()).unwrap();
        for (key, v) in r.as_object().unwrap() {
            let Some(sol) = v.get("solution").and_then(|s| s.as_str()) else {
                continue;
            };
            let labelled = v["is_correct"].as_bool().unwrap();
            let ours =
                last_number(sol).is_some_and(|p| normalize_number(&p) == normalize_number(&gt));
            total += 1;
            if ours == labelled {
                agree += 1;
            } else if disagreements.len() < 5 {
                disagreements.push(format!("row {i} {key}"));
            }
        }
    }
    assert_eq!(total, 4 * rows.len());
    assert_eq!(agree, total, "disagreements: {disagreements:?}");
}

#[test]
fn math_answers_survive_boxing_and_normalisation() {
    let Some(path) = data_file("math/math_test.csv") else {
        return;
    };
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let (mut n, mut boxed_ok, mut unbalanced, mut numeric) = (0usize, 0usize, 0usize, 0usize);
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let answer = rec.get(2).unwrap();
        n += 1;
        // A model that boxes exactly the reference answer is scored correct.
        let depth_ok = {
            let mut d = 0i64;
            answer.bytes().all(|b| {
                d += i64::from(b == b'{') - i64::from(b == b'}');
                d >= 0
            }) && d == 0
        };
        let text = format!("Thus the answer is $\\boxed{{{answer}}}$.");
        if depth_ok && !text.contains("\\boxed ") {
            let got = extract_boxed(&text).unwrap();
            assert_eq!(got, answer);
            assert!(math_answers_match(&got, answer));
            boxed_ok += 1;
        } else {
            unbalanced += 1;
        }
        // Minerva format round trip.
        let minerva =
            format!("Final Answer: The final answer is ${answer}$. I hope it is correct.");
        match minerva_answer(&minerva) {
            Some(raw) => {
                assert_eq!(
                    normalize_final_answer(&raw),
                    normalize_final_answer(&format!("${answer}$"))
                )
            }
            // lm-eval's pattern has no DOTALL flag, so a multi-line answer is "[invalidanswer]" there too.
            None => assert!(answer.contains('\n'), "{answer:?}"),
        }
        assert!(math_answers_match(answer, answer));
        let _ = strip_math_string(answer);
        // Integer answers also match when written as decimals ("12" vs "12.0").
        if !answer.is_empty() && answer.chars().all(|c| c.is_ascii_digit()) {
            assert!(
                math_answers_match(&format!("{answer}.0"), answer),
                "{answer}"
            );
            numeric += 1;
        }
    }
    assert_eq!(n, 5000);
    assert!(
        boxed_ok >= 4990,
        "only {boxed_ok} answers round-tripped ({unbalanced} skipped)"
    );
    assert!(numeric > 2000, "{numeric}");
}
