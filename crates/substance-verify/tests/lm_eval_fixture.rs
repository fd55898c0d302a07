//! lm-eval verification on real harness output (`tests/fixtures/lm-eval/`, written by lm-eval 0.4.13
//! and 0.4.2 themselves: `scripts/lmeval/make_fixtures.sh`): every mean metric and its stderr, every
//! logged hash, every multiple-choice acc/acc_norm recomputes; tampering one response, one metric, one
//! doc or one aggregate fails naming the place.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::path::{Path, PathBuf};

use substance_verify::{
    Input, Outcome, Report, Severity, Status, Streamed, verify_inputs, verify_streamed,
};

fn fixture_dir(version: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/lm-eval")
        .join(version)
}

fn files(dir: &Path) -> Vec<Input> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(Input {
                    name: p.strip_prefix(dir).unwrap().display().to_string(),
                    bytes: std::fs::read(&p).unwrap(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn verify(inputs: Vec<Input>) -> Outcome {
    verify_inputs(inputs, Vec::new())
}

fn status<'a>(r: &'a Report, scope: &str, metric: &str) -> &'a Status {
    &r.checks
        .iter()
        .find(|c| c.scope == scope && c.metric == metric)
        .unwrap_or_else(|| panic!("no check {scope} {metric}"))
        .status
}

fn matches(s: &Status) -> bool {
    matches!(s, Status::Match { .. })
}

#[test]
fn real_output_of_two_harness_versions_recomputes() {
    // 0.4.13: 17 task numbers (mcc and its bootstrap stderr included) + 12 of the group (4 metrics:
    // value, pooled stderr, sample_count); 0.4.2: 14 + 12 (6 metrics: value and stderr; no
    // sample_count before v0.4.3)
    for (version, checked) in [("0.4.13", 29), ("0.4.2", 26)] {
        let out = verify(files(&fixture_dir(version)));
        assert!(out.errors.is_empty(), "{version}: {:?}", out.errors);
        assert_eq!(out.reports.len(), 1, "{version}: one run");
        let r = &out.reports[0];
        assert!(r.ok, "{version}: {}", r.verdict);
        assert_eq!(r.format, "lm-eval-results");
        assert_eq!(r.items_checked, 24 + 16 + 48);
        let matched = r.checks.iter().filter(|c| matches(&c.status)).count();
        assert_eq!(matched, checked, "{version}: {:#?}", r.checks);
        assert_eq!(r.findings.len(), 0, "{version}: {:#?}", r.findings);
        // every generation: both filters re-applied to the logged response, exact_match re-scored
        assert!(
            r.notes.iter().any(|n| n
                == "sub_gen: 48 filtered response(s) re-derived from `resps` with the task's filter_list, 48 exact_match score(s) re-scored"),
            "{version}: {:?}",
            r.notes
        );
        for (scope, metric) in [
            ("sub_mc", "acc,none"),
            ("sub_mc", "acc_stderr,none"),
            ("sub_mc", "acc_norm,none"),
            ("sub_mc", "acc_mutual_info,none"),
            ("sub_mc2", "acc,none"),
            ("sub_gen", "exact_match,strict-match"),
            ("sub_gen", "exact_match_stderr,flexible-extract"),
        ] {
            assert!(
                matches(status(r, scope, metric)),
                "{version} {scope} {metric}"
            );
        }
        // matthews_corrcoef from the logged (gold, prediction) pairs, and its bootstrap stderr
        // replayed with lm-eval's seeds (100000 resamples)
        let mcc_se = r
            .checks
            .iter()
            .find(|c| c.scope == "sub_mc" && c.metric == "mcc_stderr,none")
            .unwrap();
        assert_eq!(mcc_se.status, Status::Match { tolerance: 1e-9 });
        assert!(
            matches!(mcc_se.recomputed, substance_verify::Recomputed::Value { value } if Some(value) == mcc_se.claimed),
            "{version}: bit-identical replay: {mcc_se:?}"
        );
        assert!(matches(status(r, "sub_mc", "mcc,none")));
        // the group: acc weighted by size over sub_mc (24 docs) and sub_mc2 (16), pooled stderr
        for metric in ["acc,none", "acc_stderr,none", "exact_match,strict-match"] {
            assert!(
                matches(status(r, "sub_group", metric)),
                "{version} sub_group {metric}"
            );
        }
    }
    // v0.4.3+ hashes: every sample's doc/prompt/target hash and each task hash
    let out = verify(files(&fixture_dir("0.4.13")));
    for task in ["sub_mc", "sub_mc2", "sub_gen"] {
        assert!(
            matches(status(&out.reports[0], task, "task_hash")),
            "{task}"
        );
    }
}

fn tamper(version: &str, file_part: &str, edit: impl Fn(&str) -> String) -> Report {
    let mut inputs = files(&fixture_dir(version));
    let f = inputs
        .iter_mut()
        .find(|i| i.name.contains(file_part))
        .unwrap();
    let text = String::from_utf8(f.bytes.clone()).unwrap();
    let edited = edit(&text);
    assert_ne!(text, edited, "the edit must change {file_part}");
    f.bytes = edited.into_bytes();
    let out = verify(inputs);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    out.reports.into_iter().next().unwrap()
}

#[test]
fn tampering_fails_naming_the_sample_or_aggregate() {
    // one response: the first choice's log-likelihood of doc 0 made worse → acc of doc 0 differs
    let r = tamper("0.4.13", "samples_sub_mc_", |t| {
        t.replacen(
            r#"[["-2.5787487030029297", "False"]]"#,
            r#"[["-99.5", "False"]]"#,
            1,
        )
        .replacen(
            r#"["-2.5787487030029297", "False"]"#,
            r#"["-99.5", "False"]"#,
            1,
        )
    });
    assert!(!r.ok);
    let bad: Vec<_> = r
        .findings_of(Severity::Differs)
        .map(|f| (f.id.as_str(), f.field.rsplit(": ").next().unwrap()))
        .collect();
    assert!(bad.contains(&("0", "acc")), "{:#?}", r.findings);
    assert!(bad.iter().all(|(id, _)| *id == "0"), "{bad:?}");
    // each finding carries the logged prompt and response for the drill-down
    assert!(r.findings_of(Severity::Differs).all(|f| {
        f.text
            .as_deref()
            .is_some_and(|t| t.starts_with("prompt:\nQuestion: What color is the sky"))
    }));

    // one per-sample metric: the sample and the aggregate (and its stderr) differ
    let r = tamper("0.4.13", "samples_sub_gen_", |t| {
        let first = t.lines().next().unwrap();
        assert!(first.ends_with(r#""exact_match": 0.0}"#), "{first}");
        t.replacen(r#""exact_match": 0.0}"#, r#""exact_match": 1.0}"#, 1)
    });
    assert!(!r.ok);
    // the re-scored exact_match names the line (doc 0 answers 6, the target is 5)
    let rescored: Vec<_> = r
        .findings_of(Severity::Differs)
        .filter(|f| f.field.ends_with("exact_match (strict-match)"))
        .map(|f| {
            (
                f.record,
                f.id.as_str(),
                f.claimed.as_str(),
                f.recomputed.as_str(),
            )
        })
        .collect();
    assert_eq!(rescored, [(1, "0", "1", "0")]);
    assert_eq!(
        status(&r, "sub_gen", "exact_match,strict-match"),
        &Status::Differs
    );
    assert_eq!(
        status(&r, "sub_gen", "exact_match_stderr,strict-match"),
        &Status::Differs
    );
    assert!(matches(status(
        &r,
        "sub_gen",
        "exact_match,flexible-extract"
    )));

    // one doc's text: its doc_hash differs
    let r = tamper("0.4.13", "samples_sub_mc_", |t| {
        t.replacen(
            "What color is the sky on a clear day?\", \"choices\"",
            "What colour is the sky on a clear day?\", \"choices\"",
            1,
        )
    });
    let bad: Vec<_> = r
        .findings_of(Severity::Differs)
        .map(|f| (f.id.as_str(), f.field.rsplit(": ").next().unwrap()))
        .collect();
    assert_eq!(bad, [("0", "doc_hash")]);

    // one generation: the logged answer is no longer what the filters extract from the response
    for version in ["0.4.13", "0.4.2"] {
        // the first response with a `#### <digit>` answer: change the digit (the prompts hold such
        // answers too, so the edit starts at the `resps` member)
        let r = tamper(version, "sub_gen", |t| {
            let mut from = 0;
            loop {
                let at = from + t[from..].find("\"resps\"").unwrap();
                let end = at + t[at..].find("\"filtered_resps\"").unwrap();
                if let Some(k) = t[at..end].find("#### ") {
                    let d = at + k + 5;
                    let digit = t.as_bytes()[d];
                    if digit.is_ascii_digit() {
                        let other = if digit == b'9' { "1" } else { "9" };
                        return format!("{}{other}{}", &t[..d], &t[d + 1..]);
                    }
                }
                from = end;
            }
        });
        let bad: Vec<_> = r
            .findings_of(Severity::Differs)
            .map(|f| f.field.rsplit(": ").next().unwrap().to_owned())
            .collect();
        assert!(
            bad.iter().any(|f| f == "filtered_resps (strict-match)"),
            "{version}: {bad:?}"
        );
    }

    // doc 0's unconditional log-likelihood of its gold choice lowered: acc_mutual_info now picks the
    // gold choice, which the logged 0 does not follow
    let r = tamper("0.4.13", "samples_sub_mc_", |t| {
        t.replace(r#""-14.227819442749023""#, r#""-99.5""#)
    });
    let bad: Vec<_> = r
        .findings_of(Severity::Differs)
        .map(|f| (f.id.as_str(), f.field.rsplit(": ").next().unwrap()))
        .collect();
    assert_eq!(bad, [("0", "acc_mutual_info")]);

    // one (gold, prediction) pair of mcc: the value and its bootstrap stderr differ
    let r = tamper("0.4.13", "samples_sub_mc_", |t| {
        t.replacen(r#""mcc": [0, 0]"#, r#""mcc": [0, 1]"#, 1)
    });
    assert_eq!(status(&r, "sub_mc", "mcc,none"), &Status::Differs);
    assert_eq!(status(&r, "sub_mc", "mcc_stderr,none"), &Status::Differs);

    // one logged hash: the task hash no longer matches the samples
    let r = tamper("0.4.13", "results_", |t| {
        t.replacen(
            "a93e252ea356268260b8108f32f27c5be582107d697d45e604dc5ea948bba32e",
            "b93e252ea356268260b8108f32f27c5be582107d697d45e604dc5ea948bba32e",
            1,
        )
    });
    assert_eq!(status(&r, "sub_mc", "task_hash"), &Status::Differs);

    // one aggregate in the results file
    let r = tamper("0.4.2", "results.json", |t| {
        let at = t.find("\"sub_mc\": {").unwrap();
        let (head, tail) = t.split_at(at);
        let tail = tail.replacen(
            r#""acc_norm,none": 0.4166666666666667"#,
            r#""acc_norm,none": 0.4266666666666667"#,
            1,
        );
        format!("{head}{tail}")
    });
    assert!(!r.ok);
    assert_eq!(status(&r, "sub_mc", "acc_norm,none"), &Status::Differs);

    // one group aggregate (the first occurrence is under `results`)
    let r = tamper("0.4.13", "results_", |t| {
        t.replacen(
            r#""acc,none": 0.8839531420994773"#,
            r#""acc,none": 0.8939531420994773"#,
            1,
        )
    });
    assert!(!r.ok);
    assert_eq!(status(&r, "sub_group", "acc,none"), &Status::Differs);
    assert!(matches(status(&r, "sub_mc", "acc,none")));
    let differing: Vec<_> = r
        .checks
        .iter()
        .filter(|c| c.status == Status::Differs)
        .map(|c| (c.scope.as_str(), c.metric.as_str()))
        .collect();
    assert_eq!(differing, [("sub_group", "acc,none")]);
}

#[test]
fn sample_logs_without_results_and_malformed_lines_are_refused() {
    let samples: Vec<Input> = files(&fixture_dir("0.4.13"))
        .into_iter()
        .filter(|i| i.name.contains("samples_"))
        .collect();
    let out = verify(samples);
    assert!(out.reports.is_empty());
    assert_eq!(out.errors.len(), 3);
    assert!(
        out.errors[0].message.contains("without its results file"),
        "{:?}",
        out.errors
    );

    let mut inputs = files(&fixture_dir("0.4.13"));
    let f = inputs
        .iter_mut()
        .find(|i| i.name.contains("samples_sub_mc2_"))
        .unwrap();
    let mut text = String::from_utf8(f.bytes.clone()).unwrap();
    text.push_str("[1, 2]\n");
    f.bytes = text.into_bytes();
    let out = verify(inputs);
    assert!(
        out.errors[0].message.contains("line 17"),
        "{:?}",
        out.errors
    );
}

/// The same files given as [`Streamed`] (opened when read, as the CLI gives them): sample logs are read
/// line by line, element by element for the pre-v0.4.3 array layout, and the outcome is the in-memory one.
fn streamed(inputs: &[Input]) -> Vec<Streamed> {
    inputs
        .iter()
        .map(|i| {
            let bytes = i.bytes.clone();
            Streamed {
                name: i.name.clone(),
                head: i.bytes[..i.bytes.len().min(1 << 16)].to_vec(),
                open: Box::new(move || {
                    Ok(Box::new(std::io::Cursor::new(bytes.clone())) as Box<dyn std::io::Read>)
                }),
            }
        })
        .collect()
}

#[test]
fn streamed_logs_verify_as_the_same_bytes_in_memory() {
    for version in ["0.4.13", "0.4.2"] {
        let inputs = files(&fixture_dir(version));
        let in_memory = verify(inputs.clone());
        let out = verify_streamed(Vec::new(), streamed(&inputs), Vec::new());
        assert!(out.ok(), "{version}: {:?}", out.errors);
        assert_eq!(out.reports, in_memory.reports, "{version}");
    }
    // a tampered log-likelihood is found the same way when streamed
    let mut inputs = files(&fixture_dir("0.4.13"));
    let f = inputs
        .iter_mut()
        .find(|i| i.name.contains("samples_sub_mc_"))
        .unwrap();
    let text = String::from_utf8(f.bytes.clone()).unwrap();
    f.bytes = text
        .replace(r#""-2.5787487030029297", "False""#, r#""-99.5", "False""#)
        .into_bytes();
    let want = verify(inputs.clone());
    let out = verify_streamed(Vec::new(), streamed(&inputs), Vec::new());
    assert!(!out.ok());
    assert_eq!(out.reports, want.reports);
}

#[test]
fn the_array_layout_streams_with_lines_and_records_named() {
    let inputs = files(&fixture_dir("0.4.2"));
    let log = inputs
        .iter()
        .find(|i| i.name.ends_with("_sub_mc.jsonl"))
        .unwrap();
    let text = String::from_utf8(log.bytes.clone()).unwrap();
    let n = substance_verify::lm_eval::read_samples(&text, &log.name)
        .unwrap()
        .len();
    assert_eq!(n, 24);
    // a member given twice in the second record: the error names the line it is on
    let second = text.match_indices("\"doc_id\"").nth(1).unwrap().0;
    let line = text[..second].matches('\n').count() + 1;
    let bad = format!("{}\"doc_id\": 7, {}", &text[..second], &text[second..]);
    let err = substance_verify::lm_eval::read_samples(&bad, "f.jsonl").unwrap_err();
    assert!(
        err.to_string().contains(&format!("line {line}:")) && err.to_string().contains("doc_id"),
        "{err}"
    );
    // an element that is not an object names its record
    let bad = text.replacen('[', "[[1, 2], ", 1);
    let err = substance_verify::lm_eval::read_samples(&bad, "f.jsonl").unwrap_err();
    assert!(err.to_string().contains("record 1"), "{err}");
    // a cut array is a syntax error, an empty one has no records
    let err = substance_verify::lm_eval::read_samples(&text[..text.len() / 2], "f.jsonl")
        .unwrap_err()
        .to_string();
    assert!(err.contains("JSON: EOF"), "{err}");
    let err = substance_verify::lm_eval::read_samples(" \n[ ]\n", "f.jsonl")
        .unwrap_err()
        .to_string();
    assert!(err.contains("no records"), "{err}");
    // a BOM and CRLF are read as everywhere else
    let crlf = format!("\u{feff}{}", text.replace('\n', "\r\n"));
    assert_eq!(
        substance_verify::lm_eval::read_samples(&crlf, "f.jsonl")
            .unwrap()
            .len(),
        24
    );
}

#[test]
fn a_results_file_that_cannot_be_read_is_named_for_its_logs() {
    let mut inputs = files(&fixture_dir("0.4.13"));
    let r = inputs
        .iter_mut()
        .find(|i| i.name.contains("results_"))
        .unwrap();
    r.bytes.truncate(r.bytes.len() / 2);
    let out = verify(inputs);
    assert!(out.reports.is_empty());
    assert_eq!(out.errors.len(), 4, "{:?}", out.errors);
    assert!(out.errors[0].file.contains("results_"));
    assert!(
        out.errors[1..].iter().all(|e| e
            .message
            .contains("the results file beside it could not be read")),
        "{:?}",
        out.errors
    );
}
