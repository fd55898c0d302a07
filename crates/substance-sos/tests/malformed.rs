//! Malformed input gives typed errors that name the file, line and column; arbitrary bytes never panic.
//! Self-contained: the CSVs are generated from the shipped mapping, no data directory needed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use proptest::prelude::*;
use substance_sos::{
    AliasTable, CorrelationOptions, Factor, Mapping, NormMode, SosError, Source, build_report,
    factor_scores, parse_judge_csv, parse_livebench_csv, parse_results_csv,
};

fn results_columns(m: &Mapping) -> Vec<String> {
    m.benchmark
        .iter()
        .filter(|b| b.source == Source::Results)
        .flat_map(|b| b.columns.iter().map(|c| c.column.clone()))
        .collect()
}

/// A results CSV with every mapped column; cell (i, j) = a deterministic value in [0, 1].
fn results_csv(models: &[&str]) -> String {
    let m = Mapping::sos_default().unwrap();
    let cols = results_columns(&m);
    let mut s = format!("Name,Created,{}\n", cols.join(","));
    for (i, name) in models.iter().enumerate() {
        let cells: Vec<String> = (0..cols.len())
            .map(|j| format!("{:.4}", ((i * 31 + j * 17) % 97) as f64 / 97.0))
            .collect();
        s.push_str(&format!("{name},2024-07-22,{}\n", cells.join(",")));
    }
    s
}

#[test]
fn generated_fixture_is_valid() {
    let csv = results_csv(&["a", "b", "c"]);
    let t = parse_results_csv("r.csv", csv.as_bytes()).unwrap();
    let ft = factor_scores(
        &t,
        None,
        &Mapping::sos_default().unwrap(),
        &AliasTable::default(),
        NormMode::Raw,
    )
    .unwrap();
    for m in &ft.models {
        for f in Factor::ALL {
            let v = m.get(f).unwrap();
            assert!((0.0..=1.0).contains(&v));
        }
    }
}

#[test]
fn empty_file() {
    assert_eq!(
        parse_results_csv("r.csv", b""),
        Err(SosError::Empty {
            file: "r.csv".into()
        })
    );
    assert_eq!(
        parse_judge_csv("j.csv", b"\n\n"),
        Err(SosError::Empty {
            file: "j.csv".into()
        })
    );
    assert_eq!(
        parse_livebench_csv("l.csv", b"model,coding\n")
            .unwrap_err()
            .to_string(),
        "l.csv: no data rows after the header"
    );
}

#[test]
fn missing_column_names_the_column_and_benchmark() {
    let csv =
        results_csv(&["a"]).replace("leaderboard_mmlu_pro/acc,", "leaderboard_mmlu_pro/accX,");
    let t = parse_results_csv("r.csv", csv.as_bytes()).unwrap();
    let e = factor_scores(
        &t,
        None,
        &Mapping::sos_default().unwrap(),
        &AliasTable::default(),
        NormMode::Raw,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "r.csv: missing column `leaderboard_mmlu_pro/acc` (needed by benchmark `MMLU-Pro`)"
    );
    let e = parse_judge_csv("j.csv", b"model,points\nx,1\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "j.csv: missing column `score` (the judge score)"
    );
    let e = parse_results_csv("r.csv", b"Model,x\nm,1\n").unwrap_err();
    assert!(matches!(e, SosError::MissingColumn { .. }), "{e}");
}

#[test]
fn non_numeric_cell_names_line_and_column() {
    let csv = results_csv(&["a", "b", "c"]);
    let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
    // Line 3 (model "b"): replace the value of `bbq/acc`.
    let header: Vec<&str> = lines[0].split(',').collect();
    let idx = header.iter().position(|h| *h == "bbq/acc").unwrap();
    let mut cells: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    cells[idx] = "0.4x".into();
    lines[2] = cells.join(",");
    let t = parse_results_csv("r.csv", lines.join("\n").as_bytes()).unwrap();
    let e = factor_scores(
        &t,
        None,
        &Mapping::sos_default().unwrap(),
        &AliasTable::default(),
        NormMode::Raw,
    )
    .unwrap_err();
    assert_eq!(
        e,
        SosError::NonNumeric {
            file: "r.csv".into(),
            line: 3,
            column: "bbq/acc".into(),
            value: "0.4x".into()
        }
    );
    // Unmapped columns may hold anything ("Created" is a date).
    let e = parse_judge_csv("j.csv", b"model,score\nx,1\ny,high\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "j.csv:3: column `score`: `high` is not a number"
    );
    let e = parse_judge_csv("j.csv", b"model,score\nx,inf\n").unwrap_err();
    assert!(matches!(e, SosError::NonNumeric { line: 2, .. }));
}

#[test]
fn duplicate_models_and_ragged_rows() {
    let csv = results_csv(&["a", "b", "a"]);
    let e = parse_results_csv("r.csv", csv.as_bytes()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "r.csv:4: duplicate model `a` (first seen on line 2)"
    );
    let e = parse_judge_csv("j.csv", b"model,score\nx,1\ny,2,3\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "j.csv:3: ragged row: 3 fields, the header has 2"
    );
    let e = parse_judge_csv("j.csv", b"model,score\nx\n").unwrap_err();
    assert!(matches!(
        e,
        SosError::Ragged {
            line: 2,
            expected: 2,
            found: 1,
            ..
        }
    ));
    let e = parse_livebench_csv("l.csv", b"model,coding,coding\nx,1,2\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "l.csv:1: column `coding` appears twice in the header"
    );
}

#[test]
fn invalid_utf8_is_a_located_csv_error() {
    let e = parse_judge_csv("j.csv", b"model,score\nx,1\n\xff\xfe,2\n").unwrap_err();
    assert!(matches!(e, SosError::Csv { line: 3, .. }), "{e}");
}

#[test]
fn all_na_factor_is_none_with_a_note() {
    let m = Mapping::sos_default().unwrap();
    let cols = results_columns(&m);
    let cells: Vec<String> = cols
        .iter()
        .map(|c| {
            if c.starts_with("leaderboard_ifeval") {
                "N/A".to_string()
            } else {
                "0.5".to_string()
            }
        })
        .collect();
    let csv = format!("Name,{}\nonly,{}\n", cols.join(","), cells.join(","));
    let t = parse_results_csv("r.csv", csv.as_bytes()).unwrap();
    let ft = factor_scores(
        &t,
        None,
        &m,
        &AliasTable::default(),
        NormMode::ChanceCorrected,
    )
    .unwrap();
    let only = ft.model("only").unwrap();
    assert_eq!(only.get(Factor::InstructionFollowing), None);
    assert!(only.get(Factor::WorldKnowledge).is_some());
    assert!(
        only.notes
            .iter()
            .any(|n| n.contains("IFEval: all 4 columns are N/A")),
        "{:?}",
        only.notes
    );
    assert!(
        only.notes.iter().any(|n| n.starts_with("IF: none of its")),
        "{:?}",
        only.notes
    );
}

#[test]
fn unmatched_judge_names_are_reported() {
    let csv = results_csv(&["Llama-3-8B", "other"]);
    let t = parse_results_csv("r.csv", csv.as_bytes()).unwrap();
    let judge = parse_judge_csv(
        "j.csv",
        b"model,score\nLlama-3-8B-base,0.65\nmystery,3\ngpt-4-0314,50\n",
    )
    .unwrap();
    let r = build_report(
        &t,
        None,
        Some(&judge),
        &Mapping::sos_default().unwrap(),
        &AliasTable::sos_default().unwrap(),
        NormMode::Raw,
        &CorrelationOptions::default(),
    )
    .unwrap();
    let j = r.judge.as_ref().unwrap();
    assert_eq!(j.matched.len(), 1);
    assert_eq!(j.matched[0].model, "Llama-3-8B");
    let names: Vec<&str> = j.unmatched.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, vec!["mystery", "gpt-4-0314"]);
    assert_eq!(j.models_without_judge, vec!["other".to_string()]);
    // One matched model: judge correlations are undefined, not errors.
    assert!(
        r.correlation("judge", "wk", "pearson")
            .unwrap()
            .estimate
            .is_none()
    );
    let text = r.to_string();
    assert!(text.contains("unmatched judge row `mystery`"), "{text}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_results_csv("r", &bytes);
        let _ = parse_livebench_csv("l", &bytes);
        let _ = parse_judge_csv("j", &bytes);
        let _ = Mapping::from_toml("m", &String::from_utf8_lossy(&bytes));
        let _ = AliasTable::from_toml("a", &String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn csv_like_text_never_panics(
        text in "(Name|model)(,(a|b|score|coding|bbq/acc))*\n([a-c \"]{0,3}(,[0-9.Na/x\"]{0,4}){0,4}\n){0,5}"
    ) {
        let mapping = Mapping::sos_default().unwrap();
        let aliases = AliasTable::sos_default().unwrap();
        if let Ok(t) = parse_results_csv("r", text.as_bytes()) {
            let lb = parse_livebench_csv("l", text.as_bytes()).ok();
            let _ = factor_scores(&t, lb.as_ref(), &mapping, &aliases, NormMode::Raw);
            if let Ok(j) = parse_judge_csv("j", text.as_bytes()) {
                let _ = build_report(&t, None, Some(&j), &mapping, &aliases, NormMode::ChanceCorrected,
                    &CorrelationOptions { resamples: 5, ..CorrelationOptions::default() });
            }
        }
    }

    #[test]
    fn factor_scores_stay_in_unit_interval(
        values in prop::collection::vec(prop_oneof![4 => 0.0f64..=1.0, 1 => Just(f64::NAN)], 54),
        norm in prop_oneof![Just(NormMode::Raw), Just(NormMode::ChanceCorrected)],
    ) {
        let m = Mapping::sos_default().unwrap();
        let cols = results_columns(&m);
        prop_assert_eq!(cols.len(), values.len());
        let cells: Vec<String> =
            values.iter().map(|v| if v.is_nan() { "N/A".to_string() } else { format!("{v}") }).collect();
        let csv = format!("Name,{}\nx,{}\n", cols.join(","), cells.join(","));
        let t = parse_results_csv("r", csv.as_bytes()).unwrap();
        let ft = factor_scores(&t, None, &m, &AliasTable::default(), norm).unwrap();
        for f in Factor::ALL {
            if let Some(v) = ft.models[0].get(f) {
                prop_assert!((0.0..=1.0).contains(&v), "{f}: {v}");
            }
        }
    }
}
