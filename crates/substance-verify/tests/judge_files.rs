//! Judge result files (MT-Bench, JudgeBench, RewardBench, AlpacaEval, Arena-Hard) verified against
//! what the upstream code computes: `tests/fixtures/judges/reference.json` comes from FastChat's
//! `show_result.py`, JudgeBench's `compute_final_metrics` and RewardBench's
//! `calculate_scores_per_section` run by `scripts/judge_files_reference.py`; the AlpacaEval and
//! Arena-Hard numbers come from `scripts/leaderboard_reference.py` (substance-leaderboard fixtures)
//! and from the leaderboard CSVs of the shared data (skipped with a message when it is absent).
//! Tampering one verdict or one preference fails naming the record.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use substance_verify::{Claim, Input, Outcome, Report, Severity, Status, verify_inputs};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/judges")
}

fn reference() -> Value {
    serde_json::from_slice(&std::fs::read(fixtures().join("reference.json")).unwrap()).unwrap()
}

fn input(path: &Path, name: &str) -> Input {
    Input {
        name: name.to_owned(),
        bytes: std::fs::read(path).unwrap(),
    }
}

fn claim(model: &str, task: &str, metric: &str, value: f64, tolerance: f64) -> Claim {
    Claim {
        model: model.to_owned(),
        task: task.to_owned(),
        metric: metric.to_owned(),
        value,
        tolerance,
        source: "reference.json".to_owned(),
        percent: false,
    }
}

fn report<'a>(out: &'a Outcome, model: &str) -> &'a Report {
    out.reports
        .iter()
        .find(|r| r.model.as_deref() == Some(model))
        .unwrap_or_else(|| panic!("no report for {model}: {:?}", out.errors))
}

fn status<'a>(r: &'a Report, scope: &str, metric: &str) -> &'a Status {
    &r.checks
        .iter()
        .find(|c| c.scope == scope && c.metric == metric)
        .unwrap_or_else(|| panic!("{}: no check {scope} {metric}", r.file))
        .status
}

/// The item findings that fail verification, over every report.
fn differing(out: &Outcome) -> Vec<&substance_verify::Finding> {
    out.reports
        .iter()
        .flat_map(|r| r.findings_of(Severity::Differs))
        .collect()
}

fn matched(s: &Status) -> bool {
    matches!(s, Status::Match { .. })
}

/// Replace the first occurrence of `from` on line `line` (1-based).
fn tamper_line(bytes: &[u8], line: usize, from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    assert!(lines[line - 1].contains(from), "line {line} has no {from}");
    lines[line - 1] = lines[line - 1].replacen(from, to, 1);
    (lines.join("\n") + "\n").into_bytes()
}

#[test]
fn mt_bench_single_equals_fastchat_show_result() {
    let refs = reference();
    let path = fixtures().join("mt-bench/gpt-4_single.jsonl");
    let mut claims = Vec::new();
    for (model, v) in refs["mt_bench"]["single"].as_object().unwrap() {
        for metric in ["score", "score_turn1", "score_turn2"] {
            claims.push(claim(
                model,
                "mt_bench",
                metric,
                v[metric].as_f64().unwrap(),
                0.0,
            ));
        }
    }
    let out = verify_inputs(vec![input(&path, "gpt-4_single.jsonl")], claims);
    assert!(out.ok() && out.unused_claims.is_empty(), "{out:#?}");
    for (model, v) in refs["mt_bench"]["single"].as_object().unwrap() {
        let r = report(&out, model);
        for metric in ["score", "score_turn1", "score_turn2"] {
            assert_eq!(
                status(r, "mt_bench", metric),
                &Status::Match { tolerance: 0.0 },
                "{model} {metric}"
            );
        }
        assert_eq!(r.skipped.len() as u64, v["dropped"].as_u64().unwrap());
        assert_eq!(r.findings.len(), 0);
    }

    // a recorded rating that is not the judge's
    let bytes = std::fs::read(&path).unwrap();
    let line = String::from_utf8(bytes.clone())
        .unwrap()
        .lines()
        .position(|l| l.contains("[[7]]") && l.contains("\"score\": 7,"))
        .unwrap()
        + 1;
    let bad = tamper_line(&bytes, line, "\"score\": 7,", "\"score\": 9,");
    let out = verify_inputs(
        vec![Input {
            name: "gpt-4_single.jsonl".into(),
            bytes: bad,
        }],
        Vec::new(),
    );
    let f = differing(&out);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0].record, f[0].field.as_str()), (line, "score"));
    assert_eq!(
        (f[0].claimed.as_str(), f[0].recomputed.as_str()),
        ("9", "7")
    );
}

#[test]
fn mt_bench_pairwise_equals_fastchat_show_result() {
    let refs = reference();
    let path = fixtures().join("mt-bench/gpt-4_pair.jsonl");
    let scope = "mt_bench_pairwise/vs gpt-3.5-turbo";
    let mut claims = Vec::new();
    for (model, v) in refs["mt_bench"]["pair"].as_object().unwrap() {
        for metric in ["win_rate", "loss_rate", "win_rate_adjusted"] {
            claims.push(claim(
                model,
                scope,
                metric,
                v[metric].as_f64().unwrap(),
                0.0,
            ));
        }
    }
    let out = verify_inputs(vec![input(&path, "gpt-4_pair.jsonl")], claims);
    assert!(out.ok() && out.unused_claims.is_empty(), "{out:#?}");
    assert!(
        out.reports
            .iter()
            .all(|r| r.model.as_deref() != Some("gpt-3.5-turbo")),
        "the baseline gets no row"
    );
    for model in refs["mt_bench"]["pair"].as_object().unwrap().keys() {
        let r = report(&out, model);
        assert!(r.checks.iter().all(|c| matched(&c.status)), "{r:#?}");
    }
    let skipped: usize = out.reports.iter().map(|r| r.skipped.len()).sum();
    assert!(skipped > 0, "the fixture has games without a verdict");

    // a recorded winner that the judge's text does not give
    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("\"g1_winner\": \"model_1\""))
        .unwrap()
        + 1;
    let bad = tamper_line(
        &bytes,
        line,
        "\"g1_winner\": \"model_1\"",
        "\"g1_winner\": \"model_2\"",
    );
    let out = verify_inputs(
        vec![Input {
            name: "gpt-4_pair.jsonl".into(),
            bytes: bad,
        }],
        Vec::new(),
    );
    let f = differing(&out);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0].record, f[0].field.as_str()), (line, "g1_winner"));
}

#[test]
fn judgebench_equals_compute_final_metrics() {
    let refs = reference();
    for (name, v) in refs["judgebench"].as_object().unwrap() {
        let path = fixtures().join("judgebench").join(name);
        let model = substance_verify::judgebench::judge_from_file_name(name).unwrap();
        let mut claims = Vec::new();
        for (k, x) in v.as_object().unwrap() {
            let task = if k == "overall" {
                "judgebench".to_owned()
            } else {
                format!("judgebench/{k}")
            };
            claims.push(claim(&model, &task, "acc", x.as_f64().unwrap(), 0.0));
        }
        let out = verify_inputs(vec![input(&path, name)], claims);
        assert!(out.ok() && out.unused_claims.is_empty(), "{name}: {out:#?}");
        let r = report(&out, &model);
        assert_eq!(r.checks.len(), 5);
        assert!(r.checks.iter().all(|c| matched(&c.status)), "{r:#?}");
        assert_eq!(r.findings.len(), 0, "{:?}", r.findings);

        // one decision changed: found by re-deriving it from the scores or the verdict text
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let line = text
            .lines()
            .position(|l| l.contains("\"decision\": \"A>B\""))
            .unwrap()
            + 1;
        let bad = tamper_line(
            &bytes,
            line,
            "\"decision\": \"A>B\"",
            "\"decision\": \"B>A\"",
        );
        let out = verify_inputs(
            vec![Input {
                name: name.clone(),
                bytes: bad,
            }],
            Vec::new(),
        );
        let f: Vec<_> = out.reports[0].findings_of(Severity::Differs).collect();
        assert_eq!(f.len(), 1, "{name}: {f:?}");
        assert_eq!(f[0].record, line);
        assert!(f[0].field.ends_with(".decision"));
    }
}

#[test]
fn rewardbench_sections_equal_calculate_scores_per_section() {
    let refs = reference();
    let rb = &refs["rewardbench"];
    let dir = fixtures().join("rewardbench");
    let files = || {
        vec![
            input(
                &dir.join("eval-set/org/rm-x.json"),
                "eval-set/org/rm-x.json",
            ),
            input(
                &dir.join("eval-set-scores/org/rm-x.json"),
                "eval-set-scores/org/rm-x.json",
            ),
        ]
    };
    let names = [
        ("Chat", "chat"),
        ("Chat Hard", "chat_hard"),
        ("Safety", "safety"),
        ("Reasoning", "reasoning"),
    ];
    let mut claims: Vec<Claim> = names
        .iter()
        .map(|(k, m)| {
            claim(
                "org/rm-x",
                "rewardbench",
                m,
                rb["sections"][k].as_f64().unwrap(),
                1e-15,
            )
        })
        .collect();
    claims.push(claim(
        "org/rm-x",
        "rewardbench",
        "score",
        rb["score"].as_f64().unwrap(),
        1e-15,
    ));
    let out = verify_inputs(files(), claims);
    assert!(out.ok() && out.unused_claims.is_empty(), "{out:#?}");
    assert_eq!(
        out.reports.len(),
        1,
        "the summary pairs with the scores file"
    );
    let r = &out.reports[0];
    for (subset, acc) in rb["subsets"].as_object().unwrap() {
        let c = r
            .checks
            .iter()
            .find(|c| c.scope == format!("rewardbench/{subset}"))
            .unwrap();
        assert_eq!(
            c.claimed,
            acc.as_f64(),
            "{subset}: claimed from the summary"
        );
        assert!(matched(&c.status), "{subset}");
    }
    for (_, m) in names {
        assert!(matched(status(r, "rewardbench", m)), "{m}");
    }
    assert!(matched(status(r, "rewardbench", "score")));

    // one result flipped: the example and its subset's accuracy differ
    let mut inputs = files();
    let scores = &mut inputs[1];
    let mut v: Value = serde_json::from_slice(&scores.bytes).unwrap();
    let i = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .position(|x| x == 1)
        .unwrap();
    let subset = v["subset"][i].as_str().unwrap().to_owned();
    v["results"][i] = Value::from(0);
    scores.bytes = serde_json::to_vec_pretty(&v).unwrap();
    let out = verify_inputs(inputs, Vec::new());
    let r = &out.reports[0];
    let f: Vec<_> = r.findings_of(Severity::Differs).collect();
    assert_eq!((f.len(), f[0].record), (1, i + 1), "{f:?}");
    assert_eq!(
        status(r, &format!("rewardbench/{subset}"), "acc"),
        &Status::Differs
    );
}

fn data_dir(sub: &str) -> Option<PathBuf> {
    let d = match std::env::var_os("SUBSTANCE_DATA") {
        Some(d) => PathBuf::from(d),
        None => root().join("../shared/data"),
    }
    .join(sub);
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!(
            "skipping: {} is absent (set SUBSTANCE_DATA to the shared data folder)",
            d.display()
        );
        None
    }
}

#[test]
fn alpaca_eval_annotations_equal_the_published_leaderboards() {
    let Some(dir) = data_dir("alpaca-eval") else {
        return;
    };
    let tables = [
        (
            "weighted_alpaca_eval_gpt4_turbo",
            "leaderboards/data_AlpacaEval_2/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv",
        ),
        (
            "alpaca_eval_gpt4",
            "leaderboards/data_AlpacaEval/alpaca_eval_gpt4_leaderboard.csv",
        ),
    ];
    let mut verified = 0;
    for model in ["alpaca-7b", "gpt-3.5-turbo-1106", "gpt4_1106_preview"] {
        for (annotator, table) in tables {
            let ann = dir
                .join("results")
                .join(model)
                .join(annotator)
                .join("annotations.json");
            if !ann.is_file() {
                continue;
            }
            let name = format!("{model}/{annotator}/annotations.json");
            let out = verify_inputs(
                vec![input(&ann, &name), input(&dir.join(table), table)],
                Vec::new(),
            );
            assert!(out.ok(), "{name}: {out:#?}");
            let r = report(&out, model);
            for c in &r.checks {
                if c.metric == "length_controlled_winrate" {
                    assert!(matches!(c.status, Status::NotCheckable { .. }));
                } else {
                    assert!(matched(&c.status), "{name} {}: {c:?}", c.metric);
                }
            }
            verified += 1;

            // one preference moved from the baseline to the model: the win rate differs
            let mut v: Value = serde_json::from_slice(&std::fs::read(&ann).unwrap()).unwrap();
            let a = v.as_array_mut().unwrap();
            let i = a
                .iter()
                .position(|x| {
                    let p = &x["preference"];
                    p.as_f64()
                        .or_else(|| p.as_str().and_then(|s| s.parse().ok()))
                        .is_some_and(|p| p < 1.9)
                })
                .unwrap();
            a[i]["preference"] = Value::from(2.0);
            let out = verify_inputs(
                vec![
                    Input {
                        name: name.clone(),
                        bytes: serde_json::to_vec(&v).unwrap(),
                    },
                    input(&dir.join(table), table),
                ],
                Vec::new(),
            );
            let r = report(&out, model);
            assert!(!out.ok());
            assert_eq!(status(r, annotator, "win_rate"), &Status::Differs);
        }
    }
    assert!(verified >= 4, "verified {verified} annotation files");
}

#[test]
fn alpaca_eval_length_controlled_win_rate_within_the_stated_tolerance() {
    let dir = root().join("crates/substance-leaderboard/tests/fixtures/alpaca_lc");
    let refs: Value =
        serde_json::from_slice(&std::fs::read(dir.join("reference.json")).unwrap()).unwrap();
    let mut claims = Vec::new();
    for (model, v) in refs["models"].as_object().unwrap() {
        if model == "base-model" {
            continue;
        }
        let lc = v["length_controlled_v1"]["winrate"].as_f64().unwrap();
        claims.push(claim(
            model,
            "weighted_alpaca_eval_gpt4_turbo",
            "length_controlled_winrate",
            lc,
            0.0,
        ));
    }
    let n = claims.len();
    let files = [
        "annotations.json",
        "instruction_difficulty.csv",
        "df_gamed.csv",
    ]
    .map(|f| input(&dir.join(f), &format!("alpaca_lc/{f}")));
    let out = verify_inputs(files.to_vec(), claims);
    assert!(out.ok() && out.unused_claims.is_empty(), "{out:#?}");
    let lc: Vec<_> = out
        .reports
        .iter()
        .flat_map(|r| &r.checks)
        .filter(|c| c.metric == "length_controlled_winrate" && c.claimed.is_some())
        .collect();
    assert_eq!(lc.len(), n);
    assert!(lc.iter().all(|c| matched(&c.status)), "{lc:#?}");

    // a claim a point off is refused
    let model = out.reports[0].model.clone().unwrap();
    let good = lc
        .iter()
        .find(|c| out.reports[0].checks.contains(c))
        .unwrap()
        .claimed
        .unwrap();
    let files = [
        "annotations.json",
        "instruction_difficulty.csv",
        "df_gamed.csv",
    ]
    .map(|f| input(&dir.join(f), &format!("alpaca_lc/{f}")));
    let out = verify_inputs(
        files.to_vec(),
        vec![claim(
            &model,
            "weighted_alpaca_eval_gpt4_turbo",
            "length_controlled_winrate",
            good + 1.0,
            0.0,
        )],
    );
    assert_eq!(
        status(
            report(&out, &model),
            "weighted_alpaca_eval_gpt4_turbo",
            "length_controlled_winrate"
        ),
        &Status::Differs
    );
}

#[test]
fn arena_hard_v2_scores_are_the_reference_expectation() {
    let dir = root().join("crates/substance-leaderboard/tests/fixtures/arena_v2");
    let refs: Value =
        serde_json::from_slice(&std::fs::read(dir.join("reference.json")).unwrap()).unwrap();
    let means = refs["mean_score"].as_object().unwrap().clone();
    let claims: Vec<Claim> = means
        .iter()
        .map(|(m, v)| {
            claim(
                m,
                "arena_hard_v2/hard_prompt",
                "score",
                v.as_f64().unwrap() * 100.0,
                0.0,
            )
        })
        .collect();
    let path = dir.join("judgments.jsonl");
    let out = verify_inputs(vec![input(&path, "judgments.jsonl")], claims);
    assert!(out.ok() && out.unused_claims.is_empty(), "{out:#?}");
    for (m, v) in &means {
        let r = report(&out, m);
        let c = &r.checks[0];
        match c.recomputed {
            substance_verify::Recomputed::Value { value } => {
                assert!((value - v.as_f64().unwrap() * 100.0).abs() < 1e-12, "{m}");
            }
            ref other => panic!("{other:?}"),
        }
        assert!(!r.skipped.is_empty() || m != "model-alpha");
    }

    // a recorded label the judge's text does not give
    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let line = text
        .lines()
        .position(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let g = &v["games"][0];
            let said = g["judgment"]["answer"].as_str().unwrap_or("");
            g["score"] == "A>>B" && said.matches("[[").count() == 1 && said.contains("[[A>>B]]")
        })
        .unwrap()
        + 1;
    let bad = tamper_line(&bytes, line, "{\"score\": \"A>>B\"", "{\"score\": \"B>>A\"");
    let out = verify_inputs(
        vec![Input {
            name: "judgments.jsonl".into(),
            bytes: bad,
        }],
        Vec::new(),
    );
    let f = differing(&out);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0].record, f[0].field.as_str()), (line, "games[0].score"));
}

#[test]
fn real_mt_bench_judgments_are_consistent() {
    let Some(dir) = data_dir("mt-bench/instructlab") else {
        return;
    };
    let path = dir.join("gpt-4_single.jsonl");
    let out = verify_inputs(vec![input(&path, "gpt-4_single.jsonl")], Vec::new());
    assert!(out.ok(), "{out:#?}");
    let text = std::fs::read_to_string(&path).unwrap();
    let unrated = text.lines().filter(|l| l.contains("\"score\": -1")).count();
    let skipped: usize = out.reports.iter().map(|r| r.skipped.len()).sum();
    assert_eq!(skipped, unrated);
    assert!(unrated > 0);
    assert!(out.reports.iter().all(|r| r.findings.is_empty()));
}

#[test]
fn a_record_given_twice_is_refused_with_both_places() {
    // AlpacaEval: the same instruction annotated twice for one model
    let dir = root().join("crates/substance-leaderboard/tests/fixtures/alpaca_lc");
    let mut v: Value =
        serde_json::from_slice(&std::fs::read(dir.join("annotations.json")).unwrap()).unwrap();
    let first = v[0].clone();
    v.as_array_mut().unwrap().push(first);
    let out = verify_inputs(
        vec![Input {
            name: "annotations.json".into(),
            bytes: serde_json::to_vec(&v).unwrap(),
        }],
        Vec::new(),
    );
    assert!(out.reports.is_empty(), "{:?}", out.reports.len());
    let n = v.as_array().unwrap().len();
    let msg = &out.errors[0].message;
    assert!(
        msg.contains("annotations.json") && msg.contains(&n.to_string()),
        "{msg}"
    );

    // RewardBench: one example id twice in a subset
    let path = fixtures().join("rewardbench/eval-set-scores/org/rm-x.json");
    let mut v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["id"][1] = v["id"][0].clone();
    v["subset"][1] = v["subset"][0].clone();
    let out = verify_inputs(
        vec![Input {
            name: "eval-set-scores/org/rm-x.json".into(),
            bytes: serde_json::to_vec_pretty(&v).unwrap(),
        }],
        Vec::new(),
    );
    assert!(out.reports.is_empty());
    assert!(
        out.errors[0].message.contains("rm-x.json"),
        "{:?}",
        out.errors
    );
}
